"""Printing the handouts in a real Chromium, for a class of 30.

Every handout is opened the way a teacher opens it (signed in through
/login), checked with axe-core on screen, then printed to PDF under print
emulation with the page size the CSS asks for. The PDFs are read back with
pypdf: page counts (30 position cards on 8 pages, 30 login cards on 4), the
expected text (motion, every student's name or code name, each side's
label) and the paper size (Letter, or A4 for a class set to A4). Before
printing, every element is checked to fit the printable width, and every
card to fit its quarter or eighth of a page.

The PDFs, and PNG renderings of their first pages and last page when
poppler's pdftoppm is installed, are left in /tmp/handout-shots/ for a
person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from debatekit import formats
from conftest import PASSWORD, create_assignment, create_class, draw_positions, login, post_form, signup_teacher
from tests.browser.conftest import assert_accessible

pypdf = pytest.importorskip("pypdf")

SHOTS = Path("/tmp/handout-shots")
MOTION_START = "A state's consent should be required before any foreign military activity"
PRO_LABEL = "Consent is always required"
CON_LABEL = "Consent should not be an absolute rule"

NAMES = [
    "Ana Torres", "Ben Okafor", "Cruz Delgado", "Dana Ortiz", "Eli Park", "Fátima Núñez", "Gus O'Neil",
    "Hana Lee", "Ivan Petrov", "June Kim", "Kofi Mensah", "Lena Vogel", "Mateo Rossi", "Nia Brooks",
    "Omar Haddad", "Priya Shah", "Quinn Walsh", "Rosa Medina", "Sam Cohen", "Tariq Aziz",
    "Uma Reddy", "Victor Huang", "Wanda Nowak", "Ximena Ruiz", "Yusuf Demir", "Zoe Martin",
    "Aiden Clarke", "Bianca Costa", "Carlos Vega", "Dmitri Ivanov",
]

# Printable area in CSS pixels (96 per inch): the page minus 0.5 in margins.
CONTENT_WIDTH = {"letter": 7.5 * 96, "a4": (210 - 25.4) / 25.4 * 96}
PAGE_POINTS = {"letter": (612, 792), "a4": (595.28, 841.89)}

LAYOUT_CHECK = """
(limit) => {
  const problems = [];
  const describe = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || el.closest('.no-print')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > limit + 1 || box.left < -1) {
      problems.push(`${describe(el)} spans ${box.left.toFixed(1)}..${box.right.toFixed(1)}px (printable width ${limit.toFixed(1)}px)`);
    }
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 && style.display !== 'inline') {
      problems.push(`${describe(el)} content is ${el.scrollWidth}px wide in a ${el.clientWidth}px box`);
    }
  }
  for (const card of document.querySelectorAll('.sheet > *')) {
    if (card.scrollHeight > card.clientHeight + 1) {
      problems.push(`card "${card.textContent.trim().slice(0, 40)}" needs ${card.scrollHeight}px but has ${card.clientHeight}px`);
    }
  }
  return problems.slice(0, 20);
}
"""


def squeeze(text: str) -> str:
    """Whitespace collapsed, and ligatures (ﬁ) unfolded as PDF text extraction reports them."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def sign_in(page, base, username="teacher1", password=PASSWORD):
    page.goto(base + "/login")
    page.locator("#f-username").fill(username)
    page.locator("#f-password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def render_pngs(pdf_path: Path) -> None:
    """Images of the first three pages and the last one, for a person to look at
    (poppler's pdftoppm, when installed; the PDF itself has every page)."""
    if not shutil.which("pdftoppm"):
        return
    pages = len(pypdf.PdfReader(str(pdf_path)).pages)
    ranges = [(1, min(3, pages))] + ([(pages, pages)] if pages > 3 else [])
    for first, last in ranges:
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", "-f", str(first), "-l", str(last), str(pdf_path), str(pdf_path.with_suffix(""))],
            check=True, timeout=60,
        )


def layout_problems(page, paper: str) -> list[str]:
    """Elements wider than the printable area, and cards whose text overflows, under print emulation."""
    page.emulate_media(media="print")
    viewport = page.viewport_size
    page.set_viewport_size({"width": int(CONTENT_WIDTH[paper]), "height": 1000})
    try:
        return page.evaluate(LAYOUT_CHECK, CONTENT_WIDTH[paper])
    finally:
        page.set_viewport_size(viewport)
        page.emulate_media(media="screen")


