"""Neural-network ops (``tf.nn``): activations, the softmax family, cross-entropies, bias_add, l2_loss.

Everything here is a composition of primitives from math/reduce/array, so a compiler pass can fuse
it (softmax, log-softmax + cross-entropy are one row kernel each). The one primitive is
``SparseLabelsOneHot``: sparse labels need an index comparison along the class axis, and TF1
rejects out-of-range labels at run time, which only a kernel can check.

Softmax-type functions shift by the row max under ``stop_gradient``: the shift cancels exactly in
the result, so its gradient is zero anyway and need not be built.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import array, gather, source
from graphc.ops import math as m
from graphc.ops import reduce as red
from graphc.ops.linalg import matmul
from graphc.ops.reduce import _merge_alias
from graphc.ops.core import OpDef, _graph_of, apply, convert_n, convert_to_tensor, normalize_axis, register
from graphc.shape import TensorShape


# ------------------------------------------------------------------------------------------------
# helpers

@contextlib.contextmanager
def _scope(values: list, name: Optional[str], default: str) -> Iterator[str]:
    """Opens TF1's name scope ``name or default`` in the graph of ``values``; yields the scope."""
    graph = _graph_of(values)
    with graph.as_default(), graph.name_scope(name or default) as scope:
        yield scope


def _check_float(fn_name: str, what: str, t: Tensor) -> None:
    if not t.dtype.is_floating:
        raise TypeError(f"{fn_name}: {what} {t.name} has dtype {t.dtype.name} {t.shape}, but it must be a "
                        "float tensor (float16/float32/float64). Use tf.cast first.")


def _class_axis(fn_name: str, t: Tensor, axis: Optional[int]) -> int:
    """``axis`` (default -1) checked against ``t``'s rank; kept as given when the rank is unknown."""
    axis = -1 if axis is None else int(axis)
    rank = t.shape.ndims
    if rank is None:
        return axis
    if rank == 0:
        raise ValueError(f"{fn_name}: {t.name} is a scalar; it needs at least one dimension (the classes).")
    normalize_axis(axis, rank, f"{fn_name} axis")
    return axis


def _check_named_call(fn_name: str, sentinel: Any, labels: Any, logits: Any) -> None:
    if sentinel is not None or labels is None or logits is None:
        raise ValueError(f"Only call `{fn_name}` with named arguments (labels=..., logits=..., ...).")


def _same_shape(fn_name: str, labels: Tensor, logits: Tensor) -> None:
    if not labels.shape.is_compatible_with(logits.shape):
        raise ValueError(f"{fn_name}: `logits` and `labels` must have the same shape, but logits "
                         f"{logits.name} has shape {logits.shape} and labels {labels.name} has shape "
                         f"{labels.shape}.")


def _shifted(x: Tensor, axis: int) -> Tensor:
    """``x - max(x, axis)``: all values <= 0, so exp never overflows."""
    return x - source.stop_gradient(red.reduce_max(x, axis, keepdims=True))


def _log_sum_exp_of_shifted(shifted: Tensor, axis: int) -> Tensor:
    return m.log(red.reduce_sum(m.exp(shifted), axis, keepdims=True))


# ------------------------------------------------------------------------------------------------
# activations

def relu6(features: Any, name: Optional[str] = None) -> Tensor:
    """min(max(features, 0), 6); the gradient is zero at both kinks, as TF1's Relu6Grad."""
    with _scope([features], name, "Relu6") as scope:
        x = convert_to_tensor(features, name="features")
        # 6 is Minimum's first operand so that a tie (x == 6) sends the gradient to the constant
        return m.minimum(6, m.relu(x), name=scope)


def leaky_relu(features: Any, alpha: float = 0.2, name: Optional[str] = None) -> Tensor:
    """x if x > 0 else alpha * x; integer features become float32 first (as TF1)."""
    with _scope([features], name, "LeakyRelu") as scope:
        x = convert_to_tensor(features, name="features")
        if x.dtype.is_integer:
            x = m.cast(x, dtypes.float32)
        _check_float("leaky_relu", "features", x)
        return m.where(m.greater(x, 0), x, x * alpha, name=scope)


