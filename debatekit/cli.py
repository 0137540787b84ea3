"""`flask --app app <command>`: maintenance commands for whoever runs the kit."""

from __future__ import annotations

import getpass
import sys

import click
from flask import current_app

from . import db as database
from .services import ServiceError, accounts


def _db():
    return database.connect(current_app.config["DATABASE"])


@click.command("migrate")
def migrate_command():
    """Apply any pending database migrations."""
    applied = database.migrate(_db())
    click.echo("Applied: " + ", ".join(applied) if applied else "The database is up to date.")


@click.command("create-teacher")
@click.option("--username", prompt=True)
@click.option("--display-name", prompt="Display name")
@click.option("--password", default=None, help="omit to be asked (safer: not kept in shell history)")
def create_teacher_command(username, display_name, password):
    """Create a teacher account."""
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            raise click.ClickException("The passwords do not match.")
    try:
        user = accounts.create_user(_db(), username=username, display_name=display_name, password=password, role="teacher")
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Teacher account '{user.username}' created.")


@click.command("check-lessons")
def check_lessons_command():
    """Validate every lesson file; exit 1 if any is broken."""
    from .lessons import check_lessons

    lines, ok = check_lessons(current_app.config["LESSONS_DIR"])
    for line in lines:
        click.echo(line)
    if not ok:
        sys.exit(1)


@click.command("backup")
@click.argument("path")
def backup_command(path):
    """Copy the live database to PATH (SQLite online backup) and check the copy."""
    result = database.backup(current_app.config["DATABASE"], path)
    click.echo(f"Backup written to {path}; integrity check: {result}")


def init_app(app) -> None:
    for command in (migrate_command, create_teacher_command, check_lessons_command, backup_command):
        app.cli.add_command(command)
