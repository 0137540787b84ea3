"""The projector view in a real browser: accessibility, the motion and every
placed student, and the debate timer (static/timer.js) driven by keyboard and
buttons. Time is controlled with Playwright's fake clock (page.clock), so no
test waits for real minutes to pass."""

from __future__ import annotations

import datetime
import re

import pytest

from conftest import PASSWORD, add_students, create_assignment, create_class, draw_positions, positions_of, signup_teacher
from tests.browser.conftest import assert_accessible

MOTION_TEXT = "A state's consent should be required before any foreign military activity on its territory"
EXTRA_NAMES = ["Dana Ortiz", "Eli Park", "Fátima Núñez", "Gus O'Neil", "Hana Lee", "Ivan Petrov", "June Kim"]


# --- setup -----------------------------------------------------------------------


def prepare(live_server, fmt="two-sides", *, names=EXTRA_NAMES, client=None, class_id=None, **fields):
    """A teacher (teacher1), a class with students, an assignment of `fmt`, drawn.
    Returns (client, class_id, assignment_id, placed display names)."""
    if client is None:
        client = live_server.app.test_client()
        signup_teacher(client)
        class_id = create_class(client)
        add_students(client, class_id, names)
    assignment_id = create_assignment(client, class_id, fmt=fmt, **fields)
    draw_positions(client, assignment_id, seed=42)
    from debatekit import db as database

    conn = database.connect(live_server.app.config["DATABASE"])
    try:
        display = {r["id"]: r["display_name"] for r in conn.execute("SELECT id, display_name FROM users")}
    finally:
        conn.conn.close()
    placed = [display[sid] for sid, row in positions_of(live_server.app.config["DATABASE"], assignment_id).items() if row["position"]]
    return client, class_id, assignment_id, placed


def sign_in(page, base, username="teacher1"):
    page.goto(base + "/login")
    page.locator("#f-username").fill(username)
    page.locator("#f-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


CLOCK_START = datetime.datetime(2026, 3, 2, 8, 0, 0)
CLOCK_PAUSED = datetime.datetime(2026, 3, 2, 10, 0, 0)


def open_present(page, live_server, assignment_id, *, fake_clock=True):
    """Sign in and open the projector view. With fake_clock, time stands still
    once the page has loaded: only page.clock.run_for()/fast_forward() move it."""
    sign_in(page, live_server.url)
    if fake_clock:
        page.clock.install(time=CLOCK_START)
    page.goto(f"{live_server.url}/assignments/{assignment_id}/present")
    page.wait_for_selector("#timer[data-ready='true']", state="attached")
    if fake_clock:
        page.clock.pause_at(CLOCK_PAUSED)


def check_accessible(page):
    """axe-core with the fake clock: axe needs the page's own timers, so time
    flows while it runs and stands still again afterwards. Nothing of the timer
    may be running meanwhile, so the real seconds that pass change nothing."""
    assert page.locator("#timer-start").inner_text() != "Pause"
    assert page.get_by_role("button", name=re.compile(r"^Stop .* prep$")).count() == 0
    page.clock.resume()
    try:
        assert_accessible(page)
    finally:
        page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 60)


@pytest.fixture
def present(live_server, page):
    """The projector view of a drawn two-sides assignment, with a fake clock."""
    _, _, assignment_id, placed = prepare(live_server)
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_present(page, live_server, assignment_id)
    return {"page": page, "assignment_id": assignment_id, "placed": placed, "errors": errors}


def digits(page) -> str:
    return page.locator("#timer-digits").inner_text().strip()


def segment(page) -> str:
    return page.locator("#timer-segment").inner_text().strip()


def cue(page) -> str:
    return page.locator("#timer-cue").text_content().strip()


def phase(page) -> str:
    return page.locator("#timer-clock").get_attribute("data-phase")


