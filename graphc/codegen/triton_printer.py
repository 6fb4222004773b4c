"""The Triton printer: one fused kernel of the plan as the source of a module of ``@triton.jit`` functions.

Kernel kinds and what they become:
- ``pointwise``: a 1-d grid over the flattened iteration space, ``BLOCK`` elements per program,
  a mask for the tail. Space dims are coalesced into groups by broadcast pattern (a same-shape
  chain has one group, so its offsets are just the flat index); each operand's offset is the sum
  of its groups' indices times strides that arrive at run time with the group extents. The
  source depends on ranks, dtypes and the broadcast pattern only, never on sizes.
- ``reduction``: programs over tiles of ``[XBLOCK, RBLOCK]`` (rows x reduced elements); the
  prologue is computed on the tile, reductions run along axis 1 (NaN-propagating max/min), the
  epilogue and the consumers that broadcast a reduction back over its row (softmax, layer norm)
  use the ``[XBLOCK, 1]`` row values. Two variants per module: ``kernel_persistent`` holds a
  whole row and loads it once; ``kernel_looped`` walks longer rows in ``RBLOCK`` steps, one walk
  per dependency level of reductions (softmax: max, then sum, then the output pass). One-pass
  reductions also get ``kernel_split_partial`` and ``kernel_split_final`` (a few long rows cut into
  parts, combined in a fixed order). Accumulation is in the value's dtype (float32 stays float32)
  in a fixed order: no atomics, deterministic.
- ``matmul``: ``tl.dot`` tiles (``[BM, BK] x [BK, BN]``, batch-major over one grid axis) accumulating
  in float32 (float64 for float64), full IEEE float32 products (``input_precision="ieee"``)
  unless ``GRAPHC_TRITON_TF32=1`` opts into TF32; the elementwise epilogue (bias, activation)
  is applied to the accumulator before ``tl.store``.

Scalar expressions come from the rule table of ``triton_scalar.py`` (imported only when a kernel
is printed: it imports triton); the layout and frame analysis are shared with the Numba printer
(``kernel_common.py``). A kernel it cannot print raises ``Unsupported``.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from graphc import switches
from graphc.codegen import kernel_common as kc
from graphc.passes.fusion import KernelKind, is_fusible_reduction

TRUE_WORDS = {"1", "true", "on", "yes"}     # values that turn GRAPHC_TRITON_TF32 or GRAPHC_TRITON_AUTOTUNE on


def tf32_enabled() -> bool:
    """``GRAPHC_TRITON_TF32=1`` lets float32 matmuls use TF32 tensor cores (10-bit mantissa products)."""
    return (switches.TRITON_TF32.get() or "").strip().lower() in TRUE_WORDS


def scalar_rules():
    """The printer table (imports triton, so only when a kernel is generated)."""
    from graphc.codegen import triton_scalar

    return triton_scalar


Unsupported = kc.Unsupported
_Access = kc.Access
_data_inputs = kc.data_inputs


def _make_access(name: str, value, frame: str, space: tuple, kept: list, is_output: bool = False) -> _Access:
    acc = kc.make_access(name, value, frame, space, kept, is_output)
    if acc is not None:
        return acc
    if value.shape.as_tuple() is None:
        raise Unsupported(f"{value.op.name} has unknown rank")
    raise Unsupported(f"{value.op.name} {value.shape} has a higher rank than its frame in the space {space}")


def _constant_exponent(node) -> Optional[float]:
    """c for ``x ** c`` with a one-element Const c that prints as multiplications (``x * x * x``)."""
    if node.type != "Pow":
        return None
    v = node.inputs[1]
    if v.op.type != "Const" or np.size(v.op.attrs["value"]) != 1:
        return None
    c = np.reshape(v.op.attrs["value"], -1)[0]
    return c if scalar_rules().power_by_constant("x", c, node.outputs[0].dtype) is not None else None


def _pattern(shape) -> str:
    """A shape as the source sees it: ``[*, 1, *]`` (which dims are statically 1), never sizes."""
    dims = shape.as_tuple()
    return "[?]" if dims is None else "[" + ", ".join("1" if d == 1 else "*" for d in dims) + "]"


def _printed_inputs(node) -> list:
    """The inputs a node's printed expression reads (a constant exponent is baked into the source)."""
    return _data_inputs(node)[:1] if _constant_exponent(node) is not None else _data_inputs(node)


# ------------------------------------------------------------------------------------------------
# source generation

