"""debatekit.lessons: parsing, validation messages, citations and the cache."""

from __future__ import annotations

import copy
import os
import sys
import threading
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from xss_payloads import assert_inert  # noqa: E402

from debatekit.lessons import (  # noqa: E402
    DEFAULT_RUBRIC,
    ActivityStep,
    BrokenLesson,
    Criterion,
    Evidence,
    Lesson,
    LessonLibrary,
    Motion,
    Role,
    Side,
    Source,
    check_lessons,
    parse_lesson,
)

READING = """## Consent

The Charter is based on "the sovereign equality of all its Members" [@un-charter].
The Court called non-intervention a right of every state [@icj].

Remember: the side you argue is a role, not a belief.
"""


def minimal() -> dict:
    """A valid lesson's front matter, as data that tests can break."""
    return {
        "title": "Consent and Sovereignty",
        "summary": "One sentence for the catalogue.",
        "grade_band": "9-12",
        "duration_minutes": 50,
        "objectives": ["Explain what sovereign equality means."],
        "standards": ["D2.Civ.3.9-12: Analyze the impact of constitutions."],
        "vocabulary": {"sovereignty": "A state's authority over itself.", "consent": "Agreement."},
        "sources": [
            {"id": "un-charter", "title": "Charter of the United Nations", "publisher": "United Nations",
             "year": 1945, "url": "https://www.un.org/en/about-us/un-charter/full-text"},
            {"id": "icj", "title": "Nicaragua v. United States", "publisher": "ICJ", "year": 1986,
             "url": "https://www.icj-cij.org/case/70"},
        ],
        "motions": [
            {
                "id": "consent-required",
                "text": "Consent should be required.",
                "sides": {
                    "pro": {"label": "Consent is required", "brief": "The *Charter* says so [@un-charter].",
                            "evidence": [{"point": "Article 2(4).", "source": "un-charter"}, "icj"]},
                    "con": {"label": "Not always", "brief": "Self-defense exists.",
                            "evidence": [{"point": "Article 51.", "source": "un-charter"}]},
                },
            }
        ],
        "questions": ["Why might a government invite trainers?"],
    }


def lesson_text(data: dict, reading: str = READING) -> str:
    return "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True) + "---\n" + reading


@pytest.fixture
def lessons_dir(tmp_path: Path) -> Path:
    d = tmp_path / "lessons"
    d.mkdir()
    return d


def write(directory: Path, name: str, data: dict | str, reading: str = READING) -> Path:
    path = directory / name
    path.write_text(data if isinstance(data, str) else lesson_text(data, reading), encoding="utf-8")
    return path


def errors_for(lessons_dir: Path, data: dict | str, reading: str = READING, name: str = "x.md") -> list[str]:
    entry = parse_lesson(write(lessons_dir, name, data, reading))
    assert isinstance(entry, BrokenLesson), "expected the lesson to be rejected"
    return entry.errors


# --- a valid lesson ------------------------------------------------------------------------


def test_minimal_lesson_parses_into_dataclasses(lessons_dir):
    lesson = parse_lesson(write(lessons_dir, "consent.md", minimal()))
    assert isinstance(lesson, Lesson)
    assert lesson.slug == "consent"
    assert lesson.path == lessons_dir / "consent.md"
    assert lesson.title == "Consent and Sovereignty"
    assert lesson.grade_band == "9-12" and lesson.duration_minutes == 50
    assert lesson.order is None and lesson.as_of is None
    assert lesson.objectives == ["Explain what sovereign equality means."]
    assert lesson.vocabulary == [("sovereignty", "A state's authority over itself."), ("consent", "Agreement.")]
    assert lesson.sources == [
        Source(1, "un-charter", "Charter of the United Nations", "United Nations", 1945,
               "https://www.un.org/en/about-us/un-charter/full-text", None),
        Source(2, "icj", "Nicaragua v. United States", "ICJ", 1986, "https://www.icj-cij.org/case/70", None),
    ]
    (motion,) = lesson.motions
    assert isinstance(motion, Motion) and motion.id == "consent-required"
    assert list(motion.sides) == ["pro", "con"]
    pro = motion.sides["pro"]
    assert isinstance(pro, Side) and pro.key == "pro" and pro.label == "Consent is required"
    assert pro.evidence == [Evidence("Article 2(4).", "un-charter", 1), Evidence("", "icj", 2)]
    assert "<em>Charter</em>" in pro.brief_html
    assert '<sup class="cite"><a href="#source-1">[1]</a></sup>' in pro.brief_html
    assert motion.roles == []
    assert lesson.questions == ["Why might a government invite trainers?"]
    assert lesson.activity == []
    assert lesson.rubric == DEFAULT_RUBRIC
    assert lesson.reading_markdown == READING
    assert '<h2 id="consent">Consent</h2>' in lesson.reading_html
    assert lesson.word_count > 20 and 0 < lesson.reading_grade < 20
    assert lesson.mtime == pytest.approx(os.stat(lesson.path).st_mtime)
    assert lesson.motion("consent-required") is motion and lesson.motion("nope") is None
    assert lesson.source("icj").number == 2 and lesson.source("nope") is None


