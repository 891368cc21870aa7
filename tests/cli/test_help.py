"""Every command documents itself: help text, an example, help on every option; help starts fast.

Like sqlite-utils' ``tests/test_docs.py``: the commands are found by walking
the group, so a new command without an example fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from helpers import invoke

from sim.cli import cli

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "scipy", "numba", "pandas", "sim.model", "sim.engine", "sim.api")


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand of ``group`` as its words after ``sim``, the group itself first."""
    paths = [prefix]
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            paths += command_paths(command, prefix + (name,))
        else:
            paths.append(prefix + (name,))
    return paths


COMMANDS = command_paths(cli)


def command_at(path: tuple[str, ...]) -> click.Command:
    command = cli
    for name in path:
        command = command.commands[name]
    return command


def test_the_group_holds_every_command():
    assert {p[0] for p in COMMANDS if p} >= {"run", "validate", "scenarios", "report", "sweep", "solve", "sensitivity"}


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(("sim",) + p))
def test_help_has_an_example_of_the_command(path):
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.startswith("Usage: " + " ".join(("sim",) + path))
    assert "Example" in text, f"`sim {' '.join(path)} --help` shows no example"
    # the example runs the command it documents
    example = text[text.index("Example"):]
    assert "sim " + " ".join(path) in example


@pytest.mark.parametrize("path", [p for p in COMMANDS if p], ids=lambda p: " ".join(("sim",) + p))
def test_every_option_has_help(path):
    command = command_at(path)
    assert command.help and command.short_help != "", path
    undocumented = [p.name for p in command.params if isinstance(p, click.Option) and not p.help]
    assert not undocumented, f"sim {' '.join(path)}: options without help: {undocumented}"


def run_python_m_sim(*args: str) -> subprocess.CompletedProcess:
    """``python -m sim ARGS``, then the names of the heavy modules it imported (last line of stdout)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['sim', *{list(args)!r}]\n"
        "code = 0\n"
        "try:\n"
        "    runpy.run_module('sim', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as e:\n"
        "    code = e.code\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    return subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(("sim",) + p))
def test_python_m_sim_help_imports_no_library(path):
    """`sim --help` stays fast (~0.15 s): the library (numpy, numba) is imported only to do the work."""
    proc = run_python_m_sim(*path, "--help")
    assert proc.returncode == 0, proc.stderr
    *help_lines, heavy = proc.stdout.splitlines()
    assert help_lines[0].startswith("Usage: sim")
    assert heavy == "", f"`sim {' '.join(path)} --help` imported {heavy}"