_REDUCE_INIT = {"Sum": 0, "Mean": 0, "Prod": 1, "Max": -np.inf, "Min": np.inf, "Any": 0, "All": 1}
# reduction -> (combine two partial blocks, reduce a block along axis 1)
_REDUCE_FN = {
    "Sum": ("({0} + {1})", "tl.sum({0}, axis=1)"),
    "Mean": ("({0} + {1})", "tl.sum({0}, axis=1)"),
    "Prod": ("({0} * {1})", "S.prod_reduce({0}, 1)"),
    # tl.max/tl.min drop NaNs: a second (native) reduction counts them. Not tl.reduce with a
    # NaN-aware combine: the interpreter runs that element by element in Python.
    "Max": ("tl.maximum({0}, {1}, propagate_nan=tl.PropagateNan.ALL)",
            "tl.where(tl.max(({0} != {0}).to(tl.int32), axis=1) > 0, S.NAN, tl.max({0}, axis=1))"),
    "Min": ("tl.minimum({0}, {1}, propagate_nan=tl.PropagateNan.ALL)",
            "tl.where(tl.max(({0} != {0}).to(tl.int32), axis=1) > 0, S.NAN, tl.min({0}, axis=1))"),
    "Any": ("tl.maximum({0}, {1})", "tl.max({0}, axis=1)"),
    "All": ("tl.minimum({0}, {1})", "tl.min({0}, axis=1)"),
}
_INT_MINMAX = {"Max": ("tl.maximum({0}, {1})", "tl.max({0}, axis=1)"),
               "Min": ("tl.minimum({0}, {1})", "tl.min({0}, axis=1)")}


def _reduce_fns(op_type: str, dtype) -> tuple:
    if op_type in _INT_MINMAX and not dtype.is_floating:
        return _INT_MINMAX[op_type]
    return _REDUCE_FN[op_type]


def _reduce_init(op_type: str, dtype) -> str:
    S = scalar_rules()
    if op_type in ("Any", "All"):
        return str(_REDUCE_INIT[op_type])
    init = _REDUCE_INIT[op_type]
    if np.isinf(init) and not dtype.is_floating:
        info = np.iinfo(dtype.np_type)
        init = info.min if init < 0 else info.max
    return S.literal(init, dtype)


def _acc_type(op_type: str, dtype) -> str:
    return "tl.int32" if op_type in ("Any", "All") else scalar_rules().tl_type(dtype)