def test_optional_fields_roles_activity_and_rubric(lessons_dir):
    data = minimal()
    data.update(order=3, as_of="2026-03-01")
    data["motions"][0]["roles"] = [
        {"key": "senator", "label": "Senator", "side": "pro", "brief": "I vote yes [@icj].",
         "evidence": [{"point": "x", "source": "icj"}]},
        {"key": "mayor", "label": "Mayor", "side": "neutral", "brief": "My town.", "evidence": ["un-charter"]},
    ]
    data["activity"] = [{"minutes": 10, "step": "Warm-up"}, {"minutes": 40, "step": "Debate"}]
    data["rubric"] = [{"key": "claim", "label": "Claim", "levels": ["4: a", "3: b", "2: c", "1: d"]}]
    lesson = parse_lesson(write(lessons_dir, "x.md", data))
    assert isinstance(lesson, Lesson), getattr(lesson, "errors", None)
    assert lesson.order == 3 and lesson.as_of == "2026-03-01"
    motion = lesson.motions[0]
    assert motion.roles[0] == Role("senator", "Senator", "pro", "I vote yes [@icj].", motion.roles[0].brief_html,
                                   [Evidence("x", "icj", 2)])
    assert '<a href="#source-2">[2]</a>' in motion.roles[0].brief_html
    assert lesson.activity == [ActivityStep(10, "Warm-up"), ActivityStep(40, "Debate")]
    assert lesson.rubric == [Criterion("claim", "Claim", ["4: a", "3: b", "2: c", "1: d"])]
    assert motion.position_keys("two-sides") == ["pro", "con"]
    assert motion.position_keys("small-groups") == ["pro", "con"]
    assert motion.position_keys("sac") == ["pro", "con"]
    assert motion.position_keys("roles") == ["senator", "mayor"]
    with pytest.raises(ValueError):
        motion.position_keys("fishbowl")
    assert motion.position("con").label == "Not always"
    assert motion.position("mayor").side == "neutral"
    assert motion.position("nobody") is None
    assert motion.position_label("pro") == "Consent is required"
    assert motion.position_label("senator") == "Senator"
    assert motion.position_label("gone") == "gone"


def test_unquoted_date_and_text_year_are_accepted(lessons_dir):
    text = lesson_text(minimal()).replace("title: Consent", "as_of: 2026-03-01\ntitle: Consent")
    text = text.replace("year: 1986", "year: n.d.")
    lesson = parse_lesson(write(lessons_dir, "x.md", text))
    assert isinstance(lesson, Lesson), getattr(lesson, "errors", None)
    assert lesson.as_of == "2026-03-01"
    assert lesson.source("icj").year == "n.d."


def test_empty_values_for_fields_that_may_be_empty(lessons_dir):
    text = lesson_text(minimal())
    for field in ("standards", "vocabulary"):
        start = text.index(f"{field}:")
        end = text.index("\n", text.index("\n", start) + 1) if field == "standards" else text.index("sources:")
        text = text[:start] + f"{field}:\n" + text[end:].lstrip("\n")
    lesson = parse_lesson(write(lessons_dir, "x.md", text))
    assert isinstance(lesson, Lesson), getattr(lesson, "errors", None)
    assert lesson.standards == [] and lesson.vocabulary == []


def test_default_rubric():
    assert [c.key for c in DEFAULT_RUBRIC] == ["claim", "evidence", "reasoning", "rebuttal"]
    for criterion in DEFAULT_RUBRIC:
        assert criterion.label
        assert len(criterion.levels) == 4
        assert [level[:2] for level in criterion.levels] == ["4:", "3:", "2:", "1:"]
        assert all(len(level) > 20 for level in criterion.levels)


