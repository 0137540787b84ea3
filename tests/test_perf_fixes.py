"""The performance fixes of issue 9 (BENCHMARKS.md) keep behaviour unchanged:
per-thread database connections, the Markdown render cache, and the limit on
concurrent password hashing. No timings here: those live in bench/."""

from __future__ import annotations

import threading

from flask import g

from conftest import make_app
from debatekit import db as database
from debatekit import rendering
from debatekit.services import accounts


def test_a_thread_reuses_its_connection_between_requests(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        first = database.get_db()
    with app.app_context():
        second = database.get_db()
        assert second is first
        assert second.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0


def test_a_transaction_left_open_is_rolled_back_at_the_end_of_the_request(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        conn = database.get_db()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO login_failures (key, failed_at) VALUES ('k', 'now')")
    with app.app_context():
        again = database.get_db()
        assert not again.conn.in_transaction
        assert again.execute("SELECT COUNT(*) FROM login_failures").fetchone()[0] == 0


def test_a_failed_request_leaves_its_connection_behind(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        first = database.get_db()
        database.close_db(RuntimeError("boom"))
        g.pop("db", None)
    with app.app_context():
        assert database.get_db() is not first


def test_another_database_in_the_same_thread_gets_its_own_connection(tmp_path):
    one, two = make_app(tmp_path / "one"), make_app(tmp_path / "two")
    with one.app_context():
        a = database.get_db()
    with two.app_context():
        b = database.get_db()
        assert b is not a
        assert b.execute("PRAGMA database_list").fetchone()["file"] == str((tmp_path / "two" / "instance" / "test.sqlite3").resolve())


def test_threads_get_separate_connections(tmp_path):
    app = make_app(tmp_path)
    seen = []

    def request():
        with app.app_context():
            seen.append(database.get_db())

    threads = [threading.Thread(target=request) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in seen}) == 3


def test_cached_render_is_the_same_as_a_fresh_one():
    text = "A **claim** with a [link](https://example.org) and <script>alert(1)</script>\n\n- one\n- two"
    first = rendering.render_markdown(text)
    assert rendering._cache_get(text) == first
    assert rendering.render_markdown(text) == first
    assert "<script" not in first and 'rel="noopener noreferrer nofollow"' in first


def test_render_cache_stays_within_its_memory_budget(monkeypatch):
    monkeypatch.setattr(rendering, "_CACHE_BYTES", 20_000)
    monkeypatch.setattr(rendering, "_CACHE_MAX_ENTRY", 5_000)
    monkeypatch.setattr(rendering, "_cache", type(rendering._cache)())
    monkeypatch.setattr(rendering, "_cache_bytes", 0)
    for i in range(200):
        rendering.render_markdown(f"Argument number {i} with *some* text. " * 5)
    assert rendering._cache_bytes <= 20_000
    assert 0 < len(rendering._cache) < 200
    assert rendering.render_markdown("x" * 10_000) and "x" * 10_000 not in rendering._cache  # too big to keep


def test_password_hashing_runs_at_most_one_per_core(monkeypatch):
    running, peak, lock = [0], [0], threading.Lock()

    def slow_check(stored, password):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        threading.Event().wait(0.02)
        with lock:
            running[0] -= 1
        return True

    monkeypatch.setattr(accounts, "check_password_hash", slow_check)
    monkeypatch.setattr(accounts, "_HASHING", threading.BoundedSemaphore(2))
    threads = [threading.Thread(target=accounts._password_matches, args=("h", "p")) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2


def test_lesson_library_with_recheck_seconds_looks_at_the_directory_at_most_that_often(tmp_path, monkeypatch):
    import shutil

    from conftest import ROOT
    from debatekit import lessons as lessons_module

    folder = tmp_path / "lessons"
    folder.mkdir()
    source = ROOT / "lessons" / "what-is-sovereignty.md"
    shutil.copy(source, folder / "what-is-sovereignty.md")
    now = [1000.0]
    monkeypatch.setattr(lessons_module.time, "monotonic", lambda: now[0])
    library = lessons_module.LessonLibrary(folder, recheck_seconds=1.0)
    first = library.get("what-is-sovereignty")
    assert first is not None
    shutil.copy(source, folder / "copy-of-it.md")
    now[0] += 0.5
    assert library.get("copy-of-it") is None  # not looked at yet
    now[0] += 0.6
    assert library.get("copy-of-it") is not None  # looked again after a second
    assert library.get("what-is-sovereignty") is first  # and nothing unchanged was re-parsed
