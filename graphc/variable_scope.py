"""``variable_scope`` and ``get_variable``: named, shareable variables (``layer1/W``) as in TF1.

Each graph keeps its own store of ``get_variable`` variables, its stack of variable scopes and
how often each scope name has been opened (for ``default_name`` uniquification).
"""
from __future__ import annotations

import contextlib
import inspect
from typing import Any, Callable, Iterator, Optional

from graphc import dtypes, initializers
from graphc.graph import Graph, GraphKeys, Tensor, get_default_graph
from graphc.shape import TensorShape
from graphc.variables import Variable


class _AutoReuse:
    """``tf.AUTO_REUSE``: create a variable if it is missing, reuse it otherwise."""

    def __repr__(self) -> str:
        return "tf.AUTO_REUSE"


AUTO_REUSE = _AutoReuse()


def _reusing(reuse: Any) -> bool:
    return reuse is True or reuse is AUTO_REUSE


class VariableScope:
    """A variable scope: its name, reuse flag and defaults for ``get_variable``."""

    def __init__(self, reuse: Any, name: str = "", initializer: Any = None, regularizer: Any = None,
                 dtype: Any = dtypes.float32, name_scope: str = "", custom_getter: Optional[Callable] = None,
                 constraint: Optional[Callable] = None) -> None:
        self._name = name
        self._reuse = reuse if _reusing(reuse) else False
        self.initializer = initializer
        self.regularizer = regularizer
        self.dtype = dtypes.as_dtype(dtype)
        self.original_name_scope = name_scope
        self.custom_getter = custom_getter
        self.constraint = constraint

    @property
    def name(self) -> str:
        return self._name

    @property
    def reuse(self) -> Any:
        """False, True or ``tf.AUTO_REUSE``."""
        return self._reuse

    def reuse_variables(self) -> None:
        """Makes later ``get_variable`` calls in this scope reuse existing variables."""
        self._reuse = True

    def set_initializer(self, initializer: Any) -> None:
        self.initializer = initializer

    def set_regularizer(self, regularizer: Any) -> None:
        self.regularizer = regularizer

    def set_dtype(self, dtype: Any) -> None:
        self.dtype = dtypes.as_dtype(dtype)

    def set_custom_getter(self, custom_getter: Optional[Callable]) -> None:
        self.custom_getter = custom_getter

    def set_constraint(self, constraint: Optional[Callable]) -> None:
        self.constraint = constraint

    def get_variable(self, name: str, shape: Any = None, dtype: Any = None, initializer: Any = None,
                     regularizer: Any = None, trainable: bool = True, collections: Any = None,
                     validate_shape: bool = True, reuse: Any = None, custom_getter: Optional[Callable] = None,
                     constraint: Optional[Callable] = None, **_: Any) -> Variable:
        """Gets the existing variable ``<scope>/<name>`` or creates it (see ``tf.get_variable``)."""
        full = f"{self._name}/{name}" if self._name else name
        reuse = reuse if _reusing(reuse) else self._reuse
        getter = _true_getter
        for outer in (self.custom_getter, custom_getter):
            if outer is not None:
                getter = _wrap_getter(outer, getter)
        return getter(full, shape=shape, dtype=dtype,
                      initializer=initializer if initializer is not None else self.initializer,
                      regularizer=regularizer if regularizer is not None else self.regularizer,
                      reuse=reuse, trainable=trainable,
                      collections=collections, validate_shape=validate_shape, default_dtype=self.dtype,
                      constraint=constraint if constraint is not None else self.constraint)


def _wrap_getter(custom: Callable, inner: Callable) -> Callable:
    """``custom(getter, name, *args, **kwargs)`` sees ``inner`` as its getter (TF1 custom getters)."""
    def getter(name: str, *args: Any, **kwargs: Any) -> Variable:
        return custom(inner, name, *args, **kwargs)
    return getter


