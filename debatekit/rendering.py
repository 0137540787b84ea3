"""Markdown -> safe HTML, the one way the whole app does it (pure: no Flask).

Lesson readings, side and role briefs, the teacher guide and, later, student
arguments all go through :func:`render_markdown`. Python-Markdown passes raw
HTML through untouched (it has no safe mode any more), so its output is then
sanitised with nh3 against an explicit allow-list of tags, attributes, CSS
classes and URL schemes.

Why nh3 and not bleach: bleach is deprecated (its maintainers announced the
end of development in January 2023) and it is built on html5lib, which is
also unmaintained. nh3 binds ammonia, a maintained Rust sanitiser that parses
with html5ever, the HTML5 parser of the Servo browser engine, so it sees the
markup the way a browser does (entity tricks, malformed and nested tags,
``<svg>``/``<math>`` namespaces). It works only from an allow-list and is
much faster than bleach.

Robustness: any ``str`` is accepted. NUL and other control characters are
removed and lone surrogates replaced before parsing. Python-Markdown has
quadratic corners (thousands of unmatched ``[`` or ``(`` in one paragraph,
hundreds of references to one footnote, blocks of thousands of lines); text
that would hit one is shown as escaped plain paragraphs (every word kept)
instead, so hostile input stays fast. If Markdown still fails (for example
``RecursionError`` on absurdly deep nesting) the text is shown the same way
rather than failing the page.
"""

from __future__ import annotations

import html
import logging
import re
import sys
import threading
from collections import OrderedDict

import markdown
import nh3
from markdown.extensions.toc import slugify as _toc_slugify

__all__ = ["render_markdown", "render_plain_paragraphs", "ALLOWED_TAGS", "EXTERNAL_LINK_REL"]

log = logging.getLogger(__name__)

EXTENSIONS = ["tables", "footnotes", "toc", "attr_list", "sane_lists"]

#: Every tag that may appear in rendered HTML. Anything else is removed (its
#: text is kept, except for the tags in _DROP_WITH_CONTENT).
ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr",
        "h1", "h2", "h3", "h4", "h5", "h6",
        "ul", "ol", "li", "dl", "dt", "dd",
        "em", "strong", "b", "i",
        "code", "pre", "blockquote",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
        "a", "sup", "sub", "abbr",
        "div",  # only for the footnote list and [TOC]; carries no free attributes
    }
)

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

# `class` is never a free attribute: it goes through _ALLOWED_CLASSES.
_ATTRIBUTES: dict[str, set[str]] = {
    "*": set(),  # no attribute on every tag (nh3 would otherwise allow lang and title)
    "a": {"href", "title", "id"},
    "abbr": {"title"},
    **{h: {"id"} for h in _HEADINGS},
    "li": {"id"},  # footnote definitions: id="fn:1"
    "sup": {"id"},  # footnote references: id="fnref:1"
    "ol": {"start"},  # sane_lists: a list that starts at 3
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}

_ATTRIBUTE_VALUES: dict[str, dict[str, set[str]]] = {
    "td": {"align": {"left", "center", "right"}},
    "th": {"align": {"left", "center", "right"}},
}

_ALLOWED_CLASSES: dict[str, set[str]] = {
    "div": {"footnote", "toc"},
    "a": {"footnote-ref", "footnote-backref"},
    "sup": {"cite"},  # lesson citations: <sup class="cite"><a href="#source-N">[N]</a></sup>
}

_URL_SCHEMES = {"http", "https", "mailto"}

# Removed together with everything inside them (not just the tags).
_DROP_WITH_CONTENT = {
    "script", "style", "template", "iframe", "noscript", "noembed", "noframes",
    "object", "embed", "svg", "math", "textarea", "select", "title", "xmp",
}

#: rel given to every link that leaves the site.
EXTERNAL_LINK_REL = "noopener noreferrer nofollow"

_ID_VALUE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_:.-]{0,127}")
# The lesson page numbers its source list id="source-N" and citations link
# there; rendered text must not take those ids (a heading "Source 2" would).
_RESERVED_ID = re.compile(r"source-[0-9]+")
_SMALL_NUMBER = re.compile(r"[0-9]{1,4}")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
# Browsers ignore ASCII whitespace and control characters in URLs
# ("java\tscript:"); so do we, before deciding what a URL's scheme is.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")


