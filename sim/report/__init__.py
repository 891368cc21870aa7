"""The report documents of a run: HTML and Markdown, their figures, and every file ``--out`` writes.

The HTML opens offline (figures as PNG ``data:`` URIs, inline style, no
scripts); the Markdown links the same PNGs in ``figures/``.  Both are laid out
from one :class:`~sim.report.blocks.Document` built from ``Result.summary`` and
the resolved scenario only, so ``sim report DIR`` rebuilds byte-identical files.

Sections: 1 headline, 2 cash, 3 breaches, 4 margins, 5 the commitment,
6 revenue and value at risk, 7 inputs, 8 provenance, and 9 sensitivity
whenever the folder holds a ``sensitivity.json`` (``sim run --sensitivity``,
or ``sim sensitivity --out`` into the run's folder), never otherwise.

Modules: ``sections`` (the content, as plain data of ``blocks``), ``inputs``
(section 7), ``sensitivity`` (section 9), ``figures``, ``html`` (Jinja2
templates in ``templates/``), ``markdown``, ``write``; ``workbook`` writes
``report.xlsx`` (the Excel workbook: XlsxWriter tables and native charts, with
``workbook_sheets`` and ``workbook_style``).

>>> import sim, sim.report
>>> r = sim.run("pinterest_aws_2031", paths=100_000)                 # doctest: +SKIP
>>> sim.report.write_outputs(r, "out/")                              # doctest: +SKIP
"""

from sim.report.figures import Figure, render_figures, render_sensitivity_figures
from sim.report.markdown import FIGURES_DIR
from sim.report.sensitivity import SENSITIVITY_FILE, load_sensitivity
from sim.report.workbook import build_workbook
from sim.report.write import (
    FORMATS,
    REPORT_HTML,
    REPORT_MD,
    REPORT_XLSX,
    build_html,
    build_markdown,
    parse_formats,
    write_outputs,
    write_report,
)

__all__ = [
    "FIGURES_DIR",
    "FORMATS",
    "REPORT_HTML",
    "REPORT_MD",
    "REPORT_XLSX",
    "SENSITIVITY_FILE",
    "Figure",
    "build_html",
    "build_markdown",
    "build_workbook",
    "load_sensitivity",
    "parse_formats",
    "render_figures",
    "render_sensitivity_figures",
    "write_outputs",
    "write_report",
]
