"""Stretches of a generated driver compiled as one njit function each.

The straight-line driver (``numba_driver.py``) still makes one Python call per kernel, product and
slice: ~1-1.5 us each, most of a step of many tiny kernels (the unrolled RNN: 20 kernels, 29
products, 10 time-step slices). A *stretch* of consecutive certain steps that the whole-loop
printer (``numba_loop_steps.Printer``) can print (kernels on their static serial geometry, BLAS
products on one thread called from compiled code, product updates, reshapes, splits and concats,
static slices) and that holds at least ``STRETCH_MIN_STEPS`` kernels, products or slices becomes
one njit function:

- its inputs (values made before the stretch) are passed as the arrays the Python driver holds;
  the executable's constants, the kernels' geometries, the GEMMs' addresses and one flat array for
  each value made and read only inside the stretch are fixed arguments, allocated once (through
  ``run_policy.new_array``, like pooled buffers);
- a value that leaves it (a later step reads it, or it goes into the value dict: fetches,
  updates) is written into the array the Python driver hands it, got as before: a pooled view or
  ``alloc`` (recycled, fresh, or a variable's own array updated in place), so hand-out and the
  in-place commit are the step loop's.

The same kernels run in the same order on the same values, and nothing in a stretch can fail at
run time (a step the printer would guard with a check refuses the stretch), so a run stays
all-or-nothing. Compiling a stretch takes seconds: the driver runs in its Python form until the
executable's ``STRETCH_AFTER``-th trusted run through it, then (``Pending``) a background thread
(one compile at a time, shared with whole loops: ``numba_loop.building``; in the calling thread
under ``GRAPHC_COMPILE=sync``) compiles its stretches, and the next run swaps in the driver that
calls them. ``GRAPHC_NUMBA_DRIVER=straight`` keeps the Python form.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numba
import numpy as np
from numba import types

from graphc.codegen import numba_loop, tiered
from graphc.codegen import numba_loop_steps as steps_printer
from graphc.codegen import run_policy as policy
from graphc.codegen.numba_steps import CompiledStep
from graphc.ops import blas_threads
from graphc.passes.fusion import KernelKind

__all__ = ["find", "find_or_none", "Stretch", "Pending", "STRETCH_MIN_STEPS", "STRETCH_AFTER"]

STRETCH_MIN_STEPS = 6     # kernels, products and slices a stretch needs to be compiled
STRETCH_AFTER = 16        # trusted driver runs of an executable before its stretches compile
STATS = {"stretches_compiled": 0, "stretch_compile_seconds": 0.0}
log = logging.getLogger("graphc.codegen.numba_stretches")


def _reads(step) -> list:
    """The values ``step`` reads (its kernel's inputs: a fused kernel's inner values are not)."""
    return list(step.kernel.inputs)


def _counts(step) -> bool:
    """Whether ``step`` counts towards a stretch's length (a view costs the driver little)."""
    return isinstance(step, CompiledStep) or step.kernel.kind != KernelKind.VIEW


def _eligible(step) -> bool:
    """The checks the printer does not make: a certain step; a product that runs on one BLAS
    thread whatever the load; a compiled step's serial geometry bound at build time."""
    if not getattr(step, "certain", False):
        return False
    if any(math.prod(steps_printer.static(v)) == 0 for v in step.kernel.outputs):
        return False
    if isinstance(step, CompiledStep):
        if step.static is None or step.conv:
            return False
        if step.matmul is not None:
            shapes = [steps_printer.static(v) for v in step.matmul.inputs[:2]]
            work = max(int(np.prod(shapes[0])), int(np.prod(shapes[1]))) * max(max(s) for s in shapes)
            if not blas_threads.serial(work) or blas_threads.by_load(work):
                return False
    return True


def _printable(step, printer: steps_printer.Printer) -> bool:
    """Whether the printer prints ``step`` with no run-time check."""
    before = len(printer.lines)
    try:
        if not _eligible(step):
            return False
        printer.step(step)
    except (steps_printer.Refused, KeyError, ValueError, TypeError):
        return False
    return not any("return -1" in line for line in printer.lines[before:])


def find(exe) -> List[Tuple[int, int]]:
    """The (start, end) step ranges of ``exe`` to compile as stretches."""
    steps = exe.steps
    found: List[Tuple[int, int]] = []
    start = 0
    printer = _trial_printer(steps)
    for i, step in enumerate(steps + [None]):
        if step is not None and _printable(step, printer):
            continue
        if sum(1 for s in steps[start:i] if _counts(s)) >= STRETCH_MIN_STEPS:
            found.append((start, i))
        start = i + 1
        printer = _trial_printer(steps)
    return found