# --- citations -------------------------------------------------------------------------------


def test_sources_are_numbered_by_first_citation_then_file_order(lessons_dir):
    data = minimal()
    data["sources"] = [
        {"id": s, "title": s.upper(), "publisher": "P", "year": 2000, "url": f"https://example.com/{s}"}
        for s in ("alpha", "bravo", "charlie", "delta")
    ]
    data["motions"][0]["sides"]["pro"]["brief"] = "Brief [@delta]."
    data["motions"][0]["sides"]["pro"]["evidence"] = ["bravo"]
    data["motions"][0]["sides"]["con"]["evidence"] = [{"point": "p", "source": "delta"}]
    reading = "First [@charlie]. Then [@alpha][@charlie].\n\n| a |\n|---|\n| cell [@alpha] |\n"
    lesson = parse_lesson(write(lessons_dir, "x.md", data, reading))
    assert isinstance(lesson, Lesson), getattr(lesson, "errors", None)
    assert [(s.number, s.id) for s in lesson.sources] == [(1, "charlie"), (2, "alpha"), (3, "bravo"), (4, "delta")]
    html = lesson.reading_html
    assert html.count('<sup class="cite"><a href="#source-1">[1]</a></sup>') == 2
    assert html.count('<sup class="cite"><a href="#source-2">[2]</a></sup>') == 2
    assert "[@" not in html
    side = lesson.motions[0].sides
    assert side["pro"].evidence == [Evidence("", "bravo", 3)]
    assert side["con"].evidence == [Evidence("p", "delta", 4)]
    assert '<a href="#source-4">[4]</a>' in side["pro"].brief_html


def test_reading_html_is_sanitised(lessons_dir):
    reading = READING + '\n<script>alert(1)</script><a href="javascript:alert(1)">x</a> [l](https://example.com)\n'
    lesson = parse_lesson(write(lessons_dir, "x.md", minimal(), reading))
    assert isinstance(lesson, Lesson)
    assert_inert(lesson.reading_html)
    assert "<script" not in lesson.reading_html


# --- validation messages -------------------------------------------------------------------


def test_unknown_field_suggests_the_right_name(lessons_dir):
    data = minimal()
    data["sumary"] = data.pop("summary")
    assert errors_for(lessons_dir, data) == [
        "lessons/x.md: sumary: unknown field (did you mean 'summary'?)",
        "lessons/x.md: summary: missing required field",
    ]


def test_unknown_nested_fields(lessons_dir):
    data = minimal()
    data["motions"][0]["sides"]["pro"]["evidnce"] = data["motions"][0]["sides"]["pro"].pop("evidence")
    data["sources"][1]["colour"] = "blue"
    errors = errors_for(lessons_dir, data)
    assert "lessons/x.md: sources[1].colour: unknown field (allowed: id, title, publisher, year, url, note)" in errors
    assert "lessons/x.md: motions[0].sides.pro.evidnce: unknown field (did you mean 'evidence'?)" in errors
    assert "lessons/x.md: motions[0].sides.pro.evidence: missing required field" in errors


@pytest.mark.parametrize("field", ["title", "summary", "grade_band", "duration_minutes", "objectives",
                                   "standards", "vocabulary", "sources", "motions", "questions"])
def test_missing_required_field(lessons_dir, field):
    data = minimal()
    del data[field]
    if field == "sources":
        data["motions"][0]["sides"]["pro"]["brief"] = "No citation."
        reading = "No citations.\n"
    else:
        reading = READING
    errors = errors_for(lessons_dir, data, reading)
    assert f"lessons/x.md: {field}: missing required field" in errors


