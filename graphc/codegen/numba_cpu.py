"""The Numba CPU backend: each fused kernel of the plan becomes generated Python source, compiled by numba.njit.

Kernel kinds and what they become:
- ``pointwise``: one loop nest over the iteration space. Space dims are coalesced by broadcast
  pattern (adjacent dims that every operand either spans or broadcasts over become one loop),
  so a same-shape chain is a single flat loop. Sizes and strides arrive at run time in one int64
  array (``geo``): generated code depends on ranks, dtypes and the broadcast pattern only, and a
  new batch size compiles nothing new.
- ``reduction``: a loop over rows (kept dims) and, per row, one pass over the reduced dims per
  dependency level of reductions (softmax: max, then sum, then the output pass), the prologue
  inlined in each pass and the epilogue computed once per row. A costly value that an earlier
  pass computes and the last pass needs again (softmax's exp) is stored in the output row and
  read back, when the last pass reads no input array. Reductions of everything use
  fixed chunks combined in a fixed order (deterministic, parallel when large). Column
  reductions (the innermost loop is a kept dim, e.g. a bias gradient ``sum(dY, axis=0)``) stream
  rows contiguously into per-column partial results instead, in tiles of (row chunk, column
  block) whose sizes depend on the shape only, so results never depend on the thread count.
- ``matmul``: the driver computes the product with numpy's BLAS (``np.matmul`` into the product
  buffer: one BLAS thread pool per process, shared with numpy kernels such as conv), then the
  kernel runs the epilogue loop over it.
- ``opaque``/``view``/``host`` and kernels this printer cannot compile: the op's numpy kernel,
  called from the Python driver; ``NumbaExecutable.numpy_kernels`` lists each one and why.

Every generated module is written to the code cache (``graphc.toolchain.cache``), which gives its
njit functions a signed numba cache there, so compiled code is kept across processes. Each
module has a serial ``kernel`` and a ``kernel_par`` (prange) variant; the parallel one runs when
the kernel's work (elements times a per-op weight) reaches ``PARALLEL_MIN`` and is only compiled
if some run needs it.

The driver precomputes per executable what it can: each kernel's geometry when every shape is
static (a run whose feeds and variables have their static shapes then does no shape work),
pooled views for values that stay inside a run, recycled arrays for values that leave it.
Arrays of any rank are passed to kernels as they are (kernels address them by flat offset).
"""
from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
from typing import Any, Optional, Sequence

import numba
import numpy as np

from graphc import errors, switches
from graphc.codegen import kernel_common as kc
from graphc.codegen import numba_scalar as scalar
from graphc.codegen import numba_host
from graphc.codegen.driver import CompileJob
from graphc.ops.core import OPS, Lowering, OpKind
from graphc.passes.fusion import KernelKind, facts, is_fusible_reduction
from graphc.passes.memory import Place, Storage
from graphc.codegen import commit
from graphc.toolchain import cache

log = logging.getLogger("graphc.codegen.numba")

# Numba's OpenMP layer made prange kernels erratic on this 2-core machine (gelu 4M: median 8 ms,
# against 1.6 ms steady with the workqueue layer). Workqueue cannot run two parallel regions at
# once, so parallel launches take a process-wide lock. A user's NUMBA_THREADING_LAYER wins.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"
_PARALLEL_LAUNCH = threading.Lock()

# Work (elements x per-element weight, see _work_weight) from which the prange variant runs;
# GRAPHC_NUMBA_PARALLEL_MIN overrides, a huge value disables it. A workqueue launch costs ~60-150 us
# on the 2-vCPU machines measured, so memory-bound kernels gain only from several million elements.
PARALLEL_MIN = int(switches.NUMBA_PARALLEL_MIN.get() or 2 ** 22)
RECYCLE_DEPTH = 2         # results of this many recent runs are watched for reuse
CHUNK = 2 ** 14            # elements per chunk of a full reduction (fixed: results never depend on threads)
COLUMN_BLOCK = 1024        # columns per tile of a column reduction (its partials stay in L1)
COMPILED_DTYPES = frozenset({"float32", "float64", "int32", "int64", "bool"})
BLAS_DTYPES = frozenset({"float32", "float64"})

# What happens to each kernel kind that is not compiled (reported by `numpy_kernels`).
NUMPY_KINDS = {
    KernelKind.OPAQUE: "no Numba template for this op yet: its numpy kernel runs from the Python driver",
    KernelKind.VIEW: "a reshape of an existing buffer (no launch)",
    KernelKind.HOST: "a shape computed on the host (no launch)",
}

STATS = {"modules": 0, "compiles": 0, "cache_loads": 0, "compile_seconds": 0.0}


def ops_run_with_numpy() -> list:
    """Op types whose kernels run with numpy from the driver (opaque in the fusion plan; views excluded)."""
    compiled_kinds = {OpKind.ELEMENTWISE, OpKind.MATMUL, OpKind.SOURCE, OpKind.STATE, OpKind.CONTROL}
    planned = {Lowering.REDUCTION, Lowering.VIEW, Lowering.HOST, Lowering.ELEMENTWISE}
    out = []
    for t, od in OPS.items():
        if od.lowering in planned or od.kind in compiled_kinds:
            continue
        out.append(t)
    return sorted(out)


# ------------------------------------------------------------------------------------------------
# layout: which dims each operand spans, coalesced into loop groups

_Access = kc.Access
_make_access = kc.make_access
_data_inputs = kc.data_inputs
Unsupported = kc.Unsupported


def _input_access(name: str, value, frame: str, space: tuple, kept: list) -> _Access:
    acc = _make_access(name, value, frame, space, kept)
    if acc is None:
        raise Unsupported(f"input {value.op.name} has unknown rank or a rank above the space")
    return acc


# ------------------------------------------------------------------------------------------------
# source generation for pointwise / reduction / matmul kernels

_FASTMATH_TEXT = "{" + ", ".join(map(repr, sorted(scalar.FASTMATH))) + "}"
# A kernel without a reduction needs no `reassoc` to vectorize, and without it (x + c) - d, the
# round-to-integer trick and x * 4 * 0.25 near overflow keep IEEE order, as in eager mode and TF1.
_POINTWISE_FASTMATH_TEXT = "{" + ", ".join(map(repr, sorted(scalar.FASTMATH - {"reassoc"}))) + "}"

