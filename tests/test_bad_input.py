"""Bad input never makes a 500: oversized bodies, broken encodings, NUL bytes,
lone surrogates, malformed or mistyped JSON, huge and negative ids, missing
and repeated fields. Every refusal is a 4xx with a clear message, and a form
that is refused gives the student's text back.

`app.testing` is True here, so an unhandled exception is raised into the test
instead of becoming a friendly 500 page: any crash fails the test that caused
it. The hypothesis test at the end fuzzes every form of the contract and then
checks the database (integrity_check, foreign_key_check).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from types import SimpleNamespace
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from werkzeug.security import generate_password_hash

from conftest import (
    FAST_HASH,
    PASSWORD,
    create_assignment,
    create_class,
    csrf_from,
    draw_positions,
    join_as_new_student,
    join_code_of,
    make_app,
    post_form,
    signup_teacher,
    table_snapshot,
)
from debatekit import db as database
from debatekit.services import accounts

HUGE_IDS = ["9223372036854775807", "9223372036854775808", "1" + "0" * 30]
FORM = "application/x-www-form-urlencoded"


COOKIE = "debatekit_session"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A classroom built once: a teacher, ana, ben and cruz, an assignment with positions drawn.
    Each test gets a copy of its database file and the same sign-in cookies (the copy holds
    the same session tokens), which is much faster than signing everyone up again."""
    folder = tmp_path_factory.mktemp("bad-input-template")
    app = make_app(folder)
    teacher = app.test_client()
    signup_teacher(teacher)
    cid = create_class(teacher)
    code = join_code_of(teacher, cid)
    cookies = {"teacher": teacher.get_cookie(COOKIE).value}
    for name in ("ana", "ben", "cruz"):
        client = app.test_client()
        assert join_as_new_student(client, code, name).status_code == 302
        cookies[name] = client.get_cookie(COOKIE).value
    aid = create_assignment(teacher, cid)
    draw_positions(teacher, aid, seed=3)
    conn = database.connect(app.config["DATABASE"])
    ids = {r["username"]: r["id"] for r in conn.execute("SELECT id, username FROM users")}
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.conn.close()
    return SimpleNamespace(db_path=app.config["DATABASE"], cookies=cookies, ids=ids, cid=cid, aid=aid, code=code,
                           lessons=app.extensions.get("debatekit.lessons"))


@pytest.fixture
def world(template, tmp_path):
    target = tmp_path / "instance" / "test.sqlite3"
    target.parent.mkdir(parents=True)
    shutil.copyfile(template.db_path, target)
    app = make_app(tmp_path)
    if template.lessons is not None:
        app.extensions["debatekit.lessons"] = template.lessons  # parsed lesson files, shared read-only

    def client_of(name):
        client = app.test_client()
        client.set_cookie(COOKIE, template.cookies[name])
        return client

    teacher, ana = client_of("teacher"), client_of("ana")
    return SimpleNamespace(
        app=app,
        db_path=str(target),
        teacher=teacher,
        cid=template.cid,
        aid=template.aid,
        code=template.code,
        ana=ana,
        client_of=client_of,
        ids=template.ids,
        t_token=csrf_from(teacher, "/"),
        a_token=csrf_from(ana, "/"),
    )


def query(db_path, sql, args=()):
    conn = database.connect(db_path)
    try:
        return [dict(r) for r in conn.execute(sql, args).fetchall()]
    finally:
        conn.conn.close()


def submission_of(w, username="ana"):
    rows = query(w.db_path, "SELECT * FROM submissions WHERE assignment_id = ? AND student_id = ?", [w.aid, w.ids[username]])
    return rows[0] if rows else None


def autosave(w, body: bytes | str | dict, content_type="application/json"):
    if isinstance(body, dict):
        body = json.dumps(body)
    return w.ana.post(f"/assignments/{w.aid}/draft", data=body, content_type=content_type,
                      headers={"X-CSRFToken": w.a_token, "Accept": "application/json"})


def submit(w, **fields):
    data = {"csrf_token": w.a_token, "draft_version": "0", "claim": "", "evidence": "", "evidence_source": "",
            "evidence_citation": "", "reasoning": "", "rebuttal": ""}
    data.update(fields)
    return w.ana.post(f"/assignments/{w.aid}/submit", data=data)


def raw_form(client, path, pairs: list[tuple[str, bytes | str]]):
    """POST a urlencoded body built byte by byte (so it can hold invalid UTF-8)."""
    parts = []
    for name, value in pairs:
        value = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
        parts.append(quote_from_bytes(name.encode()) + "=" + quote_from_bytes(value))
    return client.post(path, data="&".join(parts).encode("ascii"), content_type=FORM)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def assert_db_consistent(db_path):
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # A submitted argument always has its kept version.
        orphans = conn.execute(
            "SELECT s.id FROM submissions s WHERE s.status = 'submitted' AND NOT EXISTS "
            "(SELECT 1 FROM submission_versions v WHERE v.submission_id = s.id AND v.version = s.version)"
        ).fetchall()
        assert orphans == []
    finally:
        conn.close()


