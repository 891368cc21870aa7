"""Pooled back-test calibration (sim.analysis.backtest) and its text and page (sim.present / sim.report)."""

from __future__ import annotations

import pytest

from sim.analysis.backtest import calibration, pit_histogram
from sim.engine.results import wilson


def value(pit, name="revenue", year=2024):
    return {"kind": "value", "name": name, "year": year, "value": 1.0, "pit": pit, "p5": 0.5, "p50": 1.0, "p95": 2.0,
            "in50": 0.25 <= pit <= 0.75, "in90": 0.05 <= pit <= 0.95, "below": 0, "equal": 0, "source": ""}


def event(p, happened):
    return {"kind": "event", "name": "shortfall", "year": 2024, "happened": happened, "p": p,
            "brier": (p - float(happened)) ** 2, "source": ""}


def test_calibration_pools_runs():
    a = {"actuals": [value(0.25), value(0.75), value(0.04), event(0.2, True)]}
    b = {"actuals": [value(0.95), value(0.5), event(0.1, False), event(0.4, False)]}
    cal = calibration([a, b])
    assert cal["values"] == 5 and cal["events"] == 3
    assert cal["coverage50"]["count"] == 3 and cal["coverage50"]["rate"] == pytest.approx(0.6)  # 0.25, 0.75, 0.5
    assert cal["coverage90"]["count"] == 4  # all but 0.04
    assert cal["coverage90"]["ci95"] == list(wilson(4, 5)) and cal["coverage90"]["nominal"] == pytest.approx(0.9)
    assert cal["mean_pit"] == pytest.approx((0.25 + 0.75 + 0.04 + 0.95 + 0.5) / 5)
    assert cal["pit_histogram"]["counts"] == [1, 1, 1, 1, 1]
    assert cal["mean_brier"] == pytest.approx((0.64 + 0.01 + 0.16) / 3)
    rate = 1 / 3
    assert cal["event_rate"] == pytest.approx(rate) and cal["baseline_brier"] == pytest.approx(rate * (1 - rate))
    assert cal["brier_skill"] == pytest.approx(1 - cal["mean_brier"] / (rate * (1 - rate)))


def test_calibration_without_events_or_outcome_variety():
    cal = calibration([{"actuals": [value(0.5)]}])
    assert cal["mean_brier"] is None and cal["brier_skill"] is None
    cal = calibration([{"actuals": [event(0.1, False), event(0.3, False)]}])
    assert cal["values"] == 0 and cal["coverage50"]["rate"] is None and cal["mean_pit"] is None
    assert cal["baseline_brier"] == 0.0 and cal["brier_skill"] is None  # every event the same: undefined


def test_pit_histogram_edges():
    assert pit_histogram([0.0, 0.2, 0.3999, 0.4, 1.0]) == [1, 2, 1, 0, 1]
    assert pit_histogram([]) == [0, 0, 0, 0, 0]


def test_text_and_page(tmp_path):
    from sim.present.backtest import format_backtest
    from sim.report.backtest import write_backtest

    s = {"years": [2024], "description": "d", "backtest": {"actuals": [value(0.3), event(0.2, True)]},
         "by_year": {"revenue": {"quantiles": {q: [1.0] for q in ("0.05", "0.25", "0.5", "0.75", "0.95")}}},
         "central_case": {"revenue": [1.0]}}
    cal = calibration([s["backtest"]])
    text = format_backtest([("deal", s)], cal, 1000, 0)
    assert "deal                 revenue           2024" in text and "0.300  yes  yes" in text
    assert "inside the 90% band: 1/1 = 100.0%" in text and "0.2\u20130.4    1  #" in text
    page = write_backtest(tmp_path, [("deal", s)], cal, 1000, 0, text).read_text()
    assert page.count("data:image/png;base64,") == 2  # the PIT histogram and one fan
    assert "<script" not in page and "http" not in page.replace('lang="en"', "")
