"""Printable handouts (issue 7): content, access, hidden names, QR codes and XSS.

Printing itself (page counts, paper sizes, widths) is tested in a real
browser in tests/browser/test_printing.py; this module checks what each
handout says and who may see it, with Flask's test client.
"""

from __future__ import annotations

import re

import pytest
import segno
from markupsafe import escape

from conftest import (
    add_students,
    create_assignment,
    create_class,
    draw_positions,
    login,
    post_form,
    signup_teacher,
)
from debatekit import formats, qrcodes
from debatekit.db import connect
from tests.xss_payloads import PAYLOADS, assert_inert

MOTION_TEXT = "A state&#39;s consent should be required before any foreign military activity on its territory"
PRO_LABEL = "Consent is always required"
CON_LABEL = "Consent should not be an absolute rule"
# Distinctive names: none of them can turn up in lesson text by chance.
NAMES = ["Zephyrine Quillfeather", "Bartholomew Xanadu", "Ottoline Vasquez-Brandt", "Ignatius Pemberton", "Wilhelmina Okonkwo", "Thaddeus Moreau"]
TEACHER_HANDOUTS = ["position-cards", "debate-packet", "roster", "arguments-packet"]


# --- helpers ---------------------------------------------------------------------------


def qr_matrix_from_svg(svg: str) -> frozenset[tuple[int, int]]:
    """The dark modules (row, column) drawn by a segno SVG path, relative to the
    top-left finder pattern, so two drawings of the same code compare equal
    whatever their quiet zone. Reads segno's path syntax: M x y, h n, m dx dy."""
    match = re.search(r'<path[^>]*\sd="([^"]+)"', svg)
    assert match, "no QR path in the SVG"
    x = y = 0.0
    dark = set()
    for command, args in re.findall(r"([MmHh])([^MmHh]*)", match.group(1)):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command == "h":
            for i in range(int(numbers[0])):
                dark.add((int(y - 0.5), int(x) + i))
            x += numbers[0]
        else:
            raise AssertionError(f"unexpected path command {command}")
    top = min(r for r, _ in dark)
    left = min(c for _, c in dark)
    return frozenset((r - top, c - left) for r, c in dark)


def segno_matrix(text: str) -> frozenset[tuple[int, int]]:
    """The dark modules of segno's own QR code for `text` (the reference)."""
    code = segno.make(text, error="m", micro=False)
    return frozenset((r, c) for r, row in enumerate(code.matrix) for c, v in enumerate(row) if v)


def code_names_in(page_html: str) -> set[str]:
    from debatekit.views.handouts import CODE_WORDS

    return set(re.findall(r"\b(?:%s) [1-9][0-9]\b" % "|".join(CODE_WORDS), main_of(page_html)))


def main_of(page_html: str) -> str:
    """The part of a page where handout content lands (the site's own script,
    stylesheet and sign-out form live outside <main>)."""
    match = re.search(r"<main\b[^>]*>(.*)</main>", page_html, re.S)
    assert match, "no <main> element"
    return match.group(1)


def esc(text: str) -> str:
    """Text as Jinja writes it into a page."""
    return str(escape(text))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def ids_by_name(app) -> dict[str, int]:
    conn = connect(app.config["DATABASE"])
    try:
        return {r["display_name"]: r["id"] for r in conn.execute("SELECT id, display_name FROM users WHERE role = 'student'")}
    finally:
        conn.conn.close()


def student_client(app, username, password):
    client = app.test_client()
    assert login(client, username, password).status_code == 302
    return client


def submit(client, aid, claim="Consent must come first.", version=0, **fields):
    data = {
        "claim": claim, "evidence": ["Article 2(4) bars the threat or use of force."], "evidence_source": ["un-charter"],
        "evidence_citation": [""], "reasoning": "Because consent keeps cooperation lawful.", "rebuttal": "They cite Article 51.",
        "draft_version": str(version),
    }
    data.update(fields)
    response = post_form(client, f"/assignments/{aid}/submit", data, token_from=f"/assignments/{aid}")
    assert response.status_code == 302, text_of(response)[:2000]
    return response


