"""A second Python process that compiles njit functions into numba's disk cache for this one.

A tiered session's background compile (``codegen/tiered.py``) shares this process's GIL with the
eager runs it stands in for: numba's typing and lowering are Python, so on a busy process the
compile took 2-3x its synchronous time. In a thread that asks for it (``routing``), a dispatcher
with a graphc disk cache (``numba_cache.attach_dispatcher`` with an origin) about to compile a new signature asks
this process instead: it loads the same module (a generated module from its cache file, a package
module by import), compiles the function for that signature on its own core, and saves it in the
same signed cache; this process then loads it from there, as from any warm cache. The waiting
thread holds no lock and sleeps in a pipe read, so the eager runs keep the GIL.

Nothing depends on it: a request it cannot serve (no process, an error, a function it cannot find)
compiles here as before, and ``GRAPHC_COMPILE_PROCESS=0`` turns it off. The process starts with the
first background compile (``start``) and ends with this one (its stdin closes).
"""
from __future__ import annotations

import atexit
import importlib
import json
import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Optional

from graphc import switches

log = logging.getLogger("graphc.toolchain.compile_process")

STATS = {"compiled_elsewhere": 0, "seconds_elsewhere": 0.0, "refused": 0}
_HEADER = struct.Struct("<Q")
_local = threading.local()
_lock = threading.Lock()          # one request at a time (one process, one pipe)
_process: list = []               # the running Popen, once started in this process
_in_flight = [0]                  # requests sent and not answered yet


def enabled() -> bool:
    """Whether compiles may be sent to a compile process (``GRAPHC_COMPILE_PROCESS``, default on)."""
    return (switches.COMPILE_PROCESS.get() or "1").strip() not in ("0", "false", "no", "off")


class routing:
    """Within this block, this thread's compiles of cached dispatchers go to the compile process."""

    def __enter__(self) -> None:
        _local.on = True

    def __exit__(self, *exc: Any) -> None:
        _local.on = False


def start() -> None:
    """Starts the compile process now (it imports numba while this one builds the executable)."""
    if enabled():
        with _lock:
            _running()


def running() -> bool:
    """Whether a compile process is up (started and not stopped)."""
    return bool(_process) and _process[0] is not None and _process[0].poll() is None


def compiling() -> bool:
    """Whether the compile process is compiling something for this process right now."""
    return _in_flight[0] > 0


def route(dispatcher: Any, origin: tuple, unsaved: Callable[[tuple], bool]) -> None:
    """Makes ``dispatcher.compile`` ask the compile process first in a ``routing`` thread, for a
    signature ``unsaved`` says its disk cache lacks (a disabled cache could not bring the code back;
    saved code is loaded here). ``origin``: how that process finds the dispatcher (``("file", path,
    root)`` of a generated module in the code cache at ``root``, or ``("module", name, root,
    directory, stamp)`` of a package module and its cache)."""
    compile_here: Callable = dispatcher.compile
    name = dispatcher.py_func.__qualname__

    def compile_routed(sig: Any) -> Any:
        sig = tuple(sig)
        if getattr(_local, "on", False) and enabled() and sig not in dispatcher.overloads and unsaved(sig):
            _compile_elsewhere(origin, name, sig)
        return compile_here(sig)
    dispatcher.compile = compile_routed


def _compile_elsewhere(origin: tuple, name: str, sig: tuple) -> None:
    """Has the compile process compile ``name`` for ``sig`` into the disk cache, if it can."""
    start_time = time.perf_counter()
    with _lock:
        proc = _running()
        if proc is None or not _is_ready(proc):
            return
        _in_flight[0] += 1
        try:
            _send(proc.stdin, (origin, name, sig))
            status, detail = _receive(proc.stdout)
        except (OSError, EOFError, pickle.PickleError, struct.error) as e:
            log.info("the compile process stopped (%s): compiling here from now on", e)
            _stop(proc)
            return
        finally:
            _in_flight[0] -= 1
    if status != "ok":
        STATS["refused"] += 1
        log.info("the compile process could not compile %s (%s): compiling it here", name, detail)
        return
    STATS["compiled_elsewhere"] += 1
    STATS["seconds_elsewhere"] += time.perf_counter() - start_time


