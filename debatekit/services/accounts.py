"""Accounts: teachers and students, passwords, session tokens, sign-in throttling.

Plain values in, plain values out: these functions take a database and
strings, never the Flask request.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from werkzeug.security import check_password_hash, generate_password_hash

from ..db import utcnow, write_transaction
from . import ServiceError, single_line

MIN_PASSWORD_LENGTH = 8
# Long passphrases are welcome; the cap only stops a megabyte "password"
# from being hashed on every attempt. Nothing is truncated below it.
MAX_PASSWORD_LENGTH = 1024
MAX_NAME_LENGTH = 80
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")

# Words for readable temporary passwords: short, common, unambiguous when
# read aloud or copied from a card by a fourteen-year-old.
_WORDS = (
    "acorn amber anchor apple arrow aspen atlas badge bamboo banjo basil beacon berry birch bison "
    "blossom bridge brook cactus camel canoe canyon cedar cello chalk cherry cinder cliff clover "
    "cobalt comet copper coral cosmos cotton crane crater daisy delta desert dolphin dragon drum "
    "eagle ember falcon fern fiddle flint forest fossil galaxy garden geyser ginger glacier globe "
    "granite grape harbor hazel heron hickory honey horizon island ivory jasmine jungle kayak kettle "
    "kiwi lagoon lantern lemon lilac lotus lunar magnet mango maple marble meadow meteor mint "
    "monsoon mosaic nectar nickel oasis ocean olive opal orbit orchid otter panda papaya pebble "
    "pepper piano pigeon pine planet plum polar prairie quartz quill rabbit radar rain raven reef "
    "river robin rocket saffron salmon sapphire saturn sequoia shadow silver sparrow spruce summit "
    "sunset tango thistle thunder tiger timber topaz tulip tundra turtle velvet violet walnut willow "
    "zephyr"
).split()


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    session_token: str

    @property
    def is_teacher(self) -> bool:
        return self.role == "teacher"

    @property
    def is_student(self) -> bool:
        return self.role == "student"


def _user(row) -> User | None:
    if row is None:
        return None
    return User(row["id"], row["username"], row["display_name"], row["role"], row["session_token"])


def get_user(db, user_id: int) -> User | None:
    return _user(db.execute("SELECT * FROM users WHERE id = ?", [user_id]).fetchone())


def get_user_by_username(db, username: str) -> User | None:
    return _user(db.execute("SELECT * FROM users WHERE username = ?", [username.strip()]).fetchone())


def clean_display_name(name: str) -> str:
    name = single_line(name)
    if not name:
        raise ServiceError("Please enter a name.", field="display_name")
    if len(name) > MAX_NAME_LENGTH:
        raise ServiceError(f"Names can be at most {MAX_NAME_LENGTH} characters.", field="display_name")
    return name


def check_new_password(password: str, confirm: str | None = None, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ServiceError(f"Passwords can be at most {MAX_PASSWORD_LENGTH} characters.", field=field)
    if confirm is not None and password != confirm:
        raise ServiceError("The two passwords do not match.", field="password_confirm")


def clean_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise ServiceError(
            "Usernames are 2 to 32 characters: letters a-z, digits, dot, dash or underscore, "
            "starting with a letter or digit.",
            field="username",
        )
    return username


# werkzeug's default (scrypt). create_app may set a cheaper method for tests only.
PASSWORD_HASH_METHOD = "scrypt"

# One scrypt hash costs about 100 ms of CPU and 32 MB of memory. When a class
# signs in at once, every server thread would hash at the same time: no faster
# (there are only so many cores) but 8 threads x 32 MB on top of the app's
# 60 MB: bench/run.py measured a 317 MB peak for 35 sign-ins at once, 125 MB
# with this limit. At most one hash per core runs at a time; the others wait.
_HASHING = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def hash_password(password: str) -> str:
    with _HASHING:
        return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def _password_matches(stored: str, password: str) -> bool:
    with _HASHING:
        return check_password_hash(stored, password)


def create_user(db, *, username: str, display_name: str, password: str, role: str) -> User:
    username = clean_username(username)
    display_name = clean_display_name(display_name)
    check_new_password(password)
    password_hash = hash_password(password)  # slow: keep it outside the write lock
    with write_transaction(db):
        return insert_user(db, username=username, display_name=display_name, role=role, password_hash=password_hash)


def insert_user(db, *, username: str, display_name: str, role: str, password_hash: str) -> User:
    """Insert an already-validated user; call inside a write transaction."""
    if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise ServiceError("That username is taken. Please choose another.", field="username")
    cursor = db.execute(
        "INSERT INTO users (username, display_name, role, password_hash, session_token, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [username, display_name, role, password_hash, secrets.token_hex(16), utcnow()],
    )
    return get_user(db, cursor.lastrowid)


def rotate_session_token(db, user_id: int) -> str:
    """Invalidate every cookie issued for this user (sign-out, password change)."""
    token = secrets.token_hex(16)
    with write_transaction(db):
        db.execute("UPDATE users SET session_token = ? WHERE id = ?", [token, user_id])
    return token


def set_password(db, user_id: int, password: str) -> str:
    check_new_password(password)
    token = secrets.token_hex(16)
    with write_transaction(db):
        db.execute(
            "UPDATE users SET password_hash = ?, session_token = ?, password_changed_at = ? WHERE id = ?",
            [hash_password(password), token, utcnow(), user_id],
        )
    return token


def change_password(db, user_id: int, current: str, new: str, confirm: str) -> str:
    row = db.execute("SELECT password_hash FROM users WHERE id = ?", [user_id]).fetchone()
    if row is None or not _password_matches(row["password_hash"], current):
        raise ServiceError("Your current password is not right.", field="current_password")
    check_new_password(new, confirm)
    return set_password(db, user_id, new)


def temporary_password() -> str:
    """Readable and strong enough for a class account: word-word-NN (about 2^31 choices)."""
    return f"{secrets.choice(_WORDS)}-{secrets.choice(_WORDS)}-{secrets.randbelow(90) + 10}"


def username_base(display_name: str) -> str:
    """'María José Núñez' -> 'mariajn': first name plus initials, ASCII only."""
    ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    parts = [re.sub(r"[^a-z0-9]", "", p.lower()) for p in ascii_name.split()]
    parts = [p for p in parts if p]
    if not parts:
        return "student"
    base = parts[0][:12] + "".join(p[0] for p in parts[1:])
    return base if len(base) >= 2 else base + "s"


def unique_username(db, base: str) -> str:
    candidate = base
    n = 1
    while db.execute("SELECT 1 FROM users WHERE username = ?", [candidate]).fetchone():
        n += 1
        candidate = f"{base}{n}"
    return candidate


# --- sign-in and throttling -------------------------------------------------

GENERIC_SIGNIN_ERROR = "That username and password do not match an account. Check both and try again."
LOCKED_MESSAGE = (
    "Too many sign-in attempts. Sign-in is paused for {minutes} minutes; "
    "if you are a student, your teacher can reset your password."
)


class SignInRefused(ServiceError):
    pass


def _failure_keys(username: str, address: str) -> tuple[str, str]:
    return f"user:{username.strip().lower()}", f"addr:{address}"


def _recent_failures(db, key: str, since: str) -> int:
    return db.execute(
        "SELECT COUNT(*) FROM login_failures WHERE key = ? AND failed_at >= ?", [key, since]
    ).fetchone()[0]


def authenticate(
    db, username: str, password: str, address: str, *, window_minutes: int, per_account: int, per_address: int
) -> User:
    """Return the user for correct credentials, or raise SignInRefused.

    The same message answers an unknown username and a wrong password, and
    throttling is keyed on the username as typed, so an attacker learns
    nothing about which accounts exist.
    """
    now = datetime.now(timezone.utc)
    since = (now - timedelta(minutes=window_minutes)).replace(microsecond=0).isoformat()
    user_key, addr_key = _failure_keys(username, address)
    if _recent_failures(db, user_key, since) >= per_account or _recent_failures(db, addr_key, since) >= per_address:
        raise SignInRefused(LOCKED_MESSAGE.format(minutes=window_minutes))
    row = db.execute("SELECT * FROM users WHERE username = ?", [(username or "").strip()]).fetchone()
    # Hash even for unknown users so the response time does not reveal them.
    stored = row["password_hash"] if row else _DUMMY_HASH
    if len(password) <= MAX_PASSWORD_LENGTH and _password_matches(stored, password) and row is not None:
        with write_transaction(db):
            db.execute("DELETE FROM login_failures WHERE key = ?", [user_key])
        return _user(row)
    stamp = now.replace(microsecond=0).isoformat()
    with write_transaction(db):
        db.execute("INSERT INTO login_failures (key, failed_at) VALUES (?, ?), (?, ?)", [user_key, stamp, addr_key, stamp])
        # Old rows are useless once outside the window: keep the table small.
        db.execute("DELETE FROM login_failures WHERE failed_at < ?", [since])
    if _recent_failures(db, user_key, since) >= per_account:
        raise SignInRefused(LOCKED_MESSAGE.format(minutes=window_minutes))
    raise SignInRefused(GENERIC_SIGNIN_ERROR)


_DUMMY_HASH = generate_password_hash(secrets.token_hex(8))