def find_or_none(exe) -> List[Tuple[int, int]]:
    """``find``, or no stretch when looking fails (the driver is printed after a run's writes)."""
    try:
        return find(exe)
    except Exception as e:  # noqa: BLE001 - the Python driver runs every step
        log.warning("looking for stretches to compile failed: %s: %s", type(e).__name__, e)
        return []


def _trial_printer(steps: Sequence) -> steps_printer.Printer:
    """A printer that knows every value a step reads, to see which steps print (lines discarded)."""
    local = {v: f"in{k}" for k, v in enumerate({v: None for s in steps for v in _reads(s)})}
    return steps_printer.Printer("t", local, set(), set(), lambda name, shape, dtype: name,
                                 lambda name, value: name, {}, lambda v: None, [])


class Stretch:
    """One njit function doing ``exe.steps[start:end]``; ``inputs``: the values it reads that
    are made before it (passed by the driver, constants aside), ``outputs``: (value, static shape)
    of the values it makes that leave it (written into arrays the driver passes)."""

    def __init__(self, exe, start: int, end: int, leaving: set) -> None:
        steps = exe.steps[start:end]
        self.start, self.end = start, end
        made = {v for s in steps for v in s.kernel.outputs}
        self.inputs = [v for v in {v: None for s in steps for v in _reads(s)} if v not in made and v not in exe.consts]
        self.outputs = [(v, steps_printer.static(v)) for s in steps for v in s.kernel.outputs if v in leaving]
        packs = _Packs()
        params: List[str] = []
        local: Dict[Any, str] = {}
        prologue: List[str] = []
        for i, v in enumerate(self.inputs):
            params.append(f"a{i}")
            prologue.append(f"f{i} = a{i}.reshape(-1)")
            local[v] = f"f{i}"
        destination: Dict[Any, str] = {}
        for j, (v, _shape) in enumerate(self.outputs):
            params.append(f"o{j}")
            prologue.append(f"d{j} = o{j}.reshape(-1)")
            destination[v] = f"d{j}"
        read = {v for s in steps for v in _reads(s)}
        for i, (v, array) in enumerate(exe.consts.items()):
            if v in read:
                local[v] = packs.add(f"c{i}", np.ascontiguousarray(array).reshape(-1))
        inputs = {local[v] for v in self.inputs}
        read_only = set(local.values()) - inputs     # the constants: views of them may be read at any time
        self.globals: Dict[str, Any] = {}
        lines: List[str] = []
        printer = steps_printer.Printer("s", local, read_only, set(), packs.scratch, packs.add, self.globals,
                                        destination.get, lines, shared=inputs)
        printer.note_readers(steps, list(destination))
        for step in steps:
            printer.step(step)
            for v in step.kernel.outputs:
                n = math.prod(steps_printer.static(v))
                if v in destination and v not in printer.into_rows and n:
                    # a view of another value: copied now, before a later step may reuse its memory
                    lines += steps_printer.element_copy(destination[v], "0", printer.name(v), "0", n)
        if any("return -1" in line for line in lines):
            raise steps_printer.Refused("a step of the stretch checks its arguments at run time")
        self.gemm_work = printer.gemm_work
        fixed_params, self.fixed, unpack = packs.finish()
        body = ["    " + line for line in prologue + unpack + lines] + ["    return 0"]
        self.source = f"def stretch({', '.join(params + fixed_params)}):\n" + "\n".join(body) + "\n"
        self.function = numba_loop.compiled(self.source, self.globals, name="stretch", prefix="st")
        self.entry: Optional[Callable] = None

    def compile(self) -> Callable:
        """Compiles the function for C arrays of the values' static dtypes and ranks and the fixed
        arguments' types; returns its entry point (called without the dispatcher's typing)."""
        def array(v) -> Any:
            return types.Array(numba.from_dtype(np.dtype(v.dtype.np_type)), len(steps_printer.static(v)), "C")
        sig = tuple([array(v) for v in self.inputs] + [array(v) for v, _s in self.outputs]
                    + [numba.typeof(f) for f in self.fixed])
        start = time.perf_counter()
        self.entry = self.function.compile(sig)
        STATS["stretches_compiled"] += 1
        STATS["stretch_compile_seconds"] += time.perf_counter() - start
        return self.entry


