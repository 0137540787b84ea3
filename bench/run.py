"""Civic Debate Kit load benchmark: every scenario of issue 9, side by side
with the floor, in one run, printed as one table.

    python bench/run.py            # the full run (the school period lasts 60 s; about 3 minutes in all)
    python bench/run.py --quick    # a shorter run for development (15 s period, shorter throughput rounds)
    python bench/run.py --json results.json --threads 8

What it does:
1. seeds a temporary instance folder's SQLite database directly through the
   services (bench/seed.py: 500 students in classes of 34 with a term of
   history, a 35-student class for the deadline rush, a 35-student class
   whose arguments are all submitted for the review board);
2. starts the app as a separate process, exactly as a teacher does:
   ``python app.py --port <free> --threads N`` with DEBATEKIT_INSTANCE set
   to that folder (waitress, production settings, scrypt, CSRF on);
3. drives it over HTTP with httpx clients, one per student (own cookies, own
   keep-alive connection), from worker processes (bench/loadgen.py);
4. times the position draw for 10,000 students (bench/positions_bench.py)
   once the server is stopped, and counts SQL statements per request for each
   list page, in-process, for a big and a small class (equal = no query per row);
5. prints machine details and, per scenario, the figure, the target and
   PASS/FAIL. The floor is /static/style.css served by the same app and
   server and measured with the same clients in the same rounds. The exit
   status is 1 when a target is missed.

Other options: --students N (size of the school period), --only (a subset of
scenarios), --app-dir (serve another checkout, to compare two versions),
--keep (keep the instance folder and server.log). BENCHMARKS.md explains how
to read the table.

Not run in CI: timings depend on the machine and on what else it is doing
(the load average is printed at the start and end for that reason).
"""

from __future__ import annotations

import sys, pathlib; sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # noqa: E401,E702

import argparse
import json
import math
import multiprocessing as mp
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import loadgen  # noqa: E402
import positions_bench  # noqa: E402
import seed as seeding  # noqa: E402

from app import DEFAULT_CONNECTION_LIMIT, DEFAULT_THREADS  # noqa: E402  (app.py's serving defaults)

TARGETS = {
    "lesson_ratio": 0.5,
    "autosave_ratio": 0.4,
    "rush_p99_ms": 250.0,
    "period_p99_ms": 300.0,
    "review_median_ms": 50.0,
    "draw_ms": 100.0,
    "rss_mb": 120.0,
}


# --- small helpers -------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return seconds * 1000.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loadavg() -> str:
    if not hasattr(os, "getloadavg"):
        return "n/a"
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine(threads: int) -> dict:
    info = positions_bench.machine()
    info.update(
        cpu_physical=psutil.cpu_count(logical=False),
        memory_gb=round(psutil.virtual_memory().total / 2**30, 1),
        loadavg_start=loadavg(),
        waitress_threads=threads,
    )
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["processor"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


# --- the server ----------------------------------------------------------------------------


class Server:
    """`python app.py --port P --threads N` in its own process, on the benchmark's instance folder."""

    def __init__(self, instance: Path, threads: int, app_dir: Path = ROOT, connection_limit: int | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(instance / "server.log", "w")  # noqa: SIM115 (closed in stop)
        env = dict(os.environ, DEBATEKIT_INSTANCE=str(instance))
        if connection_limit:
            env["DEBATEKIT_CONNECTION_LIMIT"] = str(connection_limit)
        self.process = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(self.port), "--threads", str(threads)],
            cwd=app_dir, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self.ps = psutil.Process(self.process.pid)
        deadline = time.time() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}; see {instance / 'server.log'}")
            try:
                if httpx.get(self.base + "/static/style.css", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise RuntimeError("the server did not answer within 60 s")
            time.sleep(0.2)

        # Peak RSS, sampled every 20 ms in the background (per scenario: see peak_since).
        self.peak_mb = 0.0
        self._sampling = True
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while self._sampling:
            try:
                self.peak_mb = max(self.peak_mb, self.rss_mb())
            except psutil.Error:
                return
            time.sleep(0.02)

    def reset_peak(self) -> None:
        self.peak_mb = self.rss_mb()

    def rss_mb(self) -> float:
        return self.ps.memory_info().rss / 2**20

    def cpu_seconds(self) -> float:
        t = self.ps.cpu_times()
        return t.user + t.system

    def stop(self) -> None:
        self._sampling = False
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


# --- worker processes ------------------------------------------------------------------------


class Pool:
    """Worker processes of bench/loadgen.py, each holding a share of the students."""

    def __init__(self, base: str, accounts: list[tuple], processes: int):
        ctx = mp.get_context("spawn")
        self.conns, self.procs = [], []
        shares = [accounts[i::processes] for i in range(processes)]
        for i, share in enumerate(shares):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=loadgen.worker, args=(child, base, share, i + 1), daemon=True)
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)
        try:
            for conn in self.conns:
                self._answer(conn)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _answer(conn):
        kind, payload = conn.recv()
        if kind == "error":
            raise RuntimeError("a load worker failed:\n" + payload)
        return payload

    def cpu_seconds(self) -> float:
        """CPU used by the load-generating processes so far (they share the machine with the server)."""
        total = 0.0
        for proc in self.procs:
            try:
                t = psutil.Process(proc.pid).cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def run(self, *command) -> list[dict]:
        for conn in self.conns:
            conn.send(command)
        return [self._answer(conn) for conn in self.conns]

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(("stop",))
            except OSError:
                pass
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()  # our own worker process, by its handle


