"""Student arguments: autosave with versions, submit exactly once, cut-off,
resubmission, feedback release, exports, and refusals."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from conftest import create_assignment, csrf_from, draw_positions, post_form
from debatekit import db as database


@pytest.fixture
def assignment(app, classroom):
    aid = create_assignment(classroom["teacher"], classroom["class_id"])
    draw_positions(classroom["teacher"], aid, seed=4)
    classroom["aid"] = aid
    return classroom


def autosave(client, aid, base_version, token=None, **fields):
    token = token or csrf_from(client, f"/assignments/{aid}")
    body = {"claim": "", "evidence": [], "reasoning": "", "rebuttal": "", "base_version": base_version}
    body.update(fields)
    return client.post(f"/assignments/{aid}/draft", json=body, headers={"X-CSRFToken": token, "Accept": "application/json"})


def submit(client, aid, version, **fields):
    data = {"claim": "Consent must come first.", "evidence": ["Article 2(4) bans force."], "evidence_source": ["un-charter"],
            "evidence_citation": [""], "reasoning": "Because...", "rebuttal": "They say...", "draft_version": str(version)}
    data.update(fields)
    return post_form(client, f"/assignments/{aid}/submit", data, token_from=f"/assignments/{aid}")


def row_of(app, aid, username):
    conn = database.connect(app.config["DATABASE"])
    try:
        return conn.execute(
            "SELECT s.* FROM submissions s JOIN users u ON u.id = s.student_id WHERE s.assignment_id = ? AND u.username = ?", [aid, username]
        ).fetchone()
    finally:
        conn.conn.close()


def count(app, sql, args=()):
    conn = database.connect(app.config["DATABASE"])
    try:
        return conn.execute(sql, args).fetchone()[0]
    finally:
        conn.conn.close()


def test_autosave_versions_and_shape(app, assignment):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    r1 = autosave(ana, aid, 0, claim="First thought")
    assert r1.status_code == 200
    body = r1.get_json()
    assert body["version"] == 1 and re.match(r"\d{4}-\d\d-\d\dT", body["saved_at"])
    r2 = autosave(ana, aid, 1, claim="Second thought", evidence=[{"text": "A fact", "source": "un-charter"}])
    assert r2.get_json()["version"] == 2
    stored = row_of(app, aid, "ana")
    assert stored["claim"] == "Second thought" and json.loads(stored["evidence"]) == [{"text": "A fact", "source": "un-charter"}]
    # An identical save does not create a new version.
    assert autosave(ana, aid, 2, claim="Second thought", evidence=[{"text": "A fact", "source": "un-charter"}]).get_json()["version"] == 2


def test_autosave_without_csrf_header_is_refused(app, assignment):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    response = ana.post(f"/assignments/{aid}/draft", json={"claim": "x", "base_version": 0})
    assert response.status_code == 400
    assert row_of(app, aid, "ana") is None


def test_stale_second_tab_gets_409_with_the_stored_text(app, assignment):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    assert autosave(ana, aid, 0, claim="Tab one text").status_code == 200
    stale = autosave(ana, aid, 0, claim="Tab two older text")
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["version"] == 1 and body["current"]["claim"] == "Tab one text"
    assert row_of(app, aid, "ana")["claim"] == "Tab one text"


def test_stale_form_submit_shows_both_texts(app, assignment):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    autosave(ana, aid, 0, claim="Saved in the other tab")
    response = submit(ana, aid, 0, claim="Typed in this tab")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Saved in the other tab" in html and "Typed in this tab" in html
    assert row_of(app, aid, "ana")["status"] == "draft"


def test_double_submit_stores_one_submission(app, assignment):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    autosave(ana, aid, 0, claim="Consent must come first.")
    first = submit(ana, aid, 1)
    second = submit(ana, aid, 1)
    assert first.status_code == 302 and second.status_code == 302
    assert count(app, "SELECT COUNT(*) FROM submissions WHERE assignment_id = ?", [aid]) == 1
    assert count(app, "SELECT COUNT(*) FROM submission_versions") == 1
    assert row_of(app, aid, "ana")["status"] == "submitted"
    assert "already submitted" in ana.get(f"/assignments/{aid}").get_data(as_text=True)


def test_autosave_after_submit_is_409_and_submission_unchanged(app, assignment):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    submit(ana, aid, 0)
    before = dict(row_of(app, aid, "ana"))
    late_save = autosave(ana, aid, 0, claim="An in-flight autosave from before the submit")
    assert late_save.status_code == 409 and late_save.get_json()["error"] == "submitted"
    also = autosave(ana, aid, before["version"], claim="Even with the current version")
    assert also.status_code == 409
    assert dict(row_of(app, aid, "ana")) == before


def test_submit_after_cutoff_is_refused_and_text_stays_a_draft(app, assignment, db):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    db.execute("UPDATE assignments SET due_at = '2020-01-01T00:00:00+00:00', cutoff_at = '2020-01-02T00:00:00+00:00' WHERE id = ?", [aid])
    response = submit(ana, aid, 0, claim="Written too late but never lost")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "cut-off" in html and "Written too late but never lost" in html
    row = row_of(app, aid, "ana")
    assert row["status"] == "draft" and row["claim"] == "Written too late but never lost"
    assert count(app, "SELECT COUNT(*) FROM submission_versions") == 0


def test_submit_after_due_date_is_marked_late(app, assignment, db):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    db.execute("UPDATE assignments SET due_at = '2020-01-01T00:00:00+00:00' WHERE id = ?", [aid])
    submit(ana, aid, 0)
    assert row_of(app, aid, "ana")["late"] == 1


def test_submit_without_claim_keeps_everything(app, assignment):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    response = submit(ana, aid, 0, claim="  ", reasoning="My long careful reasoning")
    assert response.status_code == 400
    assert "My long careful reasoning" in response.get_data(as_text=True)


def test_resubmission_keeps_every_version(app, assignment, db):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    db.execute("UPDATE assignments SET allow_resubmit = 1 WHERE id = ?", [aid])
    submit(ana, aid, 0, claim="Version one")
    post_form(ana, f"/assignments/{aid}/revise", token_from=f"/assignments/{aid}")
    version = row_of(app, aid, "ana")["version"]
    submit(ana, aid, version, claim="Version two")
    claims = [r[0] for r in db.execute("SELECT claim FROM submission_versions ORDER BY version")]
    assert claims == ["Version one", "Version two"]


def test_no_resubmission_unless_allowed(app, assignment):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    submit(ana, aid, 0, claim="Final")
    response = post_form(ana, f"/assignments/{aid}/revise", token_from=f"/assignments/{aid}")
    assert response.status_code == 400
    assert row_of(app, aid, "ana")["status"] == "submitted"


def test_oversized_body_gets_a_friendly_413(app, assignment):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    token = csrf_from(ana, f"/assignments/{aid}")
    response = ana.post(f"/assignments/{aid}/submit", data={"claim": "x" * 600_000, "draft_version": "0", "csrf_token": token})
    assert response.status_code == 413
    assert "too much text" in response.get_data(as_text=True)
    json_response = ana.post(f"/assignments/{aid}/draft", json={"claim": "y" * 600_000, "base_version": 0}, headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert json_response.status_code == 413 and json_response.get_json()["error"]
    assert row_of(app, aid, "ana") is None


def test_field_too_long_keeps_text(app, assignment):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    response = autosave(ana, aid, 0, reasoning="w " * 15_000)
    assert response.status_code == 400 and "longer than" in response.get_json()["message"]


def test_expired_session_autosave_is_401(app, assignment):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    token = csrf_from(ana, f"/assignments/{aid}")
    ana.delete_cookie("debatekit_session")
    response = ana.post(f"/assignments/{aid}/draft", json={"claim": "x", "base_version": 0}, headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert response.status_code == 401 and response.get_json()["error"] == "signed_out"


def test_expired_session_form_submit_comes_back_filled(app, assignment):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    token = csrf_from(ana, f"/assignments/{aid}")
    ana.delete_cookie("debatekit_session")
    response = ana.post(f"/assignments/{aid}/submit", data={
        "claim": "My claim survives", "evidence": ["Evidence survives"], "evidence_source": [""], "evidence_citation": ["A typed citation"],
        "reasoning": "Reasoning survives", "rebuttal": "Rebuttal survives", "draft_version": "0", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for text in ("My claim survives", "Evidence survives", "A typed citation", "Reasoning survives", "Rebuttal survives"):
        assert text in html
    assert 'action="/assignments/%d/submit"' % aid in html


def test_expired_csrf_token_on_submit_re_renders_the_workspace(app, assignment):
    ana, aid = assignment["students"]["ana"], assignment["aid"]
    response = ana.post(f"/assignments/{aid}/submit", data={"claim": "Kept claim", "evidence": ["Kept evidence"], "evidence_source": ["un-charter"],
                                                            "evidence_citation": [""], "reasoning": "Kept reasoning", "rebuttal": "", "draft_version": "0", "csrf_token": "expired"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Kept claim" in html and "Kept evidence" in html and "Kept reasoning" in html
    assert 'value="un-charter" selected' in html
    assert row_of(app, aid, "ana") is None


def test_another_student_cannot_read_or_write_my_draft(app, assignment):
    ana, ben, aid = assignment["students"]["ana"], assignment["students"]["ben"], assignment["aid"]
    autosave(ana, aid, 0, claim="Ana's private draft words")
    assert "Ana's private draft words" not in ben.get(f"/assignments/{aid}").get_data(as_text=True)
    autosave(ben, aid, 0, claim="Ben's own words")
    assert row_of(app, aid, "ana")["claim"] == "Ana's private draft words"
    # A student of another class cannot reach the assignment at all.
    from conftest import create_class, join_as_new_student, join_code_of
    teacher = assignment["teacher"]
    other_class = create_class(teacher, name="Other period")
    outsider = app.test_client()
    join_as_new_student(outsider, join_code_of(teacher, other_class), "outsider")
    assert outsider.get(f"/assignments/{aid}").status_code == 404
    token = csrf_from(outsider, "/")
    assert outsider.post(f"/assignments/{aid}/draft", json={"claim": "x", "base_version": 0}, headers={"X-CSRFToken": token}).status_code == 404
    assert outsider.post(f"/assignments/{aid}/submit", data={"claim": "x", "draft_version": "0", "csrf_token": token}).status_code == 404
    # Teachers do not autosave as students.
    assert teacher.post(f"/assignments/{aid}/draft", json={"claim": "x", "base_version": 0}, headers={"X-CSRFToken": csrf_from(teacher, "/")}).status_code == 404


def test_review_board_feedback_and_release(app, assignment):
    teacher, ana, aid = assignment["teacher"], assignment["students"]["ana"], assignment["aid"]
    submit(ana, aid, 0, claim="Ana's submitted claim")
    board = teacher.get(f"/assignments/{aid}/submissions").get_data(as_text=True)
    assert "Ana's submitted claim" in board
    sub_id = row_of(app, aid, "ana")["id"]
    missing = teacher.get(f"/assignments/{aid}/submissions?filter=missing").get_data(as_text=True)
    assert "Ana's submitted claim" not in missing and "Ben" in missing
    post_form(teacher, f"/submissions/{sub_id}/feedback", {"score_claim": "4", "score_evidence": "3", "score_reasoning": "2", "score_rebuttal": "3", "comment": "Strong claim; tie evidence to it."}, token_from=f"/assignments/{aid}/submissions")
    page = ana.get(f"/assignments/{aid}").get_data(as_text=True)
    assert "Strong claim; tie evidence to it." not in page, "feedback is private until released"
    post_form(teacher, f"/submissions/{sub_id}/feedback", {"score_claim": "4", "score_evidence": "3", "score_reasoning": "2", "score_rebuttal": "3", "comment": "Strong claim; tie evidence to it.", "release": "1"}, token_from=f"/assignments/{aid}/submissions")
    page = ana.get(f"/assignments/{aid}").get_data(as_text=True)
    assert "Strong claim; tie evidence to it." in page and ">12<" in page
    bad = post_form(teacher, f"/submissions/{sub_id}/feedback", {"score_claim": "9"}, token_from=f"/assignments/{aid}/submissions")
    assert bad.status_code == 400
    export = json.loads(teacher.get(f"/assignments/{aid}/export.json").get_data(as_text=True))
    ana_row = next(s for s in export["students"] if s["username"] == "ana")
    assert ana_row["status"] == "submitted" and ana_row["scores"] == {"claim": 4, "evidence": 3, "reasoning": 2, "rebuttal": 3} and ana_row["total"] == 12


def test_students_cannot_reach_review_or_feedback(app, assignment):
    ana, aid, ben = assignment["students"]["ana"], assignment["aid"], assignment["students"]["ben"]
    submit(ana, aid, 0)
    sub_id = row_of(app, aid, "ana")["id"]
    assert ben.get(f"/assignments/{aid}/submissions").status_code == 404
    assert ben.get(f"/assignments/{aid}/grades.csv").status_code == 404
    assert ben.post(f"/submissions/{sub_id}/feedback", data={"comment": "x", "csrf_token": csrf_from(ben, "/")}).status_code == 404
    assert count(app, "SELECT COUNT(*) FROM feedback") == 0


def test_grades_csv_has_bom_header_and_neutralised_cells(app, assignment, db):
    teacher, ana, aid = assignment["teacher"], assignment["students"]["ana"], assignment["aid"]
    db.execute("UPDATE users SET display_name = '=HYPERLINK(\"http://x\")' WHERE username = 'ana'")
    submit(ana, aid, 0)
    sub_id = row_of(app, aid, "ana")["id"]
    post_form(teacher, f"/submissions/{sub_id}/feedback", {"score_claim": "3", "comment": "@SUM(1+1)", "release": "1"}, token_from=f"/assignments/{aid}/submissions")
    raw = teacher.get(f"/assignments/{aid}/grades.csv").data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:6] == ["username", "display_name", "position", "status", "submitted_at", "late"]
    assert rows[0][-2:] == ["total", "comment"] and "claim" in rows[0]
    ana_row = next(r for r in rows if r[0] == "ana")
    assert ana_row[1].startswith("'=") and ana_row[-1] == "'@SUM(1+1)"
    assert ana_row[3] == "submitted"
    for row in rows[1:]:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@")
