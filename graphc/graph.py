"""The graph IR: ``Graph``, ``Operation``, ``Tensor``; naming, scopes, default graphs, collections.

Operations are immutable once built. Each construction makes a new, uniquely named node, as in
TF1 (``add``, ``add_1``); equal subexpressions are merged later by the CSE pass, not here, so
that TF1's naming holds.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from typing import Any, Callable, Iterator, Optional

from graphc import device_spec as _device
from graphc import dtypes as _dtypes
from graphc.shape import TensorShape, as_shape

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# TF1's rules for node names and for name scopes below the root (no backslash: TF1's "\\-" is an
# escaped hyphen); matched whole, so a trailing newline is refused too
_VALID_OP_NAME = re.compile(r"[A-Za-z0-9.][A-Za-z0-9_.\-/>]*")
_VALID_SCOPE_NAME = re.compile(r"[A-Za-z0-9_.\-/>]*")


def _creation_site() -> Optional[str]:
    """The first stack frame outside graphc: where the user built this node."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def _check_op_name(name: str) -> None:
    if not _VALID_OP_NAME.fullmatch(name):
        raise ValueError(f"`{name}` is not a valid node name. Accepted names conform to Regex "
                         f"/{_VALID_OP_NAME.pattern}/: start with a letter, digit or '.', then use "
                         "letters, digits and _ . / > -")


def _check_scope_name(name: str, root: bool) -> None:
    pattern = _VALID_OP_NAME if root else _VALID_SCOPE_NAME
    if not pattern.fullmatch(name):
        kind = "root scope name" if root else "scope name"
        raise ValueError(f"'{name}' is not a valid {kind}. A {kind} has to match the following "
                         f"pattern: {pattern.pattern}")


def _bracketed(dims: tuple) -> str:
    """TF's compact shape form in shape-inference errors: ``[4,?]``."""
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