def period_accounts(seeded, count: int) -> list[tuple]:
    return [(s.username, s.password, aid, seeded.period_lessons[aid]) for s, aid in seeded.period_students[:count]]


# --- scenarios ---------------------------------------------------------------------------------


def scenario_memory(server: Server, seeded) -> dict:
    """RSS of the serving process after every lesson page, the catalogue and the guide were served."""
    before = server.rss_mb()
    with httpx.Client(base_url=server.base, timeout=30) as client:
        paths = ["/lessons", "/guide"] + [f"/lessons/{slug}" for slug in seeded.lesson_slugs]
        for path in paths:
            status = client.get(path).status_code
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
    time.sleep(0.5)
    return {"rss_start_mb": round(before, 1), "rss_curriculum_mb": round(server.rss_mb(), 1), "pages": len(paths)}


def scenario_throughput(server: Server, seeded, *, clients: int, processes: int, rounds: int, seconds: float) -> dict:
    """Closed-loop requests/s for the floor, the lesson page and autosave, interleaved round by round."""
    pool = Pool(server.base, period_accounts(seeded, clients), processes)
    per_kind: dict[str, list] = {"static": [], "lesson": [], "autosave": []}
    try:
        for _ in range(rounds):
            for kind in per_kind:
                cpu0 = server.cpu_seconds()
                answers = pool.run("throughput", kind, time.time() + 0.3, seconds)
                cpu = server.cpu_seconds() - cpu0
                latencies = [x for a in answers for x in a["latencies"]]
                errors = [e for a in answers for e in a["errors"]]
                per_kind[kind].append({
                    "rps": len(latencies) / seconds,
                    "p50_ms": ms(percentile(latencies, 50)) if latencies else None,
                    "p99_ms": ms(percentile(latencies, 99)) if latencies else None,
                    "errors": len(errors),
                    "first_errors": errors[:3],
                    "server_cpu_ms_per_request": ms(cpu / max(1, len(latencies))),
                })
    finally:
        pool.close()
    summary = {}
    for kind, runs in per_kind.items():
        summary[kind] = {
            "rps": round(statistics.median(r["rps"] for r in runs), 1),
            "rps_rounds": [round(r["rps"], 1) for r in runs],
            "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 2),
            "p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 2),
            "errors": sum(r["errors"] for r in runs),
            "first_errors": [e for r in runs for e in r["first_errors"]][:3],
            "server_cpu_ms_per_request": round(statistics.median(r["server_cpu_ms_per_request"] for r in runs), 2),
        }
    summary["clients"], summary["processes"], summary["rounds"], summary["seconds"] = clients, processes, rounds, seconds
    return summary


