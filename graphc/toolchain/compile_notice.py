"""One line on stderr when a compile keeps the user waiting, and what each compile was for.

Building an executable is quick; the slow part is the first run, where Numba compiles each
kernel (or loads it from the on-disk cache). A session wraps both in ``watch``: when they take
longer than ``THRESHOLD_S`` together, one line is logged on the ``graphc.compile`` logger
saying what is compiled, how many kernels and that the code is cached for next time; later slow
compiles of the same process log at DEBUG only, so a script says it once.

The logger writes to stderr by itself only while the application has configured no logging
(no root handler, no ``tf.logging.set_verbosity``);
``logging.getLogger("graphc.compile").setLevel(logging.WARNING)`` (or ``GRAPHC_QUIET=1``)
silences it. ``current()`` is the request being compiled on this thread, for the pass pipeline
(the kernel count, the dump index).
"""
from __future__ import annotations

import dataclasses
import logging
import sys
import threading
import time
from typing import Any, Callable, Optional, Sequence

from graphc import switches
from graphc.toolchain import cache

THRESHOLD_S = 1.0
log = logging.getLogger("graphc.compile")
_local = threading.local()


@dataclasses.dataclass
class CompileRequest:
    """What a ``sess.run`` asked to compile, in TF names."""

    backend: str
    fetches: list                      # fetched tensors' and target ops' names
    feeds: list                        # fed tensors' names
    feed_shapes: Optional[tuple]       # per feed, when the backend specializes on them
    reason: str                        # why no cached executable fit
    kernels: Optional[int] = None      # set once the kernel plan exists
    announced: bool = False
    started: float = dataclasses.field(default_factory=time.perf_counter)

    @classmethod
    def of_run(cls, backend: str, fetch_tensors: Sequence, targets: Sequence, feed_tensors: Sequence,
               feed_shapes: Optional[tuple], reason: str) -> "CompileRequest":
        return cls(backend, [t.name for t in fetch_tensors] + [o.name for o in targets],
                   [t.name for t in feed_tensors], feed_shapes, reason)

    def describe_run(self) -> str:
        """``sess.run([loss:0, train_op])``, abbreviated after a few fetches."""
        names = self.fetches[:4] + ([f"... {len(self.fetches) - 4} more"] if len(self.fetches) > 4 else [])
        return f"sess.run([{', '.join(names)}])"

    def announce(self) -> None:
        """Logs the notice: at INFO for the first slow compile of the process, at DEBUG after that."""
        if self.announced:
            return
        self.announced = True
        _make_visible()
        count = "its kernels" if self.kernels is None else f"{self.kernels} kernel{'s' * (self.kernels != 1)}"
        first = not _ANNOUNCED
        _ANNOUNCED.append(self)
        log.log(logging.INFO if first else logging.DEBUG,
                "compiling %s for %s with %s%s", count, self.describe_run(), self.backend,
                f"; each new graph or feed shape compiles once (seconds), then loads from the cache in "
                f"{cache.cache_dir()} in later processes (silence: GRAPHC_QUIET=1)" if first else "")


_ANNOUNCED: list = []   # the requests announced so far in this process


def current() -> Optional[CompileRequest]:
    """The request being compiled on this thread, or None."""
    return getattr(_local, "request", None)


def note_kernels(count: int) -> None:
    """Records the number of kernels of the plan being compiled (called by the pass pipeline)."""
    request = current()
    if request is not None:
        request.kernels = count


class _Phase:
    """Makes ``request`` current on this thread and announces it if the phase outlasts the threshold."""

    def __init__(self, request: CompileRequest, announce: bool = True) -> None:
        self.request = request
        self.announce = announce
        self.timer: Optional[threading.Timer] = None

    def __enter__(self) -> CompileRequest:
        self.previous = current()
        _local.request = self.request
        left = THRESHOLD_S - (time.perf_counter() - self.request.started)
        if self.announce and not self.request.announced and not _quiet():
            self.timer = threading.Timer(max(left, 0.0), self.request.announce)
            self.timer.daemon = True
            self.timer.start()
        return self.request

    def __exit__(self, *exc: Any) -> None:
        if self.timer is not None:
            self.timer.cancel()
        _local.request = self.previous


def building(request: CompileRequest, announce: bool = True) -> _Phase:
    """The context in which a session builds the executable for ``request``; ``announce=False``:
    nobody waits for it (a background compile, ``codegen/tiered.py``), so no notice."""
    return _Phase(request, announce)


def watch_first_run(exe: Any, request: CompileRequest) -> None:
    """Keeps the notice's clock running through ``exe``'s first run, where kernels compile (not for
    an executable whose ``waits_for_compile`` is False: a tiered one compiles in the background)."""
    if not getattr(exe, "waits_for_compile", True):
        return
    original: Callable = exe.run
    done: list = []

    def first_run(*args: Any, **kwargs: Any) -> Any:
        if done:                  # a caller that kept this bound method
            return original(*args, **kwargs)
        done.append(True)
        try:
            del exe.run           # later runs call the class's method directly
        except AttributeError:
            pass
        with _Phase(request):
            return original(*args, **kwargs)

    try:
        exe.run = first_run
    except AttributeError:        # an executable with __slots__: no notice for its first run
        pass


def _quiet() -> bool:
    return (switches.QUIET.get() or "") not in ("", "0")


def _make_visible() -> None:
    """Shows the notice on stderr unless the application configured logging (then its handlers and
    levels decide, ``tf.logging.set_verbosity`` included)."""
    configured = log.handlers or logging.getLogger().handlers or logging.getLogger("graphc").level
    if configured or getattr(_make_visible, "done", False):
        return
    _make_visible.done = True     # type: ignore[attr-defined]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("graphc: %(message)s"))
    log.addHandler(handler)
    log.propagate = False
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
