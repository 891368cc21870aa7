"""Output folders written as one transaction, under a lock.

A run's folder (``sim run --out DIR``) holds files that belong together
(summary.json, config.toml, the tables, the report).  Writing them one by one
into DIR means an interruption, a failure or a second run leaves a mixture.
So:

* :func:`folder_transaction` stages everything in a temporary folder beside
  DIR (``.DIR.XXXX.new``) that starts as a copy of DIR (so files the run does
  not write, such as a user's notes, are carried over); on success DIR is renamed aside, the staged folder renamed in and the
  old one removed.  On any error or interruption the staged folder is removed
  and DIR is exactly as it was.
* :func:`folder_lock` holds a lock (``filelock``) on DIR for a whole run: a
  second run into the same folder fails at once (or after ``timeout``
  seconds) with :class:`FolderBusyError`, which names the other run (its pid,
  start time and command, from the lock's companion file ``.DIR.lock.json``).

The lock file and its companion are removed when the run ends (after SIGKILL
they stay, harmless: the lock died with its process).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

__all__ = ["FolderBusyError", "folder_lock", "folder_transaction", "lock_paths"]


class FolderBusyError(OSError):
    """Another run holds the lock on the folder (one line: ``DIR: in use by ...``)."""

    def __init__(self, folder: str | os.PathLike, holder: str) -> None:
        self.folder = os.fspath(folder)
        super().__init__(f"{self.folder}: in use by another sim run ({holder}); wait for it to finish or choose another folder")
        self.filename, self.strerror = self.folder, f"in use by another sim run ({holder}); wait for it to finish or choose another folder"

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def lock_paths(folder: str | os.PathLike) -> tuple[Path, Path]:
    """The lock file and its companion (who holds it), beside ``folder``: ``.NAME.lock``, ``.NAME.lock.json``.

    Beside, not inside: the folder itself is swapped by :func:`folder_transaction`.
    """
    target = Path(os.path.realpath(folder))  # one lock whatever link names the folder
    return target.parent / f".{target.name}.lock", target.parent / f".{target.name}.lock.json"


def _holder(info: Path) -> str:
    try:
        d = json.loads(info.read_text(encoding="utf-8"))
        return f"pid {d['pid']}, started {d['started']}: {d['command']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "pid unknown"


@contextmanager
def folder_lock(folder: str | os.PathLike, timeout: float = 0.0) -> Iterator[Path]:
    """Hold the lock on ``folder`` (created if missing, with its parents) for the block.

    Parameters
    ----------
    folder : path
        The output folder.
    timeout : float
        Seconds to wait for another run to release it; 0 fails at once.

    Raises
    ------
    FolderBusyError
        Another process holds the lock after ``timeout`` seconds.
    """
    from filelock import FileLock, Timeout  # only when a folder is written

    lock_file, info = lock_paths(folder)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_file, timeout=timeout)
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise FolderBusyError(folder, _holder(info)) from None
    try:
        program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
        command = " ".join(["sim" if program in ("__main__.py", "-m", "-c") else program, *sys.argv[1:]])
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        with suppress(OSError):
            info.write_text(json.dumps({"pid": os.getpid(), "started": started, "command": command}) + "\n", encoding="utf-8")
        yield Path(folder)
    finally:
        # Removed while still held, so that nothing is left beside DIR: a run that opened the old file
        # meanwhile finds it unlinked once it gets the lock (filelock checks) and tries the new one.
        for path in (info, lock_file):
            with suppress(OSError):
                path.unlink()
        lock.release()


def _folder_mode() -> int:
    """The mode ``mkdir`` gives a new folder: ``0o777`` less the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is over (the two renames of the swap)."""
    held = {signal.SIGINT, signal.SIGTERM}
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextmanager
def folder_transaction(folder: str | os.PathLike) -> Iterator[Path]:
    """A staged copy of ``folder`` to write into; swapped in as a whole when the block succeeds.

    Parameters
    ----------
    folder : path
        The output folder; created (with its parents) when missing.  It must be
        a folder or not exist.

    Yields
    ------
    Path
        The staged folder, beside ``folder``: write every output there.

    Raises
    ------
    NotADirectoryError
        ``folder`` exists and is not a folder (nothing is written).
    """
    target = Path(os.path.realpath(folder))  # a link to a folder stays a link: the folder it names is swapped
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(20, "not a folder", os.fspath(folder))
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".new"))
    try:
        if target.is_dir():
            # copies, not hard links: a writer that rewrote a file in place would change the old DIR too;
            # copytree gives the copy the old folder's mode
            os.rmdir(stage)
            shutil.copytree(target, stage, symlinks=True)
        else:
            os.chmod(stage, _folder_mode())  # mkdtemp's 0o700 would hide the folder from colleagues
        yield stage
        with _signals_held():  # no interruption between the renames, nor a set-aside copy left behind
            old = None
            if target.is_dir():
                old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
                os.replace(target, old)  # an empty folder is replaced by the rename
            try:
                os.replace(stage, target)
            except BaseException:
                if old is not None:
                    os.replace(old, target)
                raise
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
