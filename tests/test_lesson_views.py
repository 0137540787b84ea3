"""The public lesson library through the web: catalogue, filter, lesson pages,
the teacher guide, and a broken lesson that does not take the library down."""

from __future__ import annotations

import re
import shutil

from conftest import ROOT, make_app, signup_teacher
from debatekit.lessons import LessonLibrary

LESSONS = ROOT / "lessons"


def test_catalogue_lists_every_lesson_with_card_facts(client):
    html = client.get("/lessons").get_data(as_text=True)
    library = LessonLibrary(LESSONS)
    for lesson in library.available():
        assert f'href="/lessons/{lesson.slug}"' in html
        assert f"{lesson.duration_minutes} minutes" in html
    assert len(library.available()) == 9
    assert 'href="/guide"' in html


def test_catalogue_filter(client):
    html = client.get("/lessons?q=airspace").get_data(as_text=True)
    assert 'href="/lessons/eyes-in-the-sky"' in html
    assert 'href="/lessons/a-border-with-history"' not in html
    none = client.get("/lessons?q=zzzznothing").get_data(as_text=True)
    assert "No lesson matches" in none


def test_lesson_page_has_every_part_and_numbered_sources(client):
    lesson = LessonLibrary(LESSONS).get("the-senate-decides")
    html = client.get("/lessons/the-senate-decides").get_data(as_text=True)
    for heading in ("Objectives", "Reading", "Vocabulary", "Discussion questions", "Activity", "Sources", "Stakeholder roles"):
        assert f">{heading}<" in html, heading
    motion = lesson.motions[0]
    for side in motion.sides.values():
        assert side.brief_html[:80] in html
    for role in motion.roles:
        assert role.brief_html[:60] in html
    for source in lesson.sources:
        assert f'id="source-{source.number}"' in html
    cited = set(re.findall(r'href="#source-(\d+)"', html))
    assert cited and all(f'id="source-{n}"' in html for n in cited), "every citation links to a listed source"
    assert "roles, not beliefs" in html or "not a statement of what you believe" in html


def test_unknown_lesson_is_404(client):
    assert client.get("/lessons/no-such-lesson").status_code == 404
    assert client.get("/lessons/..%2Fapp").status_code == 404


def test_teacher_guide_page(client):
    html = client.get("/guide").get_data(as_text=True)
    assert "Teaching a sensitive topic" in html or "sensitive" in html.lower()
    assert "what-is-sovereignty" in html or "What Is Sovereignty" in html


def test_broken_lesson_is_shown_to_teachers_only_and_the_rest_serves(tmp_path):
    lessons = tmp_path / "lessons"
    shutil.copytree(LESSONS, lessons)
    (lessons / "broken-one.md").write_text("---\ntitle: Broken\nsummary: [unclosed\n---\nText\n", encoding="utf-8")
    app = make_app(tmp_path, LESSONS_DIR=str(lessons))
    anonymous = app.test_client()
    html = anonymous.get("/lessons").get_data(as_text=True)
    assert "broken-one" not in html and 'href="/lessons/what-is-sovereignty"' in html
    assert anonymous.get("/lessons/broken-one").status_code == 404
    assert anonymous.get("/lessons/what-is-sovereignty").status_code == 200
    teacher = app.test_client()
    signup_teacher(teacher)
    html = teacher.get("/lessons").get_data(as_text=True)
    assert "Unavailable lessons" in html and "broken-one.md" in html
    assert re.search(r"line \d+", html), "the teacher sees where the YAML error is"
