"""Role × route matrix over every route of the app.

Roles, always seen from class A of the audit world (tests/audit_world.py):

    anon      nobody signed in
    student   Anneliese, a student of class A (has a draft in assignment A)
    other_st  Evander, a student of class B
    owner     Ms. Arbogast, who teaches class A
    other_t   Mr. Bellweather, who teaches class B

Every URL is filled with real ids of class A: class_id = class A,
assignment_id = assignment A, student_id = Bartholomew (class A, submitted,
released feedback), submission_id = Bartholomew's submission.

Cell codes:

    200 400 401 403 404 405   that status
    login                     302 to /login?next=<the requested path>
    302                       a redirect that stays on the site (not to /login)
    <code>*                   may change the database (an allowed write);
                              every other cell must leave every table unchanged
                              (login_failures too, except for POST /login, which
                              records failed sign-ins by design)

For every response: never a 500; nothing of the other class (names, usernames,
join code, argument text, comments) in the body. For every refused response
(4xx or a redirect to sign in): the database is unchanged and the body holds
nothing of either class but the viewer's own name.

The route list comes from ``app.url_map``: a route the table does not list
fails ``test_matrix_lists_every_route``, so a new route cannot be forgotten.
POST-only routes also get a GET row (405 for everyone).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from audit_world import ROLE_HEADINGS, ROLES, build_world, fast_app, fill, full_snapshot, request_for, url_args
from conftest import login

MATRIX = """
rule                                                              method  anon   student  other_st  owner   other_t
/                                                                 GET     200    200      200       200     200
/favicon.ico                                                      GET     200    200      200       200     200
/privacy                                                          GET     200    200      200       200     200
/static/<path:filename>                                           GET     200    200      200       200     200
/lessons                                                          GET     200    200      200       200     200
/lessons/<slug>                                                   GET     200    200      200       200     200
/lessons/<slug>/handout                                           GET     200    200      200       200     200
/guide                                                            GET     200    200      200       200     200
/signup                                                           GET     200    302      302       302     302
/signup                                                           POST    302*   302      302       302     302
/login                                                            GET     200    302      302       302     302
/login                                                            POST    302    302      302       302     302
/logout                                                           GET     405    405      405       405     405
/logout                                                           POST    302    302*     302*      302*    302*
/join                                                             GET     200    200      200       403     403
/join                                                             POST    302*   302      302*      403     403
/account                                                          GET     login  200      200       200     200
/account                                                          POST    login  302*     302*      302*    302*
/account/my-data.json                                             GET     login  200      200       302     302
/classes                                                          GET     login  404      404       200     200
/classes                                                          POST    login  404      404       302*    302*
/classes/<int:class_id>                                           GET     login  404      404       200     404
/classes/<int:class_id>/settings                                  GET     405    405      405       405     405
/classes/<int:class_id>/settings                                  POST    login  404      404       302*    404
/classes/<int:class_id>/archive                                   GET     405    405      405       405     405
/classes/<int:class_id>/archive                                   POST    login  404      404       302*    404
/classes/<int:class_id>/join-code                                 GET     405    405      405       405     405
/classes/<int:class_id>/join-code                                 POST    login  404      404       302*    404
/classes/<int:class_id>/students                                  GET     405    405      405       405     405
/classes/<int:class_id>/students                                  POST    login  404      404       200*    404
/classes/<int:class_id>/students/<int:student_id>/reset-password  GET     405    405      405       405     405
/classes/<int:class_id>/students/<int:student_id>/reset-password  POST    login  404      404       200*    404
/classes/<int:class_id>/students/<int:student_id>/remove          GET     405    405      405       405     405
/classes/<int:class_id>/students/<int:student_id>/remove          POST    login  404      404       302*    404
/classes/<int:class_id>/students/<int:student_id>/delete          GET     405    405      405       405     405
/classes/<int:class_id>/students/<int:student_id>/delete          POST    login  404      404       302*    404
/classes/<int:class_id>/assignments/new                           GET     login  404      404       200     404
/classes/<int:class_id>/assignments/new                           POST    login  404      404       302*    404
/assignments/<int:assignment_id>                                  GET     login  200      404       200     404
/assignments/<int:assignment_id>/positions                        GET     405    405      405       405     405
/assignments/<int:assignment_id>/positions                        POST    login  404      404       302*    404
/assignments/<int:assignment_id>/positions/<int:student_id>       GET     405    405      405       405     405
/assignments/<int:assignment_id>/positions/<int:student_id>       POST    login  404      404       302*    404
/assignments/<int:assignment_id>/late-arrivals                    GET     405    405      405       405     405
/assignments/<int:assignment_id>/late-arrivals                    POST    login  404      404       302*    404
/assignments/<int:assignment_id>/settings                         GET     405    405      405       405     405
/assignments/<int:assignment_id>/settings                         POST    login  404      404       302*    404
/assignments/<int:assignment_id>/present                          GET     login  404      404       200     404
/assignments/<int:assignment_id>/export.json                      GET     login  404      404       200     404
/assignments/<int:assignment_id>/draft                            GET     405    405      405       405     405
/assignments/<int:assignment_id>/draft                            POST    401    200*     404       404     404
/assignments/<int:assignment_id>/submit                           GET     405    405      405       405     405
/assignments/<int:assignment_id>/submit                           POST    login  302*     404       404     404
/assignments/<int:assignment_id>/revise                           GET     405    405      405       405     405
/assignments/<int:assignment_id>/revise                           POST    login  302      404       404     404
/assignments/<int:assignment_id>/submissions                      GET     login  404      404       200     404
/submissions/<int:submission_id>/feedback                         GET     405    405      405       405     405
/submissions/<int:submission_id>/feedback                         POST    login  404      404       302*    404
/assignments/<int:assignment_id>/grades.csv                       GET     login  404      404       200     404
/assignments/<int:assignment_id>/position-cards                   GET     login  404      404       200     404
/assignments/<int:assignment_id>/organizer                        GET     login  200      404       200     404
/assignments/<int:assignment_id>/debate-packet                    GET     login  404      404       200     404
/assignments/<int:assignment_id>/roster                           GET     login  404      404       200     404
/assignments/<int:assignment_id>/arguments-packet                 GET     login  404      404       200     404
"""


def parse_matrix(text: str) -> dict[tuple[str, str], dict[str, str]]:
    lines = [line.split() for line in text.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header[2:] == [ROLE_HEADINGS[r] for r in ROLES]
    table = {}
    for row in rows:
        assert len(row) == 2 + len(ROLES), row
        key = (row[0], row[1])
        assert key not in table, f"duplicate row {key}"
        table[key] = dict(zip(ROLES, row[2:]))
    return table


TABLE = parse_matrix(MATRIX)
CELLS = [(rule, method, role) for (rule, method) in TABLE for role in ROLES]


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("audit-world"))


@pytest.fixture(scope="module")
def shared_app(world, tmp_path_factory):
    """One app for the module; each test points it at its own copy of the world's database."""
    base = tmp_path_factory.mktemp("audit-app")
    return fast_app(base, DATABASE=world.copy_to(base), SECRET_KEY=world.secret_key)


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    return tmp_path_factory.mktemp("copies")


