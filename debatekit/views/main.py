"""The front door: landing page for visitors, dashboards for signed-in users."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template, send_from_directory, current_app
from flask_login import current_user

from ..db import get_db
from ..rendering import render_markdown
from ..services import assignments as assignment_service
from ..services import classes
from .lessons import with_lesson_titles

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return render_template("main/landing.html")
    db = get_db()
    if current_user.is_teacher:
        return render_template("main/teacher_dashboard.html", classes=classes.classes_of_teacher(db, current_user.id))
    return render_template(
        "main/student_dashboard.html",
        classes=classes.classes_of_student(db, current_user.id),
        assignments=with_lesson_titles(assignment_service.assignments_of_student(db, current_user.id)),
    )


@bp.route("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml")


@bp.route("/privacy")
def privacy():
    path = Path(current_app.root_path) / "PRIVACY.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Privacy\n\nSee PRIVACY.md in the kit's folder."
    return render_template("main/privacy.html", privacy_html=render_markdown(text))