@pytest.mark.parametrize(
    "change, message",
    [
        ({"title": ["a", "b"]}, "title: expected text, got a list"),
        ({"summary": 42}, "summary: expected text, got the number 42"),
        ({"summary": "  "}, "summary: must not be empty"),
        ({"grade_band": None}, "grade_band: expected text, got nothing"),
        ({"duration_minutes": "fifty"}, "duration_minutes: expected a whole number, got text 'fifty'"),
        ({"duration_minutes": 45.5}, "duration_minutes: expected a whole number, got the number 45.5"),
        ({"duration_minutes": True}, "duration_minutes: expected a whole number, got true"),
        ({"duration_minutes": 5}, "duration_minutes: 5 is outside 10 to 240"),
        ({"order": "first"}, "order: expected a whole number, got text 'first'"),
        ({"objectives": "Explain things."}, "objectives: expected a list, got text 'Explain things.'"),
        ({"objectives": []}, "objectives: needs at least 1 item, got 0"),
        ({"objectives": ["ok", {"a": 1}]}, "objectives[1]: expected text, got a mapping"),
        ({"standards": {"a": 1}}, "standards: expected a list, got a mapping"),
        ({"vocabulary": ["a", "b"]}, "vocabulary: expected a mapping of term: definition, got a list"),
        ({"vocabulary": {"term": 3}}, "vocabulary.term: expected text, got the number 3"),
        ({"vocabulary": {1648: "Westphalia"}}, "vocabulary.1648: the term must be text, got the number 1648 (put it in quotes)"),
        ({"questions": "Why?"}, "questions: expected a list, got text 'Why?'"),
        ({"motions": []}, "motions: needs at least one motion"),
        ({"motions": {"id": "x"}}, "motions: expected a list, got a mapping"),
        ({"activity": "talk"}, "activity: expected a list, got text 'talk'"),
    ],
)
def test_wrong_types(lessons_dir, change, message):
    data = minimal()
    data.update(change)
    assert f"lessons/x.md: {message}" in errors_for(lessons_dir, data)


def test_source_fields_are_checked(lessons_dir):
    data = minimal()
    data["sources"].append({"id": "Bad Id", "title": "T", "publisher": "P", "year": True, "url": "ftp://x.org/a"})
    data["sources"].append({"id": "no-url", "title": "T", "publisher": "P", "year": 2001})
    errors = errors_for(lessons_dir, data)
    assert errors == [
        "lessons/x.md: sources[2].id: 'Bad Id' is not a valid source id (use only lowercase letters a-z, digits and hyphens)",
        "lessons/x.md: sources[2].year: expected a year (a number, or text such as 'n.d.'), got true",
        "lessons/x.md: sources[2].url: 'ftp://x.org/a' is not an http or https URL",
        "lessons/x.md: sources[3].url: missing required field",
    ]


def test_dangling_source_in_evidence(lessons_dir):
    data = minimal()
    pro = data["motions"][0]["sides"]["pro"]
    pro["evidence"].append({"point": "A third point.", "source": "un-chartr"})
    data["motions"][0]["sides"]["con"]["evidence"].append("nowhere")
    errors = errors_for(lessons_dir, data)
    assert errors == [
        "lessons/x.md: motions[0].sides.pro.evidence[2].source: 'un-chartr' is not a source of this lesson "
        "(did you mean 'un-charter'?)",
        "lessons/x.md: motions[0].sides.con.evidence[1]: 'nowhere' is not a source of this lesson",
    ]


def test_malformed_evidence_items(lessons_dir):
    data = minimal()
    data["motions"][0]["sides"]["con"]["evidence"] = [{"point": "no source"}, 7, {"source": "icj", "pont": "typo"}]
    errors = errors_for(lessons_dir, data)
    assert errors == [
        "lessons/x.md: motions[0].sides.con.evidence[0].source: missing required field",
        "lessons/x.md: motions[0].sides.con.evidence[1]: expected a source id or {point: ..., source: ...}, got the number 7",
        "lessons/x.md: motions[0].sides.con.evidence[2].pont: unknown field (did you mean 'point'?)",
        "lessons/x.md: motions[0].sides.con.evidence[2].point: missing required field",
    ]


def test_dangling_citation_in_reading_names_the_line(lessons_dir):
    reading = "Intro.\n\nA fact [@un-charter].\nAnother [@un-chartr] and [@made-up].\n"
    errors = errors_for(lessons_dir, minimal(), reading)
    # The front matter ends on the line before the reading; count from the file.
    text = (lessons_dir / "x.md").read_text()
    line = text.splitlines().index("Another [@un-chartr] and [@made-up].") + 1
    assert errors == [
        f"lessons/x.md: reading (line {line}): 'un-chartr' is not a source of this lesson (did you mean 'un-charter'?)",
        f"lessons/x.md: reading (line {line}): 'made-up' is not a source of this lesson",
    ]


def test_dangling_citation_in_a_brief(lessons_dir):
    data = minimal()
    data["motions"][0]["sides"]["con"]["brief"] = "Self-defense [@art-51]."
    assert errors_for(lessons_dir, data) == [
        "lessons/x.md: motions[0].sides.con.brief: 'art-51' is not a source of this lesson"
    ]


