"""``tf.layers`` pooling: MaxPooling1D/2D, AveragePooling1D/2D and their functional forms.

The 1-D layers pool NWC inputs as TF1 does: a unit height is inserted, the 2-D pool runs, and the
height is squeezed away. SAME average windows average only their in-bounds elements.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from graphc.graph import Tensor
from graphc.layers.base import Layer, channels_last, check_rank, int_tuple, padding_of
from graphc.ops import array, conv
from graphc.shape import TensorShape


class _Pooling(Layer):
    """Pools ``pool_size`` windows at ``strides`` with ``pool`` (a 2-D NHWC pooling op)."""

    rank = 2
    pool: Callable = staticmethod(conv.max_pool)

    def __init__(self, pool_size: Any, strides: Any, padding: str = "valid", data_format: str = "channels_last",
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        channels_last(data_format, self.default_name)
        self.pool_size = int_tuple(pool_size, self.rank, "pool_size", self.default_name)
        self.strides = int_tuple(strides, self.rank, "strides", self.default_name)
        self.padding = padding_of(padding, self.default_name)

    def build(self, input_shape: TensorShape) -> None:
        check_rank(input_shape, self.rank + 2, self.default_name, "NWC" if self.rank == 1 else "NHWC")
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        if self.rank == 2:
            return type(self).pool(inputs, self.pool_size, self.strides, self.padding)
        pooled = type(self).pool(array.expand_dims(inputs, 1), (1, *self.pool_size), (1, *self.strides), self.padding)
        return array.squeeze(pooled, [1])


class MaxPooling2D(_Pooling):
    """Max over ``pool_size`` windows of NHWC inputs."""

    default_name = "max_pooling2d"


class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows of NHWC inputs."""

    default_name = "average_pooling2d"
    pool = staticmethod(conv.avg_pool)


class MaxPooling1D(_Pooling):
    """Max over ``pool_size`` windows of NWC inputs."""

    default_name = "max_pooling1d"
    rank = 1


class AveragePooling1D(_Pooling):
    """Mean over ``pool_size`` windows of NWC inputs."""

    default_name = "average_pooling1d"
    rank = 1
    pool = staticmethod(conv.avg_pool)


def max_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                  data_format: str = "channels_last", name: Optional[str] = None) -> Tensor:
    """Max pooling over ``pool_size`` windows of NHWC inputs."""
    return MaxPooling2D(pool_size, strides, padding, data_format, name).apply(inputs)


def average_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                      data_format: str = "channels_last", name: Optional[str] = None) -> Tensor:
    """Average pooling over ``pool_size`` windows of NHWC inputs (SAME edges average in-bounds values)."""
    return AveragePooling2D(pool_size, strides, padding, data_format, name).apply(inputs)


def max_pooling1d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                  data_format: str = "channels_last", name: Optional[str] = None) -> Tensor:
    """Max pooling over ``pool_size`` windows of NWC inputs."""
    return MaxPooling1D(pool_size, strides, padding, data_format, name).apply(inputs)


def average_pooling1d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                      data_format: str = "channels_last", name: Optional[str] = None) -> Tensor:
    """Average pooling over ``pool_size`` windows of NWC inputs (SAME edges average in-bounds values)."""
    return AveragePooling1D(pool_size, strides, padding, data_format, name).apply(inputs)


__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "max_pooling1d",
           "max_pooling2d", "average_pooling1d", "average_pooling2d"]