def scenario_rush(server: Server, seeded, db_path: str) -> dict:
    """35 students sign in (scrypt, informational), open their workspace, then submit in the same second."""
    aid = seeded.rush_assignment
    students = [loadgen.new_client(server.base) for _ in seeded.rush_students]
    try:
        sign_ins: list = [None] * len(students)
        barrier = threading.Barrier(len(students))

        def sign(i):
            s = seeded.rush_students[i]
            page = students[i].get("/login")
            token = loadgen.CSRF_RE.search(page.text).group(1)
            barrier.wait()
            t0 = time.perf_counter()
            r = students[i].post("/login", data={"username": s.username, "password": s.password, "csrf_token": token})
            sign_ins[i] = (time.perf_counter() - t0, r.status_code)

        _run_threads(sign, len(students))
        forms = []
        for client in students:
            page = client.get(f"/assignments/{aid}").text
            forms.append({"csrf_token": loadgen.CSRF_RE.search(page).group(1),
                          "draft_version": loadgen.VERSION_RE.search(page).group(1)})
        results: list = [None] * len(students)
        barrier = threading.Barrier(len(students))

        def rush(i):
            data = {**forms[i], "claim": f"Claim of student {i}: consent must come first.",
                    "evidence": [f"Article 2(4) of the Charter, cited by student {i}.", "The Senate votes on every foreign deployment."],
                    "evidence_source": ["un-charter", ""], "evidence_citation": ["", "Constitution of Mexico, Art. 76"],
                    "reasoning": f"Reasoning of student {i}. " * 20, "rebuttal": f"Rebuttal of student {i}. " * 8}
            barrier.wait()
            t0 = time.perf_counter()
            try:
                status = students[i].post(f"/assignments/{aid}/submit", data=data).status_code
            except Exception as exc:  # noqa: BLE001
                status = repr(exc)
            results[i] = (time.perf_counter() - t0, status)

        _run_threads(rush, len(students))
    finally:
        for client in students:
            client.close()
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        stored = conn.execute("SELECT COUNT(*) FROM submissions WHERE assignment_id = ? AND status = 'submitted'", [aid]).fetchone()[0]
        versions = conn.execute(
            "SELECT COUNT(*) FROM submission_versions v JOIN submissions s ON s.id = v.submission_id WHERE s.assignment_id = ?", [aid]
        ).fetchone()[0]
    finally:
        conn.close()
    latencies = [r[0] for r in results]
    errors = [r[1] for r in results if r[1] != 302]
    sign_lat = [r[0] for r in sign_ins]
    return {
        "students": len(students),
        "p50_ms": round(ms(percentile(latencies, 50)), 1),
        "p99_ms": round(ms(percentile(latencies, 99)), 1),
        "max_ms": round(ms(max(latencies)), 1),
        "errors": len(errors),
        "error_samples": [str(e) for e in errors[:3]],
        "stored": stored,
        "versions": versions,
        "signin_p50_ms": round(ms(percentile(sign_lat, 50)), 1),
        "signin_p99_ms": round(ms(percentile(sign_lat, 99)), 1),
        "signin_errors": sum(1 for r in sign_ins if r[1] != 302),
    }


