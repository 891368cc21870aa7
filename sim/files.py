"""Atomic file writes: a file is either the old one or the complete new one.

Every output (summaries, tables, reports, sweep cells) goes through
:func:`atomic_target`: the data is written to a temporary file beside the
target, then renamed over it, so an interrupted run never leaves half a file.

What is at the target matters (a rename replaces whatever is there):

* a symbolic link is written *through*: its final target is the file that is
  replaced (atomically, beside that target), and the link stays a link;
* anything that exists and is not a regular file (a folder, a device such as
  ``/dev/full``, a FIFO, a socket) is refused with :class:`OutputPathError`
  before anything is written;
* the new file gets the mode ``open()`` would give it (``0o666`` less the
  umask), not the ``0o600`` of a temporary file, so colleagues on a shared
  drive can read a report.
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterator

__all__ = ["OutputPathError", "atomic_target", "check_output_file", "file_mode", "write_atomic", "write_bytes_atomic"]


class OutputPathError(OSError):
    """An output path that cannot be written as a regular file (one line: ``PATH: problem``)."""

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        self.path, self.problem = os.fspath(path), problem
        super().__init__(f"{self.path}: {problem}")
        self.filename, self.strerror = self.path, problem  # as an OSError from open(): `sim` prints `PATH: problem`

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def file_mode() -> int:
    """The mode a new file gets from ``open()``: ``0o666`` less the process umask."""
    mask = os.umask(0)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return 0o666 & ~mask


_KINDS = ((stat.S_ISDIR, "is a folder"), (stat.S_ISCHR, "is a character device"), (stat.S_ISBLK, "is a block device"),
          (stat.S_ISFIFO, "is a FIFO (named pipe)"), (stat.S_ISSOCK, "is a socket"))


def check_output_file(path: str | os.PathLike) -> Path:
    """The regular file that writing ``path`` replaces (symbolic links followed), checked before writing.

    Raises
    ------
    OutputPathError
        When ``path`` is empty, exists and is not a regular file, or its folder
        does not exist or is not a folder.
    """
    if os.fspath(path) == "":
        raise OutputPathError("''", "empty file name")
    target = Path(os.path.realpath(path))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as e:
        raise OutputPathError(path, e.strerror or str(e)) from None
    if mode is not None and not stat.S_ISREG(mode):
        problem = next((text for test, text in _KINDS if test(mode)), "is not a regular file")
        raise OutputPathError(path, f"{problem}, not a file that can be written")
    parent = target.parent
    if not parent.exists():
        raise OutputPathError(path, f"no such folder {parent}")
    if not parent.is_dir():
        raise OutputPathError(path, f"{parent} is not a folder")
    return target


@contextmanager
def atomic_target(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside the file ``path`` names; renamed onto it when the block succeeds.

    Errors name ``path`` (the file the user asked for), not the temporary file;
    on any error or interruption the temporary file is removed.
    """
    target = check_output_file(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise OSError(e.errno, e.strerror, os.fspath(path)) from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, file_mode())
        os.replace(tmp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_target(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_target(path) as tmp:
        tmp.write_bytes(data)