@pytest.fixture
def debate(app):
    """A teacher, a class of six named students, a two-sides assignment drawn
    with one student absent, and student clients signed in."""
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    credentials = add_students(teacher, class_id, NAMES)
    assert len(credentials) == len(NAMES)
    ids = ids_by_name(app)
    aid = create_assignment(teacher, class_id)
    absent = ids[NAMES[-1]]
    draw_positions(teacher, aid, seed=11, absent=[absent])
    students = {name: dict(username=u, password=p, id=ids[name]) for name, (u, p) in zip(NAMES, credentials)}
    return {"app": app, "teacher": teacher, "class_id": class_id, "aid": aid, "students": students, "absent": NAMES[-1]}


def positions(app, aid) -> dict[int, dict]:
    conn = connect(app.config["DATABASE"])
    try:
        return {r["student_id"]: dict(r) for r in conn.execute("SELECT * FROM positions WHERE assignment_id = ?", [aid])}
    finally:
        conn.conn.close()


# --- QR codes ----------------------------------------------------------------------------


def test_qr_payload_is_the_absolute_address_and_nothing_else():
    assert qrcodes.payload("https://debate.example.org/login") == "https://debate.example.org/login"
    assert qrcodes.payload("  http://127.0.0.1:5000/login\n") == "http://127.0.0.1:5000/login"
    for bad in ("/login", "javascript:alert(1)", "", "ftp://x.example/", "https:///nohost", "http://a b/"):
        with pytest.raises(ValueError):
            qrcodes.payload(bad)


def test_qr_svg_is_inline_titled_and_encodes_the_address():
    url = "https://debate.example.org/login"
    svg = qrcodes.svg(url, 'Sign-in page <for> "Period 3"')
    assert svg.startswith('<svg role="img" ')
    assert "<title>Sign-in page &lt;for&gt; &#34;Period 3&#34;</title>" in svg or "<title>Sign-in page &lt;for&gt; \"Period 3\"</title>" in svg
    assert "http" not in svg.split("</title>", 1)[1]  # nothing fetched: no xlink, no external reference
    assert "style=" not in svg  # the CSP forbids style attributes
    assert qr_matrix_from_svg(svg) == segno_matrix(url)
    assert qr_matrix_from_svg(svg) != segno_matrix(url + "x")


def test_login_cards_have_a_qr_code_of_the_class_sign_in_address(app):
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    response = post_form(teacher, f"/classes/{class_id}/students", {"names": "\n".join(f"Student {n}" for n in range(1, 11))}, token_from=f"/classes/{class_id}")
    page = text_of(response)
    assert response.status_code == 200
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.S)
    assert len(svgs) == 10  # one QR per card
    sign_in_url = "http://localhost/login"
    for svg in svgs:
        assert qr_matrix_from_svg(svg) == segno_matrix(sign_in_url)
    assert page.count('class="login-card"') == 10
    assert len(re.findall(r'<ul class="sheet sheet-8 login-cards"', page)) == 2  # eight to a page
    assert sign_in_url in page and "data-print" in page


def test_login_card_qr_uses_public_url_and_reset_password_card_has_one(tmp_path):
    from conftest import make_app

    app = make_app(tmp_path, PUBLIC_URL="https://debate.example.org/")
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    add_students(teacher, class_id, ["Student One"])
    sid = ids_by_name(app)["Student One"]
    response = post_form(teacher, f"/classes/{class_id}/students/{sid}/reset-password", {}, token_from=f"/classes/{class_id}")
    page = text_of(response)
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.S)
    assert len(svgs) == 1
    assert qr_matrix_from_svg(svgs[0]) == segno_matrix("https://debate.example.org/login")
    assert "https://debate.example.org/login" in page


# --- code names -----------------------------------------------------------------------------


def test_code_names_are_stable_unique_and_per_assignment():
    from debatekit.views.handouts import code_names

    names = code_names("secret", 7, range(1, 301))
    assert len(set(names.values())) == 300
    assert all(re.fullmatch(r"[A-Z][a-z]+ [1-9][0-9]", n) for n in names.values())
    assert code_names("secret", 7, range(1, 301)) == names
    # Adding students later never renames the ones already there.
    assert {k: v for k, v in code_names("secret", 7, range(1, 401)).items() if k <= 300} == names
    assert code_names("secret", 8, range(1, 301)) != names
    assert code_names("other secret", 7, range(1, 301)) != names