class _Packs:
    """The fixed arguments of a stretch: its scratch arrays and its array constants (geometries,
    slice positions, the executable's constants) as slices of one array per dtype, each slice
    ``ALIAS_GUARD_BYTES`` apart and 64-byte aligned (one argument to unbox per dtype rather than
    one per array: a call with 200 arguments cost ~10 us); other constants (a GEMM's address) as
    arguments of their own."""

    def __init__(self) -> None:
        self.slices: Dict[str, list] = {}      # dtype str -> [(name, values or None, elements)]
        self.params: List[str] = []
        self.values: List[Any] = []

    def add(self, name: str, value: Any) -> str:
        """``Printer``'s ``constant``: a value passed to the function under ``name``."""
        if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "biuf":
            self.slices.setdefault(value.dtype.str, []).append((name, value, value.shape[0]))
        else:
            self.params.append(name)
            self.values.append(value)
        return name

    def scratch(self, name: str, shape: tuple, dtype: Any) -> str:
        """``Printer``'s ``fixed``: a flat array of the function's own."""
        self.slices.setdefault(np.dtype(dtype).str, []).append((name, None, steps_printer.size(shape)))
        return name

    def finish(self) -> Tuple[List[str], List[Any], List[str]]:
        """(parameter names, their values, the lines slicing the packs)."""
        names, values, lines = [], [], []
        for k, (dtype_str, entries) in enumerate(self.slices.items()):
            dtype = np.dtype(dtype_str)
            step = -(-policy.ALIAS_GUARD_BYTES // dtype.itemsize)
            starts, end = [], 0
            for _name, _value, n in entries:
                starts.append(end)
                end += -(-(n + step) // 64) * 64
            pack = policy.new_array((max(end, 1),), dtype)
            for (name, value, n), start in zip(entries, starts):
                if value is not None:
                    pack[start:start + n] = value
                lines.append(f"{name} = pk{k}[{start}:{start + n}]")
            names.append(f"pk{k}")
            values.append(pack)
        return names + self.params, values + self.values, lines


class Pending:
    """The stretches of an executable whose driver still runs them in Python: counts its trusted
    driver runs (``after_run``) and, from the ``STRETCH_AFTER``-th, has them compiled; the run
    after they are ready rebuilds the driver with them (``rebuild(exe, env, stretches)``)."""

    def __init__(self, ranges: List[Tuple[int, int]], leaving: Callable[[int, int], set],
                 rebuild: Callable) -> None:
        self.ranges = ranges
        self.leaving = leaving        # (start, end) -> the values made in steps[start:end] that leave it
        self.rebuild = rebuild
        self.runs = 0
        self.started = False
        self.ready: Optional[List[Stretch]] = None

    def after_run(self, exe, env: dict) -> None:
        """Called after each trusted run of ``exe`` through the driver that holds this."""
        if self.ready is not None:
            exe.driver.pending = None
            if self.ready:
                try:
                    exe.driver = self.rebuild(exe, env, self.ready)
                    exe.driver_source = exe.driver.source
                except Exception as e:  # noqa: BLE001 - this run's writes are made: it must not fail now
                    log.warning("a driver calling compiled stretches could not be printed, the Python "
                                "driver stays: %s: %s", type(e).__name__, e)
            return
        self.runs += 1
        if self.started or self.runs < STRETCH_AFTER:
            return
        if tiered.resolved_mode() == tiered.SYNC:
            self.started = True
            self._build(exe)
        elif numba_loop.building.acquire(blocking=False):
            self.started = True
            threading.Thread(target=self._build_in_background, args=(exe,), daemon=True,
                             name="graphc-driver-stretches").start()

    def _build(self, exe) -> None:
        made = []
        for start, end in self.ranges:
            try:
                stretch = Stretch(exe, start, end, self.leaving(start, end))
                stretch.compile()
                made.append(stretch)
            except Exception as e:  # noqa: BLE001 - those steps keep running from the Python driver
                log.warning("steps %d-%d of an executable: compiling them as one function failed, "
                            "they run from the Python driver: %s: %s", start, end, type(e).__name__, e)
        self.ready = made

    def _build_in_background(self, exe) -> None:
        try:
            self._build(exe)
        finally:
            numba_loop.building.release()