def softsign(features: Any, name: Optional[str] = None) -> Tensor:
    """features / (1 + |features|)."""
    with _scope([features], name, "Softsign") as scope:
        x = convert_to_tensor(features, name="features")
        _check_float("softsign", "features", x)
        return m.truediv(x, 1 + m.abs(x), name=scope)


# ------------------------------------------------------------------------------------------------
# softmax family

def softmax(logits: Any, axis: Optional[int] = None, name: Optional[str] = None,
            dim: Optional[int] = None) -> Tensor:
    """exp(logits) / sum(exp(logits), axis), computed on max-shifted logits (never overflows)."""
    axis = _merge_alias(axis, dim, "axis", "dim")
    with _scope([logits], name, "Softmax") as scope:
        x = convert_to_tensor(logits, name="logits")
        _check_float("softmax", "logits", x)
        axis = _class_axis("softmax", x, axis)
        e = m.exp(_shifted(x, axis))
        return m.truediv(e, red.reduce_sum(e, axis, keepdims=True), name=scope)


def log_softmax(logits: Any, axis: Optional[int] = None, name: Optional[str] = None,
                dim: Optional[int] = None) -> Tensor:
    """logits - log(sum(exp(logits), axis)), as x - max - log(sum(exp(x - max)))."""
    axis = _merge_alias(axis, dim, "axis", "dim")
    with _scope([logits], name, "LogSoftmax") as scope:
        x = convert_to_tensor(logits, name="logits")
        _check_float("log_softmax", "logits", x)
        axis = _class_axis("log_softmax", x, axis)
        shifted = _shifted(x, axis)
        return m.subtract(shifted, _log_sum_exp_of_shifted(shifted, axis), name=scope)


# ------------------------------------------------------------------------------------------------
# bias_add and l2_loss

_CHANNEL_AXIS = {None: -1, "NHWC": -1, "NCHW": 1}


def bias_add(value: Any, bias: Any, data_format: Optional[str] = None, name: Optional[str] = None) -> Tensor:
    """value + bias, with a rank-1 ``bias`` along the channel dim (last for NHWC, 1 for NCHW)."""
    if data_format not in _CHANNEL_AXIS:
        raise ValueError(f"bias_add: data_format must be 'NHWC' or 'NCHW' (or None), got {data_format!r}")
    with _scope([value, bias], name, "BiasAdd") as scope:
        value, bias = convert_n([value, bias])
        rank = value.shape.ndims
        if rank is not None and rank < 2:
            raise ValueError(f"bias_add: value {value.name} has shape {value.shape}, but it must be at least "
                             "rank 2 (a batch of vectors or feature maps).")
        if bias.shape.ndims is not None and bias.shape.ndims != 1:
            raise ValueError(f"bias_add: bias {bias.name} has shape {bias.shape}, but it must be rank 1 "
                             "(one value per channel).")
        channel = _CHANNEL_AXIS[data_format]
        if rank is not None:
            n_value = value.shape.as_tuple()[channel]
            n_bias = bias.shape.as_tuple()[0] if bias.shape.ndims == 1 else None
            if n_value is not None and n_bias is not None and n_value != n_bias:
                raise ValueError(f"bias_add: dimensions must be equal, but value {value.name} has {n_value} "
                                 f"channels (shape {value.shape}, data_format={data_format or 'NHWC'}) and "
                                 f"bias {bias.name} has {n_bias} (shape {bias.shape}).")
        if channel == 1:
            if rank is None:
                raise ValueError(f"bias_add with data_format='NCHW' needs the rank of {value.name} to be "
                                 "known while building the graph.")
            bias = array.reshape(bias, [-1] + [1] * (rank - 2))
        return m.add(value, bias, name=scope)


def l2_loss(t: Any, name: Optional[str] = None) -> Tensor:
    """sum(t ** 2) / 2, a scalar."""
    with _scope([t], name, "L2Loss") as scope:
        x = convert_to_tensor(t, name="t")
        _check_float("l2_loss", "t", x)
        return m.multiply(red.reduce_sum(m.square(x)), 0.5, name=scope)


# ------------------------------------------------------------------------------------------------
# cross-entropies

