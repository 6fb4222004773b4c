"""``tf.layers`` convolutions: Conv1D, Conv2D, Conv2DTranspose, SeparableConv2D and their functional
forms (channels_last only). Kernels default to glorot uniform, biases to zeros, as TF1."""
from __future__ import annotations

from typing import Any, Callable, Optional

from graphc import initializers
from graphc.graph import Tensor
from graphc.layers.base import Layer, channels_last, check_rank, finish, int_tuple, last_dim, padding_of
from graphc.ops import array, conv, conv_variants, join_split
from graphc.shape import TensorShape

_FORMS = {1: "NWC", 2: "NHWC"}


class _Conv(Layer):
    """A ``rank``-D convolution layer; kernel ``kernel_size + [in_channels, filters]``."""

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str = "channels_last", dilation_rate: Any = 1, activation: Optional[Callable] = None,
                 use_bias: bool = True, kernel_initializer: Any = None,
                 bias_initializer: Any = initializers.zeros_initializer(), kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, trainable: bool = True, name: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs)
        layer = self.default_name
        channels_last(data_format, layer)
        self.filters = filters
        self.kernel_size = int_tuple(kernel_size, self.rank, "kernel_size", layer)
        self.strides = int_tuple(strides, self.rank, "strides", layer)
        self.padding = padding_of(padding, layer)
        self.dilation_rate = int_tuple(dilation_rate, self.rank, "dilation_rate", layer)
        self.activation, self.use_bias = activation, use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel: Any = None
        self.bias: Any = None

    def _kernel_shape(self, in_channels: int) -> list:
        return [*self.kernel_size, in_channels, self.filters]

    def build(self, input_shape: TensorShape) -> None:
        check_rank(input_shape, self.rank + 2, self.default_name, _FORMS[self.rank])
        self.kernel = self.add_weight("kernel", self._kernel_shape(last_dim(input_shape, self.default_name)),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.filters], initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        return finish(self._convolve(inputs), self.bias, self.activation)

    def _convolve(self, inputs: Tensor) -> Tensor:
        return conv.conv2d(inputs, self.kernel, self.strides, self.padding, dilations=self.dilation_rate)


class Conv2D(_Conv):
    """2-D convolution layer on NHWC inputs; kernel ``[kh, kw, in_channels, filters]``."""

    default_name = "conv2d"


class Conv1D(_Conv):
    """1-D convolution layer on NWC inputs; kernel ``[width, in_channels, filters]``."""

    default_name = "conv1d"
    rank = 1

    def _convolve(self, inputs: Tensor) -> Tensor:
        return conv_variants.conv1d(inputs, self.kernel, self.strides[0], self.padding,
                                    dilations=self.dilation_rate[0])


def _transposed_length(size: Any, kernel: int, stride: int, padding: str) -> Any:
    """TF1's deconv_output_length: size * stride, plus max(kernel - stride, 0) for VALID."""
    return size * stride + (max(kernel - stride, 0) if padding == "VALID" else 0)


class Conv2DTranspose(_Conv):
    """Transposed 2-D convolution (the gradient of conv2d); kernel ``[kh, kw, filters, in_channels]``."""

    default_name = "conv2d_transpose"

    def _kernel_shape(self, in_channels: int) -> list:
        return [*self.kernel_size, self.filters, in_channels]

    def _convolve(self, inputs: Tensor) -> Tensor:
        if self.dilation_rate != (1, 1):
            raise ValueError(f"conv2d_transpose: dilation_rate {self.dilation_rate} must be (1, 1) (TF1's "
                             "conv2d_transpose layer supports no dilation with strides).")
        dims = inputs.shape.as_tuple()
        dynamic = array.shape(inputs)
        sizes = [dims[i] if dims[i] is not None else dynamic[i] for i in (0, 1, 2)]
        out_hw = [_transposed_length(sizes[i + 1], self.kernel_size[i], self.strides[i], self.padding)
                  for i in (0, 1)]
        shape = [sizes[0], *out_hw, self.filters]
        if not all(isinstance(d, int) for d in shape):
            shape = join_split.stack(shape)
        return conv_variants.conv2d_transpose(inputs, self.kernel, shape, [1, *self.strides, 1], self.padding)


