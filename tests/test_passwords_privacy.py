"""Passwords and privacy.

Passwords: at least 8 characters wherever one is set; long passphrases kept
whole (no truncation); the production hash (scrypt) verifies on this image.
Privacy: no email or birth date column; a student downloads all of their own
data and nothing of anyone else's; a teacher (or the command line) deletes a
student and afterwards no table holds a trace of them; logs never hold
argument text, passwords or cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import sqlite3
import threading
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from werkzeug.security import check_password_hash

from conftest import (
    PASSWORD,
    create_assignment,
    create_class,
    draw_positions,
    join_as_new_student,
    join_code_of,
    login,
    logout,
    make_app,
    post_form,
    signup_teacher,
    table_snapshot,
)
from debatekit import db as database
from debatekit.services import accounts

SEVEN = "Sev3n!x"
EIGHT = "Eight8!x"
VERSION_RE = re.compile(r'name="draft_version" value="(\d+)"')


def rows(db_path, sql, args=()):
    conn = database.connect(db_path)
    try:
        return [dict(r) for r in conn.execute(sql, args).fetchall()]
    finally:
        conn.conn.close()


def user_count(app, username):
    return rows(app.config["DATABASE"], "SELECT COUNT(*) AS n FROM users WHERE username = ?", [username])[0]["n"]


def page(response) -> str:
    return response.get_data(as_text=True)


def passphrase(length: int, last: str = "Z") -> str:
    """A passphrase of exactly `length` characters with accents, CJK and emoji, ending in `last`."""
    unit = "soberan\u00eda \u4e3b\u6a29 \U0001F30E consent "
    text = (unit * (length // len(unit) + 1))[: length - 1]
    return text + last


# --- passwords -------------------------------------------------------------------------------------


def test_seven_characters_are_refused_everywhere_a_password_is_set(app):
    assert len(SEVEN) == 7 and len(EIGHT) == 8
    anon = app.test_client()
    response = post_form(anon, "/signup", {"username": "shortpw", "display_name": "Short", "password": SEVEN, "password_confirm": SEVEN},
                         token_from="/signup")
    assert response.status_code == 400 and "at least 8 characters" in page(response)
    assert user_count(app, "shortpw") == 0

    teacher = app.test_client()
    signup_teacher(teacher)
    code = join_code_of(teacher, create_class(teacher))
    response = join_as_new_student(app.test_client(), code, "shortjoin", password=SEVEN)
    assert response.status_code == 400 and "at least 8 characters" in page(response)
    assert user_count(app, "shortjoin") == 0

    response = post_form(teacher, "/account", {"current_password": PASSWORD, "new_password": SEVEN, "password_confirm": SEVEN}, token_from="/account")
    assert response.status_code == 400 and "at least 8 characters" in page(response)
    logout(teacher)
    assert login(teacher, "teacher1", SEVEN).status_code == 400
    assert login(teacher, "teacher1").status_code == 302

    result = app.test_cli_runner().invoke(args=["create-teacher", "--username", "clishort", "--display-name", "C", "--password", SEVEN])
    assert result.exit_code != 0 and "at least 8 characters" in result.output
    assert user_count(app, "clishort") == 0

    # Exactly eight is enough, in each place.
    response = post_form(app.test_client(), "/signup", {"username": "eightpw", "display_name": "E", "password": EIGHT, "password_confirm": EIGHT},
                         token_from="/signup")
    assert response.status_code == 302
    assert join_as_new_student(app.test_client(), code, "eightjoin", password=EIGHT).status_code == 302
    response = post_form(teacher, "/account", {"current_password": PASSWORD, "new_password": EIGHT, "password_confirm": EIGHT}, token_from="/account")
    assert response.status_code == 302
    # Temporary passwords handed out by teachers are long enough too.
    assert min(len(accounts.temporary_password()) for _ in range(500)) >= 8


@pytest.mark.parametrize("length", [200, 1000])
def test_long_passphrases_are_kept_whole(app, length):
    secret = passphrase(length)
    assert len(secret) == length and len(secret.encode()) > length
    near_miss = secret[:-1] + "Y"
    prefix = secret[:72]

    teacher = app.test_client()
    response = post_form(teacher, "/signup", {"username": "longpass", "display_name": "Long", "password": secret, "password_confirm": secret},
                         token_from="/signup")
    assert response.status_code == 302
    logout(teacher)
    assert login(teacher, "longpass", near_miss).status_code == 400, "a password differing only in its last character must fail"
    assert login(teacher, "longpass", prefix).status_code == 400, "no truncation to 72 bytes"
    assert login(teacher, "longpass", secret).status_code == 302

    # A student joins with one, and a changed password is kept whole as well.
    code = join_code_of(teacher, create_class(teacher))
    student = app.test_client()
    assert join_as_new_student(student, code, "longjoin", password=secret).status_code == 302
    changed = passphrase(length, last="Q")
    response = post_form(student, "/account", {"current_password": secret, "new_password": changed, "password_confirm": changed}, token_from="/account")
    assert response.status_code == 302
    logout(student)
    assert login(student, "longjoin", secret).status_code == 400
    assert login(student, "longjoin", changed[:-1] + "R").status_code == 400
    assert login(student, "longjoin", changed).status_code == 302


def test_passwords_over_the_cap_get_a_clear_message(app):
    too_long = passphrase(accounts.MAX_PASSWORD_LENGTH + 1)
    response = post_form(app.test_client(), "/signup", {"username": "toolong", "display_name": "T", "password": too_long, "password_confirm": too_long},
                         token_from="/signup")
    assert response.status_code == 400 and f"at most {accounts.MAX_PASSWORD_LENGTH} characters" in page(response)
    assert login(app.test_client(), "toolong", too_long).status_code == 400
    at_cap = passphrase(accounts.MAX_PASSWORD_LENGTH)
    client = app.test_client()
    assert post_form(client, "/signup", {"username": "atcap", "display_name": "T", "password": at_cap, "password_confirm": at_cap},
                     token_from="/signup").status_code == 302
    logout(client)
    assert login(client, "atcap", at_cap).status_code == 302


def scrypt_matches(stored: str, password: str) -> bool:
    """Verify a werkzeug scrypt hash with nothing but hashlib (what the deployment image must provide)."""
    method, salt, digest = stored.split("$")
    name, n, r, p = method.split(":")
    assert name == "scrypt"
    n, r, p = int(n), int(r), int(p)
    computed = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p).hex()
    return hmac.compare_digest(computed, digest)


def test_production_hash_is_scrypt_and_verifies_on_this_image(tmp_path, monkeypatch):
    monkeypatch.setattr(accounts, "PASSWORD_HASH_METHOD", accounts.PASSWORD_HASH_METHOD)  # restored after the test
    # A non-testing app ignores a configured cheap hash: production is always scrypt.
    make_app(tmp_path / "prod", TESTING=False)
    assert accounts.PASSWORD_HASH_METHOD == "scrypt"
    # A testing app without the cheap method configured uses the production hash too.
    app = make_app(tmp_path / "scrypt", PASSWORD_HASH_METHOD=None)
    assert accounts.PASSWORD_HASH_METHOD == "scrypt"
    secret = passphrase(300)
    teacher = app.test_client()
    response = post_form(teacher, "/signup", {"username": "scryptuser", "display_name": "S", "password": secret, "password_confirm": secret},
                         token_from="/signup")
    assert response.status_code == 302
    class_id = create_class(teacher)
    response = post_form(teacher, f"/classes/{class_id}/students", {"names": "Rosa Parkinson"}, token_from=f"/classes/{class_id}")
    temp = re.search(r'<dt>Password</dt><dd class="mono">([^<]+)</dd>', page(response)).group(1)
    hashes = {r["username"]: r["password_hash"] for r in rows(app.config["DATABASE"], "SELECT username, password_hash FROM users")}
    for username, password in (("scryptuser", secret), ("rosap", temp)):
        stored = hashes[username]
        assert stored.startswith("scrypt:32768:8:1$"), stored[:20]
        assert password not in stored
        assert check_password_hash(stored, password)
        assert not check_password_hash(stored, password[:-1] + "!")
        assert scrypt_matches(stored, password) and not scrypt_matches(stored, password + " ")
    logout(teacher)
    assert login(teacher, "scryptuser", secret).status_code == 302
    assert login(app.test_client(), "rosap", temp).status_code == 302


# --- what is stored ----------------------------------------------------------------------------------

EXPECTED_USER_COLUMNS = {"id", "username", "display_name", "role", "password_hash", "session_token", "created_at", "password_changed_at"}
PERSONAL_WORDS = {"email", "mail", "birth", "birthday", "birthdate", "dob", "age", "phone", "mobile", "address", "street",
                  "gender", "sex", "ssn", "photo", "avatar", "parent", "guardian", "ip"}


def test_no_email_birth_date_or_other_personal_columns(app):
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = {t: [r[1] for r in conn.execute(f"PRAGMA table_info([{t}])")] for t in tables}
    finally:
        conn.close()
    assert set(columns["users"]) == EXPECTED_USER_COLUMNS, "a new column about people needs a privacy review (PRIVACY.md)"
    for table, names in columns.items():
        for name in names:
            words = set(re.split(r"[_\W]+", name.lower()))
            assert not words & PERSONAL_WORDS, f"{table}.{name}"


# --- a classroom with distinctive names and texts, for export and deletion ---------------------------

NAMES = {"anabelq": "Anabel Quintero-Vasquez", "benq": "Benedikt Quarrington", "coral": "Cora Lindqvist"}


def texts_of(username: str) -> dict:
    tag = username.upper()
    return {
        "claim": f"{tag} claim: sovereignty needs consent",
        "evidence": f"{tag} evidence from the charter",
        "reasoning": f"{tag} reasoning about the treaty",
        "rebuttal": f"{tag} rebuttal to the other side",
        "draft": f"{tag} unfinished second draft",
    }


def submit(client, aid, fields: dict):
    html = page(client.get(f"/assignments/{aid}"))
    data = {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
        "draft_version": VERSION_RE.search(html).group(1),
        "claim": fields["claim"], "evidence": fields["evidence"], "evidence_source": "un-charter", "evidence_citation": "",
        "reasoning": fields["reasoning"], "rebuttal": fields["rebuttal"],
    }
    response = client.post(f"/assignments/{aid}/submit", data=data)
    assert response.status_code == 302, page(response)[:2000]


def autosave(client, aid, claim):
    html = page(client.get(f"/assignments/{aid}"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    version = int(VERSION_RE.search(html).group(1))
    response = client.post(f"/assignments/{aid}/draft", json={"claim": claim, "base_version": version},
                           headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert response.status_code == 200, page(response)


def feedback(teacher, db_path, aid, username, comment, release):
    sub = rows(db_path, "SELECT s.id FROM submissions s JOIN users u ON u.id = s.student_id WHERE s.assignment_id = ? AND u.username = ?",
               [aid, username])[0]["id"]
    data = {"score_claim": "3", "comment": comment}
    if release:
        data["release"] = "1"
    response = post_form(teacher, f"/submissions/{sub}/feedback", data, token_from=f"/assignments/{aid}/submissions")
    assert response.status_code == 302


@pytest.fixture
def school(app):
    """Ms. Rivera's class (anabelq, benq, coral) with two assignments, submissions and feedback,
    one comment released and one not; anabelq also has a draft, a second class and a failed sign-in."""
    db_path = app.config["DATABASE"]
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher, "Period 5 Civics")
    code = join_code_of(teacher, class_id)
    students = {}
    for username, display in NAMES.items():
        client = app.test_client()
        assert join_as_new_student(client, code, username, display_name=display).status_code == 302
        students[username] = client
    second_class = create_class(teacher, "Debate Club")
    assert post_form(students["anabelq"], "/join", {"join_code": join_code_of(teacher, second_class)}, token_from="/join").status_code == 302
    a1 = create_assignment(teacher, class_id)
    draw_positions(teacher, a1, seed=11)
    a2 = create_assignment(teacher, class_id)
    draw_positions(teacher, a2, seed=12)
    for username in ("anabelq", "benq"):
        submit(students[username], a1, texts_of(username))
        feedback(teacher, db_path, a1, username, f"Released comment for {username.upper()}", release=True)
    submit(students["anabelq"], a2, {**texts_of("anabelq"), "claim": "ANABELQ second claim on another motion"})
    feedback(teacher, db_path, a2, "anabelq", "Unreleased comment ANABELQ private note", release=False)
    a3 = create_assignment(teacher, class_id)
    autosave(students["anabelq"], a3, texts_of("anabelq")["draft"])
    autosave(students["benq"], a3, texts_of("benq")["draft"])
    # A failed sign-in with the username typed in capitals is kept for throttling.
    assert login(app.test_client(), "AnabelQ", "wrong password here").status_code == 400
    ids = {r["username"]: r["id"] for r in rows(db_path, "SELECT id, username FROM users")}
    return SimpleNamespace(app=app, db_path=db_path, teacher=teacher, students=students, class_id=class_id,
                           second_class=second_class, a1=a1, a2=a2, a3=a3, ids=ids)


def secrets_of_user(db_path, username) -> list[str]:
    row = rows(db_path, "SELECT password_hash, session_token FROM users WHERE username = ?", [username])[0]
    return [row["password_hash"], row["session_token"]]


def test_student_downloads_all_of_their_own_data_and_nothing_else(school):
    ana = school.students["anabelq"]
    response = ana.get("/account/my-data.json")
    assert response.status_code == 200 and response.is_json
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    text = json.dumps(data, ensure_ascii=False)

    assert data["account"]["username"] == "anabelq" and data["account"]["display_name"] == NAMES["anabelq"]
    assert {c["class"] for c in data["classes"]} == {"Period 5 Civics", "Debate Club"}
    stored_positions = rows(school.db_path, "SELECT assignment_id, position FROM positions WHERE student_id = ?", [school.ids["anabelq"]])
    assert {(p["assignment_id"], p["position"]) for p in data["positions"]} == {(p["assignment_id"], p["position"]) for p in stored_positions}
    assert all(p["position"] in ("pro", "con") for p in data["positions"])
    by_assignment = {s["assignment_id"]: s for s in data["submissions"]}
    mine = texts_of("anabelq")
    first = by_assignment[school.a1]
    assert first["status"] == "submitted"
    assert first["submitted_versions"][0]["claim"] == mine["claim"]
    assert first["submitted_versions"][0]["evidence"] == [{"text": mine["evidence"], "source": "un-charter"}]
    assert first["submitted_versions"][0]["reasoning"] == mine["reasoning"] and first["submitted_versions"][0]["rebuttal"] == mine["rebuttal"]
    assert first["feedback"]["comment"] == "Released comment for ANABELQ" and first["feedback"]["scores"] == {"claim": 3}
    assert by_assignment[school.a2]["feedback"] is None, "unreleased feedback stays with the teacher"
    assert by_assignment[school.a3]["current_text"]["claim"] == mine["draft"]
    assert "Unreleased comment" not in text

    # Nothing of anyone else: not their names, usernames, texts or feedback, nor any secret.
    for other in ("benq", "coral"):
        assert other not in text.lower() and NAMES[other] not in text
        assert all(value not in text for value in texts_of(other).values())
    assert "BENQ" not in text
    for secret in secrets_of_user(school.db_path, "anabelq") + secrets_of_user(school.db_path, "teacher1"):
        assert secret not in text
    assert "password_hash" not in text and "session_token" not in text


def test_only_students_download_their_data(school):
    assert school.teacher.get("/account/my-data.json").status_code == 302
    anon = school.app.test_client().get("/account/my-data.json")
    assert anon.status_code == 302 and "/login" in anon.headers["Location"]


def every_value(db_path):
    """(table, column, value) for every cell of every table, sqlite's own tables included."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cursor = conn.execute(f"SELECT * FROM [{table}]")
            names = [d[0] for d in cursor.description]
            for row in cursor:
                for name, value in zip(names, row):
                    yield table, name, value
    finally:
        conn.close()


