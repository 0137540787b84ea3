"""Classes, rosters and students without email; authorization of teacher pages."""

from __future__ import annotations

import re

import pytest

from conftest import (
    CLASS_NAME,
    PASSWORD,
    create_class,
    csrf_from,
    join_code_of,
    login,
    post_form,
    signup_teacher,
    table_snapshot,
)
from debatekit.services import accounts, classes


def test_create_class_redirects_and_shows_join_code(app):
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher, name="Period 3 Civics")
    html = teacher.get(f"/classes/{class_id}").get_data(as_text=True)
    code = re.search(r'id="join-code">([^<]+)<', html).group(1)
    assert re.fullmatch(r"[A-Z0-9]{3}-[A-Z0-9]{3}", code)
    assert not set(code.replace("-", "")) & set("0O1IL5S2Z"), "codes avoid look-alike characters"


def test_create_class_error_keeps_name_field_and_lists_zones(app):
    teacher = app.test_client()
    signup_teacher(teacher)
    response = post_form(teacher, "/classes", {"name": "   ", "timezone": "Not/AZone"}, token_from="/classes")
    assert response.status_code == 400
    assert "give the class a name" in response.get_data(as_text=True)


def test_add_students_shows_credentials_once_and_they_work(app, db):
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    token_page = f"/classes/{class_id}"
    html = teacher.get(token_page).get_data(as_text=True)
    batch = re.search(r'name="batch_id" value="([^"]+)"', html).group(1)
    names = "María José Núñez\n\n  Ben Li  \nRuiz, Ana\nBen Li\n"
    response = post_form(teacher, f"/classes/{class_id}/students", {"names": names, "batch_id": batch}, token_from=token_page)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    cards = re.findall(r'<dt>Username</dt><dd class="mono">([^<]+)</dd>\s*<dt>Password</dt><dd class="mono">([^<]+)</dd>', page)
    assert len(cards) == 4
    usernames = [u for u, _ in cards]
    assert usernames[0] == "mariajn", "ASCII username from an accented name"
    assert len(set(usernames)) == 4, "two students named Ben Li get different usernames"
    assert "Ana Ruiz" in page, "'Last, First' becomes 'First Last'"
    for username, password in cards:
        assert len(password) >= accounts.MIN_PASSWORD_LENGTH
        student = app.test_client()
        assert login(student, username, password).status_code == 302
        assert CLASS_NAME in student.get("/").get_data(as_text=True)
    # The same form sent again adds nobody.
    again = post_form(teacher, f"/classes/{class_id}/students", {"names": names, "batch_id": batch}, token_from=token_page)
    assert again.status_code == 302
    assert db.execute("SELECT COUNT(*) FROM enrollments WHERE class_id = ?", [class_id]).fetchone()[0] == 4
    # Passwords are never stored in clear.
    stored = [r[0] for r in db.execute("SELECT password_hash FROM users WHERE role='student'")]
    assert all(password not in h for _, password in cards for h in stored)


def test_reset_password_gives_a_new_working_password(app, classroom):
    teacher, class_id = classroom["teacher"], classroom["class_id"]
    ana_id = classroom["ids"]["ana"]
    response = post_form(teacher, f"/classes/{class_id}/students/{ana_id}/reset-password", token_from=f"/classes/{class_id}")
    page = response.get_data(as_text=True)
    new_password = re.search(r'<dt>Password</dt><dd class="mono">([^<]+)</dd>', page).group(1)
    assert login(app.test_client(), "ana", PASSWORD).status_code == 400, "the old password no longer works"
    assert login(app.test_client(), "ana", new_password).status_code == 302
    # Ana's existing session was ended by the reset.
    assert classroom["students"]["ana"].get("/").get_data(as_text=True).count("Hello, Ana") == 0


def test_rename_and_archive(app, classroom):
    teacher, class_id = classroom["teacher"], classroom["class_id"]
    post_form(teacher, f"/classes/{class_id}/settings", {"name": "Period 4", "timezone": "America/New_York", "paper_size": "a4"}, token_from=f"/classes/{class_id}")
    html = teacher.get(f"/classes/{class_id}").get_data(as_text=True)
    assert "<h1>Period 4" in html and 'value="a4" selected' in html
    post_form(teacher, f"/classes/{class_id}/archive", {"archived": "1"}, token_from=f"/classes/{class_id}")
    assert "archived" in teacher.get(f"/classes/{class_id}").get_data(as_text=True)
    assert "Period 4" not in classroom["students"]["ana"].get("/").get_data(as_text=True)


