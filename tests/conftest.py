"""Shared fixtures: a fresh app and SQLite file per test, CSRF left on.

Helpers here speak HTTP to the app the way a browser would: they fetch the
page that holds a form, take its csrf_token, and post the contract's fields.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from debatekit import db as database  # noqa: E402

# pbkdf2 with few rounds keeps tests fast; production uses scrypt (tested in test_accounts).
FAST_HASH = "pbkdf2:sha256:1000"
PASSWORD = "correct horse battery"


def make_app(tmp_path: Path, **overrides):
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE": str(tmp_path / "instance" / "test.sqlite3"),
        "SECRET_KEY": "tests-only-secret-key-0123456789abcdef",
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "LESSONS_DIR": str(ROOT / "lessons"),
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    conn = database.connect(app.config["DATABASE"])
    yield conn
    conn.conn.close()


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client, path: str) -> str:
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no csrf_token on {path} (status {response.status_code})"
    return match.group(1)


def post_form(client, path: str, data: dict | None = None, *, token_from: str | None = None, **kwargs):
    """POST like a browser: with the csrf_token of the page that shows the form."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_from(client, token_from or "/"))
    return client.post(path, data=data, **kwargs)


def signup_teacher(client, username="teacher1", display_name="Ms. Rivera", password=PASSWORD):
    response = post_form(
        client,
        "/signup",
        {"username": username, "display_name": display_name, "password": password, "password_confirm": password},
        token_from="/signup",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def login(client, username, password=PASSWORD):
    return post_form(client, "/login", {"username": username, "password": password}, token_from="/login")


def logout(client):
    return post_form(client, "/logout", token_from="/")


CLASS_NAME = "Seminar 7B Civics"


def create_class(client, name=CLASS_NAME, timezone="America/Chicago"):
    response = post_form(client, "/classes", {"name": name, "timezone": timezone}, token_from="/classes")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def join_code_of(client, class_id: int) -> str:
    html = client.get(f"/classes/{class_id}").get_data(as_text=True)
    match = re.search(r'id="join-code">([^<]+)<', html)
    assert match
    return match.group(1).strip()


def join_as_new_student(client, code, username, display_name=None, password=PASSWORD):
    return post_form(
        client,
        "/join",
        {"join_code": code, "username": username, "display_name": display_name or username.title(), "password": password},
        token_from="/join",
    )


@pytest.fixture
def classroom(app):
    """A teacher with one class and three students who joined with the code.

    Returns a dict of clients (one per person, each with its own cookies) and ids.
    """
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    code = join_code_of(teacher, class_id)
    students = {}
    for name in ("ana", "ben", "cruz"):
        c = app.test_client()
        r = join_as_new_student(c, code, name)
        assert r.status_code == 302, r.get_data(as_text=True)
        students[name] = c
    conn = database.connect(app.config["DATABASE"])
    ids = {row["username"]: row["id"] for row in conn.execute("SELECT id, username FROM users")}
    conn.conn.close()
    return {"teacher": teacher, "class_id": class_id, "code": code, "students": students, "ids": ids}


def table_snapshot(db_path: str) -> dict[str, list[tuple]]:
    """Every row of every table, to prove a refused request changed nothing."""
    conn = database.connect(db_path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {n: [tuple(r) for r in conn.execute(f"SELECT * FROM [{n}] ORDER BY rowid")] for n in names if n != "login_failures"}
    finally:
        conn.conn.close()


LESSON, MOTION = "what-is-sovereignty", "consent-required"


def create_assignment(client, class_id, lesson=LESSON, motion=MOTION, fmt="two-sides", **fields):
    data = {"lesson": lesson, "motion": motion, "format": fmt, "group_size": "4", "due_at": "", "instructions": ""}
    data.update(fields)
    response = post_form(client, f"/classes/{class_id}/assignments/new", data, token_from=f"/classes/{class_id}/assignments/new?lesson={lesson}")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def draw_positions(client, assignment_id, seed="", absent=()):
    response = post_form(client, f"/assignments/{assignment_id}/positions", {"seed": str(seed), "absent": [str(a) for a in absent]}, token_from=f"/assignments/{assignment_id}")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return response


def positions_of(db_path, assignment_id) -> dict[int, dict]:
    conn = database.connect(db_path)
    try:
        return {r["student_id"]: dict(r) for r in conn.execute("SELECT * FROM positions WHERE assignment_id = ?", [assignment_id])}
    finally:
        conn.conn.close()


def add_students(client, class_id, names: list[str]) -> list[tuple[str, str]]:
    """Add students by name; returns (username, password) pairs from the credentials page."""
    response = post_form(client, f"/classes/{class_id}/students", {"names": "\n".join(names)}, token_from=f"/classes/{class_id}")
    html = response.get_data(as_text=True)
    return re.findall(r'<dt>Username</dt><dd class="mono">([^<]+)</dd>\s*<dt>Password</dt><dd class="mono">([^<]+)</dd>', html)
