"""The numba cache: it must work from a read-only install, or be skipped, never crash."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import numba
import pytest

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


def _read_only_package(monkeypatch):
    """A read-only install: the package's __pycache__ cannot be written; no NUMBA_CACHE_DIR."""
    package_cache = Path(jit.__file__).parent / "__pycache__"
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv("SIM_NO_JIT_CACHE", raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    real = jit.writable
    monkeypatch.setattr(jit, "writable", lambda folder: folder != package_cache and real(folder))


def test_read_only_package_falls_back_to_the_user_cache(monkeypatch, tmp_path):
    _read_only_package(monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    try:
        assert jit.configure_cache() == tmp_path / "sim" / "numba"
        assert numba.config.CACHE_DIR == str(tmp_path / "sim" / "numba")
        assert stat.S_IMODE((tmp_path / "sim" / "numba").stat().st_mode) == 0o700
    finally:
        os.environ.pop("NUMBA_CACHE_DIR", None)


def test_a_cache_folder_others_can_write_is_not_used(monkeypatch, tmp_path):
    # someone planted a world-writable folder where the user cache would be: never load pickles from it
    _read_only_package(monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    planted = tmp_path / "sim" / "numba"
    planted.mkdir(parents=True)
    planted.chmod(0o777)
    try:
        chosen = jit.configure_cache()
        assert chosen is not None and chosen != planted and chosen.name.startswith("sim-numba-")
        assert stat.S_IMODE(chosen.stat().st_mode) == 0o700 and chosen.stat().st_uid == os.getuid()
    finally:
        os.environ.pop("NUMBA_CACHE_DIR", None)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_cache_folder_owned_by_another_user_is_not_used(monkeypatch, tmp_path):
    _read_only_package(monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    planted = tmp_path / "sim" / "numba"
    planted.mkdir(parents=True, mode=0o700)
    os.chown(planted, 65534, 65534)
    try:
        assert not jit.private_folder(planted)
        assert jit.configure_cache() != planted
    finally:
        os.environ.pop("NUMBA_CACHE_DIR", None)


def test_no_home_directory_is_not_a_crash(monkeypatch):
    # a uid without a home: platformdirs gives a relative "~/.cache": no user folder, a private temp one
    _read_only_package(monkeypatch)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(os.path, "expanduser", lambda p: p)
    try:
        assert jit.user_cache_folder() is None
        chosen = jit.configure_cache()
        assert chosen is not None and chosen.name.startswith("sim-numba-")
    finally:
        os.environ.pop("NUMBA_CACHE_DIR", None)


def test_no_home_but_xdg_cache_home_is_used(tmp_path):
    code = "import sim.engine.kernel.jit as j; print(j.user_cache_folder())"
    env = {k: v for k, v in os.environ.items() if k != "HOME"}
    out = subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path)},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(tmp_path / "sim" / "numba")


def test_nothing_writable_means_no_cache(monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv("SIM_NO_JIT_CACHE", raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setattr(jit, "writable", lambda folder: False)
    monkeypatch.setattr(jit.tempfile, "mkdtemp", lambda prefix: (_ for _ in ()).throw(OSError(30, "read-only")))
    assert jit.configure_cache() is None