_REDUCE_INIT = {
    "Sum": lambda dt: scalar.literal(0, dt), "Mean": lambda dt: scalar.literal(0, dt),
    "Prod": lambda dt: scalar.literal(1, dt),
    "Max": lambda dt: scalar.literal(-np.inf, dt) if dt.is_floating else scalar.literal(np.iinfo(dt.np_type).min, dt),
    "Min": lambda dt: scalar.literal(np.inf, dt) if dt.is_floating else scalar.literal(np.iinfo(dt.np_type).max, dt),
    "Any": lambda dt: "False", "All": lambda dt: "True",
}


def _combine(op_type: str, acc: str, x: str, dt) -> str:
    if op_type in ("Sum", "Mean"):
        return f"{acc} + {x}"
    if op_type == "Prod":
        return f"{acc} * {x}"
    if op_type == "Max":
        return scalar.expression("Maximum", [acc, x], [dt, dt], dt, {})
    if op_type == "Min":
        return scalar.expression("Minimum", [acc, x], [dt, dt], dt, {})
    if op_type == "Any":
        return f"{acc} | {x}"
    return f"{acc} & {x}"


def _finalize(op_type: str, acc: str, dt) -> str:
    cast = scalar.np_type_name(dt)
    if op_type != "Mean":
        return f"{cast}({acc})"
    if dt.is_floating:
        return f"{cast}({acc} / {cast}(nred))"
    # integer mean truncates toward zero (as TF1), after the sum wrapped in the dtype
    return (f"{cast}(-((-{cast}({acc})) // max(nred, 1)) if {cast}({acc}) < 0 "
            f"else {cast}({acc}) // max(nred, 1))")


