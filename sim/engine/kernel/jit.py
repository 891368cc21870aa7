"""Numba set-up: where compiled kernels are cached.

``@njit(cache=True)`` writes next to the source, which fails on a read-only
install (site-packages owned by root, a container image).  Numba then tries a
per-user cache folder; when that is not writable either we point it at a
folder under the system temp directory, and when nothing is writable we
compile without a cache rather than crash.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numba


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=folder, prefix=".sim-probe-", delete=True)
        probe.close()
        return True
    except OSError:
        return False


def _configure_cache() -> bool:
    """Pick a writable cache folder for numba; return whether caching is on."""
    if os.environ.get("SIM_NO_JIT_CACHE"):
        return False
    configured = os.environ.get("NUMBA_CACHE_DIR") or numba.config.CACHE_DIR
    if configured:
        return _writable(Path(configured))
    if _writable(Path(__file__).parent / "__pycache__"):
        return True
    user = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sim-numba"
    for folder in (user, Path(tempfile.gettempdir()) / f"sim-numba-{os.getuid() if hasattr(os, 'getuid') else 'user'}"):
        if _writable(folder):
            numba.config.CACHE_DIR = str(folder)
            os.environ["NUMBA_CACHE_DIR"] = str(folder)
            return True
    return False


CACHE = _configure_cache()


def njit(*args, **kwargs):
    """``numba.njit`` with ``nogil=True`` and the cache setting chosen above."""
    kwargs.setdefault("nogil", True)
    kwargs.setdefault("cache", CACHE)
    return numba.njit(*args, **kwargs)
