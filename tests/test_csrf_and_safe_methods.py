"""CSRF on every state-changing route, no GET changes anything, and `next`
redirects stay on the site.

* Every POST route of ``app.url_map`` (the list is derived, so a new route is
  covered the day it appears) refuses a request without a csrf_token, with a
  wrong one, and with a token of another person's session: 400 (401 JSON for
  the autosave when signed out, or the role's own refusal, 404 or a redirect
  to sign in, when the route is not theirs at all), and every table is
  unchanged. The JSON autosave refuses a missing or wrong X-CSRFToken header
  and a token sent in the JSON body instead of the header.
* Every GET route, as every role, with the query arguments the pages take:
  no table changes (login_failures included).
* `next` after sign-in, and for a signed-in visitor of /login, never leaves
  the site: the Location header is resolved the way a browser does (tabs and
  newlines dropped, backslashes read as slashes) and must stay on this host.
"""

from __future__ import annotations

import json
from urllib.parse import urljoin, urlsplit

import pytest

from audit_world import ROLES, build_world, fast_app, fill, request_for, url_args
from audit_world import full_snapshot as snapshot_of
from conftest import PASSWORD
from test_access_matrix import TABLE as MATRIX


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("csrf-world"))


@pytest.fixture(scope="module")
def shared_app(world, tmp_path_factory):
    base = tmp_path_factory.mktemp("csrf-app")
    return fast_app(base, DATABASE=world.copy_to(base), SECRET_KEY=world.secret_key)


@pytest.fixture
def fresh(world, shared_app, tmp_path_factory):
    """The shared app on a fresh copy of the world's database (a fresh database per test)."""
    shared_app.config["DATABASE"] = world.copy_to(tmp_path_factory.getbasetemp() / "csrf-copies")
    return shared_app


def full_snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table, login_failures included."""
    return snapshot_of(app.config["DATABASE"])


def without_login_failures(snapshot: dict) -> dict:
    return {k: v for k, v in snapshot.items() if k != "login_failures"}


def post_rules(app) -> list[str]:
    return sorted(r.rule for r in app.url_map.iter_rules() if "POST" in r.methods)


def get_rules(app) -> list[str]:
    return sorted(r.rule for r in app.url_map.iter_rules() if "GET" in r.methods)


# --- CSRF ------------------------------------------------------------------------------


def _strip_token(request: dict, token: str | None) -> dict:
    """The same request with its CSRF token removed (token=None) or replaced."""
    request = json.loads(json.dumps(request))  # a deep copy
    if "data" in request:
        request["data"].pop("csrf_token", None)
        if token is not None:
            request["data"]["csrf_token"] = token
    if "headers" in request:
        request["headers"].pop("X-CSRFToken", None)
        if token is not None:
            request["headers"]["X-CSRFToken"] = token
    return request


def _refusal_ok(role: str, rule: str, response) -> bool:
    """What a request without a valid token may get: 400 (the form comes back with the typed
    text); for the autosave when signed out 401 (JSON). A signed-in person posting to a route
    that is not theirs gets its ordinary 404, or at most the neutral "your form had expired"
    page, which shows only what they typed: never the route's own page re-rendered for them."""
    status = response.status_code
    refused_anyway = role != "anonymous" and MATRIX[(rule, "POST")][role] == "404"
    if refused_anyway:
        if status == 400 and response.is_json:
            return response.get_json().get("error") == "csrf"
        if status == 400:
            return "Your form had expired" in response.get_data(as_text=True)
        return status in (403, 404)
    if status == 400:
        return True
    if rule.endswith("/draft") and role == "anonymous":
        return status == 401 and response.is_json
    if status == 404 and role != "anonymous":
        return True
    if status == 302 and role == "anonymous":
        return urlsplit(response.headers["Location"]).path == "/login"
    return False