# --- oversized bodies ------------------------------------------------------------------


def test_oversized_form_post_is_413_with_a_clear_message(world):
    before = table_snapshot(world.db_path)
    response = submit(world, claim="x" * 600_000)
    assert response.status_code == 413
    page = text_of(response)
    assert "That was too much text" in page and "Nothing was lost" in page
    assert table_snapshot(world.db_path) == before


def test_oversized_json_autosave_is_413_json(world):
    response = autosave(world, {"claim": "y" * 600_000, "base_version": 0})
    assert response.status_code == 413
    assert response.is_json and "larger than the kit accepts" in response.get_json()["message"]
    assert submission_of(world) is None


def test_oversized_bodies_anonymous_and_multipart(world):
    app = world.app
    client = app.test_client()
    token = csrf_from(client, "/signup")
    big = {"csrf_token": token, "username": "bigbody", "display_name": "Big", "password": "p" * 600_000}
    response = client.post("/signup", data=big)
    assert response.status_code == 413 and "too much text" in text_of(response)
    response = client.post("/login", data={"csrf_token": token, "username": "x", "password": "z" * 600_000},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert query(world.db_path, "SELECT COUNT(*) AS n FROM users WHERE username = 'bigbody'")[0]["n"] == 0


# --- encodings, NUL bytes, surrogates -------------------------------------------------------


def test_invalid_utf8_in_form_fields_is_saved_sanitised(world):
    response = raw_form(world.ana, f"/assignments/{world.aid}/submit", [
        ("csrf_token", world.a_token), ("draft_version", "0"),
        ("claim", b"Consent \xff\xfe matters \xc3"), ("reasoning", b"\xed\xa0\x80 lone surrogate bytes"),
        ("evidence", b"UN Charter \x80"), ("evidence_source", "un-charter"), ("rebuttal", "plain"),
    ])
    assert response.status_code == 302
    row = submission_of(world)
    assert row["status"] == "submitted"
    assert row["claim"].startswith("Consent ") and "matters" in row["claim"]
    for value in (row["claim"], row["reasoning"], row["evidence"]):
        value.encode("utf-8")  # valid UTF-8 in the database
    assert world.ana.get(f"/assignments/{world.aid}").status_code == 200


def test_invalid_utf8_raw_bytes_in_a_body(world):
    """Browsers percent-encode form bodies; raw non-UTF-8 bytes come only from a broken or hostile
    client. Werkzeug then reads no fields at all: a 400 with a message, and nothing is stored."""
    body = b"csrf_token=" + world.a_token.encode() + b"&draft_version=0&claim=Raw\xff\xfebytes&reasoning=ok"
    response = world.ana.post(f"/assignments/{world.aid}/draft", data=body, content_type=FORM)
    assert response.status_code == 400
    assert "nothing was saved" in text_of(response)
    assert submission_of(world) is None


def test_invalid_utf8_in_sign_up_fields_is_a_clear_400(world):
    client = world.app.test_client()
    token = csrf_from(client, "/signup")
    response = raw_form(client, "/signup", [
        ("csrf_token", token), ("username", b"t\xffacher"), ("display_name", b"Ms \xc3"),
        ("password", PASSWORD), ("password_confirm", PASSWORD),
    ])
    assert response.status_code == 400
    assert "Usernames are 2 to 32 characters" in text_of(response)
    # A broken CSRF token is a CSRF failure that keeps the typed text, not a crash.
    response = raw_form(client, "/signup", [("csrf_token", b"\xff\xfe"), ("username", "teacherz"), ("display_name", "Keep Me Typed")])
    assert response.status_code == 400 and "Keep Me Typed" in text_of(response)


def test_invalid_utf8_in_json_is_a_clear_400(world):
    response = autosave(world, b'{"claim": "caf\xe9", "base_version": 0}')
    assert response.status_code == 400
    assert "not valid JSON" in response.get_json()["message"]
    assert submission_of(world) is None


def test_nul_bytes_are_dropped_not_stored(world):
    response = submit(world, claim="Sovereignty\x00 matters", reasoning="a\x00b", evidence="e\x00", evidence_citation="src\x00")
    assert response.status_code == 302
    row = submission_of(world)
    assert row["claim"] == "Sovereignty matters" and row["reasoning"] == "ab"
    assert "\x00" not in row["evidence"]
    # Names and class names: NUL and other control characters are not stored either.
    teacher = world.teacher
    response = post_form(teacher, "/classes", {"name": "Period\x00 4", "timezone": "UTC"}, token_from="/classes")
    assert response.status_code == 302
    assert query(world.db_path, "SELECT name FROM classes ORDER BY id DESC LIMIT 1")[0]["name"] == "Period 4"
    aid = create_assignment(teacher, world.cid, instructions="Read\x00 the lesson")
    assert query(world.db_path, "SELECT instructions FROM assignments WHERE id = ?", [aid])[0]["instructions"] == "Read the lesson"
    # A username with a NUL is just not a valid username.
    client = world.app.test_client()
    response = join_as_new_student(client, world.code, "nul\x00user")
    assert response.status_code == 400 and "Usernames are" in text_of(response)
    response = post_form(client, "/login", {"username": "ana\x00", "password": PASSWORD}, token_from="/login")
    assert response.status_code == 400 and "do not match an account" in text_of(response)


def test_lone_surrogates_in_json_are_replaced_and_pairs_kept(world):
    body = '{"claim": "a\\ud800b", "reasoning": "smile \\ud83d\\ude00", "rebuttal": "\\udfff", ' \
           '"evidence": [{"text": "t\\udc00", "source": "\\ud83d"}], "base_version": 0}'
    response = autosave(world, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    row = submission_of(world)
    assert row["claim"] == "a?b" and row["reasoning"] == "smile \U0001F600" and row["rebuttal"] == "?"
    assert json.loads(row["evidence"]) == [{"text": "t?", "source": "?"}]
    page = world.ana.get(f"/assignments/{world.aid}")
    assert page.status_code == 200 and "smile \U0001F600" in text_of(page)
    assert world.ana.get("/account/my-data.json").status_code == 200


# --- malformed and mistyped JSON --------------------------------------------------------------

MALFORMED = [b"", b"{", b"{'claim': 'x'}", b'{"claim": "x"', b"nul", b"\x00", b"{\"claim\": \"x\"}}", b"\xef\xbb\xbf{bad"]
NOT_OBJECTS = [b"null", b"[]", b'[{"claim": "x"}]', b'"claim"', b"1", b"true", b"NaN"]
# Nesting deeper than Python's recursion limit makes json.loads raise RecursionError, not ValueError.
TOO_DEEP = [b"[" * 100_000 + b"]" * 100_000, b'{"claim": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
            b'{"evidence": ' + b'{"a":' * 20_000 + b"1" + b"}" * 20_000 + b"}"]


@pytest.mark.parametrize("body", MALFORMED + NOT_OBJECTS + TOO_DEEP, ids=lambda b: repr(b)[:40])
def test_malformed_or_non_object_json_is_400(world, body):
    response = autosave(world, body)
    assert response.status_code == 400
    assert response.is_json and "not valid JSON" in response.get_json()["message"]
    assert submission_of(world) is None


WRONG_TYPES = [
    ({"claim": 1}, 400, "must be text"),
    ({"claim": ["a", "b"]}, 400, "must be text"),
    ({"claim": {"x": 1}}, 400, "must be text"),
    ({"claim": True}, 400, "must be text"),
    ({"reasoning": 2.5}, 400, "must be text"),
    ({"evidence": 5}, 400, "Evidence must be a list"),
    ({"evidence": {"text": "x"}}, 400, "Evidence must be a list"),
    ({"evidence": [1]}, 400, "Each evidence item"),
    ({"evidence": [None]}, 400, "Each evidence item"),
    ({"evidence": [{"text": 1}]}, 400, "must be text"),
    ({"evidence": [{"text": "t", "source": ["x"]}]}, 400, "must be text"),
    ({"evidence": ["x"] * 13}, 400, "at most 12"),
    ({"claim": "c" * 20_001}, 400, "longer than 20,000"),
    ({"base_version": "abc"}, 400, "Reload the page"),
    ({"base_version": []}, 400, "Reload the page"),
    ({"base_version": {}}, 400, "Reload the page"),
    ({"base_version": None}, 400, "Reload the page"),
    ({"base_version": "1e3"}, 400, "Reload the page"),
    ({"base_version": 1.5}, 400, "Reload the page"),
    ({"base_version": True}, 400, "Reload the page"),
    ({"base_version": -1}, 400, "not valid"),
    ({"base_version": 2**70}, 400, "not valid"),
    ({"base_version": "9" * 5000}, 400, "Reload the page"),
    ({"base_version": 3}, 409, "another tab"),
    # Sanitised, successful saves:
    ({"claim": None, "reasoning": "only reasoning"}, 200, None),
    ({"base_version": "0", "claim": "version as a string"}, 200, None),
    ({"evidence": "one string item"}, 200, None),
    ({"evidence": ["a", {"text": "b", "source": "un-charter"}, {"text": "", "source": ""}]}, 200, None),
    ({"claim": "unknown keys ignored", "status": "submitted", "version": 99, "student_id": 1}, 200, None),
]


@pytest.mark.parametrize(("fields", "status", "message"), WRONG_TYPES, ids=lambda v: repr(v)[:60])
def test_wrong_types_in_the_autosave(world, fields, status, message):
    body = {"claim": "", "evidence": [], "reasoning": "", "rebuttal": "", "base_version": 0}
    body.update(fields)
    response = autosave(world, json.dumps(body))
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    if message:
        assert message in response.get_json()["message"]
        assert submission_of(world) is None
    else:
        row = submission_of(world)
        assert row["version"] == 1 and row["status"] == "draft"


@pytest.mark.parametrize("raw", [b"Infinity", b"-Infinity", b"NaN", b"1e400", b"0.0", b"-0.0"])
def test_non_finite_and_float_versions(world, raw):
    response = autosave(world, b'{"claim": "x", "base_version": ' + raw + b"}")
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert response.get_json()["message"]


# --- ids in URLs and bodies ---------------------------------------------------------------------------


def test_huge_negative_and_zero_ids_in_urls_are_404(world):
    t, a = world.teacher, world.ana
    sid = world.ids["ana"]
    for bad in HUGE_IDS + ["0", "-1", "-9223372036854775809", "1.5", "1e3", "%C2%B2", "%00"]:
        for client, method, path, data in [
            (t, "get", f"/classes/{bad}", None),
            (t, "get", f"/assignments/{bad}", None),
            (t, "get", f"/assignments/{bad}/submissions", None),
            (t, "get", f"/assignments/{bad}/grades.csv", None),
            (t, "get", f"/assignments/{bad}/export.json", None),
            (t, "get", f"/assignments/{bad}/present", None),
            (t, "get", f"/assignments/{bad}/position-cards", None),
            (a, "get", f"/assignments/{bad}", None),
            (a, "get", f"/assignments/{bad}/organizer", None),
            (t, "post", f"/classes/{bad}/students", {"names": "X"}),
            (t, "post", f"/classes/{world.cid}/students/{bad}/reset-password", {}),
            (t, "post", f"/classes/{world.cid}/students/{bad}/delete", {"confirm": "ana"}),
            (t, "post", f"/classes/{bad}/students/{sid}/delete", {"confirm": "ana"}),
            (t, "post", f"/assignments/{world.aid}/positions/{bad}", {"position": "pro"}),
            (t, "post", f"/assignments/{bad}/positions", {"seed": "1"}),
            (t, "post", f"/submissions/{bad}/feedback", {"comment": "x"}),
            (a, "post", f"/assignments/{bad}/draft", {"claim": "x", "base_version": "0"}),
            (a, "post", f"/assignments/{bad}/submit", {"claim": "x", "draft_version": "0"}),
        ]:
            if data is not None:
                data = {**data, "csrf_token": world.t_token if client is t else world.a_token}
                response = client.post(path, data=data)
            else:
                response = client.get(path)
            assert response.status_code == 404, (method, path, response.status_code)
    assert query(world.db_path, "SELECT COUNT(*) AS n FROM users WHERE username = 'ana'")[0]["n"] == 1


def test_odd_ids_in_draw_bodies_are_ignored(world):
    other = world.app.test_client()
    signup_teacher(other, "otherteacher")
    other_class = create_class(other, "Other class")
    response = join_as_new_student(world.app.test_client(), join_code_of(other, other_class), "outsider")
    assert response.status_code == 302
    outsider = query(world.db_path, "SELECT id FROM users WHERE username = 'outsider'")[0]["id"]
    absent = ["-1", "0", *HUGE_IDS, "9" * 5000, "\u00b2", "\u0663", "1e3", "abc", "", " 1", str(outsider), str(world.ids["ben"])]
    response = post_form(world.teacher, f"/assignments/{world.aid}/positions", {"seed": "5", "absent": absent},
                         token_from=f"/assignments/{world.aid}")
    assert response.status_code == 302
    rows = query(world.db_path, "SELECT student_id, absent FROM positions WHERE assignment_id = ?", [world.aid])
    roster = {world.ids[n] for n in ("ana", "ben", "cruz")}
    assert {r["student_id"] for r in rows} == roster
    assert [r["student_id"] for r in rows if r["absent"]] == [world.ids["ben"]]


@pytest.mark.parametrize("seed", ["-1", "99999999999999999999", "2147483648", "\u00b2", "1e3", "Infinity", "9" * 5000, "1.5"])
def test_bad_seeds_are_a_clear_400(world, seed):
    before = table_snapshot(world.db_path)
    response = post_form(world.teacher, f"/assignments/{world.aid}/positions", {"seed": seed}, token_from=f"/assignments/{world.aid}")
    assert response.status_code == 400
    assert "The seed is a whole number" in text_of(response)
    assert table_snapshot(world.db_path) == before


@pytest.mark.parametrize("group", ["-3", "0", "99999999999999999999999", "\u00b2", "x", "9" * 5000, "1.0"])
def test_bad_group_in_an_override_is_a_clear_400(world, group):
    sid = world.ids["ana"]
    before = table_snapshot(world.db_path)
    response = post_form(world.teacher, f"/assignments/{world.aid}/positions/{sid}", {"position": "pro", "group": group},
                         token_from=f"/assignments/{world.aid}")
    assert response.status_code == 400
    assert "The group is a number" in text_of(response)
    assert table_snapshot(world.db_path) == before


def test_override_with_an_unknown_position_or_student(world):
    sid = world.ids["ana"]
    response = post_form(world.teacher, f"/assignments/{world.aid}/positions/{sid}", {"position": "\x00pro"}, token_from="/")
    assert response.status_code == 400 and "Choose one of the positions" in text_of(response)
    for other in ("999999", HUGE_IDS[0]):
        response = post_form(world.teacher, f"/assignments/{world.aid}/positions/{other}", {"position": "pro"}, token_from="/")
        assert response.status_code == 404


@pytest.mark.parametrize(("due", "tz"), [
    ("9999-12-31T23:00", "America/Chicago"),
    ("0001-01-01T00:00", "Asia/Tokyo"),
    ("2026-02-30T10:00", "UTC"),
    ("99999-01-01T00:00", "UTC"),
    ("tomorrow", "UTC"),
])
def test_dates_out_of_range_are_a_clear_400(world, due, tz):
    teacher = world.teacher
    cid = create_class(teacher, timezone=tz)
    instructions = "Keep these instructions, please."
    response = post_form(teacher, f"/classes/{cid}/assignments/new",
                         {"lesson": "what-is-sovereignty", "motion": "consent-required", "format": "two-sides", "due_at": due,
                          "instructions": instructions}, token_from="/")
    assert response.status_code == 400
    assert "not a date and time we understand" in text_of(response)
    assert instructions in text_of(response)
    aid = create_assignment(teacher, cid)
    response = post_form(teacher, f"/assignments/{aid}/settings", {"due_at": due, "cutoff_at": "", "instructions": instructions},
                         token_from="/")
    assert response.status_code == 400
    assert "not a date and time we understand" in text_of(response)


@pytest.mark.parametrize("score", ["0", "-1", "99999999999999999999", "\u00b2", "4.0", "x" * 5000])
def test_bad_scores_in_feedback_are_a_clear_400(world, score):
    assert submit(world, claim="A claim to grade").status_code == 302
    sub_id = submission_of(world)["id"]
    response = post_form(world.teacher, f"/submissions/{sub_id}/feedback", {"score_claim": score, "comment": "Keep this comment"}, token_from="/")
    assert response.status_code == 400
    page = text_of(response)
    assert "The score for claim must" in page and "Keep this comment" in page
    assert query(world.db_path, "SELECT COUNT(*) AS n FROM feedback")[0]["n"] == 0


# --- missing and repeated fields -------------------------------------------------------------------


def test_missing_fields_get_a_clear_400(world):
    anon = world.app.test_client()
    anon_token = csrf_from(anon, "/signup")
    cases = [
        (anon, anon_token, "/signup", "Passwords need at least 8 characters"),
        (anon, anon_token, "/login", "do not match an account"),
        (anon, anon_token, "/join", "does not match an open class"),
        (world.teacher, world.t_token, "/classes", "Please give the class a name"),
        (world.teacher, world.t_token, f"/classes/{world.cid}/students", "Paste at least one name"),
        (world.teacher, world.t_token, f"/classes/{world.cid}/assignments/new", "Choose a lesson"),
        (world.ana, world.a_token, f"/assignments/{world.aid}/submit", "Reload the page"),
        (world.ana, world.a_token, f"/assignments/{world.aid}/draft", "Reload the page"),
        (world.ana, world.a_token, "/account", "Your current password is not right"),
    ]
    for client, token, path, message in cases:
        before = table_snapshot(world.db_path)
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 400, (path, response.status_code)
        assert message in text_of(response), path
        assert table_snapshot(world.db_path) == before, path
    # JSON autosave without any field but the version: an empty draft is fine; without the version, a 400.
    response = autosave(world, {})
    assert response.status_code == 400 and "Reload the page" in response.get_json()["message"]
    # No token at all: the CSRF refusal, still a 400 with a message.
    response = world.ana.post(f"/assignments/{world.aid}/submit", data={"claim": "No token claim"})
    assert response.status_code == 400 and "No token claim" in text_of(response)


def test_repeated_fields_use_the_first_value(world):
    response = world.ana.post(f"/assignments/{world.aid}/submit", data={
        "csrf_token": [world.a_token, "second-token"], "draft_version": ["0", "7"],
        "claim": ["First claim", "Second claim"], "reasoning": ["R1", "R2"], "rebuttal": ["B1", "B2"],
    })
    assert response.status_code == 302
    row = submission_of(world)
    assert (row["claim"], row["reasoning"], row["rebuttal"], row["version"]) == ("First claim", "R1", "B1", 1)
    response = post_form(world.teacher, "/classes", {"name": ["One", "Two"], "timezone": ["UTC", "Nowhere/Else"]}, token_from="/")
    assert response.status_code == 302
    assert query(world.db_path, "SELECT name, timezone FROM classes ORDER BY id DESC LIMIT 1")[0] == {"name": "One", "timezone": "UTC"}


# --- the student's text comes back with every error --------------------------------------------------


MARK = "Mi argumento: la soberanía importa \u2014 marker 7d3f"


@pytest.mark.parametrize("fields", [
    {"claim": "", "reasoning": MARK},
    {"claim": MARK, "draft_version": "abc"},
    {"claim": MARK, "draft_version": ""},
    {"claim": MARK, "draft_version": "-1"},
    {"claim": MARK, "draft_version": "99999999999999999999999"},
    {"claim": MARK, "draft_version": "5"},
    {"claim": MARK, "reasoning": "r" * 20_001},
    {"claim": MARK, "evidence_citation": "c" * 301, "evidence": "fact"},
    {"claim": MARK, "csrf_token": "expired-or-forged"},
], ids=lambda f: ",".join(f"{k}={v[:12]!r}" for k, v in f.items()))
def test_refused_submit_gives_the_text_back(world, fields):
    response = submit(world, **fields)
    assert 400 <= response.status_code < 500
    page = text_of(response)
    assert MARK in page
    assert re.search(r'class="[^"]*(error|alert|flash)', page), "the page explains what went wrong"
    assert submission_of(world) is None or submission_of(world)["status"] != "submitted"


def test_refused_draft_form_and_teacher_forms_give_the_text_back(world):
    response = world.ana.post(f"/assignments/{world.aid}/draft", data={"csrf_token": world.a_token, "claim": MARK, "base_version": "x"})
    assert response.status_code == 400 and MARK in text_of(response)
    names = "\n".join(f"Student Number{i}" for i in range(201))
    response = post_form(world.teacher, f"/classes/{world.cid}/students", {"names": names + "\n" + MARK}, token_from="/")
    assert response.status_code == 400 and MARK in text_of(response)
    response = post_form(world.teacher, "/classes", {"name": MARK + "x" * 100, "timezone": "UTC"}, token_from="/")
    assert response.status_code == 400 and MARK in text_of(response)
    # Sign-up keeps the name typed, never the password.
    anon = world.app.test_client()
    response = post_form(anon, "/signup", {"username": "ok-name", "display_name": MARK, "password": "short", "password_confirm": "short"},
                         token_from="/signup")
    assert response.status_code == 400 and MARK in text_of(response)
    assert 'value="short"' not in text_of(response)


# --- fuzzing every form ---------------------------------------------------------------------------------

INTERESTING = [
    "", " ", "0", "1", "-1", "2", "4", "9" * 25, "\u00b2", "\u0663", "1e309", "Infinity", "NaN", "null", "[]", "{}",
    "\x00", "a\x00b", "\r\n", "pro", "con", "absent", "on", "true", "letter", "a4", "UTC", "America/Chicago",
    "two-sides", "small-groups", "roles", "sac", "what-is-sovereignty", "consent-required", "un-charter",
    "2026-05-01T10:00", "9999-12-31T23:59", "0001-01-01T00:00", "<script>alert(1)</script>", "=SUM(A1)",
    "ana", "ANA", "teacher1", PASSWORD, "x" * 2000, "\U0001F600" * 40, "\u202e\u0645\u0631\u062d\u0628\u0627",
]


# Ids, versions, seeds, groups and scores: what int() and str.isdigit() disagree about, and beyond.
NUMBERISH = ["\u00b2", "\u0663", "\uff11", "-1", "0", "+1", " 1", "1 ", "1.5", "1e309", "0x10", "9" * 25, "9" * 5000, "Infinity", "NaN"]


def field_value(valid: str | None = None):
    """Random text, random bytes (possibly invalid UTF-8), or a value chosen to hit edge cases;
    for fields that guard the rest of a form, often the valid value, so fuzzing reaches past them."""
    anything = st.one_of(
        st.sampled_from(NUMBERISH),
        st.sampled_from(INTERESTING),
        st.text(max_size=60),
        st.binary(max_size=60),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    )
    if valid is None:
        return anything
    return st.one_of(st.just(valid), anything)


@st.composite
def field_entries(draw, names, valid: dict[str, str]):
    """A valid form with some fields mutated: each chosen field is fuzzed, left out or sent
    several times. Few mutations at a time reach deep into a form; many test its first checks."""
    mutated = draw(st.sets(st.sampled_from(names), max_size=len(names)))
    entries = {}
    for name in names:
        if name not in mutated:
            if name in valid:
                entries[name] = [valid[name]]
            continue
        mode = draw(st.sampled_from(["fuzz", "omit", "repeat"]))
        if mode != "omit":
            entries[name] = draw(st.lists(field_value(valid.get(name)), min_size=1 if mode == "fuzz" else 2, max_size=1 if mode == "fuzz" else 3))
    return entries


def encode_pairs(token: str, fields: dict) -> bytes:
    parts = ["csrf_token=" + token]
    for name, values in fields.items():
        for value in values:
            raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
            parts.append(quote_from_bytes(name.encode()) + "=" + quote_from_bytes(raw))
    return "&".join(parts).encode("ascii")


# (form name, path template, fields, who posts) - every form of DESIGN.md section 7 a user can type into.
FUZZ_FORMS = [
    ("signup", "/signup", ["username", "display_name", "password", "password_confirm"], "anon"),
    ("login", "/login", ["username", "password", "next"], "anon"),
    ("join", "/join", ["join_code", "display_name", "username", "password"], "anon"),
    ("class", "/classes", ["name", "timezone", "paper_size"], "teacher"),
    ("class-settings", "/classes/{cid}/settings", ["name", "timezone", "paper_size"], "teacher"),
    ("students", "/classes/{cid}/students", ["names", "batch_id"], "teacher"),
    ("assignment", "/classes/{cid}/assignments/new",
     ["lesson", "motion", "format", "group_size", "due_at", "cutoff_at", "instructions", "allow_resubmit"], "teacher"),
    ("assignment-settings", "/assignments/{aid}/settings", ["due_at", "cutoff_at", "instructions", "allow_resubmit"], "teacher"),
    ("draw", "/assignments/{aid}/positions", ["seed", "absent"], "teacher"),
    ("override", "/assignments/{aid}/positions/{sid}", ["position", "group", "locked"], "teacher"),
    ("submit", "/assignments/{aid}/submit",
     ["claim", "evidence", "evidence_source", "evidence_citation", "reasoning", "rebuttal", "draft_version"], "student"),
    ("draft-form", "/assignments/{aid}/draft", ["claim", "evidence", "reasoning", "rebuttal", "base_version"], "student"),
    ("feedback", "/submissions/{sub}/feedback",
     ["score_claim", "score_evidence", "score_reasoning", "score_rebuttal", "comment", "release"], "teacher"),
    ("account", "/account", ["current_password", "new_password", "password_confirm"], "student"),
]
# Values that get a fuzzed form past its first check ({code} and {sid} are filled in).
VALID = {
    "username": "fuzzer{n}", "display_name": "Fuzz Person", "password": PASSWORD, "password_confirm": PASSWORD,
    "join_code": "{code}", "name": "Fuzz class", "timezone": "UTC", "paper_size": "a4", "names": "Fuzz Added",
    "lesson": "what-is-sovereignty", "motion": "consent-required", "format": "two-sides", "group_size": "4",
    "seed": "7", "absent": "{sid}", "position": "pro", "group": "1", "locked": "1",
    "claim": "A fuzzed claim", "draft_version": "0", "base_version": "0", "evidence_source": "un-charter",
    "score_claim": "3", "score_evidence": "2", "release": "1", "current_password": PASSWORD, "new_password": PASSWORD,
    "evidence": "A fact from the charter", "reasoning": "Because", "rebuttal": "But", "comment": "Good work",
    "instructions": "Read first", "due_at": "2031-05-01T10:00", "cutoff_at": "2031-05-02T10:00",
}
FORM_VALID = {"login": {"username": "graded", "next": "/"}}
# FUZZ_EXAMPLES=1000 python -m pytest tests/test_bad_input.py -k fuzz  runs a deeper search.
EXAMPLES_PER_FORM = int(os.environ.get("FUZZ_EXAMPLES", 80))
JSON_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 300))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_FORM, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory):
    """One classroom for all fuzzed forms (building it per example would be slow)."""
    app = make_app(tmp_path_factory.mktemp("fuzz"), LOGIN_FAILURES_PER_ADDRESS=10_000, JOIN_FAILURES_PER_ADDRESS=10_000)
    teacher = app.test_client()
    signup_teacher(teacher)
    cid = create_class(teacher)
    code = join_code_of(teacher, cid)
    student = app.test_client()
    assert join_as_new_student(student, code, "fuzzstudent").status_code == 302
    grader = app.test_client()
    assert join_as_new_student(grader, code, "graded").status_code == 302
    aid = create_assignment(teacher, cid)
    draw_positions(teacher, aid, seed=1)
    token = csrf_from(grader, f"/assignments/{aid}")
    assert grader.post(f"/assignments/{aid}/submit", data={"csrf_token": token, "draft_version": "0", "claim": "To grade"}).status_code == 302
    db_path = app.config["DATABASE"]
    ids = {r["username"]: r["id"] for r in query(db_path, "SELECT id, username FROM users")}
    sub = query(db_path, "SELECT id FROM submissions")[0]["id"]
    return SimpleNamespace(app=app, db_path=db_path, teacher=teacher, student=student, cid=cid, aid=aid, code=code,
                           sid=ids["fuzzstudent"], sub=sub, counts={})


