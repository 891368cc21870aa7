"""The report (sim.report), the tables (sim.present.tables) and ``sim report`` / ``sim run --out``.

* the HTML is self-contained: no scripts, no external URLs, every image a
  ``data:`` PNG; the Markdown links PNG files that exist beside it;
* round trip: ``sim report DIR`` on saved results rebuilds byte-identical
  HTML and Markdown (the report has no build timestamp);
* tables: tidy CSV and Parquet with the summary's numbers;
* a real headless browser (Debian's chromium, driven through the DevTools
  protocol over a pipe) opens the HTML with no console errors and every image
  of non-zero size.  Skipped, with the reason, when no chromium is installed
  (``apt-get install chromium``; or point ``SIM_CHROMIUM`` at a binary).

Runs use 20,000 paths of the shipped scenarios.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest
from helpers import invoke

import sim
import sim.report as rp
from sim.present import formatting as fmt
from sim.present import tables

PATHS = 20_000


@pytest.fixture(scope="module")
def result(default_result):
    return default_result


@pytest.fixture(scope="module")
def filings():
    return sim.run("pinterest_aws_2031_filings", paths=PATHS, seed=1)


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory, result):
    folder = tmp_path_factory.mktemp("run")
    rp.write_outputs(result, folder)
    return folder




# --------------------------------------------------------------------------
# Files written
# --------------------------------------------------------------------------


def test_outputs_written(out_dir):
    names = {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*")}
    for name in ("summary.json", "config.toml", "report.html", "report.md", "by_year.csv", "by_year_risk.csv", "by_step.csv"):
        assert name in names
    if tables.parquet_available():
        assert {"by_year.parquet", "by_year_risk.parquet", "by_step.parquet"} <= names
    figs = sorted(n for n in names if n.startswith("figures/"))
    assert len(figs) >= 10
    assert not [n for n in names if ".tmp" in n or n.startswith(".")], "no temporary files left behind"


def test_html_self_contained(out_dir):
    text = (out_dir / "report.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<script" not in text.lower()
    # no resource outside the file: every src/href is a data: URI or an anchor
    for attr in re.findall(r'(?:src|href)="([^"]*)"', text):
        assert attr.startswith(("data:", "#")), attr
    assert "http://" not in text and "https://" not in text
    imgs = re.findall(r'<img src="data:image/png;base64,([^"]+)"', text)
    assert len(imgs) >= 10
    for b64 in imgs:
        png = base64.b64decode(b64)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
    for n in range(1, 9):  # sections 1-8
        assert re.search(rf"<h2>{n}\. ", text), f"section {n} missing"


def test_markdown_links_existing_figures(out_dir):
    text = (out_dir / "report.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) >= 10
    for link in links:
        assert (out_dir / link).is_file(), link
    for n in range(1, 9):
        assert re.search(rf"^## {n}\. ", text, re.M), f"section {n} missing"
    outside_code = text.split("```toml")[0]
    assert "\\$1.00B" in outside_code and not re.search(r"(?<!\\)\$", outside_code), "money dollars escaped (no $...$ math)"


def test_headline_numbers_match_summary(out_dir, result):
    s = result.summary
    text = (out_dir / "report.html").read_text(encoding="utf-8")
    b = s["p_cash_breach"]
    assert fmt.percent(b["estimate"]) in text
    assert f"95% CI {fmt.percent_ci(b['ci95'])}" in text
    assert fmt.percent(s["p_profit_compression_any"]) in text
    assert fmt.percent(max(s["p_profit_compression_by_year"])) in text
    assert fmt.percent(s["p_commitment_shortfall"]) in text
    assert fmt.money(s["expected_shortfall_total"]) in text
    assert fmt.money(s["min_cash"]["expected_shortfall_5pct"]) in text
    assert s["config_hash"] in text
    assert f"{s['paths']:,}" in text


# --------------------------------------------------------------------------
# Round trip
# --------------------------------------------------------------------------


def test_round_trip_identical(out_dir, tmp_path):
    """``sim report`` on the saved results gives byte-identical reports and figures."""
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("summary.json", "config.toml"):
        shutil.copy(out_dir / name, copy / name)
    result = invoke("report", copy)
    assert result.exit_code == 0, result.stderr
    for name in ("report.html", "report.md"):
        assert (copy / name).read_bytes() == (out_dir / name).read_bytes(), name
    for png in (out_dir / "figures").iterdir():
        assert (copy / "figures" / png.name).read_bytes() == png.read_bytes(), png.name
    assert not (copy / "by_year.csv").exists(), "sim report rebuilds the report only"


def test_report_format_choice(out_dir, tmp_path):
    copy = tmp_path / "only_md"
    copy.mkdir()
    for name in ("summary.json", "config.toml"):
        shutil.copy(out_dir / name, copy / name)
    result = invoke("report", copy, "--format", "md")
    assert result.exit_code == 0, result.stderr
    assert (copy / "report.md").exists() and not (copy / "report.html").exists()
    assert (copy / "report.md").read_bytes() == (out_dir / "report.md").read_bytes()


def test_report_errors(tmp_path):
    result = invoke("report", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and "nowhere" in result.stderr
    result = invoke("report", tmp_path)
    assert result.exit_code == 2
    assert "summary.json" in result.stderr and len(result.stderr.splitlines()) == 1
    (tmp_path / "summary.json").write_text("{not json")
    result = invoke("report", tmp_path)
    assert result.exit_code == 2 and "summary.json" in result.stderr and len(result.stderr.splitlines()) == 1
    result = invoke("report", tmp_path, "--format", "pdf")
    assert result.exit_code == 2 and "pdf" in result.stderr and "Traceback" not in result.stderr


def test_report_without_config(out_dir, tmp_path):
    """Without config.toml the report still builds; the inputs section says why it is short."""
    shutil.copy(out_dir / "summary.json", tmp_path / "summary.json")
    result = invoke("report", tmp_path, "--format", "html")
    assert result.exit_code == 0, result.stderr
    assert "config.toml" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_run_out_writes_everything(tmp_path):
    out = tmp_path / "deal"
    result = invoke("run", "--paths", "3000", "--seed", "2", "--out", out, "--format", "html", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert (out / "report.html").exists() and not (out / "report.md").exists()
    assert (out / "by_year.csv").exists() and (out / "by_step.csv").exists()
    again = invoke("report", out, "--format", "none")  # checks the folder, writes nothing
    assert again.exit_code == 0, again.stderr
    assert again.stdout == ""


def test_run_format_needs_out():
    result = invoke("run", "--paths", "100", "--format", "html")
    assert result.exit_code == 2 and "--out" in result.stderr


def test_run_bad_format(tmp_path):
    result = invoke("run", "--paths", "100", "--out", tmp_path / "x", "--format", "docx")
    assert result.exit_code == 2 and "docx" in result.stderr
    assert not (tmp_path / "x").exists(), "bad input is caught before the run"


def test_format_parsing():
    assert rp.parse_formats("html,md") == ("html", "md")
    assert rp.parse_formats("md, html") == ("html", "md")
    assert rp.parse_formats("markdown") == ("md",)
    assert rp.parse_formats("none") == ()
    with pytest.raises(ValueError, match="pdf"):
        rp.parse_formats("html,pdf")


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def test_tables_tidy(result):
    s = result.summary
    t = tables.tables(result)
    by_year = t["by_year"]
    years = s["years"]
    assert len(by_year) == len(years) * len(s["by_year"])
    row = by_year[(by_year.metric == "fcf") & (by_year.year == years[2])].iloc[0]
    assert row["mean"] == s["by_year"]["fcf"]["mean"][2]
    assert row["p05"] == s["by_year"]["fcf"]["quantiles"]["0.05"][2]
    assert row["central"] == s["central_case"]["fcf"][2]
    risk = t["by_year_risk"]
    assert list(risk.year) == years
    assert list(risk.p_cash_breach) == s["p_cash_breach_by_year"]
    assert risk.p_first_breach.sum() == pytest.approx(s["p_cash_breach"]["estimate"])
    assert list(risk.cfar95_usd_m) == s["cfar95_by_year"]
    assert set(by_year.unit) == {"usd_m", "share"} and set(by_year[by_year.unit == "share"].metric) == {"operating_margin"}
    steps = t["by_step"]
    assert len(steps) == len(years) * s["steps_per_year"]
    assert steps.time.iloc[-1] == years[-1] + 1
    assert list(steps.cash_p50_usd_m) == s["by_step"]["cash"]["quantiles"]["0.5"]


def test_tables_files_match(out_dir, result):
    import pandas as pd

    csv = pd.read_csv(out_dir / "by_year.csv")
    expected = tables.by_year(result)
    pd.testing.assert_frame_equal(csv, expected, check_exact=False, rtol=1e-12)
    if tables.parquet_available():
        pq = pd.read_parquet(out_dir / "by_year.parquet")
        pd.testing.assert_frame_equal(pq, expected)


def test_tables_without_pyarrow(monkeypatch, tmp_path, result, capsys):
    monkeypatch.setattr(tables, "parquet_available", lambda: False)
    monkeypatch.setattr(tables, "_said_no_parquet", False)
    written = tables.write_tables(result, tmp_path)
    assert all(p.suffix == ".csv" for p in written)
    err = capsys.readouterr().err
    assert err.count("pyarrow") == 1
    tables.write_tables(result, tmp_path)
    assert "pyarrow" not in capsys.readouterr().err, "said once"


# --------------------------------------------------------------------------
# Other scenarios and partial summaries
# --------------------------------------------------------------------------


def test_filings_report_mentions_debt(filings, tmp_path):
    rp.write_report(filings, tmp_path, "html")
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "convertible-2031" in text
    assert "2031-03" in text


def test_report_without_steps_or_cloud(tmp_path):
    """No per-step recording and no cloud bill: the report builds and says what is missing."""
    from sim.model import load_scenario, scenario_to_dict

    d = scenario_to_dict(load_scenario("pinterest_aws_2031"))
    d["cloud"] = {"spend": 0}
    d["correlations"] = []
    scn = sim.load(d)
    r = sim.run(scn, paths=2_000, seed=1, record_steps=False)
    assert "by_step" not in r.summary and "commitment" not in r.summary
    written = rp.write_report(r, tmp_path)
    assert tmp_path / "report.html" in written
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "no cloud commitment" in text


# --------------------------------------------------------------------------
# A real browser
# --------------------------------------------------------------------------


def chromium_binary() -> str | None:
    env = os.environ.get("SIM_CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Chromium:
    """Headless chromium driven through the DevTools protocol over a pipe (no network port, no websocket).

    ``--remote-debugging-pipe`` reads commands from file descriptor 3 and
    writes replies and events to descriptor 4, each a JSON text ended by a NUL.
    """

    def __init__(self, binary: str, profile: str, timeout: float = 60.0):
        args = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
            f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank",
        ]
        # fd 3 <- our stdin pipe (commands), fd 4 -> our stdout pipe (replies)
        self.proc = subprocess.Popen(
            ["sh", "-c", 'exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2', *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.timeout = timeout
        self.messages: queue.Queue = queue.Queue()
        self.events: list[dict] = []
        self.stderr_lines: list[str] = []
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read(self):
        buf = b""
        while True:
            chunk = self.proc.stdout.read1(1 << 16)
            if not chunk:
                self.messages.put(None)
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                self.messages.put(json.loads(msg))

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line.decode("utf-8", "replace").rstrip())

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.proc.stdin.write(json.dumps(msg).encode() + b"\0")
        self.proc.stdin.flush()
        return self._wait(lambda m: m.get("id") == self._next, method)

    def _wait(self, match, what: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"chromium: no answer to {what} in {self.timeout:.0f} s; stderr: {self.stderr_tail()}")
            try:
                m = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            if m is None:
                raise RuntimeError(f"chromium exited (code {self.proc.poll()}); stderr: {self.stderr_tail()}")
            if "id" not in m:
                self.events.append(m)
                if match(m):
                    return m
                continue
            if match(m):
                if "error" in m:
                    raise RuntimeError(f"chromium: {what}: {m['error']}")
                return m.get("result", {})

    def wait_event(self, method: str, session: str) -> dict:
        for e in self.events:
            if e.get("method") == method and e.get("sessionId") == session:
                return e
        return self._wait(lambda m: m.get("method") == method and m.get("sessionId") == session, method)

    def stderr_tail(self) -> str:
        return " | ".join(self.stderr_lines[-5:]) or "(empty)"

    def open(self, url: str, width: int = 1100, height: int = 1400) -> str:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.send(method, session=session)
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
        self.send("Page.navigate", {"url": url}, session)
        self.wait_event("Page.loadEventFired", session)
        return session

    def evaluate(self, expression: str, session: str):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session)
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluate failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, session: str, clip: dict | None = None) -> bytes:
        params = {"format": "png", "captureBeyondViewport": clip is not None}
        if clip:
            params["clip"] = {**clip, "scale": 1}
        return base64.b64decode(self.send("Page.captureScreenshot", params, session)["data"])

    def console_errors(self, session: str) -> list[str]:
        out = []
        for e in self.events:
            if e.get("sessionId") != session:
                continue
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif e["method"] == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
            elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log: " + p["entry"].get("text", "") + " " + p["entry"].get("url", ""))
        return out

    def close(self):
        try:
            if self.proc.poll() is None:
                self.proc.stdin.write(json.dumps({"id": 10**6, "method": "Browser.close"}).encode() + b"\0")
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - make sure it goes away
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


IMAGES_JS = """JSON.stringify(Array.from(document.images).map(i => ({
  alt: i.alt, complete: i.complete, naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight,
  width: i.getBoundingClientRect().width, height: i.getBoundingClientRect().height})))"""


def test_browser_opens_report(out_dir, tmp_path):
    binary = chromium_binary()
    if binary is None:
        pytest.skip("no chromium binary found: install Debian's chromium (apt-get install chromium) or set SIM_CHROMIUM")
    browser = Chromium(binary, str(tmp_path / "profile"))
    try:
        session = browser.open((out_dir / "report.html").resolve().as_uri())
        images = json.loads(browser.evaluate(IMAGES_JS, session))
        title = browser.evaluate("document.title", session)
        sections = browser.evaluate("document.querySelectorAll('main section h2').length", session)
        shot = browser.screenshot(session)
        time.sleep(0.2)  # let late console events arrive
        errors = browser.console_errors(session)
    finally:
        browser.close()
    assert not errors, errors
    assert title.startswith("Risk report")
    assert sections == 8
    assert len(images) >= 10
    for img in images:
        assert img["complete"] and img["naturalWidth"] > 0 and img["naturalHeight"] > 0, img
        assert img["width"] > 0 and img["height"] > 0, img
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 10_000
    if os.environ.get("SIM_SCREENSHOT_DIR"):  # for a person to look at
        Path(os.environ["SIM_SCREENSHOT_DIR"], "report_top.png").write_bytes(shot)