class GraphKeys:
    """Standard collection names (TF1's ``tf.GraphKeys``)."""

    GLOBAL_VARIABLES = "variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    LOCAL_VARIABLES = "local_variables"
    METRIC_VARIABLES = "metric_variables"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
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
        """Refines the static shape (TF1 ``set_shape``); raises ValueError if incompatible."""
        new = as_shape(shape)
        old_dims, new_dims = self._shape.as_tuple(), new.as_tuple()
        if old_dims is not None and new_dims is not None:
            if len(old_dims) != len(new_dims):
                raise ValueError(f"Shapes must be equal rank, but are {len(old_dims)} and {len(new_dims)} "
                                 f"(setting shape {new} on tensor {self.name} of shape {self._shape})")
            for i, (a, b) in enumerate(zip(old_dims, new_dims)):
                if a is not None and b is not None and a != b:
                    raise ValueError(f"Dimension {i} in both shapes must be equal, but are {a} and {b}. "
                                     f"Shapes are {_bracketed(old_dims)} and {_bracketed(new_dims)}. "
                                     f"(setting the shape of tensor {self.name})")
        self._shape = self._shape.merge_with(new)

    @property
    def device(self) -> str:
        """The device its op asked for (``tf.device``), "" if none."""
        return self.op.device

    def consumers(self) -> list:
        return [op for op in self.graph.get_operations() if self in op.inputs]

    def eval(self, feed_dict: Optional[dict] = None, session: Any = None) -> Any:
        """Runs this tensor in ``session`` or the default session (TF1 ``Tensor.eval``)."""
        return session_for_eval(session, self.graph).run(self, feed_dict=feed_dict)

    def __repr__(self) -> str:
        return f"<tf.Tensor '{self.name}' shape={self._shape} dtype={self.dtype.name}>"

    # == and hash are object identity (the defaults, fast in C), as in TF1 graph mode

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
        self._control_inputs = tuple(control_inputs)
        self._device = ""
        self._gradient_override: Optional[str] = None   # a RegisterGradient name (gradient_override_map)
        self.creation_site = _creation_site()
        self._id = graph._next_id()

    @property
    def inputs(self) -> tuple:
        return self._inputs

    @property
    def control_inputs(self) -> list:
        """Ops that must run before this one (a fresh list, as TF1 returns)."""
        return list(self._control_inputs)

    @property
    def device(self) -> str:
        """The device requested for this op under ``tf.device`` (TF1's string form), "" if none."""
        return self._device

    def get_attr(self, name: str) -> Any:
        if name not in self.attrs:
            raise ValueError(f"Operation {self.name} ({self.type}) has no attr named {name!r}")
        return self.attrs[name]

    def values(self) -> tuple:
        return tuple(self.outputs)

    def run(self, feed_dict: Optional[dict] = None, session: Any = None) -> None:
        """Runs this operation in ``session`` or the default session (TF1 ``Operation.run``)."""
        session_for_eval(session, self.graph).run(self, feed_dict=feed_dict)

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
        self._device_stack: list = []       # graphc.device_spec.DeviceFrame, outermost first
        self._collections: dict = {}
        self._id_counter = 0
        self._lock = threading.RLock()
        self.seed: Optional[int] = None
        self._finalized = False
        self._variable_store: dict = {}     # get_variable names -> Variable
        self._state_queries: list = []      # IsVariableInitialized ops (the session feeds them)
        self._var_scope_stack: list = []    # VariableScope objects (see variable_scope.py)
        self._gradient_override_map: dict = {}   # op type -> RegisterGradient name (gradient_override_map)
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
        if name:
            _check_scope_name(name, root=not old)
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
                _check_op_name(full)
                if full in self._ops_by_name:
                    raise ValueError(f"Duplicate node name in graph: '{full}'")
                self._names_in_use.setdefault(full.lower(), 1)
            else:
                _check_op_name(f"{self._name_stack}/{name}" if self._name_stack else name)
                full = self.unique_name(name)
            inputs = self._own_inputs(inputs, full)
            control = self._current_control_inputs(inputs)
            op = Operation(self, op_type, full, inputs, attrs, output_specs, control)
            if self._device_stack:
                op._device = _device.resolve(self._device_stack, op)
            if op_type in self._gradient_override_map:
                op._gradient_override = self._gradient_override_map[op_type]
            self._ops.append(op)
            self._ops_by_name[full] = op
            self.version += 1
        return op

    def _own_inputs(self, inputs: tuple, op_name: str) -> tuple:
        """``inputs`` as tensors of this graph. A plain graph refuses another graph's tensor; a
        body graph (``graphc.control_flow.FuncGraph``) captures it instead."""
        for t in inputs:
            if isinstance(t, Tensor) and t.graph is not self:
                raise ValueError(f"Tensor {t.name} (from {t.graph!r}) cannot be an input of op '{op_name}' "
                                 f"in another graph, {self!r}: build both in one graph (check your "
                                 "`with graph.as_default():` blocks).")
        return inputs

    def _can_capture(self, graph: "Graph") -> bool:
        """Whether an op built here may use tensors of ``graph`` (a body graph: its enclosing graphs too)."""
        return graph is self

    def _outermost(self) -> "Graph":
        """The graph that holds variables and the session's state: this one (a body graph: its root)."""
        return self

    def hoisted_transpose(self, t: "Tensor") -> Optional["Tensor"]:
        """A matrix product's transposed operand ``t`` as its transpose computed once outside a
        loop, standing here; None: ``t`` is not loop-invariant here (only a loop body says otherwise)."""
        return None

    def hoisted_columns(self, t: "Tensor", widths: tuple) -> Optional[list]:
        """A matrix ``t`` as its column blocks of ``widths``, each sliced once outside a loop and
        standing here; None: ``t`` is not loop-invariant here (only a loop body says otherwise)."""
        return None

    def _current_control_inputs(self, inputs: tuple) -> tuple:
        """The innermost control_dependencies frames (up to a None), minus ops already feeding data."""
        result: list = []
        for frame in self._control_stack:
            if frame is None:
                result = []
                continue
            result.extend(frame)
        seen = {id(t.op) for t in inputs if isinstance(t, Tensor)}
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

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map: dict) -> Iterator[None]:
        """Ops of the mapped types built inside take their gradient from the function registered
        under the mapped name with ``tf.RegisterGradient`` (TF1 ``Graph.gradient_override_map``)."""
        if not isinstance(op_type_map, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in op_type_map.items()):
            raise TypeError(f"op_type_map must be a dictionary mapping strings to strings, got {op_type_map!r}")
        saved = dict(self._gradient_override_map)
        self._gradient_override_map.update(op_type_map)
        try:
            yield
        finally:
            self._gradient_override_map = saved

    @contextlib.contextmanager
    def device(self, device_name_or_function: Any) -> Iterator[None]:
        """Ops built inside record this device (a string, DeviceSpec, function of the op, or None)."""
        self._device_stack.append(_device.frame_for(device_name_or_function))
        try:
            yield
        finally:
            self._device_stack.pop()

    def _as_op(self, value: Any) -> Operation:
        if isinstance(value, Operation):
            op = value
        elif isinstance(value, Tensor):
            op = value.op
        elif hasattr(value, "op") and isinstance(value.op, Operation):
            op = value.op
        else:
            raise TypeError(f"Can not convert a {type(value).__name__} into a Tensor or Operation. "
                            f"(control_dependencies needs Operations or Tensors, got {value!r})")
        if op.graph is not self:
            raise ValueError(f"Control input {op.name} is from a different graph than the ops being "
                             "built: build both in one graph.")
        return op

    # lookup -----------------------------------------------------------------------------------
    def get_operations(self) -> list:
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        """The operation called ``name`` (TF1 errors: ValueError for a tensor name, KeyError if absent)."""
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=False, allow_operation=True)

    def get_tensor_by_name(self, name: str) -> Tensor:
        """The tensor called ``name`` (``'op_name:index'``)."""
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def as_graph_element(self, obj: Any, allow_tensor: bool = True, allow_operation: bool = True) -> Any:
        """Resolves a name string (or bytes, as TF1 accepts), Tensor, Operation or Variable to a Tensor
        or Operation of this graph."""
        if isinstance(obj, bytes):
            obj = obj.decode("utf-8")
        if isinstance(obj, str):
            return self._element_by_name(obj, allow_tensor, allow_operation)
        if hasattr(obj, "_as_graph_element"):
            obj = obj._as_graph_element()
        if isinstance(obj, Tensor) and allow_tensor or isinstance(obj, Operation) and allow_operation:
            if obj.graph is not self:
                raise ValueError(f"{obj!r} is not an element of this graph.")
            return obj
        types = " or ".join(t for t, ok in (("Tensor", allow_tensor), ("Operation", allow_operation)) if ok)
        raise TypeError(f"Can not convert a {type(obj).__name__} into a {types}.")

    def _element_by_name(self, name: str, allow_tensor: bool, allow_operation: bool) -> Any:
        if ":" in name:
            if not allow_tensor:
                raise ValueError(f"Name '{name}' appears to refer to a Tensor, not a Operation.")
            op_name, _, index = name.rpartition(":")
            try:
                index = int(index)
            except ValueError:
                raise ValueError(f"The name '{name}' looks a like a Tensor name, but is not a valid one. "
                                 "Tensor names must be of the form \"<op_name>:<output_index>\".") from None
            op = self._ops_by_name.get(op_name)
            if op is None:
                raise KeyError(f"The name '{name}' refers to a Tensor which does not exist. "
                               f"The operation, '{op_name}', does not exist in the graph.")
            if not 0 <= index < len(op.outputs):
                raise KeyError(f"The name '{name}' refers to a Tensor which does not exist. "
                               f"The operation, '{op_name}', exists but only has {len(op.outputs)} outputs.")
            return op.outputs[index]
        if not allow_operation:
            if name in self._ops_by_name:
                raise ValueError(f"The name '{name}' refers to an Operation, not a Tensor. Tensor names "
                                 "must be of the form \"<op_name>:<output_index>\".")
            raise ValueError(f"The name '{name}' looks like an (invalid) Operation name, not a Tensor. "
                             "Tensor names must be of the form \"<op_name>:<output_index>\".")
        op = self._ops_by_name.get(name)
        if op is None:
            raise KeyError(f"The name '{name}' refers to an Operation not in the graph.")
        return op

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
        """Makes this the default graph of this thread inside the ``with`` block (blocks nest)."""
        stack = _stack()
        stack.append(self)
        try:
            yield self
        finally:
            for i in range(len(stack) - 1, -1, -1):  # innermost entry of self, even if closed out of order
                if stack[i] is self:
                    del stack[i]
                    break

    def finalize(self) -> None:
        self._finalized = True

    def _unsafe_unfinalize(self) -> None:
        """Opens a finalized graph again (TF1's: a MonitoredSession undoes its own finalize on close)."""
        self._finalized = False

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


