"""Configuration: defaults, then instance/config.py, then DEBATEKIT_* environment.

The instance folder holds everything that belongs to one installation: the
SQLite database, the secret key and an optional config.py. It defaults to
./instance next to app.py and can be moved with DEBATEKIT_INSTANCE.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Keys that have shipped in examples or tutorials. Running a real server with
# one of them would let anyone forge a session cookie.
KNOWN_INSECURE_KEYS = frozenset({"", "dev", "changeme", "change-me", "secret", "test", "insecure"})


class Defaults:
    DATABASE = None  # set from the instance folder in load_config
    LESSONS_DIR = str(PROJECT_ROOT / "lessons")
    # Teacher sign-up: "open" (anyone), "invite" (needs SIGNUP_INVITE_CODE) or "closed".
    SIGNUP_MODE = "open"
    SIGNUP_INVITE_CODE = ""
    DEFAULT_TIMEZONE = "America/Chicago"
    # A school day; shared laptops should not stay signed in overnight.
    SESSION_HOURS = 12
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True behind HTTPS (see README)
    SESSION_COOKIE_NAME = "debatekit_session"
    # A student's whole argument is a few thousand words; 512 kB is generous
    # and stops a runaway or hostile upload early with a 413.
    MAX_CONTENT_LENGTH = 512 * 1024
    WTF_CSRF_TIME_LIMIT = None  # bound to the session instead: a slow writer never loses a form
    WTF_CSRF_SSL_STRICT = False  # the referrer check breaks behind some school proxies
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    LOGIN_FAILURES_PER_ACCOUNT = 10
    LOGIN_FAILURES_PER_ADDRESS = 100  # a whole class shares one school address
    # Wrong join codes from one address in the same window: typos pass, guessing codes
    # (to read a class's names) does not.
    JOIN_FAILURES_PER_ADDRESS = 100
    TRUSTED_PROXIES = 0  # number of reverse proxies in front (for the client address)
    PUBLIC_URL = ""  # e.g. https://debate.example.org, for QR codes and login cards


def _coerce(value: str, current):
    if isinstance(current, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int) and not isinstance(current, bool):
        return int(value)
    return value


def instance_path() -> Path:
    return Path(os.environ.get("DEBATEKIT_INSTANCE") or PROJECT_ROOT / "instance").resolve()


def load_secret_key(folder: Path) -> str:
    """Read the installation's secret key, creating it (mode 0600) on first run."""
    key_file = folder / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    # O_EXCL: two processes starting at once must not each write their own key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_config(app, test_config: dict | None = None) -> None:
    folder = Path(app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    app.config.from_object(Defaults)
    app.config["DATABASE"] = str(folder / "debatekit.sqlite3")
    app.config.from_pyfile(str(folder / "config.py"), silent=True)
    for name, value in os.environ.items():
        if name.startswith("DEBATEKIT_") and name != "DEBATEKIT_INSTANCE":
            key = name[len("DEBATEKIT_"):]
            app.config[key] = _coerce(value, app.config.get(key, ""))
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(folder)
    if not app.config.get("TESTING") and str(app.config["SECRET_KEY"]).strip().lower() in KNOWN_INSECURE_KEYS:
        raise RuntimeError(
            "Refusing to start with a known default SECRET_KEY. Remove it from the "
            "configuration to use the generated instance/secret_key, or set a long random value."
        )
    from datetime import timedelta

    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=int(app.config["SESSION_HOURS"]))
