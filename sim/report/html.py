"""The HTML report: a :class:`~sim.report.blocks.Document` through the Jinja2 templates in ``templates/``.

``report.html.j2`` is the page (with ``report.css`` inline), ``blocks.html.j2``
one macro per kind of block.  Autoescaping is on: every string of the
document is text, and only the ``inline`` filter turns its ``**bold**``,
``*italic*`` and ```code``` runs into tags, after escaping.  The page is
self-contained: inline style, figures as PNG ``data:`` URIs, no scripts.
"""

from __future__ import annotations

import base64
import functools
import html
import re

import jinja2
from markupsafe import Markup

from sim.report.blocks import Document
from sim.report.figures import DPI

__all__ = ["environment", "inline_html", "render_html"]

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")


def inline_html(text: str) -> Markup:
    """Escape ``text``, then render its ``**bold**``, ``*italic*`` and ```code``` runs as tags."""
    t = html.escape(text, quote=False)
    t = _BOLD.sub(r"<strong>\1</strong>", t)
    t = _ITALIC.sub(r"<em>\1</em>", t)
    return Markup(_CODE.sub(r"<code>\1</code>", t))


def _css_px(pixels: int) -> int:
    """A figure's size in CSS px: 100 per figure inch (720 px wide), so the PNG is sharp on dense screens and in print."""
    return round(pixels * 100 / DPI)


@functools.cache
def environment() -> jinja2.Environment:
    """The templates' environment (package data ``sim/report/templates``), made once."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sim.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(inline=inline_html, css_px=_css_px, base64=lambda b: base64.b64encode(b).decode("ascii"))
    return env


def render_html(doc: Document) -> str:
    """The self-contained HTML page of ``doc``."""
    return environment().get_template("report.html.j2").render(doc=doc)
