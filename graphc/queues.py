"""TF1's queues: ``tf.FIFOQueue`` and ``tf.RandomShuffleQueue``, held by the session that runs them.

Their ops are state queries (``ops.state.STATE_QUERIES``) that the session answers before it takes
its lock, so a dequeue can wait for another thread's enqueue. An enqueue evaluates its values with
the run's feeds, then adds them once the run has succeeded (waiting while the queue is full); a
dequeue takes its items before the run and puts them back at the front if the run fails.
"""
from __future__ import annotations

import collections
import threading
import weakref
from typing import Any, Optional, Sequence

import numpy as np

from graphc import dtypes, errors
from graphc.graph import Operation, Tensor, get_default_graph
from graphc.ops.core import OpDef, convert_to_tensor, make_op, register
from graphc.ops.random import get_seed
from graphc.ops.state import QUERY_ANSWERS, SESSION_CLOSED, STATE_QUERIES
from graphc.shape import TensorShape, as_shape


class QueueBase:
    """A bounded queue of tuples of tensors (TF1 ``tf.QueueBase``); its state lives in each session."""

    def __init__(self, capacity: int, dtypes_: Sequence[Any], shapes: Optional[Sequence[Any]], names: Any,
                 name: str, kind: str) -> None:
        self._dtypes = [dtypes.as_dtype(d) for d in (dtypes_ if isinstance(dtypes_, (list, tuple)) else [dtypes_])]
        if shapes is None:
            self._shapes = [TensorShape(None)] * len(self._dtypes)
        else:
            shapes = list(shapes) if isinstance(shapes, (list, tuple)) and shapes and isinstance(
                shapes[0], (list, tuple, TensorShape)) else [shapes]
            self._shapes = [as_shape(s) for s in shapes]
            if len(self._shapes) != len(self._dtypes):
                raise ValueError(f"Queue shapes must have the same length as dtypes: {len(self._shapes)} "
                                 f"vs {len(self._dtypes)}")
        self._names = list(names) if names is not None else None
        self._capacity = int(capacity)
        self.name = get_default_graph().unique_name(name)
        self._kind = kind

    @property
    def dtypes(self) -> list:
        """The dtypes of an item's components."""
        return list(self._dtypes)

    @property
    def shapes(self) -> list:
        """The static shapes of an item's components."""
        return list(self._shapes)

    @property
    def names(self) -> Optional[list]:
        """The component names (items are dicts) or None."""
        return self._names

    def _state(self, session: Any) -> "_QueueState":
        raise TypeError("QueueBase is abstract")   # each queue class makes its own state

    def _flat(self, vals: Any) -> list:
        if self._names is not None:
            if not isinstance(vals, dict) or sorted(vals) != sorted(self._names):
                raise ValueError(f"Queue with names {self._names} needs a dict with those keys, got {vals!r}")
            vals = [vals[n] for n in self._names]
        elif not isinstance(vals, (list, tuple)):
            vals = [vals]
        if len(vals) != len(self._dtypes):
            raise ValueError(f"Expected {len(self._dtypes)} tensors for this queue, got {len(vals)}")
        return [convert_to_tensor(v, dtype=d) for v, d in zip(vals, self._dtypes)]

    def enqueue(self, vals: Any, name: Optional[str] = None) -> Operation:
        """An op adding one item (a tensor, a list/tuple of them, or a dict for a named queue)."""
        tensors = self._flat(vals)
        for t, s in zip(tensors, self._shapes):
            if not t.shape.is_compatible_with(s):
                raise ValueError(f"Shape {t.shape} of {t.name} is incompatible with the queue's shape {s}")
        return self._query("QueueEnqueueV2", {"tensors": tensors, "many": False}, name or "enqueue")

    def enqueue_many(self, vals: Any, name: Optional[str] = None) -> Operation:
        """An op adding the items that the first dimension of the tensors slices ``vals`` into."""
        tensors = self._flat(vals)
        return self._query("QueueEnqueueManyV2", {"tensors": tensors, "many": True}, name or "enqueue_many")

    def dequeue(self, name: Optional[str] = None) -> Any:
        """The next item (one tensor, a list, or a dict for a named queue); each run takes one."""
        return self._dequeue(None, False, name or "dequeue", [])

    def dequeue_many(self, n: int, name: Optional[str] = None) -> Any:
        """``n`` items stacked along a new first dimension; OutOfRangeError if the queue closes first."""
        return self._dequeue(int(n), False, name or "dequeue_many", [int(n)])

    def dequeue_up_to(self, n: int, name: Optional[str] = None) -> Any:
        """Like ``dequeue_many``, but once the queue is closed the rest (at least one) is a batch."""
        return self._dequeue(int(n), True, name or "dequeue_up_to", [None])

    def _dequeue(self, n: Optional[int], up_to: bool, name: str, lead: list) -> Any:
        specs = [(d, TensorShape(None) if s.ndims is None else TensorShape(lead + s.as_list()))
                 for d, s in zip(self._dtypes, self._shapes)]
        op = make_op("QueueDequeueV2", [], {"queue": self, "n": n, "up_to": up_to, "specs": specs}, name)
        get_default_graph()._state_queries.append(op)
        outs = list(op.outputs)
        if self._names is not None:
            return dict(zip(self._names, outs))
        return outs[0] if len(outs) == 1 else outs

    def close(self, cancel_pending_enqueues: bool = False, name: Optional[str] = None) -> Operation:
        """An op closing the queue: later enqueues fail; dequeues drain it, then raise OutOfRangeError."""
        return self._query("QueueCloseV2", {"cancel": bool(cancel_pending_enqueues)}, name or "close")

    def size(self, name: Optional[str] = None) -> Tensor:
        """An int32 scalar: how many items the queue holds now."""
        op = make_op("QueueSizeV2", [], {"queue": self}, name or "size")
        get_default_graph()._state_queries.append(op)
        return op.outputs[0]

    def _query(self, op_type: str, attrs: dict, name: str) -> Operation:
        op = make_op(op_type, [], dict(attrs, queue=self), name)
        get_default_graph()._state_queries.append(op)
        return op