class _KernelSource(kc.FrameAnalysis):
    """Generates one module (serial and parallel variants) for a pointwise/reduction/matmul kernel.

    After construction: ``source`` (the module text), ``accesses`` (array/scalar operands in
    argument order, inputs first), ``groups``, ``matmul`` (the MatMul node or None).
    """

    def __init__(self, kernel) -> None:
        self._take_kernel(kernel, tuple(kernel.reduce_axes or ()))
        self._classify()
        self._plan_accesses()
        self.groups = kc.index_groups(self.space, [d in self.axes for d in range(self.rank)], self.accesses)
        self.source = self._module()

    # -- analysis -----------------------------------------------------------------------------
    def _classify(self) -> None:
        """Frame of each node ("full" space or per-row), pass levels, and checks of what is printable."""
        self.frame: dict = {}
        self.level: dict = {}      # full node -> first pass in which it can be computed
        self.avail: dict = {}      # row node -> number of passes after which it is known
        for n in self.kernel.nodes:
            out = n.outputs[0]
            if len(n.outputs) != 1:
                raise Unsupported(f"{n.name} ({n.type}) has several outputs")
            if out.dtype.name not in COMPILED_DTYPES or any(v.dtype.name not in COMPILED_DTYPES for v in n.inputs):
                raise Unsupported(f"{n.name} ({n.type}) uses dtype {out.dtype.name}")
            if n is self.matmul:
                if out.dtype.name not in BLAS_DTYPES:
                    raise Unsupported(f"{n.name}: BLAS has no {out.dtype.name} matmul")
                if any(id(v.op) in self.members for v in n.inputs):
                    raise Unsupported(f"{n.name}: an operand of the matmul is computed in the same kernel")
                self.frame[id(n)] = "full"
                self.level[id(n)] = 0
                continue
            if self._is_fused_reduction(n):
                self._classify_reduction(n)
            else:
                self._classify_elementwise(n, scalar, "scalar")

    def _plan_accesses(self) -> None:
        """Inputs (per frame they are read in), the matmul product, and the outputs, in argument order."""
        self.accesses: list = self._plan_inputs(_data_inputs, _input_access)
        if self.matmul is not None:
            self.product = _make_access("prod", self.matmul.outputs[0], "full", self.space, self.kept)
            self.product.scalar = False   # always the flat "prod" argument, even for a 1x1 product
            self.accesses.append(self.product)
        self.outputs: list = []
        for v in self.kernel.outputs:
            frame = self.frame[id(v.op)]
            if v.op is self.matmul:
                continue     # the driver writes the product straight into this output
            acc = _make_access(f"out{len(self.outputs)}", v, frame, self.space, self.kept, is_output=True)
            if acc is None:
                raise Unsupported(f"output {v.op.name} has unknown rank")
            self.outputs.append(acc)
        self.accesses.extend(self.outputs)

    # -- printing -----------------------------------------------------------------------------
    def _module(self) -> str:
        ops = " ".join(self.kernel.op_types)
        axes = f", reduce axes {self.axes}" if self.axes else ""
        header = [
            f'"""graphc {self.kernel.kind} kernel over a rank-{self.rank} space{axes}: {ops}',
            "",
            f"loop groups (space dims): {self.groups}",
            '"""',
            "import numba",
            "import numpy as np",
            "from numba import prange",
            "",
            "from graphc.codegen import numba_scalar as S",
            "",
            f"_OPTIONS = dict(error_model='numpy', "
            f"fastmath={_FASTMATH_TEXT if self.axes else _POINTWISE_FASTMATH_TEXT})",
            "",
        ]
        serial = self._function("kernel", parallel=False)
        par = self._function("kernel_par", parallel=True)
        return "\n".join(header + ["", "@numba.njit(**_OPTIONS)"] + serial +
                         ["", "", "@numba.njit(parallel=True, **_OPTIONS)"] + par) + "\n"

    def _args(self) -> list:
        args = ["geo"] + [f"{a.name}_a" if a.scalar else a.name
                          for a in self.accesses if not a.is_output and a is not getattr(self, "product", None)]
        if self.matmul is not None:
            args.append("prod")
        return args + [a.name for a in self.outputs]

    def _function(self, name: str, parallel: bool) -> list:
        self.lines: list = [f"def {name}({', '.join(self._args())}):"]
        self.names: dict = {}
        self.counter = 0
        ind = "    "
        for g in range(len(self.groups)):
            self.lines.append(f"{ind}e{g} = geo[{g}]")
        for a in self.accesses:
            if a.scalar:   # one-element inputs arrive as arrays of any rank
                self.lines.append(f"{ind}{a.name} = S.load({a.name}_a, 0)")
        k = len(self.groups)
        self.stride_name: dict = {}
        for a in self.accesses:
            if a.scalar:
                continue
            for g, dims in enumerate(self.groups):
                if a.indexed[dims[0]]:
                    self.lines.append(f"{ind}s_{a.name}_{g} = geo[{k}]")
                    self.stride_name[(a.name, g)] = f"s_{a.name}_{g}"
                    k += 1
        kept_groups = [g for g, dims in enumerate(self.groups) if dims[0] not in self.axes]
        red_groups = [g for g, dims in enumerate(self.groups) if dims[0] in self.axes]
        if self.axes:
            self.lines.append(f"{ind}nred = {' * '.join(f'e{g}' for g in red_groups) or '1'}")
        if self.matmul is not None:
            self._print_matmul(ind)
        if not self.outputs:        # a lone matmul: the driver wrote the result
            return _drop_unused_index_math(self.lines)
        offsets = {a.name: "0" for a in self.accesses}
        chunked = self.axes and not kept_groups and len(red_groups) == 1
        if chunked:
            self._print_row(ind, offsets, red_groups, parallel, chunked=True)
            return _drop_unused_index_math(self.lines)
        if self._column_mode(kept_groups, red_groups):
            self._print_columns(ind, offsets, kept_groups, red_groups, parallel)
            return _drop_unused_index_math(self.lines)
        depth = ind
        for i, g in enumerate(kept_groups):
            loop = "prange" if (parallel and i == 0) else "range"
            self.lines.append(f"{depth}for i{g} in {loop}(e{g}):")
            depth += ind
            self._advance(offsets, g, depth)
        self._print_row(depth, offsets, red_groups, parallel=False, chunked=False)
        return _drop_unused_index_math(self.lines)

    def _print_matmul(self, ind: str) -> None:
        self.lines.append(f"{ind}# MatMul: the driver wrote the product into prod (numpy's BLAS)")

    def _advance(self, offsets: dict, g: int, depth: str) -> None:
        """Offsets of the arrays that span loop group ``g``, inside that loop."""
        for a in self.accesses:
            sname = self.stride_name.get((a.name, g))
            if sname is None:
                continue
            term = f"i{g}" if self._unit_stride(a, g) else f"i{g} * {sname}"
            prev = offsets[a.name]
            new = f"o_{a.name}_{g}"
            self.lines.append(f"{depth}{new} = {term if prev == '0' else prev + ' + ' + term}")
            offsets[a.name] = new

    def _unit_stride(self, a: _Access, g: int) -> bool:
        later = [h for h, dims in enumerate(self.groups) if h > g and a.indexed[dims[0]]]
        return not later

    def _fresh(self) -> str:
        self.counter += 1
        return f"t{self.counter}"

    def _read(self, a: _Access, offsets: dict) -> str:
        if a.scalar:
            return a.name
        var = self._fresh()
        self.lines.append(f"{self.depth_now}{var} = S.load({a.name}, {offsets[a.name]})")
        return var

    def _operand(self, v, frame: str, offsets: dict, cache: dict) -> str:
        if id(v.op) in self.members and v.op is not self.matmul:
            return self.names[id(v.op)] if id(v.op) in self.names else cache[id(v.op)]
        acc = self.product if v.op is self.matmul else self.input_access[(v, frame)]
        key = ("in", acc.name)
        if key not in cache:
            cache[key] = self._read(acc, offsets)
        return cache[key]

    def _node_expr(self, n, frame: str, offsets: dict, cache: dict) -> str:
        args = [self._operand(v, frame, offsets, cache) for v in _data_inputs(n)]
        dts = [v.dtype for v in _data_inputs(n)]
        out = n.outputs[0].dtype
        expr = None
        exponent = _scalar_constant(n.inputs[1]) if n.type == "Pow" else None
        if exponent is not None:
            expr = scalar.power_by_constant(args[0], exponent, out)
        if expr is None:
            expr = scalar.expression(n.type, args, dts, out, n.attrs)
        return f"{scalar.np_type_name(out)}({expr})"

    def _print_row(self, depth: str, offsets: dict, red_groups: list, parallel: bool, chunked: bool) -> None:
        """Per row: passes over the reduced dims (reductions, full outputs), row values, row outputs."""
        self.depth_now = depth
        nodes = self.kernel.nodes
        reductions = [n for n in nodes if self.axes and is_fusible_reduction(n)]
        n_passes = max([self.avail[id(r)] for r in reductions], default=0)
        full_outs = [a for a in self.outputs if self.frame[id(a.value.op)] == "full"]
        last_full = max([self.level[id(a.value.op)] for a in full_outs], default=-1)
        total = max(n_passes, last_full + 1)
        plan = [([r for r in reductions if self.avail[id(r)] == p + 1],
                 [a for a in full_outs if self.level[id(a.value.op)] == p or
                  (p == total - 1 and self.level[id(a.value.op)] >= p)]) for p in range(total)]
        self.kept_in_output = self._reuse_in_output(plan)
        self.total_passes = total
        self._emit_row_values(depth, offsets, 0)
        for p, (pass_reds, pass_outs) in enumerate(plan):
            self.pass_now = p
            if chunked:
                self._emit_chunked_pass(depth, offsets, red_groups[0], pass_reds, pass_outs, parallel)
            else:
                self._emit_pass(depth, offsets, red_groups, pass_reds, pass_outs)
            self._emit_row_values(depth, offsets, p + 1)

    def _emit_row_values(self, depth: str, offsets: dict, avail: int) -> None:
        """Row nodes that become known after ``avail`` passes, and the row outputs among them."""
        cache: dict = {}
        self.depth_now = depth
        for n in self.kernel.nodes:
            if id(n) not in self.avail or self.avail[id(n)] != avail or is_fusible_reduction(n):
                continue
            var = self._fresh()
            expr = self._node_expr(n, self.frame[id(n)], offsets, cache)
            self.lines.append(f"{depth}{var} = {expr}  # {n.type}")
            self.names[id(n)] = var
        for a in self.outputs:
            node = a.value.op
            if id(node) in self.avail and self.avail[id(node)] == avail:
                self.lines.append(f"{depth}S.store({a.name}, {offsets[a.name]}, {self.names[id(node)]})")

    def _reuse_in_output(self, plan: list) -> Optional[tuple]:
        """(pass, node, output): a costly full node that an earlier pass computes and the last pass
        needs again is stored into the last pass's output row and read back from there (softmax:
        exp is computed once, in the sum pass). Only when the last pass then reads no input array,
        so an output that shares memory with an input (an in-place variable update) stays right."""
        if len(plan) < 2 or not plan[-1][1]:
            return None
        last_roots = [a.value.op for a in plan[-1][1]]
        last_need = self._needed_full(last_roots)
        for n in reversed(last_need):
            if facts(n).cost < 4:
                continue
            earlier = [p for p, (reds, outs) in enumerate(plan[:-1])
                       if n in self._needed_full([r.inputs[0].op for r in reds if id(r.inputs[0].op) in self.members]
                                                 + [a.value.op for a in outs])]
            target = next((a for a in plan[-1][1] if a.value.op is not n and a.value.dtype == n.outputs[0].dtype
                           and not any(a.indexed[d] is False for d in range(self.rank))), None)
            if not earlier or target is None:
                continue
            rest = self._needed_full(last_roots, stop=n)
            if any(id(v.op) not in self.members and not self.input_access[(v, "full")].scalar
                   for m in rest if m is not n for v in _data_inputs(m)):
                continue
            return earlier[-1], n, target
        return None

    def _emit_body(self, depth: str, offsets: dict, pass_reds: list, pass_outs: list) -> None:
        self.depth_now = depth
        cache: dict = {}
        roots = [r.inputs[0].op for r in pass_reds if id(r.inputs[0].op) in self.members]
        roots += [a.value.op for a in pass_outs]
        reuse = getattr(self, "kept_in_output", None)
        stop = None
        if reuse is not None and self.pass_now == self.total_passes - 1:
            _, stop, target = reuse
            var = self._fresh()
            self.lines.append(f"{depth}{var} = S.load({target.name}, {offsets[target.name]})  # {stop.type}, kept")
            cache[id(stop)] = var
        for n in self._needed_full(roots, stop=stop):
            if n is stop:
                continue
            var = self._fresh()
            expr = self._node_expr(n, "full", offsets, cache)
            self.lines.append(f"{depth}{var} = {expr}  # {n.type}")
            cache[id(n)] = var
            if reuse is not None and self.pass_now == reuse[0] and n is reuse[1]:
                self.lines.append(f"{depth}S.store({reuse[2].name}, {offsets[reuse[2].name]}, {var})")
        for r in pass_reds:
            x = self._operand(r.inputs[0], "full", offsets, cache)
            dt = r.outputs[0].dtype
            self.lines.append(f"{depth}{self._acc(r)} = {_combine(r.type, self._acc(r), x, dt)}")
        for a in pass_outs:
            node = a.value.op
            src = cache[id(node)] if id(node) in cache else self._operand(a.value, "full", offsets, cache)
            self.lines.append(f"{depth}S.store({a.name}, {offsets[a.name]}, {src})")

    def _position(self, node) -> int:
        return self.kernel.nodes.index(node)

    def _acc(self, r) -> str:
        return f"acc{self._position(r)}"

    def _emit_pass(self, depth: str, offsets: dict, red_groups: list, pass_reds: list, pass_outs: list) -> None:
        ind = "    "
        for r in pass_reds:
            self.lines.append(f"{depth}{self._acc(r)} = {_REDUCE_INIT[r.type](r.outputs[0].dtype)}")
        inner = depth
        local = dict(offsets)
        for g in red_groups:
            self.lines.append(f"{inner}for i{g} in range(e{g}):")
            inner += ind
            self._advance(local, g, inner)
        self._emit_body(inner, local, pass_reds, pass_outs)
        self._finish_reductions(depth, pass_reds)

    def _emit_chunked_pass(self, depth, offsets, g, pass_reds, pass_outs, parallel) -> None:
        """One pass over a single flat reduced group in fixed chunks; partial results combined in order."""
        ind = "    "
        loop = "prange" if parallel else "range"
        self.lines.append(f"{depth}nchunk = (e{g} + {CHUNK - 1}) // {CHUNK}")
        for r in pass_reds:
            dt = r.outputs[0].dtype
            self.lines.append(f"{depth}part{self._position(r)} = np.empty(nchunk, dtype={scalar.np_type_name(dt)})")
        self.lines.append(f"{depth}for c in {loop}(nchunk):")
        d1 = depth + ind
        for r in pass_reds:
            self.lines.append(f"{d1}{self._acc(r)} = {_REDUCE_INIT[r.type](r.outputs[0].dtype)}")
        self.lines.append(f"{d1}for i{g} in range(c * {CHUNK}, min((c + 1) * {CHUNK}, e{g})):")
        d2 = d1 + ind
        local = dict(offsets)
        self._advance(local, g, d2)
        self._emit_body(d2, local, pass_reds, pass_outs)
        for r in pass_reds:
            self.lines.append(f"{d1}part{self._position(r)}[c] = {self._acc(r)}")
        for r in pass_reds:
            dt = r.outputs[0].dtype
            self.lines.append(f"{depth}{self._acc(r)} = {_REDUCE_INIT[r.type](dt)}")
            self.lines.append(f"{depth}for c in range(nchunk):")
            combined = _combine(r.type, self._acc(r), f"part{self._position(r)}[c]", dt)
            self.lines.append(f"{depth}{ind}{self._acc(r)} = {combined}")
        self._finish_reductions(depth, pass_reds)

    # -- column reductions: kept dims innermost ------------------------------------------------
    def _column_mode(self, kept_groups: list, red_groups: list) -> bool:
        """True for a one-pass reduction whose innermost loop group is kept (e.g. ``sum(x, axis=0)``).

        The row-by-row order would then read the input with a stride per element; instead rows are
        streamed contiguously into a vector of per-column accumulators.
        """
        if not (self.axes and red_groups and kept_groups) or self.matmul is not None:
            return False
        if kept_groups[-1] != len(self.groups) - 1:
            return False
        reductions = [n for n in self.kernel.nodes if is_fusible_reduction(n)]
        if any(self.avail[id(r)] != 1 for r in reductions):
            return False
        for n in self.kernel.nodes:
            if self.frame.get(id(n)) != "full" or is_fusible_reduction(n):
                continue
            if self.level.get(id(n), 0) != 0:
                return False
            if any(id(v.op) in self.members and self.frame[id(v.op)] != "full" for v in _data_inputs(n)):
                return False
        return True

    def _print_columns(self, ind: str, offsets: dict, kept_groups: list, red_groups: list, parallel: bool) -> None:
        """Tiles of (row chunk, column block): rows stream contiguously into per-column partial results.

        Row chunks (fixed size for a given shape, never thread-dependent) give parallelism when the
        columns are few; partials are combined per column in chunk order, so results are
        deterministic and the serial and parallel variants agree bit for bit.
        """
        outer, col = kept_groups[:-1], kept_groups[-1]
        reductions = [n for n in self.kernel.nodes if is_fusible_reduction(n)]
        full_outs = [a for a in self.outputs if self.frame[id(a.value.op)] == "full"]
        depth = ind
        for i, g in enumerate(outer):
            loop = "prange" if (parallel and i == 0) else "range"
            self.lines.append(f"{depth}for i{g} in {loop}(e{g}):")
            depth += ind
            self._advance(offsets, g, depth)
        split_rows = not outer and len(red_groups) == 1
        tiles_parallel = parallel and not outer
        lines = self.lines
        lines.append(f"{depth}ncol = e{col}")
        lines.append(f"{depth}cb = ncol if ncol < {COLUMN_BLOCK} else {COLUMN_BLOCK}")
        lines.append(f"{depth}nb = (ncol + cb - 1) // max(cb, 1)")
        if split_rows:
            r = red_groups[0]
            lines.append(f"{depth}rc = max(1, {CHUNK} // max(cb, 1))")
            lines.append(f"{depth}nr = max(1, (e{r} + rc - 1) // rc)")
        else:
            lines.append(f"{depth}nr = 1")
        for red in reductions:
            dt = scalar.np_type_name(red.outputs[0].dtype)
            lines.append(f"{depth}part{self._position(red)} = np.empty(nr * ncol, dtype={dt})")
        lines.append(f"{depth}for t in {'prange' if tiles_parallel else 'range'}(nr * nb):")
        d1 = depth + ind
        lines += [f"{d1}r = t // nb", f"{d1}j0 = (t - r * nb) * cb", f"{d1}j1 = min(j0 + cb, ncol)",
                  f"{d1}prow = r * ncol"]
        lines.append(f"{d1}for j in range(j0, j1):")
        for red in reductions:
            init = _REDUCE_INIT[red.type](red.outputs[0].dtype)
            lines.append(f"{d1}{ind}S.store(part{self._position(red)}, prow + j, {init})")
        inner = d1
        local = dict(offsets)
        for g in red_groups:
            rows = f"r * rc, min(r * rc + rc, e{g})" if split_rows else f"e{g}"
            lines.append(f"{inner}for i{g} in range({rows}):")
            inner += ind
            self._advance(local, g, inner)
        lines.append(f"{inner}for i{col} in range(j0, j1):")
        inner += ind
        self._advance(local, col, inner)
        for red in reductions:
            lines.append(f"{inner}{self._acc(red)} = S.load(part{self._position(red)}, prow + i{col})")
        self._emit_body(inner, local, reductions, full_outs)
        for red in reductions:
            lines.append(f"{inner}S.store(part{self._position(red)}, prow + i{col}, {self._acc(red)})")
        # per column: combine the chunks in order, then the epilogue and the row outputs
        lines.append(f"{depth}for i{col} in range(ncol):")
        d1 = depth + ind
        local = dict(offsets)
        self._advance(local, col, d1)
        self._emit_row_values(d1, local, 0)
        for red in reductions:
            dt = red.outputs[0].dtype
            lines.append(f"{d1}{self._acc(red)} = {_REDUCE_INIT[red.type](dt)}")
            lines.append(f"{d1}for r in range(nr):")
            part = f"S.load(part{self._position(red)}, r * ncol + i{col})"
            lines.append(f"{d1}{ind}{self._acc(red)} = {_combine(red.type, self._acc(red), part, dt)}")
        self._finish_reductions(d1, reductions)
        self._emit_row_values(d1, local, 1)

    def _finish_reductions(self, depth: str, pass_reds: list) -> None:
        for r in pass_reds:
            var = self._fresh()
            self.lines.append(f"{depth}{var} = {_finalize(r.type, self._acc(r), r.outputs[0].dtype)}  # {r.type}")
            self.names[id(r)] = var


