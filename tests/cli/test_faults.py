"""Outputs under faults (issue 15): bad targets fail before the run, a folder is written whole or not at all.

Signals, locks between processes and a Dask client's shutdown are tested on a
child process (``python -m sim``); the rest in-process with click's runner.
Each test fails on the code before issue 15.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomli_w
from helpers import TINY, invoke

import sim.api
import sim.report.write

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_bytes(tomli_w.dumps(TINY).encode())
    return path


@pytest.fixture
def no_run(monkeypatch):
    """Any simulation fails the test: the checks must come first."""
    def run(*args, **kwargs):
        raise AssertionError("the simulation started before the output targets were checked")

    monkeypatch.setattr(sim.api, "run", run)


def snapshot(folder: Path) -> dict:
    """Every file below ``folder`` with its bytes (``folder`` exactly as it is)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(folder: Path) -> list[str]:
    """Staged or set-aside copies of ``folder`` beside it (``.NAME.*.new`` / ``.old``)."""
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.") and p.suffix in (".new", ".old"))


def one_line(res) -> str:
    """The error line; the config's own ``warning:`` lines (sim validate's) may come before it."""
    lines = [x for x in res.stderr.strip().splitlines() if not x.startswith("warning: ")]
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    return lines[0]


def sim_child(*args, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "sim", *map(str, args)], cwd=kwargs.get("cwd"), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(test, timeout: float = 120.0, what: str = "the child to start") -> None:
    t0 = time.monotonic()
    while not test():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


# ---------------------------------------------------------------------------
# 1. Output targets checked before any simulation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["empty", "folder", "fifo", "device", "missing_folder"])
def test_a_bad_json_target_is_one_line_exit_2_before_the_run(tmp_path, tiny, no_run, kind):
    target = {"empty": "", "folder": str(tmp_path), "fifo": str(tmp_path / "fifo"), "device": "/dev/full",
              "missing_folder": str(tmp_path / "nowhere" / "s.json")}[kind]
    if kind == "fifo":
        os.mkfifo(target)
    if kind == "device" and not os.path.exists(target):
        pytest.skip("no /dev/full here")
    res = invoke("run", tiny, "--paths", 1000, "--json", target)
    assert res.exit_code == 2, res.stderr
    assert one_line(res).startswith("--json: ")
    if kind == "fifo":
        assert stat.S_ISFIFO(os.stat(target).st_mode), "the FIFO is still a FIFO"
    if kind == "device":
        assert stat.S_ISCHR(os.stat(target).st_mode)


@pytest.mark.parametrize("command", ["run", "sweep", "solve", "sensitivity"])
@pytest.mark.parametrize("kind", ["existing_file", "under_a_file", "unwritable", "empty"])
def test_a_bad_out_folder_is_one_line_exit_2_before_the_run(tmp_path, tiny, no_run, monkeypatch, command, kind):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    # /proc refuses new entries even to root, where a folder's mode would not
    out = {"existing_file": a_file, "under_a_file": a_file / "sub", "unwritable": "/proc/sim-out", "empty": ""}[kind]
    extra = {"run": [], "sensitivity": [],
             "sweep": ["--grid", "cloud.commitment.total=200,300"],
             "solve": ["--vary", "cloud.commitment.total", "--between", "100:400", "--target", "p_cash_breach<=0.5"]}[command]
    import sim.analysis.sensitivity as ss
    import sim.analysis.solve as solve_mod
    import sim.analysis.sweep as sweep_mod

    for mod, name in ((ss, "analyse"), (sweep_mod, "run_sweep"), (solve_mod, "solve")):
        monkeypatch.setattr(mod, name, lambda *a, **k: pytest.fail("started before --out was checked"))
    res = invoke(command, tiny, "--paths", 1000, *extra, "--out", out)
    assert res.exit_code == 2, res.stderr
    line = one_line(res)
    assert "--out" in line and "Traceback" not in line


def test_json_through_a_symlink_writes_its_target(tmp_path, tiny):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    res = invoke("run", tiny, "--paths", 1000, "--json", link, "-q")
    assert res.exit_code == 0, res.stderr
    assert link.is_symlink() and json.loads(real.read_text())["paths"] == 1000


# ---------------------------------------------------------------------------
# 2. An output folder is one transaction, under a lock; no other config's results mixed in
# ---------------------------------------------------------------------------


def test_out_folder_is_swapped_in_whole_keeping_other_files(tmp_path, tiny):
    new, out = tmp_path / "new", tmp_path / "deal"
    out.mkdir()
    out.chmod(0o751)
    (out / "notes.txt").write_text("my notes")
    (out / "summary.json").write_text("{}")
    old = os.umask(0o027)
    try:
        res = invoke("run", tiny, "--paths", 1000, "--out", out, "--format", "md", "-q")
        assert invoke("run", tiny, "--paths", 1000, "--out", new, "--format", "none", "-q").exit_code == 0
    finally:
        os.umask(old)
    assert res.exit_code == 0, res.stderr
    assert (out / "notes.txt").read_text() == "my notes", "a file the run does not write is carried over"
    assert json.loads((out / "summary.json").read_text())["paths"] == 1000
    assert (out / "report.md").is_file() and leftovers(out) == []
    assert stat.S_IMODE(out.stat().st_mode) == 0o751, "the folder keeps its mode"
    assert stat.S_IMODE(new.stat().st_mode) == 0o750, "a new folder has mkdir's mode, not a temporary folder's 0700"