# The default-session stack lives with the default-graph stack, as in TF1's framework/ops.py:
# ``Tensor.eval`` and ``Operation.run`` need it, and the graph layer imports nothing above it.
# Sessions are duck-typed here (``.graph``, ``.run``): the Session class is in graphc.runtime.
class _DefaultSessions(threading.local):
    def __init__(self) -> None:
        self.stack: list = []


_default_sessions = _DefaultSessions()


_GRADIENT_REGISTRY: dict = {}   # RegisterGradient name -> fn(op, *output_grads) -> input grads


class RegisterGradient:
    """A decorator registering a gradient function ``fn(op, *grads)`` under ``op_type`` (a name
    that ``Graph.gradient_override_map`` points ops at; TF1 ``tf.RegisterGradient``)."""

    def __init__(self, op_type: str) -> None:
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string")
        self._op_type = op_type

    def __call__(self, fn: Callable) -> Callable:
        if self._op_type in _GRADIENT_REGISTRY:
            raise KeyError(f"Registering two gradient with name '{self._op_type}'! (Previous registration was "
                           f"{_GRADIENT_REGISTRY[self._op_type].__name__})")
        _GRADIENT_REGISTRY[self._op_type] = fn
        return fn


def registered_gradient(name: str, op: "Operation") -> Callable:
    """The function ``RegisterGradient(name)`` registered; LookupError naming the op if none."""
    fn = _GRADIENT_REGISTRY.get(name)
    if fn is None:
        raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type}): its gradient is "
                          f"overridden with '{name}', but no function is registered under that name; decorate "
                          f"one with @tf.RegisterGradient({name!r}).")
    return fn