def wait_ready(timeout: float) -> bool:
    """Starts the compile process if needed and waits up to ``timeout`` seconds for it to be ready."""
    with _lock:
        proc = _running()
        return proc is not None and _is_ready(proc, timeout)


def _is_ready(proc: subprocess.Popen, timeout: float = 0.0) -> bool:
    """Whether the process has numba up; until it says so (its start-up takes a second or two),
    compiles stay here rather than wait for it: a plan of a kernel or two is done by then."""
    if not getattr(proc, "graphc_ready", False):
        try:
            if not select.select([proc.stdout], [], [], timeout)[0]:
                return False
            proc.graphc_ready = _receive(proc.stdout)[0] == "ready"
        except (OSError, ValueError, EOFError, pickle.PickleError, struct.error):
            _stop(proc)
            return False
    return proc.graphc_ready


def _running() -> Optional[subprocess.Popen]:
    """The live compile process (started now if there is none); None when it cannot run."""
    if not enabled():
        return None
    if running():
        return _process[0]
    if _process:          # it died, or failed to start: not retried
        return None
    boot = "import json, sys; sys.path[:] = json.loads(sys.argv[1]); from graphc.toolchain import compile_process as c; c.serve()"
    try:
        proc = subprocess.Popen([sys.executable, "-c", boot, json.dumps(sys.path)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=os.getcwd())
    except OSError as e:
        log.info("no compile process (%s): compiling here", e)
        _process.append(None)
        return None
    _process.append(proc)
    return proc


def _stop(proc: subprocess.Popen) -> None:
    """Ends the process: it exits when its stdin closes, or is killed half a second later (in a
    compile: the cache's files are written whole or not at all, so nothing is left half done)."""
    _process[:] = [None]
    try:
        proc.stdin.close()
        proc.wait(timeout=0.5)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()


@atexit.register
def _close() -> None:
    if _process and _process[0] is not None:
        _stop(_process[0])


def _forget_after_fork() -> None:
    global _lock
    _lock = threading.Lock()
    _process.clear()     # the parent's pipes are the parent's: a child starts its own
    _in_flight[0] = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _send(stream: Any, message: Any) -> None:
    data = pickle.dumps(message)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: Any) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("the compile process closed its pipe")
    size, = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the compile process closed its pipe")
    return pickle.loads(data)      # our own child's answer, on our own pipe


# -- the compile process itself ------------------------------------------------------------------
def _dispatcher(origin: tuple, name: str) -> Any:
    from numba.core.dispatcher import Dispatcher

    from graphc.toolchain import cache, numba_cache

    if origin[0] == "file":
        module = cache.load_written(origin[1], origin[2])
    else:
        module = importlib.import_module(origin[1])
        if not getattr(module, "_graphc_compile_process_attached", False):
            numba_cache.attach(module, *origin[2:])
            module._graphc_compile_process_attached = True
    for value in vars(module).values():
        if isinstance(value, Dispatcher) and value.py_func.__qualname__ == name:
            return value
    raise LookupError(f"no njit function {name} in {origin[1]}")


def _warm_up() -> None:
    """What every first compile pays, paid before the first request: numba's registries."""
    import numba
    import numpy as np

    numba.njit(lambda x: x + 1)(np.zeros(1, np.float32))


def serve() -> None:
    """The compile process's loop (its ``sys.path`` is the asking process's): one request in,
    compile, one answer out, until stdin closes."""
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr          # nothing else may write into the answer pipe
    _warm_up()
    _send(answers, ("ready", None))
    while True:
        try:
            origin, name, sig = _receive(requests)
        except EOFError:
            return
        try:
            _dispatcher(origin, name).compile(sig)
            answer = ("ok", None)
        except Exception as e:  # noqa: BLE001 - reported; the asking process compiles it itself
            answer = ("error", f"{type(e).__name__}: {e}")
        _send(answers, answer)
