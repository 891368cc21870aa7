"""The numba cache: it must work from a read-only install, or be skipped, never crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numba

import sim.engine.kernel.jit as jit

ROOT = Path(__file__).resolve().parents[2]


def run_child(code: str, **env) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_unwritable_cache_folder_means_no_cache_and_still_runs():
    code = "import sim, sim.engine.kernel.jit; r = sim.run('pinterest_aws_2031', paths=300); print(sim.engine.kernel.jit.CACHE, r.summary['paths'])"
    assert run_child(code, NUMBA_CACHE_DIR="/dev/null/not-a-folder") == "False 300"


def test_cache_can_be_switched_off():
    assert run_child("import sim.engine.kernel.jit; print(sim.engine.kernel.jit.CACHE)", SIM_NO_JIT_CACHE="1") == "False"


def test_read_only_package_falls_back_to_a_writable_folder(monkeypatch, tmp_path):
    # a read-only install: the package's __pycache__ is not writable, the user cache is
    package_cache = Path(jit.__file__).parent / "__pycache__"
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv("SIM_NO_JIT_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setattr(jit, "_writable", lambda folder: folder != package_cache and jit.Path(folder).is_relative_to(tmp_path))
    try:
        assert jit._configure_cache() is True
        assert numba.config.CACHE_DIR == str(tmp_path / "sim-numba")
    finally:
        os.environ.pop("NUMBA_CACHE_DIR", None)


def test_nothing_writable_means_no_cache(monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv("SIM_NO_JIT_CACHE", raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setattr(jit, "_writable", lambda folder: False)
    assert jit._configure_cache() is False
