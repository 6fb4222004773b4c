"""Wide sums as trees: an ``AddN`` of more than ``MAX_ADDN_TERMS`` terms becomes ``AddN``s of at most
that many, summed by a tree.

An ``AddN`` is one kernel whatever it reads (fusion's input cap does not split a single op), and
Numba's compile time grows faster than linearly with a kernel's argument count (type inference
and lowering of each array argument: an ``AddN`` of 200 terms took about 35 s, the 1000 terms of
the fault suite's ``large_graph/wide_1000`` 40-70 s). Capped at fusion's ``MAX_KERNEL_INPUTS``,
the partial sums of a wide sum are kernels of one shape (compiled once), like the kernels that
compute the terms.
"""
from __future__ import annotations

from graphc.passes.fusion import MAX_KERNEL_INPUTS
from graphc.passes.ir import Program, Value, new_node

MAX_ADDN_TERMS = MAX_KERNEL_INPUTS


def run(prog: Program) -> bool:
    """Splits every ``AddN`` of more than ``MAX_ADDN_TERMS`` terms; True if any was split."""
    mapping: dict = {}
    for node in prog.nodes:
        if node.type == "AddN" and len(node.inputs) > MAX_ADDN_TERMS:
            mapping[node.outputs[0]] = _tree(node)
    if not mapping:
        return False
    prog.replace_uses(mapping)
    prog.toposort()
    return True


def _tree(node) -> Value:
    """The sum of ``node``'s terms as a tree of ``AddN``s of at most ``MAX_ADDN_TERMS`` terms each."""
    terms = list(node.inputs)
    level = 0
    while len(terms) > MAX_ADDN_TERMS:
        chunks = [terms[i:i + MAX_ADDN_TERMS] for i in range(0, len(terms), MAX_ADDN_TERMS)]
        terms = [chunk[0] if len(chunk) == 1 else
                 new_node("AddN", chunk, dict(node.attrs), origin=node.origin,
                          name=f"{node.name}/sum{level}_{i}").outputs[0]
                 for i, chunk in enumerate(chunks)]
        level += 1
    return new_node("AddN", terms, dict(node.attrs), origin=node.origin, name=node.name).outputs[0]