def softmax_cross_entropy_with_logits_v2(labels: Any, logits: Any, axis: Optional[int] = None,
                                         name: Optional[str] = None, dim: Optional[int] = None) -> Tensor:
    """-sum(labels * log_softmax(logits), axis); gradients flow into both labels and logits.

    Rows of ``labels`` should be probability distributions. (For rows that do not sum to 1,
    TF1's kernel returns softmax - labels as the logits gradient; this composition returns the
    exact derivative, sum(labels) * softmax - labels.)
    """
    axis = _merge_alias(axis, dim, "axis", "dim")
    with _scope([labels, logits], name, "softmax_cross_entropy_with_logits"):
        logits, labels = convert_n([logits, labels])
        fn = "softmax_cross_entropy_with_logits"
        _check_float(fn, "logits", logits)
        _same_shape(fn, labels, logits)
        axis = _class_axis(fn, logits, axis)
        shifted = _shifted(logits, axis)
        neg_log_probs = _log_sum_exp_of_shifted(shifted, axis) - shifted
        # TF1 names the result scope/Reshape_2 (its last op reshapes the cost back)
        return red.reduce_sum(labels * neg_log_probs, axis, name="Reshape_2")


def softmax_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None, logits: Any = None,
                                      dim: int = -1, name: Optional[str] = None,
                                      axis: Optional[int] = None) -> Tensor:
    """TF1's v1 softmax cross-entropy: like ``_v2`` but no gradient flows into ``labels``."""
    _check_named_call("softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    axis = dim if axis is None else axis
    with _scope([labels, logits], name, "softmax_cross_entropy_with_logits_sg") as scope:
        labels = source.stop_gradient(labels, name="labels_stop_gradient")
        return softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, axis=axis, name=scope)


def _labels_one_hot_infer(inputs, attrs):
    labels, logits = inputs
    if labels.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"labels {labels.name} has dtype {labels.dtype.name}, but sparse labels must be "
                        "int32 or int64 class indices.")
    _check_float("sparse_softmax_cross_entropy_with_logits", "logits", logits)
    lr, gr = labels.shape.ndims, logits.shape.ndims
    if gr == 0:
        raise ValueError(f"logits {logits.name} is a scalar; it needs a last dimension of classes.")
    if lr is not None and gr is not None:
        if lr != gr - 1:
            raise ValueError(f"labels {labels.name} has shape {labels.shape} (rank {lr}), but its rank must be "
                             f"the rank of logits {logits.name} ({logits.shape}, rank {gr}) minus 1.")
        if not labels.shape.is_compatible_with(logits.shape.as_list()[:-1]):
            raise ValueError(f"labels {labels.name} has shape {labels.shape}, but it must equal the shape of "
                             f"logits {logits.name} ({logits.shape}) without its last dimension.")
        merged = labels.shape.merge_with(logits.shape.as_list()[:-1])
        return [(logits.dtype, TensorShape(merged.as_list() + [logits.shape.as_list()[-1]]))]
    return [(logits.dtype, logits.shape)]


def _labels_one_hot_numpy(labels, logits):
    labels = np.asarray(labels)
    if labels.shape != logits.shape[:-1]:
        raise ValueError(f"labels of shape {labels.shape} must have the shape of logits {logits.shape} "
                         "without its last dimension")
    depth = logits.shape[-1]
    outside = (labels < 0) | (labels >= depth)
    if np.any(outside):
        shown = " ".join(str(v) for v in labels.reshape(-1)[:20])
        raise ValueError(f"Received a label value of {labels[outside][0]} which is outside the valid range "
                         f"of [0, {depth}).  Label values: {shown}")
    return (labels[..., None] == np.arange(depth)).astype(logits.dtype)


# One-hot of int labels along the classes (last) dim of logits, in logits' dtype; logits only give
# the number of classes and the dtype. Out-of-range labels fail at run time, as TF1 on the CPU.
register(OpDef("SparseLabelsOneHot", "opaque", infer=_labels_one_hot_infer, numpy=_labels_one_hot_numpy,
               differentiable=False))


