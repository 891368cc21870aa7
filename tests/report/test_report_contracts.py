"""Section 5's per-contract subsections (sim.report.contracts), through ``sim run --out``.

The multi-cloud example has two contracts (google: August start, annual with
rollover and steering; aws: "both"): the report must show one subsection per
contract, in both formats, whose numbers are summary.json's, and one shortfall
figure per contract.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import invoke

from sim.present.formatting import money, percent
from sim.report.contracts import contract_rows

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("multi_cloud")
    res = invoke("run", ROOT / "configs" / "multi_cloud_example.toml", "--paths", "4000", "--seed", "5", "--out", out,
                 "--format", "html,md", "-q")
    assert res.exit_code == 0, res.stderr
    return out


def _section5(md: str) -> str:
    return md[md.index("## 5."):md.index("## 6.")]


def test_a_subsection_per_contract_with_the_summary_numbers(run_dir):
    s = json.loads((run_dir / "summary.json").read_text())
    md = (run_dir / "report.md").read_text()
    html = (run_dir / "report.html").read_text()
    sec = _section5(md)
    assert sec.startswith("## 5. The commitments")
    names = list(s["commitments"])
    assert names == ["google", "aws"]
    for j, name in enumerate(names):
        c = s["commitments"][name]
        head = f"### Contract {name}: by contract year"
        assert head in sec and f"<h3>Contract {name}: by contract year</h3>" in html
        part = sec[sec.index(head):]
        part = part[: part.index("### Contract", 4)] if "### Contract" in part[4:] else part
        # the headline line: P(any shortfall), expected total, P95 and P99 of the total
        q = c["shortfall_total"]["quantiles"]
        for text in (percent(c["p_shortfall"]), money(c["expected_shortfall_total"]), money(q["0.95"]), money(q["0.99"])):
            assert text.replace("$", "\\$") in part
        # one table row per contract year, each cell from the summary's settlement fiscal year
        rows = [r for r in part.splitlines() if re.match(r"\| \d+ \|", r)]
        assert len(rows) == len(c["contract_years"])
        expected = contract_rows(c, s["steps_per_year"], s["years"][0])
        for row, cy, want in zip(rows, c["contract_years"], expected):
            cells = [x.strip().replace("\\$", "$") for x in row.strip("|").split("|")]
            assert cells == want
            i = (cy["settlement_step"] - 1) // s["steps_per_year"]
            assert cells[2] == money(cy["minimum"])
            assert cells[3] == money(c["usage_by_year"]["mean"][i])
            assert cells[4] == percent(c["p_shortfall_by_year"][i])
            assert cells[5] == money(c["shortfall_by_year"]["mean"][i])
            assert cells[6] == money(c["deferred_by_year"]["mean"][i])
            assert cells[7] == money(c["steered_by_year"]["mean"][i])
        # its figure, linked in Markdown, embedded in HTML, written beside the report
        stem = f"contract_shortfall_{j + 1}"
        assert f"(figures/{stem}.png)" in part
        assert f'id="fig-{stem}"' in html
        assert (run_dir / "figures" / f"{stem}.png").stat().st_size > 1000


def test_shortfall_total_is_consistent_with_the_yearly_numbers(run_dir):
    s = json.loads((run_dir / "summary.json").read_text())
    for c in s["commitments"].values():
        total = c["shortfall_total"]
        assert total["mean"] == pytest.approx(c["expected_shortfall_total"], rel=1e-12, abs=1e-12)
        levels = sorted(total["quantiles"], key=float)
        values = [total["quantiles"][k] for k in levels]
        assert values == sorted(values) and values[0] >= 0.0
        # P(total > 0) = P(any shortfall): the quantiles below 1 - p are 0, the top one is positive when p > 1%
        p = c["p_shortfall"]
        for k, v in zip(levels, values):
            if float(k) < 1 - p - 1e-9:
                assert v == 0.0
        if p > 0.011:
            assert values[-1] > 0.0
        assert sum(c["usage_by_year"]["mean"]) > 0.0
