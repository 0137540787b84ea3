"""debatekit.rendering: Markdown features survive, everything else is inert."""

from __future__ import annotations

import re
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from xss_payloads import PAYLOADS, assert_inert, find_problems  # noqa: E402

from debatekit.rendering import ALLOWED_TAGS, render_markdown, render_plain_paragraphs  # noqa: E402


class _Collect(HTMLParser):
    """Start tags of a fragment as (tag, attrs dict)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Collect:
    c = _Collect()
    c.feed(html)
    c.close()
    return c


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    return parse(html).tags


def text_of(html: str) -> str:
    return "".join(parse(html).text)


def links(html: str) -> dict[str, dict[str, str | None]]:
    return {a["href"]: a for tag, a in tags_of(html) if tag == "a" and "href" in a}


# --- the payload corpus ---------------------------------------------------------------


def test_corpus_is_large_and_varied():
    assert len(PAYLOADS) >= 40
    assert len(set(PAYLOADS)) == len(PAYLOADS)
    joined = "\n".join(PAYLOADS).lower()
    for needle in ("<script", "onerror", "javascript:", "data:", "vbscript:", "<svg", "<math", "<!--",
                   "cdata", "srcdoc", "http-equiv", "<base", "<form", "style=", "{:", "](javascript:"):
        assert needle in joined, needle


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        "<p onclick=alert(1)>x</p>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="java&#x09;script:alert(1)">x</a>',
        '<a href=" &#x6A;avascript:alert(1)">x</a>',
        '<a href="DATA:text/html,x">x</a>',
        '<a href="vbscript:x">x</a>',
        "<svg><g></g></svg>",
        "<math></math>",
        '<p style="color:red">x</p>',
        '<iframe srcdoc="x"></iframe>',
        '<meta http-equiv="refresh" content="0">',
        '<base href="https://evil.example/">',
        '<form action="/x"></form>',
        '<link rel="stylesheet" href="/x.css">',
        '<button formaction="javascript:alert(1)">x</button>',
        '<a href="https://example.com">no rel</a>',
        '<a href="//evil.example" rel="noopener">half rel</a>',
        '<svg><a xlink:href="javascript:alert(1)">x</a></svg>',
    ],
)
def test_assert_inert_catches_unsafe_html(html):
    with pytest.raises(AssertionError):
        assert_inert(html)


def test_assert_inert_accepts_safe_html():
    assert_inert(
        '<p>Hi <a href="#source-1">[1]</a> <a href="/lessons/x">x</a> '
        '<a href="mailto:t@example.com">mail</a> '
        '<a href="https://example.com" rel="noopener noreferrer nofollow">out</a></p>'
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; is text</p>"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_inert(payload):
    out = render_markdown(payload)
    assert_inert(out)
    assert "<!--" not in out
    for tag, _ in tags_of(out):
        assert tag in ALLOWED_TAGS, tag


@pytest.mark.parametrize("wrap", ["- {}", "> {}", "| a |\n|---|\n| {} |", "# {}", "*{}*", "[{}](#x)", "1. x\n\n    {}"])
def test_payloads_inert_inside_markdown_constructs(wrap):
    for payload in PAYLOADS:
        out = render_markdown(wrap.format(payload))
        assert not find_problems(out), (payload, out)


def test_only_allowed_classes_and_attributes_survive():
    out = render_markdown(
        '<div class="footnote hidden" id="x" title="t">a</div>\n\n'
        '<p class="cite" lang="en" dir="rtl">b <sup class="evil cite" data-x="1">1</sup> '
        '<span class="cite">c</span> <a class="footnote-ref btn" href="#q" target="_blank">d</a></p>'
    )
    tags = tags_of(out)
    assert ("div", {"class": "footnote"}) in tags
    assert ("p", {}) in tags
    assert ("sup", {"class": "cite"}) in tags
    assert ("a", {"class": "footnote-ref", "href": "#q"}) in tags
    assert "span" not in {t for t, _ in tags}


# --- Markdown features -----------------------------------------------------------------


def test_tables_with_alignment_attribute_not_style():
    out = render_markdown("| Claim | Verdict |\n|:---|---:|\n| a | **b** |\n")
    tags = tags_of(out)
    assert [t for t, _ in tags].count("table") == 1
    assert ("th", {"align": "left"}) in tags and ("td", {"align": "right"}) in tags
    assert "<strong>b</strong>" in out
    assert "style" not in out


def test_footnotes_keep_their_links_and_ids():
    out = render_markdown("A claim.[^1]\n\n[^1]: The note.\n")
    tags = tags_of(out)
    assert ("sup", {"id": "fnref:1"}) in tags
    assert ("a", {"class": "footnote-ref", "href": "#fn:1"}) in tags
    assert ("div", {"class": "footnote"}) in tags
    assert ("li", {"id": "fn:1"}) in tags
    assert any(t == "a" and a.get("class") == "footnote-backref" and a.get("href") == "#fnref:1" for t, a in tags)
    assert "The note." in out


def test_toc_and_heading_ids():
    out = render_markdown("[TOC]\n\n# The Charter\n\n## Article 2(4)\n\n## Article 2(4)\n\n### Custom {: #my-id }\n")
    tags = tags_of(out)
    assert ("div", {"class": "toc"}) in tags
    assert ("h1", {"id": "the-charter"}) in tags
    assert ("h2", {"id": "article-24"}) in tags
    assert ("h2", {"id": "article-24_1"}) in tags
    assert ("h3", {"id": "my-id"}) in tags
    assert {"#the-charter", "#article-24", "#article-24_1", "#my-id"} <= set(links(out))


def test_source_ids_are_left_to_the_lesson_page():
    out = render_markdown("[TOC]\n\n## Source 2\n\n## Other {: #source-3 }\n")
    ids = [a.get("id") for t, a in tags_of(out) if t == "h2"]
    assert ids == ["source-2-heading", None]
    assert "#source-2-heading" in links(out)


def test_many_repeated_headings_get_unique_ids_quickly():
    start = time.perf_counter()
    out = render_markdown("## Same\n\n" * 3000)
    assert time.perf_counter() - start < 10
    ids = [a["id"] for t, a in tags_of(out) if t == "h2"]
    assert len(ids) == 3000 and len(set(ids)) == 3000


def test_lists_emphasis_code_quotes_and_more():
    out = render_markdown(
        "Some *em*, **strong**, `code` and H~2~O.\n\n"
        "3. three\n4. four\n\n"
        "- a\n- b\n\n"
        "> quoted\n\n"
        "    indented code <b>\n\n"
        "---\n\n"
        "line one  \nline two\n\n"
        "<dl><dt>Term</dt><dd>Definition</dd></dl>\n\n"
        '<p>x<sub>2</sub> <abbr title="United Nations">UN</abbr></p>\n'
    )
    tags = [t for t, _ in tags_of(out)]
    for tag in ("em", "strong", "code", "ol", "ul", "li", "blockquote", "pre", "hr", "br", "dl", "dt", "dd", "sub", "abbr"):
        assert tag in tags, tag
    assert ("ol", {"start": "3"}) in tags_of(out)
    assert "indented code &lt;b&gt;" in out
    assert ("abbr", {"title": "United Nations"}) in tags_of(out)


def test_external_links_get_rel_local_links_do_not():
    out = render_markdown(
        "[UN](https://www.un.org/en/about-us/un-charter) [http](HTTP://example.com/a?b=1&c=2) "
        "[pr](//example.org/x) [frag](#source-2) [page](/lessons/what-is-sovereignty) "
        "[rel](guide/teacher-guide) [mail](mailto:teacher@example.com) <https://auto.example/>"
    )
    found = links(out)
    rel = "noopener noreferrer nofollow"
    assert found["https://www.un.org/en/about-us/un-charter"]["rel"] == rel
    assert found["HTTP://example.com/a?b=1&c=2"]["rel"] == rel
    assert found["//example.org/x"]["rel"] == rel
    assert found["https://auto.example/"]["rel"] == rel
    for local in ("#source-2", "/lessons/what-is-sovereignty", "guide/teacher-guide", "mailto:teacher@example.com"):
        assert "rel" not in found[local], local
    assert_inert(out)


def test_author_rel_and_target_are_replaced():
    out = render_markdown('<a href="https://example.com" rel="opener" target="_blank">x</a>')
    (a,) = [a for t, a in tags_of(out) if t == "a"]
    assert a == {"href": "https://example.com", "rel": "noopener noreferrer nofollow"}


def test_citation_markup_survives_exactly():
    cite = '<sup class="cite"><a href="#source-3">[3]</a></sup>'
    out = render_markdown(f"A fact.{cite}")
    assert cite in out


def test_images_are_dropped():
    out = render_markdown("![map](https://example.com/map.png) <img src=/x.png alt=x>")
    assert "img" not in {t for t, _ in tags_of(out)}


def test_unsafe_links_lose_href_but_keep_text():
    out = render_markdown("[click me](javascript:alert(1)) and [ok](https://example.com)")
    assert "click me" in text_of(out)
    assert set(links(out)) == {"https://example.com"}


def test_text_is_escaped_not_dropped():
    out = render_markdown("5 < 6 & 7 > 3, and 'quotes' \"too\"")
    assert text_of(out).strip() == "5 < 6 & 7 > 3, and 'quotes' \"too\""


# --- robustness ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n  ",
        "a\x00b",
        "\x00" * 100,
        "lone \ud800 surrogate \udfff here",
        "pair \ud83d\ude00 split",
        "ctrl \x01\x02\x03\x07\x08\x0b\x0c\x1b\x7f chars",
        "\x02wzxhzdk:0\x03 markdown's own placeholder",
        "cr\rlf\r\nnl\n",
        "\ufeffBOM and \u2028 line sep \u202e rtl \ufffe nonchar",
        "[" * 10 + "]" * 3,
    ],
)
def test_odd_strings_do_not_crash(text):
    out = render_markdown(text)
    assert isinstance(out, str)
    assert "\x00" not in out
    out.encode("utf-8")  # no lone surrogates left
    assert_inert(out)


def test_nul_is_removed_and_words_kept():
    assert text_of(render_markdown("sov\x00ereignty")).strip() == "sovereignty"
    assert "\ufffd" in render_markdown("bad \ud800 char")


def test_none_renders_as_empty():
    assert render_markdown(None) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "[a](" * 25_000,
        "![" * 50_000,
        "(" * 100_000,
        "<a " * 40_000,
        "<div>" * 20_000,
        "[^1]" * 25_000 + "\n\n[^1]: note",
        "# a\n" * 25_000,
        "---\n" * 25_000,
        "a\n=\n" * 25_000,
        ">" * 100_000 + " deep",
        "".join("  " * i + "- x\n" for i in range(2_000)),
        ("- a\n" * 499 + "\n") * 50,
        ("[x](https://example.com) " * 700 + "\n\n") * 6,
        "word " * 100_000,
        ("*a* " * 4_000 + "\n\n") * 6,
    ],
    ids=lambda t: repr(t[:12]) + f"x{len(t)}",
)
def test_pathological_input_renders_fast(text):
    start = time.perf_counter()
    out = render_markdown(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 10, f"{elapsed:.1f}s"
    assert_inert(out)


def test_costly_text_falls_back_to_plain_paragraphs_keeping_every_word():
    text = "Keep *this* <b>text</b>.\n\n" + "[" * 5_000 + "\n\nlast words"
    out = render_markdown(text)
    assert out == render_plain_paragraphs(text)
    assert "Keep *this* &lt;b&gt;text&lt;/b&gt;." in out and "last words" in out


def test_recursion_error_falls_back(monkeypatch):
    import debatekit.rendering as rendering

    class Boom:
        def reset(self):
            pass

        def convert(self, text):
            raise RecursionError("too deep")

    monkeypatch.setattr(rendering, "_converter", lambda: Boom())
    assert rendering.render_markdown("a <b>\n\nc") == "<p>a &lt;b&gt;</p>\n<p>c</p>"


def test_plain_paragraphs():
    assert render_plain_paragraphs("a\nb <i>\n\n\nc\x00") == "<p>a<br>\nb &lt;i&gt;</p>\n<p>c</p>"
    assert render_plain_paragraphs("") == ""


def test_threads_render_the_same():
    texts = [f"# Title {i}\n\nText[^1] with [link](https://example.com/{i}).\n\n[^1]: Note {i}." for i in range(40)]
    expected = [render_markdown(t) for t in texts]
    results: dict[int, list[str]] = {}

    def work(n):
        results[n] = [render_markdown(t) for t in texts]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results.values())


_MD_ALPHABET = st.sampled_from(
    list("ab <>/\"'=`[]()!#*_-:|{}.\\&;\n\t")
    + ["javascript:", "data:", "on", "script", "svg", "href", "src", "style", "&#", "[^1]", "{:", "\x00", "\ud800"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_MD_ALPHABET, max_size=80).map("".join))
def test_fuzz_markdownish_input_is_inert(text):
    out = render_markdown(text)
    out.encode("utf-8")
    assert_inert(out)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=200))
def test_fuzz_any_string_does_not_crash(text):
    out = render_markdown(text)
    out.encode("utf-8")
    assert not re.search(r"<(script|style|iframe)", out)
