"""The report's figures: rendered once as PNG bytes, with their captions.

The HTML embeds the bytes as ``data:`` URIs and the Markdown links the same
bytes written to ``figures/STEM.png``.  Rendering uses matplotlib's Agg
canvas directly (no pyplot state) and writes no PNG metadata that changes
between runs, so a rebuilt report is byte-identical.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from sim.present import input_plots, plots
from sim.present.formatting import money

__all__ = ["DPI", "Figure", "caption", "contract_stems", "render_figures", "render_input_figures",
           "render_sensitivity_figures"]

DPI = 144  # pixels per figure inch: sharp on high-density screens and in print


@dataclass(frozen=True)
class Figure:
    """A rendered figure.

    Attributes
    ----------
    stem : str
        File name without ``.png`` (``"cash_fan"``).
    section : int
        The report section it belongs to.
    title : str
        The axes' title (the image's alt text).
    png : bytes
        The PNG file.
    width, height : int
        Size in pixels (at :data:`DPI`).
    """

    stem: str
    section: int
    title: str
    png: bytes
    width: int
    height: int

    @property
    def filename(self) -> str:
        return f"{self.stem}.png"


_DEBT_NOTE = " Dotted purple lines mark debt maturities."

_CAPTIONS = {
    "cash_fan": "Cash at each step's end across simulated paths: shaded bands hold the middle 90% and 50% of paths; "
    "the solid line is the median path value, the dashed black line the central case, the dashed red line the cash floor.",
    "min_cash_histogram": "Each path's lowest cash over the horizon, on a log scale so that the breach tail shows beside "
    "the bulk of the paths. The red part lies below the floor: those paths breach. "
    "The end bins also hold the paths beyond P0.1 and P99.9.",
    "breach_probability": "Share of paths whose cash has fallen below the floor at least once by the end of each fiscal year, "
    "with its 95% Wilson interval.",
    "first_breach_time": "When breaching paths first cross the floor (share of all paths per step, 95% Wilson intervals).",
    "margin_fan": "Operating margin (operating income over revenue) per fiscal year; a year is compressed when its margin "
    "falls below the dashed red threshold.",
    "profit_probabilities": "Probability of profit compression, of a net loss and of net income below the base year, per "
    "fiscal year, with 95% Wilson bands.",
    "commitment_usage": "Cloud usage that counts against the commitment (the bill after silicon savings and the committed "
    "discount, before any shortfall) against each year's minimum.",
    "shortfall_distribution": "Shortfall paid for unused commitment per fiscal year (zero on paths that meet the minimum).",
    "cloud_bill_bridge": "Mean cloud bill over the horizon against the base-year bill repeated every year, split into usage "
    "growth, price changes, silicon savings, the commitment discount and shortfall payments.",
    "revenue_fan": "Revenue per fiscal year: bands hold the middle 90% and 50% of paths.",
    "cfar_ear": "Cash flow at risk (CFaR) and earnings at risk (EaR) at 95%, CorporateMetrics convention: the expected "
    "value minus the 5th percentile, per fiscal year.",
    "sensitivity_tornado": "The metric with one input held at a low and at a high percentile while every other input keeps "
    "its distribution, on common random numbers; bars start at the baseline (every input random) and are sorted by swing, "
    "whiskers are 95% intervals of each end. Labels give the values held (yes/no outcomes: never / always).",
    "sensitivity_spider": "The metric as each input (the largest swings) is held at each of its percentiles while every "
    "other input keeps its distribution, with 95% bands; yes/no outcomes step where they turn from never to always.",
    "input_distributions": "What each path draws for every uncertain input: the darker part holds the middle 90% "
    "(P5\u2013P95), the black line is the median; the outer 1% is left out.",
}


_CONTRACT_CAPTION = ("Total shortfall paid on the contract over the horizon: each bar is a quantile over paths "
                     "(P95: 95% of paths pay at most that), the dashed line the mean.")


def contract_stems(s: dict) -> dict[str, str]:
    """Figure stem of each contract's shortfall figure (``contract_shortfall_1``, ...), by contract name."""
    return {name: f"contract_shortfall_{j + 1}" for j, name in enumerate(s.get("commitments") or {})}