def segment_list(page) -> list[tuple[str, str]]:
    return [tuple(pair) for pair in page.eval_on_selector_all(
        "#timer-segments li",
        "items => items.map(li => [li.querySelector('.segment-name').textContent.trim(), li.querySelector('.segment-time').textContent.trim()])",
    )]


def current_item(page) -> str:
    return page.locator("#timer-segments li[aria-current='step'] .segment-name").inner_text().strip()


def seconds(n: float) -> int:
    return int(n * 1000)


# --- the page ----------------------------------------------------------------------


def test_projector_view_is_accessible_and_shows_motion_and_every_student(present):
    page = present["page"]
    assert MOTION_TEXT in page.locator("h1").inner_text()
    teams = page.locator(".pv-teams").inner_text()
    assert len(present["placed"]) == len(EXTRA_NAMES)
    for name in present["placed"]:
        assert name in teams
    # Full-screen feel: no site header or footer, but a way back and the keys.
    assert page.locator(".site-header").is_hidden()
    assert page.locator(".site-footer").is_hidden()
    back = page.get_by_role("link", name="Back to the assignment")
    assert back.is_visible()
    assert back.get_attribute("href") == f"/assignments/{present['assignment_id']}"
    assert page.locator("#pv-keys").is_visible()
    assert "start/pause" in page.locator("#pv-keys").inner_text()
    # The default preset for a two-sides debate.
    assert page.locator("#timer-preset").input_value() == "pf"
    assert segment(page) == "Constructive (first team)"
    assert digits(page) == "04:00"
    check_accessible(page)
    # No script error and no Content-Security-Policy violation.
    assert present["errors"] == []


@pytest.mark.parametrize("width,height", [(1024, 768), (1920, 1080)])
def test_big_type_and_no_sideways_scrolling(live_server, page, width, height):
    _, _, assignment_id, _ = prepare(live_server)
    page.set_viewport_size({"width": width, "height": height})
    open_present(page, live_server, assignment_id, fake_clock=False)
    sizes = page.evaluate(
        """() => {
            const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
            const size = sel => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize) / rem;
            return {motion: size('.pv-motion-text'), digits: size('#timer-digits'),
                    scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
                    digitsRight: document.querySelector('#timer-digits').getBoundingClientRect().right,
                    panelRight: document.querySelector('#timer').getBoundingClientRect().right};
        }"""
    )
    assert sizes["motion"] >= 3
    assert sizes["digits"] >= 8
    assert sizes["scroll"] <= sizes["inner"]
    assert sizes["digitsRight"] <= sizes["panelRight"]
    # The motion and the timer digits are both on the first screen.
    assert page.locator(".pv-motion-text").bounding_box()["y"] < height
    assert page.locator("#timer-digits").bounding_box()["y"] < height


def test_every_quad_and_role_is_shown(live_server, page):
    client, class_id, sac_id, sac_placed = prepare(live_server, "sac")
    _, _, roles_id, roles_placed = prepare(
        live_server, "roles", client=client, class_id=class_id, lesson="the-senate-decides", motion="approve-next-trainers"
    )
    open_present(page, live_server, sac_id, fake_clock=False)
    teams = page.locator(".pv-teams").inner_text()
    assert "Quad 1" in teams and "Quad 2" in teams
    assert "Pairs switch sides halfway" in teams
    for name in sac_placed:
        assert name in teams
    assert page.locator("#timer-preset").input_value() == "sac"
    assert segment(page) == "Prepare"
    assert_accessible(page)

    page.goto(f"{live_server.url}/assignments/{roles_id}/present")
    page.wait_for_selector("#timer[data-ready='true']", state="attached")
    teams = page.locator(".pv-teams").inner_text()
    assert "Chair of the Senate Defense Committee" in teams
    for name in roles_placed:
        assert name in teams
    assert page.locator("#timer-preset").input_value() == "hearing"
    roles = page.locator(".pv-team-name").all_inner_texts()
    names = [n for n, _ in segment_list(page)]
    assert names[0] == f"Opening statement: {roles[0].strip()}"
    assert names.count("Questions from the committee") == 1
    assert len([n for n in names if n.startswith("Opening statement: ")]) == len(roles)
    assert len([n for n in names if n.startswith("Closing statement: ")]) == len(roles)
    assert names[-1] == "Committee vote"
    assert_accessible(page)