def print_to_pdf(page, name: str, paper: str):
    """Check the layout under print emulation, then print to PDF; returns (reader, text)."""
    page.emulate_media(media="print")
    viewport = page.viewport_size
    page.set_viewport_size({"width": int(CONTENT_WIDTH[paper]), "height": 1000})
    try:
        problems = page.evaluate(LAYOUT_CHECK, CONTENT_WIDTH[paper])
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.pdf"
        path.write_bytes(page.pdf(prefer_css_page_size=True))
    finally:
        page.set_viewport_size(viewport)
        page.emulate_media(media="screen")
    render_pngs(path)  # before any assertion, so a failure can be looked at
    assert not problems, f"{name}: wider than the printable area or overflowing:\n" + "\n".join(problems)
    reader = pypdf.PdfReader(str(path))
    width, height = PAGE_POINTS[paper]
    for number, pdf_page in enumerate(reader.pages, start=1):
        box = pdf_page.mediabox
        assert abs(float(box.width) - width) < 2 and abs(float(box.height) - height) < 2, (
            f"{name} page {number} is {float(box.width):.0f}x{float(box.height):.0f} pt, expected {paper}"
        )
    return reader, squeeze(" ".join(p.extract_text() or "" for p in reader.pages))


def open_handout(page, url: str, *, axe: bool = True):
    response = page.goto(url)
    assert response.status == 200, url
    assert page.locator("[data-print]").count() >= 1, f"no Print button on {url}"
    if axe:
        assert_accessible(page)


def submit_argument(app, aid, username, password, claim):
    client = app.test_client()
    assert login(client, username, password).status_code == 302
    data = {
        "claim": claim, "evidence": ["Article 2(4) bars the use of force."], "evidence_source": ["un-charter"],
        "evidence_citation": [""], "reasoning": "Consent keeps cooperation lawful.", "rebuttal": "Self-defence is narrow.",
        "draft_version": "0",
    }
    response = post_form(client, f"/assignments/{aid}/submit", data, token_from=f"/assignments/{aid}")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def test_every_handout_prints_for_a_class_of_30(live_server, page):
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    base = live_server.url
    client = live_server.app.test_client()
    signup_teacher(client)
    class_id = create_class(client, "Period 3 Civics")

    # Login cards: the teacher adds 30 students in the browser and prints the cards.
    sign_in(page, base)
    page.goto(f"{base}/classes/{class_id}")
    page.locator("#f-names").fill("\n".join(NAMES))
    page.get_by_role("button", name="Add students").click()
    page.wait_for_selector(".login-card")
    assert page.locator(".login-card").count() == 30
    assert_accessible(page)
    html = page.content()
    credentials = re.findall(r'<dt>Username</dt><dd class="mono">([^<]+)</dd>\s*<dt>Password</dt><dd class="mono">([^<]+)</dd>', html)
    assert len(credentials) == 30
    svgs = page.locator(".card-qr svg")
    assert svgs.count() == 30
    from tests.test_handouts import qr_matrix_from_svg
    from debatekit import qrcodes

    sign_in_url = base + "/login"
    assert qr_matrix_from_svg(svgs.first.evaluate("e => e.outerHTML")) == qr_matrix_from_svg(qrcodes.svg(sign_in_url))
    reader, text = print_to_pdf(page, "login-cards", "letter")
    assert len(reader.pages) == 4, f"30 login cards on {len(reader.pages)} pages"
    for name in NAMES:
        assert squeeze(name) in text, f"{name} missing from the login cards"
    for username, password in credentials:
        assert username in text and password in text
    assert sign_in_url in text

    # Positions in small groups of four, and a few submitted arguments.
    aid = create_assignment(client, class_id, fmt="small-groups", group_size="4")
    draw_positions(client, aid, seed=7)
    for (username, password), n in zip(credentials[:6], range(6)):
        submit_argument(live_server.app, aid, username, password, f"Claim number {n} from the class.")

    # Position cards: 30 students, four to a page.
    open_handout(page, f"{base}/assignments/{aid}/position-cards")
    assert page.locator(".position-card").count() == 30
    reader, text = print_to_pdf(page, "position-cards", "letter")
    assert len(reader.pages) == 8, f"30 position cards on {len(reader.pages)} pages"
    assert MOTION_START in text
    assert PRO_LABEL in text and CON_LABEL in text
    for name in NAMES:
        assert squeeze(name) in text, f"{name} has no position card"

    # The same cards with code names: no real name on paper.
    open_handout(page, f"{base}/assignments/{aid}/position-cards?names=hide", axe=False)  # same template as above
    codes = [c.strip() for c in page.locator(".pc-name").all_inner_texts()]
    assert len(set(codes)) == 30
    reader, text = print_to_pdf(page, "position-cards-hidden", "letter")
    assert len(reader.pages) == 8
    for code in codes:
        assert code in text
    for name in NAMES:
        assert squeeze(name) not in text, f"{name} printed although names are hidden"

    # Debate-day packet: per group a page each for the speaking order, the flow
    # sheet, and the ballot with the rubric; every group starts on a new page.
    open_handout(page, f"{base}/assignments/{aid}/debate-packet")
    groups = page.locator("section.packet").count()
    assert groups == 8  # 30 students in groups of four
    reader, text = print_to_pdf(page, "debate-packet", "letter")
    assert len(reader.pages) == 3 * groups, f"{groups} group packets on {len(reader.pages)} pages"
    assert MOTION_START in text and PRO_LABEL in text and CON_LABEL in text
    assert squeeze(formats.PUBLIC_FORUM.segments[0].name) in text and "flow sheet" in text.lower() and "rubric" in text.lower() and "ballot" in text.lower()
    for name in NAMES:
        assert squeeze(name) in text, f"{name} missing from the debate packet"

    # Roster with positions, on one page.
    open_handout(page, f"{base}/assignments/{aid}/roster")
    reader, text = print_to_pdf(page, "roster", "letter")
    assert len(reader.pages) == 1
    for name in NAMES:
        assert squeeze(name) in text
    assert PRO_LABEL in text and CON_LABEL in text

    # Arguments packet: the six submitted arguments, under code names.
    open_handout(page, f"{base}/assignments/{aid}/arguments-packet?names=hide")
    reader, text = print_to_pdf(page, "arguments-packet", "letter")
    for n in range(6):
        assert f"Claim number {n} from the class." in text
    for name in NAMES:
        assert squeeze(name) not in text

    # Argument organizer (teacher's blank copy), at most two pages.
    open_handout(page, f"{base}/assignments/{aid}/organizer")
    reader, text = print_to_pdf(page, "organizer", "letter")
    assert len(reader.pages) <= 2
    assert MOTION_START in text and PRO_LABEL in text and "Rebuttal" in text

    # Lesson handout (public), with its QR code.
    open_handout(page, f"{base}/lessons/what-is-sovereignty/handout")
    assert page.locator(".lh-qr svg").count() == 1
    reader, text = print_to_pdf(page, "lesson-handout", "letter")
    assert "What Is Sovereignty" in text.title() or "Sovereignty" in text
    assert "Vocabulary" in text and "Sources" in text
    assert "https://" in text  # source addresses are printed after their links
    assert len(reader.pages) <= 8


