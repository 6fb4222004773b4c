"""Backend-neutral pieces shared by the generated-kernel backends (Numba CPU and Triton).

How a kernel's operands map onto its iteration space (``Access``, frames, index groups), the
frame/pass analysis of a kernel's nodes (``FrameAnalysis``), runtime space and input checks,
the executable driver's feed/variable validation and hand-out rule, and the printing rules that
read the same in both printers. Text generation specific to one backend stays in its module.
"""
from __future__ import annotations

import dataclasses
import hashlib
import math
from typing import Any, Callable, Optional, Sequence

import numpy as np

from graphc import errors
from graphc.passes.fusion import KernelKind, data_inputs, is_fusible_reduction
from graphc.toolchain import cache


class Unsupported(Exception):
    """This kernel cannot be compiled by the printer (the reason is reported, numpy runs it)."""


# ------------------------------------------------------------------------------------------------
# layout: which space dims each operand spans, coalesced into index groups

@dataclasses.dataclass
class Access:
    """One array operand of a kernel as the index math sees it (an input, an output or a product)."""

    name: str
    value: Any                 # the IR Value
    dim_map: tuple             # space dim of each of the array's dims (right-aligned in its frame)
    indexed: tuple             # per space dim: the array spans it (else broadcast or unit)
    is_output: bool = False
    scalar: bool = False       # exactly one element: passed or loaded once, no offsets

    def runtime_shape(self, space_rt: Sequence[int]) -> tuple:
        return tuple(space_rt[d] if self.indexed[d] else 1 for d in self.dim_map)


def frame_dims(frame: str, rank: int, kept: list) -> list:
    """The space dims a value of ``frame`` ("full", "keep" or "drop") lines up with."""
    return kept if frame == "drop" else list(range(rank))


def make_access(name: str, value, frame: str, space: tuple, kept: list, is_output: bool = False) -> Optional[Access]:
    """``value`` read (or written) in ``frame``; None for an unknown rank or a rank above the frame."""
    dims = value.shape.as_tuple()
    if dims is None:
        return None
    target = frame_dims(frame, len(space), kept)
    if len(dims) > len(target):
        return None
    dim_map = tuple(target[len(target) - len(dims) + i] for i in range(len(dims)))
    indexed = [False] * len(space)
    for size, d in zip(dims, dim_map):
        if size != 1 and space[d] != 1:
            indexed[d] = True
    one = value.shape.is_fully_defined() and value.shape.num_elements() == 1
    return Access(name, value, dim_map, tuple(indexed), is_output, one and not is_output)


def index_groups(space: tuple, kinds: Sequence, accesses: list, unmerged: frozenset = frozenset()) -> list:
    """Runs of non-unit space dims with one kind and one broadcast pattern (dims of an ``unmerged``
    kind stay alone). Unit dims are skipped, so dims separated only by unit dims can share a group."""
    groups: list = []
    prev = None
    for d, size in enumerate(space):
        if size == 1:
            continue
        key = (kinds[d], tuple(a.indexed[d] for a in accesses))
        if groups and key == prev and kinds[d] not in unmerged:
            groups[-1].append(d)
        else:
            groups.append([d])
        prev = key
    return groups


# ------------------------------------------------------------------------------------------------
# analysis of a kernel's nodes

_PRODUCT_OPS = {KernelKind.MATMUL: "MatMul", KernelKind.CONV: "Conv2D"}


