"""``tf.data.Iterator``: graph ops whose values the session supplies from host-side iterator state.

``get_next()`` makes an ``IteratorGetNext`` op and ``initializer`` a ``MakeIterator`` op; both are
state queries (``ops.state.STATE_QUERIES``): before a run's executable starts, the session asks
``_answer_*`` here for their values and feeds them like placeholders, so every backend runs them
unchanged. Each run that needs ``get_next()`` takes exactly one element; if the run fails the
element goes back (``runtime.host_run``). An initializer's new state replaces the old one only
once its run has succeeded. Iterator state belongs to the session that runs it.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any, Iterator as PyIterator, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.data import structure
from graphc.data.dataset import Dataset
from graphc.data.functions import Env, new_runner
from graphc.graph import Graph, Operation, Tensor, get_default_graph
from graphc.ops.core import OpDef, make_op, register
from graphc.ops.state import QUERY_ANSWERS, SESSION_CLOSED, STATE_QUERIES
from graphc.shape import TensorShape

_HANDLE_PREFIX = b"graphc-iterator:"


def _get_next_infer(inputs: list, attrs: dict) -> list:
    return [(s.dtype, s.shape) for s in attrs["specs"]]


register(OpDef("IteratorGetNext", "source", infer=_get_next_infer, numpy=None, differentiable=False, pure=False))
register(OpDef("MakeIterator", "source", infer=lambda inputs, attrs: [(dtypes.bool_, TensorShape([]))],
               numpy=None, differentiable=False, pure=False))
register(OpDef("IteratorToStringHandle", "source", infer=lambda inputs, attrs: [(dtypes.string, TensorShape([]))],
               numpy=None, differentiable=False, pure=False))
STATE_QUERIES.update({"IteratorGetNext", "MakeIterator", "IteratorToStringHandle"})

_BY_GRAPH: "weakref.WeakKeyDictionary[Graph, dict]" = weakref.WeakKeyDictionary()   # name -> Iterator


class Iterator(structure.ElementStructure):
    """An iterator over a dataset's elements, living in a session (TF1 ``tf.data.Iterator``).

    Make one with ``dataset.make_one_shot_iterator()``, ``dataset.make_initializable_iterator()``,
    ``Iterator.from_structure`` or ``Iterator.from_string_handle``.
    """

    def __init__(self, specs: Any, name: str, one_shot: Optional[Dataset] = None,
                 handle: Optional[Tensor] = None) -> None:
        self._specs = specs
        self._graph = get_default_graph()
        self.name = self._graph.unique_name(name)
        self._one_shot = one_shot
        self._handle = handle
        self._initializer: Optional[Operation] = None
        _BY_GRAPH.setdefault(self._graph, {})[self.name] = self

    @classmethod
    def _one_shot(cls, dataset: Dataset) -> "Iterator":
        return cls(dataset._specs, "OneShotIterator", one_shot=dataset)

    @classmethod
    def _initializable(cls, dataset: Dataset) -> "Iterator":
        it = cls(dataset._specs, "Iterator")
        it._initializer = it.make_initializer(dataset)
        return it

    @staticmethod
    def from_structure(output_types: Any, output_shapes: Any = None, shared_name: Optional[str] = None,
                       output_classes: Any = None) -> "Iterator":
        """An iterator not bound to a dataset: ``make_initializer(dataset)`` (re)starts it on any
        dataset of this structure (switching between training and validation data)."""
        return Iterator(structure.specs_from(output_types, output_shapes), "Iterator")

    @staticmethod
    def from_string_handle(string_handle: Any, output_types: Any, output_shapes: Any = None,
                           output_classes: Any = None) -> "Iterator":
        """An iterator that, in each run, takes its element from the iterator whose
        ``string_handle()`` value ``string_handle`` (usually a fed placeholder) holds."""
        from graphc.ops.core import convert_to_tensor

        handle = convert_to_tensor(string_handle)
        if handle.dtype is not dtypes.string:
            raise TypeError(f"string_handle must be a tf.string tensor, got {handle.dtype.name}")
        return Iterator(structure.specs_from(output_types, output_shapes), "IteratorFromStringHandle",
                        handle=handle)

    # ops --------------------------------------------------------------------------------------
    @property
    def initializer(self) -> Operation:
        """The op that (re)starts this iterator on its dataset (``make_initializable_iterator``)."""
        if self._initializer is None:
            raise ValueError("Iterator does not have an initializer: make it with "
                             "make_initializable_iterator(), or use make_initializer(dataset).")
        return self._initializer

    def make_initializer(self, dataset: Dataset, name: Optional[str] = None) -> Operation:
        """An op that (re)starts this iterator on ``dataset``, whose structure must match."""
        if self._handle is not None or self._one_shot is not None:
            raise ValueError("Only iterators made by make_initializable_iterator or from_structure can "
                             "be initialized with a dataset")
        _check_compatible(self._specs, dataset._specs)
        op = make_op("MakeIterator", [], {"iterator": self, "dataset": dataset}, name or "MakeIterator")
        self._graph._state_queries.append(op)
        return op

    def get_next(self, name: Optional[str] = None) -> Any:
        """The next element as graph tensors (nested like the element); every run that needs them
        takes one element. At the end, the run raises ``tf.errors.OutOfRangeError``."""
        flat = structure.flatten(self._specs)
        op = make_op("IteratorGetNext", [], {"iterator": self, "specs": flat}, name or "IteratorGetNext")
        self._graph._state_queries.append(op)
        return structure.pack(self._specs, list(op.outputs))

    def string_handle(self, name: Optional[str] = None) -> Tensor:
        """A string scalar naming this iterator, to feed to ``from_string_handle`` iterators."""
        op = make_op("IteratorToStringHandle", [], {"iterator": self}, name or "IteratorToStringHandle")
        self._graph._state_queries.append(op)
        return op.outputs[0]


def _check_compatible(mine: Any, theirs: Any) -> None:
    a, b = structure.flatten(mine), structure.flatten(theirs)
    if not structure.same_structure(mine, theirs) or [s.dtype for s in a] != [s.dtype for s in b]:
        raise TypeError(f"Expected output types {structure.types_of(mine)!r} but got dataset with output "
                        f"types {structure.types_of(theirs)!r}.")
    if not all(x.shape.is_compatible_with(y.shape) for x, y in zip(a, b)):
        raise TypeError(f"Expected output shapes compatible with {structure.shapes_of(mine)!r} but got "
                        f"dataset with output shapes {structure.shapes_of(theirs)!r}.")


# session-side state -----------------------------------------------------------------------------
class Runtime:
    """One initialized iterator in one session: the element stream, and elements handed back by
    failed runs (served first)."""

    def __init__(self, dataset: Dataset, env: Env) -> None:
        self.specs = structure.flatten(dataset._specs)
        self._elements: PyIterator[list] = dataset._iterate(env)
        self._returned: list = []
        self._ended = False
        self._lock = threading.Lock()     # runs of several threads may pull at once

    def pull(self, op: Operation) -> list:
        """The next element; OutOfRangeError at the end."""
        with self._lock:
            return self._pull(op)

    def _pull(self, op: Operation) -> list:
        if self._returned:
            return self._returned.pop()
        if not self._ended:
            try:
                element = next(self._elements)
            except StopIteration:
                self._ended = True
            else:
                if isinstance(element, structure.ElementError):   # this element's error, raised once
                    raise element.error
                return element
        raise errors.OutOfRangeError(None, op, f"End of sequence\n\t [[node {op.name}]]")

    def give_back(self, element: list) -> None:
        """Returns an element a failed run took, to be served next."""
        with self._lock:
            self._returned.append(element)

    def close(self) -> None:
        """Stops the pipeline (and its prefetch threads)."""
        with self._lock:
            self._elements.close()


class _SessionData:
    """Per session: the iterators' runtimes and the private session running dataset functions."""

    def __init__(self) -> None:
        self.runtimes: dict = {}
        self.runners: dict = {}

    def runner(self, graph: Graph) -> Any:
        r = self.runners.get(graph)
        if r is None:
            r = self.runners[graph] = new_runner(graph)
        return r


