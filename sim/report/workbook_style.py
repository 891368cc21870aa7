"""The look of the Excel workbook: number formats, the sheet layout and cell writing (used by ``workbook*``).

Every sheet has a title (row 1), a note (row 2) and its table's header on row 4
(:data:`HEADER_ROW`, 0-based 3), frozen, repeated on printed pages, and printed
landscape one page wide.  Cells take a *kind* naming their format: ``MONEY``
(USD millions), ``PERCENT`` (a probability), ``"margin"`` (an operating margin),
``"share"`` (a rough share, whole percent), ``"int"`` (a year), ``"count"``, ``"number"``, ``"rho"``
(a correlation), ``"index"`` (a Sobol index), ``"left"``/``"right"``/``"indent"`` (text); ``KIND<`` is
``KIND`` left-aligned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["HEADER_ROW", "MARGIN_FORMAT", "MONEY", "MONEY_FORMAT", "NUMBER_FORMAT", "PERCENT", "PERCENT_FORMAT", "Book"]

HEADER_ROW = 3
MONEY = "money"
PERCENT = "percent"
MONEY_FORMAT = '$#,##0.0"M"'  # USD millions: $2,471.5M, -$1,586.3M
PERCENT_FORMAT = "0.00%"
MARGIN_FORMAT = "0.0%"
NUMBER_FORMAT = "#,##0.0###"

_NUM_FORMATS = {
    MONEY: MONEY_FORMAT,
    PERCENT: PERCENT_FORMAT,
    "margin": MARGIN_FORMAT,
    "share": "0%",
    "int": "0",
    "count": "#,##0",
    "number": NUMBER_FORMAT,
    "rho": "+0.000;-0.000;0.000",
    "index": "0.000",
}


class Book:
    """An XlsxWriter workbook with the formats every sheet shares.

    Parameters
    ----------
    wb : xlsxwriter.Workbook
    """

    def __init__(self, wb):
        self.wb = wb
        self.fmt = {kind: wb.add_format({"num_format": code}) for kind, code in _NUM_FORMATS.items()}
        # "KIND<": the same, left-aligned, for label/value lists whose values sit under one another
        self.fmt.update({f"{kind}<": wb.add_format({"num_format": code, "align": "left"})
                         for kind, code in _NUM_FORMATS.items()})
        self.fmt["left"] = wb.add_format({"align": "left"})
        self.fmt["indent"] = wb.add_format({"align": "left", "indent": 1})
        self.fmt["right"] = wb.add_format({"align": "right"})
        self.fmt["title"] = wb.add_format({"bold": True, "font_size": 14})
        self.fmt["note"] = wb.add_format({"italic": True, "font_color": "#555555"})
        self.fmt["warn"] = wb.add_format({"italic": True, "font_color": "#B04000"})
        self.fmt["bold"] = wb.add_format({"bold": True})
        head = {"bold": True, "bg_color": "#E8EEF4", "bottom": 1, "text_wrap": True, "valign": "bottom"}
        self.fmt["header"] = wb.add_format(head)
        self.fmt["header_r"] = wb.add_format({**head, "align": "right"})
        self.fmt["header_i"] = wb.add_format({**head, "align": "left", "indent": 1})

    def sheet(self, name: str, title: str, note: str, header: Sequence[str], widths: Sequence[float],
              freeze_cols: int = 1, align: str | None = None):
        """A new worksheet with its title, note, header row (frozen), column widths and page setup.

        ``align``: one letter per header label, ``l``, ``r`` or ``i`` (left, indented: over ``"indent"``
        text beside numbers); default: the first left, the rest right, over numbers.
        """
        ws = self.wb.add_worksheet(name)
        ws.write_string(0, 0, title, self.fmt["title"])
        ws.write_string(1, 0, note, self.fmt["note"])
        self.header(ws, HEADER_ROW, header, align=align)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        ws.freeze_panes(HEADER_ROW + 1, freeze_cols)
        ws.repeat_rows(HEADER_ROW)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        return ws

    def header(self, ws, row: int, labels: Sequence[str], col: int = 0, align: str | None = None) -> None:
        """A header row of bold, shaded, wrapped labels, aligned as ``align`` says (see :meth:`sheet`)."""
        align = align or "l" + "r" * (len(labels) - 1)
        for j, label in enumerate(labels):
            ws.write_string(row, col + j, label, self.fmt[{"r": "header_r", "i": "header_i"}.get(align[j], "header")])

    def put(self, ws, row: int, col: int, value, kind: str | None = None) -> None:
        """One cell: numbers (bools as yes/no text) in ``kind``'s format; None and non-finite numbers blank."""
        fmt = self.fmt.get(kind) if kind else None
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            ws.write_string(row, col, "yes" if value else "no", self.fmt["right"])
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, value, fmt)
        else:
            ws.write_string(row, col, str(value), fmt)

    def row(self, ws, row: int, values: Sequence, kinds: Sequence[str | None], col: int = 0) -> None:
        """A row of cells from ``col``: ``values[j]`` in format ``kinds[j]``."""
        for j, (value, kind) in enumerate(zip(values, kinds)):
            self.put(ws, row, col + j, value, kind)
