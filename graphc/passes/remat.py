"""Rematerialization: a broadcast of one element gets its own copy in each consumer.

CSE merges equal broadcasts (every ``zeros_like`` of one shape is one node); the fusion planner
then computes the broadcast in one kernel and materializes a full-size buffer that the other
kernels read back. Broadcasting one element costs nothing inside a kernel, so after the
fixed-point passes (CSE would merge the copies again) each consuming node gets its own copy,
which fuses into its kernel: no buffer, no extra memory traffic.
"""
from __future__ import annotations

from graphc.passes.ir import Program, new_node

CHEAP_BROADCASTS = ("BroadcastTo",)


def _one_element(node) -> bool:
    shape = node.inputs[0].shape
    return shape.is_fully_defined() and all(d == 1 for d in shape.as_tuple())


def run(prog: Program) -> bool:
    """Gives every consumer but the first its own copy of each one-element broadcast; True if any."""
    users = prog.consumers()
    outputs = {id(v) for v in prog.outputs()}
    mapping_per_user: list = []
    for node in prog.nodes:
        if node.type not in CHEAP_BROADCASTS or not _one_element(node):
            continue
        consumers = [u for u in dict.fromkeys(users[node.id]) if u is not None]
        # the first consumer keeps the original, unless a fetch or variable update holds it
        rewired = consumers if id(node.outputs[0]) in outputs else consumers[1:]
        for user in rewired:
            copy = new_node(node.type, node.inputs, dict(node.attrs), node.origin, node.name)
            mapping_per_user.append((user, node.outputs[0], copy.outputs[0]))
    for user, old, new in mapping_per_user:
        user.inputs = tuple(new if v is old else v for v in user.inputs)
    if mapping_per_user:
        prog.toposort()
    return bool(mapping_per_user)
