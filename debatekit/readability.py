"""Reading-level measures for lesson readings (pure: no Flask, no database).

The curriculum promises readings at about a grade 9-10 level. We measure that
with the Flesch-Kincaid grade formula, which needs only word, sentence and
syllable counts. A small heuristic syllable counter is accurate enough for a
ceiling check (it is within one syllable on almost all English words), and it
keeps the kit free of a large NLP dependency.
"""

from __future__ import annotations

import re

_CITATION = re.compile(r"\[@[a-z0-9-]+\]")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"[#>*_`|~]+")
_WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:['’][A-Za-z]+)?|\d[\d,.]*")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n\s*\n")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


def plain_text(markdown_text: str) -> str:
    """Markdown reading -> the prose a student reads (citations and markup removed)."""
    text = _CITATION.sub("", markdown_text)
    text = _LINK.sub(r"\1", text)
    text = re.sub(r"^\s*\[TOC\]\s*$", "", text, flags=re.MULTILINE)
    # A heading is a sentence of its own for a reader.
    text = re.sub(r"^(#{1,6}\s.*)$", r"\1.", text, flags=re.MULTILINE)
    return _MARKUP.sub(" ", text)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def word_count(markdown_text: str) -> int:
    return len(words(plain_text(markdown_text)))


def count_syllables(word: str) -> int:
    word = word.lower().strip("'’")
    if not word or word[0].isdigit():
        # Numbers are read aloud as words; count them as two syllables.
        return 2
    word = re.sub(r"[^a-z]", "", word)
    if not word:
        return 1
    if len(word) <= 3:
        return 1
    # Silent endings: "-e" (make), "-es"/"-ed" after most consonants (makes, formed).
    # "-ed" is sounded after t/d (created), "-es" after s/x/z/c/g (boxes, changes).
    word = re.sub(r"(?:[^laeiouysxzcg]es|[^laeiouytd]ed|[^laeiouy]e)$", lambda m: m.group(0)[0], word)
    word = re.sub(r"^y", "", word)
    groups = _VOWEL_GROUPS.findall(word)
    # "co-op", "re-e" style hiatus: "coo"/"ee" at a prefix boundary is two syllables.
    bonus = 1 if re.match(r"^(coo|cooper|reen|reel|preex)", word) else 0
    return max(1, len(groups) + bonus)


def sentence_count(text: str) -> int:
    pieces = [p for p in _SENTENCE_END.split(text) if words(p)]
    return max(1, len(pieces))


def flesch_kincaid_grade(markdown_text: str) -> float:
    """Flesch-Kincaid grade level of a Markdown reading.

    0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59
    """
    text = plain_text(markdown_text)
    found = words(text)
    if not found:
        return 0.0
    syllables = sum(count_syllables(w) for w in found)
    sentences = sentence_count(text)
    return round(0.39 * len(found) / sentences + 11.8 * syllables / len(found) - 15.59, 1)
