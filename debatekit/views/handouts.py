"""Printable handouts: everything a debate day puts on paper.

Each page is an ordinary HTML page with a Print button; static/print.css
turns it into paper (Letter, or A4 when the class is set to A4). Pages that
students see on paper take ``names=hide`` to print stable code names
("Falcon 27") instead of students' names, for minors' privacy.

Authorization is the usual one: teacher handouts go through
``get_teacher_assignment`` (404 for students and other teachers); the argument
organizer through ``get_assignment_for`` (the owning teacher or an enrolled
student, who sees only their own position).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from .. import formats, qrcodes
from ..db import get_db
from ..rendering import render_markdown
from ..services import assignments as assignment_service
from ..services import submissions as submission_service
from ..web import role_required
from .access import get_assignment_for, get_teacher_assignment
from .assignments import lesson_and_motion, position_keys, position_label
from .lessons import get_lesson_or_404

bp = Blueprint("handouts", __name__)

PAPER_SIZES = ("letter", "a4")
PAPER_LABELS = {"letter": "US Letter", "a4": "A4"}
CARDS_PER_SHEET = 4
PREP_QUESTIONS_PER_CARD = 2
FLOW_ROWS = 14
STATUS_LABELS = {None: "Not started", "draft": "Draft", "submitted": "Submitted", "returned": "Returned"}

# --- code names ----------------------------------------------------------------------

#: Friendly words for code names: animals, none of them a common first name.
CODE_WORDS = (
    "Albatross", "Armadillo", "Axolotl", "Badger", "Beaver", "Bison", "Bobcat", "Caribou",
    "Cheetah", "Condor", "Cougar", "Coyote", "Crane", "Dolphin", "Eagle", "Egret",
    "Falcon", "Ferret", "Flamingo", "Gazelle", "Gecko", "Gibbon", "Hawk", "Heron",
    "Ibex", "Ibis", "Iguana", "Jackal", "Jaguar", "Kestrel", "Koala", "Lemur",
    "Llama", "Lynx", "Manatee", "Marmot", "Meerkat", "Mongoose", "Moose", "Narwhal",
    "Newt", "Ocelot", "Osprey", "Otter", "Owl", "Panda", "Pelican", "Penguin",
    "Puffin", "Puma", "Quail", "Quetzal", "Raven", "Salamander", "Seal", "Sparrow",
    "Stork", "Tapir", "Tern", "Toucan", "Turtle", "Walrus", "Wombat", "Yak",
)
CODE_NUMBERS = range(10, 100)


def code_names(secret: str | bytes, assignment_id: int, student_ids) -> dict[int, str]:
    """A stable, unique code name per student of an assignment ("Falcon 27").

    Derived with HMAC-SHA256 keyed by the app's secret key from the
    assignment id and the student id, so it is the same on every printout of
    the assignment, differs between assignments, and cannot be traced back to
    a student by anyone without the key. Students are taken in id order and a
    collision moves the later student to their next candidate, so adding a
    student never renames the ones already there.
    """
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    taken: set[str] = set()
    names: dict[int, str] = {}
    for student_id in sorted(set(student_ids)):
        attempt = 0
        while True:
            message = f"debatekit-code-name:{assignment_id}:{student_id}:{attempt}".encode()
            number = int.from_bytes(hmac.new(key, message, hashlib.sha256).digest()[:8], "big")
            word = CODE_WORDS[number % len(CODE_WORDS)]
            digits = CODE_NUMBERS[(number // len(CODE_WORDS)) % len(CODE_NUMBERS)]
            name = f"{word} {digits}"
            if name not in taken:
                break
            attempt += 1
        taken.add(name)
        names[student_id] = name
    return names


def names_hidden() -> bool:
    return request.args.get("names") == "hide"


class Namer:
    """How a student is printed: their name, or their code name when names are hidden."""

    def __init__(self, assignment: dict, students: list[dict], hide: bool):
        self.hide = hide
        self._names = {s["id"]: s["display_name"] for s in students}
        self._codes = code_names(current_app.config["SECRET_KEY"], assignment["id"], self._names) if hide else {}

    def __call__(self, student_id: int) -> str:
        if self.hide:
            return self._codes.get(student_id, "Student")
        return self._names.get(student_id, "Student")


# --- shared helpers -------------------------------------------------------------------


def absolute_url(path: str) -> str:
    """An address that works from a phone: PUBLIC_URL when set, else the request's host."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + path


