"""Numba whole-loop codegen: a ``While`` whose cond and body compile to Numba kernels, BLAS
products and static data movement becomes ONE njit function that runs every iteration in compiled
code.

The cond and body are first compiled as Numba sub-executables (``host.subplan_factory``) for the
loop's shapes, the body as the body-by-body driver would run it (``regions.loop_body``: with the
intermediates a gradient saves, without loop vars nothing needs). ``WholeLoop`` prints a function
that calls their kernels' njit ``kernel`` functions and the steps ``numba_loop_steps.py`` prints
(GEMMs through OpenBLAS, splits, concats, TensorArray reads and writes, a gradient's row reads) in
a ``while`` loop, every value in a flat array allocated once and reused by every iteration (loop
variables are copied into their arrays after each iteration, through a second set when one new
value is another's old one, so ``a, b = b, a`` swaps; a loop var the loop gave up is updated in
place). A loop recorded for its gradient (``regions.LoopPlan``) writes each iteration's saved
values and loop-var values into row ``count`` of ``[capacity, ...]`` arrays (a kernel computes a
saved value straight into its row); more iterations than rows returns -2 and the loop runs again
with twice the rows. A failed run-time check returns -1 and the loop runs body by body
(``codegen/regions.py``), where the op raises its error. Anything else (a random op, a nested
region, a numpy step with no recipe, shapes not fixed, a parallel-size kernel) is refused with a
reason (``Refused``), and the loop runs body by body. ``NumbaExecutable.whole_loops`` says, per
loop node, which it got.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
import weakref
from typing import Any, Callable, Dict, List, Optional, Sequence

import numba
import numpy as np

from graphc.codegen import numba_loop_steps as steps_printer
from graphc.codegen import kernel_common as kc
from graphc.codegen import regions, tiered
from graphc.codegen import run_policy as policy
from graphc.ops import blas_gemm, blas_threads
from graphc.toolchain import cache as code_cache

COMPILED_WHOLE = "compiled whole: one njit function runs every iteration"
log = logging.getLogger("graphc.codegen.numba_loop")


Refused = steps_printer.Refused


class _Names:
    """Array names of the generated function's values, and the arrays passed for them."""

    def __init__(self) -> None:
        self.params: List[str] = []       # parameter names, in call order
        self.fixed: List[Any] = []         # values for the parameters after the per-call ones

    def add_fixed(self, name: str, value: Any) -> str:
        self.params.append(name)
        self.fixed.append(value)
        return name


_flat = steps_printer.size      # elements of a value's flat array (shapes here are all static)


