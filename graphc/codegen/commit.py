"""Making a run's variable updates all-or-nothing.

A compiled run may write new values into the variables' own arrays kernel by kernel, so an
exception raised by a signal handler between two kernels (Ctrl-C's KeyboardInterrupt) would leave
some variables a step ahead of others. From a run's first in-place write to its commit, the main
thread's Python signal handlers only record what arrived; they run once the updates are
committed, as TF1's C++ ``Session.run`` delivers Ctrl-C only when the run returns. Before that
write (compiling, computing into fresh arrays) an interrupt stops the run and changes nothing.

TF1's ``validate_shape`` check of assigned values is a fact of the run plan:
``graphc.passes.run_plan.check_assigned_shapes``.
"""
from __future__ import annotations

import _signal  # signal's C layer: the same calls without converting numbers to Enums (per run)
import contextlib
import signal
import threading
from typing import Any, Iterator


# signals whose Python handlers are deferred (SIGPROF and friends are left to profilers)
_DEFERRED = tuple(int(getattr(signal, name)) for name in ("SIGINT", "SIGTERM", "SIGALRM", "SIGHUP", "SIGUSR1",
                                                     "SIGUSR2", "SIGVTALRM", "SIGBREAK")
                  if hasattr(signal, name))


class _Deferral:
    """Python signal handlers of the main thread replaced by a recorder, until ``finish``."""

    __slots__ = ("saved", "arrived", "active")

    def __init__(self) -> None:
        self.saved: dict = {}
        self.arrived: list = []
        self.active = False

    def start(self) -> None:
        self.active = True
        for signum in _DEFERRED:
            handler = _signal.getsignal(signum)
            if callable(handler):
                self.saved[signum] = handler
                _signal.signal(signum, self._record)

    def _record(self, signum: int, frame: Any) -> None:
        self.arrived.append((signum, frame))

    def finish(self) -> None:
        """Restores the handlers, then runs them for the signals that arrived, in arrival order."""
        for signum, handler in self.saved.items():
            _signal.signal(signum, handler)
        for signum, frame in self.arrived:
            self.saved[signum](signum, frame)


_armed: list = [None]   # the main thread's _Deferral for the run in progress (nested runs share it)


def _main_thread() -> bool:
    # (thread idents compared: current_thread() looks the thread object up, every run)
    return threading.get_ident() == threading.main_thread().ident


class _FromFirstWrite:
    """The context ``deferred_from_first_write`` returns (a class: entered once per run, it costs
    less than a generator-based context manager)."""

    __slots__ = ("deferral",)

    def __enter__(self) -> None:
        if _armed[0] is not None or not _main_thread():
            self.deferral = None
            return
        self.deferral = _armed[0] = _Deferral()

    def __exit__(self, *exc: Any) -> None:
        deferral = self.deferral
        if deferral is not None:
            _armed[0] = None
            deferral.finish()


_NOTHING_TO_DEFER = contextlib.nullcontext()


def deferred_from_first_write(may_write: bool = True) -> contextlib.AbstractContextManager:
    """Wraps a run and its commit: signals stay prompt (Ctrl-C during a long compile stops the run
    and changes nothing) until an executor calls ``writing_in_place``; from then on they are
    deferred until the block ends, after the commit. Outside the main thread signals cannot raise
    into the run, and it does nothing. ``may_write`` False (an executable that never writes a
    variable's own array, its ``writes_in_place``): nothing to arm."""
    return _FromFirstWrite() if may_write else _NOTHING_TO_DEFER


def writing_in_place() -> None:
    """Executors call this before a run writes a variable's own array: from here the run must
    reach its commit, so signals are deferred (see ``deferred_from_first_write``)."""
    deferral = _armed[0]
    if deferral is not None and not deferral.active and _main_thread():
        deferral.start()


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Defers the main thread's Python signal handlers for the whole block."""
    with deferred_from_first_write():
        writing_in_place()
        yield