@pytest.mark.parametrize("variant", ["missing", "wrong", "another session's"])
def test_every_post_route_refuses_a_request_without_a_valid_csrf_token(world, fresh, variant):
    rules = post_rules(fresh)
    assert len(rules) >= 20, rules
    others = {"anonymous": "owner", "student": "other_student", "other_student": "student", "owner": "other_teacher", "other_teacher": "owner"}
    checked = 0
    for rule in rules:
        for role in ROLES:
            client, token = world.client(fresh, role)
            good = request_for(world, rule, "POST", role, token)
            bad_token = {"missing": None, "wrong": "not-a-token", "another session's": world.client(fresh, others[role])[1]}[variant]
            request = _strip_token(good, bad_token)
            before = full_snapshot(fresh)
            response = client.open(**request)
            after = full_snapshot(fresh)
            where = f"POST {request['path']} as {role} with a {variant} token"
            assert _refusal_ok(role, rule, response), f"{where}: {response.status_code} {response.get_data(as_text=True)[:300]}"
            assert before == after, f"{where}: the database changed"
            # The route's own page may come back to someone it belongs to (with their typed text);
            # anyone else sees nothing of either class.
            entitled = role != "anonymous" and MATRIX[(rule, "POST")][role] not in ("404", "403")
            secrets = world.never_seen_by(role) if entitled else world.refused_must_not_show(role)
            seen = [x for x in secrets if x and x in response.get_data(as_text=True) and x not in json.dumps(request)]
            assert not seen, f"{where}: the refusal shows {seen}"
            checked += 1
    assert checked == len(rules) * len(ROLES)


def test_a_valid_token_is_what_makes_the_difference(world, fresh):
    """The same requests with the right token succeed: the refusals above are CSRF, not something else."""
    for rule, role in [("/classes", "owner"), ("/assignments/<int:assignment_id>/positions", "owner"), ("/assignments/<int:assignment_id>/submit", "student")]:
        client, token = world.client(fresh, role)
        response = client.open(**request_for(world, rule, "POST", role, token))
        assert response.status_code == 302, (rule, role, response.status_code)