class WholeLoop:
    """One njit function running a ``While`` node's loop on loop variables and captures of
    ``shapes``, from its cond and body executables compiled for those shapes; ``plan``: the
    driver's ``regions.LoopPlan`` (rows to record, loop vars given up), whose ``capacity`` is not
    part of the function."""

    def __init__(self, node, shapes: tuple, cond_exe, body_exe, plan: regions.LoopPlan, passed: list) -> None:
        self.node = node
        n = node.attrs["num_vars"]
        body = node.attrs["body"]
        if body.kept or node.attrs["cond"].kept:
            raise Refused("its body draws random numbers (each draw runs from the host)")
        self.inputs = list(body.inputs)
        self.shapes = list(shapes)
        self.dtypes = [t.dtype.np_type for t in self.inputs]
        self.num_vars = n
        self.gemm_work = 0           # multiply-adds of its largest product (BLAS threads are picked by it)
        self.into_rows: set = set()  # saved values a step writes straight into their rows
        self.record = plan.record
        self.valued = [i for i in plan.valued if i < n]
        names = _Names()
        self.vars = [f"v{i}" for i in range(len(self.inputs))]
        names.params.extend(self.vars)
        history = [f"h{i}" for i in self.valued]
        rows = [f"r{j}" for j in range(len(plan.saved))]
        names.params.extend(history + rows + ["cap"])
        self.globals: Dict[str, Any] = {}      # name -> the njit kernel a line calls
        self.read = set()           # names the printed lines mention
        lines: List[str] = []
        given_up = {self.vars[i] for i in plan.in_place}
        read_only = set(self.vars[n:])
        pred = self._print(cond_exe, "c", names, lines, read_only, given_up, {})
        cond_lines = lines
        lines = []
        fetches = body_exe.kernel_plan.program.fetches
        fetched_outputs = len(body.outputs) - len(passed)
        saved_values = fetches[fetched_outputs:]     # as the body compiled for these shapes has them
        self.saved_shapes = [steps_printer.static(v) for v in saved_values]
        self.saved_dtypes = [v.dtype.np_type for v in saved_values]
        direct = {}
        for j, value in enumerate(fetches[fetched_outputs:]):
            if value not in fetches[:fetched_outputs] and fetches.count(value) == 1:
                direct[value] = f"r{j}[count * {_flat(self.saved_shapes[j])}:(count + 1) * {_flat(self.saved_shapes[j])}]"
        results = self._print(body_exe, "b", names, lines, read_only, given_up, direct)
        if len(pred) != 1 or len(results) != fetched_outputs + len(plan.saved):
            raise Refused("its cond or body fetches other values than the loop's")
        predicate = cond_exe.kernel_plan.program.fetches[0]
        if _flat(steps_printer.static(predicate)) != 1:
            raise Refused(f"its predicate has shape {predicate.shape}, not one element")
        outputs = self._outputs(results[:fetched_outputs], passed, n)
        new_shapes = self._outputs([steps_printer.static(v) for v in fetches[:fetched_outputs]],
                                   [(j, None) for j, _k in passed], n)
        for i, shape in enumerate(new_shapes):
            if shape is not None and tuple(shape) != tuple(self.shapes[i]):
                raise Refused(f"loop variable {i} changes shape from {self.shapes[i]} to {shape}")
        src = ["", "    count = 0", "    while True:"]
        src += ["        " + s for s in cond_lines]
        src += [f"        if not {pred[0]}[0]:", "            break"]
        if self.record:
            src += ["        if count >= cap:", "            return -2"]
            for i in self.valued:
                size = _flat(self.shapes[i])
                src += ["        " + s for s in steps_printer.element_copy(f"h{i}", f"count * {size}", f"v{i}", "0", size)]
        src += ["        " + s for s in lines]
        for j, r in enumerate(results[fetched_outputs:]):
            if fetches[fetched_outputs + j] not in self.into_rows:
                size = _flat(self.saved_shapes[j])
                src += ["        " + s for s in steps_printer.element_copy(f"r{j}", f"count * {size}", r, "0", size)]
        src += ["        " + s for s in self._update_lines(outputs, names)]
        src += ["        count += 1", "    return count"]
        src[0] = f"def whole_loop({', '.join(names.params)}):"
        self.source = "\n".join(src) + "\n"
        self.fixed = names.fixed
        self.unread = [k for k in range(len(self.inputs)) if k >= n and self.vars[k] not in self.read]
        self.lock = threading.Lock()
        self.function = compiled(self.source, self.globals)

    def _outputs(self, fetched: list, passed: list, n: int) -> list:
        """Each loop var's new value: a fetched name, or the input a passed-through output is (``k``
        None: None)."""
        outputs = list(fetched)
        for j, k in passed:
            outputs.insert(j, None if k is None else self.vars[k])
        if len(outputs) != n:
            raise Refused("its body fetches other values than the loop's")
        return outputs

    def _update_lines(self, outputs: list, names: _Names) -> list:
        """Loop vars set to their new values; through a second set of arrays when one new value is
        another loop var's old one (``a, b = b, a``)."""
        changed = [(i, r) for i, r in enumerate(outputs) if r != self.vars[i]]

        def copies(pairs: list) -> list:
            return [line for dst, src, i in pairs
                    for line in steps_printer.element_copy(dst, "0", src, "0", _flat(self.shapes[i]))]
        if not any(r in self.vars for _i, r in changed):
            return copies([(f"v{i}", r, i) for i, r in changed])
        for i, _r in changed:
            names.add_fixed(f"n{i}", policy.new_array((_flat(self.shapes[i]),), self.dtypes[i]))
        return copies([(f"n{i}", r, i) for i, r in changed]) + copies([(f"v{i}", f"n{i}", i) for i, _r in changed])

    def _print(self, exe, prefix: str, names: _Names, lines: List[str], read_only: set, given_up: set,
               direct: dict) -> List[str]:
        """Appends the steps of sub-executable ``exe`` to ``lines``; returns its fetches' names."""
        prog = exe.kernel_plan.program
        if prog.reads or prog.updates:
            raise Refused("its cond or body reads or writes a variable")
        local: Dict[Any, str] = {}
        for feed in prog.feeds:
            local[feed.outputs[0]] = self.vars[feed.attrs["slot"]]
        for i, (value, array) in enumerate(exe.consts.items()):
            local[value] = names.add_fixed(f"{prefix}c{i}", np.ascontiguousarray(array).reshape(-1))
            read_only.add(local[value])

        def fixed(name: str, shape: tuple, dtype) -> str:
            return names.add_fixed(name, policy.new_array((_flat(shape),), dtype))

        printer = steps_printer.Printer(prefix, local, read_only, given_up, fixed, names.add_fixed, self.globals,
                                        direct.get, lines)
        printer.note_readers(exe.steps, prog.fetches)
        for step in exe.steps:
            printer.step(step)
        self.gemm_work = max(self.gemm_work, printer.gemm_work)
        self.into_rows |= printer.into_rows
        text = "\n".join(lines)
        self.read.update(v for v in self.vars if re.search(rf"\b{v}\b", text))
        try:
            return [local[v] for v in prog.fetches]
        except KeyError:
            raise Refused("a fetched value of its cond or body is not computed by its steps") from None

    def run(self, values: Sequence[np.ndarray], captures: Sequence[np.ndarray], plan: regions.LoopPlan) -> Optional[tuple]:
        """``(final loop variables, iteration count, {loop var: its value stack}, [saved stacks])``, or
        None when a run-time check failed (the loop then runs body by body, which raises the error)."""
        caps = self._captures(captures)
        capacity = max(plan.capacity, 1)
        while True:
            loop_vars = [self._own_copy(plan, i, x) for i, x in enumerate(values)]
            history = [self._rows(plan, ("var", i), capacity, self.shapes[i], self.dtypes[i]) for i in self.valued]
            rows = [self._rows(plan, ("saved", j), capacity, shape, dtype)
                    for j, (shape, dtype) in enumerate(zip(self.saved_shapes, self.saved_dtypes))]
            call_args = loop_vars + caps + history + rows + [capacity] + self.fixed
            with self.lock:      # the reused arrays belong to one run at a time
                count = blas_threads.run_sized(self.gemm_work, lambda: self.function(*call_args))
            if count != -2:
                break
            capacity *= 2       # more iterations than rows: again from the start, with twice the rows
        if count < 0:
            return None
        finals = [a.reshape(shape) for a, shape in zip(loop_vars, self.shapes)]
        stacks = {i: h.reshape((capacity,) + tuple(self.shapes[i]))[:count] for i, h in zip(self.valued, history)}
        saved = [r.reshape((capacity,) + shape)[:count] for r, shape in zip(rows, self.saved_shapes)]
        return finals, int(count), stacks, saved

    def argument_types(self, values: Sequence[np.ndarray], captures: Sequence[np.ndarray]) -> tuple:
        """The numba types of the arguments ``run`` passes for these values and captures (to compile
        the function before its first call)."""
        flat = [numba.typeof(np.empty(1, dtype)) for dtype in self.dtypes[:self.num_vars]]
        caps = [numba.typeof(c) for c in self._captures(captures)]
        rows = [numba.typeof(np.empty(1, self.dtypes[i]) if self.record else _UNREAD) for i in self.valued]
        rows += [numba.typeof(np.empty(1, dtype) if self.record else _UNREAD) for dtype in self.saved_dtypes]
        return tuple(flat + caps + rows + [numba.typeof(1)] + [numba.typeof(a) for a in self.fixed])

    def _captures(self, captures: Sequence[np.ndarray]) -> list:
        """The captures as the function takes them: flat views (never written), or a stand-in for
        one no line reads."""
        n = self.num_vars
        return [_UNREAD if k in self.unread else np.ascontiguousarray(x, dtype=dtype).reshape(-1)
                for k, (x, dtype) in enumerate(zip(captures, self.dtypes[n:]), start=n)]

    def _own_copy(self, plan: regions.LoopPlan, i: int, x: Any) -> np.ndarray:
        """Loop var ``i``'s starting value copied into a flat array the function may update: a large
        one into an array of the loop's recycler that no earlier run's result still holds (a new
        one costs a page fault per page: half of the copy of an LSTM's 3.3 MB TensorArray)."""
        n, dtype = _flat(self.shapes[i]), np.dtype(self.dtypes[i])
        if n < RECYCLED_MIN:
            return np.array(x, dtype=dtype, copy=True, order="C").reshape(-1)
        arr = plan.recycler.array(("start", i), n, dtype)
        np.copyto(arr.reshape(np.shape(x)), x, casting="unsafe")
        return arr

    def _rows(self, plan: regions.LoopPlan, key: tuple, capacity: int, shape: tuple, dtype) -> np.ndarray:
        if not self.record:
            return _UNREAD
        return plan.recycler.array(key, capacity * _flat(shape), np.dtype(dtype))


