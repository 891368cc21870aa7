"""What the ``sim`` commands share: options, checks of their values, the executor, output.

Every command module imports from here, none from ``sim.cli.main`` (which only
builds the group), so the command modules form no circle.  Bad input is an
:class:`InputError`: the group prints it as one line and exits with code 2.

Only click is imported at module level: ``sim --help`` must start fast, so the
library (numpy, scipy, numba) is imported inside the functions that need it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sim.model import Scenario

__all__ = [
    "DEFAULT_SCENARIO",
    "EXECUTORS",
    "QUANTILES",
    "InputError",
    "Terminated",
    "announce_compile",
    "block_size_option",
    "check_folder",
    "check_json_target",
    "check_out_folder",
    "check_run_options",
    "check_warnings",
    "emit_json",
    "executor_from_context",
    "executor_option",
    "executor_options",
    "fail",
    "json_option",
    "load_config",
    "lock_out_folder",
    "open_executor",
    "option_name",
    "paths_option",
    "progress_bar",
    "quantiles_option",
    "quiet_option",
    "scheduler_option",
    "seed_option",
    "set_option",
    "strict_option",
    "threads_option",
    "written_outputs",
]

DEFAULT_SCENARIO = "pinterest_aws_2031"
EXECUTORS = ("local", "dask")
QUANTILES = ("auto", "exact", "sketch")


class InputError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds like Ctrl-C (exit code 143)."""


# What this command has written so far (paths as given): the interruption message says so truthfully.
written_outputs: list[str] = []


def fail(message: str, code: int):
    """Print ``message`` on stderr and exit with ``code``."""
    click.echo(message, err=True)
    sys.exit(code)


def option_name(parameter: str, command: click.Command | None = None) -> str:
    """The option that gives a library parameter its value.

    ``command``'s option whose Python name is ``parameter`` (``overrides`` ->
    ``--set``, ``json_out`` -> ``--json``), else ``--`` and the parameter with
    ``_`` as ``-`` (``max_paths`` -> ``--max-paths``).
    """
    for param in command.params if command is not None else ():
        long = [opt for opt in getattr(param, "opts", ()) if opt.startswith("--")]
        if isinstance(param, click.Option) and param.name == parameter and long:
            return long[0]
    return "--" + parameter.replace("_", "-")


# ---------------------------------------------------------------------------
# Options: the same name, short name and type in every command; the default
# and help text are the command's own (``sim run`` runs 1M paths, a sweep cell 100k).
# ---------------------------------------------------------------------------


def set_option(help: str = "Override a config value (repeatable).") -> click.Option:
    """``--set KEY=VALUE`` (repeatable) into the ``overrides`` argument."""
    return click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=help)


def paths_option(default: int | None, help: str) -> click.Option:
    return click.option("--paths", "-n", type=int, default=default, show_default=default is not None, help=help)


def seed_option(default: int | None, help: str) -> click.Option:
    return click.option("--seed", "-s", type=int, default=default, show_default=default is not None, help=help)


def threads_option(help: str) -> click.Option:
    return click.option("--threads", "-t", type=int, default=None, help=help)


def block_size_option(default: int | None, help: str) -> click.Option:
    return click.option("--block-size", type=int, default=default, show_default=default is not None, help=help)


def quantiles_option(default: str | None, help: str) -> click.Option:
    return click.option("--quantiles", type=click.Choice(QUANTILES), default=default, show_default=default is not None, help=help)


def json_option(help: str) -> click.Option:
    """``--json FILE|-`` into the ``json_out`` argument (see :func:`emit_json`)."""
    return click.option("--json", "json_out", metavar="FILE|-", help=help)


def quiet_option(help: str) -> click.Option:
    return click.option("--quiet", "-q", is_flag=True, help=help)


def strict_option(help: str = "Treat the config's warnings (implausible or ineffective values) as errors: exit 2.") -> click.Option:
    return click.option("--strict", is_flag=True, help=help)


# ---------------------------------------------------------------------------
# The executor: ``--executor dask`` runs the engine's tasks on Dask, a LocalCluster
# of ``--threads`` worker processes (default all cores) or the cluster whose
# scheduler ``--scheduler tcp://HOST:PORT`` names (docs/CLUSTER.md).  Results
# never depend on the executor.
# ---------------------------------------------------------------------------