def test_speeches_follow_the_public_forum_preset():
    from debatekit.views.handouts import speeches_for

    assignment = {"format": "small-groups"}
    preset = formats.PUBLIC_FORUM
    pro = [s.name for s in preset.segments if s.speaker == "pro"]
    con = [s.name for s in preset.segments if s.speaker == "con"]
    assert len(pro) == len(con) == 4  # constructive, rebuttal, summary, final focus
    first = [s.name for s in speeches_for(assignment, preset, "pro", 1, 2, 2)]
    second = [s.name for s in speeches_for(assignment, preset, "pro", 2, 2, 2)]
    # The classic two-person split: constructive and summary; rebuttal and final focus.
    assert first == [pro[0], pro[2]]
    assert second == [pro[1], pro[3]]
    assert [s.name for s in speeches_for(assignment, preset, "con", 1, 1, 2)] == con
    assert speeches_for({"format": "two-sides"}, preset, "con", 9, 15, 2) == []  # a big team: not everyone gives a speech


# --- lesson handout -------------------------------------------------------------------------


def test_lesson_handout_is_public_and_complete(client, app):
    from debatekit.views.lessons import library

    with app.app_context():
        lesson = library().get("what-is-sovereignty")
    response = client.get("/lessons/what-is-sovereignty/handout")
    assert response.status_code == 200
    page = text_of(response)
    assert esc(lesson.title) in page
    for objective in lesson.objectives:
        assert esc(objective) in page
    for term, _ in lesson.vocabulary:
        assert esc(term) in page
    for question in lesson.questions:
        assert esc(question) in page
    for source in lesson.sources:
        assert f'value="{source.number}"' in page and esc(source.title) in page
    assert "data-print" in page and "paper-letter" in page
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.S)
    assert len(svgs) == 1
    assert qr_matrix_from_svg(svgs[0]) == segno_matrix("http://localhost/lessons/what-is-sovereignty")
    assert "paper-a4" in text_of(client.get("/lessons/what-is-sovereignty/handout?paper=a4"))
    assert client.get("/lessons/no-such-lesson/handout").status_code == 404
    # The lesson page links to it.
    assert 'href="/lessons/what-is-sovereignty/handout"' in text_of(client.get("/lessons/what-is-sovereignty"))


# --- position cards --------------------------------------------------------------------------


def test_position_cards_one_per_placed_student(debate):
    app, teacher, aid = debate["app"], debate["teacher"], debate["aid"]
    response = teacher.get(f"/assignments/{aid}/position-cards")
    assert response.status_code == 200
    page = text_of(response)
    placed = {sid for sid, row in positions(app, aid).items() if row["position"]}
    assert page.count('<article class="position-card') == len(placed) == len(NAMES) - 1
    for name, s in debate["students"].items():
        if s["id"] in placed:
            assert esc(name) in page
    assert debate["absent"] not in page  # absent: no position, no card
    assert MOTION_TEXT in page and PRO_LABEL in page and CON_LABEL in page
    assert "Article 2(4) bars the threat or use of force" in page  # an evidence pointer
    assert re.search(r'<span class="pc-src">\[\d+\]</span>', page)  # source numbers of the lesson handout
    assert "Prepare" in page and "data-print" in page
    assert "Speaker 1 of" in page
    assert "arguments-packet" in page  # the arguments packet is reachable from here


def test_late_arrivals_get_no_card_until_placed(debate):
    app, teacher, aid, class_id = debate["app"], debate["teacher"], debate["aid"], debate["class_id"]
    add_students(teacher, class_id, ["Late Lazarus Fennimore"])
    page = text_of(teacher.get(f"/assignments/{aid}/position-cards"))
    assert "Late Lazarus Fennimore" not in page
    assert "no position yet" in page
    post_form(teacher, f"/assignments/{aid}/late-arrivals", {}, token_from=f"/assignments/{aid}")
    assert "Late Lazarus Fennimore" in text_of(teacher.get(f"/assignments/{aid}/position-cards"))


def test_small_group_cards_name_the_group_and_the_speech(app):
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    add_students(teacher, class_id, NAMES[:4] + ["Cassiopeia Wren", "Leopold Ashdown", "Marisol Quintero", "Evander Holt"])
    aid = create_assignment(teacher, class_id, fmt="small-groups", group_size="4")
    draw_positions(teacher, aid, seed=5)
    page = text_of(teacher.get(f"/assignments/{aid}/position-cards"))
    assert "Group 1" in page and "Group 2" in page
    from debatekit.views.handouts import minutes_text

    first, last = formats.PUBLIC_FORUM.segments[0], formats.PUBLIC_FORUM.segments[-1]
    assert esc(f"{first.name}, {minutes_text(first.minutes)}") in page and esc(f"{last.name}, {minutes_text(last.minutes)}") in page


