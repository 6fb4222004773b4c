"""Tiered execution: a new executable's first runs never wait on the compiler.

``compile_run`` is the session's one way to get an executable. For a backend that tiers (Numba:
``Backend.tiers``) and unless compiles are synchronous (``GRAPHC_COMPILE=sync`` or
``Session(compile_mode="sync")``; also whenever ``GRAPHC_DUMP`` is set, and for plans with a
``tf.while_loop`` over scalars, ``small_loop``), it returns a
``TieredExecutable`` at once: its runs go through the eager executor (the numpy reference) until
the compiled executable is ready, then through the compiled one.

After the first successful eager run, one background thread per process builds the compiled
executable (``driver.compile_run``: the pass pipeline, the printer, the code cache) and runs it
once on that run's feeds and a *trial* view of the session state (``TrialState``: the variable
values of that run, not copied; its own random counters; no in-place writes), so numba compiles
(or loads from its disk cache) every kernel for the argument types the real runs pass. Only then
is the compiled executable handed to the session's runs, so nothing is compiled twice and every
kernel is compiled once: a run picks its executable once, at its start, under the session's lock,
so each run is all eager or all compiled (the switch is atomic), and variables live in the one
``SessionState`` either way (in-place updates start with the first compiled run).

numba's own compiles of that trial run go to the compile process (``toolchain/compile_process``):
a second Python process compiles each kernel into the disk cache, and this one loads it from
there, so the compile does not share this process's GIL with the eager runs. While it works, the
eager runs multiply matrices on one BLAS thread, leaving it a core (on the 2-core machine measured,
compiled speed came 1.1-2x sooner: benchmarks/README.md).

A variable initializer (``initializes_only``: it sets variables from values that read no variable
and no feed) runs on the eager executor in either mode: it runs once per session, so compiling its
kernels would only delay the first step (sync) or the step's own background compile (tiered).

A background failure is raised by the next run, with the error the synchronous compile would have
raised (the same build and the same first run raise it); runs after that compile synchronously,
as a synchronous session retries. A run-time error of the trial run (``errors.OpError``: bad data,
which the eager run would have refused first) does not stop the switch: the kernels after it
compile on the first compiled run. Under ``GRAPHC_DEBUG`` the start, the end of the background
compile and the switch are logged on ``graphc.codegen.tiered``.
"""
from __future__ import annotations

import contextlib
import copy
import logging
import os
import queue
import sys
import threading
import time
import weakref
from typing import Any, Optional, Sequence

from graphc import errors, switches
from graphc.codegen import driver
from graphc.ops import blas_threads
from graphc.ops.state import STATE_READ
from graphc.passes.run_plan import RunPlan
from graphc.toolchain import compile_notice, compile_process

log = logging.getLogger("graphc.codegen.tiered")

TIERED = "tiered"
SYNC = "sync"
MODES = (TIERED, SYNC)
STATS = {"eager_runs_while_compiling": 0, "tier_switches": 0, "background_compiles": 0,
         "background_compile_errors": 0}


def check_mode(mode: Optional[str]) -> Optional[str]:
    """``mode`` if it is None or one of ``MODES``; else ValueError saying which ones exist."""
    if mode is not None and mode not in MODES:
        raise ValueError(f"Unknown compile_mode {mode!r}; choose {' or '.join(map(repr, MODES))} "
                         "(None: $GRAPHC_COMPILE, default 'tiered')")
    return mode


def resolved_mode(mode: Optional[str] = None) -> str:
    """The compile mode in force: ``mode`` when given, else ``$GRAPHC_COMPILE`` (default tiered)."""
    if mode is not None:
        return mode
    value = (switches.COMPILE.get() or TIERED).strip().lower()
    if value not in MODES:
        raise ValueError(f"GRAPHC_COMPILE={value!r} is not a compile mode; use {' or '.join(MODES)}")
    return value


# A loop whose every loop variable has at most this many elements (statically) makes its plan compile
# synchronously: the eager executor runs such a body op by op per iteration at Python speed (the
# bench's 10^5 scalar iterations: 2.4-10 s eager, ~1 ms as one compiled loop), so waiting for the
# compile is faster. A loop over tensors (dynamic_rnn) tiers: numpy's work per op dominates its eager
# iteration (the LSTM step: 0.1 s eager against a 9 s cold compile).
SMALL_LOOP_ELEMENTS = 64


def small_loop(op: Any) -> bool:
    """Whether ``op`` is a ``While`` whose loop variables all have static shapes of at most
    ``SMALL_LOOP_ELEMENTS`` elements."""
    if op.type != "While":
        return False
    for t in op.inputs[:op.attrs["num_vars"]]:
        if not t.shape.is_fully_defined() or t.shape.num_elements() > SMALL_LOOP_ELEMENTS:
            return False
    return True