def _run_threads(fn, n: int) -> None:
    threads = [threading.Thread(target=fn, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)


def scenario_review(server: Server, seeded, *, requests: int) -> dict:
    """The review board of a 35-student assignment, one teacher, sequential requests."""
    teacher = seeded.review_teacher
    with loadgen.new_client(server.base) as client:
        loadgen.sign_in(client, teacher.username, teacher.password)
        client.get("/lessons")  # the lesson library is loaded (as after the memory scenario)
        path = f"/assignments/{seeded.review_assignment}/submissions"
        t0 = time.perf_counter()
        first = client.get(path)  # the first load renders every argument's Markdown (cold cache)
        cold = time.perf_counter() - t0
        cards = first.text.count('class="submission-card')
        if first.status_code != 200 or cards != seeded.review_class_size:
            raise RuntimeError(f"review board answered {first.status_code} with {cards} cards")
        for _ in range(3):
            client.get(path)
        latencies, errors = [], 0
        for _ in range(requests):
            t0 = time.perf_counter()
            status = client.get(path).status_code
            latencies.append(time.perf_counter() - t0)
            errors += status != 200
    return {
        "students": seeded.review_class_size,
        "requests": requests,
        "median_ms": round(ms(statistics.median(latencies)), 1),
        "p95_ms": round(ms(percentile(latencies, 95)), 1),
        "errors": errors,
        "html_kb": round(len(first.content) / 1024, 1),
        "first_load_ms": round(ms(cold), 1),
    }


def scenario_period(server: Server, seeded, *, students: int, seconds: float, interval: float, read_every: int, processes: int) -> dict:
    pool = Pool(server.base, period_accounts(seeded, students), processes)
    try:
        cpu0, rss0, client0 = server.cpu_seconds(), server.rss_mb(), pool.cpu_seconds()
        t0 = time.time()
        answers = pool.run("period", time.time() + 1.0, seconds, interval, read_every)
        wall = time.time() - t0
        cpu = server.cpu_seconds() - cpu0
        client_cpu = pool.cpu_seconds() - client0
        rss = server.rss_mb()
    finally:
        pool.close()
    by_kind = {k: [x for a in answers for x in a["by_kind"][k]] for k in ("lesson", "workspace", "autosave")}
    everything = [x for values in by_kind.values() for x in values]
    errors = [e for a in answers for e in a["errors"]]
    return {
        "students": students,
        "seconds": seconds,
        "interval_s": interval,
        "requests": len(everything),
        "rps": round(len(everything) / seconds, 1),
        "p50_ms": round(ms(percentile(everything, 50)), 1),
        "p99_ms": round(ms(percentile(everything, 99)), 1),
        "max_ms": round(ms(max(everything)), 1),
        "per_kind": {k: {"n": len(v), "p50_ms": round(ms(percentile(v, 50)), 1), "p99_ms": round(ms(percentile(v, 99)), 1)}
                     for k, v in by_kind.items() if v},
        "errors": len(errors),
        "error_samples": errors[:5],
        "server_cpu_share": round(cpu / wall, 2),  # CPU seconds per wall second (2.0 = both cores)
        "client_cpu_share": round(client_cpu / wall, 2),
        "rss_mb": round(max(rss0, rss), 1),
    }


def scenario_positions() -> dict:
    """bench/positions_bench.py's medians of 5 draws per format (wall clock: what a teacher waits)."""
    rows = positions_bench.run(sizes=(10_000,), repeat=5)
    worst = max(rows, key=lambda r: r["median_ms"])
    return {"worst_format": worst["format"], "median_ms": worst["median_ms"],
            "per_format": {r["format"]: r["median_ms"] for r in rows},
            "best_ms": {r["format"]: r["best_ms"] for r in rows}}


# --- query counts (in this process, on the same database) --------------------------------------


def scenario_queries(instance: Path, seeded) -> list[dict]:
    """SQL statements per request for each list page, for a big and a small class: equal counts
    mean no query per student (or per class, or per assignment)."""
    from app import create_app  # noqa: PLC0415
    from debatekit import db as database  # noqa: PLC0415

    statements: list[str] = []
    original = database.connect

    def counting_connect(path):
        conn = original(path)
        conn.conn.set_trace_callback(statements.append)
        return conn

    app = create_app({"INSTANCE_PATH": str(instance)})
    database.connect = counting_connect
    try:
        def signed_in(account):
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            token = loadgen.CSRF_RE.search(page).group(1)
            r = client.post("/login", data={"username": account.username, "password": account.password, "csrf_token": token})
            assert r.status_code == 302, r.status_code
            return client

        def count(client, path):
            statements.clear()
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code)
            return sum(1 for s in statements if not s.lstrip().upper().startswith(("PRAGMA", "BEGIN", "COMMIT", "ROLLBACK")))

        teacher = signed_in(seeded.review_teacher)
        big_student = signed_in(seeded.period_students[0][0])
        small_student = signed_in(seeded.small_student)
        period_teacher = signed_in(seeded.teachers[0])
        checks = [
            ("review board", teacher, f"/assignments/{seeded.review_assignment}/submissions", teacher, f"/assignments/{seeded.small_assignment}/submissions", "35 vs 3 students"),
            ("teacher assignment page", teacher, f"/assignments/{seeded.review_assignment}", teacher, f"/assignments/{seeded.small_assignment}", "35 vs 3 students"),
            ("class page", teacher, f"/classes/{seeded.review_class}", teacher, f"/classes/{seeded.small_class}", "35 vs 3 students"),
            ("student dashboard", big_student, "/", small_student, "/", "3 vs 1 assignments"),
            ("teacher dashboard", period_teacher, "/", teacher, "/", "5 vs 2 classes"),
            ("grades.csv", teacher, f"/assignments/{seeded.review_assignment}/grades.csv", teacher, f"/assignments/{seeded.small_assignment}/grades.csv", "35 vs 3 students"),
        ]
        out = []
        for name, c1, p1, c2, p2, sizes in checks:
            big, small = count(c1, p1), count(c2, p2)
            out.append({"page": name, "sizes": sizes, "big": big, "small": small, "pass": big == small})
        return out
    finally:
        database.connect = original