def test_a4_class_prints_on_a4_and_a_student_prints_their_organizer(live_server, page):
    base = live_server.url
    client = live_server.app.test_client()
    signup_teacher(client)
    response = post_form(client, "/classes", {"name": "Year 10 Civics", "timezone": "Europe/London", "paper_size": "a4"}, token_from="/classes")
    class_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    response = post_form(client, f"/classes/{class_id}/students", {"names": "\n".join(NAMES[:9])}, token_from=f"/classes/{class_id}")
    credentials = re.findall(r'<dt>Username</dt><dd class="mono">([^<]+)</dd>\s*<dt>Password</dt><dd class="mono">([^<]+)</dd>', response.get_data(as_text=True))
    aid = create_assignment(client, class_id, fmt="roles")
    draw_positions(client, aid, seed=3)

    sign_in(page, base)
    open_handout(page, f"{base}/assignments/{aid}/position-cards")
    reader, text = print_to_pdf(page, "a4-position-cards", "a4")
    assert len(reader.pages) == 3  # nine cards, four to a page
    for name in NAMES[:9]:
        assert squeeze(name) in text
    assert "Lawyer, Mexican Foreign Ministry" in text

    open_handout(page, f"{base}/assignments/{aid}/debate-packet")
    reader, text = print_to_pdf(page, "a4-debate-packet", "a4")
    assert len(reader.pages) == 3
    assert "Opening statement" in text

    # A student signs in and prints their own organizer: their position, nobody else's name.
    page.context.clear_cookies()
    username, password = credentials[0]
    sign_in(page, base, username, password)
    open_handout(page, f"{base}/assignments/{aid}/organizer")
    reader, text = print_to_pdf(page, "a4-student-organizer", "a4")
    assert "My position" in text and MOTION_START in text
    for name in NAMES[1:9]:
        assert squeeze(name) not in text


def test_every_lesson_fits_its_position_cards(live_server, page):
    """Each card is a quarter page whatever the lesson: the longest briefs,
    evidence lists and roles of every lesson in the library fit their card."""
    from debatekit.lessons import LessonLibrary

    client = live_server.app.test_client()
    signup_teacher(client)
    class_id = create_class(client, "Fit check")
    post_form(client, f"/classes/{class_id}/students", {"names": "\n".join(NAMES[:7])}, token_from=f"/classes/{class_id}")
    library = LessonLibrary(live_server.app.config["LESSONS_DIR"])
    sign_in(page, live_server.url)
    checked = 0
    for lesson in library.available():
        for motion in lesson.motions:
            formats_to_check = ["two-sides"] + (["roles"] if len(motion.roles) >= 2 else [])
            for fmt in formats_to_check:
                aid = create_assignment(client, class_id, lesson=lesson.slug, motion=motion.id, fmt=fmt)
                draw_positions(client, aid, seed=1)
                page.goto(f"{live_server.url}/assignments/{aid}/position-cards")
                cards = page.locator(".position-card").count()
                assert cards == 7
                problems = layout_problems(page, "letter") + layout_problems(page, "a4")
                assert not problems, f"{lesson.slug}/{motion.id} ({fmt}):\n" + "\n".join(problems)
                checked += 1
    assert checked >= len(library.available())
