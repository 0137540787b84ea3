"""Assignments and positions through the web: create, draw, override, lock,
late arrivals, the student's view, export.json."""

from __future__ import annotations

import json
from collections import Counter

from conftest import (
    LESSON,
    MOTION,
    add_students,
    create_assignment,
    create_class,
    draw_positions,
    login,
    positions_of,
    post_form,
    signup_teacher,
    table_snapshot,
)


def _class_of(app, n):
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    creds = add_students(teacher, class_id, [f"Student Number{i:02d}" for i in range(n)])
    assert len(creds) == n
    return teacher, class_id, creds


def test_create_assignment_stores_due_date_in_utc(app, db):
    teacher, class_id, _ = _class_of(app, 2)
    aid = create_assignment(teacher, class_id, due_at="2026-03-02T15:30", cutoff_at="2026-03-03T08:00", instructions="Bring notes.")
    row = db.execute("SELECT * FROM assignments WHERE id = ?", [aid]).fetchone()
    # America/Chicago is UTC-6 in early March (before the DST change on March 8, 2026).
    assert row["due_at"] == "2026-03-02T21:30:00+00:00"
    assert row["cutoff_at"] == "2026-03-03T14:00:00+00:00"
    assert (row["lesson_slug"], row["motion_id"], row["format"]) == (LESSON, MOTION, "two-sides")
    page = teacher.get(f"/assignments/{aid}").get_data(as_text=True)
    assert "Mon Mar 2, 3:30 PM CST" in page


