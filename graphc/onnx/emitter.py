"""What an ONNX conversion rule writes into: nodes, initializers and the names of graphc tensors.

A rule (``graphc/onnx/rules*.py``, joined in ``table.py``) reads its graphc op's inputs with ``e.inp(op, i)`` (the ONNX name
of input ``i``), writes ONNX nodes with ``e.node(...)`` and constants with ``e.const(...)``, and its
last nodes write the names ``e.out(op, i)``: each graphc tensor keeps its TF name (``dense/MatMul:0``)
in the ONNX graph, so a model can be read against the graph it came from. Helper values get unique
names under the op's (``dense/MatMul/transpose_a``). A region's body is written by a child emitter
(``e.child()``): its own nodes, the same namespace (ONNX wants every name assigned once) and
initializers, and the enclosing graphs' values readable by name.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from graphc import dtypes
from graphc.graph import Graph, Operation, Tensor
from graphc.ops.state import STATE_READ
from graphc.traversal import postorder


class UnsupportedOpError(ValueError):
    """A graphc op that the ONNX exporter cannot write (no ONNX mapping, or an attr it cannot express)."""


def tensor_type(onnx: Any, dtype: dtypes.DType, what: str) -> int:
    """The ONNX ``TensorProto`` element type of a graphc dtype."""
    try:
        return int(onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype.np_type)))
    except (KeyError, TypeError, ValueError):
        raise UnsupportedOpError(f"{what} has dtype {dtype.name}, which ONNX has no tensor type for") from None


def ops_between(inputs: Sequence[Tensor], outputs: Sequence[Tensor]) -> list:
    """The ops ``outputs`` need, after their inputs; the graph is cut at ``inputs``."""
    fed = set(inputs)
    return [op for op in postorder([t.op for t in outputs],
                                   lambda op: [t.op for t in op.inputs if t not in fed])
            if not all(t in fed for t in op.outputs)]


def subgraphs(op: Operation) -> dict:
    """A region op's bodies by attr name (``then_branch``, ``body``, ...): its graph-valued attrs."""
    return {name: value for name, value in op.attrs.items() if isinstance(value, Graph)}


