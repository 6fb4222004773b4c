"""``tf.layers.Layer``: the base of every layer class, and the argument checks the layers share.

A layer opens ``tf.variable_scope(name, default_name=<layer>)`` on its first call, builds its
variables there (``dense/kernel:0``), and re-enters that scope with ``reuse=True`` on later calls,
so one layer object shares its variables across calls, as TF1's.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from graphc import dtypes
from graphc.graph import GraphKeys, Tensor, get_collection
from graphc.ops import array, nn
from graphc.ops import math as m
from graphc.ops.core import convert_to_tensor
from graphc.shape import TensorShape
from graphc.variable_scope import VariableScope, get_variable, variable_scope


def int_tuple(value: Any, n: int, what: str, layer: str) -> tuple:
    """An int or a tuple/list of ``n`` positive ints, as an ``n``-tuple."""
    vals = (value,) * n if isinstance(value, int) else tuple(value)
    if len(vals) != n or not all(isinstance(v, int) and v > 0 for v in vals):
        raise ValueError(f"{layer}: {what} must be a positive int or a tuple of {n} positive ints, got {value!r}")
    return vals


def padding_of(padding: Any, layer: str) -> str:
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {padding!r}")
    return padding.upper()


def channels_last(data_format: Any, layer: str) -> None:
    if data_format != "channels_last":
        raise ValueError(f"{layer}: data_format={data_format!r} is not supported; graphc layers are "
                         "'channels_last' (NHWC) only.")


def last_dim(shape: TensorShape, layer: str) -> int:
    dims = shape.as_tuple()
    if dims is None or not dims or dims[-1] is None:
        raise ValueError(f"{layer}: the last dimension of the inputs must be defined, but the inputs have shape "
                         f"{shape}. Give the placeholder a static last dimension.")
    return dims[-1]


def check_rank(shape: TensorShape, rank: int, layer: str, form: str) -> None:
    if shape.ndims != rank:
        raise ValueError(f"{layer}: inputs must be rank {rank} ({form}), got shape {shape}")


class Layer:
    """TF1's ``tf.layers.Layer``: variables built on the first ``__call__`` (``build``), the
    computation in ``call``; ``apply`` is ``__call__``. The base layer's ``call`` is the identity."""

    default_name = "layer"

    def __init__(self, trainable: bool = True, name: Optional[str] = None, dtype: Any = None,
                 activity_regularizer: Optional[Callable] = None, _reuse: Any = None) -> None:
        self.trainable = trainable
        self._given_name = name
        self._reuse = _reuse
        self._scope: Optional[VariableScope] = None
        self.dtype = None if dtype is None else dtypes.as_dtype(dtype)
        self.activity_regularizer = activity_regularizer
        self.built = False
        self._trainable_weights: list = []
        self._non_trainable_weights: list = []
        self._updates: list = []

    @property
    def name(self) -> str:
        if self._scope is not None:
            return self._scope.name.split("/")[-1]
        return self._given_name or self.default_name

    @property
    def scope_name(self) -> str:
        if self._scope is None:
            raise ValueError(f"No name available for layer scope because the layer {self.name!r} has not been "
                             "used yet. Call it on an input first.")
        return self._scope.name

    def add_weight(self, name: str, shape: Any, dtype: Any = None, initializer: Any = None, regularizer: Any = None,
                   trainable: bool = True, constraint: Any = None) -> Any:
        """A variable ``<scope>/name`` (shared on reuse), tracked as trainable or not."""
        trainable = trainable and self.trainable
        var = get_variable(name, shape, dtype=dtype or self.dtype, initializer=initializer, regularizer=regularizer,
                           trainable=trainable, constraint=constraint)
        if var not in self._trainable_weights and var not in self._non_trainable_weights:
            (self._trainable_weights if trainable else self._non_trainable_weights).append(var)
        return var

    def add_update(self, update: Any) -> None:
        """Records ``update`` as this layer's and adds it to ``GraphKeys.UPDATE_OPS`` (TF1)."""
        self._updates.append(update)
        update.graph.add_to_collection(GraphKeys.UPDATE_OPS, update)

    def build(self, input_shape: TensorShape) -> None:
        self.built = True

    def call(self, inputs: Tensor, **kwargs: Any) -> Tensor:
        return inputs

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if self._scope is None:
            opened = variable_scope(self._given_name, default_name=self.default_name, values=[inputs],
                                    reuse=self._reuse)
        else:
            opened = variable_scope(self._scope, values=[inputs], reuse=True)
        with opened as scope:
            if self._scope is None:
                self._scope = scope
            x = inputs if isinstance(inputs, Tensor) else convert_to_tensor(inputs, dtype=self.dtype, name="inputs")
            if self.dtype is None:
                self.dtype = x.dtype
            if not self.built:
                self.build(x.shape)
                self.built = True
            outputs = self.call(x, *args, **kwargs)
            if self.activity_regularizer is not None:
                self._add_activity_loss(outputs)
            return outputs

    def apply(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The same as calling the layer."""
        return self.__call__(inputs, *args, **kwargs)

    def _add_activity_loss(self, outputs: Tensor) -> None:
        """activity_regularizer(outputs) / batch size, as a regularization loss (TF1's Keras base layer)."""
        with outputs.graph.name_scope("ActivityRegularizer"):
            loss = convert_to_tensor(self.activity_regularizer(outputs))
            batch = m.cast(array.shape(outputs)[0], loss.dtype)
            outputs.graph.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, m.truediv(loss, batch))

    # the variables, as TF1 names them
    @property
    def trainable_weights(self) -> list:
        return list(self._trainable_weights)

    @property
    def non_trainable_weights(self) -> list:
        return list(self._non_trainable_weights)

    @property
    def weights(self) -> list:
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def updates(self) -> list:
        return list(self._updates)

    @property
    def losses(self) -> list:
        """The regularization losses made in this layer's scope."""
        return get_collection(GraphKeys.REGULARIZATION_LOSSES, self._scope.name + "/") if self._scope else []


def finish(outputs: Tensor, bias: Optional[Any], activation: Optional[Callable]) -> Tensor:
    """outputs + bias (when there is one), through ``activation`` (when there is one)."""
    if bias is not None:
        outputs = nn.bias_add(outputs, bias)
    return activation(outputs) if activation is not None else outputs


__all__ = ["Layer"]
