"""Sibling reductions joined: ``AddN(Sum(x1), ..., Sum(xn))`` over the same axes of inputs of one
shape becomes ``Sum(AddN(x1, ..., xn))``, which the fusion planner makes ONE reduction kernel reading
every input, instead of one kernel per term and another adding their results. A weight shared by
the steps of an unrolled RNN gets such a gradient: its bias's row sums, one per step. The same
terms, added in another order (equal to float rounding)."""
from __future__ import annotations

from graphc.passes.ir import Program, new_node
from graphc.passes.simplify import same_shape

_ADDS = ("AddN", "Add", "AddV2")


def _joinable(node, uses: dict) -> bool:
    """Whether every term of sum ``node`` is a Sum read by nothing else, all with the same axes and
    inputs of one static shape and dtype."""
    terms = [v.op for v in node.inputs]
    first = terms[0]
    if len(terms) < 2 or any(t.type != "Sum" or len(t.inputs) != 1 for t in terms):
        return False
    if any(len(uses[t.id]) != 1 or t.attrs != first.attrs for t in terms):
        return False       # (a Sum read twice, even by this node, is computed anyway)
    x = first.inputs[0]
    return all(same_shape(t.inputs[0], x) and t.inputs[0].dtype is x.dtype for t in terms)


def run(prog: Program) -> bool:
    uses = prog.consumers()
    mapping = {}
    for node in prog.nodes:
        if node.type not in _ADDS or not _joinable(node, uses):
            continue
        terms = [v.op for v in node.inputs]
        added = new_node("AddN", [t.inputs[0] for t in terms], {}, node.origin).outputs[0]
        joined = new_node("Sum", [added], dict(terms[0].attrs), node.origin).outputs[0]
        out = node.outputs[0]
        if same_shape(joined, out) and joined.dtype is out.dtype:
            mapping[out] = joined
    if mapping:
        prog.replace_uses(mapping)
        prog.toposort()
    return bool(mapping)