class Emitter:
    """The ONNX graph being written: ``nodes`` in order, ``initializers``, and names for graphc tensors."""

    def __init__(self, onnx: Any, opset: int, rules: Optional[dict] = None, parent: Optional["Emitter"] = None) -> None:
        self.onnx, self.opset = onnx, opset
        self.rules: dict = rules if rules is not None else (parent.rules if parent is not None else {})
        self.nodes: list = []
        # a subgraph's constants are written as the main graph's initializers, which it sees by name
        self.initializers: list = parent.initializers if parent is not None else []
        self._names: dict = {}          # graphc Tensor -> ONNX value name
        self._pending: dict = {}        # graphc Tensor -> the value of its initializer, until first read
        self._used: set = parent._used if parent is not None else set()   # one namespace: ONNX wants SSA
        self.parent = parent

    def child(self) -> "Emitter":
        """An emitter for a subgraph (a branch or loop body): its own nodes, the same names and initializers."""
        return Emitter(self.onnx, self.opset, parent=self)

    # names -------------------------------------------------------------------------------------

    def unique(self, base: str) -> str:
        name, i = base, 0
        while name in self._used:
            i += 1
            name = f"{base}_{i}"
        self._used.add(name)
        return name

    def bind(self, t: Tensor, name: str) -> None:
        """Records that graphc tensor ``t`` is the ONNX value ``name``."""
        self._names[t] = name
        self._used.add(name)

    def name_of(self, t: Tensor) -> str:
        """The ONNX name of graphc tensor ``t``: this graph's, else an enclosing graph's (which a subgraph sees)."""
        if t in self._pending:
            self._write_initializer(t, self._pending.pop(t))
        if t not in self._names and self.parent is not None:
            return self.parent.name_of(t)
        if t not in self._names:
            raise UnsupportedOpError(f"{t.name} has no ONNX value: it is an output the exporter does not write (a "
                                     f"while loop's per-iteration stacks, a region's kept random draws: what only "
                                     "gradients read); export the inference graph")
        return self._names[t]

    def write_ops(self, ops: Sequence[Operation], values: Optional[dict] = None) -> None:
        """Writes ``ops`` (in execution order) with their rules; a constant, or a variable read whose value
        is in ``values``, becomes an initializer."""
        for op in ops:
            if op.type == "Const":
                self.initializer(op.outputs[0], op.attrs["value"])
            elif op.type == STATE_READ and values is not None and op in values:
                self.initializer(op.outputs[0], np.asarray(values[op]))
            else:
                try:
                    self.rules[op.type](self, op)
                except UnsupportedOpError:
                    raise
                except (KeyError, TypeError, ValueError) as err:
                    raise UnsupportedOpError(f"Cannot export operation '{op.name}' ({op.type}) to ONNX: {err}") from err

    def inp(self, op: Operation, index: int = 0) -> str:
        """The ONNX name of ``op``'s input ``index``."""
        try:
            return self.name_of(op.inputs[index])
        except UnsupportedOpError as err:
            raise UnsupportedOpError(f"Cannot export operation '{op.name}' ({op.type}): its input {err}") from None

    def out(self, op: Operation, index: int = 0) -> str:
        """The name the rule's result for ``op.outputs[index]`` must have: the tensor's TF name."""
        t = op.outputs[index]
        if t not in self._names:
            self.bind(t, self.unique(t.name))
        return self._names[t]

    # nodes and constants -----------------------------------------------------------------------

    def node(self, op_type: str, inputs: Sequence[str], op: Operation, hint: str = "",
             outputs: Optional[Sequence[str]] = None, **attrs: Any) -> str:
        """Adds an ONNX node for graphc ``op`` (``hint`` names a helper); returns its first output's name
        (a fresh helper name unless ``outputs`` gives them)."""
        base = f"{op.name}/{hint}" if hint else op.name
        outs = list(outputs) if outputs is not None else [self.unique(base)]
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), outs, name=self.unique(f"{base}#node"),
                                                     **attrs))
        return outs[0]

    def const(self, value: Any, op: Operation, hint: str, dtype: Any = None) -> str:
        """An initializer holding ``value`` (as ``dtype``), named under ``op``; returns its name."""
        array = np.asarray(value, dtype=dtype)
        name = self.unique(f"{op.name}/{hint}")
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def int64s(self, values: Sequence[int], op: Operation, hint: str) -> str:
        """A 1-D int64 initializer (axes, shapes, pads: what ONNX takes as inputs)."""
        return self.const(np.array(list(values), dtype=np.int64), op, hint)

    def initializer(self, t: Tensor, value: np.ndarray) -> None:
        """``t`` (a constant or a variable's value) as an initializer under the tensor's own name, written
        when a node first reads it (a constant that only gives a rule its static axes or sizes is not)."""
        self._pending[t] = value

    def _write_initializer(self, t: Tensor, value: np.ndarray) -> None:
        name = self.unique(t.name)
        array = np.asarray(value)
        if array.dtype.kind in "SUO":
            array = np.array([v.encode() if isinstance(v, str) else v for v in array.ravel()],
                             dtype=object).reshape(array.shape)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        self.bind(t, name)

    def reduce(self, onnx_type: str, x: str, axes: Sequence[int], op: Operation, hint: str, keepdims: int = 0) -> str:
        """``onnx_type`` (ReduceMax, ReduceSum, ...) over ``axes``: an input from opset 18 (ReduceSum: 13),
        an attr before."""
        if self.opset >= 18 or onnx_type == "ReduceSum":
            return self.node(onnx_type, [x, self.int64s(list(axes), op, f"{hint}_axes")], op, hint, keepdims=keepdims)
        return self.node(onnx_type, [x], op, hint, keepdims=keepdims, axes=list(axes))

    def dims(self, name: str, op: Operation, hint: str, start: int = 0, end: Optional[int] = None) -> str:
        """``Shape(name)[start:end]`` as int64 (Shape's start/end attrs are opset 15: a Slice before)."""
        if self.opset >= 15:
            attrs = {"start": start} if end is None else {"start": start, "end": end}
            return self.node("Shape", [name], op, hint, **attrs)
        shape = self.node("Shape", [name], op, f"{hint}_shape")
        bounds = [self.int64s([start], op, f"{hint}_start"), self.int64s([np.iinfo(np.int64).max if end is None else end],
                                                                          op, f"{hint}_end")]
        return self.node("Slice", [shape, *bounds], op, hint)

    def value_info(self, t: Tensor, name: str) -> Any:
        """The ONNX type of graphc tensor ``t`` under ``name``: its dtype and what is known of its shape."""
        dims = t.shape.as_tuple()
        return self.onnx.helper.make_tensor_value_info(name, tensor_type(self.onnx, t.dtype, t.name),
                                                       None if dims is None else list(dims))

    def cast(self, name: str, dtype: dtypes.DType, op: Operation, hint: str = "cast",
             outputs: Optional[Sequence[str]] = None) -> str:
        return self.node("Cast", [name], op, hint, outputs=outputs, to=tensor_type(self.onnx, dtype, op.name))


__all__ = ["Emitter", "UnsupportedOpError", "tensor_type"]
