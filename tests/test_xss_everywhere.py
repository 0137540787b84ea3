"""XSS everywhere: one corpus (tests/xss_payloads.PAYLOADS) in every field a
user can type, checked in every output.

Fields: student display names (added by the teacher and typed at /join),
teacher display names, class names, assignment instructions, every argument
field (claim, each evidence text, typed citations, reasoning, rebuttal),
teacher comments; usernames (refused: the form echoes them back), and the
fields that are only echoed back (sign-in, sign-up, join, search, seed, the
forms kept after a CSRF failure, an error or a draft conflict).

Outputs: every HTML page that shows them, every printout, the CSV, export.json
and the student's data download.

How the corpus is spread, so that each output is fetched a bounded number of
times yet every payload reaches every output kind:

* 107 teachers sign up, teacher i named payload i; each creates class i named
  payload i and an assignment whose instructions are payload i; one "hub"
  student joins all of those classes (her dashboard and data download list
  every class and teacher name; she reads every assignment).
* In one big class: every payload is a student's name twice (once added by
  the teacher, once typed at /join); each joined student i submits an argument
  whose claim, 12 evidence texts, 12 citations, reasoning and rebuttal are
  payloads i, i+1, ..., i+26 (mod N), so every field holds every payload once;
  the teacher's comment on it is payload i+7. Eight more students keep drafts
  that cover the corpus the same way (the draft branch of the workspace).
* Markdown fields are stored as "<marker>\\n\\n<payload>": the marker proves
  the text reached a rendered output; where text is shown escaped (names,
  textareas, citations, JSON, CSV) the whole stored string must be found as
  text, which proves it was escaped rather than parsed.

Names are at most 80 characters: the 7 longer payloads go into names cut to
80 characters (their dangerous opening part); everything else is the full
payload.

The whole-page checker (``check_page``) allows the app's own markup and
proves the payloads inert; see its docstring.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from audit_world import SLUG, MOTION, fast_app
from conftest import PASSWORD, ROOT, csrf_from, table_snapshot
from debatekit.rendering import ALLOWED_TAGS as MARKDOWN_TAGS
from debatekit.services import accounts, classes as class_service, submissions as submission_service
from xss_payloads import PAYLOADS

N = len(PAYLOADS)
EVIDENCE_ITEMS = 12
# CSV formula injection: not XSS, but the same "user text in an output" rule.
FORMULAS = ["=1+1", "+SUM(1,2)", "-2+3", "@SUM(A1:A2)", '=HYPERLINK("https://evil.example","click")', "=cmd|' /C calc'!A0"]

# ---------------------------------------------------------------------------------------
# The whole-page checker
# ---------------------------------------------------------------------------------------


def _template_tags() -> set[str]:
    tags = set()
    for path in (ROOT / "templates").rglob("*.html"):
        tags |= {t.lower() for t in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", path.read_text(encoding="utf-8"))}
    return tags


#: Tags that may be live on a page: the app's own templates plus what the Markdown sanitiser allows.
#: svg and its children are handled separately (only the app's QR codes).
VOCABULARY = (_template_tags() | set(MARKDOWN_TAGS)) - {"svg", "path"}
NEVER = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "isindex", "style", "math", "template", "noscript", "img", "image", "video", "audio", "source", "marquee"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset", "ping", "cite", "longdesc", "codebase", "manifest", "dynsrc", "lowsrc"}
SAFE_SCHEMES = {"http", "https", "mailto"}
_NOISE = re.compile(r"[\x00-\x20\x7f-\x9f\s]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
QR_CHILDREN = {"title", "path"}
QR_PATH_ATTRIBUTES = {"d", "stroke", "fill", "class", "transform"}


def url_scheme(value: str) -> str | None:
    """The scheme a browser sees: html.parser has decoded entities; drop whitespace and control characters."""
    m = _SCHEME.match(_NOISE.sub("", value).lower())
    return m.group(1) if m else None


def same_site_path(value: str) -> bool:
    squeezed = _NOISE.sub("", value)
    return squeezed.startswith("/") and not squeezed.startswith("//") and "\\" not in squeezed


class PageChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.texts: list[str] = []
        self.start_tags = 0
        self.counts: Counter = Counter()
        self.svg_depth = 0
        self.in_script = False
        self.in_head = False
        self.json_attributes: list[str] = []

    def problem(self, text: str) -> None:
        self.problems.append(f"{text} (line {self.getpos()[0]})")

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs, self_closing=False)

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs, self_closing=True)

    def _tag(self, tag, attrs, self_closing):
        self.start_tags += 1
        tag = tag.lower()
        self.counts[tag] += 1
        names = {}
        for name, value in attrs:
            name, value = name.lower(), value or ""
            names[name] = value
            self.texts.append(value)
            if name.startswith("on"):
                self.problem(f"event attribute {name}= on <{tag}>")
            if name == "style":
                self.problem(f"style attribute on <{tag}>")
            if name == "srcdoc":
                self.problem(f"srcdoc on <{tag}>")
            if name in URL_ATTRIBUTES:
                scheme = url_scheme(value)
                if scheme is not None and scheme not in SAFE_SCHEMES:
                    self.problem(f"{scheme}: URL in {name}= on <{tag}>: {value[:80]!r}")
            if name == "data-speakers":
                self.json_attributes.append(value)
        if self.svg_depth:
            if tag not in QR_CHILDREN:
                self.problem(f"<{tag}> inside an SVG")
            if tag == "path" and set(names) - QR_PATH_ATTRIBUTES:
                self.problem(f"unexpected attributes {sorted(set(names) - QR_PATH_ATTRIBUTES)} on an SVG path")
            if tag == "title" and names:
                self.problem("attributes on an SVG title")
            return
        if tag == "svg":
            if "qr" in names.get("class", "").split() and names.get("role") == "img" and set(names) <= {"class", "role", "viewbox", "focusable"}:
                if not self_closing:
                    self.svg_depth = 1
            else:
                self.problem(f"an <svg> that is not one of the app's QR codes: {names}")
            return
        if tag in NEVER or tag not in VOCABULARY:
            self.problem(f"live <{tag}> element")
        if tag == "script":
            if set(names) != {"src"} or not names["src"].startswith("/static/"):
                self.problem(f"<script> other than a same-origin /static/ file: {names}")
            self.in_script = not self_closing
        if tag == "link":
            if names.get("rel") not in ("stylesheet", "icon") or not names.get("href", "").startswith("/static/") or not self.in_head:
                self.problem(f"<link> other than the app's own stylesheet or icon: {names}")
        if tag == "meta":
            if "http-equiv" in names or not self.in_head or not (set(names) <= {"charset", "name", "content"}):
                self.problem(f"<meta> other than charset/viewport: {names}")
        if tag == "form":
            # No action posts to the page itself (the projector's script-only timer form).
            if "action" in names and not same_site_path(names["action"]) or "formaction" in names:
                self.problem(f"<form> posting off the site: {names}")
        if tag == "a" and names.get("target") and "noopener" not in names.get("rel", ""):
            self.problem("a link with target but without rel=noopener")
        if tag == "head":
            self.in_head = True
        if tag == "body":
            self.in_head = False

    def handle_endtag(self, tag):
        tag = tag.lower()
        if self.svg_depth and tag == "svg":
            self.svg_depth = 0
        if tag == "script":
            self.in_script = False
        if tag == "head":
            self.in_head = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problem(f"inline script content: {data[:80]!r}")
        self.texts.append(data)

    def handle_comment(self, data):
        self.problem(f"an HTML comment in the page: {data[:80]!r}")

    def handle_decl(self, decl):
        if decl.lower() != "doctype html":
            self.problem(f"declaration <!{decl[:40]}>")

    def unknown_decl(self, data):
        self.problem(f"marked section <![{data[:40]}")

    def handle_pi(self, data):
        self.problem(f"processing instruction <?{data[:40]}")


def check_page(html: str) -> tuple[list[str], str, list[str]]:
    """Check a whole HTML page. Returns (problems, decoded text and attribute values, JSON attributes).

    The app's own markup is allowed: <script src="/static/...">, its stylesheets and
    icon in <head>, <meta charset/viewport>, forms that post to this site, the QR
    code SVGs (class "qr", only <title> and <path> inside). Anything else fails:
    inline script content, on* attributes anywhere, style attributes,
    javascript:/data:/vbscript: (any scheme but http, https, mailto) in a URL
    attribute after entity decoding and removing whitespace and control
    characters, <iframe>/<object>/<embed>/<base>/<meta http-equiv>/<style>/<math>/
    <img>, any other <svg>, any tag the templates and the Markdown sanitiser never
    produce, HTML comments and marked sections. As a cross-check against parser
    differences, the number of raw "<letter" sequences must equal the number of
    start tags the parser saw: user text can only add characters, never tags the
    parser did not count.
    """
    checker = PageChecker()
    checker.feed(html)
    checker.close()
    problems = list(checker.problems)
    raw = len(re.findall(r"<[A-Za-z]", html))
    if raw != checker.start_tags:
        problems.append(f"{raw} raw '<letter' sequences but {checker.start_tags} parsed start tags")
    for tag in ("html", "head", "body"):
        if checker.counts[tag] != 1:
            problems.append(f"{checker.counts[tag]} <{tag}> elements")
    if not html.lstrip().lower().startswith("<!doctype html>"):
        problems.append("no doctype first")
    return problems, "\x00".join(checker.texts), checker.json_attributes


#: Payloads that are harmless even when put into a page unescaped: Markdown syntax, entities,
#: and links to ordinary URLs. Every other payload, unescaped, must be caught by check_page.
HARMLESS_WHEN_RAW = {
    p for p in PAYLOADS
    if not re.search(r"<[A-Za-z!]", p)
    or p in (
        '<a title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" href="#x">x</a>',
        '<a href="//evil.example">protocol-relative</a>',
        '<a href="\\\\evil.example">backslashes</a>',
        '<a id="x" name="csrf_token" href="#">clobber</a>',
    )
}
_FRAME = "<!doctype html><html><head><title>t</title></head><body><main><p>{}</p></main></body></html>"


def test_the_checker_catches_every_payload_unescaped_and_passes_it_escaped():
    """The checker is not vacuous: each dangerous payload put raw into a page is caught;
    the same payload escaped (as Jinja does) passes and reads back as the text."""
    import html as html_module

    caught = 0
    for p in PAYLOADS:
        problems, _, _ = check_page(_FRAME.format(p))
        if p not in HARMLESS_WHEN_RAW:
            assert problems, f"unescaped payload not caught: {p!r}"
            caught += 1
        problems, text, _ = check_page(_FRAME.format(html_module.escape(p)))
        assert not problems, (p, problems)
        assert p in text
    assert caught >= 85, caught
    # And the app's own markup passes: scripts from /static/, the QR code SVG.
    from debatekit import qrcodes

    page = _FRAME.format("") .replace("</main>", qrcodes.svg("http://localhost/login", "QR") + '</main><script src="/static/app.js"></script>')
    assert check_page(page)[0] == []
    for bad in ['<script>alert(1)</script>', '<script src="https://evil.example/x.js"></script>', '<svg onload=alert(1)>', '<svg class="qr" role="img"><script>alert(1)</script></svg>',
                '<a href="java&#x09;script:alert(1)">x</a>', '<!--><script>alert(1)</script>-->', '<meta http-equiv="refresh" content="0">', '<base href="https://evil.example/">']:
        assert check_page(_FRAME.format(bad))[0], bad


# ---------------------------------------------------------------------------------------
# Bookkeeping: what reached which output
# ---------------------------------------------------------------------------------------


class Audit:
    def __init__(self, app):
        self.app = app
        self.problems: list[str] = []
        self.reach: dict[str, set[int]] = defaultdict(set)
        self.fetches: Counter = Counter()
        self.full: set[str] = set()  # output kinds every payload must reach

    def _needles(self, kind, where, blob, needles):
        for index, needle in needles:
            if needle in blob:
                self.reach[kind].add(index)
            else:
                self.problems.append(f"{kind} {where}: payload {index} not found as text: {needle[:60]!r}")

    def html(self, kind, response, needles=(), *, status=200, where=""):
        where = where or response.request.path
        self.fetches[kind] += 1
        if response.status_code != status:
            self.problems.append(f"{kind} {where}: status {response.status_code}, expected {status}")
        if response.mimetype != "text/html":
            self.problems.append(f"{kind} {where}: served as {response.mimetype}")
        if "script-src 'self'" not in response.headers.get("Content-Security-Policy", ""):
            self.problems.append(f"{kind} {where}: no Content-Security-Policy")
        problems, blob, json_attributes = check_page(response.get_data(as_text=True))
        self.problems += [f"{kind} {where}: {p}" for p in problems]
        for value in json_attributes:
            try:
                blob += "\x00" + "\x00".join(_strings(json.loads(value)))
            except ValueError:
                self.problems.append(f"{kind} {where}: data-speakers is not JSON")
        self._needles(kind, where, blob, needles)
        return blob

    def json(self, kind, response, needles=(), *, where=""):
        where = where or response.request.path
        self.fetches[kind] += 1
        if response.status_code != 200 or response.mimetype != "application/json":
            self.problems.append(f"{kind} {where}: {response.status_code} {response.mimetype}")
        if response.headers.get("X-Content-Type-Options") != "nosniff":
            self.problems.append(f"{kind} {where}: no nosniff")
        try:
            data = json.loads(response.get_data(as_text=True))
        except ValueError as exc:
            self.problems.append(f"{kind} {where}: not JSON: {exc}")
            return None
        strings = set(_strings(data))
        for index, needle in needles:
            if needle in strings:  # the exact string: data, not markup
                self.reach[kind].add(index)
            else:
                self.problems.append(f"{kind} {where}: payload {index} does not round-trip: {needle[:60]!r}")
        return data

    def summary(self) -> str:
        lines = []
        total = 0
        for kind in sorted(self.reach):
            n = len(self.reach[kind])
            total += n
            lines.append(f"  {kind:<34} {n:>4} payloads  ({self.fetches[kind]} fetches)")
        return f"{N} payloads x {len(self.reach)} output kinds = {total} payload-output pairs reached\n" + "\n".join(lines)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


# ---------------------------------------------------------------------------------------
# Field values
# ---------------------------------------------------------------------------------------


def name_input(p: str) -> str:
    """What goes into a name field: the payload, cut to the 80-character limit when longer."""
    collapsed = " ".join(p.split())
    return p if len(collapsed) <= accounts.MAX_NAME_LENGTH else collapsed[: accounts.MAX_NAME_LENGTH]


def stored_name(p: str) -> str:
    return accounts.clean_display_name(name_input(p))


def stored_class_name(p: str) -> str:
    return class_service.clean_class_name(name_input(p))


def marker(kind: str, index: int, slot: int = 0) -> str:
    return f"MK-{kind}-{index:03d}-{slot:02d}-END"


def md_value(kind: str, index: int, slot: int, p: str) -> str:
    return f"{marker(kind, index, slot)}\n\n{p}"


def citation_value(index: int, slot: int, p: str) -> str:
    return f"{marker('cite', index, slot)} {p}"


def argument_for(i: int, kind: str) -> dict:
    """Student i's argument: claim payload i, evidence i+1..i+12, reasoning i+13, rebuttal i+14, citations i+20..i+31."""
    ev = [(i + 1 + j) % N for j in range(EVIDENCE_ITEMS)]
    cites = [(i + 20 + j) % N for j in range(EVIDENCE_ITEMS)]
    return {
        "claim": (i % N, md_value(kind + "claim", i, 0, PAYLOADS[i % N])),
        "evidence": [(e, md_value(kind + "evidence", i, j, PAYLOADS[e])) for j, e in enumerate(ev)],
        "citations": [(c, citation_value(i, j, PAYLOADS[c])) for j, c in enumerate(cites)],
        "reasoning": ((i + 13) % N, md_value(kind + "reasoning", i, 0, PAYLOADS[(i + 13) % N])),
        "rebuttal": ((i + 14) % N, md_value(kind + "rebuttal", i, 0, PAYLOADS[(i + 14) % N])),
    }


