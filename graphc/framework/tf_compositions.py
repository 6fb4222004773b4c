"""TensorFlow-only ops that graphc reads as compositions of its own ops (never written): ``BiasAdd``,
``Softmax``, ``FusedBatchNorm``, ``ApplyAdam``, ``LeakyRelu``, and the gradient helpers TF1's own gradient
graphs hold (``SigmoidGrad``, ``TanhGrad``, ``ConcatOffset``, ``InvertPermutation``, ``ApplyGradientDescent``),
... One ``OpMapping`` row each in ``ROWS``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from graphc.framework.op_mapping import OpMapping, composition, composition_n, same_op, static_value
from graphc.graph import Tensor
from graphc.ops import array, gather, join_split, math, nn, reduce, scatter, source, state
from graphc.ops.core import constant, constant_value, make_op


def _bias_add(inputs: list, attrs: dict) -> Any:
    fmt = attrs.get("data_format", b"NHWC")
    if fmt not in (b"NHWC", b"N..C"):
        raise ValueError(f"BiasAdd with data_format {fmt!r} is not supported (graphc is NHWC)")
    return math.add(inputs[0], inputs[1], name="add")


def _apply_adam(inputs: list, attrs: dict) -> Any:
    """TF's fused ApplyAdam as its update, written with assigns (the non-Nesterov rule TF1 runs)."""
    if attrs.get("use_nesterov"):
        raise ValueError("ApplyAdam with use_nesterov=True is not supported")
    var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad = inputs
    m_t = state.assign(m, m * beta1 + grad * (1 - beta1), name="m_t")
    v_t = state.assign(v, v * beta2 + math.square(grad) * (1 - beta2), name="v_t")
    lr_t = lr * math.sqrt(1 - beta2_power) / (1 - beta1_power)
    return state.assign_sub(var, lr_t * m_t / (math.sqrt(v_t) + epsilon), name="update")


# FusedBatchNorm's channel axis per data_format, and the shape its [C] parameters broadcast as
_BATCH_NORM_LAYOUTS = {b"NHWC": (-1, None), b"NCHW": (1, [-1, 1, 1])}


def _fused_batch_norm(inputs: list, attrs: dict, v3: bool = False) -> list:
    """TF's FusedBatchNorm (V2, V3): y, batch mean, batch variance (Bessel-corrected in training, mixed
    with the given ones by ``exponential_avg_factor``), the two reserve spaces (mean and biased variance;
    V3 adds an empty third)."""
    x, scale, offset, mean, variance = inputs[:5]
    fmt = attrs.get("data_format", b"NHWC")
    if fmt not in _BATCH_NORM_LAYOUTS:
        raise ValueError(f"data_format {fmt!r} is not supported (NHWC or NCHW)")
    channel, param_shape = _BATCH_NORM_LAYOUTS[fmt]
    eps = float(attrs.get("epsilon", 1e-4))
    dtype = scale.dtype

    def as_params(t: Tensor) -> Tensor:
        return array.reshape(t, param_shape) if param_shape is not None else t

    if attrs.get("is_training", True):
        rank = x.shape.rank
        if rank is None:
            raise ValueError(f"the rank of {x.name} must be known in training mode")
        axes = [a for a in range(rank) if a != channel % rank]
        x_stats = math.cast(x, dtype) if x.dtype != dtype else x
        batch_mean, batch_var = nn.moments(x_stats, axes, name="moments")
        count = math.cast(reduce.reduce_prod(gather.gather(array.shape(x), axes)), dtype)
        unbiased = batch_var * count / math.maximum(count - 1.0, 1.0)
        factor = float(attrs.get("exponential_avg_factor", 1.0))
        out_mean, out_var = batch_mean, unbiased
        if factor != 1.0:
            out_mean = mean * (1.0 - factor) + batch_mean * factor
            out_var = variance * (1.0 - factor) + unbiased * factor
        y = nn.batch_normalization(x, as_params(batch_mean), as_params(batch_var), as_params(offset),
                                   as_params(scale), eps)
        saved = [batch_mean, batch_var]
    else:
        y = nn.batch_normalization(x, as_params(mean), as_params(variance), as_params(offset), as_params(scale), eps)
        out_mean, out_var, saved = source.identity(mean), source.identity(variance), [mean, variance]
    outs = [y, out_mean, out_var, *saved]
    if v3:
        outs.append(array.zeros([0], dtype=dtype))
    return outs


def _selu(inputs: list, attrs: dict) -> Any:
    """scale * (x if x > 0 else alpha * (exp(x) - 1)), TF's constants."""
    x = inputs[0]
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return math.where(math.greater(x, 0), x, math.elu(x) * alpha) * scale


def _build_concat_v1(inputs: list, attrs: dict, name: str) -> Any:
    return make_op("ConcatV2", inputs[1:], {"axis": int(static_value(inputs[0], "concat_dim", name))}, name)


def _build_batch_matmul(inputs: list, attrs: dict, name: str) -> Any:
    return make_op("MatMul", inputs, {"transpose_a": bool(attrs.get("adj_x", False)),
                                      "transpose_b": bool(attrs.get("adj_y", False))}, name)


