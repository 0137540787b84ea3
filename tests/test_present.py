"""The projector view (GET /assignments/ID/present) without a browser: teams in
speaking order, the default preset's segments as static text (the page works
without JavaScript), same-origin assets only, and 404 for anyone but the
class's teacher. The running timer is tested in tests/browser/test_present.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from conftest import (
    add_students,
    create_assignment,
    draw_positions,
    positions_of,
    signup_teacher,
)

PF_SEGMENTS = [
    ("Constructive (first team)", "4 min"),
    ("Constructive (second team)", "4 min"),
    ("Crossfire", "3 min"),
    ("Rebuttal (first team)", "4 min"),
    ("Rebuttal (second team)", "4 min"),
    ("Crossfire", "3 min"),
    ("Summary (first team)", "3 min"),
    ("Summary (second team)", "3 min"),
    ("Grand crossfire", "3 min"),
    ("Final focus (first team)", "2 min"),
    ("Final focus (second team)", "2 min"),
]
SAC_SEGMENTS = [
    ("Prepare", "5 min"),
    ("Presentations (pair A then pair B)", "10 min"),
    ("Reverse positions (pairs switch sides)", "10 min"),
    ("Consensus statement", "10 min"),
    ("Report to the class", "5 min"),
]
MOTION_TEXT = "A state's consent should be required before any foreign military activity on its territory"


class PageParser(HTMLParser):
    """Collects what the tests look at: assets, inline code, teams and segments."""

    def __init__(self):
        super().__init__()
        self.scripts: list[str | None] = []
        self.inline_script = False
        self.stylesheets: list[str] = []
        self.style_attrs = 0
        self.style_tags = 0
        self.teams: list[dict] = []  # {"heading": str, "members": [(value, name)]}
        self.segments: list[tuple[str, str]] = []
        self._stack: list[tuple[str, dict]] = []
        self._capture: str | None = None
        self._text: list[str] = []
        self._in_segments = False
        self._segment: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if "style" in a:
            self.style_attrs += 1
        if tag == "style":
            self.style_tags += 1
        if tag == "script":
            self.scripts.append(a.get("src"))
            self.inline_script = self.inline_script or not a.get("src")
        if tag == "link" and "stylesheet" in (a.get("rel") or ""):
            self.stylesheets.append(a.get("href") or "")
        if tag == "div" and "pv-team" in classes:
            self.teams.append({"heading": "", "members": []})
        if tag == "h4" and "pv-team-name" in classes:
            self._capture, self._text = "heading", []
        if tag == "li" and self.teams and self._stack_has("ol", "pv-members"):
            self._capture, self._text = "member", []
            self._member_value = int(a.get("value"))
        if tag == "ol" and a.get("id") == "timer-segments":
            self._in_segments = True
        if self._in_segments and tag == "li":
            self._segment = {"name": "", "time": ""}
        if self._in_segments and tag == "span" and classes and classes[0] in ("segment-name", "segment-time"):
            self._capture, self._text = classes[0], []
        if tag not in ("link", "meta", "input", "br", "img", "hr"):
            self._stack.append((tag, a))

    def _stack_has(self, tag, cls):
        return any(t == tag and cls in (a.get("class") or "").split() for t, a in self._stack)

    def handle_endtag(self, tag):
        if self._stack:
            self._stack.pop()
        text = " ".join("".join(self._text).split())
        if self._capture == "heading" and tag == "h4":
            self.teams[-1]["heading"] = text
            self._capture = None
        elif self._capture == "member" and tag == "li":
            self.teams[-1]["members"].append((self._member_value, text))
            self._capture = None
        elif self._capture in ("segment-name", "segment-time") and tag == "span":
            self._segment["name" if self._capture == "segment-name" else "time"] = text
            self._capture = None
        if self._in_segments and tag == "li" and self._segment is not None:
            self.segments.append((self._segment["name"], self._segment["time"]))
            self._segment = None
        if tag == "ol" and self._in_segments:
            self._in_segments = False

    def handle_data(self, data):
        if self._capture:
            self._text.append(data)


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def names_by_id(db_path) -> dict[int, str]:
    from debatekit import db as database

    conn = database.connect(db_path)
    try:
        return {r["id"]: r["display_name"] for r in conn.execute("SELECT id, display_name FROM users")}
    finally:
        conn.conn.close()


@pytest.fixture
def drawn(app, classroom):
    """A two-sides assignment for the classroom plus five more students, drawn."""
    teacher = classroom["teacher"]
    add_students(teacher, classroom["class_id"], ["Dana Ortiz", "Eli Park", "Fátima Núñez", "Gus O'Neil", "Hana <b>Lee</b>"])
    assignment_id = create_assignment(teacher, classroom["class_id"])
    draw_positions(teacher, assignment_id, seed=7)
    return {**classroom, "assignment_id": assignment_id}


def test_lists_teams_in_speaking_order(app, drawn):
    response = drawn["teacher"].get(f"/assignments/{drawn['assignment_id']}/present")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert MOTION_TEXT in html.replace("&#39;", "'")
    page = parse(html)

    positions = positions_of(app.config["DATABASE"], drawn["assignment_id"])
    names = names_by_id(app.config["DATABASE"])
    expected = {}
    for sid, row in positions.items():
        if row["position"]:
            expected.setdefault(row["position"], []).append((row["speaking_order"], names[sid]))
    assert sum(len(v) for v in expected.values()) == 8

    by_side = {t["heading"].split()[0].lower(): t["members"] for t in page.teams}
    assert set(by_side) == {"pro", "con"}
    for side, members in expected.items():
        assert by_side[side] == sorted(members), side
        assert [v for v, _ in by_side[side]] == list(range(1, len(members) + 1))
    # Names are escaped, never markup.
    assert "Hana &lt;b&gt;Lee&lt;/b&gt;" in html
    assert "<b>Lee</b>" not in html
    # The way back, and the keyboard help.
    assert f'href="/assignments/{drawn["assignment_id"]}"' in html
    assert "Space" in html and "next" in html


def test_static_segment_list_of_the_default_preset(app, drawn):
    html = drawn["teacher"].get(f"/assignments/{drawn['assignment_id']}/present").get_data(as_text=True)
    page = parse(html)
    assert "Public Forum (classroom)" in html
    assert page.segments == PF_SEGMENTS
    assert "11 segments · 35 min in all" in html
    assert "3 minutes per team" in html
    # The timer's controls are enhancements: hidden until timer.js shows them.
    assert re.search(r'id="timer-controls"[^>]*\bhidden\b', html)


def test_only_same_origin_scripts_and_styles(app, drawn):
    response = drawn["teacher"].get(f"/assignments/{drawn['assignment_id']}/present")
    page = parse(response.get_data(as_text=True))
    assert page.scripts and all(src and src.startswith("/static/") for src in page.scripts)
    assert "/static/timer.js" in page.scripts
    assert not page.inline_script
    assert page.stylesheets and all(href.startswith("/static/") for href in page.stylesheets)
    assert "/static/present.css" in page.stylesheets
    assert page.style_attrs == 0 and page.style_tags == 0
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    for asset in ("/static/timer.js", "/static/present.css"):
        assert drawn["teacher"].get(asset).status_code == 200


def test_sac_shows_every_quad_with_pairs_and_the_switch(app, classroom):
    teacher = classroom["teacher"]
    add_students(teacher, classroom["class_id"], [f"Student {i}" for i in range(1, 6)])  # 8 students: two quads
    assignment_id = create_assignment(teacher, classroom["class_id"], fmt="sac")
    draw_positions(teacher, assignment_id, seed=3)
    html = teacher.get(f"/assignments/{assignment_id}/present").get_data(as_text=True)
    page = parse(html)
    assert "Quad 1" in html and "Quad 2" in html
    assert "Pairs switch sides halfway" in html
    headings = [t["heading"] for t in page.teams]
    assert len(headings) == 4 and sum(h.startswith("Pair A") for h in headings) == 2
    assert sum(len(t["members"]) for t in page.teams) == 8
    assert page.segments == SAC_SEGMENTS


def test_small_groups_show_every_group(app, classroom):
    teacher = classroom["teacher"]
    add_students(teacher, classroom["class_id"], [f"Student {i}" for i in range(1, 6)])
    assignment_id = create_assignment(teacher, classroom["class_id"], fmt="small-groups", group_size="4")
    draw_positions(teacher, assignment_id, seed=5)
    html = teacher.get(f"/assignments/{assignment_id}/present").get_data(as_text=True)
    page = parse(html)
    assert "Group 1" in html and "Group 2" in html
    assert sum(len(t["members"]) for t in page.teams) == 8
    assert page.segments == PF_SEGMENTS


def test_roles_list_each_role_and_the_hearing_preset(app, classroom):
    teacher = classroom["teacher"]
    add_students(teacher, classroom["class_id"], [f"Student {i}" for i in range(1, 10)])  # 12 students
    assignment_id = create_assignment(teacher, classroom["class_id"], lesson="the-senate-decides", motion="approve-next-trainers", fmt="roles")
    draw_positions(teacher, assignment_id, seed=11)
    html = teacher.get(f"/assignments/{assignment_id}/present").get_data(as_text=True)
    page = parse(html)
    assert "Chair of the Senate Defense Committee" in html
    roles = [t["heading"] for t in page.teams]
    assert len(roles) >= 2 and all(t["members"] for t in page.teams)
    assert sum(len(t["members"]) for t in page.teams) == 12
    names = [name for name, _ in page.segments]
    assert names[: len(roles)] == [f"Opening statement: {r}" for r in roles]
    assert names[len(roles)] == "Questions from the committee"
    assert names[len(roles) + 1 : 2 * len(roles) + 1] == [f"Closing statement: {r}" for r in roles]
    assert names[-1] == "Committee vote"
    times = [t for _, t in page.segments]
    assert times == ["2 min"] * len(roles) + ["10 min"] + ["1 min"] * len(roles) + ["3 min"]


def test_before_a_draw_the_page_says_so(app, classroom):
    assignment_id = create_assignment(classroom["teacher"], classroom["class_id"])
    response = classroom["teacher"].get(f"/assignments/{assignment_id}/present")
    assert response.status_code == 200
    assert "Positions have not been drawn yet" in response.get_data(as_text=True)


def test_a_missing_lesson_file_still_shows_the_teams(app, drawn):
    from debatekit import db as database

    conn = database.connect(app.config["DATABASE"])
    try:
        conn.execute("UPDATE assignments SET lesson_slug = 'removed-lesson' WHERE id = ?", [drawn["assignment_id"]])
        conn.conn.commit()
    finally:
        conn.conn.close()
    response = drawn["teacher"].get(f"/assignments/{drawn['assignment_id']}/present")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "missing or broken" in html
    page = parse(html)
    assert sum(len(t["members"]) for t in page.teams) == 8
    assert page.segments == PF_SEGMENTS


def test_not_found_for_a_student_and_for_another_teacher(app, drawn):
    url = f"/assignments/{drawn['assignment_id']}/present"
    for student in drawn["students"].values():
        assert student.get(url).status_code == 404
    other = app.test_client()
    signup_teacher(other, username="teacher2", display_name="Mr. Okafor")
    response = other.get(url)
    assert response.status_code == 404
    assert MOTION_TEXT not in response.get_data(as_text=True).replace("&#39;", "'")
    # Signed out: sent to sign in (or 404), never the page.
    anonymous = app.test_client().get(url)
    assert anonymous.status_code in (302, 404)