def test_without_javascript_the_static_list_matches_the_script(live_server, browser):
    """The page works without JavaScript, and its static segment list is the
    one timer.js shows for the same preset (the two can never drift apart)."""
    client, class_id, pf_id, placed = prepare(live_server)
    _, _, sac_id, _ = prepare(live_server, "sac", client=client, class_id=class_id)
    _, _, roles_id, _ = prepare(live_server, "roles", client=client, class_id=class_id, lesson="the-senate-decides", motion="approve-next-trainers")

    lists = {}
    for js in (False, True):
        context = browser.new_context(java_script_enabled=js, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, live_server.url)
        for aid in (pf_id, sac_id, roles_id):
            page.goto(f"{live_server.url}/assignments/{aid}/present")
            lists[(js, aid)] = segment_list(page)
            if not js:
                assert MOTION_TEXT in page.locator("h1").inner_text() or aid == roles_id
                assert page.locator("#timer-segments").is_visible()
                assert page.locator("#timer-controls").is_hidden()
                assert page.locator("#timer-digits").is_hidden()
        if not js:
            page.goto(f"{live_server.url}/assignments/{pf_id}/present")
            teams = page.locator(".pv-teams").inner_text()
            assert all(name in teams for name in placed)
            assert "3 minutes per team" in page.locator("#timer").inner_text()
            # (axe-core needs JavaScript; the same markup is checked with it on in the tests above.)
        context.close()
    for aid in (pf_id, sac_id, roles_id):
        assert lists[(False, aid)] == lists[(True, aid)], aid
        assert lists[(False, aid)]


# --- the timer -----------------------------------------------------------------------


def test_space_starts_and_pauses_and_time_is_measured_not_counted(present):
    page = present["page"]
    assert cue(page).startswith("Ready")
    page.keyboard.press("Space")
    assert cue(page) == "Running"
    assert page.locator("#timer-start").inner_text() == "Pause"
    page.clock.run_for(seconds(10))
    assert digits(page) == "03:50"
    page.keyboard.press("Space")
    assert cue(page) == "Paused"
    page.clock.run_for(seconds(30))
    assert digits(page) == "03:50"
    page.keyboard.press("Space")
    # A background tab gets few timer callbacks: the display follows the clock,
    # not the number of ticks (fast_forward fires each due timer at most once).
    page.clock.fast_forward(seconds(60))
    page.clock.run_for(300)
    assert digits(page) == "02:50"
    # The start button does the same as Space.
    page.get_by_role("button", name="Pause", exact=True).click()
    assert cue(page) == "Paused"
    page.get_by_role("button", name="Resume", exact=True).click()
    assert cue(page) == "Running"


