"""The Triton backend: each fused kernel of the plan becomes a generated ``@triton.jit`` function.

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
  whole row (``RBLOCK`` = next power of two of the row length, at most ``PERSISTENT_MAX``) and
  loads it once; ``kernel_looped`` walks longer rows in ``LOOP_RBLOCK`` steps, one walk per
  dependency level of reductions (softmax: max, then sum, then the output pass). Accumulation
  is in the value's dtype (float32 stays float32) in a fixed order: no atomics, deterministic.
- ``matmul``: ``tl.dot`` tiles (``[BM, BK] x [BK, BN]``, batch-major over one grid axis) accumulating
  in float32 (float64 for float64), full IEEE float32 products (``input_precision="ieee"``)
  unless ``GRAPHC_TRITON_TF32=1`` opts into TF32; the elementwise epilogue (bias, activation)
  is applied to the accumulator before ``tl.store``. Tiles come from the shapes; on a GPU, a
  product of at least ``AUTOTUNE_MIN_WORK`` multiply-adds times ``MATMUL_CONFIGS`` (tile sizes,
  warps, pipeline stages) on its first launch, writing scratch outputs, and keeps the fastest.
- ``opaque``/``view``/``host`` and kernels the printer cannot compile run with numpy on the
  host (``TritonExecutable.numpy_kernels`` lists each one and why); views and shape queries
  move no data.

Generated modules go through the code cache (``graphc.toolchain.cache``, prefix ``tk``) because
``triton.jit`` needs a real source file; they carry op types and broadcast patterns but no
names or sizes, so one structure is one file whatever the graph or batch size. Under
``TRITON_INTERPRET=1`` the kernels run with Triton's CPU interpreter on numpy arrays
(``graphc.codegen.triton_memory``); set it before anything imports triton (the ``@triton.jit``
decorator picks the interpreter when it runs). Importing this module does not import triton.

A few long rows (at most ``SPLIT_MAX_ROWS``, each at least ``SPLIT_MIN_LENGTH`` long, e.g. a
sum of everything) would leave all but a few programs idle, so one-pass reduction kernels also get
``kernel_split_partial`` (programs over (row, part): partial results per part, in a fixed order)
and ``kernel_split_final`` (combines a row's partials, then the epilogue): still no atomics.

Known limits: numpy steps on a GPU move their operands through the host.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import logging
import time
from typing import Any, Optional, Sequence

import numpy as np

from graphc import errors, switches
from graphc.codegen import kernel_common as kc
from graphc.codegen import triton_memory as tm
from graphc.codegen.driver import CompileJob
from graphc.codegen.host import call_numpy
from graphc.passes.fusion import KernelKind, facts, is_fusible_reduction
from graphc.passes.memory import Place, Storage
from graphc.codegen import commit

log = logging.getLogger("graphc.codegen.triton")

PERSISTENT_MAX = 4096      # longest row held whole by one program
LOOP_RBLOCK = 1024         # step of a looped reduction
# two-stage reductions: at most SPLIT_MAX_ROWS rows of at least SPLIT_MIN_LENGTH elements are cut
# into parts of at least SPLIT_MIN_PART elements (at most SPLIT_MAX_PARTS per row), one program each
SPLIT_MAX_ROWS = 64
SPLIT_MIN_LENGTH = 1 << 15
SPLIT_MIN_PART = 1 << 13
SPLIT_MAX_PARTS = 1024
# matmul tiles (BM, BN, BK, num_warps, num_stages) timed on the first launch of a large enough
# product (M*N*K >= AUTOTUNE_MIN_WORK) on a GPU; smaller products take the shape heuristic
MATMUL_CONFIGS = ((128, 128, 32, 8, 3), (128, 64, 32, 4, 4), (64, 128, 32, 4, 4), (64, 64, 32, 4, 4),
                  (128, 128, 16, 8, 4), (64, 64, 64, 4, 3), (32, 64, 32, 4, 4))
AUTOTUNE_MIN_WORK = 1 << 26


@dataclasses.dataclass(frozen=True)
class BlockSizes:
    """Launch-time block sizes (constexpr arguments: they never change the generated source)."""

    pointwise: int             # elements per program of a pointwise kernel
    tile: int                  # elements per program of a reduction tile (XBLOCK * RBLOCK)
    matmul: tuple              # largest BM, BN, BK (tl.dot needs each >= 16)


GPU_BLOCKS = BlockSizes(pointwise=1024, tile=4096, matmul=(64, 64, 32))
# The interpreter pays per program and per block op, not per element: few, large programs
INTERPRETER_BLOCKS = BlockSizes(pointwise=1 << 16, tile=1 << 16, matmul=(128, 128, 128))

NUMPY_KINDS = {
    KernelKind.OPAQUE: "no Triton template for this op yet: its numpy kernel runs on the host",
    KernelKind.VIEW: "a reshape of an existing buffer (no launch, no copy)",
    KernelKind.HOST: "a shape computed on the host (no launch)",
}
STATS = {"modules": 0, "launches": 0, "numpy_steps": 0}
_TRUE = {"1", "true", "on", "yes"}


def is_available() -> bool:
    """True when Triton can run kernels here: under ``TRITON_INTERPRET=1`` (CPU), or on a CUDA
    device that Triton's driver reports active, with torch importable for device memory."""
    if importlib.util.find_spec("triton") is None:
        return False
    if tm.interpreting():
        return True
    return tm.cuda_device_active() and tm.gpu_array_library_available()