def paper_of(assignment: dict | None = None) -> str:
    if assignment is not None:
        return assignment.get("paper_size") if assignment.get("paper_size") in PAPER_SIZES else "letter"
    asked = request.args.get("paper")
    return asked if asked in PAPER_SIZES else "letter"


def toggle_url(endpoint: str, **values) -> dict:
    """URLs of this page with names shown and hidden (other query arguments kept)."""
    args = {k: v for k, v in request.args.items() if k != "names"}
    return {
        "show": url_for(endpoint, **values, **args),
        "hide": url_for(endpoint, **values, **args, names="hide"),
    }


def minutes_text(minutes: float) -> str:
    if minutes < 1:
        return f"{int(round(minutes * 60))} s"
    whole = int(minutes)
    return f"{whole} min" if whole == minutes else f"{minutes:g} min"


def md(text: str | None) -> Markup:
    """Student text -> safe HTML, through the app's one sanitising renderer."""
    return Markup(render_markdown(text or ""))


def source_label(lesson, source: str) -> str:
    """An evidence source as printed: "[3] Title" for a lesson source, else the typed citation."""
    found = lesson.source(source) if lesson and source else None
    return f"[{found.number}] {found.title}" if found else (source or "")


def level_text(level: str) -> str:
    """A rubric descriptor without its "4: " prefix (the table's column says the level)."""
    head, sep, rest = level.partition(": ")
    return rest if sep and head.strip().isdigit() else level


def is_side(key: str | None) -> bool:
    return key in ("pro", "con")


def side_of(motion, key: str | None) -> str | None:
    """pro, con or neutral for a position key (a side is itself; a role has one)."""
    if is_side(key):
        return key
    found = motion.position(key) if motion is not None and key else None
    return getattr(found, "side", None)


def multi_group(assignment: dict) -> bool:
    return assignment["format"] in ("small-groups", "sac")


def preset_for(assignment: dict, teams: dict) -> formats.Preset:
    return formats.preset_for(assignment["format"], role_count=max(1, len(teams)))


# --- speaking order -------------------------------------------------------------------


@dataclass
class Turn:
    """One line of a group's speaking order."""

    name: str
    minutes: float
    who: str = ""
    side_key: str = ""


@dataclass
class Speech:
    name: str
    minutes: float


def side_speeches(preset: formats.Preset, side: str) -> list[formats.Segment]:
    return [s for s in preset.segments if s.speaker == side]


def speeches_for(assignment: dict, preset: formats.Preset, position: str, order: int, team_size: int, role_count: int) -> list[Speech]:
    """The speeches one debater gives, from the format's preset.

    Public Forum style (two-sides, small-groups): a side's speeches go to its
    speakers in turn (speech j to speaker j mod team size), which gives the
    classic 2-person split (constructive and summary; rebuttal and final
    focus). Hearing: the first speaker of a role opens, the second (or the
    same one, alone) closes. SAC has no individual speeches.
    """
    fmt = assignment["format"]
    if not order or not team_size:
        return []
    if fmt in ("two-sides", "small-groups") and is_side(position):
        return [Speech(s.name, s.minutes) for j, s in enumerate(side_speeches(preset, position)) if j % team_size == order - 1]
    if fmt == "roles" and len(preset.segments) >= 3 and role_count:
        opening, closing = preset.segments[0], preset.segments[2]
        found = []
        if order == 1:
            found.append(Speech("Opening statement", opening.minutes / role_count))
        if order == min(2, team_size):
            found.append(Speech("Closing statement", closing.minutes / role_count))
        return found
    return []


