"""The compiler's IR: a pure dataflow program built from a RunPlan, separate from the user's graph.

Variable state is made explicit: each variable read becomes a ``ReadVariable`` node (the value at
the start of the run) or the value an assign produced, and each assign becomes ordinary
computation whose result is a program output (the variable's new value). Control edges have
done their work (they decided which reads see which assigns) and disappear. Passes rewrite this
IR; they never touch the user's graph.

``Node``/``Value`` quack like ``Operation``/``Tensor`` (``.type``, ``.attrs``, ``.inputs``,
``.outputs``; ``.op``, ``.dtype``, ``.shape``, ``.name``), so each op's ``infer`` rule and helpers
such as ``constant_value`` work on the IR unchanged.
"""
from __future__ import annotations

import itertools
from typing import Any, Optional, Sequence

import numpy as np

from graphc import errors
from graphc.ops.core import OPS, OpKind
from graphc.ops.state import ASSIGN_UPDATES, STATE_READ
from graphc.passes.run_plan import RunPlan, shape_mismatch, update_shape_mismatch
from graphc.shape import TensorShape
from graphc.traversal import postorder

FEED = "Feed"
READ_VARIABLE = "ReadVariable"
_ids = itertools.count()
# assign -> the primitive that computes the new value from (current, operand)
_ASSIGN_AS_OP = {"Assign": None, "AssignAdd": "Add", "AssignSub": "Sub"}


class Value:
    """One output of a Node (the IR's Tensor)."""

    __slots__ = ("op", "value_index", "dtype", "shape")

    def __init__(self, node: "Node", index: int, dtype, shape: TensorShape) -> None:
        self.op = node
        self.value_index = index
        self.dtype = dtype
        self.shape = shape

    @property
    def name(self) -> str:
        if self.op.type == FEED:
            return self.op.name          # the fed tensor's own name
        return f"{self.op.name}:{self.value_index}"

    def __repr__(self) -> str:
        return f"%{self.op.id}:{self.value_index}"


class Node:
    """One IR operation. ``origin`` is the user-graph op it came from (for messages and dumps)."""

    __slots__ = ("id", "type", "inputs", "attrs", "outputs", "origin", "name")

    def __init__(self, op_type: str, inputs: Sequence[Value], attrs: dict, specs: list,
                 origin: Any = None, name: Optional[str] = None) -> None:
        self.id = next(_ids)
        self.type = op_type
        self.inputs = tuple(inputs)
        self.attrs = attrs
        self.outputs = [Value(self, i, dt, TensorShape(sh)) for i, (dt, sh) in enumerate(specs)]
        self.origin = origin
        self.name = name or (origin.name if origin is not None else f"{op_type}_{self.id}")

    @property
    def kind(self) -> OpKind:
        if self.type in (FEED, READ_VARIABLE):
            return OpKind.SOURCE
        return OPS[self.type].kind

    def __repr__(self) -> str:
        ins = ", ".join(repr(v) for v in self.inputs)
        return f"%{self.id} = {self.type}({ins})"


def new_node(op_type: str, inputs: Sequence[Value], attrs: dict, origin: Any = None,
             name: Optional[str] = None) -> Node:
    """A node of a registered op type, its outputs inferred by the op's own rule.

    Shapes here come from the fed values, so a shape the op rejects is a run-time error
    (InvalidArgumentError, as the eager executor reports it), not a graph-building one.
    """
    try:
        specs = OPS[op_type].infer(list(inputs), attrs)
    except (ValueError, TypeError) as e:
        what = origin.name if origin is not None else op_type
        shapes = ", ".join(str(v.shape) for v in inputs)
        raise errors.InvalidArgumentError(None, origin, (
            f"node '{what}' (op {op_type}) cannot run on inputs of shapes [{shapes}] "
            f"(from the fed values): {e}"
            + (f"; created at {origin.creation_site}" if getattr(origin, "creation_site", None) else ""))) from None
    return Node(op_type, inputs, attrs, specs, origin, name)


