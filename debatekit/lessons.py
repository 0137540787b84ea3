"""Lesson files: parse, validate, render and cache them (pure: no Flask).

A lesson is ``lessons/<slug>.md``: YAML front matter between two ``---``
lines, then the reading in Markdown (docs/lesson-format.md is the format).

:class:`LessonLibrary` reads a directory of such files. Each file is parsed,
validated and rendered once; on every call the library stats the files and
re-reads only those whose modification time, size or inode changed, so a
request never re-renders an unchanged lesson, and an edited file shows up on
the next request (or, for a library made with ``recheck_seconds``, as the web
app's is, at most that many seconds later). A file with errors becomes a :class:`BrokenLesson` carrying
every error found (each naming the file, the field path and what is wrong);
it never stops the other lessons from being served.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import yaml

from .readability import flesch_kincaid_grade, word_count
from .rendering import render_markdown

__all__ = [
    "ActivityStep",
    "BrokenLesson",
    "Criterion",
    "DEFAULT_RUBRIC",
    "Evidence",
    "FORMATS",
    "Lesson",
    "LessonLibrary",
    "Motion",
    "Role",
    "Side",
    "Source",
    "check_lessons",
    "parse_lesson",
]

SLUG_RE = re.compile(r"[a-z0-9-]+")
SIDE_KEYS = ("pro", "con")
ROLE_SIDES = ("pro", "con", "neutral")
#: Debate formats (DESIGN.md section 6) and whether they use sides or roles.
FORMATS = ("two-sides", "small-groups", "roles", "sac")
GUIDE_PATH = Path("guide") / "teacher-guide.md"
MIN_DURATION, MAX_DURATION = 10, 240

# [@source-id] in a reading or a brief. Anything between the brackets is
# captured, so that a malformed id is reported rather than silently shown.
CITATION_RE = re.compile(r"\[@([^\]\n]*)\]")


# --- data -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    number: int  # position in the lesson's numbered source list (1-based)
    id: str
    title: str
    publisher: str
    year: int | str
    url: str
    note: str | None = None


@dataclass(frozen=True)
class Evidence:
    point: str  # "" when the evidence item is a bare source id
    source_id: str
    source_number: int


@dataclass(frozen=True)
class Side:
    key: str
    label: str
    brief: str
    brief_html: str
    evidence: list[Evidence]


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    side: str  # pro | con | neutral
    brief: str
    brief_html: str
    evidence: list[Evidence]


@dataclass(frozen=True)
class Motion:
    id: str
    text: str
    sides: dict[str, Side]
    roles: list[Role]

    def position_keys(self, fmt: str) -> list[str]:
        """The positions students are placed in for a debate format."""
        if fmt == "roles":
            return [role.key for role in self.roles]
        if fmt in FORMATS:
            return list(SIDE_KEYS)
        raise ValueError(f"unknown debate format {fmt!r} (expected one of {', '.join(FORMATS)})")

    def position(self, key: str) -> Side | Role | None:
        if key in self.sides:
            return self.sides[key]
        for role in self.roles:
            if role.key == key:
                return role
        return None

    def position_label(self, key: str) -> str:
        """The label of a side or role; the key itself if the motion has none such."""
        found = self.position(key)
        return found.label if found is not None else key


@dataclass(frozen=True)
class ActivityStep:
    minutes: int
    step: str


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    levels: list[str]  # four descriptors, best (4) first


DEFAULT_RUBRIC: list[Criterion] = [
    Criterion(
        "claim",
        "Claim",
        [
            "4: States a precise, arguable claim that answers the motion directly and sets up the whole argument.",
            "3: States a clear claim that answers the motion.",
            "2: States a claim that is vague, only partly answers the motion, or drifts.",
            "1: No identifiable claim, or the claim does not answer the motion.",
        ],
    ),
    Criterion(
        "evidence",
        "Evidence",
        [
            "4: Uses several relevant, accurate pieces of evidence from the lesson's sources, each cited, and "
            "notes how reliable they are.",
            "3: Uses relevant, accurate evidence from the lesson's sources, cited.",
            "2: Uses little evidence, evidence that is loosely related, or evidence without a source.",
            "1: No evidence, or evidence that is inaccurate.",
        ],
    ),
    Criterion(
        "reasoning",
        "Reasoning",
        [
            "4: Explains clearly and logically how each piece of evidence supports the claim, using the "
            "lesson's concepts correctly.",
            "3: Explains how the evidence supports the claim, with minor gaps.",
            "2: Links evidence to the claim only partly; the reasoning repeats the evidence or skips steps.",
            "1: No reasoning connects the evidence to the claim.",
        ],
    ),
    Criterion(
        "rebuttal",
        "Rebuttal",
        [
            "4: States the strongest opposing argument fairly and answers it with evidence and reasoning.",
            "3: States a real opposing argument and answers it.",
            "2: Mentions an opposing view but answers it weakly or misstates it.",
            "1: No counterargument is addressed.",
        ],
    ),
]


@dataclass(frozen=True)
class Lesson:
    slug: str
    path: Path
    title: str
    summary: str
    grade_band: str
    duration_minutes: int
    order: int | None
    as_of: str | None
    objectives: list[str]
    standards: list[str]
    vocabulary: list[tuple[str, str]]  # (term, definition) in file order
    sources: list[Source]  # in number order
    motions: list[Motion]
    questions: list[str]
    activity: list[ActivityStep]
    rubric: list[Criterion]  # the lesson's own or DEFAULT_RUBRIC
    reading_markdown: str
    reading_html: str
    word_count: int
    reading_grade: float
    mtime: float

    def motion(self, motion_id: str) -> Motion | None:
        for motion in self.motions:
            if motion.id == motion_id:
                return motion
        return None

    def source(self, source_id: str) -> Source | None:
        for source in self.sources:
            if source.id == source_id:
                return source
        return None


@dataclass(frozen=True)
class BrokenLesson:
    slug: str
    path: Path
    errors: list[str]  # full messages: "lessons/x.md: field.path: what is wrong"
    title: str = ""  # the file's title when it could be read, else ""
    order: int | None = None


Entry = Union[Lesson, BrokenLesson]


# --- validation -------------------------------------------------------------------------


class _Errors:
    def __init__(self, display: str) -> None:
        self.display = display
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{self.display}: {where}: {message}" if where else f"{self.display}: {message}")


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text {shown!r}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return f"the date {value.isoformat()}"
    return type(value).__name__


def _did_you_mean(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Validator:
    """Walks the front matter, collecting every error and building the data."""

    def __init__(self, errors: _Errors) -> None:
        self.errors = errors

    def err(self, path: str, message: str) -> None:
        self.errors.add(path, message)

    def mapping(self, value: Any, path: str, fields: dict[str, bool]) -> dict[str, Any] | None:
        """A mapping with known fields ({name: required}); unknown and missing ones are errors."""
        if not isinstance(value, dict):
            self.err(path or "front matter", f"expected a mapping of fields, got {_describe(value)}")
            return None
        for key in value:
            if key not in fields:
                name = str(key)
                hint = _did_you_mean(name, list(fields))
                if not hint:
                    hint = f" (allowed: {', '.join(fields)})"
                self.err(_join(path, name), f"unknown field{hint}")
        for key, required in fields.items():
            if required and key not in value:
                self.err(_join(path, key), "missing required field")
        return value

    def text(self, value: Any, path: str, *, allow_empty: bool = False) -> str | None:
        if not isinstance(value, str):
            self.err(path, f"expected text, got {_describe(value)}")
            return None
        if not allow_empty and not value.strip():
            self.err(path, "must not be empty")
            return None
        return value.strip()

    def whole_number(self, value: Any, path: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.err(path, f"expected a whole number, got {_describe(value)}")
            return None
        return value

    def list_of(self, value: Any, path: str) -> list[Any] | None:
        if not isinstance(value, list):
            self.err(path, f"expected a list, got {_describe(value)}")
            return None
        return value

    def text_list(self, value: Any, path: str, *, at_least: int = 0) -> list[str]:
        if value is None and at_least == 0:
            return []  # "standards:" with nothing after it: an empty list
        items = self.list_of(value, path)
        if items is None:
            return []
        out = []
        for i, item in enumerate(items):
            text = self.text(item, _join(path, i))
            if text is not None:
                out.append(text)
        if len(items) < at_least:
            self.err(path, f"needs at least {at_least} item{'s' if at_least != 1 else ''}, got {len(items)}")
        return out


_TOP_FIELDS = {
    "title": True,
    "summary": True,
    "grade_band": True,
    "duration_minutes": True,
    "order": False,
    "as_of": False,
    "objectives": True,
    "standards": True,
    "vocabulary": True,
    "sources": True,
    "motions": True,
    "questions": True,
    "activity": False,
    "rubric": False,
}
_SOURCE_FIELDS = {"id": True, "title": True, "publisher": True, "year": True, "url": True, "note": False}
_MOTION_FIELDS = {"id": True, "text": True, "sides": True, "roles": False}
_SIDE_FIELDS = {"label": True, "brief": True, "evidence": True}
_ROLE_FIELDS = {"key": True, "label": True, "side": True, "brief": True, "evidence": True}
_EVIDENCE_FIELDS = {"point": True, "source": True}
_STEP_FIELDS = {"minutes": True, "step": True}
_CRITERION_FIELDS = {"key": True, "label": True, "levels": True}


@dataclass
class _RawEvidence:
    point: str
    source_id: str


def _split_front_matter(text: str, errors: _Errors) -> tuple[str, str, int] | None:
    """(yaml text, reading, line number of the reading's first line) or None."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        errors.add("line 1", "missing front matter: the file must start with a '---' line")
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() == "---":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    errors.add("front matter", "not terminated: no closing '---' line after the opening one on line 1")
    return None


def _yaml_error(exc: Exception, errors: _Errors) -> None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and mark is not None and context_mark.line != mark.line:
        context = f"{context} (started on line {context_mark.line + 2})"
    reason = f"{context}, {problem}" if context and problem and context not in problem else problem
    if mark is not None:
        # The YAML text starts on the file's line 2 (after the opening ---).
        errors.add(f"line {mark.line + 2}", f"YAML error: {reason} (column {mark.column + 1})")
    else:
        errors.add("front matter", f"YAML error: {reason}")


def _citations(markdown_text: str, first_line: int) -> list[tuple[str, int]]:
    """(source id, file line) for each [@id] in a reading, in order."""
    out = []
    for m in CITATION_RE.finditer(markdown_text):
        out.append((m.group(1).strip(), first_line + markdown_text.count("\n", 0, m.start())))
    return out


def _link_citations(markdown_text: str, numbers: dict[str, int]) -> str:
    def replace(m: re.Match[str]) -> str:
        n = numbers.get(m.group(1).strip())
        if n is None:
            return m.group(0)
        return f'<sup class="cite"><a href="#source-{n}">&#91;{n}&#93;</a></sup>'

    return CITATION_RE.sub(replace, markdown_text)


def _display_name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def parse_lesson(path: Path | str, text: str | None = None, mtime: float | None = None) -> Entry:
    """Parse, validate and render one lesson file (text given, or read from path)."""
    path = Path(path)
    display = _display_name(path)
    errors = _Errors(display)
    slug = path.stem
    if not SLUG_RE.fullmatch(slug):
        errors.add("file name", f"{slug!r} is not a valid slug (use only lowercase letters a-z, digits and hyphens)")
    if text is None:
        try:
            raw = path.read_bytes()
            mtime = path.stat().st_mtime if mtime is None else mtime
        except OSError as exc:
            errors.add("", f"cannot read the file: {exc.strerror or exc}")
            return BrokenLesson(slug, path, errors.items)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            errors.add(f"line {line}", "the file is not UTF-8 text")
            return BrokenLesson(slug, path, errors.items)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    mtime = 0.0 if mtime is None else mtime

    split = _split_front_matter(text, errors)
    if split is None:
        return BrokenLesson(slug, path, errors.items)
    front, reading, reading_line = split
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        _yaml_error(exc, errors)
        return BrokenLesson(slug, path, errors.items)
    except Exception as exc:  # e.g. ValueError for a date such as 2026-02-30
        errors.add("front matter", f"YAML error: {exc}")
        return BrokenLesson(slug, path, errors.items)
    if data is None:
        errors.add("front matter", "is empty")
        return BrokenLesson(slug, path, errors.items)

    lesson = _build(path, slug, data, reading, reading_line, mtime, errors)
    if errors.items or lesson is None:
        title = data.get("title") if isinstance(data, dict) else None
        order = data.get("order") if isinstance(data, dict) else None
        return BrokenLesson(
            slug,
            path,
            errors.items,
            title=title.strip() if isinstance(title, str) else "",
            order=order if isinstance(order, int) and not isinstance(order, bool) else None,
        )
    return lesson


def _build(
    path: Path, slug: str, data: Any, reading: str, reading_line: int, mtime: float, errors: _Errors
) -> Lesson | None:
    v = _Validator(errors)
    top = v.mapping(data, "", _TOP_FIELDS)
    if top is None:
        return None

    title = v.text(top["title"], "title") if "title" in top else None
    summary = v.text(top["summary"], "summary") if "summary" in top else None
    grade_band = v.text(top["grade_band"], "grade_band") if "grade_band" in top else None
    duration = None
    if "duration_minutes" in top:
        duration = v.whole_number(top["duration_minutes"], "duration_minutes")
        if duration is not None and not MIN_DURATION <= duration <= MAX_DURATION:
            v.err("duration_minutes", f"{duration} is outside {MIN_DURATION} to {MAX_DURATION}")
    order = None
    if "order" in top:
        order = v.whole_number(top["order"], "order")
    as_of = None
    if "as_of" in top:
        raw = top["as_of"]
        if isinstance(raw, (_dt.date, _dt.datetime)):
            as_of = raw.isoformat()  # an unquoted date: YAML reads it as a date
        else:
            as_of = v.text(raw, "as_of")
    objectives = v.text_list(top["objectives"], "objectives", at_least=1) if "objectives" in top else []
    standards = v.text_list(top["standards"], "standards") if "standards" in top else []
    questions = v.text_list(top["questions"], "questions") if "questions" in top else []

    vocabulary: list[tuple[str, str]] = []
    if "vocabulary" in top:
        raw_vocab = top["vocabulary"]
        if raw_vocab is None:
            raw_vocab = {}
        if not isinstance(raw_vocab, dict):
            v.err("vocabulary", f"expected a mapping of term: definition, got {_describe(raw_vocab)}")
        else:
            for term, definition in raw_vocab.items():
                if not isinstance(term, str):
                    v.err(f"vocabulary.{term}", f"the term must be text, got {_describe(term)} (put it in quotes)")
                    continue
                text = v.text(definition, f"vocabulary.{term}")
                if text is not None:
                    vocabulary.append((term.strip(), text))

    # Sources: collect ids first; numbering waits for the reading's citations.
    raw_sources: list[dict[str, Any]] = []
    source_ids: dict[str, int] = {}  # id -> index in sources
    if "sources" in top:
        items = v.list_of(top["sources"], "sources") or []
        for i, item in enumerate(items):
            p = f"sources[{i}]"
            src = v.mapping(item, p, _SOURCE_FIELDS)
            if src is None:
                continue
            sid = v.text(src["id"], f"{p}.id") if "id" in src else None
            if sid is not None:
                if not SLUG_RE.fullmatch(sid):
                    v.err(f"{p}.id", f"{sid!r} is not a valid source id (use only lowercase letters a-z, digits and hyphens)")
                elif sid in source_ids:
                    v.err(f"{p}.id", f"duplicate source id {sid!r} (also sources[{source_ids[sid]}])")
                else:
                    source_ids[sid] = i
            stitle = v.text(src["title"], f"{p}.title") if "title" in src else None
            publisher = v.text(src["publisher"], f"{p}.publisher") if "publisher" in src else None
            year: int | str | None = None
            if "year" in src:
                year = src["year"]
                if isinstance(year, bool) or not isinstance(year, (int, str)) or (isinstance(year, str) and not year.strip()):
                    v.err(f"{p}.year", f"expected a year (a number, or text such as 'n.d.'), got {_describe(year)}")
                    year = None
            url = v.text(src["url"], f"{p}.url") if "url" in src else None
            if url is not None and not re.match(r"https?://[^\s/]+", url, re.IGNORECASE):
                v.err(f"{p}.url", f"{url!r} is not an http or https URL")
                url = None
            note = v.text(src["note"], f"{p}.note", allow_empty=True) if "note" in src else None
            if None not in (sid, stitle, publisher, year, url) and source_ids.get(sid) == i:
                raw_sources.append(
                    {"id": sid, "title": stitle, "publisher": publisher, "year": year, "url": url, "note": note or None}
                )

    # Citations in the reading decide the numbering.
    numbers: dict[str, int] = {}
    for sid, line in _citations(reading, reading_line):
        if sid not in source_ids:
            v.err(f"reading (line {line})", f"{sid!r} is not a source of this lesson{_did_you_mean(sid, source_ids)}")
        elif sid not in numbers:
            numbers[sid] = len(numbers) + 1
    for src in raw_sources:
        if src["id"] not in numbers:
            numbers[src["id"]] = len(numbers) + 1
    # Ids defined but invalid elsewhere in the source entry still count as
    # sources for reference checks; give them numbers so nothing is dangling.
    for sid in source_ids:
        numbers.setdefault(sid, len(numbers) + 1)
    sources = sorted((Source(number=numbers[s["id"]], **s) for s in raw_sources), key=lambda s: s.number)

    def cited_html(markdown_text: str, where: str | None) -> str:
        """Rendered Markdown with [@id] linked to the source list; reports dangling ids at `where`."""
        if where is not None:
            for sid in (m.group(1).strip() for m in CITATION_RE.finditer(markdown_text)):
                if sid not in source_ids:
                    v.err(where, f"{sid!r} is not a source of this lesson{_did_you_mean(sid, source_ids)}")
        return render_markdown(_link_citations(markdown_text, numbers))

    def evidence_list(value: Any, path: str) -> list[Evidence]:
        items = v.list_of(value, path)
        out: list[Evidence] = []
        for j, item in enumerate(items or []):
            ep = f"{path}[{j}]"
            if isinstance(item, str):
                point, sid, sid_path = "", item.strip(), ep
            elif isinstance(item, dict):
                ev = v.mapping(item, ep, _EVIDENCE_FIELDS)
                point = v.text(ev["point"], f"{ep}.point") if ev and "point" in ev else None
                sid = v.text(ev["source"], f"{ep}.source") if ev and "source" in ev else None
                sid_path = f"{ep}.source"
                if point is None or sid is None:
                    continue
            else:
                v.err(ep, f"expected a source id or {{point: ..., source: ...}}, got {_describe(item)}")
                continue
            if sid not in source_ids:
                v.err(sid_path, f"{sid!r} is not a source of this lesson{_did_you_mean(sid, source_ids)}")
                continue
            out.append(Evidence(point=point, source_id=sid, source_number=numbers[sid]))
        return out

    motions: list[Motion] = []
    if "motions" in top:
        items = v.list_of(top["motions"], "motions")
        if items is not None and not items:
            v.err("motions", "needs at least one motion")
        motion_ids: dict[str, int] = {}
        for i, item in enumerate(items or []):
            p = f"motions[{i}]"
            mo = v.mapping(item, p, _MOTION_FIELDS)
            if mo is None:
                continue
            mid = v.text(mo["id"], f"{p}.id") if "id" in mo else None
            if mid is not None:
                if mid in motion_ids:
                    v.err(f"{p}.id", f"duplicate motion id {mid!r} (also motions[{motion_ids[mid]}])")
                else:
                    motion_ids[mid] = i
            mtext = v.text(mo["text"], f"{p}.text") if "text" in mo else None
            sides: dict[str, Side] = {}
            if "sides" in mo:
                raw_sides = mo["sides"]
                if not isinstance(raw_sides, dict):
                    v.err(f"{p}.sides", f"expected a mapping of sides (pro, con), got {_describe(raw_sides)}")
                else:
                    if len(raw_sides) < 2:
                        v.err(f"{p}.sides", f"a motion needs at least two sides, found {len(raw_sides)}")
                    for key in SIDE_KEYS:
                        if key not in raw_sides:
                            v.err(f"{p}.sides.{key}", "missing required side")
                    for key, raw_side in raw_sides.items():
                        sp = f"{p}.sides.{key}"
                        if not isinstance(key, str) or not key.strip():
                            v.err(sp, f"a side's key must be text, got {_describe(key)}")
                            continue
                        sd = v.mapping(raw_side, sp, _SIDE_FIELDS)
                        if sd is None:
                            continue
                        label = v.text(sd["label"], f"{sp}.label") if "label" in sd else None
                        brief = v.text(sd["brief"], f"{sp}.brief") if "brief" in sd else None
                        evidence = evidence_list(sd["evidence"], f"{sp}.evidence") if "evidence" in sd else []
                        if label is not None and brief is not None:
                            sides[key] = Side(key, label, brief, cited_html(brief, f"{sp}.brief"), evidence)
            roles: list[Role] = []
            if "roles" in mo and mo["roles"] is not None:
                role_keys: dict[str, int] = {}
                for j, raw_role in enumerate(v.list_of(mo["roles"], f"{p}.roles") or []):
                    rp = f"{p}.roles[{j}]"
                    ro = v.mapping(raw_role, rp, _ROLE_FIELDS)
                    if ro is None:
                        continue
                    rkey = v.text(ro["key"], f"{rp}.key") if "key" in ro else None
                    if rkey is not None:
                        if rkey in role_keys:
                            v.err(f"{rp}.key", f"duplicate role key {rkey!r} (also roles[{role_keys[rkey]}])")
                            rkey = None
                        else:
                            role_keys[rkey] = j
                    label = v.text(ro["label"], f"{rp}.label") if "label" in ro else None
                    side = None
                    if "side" in ro:
                        side = ro["side"]
                        if side not in ROLE_SIDES:
                            shown = repr(side) if isinstance(side, str) else _describe(side)
                            v.err(f"{rp}.side", f"{shown} is not one of pro, con, neutral")
                            side = None
                    brief = v.text(ro["brief"], f"{rp}.brief") if "brief" in ro else None
                    evidence = evidence_list(ro["evidence"], f"{rp}.evidence") if "evidence" in ro else []
                    if None not in (rkey, label, side, brief):
                        roles.append(Role(rkey, label, side, brief, cited_html(brief, f"{rp}.brief"), evidence))
            if mid is not None and mtext is not None:
                motions.append(Motion(mid, mtext, sides, roles))

    activity: list[ActivityStep] = []
    if "activity" in top and top["activity"] is not None:
        for i, item in enumerate(v.list_of(top["activity"], "activity") or []):
            p = f"activity[{i}]"
            st = v.mapping(item, p, _STEP_FIELDS)
            if st is None:
                continue
            minutes = v.whole_number(st["minutes"], f"{p}.minutes") if "minutes" in st else None
            if minutes is not None and minutes < 1:
                v.err(f"{p}.minutes", f"must be at least 1, got {minutes}")
                minutes = None
            step = v.text(st["step"], f"{p}.step") if "step" in st else None
            if minutes is not None and step is not None:
                activity.append(ActivityStep(minutes, step))

    rubric: list[Criterion] = list(DEFAULT_RUBRIC)
    if "rubric" in top and top["rubric"] is not None:
        items = v.list_of(top["rubric"], "rubric")
        if items is not None and not items:
            v.err("rubric", "needs at least one criterion (or leave it out for the default rubric)")
        own: list[Criterion] = []
        keys: dict[str, int] = {}
        for i, item in enumerate(items or []):
            p = f"rubric[{i}]"
            cr = v.mapping(item, p, _CRITERION_FIELDS)
            if cr is None:
                continue
            ckey = v.text(cr["key"], f"{p}.key") if "key" in cr else None
            if ckey is not None:
                if ckey in keys:
                    v.err(f"{p}.key", f"duplicate criterion key {ckey!r} (also rubric[{keys[ckey]}])")
                else:
                    keys[ckey] = i
            clabel = v.text(cr["label"], f"{p}.label") if "label" in cr else None
            levels = None
            if "levels" in cr:
                levels = v.text_list(cr["levels"], f"{p}.levels")
                if isinstance(cr["levels"], list) and len(cr["levels"]) != 4:
                    v.err(f"{p}.levels", f"expected exactly four levels (best first), got {len(cr['levels'])}")
            if ckey is not None and clabel is not None and levels is not None:
                own.append(Criterion(ckey, clabel, levels))
        rubric = own

    if errors.items:
        return None
    reading_html = cited_html(reading, None)  # dangling ids were reported with their line above
    assert title and summary and grade_band and duration is not None
    return Lesson(
        slug=slug,
        path=path,
        title=title,
        summary=summary,
        grade_band=grade_band,
        duration_minutes=duration,
        order=order,
        as_of=as_of,
        objectives=objectives,
        standards=standards,
        vocabulary=vocabulary,
        sources=sources,
        motions=motions,
        questions=questions,
        activity=activity,
        rubric=rubric,
        reading_markdown=reading,
        reading_html=reading_html,
        word_count=word_count(reading),
        reading_grade=flesch_kincaid_grade(reading),
        mtime=mtime,
    )


# --- the library -------------------------------------------------------------------------


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def _sort_key(entry: Entry) -> tuple[int, int, str, str]:
    order = entry.order
    title = entry.title or entry.slug
    return (0 if order is not None else 1, order if order is not None else 0, title.casefold(), entry.slug)


class LessonLibrary:
    """The lessons of one directory, parsed once and re-read when a file changes.

    Every public method first looks at the directory (one ``stat`` per file;
    at most once per ``recheck_seconds`` when that is set) and re-parses only
    files that were added or changed; removed files drop out. Safe to share
    between threads.
    """

    def __init__(self, directory: Path | str, *, recheck_seconds: float = 0.0) -> None:
        self.directory = Path(directory)
        # 0: look at the directory on every call. The web app passes 1 s: a
        # directory scan is ten stat() calls, and on a busy server each one
        # gives up Python's lock to the other threads and waits to get it back;
        # bench/run.py found a fifth of a lesson page's server time there.
        self.recheck_seconds = recheck_seconds
        self._checked_at: float | None = None  # time.monotonic() of the last scan
        self.render_count = 0  # files parsed and rendered so far (lessons and the guide)
        self._lock = threading.Lock()
        self._files: dict[str, tuple[tuple[int, int, int, int], Entry]] = {}
        self._entries: list[Entry] = []
        self._guide: tuple[tuple[int, int, int, int], str] | None = None

    # -- public API
    def entries(self) -> list[Entry]:
        """Every ``*.md`` file directly in the directory, sorted by (order, title, slug)."""
        return list(self._refresh())

    def available(self) -> list[Lesson]:
        return [e for e in self._refresh() if isinstance(e, Lesson)]

    def broken(self) -> list[BrokenLesson]:
        return [e for e in self._refresh() if isinstance(e, BrokenLesson)]

    def get(self, slug: str) -> Lesson | None:
        """The lesson with this slug, or None when there is none or it is broken."""
        for entry in self._refresh():
            if entry.slug == slug:
                return entry if isinstance(entry, Lesson) else None
        return None

    def check(self) -> list[tuple[str, list[str]]]:
        """(file name as shown, errors) for every lesson file; errors is empty when it is fine."""
        return [
            (_display_name(e.path), list(e.errors) if isinstance(e, BrokenLesson) else [])
            for e in sorted(self._refresh(), key=lambda e: e.path.name)
        ]

    def guide_html(self) -> str | None:
        """The unit's teacher guide (``guide/teacher-guide.md``) as HTML, or None."""
        path = self.directory / GUIDE_PATH
        try:
            st = path.stat()
        except OSError:
            with self._lock:
                self._guide = None
            return None
        key = _stat_key(st)
        with self._lock:
            if self._guide is not None and self._guide[0] == key:
                return self._guide[1]
            try:
                text = path.read_bytes().decode("utf-8", errors="replace")
            except OSError:
                self._guide = None
                return None
            text = text.lstrip("\ufeff").replace("\r\n", "\n")
            if text.startswith("---\n"):  # front matter is allowed and ignored
                end = text.find("\n---\n", 3)
                if end != -1:
                    text = text[end + 5 :]
            html = render_markdown(text)
            self.render_count += 1
            self._guide = (key, html)
            return html

    # -- cache
    def _scan(self) -> dict[str, tuple[Path, tuple[int, int, int, int]]]:
        found: dict[str, tuple[Path, tuple[int, int, int, int]]] = {}
        try:
            with os.scandir(self.directory) as it:
                for item in it:
                    if not item.name.endswith(".md") or item.name.startswith("."):
                        continue
                    try:
                        if not item.is_file():
                            continue
                        st = item.stat()
                    except OSError:
                        continue  # vanished, or a dangling link (an editor's lock file)
                    found[item.name] = (Path(item.path), _stat_key(st))
        except OSError:
            pass  # a missing directory is an empty library
        return found

    def _refresh(self) -> list[Entry]:
        checked = self._checked_at
        if checked is not None and self.recheck_seconds and time.monotonic() - checked < self.recheck_seconds:
            return self._entries  # replaced whole under the lock, so this read needs none
        # Scan outside the lock: threads must not queue behind each other's stat() calls.
        found = self._scan()
        with self._lock:
            changed = found.keys() != self._files.keys()
            for name, (path, key) in found.items():
                cached = self._files.get(name)
                if cached is not None and cached[0] == key:
                    continue
                entry = parse_lesson(path, mtime=key[0] / 1e9)
                self.render_count += 1
                self._files[name] = (key, entry)
                changed = True
            for name in list(self._files):
                if name not in found:
                    del self._files[name]
            if changed:
                self._entries = sorted((entry for _, entry in self._files.values()), key=_sort_key)
            self._checked_at = time.monotonic()
            return self._entries


def check_lessons(directory: Path | str) -> tuple[list[str], bool]:
    """Lines for ``flask check-lessons`` (one ``OK`` line per good file, one
    ``FAIL`` line per error) and whether every lesson is fine."""
    lines: list[str] = []
    ok = True
    for name, errors in LessonLibrary(directory).check():
        if not errors:
            lines.append(f"OK   {name}")
            continue
        ok = False
        prefix = f"{name}: "
        for error in errors:
            lines.append(f"FAIL {name}: {error[len(prefix):] if error.startswith(prefix) else error}")
    return lines, ok
