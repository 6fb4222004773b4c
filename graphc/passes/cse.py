"""Common-subexpression elimination: equal pure nodes (same type, inputs and attrs) become one."""
from __future__ import annotations

import numpy as np

from graphc.ops.core import OPS, OpKind
from graphc.passes.ir import Program

MAX_CONST_KEY_ELEMENTS = 1024


def _attr_key(value):
    if isinstance(value, np.ndarray):
        if value.size > MAX_CONST_KEY_ELEMENTS:
            return ("array", id(value))
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        return tuple(_attr_key(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _attr_key(v)) for k, v in value.items()))
    try:
        hash(value)
        return value
    except TypeError:
        return ("id", id(value))


def node_key(node):
    """The structural key of a pure node, or None if the node has an identity of its own."""
    if node.kind in (OpKind.SOURCE, OpKind.RANDOM, OpKind.STATE, OpKind.REGION) and node.type != "Const":
        return None
    if node.type != "Const" and not OPS[node.type].pure:
        return None
    ins = tuple((v.op.id, v.value_index) for v in node.inputs)
    return (node.type, ins, _attr_key(node.attrs))


def run(prog: Program) -> bool:
    seen: dict = {}
    mapping: dict = {}
    for node in prog.nodes:  # producers first, so inputs are already canonical
        if mapping:
            node.inputs = tuple(mapping.get(v, v) for v in node.inputs)
        key = node_key(node)
        if key is None:
            continue
        other = seen.get(key)
        if other is None:
            seen[key] = node
        else:
            for a, b in zip(node.outputs, other.outputs):
                mapping[a] = b
    if mapping:
        prog.replace_uses(mapping)
        prog.toposort()
    return bool(mapping)
