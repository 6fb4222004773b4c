"""Variable initializers (TF1 ``tf.*_initializer``): callables ``(shape, dtype) -> Tensor``."""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import random as rnd
from graphc.ops import core as _core
from graphc.shape import TensorShape


class Initializer:
    """Base class: ``init(shape, dtype=None, partition_info=None)`` builds the initial-value tensor."""

    def __init__(self, dtype: Any = dtypes.float32) -> None:
        self.dtype = dtypes.as_dtype(dtype)

    def _dtype(self, dtype: Any) -> dtypes.DType:
        return dtypes.as_dtype(dtype) if dtype is not None else self.dtype

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        raise TypeError(f"{type(self).__name__} is an abstract initializer")


def _shape_list(shape: Any) -> list:
    dims = TensorShape(shape).as_tuple()
    if dims is None or any(d is None for d in dims):
        raise ValueError(f"An initializer needs a fully defined shape, got {TensorShape(shape)}")
    return list(dims)


class Zeros(Initializer):
    """``tf.zeros_initializer``: all zeros (node ``zeros``)."""

    def __call__(self, shape, dtype=None, partition_info=None):
        return _core.constant(0, dtype=self._dtype(dtype), shape=_shape_list(shape), name="zeros")


class Ones(Initializer):
    """``tf.ones_initializer``: all ones (node ``ones``)."""

    def __call__(self, shape, dtype=None, partition_info=None):
        return _core.constant(1, dtype=self._dtype(dtype), shape=_shape_list(shape), name="ones")


class Constant(Initializer):
    """``tf.constant_initializer(value)``: a scalar fills the shape; a list fills it in row-major
    order, its last element repeated when it is too short (as TF1)."""

    def __init__(self, value: Any = 0, dtype: Any = dtypes.float32, verify_shape: bool = False) -> None:
        super().__init__(dtype)
        self.value = value
        self.verify_shape = verify_shape

    def __call__(self, shape, dtype=None, partition_info=None):
        dims = _shape_list(shape)
        return _core.constant(self._filled(dims), dtype=self._dtype(dtype), shape=dims, name="Const")

    def _filled(self, dims: list) -> Any:
        flat = np.reshape(np.asarray(self.value), (-1,))
        given = np.shape(self.value)
        if self.verify_shape and tuple(given) != tuple(dims):
            raise TypeError(f"Expected Tensor's shape: {tuple(dims)}, but got {tuple(given)}.")
        needed = math.prod(dims)
        if flat.size in (1, needed):
            return self.value
        if flat.size > needed:
            raise ValueError(f"Too many elements provided. Takes at most {needed}, but got {flat.size} "
                             f"(constant_initializer value for shape {dims}).")
        if flat.size == 0:
            raise ValueError(f"constant_initializer got an empty value for shape {dims}")
        return np.concatenate([flat, np.repeat(flat[-1:], needed - flat.size)]).reshape(dims)


class RandomNormal(Initializer):
    def __init__(self, mean: float = 0.0, stddev: float = 1.0, seed: Optional[int] = None,
                 dtype: Any = dtypes.float32) -> None:
        super().__init__(dtype)
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None, partition_info=None):
        return rnd.random_normal(_shape_list(shape), self.mean, self.stddev, self._dtype(dtype), self.seed)


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=None, partition_info=None):
        return rnd.truncated_normal(_shape_list(shape), self.mean, self.stddev, self._dtype(dtype), self.seed)


class RandomUniform(Initializer):
    def __init__(self, minval: float = 0.0, maxval: Optional[float] = None, seed: Optional[int] = None,
                 dtype: Any = dtypes.float32) -> None:
        super().__init__(dtype)
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None, partition_info=None):
        return rnd.random_uniform(_shape_list(shape), self.minval, self.maxval, self._dtype(dtype), self.seed)


class Orthogonal(Initializer):
    """``tf.orthogonal_initializer``: a (reshaped) matrix with orthonormal rows or columns, times ``gain``.

    The last dimension is the columns, the product of the others the rows (at least 2-D).
    """

    def __init__(self, gain: float = 1.0, seed: Optional[int] = None, dtype: Any = dtypes.float32) -> None:
        super().__init__(dtype)
        self.gain = float(gain)
        self.seed = seed

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        dims = _shape_list(shape)
        if len(dims) < 2:
            raise ValueError(f"The tensor to initialize must be at least two-dimensional, got shape {dims}")
        dt = self._dtype(dtype)
        if not dt.is_floating:
            raise TypeError(f"orthogonal_initializer needs a float dtype, got {dt.name}")
        s1, s2 = rnd.get_seed(self.seed)
        shape_t = _core.as_shape_tensor(dims, name="shape")
        return _core.apply("RandomOrthogonal", [shape_t],
                           {"dtype": dt, "seed": s1, "seed2": s2, "gain": self.gain}, "orthogonal")


def _fans(shape: list) -> tuple:
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(Initializer):
    """Samples with variance ``scale / n`` (n = fan_in, fan_out or their mean), as TF1."""

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: Optional[int] = None, dtype: Any = dtypes.float32) -> None:
        super().__init__(dtype)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid mode {mode!r}: use fan_in, fan_out or fan_avg")
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"Invalid distribution {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None, partition_info=None):
        shape = _shape_list(shape)
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        dt = self._dtype(dtype)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * scale)
            return rnd.random_uniform(shape, -limit, limit, dt, self.seed)
        if self.distribution == "truncated_normal":
            # 0.879... is the stddev of a unit normal truncated to [-2, 2]
            return rnd.truncated_normal(shape, 0.0, math.sqrt(scale) / 0.87962566103423978, dt, self.seed)
        return rnd.random_normal(shape, 0.0, math.sqrt(scale), dt, self.seed)


class GlorotUniform(VarianceScaling):
    def __init__(self, seed: Optional[int] = None, dtype: Any = dtypes.float32) -> None:
        super().__init__(1.0, "fan_avg", "uniform", seed, dtype)


class GlorotNormal(VarianceScaling):
    def __init__(self, seed: Optional[int] = None, dtype: Any = dtypes.float32) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, dtype)


def he_normal(seed: Optional[int] = None) -> VarianceScaling:
    """``tf.initializers.he_normal``: truncated normal with variance 2 / fan_in."""
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed: Optional[int] = None) -> VarianceScaling:
    """``tf.initializers.he_uniform``: uniform with variance 2 / fan_in."""
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed: Optional[int] = None) -> VarianceScaling:
    """``tf.initializers.lecun_normal``: truncated normal with variance 1 / fan_in."""
    return VarianceScaling(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed: Optional[int] = None) -> VarianceScaling:
    """``tf.initializers.lecun_uniform``: uniform with variance 1 / fan_in."""
    return VarianceScaling(1.0, "fan_in", "uniform", seed)


zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_normal_initializer = RandomNormal
random_uniform_initializer = RandomUniform
truncated_normal_initializer = TruncatedNormal
variance_scaling_initializer = VarianceScaling
glorot_uniform_initializer = GlorotUniform
glorot_normal_initializer = GlorotNormal
orthogonal_initializer = Orthogonal

# tf.initializers.* spellings
zeros = Zeros
ones = Ones
constant = Constant
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
orthogonal = Orthogonal