@pytest.mark.parametrize("form", FUZZ_FORMS, ids=[f[0] for f in FUZZ_FORMS])
def test_fuzz_forms_never_500(fuzz_world, form, monkeypatch):
    name, template, fields, who = form
    # Unknown usernames are checked against a dummy scrypt hash (so timing reveals nothing);
    # a cheap one here keeps sixty sign-in attempts fast.
    monkeypatch.setattr(accounts, "_DUMMY_HASH", generate_password_hash("not-a-password", FAST_HASH))
    w = fuzz_world
    path = template.format(cid=w.cid, aid=w.aid, sid=w.sid, sub=w.sub)
    seen = {"n": 0}

    valid = {k: v.format(code=w.code, sid=w.sid, n="{n}") for k, v in {**VALID, **FORM_VALID.get(name, {})}.items()}

    @FUZZ_SETTINGS
    @given(entries=field_entries(fields, valid))
    def run(entries):
        seen["n"] += 1
        # Valid usernames must be new each time to get past "taken".
        entries = {k: [v.replace("{n}", str(seen["n"])) if isinstance(v, str) else v for v in vs] for k, vs in entries.items()}
        if who == "anon":
            client = w.app.test_client()
        elif who == "teacher":
            client = w.teacher
        else:
            client = w.student
            # Start each example from an empty workspace so submit gets past version checks.
            conn = database.connect(w.db_path)
            with database.write_transaction(conn):
                conn.execute("DELETE FROM submissions WHERE student_id = ?", [w.sid])
            conn.conn.close()
        token = csrf_from(client, "/signup" if who == "anon" else "/")
        response = client.post(path, data=encode_pairs(token, entries), content_type=FORM)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500
        if response.status_code >= 400:
            assert response.status_code in (400, 403, 404, 409, 413), response.status_code
            assert "<h1" in text_of(response) or response.is_json

    run()
    w.counts[name] = seen["n"]
    print(f"{name}: {seen}")
    assert seen["n"] >= EXAMPLES_PER_FORM // 2
    assert any(code in seen for code in (200, 302)), "some fuzzed inputs must get through the form's checks"
    assert_db_consistent(w.db_path)


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40), st.sampled_from(INTERESTING),
)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
draft_bodies = st.fixed_dictionaries(
    {},
    optional={
        "claim": json_values, "evidence": json_values, "reasoning": json_values, "rebuttal": json_values,
        "base_version": st.one_of(st.just(0), json_values),
    },
)