class KernelSource(kc.FrameAnalysis):
    """Generates one module for a pointwise/reduction/matmul kernel.

    After construction: ``source`` (module text), ``inputs``/``outputs`` (accesses in argument
    order), ``groups``, ``matmul`` (the MatMul node or None), ``strides`` ((access, group) pairs
    whose stride is a runtime argument, in argument order), ``meta`` (BroadcastTo shape inputs).
    """

    def __init__(self, kernel) -> None:
        self._take_kernel(kernel, tuple(kernel.reduce_axes or ()) if kernel.kind == KernelKind.REDUCTION else ())
        self.S = scalar_rules()
        self._classify()
        self._plan_accesses()
        self.roles = self._roles()
        self.groups = kc.index_groups(self.space, self.roles, self.inputs + self.outputs, frozenset({"m", "n"}))
        self.strides = [(a, g) for a in self.inputs + self.outputs if not a.scalar
                        for g in self._spanned(a)[:-1]]
        self.splittable = self._splittable()
        self.partial_dtypes = self._partial_dtypes() if self.splittable else []
        self.source = self._module()

    # -- analysis -----------------------------------------------------------------------------
    def _roles(self) -> list:
        if self.matmul is not None:
            return ["b"] * (self.rank - 2) + ["m", "n"]
        return ["r" if d in self.axes else "x" for d in range(self.rank)]

    def _frame_of(self, value) -> str:
        dims = value.shape.as_tuple()
        if dims == self.space:
            return "full"
        if not self.axes:
            raise Unsupported(f"{value.op.name} has shape {value.shape}, not the kernel's space {self.space}")
        return super()._frame_of(value)

    def _classify(self) -> None:
        """Frame of each node ("full" space or per row), pass levels, printability checks."""
        self.frame: dict = {}
        self.level: dict = {}      # full node -> first pass in which it can be computed
        self.avail: dict = {}      # row node -> number of passes after which it is known
        for n in self.kernel.nodes:
            if len(n.outputs) != 1:
                raise Unsupported(f"{n.name} ({n.type}) has several outputs")
            out = n.outputs[0]
            dtypes = [out.dtype] + [v.dtype for v in _data_inputs(n)]
            bad = [d.name for d in dtypes if d.name not in self.S.COMPILED_DTYPES]
            if bad:
                raise Unsupported(f"{n.name} ({n.type}) uses dtype {bad[0]}")
            if n is self.matmul:
                self._check_matmul(n)
                continue
            if self._is_fused_reduction(n):
                self._classify_reduction(n)
            else:
                self._classify_elementwise(n, self.S, "Triton")

    def _check_matmul(self, n) -> None:
        if n.outputs[0].dtype.name not in ("float32", "float64"):
            raise Unsupported(f"{n.name}: tl.dot here takes float32/float64, not {n.outputs[0].dtype.name}")
        if any(id(v.op) in self.members for v in n.inputs):
            raise Unsupported(f"{n.name}: an operand of the matmul is computed in the same kernel")
        if self.rank < 2 or n.outputs[0].shape.as_tuple() != self.space:
            raise Unsupported(f"{n.name}: the product {n.outputs[0].shape} is not the kernel's space {self.space}")
        self.frame[id(n)] = "full"
        self.level[id(n)] = 0

    def _plan_accesses(self) -> None:
        """Inputs (per frame they are read in) and outputs, in argument order."""
        self.inputs: list = self._plan_inputs(_printed_inputs, _make_access)
        self.outputs = [_make_access(f"out{i}", v, self.frame[id(v.op)], self.space, self.kept, is_output=True)
                        for i, v in enumerate(self.kernel.outputs)]

    def _spanned(self, a: _Access) -> list:
        return [g for g, dims in enumerate(self.groups) if a.indexed[dims[0]]]

    # -- printing helpers -----------------------------------------------------------------------
    def _stride_arg(self, a: _Access, g: int) -> str:
        return f"s_{a.name}_{g}"

    def _offset(self, a: _Access) -> str:
        spanned = self._spanned(a)
        terms = [f"i{g} * {self._stride_arg(a, g)}" for g in spanned[:-1]]
        if spanned:
            terms.append(f"i{spanned[-1]}")
        return " + ".join(terms)

    def _mask_of(self, a: _Access) -> str:
        roles = {self.roles[self.groups[g][0]] for g in self._spanned(a)}
        if self.matmul is not None:   # batch-only offsets are always in range
            return {0: "", 1: "mmask" if "m" in roles else "nmask", 2: "mask"}[len(roles & {"m", "n"})]
        if self.axes and "r" not in roles:
            return "xmask"
        if self.axes and "x" not in roles:
            return "rmask"
        return "mask"

    def _load(self, a: _Access) -> str:
        if a.scalar or not self._spanned(a):
            # one element, loaded as a block of identical lanes: Triton's interpreter mistypes
            # scalar comparisons that are later broadcast (their bool data gets splat as floats)
            return f"tl.load({a.name} + {self._zeros()})"
        mask = self._mask_of(a)
        return f"tl.load({a.name} + {self._offset(a)}{', mask=' + mask if mask else ''})"

    def _store(self, a: _Access, value: str) -> str:
        """Stores over the value's whole tile: dims the output does not span (statically 1) get
        zero offsets, so the pointer block has the value's shape and the tile mask keeps one lane."""
        roles = {self.roles[self.groups[g][0]] for g in self._spanned(a)}
        kind = self.kernel.kind
        if kind == KernelKind.POINTWISE:
            zeros, mask = ["x * 0"] if not roles else [], "mask"
        elif kind == KernelKind.MATMUL:
            zeros = [z for role, z in (("m", "xm * 0"), ("n", "xn * 0")) if role not in roles]
            mask = "mask"
        elif self.frame[id(a.value.op)] == "full":
            zeros = [z for role, z in (("x", "xo * 0"), ("r", "r * 0")) if role not in roles]
            mask = "mask"
        else:
            zeros, mask = ["xo * 0"] if not roles else [], "xmask"
        offset = " + ".join(([self._offset(a)] if self._spanned(a) else []) + zeros)
        return f"tl.store({a.name} + {offset}, ({value}).to({self.S.tl_type(a.value.dtype)}), mask={mask})"

    def _zeros(self) -> str:
        """Zero offsets shaped like the kernel's leading index (valid wherever loads happen)."""
        return {KernelKind.POINTWISE: "x * 0", KernelKind.REDUCTION: "xo * 0", KernelKind.MATMUL: "xm * 0"}[self.kernel.kind]

    def _decompose(self, var: str, groups: list, ind: str) -> None:
        """Group indices from a flat index ``var`` over ``groups`` (row-major, last fastest)."""
        if not groups:
            return
        used = {g for a in self.inputs + self.outputs if not a.scalar for g in self._spanned(a)}
        rem = var
        for pos, g in enumerate(reversed(groups)):
            last = pos == len(groups) - 1
            if last:
                if g in used:
                    self.lines.append(f"{ind}i{g} = {rem}")
                break
            if g in used:
                self.lines.append(f"{ind}i{g} = {rem} % e{g}")
            if any(h in used for h in groups[:len(groups) - pos - 1]):
                self.lines.append(f"{ind}q{g} = {rem} // e{g}")
                rem = f"q{g}"
            else:
                break

    def _fresh(self) -> str:
        self.counter += 1
        return f"t{self.counter}"

    def _operand(self, v, frame: str, cache: dict) -> str:
        if id(v.op) in self.members:
            return self.names[id(v.op)] if id(v.op) in self.names else cache[id(v.op)]
        acc = self.input_access[(v, frame)]
        if acc.name not in cache:
            var = self._fresh()
            self.lines.append(f"{self.depth}{var} = {self._load(acc)}")
            cache[acc.name] = var
        return cache[acc.name]

    def _node_expr(self, n, frame: str, cache: dict) -> str:
        out = n.outputs[0].dtype
        exponent = _constant_exponent(n)
        if exponent is not None:
            return self.S.power_by_constant(self._operand(n.inputs[0], frame, cache), exponent, out)
        inputs = _data_inputs(n)
        args = [self._operand(v, frame, cache) for v in inputs]
        return self.S.expression(n.type, args, [v.dtype for v in inputs], out, n.attrs)

    def _emit_node(self, n, frame: str, cache: dict, into: dict) -> None:
        var = self._fresh()
        self.lines.append(f"{self.depth}{var} = {self._node_expr(n, frame, cache)}  # {n.type}")
        into[id(n)] = var

    # -- module ---------------------------------------------------------------------------------
    def _module(self) -> str:
        k = self.kernel
        axes = f", reduce axes {self.axes}" if self.axes else ""
        # no names or sizes: one structure (ranks, dtypes, broadcast pattern) is one cached file
        nodes = "\n".join(f"  {n.type} -> {n.outputs[0].dtype.name}{_pattern(n.outputs[0].shape)}" for n in k.nodes)
        header = [
            f'"""graphc {k.kind} kernel over a rank-{self.rank} space{axes}.',
            "",
            f"index groups (space dims): {self.groups}",
            "nodes:",
            nodes,
            '"""',
            "import triton",
            "import triton.language as tl",
            "",
            "from graphc.codegen import triton_scalar as S",
            "",
        ]
        if k.kind == KernelKind.POINTWISE:
            body = self._pointwise()
        elif k.kind == KernelKind.REDUCTION:
            body = self._reduction(persistent=True) + ["", ""] + self._reduction(persistent=False)
            if self.splittable:
                body += ["", ""] + self._split_partial() + ["", ""] + self._split_final()
        else:
            body = self._matmul()
        return "\n".join(header + body) + "\n"

    def _signature(self, name: str, extra: list, constexprs: list) -> str:
        ptrs = [a.name for a in self.inputs]
        if self.matmul is not None:
            ptrs += ["ma", "mb"]
        ptrs += [a.name for a in self.outputs]
        ints = [f"e{g}" for g in range(len(self.groups))] + [self._stride_arg(a, g) for a, g in self.strides]
        const = [f"{c}: tl.constexpr" for c in constexprs]
        return f"def {name}({', '.join(ptrs + ints + extra + const)}):"

    def _start(self, name: str, extra: list, constexprs: list) -> None:
        self.lines = ["@triton.jit", self._signature(name, extra, constexprs)]
        self.names: dict = {}
        self.counter = 0
        self.depth = "    "

    def _pointwise(self) -> list:
        self._start("kernel", ["numel"], ["BLOCK"])
        ind = self.depth
        self.lines += [f"{ind}x = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)",
                       f"{ind}mask = x < numel"]
        self._decompose("x", list(range(len(self.groups))), ind)
        cache: dict = {}
        for n in self.kernel.nodes:
            self._emit_node(n, "full", cache, self.names)
        for a in self.outputs:
            self.lines.append(f"{ind}{self._store(a, self.names[id(a.value.op)])}")
        return self.lines

    # reductions -------------------------------------------------------------------------------
    def _passes(self) -> tuple:
        reductions = [n for n in self.kernel.nodes if is_fusible_reduction(n)]
        n_passes = max(self.avail[id(r)] for r in reductions)
        full_outs = [a for a in self.outputs if self.frame[id(a.value.op)] == "full"]
        last_full = max([self.level[id(a.value.op)] for a in full_outs], default=-1)
        return reductions, full_outs, max(n_passes, last_full + 1)

    def _reduction(self, persistent: bool) -> list:
        name = "kernel_persistent" if persistent else "kernel_looped"
        self._start(name, ["nout", "nred"], ["XBLOCK", "RBLOCK"])
        ind = self.depth
        kept_groups = [g for g, dims in enumerate(self.groups) if self.roles[dims[0]] == "x"]
        red_groups = [g for g, dims in enumerate(self.groups) if self.roles[dims[0]] == "r"]
        self.lines += [f"{ind}xo = tl.program_id(0).to(tl.int64) * XBLOCK + tl.arange(0, XBLOCK)[:, None]",
                       f"{ind}xmask = xo < nout"]
        self._decompose("xo", kept_groups, ind)
        reductions, full_outs, total = self._passes()
        if persistent:
            self.lines += [f"{ind}r = tl.arange(0, RBLOCK)[None, :]",
                           f"{ind}rmask = r < nred",
                           f"{ind}mask = xmask & rmask"]
            self._decompose("r", red_groups, ind)
        else:
            self.lines.append(f"{ind}rbase = tl.arange(0, RBLOCK)[None, :]")
        shared: dict = {}     # persistent: loads and full values computed once for all passes
        self._emit_row_values(0)
        for p in range(total):
            pass_reds = [r for r in reductions if self.avail[id(r)] == p + 1]
            pass_outs = [a for a in full_outs if self.level[id(a.value.op)] == p or
                         (p == total - 1 and self.level[id(a.value.op)] >= p)]
            self.lines.append(f"{ind}# pass {p}: {', '.join(r.type for r in pass_reds) or 'outputs'}")
            if persistent:
                self._emit_tile(shared, pass_reds, pass_outs, whole=True)
            else:
                self._emit_loop(red_groups, pass_reds, pass_outs)
            self._emit_row_values(p + 1)
        return self.lines

    def _emit_loop(self, red_groups: list, pass_reds: list, pass_outs: list) -> None:
        self._emit_accumulation(red_groups, pass_reds, pass_outs, "0", "nred")
        for r in pass_reds:
            self._finish(r, self._reduce_expr(r, f"acc{self._pos(r)}"))

    def _emit_accumulation(self, red_groups: list, reds: list, outs: list, start: str, stop: str) -> None:
        """A loop over reduced elements ``start..stop`` in ``RBLOCK`` steps into ``acc<i>`` tiles."""
        ind = self.depth
        for r in reds:
            dt = r.outputs[0].dtype
            self.lines.append(f"{ind}acc{self._pos(r)} = tl.full([XBLOCK, RBLOCK], {_reduce_init(r.type, dt)}, "
                              f"{_acc_type(r.type, dt)})")
        self.lines += [f"{ind}for roff in range({start}, {stop}, RBLOCK):",
                       f"{ind}    r = roff + rbase",
                       f"{ind}    rmask = r < {stop}",
                       f"{ind}    mask = xmask & rmask"]
        self.depth = ind + "    "
        self._decompose("r", red_groups, self.depth)
        self._emit_tile({}, reds, outs, whole=False)
        self.depth = ind

    # two-stage reductions: few long rows split over many programs --------------------------------
    def _splittable(self) -> bool:
        """One pass of reductions and no full-space outputs: partial results can be combined."""
        if self.kernel.kind != KernelKind.REDUCTION:
            return False
        _, full_outs, total = self._passes()
        return total == 1 and not full_outs

    def _partial_dtypes(self) -> list:
        """numpy dtype of each reduction's partial results (its accumulator type)."""
        reductions, _, _ = self._passes()
        return [np.dtype(np.int32) if r.type in ("Any", "All") else np.dtype(r.outputs[0].dtype.np_type)
                for r in reductions]

    def _split_partial(self) -> list:
        """Stage 1: program (row block, split) reduces ``chunk`` elements of its rows into partials."""
        reductions, _, _ = self._passes()
        parts = [f"part{i}" for i in range(len(reductions))]
        self._start("kernel_split_partial", parts + ["nout", "nred", "chunk", "nsplit"], ["XBLOCK", "RBLOCK"])
        ind = self.depth
        kept_groups = [g for g, dims in enumerate(self.groups) if self.roles[dims[0]] == "x"]
        red_groups = [g for g, dims in enumerate(self.groups) if self.roles[dims[0]] == "r"]
        self.lines += [f"{ind}xo = tl.program_id(0).to(tl.int64) * XBLOCK + tl.arange(0, XBLOCK)[:, None]",
                       f"{ind}xmask = xo < nout",
                       f"{ind}split = tl.program_id(1).to(tl.int64)",
                       f"{ind}start = split * chunk",
                       f"{ind}stop = tl.minimum(start + chunk, nred)",
                       f"{ind}rbase = tl.arange(0, RBLOCK)[None, :]"]
        self._decompose("xo", kept_groups, ind)
        self._emit_row_values(0, store=False)
        self._emit_accumulation(red_groups, reductions, [], "start", "stop")
        for r, part in zip(reductions, parts):
            reduced = self._reduce_expr(r, f"acc{self._pos(r)}")
            self.lines.append(f"{ind}tl.store({part} + xo * nsplit + split, {reduced}, mask=xmask)")
        return self.lines

    def _split_final(self) -> list:
        """Stage 2: one program per row block combines the row's partials, then the epilogue."""
        reductions, _, _ = self._passes()
        parts = [f"part{i}" for i in range(len(reductions))]
        self._start("kernel_split_final", parts + ["nout", "nred", "nsplit"], ["XBLOCK", "SBLOCK"])
        ind = self.depth
        kept_groups = [g for g, dims in enumerate(self.groups) if self.roles[dims[0]] == "x"]
        self.lines += [f"{ind}xo = tl.program_id(0).to(tl.int64) * XBLOCK + tl.arange(0, XBLOCK)[:, None]",
                       f"{ind}xmask = xo < nout",
                       f"{ind}s = tl.arange(0, SBLOCK)[None, :]",
                       f"{ind}smask = xmask & (s < nsplit)"]
        self._decompose("xo", kept_groups, ind)
        self._emit_row_values(0)
        for r, part in zip(reductions, parts):
            init = _reduce_init(r.type, r.outputs[0].dtype)
            var = self._fresh()
            self.lines.append(f"{ind}{var} = tl.where(smask, tl.load({part} + xo * nsplit + s, mask=smask), {init})")
            self._finish(r, self._reduce_expr(r, var))
        self._emit_row_values(1)
        return self.lines

    def _emit_tile(self, cache: dict, pass_reds: list, pass_outs: list, whole: bool) -> None:
        """One tile of the reduced elements: full-space values, reduction inputs, full outputs."""
        roots = [r.inputs[0].op for r in pass_reds if id(r.inputs[0].op) in self.members]
        roots += [a.value.op for a in pass_outs]
        for n in self._needed_full(roots):
            if id(n) not in cache:
                self._emit_node(n, "full", cache, cache)
        ind = self.depth
        for r in pass_reds:
            x = self._operand(r.inputs[0], "full", cache)
            dt = r.outputs[0].dtype
            if r.type in ("Any", "All"):
                x = f"({x} != 0).to(tl.int32)"
            masked = f"tl.where(mask, {x}, {_reduce_init(r.type, dt)})"
            if whole:
                self._finish(r, self._reduce_expr(r, masked))
            else:
                combine = _reduce_fns(r.type, dt)[0]
                self.lines.append(f"{ind}acc{self._pos(r)} = {combine.format(f'acc{self._pos(r)}', masked)}")
        for a in pass_outs:
            node = a.value.op
            src = cache[id(node)] if id(node) in cache else self._operand(a.value, "full", cache)
            self.lines.append(f"{ind}{self._store(a, src)}")

    def _reduce_expr(self, r, block: str) -> str:
        if not block.isidentifier():       # the NaN-aware max/min read the block twice
            var = self._fresh()
            self.lines.append(f"{self.depth}{var} = {block}")
            block = var
        return f"{_reduce_fns(r.type, r.outputs[0].dtype)[1].format(block)}[:, None]"

    def _finish(self, r, reduced: str) -> None:
        dt = r.outputs[0].dtype
        var = self._fresh()
        if r.type in ("Any", "All"):
            expr = f"({reduced} != 0)"
        elif r.type == "Mean" and dt.is_floating:
            expr = f"({reduced} / nred)"
        elif r.type == "Mean":
            # integer mean truncates toward zero (as TF1); Triton's // on integers truncates
            expr = f"({reduced} // tl.maximum(nred, 1)).to({self.S.tl_type(dt)})"
        else:
            expr = reduced
        self.lines.append(f"{self.depth}{var} = {expr}  # {r.type}")
        self.names[id(r)] = var

    def _pos(self, node) -> int:
        return self.kernel.nodes.index(node)

    def _emit_row_values(self, avail: int, store: bool = True) -> None:
        """Row nodes known after ``avail`` passes, and (``store``) the row outputs among them."""
        cache: dict = {}
        for n in self.kernel.nodes:
            if self.avail.get(id(n)) != avail or is_fusible_reduction(n):
                continue
            self._emit_node(n, self.frame[id(n)], cache, self.names)
        if not store:
            return
        for a in self.outputs:
            node = a.value.op
            if self.avail.get(id(node)) == avail:
                self.lines.append(f"{self.depth}{self._store(a, self.names[id(node)])}")

    # matmul -----------------------------------------------------------------------------------
    def _matmul(self) -> list:
        self._start("kernel", ["M", "N", "K", "sam", "sak", "sbk", "sbn", "sab", "sbb"], ["BM", "BN", "BK"])
        ind = self.depth
        dt = self.matmul.outputs[0].dtype
        acc_type = self.S.tl_type(dt)
        precision = "tf32" if (dt.name == "float32" and tf32_enabled()) else "ieee"
        batch_groups = [g for g, dims in enumerate(self.groups) if self.roles[dims[0]] == "b"]
        epilogue = [n.type for n in self.kernel.nodes if n is not self.matmul]
        self.lines += [
            # one grid axis for batch x tiles: CUDA's second grid axis stops at 65535 batches
            f"{ind}ntn = (N + BN - 1) // BN",
            f"{ind}tiles = ((M + BM - 1) // BM) * ntn",
            f"{ind}bid = (tl.program_id(0) // tiles).to(tl.int64)",
            f"{ind}pid = tl.program_id(0) % tiles",
            f"{ind}rm = (pid // ntn).to(tl.int64) * BM + tl.arange(0, BM)",
            f"{ind}rn = (pid % ntn).to(tl.int64) * BN + tl.arange(0, BN)",
            f"{ind}rk = tl.arange(0, BK)",
            f"{ind}pa = ma + bid * sab",
            f"{ind}pb = mb + bid * sbb",
            f"{ind}acc = tl.zeros([BM, BN], dtype={acc_type})",
            f"{ind}for k0 in range(0, K, BK):",
            f"{ind}    kk = k0 + rk",
            f"{ind}    a = tl.load(pa + rm[:, None] * sam + kk[None, :] * sak, "
            f"mask=(rm[:, None] < M) & (kk[None, :] < K), other=0.0)",
            f"{ind}    b = tl.load(pb + kk[:, None] * sbk + rn[None, :] * sbn, "
            f"mask=(kk[:, None] < K) & (rn[None, :] < N), other=0.0)",
            f"{ind}    acc = tl.dot(a, b, acc, input_precision=\"{precision}\", out_dtype={acc_type})",
            f"{ind}# epilogue on the accumulator: {', '.join(epilogue) or 'none'}",
            f"{ind}xm = rm[:, None]",
            f"{ind}xn = rn[None, :]",
            f"{ind}mmask = xm < M",
            f"{ind}nmask = xn < N",
            f"{ind}mask = mmask & nmask",
        ]
        self._decompose("bid", batch_groups, ind)
        for g, dims in enumerate(self.groups):
            role = self.roles[dims[0]]
            if role in ("m", "n"):
                self.lines.append(f"{ind}i{g} = x{role}")
        self.names[id(self.matmul)] = "acc"
        cache: dict = {}
        for n in self.kernel.nodes:
            if n is not self.matmul:
                self._emit_node(n, "full", cache, self.names)
        for a in self.outputs:
            self.lines.append(f"{ind}{self._store(a, self.names[id(a.value.op)])}")
        return self.lines
