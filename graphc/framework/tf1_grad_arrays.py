"""TF1's gradient TensorArrays (``TensorArrayGradV3``) rewritten as TensorArrays whose flow is threaded as
a value, before ``tf1_frames`` functionalizes the frames.

TensorFlow looks a gradient array up by (forward array, ``source``): every ``TensorArrayGradV3`` of one
pair is the same resource, and its flows only order the ops. graphc's TensorArray is a value (the flow is
the buffer, ``tensor_array_table``), so each pair becomes one ``TensorArrayV3`` node (``<source>/<array>
/grad_array``, the forward array's size, dtype and element shape) and each ``TensorArrayGradV3`` an
``Identity`` of its handle (through an ``Enter`` copying the frame of the one it read). The flow each
gradient op reads (TF's ``gradient_flow``, an Identity of the flow TF passed to ``grad()``) is then:

- the flow TF passed, when it already comes from a gradient array's op (TF threads the gradient of a
  forward flow through the backward loop as a loop var, e.g. a scatter's flow into the loop reading it);
- the accumulated flow, for a write inside a gradient frame whose flow TF sums into a ``b_acc`` loop var
  (the gradient of a forward loop's constant flow): the write reads that loop var's value and the sum
  becomes the write's flow, the accumulator starting at the new array's flow;
- the new array's flow, for the first op on the array outside any frame (TF passed a forward flow).

Any other gradient array is refused with what to do.
"""
from __future__ import annotations

from typing import Any, Optional

from graphc.framework.attr_values import AttrValue
from graphc.framework.protos import NodeDef

_FLOW_OPS = frozenset({"TensorArrayWriteV3", "TensorArrayScatterV3", "TensorArraySplitV3", "TensorArrayReadV3",
                       "TensorArrayGatherV3", "TensorArrayConcatV3", "TensorArraySizeV3"})
_FLOW_OUT = frozenset({"TensorArrayWriteV3", "TensorArrayScatterV3", "TensorArraySplitV3"})
# what a flow passes through on its way to a gradient op (TF sums flows in b_acc accumulators)
_PASS = frozenset({"Identity", "Enter", "Exit", "Switch", "NextIteration", "Merge", "RefEnter", "RefExit",
                   "RefSwitch", "RefMerge", "RefNextIteration", "Add", "AddV2", "AddN"})


def _name(ref: str) -> str:
    return ref.lstrip("^").partition(":")[0]


def _data(node: Any) -> list:
    return [i for i in node.input if not i.startswith("^")]


def _control(node: Any) -> list:
    return [i for i in node.input if i.startswith("^")]


def _node(name: str, op: str, inputs: list, attrs: dict) -> Any:
    node = NodeDef(name=name, op=op, input=inputs)
    for k, v in attrs.items():
        node.attr[k].CopyFrom(v)
    return node


class _Graph:
    def __init__(self, nodes: list) -> None:
        self.nodes = nodes
        self.by_name = {n.name: n for n in nodes}
        self.consumers: dict = {}
        for n in nodes:
            for ref in n.input:
                self.consumers.setdefault(_name(ref), []).append(n)

    def through_enter(self, ref: str) -> Optional[Any]:
        node = self.by_name.get(_name(ref))
        while node is not None and node.op in ("Enter", "RefEnter"):
            node = self.by_name.get(_name(node.input[0]))
        return node

    def is_gradient_flow(self, ref: str, grads: set, new_arrays: set) -> bool:
        """Whether the flow ``ref``, walked up through flows, comes from an op on a gradient array."""
        seen, todo = set(), [_name(ref)]
        while todo:
            name = todo.pop()
            node = self.by_name.get(name)
            if name in seen or node is None:
                continue
            seen.add(name)
            if name in new_arrays:
                return True
            if node.op in _FLOW_OPS:
                handle = self.through_enter(node.input[0])
                if handle is not None and handle.name in grads:
                    return True
                todo.append(_name(node.input[-1]))
            elif node.op in _PASS:
                todo.extend(_name(i) for i in _data(node))
        return False