def test_motion_with_fewer_than_two_sides(lessons_dir):
    data = minimal()
    del data["motions"][0]["sides"]["con"]
    assert errors_for(lessons_dir, data) == [
        "lessons/x.md: motions[0].sides: a motion needs at least two sides, found 1",
        "lessons/x.md: motions[0].sides.con: missing required side",
    ]


def test_sides_must_include_pro_and_con(lessons_dir):
    data = minimal()
    sides = data["motions"][0]["sides"]
    data["motions"][0]["sides"] = {"for": sides["pro"], "against": sides["con"]}
    assert errors_for(lessons_dir, data) == [
        "lessons/x.md: motions[0].sides.pro: missing required side",
        "lessons/x.md: motions[0].sides.con: missing required side",
    ]


def test_sides_must_be_a_mapping(lessons_dir):
    data = minimal()
    data["motions"][0]["sides"] = ["pro", "con"]
    assert errors_for(lessons_dir, data) == [
        "lessons/x.md: motions[0].sides: expected a mapping of sides (pro, con), got a list"
    ]


def test_role_side_must_be_pro_con_or_neutral(lessons_dir):
    data = minimal()
    data["motions"][0]["roles"] = [
        {"key": "mayor", "label": "Mayor", "side": "against", "brief": "b", "evidence": ["icj"]},
        {"key": "ngo", "label": "NGO", "side": None, "brief": "b", "evidence": []},
    ]
    assert errors_for(lessons_dir, data) == [
        "lessons/x.md: motions[0].roles[0].side: 'against' is not one of pro, con, neutral",
        "lessons/x.md: motions[0].roles[1].side: nothing is not one of pro, con, neutral",
    ]


def test_duplicate_motion_ids_role_keys_and_source_ids(lessons_dir):
    data = minimal()
    data["sources"].append(copy.deepcopy(data["sources"][0]))
    data["motions"][0]["roles"] = [
        {"key": "mayor", "label": "Mayor", "side": "pro", "brief": "b", "evidence": ["icj"]},
        {"key": "mayor", "label": "Mayor 2", "side": "con", "brief": "b", "evidence": ["icj"]},
    ]
    data["motions"].append(copy.deepcopy(data["motions"][0]))
    errors = errors_for(lessons_dir, data)
    assert errors == [
        "lessons/x.md: sources[2].id: duplicate source id 'un-charter' (also sources[0])",
        "lessons/x.md: motions[0].roles[1].key: duplicate role key 'mayor' (also roles[0])",
        "lessons/x.md: motions[1].id: duplicate motion id 'consent-required' (also motions[0])",
        "lessons/x.md: motions[1].roles[1].key: duplicate role key 'mayor' (also roles[0])",
    ]


@pytest.mark.parametrize("name", ["Consent.md", "my lesson.md", "what_is.md", "ünï.md"])
def test_bad_slug(lessons_dir, name):
    stem = name[:-3]
    assert errors_for(lessons_dir, minimal(), name=name) == [
        f"lessons/{name}: file name: {stem!r} is not a valid slug (use only lowercase letters a-z, digits and hyphens)"
    ]


def test_missing_front_matter(lessons_dir):
    assert errors_for(lessons_dir, "# Just a reading\n\nNo front matter.\n") == [
        "lessons/x.md: line 1: missing front matter: the file must start with a '---' line"
    ]


def test_unterminated_front_matter(lessons_dir):
    text = lesson_text(minimal()).replace("\n---\n", "\n\n", 1)
    assert errors_for(lessons_dir, text) == [
        "lessons/x.md: front matter: not terminated: no closing '---' line after the opening one on line 1"
    ]


def test_empty_or_non_mapping_front_matter(lessons_dir):
    assert errors_for(lessons_dir, "---\n---\nText\n") == ["lessons/x.md: front matter: is empty"]
    assert errors_for(lessons_dir, "---\n- a\n- b\n---\nText\n") == [
        "lessons/x.md: front matter: expected a mapping of fields, got a list"
    ]


def test_yaml_error_reports_the_file_line(lessons_dir):
    text = (
        "---\n"  # line 1
        "title: Consent\n"  # line 2
        "summary: One sentence.\n"  # line 3
        "objectives:\n"  # line 4
        "  - one\n"  # line 5
        " bad: indentation: here\n"  # line 6
        "---\n"
        "Reading.\n"
    )
    (error,) = errors_for(lessons_dir, text)
    assert error.startswith("lessons/x.md: line 6: YAML error: ")