def const_node(value: np.ndarray, dtype, origin: Any = None) -> Node:
    value = np.asarray(value, dtype=dtype.np_type)
    value.flags.writeable = False
    return Node("Const", (), {"value": value, "dtype": dtype}, [(dtype, value.shape)], origin)



def format_constant(value: np.ndarray, max_elements: int = 8) -> str:
    """A constant as it would be written: each number the shortest text that reads back to the same
    value of its dtype (``0.1`` for float32 0.1, not ``0.10000000149011612``); large ones by size."""
    v = np.asarray(value)
    if v.size > max_elements:
        return f"<{v.size} {v.dtype.name} elements, shape {list(v.shape)}>"

    def text(x: np.ndarray) -> str:   # numpy's str of a scalar is the shortest round-trip repr
        return str(x[()]) if x.ndim == 0 else "[" + ", ".join(text(e) for e in x) + "]"
    return text(v)

class Program:
    """A dataflow program: inputs (feeds, variable reads), nodes, outputs (fetches, variable updates)."""

    def __init__(self) -> None:
        self.feeds: list = []        # Feed nodes, in feed order
        self.reads: dict = {}        # variable op -> ReadVariable node
        self.fetches: list = []      # Values, in fetch order
        self.fetch_names: list = []  # the fetched tensors' TF names, in fetch order (for dumps)
        self.updates: dict = {}      # variable op -> Value of its new value
        self.effects: list = []      # impure nodes the run needs that nothing reads (a Print in a control dependency)
        self.nodes: list = []        # topological order (rebuilt by `toposort`)

    def outputs(self) -> list:
        return list(self.fetches) + list(self.updates.values())

    def toposort(self) -> None:
        """Recomputes ``nodes``: everything the outputs and the effects need, producers first; feeds
        and variable reads nothing needs are dropped (a loop's cond is fed every loop var and capture
        and reads a few; executables bind feeds by their ``slot``)."""
        order = postorder([v.op for v in self.outputs()] + self.effects, lambda node: [v.op for v in node.inputs],
                          key=lambda node: node.id)
        seen = {node.id for node in order}
        self.nodes = order
        self.feeds = [n for n in self.feeds if n.id in seen]
        self.reads = {var: n for var, n in self.reads.items() if n.id in seen}

    def consumers(self) -> dict:
        """node id -> list of consuming nodes (outputs count as consumers named None)."""
        users: dict = {n.id: [] for n in self.nodes}
        for n in self.nodes:
            for v in n.inputs:
                users[v.op.id].append(n)
        for v in self.outputs():
            users[v.op.id].append(None)
        return users

    def replace_uses(self, mapping: dict) -> None:
        """Rewires every use of Value ``old`` to ``mapping[old]`` (keys: Values)."""
        if not mapping:
            return

        def sub(v: Value) -> Value:
            while v in mapping:
                v = mapping[v]
            return v
        for n in self.nodes:
            if any(v in mapping for v in n.inputs):
                n.inputs = tuple(sub(v) for v in n.inputs)
        self.fetches = [sub(v) for v in self.fetches]
        self.updates = {k: sub(v) for k, v in self.updates.items()}
        # a node whose outputs a pass replaced was substituted by what it computes, effects included
        # (a folded or inlined If): it is no longer an effect root of its own
        self.effects = [n for n in self.effects if not any(v in mapping for v in n.outputs)]

    def dump(self) -> str:
        """A readable listing, one node per line."""
        lines = []
        for n in self.nodes:
            outs = ", ".join(f"{o.dtype.name}{o.shape}" for o in n.outputs)
            extra = ""
            if n.type == "Const":
                v = n.attrs["value"]
                extra = f" value={format_constant(v)}"
            elif n.type in (FEED, READ_VARIABLE):
                extra = f" {n.name}"
            attrs = {k: a for k, a in n.attrs.items() if k not in ("value", "dtype", "variable")}
            lines.append(f"{n!r} -> {outs}{extra}{' ' + str(attrs) if attrs else ''}   # {n.name}")
        for i, v in enumerate(self.fetches):
            name = self.fetch_names[i] if len(self.fetch_names) == len(self.fetches) else ""
            lines.append(f"fetch {i} {name}: {v!r}" if name else f"fetch {i}: {v!r}")
        for var, v in self.updates.items():
            lines.append(f"update {var.name}: {v!r}")
        return "\n".join(lines)


