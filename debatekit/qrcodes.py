"""QR codes for printouts, as inline SVG (pure: segno only, no Flask).

Printed QR codes point students at the kit (the class's sign-in page on login
cards, a lesson page on a lesson handout). They are drawn as inline SVG
markup, so a printout loads nothing from another site, needs no image file,
and stays sharp at any print resolution. The Content-Security-Policy
(``style-src 'self'``) forbids style attributes; segno's SVG uses only
presentation attributes (``stroke``), which the policy allows.

``payload(url)`` is exactly the text a phone reads from the code, so tests can
check what a code encodes without decoding an image.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import segno
from markupsafe import Markup

__all__ = ["payload", "make", "svg", "svg_markup"]

#: Error correction: "M" recovers about 15% damage (a fold or a pen mark on a
#: card). segno raises the level on its own when that costs no extra size.
ERROR_LEVEL = "m"
#: Quiet zone in modules. The QR standard asks for 4; cards give the code a
#: white margin of their own, so 2 keeps the code larger in the same space and
#: scans reliably with phone cameras.
BORDER = 2


def payload(url: str) -> str:
    """The text a QR code encodes for ``url``: the absolute http(s) address, trimmed.

    Raises ValueError for anything else, so a code can never send a phone to a
    relative path, a ``javascript:`` URL or an empty string.
    """
    if not isinstance(url, str):
        raise ValueError("a QR code needs the address as text")
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"a QR code needs an absolute http(s) address, got {text!r}")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in text):
        raise ValueError("a QR code address must not contain spaces or control characters")
    return text


def make(url: str) -> segno.QRCode:
    """The segno QR code for ``url`` (see :func:`payload`)."""
    return segno.make(payload(url), error=ERROR_LEVEL, micro=False)


def svg(url: str, title: str | None = None, *, css_class: str = "qr") -> str:
    """Inline SVG markup of a QR code for ``url``, with a ``<title>`` naming it.

    The SVG has a viewBox and no width or height, so CSS sizes it; it is
    marked ``role="img"`` so assistive technology reads the title as its name.
    """
    code = make(url)
    label = title if title is not None else f"QR code for {payload(url)}"
    markup = code.svg_inline(
        scale=1,
        border=BORDER,
        omitsize=True,
        svgclass=css_class or None,
        lineclass=None,
        title=label,  # segno escapes it
        dark="#000",
    )
    # segno writes `<svg viewBox=...`; add the accessibility attributes.
    return markup.replace("<svg ", '<svg role="img" focusable="false" ', 1)


def svg_markup(url: str, title: str | None = None, *, css_class: str = "qr") -> Markup:
    """:func:`svg` marked safe for a Jinja template (the markup is built by segno,
    and the only text in it, the title, is escaped)."""
    return Markup(svg(url, title, css_class=css_class))