@pytest.fixture
def fresh(world, shared_app, copies):
    """The shared app on a fresh copy of the world's database (a fresh database per test)."""
    shared_app.config["DATABASE"] = world.copy_to(copies)
    return shared_app


def parse_cell(code: str) -> tuple[str, bool]:
    return code.rstrip("*"), code.endswith("*")


def is_refused(response) -> bool:
    return response.status_code >= 400 or (response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login")


def assert_on_site(location: str) -> None:
    parts = urlsplit(location)
    assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), f"redirect leaves the site: {location!r}"
    assert location.startswith("/") and not location.startswith("//") or parts.netloc == "localhost", location


def leaked(body: str, secrets: list[str]) -> list[str]:
    return sorted({s for s in secrets if s and s in body})


def body_text(response) -> str:
    text = response.get_data(as_text=True)
    if response.mimetype == "application/json":
        # JSON may escape non-ASCII or slashes; compare the decoded strings too.
        try:
            text += "\n" + json.dumps(response.get_json(), ensure_ascii=False)
        except Exception:  # noqa: BLE001 - a non-JSON body is checked as text
            pass
    return text


def check_response(world, role, method, path, expected, may_write, response, before, after, sent=""):
    """sent: the text of the request itself (error pages echo typed fields back; that is no leak)."""
    where = f"{method} {path} as {role}"
    status = response.status_code
    assert status != 500, where
    if expected == "login":
        assert status == 302, f"{where}: expected a redirect to sign in, got {status}"
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login", f"{where}: redirected to {response.headers['Location']}"
        assert "next=" in location.query, f"{where}: the sign-in redirect should carry next"
    else:
        assert status == int(expected), f"{where}: expected {expected}, got {status}: {response.get_data(as_text=True)[:500]}"
        if status == 302:
            assert urlsplit(response.headers["Location"]).path != "/login", f"{where}: unexpectedly sent to sign in"
    if status in (301, 302, 303, 307, 308):
        assert_on_site(response.headers["Location"])
    body = body_text(response)
    seen = [s for s in leaked(body, world.never_seen_by(role)) if s not in sent]
    assert not seen, f"{where}: the response shows {seen}"
    if is_refused(response):
        seen = [s for s in leaked(body, world.refused_must_not_show(role)) if s not in sent]
        assert not seen, f"{where}: a refused response shows {seen}"
        assert before == after, f"{where}: a refused request changed the database"
    elif not may_write:
        changed = sorted(t for t in before if before[t] != after.get(t))
        assert not changed, f"{where}: this request must not change the database, changed {changed}"


