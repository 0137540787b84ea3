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
    parser.add_argument("--threads", type=int, default=int(os.environ.get("DEBATEKIT_THREADS", "8")), help="worker threads (default 8)")
    args = parser.parse_args(argv)

    from waitress import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app()
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"Civic Debate Kit is running at http://{shown_host}:{args.port}/  (Ctrl+C to stop)", flush=True)
    print(f"Data folder: {app.instance_path}", flush=True)
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="debatekit")


if __name__ == "__main__":
    main()
