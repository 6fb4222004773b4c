"""The graph IR: ``Graph``, ``Operation``, ``Tensor``; naming, scopes, default graphs, collections.

Operations are immutable once built. Each construction makes a new, uniquely named node, as in
TF1 (``add``, ``add_1``); equal subexpressions are merged later by the CSE pass, not here, so
that TF1's naming holds.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Any, Iterator, Optional

from graphc import dtypes as _dtypes
from graphc.shape import TensorShape, as_shape

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _creation_site() -> Optional[str]:
    """The first stack frame outside graphc: where the user built this node."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


class GraphKeys:
    """Standard collection names (TF1's ``tf.GraphKeys``)."""

    GLOBAL_VARIABLES = "variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    LOCAL_VARIABLES = "local_variables"
    MODEL_VARIABLES = "model_variables"
    GLOBAL_STEP = "global_step"
    SUMMARIES = "summaries"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    REGULARIZATION_LOSSES = "regularization_losses"
    TRAIN_OP = "train_op"
    INIT_OP = "init_op"


class Tensor:
    """One output of an Operation: a symbolic value with a static dtype and (partial) shape."""

    __slots__ = ("op", "value_index", "dtype", "_shape", "__weakref__")
    # numpy must not treat tensors as arrays (so `ndarray + tensor` calls Tensor.__radd__)
    __array_priority__ = 100
    __array_ufunc__ = None

    def __init__(self, op: "Operation", value_index: int, dtype: _dtypes.DType, shape: TensorShape) -> None:
        self.op = op
        self.value_index = value_index
        self.dtype = dtype
        self._shape = shape

    @property
    def name(self) -> str:
        return f"{self.op.name}:{self.value_index}"

    @property
    def graph(self) -> "Graph":
        return self.op.graph

    @property
    def shape(self) -> TensorShape:
        return self._shape

    def get_shape(self) -> TensorShape:
        return self._shape

    def set_shape(self, shape: Any) -> None:
        """Refines the static shape (TF1 ``set_shape``); raises if incompatible."""
        self._shape = self._shape.merge_with(as_shape(shape))

    @property
    def device(self) -> str:
        return ""

    def consumers(self) -> list:
        return [op for op in self.graph.get_operations() if self in op.inputs]

    def eval(self, feed_dict: Optional[dict] = None, session: Any = None) -> Any:
        """Runs this tensor in ``session`` or the default session (TF1 ``Tensor.eval``)."""
        from graphc.runtime.session import _session_for_eval

        return _session_for_eval(session, self.graph).run(self, feed_dict=feed_dict)

    def __repr__(self) -> str:
        return f"<tf.Tensor '{self.name}' shape={self._shape} dtype={self.dtype.name}>"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: Any) -> bool:  # identity, as in TF1 graph mode
        return self is other

    def __bool__(self) -> bool:
        raise TypeError(
            f"Using a tf.Tensor ({self.name}) as a Python bool is not allowed: its value is only "
            "known when the graph runs. Use tf.cond-free forms such as tf.where, or run it first.")

    def __iter__(self):
        dims = self._shape.as_tuple()
        if dims is None or not dims or dims[0] is None:
            raise TypeError(f"Tensor {self.name} of shape {self._shape} is not iterable: "
                            "its first dimension must be statically known.")
        return iter([self[i] for i in range(dims[0])])

    def __len__(self) -> int:
        dims = self._shape.as_tuple()
        if dims is None or not dims or dims[0] is None:
            raise TypeError(f"len() of tensor {self.name} with shape {self._shape} is not known statically")
        return dims[0]


class Operation:
    """A node of the graph: an op type, inputs, attributes and outputs (immutable once built)."""

    def __init__(self, graph: "Graph", op_type: str, name: str, inputs: tuple, attrs: dict,
                 output_specs: list, control_inputs: tuple) -> None:
        self.graph = graph
        self.type = op_type
        self.name = name
        self._inputs = tuple(inputs)
        self.attrs = dict(attrs)
        self.outputs = [Tensor(self, i, dt, as_shape(sh)) for i, (dt, sh) in enumerate(output_specs)]
        self.control_inputs = tuple(control_inputs)
        self.creation_site = _creation_site()
        self._id = graph._next_id()

    @property
    def inputs(self) -> tuple:
        return self._inputs

    @property
    def device(self) -> str:
        return ""

    def get_attr(self, name: str) -> Any:
        if name not in self.attrs:
            raise ValueError(f"Operation {self.name} ({self.type}) has no attr named {name!r}")
        return self.attrs[name]

    def values(self) -> tuple:
        return tuple(self.outputs)

    def run(self, feed_dict: Optional[dict] = None, session: Any = None) -> None:
        """Runs this operation in ``session`` or the default session (TF1 ``Operation.run``)."""
        from graphc.runtime.session import _session_for_eval

        _session_for_eval(session, self.graph).run(self, feed_dict=feed_dict)

    def __repr__(self) -> str:
        return f"<tf.Operation '{self.name}' type={self.type}>"