# --- hidden names ---------------------------------------------------------------------------


def test_hidden_names_never_leak_and_code_names_are_stable(debate):
    teacher, aid = debate["teacher"], debate["aid"]
    student = debate["students"][NAMES[0]]
    submit(student_client(debate["app"], student["username"], student["password"]), aid)
    codes_by_page = {}
    for handout in TEACHER_HANDOUTS:
        response = teacher.get(f"/assignments/{aid}/{handout}?names=hide")
        assert response.status_code == 200
        page = text_of(response)
        for name, s in debate["students"].items():
            for part in [name, *name.split(), esc(name), s["username"]]:
                assert part not in page, f"{part!r} leaks on {handout} with names hidden"
        codes_by_page[handout] = code_names_in(page)
        assert "Show students" in page  # the visible toggle back
    assert codes_by_page["position-cards"], "no code names on the cards"
    assert codes_by_page["position-cards"] <= codes_by_page["roster"]
    assert codes_by_page["debate-packet"] >= codes_by_page["position-cards"]
    assert len(codes_by_page["arguments-packet"] & codes_by_page["roster"]) == 1
    # Stable: the same page twice gives the same code names.
    again = code_names_in(text_of(teacher.get(f"/assignments/{aid}/position-cards?names=hide")))
    assert again == codes_by_page["position-cards"]
    # With names shown, the toggle offers to hide them.
    assert "names=hide" in text_of(teacher.get(f"/assignments/{aid}/position-cards"))


# --- access --------------------------------------------------------------------------------


def test_teacher_handouts_are_404_for_students_and_other_teachers(debate, app):
    aid = debate["aid"]
    student = debate["students"][NAMES[0]]
    pupil = student_client(app, student["username"], student["password"])
    other = app.test_client()
    signup_teacher(other, username="teacher2", display_name="Mr. Other")
    anonymous = app.test_client()
    for handout in TEACHER_HANDOUTS:
        url = f"/assignments/{aid}/{handout}"
        assert pupil.get(url).status_code == 404, url
        assert other.get(url).status_code == 404, url
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert debate["teacher"].get(url).status_code == 200
    assert other.get(f"/assignments/{aid}/organizer").status_code == 404
    assert debate["teacher"].get("/assignments/999999/position-cards").status_code == 404


def test_organizer_teacher_copy_is_blank_with_the_motion(debate):
    page = text_of(debate["teacher"].get(f"/assignments/{debate['aid']}/organizer"))
    assert MOTION_TEXT in page
    assert PRO_LABEL in page and CON_LABEL in page  # sides to tick
    for heading in ("Claim", "Evidence 1", "Reasoning", "Rebuttal", "Value:", "Criterion:"):
        assert heading in page
    for name in NAMES:
        assert name not in main_of(page)


def test_students_see_only_their_own_position_on_the_organizer(debate, app):
    aid = debate["aid"]
    rows = positions(app, aid)
    labels = {"pro": PRO_LABEL, "con": CON_LABEL}
    for name, s in list(debate["students"].items())[:3]:
        page = text_of(student_client(app, s["username"], s["password"]).get(f"/assignments/{aid}/organizer"))
        own = rows[s["id"]]["position"]
        other = "con" if own == "pro" else "pro"
        body = main_of(page)
        assert MOTION_TEXT in body
        assert labels[own] in body and labels[other] not in body
        for other_name in NAMES:
            if other_name != name:
                assert other_name not in page
    # A student of another class gets nothing.
    outsider_teacher = app.test_client()
    signup_teacher(outsider_teacher, username="teacher3")
    other_class = create_class(outsider_teacher, "Other class")
    (username, password), = add_students(outsider_teacher, other_class, ["Outsider Student"])
    assert student_client(app, username, password).get(f"/assignments/{aid}/organizer").status_code == 404


# --- debate packet, roster, arguments packet ---------------------------------------------------


def test_debate_packet_has_order_flow_ballot_and_rubric(debate):
    page = text_of(debate["teacher"].get(f"/assignments/{debate['aid']}/debate-packet"))
    assert MOTION_TEXT in page
    for segment in formats.PUBLIC_FORUM.segments:
        assert esc(segment.name) in page
    assert "4 min" in page and "2 min" in page
    assert page.count('class="flow-table"') == 1 and page.count("<th scope=\"col\"><span class=\"flow-tag\">") == 8
    assert "ballot for peer judges" in page and "Reason for the decision" in page
    for criterion in ("Claim", "Evidence", "Reasoning", "Rebuttal"):
        assert f'<th scope="row">{criterion}</th>' in page
    assert "States a precise, arguable claim" in page  # the rubric's level descriptors
    for name in NAMES[:-1]:
        assert esc(name) in page


