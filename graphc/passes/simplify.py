"""Algebraic simplification: a table of local rewrites, each exact for IEEE floats unless noted.

Shapes count as equal when both ranks are known and the static dims match (``None`` with
``None``): under graphc's static-broadcasting rule a ``None`` dim never broadcasts at run time,
and the compiled backends check that.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from graphc import errors
from graphc.ops.core import OPS, OpKind
from graphc.passes.ir import Program, Value, const_node, new_node


def _nonnegative(node) -> bool:
    """Whether ``node``'s results are never negative (``OpDef.nonnegative``), so exp(log(x)) == x
    exactly (log(0) = -inf, exp(-inf) = 0)."""
    od = OPS.get(node.type)
    return od is not None and od.nonnegative


def _const_all(v: Value, scalar: float) -> bool:
    if v.op.type != "Const":
        return False
    arr = v.op.attrs["value"]
    return arr.size > 0 and bool(np.all(arr == scalar))


def same_dims(a, b) -> bool:
    """Two static shapes (TensorShape) count as equal: known ranks and the same dims (None with None)."""
    sa, sb = a.as_tuple(), b.as_tuple()
    return sa is not None and sa == sb


def same_shape(a: Value, b: Value) -> bool:
    return same_dims(a.shape, b.shape)


def _keeps(x: Value, node) -> Optional[Value]:
    """``x`` if replacing ``node``'s output by it changes neither shape nor dtype."""
    out = node.outputs[0]
    return x if same_shape(x, out) and x.dtype is out.dtype else None


def _zeros_like(node) -> Optional[Value]:
    out = node.outputs[0]
    if not out.shape.is_fully_defined() or out.shape.num_elements() > 4096:
        return None
    return const_node(np.zeros(out.shape.as_list()), out.dtype, node.origin).outputs[0]


def _exact_int(v: Value) -> bool:
    return not v.dtype.is_floating  # x*0 and x-x are 0 only without NaN/Inf


def _mul(node):
    x, y = node.inputs
    if _const_all(y, 1):
        return _keeps(x, node)
    if _const_all(x, 1):
        return _keeps(y, node)
    if (_const_all(y, 0) and _exact_int(x)) or (_const_all(x, 0) and _exact_int(y)):
        return _zeros_like(node)
    return None


def _add(node):
    x, y = node.inputs
    if _const_all(y, 0):
        return _keeps(x, node)
    if _const_all(x, 0):
        return _keeps(y, node)
    return None


def _sub(node):
    x, y = node.inputs
    if _const_all(y, 0):
        return _keeps(x, node)
    if x is y and _exact_int(x):
        return _zeros_like(node)
    return None


def _div(node):
    x, y = node.inputs
    return _keeps(x, node) if _const_all(y, 1) else None


def _neg(node):
    x = node.inputs[0]
    return x.op.inputs[0] if x.op.type == "Neg" else None


def _exp(node):
    x = node.inputs[0]
    if x.op.type == "Log" and _nonnegative(x.op.inputs[0].op):
        return x.op.inputs[0]
    return None


def _passthrough(node):
    return node.inputs[0]


def _same_shape_noop(node):
    return _keeps(node.inputs[0], node)


def _reshape(node):
    x = node.inputs[0]
    if x.op.type == "Reshape":  # reshape of reshape: only the last target matters
        inner = x.op.inputs[0]
        if same_shape(inner, node.outputs[0]) and inner.shape.is_fully_defined():
            return inner
        return new_node("Reshape", [inner, node.inputs[1]], dict(node.attrs), node.origin).outputs[0]
    if x.shape.is_fully_defined():
        return _keeps(x, node)
    return None


def _transpose(node):
    x = node.inputs[0]
    perm = node.attrs.get("perm")
    if perm is None:
        return None
    if list(perm) == list(range(len(perm))):
        return x
    if x.op.type == "Transpose" and x.op.attrs.get("perm") is not None:
        inner_perm = x.op.attrs["perm"]
        composed = tuple(inner_perm[p] for p in perm)
        if list(composed) == list(range(len(composed))):
            return x.op.inputs[0]
        return new_node("Transpose", [x.op.inputs[0]], dict(node.attrs, perm=composed), node.origin).outputs[0]
    return None


