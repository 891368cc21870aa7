"""The report as plain data: a document of sections, each a list of blocks.

:mod:`sim.report.sections` computes a :class:`Document` once from a run's
summary and scenario; :mod:`sim.report.html` and :mod:`sim.report.markdown`
only lay it out, so both files always say the same.  Text in paragraphs and
table cells may hold inline markup, rendered by each format: ``**bold**``,
``*italic*`` and ```code``` runs.  Every other string is plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Union

from sim.report.figures import Figure

__all__ = ["Card", "Cards", "Details", "Document", "FigureRef", "Heading", "Paragraph", "Section", "Table", "Block"]


@dataclass(frozen=True)
class Heading:
    """A subheading inside a section (HTML ``h3``)."""

    kind: ClassVar[str] = "heading"  # the name the renderers (templates) know it by

    text: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph; ``text`` may hold inline markup."""

    kind: ClassVar[str] = "paragraph"

    text: str


@dataclass(frozen=True)
class Card:
    """One headline number: what it is, the number, and a note under it (its interval)."""

    label: str
    value: str
    note: str


@dataclass(frozen=True)
class Cards:
    """A row of headline numbers."""

    kind: ClassVar[str] = "cards"

    cards: list[Card]


@dataclass(frozen=True)
class Table:
    """A table of text cells; ``align`` has one letter per column, ``l`` or ``r``.

    A header of empty strings is a table without a header row (key-value
    tables) in HTML; cells may hold inline markup.
    """

    kind: ClassVar[str] = "table"

    header: list[str]
    rows: list[list[str]]
    align: str


@dataclass(frozen=True)
class FigureRef:
    """A figure where it belongs in the text, with its caption."""

    kind: ClassVar[str] = "figure"

    figure: Figure
    caption: str


@dataclass(frozen=True)
class Details:
    """A long text shown collapsed in HTML (the resolved config, TOML)."""

    kind: ClassVar[str] = "details"

    title: str
    text: str


Block = Union[Heading, Paragraph, Cards, Table, FigureRef, Details]


@dataclass(frozen=True)
class Section:
    """A numbered section: its title (``"2. Cash"``), anchor (``"cash"``) and blocks."""

    title: str
    anchor: str
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Document:
    """The whole report.

    Attributes
    ----------
    title : str
        ``"Risk report: SCENARIO"``.
    description : str or None
        The scenario's description, shown under the title.
    meta : str
        One line: paths, seed, fiscal years, cash floor, version.
    sections : list of Section
        Sections 1 to 8, and 9 with a sensitivity analysis.
    footer : str
        Where the report comes from (plain text).
    """

    title: str
    description: str | None
    meta: str
    sections: list[Section]
    footer: str