EXECUTOR_HELP = "Where the blocks run: local threads, or Dask [default: local; dask with --scheduler]. Never changes results."
SCHEDULER_HELP = "Join this Dask scheduler (else --executor dask starts a LocalCluster of --threads worker processes)."
_EXECUTOR_OPTIONS = [
    click.option("--executor", type=click.Choice(EXECUTORS), default=None, help=EXECUTOR_HELP),
    click.option("--scheduler", metavar="tcp://HOST:PORT", help=SCHEDULER_HELP),
    threads_option("Local threads, or LocalCluster worker processes [default: all cores]."),
]


def executor_options(f):
    """``--executor``, ``--scheduler`` and ``--threads`` as arguments of the command (open them with :func:`open_executor`)."""
    for option in reversed(_EXECUTOR_OPTIONS):
        f = option(f)
    return f


# For commands whose signature is shared with other options (``sim run``): the
# values go to ``ctx.meta`` and :func:`executor_from_context` opens the executor.
def _remember(ctx, param, value):
    ctx.meta[f"sim.{param.name}"] = value
    return value


executor_option = click.option("--executor", type=click.Choice(EXECUTORS), default=None, expose_value=False, callback=_remember, help=EXECUTOR_HELP)
scheduler_option = click.option("--scheduler", metavar="tcp://HOST:PORT", expose_value=False, callback=_remember, help=SCHEDULER_HELP)


@contextlib.contextmanager
def open_executor(executor: str | None, scheduler: str | None, threads: int | None):
    """The engine executor the options ask for (None: local threads), closed afterwards.

    Raises
    ------
    InputError
        Dask missing, ``--scheduler`` with ``--executor local``, or a scheduler
        that cannot be reached.
    """
    kind = executor or ("dask" if scheduler else "local")
    if kind == "local":
        if scheduler:
            raise InputError("--scheduler: needs --executor dask")
        yield None
        return
    try:
        from sim.engine.dask_executor import ClusterError, DaskExecutor
    except ImportError:
        raise InputError("--executor dask: Dask is not installed (pip install 'sim[dask]')") from None
    try:
        pool = DaskExecutor(scheduler=scheduler, workers=threads)
    except ClusterError as e:
        raise InputError(f"--scheduler: {e}") from None
    try:
        yield pool
    finally:
        pool.close()


def executor_from_context(threads: int | None):
    """Open the executor that ``--executor``/``--scheduler`` ask for; closed with the command's context."""
    ctx = click.get_current_context()
    return ctx.with_resource(open_executor(ctx.meta.get("sim.executor"), ctx.meta.get("sim.scheduler"), threads))


# ---------------------------------------------------------------------------
# Checks and output
# ---------------------------------------------------------------------------


def load_config(config: str | None, overrides) -> Scenario:
    """CONFIG (a TOML file or shipped scenario name; default :data:`DEFAULT_SCENARIO`) with ``--set`` overrides."""
    from sim.api import load

    return load(config or DEFAULT_SCENARIO, overrides)


def check_run_options(paths, seed, threads, block_size, min_paths: int = 1) -> None:
    """The options every simulating command shares; None means "not given"."""
    if paths is not None and paths < min_paths:
        raise InputError(f"--paths: must be at least {min_paths}")
    if seed is not None and seed < 0:
        raise InputError("--seed: must be non-negative")
    if threads is not None and threads < 1:
        raise InputError("--threads: must be at least 1")
    if block_size is not None and block_size < 1:
        raise InputError("--block-size: must be at least 1")


def check_warnings(scn: Scenario, strict: bool, echo: bool = True) -> list[str]:
    """The config's warnings (``sim validate`` lists them), one ``warning:`` line each on stderr.

    Raises
    ------
    InputError
        With ``strict``, when there is any warning.
    """
    from sim.model import warnings

    found = warnings(scn)
    if echo:
        for w in found:
            click.echo(f"warning: {w}", err=True)
    if strict and found:
        raise InputError(f"--strict: the config has {len(found)} warning{'s' * (len(found) != 1)}")
    return found


def announce_compile(quiet: bool) -> bool:
    """Say on stderr, before a long silence, that the kernel will be compiled (its cache is cold).

    Returns whether it is cold.
    """
    from sim.engine.kernel import simulate_block
    from sim.engine.kernel.jit import CACHE, is_cold

    cold = is_cold(simulate_block)
    if cold and not quiet:
        when = "once per install" if CACHE else "no cache: SIM_NO_JIT_CACHE is set"
        click.echo(f"compiling the simulation kernel ({when}): 20 s to a minute", err=True)
    return cold