def _sum_to(node):
    """SumTo to a shape of known rank becomes a Sum over static axes (a fusible reduction). Dims
    may be unknown (a shape pattern's batch dim): such a dim is never 1 (the static-broadcasting
    rule above), so a gradient dim is summed exactly where the target has a 1 (or no dim)."""
    same = _keeps(node.inputs[0], node)
    if same is not None:
        return same
    g, out = node.inputs[0], node.outputs[0]
    if g.shape.ndims is None or out.shape.ndims is None or g.shape.ndims < out.shape.ndims:
        return None
    gdims, target = g.shape.as_list(), out.shape.as_list()
    lead = len(gdims) - len(target)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(target) if d == 1 and gdims[lead + i] != 1)
    if not axes:
        return None
    summed = new_node("Sum", [g], {"axis": axes, "keepdims": lead == 0}, node.origin).outputs[0]
    if summed.shape.as_list() != target and not out.shape.is_fully_defined():
        return None
    return _as_shape(summed, target, node.origin)


def _fill(node):
    """Fill(dims, v) is BroadcastTo(v, dims): an elementwise node the fusion planner can fuse (its
    rank known; a shape pattern's unknown dims come from ``dims`` at run time)."""
    if node.outputs[0].shape.ndims is None:
        return None
    dims, value = node.inputs
    return new_node("BroadcastTo", [value, dims], {}, node.origin).outputs[0]


def _shape_of(node):
    """Shape(x) of an elementwise result reads the shape of an input with x's static shape, so x
    itself is not computed for its shape alone (a shape pattern's gradient seeds: ones_like(loss)).
    Under the static-broadcasting rule that input's shape is x's in every run that succeeds."""
    src = node.inputs[0].op
    od = OPS.get(src.type)    # None for the IR's own nodes (feeds, variable reads)
    if od is None or od.kind is not OpKind.ELEMENTWISE or len(src.outputs) != 1:
        return None
    for x in src.inputs:
        if same_shape(x, node.inputs[0]):
            return new_node(node.type, [x], dict(node.attrs), node.origin).outputs[0]
    return None


def _through_broadcasts(node):
    """An elementwise node reads ``BroadcastTo(x, dims)`` as ``x`` when it broadcasts ``x`` to the same
    result by itself (``zeros_like`` in a relu gradient's Select): no array of the broadcast shape,
    and no shape query for ``dims`` in a plan whose dims are known only at run time."""
    ins = list(node.inputs)
    changed = False
    for i, v in enumerate(ins):
        if v.op.type == "BroadcastTo" and same_shape(v, node.outputs[0]):
            ins[i] = v.op.inputs[0]
            changed = True
    if not changed:
        return None
    try:
        new = new_node(node.type, ins, dict(node.attrs), node.origin)
    except errors.OpError:
        return None
    out = new.outputs[0]
    if len(new.outputs) != 1 or not same_shape(out, node.outputs[0]) or out.dtype is not node.outputs[0].dtype:
        return None
    return out


def _as_shape(x: Value, shape: list, origin) -> Value:
    """``x`` reshaped (a view) to ``shape`` (at most one -1), or ``x`` when it has that shape already."""
    if x.shape.as_list() == shape:
        return x
    dims = const_node(np.array(shape, dtype=np.int32), _int32(), origin).outputs[0]
    return new_node("Reshape", [x, dims], {}, origin).outputs[0]


# The largest static operand (elements) of a one-row or one-column product rewritten as Sum(Mul):
# a big one stays a BLAS matrix-vector product (numba's column sum of a [4096, 4096] product took
# 7.0 ms against numpy's gemv 1.9 ms; an RNN's [64, 16] weight-gradient terms are 1,024 elements)
THIN_SUM_MAX = 2 ** 16


