"""A populated two-teacher world for the audit suites (access matrix, CSRF and
safe methods): two teachers, each with a class, students in each class, an
assignment with drawn positions, a draft, submissions and feedback, so that
every kind of data that could leak exists.

The world is built once per test session through the real HTTP flows, then
each test gets its own copy of the SQLite file (a fresh database per test)
and clients that carry the saved session cookies and CSRF tokens of the
world's people, so a test starts with one file copy instead of dozens of
requests. The parsed lesson library is shared between the apps (it is
read-only and thread-safe) because parsing it costs more than the requests.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from conftest import (
    PASSWORD,
    create_assignment,
    create_class,
    csrf_from,
    draw_positions,
    join_as_new_student,
    join_code_of,
    login,
    make_app,
    post_form,
    signup_teacher,
)
from debatekit import db as database
from debatekit.lessons import LessonLibrary

_LIBRARIES: dict[str, LessonLibrary] = {}

ROLES = ("anonymous", "student", "other_student", "owner", "other_teacher")
ROLE_HEADINGS = {
    "anonymous": "anon",
    "student": "student",
    "other_student": "other_st",
    "owner": "owner",
    "other_teacher": "other_t",
}
SLUG = "what-is-sovereignty"
MOTION = "consent-required"


def fast_app(tmp_path: Path, **overrides):
    """make_app, with the lesson library parsed once per session."""
    app = make_app(tmp_path, **overrides)
    lessons_dir = app.config["LESSONS_DIR"]
    if lessons_dir not in _LIBRARIES:
        _LIBRARIES[lessons_dir] = LessonLibrary(lessons_dir)
    app.extensions["debatekit.lessons"] = _LIBRARIES[lessons_dir]
    return app


@dataclass
class Person:
    username: str
    display_name: str
    id: int = 0
    cookie: str | None = None  # the signed session cookie of a signed-in browser
    token: str = ""  # a CSRF form token valid for that session


@dataclass
class World:
    db_path: str
    secret_key: str
    people: dict[str, Person]
    class_a: int = 0
    class_b: int = 0
    code_a: str = ""
    code_b: str = ""
    assignment_a: int = 0
    assignment_b: int = 0
    submissions: dict[str, int] = field(default_factory=dict)  # username -> submission id
    versions: dict[str, int] = field(default_factory=dict)  # username -> current draft version
    texts_a: list[str] = field(default_factory=list)  # every argument text and comment of class A
    texts_b: list[str] = field(default_factory=list)
    extra_secrets_a: list[str] = field(default_factory=list)
    extra_secrets_b: list[str] = field(default_factory=list)
    _image: bytes | None = None
    _copies = 0  # a class-wide counter: every copy gets a new file name

    # --- who is who -----------------------------------------------------------------
    # Roles are seen from class A: "student" is anneliese (class A, has a draft),
    # "other_student" is evander (class B), "owner" teaches class A, "other_teacher" class B.
    ROLE_USERS = {"student": "anneliese", "other_student": "evander", "owner": "arbogast", "other_teacher": "bellweather"}

    def person(self, role_or_username: str) -> Person:
        return self.people[self.ROLE_USERS.get(role_or_username, role_or_username)]

    def secrets_a(self) -> list[str]:
        """Everything about class A that must not reach people outside it."""
        people = [p for key, p in self.people.items() if key in ("arbogast", "anneliese", "bartholomew", "cordelia", "dorothea", "lucius")]
        return [self.code_a, self.code_a.replace("-", ""), "Quillon Period 3"] + [p.display_name for p in people] + [p.username for p in people] + self.texts_a + self.extra_secrets_a

    def secrets_b(self) -> list[str]:
        people = [p for key, p in self.people.items() if key in ("bellweather", "evander", "fenella")]
        return [self.code_b, self.code_b.replace("-", ""), "Okonkwo Civics B"] + [p.display_name for p in people] + [p.username for p in people] + self.texts_b + self.extra_secrets_b

    def never_seen_by(self, role: str) -> list[str]:
        """Strings a role must never receive in any response, allowed or refused."""
        if role in ("anonymous",):
            return self.secrets_a() + self.secrets_b()
        if role in ("other_student", "other_teacher"):
            # Class B people: nothing of class A.
            return self.secrets_a()
        if role == "owner":
            return self.secrets_b()
        if role == "student":
            # anneliese may see her class, teacher and teammates' names, never
            # another student's writing, unreleased feedback, usernames, the join code, or class B.
            others = [self.people[u] for u in ("bartholomew", "cordelia", "dorothea", "lucius")]
            return (
                self.secrets_b()
                + [self.code_a, self.code_a.replace("-", "")]
                + [p.username for p in others]
                + [t for t in self.texts_a if not t.startswith("ANNELIESE-")]
            )
        raise ValueError(role)

    def refused_must_not_show(self, role: str) -> list[str]:
        """A refused response shows nothing of either class, except the viewer's own name."""
        own = set()
        if role != "anonymous":
            me = self.person(role)
            own = {me.display_name, me.username}
        return [s for s in self.secrets_a() + self.secrets_b() if s not in own]

    def client(self, app, role: str):
        """A test client signed in as the role (or anonymous with a session), and its CSRF token."""
        c = app.test_client()
        key = "anon" if role == "anonymous" else self.ROLE_USERS[role]
        person = self.people[key]
        if person.cookie:
            c.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), person.cookie, domain="localhost")
        return c, person.token

    def copy_to(self, directory: Path) -> str:
        """A fresh copy of the world's database for one test, as a new file in directory."""
        if self._image is None:
            conn = sqlite3.connect(self.db_path)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            self._image = Path(self.db_path).read_bytes()
        directory.mkdir(parents=True, exist_ok=True)
        World._copies += 1
        target = directory / f"world-{World._copies}.sqlite3"
        target.write_bytes(self._image)
        return str(target)

    def app(self, tmp_path: Path):
        path = self.copy_to(tmp_path)
        return fast_app(tmp_path, DATABASE=path, SECRET_KEY=self.secret_key)