def as_form(arg: dict, version: int) -> dict:
    return {
        "claim": arg["claim"][1],
        "evidence": [v for _, v in arg["evidence"]],
        "evidence_source": [""] * EVIDENCE_ITEMS,
        "evidence_citation": [v for _, v in arg["citations"]],
        "reasoning": arg["reasoning"][1],
        "rebuttal": arg["rebuttal"][1],
        "draft_version": str(version),
    }


def stored_argument(arg: dict) -> dict:
    """The argument as the service stores it (the exact strings JSON must give back)."""
    raw = {
        "claim": arg["claim"][1],
        "evidence": [{"text": t, "source": c} for (_, t), (_, c) in zip(arg["evidence"], arg["citations"])],
        "reasoning": arg["reasoning"][1],
        "rebuttal": arg["rebuttal"][1],
    }
    fields = submission_service.clean_fields(raw)
    fields["evidence"] = json.loads(fields["evidence"])
    return fields


def markers_of(arg: dict) -> list[tuple[int, str]]:
    """(payload, marker) for every Markdown field: proof it reached a rendered output."""
    items = [arg["claim"], *arg["evidence"], arg["reasoning"], arg["rebuttal"]]
    return [(index, value.split("\n", 1)[0]) for index, value in items]


def texts_of(arg: dict) -> list[tuple[int, str]]:
    """(payload, stored text) for every field: for outputs that show the text escaped (textareas, JSON)."""
    stored = stored_argument(arg)
    items = [(arg["claim"][0], stored["claim"]), (arg["reasoning"][0], stored["reasoning"]), (arg["rebuttal"][0], stored["rebuttal"])]
    for (index, _), ev in zip(arg["evidence"], stored["evidence"]):
        items.append((index, ev["text"]))
    return items