def group_turns(assignment: dict, preset: formats.Preset, teams: dict, labels: dict, name) -> list[Turn]:
    """A group's speaking order with times, in the order of the format's preset."""
    fmt = assignment["format"]
    turns: list[Turn] = []
    if fmt == "roles" and teams:
        # A hearing, in the projector's running order: each role's first speaker
        # opens, its second (or the same one) closes.
        keys = list(teams)
        running = formats.hearing_running_order([labels.get(k, k) for k in keys])
        segments = running.segments
        n = len(keys)
        for index, segment in enumerate(segments):
            if index < n:
                who, key = name(teams[keys[index]][0]["id"]), keys[index]
            elif n < index < 2 * n + 1:
                team = teams[keys[index - n - 1]]
                who, key = name(team[min(1, len(team) - 1)]["id"]), keys[index - n - 1]
            else:
                who, key = "The committee (the chair and the class)", ""
            turns.append(Turn(segment.name, segment.minutes, who, key))
        return turns
    used = {"pro": 0, "con": 0}
    for segment in preset.segments:
        who, side_key = "", ""
        if fmt in ("two-sides", "small-groups") and segment.speaker in used:
            team = teams.get(segment.speaker) or []
            j = used[segment.speaker]
            used[segment.speaker] += 1
            side_key = segment.speaker
            if team:
                speaker = team[j % len(team)]
                who = f"{segment.speaker.upper()} · {name(speaker['id'])}"
            else:
                who = f"{segment.speaker.upper()} · {labels.get(segment.speaker, segment.speaker)}"
        elif segment.speaker == "both":
            who = "Both sides" if fmt != "sac" else "Pair A, then pair B"
        elif segment.speaker == "all":
            who = "Everyone"
        turns.append(Turn(segment.name, segment.minutes, who, side_key))
    return turns


def flow_columns(assignment: dict, preset: formats.Preset, teams: dict, labels: dict) -> list[dict]:
    """Column headings of a flow sheet, one per speech of the format: {"tag", "name"}."""
    fmt = assignment["format"]
    if fmt in ("two-sides", "small-groups"):
        return [
            {"tag": s.speaker.upper(), "name": f"{s.name} ({minutes_text(s.minutes)})"}
            for s in preset.segments
            if s.speaker in ("pro", "con")
        ]
    if fmt == "sac":
        return [
            {"tag": "Pair A", "name": "argues PRO"},
            {"tag": "Pair B", "name": "argues CON"},
            {"tag": "Pair B", "name": "switched: argues PRO"},
            {"tag": "Pair A", "name": "switched: argues CON"},
        ]
    # roles: one column per role's opening statement, then the committee's questions and the closings
    return [{"tag": labels.get(k, k), "name": "opening"} for k in teams] + [
        {"tag": "Committee", "name": "questions"},
        {"tag": "All roles", "name": "closing statements"},
    ]


# --- pages ---------------------------------------------------------------------------


def render_handout(template: str, **context):
    context.setdefault("paper_label", PAPER_LABELS[context.get("paper", "letter")])
    return render_template(template, minutes_text=minutes_text, **context)


@bp.route("/lessons/<slug>/handout")
def lesson(slug: str):
    found = get_lesson_or_404(slug)
    lesson_url = absolute_url(url_for("lessons.show", slug=found.slug))
    paper = paper_of()
    return render_handout(
        "handouts/lesson.html",
        lesson=found,
        paper=paper,
        lesson_url=lesson_url,
        qr_svg=Markup(qrcodes.svg(lesson_url, f"QR code: the lesson page, {lesson_url}")),
        other_paper={"letter": url_for("handouts.lesson", slug=found.slug, paper="a4"), "a4": url_for("handouts.lesson", slug=found.slug)}[paper],
    )


def _assignment_context(assignment: dict):
    db = get_db()
    found_lesson, motion = lesson_and_motion(assignment)
    keys = position_keys(assignment, motion)
    labels = {k: position_label(motion, k) for k in keys}
    data = assignment_service.overview(db, assignment)
    return db, found_lesson, motion, keys, labels, data


