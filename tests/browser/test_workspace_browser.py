"""The student workspace in a real browser: autosave, an expired session,
restoring text from the browser's copy, the review board; axe on both."""

from __future__ import annotations

import re

from conftest import add_students, create_assignment, create_class, draw_positions, signup_teacher
from debatekit import db as database
from tests.browser.conftest import assert_accessible


def _setup(app):
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    creds = add_students(teacher, class_id, ["Ana Ruiz", "Ben Li"])
    aid = create_assignment(teacher, class_id, instructions="Use **two** pieces of evidence.")
    draw_positions(teacher, aid, seed=3)
    return creds, aid


def _stored(app, aid, username):
    conn = database.connect(app.config["DATABASE"])
    try:
        return conn.execute(
            "SELECT s.* FROM submissions s JOIN users u ON u.id = s.student_id WHERE s.assignment_id = ? AND u.username = ?", [aid, username]
        ).fetchone()
    finally:
        conn.conn.close()


def _sign_in(page, base, username, password):
    page.goto(base + "/login")
    page.get_by_label("Username").fill(username)
    page.locator("#f-password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_autosave_survives_an_expired_session(live_server, context):
    app, base = live_server.app, live_server.url
    creds, aid = _setup(app)
    username, password = creds[0]
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, base, username, password)
    page.goto(f"{base}/assignments/{aid}")
    assert_accessible(page)

    page.get_by_label("Claim").fill("Consent protects equal states.")
    page.get_by_label("Evidence 1").fill("Article 2(4) bars the use of force.")
    page.get_by_label("Reasoning").click()  # leaving a field saves at once
    status = page.locator("[data-save-status]")
    status.filter(has_text=re.compile(r"Saved at")).wait_for()
    stored = _stored(app, aid, username)
    assert stored["claim"] == "Consent protects equal states."

    # The session ends (cookie gone, as after a timeout), and the student keeps typing.
    context.clear_cookies()
    page.get_by_label("Reasoning").fill("Equality means no state acts on another's land uninvited.")
    page.get_by_label("Claim").click()
    status.filter(has_text="signed out").wait_for()
    assert "kept on this computer" in status.inner_text()
    assert _stored(app, aid, username)["reasoning"] == ""

    # Reload: the sign-in page says the text is waiting; after signing in it is restored and saved.
    page.goto(f"{base}/assignments/{aid}")
    assert "/login" in page.url
    assert page.locator("[data-unsaved-notice]").is_visible()
    page.get_by_label("Username").fill(username)
    page.locator("#f-password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/assignments/{aid}"))
    assert page.get_by_label("Reasoning").input_value() == "Equality means no state acts on another's land uninvited."
    status.filter(has_text=re.compile(r"Saved at")).wait_for()
    assert _stored(app, aid, username)["reasoning"] == "Equality means no state acts on another's land uninvited."
    assert_accessible(page)


def test_second_tab_conflict_shows_both_versions(live_server, context):
    app, base = live_server.app, live_server.url
    creds, aid = _setup(app)
    username, password = creds[0]
    first = context.new_page()
    first.set_default_timeout(15_000)
    _sign_in(first, base, username, password)
    first.goto(f"{base}/assignments/{aid}")
    second = context.new_page()
    second.set_default_timeout(15_000)
    second.goto(f"{base}/assignments/{aid}")

    first.get_by_label("Claim").fill("Written in the first tab")
    first.get_by_label("Reasoning").click()
    first.locator("[data-save-status]").filter(has_text="Saved at").wait_for()

    second.get_by_label("Claim").fill("Written in the second tab")
    second.get_by_label("Reasoning").click()
    alert = second.locator("#conflict-live")
    alert.wait_for()
    assert "Written in the first tab" in alert.inner_text()
    assert second.get_by_label("Claim").input_value() == "Written in the second tab"
    assert _stored(app, aid, username)["claim"] == "Written in the first tab"
    second.get_by_role("button", name="Keep my version").click()
    second.locator("[data-save-status]").filter(has_text="Saved at").wait_for()
    assert _stored(app, aid, username)["claim"] == "Written in the second tab"


def test_submit_then_review_board_and_feedback_are_accessible(live_server, context):
    app, base = live_server.app, live_server.url
    creds, aid = _setup(app)
    username, password = creds[0]
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, base, username, password)
    page.goto(f"{base}/assignments/{aid}")
    page.get_by_label("Claim").fill("Consent **must** come first.")
    page.get_by_label("Evidence 1").fill("The Charter bans force against another state.")
    page.get_by_label("Source 1").select_option(index=1)
    page.get_by_label("Reasoning").fill("Because equality matters.")
    page.get_by_label("Rebuttal").fill("They cite self-defence; it needs an armed attack.")
    page.get_by_role("button", name="Submit argument").click()
    page.get_by_text("Submitted", exact=True).first.wait_for()
    assert "<strong>must</strong>" in page.inner_html(".argument-view")
    assert_accessible(page)

    teacher = context.browser.new_context()
    tpage = teacher.new_page()
    tpage.set_default_timeout(15_000)
    _sign_in(tpage, base, "teacher1", "correct horse battery")
    tpage.goto(f"{base}/assignments/{aid}/submissions")
    assert "Consent" in tpage.content()
    assert_accessible(tpage)
    tpage.goto(f"{base}/assignments/{aid}")
    assert_accessible(tpage)
    teacher.close()
