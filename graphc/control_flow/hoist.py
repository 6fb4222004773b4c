"""A while gradient's weight-gradient sums as one matmul after the loop instead of one per iteration.

The gradient of an RNN cell's kernel accumulates ``acc += matmul(a_t, b_t, transpose_a=True)`` in
a loop var of the gradient loop (``region_ops._while_grad``): one small ``[K, B] @ [B, N]`` product
per iteration. When that sum is the var's only update and nothing else in the body reads the var,
the loop instead passes the var through and saves ``a_t`` and ``b_t`` (``Recording.saved`` of the
gradient loop: one more output each, its value in every iteration), and the sum is ONE product of
the ``[T * B, K]`` and ``[T * B, N]`` stacks after the loop: ``sum_t a_t^T b_t`` is the same sum of
the same products, added in another order (equal to float32 rounding). A masked step's ``b_t`` rows
are zero and add nothing, as before.
"""
from __future__ import annotations

from typing import Optional

from graphc.control_flow.func_graph import ops_needed
from graphc.control_flow.intermediates import stacked
from graphc.graph import Operation, Tensor
from graphc.ops import array
from graphc.ops import math as m
from graphc.ops.linalg import matmul

ENABLED = True     # tests turn it off to compare with the per-iteration sums


def _hoistable(body, i: int, live: set) -> Optional[tuple]:
    """``(a, b)`` when loop var ``i`` of ``body`` is updated only as ``var + matmul(a, b,
    transpose_a=True)`` of rank-2 operands with static column counts and read by nothing else."""
    ph, out = body.inputs[i], body.outputs[i]
    if out.op.type not in ("Add", "AddV2") or ph not in out.op.inputs:
        return None
    product = out.op.inputs[1] if out.op.inputs[0] is ph else out.op.inputs[0]
    mm = product.op
    if mm.type != "MatMul" or not mm.attrs["transpose_a"] or mm.attrs["transpose_b"] or product is ph:
        return None
    if [c for c in ph.consumers() if c in live] != [out.op] or [c for c in product.consumers() if c in live] != [out.op]:
        return None
    a, b = mm.inputs
    if a.shape.ndims != 2 or b.shape.ndims != 2 or a.shape[1].value is None or b.shape[1].value is None:
        return None
    if id(out) in {id(t) for t in body.kept}:
        return None
    return a, b


def _save(op: Operation, t: Tensor) -> Tensor:
    """The output of gradient loop ``op`` stacking body tensor ``t`` over the iterations."""
    record = op.attrs["record"]
    if t not in record.saved:
        record.saved.append(t)
        op.outputs.append(Tensor(op, len(op.outputs), t.dtype, stacked(t.shape)))
    first = 2 * op.attrs["num_vars"] + 1 + len(op.attrs["body"].kept)
    return op.outputs[first + record.saved.index(t)]


def hoist_matmul_sums(op: Operation, indices: list) -> dict:
    """For the loop vars ``indices`` of gradient loop ``op`` that each iteration adds one
    ``matmul(a, b, transpose_a=True)`` to (see the module docstring): the var passed through
    unchanged, its operands saved, and ``{index: the sum as one matmul of the stacks}``; other vars
    are left as they are. Call it right after the loop is built, before anything reads its outputs."""
    if not ENABLED:
        return {}
    body = op.attrs["body"]
    live = ops_needed(list(body.outputs) + list(body.kept))
    found = {i: ab for i in indices if (ab := _hoistable(body, i, live)) is not None}
    if not found:
        return {}
    outputs = list(body.outputs)
    for i in found:
        outputs[i] = body.inputs[i]        # passed through: its final value is its initial one
    body.outputs = outputs
    op.attrs["record"].on = True
    sums = {}
    for i, (a, b) in found.items():
        rows_a = array.reshape(_save(op, a), [-1, a.shape[1].value])
        rows_b = array.reshape(_save(op, b), [-1, b.shape[1].value])
        sums[i] = m.add(op.outputs[i], matmul(rows_a, rows_b, transpose_a=True))
    return sums