def _url_scheme(url: str) -> str | None:
    """The scheme a browser would see in an (already entity-decoded) URL."""
    m = _SCHEME.match(_URL_NOISE.sub("", url).lower())
    return m.group(1) if m else None


def _is_external(url: str) -> bool:
    squeezed = _URL_NOISE.sub("", url).lower().replace("\\", "/")
    return squeezed.startswith(("http:", "https:", "//"))


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr == "href":
        scheme = _url_scheme(value)
        if scheme is not None and scheme not in _URL_SCHEMES:
            return None
        return value
    if attr == "id":
        return value if _ID_VALUE.fullmatch(value) and not _RESERVED_ID.fullmatch(value) else None
    if attr in ("start", "colspan", "rowspan"):
        return value if _SMALL_NUMBER.fullmatch(value.strip()) else None
    return value


def _sanitize(html_text: str) -> str:
    return nh3.clean(
        html_text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in _ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        tag_attribute_values={t: {a: set(v) for a, v in d.items()} for t, d in _ATTRIBUTE_VALUES.items()},
        allowed_classes={t: set(c) for t, c in _ALLOWED_CLASSES.items()},
        url_schemes=set(_URL_SCHEMES),
        strip_comments=True,
        link_rel=None,  # added below, on external links only
    )


# nh3 serialises every attribute as name="value" with " < > & escaped, so an
# <a> start tag in its output always has this exact shape.
_A_TAG = re.compile(r'<a((?:\s+[^\s=>"]+="[^"]*")*)\s*>')
_HREF = re.compile(r'\shref="([^"]*)"')


def _add_rel(match: re.Match[str]) -> str:
    attrs = match.group(1)
    href = _HREF.search(attrs)
    if href and _is_external(html.unescape(href.group(1))):
        return f'<a{attrs} rel="{EXTERNAL_LINK_REL}">'
    return match.group(0)


# --- input clean-up and defusing ------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BLOCK_SPLIT = re.compile(r"\n[ \t]*\n")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\n]+)\](?!:)")

# Python-Markdown has quadratic corners: its block parser in a block's line
# count, its link parser in the number of [ or ( that never close in one
# paragraph, its raw-HTML pass in the number of unclosed tags, its footnotes
# in the number of references to one note. Text beyond these limits (never an
# ordinary reading or argument) is shown as plain paragraphs instead, which
# keeps every word and costs linear time.
MAX_BLOCK_LINES = 500
MAX_BLOCK_CHARS = 20_000
MAX_BAD_BRACKETS = 32  # [ or ( that never close, or nest deeper than 3
MAX_ANGLE_BRACKETS = 500
MAX_REFS_PER_FOOTNOTE = 50
_BRACKETS_WORTH_COUNTING = 64
_MAX_BRACKET_DEPTH = 3


def _clean_text(text: str) -> str:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = _SURROGATE.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def _bad_brackets(block: str) -> int:
    """How many [ and ( in a block never close or nest deeper than allowed."""
    bad = 0
    depth = {"[": 0, "(": 0}
    closers = {"]": "[", ")": "("}
    escaped = False
    for c in block:
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c in depth:
            if depth[c] >= _MAX_BRACKET_DEPTH:
                bad += 1
            else:
                depth[c] += 1
        elif c in closers and depth[closers[c]]:
            depth[closers[c]] -= 1
    return bad + depth["["] + depth["("]


def _too_costly(text: str) -> bool:
    """True when Python-Markdown would take more than about linear time."""
    if text.count("<") > MAX_ANGLE_BRACKETS:
        return True
    bad = 0
    for block in _BLOCK_SPLIT.split(text):
        if len(block) > MAX_BLOCK_CHARS or block.count("\n") > MAX_BLOCK_LINES:
            return True
        if block.count("[") + block.count("(") > _BRACKETS_WORTH_COUNTING:
            bad += _bad_brackets(block)
            if bad > MAX_BAD_BRACKETS:
                return True
    if text.count("[^") > MAX_REFS_PER_FOOTNOTE:
        refs: dict[str, int] = {}
        for m in _FOOTNOTE_REF.finditer(text):
            refs[m.group(1)] = refs.get(m.group(1), 0) + 1
            if refs[m.group(1)] > MAX_REFS_PER_FOOTNOTE:
                return True
    return False


