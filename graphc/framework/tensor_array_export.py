"""graphc's value TensorArrays written as TensorFlow's TensorArrayV3 ops (``tensor_array_table`` reads them).

A graphc TensorArray is a (buffer, written-mask) pair that every write replaces; TensorFlow's is a
resource ``handle`` and a scalar ``flow`` that orders the reads and writes. Every pair derives from one
``TensorArrayNew`` (its *root*), so the writer gives each root one ``TensorArrayV3`` node, writes each
buffer and mask as that array's flow at that point (``TensorArrayNew`` -> the V3 node's output 1, a
``TensorArrayScatter`` -> its Write/ScatterV3 node), a read as ``TensorArrayReadV3``/``GatherV3`` and a
stack as ``TensorArrayGatherV3`` over ``Range(0, TensorArraySizeV3)``. A cond or loop that carries an
array takes its handle as one more input (a ``DT_RESOURCE`` arg of its bodies; a loop returns it
unchanged) and its buffer and mask as flows (``DT_FLOAT`` scalars).
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator, Optional

import numpy as np

from graphc import dtypes
from graphc.framework.attr_values import AttrValue, dtype_attr, shape_proto
from graphc.framework.lowered_table import lowered
from graphc.framework.op_mapping import LOWERING_HELPER, tensor_name
from graphc.graph import Operation, Tensor
from graphc.shape import TensorShape

DT_RESOURCE = 20
FLOW = dtypes.float32
_ARRAY_OPS = ("TensorArrayNew", "TensorArrayScatter", "TensorArrayGather", "TensorArrayStack")
# graphc's split (TensorArraySplitRows then a "split" scatter) is TF's TensorArraySplitV3 on the split's inputs


class _Export:
    """One ``as_graph_def`` call's TensorArray facts: body inputs' roots, handles by graph, V3 nodes."""

    def __init__(self) -> None:
        self.input_roots: dict = {}      # a body placeholder -> the root of the outer tensor it stands for
        self.handles: dict = {}          # (id(graph), root) -> the name of the root's handle there
        self.v3_nodes: dict = {}         # root -> its TensorArrayV3 NodeDef (dynamic_size set by a growing write)


_CONTEXT: contextvars.ContextVar = contextvars.ContextVar("graphc_tensor_array_export", default=None)


@contextlib.contextmanager
def exporting() -> Iterator[None]:
    """The scope of one GraphDef being written."""
    token = _CONTEXT.set(_Export())
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def _ctx() -> _Export:
    ctx = _CONTEXT.get()
    return ctx if ctx is not None else _Export()


def root(t: Tensor) -> Optional[Operation]:
    """The ``TensorArrayNew`` op whose array ``t`` (a buffer or mask) is a state of, or None."""
    ctx = _ctx()
    while True:
        if t in ctx.input_roots:
            return ctx.input_roots[t]
        op = t.op
        if op.type == "TensorArrayNew":
            return op
        if op.type == "TensorArrayScatter" or op.type == "Identity":
            t = op.inputs[0] if op.type == "Identity" or t.value_index == 0 else op.inputs[1]
        elif op.type == "While" and t.value_index < op.attrs["num_vars"]:
            t = op.inputs[t.value_index]
        elif op.type == "If" and t.value_index < len(op.attrs["then_branch"].outputs):
            t = op.attrs["then_branch"].outputs[t.value_index]
        else:
            return None


def tf_type(t: Tensor) -> int:
    """``t``'s DataType in TensorFlow's graph: a TensorArray state is a float flow."""
    return dtype_attr(FLOW if root(t) is not None else t.dtype).type


def tf_shape(t: Tensor) -> Any:
    return shape_proto(TensorShape([]) if root(t) is not None else t.shape)


def flow_name(t: Tensor) -> str:
    """The TF name of the flow a buffer or mask ``t`` is written as (else ``t``'s own name)."""
    if t.op.type == "TensorArrayNew":
        return f"{t.op.name}:1"
    if t.op.type == "TensorArrayScatter":
        return t.op.name
    return tensor_name(t)


def native_name(t: Tensor) -> str:
    """``t``'s name as an input of a graphc-only node: a TensorArrayNew's buffer and mask are outputs 1 and
    2 of the TensorArrayV3 node as graphc reads it back (0 is the handle)."""
    return f"{t.op.name}:{1 + t.value_index}" if t.op.type == "TensorArrayNew" else tensor_name(t)


def handle_name(t: Tensor) -> str:
    """The name of the handle of ``t``'s array in ``t``'s graph."""
    r = root(t)
    if r is None:
        raise ValueError(f"{t.name} is not a TensorArray value graphc can follow to its TensorArrayNew")
    return root_handle(r, t.graph)


def root_handle(r: Operation, graph: Any) -> str:
    """The name of the handle of root ``r``'s array in ``graph`` (its V3 node, or a body's handle arg)."""
    return r.name if r.graph is graph else _ctx().handles[(id(graph), r)]


def region_arrays(op: Operation, bodies: list, first_input: int) -> list:
    """The roots of the arrays region ``op`` carries (its extra handle inputs, in order); records the roots
    of the bodies' inputs (body input ``k`` stands for ``op.inputs[first_input + k]``) and each body's
    handle arg names (``arg<n>`` after its inputs)."""
    ctx = _ctx()
    roots: list = []
    for t in op.inputs[first_input:]:
        r = root(t)
        if r is not None and r not in roots:
            roots.append(r)
    for body in bodies:
        for ph, t in zip(body.inputs, op.inputs[first_input:]):
            r = root(t)
            if r is not None:
                ctx.input_roots[ph] = r
        for j, r in enumerate(roots):
            ctx.handles[(id(body), r)] = f"arg{len(body.inputs) + j}"
    return roots


def to_tf(op: Operation, emit: Any) -> Optional[tuple]:
    """``(inputs, attrs, tf_type)`` of a graphc TensorArray op (or ``Size`` of an array's mask) as
    TensorFlow's; None for any other op."""
    if op.type == "Size" and root(op.inputs[0]) is not None:
        return [handle_name(op.inputs[0]), flow_name(op.inputs[0])], {}, "TensorArraySizeV3"
    if op.type == "TensorArraySplitRows":
        return _split_rows_to_tf(op, emit)
    if op.type not in _ARRAY_OPS:
        return None
    if op.type == "TensorArrayNew":
        elem = op.attrs["element_shape"]
        shape = TensorShape(None if elem is None else list(elem))
        return [tensor_name(op.inputs[0])], {
            "dtype": dtype_attr(op.attrs["dtype"]), "element_shape": AttrValue(shape=shape_proto(shape)),
            "dynamic_size": AttrValue(b=False), "clear_after_read": AttrValue(b=False),
            "identical_element_shapes": AttrValue(b=shape.is_fully_defined()),
            "tensor_array_name": AttrValue(s=b"")}, "TensorArrayV3"
    buffer = op.inputs[0]
    handle, flow = handle_name(buffer), flow_name(buffer)
    if op.type == "TensorArrayScatter":
        if op.attrs["dynamic_size"]:
            node = _ctx().v3_nodes.get(root(buffer))
            if node is not None:
                node.attr["dynamic_size"].CopyFrom(AttrValue(b=True))
        indices, value = op.inputs[2:]
        if op.attrs["mode"] == "split" and value.op.type == "TensorArraySplitRows":
            whole, lengths = value.op.inputs
            lengths_name = tensor_name(lengths) if lengths.dtype == dtypes.int64 else emit.node(
                "lengths", "Cast", [tensor_name(lengths)], {"SrcT": dtype_attr(lengths.dtype), "DstT":
                                                              dtype_attr(dtypes.int64), "Truncate": AttrValue(b=False)})
            return [handle, tensor_name(whole), lengths_name, flow], {"T": dtype_attr(whole.dtype)}, \
                "TensorArraySplitV3"
        kind = "TensorArrayWriteV3" if indices.shape.ndims == 0 else "TensorArrayScatterV3"
        return [handle, tensor_name(indices), tensor_name(value), flow], {"T": dtype_attr(value.dtype)}, kind
    elem = op.attrs["element_shape"]
    shape = shape_proto(TensorShape(None if elem is None else list(elem)))
    if op.type == "TensorArrayGather" and op.inputs[2].shape.ndims == 0:
        return [handle, tensor_name(op.inputs[2]), flow], {"dtype": dtype_attr(buffer.dtype)}, "TensorArrayReadV3"
    if op.type == "TensorArrayGather":
        indices = tensor_name(op.inputs[2])
    else:
        size = emit.node("size", "TensorArraySizeV3", [handle, flow], {})
        index = dtype_attr(dtypes.int32)
        indices = emit.node("range", "Range", [emit("start", np.array(0, np.int32)), size,
                                                emit("delta", np.array(1, np.int32))], {"Tidx": index})
    return [handle, indices, flow], {"dtype": dtype_attr(buffer.dtype), "element_shape": AttrValue(shape=shape)}, \
        "TensorArrayGatherV3"


def _split_rows_to_tf(op: Operation, emit: Any) -> tuple:
    """TensorArraySplitRows(value, lengths) (rows of equal lengths) as TF's
    Reshape(value, [Size(lengths), -1, *Shape(value)[1:]]), read back as itself."""
    value, lengths = (tensor_name(t) for t in op.inputs)
    int32 = dtype_attr(dtypes.int32)
    helper = {LOWERING_HELPER: AttrValue(b=True)}
    count = emit.node("count", "Size", [lengths], {"T": dtype_attr(op.inputs[1].dtype), "out_type": int32, **helper})
    count = emit.node("count_1", "Reshape", [count, emit("one", np.array([1], np.int32), helper=True)],
                      {"T": int32, "Tshape": int32, **helper})
    shape = emit.node("shape", "Shape", [value], {"T": dtype_attr(op.inputs[0].dtype), "out_type": int32, **helper})
    rest = emit.node("rest", "StridedSlice", [shape] + [emit(n, np.array([v], np.int32), helper=True) for n, v in (
        ("begin", 1), ("end", 0), ("strides", 1))], {"T": int32, "Index": int32, "end_mask": AttrValue(i=1), **{
            k: AttrValue(i=0) for k in ("begin_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")},
            **helper})
    target = emit.node("target", "ConcatV2", [count, emit("minus_one", np.array([-1], np.int32), helper=True), rest,
                                              emit("axis", np.array(0, np.int32), helper=True)],
                       {"T": int32, "N": AttrValue(i=3), "Tidx": int32, **helper})
    return [value, target], {"T": dtype_attr(op.inputs[0].dtype), "Tshape": int32,
                             **lowered(op, [value, lengths])}, "Reshape"


def written(op: Operation, node: Any) -> None:
    """Notes the NodeDef written for ``op`` (a TensorArrayV3 node a later growing write marks)."""
    if op.type == "TensorArrayNew":
        _ctx().v3_nodes[op] = node


__all__ = ["exporting", "root", "tf_type", "tf_shape", "flow_name", "handle_name", "region_arrays", "to_tf",
           "written", "root_handle", "native_name", "DT_RESOURCE"]
