"""Folds a cond whose predicate is a constant: the ``If`` node becomes the taken branch's nodes.

The branch's ops are lowered into the Program like the run's own ops (so fold, simplify, CSE and
fusion then work on them); the untaken branch's kept random draws become zeros (only the cond's
own gradient, folded the same way, would read them).
"""
from __future__ import annotations

import numpy as np

from graphc.ops.core import OPS, OpKind
from graphc.passes.ir import Program, const_node, new_node
from graphc.passes.run_plan import RunPlan


def _inline(branch, inputs: list, origin) -> list:
    """IR values of ``branch``'s outputs and kept draws, its placeholders bound to ``inputs``."""
    env = dict(zip(branch.inputs, inputs))
    plan = RunPlan(list(branch.outputs) + list(branch.kept), [], list(branch.inputs))
    for op in plan.ops:
        if OPS[op.type].kind is OpKind.CONTROL:
            continue
        node = new_node(op.type, [env[t] for t in op.inputs], dict(op.attrs), origin=op)
        env.update(zip(op.outputs, node.outputs))
    return [env[t] for t in list(branch.outputs) + list(branch.kept)]


def _zeros(t, origin):
    dims = t.shape.as_tuple()
    shape = () if dims is None else tuple(d or 0 for d in dims)
    return const_node(np.zeros(shape, t.dtype.np_type), t.dtype, origin).outputs[0]


def run(prog: Program) -> bool:
    mapping: dict = {}
    for node in prog.nodes:
        if node.type != "If" or node.inputs[0].op.type != "Const":
            continue
        then, other = node.attrs["then_branch"], node.attrs["else_branch"]
        take_then = bool(np.asarray(node.inputs[0].op.attrs["value"]))
        taken = then if take_then else other
        values = _inline(taken, list(node.inputs[1:]), node.origin)
        p = len(taken.outputs)
        kept_then = values[p:] if take_then else [_zeros(t, node.origin) for t in then.kept]
        kept_else = values[p:] if not take_then else [_zeros(t, node.origin) for t in other.kept]
        mapping.update(zip(node.outputs, values[:p] + kept_then + kept_else))
    if mapping:
        prog.replace_uses(mapping)
        prog.toposort()
    return bool(mapping)
