"""Copying a body's ops into the current graph (gradients re-run a body on recorded inputs)."""
from __future__ import annotations

from typing import Sequence

from graphc.control_flow.func_graph import kept_outputs
from graphc.graph import Tensor, get_default_graph
from graphc.ops.core import OPS
from graphc.traversal import postorder


REPLAYING = ("If", "While")   # region ops that can take their recorded draws as inputs (attr ``replay``)


class Recording:
    """A While op's flag: record each iteration's kept draws and loop vars (set once a gradient
    needs them). ``values``: the loop vars whose values a gradient reads; the others' stacks are
    zero-cost stand-ins of the right shape (a TensorArray buffer the body only writes is read by
    its gradient for its shape alone, and recording its every version would cost O(T^2) memory).
    ``saved``: tensors of the body (intermediates) its gradient reads instead of recomputing them;
    the loop has one more output per saved tensor, its value in each iteration (appended when a
    gradient is built, so a copy of the loop keeps the list and the outputs)."""

    def __init__(self, saved: Sequence[Tensor] = ()) -> None:
        self.on = False
        self.values: set = set()
        self.saved: list = list(saved)

    def __repr__(self) -> str:
        return f"Recording(on={self.on}, values={sorted(self.values)}, saved={len(self.saved)})"


def _fresh(value):
    """An attr value for a copied op: a loop's recording flag is its own (with the same saved tensors)."""
    return Recording(value.saved) if isinstance(value, Recording) else value


def clone(body, input_map: dict, targets: Sequence[Tensor]) -> dict:
    """Copies the ops of ``body`` that ``targets`` need into the default graph.

    ``input_map`` maps body tensors (its placeholders, and any tensor to replace, such as recorded
    random draws) to tensors usable in the default graph. A cond or loop whose kept draws are in
    the map is copied in replay mode: it takes them as inputs and draws nothing. Returns the map extended to every copied
    tensor. A placeholder of ``body`` that ``targets`` need must be in ``input_map``.
    """
    mapping = dict(input_map)
    graph = get_default_graph()

    def deps(op):
        if op.outputs and all(t in mapping for t in op.outputs):
            return []
        return [t.op for t in op.inputs if t not in mapping] + list(op.control_inputs)
    roots = [t.op for t in targets if t not in mapping]
    copied: dict = {}
    for op in postorder(roots, deps, key=lambda op: op):
        if op.outputs and all(t in mapping for t in op.outputs):
            continue
        if op.type == "Placeholder":
            raise ValueError(f"clone: body input {op.name} of {body!r} has no value in the input map")
        ins = [mapping[t] for t in op.inputs]
        ctrl = [copied[c] for c in op.control_inputs if c in copied]
        attrs = {k: _fresh(v) for k, v in op.attrs.items()}
        replayed = [t for t in kept_outputs(op) if t in mapping]
        if replayed and op.type in REPLAYING and not attrs.get("replay"):
            # a cond or loop whose draws were recorded: the copy takes them as inputs instead of drawing
            ins += [mapping[t] for t in kept_outputs(op)]
            attrs["replay"] = True
        specs = OPS[op.type].infer(ins, attrs)
        base = op.name.rsplit("/", 1)[-1]
        with graph.control_dependencies(ctrl):
            new = graph.create_op(op.type, tuple(ins), attrs, specs, base)
        for t, n in zip(op.outputs, new.outputs):   # what set_shape added to the original's shapes
            if t.shape.is_compatible_with(n.shape) and t.shape != n.shape:
                n.set_shape(t.shape)
        copied[op] = new
        mapping.update((t, n) for t, n in zip(op.outputs, new.outputs) if t not in mapping)
    return mapping