@dataclass
class Card:
    student_id: int
    name: str
    position: str
    label: str
    side: str | None
    group: int
    order: int
    team_size: int
    speeches: list[Speech] = field(default_factory=list)
    running: str = ""
    brief_html: Markup = Markup("")
    evidence: list[tuple[str, str]] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    facts: str = ""
    density: str = "roomy"


# A card is a quarter page whatever its text, so a card with more text prints
# in smaller type: the card's characters (motion, facts, brief, evidence and
# questions) choose its type size class in print.css. The limits were
# calibrated in Chromium with DejaVu Sans (a wide font: Arial, Segoe UI and
# San Francisco set narrower) on Letter, the smaller card, against every card
# of every lesson in the library, keeping each card's text within 96% of its
# height; tests/browser/test_printing.py checks that every card still fits.
# (A line-by-line estimate was tried: with the margin its errors need, it
# chose smaller type more often than this.)
CARD_DENSITY = ((1050, "roomy"), (1300, "normal"), (1550, "compact"), (1850, "dense"))  # 8.3, 7.7, 7.3, 6.9 pt
CARD_FALLBACK = "tight"  # 6.5 pt


def card_density(characters: int) -> str:
    for limit, name in CARD_DENSITY:
        if characters <= limit:
            return name
    return CARD_FALLBACK