def _feed_shape(static: TensorShape, runtime: Optional[tuple]) -> TensorShape:
    """The compile-time shape of a feed: its runtime shape when known (executables are keyed on it).

    Generated kernels must still depend only on ranks, dtypes and which dims are 1, never on
    sizes, so that a new batch size re-plans (cheap) but compiles nothing new.
    """
    if runtime is None:
        return static
    return TensorShape(runtime)


def _check_delta_shape(op: Any, var_shape: TensorShape, delta_shape: TensorShape) -> None:
    if var_shape.is_fully_defined() and delta_shape.is_fully_defined() and var_shape.as_list() != delta_shape.as_list():
        raise update_shape_mismatch(op, tuple(var_shape.as_list()), tuple(delta_shape.as_list()))


def build(plan: RunPlan, feed_shapes: Optional[Sequence[tuple]] = None) -> Program:
    """Lowers a RunPlan to a Program; ``feed_shapes`` (runtime shapes of the feeds) make shapes concrete."""
    prog = Program()
    env: dict = {}  # user Tensor -> Value
    for i, t in enumerate(plan.feeds):
        shape = _feed_shape(t.shape, feed_shapes[i] if feed_shapes else None)
        node = Node(FEED, (), {"slot": i}, [(t.dtype, shape)], origin=t.op, name=t.name)
        prog.feeds.append(node)
        env[t] = node.outputs[0]

    def read(var_op) -> Value:
        if var_op not in prog.reads:
            t = var_op.outputs[0]
            value_shape = plan.read_shapes.get(var_op)    # a validate_shape=False assign reshaped it
            shape = t.shape if value_shape is None else TensorShape(value_shape)
            prog.reads[var_op] = Node(READ_VARIABLE, (), {"variable": var_op}, [(t.dtype, shape)],
                                      origin=var_op, name=var_op.name)
        return prog.reads[var_op].outputs[0]

    for op in plan.ops:
        if op.type == STATE_READ or OPS[op.type].kind is OpKind.CONTROL:
            continue
        ins = []
        for i, t in enumerate(op.inputs):
            if op.type == "Assign" and i == 0:
                ins.append(None)  # overwritten, never read
            elif (op, i) in plan.read_source:
                src = plan.read_source[(op, i)]
                ins.append(read(t.op) if src is None else env[src.outputs[0]])
            elif t in env:
                ins.append(env[t])
            else:
                raise KeyError(f"IR build: {t.name} (input {i} of {op.name}) was not computed")
        if op.type in ASSIGN_UPDATES:
            prim = _ASSIGN_AS_OP[op.type]
            if prim is None:
                value = ins[1]
            else:
                _check_delta_shape(op, ins[0].shape, ins[1].shape)
                value = new_node(prim, [ins[0], ins[1]], {}, origin=op).outputs[0]
            checked = plan.validated_shapes.get(op.inputs[0].op)
            if checked is not None and value.shape.is_fully_defined() and tuple(value.shape.as_list()) != checked[0]:
                raise shape_mismatch(op, checked[0], tuple(value.shape.as_list()))
            env[op.outputs[0]] = value
            prog.updates[op.inputs[0].op] = value
            continue
        node = new_node(op.type, ins, dict(op.attrs), origin=op)
        if not OPS[op.type].pure:
            prog.effects.append(node)       # runs as TF1 runs it even when only a control edge leads to it
        for t, v in zip(op.outputs, node.outputs):
            env[t] = v
    for t in plan.fetches:
        prog.fetches.append(env[t] if t in env else read(t.op))
        prog.fetch_names.append(t.name)
    prog.toposort()
    return prog
