"""Numba set-up: where compiled kernels are cached, safely.

``@njit(cache=True)`` writes next to the source, which fails on a read-only
install (site-packages owned by root, a container image).  Numba's cache files
are pickles: whoever can write the cache folder can run code as the user who
loads it.  So the folder is chosen in this order, and a folder is only used
when it is *private* (a real folder, owned by this user, writable by no one
else; created with mode 0700 when missing):

1. ``NUMBA_CACHE_DIR`` when set (the user's own choice: used if writable);
2. the package's ``__pycache__`` when writable (the install's own folder);
3. the per-user cache folder (``platformdirs``: ``$XDG_CACHE_HOME/sim/numba``
   or ``~/.cache/sim/numba``), when it resolves to an absolute path: a user
   without a home directory gets no per-user folder, never a crash;
4. a fresh private temporary folder (``tempfile.mkdtemp``: unpredictable name,
   mode 0700), so kernels compiled in this process are reused by its threads
   but never by another user;

and with ``SIM_NO_JIT_CACHE`` set, or nothing usable, numba compiles without a
cache rather than crash.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import numba

__all__ = ["CACHE", "CACHE_FOLDER", "is_cold", "njit", "private_folder", "user_cache_folder"]


def writable(folder: Path) -> bool:
    """Whether a file can be created in ``folder`` (created, with its parents, when missing)."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=folder, prefix=".sim-probe-", delete=True)
        probe.close()
        return True
    except OSError:
        return False


def private_folder(folder: Path) -> bool:
    """Whether ``folder`` is safe for pickled caches: a folder (not a link) owned by this user,
    writable by no one else, and writable by us.  Created with mode 0700 when missing."""
    if not folder.is_absolute() or not writable(folder):
        return False
    try:
        st = folder.lstat()
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):  # a symbolic link (or anything else) planted in its place
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def user_cache_folder() -> Path | None:
    """This user's cache folder for sim's kernels, or None when it has no absolute location (no home)."""
    try:
        import platformdirs

        folder = Path(platformdirs.user_cache_dir("sim", appauthor=False)) / "numba"
    except (RuntimeError, KeyError, OSError):  # no home directory, no passwd entry
        return None
    return folder if folder.is_absolute() else None


def configure_cache() -> Path | None:
    """Pick the cache folder for numba (see the module doc); None means compile without a cache."""
    if os.environ.get("SIM_NO_JIT_CACHE"):
        return None
    configured = os.environ.get("NUMBA_CACHE_DIR") or numba.config.CACHE_DIR
    if configured:
        return Path(configured) if writable(Path(configured)) else None
    package = Path(__file__).parent / "__pycache__"
    if writable(package):
        return package
    user = user_cache_folder()
    if user is not None and private_folder(user):
        chosen = user
    else:
        try:
            chosen = Path(tempfile.mkdtemp(prefix="sim-numba-"))
        except OSError:
            return None
    numba.config.CACHE_DIR = str(chosen)
    os.environ["NUMBA_CACHE_DIR"] = str(chosen)
    return chosen


CACHE_FOLDER = configure_cache()
CACHE = CACHE_FOLDER is not None


def njit(*args, **kwargs):
    """``numba.njit`` with ``nogil=True`` and the cache setting chosen above."""
    kwargs.setdefault("nogil", True)
    kwargs.setdefault("cache", CACHE)
    return numba.njit(*args, **kwargs)


def is_cold(dispatcher) -> bool:
    """Whether calling ``dispatcher`` (an ``njit`` function) will compile it, not load it.

    Cheap: it reads the function's small cache index (``*.nbi``, a few KB),
    which numba only honours when its source stamp (mtime, size) matches the
    source file.  False once the function has run in this process.
    """
    if getattr(dispatcher, "signatures", None):
        return False
    cache = getattr(dispatcher, "_cache", None)
    if not CACHE or cache is None:
        return True
    try:  # numba's private cache API; anything unexpected counts as cold (only a message depends on it)
        return not cache._cache_file._load_index()
    except Exception:  # pragma: no cover - depends on numba's internals
        return True