# --- the table -------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _ok(r: dict, name: str) -> dict | None:
    """A scenario's results, or None when it was not run or failed with an error."""
    found = r.get(name)
    return found if isinstance(found, dict) and "error" not in found else None


SCENARIO_LABELS = {
    "memory": "6. server RSS, whole curriculum loaded",
    "throughput": "1. throughput (floor, lesson page, autosave)",
    "rush": "2. deadline rush: 35 submit at once",
    "review": "4. review board, 35 submitted",
    "period": "3. school period",
    "positions": "5. position draw, 10,000 students",
}


def build_rows(r: dict) -> list[tuple[str, str, str, str]]:
    rows = []
    for name, label in SCENARIO_LABELS.items():
        if isinstance(r.get(name), dict) and "error" in r[name]:
            r.setdefault("verdicts", {})[name] = False
            rows.append((label, "ERROR " + r[name]["error"], "runs without error", "FAIL"))
    tp = _ok(r, "throughput")
    if tp:
        floor = tp["static"]["rps"]
        rows.append(("0. floor: GET /static/style.css", f"{floor:.0f} req/s (p50 {tp['static']['p50_ms']:.1f} ms)", "reference", "-"))
        for kind, label, key in (("lesson", "1a. lesson page GET /lessons/SLUG", "lesson_ratio"),
                                 ("autosave", "1b. autosave POST /assignments/ID/draft", "autosave_ratio")):
            ratio = tp[kind]["rps"] / floor if floor else 0
            ok = ratio >= TARGETS[key] and tp[kind]["errors"] == 0
            r.setdefault("verdicts", {})[key] = ok
            rows.append((label, f"{tp[kind]['rps']:.0f} req/s = {ratio:.2f}x floor"
                         + (f", {tp[kind]['errors']} errors" if tp[kind]["errors"] else ""),
                         f">= {TARGETS[key]}x floor", verdict(ok)))
    rush = _ok(r, "rush")
    if rush:
        ok = rush["p99_ms"] <= TARGETS["rush_p99_ms"] and rush["errors"] == 0 and rush["stored"] == rush["students"]
        r.setdefault("verdicts", {})["rush"] = ok
        rows.append((f"2. deadline rush: {rush['students']} submit at once",
                     f"p99 {rush['p99_ms']:.0f} ms, {rush['errors']} errors, {rush['stored']} stored",
                     f"p99 <= {TARGETS['rush_p99_ms']:.0f} ms, 0 errors, {rush['students']} stored", verdict(ok)))
    period = _ok(r, "period")
    if period:
        ok = period["p99_ms"] <= TARGETS["period_p99_ms"] and period["errors"] == 0
        r.setdefault("verdicts", {})["period"] = ok
        rows.append((f"3. school period: {period['students']} students, {period['seconds']:.0f} s",
                     f"p99 {period['p99_ms']:.0f} ms, {period['errors']} errors ({period['requests']} req, {period['rps']:.0f}/s)",
                     f"p99 <= {TARGETS['period_p99_ms']:.0f} ms, 0 errors", verdict(ok)))
    review = _ok(r, "review")
    if review:
        ok = review["median_ms"] <= TARGETS["review_median_ms"] and review["errors"] == 0
        r.setdefault("verdicts", {})["review"] = ok
        rows.append((f"4. review board, {review['students']} submitted", f"median {review['median_ms']:.1f} ms",
                     f"median <= {TARGETS['review_median_ms']:.0f} ms", verdict(ok)))
    positions = _ok(r, "positions")
    if positions:
        ok = positions["median_ms"] < TARGETS["draw_ms"]
        r.setdefault("verdicts", {})["positions"] = ok
        rows.append(("5. position draw, 10,000 students", f"{positions['median_ms']:.1f} ms (slowest format: {positions['worst_format']})",
                     f"< {TARGETS['draw_ms']:.0f} ms", verdict(ok)))
    memory = _ok(r, "memory")
    if memory:
        ok = memory["rss_curriculum_mb"] <= TARGETS["rss_mb"]
        r.setdefault("verdicts", {})["memory"] = ok
        rows.append(("6. server RSS, whole curriculum loaded", f"{memory['rss_curriculum_mb']:.0f} MB",
                     f"<= {TARGETS['rss_mb']:.0f} MB", verdict(ok)))
    for q in r.get("queries", []):
        r.setdefault("verdicts", {})[f"queries {q['page']}"] = q["pass"]
        rows.append((f"   queries/request: {q['page']} ({q['sizes']})", f"{q['big']} vs {q['small']}",
                     "equal (none per row)", verdict(q["pass"])))
    return rows