def _true_getter(name: str, shape: Any = None, dtype: Any = None, initializer: Any = None,
                 regularizer: Any = None, reuse: Any = False, trainable: bool = True,
                 collections: Any = None, validate_shape: bool = True,
                 default_dtype: dtypes.DType = dtypes.float32, constraint: Optional[Callable] = None,
                 **_: Any) -> Variable:
    store = get_default_graph()._variable_store
    if name in store:
        if not _reusing(reuse):
            raise ValueError(f"Variable {name} already exists, disallowed. Did you mean to set reuse=True "
                             "or reuse=tf.AUTO_REUSE in VarScope?")
        return _check_shared(store[name], shape, dtype)
    if reuse is True:
        raise ValueError(f"Variable {name} does not exist, or was not created with tf.get_variable(). "
                         "Did you mean to set reuse=tf.AUTO_REUSE in VarScope?")
    var = _new_variable(name, shape, dtype, initializer, trainable, collections, validate_shape, default_dtype,
                        constraint)
    store[name] = var
    if regularizer is not None:
        graph = get_default_graph()
        with graph.name_scope(name + "/Regularizer/"):
            loss = regularizer(var)
        if loss is not None:
            graph.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
    return var


def _check_shared(var: Variable, shape: Any, dtype: Any) -> Variable:
    if shape is not None and not var.shape.is_compatible_with(shape):
        raise ValueError(f"Trying to share variable {var.op.name}, but specified shape {TensorShape(shape)} "
                         f"and found shape {var.shape}.")
    if dtype is not None and dtypes.as_dtype(dtype) is not var.dtype:
        raise ValueError(f"Trying to share variable {var.op.name}, but specified dtype "
                         f"{dtypes.as_dtype(dtype).name} and found dtype {var.dtype.name}_ref.")
    return var


def _new_variable(name: str, shape: Any, dtype: Any, initializer: Any, trainable: bool, collections: Any,
                  validate_shape: bool, default_dtype: dtypes.DType, constraint: Optional[Callable] = None) -> Variable:
    if inspect.isclass(initializer):
        initializer = initializer()
    if initializer is not None and not callable(initializer):
        initial_value, dt = _initial_value_from_value(name, shape, dtype, initializer)
    else:
        dt = dtypes.as_dtype(dtype) if dtype is not None else default_dtype
        if initializer is None:
            initializer = initializers.GlorotUniform() if dt.is_floating else initializers.Zeros()
        initial_value = _initial_value_from_initializer(name, shape, dt, initializer)
    return Variable(initial_value, trainable=trainable, collections=collections,
                    validate_shape=validate_shape, name=name + "/", dtype=dt, constraint=constraint)


def _initial_value_from_value(name: str, shape: Any, dtype: Any, value: Any) -> tuple:
    """A constant or tensor initializer: its dtype is the variable's (an explicit dtype must agree)."""
    if shape is not None:
        raise ValueError(f"If initializer is a constant, do not specify shape (variable {name}).")
    value_dtype = value.dtype if isinstance(value, Tensor) or hasattr(value, "_graph_tensor") \
        else dtypes.infer_dtype(value)
    value_dtype = dtypes.as_dtype(value_dtype)
    if dtype is not None and dtypes.as_dtype(dtype) is not value_dtype:
        raise ValueError(f"Initializer type '{value_dtype.name}' and explicit dtype "
                         f"'{dtypes.as_dtype(dtype).name}' don't match (variable {name}).")
    return value, value_dtype


def _initial_value_from_initializer(name: str, shape: Any, dt: dtypes.DType, initializer: Callable) -> Callable:
    """A callable initializer needs a fully defined shape; it is called inside the variable's scope."""
    static = TensorShape(shape)
    if not static.is_fully_defined():
        raise ValueError(f"Shape of a new variable ({name}) must be fully defined, but instead was {static}.")
    dims = static.as_list()
    if _accepts_partition_info(initializer):
        return lambda: initializer(dims, dtype=dt, partition_info=None)
    return lambda: initializer(dims, dtype=dt)


def _accepts_partition_info(fn: Callable) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "partition_info" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


# ------------------------------------------------------------------------------------------------
# the scope stack

def _scope_stack(graph: Optional[Graph] = None) -> list:
    graph = graph or get_default_graph()
    if not graph._var_scope_stack:
        graph._var_scope_stack.append(VariableScope(False))
    return graph._var_scope_stack


def _scope_counts(graph: Graph) -> dict:
    """How often each full variable scope name was opened (reset for sub-scopes on re-entry, as TF1)."""
    return graph.__dict__.setdefault("_var_scope_counts", {})


def get_variable_scope() -> VariableScope:
    """The current variable scope of the default graph."""
    return _scope_stack()[-1]


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent and name else parent or name


