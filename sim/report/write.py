"""Building and writing the report files, and everything ``sim run --out DIR`` writes.

The document is computed once (:func:`sim.report.sections.build_document`)
and laid out in each format asked for.  Every file is written through a
temporary file and a rename.  The report carries no build time, so
``sim report DIR`` rebuilds byte-identical files from the saved results.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

from sim.files import write_atomic, write_bytes_atomic
from sim.folders import folder_transaction
from sim.present.tables import write_tables
from sim.report.deal import render_deal_figures
from sim.report.figures import Figure, render_figures, render_sensitivity_figures
from sim.report.html import render_html
from sim.report.markdown import FIGURES_DIR, render_markdown
from sim.report.sections import build_document
from sim.report.sensitivity import load_sensitivity
from sim.report.workbook import REPORT_XLSX, build_workbook

__all__ = ["FORMATS", "REPORT_HTML", "REPORT_MD", "REPORT_XLSX", "build_html", "build_markdown", "parse_formats", "write_outputs",
           "write_report"]

FORMATS = ("html", "md", "xlsx")
REPORT_HTML = "report.html"
REPORT_MD = "report.md"


def parse_formats(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"html,md"`` -> ``("html", "md")``; ``"none"`` or ``""`` -> ``()``; None -> all of :data:`FORMATS`.

    Raises ValueError naming the unknown format.
    """
    if text is None:
        return FORMATS
    parts = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for part in (p.strip().lower() for p in parts):
        if part in ("", "none"):
            continue
        if part == "markdown":
            part = "md"
        if part not in FORMATS:
            raise ValueError(f"unknown format {part!r} (choose html, md, xlsx, or several: html,md,xlsx; none for no report)")
        if part not in out:
            out.append(part)
    return tuple(f for f in FORMATS if f in out)


def build_html(result, figures: list[Figure], sensitivity: dict | None = None) -> str:
    """The self-contained HTML report; section 9 with ``sensitivity`` (a ``sensitivity.json`` dict)."""
    return render_html(build_document(result, figures, sensitivity))


def build_markdown(result, figures: list[Figure], figures_dir: str = FIGURES_DIR, sensitivity: dict | None = None) -> str:
    """The Markdown report; figures are linked as ``figures_dir/STEM.png``; section 9 with ``sensitivity``."""
    return render_markdown(build_document(result, figures, sensitivity), figures_dir)


def write_report(result, folder: str | os.PathLike, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write ``report.html``, ``report.md`` (+ ``figures/*.png``) and/or ``report.xlsx`` into ``folder``.

    Parameters
    ----------
    result : Result
        A run, live or loaded (``Result.load``).
    folder : path
        Created if missing.  Section 9 (sensitivity), and the workbook's Sensitivity sheet, are there exactly
        when it holds ``sensitivity.json``.
    formats : str or iterable of str
        What :func:`parse_formats` accepts; empty writes nothing.

    Returns
    -------
    list of Path
        The files written.
    """
    formats = parse_formats(formats if isinstance(formats, str) else list(formats))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not formats:
        return []
    sensitivity = load_sensitivity(folder, result.summary.get("config_hash"))  # another config's: left out, warned
    written = []
    if "xlsx" in formats:
        written.append(build_workbook(result, folder / REPORT_XLSX, sensitivity))
    if formats == ("xlsx",):
        return written  # the workbook needs no figures
    figures = render_figures(result) + render_deal_figures(result)  # the deal's: only with summary["deal_impact"]
    if sensitivity is not None:
        figures += render_sensitivity_figures(sensitivity)
    doc = build_document(result, figures, sensitivity)
    if "md" in formats:
        figdir = folder / FIGURES_DIR
        figdir.mkdir(exist_ok=True)
        for f in figures:
            write_bytes_atomic(figdir / f.filename, f.png)
            written.append(figdir / f.filename)
        write_atomic(folder / REPORT_MD, render_markdown(doc))
        written.append(folder / REPORT_MD)
    if "html" in formats:
        write_atomic(folder / REPORT_HTML, render_html(doc))
        written.append(folder / REPORT_HTML)
    return written


def write_outputs(result, folder: str | os.PathLike, formats: Iterable[str] = FORMATS, parquet: bool | None = None,
                  sensitivity=None) -> list[Path]:
    """Everything ``sim run --out DIR`` writes: summary.json, config.toml, the tables, the report and the workbook.

    ``sensitivity`` (a :class:`sim.analysis.sensitivity.SensitivityResult`) is saved into ``folder`` too
    (``sensitivity.json``, CSVs, PNGs) before the report, which then has section 9.  Returns the files written
    (their final paths in ``folder``).

    The folder is written as one transaction (:func:`sim.folders.folder_transaction`): staged beside
    ``folder`` and swapped in whole, so an error or an interruption leaves ``folder`` as it was.  Files
    already in ``folder`` that this call does not write are kept.
    """
    final = Path(folder)
    with folder_transaction(final) as stage:
        result.save(stage)
        written = [stage / "summary.json"]
        if getattr(result, "scenario", None) is not None:
            written.append(stage / "config.toml")
        written += write_tables(result, stage, parquet=parquet)
        if sensitivity is not None:
            written += sensitivity.save(stage)
        written += write_report(result, stage, formats)
    return [final / Path(p).relative_to(stage) for p in written]