class Graph:
    """A TF1 graph: the operations, their names and scopes, collections and the graph seed."""

    def __init__(self) -> None:
        self._ops: list = []
        self._ops_by_name: dict = {}
        self._names_in_use: dict = {}
        self._name_stack = ""
        self._control_stack: list = []
        self._collections: dict = {}
        self._id_counter = 0
        self._lock = threading.RLock()
        self.seed: Optional[int] = None
        self._finalized = False
        self._variable_store: dict = {}     # get_variable names -> Variable
        self._var_scope_stack: list = []    # VariableScope objects (see variable_scope.py)
        self.version = 0                    # bumped on each new op; part of executable cache keys

    # ids and names --------------------------------------------------------------------------
    def _next_id(self) -> int:
        self._id_counter += 1
        return self._id_counter

    @property
    def _last_id(self) -> int:
        return self._id_counter

    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """Scoped, unique name for ``name``: ``scope/name``, then ``scope/name_1``, ..."""
        if self._name_stack:
            name = f"{self._name_stack}/{name}"
        key = name.lower()
        i = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = i + 1
        if i > 0:
            base = key
            while f"{base}_{i}" in self._names_in_use:
                i += 1
            if mark_as_used:
                self._names_in_use[f"{base}_{i}"] = 1
            name = f"{name}_{i}"
        return name

    def get_name_scope(self) -> str:
        return self._name_stack

    @contextlib.contextmanager
    def name_scope(self, name: Optional[str]) -> Iterator[str]:
        """TF1 name scopes: a new unique scope, ``"x/"`` to re-enter exactly, None/"" for the root."""
        old = self._name_stack
        if not name:
            new = ""
        elif name.endswith("/"):
            new = name[:-1]
        else:
            new = self.unique_name(name)
        self._name_stack = new
        try:
            yield (new + "/") if new else ""
        finally:
            self._name_stack = old

    # building ---------------------------------------------------------------------------------
    def create_op(self, op_type: str, inputs: tuple, attrs: dict, output_specs: list,
                  name: str) -> Operation:
        """Adds an op; ``name`` ending in '/' is taken verbatim (the TF1 convention)."""
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")
        with self._lock:
            if name.endswith("/"):
                full = name[:-1]
                self._names_in_use.setdefault(full.lower(), 1)
            else:
                full = self.unique_name(name)
            control = self._current_control_inputs(inputs)
            op = Operation(self, op_type, full, inputs, attrs, output_specs, control)
            self._ops.append(op)
            self._ops_by_name[full] = op
            self.version += 1
        return op

    def _current_control_inputs(self, inputs: tuple) -> tuple:
        result = []
        for frame in self._control_stack:
            if frame is None:
                result = []
                continue
            result.extend(frame)
        seen = set()
        unique = []
        for op in result:
            if id(op) not in seen:
                seen.add(id(op))
                unique.append(op)
        return tuple(unique)

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs: Any) -> Iterator[None]:
        """Ops built inside run after ``control_inputs`` (None clears outer dependencies)."""
        if control_inputs is None:
            frame = None
        else:
            frame = [self._as_op(c) for c in control_inputs]
        self._control_stack.append(frame)
        try:
            yield
        finally:
            self._control_stack.pop()

    def _as_op(self, value: Any) -> Operation:
        if isinstance(value, Operation):
            op = value
        elif isinstance(value, Tensor):
            op = value.op
        elif hasattr(value, "op") and isinstance(value.op, Operation):
            op = value.op
        else:
            raise TypeError(f"Control input must be an Operation or Tensor, got {value!r}")
        if op.graph is not self:
            raise ValueError(f"Control input {op.name} is from a different graph.")
        return op

    # lookup -----------------------------------------------------------------------------------
    def get_operations(self) -> list:
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        if name not in self._ops_by_name:
            raise KeyError(f"The name '{name}' refers to an Operation not in the graph.")
        return self._ops_by_name[name]

    def get_tensor_by_name(self, name: str) -> Tensor:
        if ":" not in name:
            raise ValueError(f"The name '{name}' looks like an Operation name, not a Tensor name "
                             "(tensor names look like 'op_name:0').")
        op_name, _, index = name.rpartition(":")
        op = self.get_operation_by_name(op_name)
        try:
            return op.outputs[int(index)]
        except (ValueError, IndexError):
            raise KeyError(f"The name '{name}' refers to a Tensor which does not exist: "
                           f"operation '{op_name}' has {len(op.outputs)} outputs.") from None

    def as_graph_element(self, obj: Any, allow_tensor: bool = True, allow_operation: bool = True) -> Any:
        """Resolves a name string, Tensor, Operation or Variable to a Tensor or Operation of this graph."""
        if isinstance(obj, str):
            if ":" in obj and allow_tensor:
                return self.get_tensor_by_name(obj)
            if allow_operation:
                return self.get_operation_by_name(obj)
            raise ValueError(f"Name '{obj}' names an Operation, but a Tensor was expected")
        if hasattr(obj, "_as_graph_element"):
            obj = obj._as_graph_element()
        if isinstance(obj, (Tensor, Operation)):
            if obj.graph is not self:
                raise ValueError(f"{obj!r} is not an element of this graph.")
            return obj
        raise TypeError(f"Can not convert a {type(obj).__name__} into a Tensor or Operation.")

    # collections ------------------------------------------------------------------------------
    def add_to_collection(self, name: str, value: Any) -> None:
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names: Any, value: Any) -> None:
        for name in ([names] if isinstance(names, str) else names):
            self.add_to_collection(name, value)

    def get_collection(self, name: str, scope: Optional[str] = None) -> list:
        items = list(self._collections.get(name, []))
        if scope is None:
            return items
        import re

        pattern = re.compile(scope)
        return [i for i in items if hasattr(i, "name") and pattern.match(i.name)]

    def get_collection_ref(self, name: str) -> list:
        return self._collections.setdefault(name, [])

    def get_all_collection_keys(self) -> list:
        return list(self._collections)

    def clear_collection(self, name: str) -> None:
        self._collections.pop(name, None)

    # default graph ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def as_default(self) -> Iterator["Graph"]:
        _stack().append(self)
        try:
            yield self
        finally:
            _stack().pop()

    def finalize(self) -> None:
        self._finalized = True

    @property
    def finalized(self) -> bool:
        return self._finalized

    def __repr__(self) -> str:
        return f"<graphc.Graph with {len(self._ops)} ops>"


