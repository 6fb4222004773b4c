"""TF1's while-loop gradient stacks rewritten as TensorArrays, before ``tf1_frames`` functionalizes the frames.

TF1 differentiates a loop by pushing each forward value the gradient reads on a ``StackV2`` (a
``StackPushV2`` in the forward frame, after the forward counter's increment ``f_count + 1``) and popping it
in the gradient frame (a ``StackPopV2`` after the backward counter's decrement ``b_count - 1``). A stack
pushed once and popped once per iteration is a TensorArray written at row ``f_count`` and read at row
``b_count - 1``, so each becomes a dynamic ``TensorArrayV3`` (named as the stack), its flow one more loop
var of the forward frame (``<stack>/flow_*`` Enter/Merge/Switch/NextIteration/Exit), the push a
``TensorArrayWriteV3`` and the pop a ``TensorArrayReadV3`` of that loop's final flow; a ``ControlTrigger``
is a ``NoOp``. Any other use of a stack is left for ``tf1_frames`` to refuse.
"""
from __future__ import annotations

from typing import Any, Optional

from graphc.framework.attr_values import AttrValue
from graphc.framework.protos import NodeDef

_FLOAT, _INT32 = 1, 3      # DataType DT_FLOAT, DT_INT32


def _name(ref: str) -> str:
    return ref.lstrip("^").partition(":")[0]


def _through_enter(by_name: dict, ref: str) -> Optional[Any]:
    node = by_name.get(_name(ref))
    while node is not None and node.op == "Enter":
        node = by_name.get(_name(node.input[0]))
    return node


def _control(by_name: dict, node: Any, op_type: str) -> Optional[Any]:
    """The control input of ``node`` of type ``op_type`` (the counter step a push or pop follows)."""
    found = [by_name.get(i[1:]) for i in node.input if i.startswith("^")]
    found = [f for f in found if f is not None and f.op == op_type]
    return found[0] if len(found) == 1 else None


def _node(name: str, op: str, inputs: list, attrs: dict) -> Any:
    node = NodeDef(name=name, op=op, input=inputs)
    for k, v in attrs.items():
        node.attr[k].CopyFrom(v)
    return node


def _rewrite_stack(by_name: dict, stack: Any, nodes: list) -> Optional[tuple]:
    """``(replacements by name, new nodes)`` for one stack, or None when it is not one push and one pop
    paired with TF1's counters."""
    pushes = [n for n in nodes if n.op == "StackPushV2" and _through_enter(by_name, n.input[0]) is stack]
    pops = [n for n in nodes if n.op == "StackPopV2" and _through_enter(by_name, n.input[0]) is stack]
    if len(pushes) != 1 or len(pops) != 1:
        return None
    push, pop = pushes[0], pops[0]
    step, back = _control(by_name, push, "AddV2") or _control(by_name, push, "Add"), _control(by_name, pop, "Sub")
    enter_h, enter_q = by_name.get(_name(push.input[0])), by_name.get(_name(pop.input[0]))
    counter = by_name.get(_name(step.input[0])) if step is not None else None
    if back is None or counter is None or counter.op != "Switch" or enter_h is None or enter_q is None \
            or enter_h.op != "Enter" or enter_q.op != "Enter":
        return None
    s = stack.name
    frame, loop_cond = enter_h.attr["frame_name"], counter.input[1]
    iterations = enter_h.attr["parallel_iterations"] if "parallel_iterations" in enter_h.attr else AttrValue(i=10)
    flow_t = AttrValue(type=_FLOAT)
    size = _node(f"{s}/size", "Const", [], {"dtype": AttrValue(type=_INT32)})
    size.attr["value"].tensor.dtype = _INT32
    size.attr["value"].tensor.int_val.append(0)
    array = _node(s, "TensorArrayV3", [size.name], {
        "dtype": stack.attr["elem_type"], "element_shape": AttrValue(shape={"unknown_rank": True}),
        "dynamic_size": AttrValue(b=True), "clear_after_read": AttrValue(b=False),
        "identical_element_shapes": AttrValue(b=False), "tensor_array_name": AttrValue(s=b"")})
    enter = _node(f"{s}/flow_enter", "Enter", [f"{s}:1"], {"T": flow_t, "frame_name": frame,
                                                            "is_constant": AttrValue(b=False),
                                                            "parallel_iterations": iterations})
    merge = _node(f"{s}/flow_merge", "Merge", [enter.name, f"{s}/flow_next"], {"T": flow_t, "N": AttrValue(i=2)})
    switch = _node(f"{s}/flow_switch", "Switch", [merge.name, loop_cond], {"T": flow_t})
    write = _node(push.name, "TensorArrayWriteV3", [push.input[0], step.input[0], push.input[1], f"{switch.name}:1"]
                  + [i for i in push.input[2:] if i.startswith("^")], {"T": push.attr["T"]})
    following = _node(f"{s}/flow_next", "NextIteration", [write.name], {"T": flow_t})
    leave = _node(f"{s}/flow_exit", "Exit", [switch.name], {"T": flow_t})
    enter_g = _node(f"{s}/flow_enter_grad", "Enter", [leave.name], {
        "T": flow_t, "frame_name": enter_q.attr["frame_name"], "is_constant": AttrValue(b=True),
        "parallel_iterations": enter_q.attr["parallel_iterations"] if "parallel_iterations" in enter_q.attr
        else AttrValue(i=10)})
    read = _node(pop.name, "TensorArrayReadV3", [pop.input[0], back.name, enter_g.name]
                 + [i for i in pop.input[1:] if i.startswith("^")], {"dtype": pop.attr["elem_type"]})
    return {s: array, push.name: write, pop.name: read}, [size, enter, merge, switch, following, leave, enter_g]


def rewrite(nodes: list) -> list:
    """``nodes`` with each TF1 gradient stack (one push, one pop) as a TensorArray (module docstring)."""
    if not any(n.op == "StackV2" for n in nodes):
        return nodes
    by_name = {n.name: n for n in nodes}
    replaced: dict = {}
    added: list = []
    for stack in [n for n in nodes if n.op == "StackV2"]:
        done = _rewrite_stack(by_name, stack, nodes)
        if done is not None:
            replaced.update(done[0])
            added += done[1]
    out = []
    for n in nodes:
        if n.op == "ControlTrigger":
            n = _node(n.name, "NoOp", list(n.input), {})
        out.append(replaced.get(n.name, n))
    return out + added


__all__ = ["rewrite"]
