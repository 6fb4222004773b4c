"""Numba whole-loop codegen: a ``While`` whose cond and body compile to pointwise Numba kernels
only becomes ONE njit function that runs every iteration in compiled code.

The cond and body are first compiled as Numba sub-executables (``host.subplan_factory``); when
each is nothing but serial compiled kernels on fully static shapes (scalars and small tensors:
``i < n``, ``x = x * a + b``), ``WholeLoop`` prints a function that calls those kernels' njit
``kernel`` functions in a ``while`` loop, with one array per value allocated once before the loop
and reused by every iteration (loop variables are copied into their arrays after each iteration
through a second set, so ``a, b = b, a`` swaps). The predicate is read from its array in compiled
code. Anything else (a random op, a matmul, a numpy step, a view, a nested region, shapes not
fixed, a parallel-size kernel, a loop whose iterations are recorded for a gradient) is refused
with a reason (``Refused``), and the loop runs through the sub-executables instead
(``codegen/regions.py``). ``NumbaExecutable.whole_loops`` says, per loop node, which it got.
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numba
import numpy as np

from graphc.codegen import regions
from graphc.codegen import run_policy as policy
from graphc.codegen.numba_steps import CompiledStep

COMPILED_WHOLE = "compiled whole: one njit function runs every iteration"


class Refused(Exception):
    """Why a loop is not compiled as one function (the message is the reason); ``size_dependent``:
    other sizes of the same shape pattern might be compiled whole."""

    def __init__(self, reason: str, size_dependent: bool = False) -> None:
        super().__init__(reason)
        self.size_dependent = size_dependent


class _Names:
    """Array names of the generated function's values, and the arrays passed for them."""

    def __init__(self) -> None:
        self.params: List[str] = []       # parameter names, in call order
        self.fixed: List[np.ndarray] = []  # arrays for the parameters after the loop variables and captures
        self.shape: Dict[str, tuple] = {}  # array name -> the shape of the value it holds

    def add_fixed(self, name: str, array: np.ndarray, shape: tuple) -> str:
        self.params.append(name)
        self.fixed.append(array)
        self.shape[name] = tuple(shape)
        return name


def _flat(shape: Optional[tuple]) -> int:
    if shape is None or None in shape:
        raise Refused("a value inside the loop has no fully static shape")
    return max(int(np.prod(shape, dtype=np.int64)), 1)


class WholeLoop:
    """One njit function running a ``While`` node's loop on loop variables and captures of
    ``shapes``, from its cond and body executables compiled for those shapes."""

    def __init__(self, node, shapes: tuple, cond_exe, body_exe) -> None:
        self.node = node
        n = node.attrs["num_vars"]
        body = node.attrs["body"]
        if body.kept or node.attrs["cond"].kept:
            raise Refused("its body draws random numbers (each draw runs from the host)")
        self.inputs = list(body.inputs)
        self.shapes = list(shapes)
        self.dtypes = [t.dtype.np_type for t in self.inputs]
        names = _Names()
        self.vars = [f"v{i}" for i in range(len(self.inputs))]
        names.params.extend(self.vars)
        names.shape.update(zip(self.vars, (tuple(sh) for sh in self.shapes)))
        self.globals: Dict[str, Any] = {"np": np}
        lines: List[str] = []
        pred = self._calls(cond_exe, "c", names, lines)
        cond_calls = lines
        lines = []
        results = self._calls(body_exe, "b", names, lines)
        if len(pred) != 1 or len(results) != n:
            raise Refused("its cond or body fetches other values than the loop's")
        if _flat(names.shape[pred[0]]) != 1:
            raise Refused(f"its predicate has shape {names.shape[pred[0]]}, not one element")
        for i, r in enumerate(results):
            if names.shape[r] != tuple(self.shapes[i]):
                raise Refused(f"loop variable {i} changes shape from {self.shapes[i]} to {names.shape[r]}")
        self.num_vars = n
        src = ["", "    count = 0", "    while True:"]
        src += ["        " + s for s in cond_calls]
        src += [f"        if not {pred[0]}[0]:", "            break"]
        src += ["        " + s for s in lines]
        # two steps, so a body that swaps loop variables reads each old value before it is overwritten
        src += [f"        n{i}[:] = {r}" for i, r in enumerate(results)]
        src += [f"        v{i}[:] = n{i}" for i in range(n)]
        src += ["        count += 1", "    return count"]
        for i in range(n):
            names.add_fixed(f"n{i}", policy.new_array((_flat(self.shapes[i]),), self.dtypes[i]), self.shapes[i])
        src[0] = f"def whole_loop({', '.join(names.params)}):"
        self.source = "\n".join(src) + "\n"
        self.fixed = names.fixed
        self.lock = threading.Lock()
        namespace = dict(self.globals)
        exec(compile(self.source, f"<graphc whole loop {node.name}>", "exec"), namespace)
        self.function = numba.njit(error_model="numpy", no_cfunc_wrapper=True)(namespace["whole_loop"])

    def _calls(self, exe, prefix: str, names: _Names, lines: List[str]) -> List[str]:
        """Appends the kernel calls of sub-executable ``exe`` to ``lines``; returns its fetches' names."""
        prog = exe.kernel_plan.program
        if prog.reads or prog.updates:
            raise Refused("its cond or body reads or writes a variable")
        local: Dict[Any, str] = {}
        for feed in prog.feeds:
            local[feed.outputs[0]] = self.vars[feed.attrs["slot"]]
        for i, (value, array) in enumerate(exe.consts.items()):
            local[value] = names.add_fixed(f"{prefix}c{i}", np.ascontiguousarray(array).reshape(-1), np.shape(array))
        for s, step in enumerate(exe.steps):
            if not isinstance(step, CompiledStep):
                raise Refused(f"kernel {step.kernel.index} ({' '.join(step.kernel.op_types)}) of its "
                              f"{'cond' if prefix == 'c' else 'body'} is not a compiled kernel ({step.reason})")
            if step.matmul is not None:
                raise Refused("a kernel of its body multiplies matrices (its product comes from BLAS)")
            if step.static is None:
                raise Refused(f"kernel {step.kernel.index} of its body has no static geometry")
            geo, _, out_shapes, parallel = step.static
            if parallel:
                raise Refused(f"kernel {step.kernel.index} is large enough to run in parallel", size_dependent=True)
            fn = f"{prefix}k{s}"
            self.globals[fn] = step.serial
            args = [names.add_fixed(f"{prefix}g{s}", geo, geo.shape)]
            for v in step.in_values:
                if v not in local:
                    raise Refused(f"value {v} of kernel {step.kernel.index} comes from outside the loop's kernels")
                args.append(local[v])
            for j, (v, shape) in enumerate(zip(step.out_values, out_shapes)):
                local[v] = names.add_fixed(f"{prefix}o{s}_{j}", policy.new_array((_flat(shape),), v.dtype.np_type), shape)
                args.append(local[v])
            lines.append(f"{fn}({', '.join(args)})")
        try:
            return [local[v] for v in prog.fetches]
        except KeyError:
            raise Refused("a fetched value of its cond or body is not computed by its kernels") from None

    def run(self, values: Sequence[np.ndarray], captures: Sequence[np.ndarray]) -> Tuple[list, int]:
        """(final loop variables, iteration count) from ``values`` and ``captures`` of its shapes."""
        args = [np.array(x, dtype=dtype, copy=True, order="C").reshape(-1)
                for x, dtype in zip(list(values) + list(captures), self.dtypes)]
        with self.lock:      # the reused arrays belong to one run at a time
            count = self.function(*args, *self.fixed)
        return [a.reshape(shape) for a, shape in zip(args[:self.num_vars], self.shapes)], int(count)