def test_yaml_error_in_a_quoted_string_line(lessons_dir):
    lines = lesson_text(minimal()).split("\n")
    i = next(n for n, line in enumerate(lines) if line.startswith("summary:"))
    lines[i] = 'summary: "an unterminated quote'
    (error,) = errors_for(lessons_dir, "\n".join(lines))
    assert error.startswith("lessons/x.md: line ")
    assert "YAML error" in error
    reported = int(error.split("line ")[1].split(":")[0])
    assert reported > i + 1  # PyYAML notices the problem after the opening quote...
    assert f"while scanning a quoted scalar (started on line {i + 1})" in error  # ...and says where it began


def test_impossible_date_is_an_error_not_a_crash(lessons_dir):
    text = lesson_text(minimal()).replace("title: Consent", "as_of: 2026-02-30\ntitle: Consent")
    (error,) = errors_for(lessons_dir, text)
    assert error.startswith("lessons/x.md: front matter: YAML error: ")
    assert "day" in error


def test_non_utf8_file(lessons_dir):
    path = lessons_dir / "x.md"
    path.write_bytes(lesson_text(minimal()).encode("utf-8") + b"\nbad \xff byte\n")
    entry = parse_lesson(path)
    assert isinstance(entry, BrokenLesson)
    (error,) = entry.errors
    assert error.startswith("lessons/x.md: line ") and error.endswith(": the file is not UTF-8 text")


def test_rubric_criterion_needs_exactly_four_levels(lessons_dir):
    data = minimal()
    data["rubric"] = [
        {"key": "claim", "label": "Claim", "levels": ["4: a", "3: b", "2: c"]},
        {"key": "claim", "label": "Claim again", "levels": "4: a"},
    ]
    assert errors_for(lessons_dir, data) == [
        "lessons/x.md: rubric[0].levels: expected exactly four levels (best first), got 3",
        "lessons/x.md: rubric[1].key: duplicate criterion key 'claim' (also rubric[0])",
        "lessons/x.md: rubric[1].levels: expected a list, got text '4: a'",
    ]


def test_activity_minutes_must_be_whole_numbers(lessons_dir):
    data = minimal()
    data["activity"] = [
        {"minutes": 7.5, "step": "a"},
        {"minutes": "5", "step": "b"},
        {"minutes": 0, "step": "c"},
        {"step": "d"},
        {"minutes": 10, "step": "ok"},
    ]
    assert errors_for(lessons_dir, data) == [
        "lessons/x.md: activity[0].minutes: expected a whole number, got the number 7.5",
        "lessons/x.md: activity[1].minutes: expected a whole number, got text '5'",
        "lessons/x.md: activity[2].minutes: must be at least 1, got 0",
        "lessons/x.md: activity[3].minutes: missing required field",
    ]


def test_all_errors_of_a_file_are_collected(lessons_dir):
    data = minimal()
    data["tittle"] = data.pop("title")
    data["duration_minutes"] = "long"
    data["motions"][0]["sides"]["pro"]["evidence"][0]["source"] = "nope"
    data["motions"][0]["roles"] = [{"key": "x", "label": "X", "side": "maybe", "brief": "b", "evidence": []}]
    data["activity"] = [{"minutes": 1.5, "step": "s"}]
    errors = errors_for(lessons_dir, data, READING + "\nMore [@ghost].\n", name="Bad_Slug.md")
    assert len(errors) == 8, errors
    assert all(e.startswith("lessons/Bad_Slug.md: ") for e in errors)
    for fragment in ("file name:", "tittle: unknown field (did you mean 'title'?)", "title: missing required field",
                     "duration_minutes: expected a whole number", "evidence[0].source: 'nope' is not a source",
                     "roles[0].side: 'maybe'", "activity[0].minutes", "'ghost' is not a source"):
        assert any(fragment in e for e in errors), fragment


def test_broken_lesson_keeps_title_and_order_when_readable(lessons_dir):
    data = minimal()
    data["order"] = 2
    data["motions"] = []
    entry = parse_lesson(write(lessons_dir, "x.md", data))
    assert isinstance(entry, BrokenLesson)
    assert entry.slug == "x" and entry.path == lessons_dir / "x.md"
    assert entry.title == "Consent and Sovereignty" and entry.order == 2


