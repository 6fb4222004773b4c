"""graphc's TensorArray gradient ops written as TensorFlow's dense ops, for ``as_graph_def(for_tensorflow=True)``.

graphc differentiates a TensorArray on dense gradient buffers (``graphc/ops/tensor_array.py``): the
gradient of an array's state is an ordinary ``[size, *element_shape]`` tensor. Its four helper ops
are plain row arithmetic on such tensors, so TensorFlow runs them as:

- ``TensorArrayScatterAdd(written, indices, g)``: ``ScatterNd`` of ``g``'s rows at ``indices`` into
  ``[size, *rows]`` zeros (``size``: the array's static size, else ``TensorArraySizeV3``);
- ``TensorArrayClearRows(buffer, g, indices)``: ``TensorScatterUpdate`` of zero rows into ``g`` at
  ``indices`` (a buffer a first write replaced, static element shape unlike ``g``'s: ``Fill`` zeros);
- ``TensorArrayTakeRows``: ``GatherV2`` of those rows and the clear, as an ``IdentityN`` named as the op;
- ``TensorArrayAccumulate(total, indices, g)``: ``TensorScatterAdd`` of ``g``'s rows into ``total``.

graphc reads them back as those dense ops (the same values). Without ``for_tensorflow`` the writer keeps
graphc's own op types (``tensor_array_export.native_name``), which read back as themselves.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.framework import tensor_array_export
from graphc.framework.attr_values import AttrValue, dtype_attr
from graphc.framework.op_mapping import tensor_name
from graphc.graph import Operation, Tensor

_INT32 = dtype_attr(dtypes.int32)
TYPES = ("TensorArrayScatterAdd", "TensorArrayClearRows", "TensorArrayTakeRows", "TensorArrayAccumulate")


def _dims(t: Tensor, start: int, emit: Any, label: str) -> str:
    """An int32 vector of ``t``'s dims from ``start`` on: a Const when static, else a slice of its Shape."""
    dims = t.shape.as_tuple()
    if dims is not None and all(d is not None for d in dims[start:]):
        return emit(f"{label}_dims", np.array(dims[start:], np.int32))
    shape = emit.node(f"{label}_shape", "Shape", [tensor_name(t)], {"T": dtype_attr(t.dtype), "out_type": _INT32})
    return emit.node(f"{label}_tail", "StridedSlice", [shape] + [emit(f"{label}_{k}", np.array([v], np.int32))
                                                                  for k, v in (("begin", start), ("end", 0), ("step", 1))],
                     {"T": _INT32, "Index": _INT32, "end_mask": AttrValue(i=1), **{
                         k: AttrValue(i=0) for k in ("begin_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")}})


def _concat(parts: list, emit: Any, label: str) -> str:
    return emit.node(label, "ConcatV2", parts + [emit(f"{label}_axis", np.array(0, np.int32))],
                     {"T": _INT32, "N": AttrValue(i=len(parts)), "Tidx": _INT32})


def _column(indices: Tensor, emit: Any) -> str:
    """``indices`` (a scalar or a vector) as a ``[k, 1]`` index column."""
    return emit.node("index_column", "Reshape", [tensor_name(indices), emit("column", np.array([-1, 1], np.int32))],
                     {"T": dtype_attr(indices.dtype), "Tshape": _INT32})


def _rows(g: Tensor, emit: Any, like: Tensor) -> str:
    """``g`` as ``[k, *like.shape[1:]]`` rows."""
    target = _concat([emit("minus_one", np.array([-1], np.int32)), _dims(like, 1, emit, "row")], emit, "rows_shape")
    return emit.node("rows", "Reshape", [tensor_name(g), target], {"T": dtype_attr(g.dtype), "Tshape": _INT32})


def _size(written: Tensor, emit: Any) -> str:
    """The rows of the array whose state ``written`` is, as an int32 ``[1]``."""
    n = written.shape.as_tuple()
    if n is not None and n[0] is not None:
        return emit("size", np.array([n[0]], np.int32))
    if tensor_array_export.root(written) is not None:
        size = emit.node("array_size", "TensorArraySizeV3", [tensor_array_export.handle_name(written),
                                                             tensor_array_export.flow_name(written)], {})
    else:
        size = emit.node("array_size", "Size", [tensor_name(written)], {"T": dtype_attr(written.dtype),
                                                                      "out_type": _INT32})
    return emit.node("size", "Reshape", [size, emit("one", np.array([1], np.int32))], {"T": _INT32, "Tshape": _INT32})