class FIFOQueue(QueueBase):
    """Items leave in the order they came (TF1 ``tf.FIFOQueue``)."""

    def __init__(self, capacity: int, dtypes: Sequence[Any], shapes: Optional[Sequence[Any]] = None,
                 names: Any = None, shared_name: Optional[str] = None, name: str = "fifo_queue") -> None:
        super().__init__(capacity, dtypes, shapes, names, name, "FIFOQueue")

    def _state(self, session: Any) -> "_QueueState":
        return _QueueState(self, self._capacity, None, None)


class RandomShuffleQueue(QueueBase):
    """Items leave in random order, keeping ``min_after_dequeue`` in the queue until it is closed
    (TF1 ``tf.RandomShuffleQueue``; graphc's random stream, not TensorFlow's order)."""

    def __init__(self, capacity: int, min_after_dequeue: int, dtypes: Sequence[Any],
                 shapes: Optional[Sequence[Any]] = None, names: Any = None, seed: Optional[int] = None,
                 shared_name: Optional[str] = None, name: str = "random_shuffle_queue") -> None:
        super().__init__(capacity, dtypes, shapes, names, name, "RandomShuffleQueue")
        self._min_after = int(min_after_dequeue)
        pair = get_seed(seed)
        self._seed = None if pair == (None, None) else [int(x) & (2**63 - 1) for x in pair]

    def _state(self, session: Any) -> "_QueueState":
        return _QueueState(self, self._capacity, self._min_after, np.random.default_rng(self._seed))


class _QueueState:
    """One queue in one session: its items, whether it is closed, and who waits."""

    def __init__(self, queue: QueueBase, capacity: int, min_after: Optional[int], rng: Any) -> None:
        self.queue = queue
        self.items: collections.deque = collections.deque()
        self.capacity = capacity
        self.min_after = min_after
        self.rng = rng
        self.closed = False
        self.cancelled = False
        self.cond = threading.Condition()

    def put(self, items: list) -> None:
        """Adds items, waiting for room; CancelledError if the queue is closed meanwhile."""
        with self.cond:
            for item in items:
                while not self.closed and len(self.items) >= self.capacity:
                    self.cond.wait()
                if self.closed:
                    raise errors.CancelledError(None, None, f"{self.queue._kind} '{self.queue.name}' is closed.")
                self.items.append(item)
                self.cond.notify_all()

    def take(self, n: int, up_to: bool, op: Operation) -> list:
        """``n`` items, waiting for them; OutOfRangeError when the queue is closed with too few."""
        with self.cond:
            while True:
                keep = 0 if self.closed or self.min_after is None else self.min_after
                if len(self.items) >= n + keep or (self.closed and (up_to and self.items)):
                    break
                if self.closed:
                    raise errors.OutOfRangeError(None, op, (
                        f"{self.queue._kind} '{self.queue.name}' is closed and has insufficient elements "
                        f"(requested {n}, current size {len(self.items)})"))
                self.cond.wait()
            count = min(n, len(self.items))
            taken = [self._pop() for _ in range(count)]
            self.cond.notify_all()
            return taken

    def _pop(self) -> list:
        if self.rng is None:
            return self.items.popleft()
        i = int(self.rng.integers(len(self.items)))
        self.items.rotate(-i)
        item = self.items.popleft()
        self.items.rotate(i)
        return item

    def give_back(self, items: list) -> None:
        """Returns the items a failed run took, to the front."""
        with self.cond:
            self.items.extendleft(reversed(items))
            self.cond.notify_all()

    def close(self, cancel: bool) -> None:
        with self.cond:
            self.closed = True
            self.cancelled = self.cancelled or cancel
            self.cond.notify_all()


