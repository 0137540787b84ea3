"""A deadline rush against a real waitress server: 35 students submit in the
same second. Every submission must be stored exactly once, with no error."""

from __future__ import annotations

import re
import threading

import httpx
import pytest

from conftest import add_students, create_assignment, create_class, draw_positions, make_app, signup_teacher
from debatekit import db as database

STUDENTS = 35
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def server(tmp_path):
    from waitress import create_server

    app = make_app(tmp_path)
    srv = create_server(app, host="127.0.0.1", port=0, threads=8, ident="debatekit-test")
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{srv.effective_port}"
    srv.close()


def _sign_in(base, username, password) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    token = CSRF_RE.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.text[:500]
    return client


def test_35_students_submit_in_the_same_second(server):
    app, base = server
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    creds = add_students(teacher, class_id, [f"Rush Student{i:02d}" for i in range(STUDENTS)])
    aid = create_assignment(teacher, class_id)
    draw_positions(teacher, aid, seed=1)

    clients = [_sign_in(base, u, p) for u, p in creds]
    forms = []
    for client in clients:
        page = client.get(f"/assignments/{aid}").text
        forms.append({
            "csrf_token": CSRF_RE.search(page).group(1),
            "draft_version": re.search(r'name="draft_version" value="(\d+)"', page).group(1),
        })

    barrier = threading.Barrier(STUDENTS)
    results: list = [None] * STUDENTS

    def rush(i):
        data = {**forms[i], "claim": f"Claim of student {i}", "evidence": f"Evidence {i}", "evidence_source": "un-charter",
                "evidence_citation": "", "reasoning": f"Reasoning {i}", "rebuttal": f"Rebuttal {i}"}
        barrier.wait()
        try:
            results[i] = clients[i].post(f"/assignments/{aid}/submit", data=data).status_code
        except Exception as error:  # noqa: BLE001 (a failure is recorded, not raised in a thread)
            results[i] = repr(error)

    threads = [threading.Thread(target=rush, args=(i,)) for i in range(STUDENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [302] * STUDENTS, results

    conn = database.connect(app.config["DATABASE"])
    try:
        rows = conn.execute("SELECT s.claim, u.username FROM submissions s JOIN users u ON u.id = s.student_id WHERE s.assignment_id = ? AND s.status = 'submitted'", [aid]).fetchall()
        versions = conn.execute("SELECT COUNT(*) FROM submission_versions").fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.conn.close()
    assert len(rows) == STUDENTS and versions == STUDENTS
    assert sorted(r["claim"] for r in rows) == sorted(f"Claim of student {i}" for i in range(STUDENTS))
    assert integrity == "ok"
    for client in clients:
        client.close()
