"""Atomic writes (sim.files): what is at the target, file modes, interruptions."""

from __future__ import annotations

import os
import socket
import stat

import pytest

from sim.files import OutputPathError, atomic_target, check_output_file, write_atomic


def test_write_replaces_a_regular_file(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]  # no temporary file left


def test_symlink_is_written_through(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "made.json")
    write_atomic(link, "x")
    assert link.is_symlink() and (tmp_path / "made.json").read_text() == "x"


def test_fifo_is_refused_and_left_alone(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputPathError, match="FIFO"):
        write_atomic(fifo, "x")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_folder_device_and_socket_are_refused(tmp_path):
    with pytest.raises(OutputPathError, match="is a folder"):
        write_atomic(tmp_path, "x")
    with pytest.raises(OutputPathError, match="character device"):
        check_output_file("/dev/null")
    sock_path = tmp_path / "s"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(sock_path))
        with pytest.raises(OutputPathError, match="socket"):
            write_atomic(sock_path, "x")
    finally:
        sock.close()


def test_missing_folder_and_empty_name(tmp_path):
    with pytest.raises(OutputPathError, match="no such folder"):
        write_atomic(tmp_path / "nowhere" / "a.json", "x")
    with pytest.raises(OutputPathError, match="empty file name"):
        write_atomic("", "x")


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_files_honour_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "report.html", "<html></html>")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o666 & ~umask


def test_interrupted_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_target(target) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