_SESSIONS: "weakref.WeakKeyDictionary[Any, _SessionData]" = weakref.WeakKeyDictionary()
_STARTING = threading.RLock()


def _release(session: Any) -> None:
    """Session.close: stops the session's pipelines (their prefetch and map threads) and drops them."""
    data = _SESSIONS.pop(session, None)
    if data is not None:
        for runtime in data.runtimes.values():
            runtime.close()
        for runner in data.runners.values():
            runner.close()


SESSION_CLOSED.append(_release)


def _data(session: Any) -> _SessionData:
    d = _SESSIONS.get(session)
    if d is None:
        d = _SESSIONS[session] = _SessionData()
    return d


def _start(session: Any, dataset: Dataset, feeds: dict) -> Runtime:
    """A new runtime for ``dataset``: evaluates the graph tensors it reads, with the run's feeds."""
    tensors = dataset._tensors()
    values = {}
    if tensors:
        pending = [t for t in tensors if t not in feeds]
        values.update({t: feeds[t] for t in tensors if t in feeds})
        if pending:
            values.update(zip(pending, (np.asarray(v) for v in session.run(pending, feed_dict=feeds))))
    return Runtime(dataset, Env(values, _data(session).runner(session.graph)))


def _install(session: Any, iterator: Iterator, runtime: Runtime) -> None:
    data = _data(session)
    old = data.runtimes.get(iterator)
    data.runtimes[iterator] = runtime
    if old is not None:
        old.close()