def test_debate_packet_breaks_pages_between_groups(app):
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    add_students(teacher, class_id, [f"Learner {chr(65 + i)}" for i in range(12)])
    aid = create_assignment(teacher, class_id, fmt="sac")
    draw_positions(teacher, aid, seed=1)
    page = text_of(teacher.get(f"/assignments/{aid}/debate-packet"))
    assert page.count('<section class="packet"') == 3  # three quads
    assert "Group 3: speaking order" in page and "Consensus statement" in page
    assert "Pair A" in page and "Pair B" in page


def test_roster_lists_everyone_with_position_and_status(debate, app):
    aid = debate["aid"]
    student = debate["students"][NAMES[0]]
    submit(student_client(app, student["username"], student["password"]), aid)
    page = text_of(debate["teacher"].get(f"/assignments/{aid}/roster"))
    for name, s in debate["students"].items():
        assert esc(name) in page and s["username"] in page
    assert "Absent" in page and "Submitted" in page and "Not started" in page
    assert PRO_LABEL in page and CON_LABEL in page
    assert f"/assignments/{aid}/arguments-packet?position=pro" in page


def test_arguments_packet_shows_only_submitted_arguments(debate, app):
    aid = debate["aid"]
    rows = positions(app, aid)
    by_side = {"pro": [], "con": []}
    for name, s in debate["students"].items():
        if rows[s["id"]]["position"]:
            by_side[rows[s["id"]]["position"]].append((name, s))
    (pro_name, pro), (con_name, con) = by_side["pro"][0], by_side["con"][0]
    submit(student_client(app, pro["username"], pro["password"]), aid, claim="Pro claim, submitted.")
    submit(student_client(app, con["username"], con["password"]), aid, claim="Con claim, submitted.")
    drafter_name, drafter = by_side["pro"][1]
    drafting = student_client(app, drafter["username"], drafter["password"])
    token = re.search(r'name="csrf_token" value="([^"]+)"', text_of(drafting.get(f"/assignments/{aid}"))).group(1)
    drafting.post(f"/assignments/{aid}/draft", json={"claim": "Only a draft.", "evidence": [], "reasoning": "", "rebuttal": "", "base_version": 0},
                  headers={"X-CSRFToken": token, "Accept": "application/json"})
    teacher = debate["teacher"]
    everything = text_of(teacher.get(f"/assignments/{aid}/arguments-packet"))
    assert "Pro claim, submitted." in everything and "Con claim, submitted." in everything
    assert "Only a draft." not in everything and drafter_name not in main_of(everything)
    assert "Charter of the United Nations" in everything or "[1]" in everything
    pro_only = text_of(teacher.get(f"/assignments/{aid}/arguments-packet?position=pro"))
    assert "Pro claim, submitted." in pro_only and "Con claim, submitted." not in pro_only
    assert esc(pro_name) in pro_only
    assert "Pro claim" in text_of(teacher.get(f"/assignments/{aid}/arguments-packet?group=1"))
    assert "submitted." not in text_of(teacher.get(f"/assignments/{aid}/arguments-packet?group=2"))
    assert teacher.get(f"/assignments/{aid}/arguments-packet?position=nonsense").status_code == 404
    assert teacher.get(f"/assignments/{aid}/arguments-packet?group=x").status_code == 404


def test_a4_class_prints_on_a4(app):
    teacher = app.test_client()
    signup_teacher(teacher)
    response = post_form(teacher, "/classes", {"name": "Year 10", "timezone": "Europe/London", "paper_size": "a4"}, token_from="/classes")
    class_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    add_students(teacher, class_id, NAMES[:4])
    aid = create_assignment(teacher, class_id)
    draw_positions(teacher, aid, seed=2)
    for handout in TEACHER_HANDOUTS + ["organizer"]:
        page = text_of(teacher.get(f"/assignments/{aid}/{handout}"))
        assert re.search(r'<body class="[^"]*\bpaper-a4\b', page), handout
    page = text_of(post_form(teacher, f"/classes/{class_id}/students", {"names": "New Pupil"}, token_from=f"/classes/{class_id}"))
    assert re.search(r'<body class="[^"]*\bpaper-a4\b', page)