# --- the matrix ------------------------------------------------------------------------


def test_matrix_lists_every_route(shared_app):
    """Every (rule, method) of the app has a row, every POST-only rule a GET row, and no row is stale."""
    served = set()
    for rule in shared_app.url_map.iter_rules():
        methods = set(rule.methods) - {"HEAD", "OPTIONS"}
        for method in methods:
            served.add((rule.rule, method))
        if methods == {"POST"}:
            served.add((rule.rule, "GET"))  # must answer 405
    listed = set(TABLE)
    missing = sorted(served - listed)
    stale = sorted(listed - served)
    assert not missing, "routes missing from the access matrix (add a row with every role's expected answer): " + ", ".join(f"{m} {r}" for r, m in missing)
    assert not stale, "matrix rows for routes that no longer exist: " + ", ".join(f"{m} {r}" for r, m in stale)
    assert len(TABLE) * len(ROLES) == len(CELLS)


@pytest.mark.parametrize(("rule", "method", "role"), CELLS, ids=[f"{m} {r} as {role}" for r, m, role in CELLS])
def test_cell(world, fresh, rule, method, role):
    expected, may_write = parse_cell(TABLE[(rule, method)][role])
    client, token = world.client(fresh, role)
    request = request_for(world, rule, method, role, token)
    # Every table counts, login_failures too; only a sign-in POST may record a failed attempt.
    sign_in = (rule, method) == ("/login", "POST")
    before = full_snapshot(fresh.config["DATABASE"], except_login_failures=sign_in)
    response = client.open(**request)
    after = full_snapshot(fresh.config["DATABASE"], except_login_failures=sign_in)
    sent = json.dumps([request.get("data"), request.get("json")])
    check_response(world, role, method, request["path"], expected, may_write, response, before, after, sent)
    if may_write and response.status_code < 400 and method == "POST" and expected != "login":
        # An allowed write must actually do something (the cell is not vacuous), except
        # where the world already holds the result (joining a class one is already in).
        assert before != after or (rule, role) in {("/join", "student")}, f"{method} {request['path']} as {role}: allowed, but wrote nothing"


def test_matrix_size(shared_app, capsys):
    """The numbers quoted in the closing note (printed even without -s)."""
    rules = {r for r, _ in TABLE}
    assert len(CELLS) == len(TABLE) * 5
    with capsys.disabled():
        print("\n" + f"access matrix: {len(rules)} routes, {len(TABLE)} route×method rows × {len(ROLES)} roles = {len(CELLS)} cells")


