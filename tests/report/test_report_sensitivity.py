"""Section 9 of the report: sensitivity, there exactly when the folder holds ``sensitivity.json``.

* ``sim run --out DIR --sensitivity`` runs the tornado and rank correlations
  after the run (same seed and block size) and the report has the section;
* ``sim sensitivity --out DIR`` into a folder holding a run makes
  ``sim report DIR`` add it; without ``sensitivity.json`` there is none;
* ``sim report DIR`` rebuilds byte-identical files with the section;
* headless chromium (skipped without it) shows nine sections and every image.

A three-input scenario and a few thousand paths keep the whole file fast.
"""

from __future__ import annotations

import json
import re
import shutil

import matplotlib

matplotlib.use("Agg")

import pytest

import sim
import sim.report as rp
from sim.present import formatting as fmt
from sim.model import parameter_label, scenario_to_toml

from helpers import TINY, invoke  # TINY: a scenario where revenue growth obviously dominates  # noqa: E402

RUN = ["--paths", "3000", "--seed", "3", "--block-size", "512", "--quiet"]
SENS = ["--paths", "1500", "--seed", "3", "--block-size", "512", "--quiet"]




def section(text: str) -> str:
    """The Markdown of section 9 ('' when absent)."""
    m = re.search(r"^## 9\. Sensitivity$.*?(?=^\*Built by)", text, re.M | re.S)
    return m.group(0) if m else ""


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    path = tmp_path_factory.mktemp("cfg") / "tiny.toml"
    path.write_text(scenario_to_toml(sim.load(TINY)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def with_sens(config, tmp_path_factory):
    """``sim run --out DIR --sensitivity``."""
    out = tmp_path_factory.mktemp("run") / "deal"
    res = invoke("run", config, *RUN, "--out", out, "--sensitivity", "--sensitivity-paths", "1500")
    assert res.exit_code == 0, res.stderr
    return out


@pytest.fixture(scope="module")
def plain(config, tmp_path_factory):
    """``sim run --out DIR`` without --sensitivity."""
    out = tmp_path_factory.mktemp("plain") / "deal"
    res = invoke("run", config, *RUN, "--out", out)
    assert res.exit_code == 0, res.stderr
    return out


def test_run_sensitivity_writes_the_section(with_sens):
    d = json.loads((with_sens / "sensitivity.json").read_text())
    summary = json.loads((with_sens / "summary.json").read_text())
    assert (d["seed"], d["block_size"], d["paths"]) == (3, 512, 1500), "the run's seed and blocks"
    assert d["metric"]["name"] == "p_cash_breach" and d["sobol"] is None and d["correlations"] is not None
    assert d["config_hash"] == summary["config_hash"]
    for name in ("tornado.csv", "spider.csv", "correlations.csv", "tornado.png", "figures/sensitivity_tornado.png"):
        assert (with_sens / name).is_file(), name

    md = (with_sens / "report.md").read_text(encoding="utf-8")
    sec = section(md)
    assert sec, "section 9 in the Markdown"
    top = d["tornado"][0]
    assert top["key"] == "revenue.growth"
    assert "**Revenue growth (log, per year) matters most**" in sec
    assert fmt.points(top["swing"]) in sec and fmt.percent(d["baseline"]["estimate"]) in sec
    assert "](figures/sensitivity_tornado.png)" in sec
    assert "Rank correlations" in sec and "Sobol" not in sec
    for r in d["tornado"]:  # inputs by their labels people read, not dotted keys
        assert f"| {parameter_label(r['key'])} |" in sec and f"`{r['key']}`" not in sec
    assert "different config" not in sec and "other random numbers" not in sec

    html = (with_sens / "report.html").read_text(encoding="utf-8")
    assert '<section id="sensitivity">' in html and '<a href="#sensitivity">9. Sensitivity</a>' in html
    assert 'id="fig-sensitivity_tornado"' in html and 'id="fig-sensitivity_spider"' in html
    assert "](figures/sensitivity_spider.png)" in sec
    assert len(re.findall(r"<h2>\d+\. ", html)) == 9


def test_run_prints_a_line(config, tmp_path):
    res = invoke("run", config, *RUN[:-1], "--out", tmp_path / "x", "--format", "none", "--sensitivity",
                 "--sensitivity-paths", "600", "--sensitivity-metric", "min_cash_mean")
    assert res.exit_code == 0, res.stderr
    assert "Sensitivity of Mean minimum cash (600 paths per run" in res.stdout
    assert "revenue.growth matters most" in res.stdout
    d = json.loads((tmp_path / "x" / "sensitivity.json").read_text())
    assert d["metric"]["name"] == "min_cash_mean" and d["paths"] == 600
    assert not (tmp_path / "x" / "report.html").exists()


def test_round_trip_with_the_section(with_sens, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("summary.json", "config.toml", "sensitivity.json"):
        shutil.copy(with_sens / name, copy / name)
    res = invoke("report", copy)
    assert res.exit_code == 0, res.stderr
    for name in ("report.html", "report.md", "figures/sensitivity_tornado.png"):
        assert (copy / name).read_bytes() == (with_sens / name).read_bytes(), name


def test_no_section_without_sensitivity_json(plain, with_sens, tmp_path):
    assert not (plain / "sensitivity.json").exists()
    for name in ("report.md", "report.html"):
        text = (plain / name).read_text(encoding="utf-8")
        assert "9. Sensitivity" not in text and "sensitivity" not in text.lower().split("</nav>")[0]
    assert not (plain / "figures" / "sensitivity_tornado.png").exists()
    # and never otherwise: the sensitivity run's folder without its sensitivity.json rebuilds without it
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("summary.json", "config.toml"):
        shutil.copy(with_sens / name, copy / name)
    res = invoke("report", copy, "--format", "md")
    assert res.exit_code == 0, res.stderr
    assert not section((copy / "report.md").read_text(encoding="utf-8"))


def test_sensitivity_into_a_run_folder(plain, config, tmp_path):
    folder = tmp_path / "deal"
    shutil.copytree(plain, folder)
    res = invoke("sensitivity", config, *SENS[:-1], "--seed", "5", "--out", folder, "--no-figures")
    assert res.exit_code == 0, res.stderr
    assert f"sim report {folder}" in res.stdout, "says how to add it to the report"
    assert (folder / "report.md").read_bytes() == (plain / "report.md").read_bytes(), "the report waits for sim report"
    res = invoke("report", folder)
    assert res.exit_code == 0, res.stderr
    sec = section((folder / "report.md").read_text(encoding="utf-8"))
    assert "**Revenue growth (log, per year) matters most**" in sec
    assert "seed 5" in sec and "other random numbers" in sec, "says the analysis used another seed"
    assert "9. Sensitivity" in (folder / "report.html").read_text(encoding="utf-8")


def test_note_when_the_config_differs(with_sens):
    result = sim.engine.results.Result.load(with_sens)
    sens = rp.load_sensitivity(with_sens)
    assert rp.load_sensitivity(with_sens.parent / "nowhere") is None
    same = section(rp.build_markdown(result, [], sensitivity=sens))
    assert "different config" not in same
    other = dict(sens, config_hash="0" * 64)
    assert "run on a different config" in section(rp.build_markdown(result, [], sensitivity=other))


def test_option_errors(config, tmp_path):
    out = tmp_path / "x"
    for args, words in [
        (["--sensitivity"], "--out"),
        (["--out", out, "--sensitivity-metric", "min_cash_mean"], "needs --sensitivity"),
        (["--out", out, "--sensitivity-paths", "100"], "needs --sensitivity"),
        (["--out", out, "--sensitivity", "--sensitivity-metric", "p_nonsense"], "--sensitivity-metric: p_nonsense"),
        (["--out", out, "--sensitivity", "--sensitivity-metric", "p_cash_breach_by_1999"], "outside the horizon"),
        (["--out", out, "--sensitivity", "--sensitivity-paths", "1"], "--sensitivity-paths"),
    ]:
        res = invoke("run", config, "--paths", "100", "--quiet", *args)
        assert res.exit_code == 2, (args, res.stderr)
        assert words in res.stderr and len(res.stderr.strip().splitlines()) == 1, (args, res.stderr)
    assert not out.exists(), "bad input is caught before the run"


def test_bad_sensitivity_json(plain, tmp_path):
    folder = tmp_path / "deal"
    folder.mkdir()
    for name in ("summary.json", "config.toml"):
        shutil.copy(plain / name, folder / name)
    (folder / "sensitivity.json").write_text("{not json")
    res = invoke("report", folder)
    assert res.exit_code == 2 and "sensitivity.json" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    (folder / "sensitivity.json").write_text('{"paths": 10}')
    res = invoke("report", folder)
    assert res.exit_code == 2 and "not a sim sensitivity result" in res.stderr
    assert not (folder / "report.html").exists()


def test_browser_shows_nine_sections(with_sens, tmp_path):
    from test_report import IMAGES_JS, Chromium, chromium_binary

    binary = chromium_binary()
    if binary is None:
        pytest.skip("no chromium binary found: install Debian's chromium (apt-get install chromium) or set SIM_CHROMIUM")
    browser = Chromium(binary, str(tmp_path / "profile"))
    try:
        session = browser.open((with_sens / "report.html").resolve().as_uri())
        images = json.loads(browser.evaluate(IMAGES_JS, session))
        sections = browser.evaluate("document.querySelectorAll('main section h2').length", session)
        tornado = json.loads(browser.evaluate(
            "JSON.stringify((() => { const i = document.querySelector('#sensitivity img'); "
            "const r = i.getBoundingClientRect(); return {w: i.naturalWidth, width: r.width, height: r.height}; })())",
            session))
        errors = browser.console_errors(session)
    finally:
        browser.close()
    assert not errors, errors
    assert sections == 9
    assert tornado["w"] > 0 and tornado["width"] > 0 and tornado["height"] > 0, tornado
    for img in images:
        assert img["complete"] and img["naturalWidth"] > 0, img


def test_plain_words(with_sens):
    """The sentence names the input that matters most, and says when the next one is as large or nothing is measurable."""
    import copy

    result = sim.engine.results.Result.load(with_sens)
    sens = rp.load_sensitivity(with_sens)

    def first_paragraph(d):
        return section(rp.build_markdown(result, [], sensitivity=d)).split("\n\n")[1]

    d = copy.deepcopy(sens)
    d["tornado"][1].update(swing=d["tornado"][0]["swing"] * 0.95, swing_ci95=d["tornado"][0]["swing_ci95"])
    assert "swings it about as much" in first_paragraph(d)
    d = copy.deepcopy(sens)
    for r in d["tornado"]:
        r["swing_ci95"] = [0.0, r["swing"] * 2]
    assert first_paragraph(d).startswith("No input moves P(cash < floor at some step) by more than the Monte Carlo noise")
    d = copy.deepcopy(sens)
    d["tornado"][0].update(bernoulli=True, low_value=0.0, high_value=1.0)
    assert "if that outcome never happens it is" in first_paragraph(d)