_SESSIONS: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def queue_state(session: Any, queue: QueueBase) -> _QueueState:
    """``queue``'s state in ``session`` (made empty on first use)."""
    with _LOCK:
        states = _SESSIONS.setdefault(session, {})
        state = states.get(queue)
        if state is None:
            state = states[queue] = queue._state(session)
        return state


def _release(session: Any) -> None:
    """Session.close: closes its queues, cancelling waiting enqueues and dequeues."""
    with _LOCK:
        states = _SESSIONS.pop(session, {})
    for state in states.values():
        state.close(cancel=True)


SESSION_CLOSED.append(_release)


def _evaluate(session: Any, tensors: list, feeds: dict) -> list:
    pending = [t for t in tensors if t not in feeds]
    values = dict(zip(pending, session.run(pending, feed_dict=feeds))) if pending else {}
    return [np.asarray(feeds[t] if t in feeds else values[t], dtype=t.dtype.np_type) for t in tensors]


def _answer_enqueue(session: Any, op: Operation, feeds: dict, host: Any) -> list:
    queue = op.attrs["queue"]
    values = _evaluate(session, op.attrs["tensors"], feeds)
    if op.attrs["many"]:
        rows = {len(v) for v in values}
        if len(rows) != 1:
            raise errors.InvalidArgumentError(None, op, f"enqueue_many: the components' first dimensions differ: "
                                                        f"{sorted(rows)}")
        items = [[v[i, ...] for v in values] for i in range(rows.pop())]
    else:
        items = [values]
    state = queue_state(session, queue)
    if state.closed:
        raise errors.CancelledError(None, op, f"{queue._kind} '{queue.name}' is closed.")
    host.on_success(lambda: state.put(items))
    return [np.array(True)]


def _answer_dequeue(session: Any, op: Operation, feeds: dict, host: Any) -> list:
    queue, n = op.attrs["queue"], op.attrs["n"]
    state = queue_state(session, queue)
    items = state.take(1 if n is None else n, op.attrs["up_to"], op)
    host.on_failure(lambda: state.give_back(items))
    if n is None:
        return [np.asarray(c, dtype=d.np_type) for c, d in zip(items[0], queue.dtypes)]
    return [np.stack([item[i] for item in items]).astype(d.np_type, copy=False) for i, d in enumerate(queue.dtypes)]


def _answer_close(session: Any, op: Operation, feeds: dict, host: Any) -> list:
    state = queue_state(session, op.attrs["queue"])
    host.on_success(lambda: state.close(op.attrs["cancel"]))
    return [np.array(True)]


def _answer_size(session: Any, op: Operation, feeds: dict, host: Any) -> list:
    return [np.array(len(queue_state(session, op.attrs["queue"]).items), dtype=np.int32)]


def _done(inputs: list, attrs: dict) -> list:
    return [(dtypes.bool_, TensorShape([]))]


for _type, _infer, _answer in (
        ("QueueEnqueueV2", _done, _answer_enqueue), ("QueueEnqueueManyV2", _done, _answer_enqueue),
        ("QueueCloseV2", _done, _answer_close),
        ("QueueDequeueV2", lambda inputs, attrs: attrs["specs"], _answer_dequeue),
        ("QueueSizeV2", lambda inputs, attrs: [(dtypes.int32, TensorShape([]))], _answer_size)):
    register(OpDef(_type, "source", infer=_infer, numpy=None, differentiable=False, pure=False))
    STATE_QUERIES.add(_type)
    QUERY_ANSWERS[_type] = _answer