def sparse_softmax_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None, logits: Any = None,
                                             name: Optional[str] = None) -> Tensor:
    """Softmax cross-entropy with int class indices ``labels`` (shape = logits' shape minus the last dim)."""
    _check_named_call("sparse_softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    with _scope([labels, logits], name, "SparseSoftmaxCrossEntropyWithLogits"):
        labels = convert_to_tensor(labels, name="labels")
        logits = convert_to_tensor(logits, name="logits")
        one_hot = apply("SparseLabelsOneHot", [labels, logits], name="labels_one_hot")
        shifted = _shifted(logits, -1)
        neg_log_probs = _log_sum_exp_of_shifted(shifted, -1) - shifted
        # TF1 names the result scope/<name>: SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits
        return red.reduce_sum(one_hot * neg_log_probs, -1, name=name or "SparseSoftmaxCrossEntropyWithLogits")


def sigmoid_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None, logits: Any = None,
                                      name: Optional[str] = None) -> Tensor:
    """Elementwise -z*log(sigmoid(x)) - (1-z)*log(1-sigmoid(x)), as max(x,0) - x*z + log(1+exp(-|x|)).

    Both kinks are written with where(x >= 0, ...) so that the gradient at x = 0 is exactly
    sigmoid(0) - z = 0.5 - z, as in TF1.
    """
    _check_named_call("sigmoid_cross_entropy_with_logits", _sentinel, labels, logits)
    with _scope([labels, logits], name, "logistic_loss") as scope:
        logits, labels = convert_n([logits, labels])
        _check_float("sigmoid_cross_entropy_with_logits", "logits", logits)
        _same_shape("sigmoid_cross_entropy_with_logits", labels, logits)
        nonnegative = m.greater_equal(logits, 0)
        relu_logits = m.where(nonnegative, logits, 0)
        neg_abs_logits = m.where(nonnegative, -logits, logits)
        return m.add(relu_logits - logits * labels, m.log1p(m.exp(neg_abs_logits)), name=scope)


def weighted_cross_entropy_with_logits(labels: Any = None, logits: Any = None, pos_weight: Any = None,
                                       name: Optional[str] = None, targets: Any = None) -> Tensor:
    """Sigmoid cross-entropy with the positive term weighted by ``pos_weight`` (TF1's formula:
    (1 - z) * x + (1 + (pos_weight - 1) * z) * (log1p(exp(-|x|)) + max(-x, 0)))."""
    labels = _merge_alias(labels, targets, "labels", "targets")
    if labels is None or logits is None or pos_weight is None:
        raise ValueError("weighted_cross_entropy_with_logits needs labels (or targets), logits and pos_weight.")
    with _scope([labels, logits, pos_weight], name, "logistic_loss") as scope:
        logits, labels = convert_n([logits, labels])
        _check_float("weighted_cross_entropy_with_logits", "logits", logits)
        _same_shape("weighted_cross_entropy_with_logits", labels, logits)
        log_weight = 1 + (pos_weight - 1) * labels
        softplus_neg_abs = m.log1p(m.exp(-m.abs(logits))) + m.relu(-logits)
        return m.add((1 - labels) * logits, log_weight * softplus_neg_abs, name=scope)


def log_poisson_loss(targets: Any, log_input: Any, compute_full_loss: bool = False,
                     name: Optional[str] = None) -> Tensor:
    """exp(log_input) - log_input * targets, plus Stirling's approximation of log(targets!) where
    targets > 1 when ``compute_full_loss`` (TF1 ``tf.nn.log_poisson_loss``)."""
    with _scope([targets, log_input], name, "log_poisson_loss") as scope:
        log_input, targets = convert_n([log_input, targets])
        _check_float("log_poisson_loss", "log_input", log_input)
        if not targets.shape.is_compatible_with(log_input.shape):
            raise ValueError(f"log_poisson_loss: log_input {log_input.name} {log_input.shape} and targets "
                             f"{targets.name} {targets.shape} must have the same shape.")
        result = m.exp(log_input) - log_input * targets
        if not compute_full_loss:
            return source.identity(result, name=scope)
        stirling = targets * m.log(targets) - targets + 0.5 * m.log(2 * np.pi * targets)
        zeros = array.zeros_like(targets)
        small = m.logical_and(m.greater_equal(targets, zeros), m.less_equal(targets, array.ones_like(targets)))
        return m.add(result, m.where(small, zeros, stirling), name=scope)