def _accumulator(g: _Graph, write: Any) -> Optional[tuple]:
    """``(Add, its Switch ref, the accumulator's Enter)`` when TF sums ``write``'s flow into a b_acc loop var."""
    for add in g.consumers.get(write.name, []):
        if add.op not in ("Add", "AddV2") or len(_data(add)) != 2:
            continue
        other = next(r for r in _data(add) if _name(r) != write.name)
        switch = g.by_name.get(_name(other))
        merge = g.by_name.get(_name(switch.input[0])) if switch is not None and switch.op == "Switch" else None
        if merge is None or merge.op != "Merge":
            continue
        enter = next((g.by_name[_name(r)] for r in _data(merge) if g.by_name[_name(r)].op == "Enter"), None)
        if enter is not None and not enter.attr["is_constant"].b:
            return add, other, enter
    return None


def _refuse(node: Any, why: str) -> ValueError:
    return ValueError(f"Cannot import node '{node.name}' (TensorArrayGradV3): {why}. Export the graph without its "
                      "gradients (the forward model, or a frozen inference graph), import that, and build the "
                      "gradients and training ops in graphc.")


def rewrite(nodes: list) -> list:
    """``nodes`` with TF1's gradient TensorArrays as threaded TensorArrays (module docstring)."""
    grads = [n for n in nodes if n.op == "TensorArrayGradV3"]
    if not grads:
        return nodes
    g = _Graph(nodes)
    grad_names = {n.name for n in grads}
    groups: dict = {}
    for n in grads:
        forward = g.through_enter(n.input[0])
        if forward is None or forward.op != "TensorArrayV3":
            raise _refuse(n, "its handle does not come from a TensorArrayV3 node")
        if any(_name(r) == n.name and r.partition(":")[2] not in ("", "0") for c in g.consumers.get(n.name, [])
               for r in c.input if not r.startswith("^")):
            raise _refuse(n, "a node reads its flow output")
        groups.setdefault((forward.name, n.attr["source"].s.decode()), []).append(n)
    replaced: dict = {}
    added: list = []
    new_arrays: set = set()
    users: list = []        # (gradient op, its array node)
    for (forward_name, source), members in groups.items():
        forward = g.by_name[forward_name]
        array_name = f"{source}/{forward_name}/grad_array"
        array = _node(array_name, "TensorArrayV3", [forward.input[0]], {
            "dtype": forward.attr["dtype"], "element_shape": forward.attr["element_shape"],
            "dynamic_size": forward.attr["dynamic_size"], "clear_after_read": AttrValue(b=False),
            "identical_element_shapes": AttrValue(b=False), "tensor_array_name": AttrValue(s=b"")})
        added.append(array)
        new_arrays.add(array_name)
        for n in members:
            handle_in = g.by_name[_name(n.input[0])]
            handle = array_name
            if handle_in.op in ("Enter", "RefEnter"):
                enter = NodeDef()
                enter.CopyFrom(handle_in)
                enter.name = f"{n.name}/grad_array_enter"
                del enter.input[:]
                enter.input.append(array_name)
                added.append(enter)
                handle = enter.name
            replaced[n.name] = _node(n.name, "Identity", [handle] + _control(n), {"T": AttrValue(type=20)})
            users += [(c, array) for c in g.consumers.get(n.name, [])
                      if c.op in _FLOW_OPS and _name(c.input[0]) == n.name]
    for op, array in users:
        flow_node = g.by_name[_name(op.input[-1])]
        if flow_node.op != "Identity":
            raise _refuse(op, "its flow is not TF's gradient_flow Identity")
        passed = _data(flow_node)[0]
        acc = _accumulator(g, op) if op.op in _FLOW_OUT else None
        if acc is not None:
            add, switch_ref, enter = acc
            replaced[flow_node.name] = _node(flow_node.name, "Identity", [switch_ref] + _control(flow_node),
                                             {"T": flow_node.attr["T"]})
            replaced[add.name] = _node(add.name, "Identity", [op.name] + _control(add), {"T": add.attr["T"]})
            started = NodeDef()
            started.CopyFrom(enter)
            del started.input[:]
            started.input.extend([f"{array.name}:1"] + _control(enter))
            replaced[enter.name] = started
        elif not g.is_gradient_flow(passed, grad_names, new_arrays):
            if replaced[_name(op.input[0])].input[0] != array.name:
                raise _refuse(op, "it is the first op on its gradient array inside a loop frame, with no "
                                  "accumulated flow to thread")
            replaced[flow_node.name] = _node(flow_node.name, "Identity", [f"{array.name}:1"] + _control(flow_node),
                                             {"T": flow_node.attr["T"]})
    return [replaced.get(n.name, n) for n in nodes] + added


__all__ = ["rewrite"]