def citations_of(arg: dict) -> list[tuple[int, str]]:
    stored = stored_argument(arg)
    return [(index, ev["source"]) for (index, _), ev in zip(arg["citations"], stored["evidence"])]


def comment_for(i: int) -> tuple[int, str]:
    index = (i + 7) % N
    return index, md_value("comment", i, 0, PAYLOADS[index])


ALL = "\n".join(PAYLOADS)  # every payload at once, for fields that are only echoed back (escaped text)
ALL_NEEDLES = list(enumerate(PAYLOADS))


# ---------------------------------------------------------------------------------------
# The world
# ---------------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path, monkeypatch):
    # zoneinfo.available_timezones() rescans the tz database on every call (about 70 ms);
    # these tests create hundreds of classes, so remember its answer (same behaviour).
    import functools
    import zoneinfo

    monkeypatch.setattr(class_service, "available_timezones", functools.lru_cache(maxsize=1)(zoneinfo.available_timezones))
    return fast_app(tmp_path)


def _db_rows(app, sql, args=()):
    from debatekit import db as database

    conn = database.connect(app.config["DATABASE"])
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.conn.close()


def _location_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(urlsplit(response.headers["Location"]).path.rstrip("/").split("/")[-1])


def _signup(app, username, display_name):
    c = app.test_client()
    token = csrf_from(c, "/signup")
    r = c.post("/signup", data={"username": username, "display_name": display_name, "password": PASSWORD, "password_confirm": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    return c


def _token(client, path="/account"):
    return csrf_from(client, path)


def test_teacher_names_class_names_and_instructions(app):
    """107 teachers named with payloads, each with a class named with a payload and an
    assignment whose instructions are a payload; a hub student in every class."""
    audit = Audit(app)
    hub = app.test_client()
    hub_token = None
    assignments = []
    for i, p in enumerate(PAYLOADS):
        teacher = _signup(app, f"t{i:03d}", name_input(p))
        token = _token(teacher, "/")
        class_id = _location_id(teacher.post("/classes", data={"name": name_input(p), "timezone": "America/Chicago", "csrf_token": token}))
        instructions = md_value("instructions", i, 0, p)
        assignment_id = _location_id(teacher.post(
            f"/classes/{class_id}/assignments/new",
            data={"lesson": SLUG, "motion": MOTION, "format": "two-sides", "group_size": "4", "due_at": "", "instructions": instructions, "csrf_token": token},
        ))
        code = _db_rows(app, "SELECT join_code FROM classes WHERE id = ?", [class_id])[0]["join_code"]
        if hub_token is None:
            r = hub.post("/join", data={"join_code": code, "display_name": "Hub Student", "username": "hubstudent", "password": PASSWORD, "csrf_token": csrf_from(hub, "/join")})
            assert r.status_code == 302, r.get_data(as_text=True)[:2000]
            hub_token = _token(hub)
        else:
            r = hub.post("/join", data={"join_code": code, "csrf_token": hub_token})
            assert r.status_code == 302, r.get_data(as_text=True)[:2000]
        teacher_name, class_name = stored_name(p), stored_class_name(p)
        stored_instructions = instructions.strip()
        # The teacher's pages: dashboard and class list (header name, class name), the assignment page
        # (instructions in a textarea, class name), export.json (instructions as data).
        audit.html("teacher dashboard", teacher.get("/"), [(i, teacher_name), (i, class_name)])
        audit.html("assignment (teacher)", teacher.get(f"/assignments/{assignment_id}"), [(i, stored_instructions), (i, class_name)])
        audit.json("export.json", teacher.get(f"/assignments/{assignment_id}/export.json"), [(i, stored_instructions)])
        # The hub student reads the assignment: instructions rendered as Markdown, the class name.
        audit.html("student workspace (draft)", hub.get(f"/assignments/{assignment_id}"), [(i, marker("instructions", i)), (i, class_name)])
        assignments.append((i, assignment_id))
    # One teacher with a class named after every payload: the class list (a heavy page) once.
    collector = _signup(app, "collector", "Collector Teacher")
    token = _token(collector, "/")
    for i, p in enumerate(PAYLOADS):
        _location_id(collector.post("/classes", data={"name": name_input(p), "timezone": "America/Chicago", "csrf_token": token}))
    names = [(i, stored_class_name(p)) for i, p in enumerate(PAYLOADS)]
    audit.html("class list", collector.get("/classes"), names)
    audit.html("teacher dashboard", collector.get("/"), names)
    # The hub's dashboard and data download list every class and teacher.
    teachers = [(i, stored_name(p)) for i, p in enumerate(PAYLOADS)]
    audit.html("student dashboard", hub.get("/"), names + teachers)
    audit.json("student data download", hub.get("/account/my-data.json"), names + teachers)
    # The student's printable organizer shows the class name.
    for i, assignment_id in assignments[:: max(1, N // 12)]:
        audit.html("organizer (student)", hub.get(f"/assignments/{assignment_id}/organizer"), [(i, stored_class_name(PAYLOADS[i]))])
    _finish(audit, full={"teacher dashboard", "class list", "assignment (teacher)", "export.json", "student workspace (draft)", "student dashboard", "student data download"})


def _finish(audit: Audit, full: set[str]):
    RESULTS.append(audit)
    missing = {kind: sorted(set(range(N)) - audit.reach[kind]) for kind in full if len(audit.reach[kind]) != N}
    report = audit.summary()
    print(report)
    assert not audit.problems, f"{len(audit.problems)} problems:\n" + "\n".join(audit.problems[:80]) + "\n" + report
    assert not missing, f"payloads that never reached an output: {missing}\n{report}"


RESULTS: list[Audit] = []


@pytest.fixture
def big_class(app):
    """One class with every payload as a student name twice, 107 submitted arguments
    carrying the corpus in every argument field, comments, and 8 drafts."""
    teacher = _signup(app, "mainteacher", "</textarea><img src=x onerror=alert(1)>")
    token = _token(teacher, "/classes")
    class_name = "</title><script>alert(1)</script>"
    class_id = _location_id(teacher.post("/classes", data={"name": class_name, "timezone": "America/Chicago", "csrf_token": token}))
    # Every payload as a name added by the teacher (one a line, so a payload's newlines are spaces),
    # plus spreadsheet formulas.
    added_inputs = [" ".join(name_input(p).split()) for p in PAYLOADS] + FORMULAS
    credentials = teacher.post(f"/classes/{class_id}/students", data={"names": "\n".join(added_inputs), "batch_id": "xssbatch", "csrf_token": token})
    added_names = [accounts.clean_display_name(n) for n in class_service.parse_names("\n".join(added_inputs))]
    code = _db_rows(app, "SELECT join_code FROM classes WHERE id = ?", [class_id])[0]["join_code"]
    assignment_id = _location_id(teacher.post(
        f"/classes/{class_id}/assignments/new",
        data={"lesson": SLUG, "motion": MOTION, "format": "two-sides", "group_size": "4", "due_at": "", "instructions": "Argue well.", "csrf_token": token},
    ))
    students = []  # (index, client, token)
    for i, p in enumerate(PAYLOADS):
        c = app.test_client()
        r = c.post("/join", data={"join_code": code, "display_name": name_input(p), "username": f"s{i:03d}", "password": PASSWORD, "csrf_token": csrf_from(c, "/join")})
        assert r.status_code == 302, (i, r.get_data(as_text=True)[:2000])
        students.append((i, c))
    drafters = []
    for k in range(8):
        c = app.test_client()
        r = c.post("/join", data={"join_code": code, "display_name": f"Drafting Student {k}", "username": f"d{k}", "password": PASSWORD, "csrf_token": csrf_from(c, "/join")})
        assert r.status_code == 302
        drafters.append((k, c))
    formula_students = []
    for k, f in enumerate(FORMULAS):
        c = app.test_client()
        r = c.post("/join", data={"join_code": code, "display_name": f, "username": f"f{k}", "password": PASSWORD, "csrf_token": csrf_from(c, "/join")})
        assert r.status_code == 302
        formula_students.append((k, c))
    r = teacher.post(f"/assignments/{assignment_id}/positions", data={"seed": "5", "csrf_token": token})
    assert r.status_code == 302
    tokens = {}
    for i, c in students:
        tokens[i] = _token(c, f"/assignments/{assignment_id}")
        r = c.post(f"/assignments/{assignment_id}/submit", data={**as_form(argument_for(i, ""), 0), "csrf_token": tokens[i]})
        assert r.status_code == 302, (i, r.get_data(as_text=True)[:3000])
    for k, c in formula_students:
        r = c.post(f"/assignments/{assignment_id}/submit", data={"claim": "A claim", "draft_version": "0", "csrf_token": _token(c, f"/assignments/{assignment_id}")})
        assert r.status_code == 302
    for k, c in drafters:
        arg = argument_for(15 * k, "d")
        stored = stored_argument(arg)
        r = c.post(f"/assignments/{assignment_id}/draft", json={**stored, "base_version": 0}, headers={"X-CSRFToken": _token(c, f"/assignments/{assignment_id}")})
        assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    # The teacher's comments, released.
    ids = {r["username"]: r["id"] for r in _db_rows(app, "SELECT id, username FROM users")}
    subs = {r["student_id"]: r["id"] for r in _db_rows(app, "SELECT id, student_id FROM submissions")}
    for i, _ in students:
        r = teacher.post(f"/submissions/{subs[ids[f's{i:03d}']]}/feedback", data={"comment": comment_for(i)[1], "release": "1", "csrf_token": token})
        assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    for k, f in enumerate(FORMULAS):
        r = teacher.post(f"/submissions/{subs[ids[f'f{k}']]}/feedback", data={"comment": f, "csrf_token": token})
        assert r.status_code == 302
    return {
        "teacher": teacher, "token": token, "class_id": class_id, "class_name": class_name, "assignment_id": assignment_id,
        "students": students, "drafters": drafters, "added_names": added_names, "credentials": credentials, "ids": ids, "subs": subs,
        "code": code,
    }


def _names(world) -> list[tuple[int, str]]:
    """Every payload as a name: typed at /join, and as the teacher's add-students stored it."""
    joined = [(i, stored_name(p)) for i, p in enumerate(PAYLOADS)]
    added = [(i, world["added_names"][i]) for i in range(N)]
    return joined + added


def test_big_class_every_page_printout_and_export(app, big_class):
    w = big_class
    audit = Audit(app)
    teacher, a, c = w["teacher"], w["assignment_id"], w["class_id"]
    names = _names(w)
    joined_names = names[:N]
    before = table_snapshot(app.config["DATABASE"])

    audit.html("login cards", w["credentials"], [(i, w["added_names"][i]) for i in range(N)])
    audit.html("class page", teacher.get(f"/classes/{c}"), names)
    audit.html("assignment (teacher)", teacher.get(f"/assignments/{a}"), names)
    audit.html("projector view", teacher.get(f"/assignments/{a}/present"), names)
    everything = []
    for i, _ in w["students"]:
        arg = argument_for(i, "")
        everything += markers_of(arg) + citations_of(arg) + [comment_for(i)]
    audit.html("review board", teacher.get(f"/assignments/{a}/submissions"), joined_names + everything)
    audit.html("position cards", teacher.get(f"/assignments/{a}/position-cards"), names)
    audit.html("debate-day packet", teacher.get(f"/assignments/{a}/debate-packet"), names)
    audit.html("roster printout", teacher.get(f"/assignments/{a}/roster"), names)
    packet = []
    for i, _ in w["students"]:
        arg = argument_for(i, "")
        packet += markers_of(arg) + citations_of(arg)
    audit.html("arguments packet", teacher.get(f"/assignments/{a}/arguments-packet"), joined_names + packet)
    audit.html("organizer (teacher)", teacher.get(f"/assignments/{a}/organizer"))
    audit.html("lesson handout", teacher.get(f"/lessons/{SLUG}/handout"))
    audit.json("export.json", teacher.get(f"/assignments/{a}/export.json"), names)

    # grades.csv: every cell neutralised, every name and comment there as data.
    response = teacher.get(f"/assignments/{a}/grades.csv")
    audit.fetches["grades.csv"] += 1
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), "grades.csv has no byte-order mark"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header = rows[0]
    cells = [cell for row in rows[1:] for cell in row]
    for cell in cells:
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            audit.problems.append(f"grades.csv: a cell starts a formula: {cell[:60]!r}")
    by_name = Counter(row[header.index("display_name")] for row in rows[1:])
    comments = {row[header.index("comment")] for row in rows[1:]}
    def neutral(text):
        return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
    for i, name in names:
        if neutral(name) in by_name:
            audit.reach["grades.csv"].add(i)
        else:
            audit.problems.append(f"grades.csv: name of payload {i} missing: {name[:60]!r}")
    for i, _ in w["students"]:
        index, comment = comment_for(i)
        if neutral(comment.strip()) not in comments:
            audit.problems.append(f"grades.csv: comment with payload {index} missing")
    for f in FORMULAS:
        if "'" + f not in by_name or "'" + f not in comments:
            audit.problems.append(f"grades.csv: formula {f!r} not neutralised as a name and a comment")

    # Each student: the workspace after submission with released feedback, the data download, the organizer.
    for i, client in w["students"]:
        arg = argument_for(i, "")
        index, comment = comment_for(i)
        own = (i, stored_name(PAYLOADS[i]))
        audit.html("student feedback view", client.get(f"/assignments/{a}"), [own] + markers_of(arg) + citations_of(arg) + [(index, marker("comment", i))])
        stored = stored_argument(arg)
        audit.json(
            "student data download", client.get("/account/my-data.json"),
            [own] + texts_of(arg) + [(ix, s) for (ix, _), s in zip(arg["citations"], [e["source"] for e in stored["evidence"]])] + [(index, comment.strip())],
        )
        audit.html("organizer (student)", client.get(f"/assignments/{a}/organizer"), [own])
        audit.html("student dashboard", client.get("/"), [own])
    # The drafts: text in textareas and inputs, the saved draft as a preview.
    for k, client in w["drafters"]:
        arg = argument_for(15 * k, "d")
        audit.html("student workspace (draft)", client.get(f"/assignments/{a}"), texts_of(arg) + citations_of(arg) + markers_of(arg))
    assert table_snapshot(app.config["DATABASE"]) == before, "fetching the outputs changed the database"
    _finish(audit, full={
        "login cards", "class page", "assignment (teacher)", "projector view", "review board", "position cards",
        "debate-day packet", "roster printout", "arguments packet", "export.json", "grades.csv", "student feedback view",
        "student data download", "organizer (student)", "student dashboard", "student workspace (draft)",
    })


@pytest.fixture
def small_class(app):
    """A teacher, a class, an assignment, a student with a submission and one with a draft."""
    teacher = _signup(app, "echoteacher", "Echo Teacher")
    token = _token(teacher, "/")
    class_id = _location_id(teacher.post("/classes", data={"name": "Echo class", "timezone": "America/Chicago", "csrf_token": token}))
    code = _db_rows(app, "SELECT join_code FROM classes WHERE id = ?", [class_id])[0]["join_code"]
    assignment_id = _location_id(teacher.post(
        f"/classes/{class_id}/assignments/new",
        data={"lesson": SLUG, "motion": MOTION, "format": "two-sides", "group_size": "4", "due_at": "", "instructions": "", "csrf_token": token},
    ))
    clients = {}
    for username in ("s000", "d0"):
        c = app.test_client()
        r = c.post("/join", data={"join_code": code, "display_name": username, "username": username, "password": PASSWORD, "csrf_token": csrf_from(c, "/join")})
        assert r.status_code == 302
        clients[username] = c
    r = clients["s000"].post(f"/assignments/{assignment_id}/submit", data={"claim": "c", "draft_version": "0", "csrf_token": _token(clients["s000"])})
    assert r.status_code == 302
    arg = argument_for(0, "d")
    r = clients["d0"].post(f"/assignments/{assignment_id}/draft", json={**stored_argument(arg), "base_version": 0}, headers={"X-CSRFToken": _token(clients["d0"])})
    assert r.status_code == 200
    ids = {r["username"]: r["id"] for r in _db_rows(app, "SELECT id, username FROM users")}
    subs = {r["student_id"]: r["id"] for r in _db_rows(app, "SELECT id, student_id FROM submissions")}
    return {"teacher": teacher, "token": token, "class_id": class_id, "assignment_id": assignment_id, "code": code,
            "drafters": [(0, clients["d0"])], "ids": ids, "subs": subs}


def test_fields_that_are_echoed_back(app, small_class):
    """Every payload in fields a page only echoes back: refused usernames, sign-in, sign-up,
    the search box, a refused class name, a refused list of names, a refused seed, the
    forms kept after a CSRF failure, an error page's kept text, a draft conflict."""
    w = small_class
    audit = Audit(app)
    anon = app.test_client()
    token = csrf_from(anon, "/join")
    # Usernames are never accepted with markup: /join refuses them and shows the form again.
    r = anon.post("/join", data={"join_code": ALL, "display_name": ALL, "username": ALL, "password": PASSWORD, "csrf_token": token})
    audit.html("join form (refused)", r, ALL_NEEDLES, status=400)
    for p in PAYLOADS[:10]:
        r = anon.post("/join", data={"join_code": w["code"], "display_name": "A Name", "username": p, "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 400, "a username with markup was accepted"
    r = anon.post("/join", data={"join_code": ALL, "display_name": ALL, "username": ALL, "password": PASSWORD, "csrf_token": "wrong"})
    audit.html("join form (CSRF expired)", r, ALL_NEEDLES, status=400)
    r = anon.post("/signup", data={"username": ALL, "display_name": ALL, "password": PASSWORD, "password_confirm": PASSWORD, "csrf_token": csrf_from(anon, "/signup")})
    audit.html("sign-up form (refused)", r, ALL_NEEDLES, status=400)
    r = anon.post("/login", data={"username": ALL, "password": "wrong password", "csrf_token": csrf_from(anon, "/login")})
    audit.html("sign-in form (refused)", r, ALL_NEEDLES, status=400)
    # The search box echoes the query (cut to 200 characters): pack payloads into queries.
    chunk: list[tuple[int, str]] = []
    def search(chunk):
        query = " ".join(p for _, p in chunk)
        audit.html("lesson search", anon.get("/lessons", query_string={"q": query}), [(i, p.strip()) for i, p in chunk])
    for i, p in enumerate(PAYLOADS):
        p = " ".join(p.split())  # the box is one line
        if chunk and len(" ".join(q for _, q in chunk)) + 1 + len(p) > 200:
            search(chunk)
            chunk = []
        chunk.append((i, p))
    search(chunk)

    teacher, token, c, a = w["teacher"], w["token"], w["class_id"], w["assignment_id"]
    r = teacher.post("/classes", data={"name": ALL, "timezone": "America/Chicago", "csrf_token": token})
    audit.html("class form (refused)", r, ALL_NEEDLES, status=400)
    r = teacher.post(f"/classes/{c}/students", data={"names": ALL + "\n" + "x" * 200, "csrf_token": token})
    audit.html("add-students form (refused)", r, ALL_NEEDLES, status=400)
    r = teacher.post(f"/classes/{c}/assignments/new", data={"lesson": SLUG, "motion": MOTION, "format": "two-sides", "instructions": ALL + "x" * 5000, "csrf_token": token})
    audit.html("assignment form (refused)", r, ALL_NEEDLES, status=400)
    r = teacher.post(f"/assignments/{a}/positions", data={"seed": ALL, "csrf_token": token})
    audit.html("draw form (refused seed)", r, ALL_NEEDLES, status=400)
    r = teacher.post(f"/assignments/{a}/settings", data={"instructions": ALL, "csrf_token": "expired"})
    audit.html("form kept after CSRF failure", r, ALL_NEEDLES, status=400)
    r = teacher.post("/classes/999999/students", data={"names": ALL, "csrf_token": token})
    audit.html("error page with kept text", r, ALL_NEEDLES, status=404)
    sub = w["subs"][w["ids"]["s000"]]
    lesson = app.extensions["debatekit.lessons"].get(SLUG)
    key = lesson.rubric[0].key
    r = teacher.post(f"/submissions/{sub}/feedback", data={"comment": ALL, f"score_{key}": "999", "csrf_token": token})
    audit.html("feedback refused (kept comment)", r, ALL_NEEDLES, status=400)

    # A student: submit after the form expired (the workspace keeps every typed field), and a draft conflict.
    k, drafter = w["drafters"][0]
    evidence = list(PAYLOADS[:EVIDENCE_ITEMS])
    typed = {"claim": ALL, "evidence": evidence, "evidence_source": [""] * EVIDENCE_ITEMS,
             "evidence_citation": [" ".join(p.split())[:300] for p in PAYLOADS[EVIDENCE_ITEMS:2 * EVIDENCE_ITEMS]],
             "reasoning": ALL, "rebuttal": ALL, "draft_version": "1"}
    r = drafter.post(f"/assignments/{a}/submit", data={**typed, "csrf_token": "expired"})
    audit.html("workspace kept after CSRF failure", r, ALL_NEEDLES, status=400)
    r = drafter.post(f"/assignments/{a}/draft", data={**typed, "base_version": "0", "csrf_token": _token(drafter, "/account")})
    arg = argument_for(0, "d")
    audit.html("draft conflict (409)", r, ALL_NEEDLES + markers_of(arg), status=409)
    # Reflected: query strings and paths that pages put back into links and forms.
    audit.html("join form (code from a link)", anon.get("/join", query_string={"code": ALL}), ALL_NEEDLES)
    one_line = " ".join(ALL.split())
    for kind, path in [
        ("reflected query (sign-in next)", "/login?next=/" + one_line),
        ("reflected query (review filter)", f"/assignments/{a}/submissions?filter=" + one_line),
        ("reflected query (printout links)", f"/assignments/{a}/roster?x=" + one_line + "&names=hide"),
        ("reflected query (packet selection)", f"/assignments/{a}/arguments-packet?position=pro&group=1&y=" + one_line),
    ]:
        client = anon if path.startswith("/login") else teacher
        r = client.get(path)
        assert r.status_code == 200, (path[:80], r.status_code, r.headers.get("Location"))
        audit.html(kind, r)
    for p in PAYLOADS[:: max(1, N // 15)]:
        r = anon.get("/lessons/" + "".join(ch for ch in p if ch not in "\n?#"))
        audit.html("not-found page (reflected path)", r, status=r.status_code if r.status_code in (404, 308) else 404)
    _finish(audit, full={kind for kind in audit.reach})


def test_summary_of_payloads_and_outputs(capsys):
    """The counts for the closing note (runs last in this file; skipped when run alone).
    Printed to the terminal even without -s."""
    if not RESULTS:
        pytest.skip("run the whole file to get the summary")
    kinds: dict[str, set[int]] = defaultdict(set)
    fetches = Counter()
    for audit in RESULTS:
        for kind, reached in audit.reach.items():
            kinds[kind] |= reached
        fetches.update(audit.fetches)
    total = sum(len(v) for v in kinds.values())
    lines = [f"{N} payloads x {len(kinds)} output kinds: {total} payload-output pairs, {sum(fetches.values())} fetches"]
    lines += [f"  {kind:<36} {len(kinds[kind]):>4}/{N}  ({fetches[kind]} fetches)" for kind in sorted(kinds)]
    inert_only = sorted(set(fetches) - set(kinds))
    lines.append(f"  plus {len(inert_only)} outputs without user text, checked inert: " + ", ".join(inert_only))
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert all(len(v) == N for v in kinds.values()), "\n".join(lines)