def get_default_session() -> Any:
    """The innermost session installed by ``with sess:`` / ``sess.as_default()`` / InteractiveSession."""
    stack = _default_sessions.stack
    return stack[-1] if stack else None


@contextlib.contextmanager
def default_session(session: Any) -> Iterator[Any]:
    """Makes ``session`` this thread's default session for the block (TF1 ``ops.default_session``)."""
    stack = _default_sessions.stack
    stack.append(session)
    try:
        yield session
    finally:
        for i in range(len(stack) - 1, -1, -1):  # innermost entry, even if closed out of order
            if stack[i] is session:
                del stack[i]
                break


def session_for_eval(session: Any, graph: Graph) -> Any:
    """``session``, else the default session, checked to run ``graph`` (for ``eval``/``run``/``load``)."""
    session = session or get_default_session()
    if session is None:
        raise ValueError("Cannot evaluate tensor using `eval()`: No default session is registered. Use "
                         "`with sess.as_default()` or pass an explicit session to `eval(session=sess)`")
    if session.graph is not graph:
        raise ValueError("Cannot use the given session to evaluate tensor: the tensor's graph is "
                         "different from the session's graph.")
    return session


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


@contextlib.contextmanager
def name_scope(name: Optional[str], default_name: Optional[str] = None, values: Any = None) -> Iterator[str]:
    """``tf.name_scope``: a name scope in the default graph, or in (and defaulting to) the graph of ``values``."""
    graph = get_default_graph()
    for v in values or ():
        t = v._graph_tensor() if hasattr(v, "_graph_tensor") else v
        if isinstance(t, Tensor):
            if not graph._can_capture(t.graph):
                graph = t.graph
            break
    with graph.as_default(), graph.name_scope(name if name is not None else default_name) as scope:
        yield scope


def control_dependencies(control_inputs: Any):
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name_or_function: Any):
    """``tf.device``: ops built inside the default graph record this device (see ``graphc.device_spec``)."""
    return get_default_graph().device(device_name_or_function)


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
