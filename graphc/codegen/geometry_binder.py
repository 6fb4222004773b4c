"""A compiled step's geometry for input shapes it has not seen, as one generated Python function.

``CompiledStep._compute_geometry`` binds a kernel to the sizes of a run by walking its accesses
(fill the unknown space dims from the inputs, check every input against the space, multiply out
the geometry recipe): ~14 us a kernel, 40% of what a batch size not seen before costs an LSTM step
(19 kernels). The binder does the same arithmetic as straight-line code: each unknown space dim read
from the first input that spans it (or from the product's operands), every input's shape compared
with the tuple the space implies, the geometry entries and output shapes as products of those sizes.
A space dim no input spans comes from the kernel's shape values (a BroadcastTo's target shape),
as the general path takes it. It returns None whenever a shape does not fit (the general path then
runs and raises the kernel's error); convolutions and batched products have no binder.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Callable, List, Optional

import numpy as np

if TYPE_CHECKING:
    from graphc.codegen.numba_steps import CompiledStep


def make(step: "CompiledStep") -> Optional[Callable]:
    """``bind(input shapes, product operand shapes, shape values, parallel_min) -> (geometry, space,
    output shapes, parallel)`` or None, for compiled ``step``; None when the step has no binder."""
    if step.conv:
        return None
    lines = ["def bind(sh, mm, me, parallel_min):"]
    space = _product_space(step, lines) if step.matmul is not None else _input_space(step, lines)
    if space is None:
        return None
    checks = [f"sh[{k}] != {_shape(space, acc)}" for k, acc in enumerate(step.inputs)]
    if checks:
        lines.append(f"    if {' or '.join(checks)}:")
        lines.append("        return None")
    geo = ", ".join(_product(space, dims) for dims in step.recipe)
    outs = ", ".join(_shape(space, acc) for acc in step.outputs)
    total = _product(space, range(len(space)))
    lines.append(f"    return (_array([{geo}], dtype=_int64), {_tuple(space)}, [{outs}], "
                 f"{total} * {int(step.weight)} >= parallel_min)")
    return _compiled("\n".join(lines) + "\n")


def _product_space(step, lines: List[str]) -> Optional[list]:
    """The space of a (rank-2) product kernel: its output's rows and columns, read from the operands."""
    if len(step.gen.space) != 2:
        return None
    attrs = step.matmul.attrs
    m, ka = ("a[1]", "a[0]") if attrs["transpose_a"] else ("a[0]", "a[1]")
    kb, n = ("b[1]", "b[0]") if attrs["transpose_b"] else ("b[0]", "b[1]")
    lines += ["    a, b = mm",
              f"    if len(a) != 2 or len(b) != 2 or {ka} != {kb}:",
              "        return None",
              f"    d0 = {m}",
              f"    d1 = {n}"]
    return ["d0", "d1"]


def _input_space(step, lines: List[str]) -> Optional[list]:
    """The space: static dims as constants, each unknown one read from the first input spanning it."""
    space: list = []
    for d, size in enumerate(step.gen.space):
        if size is not None:
            space.append(str(int(size)))
            continue
        source = next((f"sh[{k}][{i}]" for k, acc in enumerate(step.inputs) for i, dd in enumerate(acc.dim_map)
                       if dd == d and acc.indexed[d]), None) or _from_values(step.gen, d, lines)
        if source is None:
            return None
        lines.append(f"    d{d} = {source}")
        space.append(f"d{d}")
    return space


def _from_values(gen, d: int, lines: List[str]) -> Optional[str]:
    """The expression of space dim ``d`` read from the first shape value (right-aligned with the
    space) that reaches it, its length checked; None when none does statically."""
    rank = len(gen.space)
    for j, value in enumerate(gen.meta):
        dims = value.shape.as_tuple()
        if dims is None or len(dims) != 1 or dims[0] is None:
            return None
        i = d - (rank - dims[0])
        if 0 <= i < dims[0]:
            lines += [f"    if len(me[{j}]) != {dims[0]}:", "        return None"]
            return f"me[{j}][{i}]"
    return None


def _shape(space: list, acc) -> str:
    """The tuple expression of ``acc``'s shape in this space (``Access.runtime_shape``)."""
    return _tuple([space[d] if acc.indexed[d] else "1" for d in acc.dim_map])


def _tuple(items: list) -> str:
    return f"({', '.join(items)}{',' if len(items) == 1 else ''})"


def _product(space: list, dims) -> str:
    return " * ".join(space[d] for d in dims) or "1"


@functools.lru_cache(maxsize=4096)
def _compiled(source: str) -> Callable:
    namespace = {"_array": np.array, "_int64": np.int64}
    exec(compile(source, "<graphc geometry binder>", "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace["bind"]
