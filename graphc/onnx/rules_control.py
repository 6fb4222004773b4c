"""ONNX rules for control flow and TensorArrays: ``If`` (``tf.cond``, ``tf.case``) as ONNX ``If``,
``While`` (``tf.while_loop``, and so ``dynamic_rnn``, ``map_fn``, ``scan``) as ONNX ``Loop``, and the
TensorArray ops a loop carries, on their dense (buffer, written) pair.

A region body is written as an ONNX subgraph by a child emitter (``Emitter.child``): its
placeholders for captured tensors are the outer ONNX values, read by name (ONNX subgraphs see the
enclosing graphs' values), and its constants are the main graph's initializers. A TF while loop
tests its condition before each iteration; ONNX's ``Loop`` takes the first test as an input and
each iteration's body returns the next, so the condition is written once in the enclosing graph on
the initial values and once in the loop body on the new ones. The iteration count (the ``While``
op's output after the loop vars) is one more loop-carried value. The per-iteration stacks a
gradient records are not written: inference never reads them.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from graphc import dtypes
from graphc.graph import Operation, Tensor
from graphc.onnx.emitter import Emitter, UnsupportedOpError, ops_between, tensor_type


def _write_body(e: Emitter, body: Any, names: Sequence[str], outputs: Sequence[Tensor], hint: str) -> list:
    """Writes ``body``'s ops into ``e`` with its inputs bound to ``names``; returns the names of
    ``outputs`` (each a node output of ``e``: a subgraph's outputs must be computed in it)."""
    for placeholder, name in zip(body.inputs, names):
        e.bind(placeholder, name)
    e.write_ops(ops_between(body.inputs, outputs))
    return [e.node("Identity", [e.name_of(t)], t.op, f"{hint}_out") for t in outputs]


def _graph(e: Emitter, name: str, inputs: list, outputs: Sequence[str], tensors: Sequence[Tensor]) -> Any:
    infos = [e.value_info(t, n) for t, n in zip(tensors, outputs)]
    return e.onnx.helper.make_graph(e.nodes, name, inputs, infos)


def _if(e: Emitter, op: Operation) -> None:
    then, other = op.attrs["then_branch"], op.attrs["else_branch"]
    captures = [e.inp(op, 1 + i) for i in range(len(then.inputs))]
    branches = {}
    for attr, body in (("then_branch", then), ("else_branch", other)):
        child = e.child()
        outs = _write_body(child, body, captures, body.outputs, attr)
        branches[attr] = _graph(child, e.unique(f"{op.name}/{attr}"), [], outs, body.outputs)
    pred = e.inp(op)
    if op.inputs[0].shape.rank != 0:       # TF's cond takes a scalar; ONNX's If a one-element tensor
        pred = e.node("Reshape", [pred, e.int64s([], op, "scalar")], op, "pred")
    e.node("If", [pred], op, outputs=[e.out(op, i) for i in range(len(then.outputs))], **branches)


def _while(e: Emitter, op: Operation) -> None:
    cond, body, n = op.attrs["cond"], op.attrs["body"], int(op.attrs["num_vars"])
    initial = [e.inp(op, i) for i in range(n)]
    captures = [e.inp(op, i) for i in range(n, len(op.inputs))]
    first_test = _write_body(e, cond, initial + captures, cond.outputs, "cond")[0]

    child = e.child()
    iteration = child.unique(f"{op.name}/iteration")
    test_in = child.unique(f"{op.name}/cond_in")
    count_in = child.unique(f"{op.name}/count_in")
    var_names = [child.unique(f"{t.name}_in") for t in body.inputs[:n]]
    new_values = _write_body(child, body, var_names + captures, body.outputs, "body")
    test = _write_body(child, cond, new_values + captures, cond.outputs, "next_cond")[0]     # on the new values
    count = child.node("Add", [count_in, child.const(np.int32(1), op, "one")], op, "count")
    int64 = tensor_type(e.onnx, dtypes.int64, op.name)
    inputs = [e.onnx.helper.make_tensor_value_info(iteration, int64, []),
              e.onnx.helper.make_tensor_value_info(test_in, tensor_type(e.onnx, dtypes.bool_, op.name), []),
              e.onnx.helper.make_tensor_value_info(count_in, tensor_type(e.onnx, dtypes.int32, op.name), []),
              *[child.value_info(t, name) for t, name in zip(body.inputs[:n], var_names)]]
    outputs = [test, count, *new_values]
    graph = _graph(child, e.unique(f"{op.name}/body"), inputs, outputs,
                   [cond.outputs[0], op.outputs[n], *body.outputs])
    e.node("Loop", ["", first_test, e.const(np.int32(0), op, "count0"), *initial], op,
           outputs=[e.out(op, n)] + [e.out(op, i) for i in range(n)], body=graph)


# TensorArrays: a dense buffer [size, *element] and a bool mask of the elements written -------------

def _fill_value(e: Emitter, shape: str, dtype: dtypes.DType, value: Any, op: Operation, hint: str,
                outputs: Any = None) -> str:
    tensor = e.onnx.numpy_helper.from_array(np.array([value], dtype=dtype.np_type), "value")
    return e.node("ConstantOfShape", [shape], op, hint, outputs=outputs, value=tensor)


def _size_1d(e: Emitter, op: Operation, index: int) -> str:
    size = e.node("Cast", [e.inp(op, index)], op, "size64", to=tensor_type(e.onnx, dtypes.int64, op.name))
    return e.node("Reshape", [size, e.int64s([1], op, "one_dim")], op, "size_1d")


def _tensor_array_new(e: Emitter, op: Operation) -> None:
    """Zeros of [size, *element_shape] (an unknown dim 0, as graphc's kernel: the first write replaces it)."""
    size = _size_1d(e, op, 0)
    elem = [0 if d is None else int(d) for d in (op.attrs["element_shape"] or ())]
    shape = e.node("Concat", [size, e.int64s(elem, op, "element_shape")], op, "shape", axis=0)
    _fill_value(e, shape, op.attrs["dtype"], 0, op, "buffer", outputs=[e.out(op, 0)])
    _fill_value(e, size, dtypes.bool_, False, op, "written", outputs=[e.out(op, 1)])


def _fresh(buffer: Tensor) -> bool:
    """Whether ``buffer`` is a new TensorArray's whose element shape is not fully known."""
    elem = buffer.op.attrs.get("element_shape") if buffer.op.type == "TensorArrayNew" else ()
    return elem is None or None in elem


def _shapes_match(buffer: Tensor, value: Tensor, index_rank: int) -> bool:
    """Whether the buffer's static element shape is known and the written rows' (so it was settled)."""
    b, v = buffer.shape.as_tuple(), value.shape.as_tuple()
    return b is not None and v is not None and None not in b[1:] and tuple(b[1:]) == tuple(v[index_rank:])


def _fresh_buffer(e: Emitter, op: Operation, rows: str) -> str:
    """Zeros of [size, *the rows' element shape] (graphc's first write replaces a buffer of unknown shape)."""
    shape = e.node("Concat", [e.node("Shape", [e.inp(op, 1)], op, "size"), e.dims(rows, op, "row_shape", start=1)],
                   op, "buffer_shape", axis=0)
    return _fill_value(e, shape, op.inputs[0].dtype, 0, op, "fresh")


def _buffer_to_write(e: Emitter, op: Operation, rows: str, index_rank: int) -> str:
    """The buffer a write goes into: itself once its element shape is settled; a fresh one for a new
    TensorArray of unknown element shape; otherwise (a loop var whose first write is in the body) an
    ``If`` on whether anything was written, the fresh buffer made only in that branch."""
    buffer = op.inputs[0]
    if buffer.op.type == "TensorArrayNew" and _fresh(buffer):
        return _fresh_buffer(e, op, rows)
    if _shapes_match(buffer, op.inputs[3], index_rank):
        return e.inp(op, 0)
    written = e.cast(e.inp(op, 1), dtypes.int32, op, "written32")
    any_written = e.node("Greater", [e.reduce("ReduceMax", written, [0], op, "any_written"),
                                     e.const(np.int32(0), op, "zero")], op, "was_written")
    keep, fresh = e.child(), e.child()
    kept = keep.node("Identity", [e.inp(op, 0)], op, "kept")
    made = _fresh_buffer(fresh, op, rows)
    elem = tensor_type(e.onnx, buffer.dtype, op.name)
    graphs = {attr: e.onnx.helper.make_graph(child.nodes, e.unique(f"{op.name}/{attr}"), [],
                                             [e.onnx.helper.make_tensor_value_info(out, elem, None)])
              for attr, child, out in (("then_branch", keep, kept), ("else_branch", fresh, made))}
    return e.node("If", [any_written], op, "buffer", **graphs)


def _tensor_array_scatter(e: Emitter, op: Operation) -> None:
    if op.attrs["dynamic_size"]:
        raise UnsupportedOpError(f"Operation {op.name} (TensorArrayScatter): a dynamic_size TensorArray grows at "
                                 "run time, which graphc does not write as ONNX; give the TensorArray a fixed size")
    index_rank = op.inputs[2].shape.rank
    if index_rank not in (0, 1):
        raise UnsupportedOpError(f"Operation {op.name} (TensorArrayScatter): the rank of indices {op.inputs[2].name} "
                                 "must be known (0 or 1)")
    rows = e.inp(op, 3)
    if index_rank == 0:
        rows = e.node("Unsqueeze", [rows, e.int64s([0], op, "row_axis")], op, "rows")
    index = e.node("Cast", [e.inp(op, 2)], op, "index64", to=tensor_type(e.onnx, dtypes.int64, op.name))
    index = e.node("Reshape", [index, e.int64s([-1, 1], op, "column")], op, "index")
    e.node("ScatterND", [_buffer_to_write(e, op, rows, index_rank), index, rows], op, outputs=[e.out(op, 0)])
    count = e.dims(index, op, "count", end=1)
    marks = _fill_value(e, count, dtypes.bool_, True, op, "marks")
    e.node("ScatterND", [e.inp(op, 1), index, marks], op, "written", outputs=[e.out(op, 1)])


def _tensor_array_gather(e: Emitter, op: Operation) -> None:
    e.node("Gather", [e.inp(op, 0), e.inp(op, 2)], op, outputs=[e.out(op)], axis=0)


def _tensor_array_stack(e: Emitter, op: Operation) -> None:
    e.node("Identity", [e.inp(op, 0)], op, outputs=[e.out(op)])


def _tensor_array_split_rows(e: Emitter, op: Operation) -> None:
    """``TensorArray.split``: the value cut into len(lengths) rows of equal length (graphc's TensorArray
    holds elements of one shape)."""
    count = e.node("Shape", [e.inp(op, 1)], op, "count")
    shape = e.node("Concat", [count, e.int64s([-1], op, "length"), e.dims(e.inp(op), op, "rest", start=1)], op,
                   "rows_shape", axis=0)
    e.node("Reshape", [e.inp(op), shape], op, outputs=[e.out(op)])


CONTROL_RULES: dict = {
    "If": _if, "While": _while,
    "TensorArrayNew": _tensor_array_new, "TensorArrayScatter": _tensor_array_scatter,
    "TensorArrayGather": _tensor_array_gather, "TensorArrayStack": _tensor_array_stack,
    "TensorArraySplitRows": _tensor_array_split_rows,
}

__all__ = ["CONTROL_RULES"]
