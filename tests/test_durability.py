"""Durability: no acknowledged word is lost.

1. `flask --app app backup PATH` (the real CLI, in a subprocess) copies the
   database while students keep autosaving and submitting through a waitress
   server; the copy passes PRAGMA integrity_check, and a fresh app started on a
   copy of the backup file shows every user, class and argument that had been
   acknowledged before the backup began.
2. The real server (`python app.py`) is killed with SIGKILL in the middle of a
   burst of autosaves and submissions, several times. After each restart every
   acknowledged write is in the database with its exact text, the database is
   intact, the app serves the same people (their cookies still work), and no
   request that was cut off left half-written state behind.

How "every acknowledged write is there" is checked: each student writes one
request at a time, so for each (assignment, student) the state in the database
must be exactly one of the states the student sent (same version, same status,
same text in every field), at or after the last acknowledged version. The write
in flight at the kill may or may not have committed, but an acknowledged one
can never be missing, and no state can mix fields of two requests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from conftest import PASSWORD, ROOT, add_students, create_assignment, create_class, login, make_app, signup_teacher
from debatekit.services.submissions import evidence_items

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
STUDENTS = 12
KILL_AFTER = (0.25, 0.6, 1.0, 1.6)  # seconds into the burst, one round each
MAX_WRITES_PER_THREAD = 400  # bounded: the burst would last far longer than any kill delay
CLASS_NAME = "Durability Period 2"


# --- plumbing --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEBATEKIT_")}
    env["DEBATEKIT_INSTANCE"] = str(instance)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def prepare_instance(tmp_path: Path, assignments: int):
    """A real instance folder: teacher, class, students and assignments made through the app."""
    instance = tmp_path / "instance"
    app = make_app(tmp_path, INSTANCE_PATH=str(instance), DATABASE=str(instance / "debatekit.sqlite3"))
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher, CLASS_NAME)
    creds = add_students(teacher, class_id, [f"Durable Student{i:02d}" for i in range(STUDENTS)])
    assert len(creds) == STUDENTS
    aids = [create_assignment(teacher, class_id) for _ in range(assignments)]
    return app, instance, class_id, creds, aids


def sign_in(base: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=20)
    token = CSRF_RE.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.text[:500]
    return client


def token_of(client: httpx.Client, path: str = "/") -> str:
    return CSRF_RE.search(client.get(path).text).group(1)


def payload_for(tag: str) -> dict:
    """Distinct text in every field (accents, emoji, CJK), so a mixed-up row is detectable."""
    return {
        "claim": f"Claim {tag}: consent matters \u2014 soberan\u00eda \u2713",
        "evidence": [{"text": f"Evidence {tag} from the charter \u65e5\u672c", "source": "un-charter"}],
        "reasoning": f"Reasoning {tag}\nsecond line \U0001F600",
        "rebuttal": f"Rebuttal {tag}",
    }


def as_form(payload: dict, token: str, version: int) -> dict:
    return {
        "csrf_token": token, "draft_version": str(version), "claim": payload["claim"],
        "evidence": payload["evidence"][0]["text"], "evidence_source": payload["evidence"][0]["source"],
        "evidence_citation": "", "reasoning": payload["reasoning"], "rebuttal": payload["rebuttal"],
    }


@dataclass
class Ledger:
    """What each student sent and what the server acknowledged, per (assignment, student)."""

    sent: dict = field(default_factory=dict)  # (aid, username) -> {version: (status, payload)}
    acked: dict = field(default_factory=dict)  # (aid, username) -> [(version, status, monotonic time)]
    unexpected: list = field(default_factory=list)
    cut_off: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, key, version, status, payload):
        with self.lock:
            self.sent.setdefault(key, {})[version] = (status, payload)

    def ack(self, key, version, status):
        with self.lock:
            self.acked.setdefault(key, []).append((version, status, time.monotonic()))

    def acked_count(self, before: float | None = None) -> int:
        return sum(1 for acks in self.acked.values() for a in acks if before is None or a[2] < before)


def write_loop(ledger: Ledger, client: httpx.Client, username: str, token: str, first: int, then: int | None,
               autosaves_before_submit: int, stop: threading.Event, tag: str, pause: float = 0.0):
    """Autosave `first` a few times, submit it, then autosave `then` until stopped or cut off."""
    headers = {"X-CSRFToken": token, "Accept": "application/json"}

    def autosave(aid, version, n):
        payload = payload_for(f"{tag}-{username}-a{aid}-v{version + 1}-n{n}")
        ledger.send((aid, username), version + 1, "draft", payload)
        response = client.post(f"/assignments/{aid}/draft", json={**payload, "base_version": version}, headers=headers)
        if response.status_code != 200:
            ledger.unexpected.append((username, aid, "draft", response.status_code, response.text[:200]))
            return None
        new = response.json()["version"]
        ledger.ack((aid, username), new, "draft")
        return new

    try:
        version = 0
        for n in range(autosaves_before_submit):
            version = autosave(first, version, n)
            if version is None or stop.is_set():
                return
            time.sleep(pause)
        payload = payload_for(f"{tag}-{username}-a{first}-v{version + 1}-submit")
        ledger.send((first, username), version + 1, "submitted", payload)
        response = client.post(f"/assignments/{first}/submit", data=as_form(payload, token, version))
        if response.status_code != 302:
            ledger.unexpected.append((username, first, "submit", response.status_code, response.text[:200]))
            return
        ledger.ack((first, username), version + 1, "submitted")
        if then is None:
            return
        version = 0
        for n in range(MAX_WRITES_PER_THREAD):
            if stop.is_set():
                return
            version = autosave(then, version, n)
            if version is None:
                return
            time.sleep(pause)
    except httpx.TransportError:
        with ledger.lock:
            ledger.cut_off += 1


def stored_state(conn: sqlite3.Connection, aid: int, username: str):
    row = conn.execute(
        "SELECT s.* FROM submissions s JOIN users u ON u.id = s.student_id WHERE s.assignment_id = ? AND u.username = ?",
        [aid, username],
    ).fetchone()
    if row is None:
        return None
    fields = {"claim": row["claim"], "evidence": evidence_items(row["evidence"]), "reasoning": row["reasoning"], "rebuttal": row["rebuttal"]}
    return row, fields


def check_ledger(conn: sqlite3.Connection, ledger: Ledger, *, acked_before: float | None = None) -> dict:
    """Every acknowledged write (before `acked_before`, if given) is in the database, exactly."""
    stats = {"acked": 0, "committed_unacked": 0}
    for key, sent in ledger.sent.items():
        aid, username = key
        acks = [a for a in ledger.acked.get(key, []) if acked_before is None or a[2] < acked_before]
        stats["acked"] += len(acks)
        last_acked = max((a[0] for a in acks), default=0)
        found = stored_state(conn, aid, username)
        if found is None:
            assert last_acked == 0, f"{key}: acknowledged version {last_acked} is missing"
            continue
        row, fields = found
        assert row["version"] >= last_acked, f"{key}: stored version {row['version']} < acknowledged {last_acked}"
        assert row["version"] in sent, f"{key}: stored version {row['version']} was never sent"
        status, payload = sent[row["version"]]
        assert row["status"] == status, (key, row["version"], row["status"], status)
        assert fields == payload, f"{key}: stored text differs from what was sent for version {row['version']}"
        if status == "submitted":
            kept = conn.execute(
                "SELECT * FROM submission_versions WHERE submission_id = ? AND version = ?", [row["id"], row["version"]]
            ).fetchone()
            assert kept is not None, f"{key}: submitted without its kept version"
            assert (kept["claim"], evidence_items(kept["evidence"]), kept["reasoning"], kept["rebuttal"]) == (
                payload["claim"], payload["evidence"], payload["reasoning"], payload["rebuttal"])
        if row["version"] > last_acked:
            stats["committed_unacked"] += 1
    return stats


def check_database(path) -> None:
    conn = sqlite3.connect(str(path))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        half_written = conn.execute(
            """SELECT s.id FROM submissions s WHERE s.status = 'submitted' AND NOT EXISTS (
                 SELECT 1 FROM submission_versions v WHERE v.submission_id = s.id AND v.version = s.version
                 AND v.claim = s.claim AND v.evidence = s.evidence AND v.reasoning = s.reasoning AND v.rebuttal = s.rebuttal)"""
        ).fetchall()
        assert half_written == [], "a submitted row without its identical kept version"
        stray = conn.execute(
            """SELECT v.id FROM submission_versions v JOIN submissions s ON s.id = v.submission_id
               WHERE v.version > s.version"""
        ).fetchall()
        assert stray == [], "a kept version newer than its submission"
    finally:
        conn.close()


def open_db(path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path))
    conn.row_factory = sqlite3.Row
    return conn


# --- 1. online backup while the app is writing, then a restore --------------------------------


@pytest.fixture
def live_app(tmp_path):
    from waitress import create_server

    app, instance, class_id, creds, aids = prepare_instance(tmp_path, assignments=2)
    srv = create_server(app, host="127.0.0.1", port=0, threads=8, ident="debatekit-test")
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield app, instance, class_id, creds, aids, f"http://127.0.0.1:{srv.effective_port}"
    srv.close()


def test_backup_while_writing_and_restore(live_app, tmp_path):
    app, instance, class_id, creds, (first, then), base = live_app
    ledger = Ledger()
    stop = threading.Event()
    writers = creds[:6]
    clients = {u: sign_in(base, u, p) for u, p in writers}
    tokens = {u: token_of(c) for u, c in clients.items()}
    threads = [
        threading.Thread(target=write_loop, args=(ledger, clients[u], u, tokens[u], first, then, 2 + 3 * i, stop, "bk"),
                         kwargs={"pause": 0.005})
        for i, (u, _) in enumerate(writers)
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while ledger.acked_count() < 40 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ledger.acked_count() >= 40, "the writers did not get going"

    backup = tmp_path / "backups" / "nightly.sqlite3"
    started = time.monotonic()
    during = ledger.acked_count()
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "backup", str(backup)], cwd=ROOT,
                            env=server_env(instance), capture_output=True, text=True, timeout=60)
    time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(30)
    for c in clients.values():
        c.close()
    assert result.returncode == 0, result.stderr
    assert "integrity check: ok" in result.stdout
    assert ledger.unexpected == []
    assert ledger.acked_count() > during, "writes went on while the backup ran"

    # The backup is one self-contained file (no -wal beside it) and is sound.
    assert not Path(str(backup) + "-wal").exists()
    check_database(backup)
    conn = open_db(backup)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        stats = check_ledger(conn, ledger, acked_before=started)
        users = {r[0] for r in conn.execute("SELECT username FROM users")}
    finally:
        conn.close()
    assert stats["acked"] >= 40
    assert users == {"teacher1", *(u for u, _ in creds)}

    # Restore: a fresh app on a copy of the backup file, checked through the web pages.
    restored = tmp_path / "restored"
    (restored / "instance").mkdir(parents=True)
    shutil.copyfile(backup, restored / "instance" / "debatekit.sqlite3")
    app2 = make_app(restored, DATABASE=str(restored / "instance" / "debatekit.sqlite3"))
    teacher = app2.test_client()
    assert login(teacher, "teacher1").status_code == 302
    assert CLASS_NAME in teacher.get("/classes").get_data(as_text=True)
    roster = teacher.get(f"/classes/{class_id}").get_data(as_text=True)
    assert all(f"Durable Student{i:02d}" in roster for i in range(STUDENTS))
    board = teacher.get(f"/assignments/{first}/submissions").get_data(as_text=True)
    conn = open_db(backup)
    submitted = conn.execute("SELECT claim FROM submissions WHERE assignment_id = ? AND status = 'submitted'", [first]).fetchall()
    conn.close()
    acked_submits = [k for k, acks in ledger.acked.items() if any(a[1] == "submitted" and a[2] < started for a in acks)]
    assert len(submitted) >= len(acked_submits) >= 1
    for (claim,) in submitted:
        assert claim.split(":")[0] in board
    # Each writer signs in on the restored copy and finds their latest text in the workspace.
    for username, password in writers:
        student = app2.test_client()
        assert login(student, username, password).status_code == 302
        for aid in (first, then):
            found = stored_state(open_db(backup), aid, username)
            if found is None:
                continue
            page = student.get(f"/assignments/{aid}").get_data(as_text=True)
            assert found[1]["claim"].split(":")[0] in page and found[1]["rebuttal"] in page


def test_backup_command_through_the_cli_runner(app, tmp_path):
    teacher = app.test_client()
    signup_teacher(teacher)
    create_class(teacher, "Backed up")
    target = tmp_path / "nested" / "folder" / "copy.sqlite3"
    runner = app.test_cli_runner()
    for _ in range(2):  # the second run replaces the first copy
        result = runner.invoke(args=["backup", str(target)])
        assert result.exit_code == 0, result.output
        assert "integrity check: ok" in result.output
    conn = open_db(target)
    try:
        assert conn.execute("SELECT name FROM classes").fetchall()[0][0] == "Backed up"
    finally:
        conn.close()


# --- 2. SIGKILL in the middle of a burst -----------------------------------------------------------


class Server:
    """`python app.py` as a subprocess on an instance folder."""

    def __init__(self, instance: Path, log: Path):
        self.instance, self.log = instance, log
        self.proc: subprocess.Popen | None = None
        self.base = ""

    def start(self) -> str:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--threads", "8"], cwd=ROOT,
                                         env=server_env(self.instance), stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(self.base + "/login", timeout=2).status_code == 200:
                    return self.base
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("the server did not start: " + self.log.read_text()[-3000:])

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def test_sigkill_mid_burst_loses_no_acknowledged_write(tmp_path):
    app, instance, class_id, creds, aids = prepare_instance(tmp_path, assignments=2 * len(KILL_AFTER))
    del app
    server = Server(instance, tmp_path / "server.log")
    base = server.start()
    teacher_cookies = sign_in(base, "teacher1", PASSWORD).cookies
    student_cookies = {}
    totals = {"rounds": 0, "acked": 0, "acked_submits": 0, "committed_unacked": 0, "cut_off": 0}
    ledger = Ledger()
    try:
        for rnd, delay in enumerate(KILL_AFTER):
            first, then = aids[2 * rnd], aids[2 * rnd + 1]
            clients = {}
            for username, password in creds:
                if username in student_cookies:  # the session from before the crash still works
                    clients[username] = httpx.Client(base_url=base, cookies=student_cookies[username], timeout=20)
                else:
                    clients[username] = sign_in(base, username, password)
                    student_cookies[username] = clients[username].cookies
            tokens = {u: token_of(c) for u, c in clients.items()}
            round_ledger = Ledger()
            stop = threading.Event()
            threads = [
                threading.Thread(target=write_loop, args=(round_ledger, clients[u], u, tokens[u], first, then, 2 + 7 * (i % 4), stop, f"r{rnd}"))
                for i, (u, _) in enumerate(creds)
            ]
            for t in threads:
                t.start()
            time.sleep(delay)
            server.kill()
            stop.set()
            for t in threads:
                t.join(30)
            for c in clients.values():
                c.close()
            assert round_ledger.unexpected == [], round_ledger.unexpected[:3]
            assert round_ledger.acked_count() > 0, f"round {rnd}: nothing was acknowledged before the kill"
            assert round_ledger.cut_off > 0, f"round {rnd}: the kill did not land in the middle of the burst"

            base = server.start()  # same instance folder, same database
            check_database(instance / "debatekit.sqlite3")
            conn = open_db(instance / "debatekit.sqlite3")
            try:
                stats = check_ledger(conn, round_ledger)
                submitted = conn.execute("SELECT COUNT(*) FROM submissions WHERE assignment_id = ? AND status = 'submitted'", [first]).fetchone()[0]
            finally:
                conn.close()
            acked_submits = sum(1 for acks in round_ledger.acked.values() for a in acks if a[1] == "submitted")
            assert submitted >= acked_submits

            # The app serves normally: the teacher sees every acknowledged submission on the review board ...
            teacher = httpx.Client(base_url=base, cookies=teacher_cookies, timeout=20)
            board = teacher.get(f"/assignments/{first}/submissions")
            assert board.status_code == 200
            for (aid, username), acks in round_ledger.acked.items():
                if any(a[1] == "submitted" for a in acks):
                    assert f"Claim r{rnd}-{username}-a{aid}-" in board.text
            teacher.close()
            # ... and a student whose write was cut off carries on from the stored version.
            username = creds[rnd][0]
            student = httpx.Client(base_url=base, cookies=student_cookies[username], timeout=20)
            page = student.get(f"/assignments/{then}")
            assert page.status_code == 200
            version = int(re.search(r'name="draft_version" value="(\d+)"', page.text).group(1))
            again = student.post(f"/assignments/{then}/draft", json={**payload_for("after-restart"), "base_version": version},
                                 headers={"X-CSRFToken": CSRF_RE.search(page.text).group(1), "Accept": "application/json"})
            assert again.status_code == 200 and again.json()["version"] == version + 1
            student.close()

            for key, sent in round_ledger.sent.items():
                ledger.sent[key] = sent
            totals["rounds"] += 1
            totals["acked"] += stats["acked"]
            totals["acked_submits"] += acked_submits
            totals["committed_unacked"] += stats["committed_unacked"]
            totals["cut_off"] += round_ledger.cut_off
    finally:
        server.stop()

    # The logs of every run hold no argument text and no password.
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert "Claim r0" not in log and "Reasoning r" not in log and "Evidence r" not in log
    assert all(password not in log for _, password in creds) and PASSWORD not in log
    print(f"SIGKILL rounds: {totals['rounds']}, acknowledged writes checked: {totals['acked']} "
          f"(of them submissions: {totals['acked_submits']}), writes cut off by the kill: {totals['cut_off']}, "
          f"unacknowledged writes found committed: {totals['committed_unacked']}")
    assert totals["rounds"] == len(KILL_AFTER)
    Path(tmp_path / "sigkill-summary.json").write_text(json.dumps(totals))


def test_a_failed_backup_never_replaces_or_poses_as_a_good_one(app, tmp_path):
    teacher = app.test_client()
    signup_teacher(teacher)
    create_class(teacher, "Kept safe")
    target = tmp_path / "backups" / "latest.sqlite3"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    good = target.read_bytes()

    # The database the kit points at is damaged (here: not a database at all).
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"this is not an SQLite database" * 200)
    app.config["DATABASE"] = str(damaged)
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code != 0
    assert "Backup failed" in result.output
    assert target.read_bytes() == good, "the previous good backup is untouched"
    assert sorted(p.name for p in target.parent.iterdir()) == ["latest.sqlite3"], "no partial copy left behind"

    # A mistyped database path is an error, not an empty database created there and backed up.
    missing = tmp_path / "no-such-folder" / "nothing.sqlite3"
    app.config["DATABASE"] = str(missing)
    result = runner.invoke(args=["backup", str(tmp_path / "other.sqlite3")])
    assert result.exit_code != 0 and "Backup failed" in result.output
    assert not missing.exists() and not (tmp_path / "other.sqlite3").exists()