_UNREAD = np.zeros(1, dtype=np.float32)    # passed for an array the function never reads
RECYCLED_MIN = 1 << 14      # elements from which a loop var's starting copy goes into a recycled array
_HEADER = ("import numba\nimport numpy as np\n"
           "from graphc.codegen.numba_loop_steps import call_gemm, copy_blocks, copy_n, fill_n, take_n\n")
_DECORATOR = '@numba.njit(error_model="numpy", no_cfunc_wrapper=True, nogil=True)\n'


def compiled(function_source: str, kernels: Dict[str, Any], name: str = "whole_loop", prefix: str = "wl") -> Any:
    """The njit dispatcher of ``function_source`` (defining ``name``, printed with the steps of
    ``numba_loop_steps``): a module of graphc's code cache (``load_source``;
    in memory when the cache cannot be written) that imports the kernels it calls from their own
    generated modules, so numba keeps its compiled code on disk for later processes (the same
    function, generated again, loads in a fraction of a second)."""
    imports = "".join(f"from {kernel.py_func.__module__} import {kernel.py_func.__name__} as {fn}\n"
                      for fn, kernel in kernels.items())
    source = _HEADER + imports + "\n\n" + _DECORATOR + function_source
    return getattr(code_cache.load_source(source, prefix, [_STEPS_HASH, f"blas{blas_gemm.INDEX_BITS}"]), name)


