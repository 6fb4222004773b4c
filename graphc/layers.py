"""``tf.layers`` (TF1's functional layers): dense, conv2d, pooling, dropout, flatten.

Each layer opens ``tf.variable_scope(name, default_name=<layer>, reuse=reuse)``, so its
variables are ``dense/kernel:0``, ``dense/bias:0``, then ``dense_1/...`` for the next layer, and
``reuse=True`` with the same ``name`` shares them. Kernels default to glorot uniform (the
default of ``tf.get_variable``), biases to zeros, as TF1.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from graphc import control_flow, initializers
from graphc.graph import Tensor
from graphc.ops import array, conv, join_split, linalg
from graphc.ops import nn, source
from graphc.ops.core import constant_value, convert_to_tensor
from graphc.variable_scope import get_variable, variable_scope


# ------------------------------------------------------------------------------------------------
# argument normalization

def _pair(value: Any, what: str, layer: str) -> tuple:
    """An int or a tuple/list of 2 ints, as a pair."""
    vals = (value, value) if isinstance(value, int) else tuple(value)
    if len(vals) != 2 or not all(isinstance(v, int) and v > 0 for v in vals):
        raise ValueError(f"{layer}: {what} must be a positive int or a tuple of 2 positive ints, got {value!r}")
    return vals


def _padding(padding: Any, layer: str) -> str:
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {padding!r}")
    return padding.upper()


def _channels_last(data_format: Any, layer: str) -> None:
    if data_format != "channels_last":
        raise ValueError(f"{layer}: data_format={data_format!r} is not supported; graphc layers are "
                         "'channels_last' (NHWC) only.")


def _last_dim(x: Tensor, layer: str) -> int:
    dims = x.shape.as_tuple()
    if dims is None or not dims or dims[-1] is None:
        raise ValueError(f"{layer}: the last dimension of the inputs must be defined, but {x.name} has shape "
                         f"{x.shape}. Give the placeholder a static last dimension.")
    return dims[-1]


def _finish(outputs: Tensor, bias: Optional[Any], activation: Optional[Callable]) -> Tensor:
    if bias is not None:
        outputs = nn.bias_add(outputs, bias)
    return activation(outputs) if activation is not None else outputs


def _bias(units: int, use_bias: bool, initializer: Any, regularizer: Any, trainable: bool, dtype: Any) -> Any:
    if not use_bias:
        return None
    return get_variable("bias", [units], dtype=dtype, initializer=initializer, regularizer=regularizer,
                        trainable=trainable)


# ------------------------------------------------------------------------------------------------
# layers with variables

def dense(inputs: Any, units: int, activation: Optional[Callable] = None, use_bias: bool = True,
          kernel_initializer: Any = None, bias_initializer: Any = initializers.zeros_initializer(),
          kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
          kernel_constraint: Any = None, bias_constraint: Any = None, trainable: bool = True,
          name: Optional[str] = None, reuse: Any = None) -> Tensor:
    """``activation(inputs @ kernel + bias)`` over the last dim of ``inputs`` (kernel: [in, units])."""
    with variable_scope(name, default_name="dense", values=[inputs], reuse=reuse):
        x = convert_to_tensor(inputs, name="inputs")
        n_in = _last_dim(x, "dense")
        kernel = get_variable("kernel", [n_in, units], dtype=x.dtype, initializer=kernel_initializer,
                              regularizer=kernel_regularizer, trainable=trainable)
        bias = _bias(units, use_bias, bias_initializer, bias_regularizer, trainable, x.dtype)
        if x.shape.ndims == 2:
            outputs = linalg.matmul(x, kernel)
        else:
            outputs = linalg.tensordot(x, kernel, [[x.shape.ndims - 1], [0]])
        return _finish(outputs, bias, activation)


def conv2d(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
           data_format: str = "channels_last", dilation_rate: Any = (1, 1), activation: Optional[Callable] = None,
           use_bias: bool = True, kernel_initializer: Any = None,
           bias_initializer: Any = initializers.zeros_initializer(), kernel_regularizer: Any = None,
           bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
           bias_constraint: Any = None, trainable: bool = True, name: Optional[str] = None,
           reuse: Any = None) -> Tensor:
    """2-D convolution layer on NHWC inputs; kernel ``[kh, kw, in_channels, filters]``."""
    _channels_last(data_format, "conv2d")
    k = _pair(kernel_size, "kernel_size", "conv2d")
    attrs = dict(strides=_pair(strides, "strides", "conv2d"), padding=_padding(padding, "conv2d"),
                 dilations=_pair(dilation_rate, "dilation_rate", "conv2d"))
    with variable_scope(name, default_name="conv2d", values=[inputs], reuse=reuse):
        x = convert_to_tensor(inputs, name="inputs")
        if x.shape.ndims != 4:
            raise ValueError(f"conv2d: inputs {x.name} must be rank 4 (NHWC), got shape {x.shape}")
        kernel = get_variable("kernel", [k[0], k[1], _last_dim(x, "conv2d"), filters], dtype=x.dtype,
                              initializer=kernel_initializer, regularizer=kernel_regularizer, trainable=trainable)
        bias = _bias(filters, use_bias, bias_initializer, bias_regularizer, trainable, x.dtype)
        outputs = conv.conv2d(x, kernel, attrs["strides"], attrs["padding"], dilations=attrs["dilations"])
        return _finish(outputs, bias, activation)


# ------------------------------------------------------------------------------------------------
# layers without variables

def _pooling(pool: Callable, default_name: str, inputs: Any, pool_size: Any, strides: Any, padding: str,
             data_format: str, name: Optional[str]) -> Tensor:
    _channels_last(data_format, default_name)
    ksize = _pair(pool_size, "pool_size", default_name)
    stride = _pair(strides, "strides", default_name)
    with variable_scope(name, default_name=default_name, values=[inputs]):
        return pool(inputs, ksize, stride, _padding(padding, default_name))


def max_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                  data_format: str = "channels_last", name: Optional[str] = None) -> Tensor:
    """Max pooling over ``pool_size`` windows of NHWC inputs."""
    return _pooling(conv.max_pool, "max_pooling2d", inputs, pool_size, strides, padding, data_format, name)


def average_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                      data_format: str = "channels_last", name: Optional[str] = None) -> Tensor:
    """Average pooling over ``pool_size`` windows of NHWC inputs (SAME edges average in-bounds values)."""
    return _pooling(conv.avg_pool, "average_pooling2d", inputs, pool_size, strides, padding, data_format, name)


def dropout(inputs: Any, rate: float = 0.5, noise_shape: Any = None, seed: Optional[int] = None,
            training: Any = False, name: Optional[str] = None) -> Tensor:
    """``tf.nn.dropout(inputs, rate=rate)`` when ``training``, else ``inputs``.

    ``training`` may be a Python bool or a bool tensor (a placeholder): then a ``tf.cond`` runs
    the dropout only when it is true (a constant tensor picks its path while building, as TF1's
    ``smart_cond``).
    """
    with variable_scope(name, default_name="dropout", values=[inputs]):
        x = convert_to_tensor(inputs, name="inputs")
        if isinstance(training, bool):
            if training:
                return nn.dropout(x, rate=rate, noise_shape=noise_shape, seed=seed)
            return source.identity(x)
        flag = convert_to_tensor(training, name="training")
        if not flag.dtype.is_bool or flag.shape.ndims not in (None, 0):
            raise TypeError(f"dropout: training must be a Python bool or a scalar bool tensor, got {flag.name} "
                            f"of dtype {flag.dtype.name} and shape {flag.shape}")
        known = constant_value(flag)
        if known is not None:
            return nn.dropout(x, rate=rate, noise_shape=noise_shape, seed=seed) if bool(known) else source.identity(x)
        return control_flow.cond(flag, lambda: nn.dropout(x, rate=rate, noise_shape=noise_shape, seed=seed),
                                 lambda: source.identity(x))


def flatten(inputs: Any, name: Optional[str] = None, data_format: str = "channels_last") -> Tensor:
    """Reshapes [batch, d1, d2, ...] to [batch, d1 * d2 * ...] (a rank-1 input becomes [batch, 1])."""
    _channels_last(data_format, "flatten")
    with variable_scope(name, default_name="flatten", values=[inputs]):
        x = convert_to_tensor(inputs, name="inputs")
        dims = x.shape.as_tuple()
        if dims is None:
            raise ValueError(f"flatten: the rank of {x.name} must be known")
        if len(dims) == 0:
            raise ValueError(f"flatten: inputs {x.name} is a scalar; it needs a batch dimension")
        rest = dims[1:]
        if None not in rest:
            size = 1
            for d in rest:
                size *= d
            return array.reshape(x, [-1, size])
        return array.reshape(x, join_split.stack([array.shape(x)[0], -1]))


__all__ = ["dense", "conv2d", "max_pooling2d", "average_pooling2d", "dropout", "flatten"]
