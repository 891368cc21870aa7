"""What a run will cost before it starts: memory (refused when it cannot fit) and time (an estimate).

A block of P paths allocates its step buffers (K steps x P: the normals,
the jumps, one per recovering shock and per fine), its event lists (1.25
events per expected event, doubled while growing), the series it returns
and its parameter table; ``parallelism`` blocks run at once.  Exact
quantiles keep every path's series.  ``check_memory`` refuses a run whose
estimate exceeds the machine's memory with a ``ParameterError`` naming
what to change; ``estimate_seconds`` gives a run's duration from a measured
per-path-step cost (200 ns a path-step on one core of the development
machine, pinterest_aws_2031 and multi_cloud_example with 32,768-path blocks).
"""

from __future__ import annotations

import os

from sim.model import ParameterError

__all__ = [
    "SECONDS_PER_PATH_STEP", "DAY_SECONDS", "machine_memory", "block_bytes", "run_bytes", "check_memory",
    "estimate_seconds", "duration_text",
]

#: Measured cost of one path over one step on one core (seconds).
SECONDS_PER_PATH_STEP = 200e-9
#: A run estimated longer than this asks for confirmation (``sim run --yes``).
DAY_SECONDS = 86_400.0
#: Step-sized buffers of a block beyond the per-shock and per-fine ones
#: (normals z, w, p; revenue and price jumps; fines paid; slack).
_STEP_BUFFERS = 7


def machine_memory() -> int:
    """Physical memory of this machine in bytes (``SIM_MEMORY_BYTES`` overrides; 0 if unknown)."""
    override = os.environ.get("SIM_MEMORY_BYTES")
    if override:
        return int(override)
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not POSIX
        return 0


def block_bytes(scn, n_series: int, n_columns: int, block_size: int) -> int:
    """Bytes one block of ``block_size`` paths allocates at its peak (an upper estimate).

    Parameters
    ----------
    scn : Scenario
    n_series, n_columns : int
        Rows of the block's series (``SeriesLayout.n_series``) and of its
        parameter table (``ColumnLayout.n_columns``).
    block_size : int
        Paths P of the block.
    """
    info = scn.scenario
    years, steps = info.years, info.years * info.steps_per_year
    shocks = scn.revenue.shocks
    n_fade = sum(1 for s in shocks if s.recovery > 0)
    n_fine = len(scn.regulatory.fines)
    n_proc = len(shocks) + len(scn.cloud.pricing.shifts) + n_fine
    rates = sum(s.rate for s in shocks) + sum(s.rate for s in scn.cloud.pricing.shifts)
    rates += sum(f.rate for f in scn.regulatory.fines)
    events = 1.25 * rates * years * block_size + 64
    n_com = len(scn.cloud.commitments)
    rows = (
        (_STEP_BUFFERS + n_fade + n_fine) * (steps + 1)
        + 4 * events / block_size  # step and size lists, doubled while they grow
        + n_proc
        + 8 * n_com * years  # per-contract values by year
        + n_series
        + n_columns
        + 40  # per-path scalars
    )
    return int(8 * rows * block_size)


def run_bytes(block: int, parallelism: int, blocks: int, paths: int, n_series: int, exact: bool) -> dict[str, int]:
    """The run's memory by part: ``blocks`` (those running at once) and ``exact`` (every path's series)."""
    return {"blocks": block * max(1, min(parallelism, blocks)), "exact": 8 * paths * n_series if exact else 0}


def _gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


def check_memory(parts: dict[str, int], block_size: int, paths: int, memory: int | None = None) -> None:
    """Refuse a run whose parts (``run_bytes``) exceed the machine's memory.

    Raises
    ------
    ParameterError
        Naming ``quantiles`` when the exact store is the larger part, else
        ``block_size`` (or ``paths`` when the blocks are already small).
    """
    memory = machine_memory() if memory is None else memory
    need = sum(parts.values())
    if memory <= 0 or need <= memory:
        return
    text = f"the run needs about {_gib(need)} of memory, the machine has {_gib(memory)}"
    if parts["exact"] >= parts["blocks"]:
        raise ParameterError(
            "quantiles",
            f"{text} (exact quantiles keep all {paths:,} paths: {_gib(parts['exact'])}): use quantiles "
            '"sketch" or fewer paths',
        )
    raise ParameterError(
        "block_size",
        f"{text} (blocks of {block_size:,} paths running at once: {_gib(parts['blocks'])}): use a smaller block size "
        "or fewer threads",
    )


def estimate_seconds(scn, paths: int, cores: int | None = None) -> float:
    """Estimated wall time of ``paths`` paths of ``scn`` on ``cores`` cores (default: all), seconds."""
    cores = cores or os.cpu_count() or 1
    steps = scn.scenario.years * scn.scenario.steps_per_year
    return paths * steps * SECONDS_PER_PATH_STEP / cores


def duration_text(seconds: float) -> str:
    """``3.2 days``, ``5.0 hours``, ``12 minutes``, ``40 seconds``."""
    if seconds >= 2 * DAY_SECONDS:
        return f"{seconds / DAY_SECONDS:,.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    if seconds >= 120:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} seconds"
