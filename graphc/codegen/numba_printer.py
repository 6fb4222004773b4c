"""The Numba printer: one fused kernel of the plan as the source of a module of ``numba.njit`` functions.

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
- ``matmul``: the launch step computes the product with numpy's BLAS into the product buffer, then
  the kernel runs the epilogue loop over it. A ``conv`` kernel (a Conv2D and its epilogue) is
  printed the same way: its product is the convolution (``numba_conv.conv2d_into``).

Each module has a serial ``kernel`` and a ``kernel_par`` (prange) variant, and a kernel that loops
over kept dims also a ``kernel_rows`` variant that threads share chunk by chunk (``numba_threads``;
the calling thread takes part, so a thread that the OS runs late costs nothing). Both it and the
serial ``kernel`` run their rows through ``kernel_span``, the rows loop as a function of the
geometry's scalars and the data arrays (``kernel_rows`` per claimed chunk, ``kernel`` once).
Scalar expressions come from the rule table of ``numba_scalar.py``; the layout and frame analysis
are shared with the Triton printer (``kernel_common.py``). A kernel it cannot print raises
``Unsupported``.
"""
from __future__ import annotations

import re
from typing import Optional

import numpy as np

from graphc.codegen import kernel_common as kc
from graphc.codegen import numba_scalar as scalar
from graphc.passes.fusion import facts, is_fusible_reduction

CHUNK = 2 ** 14            # elements per chunk of a full reduction (fixed: results never depend on threads)
COLUMN_BLOCK = 1024        # columns per tile of a column reduction (its partials stay in L1)
COMPILED_DTYPES = frozenset({"float32", "float64", "int32", "int64", "bool"})
BLAS_DTYPES = frozenset({"float32", "float64"})


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