def info_lines(r: dict) -> list[str]:
    lines = []
    tp = _ok(r, "throughput")
    if tp:
        for kind in ("static", "lesson", "autosave"):
            k = tp[kind]
            lines.append(f"  {kind:<9} rounds {k['rps_rounds']} req/s; p50 {k['p50_ms']} ms, p99 {k['p99_ms']} ms; "
                         f"server CPU {k['server_cpu_ms_per_request']} ms/request")
        lines[-3:] = [f"throughput ({tp['clients']} closed-loop clients in {tp['processes']} processes, "
                      f"median of {tp['rounds']} rounds of {tp['seconds']:g} s):"] + lines[-3:]
    rush = _ok(r, "rush")
    if rush:
        lines.append(f"deadline rush: submit p50 {rush['p50_ms']} ms, max {rush['max_ms']} ms; {rush['versions']} versions stored; "
                     f"the same {rush['students']} signing in at once (scrypt): p50 {rush['signin_p50_ms']} ms, "
                     f"p99 {rush['signin_p99_ms']} ms, {rush['signin_errors']} errors")
    period = _ok(r, "period")
    if period:
        kinds = ", ".join(f"{k} n={v['n']} p50 {v['p50_ms']} / p99 {v['p99_ms']} ms" for k, v in period["per_kind"].items())
        lines.append(f"school period: p50 {period['p50_ms']} ms, max {period['max_ms']} ms; {kinds}; "
                     f"CPU: server {period['server_cpu_share']} cores, load generator {period['client_cpu_share']} cores; "
                     f"RSS {period['rss_mb']} MB")
        if period["error_samples"]:
            lines.append(f"  first errors: {period['error_samples']}")
    review = _ok(r, "review")
    if review:
        lines.append(f"review board: first load {review['first_load_ms']} ms, then p95 {review['p95_ms']} ms over "
                     f"{review['requests']} requests; page {review['html_kb']} kB")
    positions = _ok(r, "positions")
    if positions:
        lines.append("position draw, 10,000 students, median (best) of 5 in ms: "
                     + ", ".join(f"{k} {v} ({positions['best_ms'][k]})" for k, v in positions["per_format"].items()))
    memory = _ok(r, "memory")
    if memory:
        lines.append(f"server RSS: {memory['rss_start_mb']} MB at start, {memory['rss_curriculum_mb']} MB after "
                     f"{memory['pages']} curriculum pages, {r.get('rss_end_mb')} MB at the end of the run")
    if r.get("rss_peak_mb"):
        lines.append("server RSS peak per scenario (MB, sampled every 20 ms): "
                     + ", ".join(f"{k} {v}" for k, v in r["rss_peak_mb"].items()))
    return lines


def render(r: dict) -> str:
    m = r["machine"]
    out = [
        f"Civic Debate Kit benchmark ({'quick' if r['quick'] else 'full'} run, {r['date']})",
        f"machine: python {m['python']} ({m['implementation']}), {m['platform']}",
        f"         {m['processor']}, {m['cpu_count']} logical CPUs ({m['cpu_physical']} physical), {m['memory_gb']} GB RAM",
        f"         load average (1/5/15 min) at start {m['loadavg_start']}, at end {m.get('loadavg_end', '?')}",
        f"server:  python app.py --threads {m['waitress_threads']} (waitress), separate process{r.get('app_dir_note', '')}; "
        f"clients: httpx, one client per student",
        f"data:    {r['seed_counts']}",
        "",
    ]
    rows = build_rows(r)
    headers = ("scenario", "measured", "target", "result")
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    out.append(line(headers))
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    out += [line(row) for row in rows]
    out.append("")
    out += info_lines(r)
    failed = [k for k, ok in r.get("verdicts", {}).items() if not ok]
    out.append("")
    out.append("all targets met" if not failed else "NOT MET: " + ", ".join(failed))
    return "\n".join(out)