UNAVAILABLE = ("backend='triton' needs a usable CUDA GPU (none found: check the driver and CUDA_VISIBLE_DEVICES) "
               "or TRITON_INTERPRET=1 to run Triton kernels on the CPU; use backend='numba' or 'auto' here.")


def picked_automatically() -> bool:
    """``backend="auto"`` means Triton where it runs on a GPU; its CPU interpreter is for testing only."""
    return not tm.interpreting()


def device() -> tm.ArrayLayer:
    """Where a Triton session keeps its arrays; chosen once per session."""
    return tm.default_layer()


def autotune_enabled() -> bool:
    """Matmul tiles are timed on a GPU (``GRAPHC_TRITON_AUTOTUNE=0`` turns it off; under the
    interpreter it is off unless ``GRAPHC_TRITON_AUTOTUNE=1``, since its timings mean nothing)."""
    setting = (switches.TRITON_AUTOTUNE.get() or "").strip().lower()
    if setting:
        return setting in _TRUE
    return not tm.interpreting()


def tf32_enabled() -> bool:
    """``GRAPHC_TRITON_TF32=1`` lets float32 matmuls use TF32 tensor cores (10-bit mantissa products)."""
    return (switches.TRITON_TF32.get() or "").strip().lower() in _TRUE


def _scalar():
    """The printer table (imports triton, so only when a kernel is generated)."""
    from graphc.codegen import triton_scalar

    return triton_scalar


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _next_pow2(n: int) -> int:
    return 1 << max(0, int(n) - 1).bit_length()


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
    return c if _scalar().power_by_constant("x", c, node.outputs[0].dtype) is not None else None


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
    S = _scalar()
    if op_type in ("Any", "All"):
        return str(_REDUCE_INIT[op_type])
    init = _REDUCE_INIT[op_type]
    if np.isinf(init) and not dtype.is_floating:
        info = np.iinfo(dtype.np_type)
        init = info.min if init < 0 else info.max
    return S.literal(init, dtype)


def _acc_type(op_type: str, dtype) -> str:
    return "tl.int32" if op_type in ("Any", "All") else _scalar().tl_type(dtype)


class _KernelSource(kc.FrameAnalysis):
    """Generates one module for a pointwise/reduction/matmul kernel.

    After construction: ``source`` (module text), ``inputs``/``outputs`` (accesses in argument
    order), ``groups``, ``matmul`` (the MatMul node or None), ``strides`` ((access, group) pairs
    whose stride is a runtime argument, in argument order), ``meta`` (BroadcastTo shape inputs).
    """

    def __init__(self, kernel) -> None:
        self._take_kernel(kernel, tuple(kernel.reduce_axes or ()) if kernel.kind == KernelKind.REDUCTION else ())
        self.S = _scalar()
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


# ------------------------------------------------------------------------------------------------
# launch steps