# ------------------------------------------------------------------------------------------------
# xw_plus_b, l2_normalize

def xw_plus_b(x: Any, weights: Any, biases: Any, name: Optional[str] = None) -> Tensor:
    """matmul(x, weights) + biases (TF1 ``tf.nn.xw_plus_b``)."""
    with _scope([x, weights, biases], name, "xw_plus_b") as scope:
        return bias_add(matmul(x, weights), biases, name=scope)


def l2_normalize(x: Any, axis: Any = None, epsilon: float = 1e-12, name: Optional[str] = None,
                 dim: Any = None) -> Tensor:
    """x / sqrt(max(sum(x ** 2, axis), epsilon)); every axis when ``axis`` is None (TF1)."""
    axis = _merge_alias(axis, dim, "axis", "dim")
    with _scope([x], name, "l2_normalize") as scope:
        x = convert_to_tensor(x, name="x")
        _check_float("l2_normalize", "x", x)
        square_sum = red.reduce_sum(m.square(x), axis, keepdims=True)
        inv_norm = m.rsqrt(m.maximum(square_sum, epsilon))
        return m.multiply(x, inv_norm, name=scope)


# ------------------------------------------------------------------------------------------------
# dropout, moments, batch_normalization, embedding_lookup

def _dropout_rate(keep_prob: Any, rate: Any) -> Any:
    """TF1's rule: exactly one of keep_prob / rate; a Python rate must lie in [0, 1)."""
    if keep_prob is not None and rate is not None:
        raise ValueError("Cannot specify both 'keep_prob' and 'rate'.")
    if keep_prob is not None:
        rate = 1 - keep_prob
    if rate is None:
        raise ValueError("dropout: `rate` must be provided (or `keep_prob`, the probability to keep).")
    if isinstance(rate, (int, float)) and not isinstance(rate, bool) and not 0 <= rate < 1:
        raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). Received: rate={rate}")
    return rate


def dropout(x: Any, keep_prob: Any = None, noise_shape: Any = None, seed: Optional[int] = None,
            name: Optional[str] = None, rate: Any = None) -> Tensor:
    """Zeroes each element with probability ``rate`` (= 1 - keep_prob) and scales the rest by 1/keep_prob.

    The mask is ``random_uniform(noise_shape) >= rate`` (noise_shape broadcasts against x), so it
    follows graphc's seeding: a new mask on every ``sess.run``. A Python rate of 0 returns x.
    """
    from graphc.ops import random as rnd

    rate = _dropout_rate(keep_prob, rate)
    if isinstance(rate, (int, float)) and rate == 0:
        return convert_to_tensor(x, name="x")
    with _scope([x], name, "dropout"):
        x = convert_to_tensor(x, name="x")
        _check_float("dropout", "x", x)
        if isinstance(rate, (int, float)):
            scale = convert_to_tensor(1 / (1 - rate), dtype=x.dtype)
            rate_t = convert_to_tensor(rate, dtype=x.dtype, name="rate")
        else:
            rate_t = convert_to_tensor(rate, dtype=x.dtype, name="rate")
            if rate_t.shape.ndims not in (None, 0):
                raise ValueError(f"dropout: rate {rate_t.name} must be a scalar, got shape {rate_t.shape}")
            scale = 1 / (1 - rate_t)
        scaled = m.multiply(x, scale, name="Mul")
        shape = array.shape(x) if noise_shape is None else noise_shape
        keep = m.greater_equal(rnd.random_uniform(shape, seed=seed, dtype=x.dtype), rate_t)
        return m.where(keep, scaled, array.zeros_like(scaled))


