"""The load generator of bench/run.py: worker processes, each holding many
signed-in students (one httpx.Client per student: its own cookies and its own
keep-alive connection, like one browser), driven by commands over a pipe.

A worker signs its students in, opens each one's assignment page (for the
CSRF token and draft version, as the browser does), reports ready, then runs
the commands it is sent and answers with raw latencies:

- ("throughput", kind, start_at, seconds): a closed loop per student (send,
  wait for the answer, send again) for ``seconds``; kind is "static" (the
  floor: /static/style.css), "lesson" (the student's lesson page) or
  "autosave" (POST /assignments/ID/draft, JSON, a changed text every time);
- ("period", start_at, seconds, interval, read_every): the school period.
  Each student starts at a random moment within the first interval, reads
  the lesson page and the assignment page, then autosaves every ``interval``
  seconds, and reads one of the two pages again every ``read_every``
  autosaves. Requests are sent on a fixed schedule (open loop), so a slow
  server does not slow the students down;
- ("stop",).

Processes rather than threads alone so that the client's own Python work is
not serialised on one GIL next to a server that is.
"""

from __future__ import annotations

import random
import re
import ssl
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

import httpx

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION_RE = re.compile(r'name="draft_version" value="(\d+)"')
_SSL = None


def new_client(base_url: str) -> httpx.Client:
    global _SSL
    if _SSL is None:  # one context for all clients: building one per client costs ~20 ms and memory
        _SSL = ssl.create_default_context()
    return httpx.Client(base_url=base_url, timeout=60, follow_redirects=False, verify=_SSL,
                        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))


def sign_in(client: httpx.Client, username: str, password: str) -> float:
    """Sign in like the browser; returns the POST /login latency in seconds."""
    page = client.get("/login")
    token = CSRF_RE.search(page.text).group(1)
    t0 = time.perf_counter()
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    elapsed = time.perf_counter() - t0
    if response.status_code != 302:
        raise RuntimeError(f"sign-in of {username} answered {response.status_code}")
    return elapsed


class Student:
    def __init__(self, base_url: str, username: str, password: str, assignment_id: int, lesson_slug: str, rnd_seed: int):
        self.client = new_client(base_url)
        self.username, self.password = username, password
        self.assignment_id, self.lesson_slug = assignment_id, lesson_slug
        self.rnd = random.Random(rnd_seed)
        self.csrf = ""
        self.version = 0
        self.saves = 0
        self.text = {
            "claim": "Mexico's consent should come first, because sovereign equality is the basis of the Charter.",
            "evidence": [{"text": "Article 2(4) forbids the use of force against another state's territory.", "source": "un-charter"}],
            "reasoning": "If one country could act on another's land without asking, equality would mean little.",
            "rebuttal": "",
        }
        self.base_reasoning = self.text["reasoning"]

    def open_workspace(self) -> httpx.Response:
        response = self.client.get(f"/assignments/{self.assignment_id}")
        if response.status_code == 200:
            self.csrf = CSRF_RE.search(response.text).group(1)
            self.version = int(VERSION_RE.search(response.text).group(1))
        return response

    def autosave(self) -> httpx.Response:
        self.saves += 1
        # The student keeps typing: a sentence more between saves, the argument
        # staying at a realistic length (about 2 kB; the app caps a field at 20,000 characters).
        sentences = [f"Point {n}: shared responsibility needs shared rules and oversight." for n in range(max(1, self.saves - 24), self.saves + 1)]
        self.text["reasoning"] = self.base_reasoning + " " + " ".join(sentences)
        body = {"base_version": self.version, **self.text}
        response = self.client.post(
            f"/assignments/{self.assignment_id}/draft", json=body,
            headers={"X-CSRFToken": self.csrf, "Accept": "application/json"},
        )
        if response.status_code == 200:
            self.version = response.json()["version"]
        return response

    def lesson(self) -> httpx.Response:
        return self.client.get(f"/lessons/{self.lesson_slug}")

    def static(self) -> httpx.Response:
        return self.client.get("/static/style.css")


def _timed(fn):
    t0 = time.perf_counter()
    try:
        response = fn()
        ok = response.status_code == 200
        error = None if ok else f"HTTP {response.status_code}"
    except Exception as exc:  # noqa: BLE001 (every failure is counted, none stops the run)
        error = repr(exc)[:200]
    return time.perf_counter() - t0, error


def _throughput(students, kind, start_at, seconds):
    latencies, errors = [], []
    lock = threading.Lock()
    stop_at = start_at + seconds

    def loop(student):
        action = getattr(student, kind)
        mine, bad = [], []
        while time.time() < start_at:
            time.sleep(0.001)
        while time.time() < stop_at:
            elapsed, error = _timed(action)
            mine.append(elapsed)
            if error:
                bad.append(error)
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=loop, args=(s,)) for s in students]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"latencies": latencies, "errors": errors, "seconds": seconds}


def _period(students, start_at, seconds, interval, read_every):
    by_kind = {"lesson": [], "workspace": [], "autosave": []}
    errors = []
    lock = threading.Lock()
    stop_at = start_at + seconds

    def run(student):
        mine = {k: [] for k in by_kind}
        bad = []
        offset = student.rnd.uniform(0, interval)

        def do(kind, fn):
            elapsed, error = _timed(fn)
            mine[kind].append(elapsed)
            if error:
                bad.append(f"{kind}: {error}")

        def wait_until(moment):
            delay = moment - time.time()
            if delay > 0:
                time.sleep(delay)

        wait_until(start_at + offset)
        do("lesson", student.lesson)
        do("workspace", student.open_workspace)
        k = 1
        while True:
            moment = start_at + offset + k * interval
            if moment >= stop_at:
                break
            wait_until(moment)
            do("autosave", student.autosave)
            if k % read_every == 0:
                if (k // read_every) % 2:
                    do("lesson", student.lesson)
                else:
                    do("workspace", student.open_workspace)
            k += 1
        with lock:
            for kind, values in mine.items():
                by_kind[kind].extend(values)
            errors.extend(bad)

    threads = [threading.Thread(target=run, args=(s,), daemon=True) for s in students]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"by_kind": by_kind, "errors": errors}


def worker(conn, base_url: str, accounts: list[tuple], seed: int) -> None:
    """Entry point of a worker process. accounts: (username, password, assignment_id, lesson_slug)."""
    students = []
    try:
        students = [Student(base_url, u, p, aid, slug, seed * 100_003 + i) for i, (u, p, aid, slug) in enumerate(accounts)]

        def prepare(student):
            sign_in(student.client, student.username, student.password)
            response = student.open_workspace()
            if response.status_code != 200:
                raise RuntimeError(f"workspace of {student.username} answered {response.status_code}")

        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(prepare, students))
        conn.send(("ready", len(students)))
        while True:
            command = conn.recv()
            if command[0] == "throughput":
                _, kind, start_at, seconds = command
                conn.send(("done", _throughput(students, kind, start_at, seconds)))
            elif command[0] == "period":
                _, start_at, seconds, interval, read_every = command
                conn.send(("done", _period(students, start_at, seconds, interval, read_every)))
            else:
                break
    except Exception:  # noqa: BLE001 (reported to the parent)
        conn.send(("error", traceback.format_exc()))
    finally:
        for student in students:
            student.client.close()
        conn.close()
