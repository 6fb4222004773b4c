"""Making a run's variable updates all-or-nothing.

A compiled run may write new values into the variables' own arrays kernel by kernel, so an
exception raised by a signal handler between two kernels (Ctrl-C's KeyboardInterrupt) would leave
some variables a step ahead of others. While such a run executes and commits, the main thread's
Python signal handlers only record what arrived; they run once the updates are committed, as
TF1's C++ ``Session.run`` delivers Ctrl-C only when the run returns.

Also here: TF1's ``validate_shape`` check of assigned values, made once for every backend before
anything is committed.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Callable, Iterator

from graphc import errors

# signals whose Python handlers are deferred (SIGPROF and friends are left to profilers)
_DEFERRED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGALRM", "SIGHUP", "SIGUSR1",
                                                     "SIGUSR2", "SIGVTALRM", "SIGBREAK")
                  if hasattr(signal, name))
_depth = [0]   # deferring sections open in the main thread (nested runs defer once, at the outside)


@contextlib.contextmanager
def signals_deferred(enabled: bool = True) -> Iterator[None]:
    """Within the block, Python signal handlers of the main thread only record their signals; on
    leaving it (normally or by an exception) the original handlers run in arrival order, so a
    KeyboardInterrupt surfaces after the block. Elsewhere than the main thread signals cannot
    raise into the block, and it does nothing."""
    if not enabled or _depth[0] or threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list = []
    saved: dict = {}

    def record(signum: int, frame: Any) -> None:
        arrived.append((signum, frame))

    _depth[0] += 1
    try:
        for signum in _DEFERRED:
            handler = signal.getsignal(signum)
            if callable(handler):
                saved[signum] = handler
                signal.signal(signum, record)
        yield
    finally:
        _depth[0] -= 1
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        _deliver(arrived, saved)


def _deliver(arrived: list, handlers: dict) -> None:
    for signum, frame in arrived:
        handler: Callable = handlers[signum]
        handler(signum, frame)


def check_assigned_shapes(shapes: dict, updates: dict) -> None:
    """Raises TF1's InvalidArgumentError when a new value's shape differs from the static shape its
    ``validate_shape`` assign requires (``shapes``: variable op -> (shape, assign op), as
    ``RunPlan.validated_shapes``). Compiled backends check known shapes when they compile, before
    any kernel writes a variable in place; this catches the rest before anything is committed."""
    for var, (shape, op) in shapes.items():
        value = updates.get(var)
        if value is not None and tuple(getattr(value, "shape", ())) != shape:
            raise shape_mismatch(op, shape, tuple(value.shape))


def shape_mismatch(op: Any, shape: tuple, got: tuple) -> errors.InvalidArgumentError:
    """TF1's error for assign ``op`` giving its variable (of static ``shape``) a value of shape ``got``."""
    return errors.InvalidArgumentError(None, op, (
        f"Assign requires shapes of both tensors to match: variable {op.inputs[0].op.name} has shape "
        f"{list(shape)} and the value has shape {list(got)}. Pass validate_shape=False to change "
        "a variable's shape."))