def test_next_previous_and_reset(present):
    page = present["page"]
    assert current_item(page) == "Constructive (first team)"
    assert page.locator("#timer-next").inner_text() == "Next: Constructive (second team) · 4 min"
    page.keyboard.press("Space")
    page.clock.run_for(seconds(5))
    page.keyboard.press("n")
    assert segment(page) == "Constructive (second team)"
    assert current_item(page) == "Constructive (second team)"
    assert digits(page) == "04:00"
    assert cue(page).startswith("Ready")
    assert "Constructive (second team)" in page.locator("#timer-announcer").inner_text()
    assert page.locator("#timer-next").inner_text() == "Next: Crossfire · 3 min"
    page.keyboard.press("ArrowRight")
    assert segment(page) == "Crossfire" and digits(page) == "03:00"
    page.keyboard.press("P")
    assert segment(page) == "Constructive (second team)"
    page.keyboard.press("ArrowLeft")
    assert segment(page) == "Constructive (first team)"
    assert page.locator("#timer-prev").is_disabled()

    page.keyboard.press("Space")
    page.clock.run_for(seconds(42))
    assert digits(page) == "03:18"
    page.keyboard.press("r")
    assert digits(page) == "04:00"
    assert cue(page).startswith("Ready")
    page.clock.run_for(seconds(5))
    assert digits(page) == "04:00"

    # Buttons with visible labels do the same.
    page.get_by_role("button", name="Next", exact=True).click()
    assert segment(page) == "Constructive (second team)"
    page.get_by_role("button", name="Previous").click()
    assert segment(page) == "Constructive (first team)"
    page.get_by_role("button", name="Start", exact=True).click()
    page.clock.run_for(seconds(3))
    page.get_by_role("button", name="Reset", exact=True).click()
    assert digits(page) == "04:00"

    # A button reached with the keyboard answers Space itself (no double action).
    page.locator("#timer-next-button").focus()
    page.keyboard.press("Space")
    assert segment(page) == "Constructive (second team)"
    assert cue(page).startswith("Ready")
    page.keyboard.press("p")
    assert segment(page) == "Constructive (first team)"

    # The last segment says what comes next: the end.
    for _ in range(10):
        page.keyboard.press("n")
    assert segment(page) == "Final focus (second team)"
    assert page.locator("#timer-next").inner_text() == "Next: end of the round"
    assert page.locator("#timer-next-button").is_disabled()


def test_thirty_second_warning_and_overtime(present):
    page = present["page"]
    # No colour transition: the checks below read the settled colours.
    page.emulate_media(reduced_motion="reduce")
    normal = page.eval_on_selector("#timer-clock", "el => getComputedStyle(el).backgroundColor")
    page.keyboard.press("Space")
    page.clock.run_for(seconds(4 * 60 - 31))
    assert digits(page) == "00:31"
    assert phase(page) == "running"
    page.clock.run_for(seconds(2))
    assert digits(page) == "00:29"
    assert phase(page) == "warning"
    assert "30 seconds" in cue(page)
    assert page.eval_on_selector("#timer-clock", "el => getComputedStyle(el).backgroundColor") != normal
    assert "30 seconds" in page.locator("#timer-announcer").inner_text()
    page.keyboard.press("Space")  # paused, still showing the warning
    assert cue(page) == "30 seconds left (paused)" and phase(page) == "warning"
    check_accessible(page)
    page.keyboard.press("Space")

    page.clock.run_for(seconds(30))
    assert phase(page) == "over"
    assert cue(page) == "Time"
    assert digits(page) == "+00:01"
    assert "Time" in page.locator("#timer-announcer").inner_text()
    page.clock.run_for(seconds(64))
    assert digits(page) == "+01:05"
    page.keyboard.press("Space")
    assert cue(page) == "Time (paused)" and phase(page) == "over"
    check_accessible(page)
    page.keyboard.press("r")
    assert digits(page) == "04:00" and phase(page) == "ready"


def test_overtime_pulse_respects_reduced_motion(live_server, browser):
    _, _, assignment_id, _ = prepare(live_server)
    for motion, expected in (("reduce", "none"), ("no-preference", "pv-pulse")):
        context = browser.new_context(reduced_motion=motion)
        page = context.new_page()
        page.set_default_timeout(10_000)
        open_present(page, live_server, assignment_id)
        page.keyboard.press("Space")
        page.clock.run_for(seconds(4 * 60 + 2))
        assert phase(page) == "over"
        assert page.eval_on_selector("#timer-clock", "el => getComputedStyle(el).animationName") == expected
        context.close()