def test_teacher_assignment_page_links_every_handout(debate):
    page = text_of(debate["teacher"].get(f"/assignments/{debate['aid']}"))
    for handout in ("position-cards", "organizer", "debate-packet", "roster"):
        assert f"/assignments/{debate['aid']}/{handout}" in page


# --- XSS ----------------------------------------------------------------------------------


def _set_names_and_arguments(app, aid, student_ids, payloads):
    conn = connect(app.config["DATABASE"])
    try:
        import json

        for sid, payload in zip(student_ids, payloads):
            conn.execute("UPDATE users SET display_name = ? WHERE id = ?", [payload, sid])
            evidence = json.dumps([{"text": payload, "source": payload}, {"text": "ok", "source": "un-charter"}])
            conn.execute(
                "UPDATE submission_versions SET claim = ?, evidence = ?, reasoning = ?, rebuttal = ? "
                "WHERE submission_id IN (SELECT id FROM submissions WHERE assignment_id = ? AND student_id = ?)",
                [payload, evidence, payload, payload, aid, sid],
            )
    finally:
        conn.conn.close()


def test_xss_payloads_in_names_and_arguments_are_inert_on_every_printout(debate, app):
    aid, teacher = debate["aid"], debate["teacher"]
    placed = [s for s in debate["students"].values() if positions(app, aid)[s["id"]]["position"]]
    for s in placed:
        submit(student_client(app, s["username"], s["password"]), aid)
    ids = [s["id"] for s in debate["students"].values()]
    urls = [f"/assignments/{aid}/{h}" for h in TEACHER_HANDOUTS] + [f"/assignments/{aid}/{h}?names=hide" for h in TEACHER_HANDOUTS]
    urls += [f"/assignments/{aid}/organizer", f"/assignments/{aid}/arguments-packet?position=pro", f"/assignments/{aid}/arguments-packet?group=1"]
    for start in range(0, len(PAYLOADS), len(ids)):
        batch = PAYLOADS[start : start + len(ids)]
        _set_names_and_arguments(app, aid, ids, batch)
        for url in urls:
            response = teacher.get(url)
            assert response.status_code == 200, url
            assert_inert(main_of(text_of(response)))
    # One payload name shows up as text, escaped, not as markup.
    _set_names_and_arguments(app, aid, ids[:1], ["<b>Bold & brave</b>"])
    assert "&lt;b&gt;Bold &amp; brave&lt;/b&gt;" in text_of(teacher.get(f"/assignments/{aid}/roster"))


def test_xss_payloads_in_names_are_inert_on_login_cards(app):
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    names = [p for p in PAYLOADS if "\n" not in p and len(p) <= 80 and p.count(",") != 1]
    for start in range(0, len(names), 40):
        response = post_form(teacher, f"/classes/{class_id}/students", {"names": "\n".join(names[start : start + 40])}, token_from=f"/classes/{class_id}")
        assert response.status_code == 200, text_of(response)[:1000]
        body = main_of(text_of(response))
        qr = str(qrcodes.svg_markup("http://localhost/login", "QR code: the class sign-in page"))
        assert body.count(qr) == len(names[start : start + 40])
        assert_inert(body.replace(qr, ""))


def test_hearing_packet_follows_the_projector_running_order(app):
    teacher = app.test_client()
    signup_teacher(teacher)
    class_id = create_class(teacher)
    add_students(teacher, class_id, NAMES)
    aid = create_assignment(teacher, class_id, fmt="roles")
    draw_positions(teacher, aid, seed=4)
    page = text_of(teacher.get(f"/assignments/{aid}/debate-packet"))
    held = {row["position"] for row in positions(app, aid).values() if row["position"]}
    from debatekit.views.lessons import library

    with app.app_context():
        motion = library().get("what-is-sovereignty").motion("consent-required")
    labels = [r.label for r in motion.roles if r.key in held]
    running = formats.hearing_running_order(labels)
    for segment in running.segments:
        assert esc(segment.name) in page
    order_table = re.search(r'<table class="order-table">.*?</table>', page, re.S).group(0)
    assert order_table.count("<tr><td>") == len(running.segments)
    # Every student speaks at least once, under their name.
    for name in NAMES:
        assert esc(name) in page