_INDEX_ASSIGN = re.compile(r"^\s*((?:o|s)_\w+|nred) = ")


def _drop_unused_index_math(lines: list) -> list:
    """Removes offset/stride/count assignments that nothing reads (keeps the generated code readable)."""
    while True:
        text = "\n".join(lines)
        keep = []
        for line in lines:
            m = _INDEX_ASSIGN.match(line)
            if m and len(re.findall(rf"\b{m.group(1)}\b", text)) == text.count(f"{m.group(1)} = "):
                continue
            keep.append(line)
        if len(keep) == len(lines):
            return lines
        lines = keep


def _scalar_constant(v) -> Optional[float]:
    """The value of a one-element Const input (used to specialize ``x ** 3``), else None."""
    if v.op.type != "Const" or np.size(v.op.attrs["value"]) != 1:
        return None
    return np.reshape(v.op.attrs["value"], -1)[0]


# ------------------------------------------------------------------------------------------------
# launch steps

class _RunContext:
    """Per-run state shared by the steps: the value environment and the arrays handed out."""

    __slots__ = ("env", "fresh", "state", "exe", "trusted", "written")

    def __init__(self, exe, state) -> None:
        self.exe = exe
        self.env: dict = {}
        self.fresh: set = set()          # ids of arrays allocated for this run only (safe to hand out)
        self.state = state
        self.trusted = False             # every fed and variable shape is the static one (see NumbaExecutable)
        self.written: dict = {}          # variable op -> its own array, written in place by this run

    def alloc(self, value, shape: tuple) -> np.ndarray:
        """The array that kernel output ``value`` is written into.

        Values that stay inside the run live in pooled buffers (one per buffer of the memory plan);
        values that leave it (fetches, variables' new values) get recycled arrays of their own,
        or the variable's own array when it is updated in place.
        """
        exe = self.exe
        pooled = exe.pooled.get(value)
        if pooled is not None:
            view = exe.pool_views.get((pooled, shape))
            return view if view is not None else exe.pool_view(pooled, value, shape)
        if self.trusted:
            var = exe.inplace.get(value)
            if var is not None:
                arr = exe.own_array(var, self)
                if arr is not None and arr.shape == shape:
                    commit.writing_in_place()
                    self.written[var] = arr
                    return arr
        n = 1
        for s in shape:
            n *= s
        arr = exe.recycled(value, n, value.dtype.np_type)
        out = arr if arr.shape == shape else arr.reshape(shape)
        self.fresh.add(id(out))
        self.fresh.add(id(arr))
        return out