def test_create_assignment_errors_keep_fields(app, db):
    teacher, class_id, _ = _class_of(app, 1)
    response = post_form(
        teacher, f"/classes/{class_id}/assignments/new",
        {"lesson": LESSON, "motion": MOTION, "format": "two-sides", "due_at": "2026-03-05T10:00", "cutoff_at": "2026-03-04T10:00", "instructions": "My careful instructions"},
        token_from=f"/classes/{class_id}/assignments/new?lesson={LESSON}",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "cut-off must be at or after" in html and "My careful instructions" in html
    bad_motion = post_form(teacher, f"/classes/{class_id}/assignments/new", {"lesson": LESSON, "motion": "nope", "format": "two-sides"}, token_from="/classes")
    assert bad_motion.status_code == 400
    roles_without_roles = post_form(teacher, f"/classes/{class_id}/assignments/new", {"lesson": "partners-by-agreement", "motion": "x", "format": "roles"}, token_from="/classes")
    assert roles_without_roles.status_code == 400
    assert db.execute("SELECT COUNT(*) FROM assignments").fetchone()[0] == 0


def test_draw_balances_sides_and_leaves_absent_out(app):
    teacher, class_id, creds = _class_of(app, 9)
    aid = create_assignment(teacher, class_id)
    assert positions_of(app.config["DATABASE"], aid) == {}, "no positions before the first draw"
    from debatekit import db as database
    conn = database.connect(app.config["DATABASE"])
    student_ids = [r[0] for r in conn.execute("SELECT student_id FROM enrollments WHERE class_id = ? ORDER BY student_id", [class_id])]
    conn.conn.close()
    absent = student_ids[:2]
    draw_positions(teacher, aid, seed=42, absent=absent)
    rows = positions_of(app.config["DATABASE"], aid)
    sides = Counter(r["position"] for r in rows.values() if r["position"])
    assert sorted(sides.values()) in ([3, 4],), sides
    for sid in absent:
        assert rows[sid]["absent"] == 1 and rows[sid]["position"] is None
    orders = sorted(r["speaking_order"] for r in rows.values() if r["position"] == "pro")
    assert orders == list(range(1, len(orders) + 1))


def test_same_seed_redraws_the_same_positions(app):
    teacher, class_id, _ = _class_of(app, 12)
    aid = create_assignment(teacher, class_id, fmt="small-groups", group_size="4")
    draw_positions(teacher, aid, seed=7)
    first = positions_of(app.config["DATABASE"], aid)
    draw_positions(teacher, aid, seed=99)
    draw_positions(teacher, aid, seed=7)
    assert positions_of(app.config["DATABASE"], aid) == first
    groups = Counter(r["group_no"] for r in first.values())
    assert sorted(groups.values()) == [4, 4, 4]
    for g in groups:
        per_side = Counter(r["position"] for r in first.values() if r["group_no"] == g)
        assert per_side["pro"] == per_side["con"] == 2


def test_override_lock_and_redraw_keeps_locked(app):
    teacher, class_id, _ = _class_of(app, 6)
    aid = create_assignment(teacher, class_id)
    draw_positions(teacher, aid, seed=1)
    rows = positions_of(app.config["DATABASE"], aid)
    victim = next(sid for sid, r in rows.items() if r["position"] == "pro")
    response = post_form(teacher, f"/assignments/{aid}/positions/{victim}", {"position": "con", "locked": "1"}, token_from=f"/assignments/{aid}")
    assert response.status_code == 302
    assert positions_of(app.config["DATABASE"], aid)[victim]["position"] == "con"
    for seed in range(2, 8):
        draw_positions(teacher, aid, seed=seed)
        after = positions_of(app.config["DATABASE"], aid)
        assert after[victim]["position"] == "con" and after[victim]["locked"] == 1
        assert sorted(Counter(r["position"] for r in after.values()).values()) == [3, 3]
    # Unlock and a redraw may move the student again; the lock flag is gone.
    post_form(teacher, f"/assignments/{aid}/positions/{victim}", {"position": "con"}, token_from=f"/assignments/{aid}")
    assert positions_of(app.config["DATABASE"], aid)[victim]["locked"] == 0
    bad = post_form(teacher, f"/assignments/{aid}/positions/{victim}", {"position": "not-a-side"}, token_from=f"/assignments/{aid}")
    assert bad.status_code == 400


def test_late_arrival_joins_the_smallest_team_without_moving_others(app):
    teacher, class_id, _ = _class_of(app, 7)
    aid = create_assignment(teacher, class_id)
    draw_positions(teacher, aid, seed=3)
    before = positions_of(app.config["DATABASE"], aid)
    smaller = min(Counter(r["position"] for r in before.values()).items(), key=lambda kv: kv[1])[0]
    late = add_students(teacher, class_id, ["Late Arrival"])
    page = teacher.get(f"/assignments/{aid}").get_data(as_text=True)
    assert "Place late arrivals" in page and "Late Arrival" in page
    post_form(teacher, f"/assignments/{aid}/late-arrivals", token_from=f"/assignments/{aid}")
    after = positions_of(app.config["DATABASE"], aid)
    for sid, row in before.items():
        assert after[sid] == row, "nobody already placed moves"
    new = [r for sid, r in after.items() if sid not in before]
    assert len(new) == 1 and new[0]["position"] == smaller
    assert late


def test_student_sees_own_position_but_no_other_group(app):
    teacher, class_id, creds = _class_of(app, 8)
    aid = create_assignment(teacher, class_id, fmt="small-groups", group_size="4")
    draw_positions(teacher, aid, seed=5)
    rows = positions_of(app.config["DATABASE"], aid)
    from debatekit import db as database
    conn = database.connect(app.config["DATABASE"])
    names = {r["id"]: (r["username"], r["display_name"]) for r in conn.execute("SELECT id, username, display_name FROM users WHERE role='student'")}
    conn.conn.close()
    password = dict(creds)
    me = next(iter(rows))
    student = app.test_client()
    login(student, names[me][0], password[names[me][0]])
    html = student.get(f"/assignments/{aid}").get_data(as_text=True)
    from markupsafe import escape

    from debatekit.lessons import LessonLibrary

    motion = LessonLibrary(app.config["LESSONS_DIR"]).get(LESSON).motion(MOTION)
    side = motion.sides[rows[me]["position"]]
    other = motion.sides["con" if rows[me]["position"] == "pro" else "pro"]
    assert "Your position" in html
    assert str(escape(side.label)) in html
    assert side.brief_html[:60] in html, "the student sees their own side's brief"
    assert other.brief_html[:60] not in html, "and not the other side's"
    same_group = {sid for sid, r in rows.items() if r["group_no"] == rows[me]["group_no"] and sid != me}
    other_group = {sid for sid, r in rows.items() if r["group_no"] != rows[me]["group_no"]}
    for sid in same_group:
        assert names[sid][1] in html
    for sid in other_group:
        assert names[sid][1] not in html, "a student must not see other groups"
    assert "Term history" not in html and "Redraw" not in html


def test_second_draw_on_the_same_motion_flips_every_side(app):
    teacher, class_id, _ = _class_of(app, 10)
    first = create_assignment(teacher, class_id)
    draw_positions(teacher, first, seed=11)
    second = create_assignment(teacher, class_id)
    draw_positions(teacher, second, seed=12)
    a, b = positions_of(app.config["DATABASE"], first), positions_of(app.config["DATABASE"], second)
    assert all(a[sid]["position"] != b[sid]["position"] for sid in a)


def test_export_json_shape(app):
    teacher, class_id, _ = _class_of(app, 4)
    aid = create_assignment(teacher, class_id)
    draw_positions(teacher, aid, seed=9)
    response = teacher.get(f"/assignments/{aid}/export.json")
    data = json.loads(response.get_data(as_text=True))
    assert data["assignment"]["id"] == aid and data["assignment"]["seed"] == 9
    assert len(data["students"]) == 4
    for s in data["students"]:
        assert set(s) >= {"id", "username", "display_name", "position", "absent", "group", "speaking_order", "status", "submitted_at", "late", "scores", "total"}
        assert s["position"] in ("pro", "con") and s["status"] == "missing"


def test_students_and_other_teachers_cannot_touch_assignment(app, classroom):
    teacher, class_id = classroom["teacher"], classroom["class_id"]
    aid = create_assignment(teacher, class_id)
    draw_positions(teacher, aid, seed=1)
    ana = classroom["students"]["ana"]
    other = app.test_client()
    signup_teacher(other, username="other2")
    before = table_snapshot(app.config["DATABASE"])
    from conftest import csrf_from
    for client in (ana, other):
        token = csrf_from(client, "/")
        for path in (f"/assignments/{aid}/present", f"/assignments/{aid}/export.json", f"/classes/{class_id}/assignments/new"):
            assert client.get(path).status_code == 404, path
        for path, data in ((f"/assignments/{aid}/positions", {"seed": "3"}), (f"/assignments/{aid}/positions/{classroom['ids']['ben']}", {"position": "pro"}),
                           (f"/assignments/{aid}/late-arrivals", {}), (f"/assignments/{aid}/settings", {"due_at": ""})):
            assert client.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    assert other.get(f"/assignments/{aid}").status_code == 404
    assert table_snapshot(app.config["DATABASE"]) == before