def test_fuzz_json_autosave_never_500(fuzz_world):
    w = fuzz_world
    token = csrf_from(w.student, f"/assignments/{w.aid}")
    seen = {"n": 0}

    @settings(max_examples=JSON_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(body=st.one_of(
        draft_bodies.map(lambda d: json.dumps(d).encode()),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    ))
    def run(body):
        seen["n"] += 1
        conn = database.connect(w.db_path)
        with database.write_transaction(conn):
            conn.execute("DELETE FROM submissions WHERE student_id = ?", [w.sid])
        conn.conn.close()
        response = w.student.post(f"/assignments/{w.aid}/draft", data=body, content_type="application/json",
                                  headers={"X-CSRFToken": token, "Accept": "application/json"})
        assert response.status_code in (200, 400, 409), response.status_code
        payload = response.get_json()
        assert isinstance(payload, dict)
        assert ("version" in payload) if response.status_code == 200 else payload.get("message")

    run()
    w.counts["draft-json"] = seen["n"]
    assert seen["n"] >= JSON_EXAMPLES // 2
    assert_db_consistent(w.db_path)
    # The fuzzed workspace still renders for both people.
    assert w.student.get(f"/assignments/{w.aid}").status_code == 200
    assert w.teacher.get(f"/assignments/{w.aid}/submissions").status_code == 200
    print("fuzz examples per form:", w.counts, "total", sum(w.counts.values()))


# --- every GET page with odd query strings and path segments ---------------------------------------------

QUERY_PARAMS = ["q", "next", "filter", "code", "lesson", "paper", "position", "group", "names", "format", "seed"]
ODD_QUERY_VALUES = ["%00", "%FF%FE", "%ED%A0%80", "9" * 400, "-1", "%3Cscript%3E", "..%2F..%2Fetc%2Fpasswd", "%2F%2Fevil.example", "a%0D%0Ab"]
ODD_SLUGS = ["%00", "%FF", "..", "no-such-lesson", "x" * 300, "%ED%A0%80", "what-is-sovereignty%00"]


def test_every_get_page_survives_odd_query_strings_and_slugs(world):
    clients = {"anon": world.app.test_client(), "teacher": world.teacher, "student": world.ana}
    sid = world.ids["ana"]
    rules = [r for r in world.app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]
    assert len(rules) >= 15
    requests = 0
    for rule in rules:
        slugs = ODD_SLUGS + ["what-is-sovereignty"] if "<slug>" in rule.rule else [None]
        for slug in slugs:
            path = (rule.rule.replace("<int:class_id>", str(world.cid)).replace("<int:assignment_id>", str(world.aid))
                    .replace("<int:student_id>", str(sid)).replace("<int:submission_id>", "1"))
            if slug is not None:
                path = path.replace("<slug>", slug)
            for value in ODD_QUERY_VALUES if slug in (None, "what-is-sovereignty") else ODD_QUERY_VALUES[:2]:
                query = "&".join(f"{name}={value}" for name in QUERY_PARAMS)
                for who, client in clients.items():
                    response = client.get(path, query_string=query)
                    requests += 1
                    assert response.status_code < 500, (who, path, query)
    assert requests > 500