def _work_weight(kernel) -> int:
    """Work per element of the space, in units of a simple arithmetic op (at least 1)."""
    return 1 + sum(facts(n).cost for n in kernel.nodes)


class _CompiledStep:
    """Launches one generated kernel: runtime geometry (cached per input shapes), buffers, call.

    ``static`` is the geometry computed at build time when every shape the kernel sees is known;
    a run whose inputs are guaranteed to have those shapes (``trusted``) skips all shape work.
    """

    def __init__(self, kernel, gen: _KernelSource, module) -> None:
        self.kernel = kernel
        self.gen = gen
        self.serial = module.kernel
        self.parallel = module.kernel_par
        self.module_file = module.__file__
        self.inputs = [a for a in gen.accesses if not a.is_output and a.value.op is not gen.matmul]
        self.in_values = [a.value for a in self.inputs]
        self.outputs = gen.outputs
        self.out_values = [a.value for a in self.outputs]
        self.matmul = gen.matmul
        self.mm_values = tuple(gen.matmul.inputs[:2]) if gen.matmul is not None else ()
        self.geometry: dict = {}
        self.scratch: Optional[np.ndarray] = None     # the matmul product when it is not an output
        self.product_output = gen.matmul is not None and gen.matmul.outputs[0] in kernel.outputs
        self.weight = _work_weight(kernel)
        self.trusted = False                          # set by the executable (inputs have static shapes)
        self.static_key, self.static = self._static_geometry()

    # -- geometry -------------------------------------------------------------------------------
    def _static_geometry(self) -> tuple:
        shapes = [v.shape.as_tuple() for v in self.in_values + list(self.mm_values)]
        if any(s is None or None in s for s in shapes) or None in self.gen.space:
            return None, None
        key = tuple(shapes)
        try:
            return key, self._compute_geometry(shapes[:len(self.in_values)], shapes[len(self.in_values):], None)
        except errors.OpError:
            return None, None   # inconsistent static shapes: the runtime check reports it

    def _space(self, shapes: list, mm_shapes: list, env) -> list:
        gen = self.gen
        space = list(gen.space)
        if self.matmul is not None:
            a, b = mm_shapes
            m, n, _ = kc.matmul_dims(a, b, self.matmul.attrs, self._fail)
            space = list(a[:-2]) + [m, n]
        return kc.fill_space(space, self.inputs, shapes, gen.meta, lambda v: env[v])

    def _compute_geometry(self, shapes: list, mm_shapes: list, env) -> tuple:
        gen = self.gen
        space = self._space(shapes, mm_shapes, env)
        for acc, shape in zip(self.inputs, shapes):
            self._check_input(acc, shape, space)
        geo = kc.group_extents(space, gen.groups)
        for a in gen.accesses:
            if a.scalar:
                continue
            for dims in gen.groups:
                if a.indexed[dims[0]]:
                    geo.append(kc.group_stride(space, a, dims, gen.rank))
        out_shapes = [tuple(int(s) for s in a.runtime_shape(space)) for a in self.outputs]
        total = int(np.prod(space, dtype=np.int64))
        return np.array(geo, dtype=np.int64), tuple(space), out_shapes, total * self.weight >= PARALLEL_MIN

    def _check_input(self, acc: _Access, shape: tuple, space: list) -> None:
        kc.check_input(acc, shape, space, self._fail, whole_static=False)

    def _fail(self, what: str) -> None:
        raise kc.kernel_failure(self.kernel, "kernel", what)

    def _geometry_for(self, arrays: list, env) -> tuple:
        mm = [env[v] for v in self.mm_values]
        key = tuple([x.shape for x in arrays] + [x.shape for x in mm])
        if key == self.static_key:
            return self.static
        if self.gen.meta:
            key += tuple(tuple(np.reshape(env[v], -1).tolist()) for v in self.gen.meta)
        geom = self.geometry.get(key)
        if geom is None:
            geom = self._compute_geometry([x.shape for x in arrays], [x.shape for x in mm], env)
            if len(self.geometry) > 256:
                self.geometry.clear()
            self.geometry[key] = geom
        return geom

    # -- launch ---------------------------------------------------------------------------------
    def run(self, ctx: _RunContext) -> None:
        env = ctx.env
        args = [env[v] for v in self.in_values]
        if self.trusted and ctx.trusted:
            geo, space, out_shapes, parallel = self.static
        else:
            geo, space, out_shapes, parallel = self._geometry_for(args, env)
        args.insert(0, geo)
        if self.matmul is not None:
            args.extend(self._matmul_args(ctx, space))
        alloc = ctx.alloc
        outs = [alloc(v, shape) for v, shape in zip(self.out_values, out_shapes)]
        args.extend(outs)
        fn = self.parallel if parallel else self.serial
        compiled = len(fn.overloads)     # a new specialization is a compile (or a disk-cache load)
        start = time.perf_counter()
        if parallel:
            with _PARALLEL_LAUNCH:  # the workqueue threading layer runs one parallel region at a time
                self._call(fn, args, compiled)
        else:
            self._call(fn, args, compiled)
        if len(fn.overloads) != compiled:
            _record_compile(fn, self.kernel, time.perf_counter() - start, parallel)
        for v, o in zip(self.out_values, outs):
            env[v] = o

    def _call(self, fn, args: list, compiled: int) -> None:
        """Calls the kernel; a corrupt numba disk-cache entry met while loading is discarded and rebuilt."""
        try:
            fn(*args)
        except Exception:
            if len(fn.overloads) != compiled:
                raise  # the kernel itself failed, not the cache
            cache.STATS["corrupt_entries"] += 1
            log.warning("discarding numba's cached code for %s (unreadable); recompiling", self.module_file)
            cache.discard_compiled(self.module_file)
            fn(*args)

    def _matmul_args(self, ctx: _RunContext, space: tuple) -> list:
        """Computes the product with numpy's BLAS (see ``_matmul``); returns the kernel's ``prod`` argument."""
        env = ctx.env
        a, b = env[self.matmul.inputs[0]], env[self.matmul.inputs[1]]
        a3, b3 = kc.as_batch_of_matrices(a), kc.as_batch_of_matrices(b)
        if self.matmul.attrs["transpose_a"]:
            a3 = a3.transpose(0, 2, 1)
        if self.matmul.attrs["transpose_b"]:
            b3 = b3.transpose(0, 2, 1)
        shape = tuple(space)
        if self.product_output:
            product = ctx.alloc(self.matmul.outputs[0], shape)
            env[self.matmul.outputs[0]] = product
        else:
            n = int(np.prod(shape, dtype=np.int64))
            if self.scratch is None or self.scratch.size < n:
                self.scratch = np.empty(n, dtype=self.matmul.outputs[0].dtype.np_type)
            product = self.scratch[:n].reshape(shape)
        np.matmul(a3, b3, out=kc.as_batch_of_matrices(product))
        return [product.reshape(-1)]