def _unique_scope_name(counts: dict, parent: str, default_name: str) -> str:
    """``default_name``, else ``default_name_1``, ``_2``... : the first not yet opened in ``parent``."""
    candidate, i = default_name, 1
    while counts.get(_join(parent, candidate), 0) > 0:
        candidate, i = f"{default_name}_{i}", i + 1
    return candidate


def _open(counts: dict, full: str) -> None:
    counts[full] = counts.get(full, 0) + 1
    prefix = full + "/"
    for key in counts:
        if key.startswith(prefix):
            counts[key] = 0


@contextlib.contextmanager
def variable_scope(name_or_scope: Any, default_name: Optional[str] = None, values: Any = None,
                   initializer: Any = None, regularizer: Any = None, caching_device: Any = None,
                   partitioner: Any = None, custom_getter: Optional[Callable] = None, reuse: Any = None,
                   dtype: Any = None, use_resource: Any = None, constraint: Any = None,
                   auxiliary_name_scope: bool = True) -> Iterator[VariableScope]:
    """Opens a variable scope and, normally, a name scope of the same (uniquified) name.

    ``reuse=True``/``tf.AUTO_REUSE`` is inherited by inner scopes; ``reuse=False`` cannot undo it.
    Re-entering a scope (by name or object) keeps variable names (``layer1/W``) while ops get a
    fresh name scope (``layer1_1/...``).
    """
    graph = _graph_of(values)
    with graph.as_default():
        stack = _scope_stack(graph)
        parent = stack[-1]
        counts = _scope_counts(graph)
        if isinstance(name_or_scope, VariableScope):
            full, base = name_or_scope.name, name_or_scope
            name_scope_name = full.split("/")[-1]
            inherited = base.reuse if _reusing(base.reuse) else parent.reuse
        elif name_or_scope is None and default_name is None:
            raise TypeError("If default_name is None then name_or_scope is required")
        else:
            if name_or_scope is None:
                name_or_scope = _unique_scope_name(counts, parent.name, default_name)
                name_scope_name = default_name
            else:
                name_scope_name = name_or_scope
            full, base, inherited = _join(parent.name, name_or_scope), parent, parent.reuse
        _open(counts, full)
        new_reuse = reuse if _reusing(reuse) else inherited
        name_ctx = graph.name_scope(name_scope_name) if auxiliary_name_scope and name_scope_name \
            else contextlib.nullcontext("")
        with name_ctx as ns_name:
            if isinstance(name_or_scope, VariableScope):  # keeps the name scope of its first entry
                ns_name = name_or_scope.original_name_scope
            scope = VariableScope(new_reuse, full,
                                  initializer if initializer is not None else base.initializer,
                                  regularizer if regularizer is not None else base.regularizer,
                                  dtype if dtype is not None else base.dtype,
                                  ns_name or "",
                                  _compose_getters(base.custom_getter, custom_getter),
                                  constraint if constraint is not None else base.constraint)
            stack.append(scope)
            try:
                yield scope
            finally:
                stack.pop()


def _compose_getters(outer: Optional[Callable], inner: Optional[Callable]) -> Optional[Callable]:
    """Nested scopes' custom getters: the inner scope's getter wraps the outer one's."""
    if outer is None or inner is None:
        return outer or inner

    def composed(getter: Callable, *args: Any, **kwargs: Any) -> Variable:
        return inner(_wrap_getter(outer, getter), *args, **kwargs)
    return composed


def _graph_of(values: Any) -> Graph:
    for v in values or ():
        t = v._graph_tensor() if hasattr(v, "_graph_tensor") else v
        if isinstance(t, Tensor):
            default = get_default_graph()
            return default if default._can_capture(t.graph) else t.graph
    return get_default_graph()


def get_variable(name: str, shape: Any = None, dtype: Any = None, initializer: Any = None,
                 regularizer: Any = None, trainable: bool = True, collections: Any = None,
                 validate_shape: bool = True, **kwargs: Any) -> Variable:
    """Gets an existing variable ``scope/name`` or creates a new one (TF1 ``tf.get_variable``).

    The default initializer is glorot uniform for floats and zeros otherwise. A non-callable
    initializer (a value or tensor) gives the variable its value, dtype and shape. ``constraint``
    (or the scope's) is a callable that optimizers apply to the variable after each update.
    """
    return get_variable_scope().get_variable(name, shape, dtype, initializer, regularizer, trainable,
                                             collections, validate_shape, **kwargs)


__all__ = ["AUTO_REUSE", "VariableScope", "get_variable_scope", "variable_scope", "get_variable"]