def check_folder(option: str, folder: str) -> None:
    """Fail before a long run, not after it, when an output folder cannot be written."""
    if not os.path.isdir(folder):
        raise InputError(f"{option}: {folder}: no such folder")
    if not _can_create_in(folder):
        raise InputError(f"{option}: {folder}: not writable")


def _can_create_in(folder: str) -> bool:
    """Whether a file can be made in ``folder``: tried, not guessed from its mode (root, read-only mounts)."""
    import tempfile

    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".sim-probe.")
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    return True


def check_json_target(json_out: str | None, option: str = "--json") -> None:
    """``--json FILE``: a regular file (or none yet) in a writable folder, checked before the run; ``-`` is stdout.

    Symbolic links are written through (the file they point to is replaced); a
    folder, device, FIFO or socket is refused (``sim.files.check_output_file``).
    """
    from sim.files import OutputPathError, check_output_file

    if json_out is None or json_out == "-":
        return
    if json_out == "":
        raise InputError(f"{option}: empty file name (give FILE, or - for standard output)")
    parent = os.path.dirname(os.path.abspath(json_out))
    if not os.path.isdir(parent):
        raise InputError(f"{option}: {parent}: {'no such folder' if not os.path.exists(parent) else 'not a folder'}")
    try:
        target = check_output_file(json_out)
    except OutputPathError as e:
        raise InputError(f"{option}: {e}") from None
    if not _can_create_in(str(target.parent)):
        raise InputError(f"{option}: {json_out}: folder {target.parent} is not writable")


def check_out_folder(out_dir: str | None, option: str = "--out", swap: bool = True, parents: bool = True) -> None:
    """``--out DIR``: a folder, or a place where one can be made, checked before the run.

    With ``swap`` (a folder written as one transaction, ``sim.folders``) the
    folder above DIR must be writable too: the new DIR is staged beside it.
    Without ``parents`` the folder above DIR must exist (DIR alone is made).
    """
    if out_dir is None:
        return
    if out_dir == "":
        raise InputError(f"{option}: empty folder name")
    path = os.path.abspath(out_dir)
    if os.path.lexists(path) and not os.path.isdir(path):
        kind = "is a file" if os.path.isfile(path) else "exists and is not a folder"
        raise InputError(f"{option}: {out_dir}: {kind}, not a folder")
    if os.path.isdir(path):
        if not _can_create_in(path):
            raise InputError(f"{option}: {out_dir}: not writable")
        if swap and not _can_create_in(os.path.dirname(path)):
            raise InputError(f"{option}: {out_dir}: the folder above it is not writable (the new {out_dir} is made there)")
        return
    existing = os.path.dirname(path)
    if not parents and not os.path.isdir(existing):
        raise InputError(f"{option}: {existing}: no such folder")
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise InputError(f"{option}: {out_dir}: {existing} is not a folder")
    if not _can_create_in(existing):
        raise InputError(f"{option}: {out_dir}: {existing} is not writable")


def lock_out_folder(out_dir: str, option: str | None = "--out"):
    """Hold ``sim.folders.folder_lock`` on DIR for the rest of the command; another run there: one line, exit 2."""
    from sim.folders import FolderBusyError, folder_lock

    ctx = click.get_current_context()
    try:
        return ctx.with_resource(folder_lock(out_dir))
    except FolderBusyError as e:
        raise InputError(f"{option}: {e}" if option else str(e)) from None


def emit_json(json_out: str | None, text: str) -> None:
    """``--json FILE|-``: the JSON on stdout for '-', else into FILE atomically."""
    from sim.files import write_atomic

    if json_out == "-":
        click.echo(text)
    elif json_out:
        write_atomic(json_out, text + "\n")
        written_outputs.append(json_out)


def progress_bar(total: int, quiet: bool, unit: str = "path"):
    """A tqdm bar on stderr for runs over ~2 s, only on a terminal; None otherwise.

    ``unit="path"`` counts with SI prefixes (1.2M path); any other unit counts plainly (37 run).
    """
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=unit == "path", delay=2.0, file=sys.stderr, leave=False, dynamic_ncols=True)
