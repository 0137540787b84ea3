"""The public lesson library: catalogue, lesson pages, the unit's teacher guide."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from ..lessons import LessonLibrary

bp = Blueprint("lessons", __name__)


def library():
    """The app's one lesson library (parsed files are cached inside it)."""
    lib = current_app.extensions.get("debatekit.lessons")
    if lib is None:
        # An edited lesson file shows up within a second (see LessonLibrary).
        lib = current_app.extensions["debatekit.lessons"] = LessonLibrary(current_app.config["LESSONS_DIR"], recheck_seconds=1.0)
    return lib


def with_lesson_titles(rows: list[dict]) -> list[dict]:
    """Add `title` (the lesson's title, or its slug when the file is gone) to assignment rows."""
    lib = library()
    for row in rows:
        lesson = lib.get(row["lesson_slug"])
        row["title"] = lesson.title if lesson else row["lesson_slug"]
    return rows


def _matches(lesson, words: list[str]) -> bool:
    haystack = " ".join(
        [lesson.title, lesson.summary, " ".join(lesson.objectives), " ".join(t for t, _ in lesson.vocabulary)]
        + [m.text for m in lesson.motions]
    ).lower()
    return all(word in haystack for word in words)


@bp.route("/lessons")
def catalogue():
    lib = library()
    query = (request.args.get("q") or "").strip()[:200]
    words = query.lower().split()
    lessons = [lesson for lesson in lib.available() if _matches(lesson, words)]
    broken = lib.broken() if current_user.is_authenticated and current_user.is_teacher else []
    return render_template(
        "lessons/catalogue.html", lessons=lessons, broken=broken, query=query, has_guide=lib.guide_html() is not None
    )


def get_lesson_or_404(slug: str):
    lesson = library().get(slug)
    if lesson is None:
        abort(404)
    return lesson


@bp.route("/lessons/<slug>")
def show(slug: str):
    return render_template("lessons/show.html", lesson=get_lesson_or_404(slug))


@bp.route("/guide")
def guide():
    html = library().guide_html()
    if html is None:
        abort(404)
    return render_template("lessons/guide.html", guide_html=html, lessons=library().available())
