"""The harness behind ``graphc bench``: runs each workload on eager and compiled backends.

For each backend it measures the first run (which compiles; "cold" when nothing was cached on
disk), the first run of a second session in the same process (in-memory cache), and the steady
state: runs repeat until the timing is stable (at least ``min_time`` seconds and ``min_reps``
runs after warm-up), reporting the median and the 10th-90th percentile spread. Before timing,
the compiled result is compared with eager; a mismatch is reported and makes the run fail.
"""
from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from typing import Callable, Optional

import numpy as np

import graphc as tf
from benchmarks.workloads import Workload


@dataclasses.dataclass
class Timing:
    median: float
    p10: float
    p90: float
    reps: int


@dataclasses.dataclass
class Result:
    workload: str
    backend: str
    size: str
    first_run_s: float
    second_session_first_run_s: float
    steady: Timing
    kernels: Optional[int]
    bytes_moved: int
    flops: int
    match: Optional[bool]            # None for the eager reference itself
    max_error: Optional[float]
    compiles: Optional[int] = None   # kernels compiled during the first run (0 = all from cache)
    device: Optional[str] = None     # where a device backend kept feeds and fetches while timed
    numpy_io: Optional[Timing] = None  # device backends: the same runs fed and fetched as numpy

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        return d


def time_runs(fn: Callable[[], object], min_time: float = 0.3, min_reps: int = 5, max_reps: int = 10_000,
              warmup: int = 2) -> Timing:
    for _ in range(warmup):
        fn()
    samples: list = []
    start = time.perf_counter()
    while len(samples) < max_reps:
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
        if len(samples) >= min_reps and time.perf_counter() - start >= min_time:
            break
    samples.sort()
    q = lambda f: samples[min(len(samples) - 1, int(f * len(samples)))]  # noqa: E731
    return Timing(statistics.median(samples), q(0.1), q(0.9), len(samples))


def _session(workload: Workload, size: str, backend: str):
    graph = tf.Graph()
    with graph.as_default():
        built = workload.build(size)
        sess = tf.Session(graph=graph, backend=backend)
        if tf.global_variables():
            sess.run(tf.global_variables_initializer())
    return graph, built, sess


def _wait_for_compiled(sess, built, timeout: float = 120.0) -> None:
    """Waits for a tiered session's background compile of the step, so that steady-state samples
    are all of the compiled executable (eager runs while it compiles belong to the first-run
    columns, not to the steady median)."""
    try:
        exe = sess.compile(built.fetches, built.feed_dict)
    except Exception:  # noqa: BLE001 - a plan sess.compile cannot show (an input pipeline's) is not tiered
        return
    wait = getattr(exe, "wait", None)
    if wait is not None:
        wait(timeout)


def _wait_for_background_compiles(sess, built, step, timeout: float = 120.0) -> None:
    """For a Numba step: runs it as often as a tiered numba session waits before compiling a loop
    whole or a driver's stretches, and a few times more, each time waiting for the background
    compile it started (one at a time): steady-state samples are all of the compiled forms."""
    import sys
    numba_loop = sys.modules.get("graphc.codegen.numba_loop")
    stretches = sys.modules.get("graphc.codegen.numba_stretches")
    try:
        exe = sess.compile(built.fetches, built.feed_dict)
    except Exception:  # noqa: BLE001 - a plan sess.compile cannot show has nothing to wait for
        return
    if numba_loop is None or stretches is None or not hasattr(exe, "driver"):
        return
    for _ in range(max(numba_loop.WHOLE_AFTER, stretches.STRETCH_AFTER) + 3):
        step()
        if not numba_loop.wait_for_background(timeout):
            raise RuntimeError(f"a background compile took over {timeout:.0f} s")


def _values(x):
    if isinstance(x, (list, tuple)):
        return [v for i in x for v in _values(i)]
    return [] if x is None else [np.asarray(x)]


def _compile_count() -> Optional[int]:
    try:
        from graphc.runtime import stats
    except ImportError:
        return None
    return stats().get("compiles")


def run_workload(workload: Workload, size: str, backend: str, reference: Optional[list],
                 min_time: float) -> tuple:
    """Times ``workload`` on ``backend``; returns (Result, the checked values of its first run)."""
    graph, built, sess = _session(workload, size, backend)
    check = built.check if built.check is not None else built.fetches
    with graph.as_default():
        before = _compile_count()
        t0 = time.perf_counter()
        first = sess.run([built.fetches, check], built.feed_dict)[1]
        first_run = time.perf_counter() - t0
        after = _compile_count()
        graph2, built2, sess2 = _session(workload, size, backend)
    with graph2.as_default():
        t0 = time.perf_counter()
        sess2.run(built2.fetches, built2.feed_dict)
        second = time.perf_counter() - t0
    with graph.as_default():
        run = sess.make_callable(built.fetches, list(built.feed_dict))
        args = list(built.feed_dict.values())
        device, numpy_io = sess.device, None
        if device is not None and not device.on_host:
            # a GPU's own speed: feeds already on the device, fetches left there (what torch and
            # jax are timed with); the numpy-in/numpy-out time is reported beside it
            numpy_io = time_runs(lambda: run(*args), min_time=min_time)
            on_device = sess.make_callable(built.fetches, list(built.feed_dict), device_fetches=True)
            resident = [device.from_host(np.asarray(v, dtype=t.dtype.np_type)) for t, v in built.feed_dict.items()]

            def step():
                on_device(*resident)
                device.synchronize()
            steady = time_runs(step, min_time=min_time)
        else:
            run(*args)
            _wait_for_compiled(sess, built)
            _wait_for_background_compiles(sess, built, lambda: run(*args))
            steady = time_runs(lambda: run(*args), min_time=min_time)
        try:
            kernels = len(sess.compile(built.fetches, built.feed_dict).kernels)
        except Exception:  # noqa: BLE001 - introspection is optional for a backend
            kernels = None
    values = _values(first)
    match, err = None, None
    if reference is not None:
        match, err = True, 0.0
        for got, want in zip(values, reference):
            if got.shape != want.shape or got.dtype != want.dtype:
                match = False
                err = float("inf")
                break
            diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
            err = max(err, float(diff.max()) if diff.size else 0.0)
            if not np.allclose(got, want, rtol=built.rtol, atol=built.atol, equal_nan=True):
                match = False
    compiles = None if before is None or after is None else after - before
    result = Result(workload.name, backend, size, first_run, second, steady, kernels, built.bytes_moved,
                    built.flops, match, err, compiles, None if numpy_io is None else device.name, numpy_io)
    return result, values


def copy_bandwidth(nbytes: int = 1 << 26) -> float:
    """This machine's memory copy bandwidth in bytes/s (read + write), from np.copyto."""
    src = np.ones(nbytes // 4, np.float32)
    dst = np.empty_like(src)
    t = time_runs(lambda: np.copyto(dst, src), min_time=0.2, warmup=1)
    return 2 * nbytes / t.median


def device_copy_bandwidth(device, nbytes: int = 1 << 30) -> float:
    """A device's copy bandwidth in bytes/s (read + write) from device-to-device copies of ``nbytes``."""
    src = device.from_host(np.ones(nbytes // 4, np.float32))
    device.copy(src)

    def copy():
        device.copy(src)
        device.synchronize()
    t = time_runs(copy, min_time=0.2, warmup=2)
    return 2 * nbytes / t.median


def progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