def user_reference_columns(db_path) -> set[tuple[str, str]]:
    """Every column that refers to users(id), found from the schema's foreign keys."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        found = {("users", "id")}
        for table in tables:
            for fk in conn.execute(f"PRAGMA foreign_key_list([{table}])"):
                if fk[2] == "users":
                    found.add((table, fk[3]))
        return found
    finally:
        conn.close()


def assert_no_trace(db_path, username: str, display_name: str, student_id: int, texts: list[str]):
    refs = user_reference_columns(db_path)
    assert {("enrollments", "student_id"), ("positions", "student_id"), ("submissions", "student_id"), ("classes", "teacher_id")} <= refs
    needles = [username.lower(), display_name.lower(), *(t.lower() for t in texts)]
    cells = 0
    for table, column, value in every_value(db_path):
        cells += 1
        if (table, column) in refs:
            assert value != student_id, f"{table}.{column} still refers to the deleted student"
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            lowered = value.lower()
            for needle in needles:
                assert needle not in lowered, f"{table}.{column} still holds {needle!r}"
    assert cells > 50  # the scan did look at a populated database


def test_teacher_deletes_a_student_and_no_table_keeps_a_trace(school):
    ana_id = school.ids["anabelq"]
    assert rows(school.db_path, "SELECT COUNT(*) AS n FROM login_failures WHERE key = 'user:anabelq'")[0]["n"] == 1
    path = f"/classes/{school.class_id}/students/{ana_id}/delete"
    before = table_snapshot(school.db_path)
    for wrong in ("", "anabel", "ANABELQ ", NAMES["anabelq"]):
        response = post_form(school.teacher, path, {"confirm": wrong}, token_from=f"/classes/{school.class_id}")
        assert response.status_code == 302 and response.headers["Location"].endswith("#delete-student")
    assert table_snapshot(school.db_path) == before, "no deletion without the username typed"

    response = post_form(school.teacher, path, {"confirm": "anabelq"}, token_from=f"/classes/{school.class_id}")
    assert response.status_code == 302
    texts = [*texts_of("anabelq").values(), "ANABELQ second claim on another motion", "Released comment for ANABELQ",
             "Unreleased comment ANABELQ private note", "ANABELQ"]
    assert_no_trace(school.db_path, "anabelq", NAMES["anabelq"], ana_id, texts)

    # Everyone else is untouched.
    ben = rows(school.db_path, "SELECT s.claim FROM submissions s JOIN users u ON u.id = s.student_id WHERE u.username = 'benq' AND s.assignment_id = ?", [school.a1])
    assert ben == [{"claim": texts_of("benq")["claim"]}]
    assert rows(school.db_path, "SELECT COUNT(*) AS n FROM feedback f JOIN submissions s ON s.id = f.submission_id JOIN users u ON u.id = s.student_id WHERE u.username = 'benq'")[0]["n"] == 1
    assert {r["name"] for r in rows(school.db_path, "SELECT name FROM classes")} == {"Period 5 Civics", "Debate Club"}
    # Her old cookie no longer signs anyone in.
    response = school.students["anabelq"].get(f"/assignments/{school.a1}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert login(school.app.test_client(), "anabelq").status_code == 400
    with sqlite3.connect(school.db_path) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_deleted_text_is_gone_from_the_database_files_too(school):
    """Not only the tables: SQLite leaves deleted rows in free pages and in the
    write-ahead log unless told otherwise. A deleted student's words must not be
    recoverable from the instance folder with a hex editor."""
    ana_id = school.ids["anabelq"]
    response = post_form(school.teacher, f"/classes/{school.class_id}/students/{ana_id}/delete", {"confirm": "anabelq"}, token_from="/")
    assert response.status_code == 302
    folder = Path(school.db_path).parent
    files = [p for p in folder.iterdir() if p.name.startswith(Path(school.db_path).name)]
    blob = b"".join(p.read_bytes() for p in files)
    for needle in [*texts_of("anabelq").values(), "Unreleased comment ANABELQ", NAMES["anabelq"], "anabelq"]:
        assert needle.encode() not in blob, f"{needle!r} is still in the database files"
    assert texts_of("benq")["claim"].encode() in blob  # the scan reads the real files


def test_a_student_in_another_teachers_class_cannot_be_deleted_by_one_teacher(school):
    other = school.app.test_client()
    signup_teacher(other, "teacher2", "Mr. Okafor")
    other_class = create_class(other, "Mr. Okafor's Period 1")
    assert post_form(school.students["benq"], "/join", {"join_code": join_code_of(other, other_class)}, token_from="/join").status_code == 302
    ben_id = school.ids["benq"]
    before = table_snapshot(school.db_path)
    response = post_form(school.teacher, f"/classes/{school.class_id}/students/{ben_id}/delete", {"confirm": "benq"}, token_from="/")
    assert response.status_code == 400
    assert "also in another teacher&#39;s class" in page(response)
    assert table_snapshot(school.db_path) == before
    # The other teacher cannot either, and cannot reach the student through a class they do not own.
    response = post_form(other, f"/classes/{other_class}/students/{ben_id}/delete", {"confirm": "benq"}, token_from="/")
    assert response.status_code == 400
    response = post_form(other, f"/classes/{school.class_id}/students/{ben_id}/delete", {"confirm": "benq"}, token_from="/")
    assert response.status_code == 404
    assert table_snapshot(school.db_path) == before
    assert login(school.app.test_client(), "benq").status_code == 302


def test_join_codes_cannot_be_guessed_at_speed(tmp_path):
    """A join code opens a class's roster (teammates' names) to whoever has it, so wrong
    codes are counted per network address like failed sign-ins."""
    app = make_app(tmp_path, JOIN_FAILURES_PER_ADDRESS=5)
    teacher = app.test_client()
    signup_teacher(teacher)
    code = join_code_of(teacher, create_class(teacher))
    wrong = "XXX-XXX" if code != "XXX-XXX" else "YYY-YYY"
    guesser = {"REMOTE_ADDR": "127.0.0.2"}
    for n in range(5):
        response = post_form(app.test_client(), "/join", {"join_code": wrong, "display_name": "G", "username": f"guess{n}", "password": PASSWORD},
                             token_from="/join", environ_base=guesser)
        assert response.status_code == 400 and "does not match an open class" in page(response)
    response = post_form(app.test_client(), "/join", {"join_code": code, "display_name": "Lucky Guess", "username": "luckyguess", "password": PASSWORD},
                         token_from="/join", environ_base=guesser)
    assert response.status_code == 429
    assert "Too many wrong join codes" in page(response) and "Lucky Guess" in page(response)
    assert user_count(app, "luckyguess") == 0
    # Another address (another school) is not affected; a signed-in student is counted too.
    other = app.test_client()
    assert post_form(other, "/join", {"join_code": code, "display_name": "Real Student", "username": "realstudent", "password": PASSWORD},
                     token_from="/join", environ_base={"REMOTE_ADDR": "127.0.0.3"}).status_code == 302
    response = post_form(other, "/join", {"join_code": code}, token_from="/join", environ_base=guesser)
    assert response.status_code == 429
    # The count lasts for the sign-in window only.
    conn = database.connect(app.config["DATABASE"])
    with database.write_transaction(conn):
        conn.execute("UPDATE login_failures SET failed_at = '2000-01-01T00:00:00+00:00'")
    conn.conn.close()
    response = post_form(app.test_client(), "/join", {"join_code": code, "display_name": "Lucky Later", "username": "luckylater", "password": PASSWORD},
                         token_from="/join", environ_base=guesser)
    assert response.status_code == 302
    assert make_app(tmp_path / "defaults").config["JOIN_FAILURES_PER_ADDRESS"] == 100


# --- the command line ------------------------------------------------------------------------------------


def test_cli_export_and_delete_student(school, tmp_path):
    runner = school.app.test_cli_runner()
    result = runner.invoke(args=["export-student", "anabelq"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["account"]["username"] == "anabelq"
    by_assignment = {s["assignment_id"]: s for s in data["submissions"]}
    assert by_assignment[school.a1]["submitted_versions"][0]["claim"] == texts_of("anabelq")["claim"]
    # Whoever runs the kit sees everything stored, unreleased feedback included.
    assert by_assignment[school.a2]["feedback"]["comment"] == "Unreleased comment ANABELQ private note"
    assert "benq" not in result.output.lower() and NAMES["benq"] not in result.output
    for secret in secrets_of_user(school.db_path, "anabelq"):
        assert secret not in result.output

    target = tmp_path / "export" / "anabelq.json"
    target.parent.mkdir()
    result = runner.invoke(args=["export-student", "anabelq", "--output", str(target)])
    assert result.exit_code == 0 and json.loads(target.read_text(encoding="utf-8"))["account"]["display_name"] == NAMES["anabelq"]

    for unknown in ("nobody", "teacher1", ""):
        result = runner.invoke(args=["export-student", unknown])
        assert result.exit_code != 0 and "No student with the username" in result.output
        result = runner.invoke(args=["delete-student", unknown, "--yes"])
        assert result.exit_code != 0 and "No student with the username" in result.output
    assert user_count(school.app, "teacher1") == 1

    before = table_snapshot(school.db_path)
    result = runner.invoke(args=["delete-student", "anabelq"], input="n\n")
    assert result.exit_code != 0 and "Aborted" in result.output
    assert table_snapshot(school.db_path) == before

    result = runner.invoke(args=["delete-student", "anabelq", "--yes"])
    assert result.exit_code == 0 and "Deleted anabelq" in result.output
    texts = [*texts_of("anabelq").values(), "ANABELQ second claim on another motion", "Unreleased comment ANABELQ private note", "ANABELQ"]
    assert_no_trace(school.db_path, "anabelq", NAMES["anabelq"], school.ids["anabelq"], texts)
    # The command line may delete a student who is in several teachers' classes.
    other = school.app.test_client()
    signup_teacher(other, "teacher2", "Mr. Okafor")
    other_class = create_class(other, "Elsewhere")
    assert post_form(school.students["benq"], "/join", {"join_code": join_code_of(other, other_class)}, token_from="/join").status_code == 302
    result = runner.invoke(args=["delete-student", "benq", "--yes"])
    assert result.exit_code == 0
    assert_no_trace(school.db_path, "benq", NAMES["benq"], school.ids["benq"], [*texts_of("benq").values(), "BENQ"])
    result = runner.invoke(args=["export-student", "anabelq"])
    assert result.exit_code != 0


# --- logs ---------------------------------------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_logs_never_hold_argument_text_passwords_or_cookies(tmp_path, caplog, capfd, monkeypatch):
    """A production-configured app (not testing: the real error handler, scrypt) behind
    waitress, everything logged at DEBUG, while people sign up, sign in, autosave,
    submit, fail to sign in, send an oversized or forged form, and hit an error."""
    from waitress import create_server

    from debatekit.services import submissions as submission_service

    monkeypatch.setattr(accounts, "PASSWORD_HASH_METHOD", accounts.PASSWORD_HASH_METHOD)
    caplog.set_level(logging.DEBUG)
    for name in ("", "app", "debatekit", "waitress", "werkzeug", "flask_wtf", "flask_wtf.csrf", "sqlite_utils"):
        caplog.set_level(logging.DEBUG, logger=name)
    app = make_app(tmp_path, TESTING=False)
    assert not app.testing
    srv = create_server(app, host="127.0.0.1", port=0, threads=4, ident="debatekit-test")
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{srv.effective_port}"

    teacher_pw = "Teacher passphrase 4417 \u00f1"
    student_pw = "Student passphrase 9923 \u00e9"
    wrong_pw = "Wrong guess 5561"
    claim = "LOGSECRET claim: consent is the heart of sovereignty"
    reasoning = "LOGSECRET reasoning 8812"
    submitted = "LOGSECRET submitted claim 3390"
    crash_text = "LOGSECRET text of the request that crashed 7781"
    forged_text = "LOGSECRET forged form text 6603"
    try:
        teacher = httpx.Client(base_url=base, timeout=30)
        token = CSRF_RE.search(teacher.get("/signup").text).group(1)
        assert teacher.post("/signup", data={"csrf_token": token, "username": "logteacher", "display_name": "Ms. Log",
                                             "password": teacher_pw, "password_confirm": teacher_pw}).status_code == 302
        token = CSRF_RE.search(teacher.get("/classes").text).group(1)
        response = teacher.post("/classes", data={"csrf_token": token, "name": "Log class", "timezone": "UTC"})
        class_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
        code = re.search(r'id="join-code">([^<]+)<', teacher.get(f"/classes/{class_id}").text).group(1).strip()
        page_html = teacher.get(f"/classes/{class_id}/assignments/new?lesson=what-is-sovereignty").text
        response = teacher.post(f"/classes/{class_id}/assignments/new", data={
            "csrf_token": CSRF_RE.search(page_html).group(1), "lesson": "what-is-sovereignty", "motion": "consent-required",
            "format": "two-sides", "due_at": "", "instructions": ""})
        aid = int(response.headers["Location"].rstrip("/").split("/")[-1])

        student = httpx.Client(base_url=base, timeout=30)
        token = CSRF_RE.search(student.get("/join").text).group(1)
        assert student.post("/join", data={"csrf_token": token, "join_code": code, "display_name": "Log Student",
                                           "username": "logstudent", "password": student_pw}).status_code == 302
        student.post("/logout", data={"csrf_token": CSRF_RE.search(student.get("/").text).group(1)})
        token = CSRF_RE.search(student.get("/login").text).group(1)
        assert student.post("/login", data={"csrf_token": token, "username": "logstudent", "password": wrong_pw}).status_code == 400
        assert student.post("/login", data={"csrf_token": token, "username": "logstudent", "password": student_pw}).status_code == 302
        html = student.get(f"/assignments/{aid}").text
        token = CSRF_RE.search(html).group(1)
        headers = {"X-CSRFToken": token, "Accept": "application/json"}
        assert student.post(f"/assignments/{aid}/draft", json={"claim": claim, "reasoning": reasoning, "base_version": 0}, headers=headers).status_code == 200
        assert student.post(f"/assignments/{aid}/draft", json={"claim": claim + " stale", "base_version": 0}, headers=headers).status_code == 409
        assert student.post(f"/assignments/{aid}/submit", data={"csrf_token": "forged", "claim": forged_text, "draft_version": "1"}).status_code == 400
        assert student.post(f"/assignments/{aid}/submit", data={"csrf_token": token, "claim": "x" * 600_000, "draft_version": "1"}).status_code == 413
        assert student.post(f"/assignments/{aid}/submit", data={"csrf_token": token, "claim": submitted, "reasoning": reasoning,
                                                                "draft_version": "1"}).status_code == 302

        def crash(*args, **kwargs):
            raise RuntimeError("simulated failure in the autosave")

        monkeypatch.setattr(submission_service, "save_draft", crash)
        other = httpx.Client(base_url=base, cookies=student.cookies, timeout=30)
        response = other.post(f"/assignments/{aid}/draft", json={"claim": crash_text, "base_version": 1}, headers=headers)
        assert response.status_code == 500
        assert "Your text was not lost" in response.json()["message"]
        cookies = [c.value for c in list(student.cookies.jar) + list(teacher.cookies.jar)]
        assert cookies and all(len(c) > 20 for c in cookies)
    finally:
        srv.close()

    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    # httpx and httpcore are this test's own HTTP client (they log the headers it receives).
    logged = "\n".join(formatter.format(r) for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    out, err = capfd.readouterr()
    everything = logged + "\n" + out + "\n" + err
    assert "Unhandled error on POST /assignments/" in logged, "the error was logged (the capture works)"
    assert "simulated failure in the autosave" in logged
    for secret in (teacher_pw, student_pw, wrong_pw, claim, reasoning, submitted, crash_text, forged_text, "LOGSECRET", token, *cookies):
        assert secret not in everything, f"{secret[:30]!r} appeared in the logs"