def test_json_autosave_needs_the_x_csrftoken_header(world, fresh):
    a = world.assignment_a
    client, token = world.client(fresh, "student")
    body = {"claim": "Autosaved", "evidence": [], "reasoning": "", "rebuttal": "", "base_version": world.versions["anneliese"]}
    _, foreign = world.client(fresh, "other_student")
    cases = {
        "no header": {},
        "empty header": {"X-CSRFToken": ""},
        "wrong header": {"X-CSRFToken": "garbage"},
        "another session's token": {"X-CSRFToken": foreign},
        "a token of the right session, but in another header": {"X-Not-CSRF": token},
    }
    for name, headers in cases.items():
        before = full_snapshot(fresh)
        response = client.post(f"/assignments/{a}/draft", json=body, headers=headers)
        assert response.status_code == 400 and response.is_json, (name, response.status_code)
        assert response.get_json()["error"] == "csrf"
        assert full_snapshot(fresh) == before, name
    # The token in the JSON body instead of the header is not accepted either.
    response = client.post(f"/assignments/{a}/draft", json={**body, "csrf_token": token})
    assert response.status_code == 400
    # Signed out: 401 JSON, so the page can say "sign in again" and keep the text.
    anon, anon_token = world.client(fresh, "anonymous")
    for headers in ({}, {"X-CSRFToken": "garbage"}, {"X-CSRFToken": anon_token}):
        before = full_snapshot(fresh)
        response = anon.post(f"/assignments/{a}/draft", json=body, headers=headers)
        assert response.status_code == 401 and response.get_json()["error"] == "signed_out", headers
        assert full_snapshot(fresh) == before
    # And with the header, it saves.
    response = client.post(f"/assignments/{a}/draft", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["version"] == world.versions["anneliese"] + 1


# --- safe methods ----------------------------------------------------------------------


def get_queries(world) -> dict[str, list[str]]:
    """Query strings the GET pages take (so a GET with arguments is tried too)."""
    return {
        "/": ["", "?next=/classes"],
        "/login": ["", "?next=/classes"],
        "/join": ["", f"?code={world.code_a}"],
        "/lessons": ["", "?q=sovereignty"],
        "/lessons/<slug>/handout": ["", "?paper=a4"],
        "/classes/<int:class_id>/assignments/new": ["", "?lesson=what-is-sovereignty"],
        "/assignments/<int:assignment_id>/submissions": ["", "?filter=reviewed"],
        "/assignments/<int:assignment_id>/position-cards": ["", "?names=hide"],
        "/assignments/<int:assignment_id>/debate-packet": ["", "?names=hide"],
        "/assignments/<int:assignment_id>/roster": ["", "?names=hide"],
        "/assignments/<int:assignment_id>/arguments-packet": ["", "?names=hide&position=pro&group=1"],
    }


def test_no_get_changes_anything(world, fresh):
    """Every GET route, as every role, with and without its query arguments: not one row changes."""
    rules = get_rules(fresh)
    queries = get_queries(world)
    args = url_args(world)
    count = 0
    before = full_snapshot(fresh)
    for role in ROLES:
        client, _ = world.client(fresh, role)
        for rule in rules:
            for query in queries.get(rule, [""]):
                path = fill(rule, args) + query
                response = client.get(path)
                assert response.status_code != 500, path
                head = client.head(path)
                assert head.status_code != 500, f"HEAD {path}"
                after = full_snapshot(fresh)
                assert after == before, f"GET {path} as {role} changed the database: " + ", ".join(t for t in before if before[t] != after.get(t))
                count += 1
    assert count >= len(rules) * len(ROLES)
    print(f"safe methods: {count} GET (and HEAD) requests over {len(rules)} GET routes × {len(ROLES)} roles, no table changed")


def test_sign_in_is_the_only_post_allowed_to_touch_login_failures(world, fresh):
    """A failed sign-in records a failure (throttling needs it); that is the one write a refused request may make."""
    client, token = world.client(fresh, "anonymous")
    before = full_snapshot(fresh)
    response = client.post("/login", data={"username": "anneliese", "password": "wrong password", "csrf_token": token})
    assert response.status_code == 400
    after = full_snapshot(fresh)
    assert without_login_failures(after) == without_login_failures(before)
    assert len(after["login_failures"]) > len(before["login_failures"])


# --- next ------------------------------------------------------------------------------

HOSTILE_NEXT = [
    "//x", "/\\x", "///x", "/\t/x", "https://x", "javascript:alert(1)",
    "http://x/", "//x/classes", "\\\\x", "/\\/x", "\\/x", " //x", "/\n/x", "/\r\n/x", "/ /x",
    "http:x", "https:/x", "//x@localhost", "/\x00/x", "JaVaScRiPt:alert(1)", "data:text/html,x",
    "%2F%2Fx", "/%09/x", "/%5Cx", "//localhost.x", "////x", "x", ".//x",
]


def browser_location(location: str) -> tuple[str, str]:
    """(host, path) a browser would go to from a Location on http://localhost/login."""
    cleaned = "".join(ch for ch in location if ch not in "\t\n\r").replace("\\", "/")
    target = urlsplit(urljoin("http://localhost/login", cleaned))
    return target.netloc, target.path


def assert_stays(response, where: str) -> None:
    assert response.status_code in (301, 302, 303, 307, 308), f"{where}: {response.status_code}"
    location = response.headers["Location"]
    host, _ = browser_location(location)
    assert host == "localhost" or host == "", f"{where}: redirected off the site to {location!r}"
    assert not any(ch in location for ch in "\r\n\x00"), f"{where}: control characters in Location {location!r}"


@pytest.mark.parametrize("target", HOSTILE_NEXT, ids=[repr(t) for t in HOSTILE_NEXT])
def test_next_redirects_stay_on_the_site(world, fresh, target):
    # After signing in (the next from the form, and from the query string).
    client, token = world.client(fresh, "anonymous")
    response = client.post("/login", data={"username": "anneliese", "password": PASSWORD, "next": target, "csrf_token": token})
    assert_stays(response, f"sign in with next={target!r}")
    client, token = world.client(fresh, "anonymous")
    response = client.post("/login", query_string={"next": target}, data={"username": "anneliese", "password": PASSWORD, "csrf_token": token})
    assert_stays(response, f"sign in with ?next={target!r}")
    # A signed-in visitor of /login is sent on at once.
    client, _ = world.client(fresh, "owner")
    response = client.get("/login", query_string={"next": target})
    assert_stays(response, f"GET /login?next={target!r} signed in")
    # The sign-in page does not carry a hostile next into its form.
    anon, _ = world.client(fresh, "anonymous")
    html = anon.get("/login", query_string={"next": target}).get_data(as_text=True)
    if 'name="next"' in html:
        value = html.split('name="next" value="', 1)[1].split('"', 1)[0]
        assert browser_location(value)[0] in ("", "localhost") and value.startswith("/") and not value.startswith("//"), value


def test_a_good_next_is_followed(world, fresh):
    client, token = world.client(fresh, "anonymous")
    target = f"/assignments/{world.assignment_a}?x=1"
    response = client.post("/login", data={"username": "anneliese", "password": PASSWORD, "next": target, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == target
    # And the sign-in redirect of a protected page carries the page as next.
    anon, _ = world.client(fresh, "anonymous")
    response = anon.get(f"/classes/{world.class_a}")
    assert response.status_code == 302
    page = anon.get(response.headers["Location"]).get_data(as_text=True)
    assert f'name="next" value="/classes/{world.class_a}"' in page
