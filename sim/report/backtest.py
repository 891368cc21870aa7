"""The back-test page: one self-contained HTML file (``sim backtest --out DIR``).

``templates/backtest.html.j2`` renders the calibration summary, the PIT
histogram and, per config, its value and event scores and a fan chart of
each scored metric with the actual values marked (``sim.present.backtest``).
Figures are PNG ``data:`` URIs; the page has no scripts and no external requests.
"""

from __future__ import annotations

import io
from pathlib import Path

from sim.files import write_atomic
from sim.present.backtest import actual_text, actuals_fan, pit_histogram, scored_metrics
from sim.present.formatting import percent
from sim.present.style import FIGSIZE, style
from sim.report.figures import DPI
from sim.report.html import environment

__all__ = ["BACKTEST_FILE", "render_backtest_html", "write_backtest"]

BACKTEST_FILE = "backtest.html"


def render_png(draw, figsize: tuple[float, float], dpi: int = DPI) -> bytes:
    """PNG bytes of ``draw(ax)`` on a fresh Agg figure in the package style (no pyplot state, no varying metadata)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    with style():
        fig = MplFigure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)
        draw(fig.add_subplot())
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def render_backtest_html(runs: list[tuple[str, dict]], cal: dict, paths: int, seed: int, text: str) -> str:
    """The page's HTML.

    Parameters
    ----------
    runs : list of (str, dict)
        Config name and its run's summary (with ``backtest``).
    cal : dict
        ``sim.analysis.backtest.calibration``.
    paths, seed : int
        Of every run.
    text : str
        The terminal output (``sim.present.backtest.format_backtest``), shown verbatim at the end.
    """
    configs = []
    for name, s in runs:
        rows = s["backtest"]["actuals"]
        values = [
            {**a, "shown": {k: actual_text(a["name"], a[k]) for k in ("value", "p5", "p50", "p95")}}
            for a in rows if a["kind"] == "value"
        ]
        events = [{**a, "p_text": percent(a["p"])} for a in rows if a["kind"] == "event"]
        fans = [
            {"metric": m, "png": render_png(lambda ax, m=m, s=s: actuals_fan(s, m, ax), FIGSIZE)}
            for m in scored_metrics(s)
        ]
        configs.append({"name": name, "description": s.get("description", ""), "years": s["years"],
                        "values": values, "events": events, "fans": fans})
    hist = render_png(lambda ax: pit_histogram(cal, ax), (FIGSIZE[0] * 0.75, FIGSIZE[1] * 0.8))
    return environment().get_template("backtest.html.j2").render(
        configs=configs, cal=cal, paths=paths, seed=seed, hist=hist, text=text, percent=percent,
    )


def write_backtest(folder, runs, cal: dict, paths: int, seed: int, text: str) -> Path:
    """Write ``backtest.html`` into ``folder`` (made if missing) atomically; its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / BACKTEST_FILE
    write_atomic(target, render_backtest_html(runs, cal, paths, seed, text))
    return target