_CACHE_HITS: dict = {}   # dispatcher id -> disk-cache hits seen so far


def _record_compile(fn, kernel, seconds: float, parallel: bool) -> None:
    """Counts (and logs) a new specialization: compiled now, or loaded from numba's disk cache."""
    hits = sum(fn.stats.cache_hits.values())
    loaded = hits > _CACHE_HITS.get(id(fn), 0)
    _CACHE_HITS[id(fn)] = hits
    STATS["cache_loads" if loaded else "compiles"] += 1
    STATS["compile_seconds"] += seconds
    log.info("%s kernel %d (%s%s) in %.3fs", "loaded cached" if loaded else "compiled", kernel.index,
             " ".join(kernel.op_types), ", parallel" if parallel else "", seconds)


class _NumpyStep:
    """Runs a kernel's nodes with their numpy kernels from the driver (opaque ops and fallbacks)."""

    def __init__(self, kernel, reason: str) -> None:
        self.kernel = kernel
        self.reason = reason
        self.promised: list = []     # (value, static shape) that later trusted steps rely on

    def run(self, ctx: _RunContext) -> None:
        local: dict = {}
        env = ctx.env
        for node in self.kernel.nodes:
            args = [local[v] if v in local else env[v] for v in node.inputs]
            outs = numba_host.call(node, args, ctx.state)
            local.update(zip(node.outputs, outs))
        if ctx.trusted:
            kc.check_promised(self.promised, local)
        inputs = [env[v] for v in self.kernel.inputs if v in env]
        for v in self.kernel.outputs:
            out = local[v]
            if self.kernel.kind == KernelKind.VIEW or self.kernel.kind == KernelKind.HOST:
                env[v] = _c_array(out)
                continue
            if not out.flags.c_contiguous or not out.flags.writeable or any(
                    np.may_share_memory(out, x) for x in inputs if isinstance(x, np.ndarray)):
                out = np.array(out, copy=True, order="C")
            ctx.fresh.add(id(out))
            env[v] = out


