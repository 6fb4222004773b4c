"""``tf.layers`` Dense, Dropout and Flatten: the classes and TF1's functional forms."""
from __future__ import annotations

from typing import Any, Callable, Optional

from graphc import control_flow, initializers
from graphc.graph import Tensor
from graphc.layers.base import Layer, channels_last, finish, last_dim
from graphc.ops import array, join_split, linalg, nn, source
from graphc.ops.core import constant_value, convert_to_tensor
from graphc.shape import TensorShape


class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` over the last dim of ``inputs`` (kernel: [in, units])."""

    default_name = "dense"

    def __init__(self, units: int, activation: Optional[Callable] = None, use_bias: bool = True,
                 kernel_initializer: Any = None, bias_initializer: Any = initializers.zeros_initializer(),
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, trainable: bool = True,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs)
        self.units, self.activation, self.use_bias = units, activation, use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel: Any = None
        self.bias: Any = None

    def build(self, input_shape: TensorShape) -> None:
        n_in = last_dim(input_shape, "dense")
        self.kernel = self.add_weight("kernel", [n_in, self.units], initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.units], initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        rank = inputs.shape.ndims
        if rank == 2:
            outputs = linalg.matmul(inputs, self.kernel)
        else:
            outputs = linalg.tensordot(inputs, self.kernel, [[rank - 1], [0]])
        return finish(outputs, self.bias, self.activation)


class Dropout(Layer):
    """``tf.nn.dropout(inputs, rate=rate)`` when ``training``, else ``inputs``.

    ``training`` may be a Python bool or a bool tensor (a placeholder): then a ``tf.cond`` runs
    the dropout only when it is true (a constant tensor picks its path while building, as TF1's
    ``smart_cond``).
    """

    default_name = "dropout"

    def __init__(self, rate: float = 0.5, noise_shape: Any = None, seed: Optional[int] = None,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed

    def call(self, inputs: Tensor, training: Any = False) -> Tensor:
        return smart_cond(training, lambda: nn.dropout(inputs, rate=self.rate, noise_shape=self.noise_shape,
                                                       seed=self.seed),
                          lambda: source.identity(inputs), "dropout")


def training_flag(training: Any, layer: str) -> Any:
    """``training`` as a Python bool when it is one (or a constant), else the scalar bool tensor."""
    if isinstance(training, bool):
        return training
    flag = convert_to_tensor(training, name="training")
    if not flag.dtype.is_bool or flag.shape.ndims not in (None, 0):
        raise TypeError(f"{layer}: training must be a Python bool or a scalar bool tensor, got {flag.name} "
                        f"of dtype {flag.dtype.name} and shape {flag.shape}")
    known = constant_value(flag)
    return bool(known) if known is not None else flag


def smart_cond(training: Any, true_fn: Callable, false_fn: Callable, layer: str) -> Any:
    """true_fn() or false_fn() when ``training`` is known while building, else a ``tf.cond`` on it."""
    flag = training_flag(training, layer)
    if isinstance(flag, bool):
        return true_fn() if flag else false_fn()
    return control_flow.cond(flag, true_fn, false_fn)


class Flatten(Layer):
    """Reshapes [batch, d1, d2, ...] to [batch, d1 * d2 * ...] (a rank-1 input becomes [batch, 1])."""

    default_name = "flatten"

    def __init__(self, data_format: str = "channels_last", name: Optional[str] = None, **kwargs: Any) -> None:
        channels_last(data_format, "flatten")
        super().__init__(name=name, **kwargs)

    def call(self, inputs: Tensor) -> Tensor:
        dims = inputs.shape.as_tuple()
        if dims is None:
            raise ValueError(f"flatten: the rank of {inputs.name} must be known")
        if len(dims) == 0:
            raise ValueError(f"flatten: inputs {inputs.name} is a scalar; it needs a batch dimension")
        rest = dims[1:]
        if None not in rest:
            size = 1
            for d in rest:
                size *= d
            return array.reshape(inputs, [-1, size])
        return array.reshape(inputs, join_split.stack([array.shape(inputs)[0], -1]))


def dense(inputs: Any, units: int, activation: Optional[Callable] = None, use_bias: bool = True,
          kernel_initializer: Any = None, bias_initializer: Any = initializers.zeros_initializer(),
          kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
          kernel_constraint: Any = None, bias_constraint: Any = None, trainable: bool = True,
          name: Optional[str] = None, reuse: Any = None) -> Tensor:
    """``activation(inputs @ kernel + bias)`` over the last dim of ``inputs`` (kernel: [in, units])."""
    layer = Dense(units, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                  bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, trainable, name,
                  _reuse=reuse)
    return layer.apply(inputs)


def dropout(inputs: Any, rate: float = 0.5, noise_shape: Any = None, seed: Optional[int] = None,
            training: Any = False, name: Optional[str] = None) -> Tensor:
    """``tf.nn.dropout(inputs, rate=rate)`` when ``training`` (a Python bool or a bool tensor), else ``inputs``."""
    return Dropout(rate, noise_shape, seed, name).apply(inputs, training=training)


def flatten(inputs: Any, name: Optional[str] = None, data_format: str = "channels_last") -> Tensor:
    """Reshapes [batch, d1, d2, ...] to [batch, d1 * d2 * ...] (a rank-1 input becomes [batch, 1])."""
    return Flatten(data_format, name).apply(inputs)


__all__ = ["Dense", "Dropout", "Flatten", "dense", "dropout", "flatten"]