class _RunContext:
    """Per-run state shared by the steps: values (device arrays or host numpy), fresh outputs."""

    __slots__ = ("exe", "env", "fresh", "run_buffers", "state", "written", "inplace_ok", "host_copies", "trusted")

    def __init__(self, exe: "TritonExecutable", state) -> None:
        self.exe = exe
        self.env: dict = {}
        self.fresh: dict = {}            # id of an array made for this run only -> id of its allocation
        self.run_buffers: dict = {}      # escaping buffer index -> array used during this run
        self.state = state
        self.written: dict = {}          # variable op -> its own device array, updated in place
        self.inplace_ok = False          # set by the executable (see TritonExecutable)
        self.trusted = False             # every feed and variable has its static shape
        self.host_copies: dict = {}      # value -> its host array, kept when it was uploaded

    def device(self, v) -> Any:
        """``v``'s value as a device array: host values (numpy feeds, shapes) go up on first use."""
        x = self.env[v]
        layer = self.exe.layer
        if isinstance(x, np.ndarray) and not layer.on_host:
            self.host_copies[v] = x
            x = layer.from_host(x)
            self.env[v] = x
        return x

    def host(self, v) -> np.ndarray:
        """``v``'s value on the host: a feed read by a host step never makes a round trip."""
        x = self.env[v]
        if isinstance(x, np.ndarray):
            return x
        kept = self.host_copies.get(v)
        if kept is None:
            kept = self.exe.const_hosts.get(v)
        return kept if kept is not None else self.exe.layer.to_host(x)

    def alloc(self, value, shape: tuple) -> Any:
        """The array kernel output ``value`` is written into: pooled when it stays inside the run,
        the variable's own array when it is updated in place, else an array of this run."""
        exe = self.exe
        dtype = value.dtype.np_type
        if self.inplace_ok:
            var = exe.inplace.get(value)
            if var is not None:
                own = self.state.values.get(var)
                if exe.layer.owns(own, dtype) and tuple(own.shape) == tuple(shape):
                    commit.writing_in_place()
                    self.written[var] = own
                    return own
        where = exe.storage.get(value)
        n = int(np.prod(shape, dtype=np.int64))
        if where and where.place is Place.BUFFER and where.ref not in exe.escaping:
            pool = exe.pool.get(where.ref)
            if pool is None or pool.shape[0] < n:
                pool = exe.layer.empty((n,), dtype)
                exe.pool[where.ref] = pool
            return exe.layer.flat(pool, n, tuple(shape))
        key = where.ref if where and where.place is Place.BUFFER else ("value", value)
        arr = self.run_buffers.get(key)
        if arr is None or arr.shape[0] < n:
            arr = exe.layer.empty((n,), dtype)
            self.run_buffers[key] = arr
            self.fresh[id(arr)] = id(arr)
        out = exe.layer.flat(arr, n, tuple(shape))
        self.fresh[id(out)] = id(arr)
        return out