# --- ids of other classes, in URLs and in bodies ---------------------------------------


def _snapshot(app):
    return full_snapshot(app.config["DATABASE"])


def foreign_url_cases(world):
    a, b = world.class_a, world.class_b
    ev, fe = world.person("evander").id, world.person("fenella").id
    bart = world.person("bartholomew").id
    tb, ta = world.person("bellweather").id, world.person("arbogast").id
    sub_ev = world.submissions["evander"]
    cases = [
        # owner of class A reaching into class B through class A's URLs, and the reverse
        ("owner", f"/classes/{a}/students/{ev}/reset-password", {}),
        ("owner", f"/classes/{a}/students/{ev}/remove", {}),
        ("owner", f"/classes/{a}/students/{ev}/delete", {"confirm": "evander"}),
        ("owner", f"/classes/{a}/students/{tb}/reset-password", {}),
        ("owner", f"/classes/{a}/students/{ta}/reset-password", {}),
        ("owner", f"/classes/{b}/students/{bart}/reset-password", {}),
        ("owner", f"/classes/{b}/students/{ev}/reset-password", {}),
        ("owner", f"/classes/{b}/students/{fe}/delete", {"confirm": "fenella"}),
        ("owner", f"/assignments/{world.assignment_a}/positions/{ev}", {"position": "pro", "locked": "1"}),
        ("owner", f"/assignments/{world.assignment_a}/positions/{fe}", {"position": "absent"}),
        ("owner", f"/assignments/{world.assignment_a}/positions/{ta}", {"position": "pro"}),
        ("owner", f"/assignments/{world.assignment_a}/positions/{tb}", {"position": "pro"}),
        ("owner", f"/assignments/{world.assignment_b}/positions/{bart}", {"position": "pro"}),
        ("owner", f"/assignments/{world.assignment_b}/positions/{ev}", {"position": "pro"}),
        ("owner", f"/submissions/{sub_ev}/feedback", {"comment": "not mine", "release": "1"}),
        ("owner", f"/submissions/{world.submissions['fenella']}/feedback", {"comment": "not mine"}),
        ("owner", f"/assignments/{world.assignment_b}/positions", {"seed": "1"}),
        ("owner", f"/assignments/{world.assignment_b}/settings", {"instructions": "hijacked"}),
        # students: another class's assignment, and the teacher-only feedback route
        ("student", f"/assignments/{world.assignment_b}/submit", {"claim": "x", "draft_version": "0"}),
        ("student", f"/assignments/{world.assignment_b}/revise", {}),
        ("student", f"/submissions/{world.submissions['anneliese']}/feedback", {"comment": "self-graded", "release": "1"}),
        ("other_student", f"/submissions/{sub_ev}/feedback", {"comment": "self-graded", "release": "1"}),
    ]
    return cases


def test_ids_of_other_classes_in_urls_are_refused(world, fresh):
    checked = 0
    for role, path, data in foreign_url_cases(world):
        client, token = world.client(fresh, role)
        before = _snapshot(fresh)
        response = client.post(path, data={**data, "csrf_token": token})
        after = _snapshot(fresh)
        assert response.status_code == 404, f"POST {path} as {role}: {response.status_code}"
        assert before == after, f"POST {path} as {role} changed the database"
        seen = [s for s in leaked(response.get_data(as_text=True), world.refused_must_not_show(role)) if s not in str(data)]
        assert not seen, f"POST {path} as {role} shows {seen}"
        checked += 1
    # And reading: every GET of class B's objects with class A's people.
    gets = [
        f"/classes/{world.class_b}", f"/assignments/{world.assignment_b}", f"/assignments/{world.assignment_b}/submissions",
        f"/assignments/{world.assignment_b}/export.json", f"/assignments/{world.assignment_b}/grades.csv",
        f"/assignments/{world.assignment_b}/present", f"/assignments/{world.assignment_b}/organizer",
        f"/assignments/{world.assignment_b}/position-cards", f"/assignments/{world.assignment_b}/roster",
        f"/assignments/{world.assignment_b}/debate-packet", f"/assignments/{world.assignment_b}/arguments-packet",
    ]
    for role in ("owner", "student"):
        client, _ = world.client(fresh, role)
        for path in gets:
            response = client.get(path)
            assert response.status_code == 404, f"GET {path} as {role}: {response.status_code}"
            assert not leaked(response.get_data(as_text=True), world.secrets_b())
            checked += 1
    assert checked >= 40


