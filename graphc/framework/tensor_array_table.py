"""TensorFlow's TensorArrayV3 ops read as graphc's TensorArray ops (one ``OpMapping`` row each in ``ROWS``).

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

from graphc import dtypes
from graphc.framework.op_mapping import OpMapping
from graphc.graph import Tensor
from graphc.ops import array
from graphc.ops import tensor_array as ta_ops
from graphc.ops.core import make_op
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
    out = make_op("IdentityN", [handle, buffer], {}, name)
    carry(out.outputs[0], ArrayFacts(attrs["dtype"], elem, bool(attrs.get("dynamic_size", False)), ta_name))
    carry(out.outputs[1], mask)
    return out


def _written(mode: str, index_input: int) -> Any:
    """TensorArrayWriteV3 (handle, index, value, flow) and ScatterV3 (handle, indices, value, flow)."""
    def build(inputs: list, attrs: dict, name: str) -> Any:
        handle, indices, value, flow = inputs
        facts = _facts(handle, name)
        buffer, mask = ta_ops.scatter(flow, _mask(flow, name), indices, value, facts.dynamic_size, facts.name,
                                      mode, name=f"{name}scatter/")
        out = make_op("Identity", [buffer], {}, name)
        carry(out.outputs[0], mask)
        return out
    return build


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


ROWS = [
    OpMapping(None, "TensorArrayV3", None, _new),
    OpMapping(None, "TensorArrayWriteV3", None, _written("write", 1)),
    OpMapping(None, "TensorArrayScatterV3", None, _written("scatter", 1)),
    OpMapping(None, "TensorArrayReadV3", None, _read),
    OpMapping(None, "TensorArrayGatherV3", None, _read),
    OpMapping(None, "TensorArraySizeV3", None, _size),
    OpMapping(None, "TensorArrayCloseV3", None, lambda inputs, attrs, name: make_op("NoOp", [], {}, name)),
]

__all__ = ["ROWS", "ArrayFacts", "carried", "carry", "follow"]