def initializes_only(plan: RunPlan) -> bool:
    """Whether ``plan`` only sets variables from values that read no variable and no feed (a
    variable initializer, run once per session): no fetches, no feeds, plain ``Assign`` updates,
    and every variable in it is there as the target of an ``Assign``."""
    if plan.fetches or plan.feeds or not plan.assigns or any(a.type != "Assign" for a in plan.assigns):
        return False
    for op in plan.ops:
        for i, t in enumerate(op.inputs):
            if t.op.type == STATE_READ and not (op.type == "Assign" and i == 0):
                return False      # a variable's value is read
    return True


# the backend that runs a variable initializer when the session's backend tiers: it runs once, so
# compiling its kernels (the CNN's three initializer kernels: 0.6-2.6 s cold) only delays the step
EAGER = "eager"


def compile_run(backend: str, plan: RunPlan, feed_shapes: Optional[tuple] = None, device: Any = None,
                mode: Optional[str] = None) -> Any:
    """The executable a session runs ``plan`` with: ``driver.compile_run``'s, or a
    ``TieredExecutable`` that runs eagerly until it is (see the module docstring)."""
    b = driver.BACKENDS[backend]
    sync = resolved_mode(mode) == SYNC        # checks the mode first
    if b.tiers and not switches.DUMP.get() and initializes_only(plan):
        return driver.compile_run(EAGER, plan, feed_shapes, device)
    if not b.tiers or sync or switches.DUMP.get() or any(small_loop(op) for op in plan.ops):
        return driver.compile_run(backend, plan, feed_shapes, device)
    return TieredExecutable(b, plan, feed_shapes if b.shape_specialized else None, device,
                            compile_notice.current())


class TrialState:
    """The session state a background trial run sees: the variable values of one run (the same
    arrays, never written: ``in_place`` is False), random counters and copies of the ops' host
    state (``op_state``: a learned sampler's counts) of its own."""

    in_place = False

    def __init__(self, values: dict, counters: dict, op_states: dict) -> None:
        self.values = dict(values)
        self.counters = dict(counters)
        self.op_states = {op: copy.deepcopy(kept) for op, kept in op_states.items()}

    def next_count(self, op: Any) -> int:
        c = self.counters.get(op, 0)
        self.counters[op] = c + 1
        return c

    def op_state(self, op: Any) -> dict:
        return self.op_states.setdefault(op, {})


