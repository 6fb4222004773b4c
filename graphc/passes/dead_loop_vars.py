"""Marks the loop variables of a ``While`` node that nothing needs: the body need not compute them.

A loop variable is dead when the run reads neither its final value nor its recorded history, the
condition does not read it, and the body reads it only to compute its own next value (or other dead
variables'), and computing its new value runs no impure op (a ``py_func``, a ``Print``, an
assignment: TF1 runs those in every iteration). The classic case is the input gradient of ``dynamic_rnn`` over a fed sequence: the
gradient loop accumulates the gradient of every input row into a TensorArray (a loop variable) that
nobody asks for when training only the variables; computing it costs a buffer update and a slice
of the product per iteration.

The node's ``dead_vars`` attr lists them; ``codegen/regions.py`` then leaves them out of what the
body's executable fetches (so its plan prunes their computation) and carries each one's initial
value through unchanged. Other runners (a whole loop compiled by ``numba_loop``, Triton's loop)
may ignore the attr: they compute the variables, which nothing reads.

``forward_unchanged`` (a pass of its own) reads the final value of a loop variable the body hands
back untouched (its output is its input placeholder) as the variable's initial value: the gradient
loop of ``dynamic_rnn`` carries such a zero accumulator for a weight whose gradient is one product
hoisted out of the loop (``control_flow/hoist.py``), and the product then added it, a pass over the
weight's size, and kept the SGD update out of ``codegen/product_update.py``'s one GEMM.
"""
from __future__ import annotations

from graphc.control_flow.func_graph import ops_needed
from graphc.ops.core import OPS
from graphc.ops.state import ASSIGN_UPDATES
from graphc.passes.ir import Program


def _impure(op) -> bool:
    od = OPS.get(op.type)
    return op.type in ASSIGN_UPDATES or (od is not None and not od.pure)


def _dead(node, unread: set) -> tuple:
    """The loop vars of While ``node`` that are dead (see the module docstring); ``unread``: the
    positions of its outputs the program does not read."""
    n = node.attrs["num_vars"]
    body, cond = node.attrs["body"], node.attrs["cond"]
    in_cond = ops_needed(list(cond.outputs))
    dead = {i for i in range(n)
            if i in unread and n + 1 + i in unread and cond.inputs[i].op not in in_cond}
    record = node.attrs.get("record")
    saved = list(record.saved) if record is not None else []
    while dead:
        live = [t for j, t in enumerate(body.outputs) if j not in dead] + list(body.kept) + saved
        needed = ops_needed(live)
        still = {i for i in dead if body.inputs[i].op not in needed
                 and not any(_impure(o) for o in ops_needed([body.outputs[i]]) - needed)}
        if still == dead:
            break
        dead = still
    return tuple(sorted(dead))


def run(prog: Program) -> bool:
    changed = False
    users = None
    for node in prog.nodes:
        if node.type != "While":
            continue
        if users is None:
            users = prog.consumers()
        read = {v.value_index for v in prog.outputs() if v.op is node}
        read |= {v.value_index for user in users[node.id] if user is not None
                 for v in user.inputs if v.op is node}
        unread = set(range(len(node.outputs))) - read
        dead = _dead(node, unread)
        if dead != node.attrs.get("dead_vars", ()):
            node.attrs = dict(node.attrs, dead_vars=dead)
            changed = True
    return changed


def forward_unchanged(prog: Program) -> bool:
    """Replaces each use of a While's final loop variable whose body returns it unchanged by the
    variable's initial value (see the module docstring). A While is an effect root (an impure op),
    and stays one: it still runs, as TF1 runs it, when that variable was all the run read of it."""
    mapping: dict = {}
    for node in prog.nodes:
        if node.type != "While":
            continue
        body = node.attrs["body"]
        for i in range(node.attrs["num_vars"]):
            if body.outputs[i] is body.inputs[i]:
                mapping[node.outputs[i]] = node.inputs[i]
    if not mapping:
        return False
    used = {v for n in prog.nodes for v in n.inputs} | set(prog.outputs())
    mapping = {old: new for old, new in mapping.items() if old in used}
    if not mapping:
        return False
    effects = list(prog.effects)
    prog.replace_uses(mapping)
    prog.effects = effects
    prog.toposort()
    return True
