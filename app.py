"""Civic Debate Kit: `python app.py` serves the kit; `flask --app app ...` runs its commands."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from debatekit import cli, config, db, web
from debatekit.services import accounts
from debatekit.views import register_blueprints

HERE = Path(__file__).resolve().parent

# Serving defaults (see BENCHMARKS.md for the measurements behind them).
# 4, 8 and 16 threads served the benchmark alike on 2 cores (Python runs one
# thread at a time); each thread keeps a database connection and its page
# cache, so more threads only cost memory. 8 leaves room for requests that wait
# (password hashing, the SQLite write lock) without holding up the rest.
DEFAULT_THREADS = 8
# Every browser keeps its connection open between requests (keep-alive), so
# waitress's own default of 100 connections stops accepting the 101st student
# of a school period until an idle connection times out (120 s): their pages
# just hang. 1000 covers a school of 500 students with one or two connections
# each. Open connections cost a file descriptor each, not a thread.
DEFAULT_CONNECTION_LIMIT = 1000


def create_app(test_config: dict | None = None) -> Flask:
    instance = (test_config or {}).get("INSTANCE_PATH") or str(config.instance_path())
    app = Flask(
        __name__,
        instance_path=instance,
        instance_relative_config=True,
        template_folder=str(HERE / "templates"),
        static_folder=str(HERE / "static"),
    )
    config.load_config(app, test_config)
    # A cheaper hash is for test suites only; everything else uses scrypt.
    accounts.PASSWORD_HASH_METHOD = (app.testing and app.config.get("PASSWORD_HASH_METHOD")) or "scrypt"
    if int(app.config.get("TRUSTED_PROXIES") or 0) > 0:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    web.init_app(app)
    register_blueprints(app)
    cli.init_app(app)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve Civic Debate Kit with waitress.")
    parser.add_argument("--host", default=os.environ.get("DEBATEKIT_HOST", "127.0.0.1"), help="address to listen on (0.0.0.0 for the whole network)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEBATEKIT_PORT", "5000")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("DEBATEKIT_THREADS", DEFAULT_THREADS)), help=f"worker threads (default {DEFAULT_THREADS})")
    parser.add_argument(
        "--connection-limit", type=int, default=int(os.environ.get("DEBATEKIT_CONNECTION_LIMIT", DEFAULT_CONNECTION_LIMIT)),
        help=f"open connections accepted at once (default {DEFAULT_CONNECTION_LIMIT}; about two per signed-in browser)",
    )
    args = parser.parse_args(argv)

    from waitress import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app()
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"Civic Debate Kit is running at http://{shown_host}:{args.port}/  (Ctrl+C to stop)", flush=True)
    print(f"Data folder: {app.instance_path}", flush=True)
    connection_limit = _fit_connection_limit(args.connection_limit)
    # poll() instead of select(): select() cannot watch more than 1024 sockets.
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="debatekit",
          connection_limit=connection_limit, asyncore_use_poll=True)


def _fit_connection_limit(wanted: int) -> int:
    """Each connection is a file descriptor: raise the soft limit (macOS starts at
    256, many Linux services at 1024) or serve fewer connections than asked."""
    try:
        import resource
    except ImportError:  # Windows: no descriptor limit to raise, but select() watches at most 512 sockets
        return min(wanted, 500)
    needed = wanted + 64  # the database, the listening socket, log files...
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
        if soft < needed:
            logging.getLogger("debatekit").warning("open-file limit %s: serving at most %s connections", soft, soft - 64)
            return max(10, soft - 64)
    return wanted


if __name__ == "__main__":
    main()
