"""The terminal summary of a run: short, aligned, in plain words."""

from __future__ import annotations

from sim.present.formatting import in_words, money, percent

__all__ = ["format_summary"]


def _money(x: float) -> str:
    return money(x, minus="-")  # the terminal stays ASCII


def _pct(p: float, digits: int = 1) -> str:
    return percent(p, digits, minus="-")  # fixed decimals: the columns line up


def contract_lines(s: dict) -> list[str]:
    """One line per contract of ``s["commitments"]`` (none for a v1 deal): P(shortfall), expected
    shortfall paid over the horizon, and the worst year (largest expected shortfall paid)."""
    coms = {name: c for name, c in (s.get("commitments") or {}).items() if not c.get("v1_deal")}
    years = s["years"]
    width = max([len(name) for name in coms] + [0])
    out = []
    for name, c in coms.items():
        mean = c["shortfall_by_year"]["mean"]
        worst = max(range(len(mean)), key=lambda y: mean[y]) if mean else 0
        if not mean or mean[worst] <= 0:
            tail = "no shortfall on any path"
        else:
            tail = f"worst year {years[worst]} ({_money(mean[worst])} expected, P {_pct(c['p_shortfall_by_year'][worst])})"
        out.append(
            f"  {name.ljust(width)}  ({_pct(c['share'], 0)} of the bill, {c['shortfall_rule']})  P(shortfall) {_pct(c['p_shortfall'])}   "
            f"expected {_money(c['expected_shortfall_total'])}   {tail}"
        )
    return out


def deal_impact_lines(s: dict) -> list[str]:
    """The deal's impact in two plain lines (none unless the run asked for ``deal_impact``).

    "Signing adds 2.1 points (95% CI 1.9 - 2.3) to P(cash < $1.0B); net savings $412M on
    average, negative on 18% of paths": points are percentage points of the breach
    probability, paired path by path against the same paths without any commitment.
    """
    d = s.get("deal_impact")
    if not d:
        return []
    delta = d["p_cash_breach_delta"]
    est, (lo, hi) = 100 * delta["estimate"], (100 * x for x in delta["ci95"])
    floor = _money(s["cash_floor"])
    if est >= 0:
        verb, a, b = "adds", lo, hi
        where = "to"
    else:
        verb, a, b, est = "removes", -hi, -lo, -est
        where = "from"
    net = d["net_savings"]
    without = d["p_cash_breach"]["estimate"]
    return [
        f"Signing {verb} {est:.1f} points (95% CI {a:.1f} - {b:.1f}) {where} P(cash < {floor}) "
        f"({_pct(without, 2)} without the deal, same paths)",
        f"  Net savings {_money(net['mean'])} on average (discount saved minus shortfall paid), "
        f"negative on {_pct(net['p_negative'], 0)} of paths",
    ]


def format_summary(s: dict, compiled: bool = False) -> str:
    """Render a summary dict (``Result.summary``) for the terminal.

    ``compiled``: the kernel was compiled during this run (a cold cache), so its
    time is mostly compilation: the line gives seconds, not a speed.
    """
    years = s["years"]
    lines = []
    title = s["scenario"] or "scenario"
    if s.get("description"):
        title += f" - {s['description']}"
    lines.append(title)
    horizon = f"{len(years)} years ({years[0]}-{years[-1]})"
    speed = f", {s['paths_per_second'] / 1e6:.2f} M paths/s on {s['threads']} threads" if s.get("paths_per_second") else ""
    if speed and (compiled or s.get("includes_jit_compilation")):
        # the time includes compiling or loading the kernel: a speed would mislead ("0.00 M paths/s")
        what = "mostly compiling the kernel" if compiled else "including loading the compiled kernel"
        speed = f", {s['runtime_seconds']:.1f} s on {s['threads']} threads, {what}"
    lines.append(f"{s['paths']:,} paths, seed {s['seed']}, {horizon}{speed}")
    if s.get("sampling", "random") != "random":
        lines.append(f"Sampling design: {s['sampling']}")
    if "precision" in s:
        lines.append(f"Precision control ({s['precision']['metric']}): {s['precision']['reason']}")
    if "importance_sampling" in s:
        ess = s["importance_sampling"]["effective_sample_size"]
        lines.append(f"Importance sampling: breach probabilities reweighted; effective sample size {ess:,.0f} of {s['paths']:,} paths")
    lines.append("")

    b = s["p_cash_breach"]
    lo, hi = b["ci95"]
    floor = _money(s["cash_floor"])
    lines.append(f"P(cash < floor {floor} at some point)  {_pct(b['estimate'], 2)}   95% CI {_pct(lo, 2)} - {_pct(hi, 2)}")
    lines.append(f"  In words: {in_words(b['estimate'])} fall below {floor} before the end of {years[-1]}.")
    mc = s["min_cash"]
    q = mc["quantiles"]
    lines.append(
        f"Minimum cash  P5 {_money(q['0.05'])}  P25 {_money(q['0.25'])}  median {_money(q['0.5'])}  "
        f"P95 {_money(q['0.95'])}  mean of worst 5% {_money(mc['expected_shortfall_5pct'])}"
    )
    lines.append(
        f"Profit compression (margin below {_pct(s['compression_threshold'])}) in any year  "
        f"{_pct(s['p_profit_compression_any'])}"
    )
    lines.append(
        f"Commitment shortfall  P(any) {_pct(s['p_commitment_shortfall'])}   "
        f"expected total {_money(s['expected_shortfall_total'])}"
    )
    lines += contract_lines(s)
    lines += deal_impact_lines(s)
    lines.append("")

    width = max(8, max(len(_money(x)) for x in s["central_case"]["cash_end"]) + 1)
    head = "by year".ljust(30) + "".join(str(y).rjust(width) for y in years)
    lines.append(head)
    rows = [
        ("P(breach by end of year)", s["p_cash_breach_by_year"], _pct),
        ("P(profit compression)", s["p_profit_compression_by_year"], _pct),
        ("P(net loss)", s["p_net_loss_by_year"], _pct),
    ]
    if "p_net_income_below_base_by_year" in s:
        rows.append(("P(net income below base)", s["p_net_income_below_base_by_year"], _pct))
    cash = s["by_year"]["cash_end"]["quantiles"]
    rows += [
        ("year-end cash P5", cash["0.05"], _money),
        ("year-end cash median", cash["0.5"], _money),
        ("CFaR 95%", s["cfar95_by_year"], _money),
        ("central case: cash", s["central_case"]["cash_end"], _money),
        ("central case: margin", s["central_case"]["operating_margin"], _pct),
        ("central case: net income", s["central_case"]["net_income"], _money),
    ]
    for label, values, fmt in rows:
        lines.append(label.ljust(30) + "".join(fmt(v).rjust(width) for v in values))
    if s.get("quantile_method") == "sketch":
        lines.append("")
        lines.append("(quantiles from a mergeable sketch, within 0.4% of exact)")
    return "\n".join(lines)