class _CompiledStep:
    """Launches one generated kernel: runtime geometry (cached per input shapes), buffers, grid."""

    def __init__(self, kernel, gen: _KernelSource, module, blocks: BlockSizes) -> None:
        self.kernel = kernel
        self.gen = gen
        self.module = module
        self.blocks = blocks
        self.geometry: dict = {}
        self.partials: dict = {}     # reduction position -> partial results of a two-stage reduction

    # -- geometry -------------------------------------------------------------------------------
    def _matmul_dims(self, ctx) -> tuple:
        mm = self.gen.matmul
        a, b = ctx.env[mm.inputs[0]], ctx.env[mm.inputs[1]]
        sa, sb = tuple(a.shape), tuple(b.shape)
        m, n, k = kc.matmul_dims(sa, sb, mm.attrs, self._fail)
        return sa, sb, m, n, k

    def _space(self, shapes: list, ctx) -> list:
        gen = self.gen
        space = list(gen.space)
        if gen.matmul is not None:
            sa, _, m, n, _ = self._matmul_dims(ctx)
            space = list(sa[:-2]) + [m, n]
        kc.fill_space(space, gen.inputs, shapes, gen.meta, ctx.host)
        if any(s is None for s in space):
            self._fail(f"cannot tell the iteration space {gen.space} from the inputs at run time")
        return space

    def _geometry(self, shapes: list, ctx) -> tuple:
        """(int arguments, constexpr kwargs, grid, output shapes, programs' extent, launch) for these
        input shapes; launch: the kernel's name in the module, or a ``_Split`` plan."""
        gen = self.gen
        space = self._space(shapes, ctx)
        for acc, shape in zip(gen.inputs, shapes):
            self._check_input(acc, shape, space)
        extents = kc.group_extents(space, gen.groups)
        strides = [kc.group_stride(space, a, gen.groups[g], gen.rank) for a, g in gen.strides]
        ints = extents + strides
        out_shapes = [a.runtime_shape(space) for a in gen.outputs]
        total = int(np.prod(space, dtype=np.int64))
        kind = self.kernel.kind
        if kind == KernelKind.POINTWISE:
            block = max(16, min(self.blocks.pointwise, _next_pow2(total)))
            return ints + [total], {"BLOCK": block}, (-(-total // block),), out_shapes, total, None
        if kind == KernelKind.REDUCTION:
            nred = int(np.prod([space[d] for d in gen.axes], dtype=np.int64))
            nout = int(np.prod([space[d] for d in gen.kept], dtype=np.int64))
            rblock = _next_pow2(max(nred, 1))
            persistent = rblock <= PERSISTENT_MAX
            rblock = rblock if persistent else LOOP_RBLOCK
            xblock = max(1, min(_next_pow2(max(nout, 1)), self.blocks.tile // rblock))
            grid = (-(-nout // xblock),)
            fn = "kernel_persistent" if persistent else "kernel_looped"
            warps = 8 if rblock * xblock >= 2048 else 4
            split = self._split(nout, nred) if not persistent else None
            return (ints + [nout, nred], {"XBLOCK": xblock, "RBLOCK": rblock, "num_warps": warps}, grid,
                    out_shapes, nout, fn if split is None else split)
        sa, sb, m, n, k = self._matmul_dims(ctx)
        ta, tb = gen.matmul.attrs["transpose_a"], gen.matmul.attrs["transpose_b"]
        sam, sak = (1, m) if ta else (k, 1)
        sbk, sbn = (1, k) if tb else (n, 1)
        nbatch = int(np.prod(sa[:-2], dtype=np.int64))
        extra = [m, n, k, sam, sak, sbk, sbn, m * k, k * n]
        configs = _matmul_configs(m, n, k, self.blocks.matmul)
        tune = len(configs) > 1 and m * n * k * nbatch >= AUTOTUNE_MIN_WORK and autotune_enabled()
        constexprs = configs[0]
        return (ints + extra, constexprs, _matmul_grid(m, n, nbatch, constexprs), out_shapes, m * n * nbatch,
                _Tune(configs, (m, n, nbatch)) if tune else None)

    def _tune(self, key: tuple, plan: "_Tune", ctx: _RunContext, args: list, ints: list, out_shapes: list) -> tuple:
        """Times each tile config writing scratch outputs (inputs are only read), so trials have no
        side effects whatever the memory plan aliases; the fastest becomes this shape's geometry.
        A shape's first launch is never in place (see ``TritonExecutable``)."""
        layer = ctx.exe.layer
        scratch = [layer.kernel_arg(layer.empty(tuple(shape), a.value.dtype.np_type))
                   for a, shape in zip(self.gen.outputs, out_shapes)]
        trial = args[:len(args) - len(scratch)] + scratch + ints
        fn = self.module.kernel
        best = None
        for config in plan.configs:
            grid = _matmul_grid(*plan.dims, config)
            try:
                self._launch(fn, grid, trial, config, counted=False)     # compiles this variant
                layer.synchronize()
                seconds = _timed(lambda: self._launch(fn, grid, trial, config, counted=False), layer)
            except Exception as e:   # noqa: BLE001 - a config the device cannot run (shared memory) is skipped
                log.info("kernel %d: tile %s skipped: %s", self.kernel.index, config, e)
                continue
            if best is None or seconds < best[0]:
                best = (seconds, config, grid)
        if best is None:
            self._fail("no matmul tile configuration could be launched on this device")
        _, config, grid = best
        log.info("kernel %d (%s): tuned tile %s", self.kernel.index, " ".join(self.kernel.op_types), config)
        old = self.geometry[key]
        tuned = (old[0], config, grid, old[3], old[4], None)
        self.geometry[key] = tuned
        return tuned

    def _split(self, nout: int, nred: int) -> Optional["_Split"]:
        """A two-stage plan for few long rows (one program per row would leave the GPU idle)."""
        if not self.gen.splittable or nout > SPLIT_MAX_ROWS or nred < SPLIT_MIN_LENGTH:
            return None
        parts = min(SPLIT_MAX_PARTS, _cdiv(nred, SPLIT_MIN_PART))
        chunk = _cdiv(_cdiv(nred, parts), LOOP_RBLOCK) * LOOP_RBLOCK     # whole RBLOCK steps per part
        parts = _cdiv(nred, chunk)
        return _Split(parts, chunk, (nout, parts), (nout,), _next_pow2(parts))

    def _check_input(self, acc: _Access, shape: tuple, space: list) -> None:
        if acc.scalar:
            if int(np.prod(shape, dtype=np.int64)) != 1:
                self._fail(f"input {acc.value.name} has shape {tuple(shape)} at run time but one element "
                           f"in the graph ({acc.value.shape})")
            return
        kc.check_input(acc, shape, space, self._fail, whole_static=True)

    def _fail(self, what: str) -> None:
        raise kc.kernel_failure(self.kernel, "Triton kernel", what)

    # -- launch ---------------------------------------------------------------------------------
    def run(self, ctx: _RunContext) -> None:
        gen = self.gen
        arrays = [ctx.device(a.value) for a in gen.inputs]
        key = tuple(tuple(x.shape) for x in arrays)
        if gen.matmul is not None:
            key += tuple(tuple(ctx.env[v].shape) for v in gen.matmul.inputs)
        if gen.meta:
            key += tuple(tuple(np.reshape(ctx.host(v), -1).tolist()) for v in gen.meta)
        geom = self.geometry.get(key)
        if geom is None:
            geom = self._geometry([tuple(x.shape) for x in arrays], ctx)
            self.geometry[key] = geom
        layer = ctx.exe.layer
        ints, constexprs, grid, out_shapes, total, launch = geom
        outs = [ctx.alloc(a.value, shape) for a, shape in zip(gen.outputs, out_shapes)]
        for a, o in zip(gen.outputs, outs):
            ctx.env[a.value] = o
        if total == 0:      # an empty space: the outputs have no elements either
            return
        args = [layer.kernel_arg(x) for x in arrays]
        if gen.matmul is not None:
            args += [layer.kernel_arg(ctx.device(v)) for v in gen.matmul.inputs]
        args += [layer.kernel_arg(o) for o in outs]
        start = time.perf_counter()
        try:
            if isinstance(launch, _Tune):
                _, constexprs, grid, _, _, launch = self._tune(key, launch, ctx, args, ints, out_shapes)
            if isinstance(launch, _Split):
                self._launch_split(launch, ctx, args, ints, total)
            else:
                self._launch(getattr(self.module, launch or "kernel"), grid, args + ints, constexprs)
        except Exception as e:
            path = getattr(self.module, "__file__", "?")
            raise errors.InternalError(None, next((n.origin for n in self.kernel.nodes), None), (
                f"Triton kernel {self.kernel.index} ({' '.join(self.kernel.op_types)}) failed: "
                f"{type(e).__name__}: {e}. Generated source: {path}")) from e
        if log.isEnabledFor(logging.DEBUG):
            log.debug("kernel %d (%s) grid %s %s in %.4fs", self.kernel.index, " ".join(self.kernel.op_types),
                      grid, constexprs, time.perf_counter() - start)

    @staticmethod
    def _launch(fn, grid: tuple, args: list, constexprs: dict, counted: bool = True) -> None:
        if tm.interpreting():   # the interpreter computes masked-off lanes too: no warnings for those
            with np.errstate(all="ignore"):
                fn[grid](*args, **constexprs)
        else:
            fn[grid](*args, **constexprs)
        if counted:
            STATS["launches"] += 1

    def _launch_split(self, split: "_Split", ctx: _RunContext, args: list, ints: list, nout: int) -> None:
        """Stage 1 writes ``parts`` partial results per row and reduction; stage 2 combines them."""
        layer = ctx.exe.layer
        partials = []
        for i, dtype in enumerate(self.gen.partial_dtypes):
            n = nout * split.parts
            buf = self.partials.get(i)
            if buf is None or buf.shape[0] < n or not layer.owns(buf, dtype):
                buf = self.partials[i] = layer.empty((n,), dtype)
            partials.append(layer.kernel_arg(buf))
        nred = ints[-1]
        base = ints[:-2]
        self._launch(self.module.kernel_split_partial, split.grid1,
                     args + base + partials + [nout, nred, split.chunk, split.parts],
                     {"XBLOCK": 1, "RBLOCK": LOOP_RBLOCK})
        self._launch(self.module.kernel_split_final, split.grid2, args + base + partials + [nout, nred, split.parts],
                     {"XBLOCK": 1, "SBLOCK": split.sblock})


@dataclasses.dataclass(frozen=True)
class _Tune:
    """A matmul launch whose tile is picked by timing ``configs`` on its first run."""

    configs: tuple
    dims: tuple          # (M, N, batch)


def _matmul_configs(m: int, n: int, k: int, caps: tuple) -> list:
    """Launch options per tile: the shape heuristic first, then the distinct ``MATMUL_CONFIGS``
    clipped to the problem (a tile larger than a dimension only wastes lanes)."""
    def fit(d: int, block: int) -> int:
        return max(16, min(block, _next_pow2(max(d, 1))))

    first = {"BM": fit(m, caps[0]), "BN": fit(n, caps[1]), "BK": fit(k, caps[2])}
    configs = [first]
    for bm, bn, bk, warps, stages in MATMUL_CONFIGS:
        c = {"BM": fit(m, bm), "BN": fit(n, bn), "BK": fit(k, bk), "num_warps": warps, "num_stages": stages}
        if c not in configs:
            configs.append(c)
    return configs


def _matmul_grid(m: int, n: int, nbatch: int, config: dict) -> tuple:
    return (_cdiv(m, config["BM"]) * _cdiv(n, config["BN"]) * nbatch,)


def _timed(launch, layer: tm.ArrayLayer) -> float:
    """Seconds one launch takes: CUDA-event timing over repeated launches on a GPU (a single
    launch would mostly time Python's launch overhead); wall time under the interpreter."""
    if tm.interpreting():
        start = time.perf_counter()
        launch()
        layer.synchronize()
        return time.perf_counter() - start
    from triton.testing import do_bench

    return do_bench(launch, warmup=5, rep=25) / 1e3


@dataclasses.dataclass(frozen=True)
class _Split:
    """Launch plan of a two-stage reduction: ``parts`` programs of ``chunk`` elements per row."""

    parts: int
    chunk: int
    grid1: tuple
    grid2: tuple
    sblock: int


class _GatherStep:
    """A movement op on the device: ``out[i] = x[index[i]]`` (0 where ``index[i]`` is -1).

    The index map is the op's own numpy kernel applied to the positions 1..n of ``x`` (so it is
    right by construction), computed on the host once per input shape and shape arguments, and
    kept on the device: no data goes through the host.
    """

    def __init__(self, kernel) -> None:
        self.kernel = kernel
        self.node = kernel.nodes[0]
        self.certain = False
        self.maps: dict = {}      # (input shape, shape arguments) -> (device index map, output shape)

    def run(self, ctx: _RunContext) -> None:
        node = self.node
        x = ctx.device(node.inputs[0])
        shape_args = [ctx.host(v) for v in node.inputs[1:]]
        key = (tuple(x.shape),) + tuple(tuple(np.reshape(a, -1).tolist()) for a in shape_args)
        entry = self.maps.get(key)
        if entry is None:
            positions = np.arange(1, int(np.prod(x.shape, dtype=np.int64)) + 1, dtype=np.int64).reshape(x.shape)
            moved = call_numpy(node, [positions] + shape_args, ctx.state)[0]
            entry = (ctx.exe.layer.from_host(np.ascontiguousarray(moved, dtype=np.int64).reshape(-1) - 1),
                     tuple(moved.shape))
            if len(self.maps) > 64:
                self.maps.clear()
            self.maps[key] = entry
        index, out_shape = entry
        out = ctx.alloc(node.outputs[0], out_shape)
        ctx.env[node.outputs[0]] = out
        n = int(np.prod(out_shape, dtype=np.int64))
        if n:
            layer = ctx.exe.layer
            block = max(16, min(ctx.exe.blocks.pointwise, _next_pow2(n)))
            _CompiledStep._launch(_scalar().gather_kernel, (_cdiv(n, block),),
                                  [layer.kernel_arg(x), layer.kernel_arg(index), layer.kernel_arg(out), n],
                                  {"BLOCK": block})


class _NumpyStep:
    """Runs a kernel's nodes with their numpy kernels on the host (opaque ops and fallbacks)."""

    def __init__(self, kernel, reason: str) -> None:
        self.kernel = kernel
        self.reason = reason
        self.certain = False
        self.promised: list = []     # (value, static shape) that later certain steps rely on

    def run(self, ctx: _RunContext) -> None:
        kind = self.kernel.kind
        if kind in (KernelKind.VIEW, KernelKind.HOST):
            self._shape_only(ctx)
            return
        STATS["numpy_steps"] += 1
        local: dict = {}
        inputs = {v: ctx.host(v) for v in self.kernel.inputs}
        for node in self.kernel.nodes:
            args = [local[v] if v in local else inputs[v] for v in node.inputs]
            local.update(zip(node.outputs, call_numpy(node, args, ctx.state)))
        if ctx.trusted:
            kc.check_promised(self.promised, local)
        layer = ctx.exe.layer
        for v in self.kernel.outputs:
            out = local[v]
            if not out.flags.c_contiguous or not out.flags.writeable or any(
                    np.may_share_memory(out, x) for x in inputs.values()):
                out = np.array(out, copy=True, order="C")
            out = layer.from_host(out)
            ctx.fresh[id(out)] = id(out)
            ctx.env[v] = out

    def _shape_only(self, ctx: _RunContext) -> None:
        """A view (reshape of a device array) or a shape query: only input shapes matter, no data moves."""
        local: dict = {}
        for node in self.kernel.nodes:
            args = []
            for v in node.inputs:
                if v in local:
                    args.append(local[v])
                elif _is_meta(node, v):
                    args.append(ctx.host(v))
                else:
                    x = ctx.env[v]
                    args.append(np.lib.stride_tricks.as_strided(np.zeros(1, v.dtype.np_type), tuple(x.shape),
                                                                (0,) * len(x.shape)))
            local.update(zip(node.outputs, call_numpy(node, args, ctx.state)))
        for v in self.kernel.outputs:
            if self.kernel.kind == KernelKind.HOST:
                ctx.env[v] = kc.c_array(local[v])
            else:
                ctx.env[v] = ctx.exe.layer.reshape(ctx.env[self.kernel.nodes[0].inputs[0]], tuple(local[v].shape))


def _is_meta(node, v) -> bool:
    return any(node.inputs[i] is v for i in facts(node).meta_inputs)


# ------------------------------------------------------------------------------------------------
# the executable

def _load(gen: _KernelSource):
    import triton

    return kc.load_module(gen.source, "tk", [f"triton={triton.__version__}", _scalar().HELPERS_HASH], STATS)


class TritonExecutable:
    """A RunPlan compiled to Triton kernels plus a Python driver; same interface as the other backends.

    ``kernels``: the launched kernels, each with ``.source`` (generated module text, or a note
    saying which numpy kernel runs it); ``numpy_kernels``: (kernel index, op types, reason) for
    every launched kernel that runs with numpy on the host; ``peak_bytes``: from the memory plan;
    ``layer``: where arrays live (``triton_memory``); ``inplace_variables``: the variables whose
    new values are written into their own device arrays (``inplace_note`` says why there are none
    when the memory plan asked for some).

    Device residency: variables' values are device arrays of ``layer`` for the session's life. A
    run uploads its feeds (a feed already on the device is used as is), reads variables where they
    are, returns fetches downloaded once to numpy and variables' new values as device arrays that
    the session owns (never a feed's or a constant's memory).

    In place: the memory plan picks updates that may overwrite the variable's array. This driver
    does so only in a trusted run (every feed and variable at its static shape) after one trusted
    run has gone to the end (every kernel compiled and launched), and only when every step from
    the first such kernel on is a compiled kernel, a view or a shape query whose input shapes and
    shape arguments are all fixed by the static shapes (``step.certain``): kernels do not fail on
    data, so such a run cannot stop half way with some variables updated and others not. Numpy
    steps with fully static outputs check them in trusted runs (``step.promised``), so an opaque op
    early in a training step does not turn the updates after it off.
    """

    backend = "triton"

    def __init__(self, job: CompileJob) -> None:
        self.plan = job.plan
        self.layer = job.device or tm.default_layer()
        self.blocks = INTERPRETER_BLOCKS if tm.interpreting() else GPU_BLOCKS
        self.kernel_plan, self.memory_plan = job.kernel_plan, job.memory_plan
        self.storage = self.memory_plan.storage
        self.kernels = self.kernel_plan.launched
        self.peak_bytes = self.memory_plan.peak_bytes
        self.pool: dict = {}
        self.numpy_kernels: list = []
        prog = self.kernel_plan.program
        escaping = {self.storage.get(v) for v in prog.outputs()}
        self.escaping = {w.ref for w in escaping if w and w.place is Place.BUFFER}
        self.const_hosts = {n.outputs[0]: np.array(n.attrs["value"], copy=True, order="C")
                            for n in prog.nodes if n.type == "Const"}     # shape arguments read on the host
        self.consts = {v: self.layer.from_host(a) for v, a in self.const_hosts.items()}
        self.steps = [self._step(k) for k in self.kernel_plan.kernels]
        self._mark_certain_steps()
        self.inplace, self.inplace_note = self._plan_inplace()
        self.inplace_variables = sorted({var.name for var in self.inplace.values()})
        self.static_reads = [(n.outputs[0], n.outputs[0].shape.as_tuple()) for n in prog.reads.values()]
        self.trusted_run_done = False  # a trusted run went to the end: every kernel compiles and launches

    def _step(self, k):
        return kc.kernel_step(k, _KernelSource, lambda k, gen: _CompiledStep(k, gen, _load(gen), self.blocks),
                              self._numpy_step, NUMPY_KINDS)

    def _numpy_step(self, k, reason: str):
        node = k.nodes[0]
        if k.kind == KernelKind.OPAQUE and len(k.nodes) == 1 and facts(node).gather \
                and node.outputs[0].dtype.name in _scalar().COMPILED_DTYPES:
            k.source = (f"# {node.name}: {node.type} as graphc.codegen.triton_scalar.gather_kernel through an "
                        "index map from its numpy kernel (on the device)\n")
            return _GatherStep(k)
        k.source = kc.numpy_note(k, "on the host", reason)
        if k.launches:
            self.numpy_kernels.append((k.index, k.op_types, reason))
        return _NumpyStep(k, reason)

    # -- in-place variables -------------------------------------------------------------------
    def _plan_inplace(self) -> tuple:
        """{new value: variable} for the updates written into the variable's own array, and a note."""
        prog = self.kernel_plan.program
        wanted = {v: var for var, v in prog.updates.items() if self.storage.get(v) == Storage(Place.VARIABLE, var)}
        if not wanted:
            return {}, ""
        wanted = {v: var for v, var in wanted.items() if not kc.old_value_escapes(self.kernel_plan, var)}
        first = min((i for i, s in enumerate(self.steps) if any(v in wanted for v in s.kernel.outputs)), default=None)
        if first is None:
            return {}, "the old value of each in-place variable leaves the run (a fetched view of it)"
        for step in self.steps[first:]:
            if isinstance(step, _NumpyStep) and step.kernel.kind == KernelKind.OPAQUE or not step.certain:
                return {}, (f"kernel {step.kernel.index} ({' '.join(step.kernel.op_types)}) runs after the first "
                            "in-place update and could fail (on data, or on shapes known only at run time); new "
                            "values go to fresh arrays so a failed run leaves the variables untouched")
        return wanted, ""

    def _mark_certain_steps(self) -> None:
        """Sets ``step.certain``: in a trusted run, the step's input shapes and shape arguments are
        the static ones, known before the run starts; and ``promised`` on numpy steps."""
        prog = self.kernel_plan.program
        shapes = set(self.consts)      # values whose shape is fixed in a trusted run
        shapes.update(n.outputs[0] for n in list(prog.feeds) + list(prog.reads.values())
                      if n.outputs[0].shape.is_fully_defined())
        values = set(self.consts)      # values whose contents are fixed too (shape arguments)
        for step in self.steps:
            k = step.kernel
            meta = set(step.gen.meta) if isinstance(step, _CompiledStep) else {
                v for n in k.nodes for v in n.inputs if _is_meta(n, v) and v in k.inputs}
            step.certain = all(v in values for v in meta) and all(v in shapes for v in k.inputs if v not in meta)
            if isinstance(step, _NumpyStep) and k.kind == KernelKind.OPAQUE:
                step.promised = [(v, v.shape.as_tuple()) for v in k.outputs if v.shape.is_fully_defined()]
                shapes.update(v for v, _ in step.promised)
            elif step.certain:
                shapes.update(k.outputs)
                if k.kind == KernelKind.HOST:
                    values.update(k.outputs)

    # -- running --------------------------------------------------------------------------------
    def run(self, feed_values: Sequence[Any], state: Any, device_fetches: bool = False) -> tuple:
        """Returns (fetch values as numpy arrays, {variable op: new value as a device array});
        with ``device_fetches`` the fetches stay on the device too (arrays of ``layer``).

        ``state.values`` (the dict) is never modified; a variable's array is overwritten only
        when it is updated in place (see the class docstring), and then it is the new value.
        """
        prog = self.kernel_plan.program
        ctx = _RunContext(self, state)
        env = ctx.env
        for n in prog.feeds:
            env[n.outputs[0]] = self._feed(n, feed_values[n.attrs["slot"]])
        for var, n in prog.reads.items():
            env[n.outputs[0]] = self._variable(var, state)
        ctx.trusted = all(tuple(env[v].shape) == shape for v, shape in self.static_reads)
        ctx.inplace_ok = bool(self.inplace) and ctx.trusted and self.trusted_run_done
        env.update(self.consts)
        for step in self.steps:
            step.run(ctx)
        handed: set = set()
        if device_fetches:
            results = [self._owned(ctx.env[v], ctx, handed) for v in prog.fetches]
        else:
            results = [self._download(v, ctx, handed) for v in prog.fetches]
        updates = {var: self._keep(var, v, ctx, handed) for var, v in prog.updates.items()}
        if ctx.trusted:
            self.trusted_run_done = True
        return results, updates

    def _feed(self, node, value) -> Any:
        dtype = node.outputs[0].dtype.np_type
        if not isinstance(value, np.ndarray):
            resident = self.layer.adopt(value, dtype)
            if resident is not None:        # already on the device: no host round trip
                kc.check_feed(node, resident)
                return resident
        arr = kc.c_array(value)
        kc.check_feed(node, arr)
        return arr      # stays on the host until a kernel reads it (ctx.device uploads it then)

    def _variable(self, var, state) -> Any:
        kc.check_initialized(var, state)
        value = state.values[var]
        if self.layer.owns(value, var.outputs[0].dtype.np_type):
            return value                    # resident: no transfer
        # a host value (a state filled by another executor, as the tests do): uploaded for this run
        return self.layer.from_host(np.asarray(value))

    def _download(self, v, ctx: _RunContext, handed: set) -> np.ndarray:
        """A host array for the caller: the run's own output when it is not handed out yet, else a copy."""
        x = ctx.env[v]
        if not isinstance(x, np.ndarray):
            return kc.c_array(self.layer.to_host(x))     # a download is already a fresh array
        return kc.hand_out(x, ctx.fresh, handed)

    def _keep(self, var, v, ctx: _RunContext, handed: set) -> Any:
        """Variable ``var``'s new value as an array of the layer that only the session will hold."""
        own = ctx.written.get(var)
        return own if own is not None else self._owned(ctx.env[v], ctx, handed)

    def _owned(self, x, ctx: _RunContext, handed: set) -> Any:
        """``x`` as an array of the layer that no one else holds: the run's own output the first
        time it is handed out, else a copy (of a feed's, a constant's or a variable's memory)."""
        if isinstance(x, np.ndarray):
            if self.layer.on_host:
                return kc.hand_out(x, ctx.fresh, handed)
            return self.layer.from_host(np.array(x, copy=True))
        owner = ctx.fresh.get(id(x))
        if owner is not None and owner not in handed:
            handed.add(owner)
            return x
        return self.layer.copy(x)


def compile(job: CompileJob) -> TritonExecutable:
    """The backend entry point (see ``codegen/driver.py``); ``job.device`` is the session's device
    memory (default: ``tm.default_layer()``)."""
    return TritonExecutable(job)