def _teacher_pages(class_id, student_id):
    gets = ["/classes", f"/classes/{class_id}"]
    posts = [
        (f"/classes/{class_id}/students", {"names": "Intruder Added"}),
        (f"/classes/{class_id}/students/{student_id}/reset-password", {}),
        (f"/classes/{class_id}/students/{student_id}/remove", {}),
        (f"/classes/{class_id}/settings", {"name": "Hijacked", "timezone": "UTC", "paper_size": "letter"}),
        (f"/classes/{class_id}/archive", {"archived": "1"}),
        (f"/classes/{class_id}/join-code", {}),
    ]
    return gets, posts


def test_student_gets_404_on_every_teacher_page_and_nothing_changes(app, classroom):
    class_id, ana = classroom["class_id"], classroom["students"]["ana"]
    gets, posts = _teacher_pages(class_id, classroom["ids"]["ben"])
    before = table_snapshot(app.config["DATABASE"])
    for path in gets:
        response = ana.get(path)
        assert response.status_code == 404, path
        body = response.get_data(as_text=True)
        assert classroom["code"] not in body and "ben" not in body.lower()
    token = csrf_from(ana, "/")
    for path, data in posts:
        assert ana.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    assert table_snapshot(app.config["DATABASE"]) == before


def test_other_teacher_gets_404_for_my_class_and_nothing_changes(app, classroom):
    class_id = classroom["class_id"]
    other = app.test_client()
    signup_teacher(other, username="otherteacher", display_name="Mr. Other")
    own_class = create_class(other, name="Other class")
    gets, posts = _teacher_pages(class_id, classroom["ids"]["ben"])
    before = table_snapshot(app.config["DATABASE"])
    for path in gets[1:]:
        response = other.get(path)
        assert response.status_code == 404
        body = response.get_data(as_text=True)
        assert classroom["code"] not in body and CLASS_NAME not in body
    listing = other.get("/classes").get_data(as_text=True)
    assert CLASS_NAME not in listing and "Other class" in listing
    token = csrf_from(other, "/classes")
    for path, data in posts:
        assert other.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    # A student of my class, reached through the other teacher's own class id, is refused too.
    assert other.post(f"/classes/{own_class}/students/{classroom['ids']['ben']}/reset-password", data={"csrf_token": token}).status_code == 404
    assert table_snapshot(app.config["DATABASE"]) == before


def test_anonymous_is_sent_to_sign_in(client, classroom):
    response = client.get(f"/classes/{classroom['class_id']}")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("bad", ["/classes/0", "/classes/99999999999999999999999", "/classes/-1", "/classes/abc"])
def test_odd_ids_are_404_not_500(app, classroom, bad):
    assert classroom["teacher"].get(bad).status_code == 404


def test_username_base_and_parse_names():
    assert accounts.username_base("Zoë O'Brien-Smith") == "zoeo"
    assert accounts.username_base("李雷") == "student"
    assert classes.parse_names("a\n\n b \r\nLast, First\t\n") == ["a", "b", "First Last"]


def test_scrypt_is_the_production_hash(tmp_path):
    from conftest import make_app

    app = make_app(tmp_path, PASSWORD_HASH_METHOD=None)
    with app.app_context():
        hashed = accounts.hash_password("a long passphrase " * 20)
    assert hashed.startswith("scrypt:")
    from werkzeug.security import check_password_hash

    assert check_password_hash(hashed, "a long passphrase " * 20)
    assert not check_password_hash(hashed, ("a long passphrase " * 20)[:-1]), "no truncation of long passphrases"


def test_reset_refused_for_a_student_shared_with_another_teacher_and_cli_resets(app, classroom):
    other = app.test_client()
    signup_teacher(other, username="otherteacher")
    other_class = create_class(other, name="Other class")
    ana = classroom["students"]["ana"]
    post_form(ana, "/join", {"join_code": join_code_of(other, other_class)}, token_from="/join")
    response = post_form(classroom["teacher"], f"/classes/{classroom['class_id']}/students/{classroom['ids']['ana']}/reset-password", token_from=f"/classes/{classroom['class_id']}")
    assert response.status_code == 403
    assert login(app.test_client(), "ana", PASSWORD).status_code == 302, "the password is unchanged"
    result = app.test_cli_runner().invoke(args=["reset-password", "ana"])
    assert result.exit_code == 0, result.output
    new_password = re.search(r"New temporary password for ana: (\S+)", result.output).group(1)
    assert login(app.test_client(), "ana", new_password).status_code == 302
    assert login(app.test_client(), "ana", PASSWORD).status_code == 400