# --- conversion -------------------------------------------------------------------

_local = threading.local()


def _slugify(value: str, separator: str) -> str:
    # Like the toc default, but numbers repeated headings itself: the toc
    # extension's own de-duplication is quadratic in the number of repeats.
    base = _toc_slugify(value, separator)
    if _RESERVED_ID.fullmatch(base):
        base += f"{separator}heading"
    counts: dict[str, int] = _local.slug_counts
    n = counts.get(base, 0)
    counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def _converter() -> markdown.Markdown:
    md = getattr(_local, "md", None)
    if md is None:
        md = markdown.Markdown(
            extensions=EXTENSIONS,
            extension_configs={
                "tables": {"use_align_attribute": True},  # align="", not style=""
                "toc": {"slugify": _slugify},
            },
            output_format="html",
        )
        _local.md = md
    return md


def render_plain_paragraphs(text: str) -> str:
    """Plain text -> escaped HTML: one <p> per blank-line-separated paragraph,
    <br> for single line breaks. No Markdown. Always linear and always safe."""
    text = _clean_text(text)
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text)]
    return "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
        if p.strip()
    )


# --- cache ---------------------------------------------------------------------------
#
# The same student text is rendered again and again: a submitted argument is
# immutable, and the review board shows all 35 arguments of a class (six
# Markdown fields each) every time the teacher saves a comment and the page
# reloads. Rendering them was most of the board's time: its median went from
# 168 ms to 37 ms with this cache on a 2-core machine (bench/run.py, see
# BENCHMARKS.md; the target is 50 ms). render_markdown is a pure function of
# its text, so results can be kept. The cache is least-recently-used and
# bounded by the memory its keys and values take (4 MB: the boards of 15 to 20
# classes of 35), not by entry count, so long texts cannot make the process
# grow; a text too big for 1/64 of it is not kept, and neither is a fallback.
_CACHE_BYTES = 4 * 1024 * 1024
_CACHE_MAX_ENTRY = _CACHE_BYTES // 64
_cache: OrderedDict[str, str] = OrderedDict()
_cache_bytes = 0
_cache_lock = threading.Lock()


def _cache_get(text: str) -> str | None:
    with _cache_lock:
        html_text = _cache.get(text)
        if html_text is not None:
            _cache.move_to_end(text)
        return html_text


def _cache_put(text: str, html_text: str) -> None:
    global _cache_bytes
    size = sys.getsizeof(text) + sys.getsizeof(html_text)
    if size > _CACHE_MAX_ENTRY:
        return
    with _cache_lock:
        if text in _cache:
            return
        _cache[text] = html_text
        _cache_bytes += size
        while _cache_bytes > _CACHE_BYTES:
            old_text, old_html = _cache.popitem(last=False)
            _cache_bytes -= sys.getsizeof(old_text) + sys.getsizeof(old_html)


def render_markdown(text: str) -> str:
    """Markdown (lesson text or student text) -> sanitised HTML.

    Returns a plain str; callers wrap it in ``markupsafe.Markup``. Links to
    other sites carry ``rel="noopener noreferrer nofollow"``. Recent results
    are cached (see above).
    """
    if isinstance(text, str):
        cached = _cache_get(text)
        if cached is not None:
            return cached
    key = text
    text = _clean_text(text)
    if not text.strip():
        return ""
    if _too_costly(text):
        return render_plain_paragraphs(text)
    md = _converter()
    _local.slug_counts = {}
    try:
        md.reset()
        converted = md.convert(text)
    except Exception:  # RecursionError on absurd nesting, or a Markdown bug
        log.warning("Markdown conversion failed; showing the text as plain paragraphs", exc_info=True)
        _local.md = None  # the converter may be left in a bad state
        return render_plain_paragraphs(text)
    finally:
        _local.slug_counts = {}
    result = _A_TAG.sub(_add_rel, _sanitize(converted))
    if isinstance(key, str):
        _cache_put(key, result)  # only successful conversions: a fallback is retried next time
    return result