def _rows(app, sql, args=()):
    from debatekit import db as database

    conn = database.connect(app.config["DATABASE"])
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.conn.close()


def test_ids_of_other_classes_in_bodies_are_ignored(world, fresh):
    a_id, b_id = world.assignment_a, world.assignment_b
    ev, fe = world.person("evander").id, world.person("fenella").id
    ta, tb = world.person("arbogast").id, world.person("bellweather").id
    bart = world.person("bartholomew").id
    roster_a = {r["student_id"] for r in _rows(fresh, "SELECT student_id FROM enrollments WHERE class_id = ?", [world.class_a])}
    positions_b = _rows(fresh, "SELECT * FROM positions WHERE assignment_id = ? ORDER BY student_id", [b_id])
    submissions_b = _rows(fresh, "SELECT * FROM submissions s JOIN assignments a ON a.id = s.assignment_id WHERE a.class_id = ? ORDER BY s.id", [world.class_b])
    feedback_b = _rows(fresh, "SELECT * FROM feedback WHERE submission_id IN (?, ?)", [world.submissions["evander"], world.submissions["fenella"]])

    owner, token = world.client(fresh, "owner")
    # A draw with absent ids of another class, of teachers, of nobody, and junk: only the roster counts.
    response = owner.post(
        f"/assignments/{a_id}/positions",
        data={"seed": "3", "absent": [str(ev), str(fe), str(ta), str(tb), "999999", "-1", "x", str(2**70), str(bart)], "csrf_token": token},
    )
    assert response.status_code == 302
    rows = _rows(fresh, "SELECT * FROM positions WHERE assignment_id = ?", [a_id])
    assert {r["student_id"] for r in rows} == roster_a, "a draw stored positions for people outside the class"
    assert [r["student_id"] for r in rows if r["absent"]] == [bart]
    # An override whose body names another class's student and assignment: only the URL's student changes.
    response = owner.post(f"/assignments/{a_id}/positions/{bart}", data={"position": "con", "student_id": str(ev), "assignment_id": str(b_id), "csrf_token": token})
    assert response.status_code == 302
    # Feedback whose body names another class's submission: only the URL's submission changes.
    response = owner.post(
        f"/submissions/{world.submissions['bartholomew']}/feedback",
        data={"comment": "Mine to grade", "submission_id": str(world.submissions["evander"]), "student_id": str(ev), "csrf_token": token},
    )
    assert response.status_code == 302
    assert _rows(fresh, "SELECT comment FROM feedback WHERE submission_id = ?", [world.submissions["bartholomew"]]) == [{"comment": "Mine to grade"}]

    # A student's autosave and submit whose bodies name another class's student, assignment and submission.
    student, token = world.client(fresh, "student")
    response = student.post(
        f"/assignments/{a_id}/draft",
        json={"claim": "Only mine", "base_version": world.versions["anneliese"], "student_id": ev, "assignment_id": b_id,
              "submission_id": world.submissions["evander"], "id": world.submissions["evander"], "version": 0},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    response = student.post(
        f"/assignments/{a_id}/submit",
        data={"claim": "Only mine, submitted", "draft_version": str(world.versions["anneliese"] + 1), "student_id": str(ev),
              "assignment_id": str(b_id), "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    mine = _rows(fresh, "SELECT claim, status FROM submissions WHERE id = ?", [world.submissions["anneliese"]])
    assert mine == [{"claim": "Only mine, submitted", "status": "submitted"}]

    # Class B is untouched by all of it.
    assert _rows(fresh, "SELECT * FROM positions WHERE assignment_id = ? ORDER BY student_id", [b_id]) == positions_b
    assert _rows(fresh, "SELECT * FROM submissions s JOIN assignments a ON a.id = s.assignment_id WHERE a.class_id = ? ORDER BY s.id", [world.class_b]) == submissions_b
    assert _rows(fresh, "SELECT * FROM feedback WHERE submission_id IN (?, ?)", [world.submissions["evander"], world.submissions["fenella"]]) == feedback_b
    assert not _rows(fresh, "SELECT * FROM positions WHERE assignment_id = ? AND student_id IN (?, ?, ?, ?)", [a_id, ev, fe, ta, tb])


BAD_IDS = ["-1", "0", "99999", str(2**63 - 1), str(2**63), str(10**40), "1.5"]


def test_huge_negative_and_malformed_ids_are_404_never_500(world, fresh):
    """Every route with an id, each id replaced in turn, for the owner and the student: 404, nothing written."""
    good = url_args(world)
    before = _snapshot(fresh)
    count = 0
    for (rule, method), cells in TABLE.items():
        int_args = [name for name in ("class_id", "student_id", "assignment_id", "submission_id") if f"<int:{name}>" in rule]
        if not int_args or cells["owner"] == "405":
            continue
        for role in ("owner", "student", "anonymous"):
            client, token = world.client(fresh, role)
            for name in int_args:
                for bad in BAD_IDS if role != "anonymous" else BAD_IDS[::3]:
                    path = fill(rule, {**good, name: bad})
                    if method == "POST":
                        response = client.post(path, data={"csrf_token": token, "confirm": "x", "claim": "x"}, headers={"X-CSRFToken": token})
                    else:
                        response = client.get(path)
                    where = f"{method} {path} as {role}"
                    assert response.status_code != 500, where
                    if role == "anonymous" and response.status_code == 302:
                        assert urlsplit(response.headers["Location"]).path == "/login", where
                    elif role == "anonymous" and rule.endswith("/draft") and response.status_code == 401:
                        pass
                    else:
                        assert response.status_code == 404, f"{where}: {response.status_code}"
                    count += 1
    assert _snapshot(fresh) == before, "a request with a bad id changed the database"
    assert count > 400, count


def test_the_leak_check_is_not_vacuous(world, fresh):
    """The strings the matrix looks for are really on the pages of those entitled to them."""
    owner, _ = world.client(fresh, "owner")
    page = owner.get(f"/classes/{world.class_a}").get_data(as_text=True)
    for person in ("anneliese", "bartholomew", "cordelia", "dorothea", "lucius"):
        assert world.person(person).display_name in page
    assert world.code_a in page and "Quillon Period 3" in page
    board = owner.get(f"/assignments/{world.assignment_a}/submissions").get_data(as_text=True)
    for text in world.texts_a:
        if not text.startswith("ANNELIESE-"):  # her draft is not submitted: not on the board
            assert text in board, text
    student, _ = world.client(fresh, "student")
    mine = student.get(f"/assignments/{world.assignment_a}").get_data(as_text=True)
    assert "ANNELIESE-CLAIM-marzipan" in mine and "QUILLON-INSTRUCTIONS-cardamom" in mine
    other, _ = world.client(fresh, "other_teacher")
    assert "EVANDER-CLAIM-marzipan" in other.get(f"/assignments/{world.assignment_b}/submissions").get_data(as_text=True)


def test_a_teacher_cannot_take_over_an_account_shared_with_another_teachers_class(world, fresh):
    evander, token = world.client(fresh, "other_student")
    assert evander.post("/join", data={"join_code": world.code_a, "csrf_token": token}).status_code == 302
    owner, token = world.client(fresh, "owner")
    response = owner.post(f"/classes/{world.class_a}/students/{world.person('evander').id}/reset-password", data={"csrf_token": token})
    if response.status_code == 200:
        password = re.findall(r'<dt>Password</dt><dd class="mono">([^<]+)</dd>', response.get_data(as_text=True))[0]
        thief = fresh.test_client()
        login(thief, "evander", password)
        seen = thief.get(f"/assignments/{world.assignment_b}").get_data(as_text=True)
        assert "EVANDER-COMMENT-released-clove" not in seen, "teacher A read teacher B's feedback through the reset account"
    assert response.status_code == 403
    assert "reset-password evander" in response.get_data(as_text=True), "the refusal says who can reset it"
