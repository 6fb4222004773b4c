"""Dataset functions (``map``, ``filter``, ``flat_map`` ...): traced once into graph ops, run per element.

``trace`` calls the user's function on placeholders shaped like the dataset's element, inside a
name scope of the dataset's graph, so the function becomes ordinary graphc ops. Tensors the
function uses from outside (a placeholder, a variable's value) are its *captures*: the session
evaluates them when the iterator is initialized, as TF1 captures them, and every call feeds them.

``Env`` is one initialized iterator's view of the graph: the captured values and a private
Session that runs the traced ops. It is private so that a prefetch thread can run functions while
the user's session is blocked waiting for an element.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from graphc import dtypes
from graphc.data import structure
from graphc.graph import Graph, Tensor, get_default_graph, name_scope

# Functions run on the host with graphc's numpy executor: per element, their inputs have
# changing shapes, which would make a shape-specialized backend compile again and again.
FUNCTION_BACKEND = "eager"


class Traced:
    """A traced function: its argument placeholders, its outputs (a nest) and its captures."""

    def __init__(self, graph: Graph, arg_specs: Any, placeholders: list, result: Any, output_tensors: list,
                 captures: list, ops: list) -> None:
        self.graph = graph
        self.arg_specs = arg_specs
        self.placeholders = placeholders     # flat, in the element's component order
        self.result = result                 # what the function returned (tensors packed, or a Dataset)
        self.output_tensors = output_tensors  # flat tensors to evaluate per call
        self.captures = captures             # tensors from outside the function
        self.ops = ops                       # the ops tracing created, in creation (topological) order

    def draws_random_numbers(self) -> bool:
        """Whether a call runs a random op (whose stream a private Session numbers per call)."""
        from graphc.ops.core import OPS, OpKind
        return any(OPS[op.type].kind is OpKind.RANDOM for op in self.ops if op.type in OPS)


def trace(fn: Callable, arg_specs: Any, scope: str, outputs_of: Optional[Callable] = None) -> Traced:
    """Traces ``fn`` on placeholders for ``arg_specs`` (a tuple element is unpacked into arguments,
    as TF1 does). ``outputs_of(result)`` lists the tensors a call must evaluate (default: the
    result's components, which must all be tensors or values convertible to tensors)."""
    from graphc.ops.core import convert_to_tensor
    from graphc.ops.source import placeholder

    graph = get_default_graph()
    first = len(graph._ops)
    with name_scope(scope):
        flat = [placeholder(s.dtype, s.shape, name=f"arg{i}") for i, s in enumerate(structure.flatten(arg_specs))]
        args = structure.pack(arg_specs, flat)
        result = fn(*args) if type(args) is tuple else fn(args)
        if outputs_of is None:
            result = _as_tuples(result)
            result = structure.map_structure(
                lambda v: v if isinstance(v, Tensor) else convert_to_tensor(v), result)
            outputs = structure.flatten(result)
        else:
            outputs = outputs_of(result)
    new_ops = graph._ops[first:]
    return Traced(graph, arg_specs, flat, result, outputs, _captures(outputs, set(new_ops)), new_ops)


def _as_tuples(value: Any) -> Any:
    """Lists returned by a function are tuples of components (TF1 converts them the same way)."""
    if isinstance(value, list):
        return tuple(_as_tuples(v) for v in value)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_as_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _as_tuples(v) for k, v in value.items()}
    if hasattr(value, "_graph_tensor"):   # a Variable: its value
        return value._graph_tensor()
    return value


def _captures(outputs: list, created: set) -> list:
    """Tensors made outside the function (not by an op in ``created``) that the outputs depend on."""
    seen: set = set()
    captures: list = []
    stack = [t for t in outputs]
    while stack:
        t = stack.pop()
        if t in seen:
            continue
        seen.add(t)
        if t.op not in created:
            captures.append(t)
            continue
        stack.extend(t.op.inputs)
        for c in t.op.control_inputs:
            stack.extend(c.outputs)
    return captures


class Env:
    """The values an initialized iterator's datasets read: captured tensors, and the session that
    runs traced functions. ``seeds`` keeps per-initialization random state (shuffle)."""

    def __init__(self, values: dict, runner: Any) -> None:
        self.values = values
        self.runner = runner
        self.state: dict = {}

    def child(self, extra: dict) -> "Env":
        """An Env that also knows ``extra`` (the tensors of a dataset a function built)."""
        env = Env({**self.values, **extra}, self.runner)
        env.state = self.state
        return env

    def call(self, traced: Traced, flat: list, runner: Any = None) -> list:
        """Runs ``traced`` on one element's flat components (in ``runner``, default this Env's
        Session); returns its flat outputs as arrays."""
        feeds = dict(zip(traced.placeholders, flat))
        for t in traced.captures:
            feeds[t] = self.values[t]
        if not traced.output_tensors:
            return []
        results = (runner or self.runner).run(traced.output_tensors, feed_dict=feeds)
        return [_array(r, t.dtype) for r, t in zip(results, traced.output_tensors)]


def _array(value: Any, dtype: dtypes.DType) -> np.ndarray:
    if dtype is dtypes.string:
        return structure.to_array(value, dtype)
    return np.asarray(value, dtype=dtype.np_type)


def new_runner(graph: Graph) -> Any:
    """A private Session on ``graph`` for an iterator's traced functions."""
    from graphc.runtime.session import Session

    return Session(graph=graph, backend=FUNCTION_BACKEND)
