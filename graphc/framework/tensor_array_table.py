"""TensorFlow's TensorArrayV3 ops, and TF 2.x's TensorList ops, read as graphc's TensorArray ops (one
``OpMapping`` row each in ``ROWS``).

TensorFlow's TensorArray is a resource ``handle`` plus a scalar ``flow`` that orders its reads and writes;
graphc's is a value, a (buffer, written-mask) pair (``graphc/ops/tensor_array.py``). Every flow tensor
of a TF graph is exactly one state of one array, so on import a flow is graphc's buffer and ``STATES``
remembers the matching mask; a handle is an int32 stand-in (the array's size) that ``STATES`` maps to the
array's dtype, element shape, growth and name. ``carried`` lets the If/While importer pass a buffer's mask
(and a handle's facts) into and out of region bodies with it.
"""
from __future__ import annotations

import dataclasses
import weakref
from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.framework.op_mapping import OpMapping
from graphc.graph import Tensor
from graphc.ops import array, join_split, math
from graphc.ops import tensor_array as ta_ops
from graphc.ops.core import constant_value, make_op
from graphc.shape import TensorShape


@dataclasses.dataclass(frozen=True)
class ArrayFacts:
    """What a TensorArrayV3 node says about its array."""

    dtype: Any
    element_shape: TensorShape
    dynamic_size: bool
    name: str


# a flow (graphc buffer) -> its mask; a handle stand-in -> its ArrayFacts
STATES: "weakref.WeakKeyDictionary[Tensor, Any]" = weakref.WeakKeyDictionary()


def _facts(handle: Tensor, node: str) -> ArrayFacts:
    facts = STATES.get(handle)
    if not isinstance(facts, ArrayFacts):
        raise ValueError(f"Node {node[:-1]}: input {handle.name} is not a TensorArrayV3 handle graphc can follow")
    return facts


def _mask(flow: Tensor, node: str) -> Tensor:
    mask = STATES.get(flow)
    if not isinstance(mask, Tensor):
        raise ValueError(f"Node {node[:-1]}: input {flow.name} is not the flow of a TensorArray graphc can follow")
    return mask


def carried(t: Tensor) -> Optional[Any]:
    """The mask of a flow, the facts of a handle, or None for any other tensor."""
    return STATES.get(t)


def carry(t: Tensor, state: Any) -> None:
    """Records ``state`` (a mask or ArrayFacts) for ``t`` (a region body's input or a region's output)."""
    STATES[t] = state


_PASS_THROUGH = frozenset({"Identity", "Snapshot", "StopGradient", "IdentityN"})


def follow(tf_type: str, inputs: list, op: Any) -> None:
    """Carries TensorArray states through TF's identity ops (a flow or handle renamed in a loop body)."""
    if tf_type in _PASS_THROUGH and hasattr(op, "outputs"):
        for t, o in zip(inputs, op.outputs):
            state = STATES.get(t)
            if state is not None:
                carry(o, state)


def _new(inputs: list, attrs: dict, name: str) -> Any:
    (size,) = inputs
    elem = attrs.get("element_shape")
    elem = elem if isinstance(elem, TensorShape) else TensorShape(None)
    ta_name = (attrs.get("tensor_array_name") or b"").decode() or name[:-1]
    graph = size.graph
    with graph.name_scope(name):
        buffer, mask = ta_ops.new(size, attrs["dtype"], elem, name="TensorArray")
        handle = make_op("Identity", [size], {}, "handle").outputs[0]
    out = make_op("IdentityN", [handle, buffer, mask], {}, name)   # TF's outputs, then the mask (see _array_state)
    carry(out.outputs[0], ArrayFacts(attrs["dtype"], elem, bool(attrs.get("dynamic_size", False)), ta_name))
    carry(out.outputs[1], out.outputs[2])
    return out


def _array_state(buffer: Tensor, mask: Tensor, name: str) -> Any:
    """A node whose output 0 is the flow (the buffer, its mask carried) and output 1 the mask: graphc's own
    ops written with the GraphDef (a TensorArray gradient's helpers) name the mask ``node:1``."""
    out = make_op("IdentityN", [buffer, mask], {}, name)
    carry(out.outputs[0], out.outputs[1])
    return out


def _written(mode: str, index_input: int) -> Any:
    """TensorArrayWriteV3 (handle, index, value, flow) and ScatterV3 (handle, indices, value, flow)."""
    def build(inputs: list, attrs: dict, name: str) -> Any:
        handle, indices, value, flow = inputs
        facts = _facts(handle, name)
        buffer, mask = ta_ops.scatter(flow, _mask(flow, name), indices, value, facts.dynamic_size, facts.name,
                                      mode, name=f"{name}scatter/")
        return _array_state(buffer, mask, name)
    return build


def _split(inputs: list, attrs: dict, name: str) -> Any:
    """TensorArraySplitV3 (handle, value, lengths, flow): graphc's split (rows of equal lengths)."""
    handle, value, lengths, flow = inputs
    facts = _facts(handle, name)
    with flow.graph.name_scope(name):
        rows = ta_ops.split_rows(value, lengths, facts.name, name="split_rows")
        count = math.cast(array.size(lengths), dtypes.int32)
        indices = make_op("Range", [np.int32(0), count, np.int32(1)], {}, "indices").outputs[0]
        buffer, mask = ta_ops.scatter(flow, _mask(flow, name), indices, rows, facts.dynamic_size, facts.name,
                                      "split", name="scatter")
    return _array_state(buffer, mask, name)


