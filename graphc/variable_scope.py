"""``variable_scope`` and ``get_variable``: named, shareable variables (``layer1/W``) as in TF1."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional

from graphc import dtypes, initializers
from graphc.graph import GraphKeys, get_default_graph
from graphc.variables import Variable


class _AutoReuse:
    def __repr__(self) -> str:
        return "tf.AUTO_REUSE"


AUTO_REUSE = _AutoReuse()


class VariableScope:
    """A variable scope: its name, reuse flag and defaults for ``get_variable``."""

    def __init__(self, reuse: Any, name: str = "", initializer: Any = None, regularizer: Any = None,
                 dtype: Any = dtypes.float32, name_scope: str = "") -> None:
        self._name = name
        self._reuse = reuse
        self.initializer = initializer
        self.regularizer = regularizer
        self.dtype = dtypes.as_dtype(dtype)
        self.original_name_scope = name_scope

    @property
    def name(self) -> str:
        return self._name

    @property
    def reuse(self) -> Any:
        return self._reuse

    def reuse_variables(self) -> None:
        """Makes later ``get_variable`` calls in this scope reuse existing variables."""
        self._reuse = True

    def set_initializer(self, initializer: Any) -> None:
        self.initializer = initializer

    def get_variable(self, name: str, shape: Any = None, dtype: Any = None, initializer: Any = None,
                     regularizer: Any = None, trainable: bool = True, collections: Any = None,
                     validate_shape: bool = True, reuse: Any = None, **_: Any) -> Variable:
        full = f"{self._name}/{name}" if self._name else name
        reuse = reuse if reuse is not None else self._reuse
        store = get_default_graph()._variable_store
        if full in store:
            var = store[full]
            if reuse is None or reuse is False:
                raise ValueError(f"Variable {full} already exists, disallowed. Did you mean to set "
                                 "reuse=True or reuse=tf.AUTO_REUSE in VarScope?")
            if shape is not None and not var.shape.is_compatible_with(shape):
                raise ValueError(f"Trying to share variable {full}, but specified shape {list(shape)} "
                                 f"and found shape {var.shape}.")
            if dtype is not None and dtypes.as_dtype(dtype) is not var.dtype:
                raise ValueError(f"Trying to share variable {full}, but specified dtype "
                                 f"{dtypes.as_dtype(dtype).name} and found dtype {var.dtype.name}.")
            return var
        if reuse is True:
            raise ValueError(f"Variable {full} does not exist, or was not created with tf.get_variable(). "
                             "Did you mean to set reuse=tf.AUTO_REUSE in VarScope?")
        dt = dtypes.as_dtype(dtype) if dtype is not None else self.dtype
        init = initializer if initializer is not None else self.initializer
        if init is None:
            init = initializers.GlorotUniform() if dt.is_floating else initializers.Zeros()
        if callable(init) and not hasattr(init, "_graph_tensor"):
            if shape is None:
                raise ValueError(f"Shape of a new variable ({full}) must be fully defined, but instead was None.")
            initial_value = (lambda: init(shape, dtype=dt))
        else:
            if shape is not None:
                raise ValueError(f"If initializer is a constant, do not specify shape (variable {full}).")
            initial_value = init
        var = Variable(initial_value, trainable=trainable, collections=collections,
                       validate_shape=validate_shape, name=full + "/", dtype=dt)
        store[full] = var
        reg = regularizer if regularizer is not None else self.regularizer
        if reg is not None:
            with get_default_graph().name_scope(full + "/Regularizer/"):
                loss = reg(var)
            if loss is not None:
                get_default_graph().add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
        return var


def _scope_stack() -> list:
    graph = get_default_graph()
    if not graph._var_scope_stack:
        graph._var_scope_stack.append(VariableScope(None))
    return graph._var_scope_stack


def get_variable_scope() -> VariableScope:
    """The current variable scope of the default graph."""
    return _scope_stack()[-1]


@contextlib.contextmanager
def variable_scope(name_or_scope: Any, default_name: Optional[str] = None, values: Any = None,
                   initializer: Any = None, regularizer: Any = None, reuse: Any = None,
                   dtype: Any = None, auxiliary_name_scope: bool = True, **_: Any) -> Iterator[VariableScope]:
    """Opens a variable scope (and a name scope of the same name); ``reuse`` is inherited by inner scopes."""
    graph = get_default_graph()
    stack = _scope_stack()
    parent = stack[-1]
    if isinstance(name_or_scope, VariableScope):
        full = name_or_scope.name
        ns = name_or_scope.original_name_scope
        base = name_or_scope
    else:
        if name_or_scope is None:
            if default_name is None:
                raise ValueError("variable_scope needs name_or_scope or default_name")
            counts = graph.__dict__.setdefault("_var_scope_counts", {})
            prefix = f"{parent.name}/{default_name}" if parent.name else default_name
            n = counts.get(prefix, 0)
            counts[prefix] = n + 1
            name_or_scope = default_name if n == 0 else f"{default_name}_{n}"
        full = f"{parent.name}/{name_or_scope}" if parent.name else name_or_scope
        ns = None
        base = parent
    if reuse is False:
        reuse = None
    new_reuse = reuse if reuse is not None else (parent.reuse if not isinstance(name_or_scope, VariableScope)
                                                 else name_or_scope.reuse)
    if parent.reuse is True and reuse is None:
        new_reuse = True
    scope_name_ctx = (graph.name_scope(ns) if ns else graph.name_scope(name_or_scope)) \
        if auxiliary_name_scope else contextlib.nullcontext(graph.get_name_scope() + "/")
    with scope_name_ctx as ns_name:
        scope = VariableScope(new_reuse, full,
                              initializer if initializer is not None else base.initializer,
                              regularizer if regularizer is not None else base.regularizer,
                              dtype if dtype is not None else base.dtype,
                              ns_name or "")
        stack.append(scope)
        try:
            yield scope
        finally:
            stack.pop()


def get_variable(name: str, shape: Any = None, dtype: Any = None, initializer: Any = None,
                 regularizer: Any = None, trainable: bool = True, collections: Any = None,
                 validate_shape: bool = True, **kwargs: Any) -> Variable:
    """Gets an existing variable ``scope/name`` or creates a new one (TF1 ``tf.get_variable``).

    The default initializer is glorot uniform for floats and zeros otherwise.
    """
    return get_variable_scope().get_variable(name, shape, dtype, initializer, regularizer, trainable,
                                             collections, validate_shape, **kwargs)


__all__ = ["AUTO_REUSE", "VariableScope", "get_variable_scope", "variable_scope", "get_variable"]
