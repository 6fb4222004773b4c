"""Constant folding: a pure op whose inputs are all constants becomes a constant.

Folding runs the op's own numpy kernel. Results larger than ``MAX_FOLD_ELEMENTS`` are not
materialized (a ``broadcast_to`` or ``zeros`` of a big shape stays a cheap kernel).
"""
from __future__ import annotations

import numpy as np

from graphc.ops.core import OPS, OpKind
from graphc.passes.ir import Program, const_node

MAX_FOLD_ELEMENTS = 4096
_NOT_FOLDABLE_KINDS = (OpKind.SOURCE, OpKind.STATE, OpKind.RANDOM, OpKind.CONTROL, OpKind.REGION)


def _shape_constant(node):
    """Shape/Size/Rank of an input whose static shape is fully known."""
    shape = node.inputs[0].shape
    if node.type == "Rank" and shape.ndims is not None:
        return np.array(shape.ndims, dtype=np.int32)
    if not shape.is_fully_defined():
        return None
    dims = shape.as_list()
    dt = node.outputs[0].dtype.np_type
    return {"Shape": lambda: np.array(dims, dtype=dt), "Size": lambda: np.array(int(np.prod(dims)), dtype=dt),
            "Rank": lambda: np.array(len(dims), dtype=np.int32)}[node.type]()


def run(prog: Program) -> bool:
    changed = False
    mapping = {}
    for node in prog.nodes:
        if node.type in ("Shape", "Size", "Rank"):
            value = _shape_constant(node)
            if value is not None:
                mapping[node.outputs[0]] = const_node(value, node.outputs[0].dtype, node.origin).outputs[0]
            continue
        if node.type == "Const" or node.kind in _NOT_FOLDABLE_KINDS or not OPS[node.type].pure:
            continue
        if not node.inputs or any(_resolve(v, mapping).op.type != "Const" for v in node.inputs):
            continue
        sizes = [o.shape.num_elements() for o in node.outputs]
        if any(s is None or s > MAX_FOLD_ELEMENTS for s in sizes):
            continue
        args = [_resolve(v, mapping).op.attrs["value"] for v in node.inputs]
        try:
            with np.errstate(all="ignore"):
                out = OPS[node.type].numpy(*args, **node.attrs)
        except (ValueError, TypeError, IndexError, ArithmeticError):
            continue  # leave it to run time, which reports the error with the node's context
        outs = out if isinstance(out, tuple) else (out,)
        for v, o in zip(node.outputs, outs):
            mapping[v] = const_node(np.asarray(o), v.dtype, node.origin).outputs[0]
        changed = True
    if mapping:
        prog.replace_uses(mapping)
        prog.toposort()
    return changed or bool(mapping)


def _resolve(v, mapping):
    while v in mapping:
        v = mapping[v]
    return v