class FrameAnalysis:
    """Frames ("full" space or a row: "keep"/"drop") and pass levels of a kernel's nodes.

    Expects ``space``, ``rank``, ``axes``, ``kept``, ``members``, ``frame``, ``level``, ``avail``.
    """

    def _take_kernel(self, kernel, axes: tuple) -> None:
        """Sets ``kernel``, ``space``, ``rank``, ``axes``, ``kept``, ``members`` and ``matmul``."""
        self.kernel = kernel
        space = kernel.space.as_tuple() if kernel.space is not None else None
        if space is None:
            raise Unsupported("the iteration space has unknown rank")
        self.space = space
        self.rank = len(space)
        self.axes = axes
        self.kept = [d for d in range(self.rank) if d not in self.axes]
        self.members = {id(n) for n in kernel.nodes}
        # the library product (a MatMul, or a Conv2D: its epilogue is compiled the same way), which
        # the launch step computes into ``prod`` before the kernel runs
        product_op = _PRODUCT_OPS.get(kernel.kind)
        self.matmul = next((n for n in kernel.nodes if n.type == product_op), None) if product_op else None

    def _frame_of(self, value) -> str:
        dims = value.shape.as_tuple()
        if dims == self.space:
            return "full"
        keep = tuple(1 if d in self.axes else s for d, s in enumerate(self.space))
        drop = tuple(self.space[d] for d in self.kept)
        if dims == keep:
            return "keep"
        if dims == drop:
            return "drop"
        raise Unsupported(f"{value.op.name} has shape {value.shape}, neither the space {self.space} nor a row of it")

    def _level_of(self, v) -> int:
        if id(v.op) not in self.members:
            return 0
        if id(v.op) in self.level:
            return self.level[id(v.op)]
        return self.avail[id(v.op)]

    def _check_alignment(self, v, frame: str) -> None:
        """A row value read by a node must land on the row's kept dims under broadcasting."""
        in_frame = self.frame[id(v.op)]
        if in_frame == "full":
            return
        dims = v.shape.as_tuple()
        own = frame_dims(in_frame, self.rank, self.kept)
        own = own[len(own) - len(dims):]
        target = frame_dims(frame, self.rank, self.kept)
        aligned = target[len(target) - len(dims):]
        for size, a, b in zip(dims, own, aligned):
            if size != 1 and a != b:
                raise Unsupported(f"{v.op.name} {v.shape} does not broadcast along the kernel's rows")

    def _is_fused_reduction(self, n) -> bool:
        return is_fusible_reduction(n) and bool(self.axes)

    def _reading_frame(self, n) -> str:
        """The frame in which node ``n`` reads its inputs."""
        return "full" if self._is_fused_reduction(n) else self.frame[id(n)]

    def _plan_inputs(self, inputs_of: Callable, make: Callable) -> list:
        """Input accesses in argument order, one per (value, frame it is read in), made by ``make``
        (``make_access``'s signature); sets ``input_access`` and ``meta`` (BroadcastTo shapes)."""
        accesses: list = []
        self.input_access: dict = {}   # (Value, frame) -> access
        self.meta: list = []           # BroadcastTo shape inputs (used only to size the space)
        for n in self.kernel.nodes:
            if n is self.matmul:
                continue
            reading = self._reading_frame(n)
            if n.type == "BroadcastTo":
                self.meta.append(n.inputs[1])
            for v in inputs_of(n):
                if id(v.op) in self.members or (v, reading) in self.input_access:
                    continue
                acc = make(f"in{len(accesses)}", v, reading, self.space, self.kept)
                self.input_access[(v, reading)] = acc
                accesses.append(acc)
        return accesses

    def _needed_full(self, roots: list, stop=None) -> list:
        """Full-space nodes (in order) that the given nodes need within one pass (not past ``stop``)."""
        need: set = set()
        stack = list(roots)
        while stack:
            n = stack.pop()
            if id(n) in need:
                continue
            need.add(id(n))
            if n is stop:
                continue
            for v in data_inputs(n):
                if id(v.op) in self.members and self.frame.get(id(v.op)) == "full" and v.op is not self.matmul:
                    stack.append(v.op)
        return [n for n in self.kernel.nodes if id(n) in need and self.frame[id(n)] == "full" and n is not self.matmul]

    def _classify_reduction(self, n) -> None:
        if tuple(n.attrs["axis"]) != self.axes:
            raise Unsupported(f"{n.name} reduces axes {n.attrs['axis']}, the kernel {self.axes}")
        x = n.inputs[0]
        if self._frame_of(x) != "full":
            raise Unsupported(f"{n.name} reduces {x.shape}, not the kernel's space")
        self.frame[id(n)] = "keep" if n.attrs["keepdims"] else "drop"
        self.avail[id(n)] = self._level_of(x) + 1

    def _classify_elementwise(self, n, printer, form: str) -> None:
        """Frame and level of an elementwise node, checked against ``printer`` (a scalar module)."""
        out = n.outputs[0]
        if n.type not in printer.SUPPORTED_TYPES:
            raise Unsupported(f"{n.name}: op {n.type} has no {form} form")
        frame = self._frame_of(out)
        self.frame[id(n)] = frame
        deps = [v for v in data_inputs(n) if id(v.op) in self.members]
        for v in deps:
            self._check_alignment(v, frame)
        if frame == "full":
            self.level[id(n)] = max([self._level_of(v) for v in deps], default=0)
        else:
            self.avail[id(n)] = max([self.avail[id(v.op)] for v in deps], default=0)
        dts = [v.dtype for v in data_inputs(n)]
        if printer.expression(n.type, ["a"] * len(dts), dts, out.dtype, n.attrs) is None:
            raise Unsupported(f"{n.name}: {n.type} is not compiled for dtype {dts[0].name if dts else '?'}")