class TieredExecutable:
    """Runs eagerly until the compiled executable of the same plan is ready, then runs that.

    ``tier``: "eager" until the switch, then the backend's name; ``wait(timeout)`` waits for the
    background compile. Other attributes (``kernels``, ``kernel_plan``, ``peak_bytes``,
    ``numpy_kernels`` ...) are the compiled executable's: reading one waits for its build (or
    builds it here when no run has started one).
    """

    waits_for_compile = False      # no compile notice: its runs never wait for one (compile_notice)

    def __init__(self, backend: driver.Backend, plan: RunPlan, feed_shapes: Optional[tuple], device: Any,
                 request: Optional[compile_notice.CompileRequest]) -> None:
        self.backend = backend.name
        self.plan = plan
        self._backend = backend
        self._feed_shapes = feed_shapes
        self._device = device
        self._request = request
        self._eager: Optional[Any] = None       # made by the first run (sess.compile only inspects)
        self._compiled: Optional[Any] = None    # ready: every run from now on uses it
        self._built: Optional[Any] = None       # built (by an attribute read) but not run yet
        self._error: Optional[BaseException] = None
        self._queued = 0                        # the pid that queued the background compile (a fork loses it)
        self._sync = False                      # a background failure was raised: compile in the foreground
        self._done = threading.Event()
        self._switched = False
        self.eager_runs = 0
        self.compile_seconds: Optional[float] = None

    @property
    def tier(self) -> str:
        return self.backend if self._compiled is not None else "eager"

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Waits until the background compile has finished (True) or ``timeout`` seconds passed."""
        if not self._queued_here():
            return self._compiled is not None
        return self._done.wait(timeout)

    def run(self, feed_values: Sequence[Any], state: Any) -> tuple:
        exe = self._compiled
        if exe is not None:
            if not self._switched:
                self._note_switch()
            return exe.run(feed_values, state)
        if self._error is not None or self._sync:
            return self._run_synchronously(feed_values, state)
        if self._eager is None:
            self._eager = driver.compile_run("eager", self.plan)
        if compile_process.compiling():
            # the compile process needs a core: BLAS on two threads would take both from it
            results, updates = blas_threads.on_one_thread(lambda: self._eager.run(feed_values, state))
        else:
            results, updates = self._eager.run(feed_values, state)
        for var, value in updates.items():      # compiled runs write variables in place: never into a fetch
            if any(value is r for r in results):
                updates[var] = value.copy()
        self.eager_runs += 1
        STATS["eager_runs_while_compiling"] += 1
        if not self._queued_here():
            self._queued = os.getpid()
            self._done.clear()
            log.info("running %s eagerly while %s compiles it in the background", self._what(), self.backend)
            _submit(self, feed_values, state)
        return results, updates

    @property
    def writes_in_place(self) -> bool:
        """The compiled executable's (``commit.deferred_from_first_write``); True until there is one."""
        exe = self._compiled
        return True if exe is None else getattr(exe, "writes_in_place", True)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._build_for_inspection(), name)

    def _queued_here(self) -> bool:
        return self._queued == os.getpid()

    # -- the compiled executable --------------------------------------------------------------
    def _build(self) -> Any:
        if self._built is None:
            self._built = driver.compile_run(self._backend.name, self.plan, self._feed_shapes, self._device)
        return self._built

    def _build_for_inspection(self) -> Any:
        if self._compiled is not None:
            return self._compiled
        if self._queued_here() and not self._sync:
            self._done.wait()
            error, self._error = self._error, None
            if error is not None:
                self._sync = True
                raise error
            return self._compiled
        return self._build()

    def _run_synchronously(self, feed_values: Sequence[Any], state: Any) -> tuple:
        """After a background failure: raise it once, then compile in the foreground like a
        synchronous session (an error then comes from here, each run)."""
        error, self._error = self._error, None
        if error is not None:
            self._sync = True
            raise error
        exe = self._build()
        results = exe.run(feed_values, state)
        self._compiled, self._sync = exe, False
        return results

    def _background(self, feed_values: Sequence[Any], trial: TrialState) -> None:
        """The worker's job: build, run once on the trial state, then hand the executable over."""
        start = time.perf_counter()
        STATS["background_compiles"] += 1
        try:
            phase = compile_notice.building(self._request, announce=False) if self._request \
                else contextlib.nullcontext()
            with phase:
                exe = self._build()
                try:
                    exe.run(feed_values, trial)
                except errors.OpError as e:
                    log.info("the background trial run of %s stopped at a run-time error (%s: %s); "
                             "its later kernels compile on the first compiled run",
                             self._what(), type(e).__name__, e.message)
        except BaseException as e:  # noqa: BLE001 - handed to the next run, which raises it
            STATS["background_compile_errors"] += 1
            self._error = e
            log.info("the background compile of %s failed (%s); the next run raises it",
                     self._what(), type(e).__name__)
        else:
            self.compile_seconds = time.perf_counter() - start
            self._compiled = exe
            log.info("%s compiled %s in the background in %.2fs", self.backend, self._what(),
                     self.compile_seconds)
        finally:
            self._done.set()

    def _note_switch(self) -> None:
        self._switched = True
        STATS["tier_switches"] += 1
        log.info("switched %s from eager to %s after %d eager run%s (compiled in %.2fs)", self._what(),
                 self.backend, self.eager_runs, "s" * (self.eager_runs != 1), self.compile_seconds or 0.0)

    def _what(self) -> str:
        return self._request.describe_run() if self._request is not None else "a run"


# -- the process's background compile thread ------------------------------------------------------
_jobs: "queue.Queue[tuple]" = queue.Queue()
_worker: list = []          # the thread, once started
_worker_lock = threading.Lock()


def _submit(exe: TieredExecutable, feed_values: Sequence[Any], state: Any) -> None:
    """Queues ``exe``'s background compile, with the trial inputs of the run that just finished."""
    trial = TrialState(state.values, state.counters, getattr(state, "op_states", {}))
    _jobs.put((weakref.ref(exe), list(feed_values), trial))
    with _worker_lock:
        if not _worker:
            # a daemon: a script that ends before its compile finishes does not wait for it
            thread = threading.Thread(target=_work, name="graphc-compile", daemon=True)
            _worker.append(thread)
            thread.start()


# The GIL's switch interval while a background compile runs. At Python's 5 ms, every numpy call
# of the eager runs that releases the GIL (BLAS, large ufuncs) waited up to 5 ms to get it back
# from the compiling thread: eager MLP steps ran 2-4x slower and the compile itself crawled.
SWITCH_INTERVAL_S = 0.0002


def _work() -> None:
    while True:
        ref, feed_values, trial = _jobs.get()
        exe = ref()
        if exe is not None:          # a closed session's executables are gone: nothing to compile
            interval = sys.getswitchinterval()
            sys.setswitchinterval(min(interval, SWITCH_INTERVAL_S))
            compile_process.start()     # numba starts up there while the executable is built here
            try:
                with compile_process.routing():
                    exe._background(feed_values, trial)
            finally:
                sys.setswitchinterval(interval)
        del exe, ref, feed_values, trial
        _jobs.task_done()


def _forget_worker_after_fork() -> None:
    """A forked child has no compile thread: its tiered executables queue into a fresh one."""
    global _jobs, _worker_lock
    _jobs = queue.Queue()
    _worker_lock = threading.Lock()
    _worker.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_worker_after_fork)


def pending() -> int:
    """Background compiles queued or running in this process."""
    return _jobs.unfinished_tasks


__all__ = ["MODES", "STATS", "TieredExecutable", "TrialState", "check_mode", "compile_run", "pending",
           "resolved_mode"]