def test_prep_time_pools_run_independently(present):
    page = present["page"]
    pro = page.locator("#prep-pool-1")
    con = page.locator("#prep-pool-2")
    assert pro.locator(".prep-name").inner_text() == "Pro"
    assert con.locator(".prep-name").inner_text() == "Con"
    assert pro.locator(".prep-digits").inner_text() == "03:00"

    page.get_by_role("button", name="Start Pro prep").click()
    page.clock.run_for(seconds(20))
    assert pro.locator(".prep-digits").inner_text() == "02:40"
    assert con.locator(".prep-digits").inner_text() == "03:00"
    assert digits(page) == "04:00"  # the speech timer did not move

    # Space after clicking a prep button is for the speech timer, not that button.
    page.keyboard.press("Space")
    page.clock.run_for(seconds(10))
    assert digits(page) == "03:50"
    assert pro.locator(".prep-digits").inner_text() == "02:30"
    page.get_by_role("button", name="Stop Pro prep").click()
    page.clock.run_for(seconds(10))
    assert pro.locator(".prep-digits").inner_text() == "02:30"
    assert digits(page) == "03:40"

    page.get_by_role("button", name="Start Con prep").click()
    page.clock.run_for(seconds(200))
    assert con.locator(".prep-digits").inner_text() == "00:00"
    used = page.get_by_role("button", name="Con prep used up")
    assert used.is_disabled()
    assert pro.locator(".prep-digits").inner_text() == "02:30"
    # Moving on between speeches keeps each team's remaining prep.
    page.keyboard.press("n")
    assert pro.locator(".prep-digits").inner_text() == "02:30"
    page.get_by_role("button", name="Reset prep time").click()
    assert pro.locator(".prep-digits").inner_text() == "03:00"
    assert con.locator(".prep-digits").inner_text() == "03:00"
    page.get_by_role("button", name="Start Pro prep").click()
    assert pro.get_attribute("data-state") == "running"
    page.get_by_role("button", name="Stop Pro prep").click()
    check_accessible(page)


def test_coin_flip_names_a_team(present):
    page = present["page"]
    page.get_by_role("button", name="Flip a coin").click()
    result = page.locator("#timer-coin-result").inner_text()
    assert re.search(r"the (Pro|Con) team wins the toss and chooses the side or the speaking order; the (Pro|Con) team takes the other choice", result)
    winner, other = re.findall(r"the (Pro|Con) team", result)
    assert winner != other
    seen = {winner}
    for _ in range(40):
        page.get_by_role("button", name="Flip a coin").click()
        seen.add(re.search(r"the (Pro|Con) team wins", page.locator("#timer-coin-result").inner_text()).group(1))
    assert seen == {"Pro", "Con"}


def test_other_presets(present):
    page = present["page"]
    page.locator("#timer-preset").select_option("ld")
    assert page.locator("#timer-preset-name").inner_text() == "Lincoln–Douglas style"
    assert segment_list(page) == [
        ("Affirmative constructive", "6 min"),
        ("Cross-examination (negative asks)", "3 min"),
        ("Negative constructive", "7 min"),
        ("Cross-examination (affirmative asks)", "3 min"),
        ("First affirmative rebuttal", "4 min"),
        ("Negative rebuttal", "6 min"),
        ("Second affirmative rebuttal", "3 min"),
    ]
    assert digits(page) == "06:00"
    assert page.locator(".prep-name").all_inner_texts() == ["Affirmative", "Negative"]
    assert page.locator("#timer-coin").is_hidden()
    page.locator("#timer-preset").select_option("sac")
    assert [n for n, _ in segment_list(page)][2] == "Reverse positions (pairs switch sides)"
    assert page.locator("#timer-prep").is_hidden()
    page.locator("#timer-preset").select_option("hearing")
    names = [n for n, _ in segment_list(page)]
    # Two teams on this page: two openings, two closings.
    assert names == [
        "Opening statement: Consent is always required",
        "Opening statement: Consent should not be an absolute rule",
        "Questions from the committee",
        "Closing statement: Consent is always required",
        "Closing statement: Consent should not be an absolute rule",
        "Committee vote",
    ]
    assert page.locator("#timer-total").inner_text() == "6 segments · 19 min in all"
    page.locator("#timer-preset").select_option("pf")
    assert page.locator("#timer-coin").is_visible()
    assert digits(page) == "04:00"


