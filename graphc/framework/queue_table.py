"""graphc's queues (``tf.FIFOQueue``, ``tf.RandomShuffleQueue``) as TensorFlow's ``FIFOQueueV2`` /
``RandomShuffleQueueV2`` nodes and the ``Queue*V2`` ops on their handle, both ways (rows in ``ROWS``).

graphc's queue ops name their queue in an attr (the Python queue object) and hold the enqueued tensors
as attrs; TensorFlow's take the queue's resource handle as input 0 and the components as inputs. On
export each queue object becomes one queue node (named as the queue, written before its first op); on
import a queue node becomes a graphc queue object, and its handle an int32 stand-in that ``QUEUES``
maps to it, which the ops on it look up.
"""
from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from graphc import dtypes, queues
from graphc.framework.attr_values import AttrValue, dtype_attr, shape_proto
from graphc.framework.op_mapping import OpMapping, static_value, tensor_name
from graphc.graph import Operation, Tensor
from graphc.ops.core import make_op

QUEUES: "weakref.WeakKeyDictionary[Tensor, Any]" = weakref.WeakKeyDictionary()   # handle stand-in -> queue


def _types(values: list) -> Any:
    return AttrValue(list=AttrValue.ListValue(type=[dtype_attr(v).type for v in values]))


def _queue_node(op: Operation, emit: Any) -> str:
    """The name of the queue node of ``op``'s queue, written before ``op`` the first time."""
    queue = op.attrs["queue"]
    written = emit.shared.setdefault("queues", {})
    if queue not in written:
        shapes = queue.shapes if all(s.is_fully_defined() for s in queue.shapes) else []
        attrs = {"component_types": _types(queue.dtypes), "capacity": AttrValue(i=queue._capacity),
                 "shapes": AttrValue(list=AttrValue.ListValue(shape=[shape_proto(s) for s in shapes])),
                 "container": AttrValue(s=b""), "shared_name": AttrValue(s=b"")}
        kind = "FIFOQueueV2"
        if isinstance(queue, queues.RandomShuffleQueue):
            seed = queue._seed or [0, 0]
            attrs.update({"min_after_dequeue": AttrValue(i=queue._min_after), "seed": AttrValue(i=int(seed[0])),
                          "seed2": AttrValue(i=int(seed[1]))})
            kind = "RandomShuffleQueueV2"
        written[queue] = emit.named(queue.name, kind, [], attrs)
    return written[queue]


def _to_tf(op: Operation, emit: Any) -> tuple:
    handle = _queue_node(op, emit)
    queue = op.attrs["queue"]
    timeout = {"timeout_ms": AttrValue(i=-1)}
    if op.type in ("QueueEnqueueV2", "QueueEnqueueManyV2"):
        tensors = op.attrs["tensors"]
        return [handle] + [tensor_name(t) for t in tensors], {"Tcomponents": _types([t.dtype for t in tensors]),
                                                               **timeout}, op.type
    if op.type == "QueueDequeueV2":
        attrs = {"component_types": _types(queue.dtypes), **timeout}
        if op.attrs["n"] is None:
            return [handle], attrs, "QueueDequeueV2"
        n = emit("n", np.array(op.attrs["n"], np.int32))
        return [handle, n], attrs, "QueueDequeueUpToV2" if op.attrs["up_to"] else "QueueDequeueManyV2"
    if op.type == "QueueCloseV2":
        return [handle], {"cancel_pending_enqueues": AttrValue(b=op.attrs["cancel"])}, op.type
    return [handle], {}, op.type


def _build_queue(kind: str) -> Any:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        types = attrs["component_types"]
        shapes = attrs.get("shapes") or None
        if kind == "FIFOQueueV2":
            queue: Any = queues.FIFOQueue(attrs.get("capacity", -1), types, shapes, name=name[:-1])
        else:
            seeds = (attrs.get("seed") or 0, attrs.get("seed2") or 0)
            queue = queues.RandomShuffleQueue(attrs.get("capacity", -1), attrs.get("min_after_dequeue", 0), types,
                                              shapes, seed=seeds[1] or seeds[0] or None, name=name[:-1])
        handle = make_op("Const", [], {"value": np.array(0, np.int32), "dtype": dtypes.int32}, name)
        QUEUES[handle.outputs[0]] = queue
        return handle
    return build


def _queue(handle: Tensor, name: str) -> Any:
    queue = QUEUES.get(handle)
    if queue is None:
        raise ValueError(f"Node {name[:-1]}: input {handle.name} is not a queue graphc can follow")
    return queue


def _build_op(tf_type: str) -> Any:
    def build(inputs: list, attrs: dict, name: str) -> Any:
        queue = _queue(inputs[0], name)
        if tf_type == "QueueEnqueueV2":
            return queue.enqueue(inputs[1:], name=name)
        if tf_type == "QueueEnqueueManyV2":
            return queue.enqueue_many(inputs[1:], name=name)
        if tf_type == "QueueCloseV2":
            return queue.close(bool(attrs.get("cancel_pending_enqueues", False)), name=name)
        if tf_type == "QueueSizeV2":
            return queue.size(name=name)
        if tf_type == "QueueDequeueV2":
            out = queue.dequeue(name=name)
        else:
            n = int(static_value(inputs[1], "number of items", name))
            out = (queue.dequeue_up_to if tf_type == "QueueDequeueUpToV2" else queue.dequeue_many)(n, name=name)
        first = out if isinstance(out, Tensor) else list(out.values() if isinstance(out, dict) else out)[0]
        return first.op
    return build


ROWS = [
    OpMapping(None, "FIFOQueueV2", None, _build_queue("FIFOQueueV2")),
    OpMapping(None, "RandomShuffleQueueV2", None, _build_queue("RandomShuffleQueueV2")),
    *[OpMapping(t, t, _to_tf, _build_op(t)) for t in ("QueueEnqueueV2", "QueueEnqueueManyV2", "QueueDequeueV2",
                                                       "QueueCloseV2", "QueueSizeV2")],
    *[OpMapping(None, t, None, _build_op(t)) for t in ("QueueDequeueManyV2", "QueueDequeueUpToV2")],
]

__all__ = ["ROWS", "QUEUES"]
