"""Debate formats teachers run, with their speech timings (pure data, no Flask).

Source: shared/formats.md (league pages on Public Forum and Lincoln-Douglas
debate, SERC's Structured Academic Controversy guide, hearing role-plays).
Every preset is a starting point the teacher can change on the projector.
The projector timer and the debate-day packets both read these presets, so a
printed speaking order always matches the clock on the wall.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    name: str
    minutes: float
    speaker: str = ""  # which team or role speaks: "pro", "con", "both", "all", or ""


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    segments: tuple[Segment, ...]
    prep_minutes_per_team: float = 0
    note: str = ""
    prep_teams: tuple[str, ...] = ()  # names of the prep-time pools on the projector
    coin: tuple[str, ...] = ()  # the two sides of the coin flip, when the format starts with one

    @property
    def total_minutes(self) -> float:
        return sum(s.minutes for s in self.segments) + 2 * self.prep_minutes_per_team


PUBLIC_FORUM = Preset(
    "pf",
    "Public Forum (classroom)",
    (
        Segment("Constructive (first team)", 4, "pro"),
        Segment("Constructive (second team)", 4, "con"),
        Segment("Crossfire", 3, "both"),
        Segment("Rebuttal (first team)", 4, "pro"),
        Segment("Rebuttal (second team)", 4, "con"),
        Segment("Crossfire", 3, "both"),
        Segment("Summary (first team)", 3, "pro"),
        Segment("Summary (second team)", 3, "con"),
        Segment("Grand crossfire", 3, "both"),
        Segment("Final focus (first team)", 2, "pro"),
        Segment("Final focus (second team)", 2, "con"),
    ),
    prep_minutes_per_team=3,
    note="A coin flip decides: the winner picks the side or the speaking order, the other team the other. "
    "Printed speaking orders assume Pro speaks first. Each team has 3 minutes of prep to use whenever it chooses.",
    prep_teams=("Pro", "Con"),
    coin=("Pro team", "Con team"),
)

LINCOLN_DOUGLAS = Preset(
    "ld",
    "Lincoln–Douglas style",
    (
        Segment("Affirmative constructive", 6, "pro"),
        Segment("Cross-examination (negative asks)", 3, "con"),
        Segment("Negative constructive", 7, "con"),
        Segment("Cross-examination (affirmative asks)", 3, "pro"),
        Segment("First affirmative rebuttal", 4, "pro"),
        Segment("Negative rebuttal", 6, "con"),
        Segment("Second affirmative rebuttal", 3, "pro"),
    ),
    prep_minutes_per_team=3,
    note="One against one. Each case names a value and a criterion. Sides alternate across rounds.",
    prep_teams=("Affirmative", "Negative"),
)

STRUCTURED_ACADEMIC_CONTROVERSY = Preset(
    "sac",
    "Structured Academic Controversy",
    (
        Segment("Prepare", 5, "all"),
        Segment("Presentations (pair A then pair B)", 10, "both"),
        Segment("Reverse positions (pairs switch sides)", 10, "both"),
        Segment("Consensus statement", 10, "all"),
        Segment("Report to the class", 5, "all"),
    ),
    note="Quads of two pairs. Pair A argues yes and pair B no; halfway, they switch; at the end they drop roles.",
)


def hearing(role_count: int) -> Preset:
    """Stakeholder role-play as a hearing: 2-minute openings per role, committee
    questions, 1-minute closings, a vote."""
    role_count = max(1, role_count)
    return Preset(
        "hearing",
        "Stakeholder hearing",
        (
            Segment(f"Opening statements ({role_count} × 2 min)", 2 * role_count, "all"),
            Segment("Questions from the committee", 10, "all"),
            Segment(f"Closing statements ({role_count} × 1 min)", 1 * role_count, "all"),
            Segment("Committee vote", 3, "all"),
        ),
        note="The chair calls each role in the running order. Witnesses answer the committee's questions.",
    )


def hearing_running_order(speakers: list[str]) -> Preset:
    """The hearing with one opening and one closing statement per speaking role,
    in order, as the chair calls them (the projector's timer runs each one)."""
    base = hearing(len(speakers))
    count = max(1, len(speakers))
    opening, questions, closing, vote = base.segments
    segments = [Segment(f"Opening statement: {name}", opening.minutes / count, "all") for name in speakers]
    segments.append(questions)
    segments += [Segment(f"Closing statement: {name}", closing.minutes / count, "all") for name in speakers]
    segments.append(vote)
    return Preset(base.key, base.label, tuple(segments), note=base.note)


def presets(role_count: int = 6) -> list[Preset]:
    return [PUBLIC_FORUM, LINCOLN_DOUGLAS, STRUCTURED_ACADEMIC_CONTROVERSY, hearing(role_count)]


def preset_for(fmt: str, role_count: int = 6) -> Preset:
    """The preset that fits an assignment's format."""
    if fmt == "sac":
        return STRUCTURED_ACADEMIC_CONTROVERSY
    if fmt == "roles":
        return hearing(role_count)
    return PUBLIC_FORUM


def as_json(preset: Preset) -> dict:
    """A preset as the projector's timer reads it (static/timer.js)."""
    return {
        "key": preset.key,
        "label": preset.label,
        "prep_seconds": int(round(preset.prep_minutes_per_team * 60)),
        "prep_teams": list(preset.prep_teams),
        "coin": list(preset.coin),
        "note": preset.note,
        "segments": [{"name": s.name, "seconds": int(round(s.minutes * 60)), "speaker": s.speaker} for s in preset.segments],
    }