def caption(stem: str, s: dict) -> str:
    """A figure's caption; the fan chart mentions debt only when a maturity falls inside the horizon (summary ``s``)."""
    if stem.startswith("contract_shortfall_"):
        return _CONTRACT_CAPTION
    text = _CAPTIONS.get(stem, "")
    if stem == "cash_fan" and s.get("p_cash_below_principal_at_maturity"):
        text += _DEBT_NOTE
    if stem == "cash_fan":
        clipped = plots.cash_fan_limits(s)[2]
        if clipped is not None:
            text += (f" The axis is cut off above to frame the floor region: the upper edge of the 90% band reaches "
                     f"{money(clipped)}.")
    return text


def _applies(stem: str, s: dict) -> bool:
    if stem in ("commitment_usage", "shortfall_distribution"):
        return "commitment" in s
    if stem == "cloud_bill_bridge":
        return "cloud_bill_by_year" in s
    return True


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    return int(width), int(height)


def _render(draw, figsize: tuple[float, float], dpi: int) -> tuple[bytes, str]:
    """Draw with ``draw(ax)`` on a fresh Agg figure in the package style; the PNG and the axes' title."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    with plots.style():
        fig = MplFigure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        draw(ax)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue(), ax.get_title(loc="left") or ax.get_title()


def render_figures(result, dpi: int = DPI) -> list[Figure]:
    """Every report figure that applies to the run (a Result or its summary), in report order."""
    s = result.summary if hasattr(result, "summary") else result
    out = []
    for stem, fn, section in plots.FIGURES:
        if _applies(stem, s):
            data, title = _render(lambda ax, fn=fn: fn(s, ax), plots.FIGSIZE, dpi)
            out.append(Figure(stem, section, title, data, *_png_size(data)))
    for name, stem in contract_stems(s).items():  # one per contract, in section 5
        data, title = _render(lambda ax, name=name: plots.contract_shortfall(s, ax, name), plots.FIGSIZE, dpi)
        out.append(Figure(stem, 5, title, data, *_png_size(data)))
    scenario = getattr(result, "scenario", None)
    if scenario is not None:  # a summary alone has no distributions to draw
        out += render_input_figures(scenario, dpi)
    return out


def render_input_figures(scenario, dpi: int = DPI) -> list[Figure]:
    """Section 7's small charts of each uncertain input's distribution; none when every input is fixed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    n = len(input_plots.varying_inputs(scenario))
    if n == 0:
        return []
    fig = MplFigure(figsize=input_plots.figure_size(n), layout="constrained")
    FigureCanvasAgg(fig)
    input_plots.input_distributions(scenario, fig)
    buf = io.BytesIO()
    with plots.style():
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    data = buf.getvalue()
    return [Figure("input_distributions", 7, "Distributions of the uncertain inputs", data, *_png_size(data))]


def render_sensitivity_figures(sens: dict, dpi: int = DPI) -> list[Figure]:
    """Section 9's figures (the tornado and the spider) from a ``sensitivity.json`` dict; none when it has no inputs."""
    from sim.analysis.sensitivity import plots as sensitivity_plots  # the one import of the sensitivity figures

    if not sens.get("tornado"):
        return []
    bars = min(len(sens["tornado"]), sensitivity_plots.TOP)
    figsize = (plots.FIGSIZE[0], max(2.4, 0.42 * bars + 1.3))
    data, title = _render(lambda ax: sensitivity_plots.tornado(sens, ax), figsize, dpi)
    out = [Figure("sensitivity_tornado", 9, title, data, *_png_size(data))]
    if sens["tornado"][0].get("spider"):
        data, title = _render(lambda ax: sensitivity_plots.spider(sens, ax), (plots.FIGSIZE[0], plots.FIGSIZE[1] + 0.6), dpi)
        out.append(Figure("sensitivity_spider", 9, title, data, *_png_size(data)))
    return out