_global_default_graph: Optional[Graph] = None
_thread_local = threading.local()


def _stack() -> list:
    if not hasattr(_thread_local, "stack"):
        _thread_local.stack = []
    return _thread_local.stack


def get_default_graph() -> Graph:
    """The innermost ``as_default`` graph of this thread, else the global default graph."""
    global _global_default_graph
    stack = _stack()
    if stack:
        return stack[-1]
    if _global_default_graph is None:
        _global_default_graph = Graph()
    return _global_default_graph


def reset_default_graph() -> None:
    """Replaces the global default graph with a new empty one (TF1 semantics)."""
    global _global_default_graph
    if _stack():
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. "
                             "If you need a cleared graph, exit the nesting and create a new graph.")
    _global_default_graph = Graph()


def name_scope(name: Optional[str], default_name: Optional[str] = None, values: Any = None):
    """``tf.name_scope``: opens a name scope in the default graph (or the graph of ``values``)."""
    graph = get_default_graph()
    for v in values or ():
        if isinstance(v, Tensor):
            graph = v.graph
            break
    return graph.name_scope(name if name is not None else default_name)


def control_dependencies(control_inputs: Any):
    return get_default_graph().control_dependencies(control_inputs)


def add_to_collection(name: str, value: Any) -> None:
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names: Any, value: Any) -> None:
    get_default_graph().add_to_collections(names, value)


def get_collection(key: str, scope: Optional[str] = None) -> list:
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key: str) -> list:
    return get_default_graph().get_collection_ref(key)


def set_random_seed(seed: int) -> None:
    """Sets the graph-level seed of the default graph (TF1 ``tf.set_random_seed``)."""
    get_default_graph().seed = None if seed is None else int(seed)