def moments(x: Any, axes: Any, shift: Any = None, name: Optional[str] = None, keep_dims: Optional[bool] = None,
            keepdims: Optional[bool] = None) -> tuple:
    """(mean, variance) of ``x`` over ``axes``; ``shift`` is accepted and unused, as in TF1.

    The variance is mean((x - stop_gradient(mean))**2), as TF1; float16 is computed in float32.
    """
    keep = bool(_merge_alias(keepdims, keep_dims, "keepdims", "keep_dims"))
    axes = [int(a) for a in (axes if isinstance(axes, (list, tuple)) else [axes])]
    with _scope([x], name, "moments"):
        x = convert_to_tensor(x, name="x")
        _check_float("moments", "x", x)
        y = m.cast(x, dtypes.float32) if x.dtype is dtypes.float16 else x
        mean = red.reduce_mean(y, axes, keepdims=True, name="mean")
        variance = red.reduce_mean(m.squared_difference(y, source.stop_gradient(mean)), axes, keepdims=True,
                                   name="variance")
        if not keep:
            mean, variance = array.squeeze(mean, axes), array.squeeze(variance, axes)
        if x.dtype is dtypes.float16:
            return m.cast(mean, dtypes.float16), m.cast(variance, dtypes.float16)
        return mean, variance


def batch_normalization(x: Any, mean: Any, variance: Any, offset: Any, scale: Any, variance_epsilon: Any,
                        name: Optional[str] = None) -> Tensor:
    """(x - mean) * scale / sqrt(variance + eps) + offset, computed as x * inv + (offset - mean * inv)."""
    with _scope([x, mean, variance, offset, scale], name, "batchnorm"):
        x = convert_to_tensor(x, name="x")
        _check_float("batch_normalization", "x", x)
        inv = m.rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv = inv * scale
        shift = offset - mean * inv if offset is not None else -mean * inv
        return x * _cast_to(inv, x.dtype) + _cast_to(shift, x.dtype)


def _cast_to(t: Tensor, dtype: dtypes.DType) -> Tensor:
    return t if t.dtype is dtype else m.cast(t, dtype)


def _clip_rows(t: Tensor, max_norm: Any, first_axis: int) -> Tensor:
    """t * max_norm / max(||t||, max_norm) over the dims from ``first_axis`` on (TF's clip_by_norm)."""
    axes = list(range(first_axis, t.shape.ndims))
    l2sum = red.reduce_sum(m.square(t), axes, keepdims=True)
    positive = m.greater(l2sum, 0)
    l2norm = m.where(positive, m.sqrt(m.where(positive, l2sum, array.ones_like(l2sum))), l2sum)
    return m.truediv(m.multiply(t, max_norm), m.maximum(l2norm, max_norm))


def embedding_lookup(params: Any, ids: Any, partition_strategy: str = "mod", name: Optional[str] = None,
                     validate_indices: bool = True, max_norm: Any = None) -> Tensor:
    """The rows of ``params`` (a tensor or a list of one) at int ``ids``: ``tf.gather(params, ids)``.

    With ``max_norm``, each looked-up embedding with a larger L2 norm is scaled down to it.
    """
    if partition_strategy not in ("mod", "div"):
        raise ValueError(f"embedding_lookup: partition_strategy must be 'mod' or 'div', got {partition_strategy!r}")
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise ValueError(f"embedding_lookup: graphc supports one params tensor (or a list of one), got a list "
                             f"of {len(params)}; concatenate the partitions with tf.concat(params, 0) first.")
        params = params[0]
    with _scope([params, ids], name, "embedding_lookup") as scope:
        ids = convert_to_tensor(ids, name="ids")
        if not ids.dtype.is_integer:
            raise TypeError(f"embedding_lookup: ids {ids.name} must be int32 or int64, got {ids.dtype.name}")
        rows = gather.gather(params, ids, name=scope)
        if max_norm is not None:
            if rows.shape.ndims is None or ids.shape.ndims is None:
                raise ValueError("embedding_lookup with max_norm needs the ranks of params and ids to be known.")
            rows = _clip_rows(rows, max_norm, ids.shape.ndims)
        return source.identity(rows, name="Identity")


__all__ = ["relu6", "leaky_relu", "softsign", "softmax", "log_softmax", "bias_add", "l2_loss",
           "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2",
           "sparse_softmax_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits",
           "dropout", "moments", "batch_normalization", "embedding_lookup", "weighted_cross_entropy_with_logits",
           "log_poisson_loss", "xw_plus_b", "l2_normalize"]
