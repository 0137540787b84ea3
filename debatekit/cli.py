"""`flask --app app <command>`: maintenance commands for whoever runs the kit."""

from __future__ import annotations

import getpass
import sqlite3
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from . import db as database
from .services import ServiceError, accounts


def _db():
    return database.connect(current_app.config["DATABASE"])


@click.command("migrate")
@with_appcontext
def migrate_command():
    """Apply any pending database migrations."""
    applied = database.migrate(_db())
    click.echo("Applied: " + ", ".join(applied) if applied else "The database is up to date.")


@click.command("create-teacher")
@with_appcontext
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
@with_appcontext
def check_lessons_command():
    """Validate every lesson file; exit 1 if any is broken."""
    from .lessons import check_lessons

    lines, ok = check_lessons(current_app.config["LESSONS_DIR"])
    for line in lines:
        click.echo(line)
    if not ok:
        sys.exit(1)


@click.command("backup")
@with_appcontext
@click.argument("path")
def backup_command(path):
    """Copy the live database to PATH (SQLite online backup) and check the copy."""
    try:
        result = database.backup(current_app.config["DATABASE"], path)
    except (RuntimeError, sqlite3.Error) as error:
        raise click.ClickException(f"Backup failed: {error}. Any earlier backup at {path} was left as it was.") from None
    click.echo(f"Backup written to {path}; integrity check: {result}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load a demo classroom: a teacher, 24 students, an assignment with work in progress."""
    from .lessons import LessonLibrary
    from .services import demo
    from .services.assignments import MotionChoice

    lesson = LessonLibrary(current_app.config["LESSONS_DIR"]).get("what-is-sovereignty")
    motion = lesson.motion("consent-required") if lesson else None
    if motion is None:
        raise click.ClickException("The demo needs the lesson 'what-is-sovereignty' with its motion 'consent-required'.")
    choice = MotionChoice(lesson.slug, motion.id, tuple(motion.sides), tuple(r.key for r in motion.roles))
    try:
        result = demo.seed(_db(), lesson_slug=lesson.slug, motion=choice)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Demo ready: sign in as {demo.DEMO_TEACHER} / {demo.DEMO_TEACHER_PASSWORD} "
               f"(class of {result['students']}; students sign in with their usernames and '{demo.DEMO_STUDENT_PASSWORD}').")


def _student_id(db, username: str) -> int:
    user = accounts.get_user_by_username(db, username)
    if user is None or user.role != "student":
        raise click.ClickException(f"No student with the username '{username}'.")
    return user.id


@click.command("export-student")
@with_appcontext
@click.argument("username")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="write to this file instead of the screen")
def export_student_command(username, output):
    """Print everything stored about a student as JSON."""
    import json

    from .services import privacy

    db = _db()
    data = privacy.export_student(db, _student_id(db, username), include_unreleased_feedback=True)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        click.echo(f"Wrote {output}")
    else:
        click.echo(text)


@click.command("delete-student")
@with_appcontext
@click.argument("username")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def delete_student_command(username, yes):
    """Delete a student and every trace of them (their classes, positions, work and feedback)."""
    from .services import privacy

    db = _db()
    student_id = _student_id(db, username)
    if not yes:
        click.confirm(f"Delete {username} and all of their work for good?", abort=True)
    privacy.delete_student(db, student_id)
    click.echo(f"Deleted {username}.")


@click.command("reset-password")
@with_appcontext
@click.argument("username")
def reset_password_command(username):
    """Give any account a new temporary password (for students in several teachers' classes, and teachers)."""
    from .services import classes

    db = _db()
    user = accounts.get_user_by_username(db, username)
    if user is None:
        raise click.ClickException(f"No account with the username '{username}'.")
    new = classes.set_temporary_password(db, user.id)
    click.echo(f"New temporary password for {new.username}: {new.temporary_password}")
    click.echo("Every device signed in to this account has been signed out.")


def init_app(app) -> None:
    for command in (migrate_command, create_teacher_command, check_lessons_command, backup_command, seed_demo_command,
                    export_student_command, delete_student_command, reset_password_command):
        app.cli.add_command(command)