def test_a_failed_write_leaves_the_folder_exactly_as_it_was(tmp_path, tiny, monkeypatch):
    out = tmp_path / "deal"
    assert invoke("run", tiny, "--paths", 1000, "--out", out, "--format", "md", "-q").exit_code == 0
    (out / "notes.txt").write_text("my notes")
    before = snapshot(out)

    def broken(result, folder, formats):
        (Path(folder) / "report.md").write_text("half")
        raise OSError(28, "No space left on device", str(Path(folder) / "report.md"))

    monkeypatch.setattr(sim.report.write, "write_report", broken)
    res = invoke("run", tiny, "--paths", 2000, "--seed", 5, "--out", out, "--format", "md", "-q")
    assert res.exit_code == 1, res.stderr
    assert snapshot(out) == before and leftovers(out) == []


def test_a_second_run_into_a_busy_folder_fails_at_once_naming_the_other(tmp_path, tiny, no_run):
    out = tmp_path / "deal"
    hold = "import sys, time; from sim.folders import folder_lock\nwith folder_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(out)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        res = invoke("run", tiny, "--paths", 1000, "--out", out)
        assert time.monotonic() - t0 < 10
    finally:
        holder.kill()
        holder.wait()
    assert res.exit_code == 2, res.stderr
    line = one_line(res)
    assert "in use by another sim run" in line and f"pid {holder.pid}" in line and "started" in line


def test_a_sensitivity_of_another_config_is_left_out_with_a_warning(tmp_path, tiny):
    out = tmp_path / "deal"
    sens = ["--paths", 300, "--inputs", "revenue.growth", "--percentiles", "50", "--no-correlations", "--no-figures", "-q"]
    assert invoke("run", tiny, "--paths", 1000, "--out", out, "--format", "none", "-q").exit_code == 0
    # the same config: section 9 is there
    assert invoke("sensitivity", out / "config.toml", *sens, "--out", out).exit_code == 0
    res = invoke("report", out, "--format", "md")
    assert res.exit_code == 0 and "9. Sensitivity" in (out / "report.md").read_text()
    # another config's analysis in DIR: left out, and said so
    other = invoke("sensitivity", tiny, "--set", "company.cash=400", *sens, "--out", out)
    assert other.exit_code == 0, other.stderr
    res = invoke("report", out, "--format", "md")
    assert res.exit_code == 0, res.stderr
    assert "9. Sensitivity" not in (out / "report.md").read_text()
    assert "warning:" in res.stderr and "another config" in res.stderr


# ---------------------------------------------------------------------------
# 3. SIGTERM like Ctrl-C; a sweep's manifest follows its cells
# ---------------------------------------------------------------------------


slow = pytest.mark.slow  # a child process each: its imports take seconds


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    """One small run first, so that the children below load the kernels from the JIT cache, not compile
    them (a signal waits while the compiler runs)."""
    child = sim_child("run", "--paths", 1000, "-q")
    assert child.wait(timeout=600) == 0, child.stderr.read()


@slow
@pytest.mark.parametrize("sig, code, word", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
                         ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_a_run_leaves_no_output(tmp_path, warm_cache, sig, code, word):
    out = tmp_path / "deal"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    before = snapshot(out)
    child = sim_child("run", "--paths", 5_000_000, "--out", out, "--json", tmp_path / "s.json", "-q")
    try:
        wait_for(lambda: (tmp_path / ".deal.lock.json").exists() or child.poll() is not None)
        time.sleep(1.5)  # into the simulation
        child.send_signal(sig)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == code, err
    assert word in err and "as they were before this run" in err and "Traceback" not in err
    assert snapshot(out) == before and leftovers(out) == [] and not (tmp_path / "s.json").exists()


def _manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}


@slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_sweeps_manifest_counts_the_cells_done_when_stopped(tmp_path, tiny, warm_cache, sig):
    out = tmp_path / "sweep"
    child = sim_child("sweep", tiny, "--grid", "cloud.commitment.total=" + ",".join(str(100 + 10 * i) for i in range(40)),
                      "--paths", 100_000, "--threads", 1, "--out", out, "--no-plots", "-q")
    try:
        wait_for(lambda: _manifest(out).get("cells_done", 0) >= 1 or child.poll() is not None, what="a finished cell")
        child.send_signal(sig)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    m = _manifest(out)
    done = [c["key"] for c in m["cells"] if c["done"]]
    assert 1 <= m["cells_done"] == len(done) < 40
    assert all((out / "cells" / f"{k}.json").is_file() for k in done), "every cell counted done is saved"
    if sig == signal.SIGTERM:
        assert child.returncode == 143, err
        assert m["status"] == "interrupted" and "terminated" in err
        assert m["cells_done"] == len(list((out / "cells").glob("*.json")))


# ---------------------------------------------------------------------------
# 4. A bad --scheduler address
# ---------------------------------------------------------------------------


@slow
def test_a_malformed_scheduler_is_one_line_exit_2_without_a_traceback():
    pytest.importorskip("distributed")
    t0 = time.monotonic()
    child = sim_child("run", "--paths", 1000, "--scheduler", "not a url")
    _, err = child.communicate(timeout=120)
    elapsed = time.monotonic() - t0
    assert child.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("--scheduler: ") and "Traceback" not in err, err
    assert "not a scheduler address" in lines[0]
    assert elapsed < 19, f"{elapsed:.0f} s: the Client's 20 s close timeout ran"


def test_a_scheduler_that_refuses_fails_in_seconds():
    pytest.importorskip("distributed")
    from sim.engine.dask_executor import ClusterError, DaskExecutor

    t0 = time.monotonic()
    with pytest.raises(ClusterError, match="cannot connect to the scheduler at tcp://127.0.0.1:1"):
        DaskExecutor(scheduler="tcp://127.0.0.1:1")
    assert time.monotonic() - t0 < 5, "the probe fails at once, not after the Client's 10 s of retries"