# ------------------------------------------------------------------------------------------------
# runtime geometry

def kernel_failure(kernel, label: str, what: str) -> errors.InvalidArgumentError:
    """The error for a kernel whose runtime shapes do not fit (``label``: "kernel", "Triton kernel")."""
    names = ", ".join(f"{n.name} ({n.type})" for n in kernel.nodes)
    origin = next((n.origin for n in kernel.nodes if n.origin is not None), None)
    return errors.InvalidArgumentError(None, origin, f"{label} {kernel.index} [{names}]: {what}.")


def matmul_dims(sa: tuple, sb: tuple, attrs: dict, fail: Callable[[str], None]) -> tuple:
    """(m, n, k) of a MatMul of operand shapes ``sa`` and ``sb``; ``fail`` when they do not fit."""
    ta, tb = attrs["transpose_a"], attrs["transpose_b"]
    m, ka = (sa[-1], sa[-2]) if ta else (sa[-2], sa[-1])
    kb, n = (sb[-1], sb[-2]) if tb else (sb[-2], sb[-1])
    if ka != kb or sa[:-2] != sb[:-2]:
        fail(f"matmul operands of shapes {sa} and {sb} do not fit (transpose_a={ta}, transpose_b={tb})")
    return m, n, ka


def as_batch_of_matrices(x: np.ndarray) -> np.ndarray:
    """``x`` (rank >= 2) viewed as (batch, rows, cols); a zero-size ``x`` cannot use reshape's -1."""
    batch = math.prod(x.shape[:-2])     # (math.prod: 0.1 us; np.prod is ~2 us on a tuple)
    return x.reshape((batch,) + tuple(x.shape[-2:]))


def fill_space(space: list, inputs: list, shapes: list, meta: list, host: Callable) -> list:
    """Fills the unknown (None) dims of ``space`` from the input shapes, then from BroadcastTo shapes
    (``meta`` values, read with ``host``). Non-unit sizes win over a broadcast 1."""
    for acc, shape in zip(inputs, shapes):
        for size, d in zip(shape, acc.dim_map):
            if acc.indexed[d] and space[d] is None and size != 1:
                space[d] = size
    for acc, shape in zip(inputs, shapes):
        for size, d in zip(shape, acc.dim_map):
            if acc.indexed[d] and space[d] is None:
                space[d] = size
    if any(s is None for s in space):
        for shape_value in meta:
            target = [int(s) for s in np.reshape(host(shape_value), -1)]
            for i, s in enumerate(target):
                d = len(space) - len(target) + i
                if space[d] is None:
                    space[d] = s
    return space


def group_extents(space: Sequence[int], groups: list) -> list:
    """Element count of each index group."""
    return [int(math.prod(space[d] for d in dims)) for dims in groups]


def group_stride(space: Sequence[int], acc: Access, dims: list, rank: int) -> int:
    """Stride (in elements) of ``acc`` along the index group made of ``dims``."""
    later = [d for d in range(dims[-1] + 1, rank) if acc.indexed[d]]
    return int(math.prod(space[d] for d in later))