_STEPS_HASH = kc.file_hash(steps_printer.__file__)


WHOLE_AFTER = 16       # runs in a row of a loop on one shape set before it is compiled whole (tiered)
WHOLE_PER_LOOP = 8     # shape sets of one loop compiled whole at most
building = threading.Semaphore(1)      # one background compile (a whole loop, a driver stretch) at a time
STATS = {"whole_loops_compiled": 0, "whole_loop_compile_seconds": 0.0}
_streaks: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # graph loop op -> (shape set, runs in a row)


def wait_for_background(timeout: float = 120.0) -> bool:
    """Waits until nothing (a whole loop, a driver stretch) is compiling in the background (False after ``timeout`` seconds)."""
    if not building.acquire(timeout=timeout):
        return False
    building.release()
    return True


class Loops:
    """The whole-loop functions of one Numba executable's loop nodes, one per shape set and plan.

    Compiling one takes seconds (numba types and LLVM optimizes the loop with its kernels). Under
    ``GRAPHC_COMPILE=sync`` it is made on the loop's first run with a shape set, which waits.
    Otherwise a loop runs body by body until it ran ``WHOLE_AFTER`` times in a row on one shape set
    (a tiered session's background trial run never counts); a background thread then builds and
    compiles its function (one at a time) and later runs use it. A new batch size thus costs no
    compile, shapes that keep changing (serving) start none, and a training loop's fixed shapes get
    the fast path after a few steps. Either way at most ``WHOLE_PER_LOOP`` shape sets of one loop
    are compiled. ``why[node name]`` says for each loop whether it was compiled whole or why not."""

    def __init__(self, factory: regions.Factory, dump_dir: Optional[str] = None) -> None:
        self.factory = factory
        self.dump_dir = dump_dir                             # GRAPHC_DUMP's directory for this plan
        self.made: Dict[Any, Optional[WholeLoop]] = {}     # key -> the compiled function, or None: refused
        self.why: Dict[str, str] = {}
        self.refused: set = set()    # loop nodes refused for a reason no size changes: not tried again
        self.ran = False             # whether any loop of the executable ran

    def whole(self, node, shapes: tuple, plan: regions.LoopPlan, values: Sequence, captures: Sequence,
              state: Any) -> Optional[WholeLoop]:
        """``node``'s compiled whole-loop function for loop variables and captures of ``shapes`` run
        as ``plan`` says (its capacity aside), or None (the loop runs body by body)."""
        self.ran = True
        key = (node, shapes, plan.record, tuple(id(t) for t in plan.saved), plan.valued, plan.dead, plan.in_place)
        if key in self.made:
            return self.made[key]
        if node in self.refused:   # its bodies run one by one, planned per shape pattern
            return None
        # (list: a background build may add an entry meanwhile)
        if sum(1 for k, loop in list(self.made.items()) if k[0] is node and loop is not None) >= WHOLE_PER_LOOP:
            return None
        if tiered.resolved_mode() == tiered.SYNC:
            loop = self.made[key] = self._build(node, shapes, plan)
            if loop is not None:
                self.why[node.name] = COMPILED_WHOLE
            return loop
        if getattr(state, "in_place", True) is False:      # a tiered session's background trial run
            return None
        # counted per loop of the user's graph: each batch size may have an executable of its own
        origin = node.origin if node.origin is not None else node
        plain_key = (shapes,) + key[2:]
        last, runs = _streaks.get(origin, (None, 0))
        runs = runs + 1 if last == plain_key else 1
        _streaks[origin] = (plain_key, runs)
        if runs >= WHOLE_AFTER and building.acquire(blocking=False):
            args = (key, node, shapes, plan, list(values), list(captures))
            threading.Thread(target=self._build_in_background, args=args, daemon=True,
                             name="graphc-whole-loop").start()
        return None

    def _build(self, node, shapes: tuple, plan: regions.LoopPlan) -> Optional[WholeLoop]:
        """The loop's function (not compiled yet: numba compiles it on its first call), or None."""
        if len(self.made) > 64:
            self.made.clear()
        loop = None
        try:
            cond = regions.body_executable(node.attrs["cond"], self.factory).for_shapes(shapes, exact=True)
            body, passed = regions.loop_body(node.attrs["body"], self.factory, plan.saved, plan.dead)
            loop = WholeLoop(node, shapes, cond, body.for_shapes(shapes, exact=True), plan, passed)
        except Refused as e:
            self.why[node.name] = f"not compiled whole: {e}"
            if not e.size_dependent:
                self.refused.add(node)
        self._dump(node, shapes, loop)
        return loop

    def _build_in_background(self, key: tuple, node, shapes: tuple, plan: regions.LoopPlan,
                             values: list, captures: list) -> None:
        try:
            loop = self._build(node, shapes, plan)
            if loop is not None:
                start = time.perf_counter()
                loop.function.compile(loop.argument_types(values, captures))
                STATS["whole_loops_compiled"] += 1
                STATS["whole_loop_compile_seconds"] += time.perf_counter() - start
                self.why[node.name] = COMPILED_WHOLE
                log.info("loop %s on shapes %s: compiled whole in the background", node.name, list(shapes))
            self.made[key] = loop
        except Exception as e:   # noqa: BLE001 - the loop keeps running body by body
            self.made[key] = None
            self.why[node.name] = f"not compiled whole: compiling it failed ({type(e).__name__}: {e})"
            log.warning("loop %s: compiling it whole failed, it runs body by body: %s", node.name, e)
        finally:
            building.release()

    def _dump(self, node, shapes: tuple, loop: Optional[WholeLoop]) -> None:
        """With GRAPHC_DUMP, appends the verdict (and the function's source) to ``whole_loops.txt``."""
        if not self.dump_dir:
            return
        verdict = COMPILED_WHOLE if loop is not None else self.why[node.name]
        with open(os.path.join(self.dump_dir, "whole_loops.txt"), "a") as f:
            f.write(f"# {node.name} on shapes {list(shapes)}: {verdict}\n")
            f.write(loop.source + "\n" if loop is not None else "")

    def runner(self, node) -> Optional[Callable]:
        """``node``'s compiled whole loop for ``regions.run`` (None for a node that is not a loop)."""
        if node.type != "While":
            return None

        def run(values: Sequence[np.ndarray], captures: Sequence[np.ndarray], state: Any,
                plan: regions.LoopPlan) -> Optional[tuple]:
            shapes = tuple(tuple(np.shape(x)) for x in list(values) + list(captures))
            loop = self.whole(node, shapes, plan, values, captures, state)
            return loop.run(values, captures, plan) if loop is not None else None
        run.records = True      # type: ignore[attr-defined]   (it takes a LoopPlan: see regions.run)
        return run