class Loops:
    """The whole-loop functions of one Numba executable's loop nodes, made on a loop's first run
    with given shapes (its bodies are compiled for them first, see ``host.SubExecutable``).

    ``why[node name]`` says for each loop that ran whether it was compiled whole or why not."""

    def __init__(self, factory: regions.Factory, dump_dir: Optional[str] = None) -> None:
        self.factory = factory
        self.dump_dir = dump_dir                             # GRAPHC_DUMP's directory for this plan
        self.made: Dict[Any, Optional[WholeLoop]] = {}     # (node, shapes) -> the function, or None
        self.why: Dict[str, str] = {}
        self.refused: set = set()    # loop nodes refused for a reason no size changes: not tried again

    def whole(self, node, shapes: tuple) -> Optional[WholeLoop]:
        """``node``'s whole-loop function for loop variables and captures of ``shapes``, or None."""
        key = (node, shapes)
        if key not in self.made:
            if node in self.refused:   # its bodies run one by one, planned per shape pattern
                return None
            if len(self.made) > 64:
                self.made.clear()
            try:
                cond = regions.body_executable(node.attrs["cond"], self.factory).for_shapes(shapes, exact=True)
                body = regions.body_executable(node.attrs["body"], self.factory).for_shapes(shapes, exact=True)
                self.made[key] = WholeLoop(node, shapes, cond, body)
                self.why[node.name] = COMPILED_WHOLE
            except Refused as e:
                self.made[key] = None
                self.why[node.name] = f"not compiled whole: {e}"
                if not e.size_dependent:
                    self.refused.add(node)
            self._dump(node, shapes)
        return self.made[key]

    def _dump(self, node, shapes: tuple) -> None:
        """With GRAPHC_DUMP, appends the verdict (and the function's source) to ``whole_loops.txt``."""
        if not self.dump_dir:
            return
        loop = self.made[(node, shapes)]
        with open(os.path.join(self.dump_dir, "whole_loops.txt"), "a") as f:
            f.write(f"# {node.name} on shapes {list(shapes)}: {self.why[node.name]}\n")
            f.write(loop.source + "\n" if loop is not None else "")

    def runner(self, node) -> Optional[Callable]:
        """``node``'s compiled whole loop for ``regions.run`` (None for a node that is not a loop)."""
        if node.type != "While":
            return None

        def run(values: Sequence[np.ndarray], captures: Sequence[np.ndarray], state: Any) -> Optional[Tuple[list, int]]:
            loop = self.whole(node, tuple(tuple(np.shape(x)) for x in list(values) + list(captures)))
            return loop.run(values, captures) if loop is not None else None
        return run