class SeparableConv2D(_Conv):
    """A depthwise 2-D convolution (``depth_multiplier`` per channel) then a 1x1 convolution to ``filters``;
    variables ``depthwise_kernel`` [kh, kw, in, mult] and ``pointwise_kernel`` [1, 1, in * mult, filters]."""

    default_name = "separable_conv2d"

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 data_format: str = "channels_last", dilation_rate: Any = (1, 1), depth_multiplier: int = 1,
                 activation: Optional[Callable] = None, use_bias: bool = True, depthwise_initializer: Any = None,
                 pointwise_initializer: Any = None, bias_initializer: Any = initializers.zeros_initializer(),
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 pointwise_constraint: Any = None, bias_constraint: Any = None, trainable: bool = True,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         None, bias_initializer, None, bias_regularizer, activity_regularizer, None, bias_constraint,
                         trainable, name, **kwargs)
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer, self.pointwise_initializer = depthwise_initializer, pointwise_initializer
        self.depthwise_regularizer, self.pointwise_regularizer = depthwise_regularizer, pointwise_regularizer
        self.depthwise_constraint, self.pointwise_constraint = depthwise_constraint, pointwise_constraint
        self.depthwise_kernel: Any = None
        self.pointwise_kernel: Any = None

    def build(self, input_shape: TensorShape) -> None:
        check_rank(input_shape, 4, self.default_name, "NHWC")
        channels = last_dim(input_shape, self.default_name)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", [*self.kernel_size, channels, self.depth_multiplier],
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", [1, 1, channels * self.depth_multiplier, self.filters],
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.filters], initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def _convolve(self, inputs: Tensor) -> Tensor:
        return conv_variants.separable_conv2d(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                              [1, *self.strides, 1], self.padding, rate=self.dilation_rate)


def _functional(cls: type, inputs: Any, args: tuple, kwargs: dict) -> Tensor:
    reuse = kwargs.pop("reuse", None)
    return cls(*args, _reuse=reuse, **kwargs).apply(inputs)


def conv1d(inputs: Any, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
           data_format: str = "channels_last", dilation_rate: Any = 1, **kwargs: Any) -> Tensor:
    """1-D convolution layer on NWC inputs (``Conv1D``'s keywords; ``name``, ``reuse``)."""
    return _functional(Conv1D, inputs, (filters, kernel_size, strides, padding, data_format, dilation_rate), kwargs)


def conv2d(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
           data_format: str = "channels_last", dilation_rate: Any = (1, 1), **kwargs: Any) -> Tensor:
    """2-D convolution layer on NHWC inputs (``Conv2D``'s keywords; ``name``, ``reuse``)."""
    return _functional(Conv2D, inputs, (filters, kernel_size, strides, padding, data_format, dilation_rate), kwargs)


def conv2d_transpose(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                     data_format: str = "channels_last", **kwargs: Any) -> Tensor:
    """Transposed 2-D convolution layer on NHWC inputs (``Conv2DTranspose``'s keywords; ``name``, ``reuse``)."""
    return _functional(Conv2DTranspose, inputs, (filters, kernel_size, strides, padding, data_format), kwargs)


def separable_conv2d(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                     data_format: str = "channels_last", dilation_rate: Any = (1, 1), depth_multiplier: int = 1,
                     **kwargs: Any) -> Tensor:
    """Depthwise-separable 2-D convolution layer (``SeparableConv2D``'s keywords; ``name``, ``reuse``)."""
    return _functional(SeparableConv2D, inputs,
                       (filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier), kwargs)


__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose", "SeparableConv2D", "conv1d", "conv2d", "conv2d_transpose",
           "separable_conv2d"]