# --- the library and its cache ----------------------------------------------------------------


def numbered(order: int | None, title: str) -> dict:
    data = minimal()
    data["title"] = title
    if order is not None:
        data["order"] = order
    return data


def test_entries_sorted_by_order_then_title(lessons_dir):
    write(lessons_dir, "c.md", numbered(2, "Zeta"))
    write(lessons_dir, "a.md", numbered(None, "Alpha"))
    write(lessons_dir, "b.md", numbered(1, "Omega"))
    write(lessons_dir, "d.md", numbered(2, "Beta"))
    broken = numbered(1, "Broken")
    del broken["summary"]
    write(lessons_dir, "e.md", broken)
    (lessons_dir / "notes.txt").write_text("not a lesson")
    (lessons_dir / ".hidden.md").write_text("editor backup")
    (lessons_dir / "guide").mkdir()
    (lessons_dir / "guide" / "teacher-guide.md").write_text("# Guide")
    (lessons_dir / "folder.md").mkdir()
    lib = LessonLibrary(lessons_dir)
    assert [e.slug for e in lib.entries()] == ["e", "b", "d", "c", "a"]
    assert [e.slug for e in lib.available()] == ["b", "d", "c", "a"]
    assert [e.slug for e in lib.broken()] == ["e"]
    assert lib.get("b").title == "Omega"
    assert lib.get("e") is None  # broken
    assert lib.get("nope") is None
    assert lib.get("notes") is None and lib.get("guide") is None


def test_unchanged_lessons_are_not_rendered_again(lessons_dir):
    write(lessons_dir, "one.md", minimal())
    write(lessons_dir, "two.md", minimal())
    lib = LessonLibrary(lessons_dir)
    assert lib.render_count == 0  # lazy
    first = lib.get("one")
    assert lib.render_count == 2
    for _ in range(5):
        lib.entries()
        lib.available()
        lib.broken()
        lib.check()
        assert lib.get("one") is first  # the very same object: nothing was re-parsed
    assert lib.render_count == 2


def test_changed_file_is_rendered_again(lessons_dir):
    path = write(lessons_dir, "one.md", minimal())
    write(lessons_dir, "two.md", minimal())
    lib = LessonLibrary(lessons_dir)
    two = lib.get("two")
    assert lib.get("one").title == "Consent and Sovereignty"
    count = lib.render_count
    data = minimal()
    data["title"] = "Consent, Revised"
    path.write_text(lesson_text(data), encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert lib.get("one").title == "Consent, Revised"
    assert lib.render_count == count + 1  # only the changed file
    assert lib.get("two") is two
    assert lib.render_count == count + 1


def test_same_size_same_mtime_edit_is_seen_through_inode_or_ctime(lessons_dir):
    path = write(lessons_dir, "one.md", minimal())
    lib = LessonLibrary(lessons_dir)
    lib.entries()
    st = path.stat()
    replacement = lessons_dir / "tmp.txt"
    replacement.write_text(lesson_text(minimal()).replace("Consent and", "Consent And"), encoding="utf-8")
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(replacement, path)  # how editors save atomically
    assert lib.get("one").title == "Consent And Sovereignty"


def test_removed_file_disappears_and_new_file_appears(lessons_dir):
    write(lessons_dir, "one.md", minimal())
    gone = write(lessons_dir, "two.md", minimal())
    lib = LessonLibrary(lessons_dir)
    assert {e.slug for e in lib.entries()} == {"one", "two"}
    gone.unlink()
    assert {e.slug for e in lib.entries()} == {"one"}
    assert lib.get("two") is None
    count = lib.render_count
    write(lessons_dir, "three.md", minimal())
    assert {e.slug for e in lib.entries()} == {"one", "three"}
    assert lib.render_count == count + 1


def test_yaml_error_leaves_other_lessons_serving(lessons_dir):
    write(lessons_dir, "good.md", minimal())
    write(lessons_dir, "bad.md", "---\ntitle: Fine\nsummary: [unclosed\n---\nReading\n")
    lib = LessonLibrary(lessons_dir)
    assert lib.get("good") is not None
    assert lib.get("bad") is None
    (broken,) = lib.broken()
    assert broken.slug == "bad"
    (error,) = broken.errors
    assert error.startswith("lessons/bad.md: line ")
    assert "YAML error" in error
    line = int(error.split("line ")[1].split(":")[0])
    assert line in (3, 4, 5)


def test_a_lesson_that_breaks_and_is_fixed(lessons_dir):
    path = write(lessons_dir, "one.md", minimal())
    lib = LessonLibrary(lessons_dir)
    assert lib.get("one") is not None
    path.write_text("---\ntitle: [\n---\n", encoding="utf-8")
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 10_000_000_000))
    assert lib.get("one") is None and [b.slug for b in lib.broken()] == ["one"]
    path.write_text(lesson_text(minimal()), encoding="utf-8")
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 20_000_000_000))
    assert lib.get("one") is not None and lib.broken() == []


