"""Run the engine's tasks on a Dask cluster (``pip install 'sim[dask]'``).

:class:`DaskExecutor` offers what ``sim.engine.simulate.run_blocks`` asks of an
executor -- ``parallelism`` and ``map_unordered`` -- over
``dask.distributed``: with no address it starts a ``LocalCluster`` of worker
processes (one thread each) on this machine, with ``tcp://HOST:PORT`` it
joins a running scheduler (``docs/CLUSTER.md``).

Each task is ``sim.engine.simulate.simulate_group`` on consecutive blocks; blocks
draw from their own streams and the engine merges them in block order, so
the results are bit-identical to the local thread pool's.  Tasks that fail
are retried (``retries``); tasks on a worker that dies are rescheduled by
the scheduler.

Numba on the workers: the kernels are single-threaded (``nogil``), so each
worker runs ``NUMBA_NUM_THREADS=1`` (set before numba is imported, and
``numba.set_num_threads(1)`` in a task should a threading layer be running
anyway).  On a cluster the JIT cache goes to node-local disk -- a
``sim-numba-cache`` folder beside the workers' local directories, shared by
the workers of a node -- unless ``NUMBA_CACHE_DIR`` is set on the worker; a
LocalCluster's workers share this process's cache (``sim.engine.kernel.jit``).  Each worker
process compiles (or loads from the cache) once, on its first task.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import pickle
import socket
import sys

import numpy as np

from distributed import Client, LocalCluster, WorkerPlugin, as_completed

CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler, and to wait for its first worker
PROBE_TIMEOUT = 3.0  # seconds for the first TCP contact: a wrong address fails in seconds, not after retries
RETRIES = 3  # extra tries of a task that raised
NUMBA_CACHE_FOLDER = "sim-numba-cache"
PLUGIN_NAME = "sim-numba-setup"


class ClusterError(Exception):
    """The cluster cannot be reached or has no workers (one line)."""


def check_address(address: str, timeout: float = PROBE_TIMEOUT) -> tuple[str, int]:
    """``(host, port)`` of a scheduler address, checked before a ``Client`` is made.

    A malformed address (``not a url``, a missing port) and a port that nothing
    listens on fail here, in at most ``timeout`` seconds, rather than in a Client
    that retries for its whole timeout and then fails again when collected.

    Raises
    ------
    ClusterError
        Not ``[tcp://|tls://]HOST:PORT``, or nothing answers there.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address, strict=False)
        host, port = parse_host_port(location)
    except (ValueError, TypeError):
        raise ClusterError(f"{address!r} is not a scheduler address (expected tcp://HOST:PORT)") from None
    if scheme not in ("tcp", "tls") or not host or not 0 < int(port) < 65536:
        raise ClusterError(f"{address!r} is not a scheduler address (expected tcp://HOST:PORT)")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as e:
        reason = "timed out" if isinstance(e, TimeoutError) else (e.strerror or str(e))
        raise ClusterError(f"cannot connect to the scheduler at {address} ({reason})") from None
    return host, int(port)


class NumbaSetup(WorkerPlugin):
    """Worker set-up: one numba thread; the JIT cache on node-local disk when ``node_cache``.

    Runs on every worker when registered and on workers that join (or are
    restarted) later, before their first task.
    """

    def __init__(self, node_cache: bool = True):
        self.node_cache = node_cache

    def setup(self, worker):
        if self.node_cache and not os.environ.get("NUMBA_CACHE_DIR"):
            local = getattr(worker, "local_directory", None)
            if local:
                folder = os.path.join(os.path.dirname(os.path.abspath(local)), NUMBA_CACHE_FOLDER)
                os.environ["NUMBA_CACHE_DIR"] = folder  # read by sim.engine.kernel.jit when the kernels are imported
                if "numba" in sys.modules:
                    sys.modules["numba"].config.CACHE_DIR = folder
        if "numba" not in sys.modules:
            os.environ.setdefault("NUMBA_NUM_THREADS", "1")


def _one_numba_thread() -> None:
    """``numba.set_num_threads(1)`` in this thread when a threading layer is running."""
    try:
        from numba.np.ufunc import parallel

        if parallel._is_initialized and parallel.get_num_threads() != 1:
            parallel.set_num_threads(1)
    except Exception:  # noqa: BLE001 - a missing private name must not fail a task
        pass


SPARSE_MIN = 65_536  # integer arrays at least this big travel as (index, value) pairs when mostly zeros


def _dense(shape, dtype, index, values):
    out = np.zeros(int(np.prod(shape)), dtype=dtype)
    out[index] = values
    return out.reshape(shape)


class _Packer(pickle.Pickler):
    """Pickles mostly-zero integer arrays as their non-zero entries.

    A task's quantile sketch is a dense table of bucket counts (19 MB for the
    default scenario), about 9% of them non-zero: sent as index/value pairs it
    is 2.5 MB, packed in ~13 ms and unpacked in ~4 ms (zlib: 0.4 MB but ~40 ms
    each way, more than the transfer it saves on a local network).
    """

    def reducer_override(self, obj):
        if type(obj) is np.ndarray and obj.size >= SPARSE_MIN and obj.dtype.kind in "iu":
            flat = obj.ravel()
            index = np.flatnonzero(flat)
            if 3 * index.size < flat.size:
                index = index.astype(np.int32 if flat.size < 2**31 else np.int64)
                return _dense, (obj.shape, obj.dtype.str, index, flat[index])
        return NotImplemented


def pack(obj) -> bytes:
    """Pickle ``obj``, mostly-zero integer arrays sparsely (:func:`unpack` reverses it exactly)."""
    buf = io.BytesIO()
    _Packer(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


def unpack(data: bytes):
    """The object :func:`pack` packed."""
    return pickle.loads(data)


def run_task(fn, *args):
    """Run ``fn(*args, stop=None, progress)`` on a worker; return (packed result, paths done)."""
    _one_numba_thread()
    done = [0]

    def count(n: int) -> None:
        done[0] += n

    result = fn(*args, None, count)
    return pack(result), done[0]


class DaskExecutor:
    """An engine executor over ``dask.distributed``.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://HOST:PORT``); default: start
        a ``LocalCluster`` here.
    workers : int, optional
        Worker processes of the LocalCluster (default: all cores), one
        thread each.
    client : distributed.Client, optional
        Use this client (and its cluster) instead; it is not closed.
    retries : int
        Extra tries of a task that raised.
    timeout : float
        Seconds to connect to ``scheduler`` and to wait for its first worker.

    Raises
    ------
    ClusterError
        The scheduler cannot be reached, or has no worker within ``timeout``.
    """

    def __init__(self, scheduler: str | None = None, workers: int | None = None, client: Client | None = None, retries: int = RETRIES, timeout: float | None = None):
        self.retries = retries
        self._cluster = None
        self._own_client = client is None
        timeout = CONNECT_TIMEOUT if timeout is None else timeout
        if client is not None:
            self.client = client
        elif scheduler:
            check_address(scheduler, min(PROBE_TIMEOUT, timeout))
            try:
                self.client = Client(scheduler, timeout=timeout, set_as_default=False)
            except Exception as e:  # noqa: BLE001 - whatever answered there is not a Dask scheduler
                _discard_client(e)
                why = _reason(e) if isinstance(e, (OSError, TimeoutError, ValueError)) else f"what answers is not a Dask scheduler: {type(e).__name__}"
                raise ClusterError(f"cannot connect to the scheduler at {scheduler} ({why})") from None
        else:
            self._cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: never clashes with another cluster's 8787
                silence_logs=logging.CRITICAL,
                env={"NUMBA_NUM_THREADS": "1"},
            )
            self.client = Client(self._cluster, set_as_default=False)
        try:
            self.client.register_plugin(NumbaSetup(node_cache=self._cluster is None), name=PLUGIN_NAME)
            if scheduler:
                self.client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as e:
            self.close()
            raise ClusterError(f"the scheduler at {scheduler} has no workers ({_reason(e)})") from None

    @property
    def parallelism(self) -> int:
        """Worker threads in the cluster now (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def map_unordered(self, fn, arg_tuples, progress=None):
        """Yield ``fn(*args)`` results as tasks finish; ``progress(paths)`` as each task finishes.

        Tasks left when the caller stops (an error, Ctrl-C) are cancelled.
        """
        futures = [self.client.submit(run_task, fn, *args, pure=False, retries=self.retries) for args in arg_tuples]
        try:
            for future in as_completed(futures, loop=self.client.loop):
                data, paths = future.result()
                future.release()
                if progress is not None:
                    progress(paths)
                yield unpack(data)
        finally:
            left = [f for f in futures if not f.done()]
            if left:
                self.client.cancel(left)

    def close(self) -> None:
        """Close the client and the LocalCluster this executor started."""
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<DaskExecutor {self.client.scheduler.address if self.client.scheduler else '?'}: {self.parallelism} threads>"


def _discard_client(error: BaseException) -> None:
    """Close the half-made Client that raised ``error``, now and briefly.

    Left to the garbage collector, its ``__del__`` waits 20 s to close it and
    prints a traceback; it is found in the constructor's frame of the traceback.
    """
    tb = error.__traceback__
    while tb is not None:
        client = tb.tb_frame.f_locals.get("self")
        if isinstance(client, Client):
            with contextlib.suppress(Exception):  # it never connected: nothing to close cleanly
                client.close(timeout=1)
            client.status = "closed"  # so that __del__ does not try again
            with contextlib.suppress(Exception):
                client._loop_runner.stop()  # its event-loop thread
            return
        tb = tb.tb_next


def _reason(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