class KernelSource(kc.FrameAnalysis):
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
            # no_cfunc_wrapper: nothing takes a kernel's C address, and the wrapper is compile time
            f"_OPTIONS = dict(error_model='numpy', no_cfunc_wrapper=True, "
            f"fastmath={_FASTMATH_TEXT if self.axes else _POINTWISE_FASTMATH_TEXT})",
            "",
        ]
        par = self._function("kernel_par", parallel=True)
        if not self.splits_rows:
            serial = self._function("kernel", parallel=False)
            return "\n".join(header + ["", "@numba.njit(**_OPTIONS)"] + serial +
                             ["", "", "@numba.njit(parallel=True, **_OPTIONS)"] + par) + "\n"
        span = self._function("kernel_span", parallel=False, span=True)
        serial = self._spanning("kernel", claimed=False)
        rows = self._spanning("kernel_rows", claimed=True)
        # kernel_span is called from njit code only: no Python wrapper to compile
        return "\n".join(header + ["", "@numba.njit(no_cpython_wrapper=True, **_OPTIONS)"] + span +
                         ["", "", "@numba.njit(**_OPTIONS)"] + serial +
                         ["", "", "@numba.njit(parallel=True, **_OPTIONS)"] + par +
                         ["", "", "@numba.njit(nogil=True, **_OPTIONS)"] + rows) + "\n"

    @property
    def splits_rows(self) -> bool:
        """Whether the module has a ``kernel_rows`` variant: the outermost loop (over kept dims) in
        chunks of ``claim[1]`` iterations that the calling threads claim from ``claim[0]`` one at a
        time, counting finished chunks in ``claim[2]`` (``numba_threads``). Full and column
        reductions keep their prange variant only."""
        kept = [g for g, dims in enumerate(self.groups) if dims[0] not in self.axes]
        red = [g for g, dims in enumerate(self.groups) if dims[0] in self.axes]
        if not self.outputs or not kept:
            return False
        return not self._column_mode(kept, red)

    def _spanning(self, name: str, claimed: bool) -> list:
        """``kernel`` (all rows) or ``kernel_rows`` (chunks of the split group's rows claimed one at a
        time): reads the geometry and the one-element inputs, then runs the rows through
        ``kernel_span``, which takes them as scalars. LLVM compiled the rows loop given the geometry
        array 5-12% slower, and nested in the claim loop 25-40% slower (the gelu chain on AVX2: 88
        instructions per 8 floats against 52, every constant reloaded each iteration); as a function
        of scalars and data arrays it runs faster (1M floats, one thread, best of 12: 1.15-1.19 ms,
        against 1.35-1.57 nested in the claim loop and 1.31-1.36 in the old serial kernel)."""
        ind = "    "
        lines = [f"def {name}({', '.join(self._args() + (['claim'] if claimed else []))}):"]
        lines += [f"{ind}{n} = geo[{k}]" for n, k in self._geometry()]
        lines += [f"{ind}{a.name} = S.load({a.name}_a, 0)" for a in self.accesses if a.scalar]
        call = f"kernel_span({', '.join(self._args(span=True))}, "
        if not claimed:
            return lines + [f"{ind}{call}0, e{self.split_group})"]
        return lines + [f"{ind}rows = e{self.split_group}",
                        f"{ind}while True:",
                        f"{ind}{ind}lo = S.fetch_add(claim, 0) * claim[1]",
                        f"{ind}{ind}if lo >= rows:",
                        f"{ind}{ind}{ind}break",
                        f"{ind}{ind}{call}lo, min(lo + claim[1], rows))",
                        f"{ind}{ind}S.fetch_add(claim, 2)   # one more chunk done"]

    def _geometry(self) -> list:
        """``(local name, index into geo)`` of each geometry entry: the loop groups' extents ``e<g>``,
        then the stride ``s_<access>_<g>`` of each access that spans group ``g``."""
        names = [f"e{g}" for g in range(len(self.groups))] + [f"s_{a.name}_{g}" for a, g in self.strided()]
        return [(name, k) for k, name in enumerate(names)]

    def strided(self) -> list:
        """``(access, g)`` for each access that is not a scalar and spans loop group ``g``, in geometry order."""
        return [(a, g) for a in self.accesses if not a.scalar
                for g, dims in enumerate(self.groups) if a.indexed[dims[0]]]

    @property
    def split_group(self) -> int:
        """The loop group that ``kernel_rows`` splits (its extent is ``geo[split_group]``)."""
        return next(g for g, dims in enumerate(self.groups) if dims[0] not in self.axes)

    def _args(self, span: bool = False) -> list:
        """The kernel's parameters: the geometry array, the inputs (a one-element input as an array
        ``<name>_a`` of any rank) and the outputs; with ``span`` (``kernel_span``) the geometry entries
        and the one-element inputs' values instead."""
        head = [name for name, _k in self._geometry()] if span else ["geo"]
        args = head + [f"{a.name}_a" if a.scalar and not span else a.name
                       for a in self.accesses if not a.is_output and a is not getattr(self, "product", None)]
        if self.matmul is not None:
            args.append("prod")
        return args + [a.name for a in self.outputs]

    def _function(self, name: str, parallel: bool, span: bool = False) -> list:
        """The kernel as function ``name``: a prange loop over the outermost kept rows when
        ``parallel``; with ``span``, rows ``lo`` to ``hi`` of them only (``kernel_span``)."""
        args = self._args(span) + (["lo", "hi"] if span else [])
        self.lines: list = [f"def {name}({', '.join(args)}):"]
        self.names: dict = {}
        self.counter = 0
        ind = "    "
        geometry = self._geometry()
        self.stride_name: dict = {(a.name, g): f"s_{a.name}_{g}" for a, g in self.strided()}
        if not span:
            self.lines += [f"{ind}{n} = geo[{k}]" for n, k in geometry]
            for a in self.accesses:
                if a.scalar:   # one-element inputs arrive as arrays of any rank
                    self.lines.append(f"{ind}{a.name} = S.load({a.name}_a, 0)")
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
            if span and i == 0:      # rows lo..hi (all of them from kernel, a claimed chunk from kernel_rows)
                self.lines.append(f"{depth}for i{g} in range(lo, hi):")
            else:
                loop = "prange" if (parallel and i == 0) else "range"
                self.lines.append(f"{depth}for i{g} in {loop}(e{g}):")
            depth += ind
            self._advance(offsets, g, depth)
        self._print_row(depth, offsets, red_groups, parallel=False, chunked=False)
        return _drop_unused_index_math(self.lines)

    def _print_matmul(self, ind: str) -> None:
        self.lines.append(f"{ind}# {self.matmul.type}: the driver wrote the product into prod (numpy's BLAS)")
        self.lines.append(f"{ind}pass   # the whole body when the product is 1x1 and nothing is fused")

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
    """Removes offset/stride/count assignments that nothing reads. An offset is assigned again in
    every loop that walks its array, used or not there; an assignment is dead when no line reads
    it before the name is assigned again (nor earlier in its own loop body, a value carried from
    the previous iteration). Fewer statements: less for numba to type and LLVM to optimize."""
    while True:
        keep = [line for i, line in enumerate(lines) if not _dead_index_assignment(lines, i)]
        if len(keep) == len(lines):
            return lines
        lines = keep


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _dead_index_assignment(lines: list, i: int) -> bool:
    m = _INDEX_ASSIGN.match(lines[i])
    if not m:
        return False
    name = m.group(1)
    reads = re.compile(rf"\b{name}\b")
    assigns = re.compile(rf"^\s*{name} = ")
    for line in lines[i + 1:]:
        if assigns.match(line):
            break
        if reads.search(line):
            return False
    depth = _indent(lines[i])
    for line in reversed(lines[:i]):       # the same loop body, before the assignment
        if line.strip() and _indent(line) < depth:
            break
        if reads.search(line) and not assigns.match(line):
            return False
    return True


def _scalar_constant(v) -> Optional[float]:
    """The value of a one-element Const input (used to specialize ``x ** 3``), else None."""
    if v.op.type != "Const" or np.size(v.op.attrs["value"]) != 1:
        return None
    return np.reshape(v.op.attrs["value"], -1)[0]