def test_missing_directory_is_an_empty_library(tmp_path):
    lib = LessonLibrary(tmp_path / "nowhere")
    assert lib.entries() == [] and lib.get("x") is None and lib.guide_html() is None


def test_threads_parse_each_file_once(lessons_dir):
    for i in range(6):
        write(lessons_dir, f"l{i}.md", minimal())
    lib = LessonLibrary(lessons_dir)
    barrier = threading.Barrier(12)
    seen: list[int] = []

    def work():
        barrier.wait()
        for _ in range(20):
            seen.append(len(lib.available()))

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(seen) == {6}
    assert lib.render_count == 6


def test_guide_html_is_rendered_once_and_refreshed_on_change(lessons_dir):
    lib = LessonLibrary(lessons_dir)
    assert lib.guide_html() is None
    guide = lessons_dir / "guide" / "teacher-guide.md"
    guide.parent.mkdir()
    guide.write_text("# Teacher guide\n\n<script>x</script>Run the *debate*.\n", encoding="utf-8")
    html = lib.guide_html()
    assert '<h1 id="teacher-guide">Teacher guide</h1>' in html and "<em>debate</em>" in html
    assert_inert(html)
    count = lib.render_count
    assert lib.guide_html() is html
    assert lib.render_count == count
    guide.write_text("---\ntitle: ignored\n---\n# New guide\n", encoding="utf-8")
    os.utime(guide, ns=(0, guide.stat().st_mtime_ns + 5_000_000_000))
    assert lib.guide_html() == '<h1 id="new-guide">New guide</h1>'
    assert lib.render_count == count + 1
    guide.unlink()
    assert lib.guide_html() is None


def test_check_and_check_lessons(lessons_dir):
    write(lessons_dir, "good.md", minimal())
    bad = minimal()
    del bad["title"]
    bad["duration_minutes"] = 2
    write(lessons_dir, "bad.md", bad)
    lib = LessonLibrary(lessons_dir)
    assert lib.check() == [
        ("lessons/bad.md", ["lessons/bad.md: title: missing required field",
                            "lessons/bad.md: duration_minutes: 2 is outside 10 to 240"]),
        ("lessons/good.md", []),
    ]
    lines, ok = check_lessons(lessons_dir)
    assert lines == [
        "FAIL lessons/bad.md: title: missing required field",
        "FAIL lessons/bad.md: duration_minutes: 2 is outside 10 to 240",
        "OK   lessons/good.md",
    ]
    assert ok is False
    (lessons_dir / "bad.md").unlink()
    assert check_lessons(str(lessons_dir)) == (["OK   lessons/good.md"], True)


def test_check_lessons_on_an_empty_directory(lessons_dir):
    assert check_lessons(lessons_dir) == ([], True)


# --- robustness ---------------------------------------------------------------------------


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


_PATHS = [p for p in _paths(minimal()) if p]
_YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | st.text(max_size=30)
    | st.dates(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(_PATHS), _YAML_VALUES, st.booleans())
def test_any_broken_field_gives_errors_not_exceptions(lessons_dir, path, value, delete):
    data = minimal()
    target = data
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    entry = parse_lesson(write(lessons_dir, "x.md", data))
    assert isinstance(entry, (Lesson, BrokenLesson))
    if isinstance(entry, BrokenLesson):
        assert entry.errors and all(e.startswith("lessons/x.md: ") for e in entry.errors)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_file_text_gives_a_lesson_or_errors(lessons_dir, text):
    path = lessons_dir / "x.md"
    path.write_bytes(("---\n" + text).encode("utf-8", "surrogatepass"))
    entry = parse_lesson(path)
    assert isinstance(entry, (Lesson, BrokenLesson))