def _target(session: Any, iterator: Iterator, feeds: dict, op: Operation) -> Iterator:
    """The iterator whose element a ``get_next`` op takes (resolving string handles)."""
    if iterator._handle is None:
        return iterator
    value = feeds[iterator._handle] if iterator._handle in feeds else session.run(iterator._handle, feed_dict=feeds)
    raw = np.asarray(value, dtype=object)[()]
    raw = raw.encode() if isinstance(raw, str) else raw
    name = raw[len(_HANDLE_PREFIX):].decode() if isinstance(raw, bytes) and raw.startswith(_HANDLE_PREFIX) else None
    target = _BY_GRAPH.get(session.graph, {}).get(name) if name is not None else None
    if target is None:
        raise errors.InvalidArgumentError(None, op, f"{raw!r} is not the string_handle() of an iterator of "
                                                    "this graph")
    try:
        _check_compatible(iterator._specs, target._specs)
    except TypeError as e:
        raise errors.InvalidArgumentError(None, op, str(e)) from None
    return target


def _answer_get_next(session: Any, op: Operation, feeds: dict, host: Any) -> list:
    target = _target(session, op.attrs["iterator"], feeds, op)
    data = _data(session)
    with _STARTING:      # two threads' first runs of a one-shot iterator start it once
        runtime = data.runtimes.get(target)
        if runtime is None:
            if target._one_shot is None:
                raise errors.FailedPreconditionError(None, op, (
                    "GetNext() failed because the iterator has not been initialized. Ensure that you have run "
                    "the initializer operation for this iterator before getting the next element."))
            runtime = data.runtimes[target] = _start(session, target._one_shot, feeds)
    element = runtime.pull(op)
    host.on_failure(lambda: runtime.give_back(element))
    return [np.asarray(v, dtype=s.dtype.np_type) for v, s in zip(element, op.attrs["specs"])]


def _answer_make_iterator(session: Any, op: Operation, feeds: dict, host: Any) -> list:
    runtime = _start(session, op.attrs["dataset"], feeds)
    host.on_success(lambda: _install(session, op.attrs["iterator"], runtime))
    host.on_failure(runtime.close)
    return [np.array(True)]


def _answer_string_handle(session: Any, op: Operation, feeds: dict, host: Any) -> list:
    return [np.array(_HANDLE_PREFIX + op.attrs["iterator"].name.encode(), dtype=object)]


QUERY_ANSWERS.update({"IteratorGetNext": _answer_get_next, "MakeIterator": _answer_make_iterator,
                      "IteratorToStringHandle": _answer_string_handle})


def make_one_shot_iterator(dataset: Dataset) -> Iterator:
    """``tf.data.make_one_shot_iterator(dataset)``."""
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset: Dataset, shared_name: Optional[str] = None) -> Iterator:
    """``tf.data.make_initializable_iterator(dataset)``."""
    return dataset.make_initializable_iterator(shared_name)
