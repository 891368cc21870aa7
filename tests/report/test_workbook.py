"""The Excel workbook (sim.report.workbook), read back with openpyxl.

* the sheets, in order; Sensitivity only with a sensitivity dict;
* every sheet's header row is frozen; money cells carry the $M format,
  probabilities the percent format, margins their own;
* two native charts (cash fan, breach curve), with the series they should have;
* every number equals summary.json's: headline probabilities and intervals,
  by-year means and quantiles, the breach curve, cash fan, per-year risks,
  the commitment rows and the central case; Inputs has every parameter's median;
* a rebuild from the same summary is byte-identical.

XlsxWriter writes numbers with 16 significant digits, so a cell equals the
summary's float to a relative 1e-15 (Excel itself shows 15 digits).
"""

from __future__ import annotations

import copy
import json

import pytest

openpyxl = pytest.importorskip("openpyxl")

from sim.present.metrics import first_breach
from sim.report import workbook as wbk
from sim.report.workbook_style import MARGIN_FORMAT, MONEY_FORMAT, PERCENT_FORMAT

FIRST = 5  # the first data row (1-based): title, note, blank, header


def same(a, b) -> bool:
    return a == pytest.approx(b, rel=1e-15, abs=1e-300)


@pytest.fixture(scope="module")
def saved(default_result, tmp_path_factory):
    """The run saved as sim run --out saves it (summary.json, config.toml), and its workbook."""
    folder = tmp_path_factory.mktemp("wb")
    default_result.save(folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    path = wbk.build_workbook(default_result, folder / wbk.REPORT_XLSX)
    return summary, path


@pytest.fixture(scope="module")
def book(saved):
    return openpyxl.load_workbook(saved[1])


@pytest.fixture(scope="module")
def s(saved):
    return saved[0]


def rows(ws, first: int = FIRST, width: int | None = None):
    """Data rows from ``first`` to the first empty row, as lists of cells."""
    out = []
    for row in ws.iter_rows(min_row=first, max_col=width or ws.max_column):
        if row[0].value is None:
            break
        out.append(list(row))
    return out


def header(ws, row: int = FIRST - 1) -> list:
    return [c.value for c in ws[row] if c.value is not None]


def test_sheets_frozen_headers_and_charts(book):
    assert book.sheetnames == [n for n in wbk.SHEETS if n != "Sensitivity"]
    for ws in book.worksheets:
        assert ws.freeze_panes == ("E5" if ws.title == "By year" else "B5"), ws.title
        assert ws["A1"].font.b, f"{ws.title}: a bold title"
        assert ws.column_dimensions["A"].width > 5, f"{ws.title}: column widths set"
    charts = {ws.title: ws._charts for ws in book.worksheets if ws._charts}
    assert sorted(charts) == ["Breach curve", "Cash fan"]
    assert len(charts["Cash fan"][0].series) == 6, "P5, P25, median, P75, P95 and the floor"
    assert len(charts["Breach curve"][0].series) == 3, "the estimate and its interval"


def test_summary_sheet(book, s):
    ws = book["Summary"]
    assert header(ws) == ["Measure", "Estimate", "95% CI low", "95% CI high", "In words"]
    table = {r[0].value: r for r in rows(ws)}
    breach = next(r for label, r in table.items() if label.startswith("Cash below the"))
    assert same(breach[1].value, s["p_cash_breach"]["estimate"])
    assert [same(c.value, x) for c, x in zip(breach[2:4], s["p_cash_breach"]["ci95"])] == [True, True]
    assert breach[4].value.startswith("about ") and breach[4].value.endswith(" paths")
    assert all(c.number_format == PERCENT_FORMAT for c in breach[1:4])
    anyc = table["Profit compression in at least one year, 2024\u20132031"]
    assert same(anyc[1].value, s["p_profit_compression_any"])
    assert same(table["Commitment shortfall paid in at least one year"][1].value, s["p_commitment_shortfall"])
    assert same(table["Cash breach and profit compression on the same path"][1].value, s["p_breach_and_compression"])
    es = table["Expected total commitment shortfall paid"][1]
    assert same(es.value, s["expected_shortfall_total"]) and es.number_format == MONEY_FORMAT
    worst = max(range(len(s["years"])), key=lambda i: (s["p_profit_compression_by_year"][i], -i))
    assert same(table[f"Profit compression in the worst year ({s['years'][worst]})"][1].value,
                s["p_profit_compression_by_year"][worst])
    assert same(table["Lowest cash over the horizon: P5"][1].value, s["min_cash"]["quantiles"]["0.05"])
    assert "USD millions" in ws["A2"].value

    cells = {c.value: c for c in ws["A"] if isinstance(c.value, str)}
    central = ws[cells["Lowest cash over the horizon"].row]
    assert same(central[1].value, s["central_case"]["min_cash"]) and central[1].number_format == MONEY_FORMAT
    margin = ws[cells[f"Operating margin {s['years'][-1]}"].row]
    assert same(margin[1].value, s["central_case"]["operating_margin"][-1]) and margin[1].number_format == MARGIN_FORMAT
    assert ws[cells["Seed"].row][1].value == s["seed"]
    assert ws[cells["Config hash (SHA-256)"].row][1].value == s["config_hash"]


def test_by_year_every_metric_mean_and_quantiles(book, s):
    ws = book["By year"]
    levels = sorted(s["by_year"]["cash_end"]["quantiles"], key=float)
    assert header(ws) == ["Metric", "Key", "Unit", "Year", "Mean"] + [wbk.level_label(q) for q in levels]
    seen = set()
    for r in rows(ws):
        key, year = r[1].value, r[3].value
        d, i = s["by_year"][key], s["years"].index(year)
        assert same(r[4].value, d["mean"][i]), (key, year)
        for j, q in enumerate(levels):
            assert same(r[5 + j].value, d["quantiles"][q][i]), (key, year, q)
        assert r[4].number_format == (MARGIN_FORMAT if key == "operating_margin" else MONEY_FORMAT)
        seen.add((key, year))
    assert seen == {(k, y) for k in s["by_year"] for y in s["years"]}
    assert ws.auto_filter.ref


def test_cash_fan_and_breach_curve(book, s):
    ws = book["Cash fan"]
    q = s["by_year"]["cash_end"]["quantiles"]
    fan = rows(ws, width=9)
    assert [r[0].value for r in fan] == s["years"]
    for i, r in enumerate(fan):
        assert [same(c.value, q[lv][i]) for c, lv in zip(r[1:6], wbk.FAN_LEVELS)] == [True] * 5
        assert same(r[7].value, s["central_case"]["cash_end"][i]) and r[8].value == s["cash_floor"]
        assert r[1].number_format == MONEY_FORMAT

    ws = book["Breach curve"]
    curve = rows(ws, width=5)
    by_year = first_breach(s)["by_year"]
    assert [r[0].value for r in curve] == s["years"]
    for i, r in enumerate(curve):
        assert same(r[1].value, s["p_cash_breach_by_year"][i])
        assert same(r[2].value, s["p_cash_breach_by_year_ci95"][i][0]) and same(r[3].value, s["p_cash_breach_by_year_ci95"][i][1])
        assert same(r[4].value, by_year[i])
        assert r[1].number_format == PERCENT_FORMAT
    assert same(curve[-1][1].value, s["p_cash_breach"]["estimate"]), "the curve ends at P(breach)"


def test_risk_by_year(book, s):
    ws = book["Risk by year"]
    cols = header(ws)
    table = rows(ws)
    for label, key in (("P(profit compression)", "p_profit_compression_by_year"), ("P(net loss)", "p_net_loss_by_year"),
                       ("P(commitment shortfall paid)", "p_shortfall_by_year"), ("CFaR 95%", "cfar95_by_year"),
                       ("EaR 95%", "ear95_by_year")):
        j = cols.index(label)
        assert [same(r[j].value, x) for r, x in zip(table, s[key])] == [True] * len(s["years"]), label
    j = cols.index("P(net loss)")
    assert same(table[0][j + 1].value, s["p_net_loss_by_year_ci95"][0][0])


def test_commitments(book, s):
    ws = book["Commitments"]
    table = rows(ws, width=11)
    assert [r[0].value for r in table] == s["years"]
    for i, r in enumerate(table):
        assert same(r[1].value, s["commitment"]["minimums_by_year"][i])
        assert same(r[2].value, s["p_shortfall_by_year"][i])
        assert same(r[5].value, s["by_year"]["shortfall"]["mean"][i])
        assert same(r[10].value, s["by_year"]["cloud_cost"]["mean"][i])
        assert r[7].value <= r[8].value <= r[9].value, "usage P5 <= median <= P95"
    facts = {c.value: ws.cell(c.row, 4).value for c in ws["A"] if isinstance(c.value, str)}
    assert same(facts["Total commitment"], s["commitment"]["total"])
    assert same(facts["Expected total shortfall paid"], s["expected_shortfall_total"])


def test_central_case(book, s):
    ws = book["Central case"]
    names = {v: k for k, v in wbk.BY_YEAR_LABELS.items()}
    cols = [c.value for c in ws[FIRST - 1]]
    c = s["central_case"]
    table = rows(ws)
    checked = 0
    for j, label in enumerate(cols[1:], start=1):
        if label in names:
            assert [same(r[j].value, x) for r, x in zip(table, c[names[label]])] == [True] * len(s["years"]), label
            checked += 1
    assert checked == sum(1 for v in c.values() if isinstance(v, list) and len(v) == len(s["years"]))
    step_col = cols.index("Cash")
    steps = [ws.cell(FIRST + k, step_col + 1).value for k in range(len(c["cash"]))]
    assert [same(a, b) for a, b in zip(steps, c["cash"])] == [True] * len(c["cash"])
    assert ws.cell(FIRST, step_col).value == f"{s['years'][0]} Q1"


def test_inputs_lists_every_parameter(book, default_result):
    from sim.model import bernoulli_parameters, money_keys, uncertain_parameters

    scn = default_result.scenario
    table = {r[0].value: r for r in rows(book["Inputs"])}
    money = money_keys(scn)
    for key, d in uncertain_parameters(scn).items():
        r = table[key]
        assert same(r[3].value, float(d.median())), key
        assert (r[3].number_format == MONEY_FORMAT) == (key in money), key
        if not d.is_fixed:
            assert same(r[4].value, float(d.quantile(0.05))) and same(r[5].value, float(d.quantile(0.95))), key
            assert r[2].value == str(d)
    for key, p in bernoulli_parameters(scn).items():
        assert same(table[key][6].value, p)
    assert table["company.cash"][3].number_format == MONEY_FORMAT
    assert same(table["policy.cash_floor"][3].value, scn.policy.cash_floor)


def test_rebuild_is_byte_identical(default_result, saved, tmp_path):
    again = wbk.build_workbook(default_result, tmp_path / "again.xlsx")
    assert again.read_bytes() == saved[1].read_bytes()


def test_summary_dict_without_config_or_commitment(s, tmp_path):
    bare = copy.deepcopy(s)
    for key in ("commitment", "commitments", "cloud_bill_by_year"):
        bare.pop(key)
    path = wbk.build_workbook(bare, tmp_path / "bare.xlsx")
    book = openpyxl.load_workbook(path)
    assert "no cloud commitment" in book["Commitments"]["A5"].value
    assert "config.toml" in book["Inputs"]["A5"].value
    labels = [c.value for c in book["Summary"]["A"]]
    assert "Commitment shortfall paid in at least one year" not in labels


def test_v2_commitments_one_block_per_contract(s, tmp_path):
    v2 = copy.deepcopy(s)
    n = len(s["years"])
    v2["commitments"] = {
        "aws": {"p_shortfall": 0.25, "expected_shortfall_total": 12.5, "shortfall_by_year": {"mean": [1.0 + i for i in range(n)]},
                "p_shortfall_by_year": [0.01 * i for i in range(n)], "steered_by_year": {"mean": [0.5] * n}},
        "gcp": {"p_shortfall": 0.5, "expected_shortfall_total": 3.0, "shortfall_by_year": {"mean": [2.0] * n},
                "p_shortfall_by_year": [0.1] * n, "steered_by_year": {"mean": [0.0] * n}},
    }
    ws = openpyxl.load_workbook(wbk.build_workbook(v2, tmp_path / "v2.xlsx"))["Commitments"]
    titles = {c.value: c.row for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("Contract ")}
    assert [t.split(":")[0] for t in titles] == ["Contract aws", "Contract gcp"]
    row = titles[next(t for t in titles if t.startswith("Contract aws"))]
    assert ws.cell(row + 1, 2).value == 0.25 and ws.cell(row + 1, 3).value == 12.5
    assert ws.cell(row + 1, 2).number_format == PERCENT_FORMAT
    block = [[ws.cell(row + 3 + i, j).value for j in range(1, 5)] for i in range(n)]
    assert block[2] == [s["years"][2], 0.02, 3.0, 0.5]


SENS = {
    "scenario": "pinterest_aws_2031", "metric": {"name": "p_cash_breach", "label": "P(cash < floor at some step)",
                                                 "unit": "probability", "quantile": None},
    "paths": 1500, "seed": 3, "block_size": 512, "tornado_percentiles": [10, 90], "runs": 5, "config_hash": "x",
    "baseline": {"estimate": 0.07, "se": 0.01, "ci95": [0.06, 0.08]},
    "tornado": [
        {"key": "revenue.growth", "distribution": "normal(mean=0.08, sd=0.03)", "money": False, "bernoulli": False,
         "low_value": 0.04, "high_value": 0.12, "low": {"estimate": 0.2}, "high": {"estimate": 0.01}, "swing": 0.19,
         "swing_ci95": [0.17, 0.21]},
        {"key": "revenue.ai_uplift.probability", "distribution": "bernoulli(0.6)", "money": False, "bernoulli": True,
         "low_value": 0.0, "high_value": 1.0, "low": {"estimate": 0.09}, "high": {"estimate": 0.05}, "swing": 0.04,
         "swing_ci95": [0.03, 0.05]},
    ],
    "correlations": {"paths": 1500, "targets": ["min_cash", "breach"], "rows": [
        {"key": "revenue.growth", "rho_min_cash": 0.8, "rho_breach": -0.7, "rho_min_cash_ci95": [0.78, 0.82],
         "rho_breach_ci95": [-0.72, -0.68], "contribution_min_cash": 0.9, "contribution_breach": 0.95}]},
    "sobol": {"n": 64, "paths": 1000, "runs": 640, "noise_share": 0.01, "rows": [
        {"factor": "revenue.growth", "S1": 0.7, "S1_ci95": [0.6, 0.8], "ST": 0.8, "ST_ci95": [0.7, 0.9]}]},
}


def test_sensitivity_sheet(default_result, tmp_path):
    book = openpyxl.load_workbook(wbk.build_workbook(default_result, tmp_path / "sens.xlsx", sensitivity=SENS))
    assert book.sheetnames == list(wbk.SHEETS)
    ws = book["Sensitivity"]
    assert ws.freeze_panes == "B5"
    table = rows(ws)
    assert [r[0].value for r in table] == ["revenue.growth", "revenue.ai_uplift.probability"]
    top = table[0]
    assert [top[2].value, top[3].value, top[4].value, top[5].value, top[6].value] == [0.04, 0.12, 0.2, 0.01, 0.19]
    assert top[6].number_format == PERCENT_FORMAT
    assert [table[1][2].value, table[1][3].value] == ["never", "always"]
    cells = {c.value: c.row for c in ws["A"] if isinstance(c.value, str)}
    assert ws.cell(cells["Metric with every input random"], 2).value == 0.07
    assert any(v.startswith("Note: this analysis ran on another config") for v in cells)
    rho_row = [c.row for c in ws["A"] if c.value == "revenue.growth" and c.row > FIRST]
    assert [ws.cell(rho_row[0], j).value for j in (2, 5, 6)] == [0.8, 0.9, -0.7]
    assert [ws.cell(rho_row[1], j).value for j in (2, 5)] == [0.7, 0.8], "Sobol S1 and ST"


# --------------------------------------------------------------------------
# sim run --out and sim report DIR --format xlsx
# --------------------------------------------------------------------------


def test_formats_include_xlsx():
    from sim.report import parse_formats

    assert parse_formats(None) == ("html", "md", "xlsx"), "sim run --out writes the workbook by default"
    assert parse_formats("xlsx") == ("xlsx",)
    assert parse_formats("xlsx, md") == ("md", "xlsx")
    with pytest.raises(ValueError, match="xlsx"):
        parse_formats("xls")


def test_write_outputs_and_sim_report_rebuild(default_result, tmp_path):
    import shutil

    from helpers import invoke

    from sim.report import write_outputs

    out = tmp_path / "run"
    written = write_outputs(default_result, out, formats=("xlsx",))
    assert out / "report.xlsx" in written and not (out / "report.html").exists()
    assert openpyxl.load_workbook(out / "report.xlsx").sheetnames[0] == "Summary"

    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("summary.json", "config.toml"):
        shutil.copy(out / name, copy / name)
    res = invoke("report", copy, "--format", "xlsx")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.split() == [str(copy / "report.xlsx")]
    assert (copy / "report.xlsx").read_bytes() == (out / "report.xlsx").read_bytes(), "rebuilt byte-identical"
    assert not (copy / "figures").exists(), "the workbook alone renders no figures"

    run_hash = json.loads((copy / "summary.json").read_text())["config_hash"]  # another config's would be left out
    (copy / "sensitivity.json").write_text(json.dumps(dict(SENS, config_hash=run_hash)), encoding="utf-8")
    res = invoke("report", copy, "--format", "xlsx")
    assert res.exit_code == 0, res.stderr
    assert "Sensitivity" in openpyxl.load_workbook(copy / "report.xlsx").sheetnames, "with sensitivity.json in DIR"
