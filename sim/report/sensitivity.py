"""Section 9 of the report: a sensitivity analysis, from the ``sensitivity.json`` beside the run.

The section is built from that JSON alone (what
``sim.analysis.sensitivity.SensitivityResult.save`` writes), so ``sim report
DIR`` rebuilds it byte for byte, and deleting the file removes it.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from pathlib import Path
from typing import Sequence

from sim.model.labels import factor_label, key_unit, parameter_label
from sim.present.formatting import MINUS, money, percent, points
from sim.report.blocks import Block, Heading, Paragraph, Section, Table

__all__ = ["SENSITIVITY_FILE", "SensitivityMismatch", "load_sensitivity", "sensitivity_section", "sources"]

SENSITIVITY_FILE = "sensitivity.json"
TOP = 15  # rows of the section's tables, as bars in the tornado (the sensitivity plots' TOP)


class SensitivityMismatch(UserWarning):
    """A ``sensitivity.json`` from another config than the run beside it: left out of the report."""


def load_sensitivity(folder: str | os.PathLike, config_hash: str | None = None) -> dict | None:
    """``folder/sensitivity.json`` as a dict (what ``SensitivityResult.save`` wrote), or None when absent.

    With ``config_hash`` (the run's ``summary["config_hash"]``), an analysis of another config is never
    mixed into the run's report: it is left out (None) with a :class:`SensitivityMismatch` warning.

    Raises ValueError naming the file when it is not valid JSON or not a sensitivity result.
    """
    path = Path(folder) / SENSITIVITY_FILE
    if not path.is_file():
        return None
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON: {e.msg} (line {e.lineno})") from None
    need = ("metric", "paths", "seed", "baseline", "tornado", "tornado_percentiles")
    missing = [k for k in need if k not in d] if isinstance(d, dict) else list(need)
    if missing:
        raise ValueError(f"{path}: not a sim sensitivity result (missing {', '.join(missing)})")
    theirs = d.get("config_hash")
    if config_hash is not None and theirs != config_hash:
        warnings.warn(f"{path}: an analysis of another config (hash {str(theirs)[:12]}, this run's {config_hash[:12]}): "
                      "left out of the report; rerun `sim sensitivity DIR/config.toml --out DIR` for this one",
                      SensitivityMismatch, stacklevel=2)
        return None
    return d


def sources(sensitivity: dict | None) -> str:
    """The files a report is built from, for its footer."""
    return "summary.json, config.toml and sensitivity.json" if sensitivity is not None else "summary.json and config.toml"


def _rho(r: float | None) -> str:
    """A rank correlation with its sign: ``+0.412``, ``−0.087``; ``n/a`` when missing."""
    return "n/a" if r is None or not math.isfinite(r) else f"{r:+.3f}".replace("-", MINUS)


def _held(row: dict, v: float) -> str:
    """The value an input is held at: money, a plain number, or never/always for a yes/no outcome."""
    if row.get("bernoulli"):
        return "never" if v == 0 else ("always" if v == 1 else f"p = {v:g}")
    if row.get("money"):
        return money(v)
    return percent(v) if key_unit(row.get("key", "")) == "percent" else f"{v:.3g}".replace("-", MINUS)


def sensitivity_section(sens: dict, s: dict, figure: list[Block], spider: Sequence[Block] = ()) -> Section:
    """Section 9.

    Parameters
    ----------
    sens : dict
        The ``sensitivity.json`` dict.
    s : dict
        The run's summary: a note says when the analysis ran on another config or seed.
    figure : list of Block
        The tornado's :class:`~sim.report.blocks.FigureRef`, or empty.
    spider : list of Block
        The spider chart's FigureRef (after the tornado's table), or empty.
    """
    m = sens["metric"]
    label = m.get("label") or m.get("name", "the metric")
    words = label if label.startswith("P(") else label[0].lower() + label[1:]
    prob = m.get("unit") in ("probability", "share")  # shown as percent (sim.engine.measures units)
    show = percent if prob else money
    swing = points if prob else money

    def interval(ci) -> str:
        lo, hi = ci
        return f"{percent(lo)[:-1]}\u2013{percent(hi)[:-1]} pts" if prob else f"{money(lo)}\u2013{money(hi)}"

    rows = sens["tornado"]
    if not rows:
        return Section("9. Sensitivity", "sensitivity", [
            Paragraph(f"The sensitivity analysis of {words} (sensitivity.json) holds no inputs.")])
    out: list[Block] = [Paragraph(_lead(sens, words, show, swing, interval))]
    out += [Paragraph(n) for n in _notes(sens, s)]
    out += figure

    lo_p, hi_p = sens["tornado_percentiles"]
    out.append(Heading(f"Inputs by swing: {label}"))
    shown = rows[:TOP]
    table = [
        [parameter_label(r['key']), f"{_held(r, r['low_value'])} / {_held(r, r['high_value'])}", show(r["low"]["estimate"]),
         show(r["high"]["estimate"]), swing(r["swing"]), interval(r["swing_ci95"])]
        for r in shown
    ]
    out.append(Table(["Input", f"Held at P{lo_p:g} / P{hi_p:g}", f"At P{lo_p:g}", f"At P{hi_p:g}", "Swing", "95% CI"],
                     table, "llrrrr"))
    more = len(rows) - len(shown)
    out.append(Paragraph(
        (f"{more} more input{'s' if more > 1 else ''}, with smaller swings, in tornado.csv. " if more > 0 else "")
        + f"Each row is two runs with the input held at its P{lo_p:g} and its P{hi_p:g} (yes/no outcomes: never and "
        "always) while every other input keeps its distribution; the swing's interval comes from the path-by-path "
        "differences of the two runs (common random numbers)."
    ))
    out += spider
    c = sens.get("correlations")
    if c and c.get("rows"):
        out += _correlations(c, m, words)
    so = sens.get("sobol")
    if so and so.get("rows"):
        out += _sobol(so, words)
    out.append(Paragraph(_method(sens, s, bool(c), bool(so))))
    return Section("9. Sensitivity", "sensitivity", out)


def _lead(sens: dict, words: str, show, swing, interval) -> str:
    """In plain words: the input that matters most, and how far ahead of the next one it is."""
    rows, paths, base = sens["tornado"], sens["paths"], sens["baseline"]
    lo_p, hi_p = sens["tornado_percentiles"]
    top = rows[0]
    if top["swing_ci95"][0] <= 0:
        return (
            f"No input moves {words} by more than the Monte Carlo noise at {paths:,} paths per run: the largest swing, "
            f"{parameter_label(top['key'])}'s, is {swing(top['swing'])} (95% CI {interval(top['swing_ci95'])}), against "
            f"{show(base['estimate'])} with every input random."
        )
    if top.get("bernoulli"):
        ends = (f"if that outcome never happens it is {show(top['low']['estimate'])}, if it always happens "
                f"{show(top['high']['estimate'])}")
    else:
        ends = (f"held at its P{lo_p:g} ({_held(top, top['low_value'])}) it is {show(top['low']['estimate'])}, "
                f"at its P{hi_p:g} ({_held(top, top['high_value'])}) {show(top['high']['estimate'])}")
    text = (
        f"**{parameter_label(top['key'])} matters most** to {words}: {ends}, a swing of **{swing(top['swing'])}** "
        f"(95% CI {interval(top['swing_ci95'])}); with every input random it is {show(base['estimate'])}."
    )
    if len(rows) == 1:
        return text
    nxt = rows[1]
    measurable = any(r["swing_ci95"][0] > 0 for r in rows[1:])
    if not measurable:
        text += f" No other input moves it measurably at {paths:,} paths per run."
    elif top["swing_ci95"][0] > nxt["swing_ci95"][1]:
        ratio = top["swing"] / nxt["swing"] if nxt["swing"] > 0 else math.inf
        if ratio >= 1.5:
            times = "many" if not math.isfinite(ratio) or ratio >= 100 else f"{ratio:.1f}"
            text += f" That is {times} times the swing of the next input, {parameter_label(nxt['key'])} ({swing(nxt['swing'])})."
        else:
            text += f" The next input, {parameter_label(nxt['key'])}, swings it by {swing(nxt['swing'])}."
    else:
        text += (
            f" {parameter_label(nxt['key'])} swings it about as much ({swing(nxt['swing'])}, 95% CI {interval(nxt['swing_ci95'])}): "
            f"the intervals overlap, so which of the two matters more is within the noise of {paths:,} paths per run."
        )
    if len(rows) > 2 and measurable:
        rest = len(rows) - 2
        text += (f" The other {rest} inputs each move it by {swing(rows[2]['swing'])} or less." if rest > 1 else
                 f" The remaining input, {parameter_label(rows[2]['key'])}, moves it by {swing(rows[2]['swing'])}.")
    return text


def _notes(sens: dict, s: dict) -> list[str]:
    """Is it the same model, and the same random numbers, as the run above?"""
    ha, hb = sens.get("config_hash"), s.get("config_hash")
    if (ha and hb and ha != hb) or sens.get("scenario") != s.get("scenario"):
        return [
            f"**Note.** This analysis was run on a different config from the run above (scenario {sens.get('scenario')}"
            + (f", config hash {ha[:12]}\u2026" if ha else "")
            + f"; the run: {s.get('scenario')}" + (f", {hb[:12]}\u2026" if hb else "")
            + "), so it describes that config. Rerun it on this one with `sim sensitivity DIR/config.toml --out DIR`."
        ]
    if sens.get("seed") != s.get("seed") or sens.get("block_size") != s.get("block_size"):
        return [
            f"The analysis used seed {sens.get('seed')} and blocks of {sens.get('block_size'):,} paths (the run: seed "
            f"{s.get('seed')}, blocks of {s.get('block_size') or 0:,}): the same model on other random numbers."
        ]
    return []


def _correlations(c: dict, m: dict, words: str) -> list[Block]:
    targets = c["targets"]
    names = {"min_cash": "lowest cash", "breach": "breach"}
    name = m.get("name", "")
    primary = name if name in targets else ("breach" if name.startswith("p_cash_breach") and "breach" in targets
                                             else targets[0])
    order = sorted(range(len(c["rows"])), key=lambda i: (-c["rows"][i][f"contribution_{primary}"], i))
    lead = c["rows"][order[0]]
    out: list[Block] = [Heading("Rank correlations and contribution to variance")]
    if lead[f"contribution_{primary}"] > 0:
        what = names.get(primary, words)
        out.append(Paragraph(
            f"On the baseline run's {c['paths']:,} paths, {parameter_label(lead['key'])}'s draw has the strongest rank correlation "
            f"with the path's {what if primary != 'breach' else 'breach of the floor'} "
            f"(\u03c1 = {_rho(lead[f'rho_{primary}'])}, {lead[f'contribution_{primary}']:.0%} of the contribution "
            "to variance)."
        ))
    header = ["Input"]
    for t in targets:
        header += [f"\u03c1 with {names.get(t, t)} (95% CI)", "Share"]
    table = []
    for i in order[:TOP]:
        r = c["rows"][i]
        row = [parameter_label(r['key'])]
        for t in targets:
            lo, hi = r[f"rho_{t}_ci95"]
            ci = "" if lo is None or hi is None else f" ({_rho(lo)} to {_rho(hi)})"
            row += [_rho(r[f"rho_{t}"]) + ci, f"{r[f'contribution_{t}']:.0%}"]
        table.append(row)
    out.append(Table(header, table, "l" + "r" * (len(header) - 1)))
    out.append(Paragraph(
        "Spearman rank correlation of each input's per-path draw with the path's outcome, with 95% intervals; "
        "*share* is the input's squared correlation over the sum across inputs (\"contribution to variance\", "
        "as @RISK shows it): a ranking, not a decomposition of the variance."
    ))
    return out


def _index(v: float | None, ci) -> str:
    """A Sobol index with its interval: ``0.412 (0.38 to 0.45)``."""
    def num(x, digits):
        text = f"{x:.{digits}f}"
        return text.lstrip("-") if float(text) == 0 else text.replace("-", MINUS)

    if v is None:
        return "n/a"
    return num(v, 3) + ("" if ci[0] is None or ci[1] is None else f" ({num(ci[0], 2)} to {num(ci[1], 2)})")


def _sobol(so: dict, words: str) -> list[Block]:
    rows = sorted(so["rows"], key=lambda r: -(r["ST"] or 0))[:TOP]
    noise = so.get("noise_share")
    return [
        Heading("Sobol indices"),
        Table(["Factor", "First order (95% CI)", "Total order (95% CI)"],
              [[factor_label(r['factor']), _index(r["S1"], r["S1_ci95"]), _index(r["ST"], r["ST_ci95"])] for r in rows], "lrr"),
        Paragraph(f"Shares of the variance of {words} across the inputs' distributions: explained by the input alone "
                  f"(first order) and together with its interactions (total order); N = {so['n']}, {so['paths']:,} paths "
                  f"per run, {so['runs']:,} runs"
                  + (f", Monte Carlo noise {100 * noise:.1f}% of the variance." if noise is not None else ".")),
    ]


def _method(sens: dict, s: dict, correlations: bool, sobol: bool) -> str:
    method = (f"{sens['paths']:,} paths per run, seed {sens['seed']}, blocks of {sens.get('block_size') or 0:,} paths; "
              f"{sens.get('runs', 0):,} runs on common random numbers")
    if sens.get("runtime_seconds") is not None:
        method += f", {sens['runtime_seconds']:.1f} s"
    method += ". Saved beside this report: sensitivity.json, tornado.csv, spider.csv (the metric across each input's percentiles)"
    method += (", correlations.csv" if correlations else "") + (", sobol.csv." if sobol else ".")
    if s.get("sampling", "random") != "random" or s.get("importance_sampling"):
        method += " The sensitivity runs draw plain random paths, whatever the run's sampling."
    return method