def full_snapshot(db_path: str, *, except_login_failures: bool = False) -> dict[str, list[tuple]]:
    """Every row of every table, login_failures included unless asked (sign-in POSTs record failures)."""
    conn = database.connect(db_path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        if except_login_failures:
            names = [n for n in names if n != "login_failures"]
        return {n: [tuple(r) for r in conn.execute(f"SELECT * FROM [{n}] ORDER BY rowid")] for n in names}
    finally:
        conn.conn.close()


def _ids(db_path: str) -> dict[str, int]:
    conn = database.connect(db_path)
    try:
        return {r["username"]: r["id"] for r in conn.execute("SELECT id, username FROM users")}
    finally:
        conn.conn.close()


def _submission_ids(db_path: str) -> dict[int, dict]:
    conn = database.connect(db_path)
    try:
        return {r["student_id"]: dict(r) for r in conn.execute("SELECT id, student_id, version FROM submissions")}
    finally:
        conn.conn.close()


def _argument(prefix: str) -> dict:
    return {
        "claim": f"{prefix}-CLAIM-marzipan",
        "evidence": [f"{prefix}-EVIDENCE-one-quince", f"{prefix}-EVIDENCE-two-juniper"],
        "evidence_source": ["", ""],
        "evidence_citation": [f"{prefix}-CITATION-almanac", ""],
        "reasoning": f"{prefix}-REASONING-tamarind",
        "rebuttal": f"{prefix}-REBUTTAL-saffron",
    }


def _texts(prefix: str) -> list[str]:
    arg = _argument(prefix)
    return [arg["claim"], *arg["evidence"], arg["evidence_citation"][0], arg["reasoning"], arg["rebuttal"]]


def build_world(tmp_path: Path) -> World:
    secret = "audit-world-secret-key-0123456789abcdef"
    app = fast_app(tmp_path, SECRET_KEY=secret)
    people = {
        "arbogast": Person("arbogast", "Ms. Arbogast Quillon"),
        "anneliese": Person("anneliese", "Anneliese Vortigern"),
        "bartholomew": Person("bartholomew", "Bartholomew Xanthos"),
        "cordelia": Person("cordelia", "Cordelia Ymberline"),
        "bellweather": Person("bellweather", "Mr. Bellweather Okonkwo"),
        "evander": Person("evander", "Evander Pthalo"),
        "fenella": Person("fenella", "Fenella Quartzite"),
        "anon": Person("", ""),
    }
    world = World(db_path=app.config["DATABASE"], secret_key=secret, people=people)

    # Teacher A, class A, three students who join with the code and one added by name.
    ta = app.test_client()
    signup_teacher(ta, "arbogast", people["arbogast"].display_name)
    world.class_a = create_class(ta, "Quillon Period 3")
    world.code_a = join_code_of(ta, world.class_a)
    students = {}
    for key in ("anneliese", "bartholomew", "cordelia"):
        c = app.test_client()
        r = join_as_new_student(c, world.code_a, key, people[key].display_name)
        assert r.status_code == 302, r.get_data(as_text=True)[:2000]
        students[key] = c
    r = post_form(ta, f"/classes/{world.class_a}/students", {"names": "Dorothea Zwingli-Marchetti"}, token_from=f"/classes/{world.class_a}")
    assert r.status_code == 200
    ids = _ids(world.db_path)
    dorothea = next(u for u in ids if u.startswith("dorothea"))
    people["dorothea"] = Person(dorothea, "Dorothea Zwingli-Marchetti")

    # Teacher B, class B, two students.
    tb = app.test_client()
    signup_teacher(tb, "bellweather", people["bellweather"].display_name)
    world.class_b = create_class(tb, "Okonkwo Civics B")
    world.code_b = join_code_of(tb, world.class_b)
    for key in ("evander", "fenella"):
        c = app.test_client()
        r = join_as_new_student(c, world.code_b, key, people[key].display_name)
        assert r.status_code == 302, r.get_data(as_text=True)[:2000]
        students[key] = c

    ids = _ids(world.db_path)
    for key, person in people.items():
        if person.username:
            person.id = ids[person.username]

    # Assignments with positions. A allows resubmission (so "revise" is meaningful).
    world.assignment_a = create_assignment(ta, world.class_a, SLUG, MOTION, instructions="QUILLON-INSTRUCTIONS-cardamom", allow_resubmit="1")
    world.assignment_b = create_assignment(tb, world.class_b, SLUG, MOTION, instructions="OKONKWO-INSTRUCTIONS-nutmeg")
    world.extra_secrets_a.append("QUILLON-INSTRUCTIONS-cardamom")
    world.extra_secrets_b.append("OKONKWO-INSTRUCTIONS-nutmeg")
    draw_positions(ta, world.assignment_a, seed=7)
    draw_positions(tb, world.assignment_b, seed=7)
    # A late arrival in class A, added after the draw: "place late arrivals" has someone to place.
    r = post_form(ta, f"/classes/{world.class_a}/students", {"names": "Lucius Latecomer"}, token_from=f"/classes/{world.class_a}")
    assert r.status_code == 200
    lucius = next(u for u in _ids(world.db_path) if u.startswith("lucius"))
    people["lucius"] = Person(lucius, "Lucius Latecomer", id=_ids(world.db_path)[lucius])

    # Arguments: a draft (anneliese, fenella), submissions (bartholomew, cordelia, evander).
    def draft(key, assignment_id):
        c = students[key]
        token = csrf_from(c, f"/assignments/{assignment_id}")
        body = _argument(key.upper())
        payload = {
            "claim": body["claim"],
            "evidence": [{"text": t, "source": s} for t, s in zip(body["evidence"], body["evidence_citation"])],
            "reasoning": body["reasoning"],
            "rebuttal": body["rebuttal"],
            "base_version": 0,
        }
        r = c.post(f"/assignments/{assignment_id}/draft", json=payload, headers={"X-CSRFToken": token})
        assert r.status_code == 200, r.get_data(as_text=True)[:2000]

    def submit(key, assignment_id):
        r = post_form(students[key], f"/assignments/{assignment_id}/submit", {**_argument(key.upper()), "draft_version": "0"}, token_from=f"/assignments/{assignment_id}")
        assert r.status_code == 302, r.get_data(as_text=True)[:2000]

    draft("anneliese", world.assignment_a)
    submit("bartholomew", world.assignment_a)
    submit("cordelia", world.assignment_a)
    submit("evander", world.assignment_b)
    draft("fenella", world.assignment_b)
    world.texts_a += _texts("ANNELIESE") + _texts("BARTHOLOMEW") + _texts("CORDELIA")
    world.texts_b += _texts("EVANDER") + _texts("FENELLA")

    subs = _submission_ids(world.db_path)
    for key, person in people.items():
        if person.id in subs:
            world.submissions[key] = subs[person.id]["id"]
            world.versions[key] = subs[person.id]["version"]

    # Feedback: released for bartholomew and evander, unreleased for cordelia.
    rubric = app.extensions["debatekit.lessons"].get(SLUG).rubric
    def feedback(teacher, key, assignment_id, comment, release):
        data = {f"score_{c.key}": "2" for c in rubric}
        data["comment"] = comment
        if release:
            data["release"] = "1"
        r = post_form(teacher, f"/submissions/{world.submissions[key]}/feedback", data, token_from=f"/assignments/{assignment_id}/submissions")
        assert r.status_code == 302, r.get_data(as_text=True)[:2000]

    feedback(ta, "bartholomew", world.assignment_a, "BARTHOLOMEW-COMMENT-released-pistachio", True)
    feedback(ta, "cordelia", world.assignment_a, "CORDELIA-COMMENT-unreleased-hazelnut", False)
    feedback(tb, "evander", world.assignment_b, "EVANDER-COMMENT-released-clove", True)
    world.texts_a += ["BARTHOLOMEW-COMMENT-released-pistachio", "CORDELIA-COMMENT-unreleased-hazelnut"]
    world.texts_b += ["EVANDER-COMMENT-released-clove"]

    # Saved sessions: one signed-in browser per person (and one anonymous), each with a form token.
    cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
    for key, person in people.items():
        c = app.test_client()
        if key == "anon":
            person.token = csrf_from(c, "/login")
        else:
            password = PASSWORD
            if key in ("dorothea", "lucius"):
                continue  # added by name: temporary password; never signs in in these tests
            r = login(c, person.username, password)
            assert r.status_code == 302, (key, r.status_code)
            person.token = csrf_from(c, "/")
        cookie = c.get_cookie(cookie_name)
        person.cookie = cookie.value if cookie else None
    world.copy_to(Path(tmp_path) / "copies")  # takes the image now that the world is complete
    return world


# --- a meaningful request for every route ---------------------------------------------


def url_args(world) -> dict[str, str]:
    return {
        "class_id": str(world.class_a),
        "student_id": str(world.person("bartholomew").id),
        "assignment_id": str(world.assignment_a),
        "submission_id": str(world.submissions["bartholomew"]),
        "slug": SLUG,
        "filename": "style.css",
    }


def fill(rule: str, args: dict[str, str]) -> str:
    path = rule
    for name, value in args.items():
        for converter in ("int:", "path:", ""):
            path = path.replace(f"<{converter}{name}>", value)
    assert "<" not in path, f"no value for a variable of {rule}"
    return path


def request_for(world, rule: str, method: str, role: str, token: str) -> dict:
    """keyword arguments for client.open: a valid, meaningful request of this route."""
    path = fill(rule, url_args(world))
    if method == "GET":
        if rule == "/classes/<int:class_id>/assignments/new":
            path += f"?lesson={SLUG}"
        return {"path": path, "method": "GET"}
    bart = world.person("bartholomew")
    forms = {
        "/signup": {"username": "newteacher", "display_name": "New Teacher", "password": PASSWORD, "password_confirm": PASSWORD},
        "/login": {"username": bart.username, "password": PASSWORD},
        "/logout": {},
        "/join": {"join_code": world.code_a, "display_name": "New Student", "username": "newstudent", "password": PASSWORD},
        "/account": {"current_password": PASSWORD, "new_password": "another long password", "password_confirm": "another long password"},
        "/classes": {"name": "A brand-new class", "timezone": "America/Chicago"},
        "/classes/<int:class_id>/settings": {"name": "Renamed class", "timezone": "America/Denver", "paper_size": "a4"},
        "/classes/<int:class_id>/archive": {"archived": "1"},
        "/classes/<int:class_id>/join-code": {},
        "/classes/<int:class_id>/students": {"names": "Newcomer Person", "batch_id": "matrixbatch0001"},
        "/classes/<int:class_id>/students/<int:student_id>/reset-password": {},
        "/classes/<int:class_id>/students/<int:student_id>/remove": {},
        "/classes/<int:class_id>/students/<int:student_id>/delete": {"confirm": bart.username},
        "/classes/<int:class_id>/assignments/new": {"lesson": SLUG, "motion": MOTION, "format": "two-sides", "group_size": "4", "due_at": "", "instructions": "New one"},
        "/assignments/<int:assignment_id>/positions": {"seed": "42"},
        "/assignments/<int:assignment_id>/positions/<int:student_id>": {"position": "con", "locked": "1"},
        "/assignments/<int:assignment_id>/late-arrivals": {},
        "/assignments/<int:assignment_id>/settings": {"due_at": "", "cutoff_at": "", "instructions": "Changed instructions", "allow_resubmit": "1"},
        "/assignments/<int:assignment_id>/submit": {"claim": "My submitted claim", "evidence": "A fact", "evidence_source": "", "evidence_citation": "A book", "reasoning": "Because", "rebuttal": "However", "draft_version": str(world.versions["anneliese"])},
        "/assignments/<int:assignment_id>/revise": {},
        "/submissions/<int:submission_id>/feedback": {"comment": "New comment", "release": "1"},
    }
    if rule == "/assignments/<int:assignment_id>/draft":
        body = {"claim": "Autosaved claim", "evidence": [], "reasoning": "r", "rebuttal": "b", "base_version": world.versions["anneliese"]}
        return {"path": path, "method": "POST", "json": body, "headers": {"X-CSRFToken": token}}
    assert rule in forms, f"no request body written for POST {rule}"
    return {"path": path, "method": "POST", "data": {**forms[rule], "csrf_token": token}}