def test_custom_segments_parse_and_bad_input_is_explained(present):
    page = present["page"]
    page.locator("#timer-preset").select_option("custom")
    field = page.get_by_label("Custom segments")
    assert field.is_visible()
    # Custom starts from the segments in use, ready to edit.
    assert field.input_value().startswith("Constructive (first team) 4, Constructive (second team) 4, Crossfire 3")

    field.fill("Opening 3, Questions 5, Closing 2")
    field.press("Enter")
    assert segment_list(page) == [("Opening", "3 min"), ("Questions", "5 min"), ("Closing", "2 min")]
    assert segment(page) == "Opening" and digits(page) == "03:00"
    assert page.locator("#timer-total").inner_text() == "3 segments · 10 min in all"
    assert page.locator("#timer-custom-error").is_hidden()

    # Keys typed into the field do not drive the timer.
    field.fill("")
    field.press_sequentially("n p r N P R f x ")
    field.press("ArrowRight")
    field.press("ArrowLeft")
    field.press("Space")
    assert field.input_value() == "n p r N P R f x  "
    assert segment(page) == "Opening" and digits(page) == "03:00"
    assert cue(page).startswith("Ready")
    page.clock.run_for(seconds(5))
    assert digits(page) == "03:00"

    field.fill("Opening three, Questions 5")
    page.get_by_role("button", name="Use these segments").click()
    error = page.locator("#timer-custom-error")
    assert error.is_visible()
    assert "Segment 1" in error.inner_text() and "Opening three" in error.inner_text()
    assert field.get_attribute("aria-invalid") == "true"
    assert segment_list(page) == [("Opening", "3 min"), ("Questions", "5 min"), ("Closing", "2 min")]
    check_accessible(page)

    field.fill("Opening 2, Questions 0")
    field.press("Enter")
    assert "Segment 2" in error.inner_text() and "longer than 0" in error.inner_text()
    field.fill("  ,  ")
    field.press("Enter")
    assert "at least one segment" in error.inner_text()

    field.fill("Warm-up 0.5; Debate 1:30; Vote 2 min")
    field.press("Enter")
    assert error.is_hidden()
    assert field.get_attribute("aria-invalid") is None
    assert segment_list(page) == [("Warm-up", "30 s"), ("Debate", "1 min 30 s"), ("Vote", "2 min")]
    # Back on the page body, the keys work again on the new segments.
    page.locator("h1").click()
    page.keyboard.press("Space")
    page.clock.run_for(seconds(31))
    assert phase(page) == "over" and digits(page) == "+00:01"
    page.keyboard.press("n")
    assert segment(page) == "Debate" and digits(page) == "01:30"


PARSER_CASES = [
    ("Opening 3, Questions 5, Closing 2", [["Opening", 180], ["Questions", 300], ["Closing", 120]]),
    ("Round 2 3", [["Round 2", 180]]),
    ("Opening statement: Mayor 1.5", [["Opening statement: Mayor", 90]]),
    ("Vote - 2 mins", [["Vote", 120]]),
    ("Report 180", [["Report", 10800]]),
    ("Opening", None),
    ("3", None),
    ("Opening 0:00", None),
    ("Marathon 181", None),
    ("", None),
    (", ".join(f"S{i} 1" for i in range(51)), None),
]


def test_custom_parser(present):
    for text, expected in PARSER_CASES:
        result = present["page"].evaluate("t => window.debateTimer.parseCustom(t)", text)
        if expected is None:
            assert result.get("error") and not result.get("segments"), text
        else:
            assert [[s["name"], s["seconds"]] for s in result["segments"]] == expected, text
