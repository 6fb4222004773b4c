"""``tf.layers.BatchNormalization`` / ``tf.layers.batch_normalization`` (TF1's semantics).

Training normalizes with the batch's mean and (biased) variance; inference with the moving ones.
The moving averages update as ``moving -= (moving - batch) * (1 - momentum)`` through ops in
``tf.GraphKeys.UPDATE_OPS``: a program that does not run them (a control dependency of its train
op) leaves them unchanged, as TF1's. With a bool tensor ``training`` both choices are ``tf.cond``s
and the update ops exist but leave the averages unchanged when it is false. Where TF1 uses its
fused kernel (rank-4 inputs normalized over axis 1 or 3, ``fused`` not False), the moving variance
is updated with the unbiased batch variance (times n / (n - 1)), as that kernel does.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc import initializers
from graphc.graph import Tensor
from graphc.layers.base import Layer
from graphc.layers.core import smart_cond, training_flag
from graphc.ops import array, nn
from graphc.ops import math as m
from graphc.ops.core import constant
from graphc.shape import TensorShape

_UNSUPPORTED = {"renorm": False, "renorm_clipping": None, "virtual_batch_size": None, "adjustment": None}


class BatchNormalization(Layer):
    """Batch normalization over ``axis`` (variables ``gamma``, ``beta``, ``moving_mean``, ``moving_variance``)."""

    default_name = "batch_normalization"

    def __init__(self, axis: Any = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = initializers.zeros_initializer(),
                 gamma_initializer: Any = initializers.ones_initializer(),
                 moving_mean_initializer: Any = initializers.zeros_initializer(),
                 moving_variance_initializer: Any = initializers.ones_initializer(), beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None, gamma_constraint: Any = None,
                 renorm: bool = False, renorm_clipping: Any = None, renorm_momentum: float = 0.99,
                 fused: Optional[bool] = None, trainable: bool = True, virtual_batch_size: Any = None,
                 adjustment: Any = None, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        given = {"renorm": renorm, "renorm_clipping": renorm_clipping, "virtual_batch_size": virtual_batch_size,
                 "adjustment": adjustment}
        odd = sorted(k for k, v in given.items() if v != _UNSUPPORTED[k])
        if odd:
            raise ValueError(f"batch_normalization: {', '.join(odd)} are not supported by graphc; leave them at "
                             "their defaults (plain batch normalization).")
        self.axis = axis
        self.momentum, self.epsilon, self.center, self.scale, self.fused = momentum, epsilon, center, scale, fused
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.gamma: Any = None
        self.beta: Any = None
        self.moving_mean: Any = None
        self.moving_variance: Any = None
        self._axes: list = []
        self._rank = 0

    def build(self, input_shape: TensorShape) -> None:
        dims = input_shape.as_tuple()
        if dims is None:
            raise ValueError(f"batch_normalization: the inputs' rank must be known, got shape {input_shape}")
        rank = len(dims)
        axes = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        for a in axes:
            if not -rank <= a < rank:
                raise ValueError(f"batch_normalization: axis {a} is out of range for inputs of shape {input_shape}")
        self._axes, self._rank = sorted(a % rank for a in axes), rank
        if any(dims[a] is None for a in self._axes):
            raise ValueError(f"batch_normalization: axis {self.axis} of the inputs must have a known size, "
                             f"got shape {input_shape}")
        fusable = rank == 4 and self._axes in ([1], [3])
        if self.fused and not fusable:
            raise ValueError(f"batch_normalization: fused=True needs rank-4 inputs normalized over axis 1 or 3, "
                             f"got shape {input_shape} and axis {self.axis}")
        self.fused = fusable if self.fused is None else self.fused
        shape = [dims[a] for a in self._axes]
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.moving_mean = self.add_weight("moving_mean", shape, initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape,
                                               initializer=self.moving_variance_initializer, trainable=False)
        self.built = True

    def _broadcast(self, t: Any, dims: tuple) -> Any:
        """A parameter of shape [C...] reshaped to broadcast against the inputs (1 on the reduced axes)."""
        if t is None or self._axes == [self._rank - 1]:
            return t
        return array.reshape(t, [dims[i] if i in self._axes else 1 for i in range(self._rank)])

    def call(self, inputs: Tensor, training: Any = False) -> Tensor:
        flag = training_flag(training, "batch_normalization")
        dims = inputs.shape.as_tuple()
        reduce_axes = [i for i in range(self._rank) if i not in self._axes]
        moving_mean = m.cast(self.moving_mean, inputs.dtype) if self.moving_mean.dtype != inputs.dtype \
            else self.moving_mean.value()
        moving_var = m.cast(self.moving_variance, inputs.dtype) if self.moving_variance.dtype != inputs.dtype \
            else self.moving_variance.value()
        if flag is False:
            mean, variance = moving_mean, moving_var
        else:
            batch_mean, batch_var = nn.moments(inputs, reduce_axes)
            mean = smart_cond(flag, lambda: batch_mean, lambda: moving_mean, "batch_normalization")
            variance = smart_cond(flag, lambda: batch_var, lambda: moving_var, "batch_normalization")
            self._add_moving_updates(flag, inputs, reduce_axes, batch_mean, batch_var)
        return nn.batch_normalization(inputs, self._broadcast(mean, dims), self._broadcast(variance, dims),
                                      self._broadcast(self.beta, dims), self._broadcast(self.gamma, dims),
                                      self.epsilon)

    def _add_moving_updates(self, flag: Any, inputs: Tensor, reduce_axes: list, batch_mean: Tensor,
                            batch_var: Tensor) -> None:
        if self.fused:
            dims = inputs.shape.as_tuple()
            if all(dims[a] is not None for a in reduce_axes):
                n: Any = float(np.prod([dims[a] for a in reduce_axes]))
                factor: Any = n / max(n - 1.0, 1.0)
            else:
                n = m.cast(m.truediv(array.size(inputs), array.size(batch_mean)), batch_var.dtype)
                factor = m.truediv(n, m.maximum(m.subtract(n, 1.0), 1.0))
            batch_var = m.multiply(batch_var, factor)
        decay = smart_cond(flag, lambda: constant(1.0 - self.momentum, inputs.dtype),
                           lambda: constant(0.0, inputs.dtype), "batch_normalization")
        for var, value, scope in ((self.moving_mean, batch_mean, "AssignMovingAvg"),
                                  (self.moving_variance, batch_var, "AssignMovingAvg_1")):
            with inputs.graph.name_scope(scope):
                delta = m.multiply(m.subtract(var.value(), m.cast(value, var.dtype)), m.cast(decay, var.dtype))
                self.add_update(var.assign_sub(delta))


def batch_normalization(inputs: Any, axis: Any = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                        center: bool = True, scale: bool = True,
                        beta_initializer: Any = initializers.zeros_initializer(),
                        gamma_initializer: Any = initializers.ones_initializer(),
                        moving_mean_initializer: Any = initializers.zeros_initializer(),
                        moving_variance_initializer: Any = initializers.ones_initializer(),
                        beta_regularizer: Any = None, gamma_regularizer: Any = None, beta_constraint: Any = None,
                        gamma_constraint: Any = None, training: Any = False, trainable: bool = True,
                        name: Optional[str] = None, reuse: Any = None, renorm: bool = False,
                        renorm_clipping: Any = None, renorm_momentum: float = 0.99, fused: Optional[bool] = None,
                        virtual_batch_size: Any = None, adjustment: Any = None) -> Tensor:
    """TF1's functional batch normalization; add ``tf.GraphKeys.UPDATE_OPS`` as a control dependency of
    the train op so the moving mean and variance update."""
    layer = BatchNormalization(axis, momentum, epsilon, center, scale, beta_initializer, gamma_initializer,
                               moving_mean_initializer, moving_variance_initializer, beta_regularizer,
                               gamma_regularizer, beta_constraint, gamma_constraint, renorm, renorm_clipping,
                               renorm_momentum, fused, trainable, virtual_batch_size, adjustment, name,
                               _reuse=reuse)
    return layer.apply(inputs, training=training)


__all__ = ["BatchNormalization", "batch_normalization"]