@bp.route("/assignments/<int:assignment_id>/position-cards")
@role_required("teacher")
def position_cards(assignment_id: int):
    assignment = get_teacher_assignment(current_user, assignment_id)
    _, found_lesson, motion, keys, labels, data = _assignment_context(assignment)
    name = Namer(assignment, data["students"], names_hidden())
    questions = list(found_lesson.questions) if found_lesson else []
    # Prep questions come from the shorter half of the lesson's questions (in
    # lesson order): a card is a quarter page, and the long ones are on the handout.
    shortest = set(sorted(range(len(questions)), key=lambda i: (len(questions[i]), i))[: max(PREP_QUESTIONS_PER_CARD + 1, (len(questions) + 1) // 2)])
    prep_pool = [q for i, q in enumerate(questions) if i in shortest]
    cards: list[Card] = []
    for group_no, teams in data["groups"].items():
        preset = preset_for(assignment, teams)
        ordered = [k for k in keys if k in teams] + [k for k in teams if k not in keys]
        for key in ordered:
            team = teams[key]
            found = motion.position(key) if motion is not None else None
            for student in team:
                order = student["speaking_order"] or 1
                card = Card(
                    student_id=student["id"],
                    name=name(student["id"]),
                    position=key,
                    label=labels.get(key) or position_label(motion, key),
                    side=side_of(motion, key),
                    group=group_no,
                    order=order,
                    team_size=len(team),
                    speeches=speeches_for(assignment, preset, key, order, len(team), len(teams)),
                )
                if assignment["format"] == "sac":
                    pair = "A" if key == "pro" else "B"
                    other = labels.get("con" if key == "pro" else "pro", "the other side")
                    card.running = f"Pair {pair}: argue this side first, then switch and argue “{other}”."
                if found is not None:
                    card.brief_html = Markup(found.brief_html)
                    # Pointers, not the sources themselves: the numbers are those
                    # of the lesson handout's numbered source list.
                    card.evidence = [(ev.point, f"[{ev.source_number}]") for ev in found.evidence]
                if prep_pool:
                    # Teammates get different questions, so a team prepares more of them.
                    start = ((order - 1) * PREP_QUESTIONS_PER_CARD) % len(prep_pool)
                    card.questions = [prep_pool[(start + i) % len(prep_pool)] for i in range(min(PREP_QUESTIONS_PER_CARD, len(prep_pool)))]
                card.facts = f"Speaker {order} of {len(team)}"
                if card.speeches:
                    card.facts += f" · {'Speech' if len(card.speeches) == 1 else 'Speeches'}: " + "; ".join(
                        f"{s.name}, {minutes_text(s.minutes)}" for s in card.speeches
                    )
                if multi_group(assignment):
                    card.facts = f"Group {group_no} · {card.facts}"
                card.density = card_density(
                    len(motion.text if motion is not None else "")
                    + len(found.brief if found is not None else "")
                    + sum(len(point) + 6 for point, _ in card.evidence)
                    + sum(len(q) for q in card.questions)
                )
                cards.append(card)
    sheets = [cards[i : i + CARDS_PER_SHEET] for i in range(0, len(cards), CARDS_PER_SHEET)]
    return render_handout(
        "handouts/position_cards.html",
        assignment=assignment,
        lesson=found_lesson,
        motion=motion,
        keys=keys,
        labels=labels,
        groups=list(data["groups"]),
        sheets=sheets,
        card_count=len(cards),
        unplaced=len(data["unplaced"]),
        paper=paper_of(assignment),
        hide=name.hide,
        toggle=toggle_url("handouts.position_cards", assignment_id=assignment["id"]),
        multi_group=multi_group(assignment),
    )


@bp.route("/assignments/<int:assignment_id>/organizer")
@role_required("teacher", "student")
def organizer(assignment_id: int):
    assignment = get_assignment_for(current_user, assignment_id)
    found_lesson, motion = lesson_and_motion(assignment)
    keys = position_keys(assignment, motion)
    mine = None
    if assignment["viewer_role"] == "student":
        view = assignment_service.student_view(get_db(), assignment, current_user.id)
        if view["position"]:
            found = motion.position(view["position"]) if motion is not None else None
            mine = {
                "key": view["position"],
                "label": position_label(motion, view["position"]),
                "side": side_of(motion, view["position"]),
                "group": view["group"],
                "speaking_order": view["speaking_order"],
                "evidence": [
                    f"[{ev.source_number}] {found_lesson.source(ev.source_id).title}" if found_lesson and found_lesson.source(ev.source_id) else f"[{ev.source_number}]"
                    for ev in (found.evidence if found is not None else [])
                ],
            }
    return render_handout(
        "handouts/organizer.html",
        assignment=assignment,
        lesson=found_lesson,
        motion=motion,
        choices=[] if assignment["viewer_role"] == "student" else [(k, position_label(motion, k)) for k in keys],
        mine=mine,
        student_name=current_user.display_name if assignment["viewer_role"] == "student" else None,
        paper=paper_of(assignment),
        multi_group=multi_group(assignment),
        lincoln_douglas=formats.LINCOLN_DOUGLAS,
    )


@bp.route("/assignments/<int:assignment_id>/debate-packet")
@role_required("teacher")
def debate_packet(assignment_id: int):
    assignment = get_teacher_assignment(current_user, assignment_id)
    _, found_lesson, motion, keys, labels, data = _assignment_context(assignment)
    name = Namer(assignment, data["students"], names_hidden())
    rubric = found_lesson.rubric if found_lesson else []
    packets = []
    for group_no, teams in data["groups"].items():
        ordered = {k: teams[k] for k in keys if k in teams}
        ordered.update({k: v for k, v in teams.items() if k not in ordered})
        preset = preset_for(assignment, ordered)
        packets.append(
            {
                "group": group_no,
                "preset": preset,
                "teams": [
                    {"key": k, "label": labels.get(k, k), "side": side_of(motion, k),
                     "members": [{"name": name(s["id"]), "order": s["speaking_order"]} for s in members]}
                    for k, members in ordered.items()
                ],
                "turns": group_turns(assignment, preset, ordered, labels, name),
                "columns": flow_columns(assignment, preset, ordered, labels),
                "total": preset.total_minutes,
            }
        )
    return render_handout(
        "handouts/debate_packet.html",
        assignment=assignment,
        lesson=found_lesson,
        motion=motion,
        keys=keys,
        labels=labels,
        packets=packets,
        rubric=rubric,
        rubric_total=sum(len(c.levels) for c in rubric),
        level_text=level_text,
        flow_rows=FLOW_ROWS,
        paper=paper_of(assignment),
        hide=name.hide,
        toggle=toggle_url("handouts.debate_packet", assignment_id=assignment["id"]),
        multi_group=multi_group(assignment) or len(packets) > 1,
    )


@bp.route("/assignments/<int:assignment_id>/roster")
@role_required("teacher")
def roster(assignment_id: int):
    assignment = get_teacher_assignment(current_user, assignment_id)
    _, found_lesson, motion, keys, labels, data = _assignment_context(assignment)
    name = Namer(assignment, data["students"], names_hidden())
    rows = []
    for s in data["students"]:
        status = STATUS_LABELS.get(s["status"], s["status"] or "Not started")
        if s["status"] == "submitted" and s["late"]:
            status += " (late)"
        rows.append(
            {
                "name": name(s["id"]),
                "username": None if name.hide else s["username"],
                "position": position_label(motion, s["position"]) if s["position"] else ("Absent" if s["absent"] else "Not placed"),
                "group": s["group_no"] if s["position"] else None,
                "order": s["speaking_order"] if s["position"] else None,
                "absent": bool(s["absent"]),
                "status": status,
                "submitted": s["status"] == "submitted",
            }
        )
    if name.hide:  # alphabetical by real name would hint at who is who
        rows.sort(key=lambda r: r["name"].casefold())
    return render_handout(
        "handouts/roster.html",
        assignment=assignment,
        lesson=found_lesson,
        motion=motion,
        keys=keys,
        labels=labels,
        rows=rows,
        groups=list(data["groups"]),
        submitted_count=sum(1 for r in rows if r["submitted"]),
        counts=data["counts"],
        paper=paper_of(assignment),
        hide=name.hide,
        toggle=toggle_url("handouts.roster", assignment_id=assignment["id"]),
        multi_group=multi_group(assignment),
    )


@bp.route("/assignments/<int:assignment_id>/arguments-packet")
@role_required("teacher")
def arguments_packet(assignment_id: int):
    assignment = get_teacher_assignment(current_user, assignment_id)
    db, found_lesson, motion, keys, labels, data = _assignment_context(assignment)
    position = request.args.get("position") or None
    group_arg = request.args.get("group") or None
    if position is not None and position not in keys:
        abort(404)
    group = None
    if group_arg is not None:
        if not group_arg.isdigit() or not 1 <= int(group_arg) <= 10_000:
            abort(404)
        group = int(group_arg)
    name = Namer(assignment, data["students"], names_hidden())
    rows = [
        r for r in submission_service.review_rows(db, assignment)
        if r["submitted"]
        and (position is None or r["position"] == position)
        and (group is None or r["group_no"] == group)
    ]
    order = {k: i for i, k in enumerate(keys)}
    rows.sort(key=lambda r: (r["group_no"] or 0, order.get(r["position"], len(order)), r["speaking_order"] or 0, r["student_id"]))
    arguments = [
        {
            "name": name(r["student_id"]),
            "position": position_label(motion, r["position"]) if r["position"] else "Not placed",
            "group": r["group_no"],
            "claim": md(r["submitted"]["claim"]),
            "evidence": [{"text": md(ev.get("text")), "source": source_label(found_lesson, ev.get("source", ""))} for ev in r["submitted"]["evidence_items"] if isinstance(ev, dict)],
            "reasoning": md(r["submitted"]["reasoning"]),
            "rebuttal": md(r["submitted"]["rebuttal"]),
        }
        for r in rows
    ]
    parts = []
    if group is not None:
        parts.append(f"Group {group}")
    if position is not None:
        parts.append(labels.get(position, position))
    return render_handout(
        "handouts/arguments_packet.html",
        assignment=assignment,
        lesson=found_lesson,
        motion=motion,
        keys=keys,
        labels=labels,
        arguments=arguments,
        selection=" · ".join(parts) or "Whole class",
        groups=list(data["groups"]),
        position=position,
        group=group,
        paper=paper_of(assignment),
        hide=name.hide,
        toggle=toggle_url("handouts.arguments_packet", assignment_id=assignment["id"]),
        multi_group=multi_group(assignment),
    )
