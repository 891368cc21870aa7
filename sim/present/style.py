"""The figures' look: the palette, the matplotlib settings and the axis formatters (money and percent ticks).

Every figure of the package (a run's, a sweep's, a sensitivity analysis')
draws inside :func:`style` with these colours, and labels its axes with
:func:`money_formatter` (USD millions as $M or $B) or
:func:`percent_formatter` (fractions as percent).  Text inside figures
(labels, notes) is formatted by :mod:`sim.present.formatting`.
"""

from __future__ import annotations

import contextlib
import math

__all__ = [
    "PALETTE",
    "C_DIST",
    "C_CENTRAL",
    "C_FLOOR",
    "C_DEBT",
    "FIGSIZE",
    "STYLE",
    "style",
    "money_formatter",
    "percent_formatter",
]


# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
    "grey": "#7F7F7F",
}
C_DIST = PALETTE["blue"]  # the simulated distribution
C_CENTRAL = PALETTE["black"]  # the central case
C_FLOOR = PALETTE["vermillion"]  # limits that matter: floor, threshold, breach mass
C_DEBT = PALETTE["purple"]

FIGSIZE = (7.2, 3.6)

STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.edgecolor": "#444444",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 8,
    "axes.labelsize": 9,
    "axes.labelcolor": "#222222",
    "font.size": 9,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "legend.fontsize": 8,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "lines.markersize": 4.5,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "savefig.dpi": 150,
}


@contextlib.contextmanager
def style():
    """The figures' matplotlib settings, as a context manager."""
    import matplotlib
    from cycler import cycler

    interactive = matplotlib.is_interactive()
    try:
        with matplotlib.rc_context({**STYLE, "axes.prop_cycle": cycler(color=list(PALETTE.values()))}):
            try:
                yield
            finally:
                interactive = matplotlib.is_interactive()
    finally:
        # A figure made inside may have loaded the backend, and Jupyter's inline
        # backend turns interactive mode on as it loads: keep that, or later
        # pyplot figures in the notebook would no longer show on their own.
        matplotlib.interactive(interactive)


def money_formatter():
    """Tick formatter for USD millions: one unit per axis ($M or $B), as few decimals as the ticks need."""
    from matplotlib.ticker import Formatter

    class MoneyFormatter(Formatter):
        def __init__(self):
            self.scale, self.unit, self.decimals = 1.0, "M", 0

        def set_locs(self, locs):
            super().set_locs(locs)
            locs = [v for v in locs if math.isfinite(v)]
            vmin, vmax = self.axis.get_view_interval() if self.axis is not None else (0, 0)
            visible = [v for v in locs if min(vmin, vmax) - 1e-9 <= v <= max(vmin, vmax) + 1e-9] or locs
            big = max((abs(v) for v in visible), default=0.0)
            self.scale, self.unit = (1000.0, "B") if big >= 1000 else (1.0, "M")
            self.decimals = 0
            for d in range(4):
                if all(abs(round(v / self.scale, d) - v / self.scale) < 1e-6 for v in visible):
                    self.decimals = d
                    break
            else:
                self.decimals = 3

        def __call__(self, x, pos=None):
            if abs(x) < 1e-9:
                return "$0"
            sign = "\u2212" if x < 0 else ""
            return f"{sign}${abs(x) / self.scale:,.{self.decimals}f}{self.unit}"

    return MoneyFormatter()


def percent_formatter():
    """Tick formatter for fractions shown as percent, with as few decimals as the ticks need."""
    from matplotlib.ticker import Formatter

    class PercentTicks(Formatter):
        decimals = 0

        def set_locs(self, locs):
            super().set_locs(locs)
            vals = [100 * v for v in locs if math.isfinite(v)]
            for d in range(6):
                if all(abs(round(v, d) - v) < 1e-9 * max(1.0, abs(v)) + 1e-12 for v in vals):
                    self.decimals = d
                    break
            else:
                self.decimals = 6

        def __call__(self, x, pos=None):
            if abs(x) < 1e-15:
                return "0%"
            text = f"{100 * x:.{self.decimals}f}%"
            return "\u2212" + text[1:] if text.startswith("-") else text

    return PercentTicks()