def check_input(acc: Access, shape: tuple, space: list, fail: Callable[[str], None], whole_static: bool) -> None:
    """``fail`` unless an input of runtime ``shape`` fits the iteration space; the message quotes the
    static shape (``whole_static``) or the static size of the misfit dim."""
    if len(shape) != len(acc.dim_map):
        fail(f"input {acc.value.name} has rank {len(shape)} at run time but rank "
             f"{len(acc.dim_map)} in the graph ({acc.value.shape})")
    for i, (size, d) in enumerate(zip(shape, acc.dim_map)):
        want = space[d] if acc.indexed[d] else 1
        if size == want:
            continue
        if acc.indexed[d] and size == 1:
            fail(f"input {acc.value.name} has shape {tuple(shape)} at run time: its dim {i} is 1 "
                 f"where the iteration space {tuple(space)} has {space[d]}, but that dim is not "
                 f"statically 1 ({acc.value.shape}), and graphc broadcasts only dims that are "
                 "statically 1. Give the input a static shape with 1 there (tf.reshape or "
                 "tf.expand_dims) or feed a full-size value")
        static = acc.value.shape if whole_static else acc.value.shape.as_tuple()[i]
        fail(f"input {acc.value.name} has shape {tuple(shape)} at run time, which does not fit the "
             f"iteration space {tuple(space)} (dim {i}: {size}, expected {want}; static {static})")


# ------------------------------------------------------------------------------------------------
# generated modules

def load_module(source: str, prefix: str, extra: list, stats: dict):
    """The generated module of ``source`` from the code cache; counts ``stats["modules"]`` when it
    was newly loaded."""
    before = cache.loaded_count()
    module = cache.load_source(source, prefix=prefix, extra=extra)
    if cache.loaded_count() != before:
        stats["modules"] += 1
    return module


# ------------------------------------------------------------------------------------------------
# printing rules that read the same in both printers

def file_hash(path: str) -> str:
    """sha256 of a file (a printer's helpers are part of every kernel's cache key)."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def template(text: str) -> Callable:
    """A rule that formats ``text`` with the argument expressions."""
    return lambda a, dt, out, attrs: text.format(*a)


def float_only(rule: Callable) -> Callable:
    """``rule`` for floating inputs, None (not compiled) otherwise."""
    return lambda a, dt, out, attrs: rule(a, dt, out, attrs) if dt[0].is_floating else None


def cast_rule(convert: Callable[[str, Any], str]) -> Callable:
    """Cast: ``!= 0`` to bool, ``convert(x, out_dtype)`` otherwise; float -> int is not compiled
    (nan/inf/out-of-range values are undefined in LLVM and on the GPU)."""
    def rule(a, dt, out, attrs):
        if out.name == "bool":
            return f"({a[0]} != 0)"
        if dt[0].is_floating and not out.is_floating:
            return None
        return convert(a[0], out)
    return rule


def add_n(a, dt, out, attrs) -> str:
    return "(" + " + ".join(a) + ")"


# rules whose text is the same Python/Triton expression in both printers
SHARED_RULES: dict = {
    "Identity": template("{0}"),
    "StopGradient": template("{0}"),
    "PlaceholderWithDefault": template("{0}"),
    "BroadcastTo": template("{0}"),
    "Neg": template("(-{0})"),
    "Square": template("({0} * {0})"),
    "Add": template("({0} + {1})"),
    "Sub": template("({0} - {1})"),
    "Mul": template("({0} * {1})"),
    "RealDiv": float_only(template("({0} / {1})")),
    "Equal": template("({0} == {1})"),
    "NotEqual": template("({0} != {1})"),
    "Less": template("({0} < {1})"),
    "LessEqual": template("({0} <= {1})"),
    "Greater": template("({0} > {1})"),
    "GreaterEqual": template("({0} >= {1})"),
    "AddN": add_n,
}


def power_by_constant(base: str, exponent, dtype, one: str) -> Optional[str]:
    """``x ** c`` for a small integer constant ``c`` as multiplications (``one``: the literal 1
    of the printer), else None."""
    if not dtype.is_floating:
        return None
    c = float(exponent)
    if c not in (1.0, 2.0, 3.0, 4.0, -1.0, -2.0):
        return None
    product = "(" + " * ".join([base] * abs(int(c))) + ")"
    return product if c > 0 else f"({one} / {product})"


def expression(rules: dict, op_type: str, args: Sequence[str], in_dtypes: Sequence, out_dtype,
               attrs: dict) -> Optional[str]:
    """The printed expression of one node by ``rules``, or None when they do not compile it."""
    rule = rules.get(op_type)
    if rule is None:
        return None
    return rule(list(args), list(in_dtypes), out_dtype, attrs)
