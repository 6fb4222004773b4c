"""``tf.layers.BatchNormalization`` / ``tf.layers.batch_normalization`` (TF1's semantics).

Training normalizes with the batch's mean and (biased) variance; inference with the moving ones.
The moving averages update as ``moving -= (moving - batch) * (1 - momentum)`` through ops in
``tf.GraphKeys.UPDATE_OPS``: a program that does not run them (a control dependency of its train
op) leaves them unchanged, as TF1's. With a bool tensor ``training`` both choices are ``tf.cond``s
and the update ops exist but leave the averages unchanged when it is false. Where TF1 uses its
fused kernel (rank-4 inputs normalized over axis 1 or 3, ``fused`` not False), the moving variance
is updated with the unbiased batch variance (times n / (n - 1)), as that kernel does.

``renorm`` is TF1's batch renormalization (extra averages ``renorm_mean``/``renorm_stddev`` updated
with ``renorm_momentum``, a ``moving_stddev`` from which the moving variance is derived), and
``virtual_batch_size`` TF1's ghost batch normalization (the batch viewed as [virtual_batch_size,
batch / virtual_batch_size, ...] with parameters of shape [1, 1, ..., C]); neither uses the fused
kernel's variance correction.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc import initializers
from graphc.graph import Tensor
from graphc.layers.base import Layer
from graphc.layers.core import smart_cond, training_flag
from graphc.ops import array, nn, source
from graphc.ops import math as m
from graphc.ops import reduce as red
from graphc.ops.core import constant
from graphc.ops.join_split import concat
from graphc.shape import TensorShape

_RENORM_CLIPPING_KEYS = ("rmax", "rmin", "dmax")


class BatchNormalization(Layer):
    """Batch normalization over ``axis`` (variables ``gamma``, ``beta``, ``moving_mean``, ``moving_variance``;
    with ``renorm`` also ``moving_stddev``, ``renorm_mean`` and ``renorm_stddev``)."""

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
        if adjustment is not None:
            raise ValueError("batch_normalization: adjustment is not supported by graphc; leave it None.")
        self.renorm, self.renorm_momentum = bool(renorm), renorm_momentum
        self.renorm_clipping = dict(renorm_clipping or {}) if renorm else None
        if self.renorm_clipping and set(self.renorm_clipping) - set(_RENORM_CLIPPING_KEYS):
            raise ValueError(f"batch_normalization: renorm_clipping {renorm_clipping} has keys other than "
                             f"{list(_RENORM_CLIPPING_KEYS)}")
        if virtual_batch_size is not None and virtual_batch_size <= 0:
            raise ValueError("batch_normalization: virtual_batch_size must be a positive integer that divides the "
                             f"true batch size of the input tensor, got {virtual_batch_size}")
        self.virtual_batch_size = virtual_batch_size
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
        self.moving_stddev: Any = None
        self.renorm_mean: Any = None
        self.renorm_stddev: Any = None
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
        if self.virtual_batch_size is not None and 0 in self._axes:
            raise ValueError("batch_normalization: with virtual_batch_size the batch dimension must be 0, so axis "
                             f"cannot include 0; got axis {self.axis}")
        fusable = rank == 4 and self._axes in ([1], [3]) and not self.renorm and self.virtual_batch_size is None
        if self.fused and not fusable:
            raise ValueError("batch_normalization: fused=True needs rank-4 inputs normalized over axis 1 or 3, "
                             f"without renorm or virtual_batch_size; got shape {input_shape}, axis {self.axis}, "
                             f"renorm={self.renorm}, virtual_batch_size={self.virtual_batch_size}")
        self.fused = fusable if self.fused is None else self.fused
        if self.virtual_batch_size is not None:      # TF1's ghost batches: parameters [1, 1, ..., C, ...]
            shape = [1] + [dims[i] if i in self._axes else 1 for i in range(rank)]
        else:
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
        if self.renorm:
            stddev_init = _sqrt_of(self.moving_variance_initializer)
            self.moving_stddev = self.add_weight("moving_stddev", shape, initializer=stddev_init, trainable=False)
            self.renorm_mean = self.add_weight("renorm_mean", shape, initializer=self.moving_mean_initializer,
                                               trainable=False)
            self.renorm_stddev = self.add_weight("renorm_stddev", shape, initializer=stddev_init, trainable=False)
        self.built = True

    def _broadcast(self, t: Any, dims: tuple) -> Any:
        """A parameter of shape [C...] reshaped to broadcast against the inputs (1 on the reduced axes)."""
        if t is None or self._axes == [self._rank - 1] or self.virtual_batch_size is not None:
            return t
        return array.reshape(t, [dims[i] if i in self._axes else 1 for i in range(self._rank)])

    def call(self, inputs: Tensor, training: Any = False) -> Tensor:
        if self.virtual_batch_size is None:
            return self._normalize(inputs, training, inputs.shape.as_tuple(), self._axes)
        # TF1's ghost batches: [batch, ...] viewed as [virtual_batch_size, batch / virtual_batch_size, ...]
        # (TF1's legacy layout, in training and inference alike); each column normalized by its own moments
        rest = array.shape(inputs)[1:]
        grouped = array.reshape(inputs, concat([[self.virtual_batch_size, -1], rest], 0))
        grouped.set_shape([self.virtual_batch_size, None, *inputs.shape.as_tuple()[1:]])
        out = self._normalize(grouped, training, grouped.shape.as_tuple(), [a + 1 for a in self._axes])
        result = array.reshape(out, concat([[-1], rest], 0))
        result.set_shape(inputs.shape)
        return result

    def _normalize(self, inputs: Tensor, training: Any, dims: tuple, axes: list) -> Tensor:
        flag = training_flag(training, "batch_normalization")
        ghost = self.virtual_batch_size is not None
        reduce_axes = [i for i in range(len(dims)) if i not in axes and not (ghost and i == 1)]
        moving_mean = m.cast(self.moving_mean, inputs.dtype) if self.moving_mean.dtype != inputs.dtype \
            else self.moving_mean.value()
        moving_var = m.cast(self.moving_variance, inputs.dtype) if self.moving_variance.dtype != inputs.dtype \
            else self.moving_variance.value()
        gamma, beta = self._broadcast(self.gamma, dims), self._broadcast(self.beta, dims)
        if flag is False:
            mean, variance = moving_mean, moving_var
        else:
            batch_mean, batch_var = nn.moments(inputs, reduce_axes, keep_dims=ghost)
            if ghost:      # the moving statistics as one value per virtual batch, like the batch's moments
                moving_mean = array.broadcast_to(moving_mean, array.shape(batch_mean))
                moving_var = array.broadcast_to(moving_var, array.shape(batch_var))
            mean = smart_cond(flag, lambda: batch_mean, lambda: moving_mean, "batch_normalization")
            variance = smart_cond(flag, lambda: batch_var, lambda: moving_var, "batch_normalization")
            new_mean, new_var = mean, variance
            if ghost:        # one update from the mean of the virtual batches' moments (TF1's shortcut)
                new_mean = red.reduce_mean(mean, 1, keepdims=True)
                new_var = red.reduce_mean(variance, 1, keepdims=True)
            if self.renorm:
                r, d, new_mean, new_var = self._renorm_correction(flag, new_mean, new_var)
                gamma, beta = _compose(self._broadcast(r, dims), self._broadcast(d, dims), gamma, beta)
            self._add_moving_updates(flag, inputs, reduce_axes, new_mean, new_var)
        return nn.batch_normalization(inputs, self._broadcast(mean, dims), self._broadcast(variance, dims),
                                      beta, gamma, self.epsilon)

    def _renorm_correction(self, flag: Any, mean: Tensor, variance: Tensor) -> tuple:
        """Batch renormalization (Ioffe, 2017) as TF1: the corrections r = batch stddev / renorm stddev and
        d = (batch mean - renorm mean) / renorm stddev from the renorm averages before this step's update,
        clipped by ``renorm_clipping``, 1 and 0 when not training, no gradient; the renorm averages' updates
        (momentum ``renorm_momentum``) run before the moving statistics' (which depend on them)."""
        stddev = m.sqrt(variance + self.epsilon)
        renorm_stddev = m.maximum(self.renorm_stddev.value(), float(np.sqrt(self.epsilon)))
        r = stddev / renorm_stddev
        d = (mean - self.renorm_mean.value()) / renorm_stddev
        clip = self.renorm_clipping or {}
        if clip.get("rmin") is not None:
            r = m.maximum(r, clip["rmin"])
        if clip.get("rmax") is not None:
            r = m.minimum(r, clip["rmax"])
        if clip.get("dmax") is not None:
            d = m.minimum(m.maximum(d, -clip["dmax"]), clip["dmax"])
        r = smart_cond(flag, lambda: r, lambda: array.ones_like(r), "batch_normalization")
        d = smart_cond(flag, lambda: d, lambda: array.zeros_like(d), "batch_normalization")
        decay = self._decay(flag, self.renorm_momentum, mean)
        updates = [self._moving_update(var, value, decay, "AssignMovingAvg")
                   for var, value in ((self.renorm_mean, mean), (self.renorm_stddev, stddev))]
        with mean.graph.control_dependencies(updates):
            mean, variance = source.identity(mean), source.identity(variance)
        return source.stop_gradient(r, name="renorm_r"), source.stop_gradient(d, name="renorm_d"), mean, variance

    @staticmethod
    def _decay(flag: Any, momentum: float, like: Tensor) -> Any:
        """1 - momentum while training, 0 otherwise (an update that leaves the average unchanged)."""
        return smart_cond(flag, lambda: constant(1.0 - momentum, like.dtype), lambda: constant(0.0, like.dtype),
                          "batch_normalization")

    @staticmethod
    def _moving_update(var: Any, value: Tensor, decay: Any, scope: str) -> Tensor:
        """``var -= (var - value) * decay``; the variable's new value."""
        with value.graph.name_scope(scope):
            delta = m.multiply(m.subtract(var.value(), m.cast(value, var.dtype)), m.cast(decay, var.dtype))
            return var.assign_sub(delta)

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
        decay = self._decay(flag, self.momentum, inputs)
        self.add_update(self._moving_update(self.moving_mean, batch_mean, decay, "AssignMovingAvg"))
        if not self.renorm:
            self.add_update(self._moving_update(self.moving_variance, batch_var, decay, "AssignMovingAvg_1"))
            return
        # renorm tracks the moving stddev (epsilon inside, as in training) and derives the variance from it
        stddev = self._moving_update(self.moving_stddev, m.sqrt(batch_var + self.epsilon), decay, "AssignMovingAvg_1")
        variance = m.relu(stddev * stddev - self.epsilon)
        new_variance = smart_cond(flag, lambda: variance, lambda: self.moving_variance.value(), "batch_normalization")
        with inputs.graph.name_scope("AssignNewValue"):
            self.add_update(self.moving_variance.assign(new_variance))


def _compose(r: Tensor, d: Tensor, gamma: Any, beta: Any) -> tuple:
    """(scale, offset) of x -> (x * r + d) * gamma + beta, gamma and beta possibly absent."""
    scale, offset = r, d
    if gamma is not None:
        scale, offset = r * gamma, d * gamma
    if beta is not None:
        offset = offset + beta
    return scale, offset


def _sqrt_of(initializer: Any) -> Any:
    """An initializer giving the square root of ``initializer``'s values (renorm's stddev variables)."""
    def init(shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        return m.sqrt(initializer(shape, dtype=dtype))
    return init


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
