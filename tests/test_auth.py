"""Sign-up, sign-in, sign-out, throttling, CSRF and join: the contract of DESIGN.md §7."""

from __future__ import annotations

import re

import pytest

from conftest import PASSWORD, create_class, join_as_new_student, join_code_of, login, logout, make_app, post_form, signup_teacher


def test_landing_offers_signup_join_and_library(client):
    html = client.get("/").get_data(as_text=True)
    assert "Create a teacher account" in html
    assert "Join a class" in html
    assert 'href="/lessons"' in html


def test_signup_signs_in_and_redirects_to_classes(client):
    response = signup_teacher(client)
    assert response.headers["Location"].endswith("/classes")
    page = client.get("/").get_data(as_text=True)
    assert "Hello, Ms. Rivera" in page


def test_signup_errors_keep_typed_values_but_not_password(client):
    response = post_form(
        client,
        "/signup",
        {"username": "teach", "display_name": "Mr. Ortiz", "password": "short", "password_confirm": "short"},
        token_from="/signup",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "at least 8 characters" in html
    assert 'value="Mr. Ortiz"' in html and 'value="teach"' in html
    assert 'value="short"' not in html


def test_signup_rejects_taken_username_case_insensitively(app):
    signup_teacher(app.test_client(), username="rivera")
    other = app.test_client()
    response = post_form(
        other, "/signup",
        {"username": "RIVERA", "display_name": "Someone", "password": PASSWORD, "password_confirm": PASSWORD},
        token_from="/signup",
    )
    assert response.status_code == 400
    assert "taken" in response.get_data(as_text=True)


def test_signup_can_be_closed_or_invite_only(tmp_path):
    closed = make_app(tmp_path / "a", SIGNUP_MODE="closed").test_client()
    assert closed.get("/signup").status_code == 403
    invite = make_app(tmp_path / "b", SIGNUP_MODE="invite", SIGNUP_INVITE_CODE="civics-2026").test_client()
    data = {"username": "t1", "display_name": "T", "password": PASSWORD, "password_confirm": PASSWORD}
    wrong = post_form(invite, "/signup", {**data, "invite_code": "nope"}, token_from="/signup")
    assert wrong.status_code == 400 and "invite code" in wrong.get_data(as_text=True)
    right = post_form(invite, "/signup", {**data, "invite_code": "civics-2026"}, token_from="/signup")
    assert right.status_code == 302


def test_post_without_csrf_token_is_refused_with_400_and_nothing_created(client, db):
    response = client.post(
        "/signup", data={"username": "x1", "display_name": "Typed Name", "password": PASSWORD, "password_confirm": PASSWORD}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Typed Name" in html, "the typed text must come back with the refusal"
    assert PASSWORD not in html
    assert db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0


def test_expired_csrf_token_on_add_students_keeps_the_names(app):
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    response = teacher.post(f"/classes/{class_id}/students", data={"names": "Ana Ruiz\nBen Li", "csrf_token": "stale"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Ana Ruiz\nBen Li" in html
    assert "expired" in html


def test_login_logout_and_old_cookie_stops_working(app):
    client = app.test_client()
    signup_teacher(client, username="rivera")
    logout(client)
    assert login(client, "rivera").status_code == 302
    saved_cookie = client.get_cookie("debatekit_session").value
    assert client.get("/classes").status_code == 200
    logout(client)
    # Replay the cookie saved before sign-out, as someone at a shared laptop could.
    thief = app.test_client()
    thief.set_cookie("debatekit_session", saved_cookie)
    response = thief.get("/classes")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_ends_other_sessions(app):
    laptop, phone = app.test_client(), app.test_client()
    signup_teacher(laptop, username="rivera")
    login(phone, "rivera")
    assert phone.get("/classes").status_code == 200
    response = post_form(
        laptop, "/account",
        {"current_password": PASSWORD, "new_password": "a much longer passphrase", "password_confirm": "a much longer passphrase"},
        token_from="/account",
    )
    assert response.status_code == 302
    assert laptop.get("/classes").status_code == 200, "the device that changed it stays signed in"
    assert phone.get("/classes").status_code == 302, "other devices are signed out"
    logout(laptop)
    assert login(laptop, "rivera", "a much longer passphrase").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "///evil.example", "https://evil.example/", "javascript:alert(1)", "/\t/evil.example"])
def test_next_only_accepts_local_paths(app, target):
    client = app.test_client()
    signup_teacher(client, username="rivera")
    logout(client)
    response = post_form(client, "/login", {"username": "rivera", "password": PASSWORD, "next": target}, token_from="/login")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location and "javascript" not in location
    assert location == "/" or location.endswith("localhost/")


def test_next_local_path_is_followed(app):
    client = app.test_client()
    signup_teacher(client, username="rivera")
    class_id = create_class(client)
    logout(client)
    response = post_form(client, "/login", {"username": "rivera", "password": PASSWORD, "next": f"/classes/{class_id}"}, token_from="/login")
    assert response.headers["Location"].endswith(f"/classes/{class_id}")


def test_ten_wrong_passwords_lock_the_account_without_revealing_it_exists(app):
    client = app.test_client()
    signup_teacher(client, username="rivera")
    logout(client)
    messages_known, messages_unknown = [], []
    for _ in range(10):
        messages_known.append(login(client, "rivera", "wrong password!").get_data(as_text=True))
        messages_unknown.append(login(client, "nobody-here", "wrong password!").get_data(as_text=True))
    # Same messages for an account that exists and one that does not.
    strip = lambda html: re.sub(r'name="csrf_token" value="[^"]+"|value="[^"]*"', "", html)  # noqa: E731
    assert strip(messages_known[0]) == strip(messages_unknown[0])
    assert strip(messages_known[-1]) == strip(messages_unknown[-1])
    assert "Too many sign-in attempts" in messages_known[-1]
    # Now even the right password is refused, for a while.
    locked = login(client, "rivera", PASSWORD)
    assert locked.status_code == 400 and "Too many sign-in attempts" in locked.get_data(as_text=True)


def test_lockout_expires(app, db):
    client = app.test_client()
    signup_teacher(client, username="rivera")
    logout(client)
    for _ in range(10):
        login(client, "rivera", "wrong password!")
    assert login(client, "rivera").status_code == 400
    # Age the failures past the window, as if 15 minutes had passed.
    db.execute("UPDATE login_failures SET failed_at = '2000-01-01T00:00:00+00:00'")
    assert login(client, "rivera").status_code == 302


def test_join_creates_student_signs_in_and_enrolls(app, db):
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher, name="Civics A")
    code = join_code_of(teacher, class_id)
    student = app.test_client()
    # Codes are forgiving: lower case and spaces are fine.
    response = join_as_new_student(student, code.lower().replace("-", " "), "anar27", "Ana R.")
    assert response.status_code == 302
    assert "Civics A" in student.get("/").get_data(as_text=True)
    row = db.execute("SELECT role FROM users WHERE username = 'anar27'").fetchone()
    assert row["role"] == "student"
    roster = teacher.get(f"/classes/{class_id}").get_data(as_text=True)
    assert "Ana R." in roster and "anar27" in roster


def test_signed_in_student_joins_a_second_class(app, db):
    teacher = app.test_client()
    signup_teacher(teacher)
    first, second = create_class(teacher, name="Civics A"), create_class(teacher, name="World History")
    student = app.test_client()
    join_as_new_student(student, join_code_of(teacher, first), "anar27")
    response = post_form(student, "/join", {"join_code": join_code_of(teacher, second)}, token_from="/join")
    assert response.status_code == 302
    count = db.execute("SELECT COUNT(*) FROM enrollments e JOIN users u ON u.id = e.student_id WHERE u.username='anar27'").fetchone()[0]
    assert count == 2


def test_join_with_wrong_code_keeps_typed_fields(client, db):
    response = join_as_new_student(client, "ZZZ-ZZZ", "anar27", "Ana R.")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "does not match an open class" in html
    assert 'value="anar27"' in html and 'value="Ana R."' in html
    assert db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0


def test_archived_class_cannot_be_joined(app):
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    code = join_code_of(teacher, class_id)
    post_form(teacher, f"/classes/{class_id}/archive", {"archived": "1"}, token_from=f"/classes/{class_id}")
    response = join_as_new_student(app.test_client(), code, "late1")
    assert response.status_code == 400


def test_security_headers_on_every_page(client):
    for path in ("/", "/login", "/signup", "/join", "/lessons", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_load_nothing_from_another_origin(client):
    for path in ("/", "/login", "/signup", "/join", "/lessons"):
        html = client.get(path).get_data(as_text=True)
        for attr in re.findall(r'(?:src|href)="([^"]+)"', html):
            if attr.startswith(("http://", "https://", "//")):
                # Only links a person clicks (anchors) may leave the site; nothing is loaded from elsewhere.
                assert f'<a href="{attr}"' in html or f'href="{attr}" rel=' in html, attr
        assert "<script src=\"http" not in html and "<link rel=\"stylesheet\" href=\"http" not in html


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/definitely/not/here")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