def _thin_matmul(node):
    """A 2-D product with a dimension of 1 becomes elementwise work the fusion planner can merge
    with its neighbours, instead of a BLAS call of its own: a contraction over K = 1 is the outer
    product ``a * b`` (exact); one row (M = 1) or one column (N = 1) of result over an operand of at
    most THIN_SUM_MAX static elements is a broadcast multiply summed over K (``Sum(Mul)``: the same
    products, added in another order than BLAS, equal to float32 rounding). An RNN's one-feature
    input step and its weight gradient are such products."""
    a, b = node.inputs
    out = node.outputs[0]
    if a.shape.ndims != 2 or b.shape.ndims != 2 or not a.dtype.is_floating:
        return None
    ta, tb = node.attrs["transpose_a"], node.attrs["transpose_b"]
    (m, k) = a.shape.as_list()[::-1] if ta else a.shape.as_list()
    (k2, n) = b.shape.as_list()[::-1] if tb else b.shape.as_list()
    if k is None or k2 is None or k != k2:
        return None
    if k != 1 and (m == 1 or n == 1):
        other = n if m == 1 else m          # the matrix operand is [K, other]
        if other is None or k * other > THIN_SUM_MAX:
            return None                     # a big matrix-vector product stays BLAS's
    origin = node.origin
    if k == 1:        # [M, 1] x [1, N]
        a_rows = a if not ta else _as_shape(a, [-1, 1], origin)
        b_row = b if not tb else _as_shape(b, [1, -1], origin)
        product = new_node("Mul", [a_rows, b_row], {}, origin).outputs[0]
    elif m == 1:      # [1, K] x [K, N]: sum over K of a's column times b's rows
        a_k = a if ta else _as_shape(a, [-1, 1], origin)                      # [K, 1]
        if tb:        # b is [N, K]: sum over its columns
            terms = new_node("Mul", [_as_shape(a_k, [1, -1], origin), b], {}, origin).outputs[0]
            summed = new_node("Sum", [terms], {"axis": (1,), "keepdims": True}, origin).outputs[0]
            product = _as_shape(summed, [1, -1], origin)
        else:
            terms = new_node("Mul", [a_k, b], {}, origin).outputs[0]
            product = new_node("Sum", [terms], {"axis": (0,), "keepdims": True}, origin).outputs[0]
    elif n == 1:      # [M, K] x [K, 1]
        b_k = b if tb else _as_shape(b, [1, -1], origin)                      # [1, K]
        if ta:        # a is [K, M]: sum over its rows
            terms = new_node("Mul", [a, _as_shape(b_k, [-1, 1], origin)], {}, origin).outputs[0]
            summed = new_node("Sum", [terms], {"axis": (0,), "keepdims": True}, origin).outputs[0]
            product = _as_shape(summed, [-1, 1], origin)
        else:
            terms = new_node("Mul", [a, b_k], {}, origin).outputs[0]
            product = new_node("Sum", [terms], {"axis": (1,), "keepdims": True}, origin).outputs[0]
    else:
        return None
    return product if same_shape(product, out) and product.dtype is out.dtype else None


def _int32():
    from graphc import dtypes

    return dtypes.int32


RULES: dict = {
    "Mul": _mul,
    "Add": _add,
    "Sub": _sub,
    "RealDiv": _div,
    "Neg": _neg,
    "Exp": _exp,
    "Identity": _passthrough,
    "StopGradient": _passthrough,
    "PlaceholderWithDefault": _passthrough,
    "SumTo": _sum_to,
    "BroadcastTo": _same_shape_noop,
    "Fill": _fill,
    "Shape": _shape_of,
    "Reshape": _reshape,
    "Transpose": _transpose,
    "MatMul": _thin_matmul,
}


def run(prog: Program, rules: Optional[dict] = None) -> bool:
    rules = RULES if rules is None else rules
    mapping: dict = {}
    for node in prog.nodes:
        if mapping:
            node.inputs = tuple(_resolve(v, mapping) for v in node.inputs)
        rule: Optional[Callable] = rules.get(node.type)
        new = rule(node) if rule is not None else None
        if new is None and rules is RULES and node.kind is OpKind.ELEMENTWISE and len(node.outputs) == 1:
            new = _through_broadcasts(node)
        if new is not None and new is not node.outputs[0]:
            mapping[node.outputs[0]] = new
    if mapping:
        prog.replace_uses(mapping)
        prog.toposort()
    return bool(mapping)


def _resolve(v, mapping):
    while v in mapping:
        v = mapping[v]
    return v