# --- main ------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a shorter run for development (15 s school period)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help=f"waitress threads (default {DEFAULT_THREADS}, app.py's default)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--students", type=int, default=500, help="students in the school period (default 500)")
    parser.add_argument("--period-seconds", type=float, help="length of the school period (default 60, 15 with --quick)")
    parser.add_argument("--clients", type=int, default=8, help="closed-loop clients for the throughput rounds (default 8)")
    parser.add_argument("--processes", type=int, default=2, help="load-generating worker processes (default 2)")
    parser.add_argument("--only", help="comma-separated subset: memory,throughput,rush,review,period,positions,queries")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance folder (database, server.log)")
    parser.add_argument("--app-dir", type=Path, default=ROOT,
                        help="serve the app.py of another checkout (e.g. `git archive` of an older commit) to compare versions")
    args = parser.parse_args(argv)

    only = set(args.only.split(",")) if args.only else {"memory", "throughput", "rush", "review", "period", "positions", "queries"}
    period_seconds = args.period_seconds or (15.0 if args.quick else 60.0)
    results: dict = {"app_dir_note": "" if args.app_dir.resolve() == ROOT else f" from {args.app_dir}", "quick": args.quick, "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(args.threads), "targets": TARGETS}
    instance = Path(tempfile.mkdtemp(prefix="debatekit-bench-"))
    db_path = str(instance / "debatekit.sqlite3")
    print(f"seeding {instance} ...", file=sys.stderr, flush=True)
    t0 = time.time()
    seeded = seeding.seed(db_path, period_students=max(args.students, args.clients))
    results["seed_counts"] = {k: v for k, v in seeded.counts.items() if k in ("users", "classes", "assignments", "submissions", "submission_versions", "feedback")}
    print(f"  seeded in {time.time() - t0:.0f} s: {seeded.counts}", file=sys.stderr, flush=True)
    # Each student's client holds one connection: a period larger than app.py's
    # default connection limit (1000) needs a higher one, as it would in production.
    limit = args.students + 100 if args.students + 100 > DEFAULT_CONNECTION_LIMIT else None
    if limit:
        results["app_dir_note"] += f", DEBATEKIT_CONNECTION_LIMIT={limit}"
    server = Server(instance, args.threads, args.app_dir.resolve(), limit)
    step = lambda name: print(f"[{time.strftime('%H:%M:%S')}] {name} (load {loadavg()})", file=sys.stderr, flush=True)  # noqa: E731
    try:
        peaks = results["rss_peak_mb"] = {}

        def scenario(name, label, fn):
            if name in only:
                step(label)
                server.reset_peak()
                try:
                    results[name] = fn()
                except Exception as exc:  # noqa: BLE001 (a failed scenario is a FAIL row, the others still run)
                    message = str(exc).strip().splitlines()
                    results[name] = {"error": f"{type(exc).__name__}: {message[-1] if message else ''}"[:150]}
                    print(f"  {name} failed: {exc}", file=sys.stderr)
                peaks[name] = round(server.peak_mb, 1)

        scenario("memory", "memory: loading the whole curriculum", lambda: scenario_memory(server, seeded))
        scenario("throughput", "throughput: floor, lesson page, autosave", lambda: scenario_throughput(
            server, seeded, clients=args.clients, processes=args.processes,
            rounds=2 if args.quick else 3, seconds=4.0 if args.quick else 8.0))
        scenario("rush", "deadline rush", lambda: scenario_rush(server, seeded, db_path))
        scenario("review", "review board", lambda: scenario_review(server, seeded, requests=20 if args.quick else 50))
        scenario("period", f"school period: {args.students} students for {period_seconds:.0f} s", lambda: scenario_period(
            server, seeded, students=args.students, seconds=period_seconds, interval=10.0, read_every=3, processes=args.processes))
        results["rss_end_mb"] = round(server.rss_mb(), 1)
    finally:
        server.stop()
    if "positions" in only:
        step("position draw (server stopped)")
        results["positions"] = scenario_positions()
    if "queries" in only:
        step("queries per page")
        results["queries"] = scenario_queries(instance, seeded)
    results["machine"]["loadavg_end"] = loadavg()
    text = render(results)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n")
    if args.keep:
        print(f"instance kept at {instance}", file=sys.stderr)
    else:
        shutil.rmtree(instance, ignore_errors=True)
    return 0 if all(results.get("verdicts", {}).values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