def _clear(op: Operation, buffer: Tensor, g: Tensor, indices: Tensor, emit: Any) -> str:
    b, gd = buffer.shape.as_tuple(), g.shape.as_tuple()
    if b is not None and gd is not None and (len(b) != len(gd) or any(
            x is not None and y is not None and x != y for x, y in zip(b[1:], gd[1:]))):
        if not buffer.shape.is_fully_defined():
            raise ValueError(f"Operation '{op.name}' ({op.type}) cannot be written for TensorFlow: the gradient "
                             f"of a TensorArray replaced by its first write needs its static shape, got {buffer.shape}")
        return emit.node("zeros", "Fill", [emit("zeros_dims", np.array(b, np.int32)),
                                           emit("zero", np.zeros((), g.dtype.np_type))],
                         {"T": dtype_attr(g.dtype), "index_type": _INT32})
    if b is not None and gd is not None and b[0] is not None and gd[0] is not None and b[0] != gd[0]:
        raise ValueError(f"Operation '{op.name}' ({op.type}) cannot be written for TensorFlow: a gradient of "
                         f"{gd[0]} rows for a TensorArray of {b[0]} (one that grew)")
    count = emit.node("count", "Size", [tensor_name(indices)], {"T": dtype_attr(indices.dtype), "out_type": _INT32})
    count = emit.node("count_1", "Reshape", [count, emit("count_one", np.array([1], np.int32))],
                      {"T": _INT32, "Tshape": _INT32})
    zeros = emit.node("cleared", "Fill", [_concat([count, _dims(g, 1, emit, "clear")], emit, "cleared_shape"),
                                          emit("zero", np.zeros((), g.dtype.np_type))],
                      {"T": dtype_attr(g.dtype), "index_type": _INT32})
    return emit.node("clear", "TensorScatterUpdate", [tensor_name(g), _column(indices, emit), zeros],
                     {"T": dtype_attr(g.dtype), "Tindices": dtype_attr(indices.dtype)})


def to_tf(op: Operation, emit: Any) -> Optional[tuple]:
    """``(inputs, attrs, tf_type)`` of one of graphc's TensorArray gradient ops (``TYPES``), else None."""
    if op.type not in TYPES:
        return None
    if op.type == "TensorArrayScatterAdd":
        written, indices, g = op.inputs
        irank = indices.shape.ndims
        if irank is None:
            raise ValueError(f"Operation '{op.name}' ({op.type}) cannot be written for TensorFlow: indices of "
                             "unknown rank")
        tail = _dims(g, irank, emit, "row")
        rows = emit.node("rows", "Reshape", [tensor_name(g), _concat([emit("minus_one", np.array([-1], np.int32)),
                                                                     tail], emit, "rows_shape")],
                         {"T": dtype_attr(g.dtype), "Tshape": _INT32})
        shape = _concat([_size(written, emit), tail], emit, "shape")
        return [_column(indices, emit), rows, shape], {"T": dtype_attr(g.dtype),
                                                       "Tindices": dtype_attr(indices.dtype)}, "ScatterNd"
    if op.type == "TensorArrayAccumulate":
        total, indices, g = op.inputs
        return [tensor_name(total), _column(indices, emit), _rows(g, emit, total)], {
            "T": dtype_attr(total.dtype), "Tindices": dtype_attr(indices.dtype)}, "TensorScatterAdd"
    buffer, g, indices = op.inputs
    clear = _clear(op, buffer, g, indices, emit)
    if op.type == "TensorArrayClearRows":
        return [clear], {"T": dtype_attr(g.dtype)}, "Identity"
    taken = emit.node("taken", "GatherV2", [tensor_name(g), tensor_name(indices), emit("axis", np.array(0, np.int32))],
                      {"Tparams": dtype_attr(g.dtype), "Tindices": dtype_attr(indices.dtype), "Taxis": _INT32,
                       "batch_dims": AttrValue(i=0)})
    return [taken, clear], {"T": AttrValue(list=AttrValue.ListValue(type=[dtype_attr(g.dtype).type] * 2))}, "IdentityN"


__all__ = ["TYPES", "to_tf"]