def _select_v1(inputs: list, attrs: dict) -> Any:
    """TF1's Select: a vector condition with matrix (or higher) branches picks whole rows."""
    condition, x, y = inputs
    rank = x.shape.ndims
    if condition.shape.ndims == 1 and rank is not None and rank > 1:
        condition = array.reshape(condition, [-1] + [1] * (rank - 1))
    return make_op("Select", [condition, x, y], {}, "Select").outputs[0]


def _bias_add_grad(inputs: list, attrs: dict) -> Any:
    """The bias gradient: the sum over every axis but the last (of its rows, when the rank is unknown, as in
    an imported loop body)."""
    g = inputs[0]
    if g.shape.rank is None:
        rows = array.reshape(g, join_split.stack([-1, array.shape(g)[-1]]))
        return reduce.reduce_sum(rows, axis=[0])
    return reduce.reduce_sum(g, axis=list(range(g.shape.rank - 1)))


def _concat_offset(inputs: list, attrs: dict) -> list:
    """TF's ConcatOffset (concat_dim, shape_0, ..., shape_n-1): where each input starts in the concatenation,
    ``shape_0[dim] + ... + shape_i-1[dim]`` on axis ``dim`` and 0 elsewhere."""
    concat_dim, shapes = inputs[0], inputs[1:]
    rank = array.size(shapes[0], out_type=concat_dim.dtype)
    on_axis = math.cast(math.equal(array.range(0, rank), math.floormod(concat_dim, rank)), shapes[0].dtype)
    offsets, before = [], array.zeros_like(shapes[0])
    for shape in shapes:
        offsets.append(before * on_axis)
        before = before + shape
    return offsets


def _invert_permutation(inputs: list, attrs: dict) -> Any:
    """TF's InvertPermutation: ``y[x[i]] = i`` (a constant when ``x`` is, as Transpose needs its perm)."""
    x = inputs[0]
    known = constant_value(x)
    if known is not None:
        return constant(np.argsort(np.asarray(known)).astype(x.dtype.as_numpy_dtype), name="inverse")
    n = array.size(x, out_type=x.dtype)
    return scatter.scatter_nd(array.reshape(x, [-1, 1]), array.range(0, n, dtype=x.dtype), array.reshape(n, [1]))


ROWS = [
    OpMapping(None, "BiasAdd", None, composition(_bias_add)),
    OpMapping(None, "BiasAddGrad", None, composition(_bias_add_grad)),
    OpMapping(None, "Softmax", None, composition(lambda inputs, attrs: nn.softmax(inputs[0]))),
    OpMapping(None, "LogSoftmax", None, composition(lambda inputs, attrs: nn.log_softmax(inputs[0]))),
    OpMapping(None, "Relu6", None, composition(lambda inputs, attrs: nn.relu6(inputs[0]))),
    OpMapping(None, "SquaredDifference", None,
              composition(lambda inputs, attrs: math.square(math.subtract(inputs[0], inputs[1])))),
    OpMapping(None, "ApplyAdam", None, composition(_apply_adam)),
    OpMapping(None, "ApplyGradientDescent", None,
              composition(lambda inputs, attrs: state.assign_sub(inputs[0], inputs[1] * inputs[2], name="update"))),
    OpMapping(None, "SigmoidGrad", None,
              composition(lambda inputs, attrs: inputs[1] * inputs[0] * (1 - inputs[0]))),
    OpMapping(None, "TanhGrad", None, composition(lambda inputs, attrs: inputs[1] * (1 - inputs[0] * inputs[0]))),
    OpMapping(None, "ConcatOffset", None, composition_n(_concat_offset)),
    OpMapping(None, "InvertPermutation", None, composition(_invert_permutation)),
    OpMapping(None, "ZerosLike", None, composition(lambda inputs, attrs: array.zeros_like(inputs[0]))),
    *[OpMapping(None, t, None, composition_n(_fused_batch_norm)) for t in ("FusedBatchNorm", "FusedBatchNormV2")],
    OpMapping(None, "FusedBatchNormV3", None,
              composition_n(lambda inputs, attrs: _fused_batch_norm(inputs, attrs, v3=True))),
    OpMapping(None, "LeakyRelu", None,
              composition(lambda inputs, attrs: nn.leaky_relu(inputs[0], alpha=float(attrs.get("alpha", 0.2))))),
    OpMapping(None, "Selu", None, composition(_selu)),
    OpMapping(None, "Softsign", None, composition(lambda inputs, attrs: nn.softsign(inputs[0]))),
    OpMapping(None, "PreventGradient", None, same_op("Identity")),
    OpMapping(None, "Concat", None, _build_concat_v1),
    *[OpMapping(None, t, None, _build_batch_matmul) for t in ("BatchMatMul", "BatchMatMulV2")],
    OpMapping(None, "Select", None, composition(_select_v1)),
    OpMapping(None, "OnesLike", None, composition(lambda inputs, attrs: array.ones_like(inputs[0]))),
]

__all__ = ["ROWS"]