def _concat(inputs: list, attrs: dict, name: str) -> Any:
    """TensorArrayConcatV3 (handle, flow) -> (value, lengths): the stacked elements joined along their first
    axis, and each element's length (int64)."""
    handle, flow = inputs
    facts = _facts(handle, name)
    mask = _mask(flow, name)
    with flow.graph.name_scope(name):
        stacked = ta_ops.stack(flow, mask, facts.element_shape, facts.name, name="stack")
        shape = array.shape(stacked, out_type=dtypes.int32)
        value = array.reshape(stacked, join_split.concat([[-1], shape[2:]], 0))
        lengths = array.fill(array.shape(mask, out_type=dtypes.int32), math.cast(shape[1], dtypes.int64))
    return make_op("IdentityN", [value, lengths], {}, name)


def _read(inputs: list, attrs: dict, name: str) -> Any:
    """TensorArrayReadV3 (handle, index, flow) and GatherV3 (handle, indices, flow)."""
    handle, indices, flow = inputs
    facts = _facts(handle, name)
    elem = attrs.get("element_shape")
    elem = facts.element_shape if not isinstance(elem, TensorShape) or elem.rank is None else elem
    return ta_ops.gather(flow, _mask(flow, name), indices, elem, facts.name, name=name)


def _size(inputs: list, attrs: dict, name: str) -> Any:
    handle, flow = inputs
    _facts(handle, name)
    with flow.graph.name_scope(name):
        size = array.shape(_mask(flow, name), out_type=dtypes.int32)[0]
    return make_op("Identity", [size], {}, name)


# TF 2.x's TensorList ops (what control flow v2 uses for TensorArrays): a list is a value, exactly graphc's
# (buffer, mask) pair, so the list tensor is the buffer with its mask carried, as a flow is.

def _element_shape(t: Tensor, name: str) -> TensorShape:
    value = constant_value(t)
    if value is None or np.ndim(value) == 0:
        return TensorShape(None)
    return TensorShape([None if d < 0 else int(d) for d in np.asarray(value).reshape(-1)])


def _list_state(buffer: Tensor, mask: Tensor, name: str) -> Any:
    out = make_op("Identity", [buffer], {}, name)
    carry(out.outputs[0], mask)
    return out


def _list_reserve(inputs: list, attrs: dict, name: str) -> Any:
    shape, size = inputs
    with size.graph.name_scope(name):
        buffer, mask = ta_ops.new(size, attrs["element_dtype"], _element_shape(shape, name), name="TensorList")
    return _list_state(buffer, mask, name)


def _list_from_tensor(inputs: list, attrs: dict, name: str) -> Any:
    tensor, _ = inputs
    with tensor.graph.name_scope(name):
        size = array.shape(tensor, out_type=dtypes.int32)[0]
        elem = tensor.shape[1:] if tensor.shape.rank is not None else TensorShape(None)
        buffer, mask = ta_ops.new(size, tensor.dtype, elem, name="TensorList")
        indices = make_op("Range", [np.int32(0), size, np.int32(1)], {}, "indices").outputs[0]
        buffer, mask = ta_ops.scatter(buffer, mask, indices, tensor, False, name[:-1], "unstack", name="unstack")
    return _list_state(buffer, mask, name)


def _list_set_item(inputs: list, attrs: dict, name: str) -> Any:
    flow, index, item = inputs
    buffer, mask = ta_ops.scatter(flow, _mask(flow, name), index, item,
                                  bool(attrs.get("resize_if_index_out_of_bounds", False)), name[:-1], "write",
                                  name=f"{name}scatter/")
    return _list_state(buffer, mask, name)


def _list_read(inputs: list, attrs: dict, name: str) -> Any:
    """TensorListGetItem (list, index, element_shape) and TensorListGather (list, indices, element_shape)."""
    flow, indices, shape = inputs
    elem = _element_shape(shape, name)
    if elem.rank is None and flow.shape.rank is not None:
        elem = flow.shape[1:]
    return ta_ops.gather(flow, _mask(flow, name), indices, elem, name[:-1], name=name)


def _list_stack(inputs: list, attrs: dict, name: str) -> Any:
    flow, shape = inputs
    elem = _element_shape(shape, name)
    if elem.rank is None and flow.shape.rank is not None:
        elem = flow.shape[1:]
    return ta_ops.stack(flow, _mask(flow, name), elem, name[:-1], name=name)


def _list_length(inputs: list, attrs: dict, name: str) -> Any:
    (flow,) = inputs
    with flow.graph.name_scope(name):
        size = array.shape(_mask(flow, name), out_type=dtypes.int32)[0]
    return make_op("Identity", [size], {}, name)


ROWS = [
    OpMapping(None, "TensorListReserve", None, _list_reserve),
    OpMapping(None, "TensorListFromTensor", None, _list_from_tensor),
    OpMapping(None, "TensorListSetItem", None, _list_set_item),
    OpMapping(None, "TensorListGetItem", None, _list_read),
    OpMapping(None, "TensorListGather", None, _list_read),
    OpMapping(None, "TensorListStack", None, _list_stack),
    OpMapping(None, "TensorListLength", None, _list_length),
    OpMapping(None, "TensorArrayV3", None, _new),
    OpMapping(None, "TensorArrayWriteV3", None, _written("write", 1)),
    OpMapping(None, "TensorArrayScatterV3", None, _written("scatter", 1)),
    OpMapping(None, "TensorArrayReadV3", None, _read),
    OpMapping(None, "TensorArrayGatherV3", None, _read),
    OpMapping(None, "TensorArraySizeV3", None, _size),
    OpMapping(None, "TensorArraySplitV3", None, _split),
    OpMapping(None, "TensorArrayConcatV3", None, _concat),
    OpMapping(None, "TensorArrayCloseV3", None, lambda inputs, attrs, name: make_op("NoOp", [], {}, name)),
]

__all__ = ["ROWS", "ArrayFacts", "carried", "carry", "follow"]