_c_array = kc.c_array


# ------------------------------------------------------------------------------------------------
# the executable

def _load(gen: _KernelSource):
    return kc.load_module(gen.source, "gk", [scalar.HELPERS_HASH], STATS)


class NumbaExecutable:
    """A RunPlan compiled to Numba kernels plus a Python driver; same interface as InterpretedExecutable.

    ``kernels``: the launched kernels, each with ``.source`` (generated module text, or a note
    saying which numpy kernel runs it); ``numpy_kernels``: (kernel index, op types, reason) for
    every launched kernel that runs with numpy; ``peak_bytes``: from the memory plan;
    ``inplace_variables``: the variables whose new values are written into their own arrays
    (``inplace_note`` says why there are none when the memory plan asked for some).

    Variables in place: the memory plan picks updates that may overwrite the variable's array
    (every reader of the old value runs before or in the writing kernel). This driver does so
    only when nothing from the first such kernel on can fail (compiled kernels whose every input
    shape is known when the run starts), so a failed run still leaves every variable untouched;
    otherwise the new value goes to a recycled array that the session swaps in when the run commits.
    """

    backend = "numba"

    def __init__(self, job: CompileJob) -> None:
        self.plan = job.plan
        self.kernel_plan, self.memory_plan = job.kernel_plan, job.memory_plan
        self.storage = self.memory_plan.storage
        self.kernels = self.kernel_plan.launched
        self.peak_bytes = self.memory_plan.peak_bytes
        self.pool: dict = {}          # buffer index -> flat array for values that stay inside a run
        self.pool_views: dict = {}    # (buffer index, shape) -> view of that pool array
        self.handed_out: dict = {}    # value -> arrays given to the caller by recent runs
        self.numpy_kernels: list = []
        prog = self.kernel_plan.program
        outputs = set(prog.outputs())
        self.pooled = {v: where.ref for v, where in self.storage.items()
                       if where.place is Place.BUFFER and v not in outputs}
        self.consts = {n.outputs[0]: np.array(n.attrs["value"], copy=True, order="C")
                       for n in prog.nodes if n.type == "Const"}
        self.feed_slots = [(n.outputs[0], n.attrs["slot"], n.outputs[0].shape.as_tuple(), n) for n in prog.feeds]
        self.read_slots = [(n.outputs[0], var, n.outputs[0].shape.as_tuple()) for var, n in prog.reads.items()]
        self.fetches = list(prog.fetches)
        self.updates = list(prog.updates.items())
        self.steps = [self._step(k) for k in self.kernel_plan.kernels]
        self._trust_static_shapes()
        self.inplace, self.inplace_note = self._plan_inplace()
        self.inplace_variables = sorted({var.name for var in self.inplace.values()})

    def _step(self, k):
        return kc.kernel_step(k, _KernelSource, lambda k, gen: _CompiledStep(k, gen, _load(gen)),
                              self._numpy_step, NUMPY_KINDS)

    def _numpy_step(self, k, reason: str) -> _NumpyStep:
        if all(numba_host.kernel_for(n.type) for n in k.nodes):
            k.source = "".join(f"# {n.name}: graphc.codegen.numba_host.KERNELS[{n.type!r}] "
                               "(hand-written njit; the numpy kernel for other dtypes)\n" for n in k.nodes)
            return _NumpyStep(k, "hand-written njit kernel")
        k.source = kc.numpy_note(k, "from the Python driver", reason)
        if k.launches:
            self.numpy_kernels.append((k.index, k.op_types, reason))
        return _NumpyStep(k, reason)

    # -- build-time analysis --------------------------------------------------------------------
    def _trust_static_shapes(self) -> None:
        """Marks compiled steps whose inputs surely have their static shapes in a trusted run.

        A run is trusted when every feed and variable has its static shape (checked when the run
        starts); then constants, outputs of compiled steps with static geometry, and fully static
        outputs of numpy steps (which check them in trusted runs) have theirs.
        """
        certain = {v for v, _, shape, _ in self.feed_slots if shape is not None and None not in shape}
        certain |= {v for v, _, shape in self.read_slots if shape is not None and None not in shape}
        certain |= set(self.consts)
        for step in self.steps:
            if isinstance(step, _NumpyStep) and step.kernel.kind in (KernelKind.OPAQUE, KernelKind.VIEW):
                # their outputs are checked against the static shapes in trusted runs
                step.promised = [(v, v.shape.as_tuple()) for v in step.kernel.outputs if v.shape.is_fully_defined()]
                certain.update(v for v, _ in step.promised)
                continue
            if not isinstance(step, _CompiledStep) or step.static is None:
                continue
            step.trusted = all(v in certain for v in step.in_values + list(step.mm_values))
            if step.trusted:
                certain.update(step.out_values)
                if step.matmul is not None:
                    certain.add(step.matmul.outputs[0])

    def _plan_inplace(self) -> tuple:
        """{new value: variable} for the updates written into the variable's own array, and a note."""
        wanted = {v: var for var, v in self.updates if self.storage.get(v) == Storage(Place.VARIABLE, var)}
        if not wanted:
            return {}, ""
        escaping = {var for var in set(wanted.values()) if kc.old_value_escapes(self.kernel_plan, var)}
        wanted = {v: var for v, var in wanted.items() if var not in escaping}
        first = min((i for i, s in enumerate(self.steps) if any(v in wanted for v in s.kernel.outputs)), default=None)
        if first is None:
            return {}, "the old value of each in-place variable leaves the run (a fetched view of it)"
        for step in self.steps[first:]:
            if not (isinstance(step, _CompiledStep) and step.trusted):
                return {}, (f"kernel {step.kernel.index} ({' '.join(step.kernel.op_types)}) runs after the first "
                            "in-place update and could fail; new values go to fresh arrays so a failed run "
                            "leaves the variables untouched")
        return wanted, ""

    # -- buffers ----------------------------------------------------------------------------------
    def pool_view(self, index: int, value, shape: tuple) -> np.ndarray:
        """A view of shape ``shape`` of pooled buffer ``index`` (grown when too small), cached."""
        n = 1
        for s in shape:
            n *= s
        pool = self.pool.get(index)
        if pool is None or pool.size < n:
            pool = np.empty(max(n, 1), dtype=value.dtype.np_type)
            self.pool[index] = pool
            self.pool_views = {k: w for k, w in self.pool_views.items() if k[0] != index}
        if len(self.pool_views) > 1024:
            self.pool_views.clear()
        view = pool[:n].reshape(shape)
        self.pool_views[(index, shape)] = view
        return view

    def recycled(self, key, n: int, dtype) -> np.ndarray:
        """A flat array of ``n`` elements for a value that leaves the run (a fetch or a variable's new value).

        Arrays handed out by earlier runs are reused once nobody else refers to them (the user
        dropped the result, the session replaced the variable's value): fresh large arrays cost
        page faults on every run.
        """
        kept = self.handed_out.get(key)
        if kept is None:
            kept = self.handed_out[key] = []
        arr = None
        for i in range(len(kept)):
            # unused when the only references are this list and getrefcount's argument
            if kept[i].size == n and kept[i].dtype == dtype and sys.getrefcount(kept[i]) <= 2:
                arr = kept.pop(i)
                break
        if arr is None:
            arr = np.empty(n, dtype=dtype)
        kept.insert(0, arr)
        del kept[RECYCLE_DEPTH:]
        return arr

    def own_array(self, var, ctx: _RunContext) -> Optional[np.ndarray]:
        """The variable's current array if this run may overwrite it (C-contiguous, writeable, exact dtype)."""
        arr = ctx.state.values.get(var)
        if type(arr) is not np.ndarray or not arr.flags.c_contiguous or not arr.flags.writeable:
            return None
        if arr.dtype != var.outputs[0].dtype.np_type:
            return None
        return arr

    # -- running ----------------------------------------------------------------------------------
    def run(self, feed_values: Sequence[np.ndarray], state: Any) -> tuple:
        """Returns (fetch values, {variable op: new value}).

        ``state.values`` (the dict) is never modified; a variable's array is overwritten only when
        the memory plan and ``inplace_variables`` say so, and then it is also the returned new value.
        """
        ctx = _RunContext(self, state)
        env = ctx.env
        for value, slot, shape, node in self.feed_slots:
            x = feed_values[slot]
            if type(x) is not np.ndarray or x.shape != shape or not x.flags.c_contiguous:
                x = self._feed(node, x)
            env[value] = x
        trusted = True
        values = state.values
        for value, var, shape in self.read_slots:
            arr = values.get(var)
            if type(arr) is not np.ndarray or not arr.flags.c_contiguous:
                arr = self._variable(var, state)
            if arr.shape != shape:
                trusted = False
            env[value] = arr
        ctx.trusted = trusted
        env.update(self.consts)
        for step in self.steps:
            step.run(ctx)
        handed: set = set()
        hand_out = self._hand_out
        results = [hand_out(env[v], ctx, handed) for v in self.fetches]
        written = ctx.written
        updates = {var: written[var] if var in written else hand_out(env[v], ctx, handed) for var, v in self.updates}
        return results, updates

    @staticmethod
    def _feed(node, value) -> np.ndarray:
        arr = _c_array(value)
        kc.check_feed(node, arr)
        return arr

    @staticmethod
    def _variable(var, state) -> np.ndarray:
        kc.check_initialized(var, state)
        return _c_array(state.values[var])

    @staticmethod
    def _hand_out(arr: np.ndarray, ctx: _RunContext, handed: set) -> np.ndarray:
        """The array itself if it was made for this run and is not handed out yet, else a copy."""
        return kc.hand_out(arr, ctx.fresh, handed)


def compile(job: CompileJob) -> NumbaExecutable:
    """The backend entry point (see ``codegen/driver.py``)."""
    return NumbaExecutable(job)
