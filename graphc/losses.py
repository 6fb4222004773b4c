"""``tf.losses``: weighted losses that reduce to a scalar and add themselves to ``GraphKeys.LOSSES``.

TF1's semantics are kept, including its precision choice: the weighting and the reduction run in
float32 (the per-element losses and the weights are cast to float32), and regression losses
(mean_squared_error, absolute_difference) return float32 whatever their inputs' dtype.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional

from graphc import dtypes
from graphc.graph import GraphKeys, Tensor, get_collection, get_default_graph
from graphc.ops import array, source
from graphc.ops import math as m
from graphc.ops import nn
from graphc.ops import reduce as red
from graphc.ops.core import _graph_of, constant, convert_to_tensor


class Reduction:
    """How a weighted loss tensor is reduced (TF1's ``tf.losses.Reduction``)."""

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple:
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_OVER_NONZERO_WEIGHTS,
                cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key: str) -> None:
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key!r}: use one of tf.losses.Reduction's constants "
                             f"{sorted(set(cls.all()))}.")


@contextlib.contextmanager
def _scope(values: list, scope: Optional[str], default: str) -> Iterator[str]:
    graph = _graph_of(values)
    with graph.as_default(), graph.name_scope(scope or default) as name:
        yield name


# ------------------------------------------------------------------------------------------------
# the loss collection

def add_loss(loss: Tensor, loss_collection: Optional[str] = GraphKeys.LOSSES) -> None:
    """Adds ``loss`` to the collection ``loss_collection`` (nothing when it is None or empty)."""
    if loss_collection:
        _graph_of([loss]).add_to_collection(loss_collection, loss)


def get_losses(scope: Optional[str] = None, loss_collection: str = GraphKeys.LOSSES) -> list:
    """The losses in ``loss_collection`` whose names match the regex ``scope``."""
    return get_collection(loss_collection, scope)


def get_regularization_losses(scope: Optional[str] = None) -> list:
    """The tensors in ``GraphKeys.REGULARIZATION_LOSSES`` whose names match ``scope``."""
    return get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope: Optional[str] = None, name: str = "total_regularization_loss") -> Tensor:
    """The sum of the regularization losses, or a float32 0.0 when there are none."""
    losses = get_regularization_losses(scope)
    if losses:
        return m.add_n(losses, name=name)
    return constant(0.0)


def get_total_loss(add_regularization_losses: bool = True, name: str = "total_loss",
                   scope: Optional[str] = None) -> Tensor:
    """The sum of the collected losses (and, by default, the regularization losses)."""
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    if not losses:
        raise ValueError("get_total_loss: there are no losses in tf.GraphKeys.LOSSES (nor regularization "
                         "losses); build a loss with tf.losses.* or call tf.losses.add_loss first.")
    if len(losses) == 1:
        return source.identity(losses[0], name=name)
    return m.add_n(losses, name=name)


# ------------------------------------------------------------------------------------------------
# weighting and reduction

def _assert_broadcastable(weights: Tensor, values: Tensor) -> None:
    """TF1's rule: weights are a scalar, or have the rank of values with each dim 1 or equal."""
    w_dims, v_dims = weights.shape.as_tuple(), values.shape.as_tuple()
    if w_dims is None or v_dims is None or len(w_dims) == 0:
        return
    if len(w_dims) != len(v_dims):
        raise ValueError(f"weights can not be broadcast to values. values.rank={len(v_dims)}. "
                         f"weights.rank={len(w_dims)}. values.shape={values.shape}. weights.shape={weights.shape}. "
                         "Give weights the rank of the losses (size-1 dims broadcast) or pass a scalar.")
    for i, (w, v) in enumerate(zip(w_dims, v_dims)):
        if w is not None and v is not None and w not in (1, v):
            raise ValueError(f"weights can not be broadcast to values. Mismatch at dim {i}. "
                             f"values.shape={values.shape}, weights.shape={weights.shape}.")


def _safe_mean(total: Tensor, count: Tensor) -> Tensor:
    """total / count, or 0 where count is 0 (TF1's div_no_nan), named ``value``."""
    is_zero = m.equal(count, 0.0)
    safe_count = m.where(is_zero, 1.0, count)
    return m.where(is_zero, 0.0, m.truediv(total, safe_count), name="value")


def _num_present(losses: Tensor, weights: Tensor) -> Tensor:
    """How many loss elements have a non-zero (broadcast) weight."""
    with get_default_graph().name_scope("num_present"):
        present = m.cast(m.not_equal(weights, 0.0), dtypes.float32)
        return red.reduce_sum(m.multiply(present, array.ones_like(losses)))


_REDUCERS = {
    Reduction.SUM: lambda total, losses, weights: total,
    Reduction.MEAN: lambda total, losses, weights: _safe_mean(
        total, red.reduce_sum(m.multiply(array.ones_like(losses), weights))),
    Reduction.SUM_OVER_BATCH_SIZE: lambda total, losses, weights: _safe_mean(
        total, m.cast(array.size(losses), dtypes.float32)),
    Reduction.SUM_BY_NONZERO_WEIGHTS: lambda total, losses, weights: _safe_mean(
        total, _num_present(losses, weights)),
}


def compute_weighted_loss(losses: Any, weights: Any = 1.0, scope: Optional[str] = None,
                          loss_collection: Optional[str] = GraphKeys.LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """losses * weights, reduced by ``reduction``, in losses' dtype; added to ``loss_collection``.

    ``weights`` is a scalar or has the rank of ``losses`` with each dim 1 or equal.
    """
    Reduction.validate(reduction)
    with _scope([losses, weights], scope, "weighted_loss"):
        losses = convert_to_tensor(losses)
        input_dtype = losses.dtype
        if not (input_dtype.is_floating or input_dtype.is_integer):
            raise TypeError(f"compute_weighted_loss: losses {losses.name} has dtype {input_dtype.name}; "
                            "it must be numeric.")
        losses = m.cast(losses, dtypes.float32)
        weights = m.cast(convert_to_tensor(weights, preferred_dtype=dtypes.float32), dtypes.float32)
        _assert_broadcastable(weights, losses)
        weighted = m.multiply(losses, weights)
        if reduction == Reduction.NONE:
            loss = weighted
        else:
            loss = _REDUCERS[reduction](red.reduce_sum(weighted), losses, weights)
        loss = m.cast(loss, input_dtype)
        add_loss(loss, loss_collection)
        return loss


# ------------------------------------------------------------------------------------------------
# losses

def _check_given(labels: Any, predictions: Any, what: str = "predictions") -> None:
    if labels is None:
        raise ValueError("labels must not be None.")
    if predictions is None:
        raise ValueError(f"{what} must not be None.")


def _check_shapes(fn: str, labels: Tensor, predictions: Tensor, what: str = "predictions") -> None:
    if not predictions.shape.is_compatible_with(labels.shape):
        raise ValueError(f"{fn}: shapes {predictions.shape} and {labels.shape} are incompatible: {what} "
                         f"{predictions.name} and labels {labels.name} must have one shape.")


def _regression_loss(fn: str, default_scope: str, elementwise: Any, labels: Any, predictions: Any,
                     weights: Any, scope: Optional[str], loss_collection: Optional[str], reduction: str) -> Tensor:
    _check_given(labels, predictions)
    with _scope([labels, predictions, weights], scope, default_scope) as scope:
        predictions = m.to_float(convert_to_tensor(predictions))
        labels = m.to_float(convert_to_tensor(labels))
        _check_shapes(fn, labels, predictions)
        return compute_weighted_loss(elementwise(labels, predictions), weights, scope, loss_collection, reduction)


def mean_squared_error(labels: Any, predictions: Any, weights: Any = 1.0, scope: Optional[str] = None,
                       loss_collection: Optional[str] = GraphKeys.LOSSES,
                       reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted (predictions - labels)**2, reduced (default: mean over non-zero weights); float32."""
    return _regression_loss("mean_squared_error", "mean_squared_error",
                            lambda y, p: m.square(m.subtract(p, y)), labels, predictions, weights,
                            scope, loss_collection, reduction)


def absolute_difference(labels: Any, predictions: Any, weights: Any = 1.0, scope: Optional[str] = None,
                        loss_collection: Optional[str] = GraphKeys.LOSSES,
                        reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted |predictions - labels|, reduced (default: mean over non-zero weights); float32."""
    return _regression_loss("absolute_difference", "absolute_difference",
                            lambda y, p: m.abs(m.subtract(p, y)), labels, predictions, weights,
                            scope, loss_collection, reduction)


def huber_loss(labels: Any, predictions: Any, weights: Any = 1.0, delta: float = 1.0, scope: Optional[str] = None,
               loss_collection: Optional[str] = GraphKeys.LOSSES,
               reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted Huber loss: 0.5 * e**2 where |e| <= delta, else delta * (|e| - 0.5 * delta); float32."""
    def elementwise(y: Tensor, p: Tensor) -> Tensor:
        abs_error = m.abs(m.subtract(p, y))
        quadratic = m.minimum(abs_error, delta)
        linear = m.subtract(abs_error, quadratic)
        return m.add(m.multiply(0.5, m.square(quadratic)), m.multiply(delta, linear))
    return _regression_loss("huber_loss", "huber_loss", elementwise, labels, predictions, weights, scope,
                            loss_collection, reduction)


def log_loss(labels: Any, predictions: Any, weights: Any = 1.0, epsilon: float = 1e-7, scope: Optional[str] = None,
             loss_collection: Optional[str] = GraphKeys.LOSSES,
             reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted -y * log(p + eps) - (1 - y) * log(1 - p + eps) of probabilities ``predictions``; float32."""
    def elementwise(y: Tensor, p: Tensor) -> Tensor:
        return m.subtract(m.negative(m.multiply(y, m.log(m.add(p, epsilon)))),
                          m.multiply(m.subtract(1.0, y), m.log(m.add(m.subtract(1.0, p), epsilon))))
    return _regression_loss("log_loss", "log_loss", elementwise, labels, predictions, weights, scope,
                            loss_collection, reduction)


def hinge_loss(labels: Any, logits: Any, weights: Any = 1.0, scope: Optional[str] = None,
               loss_collection: Optional[str] = GraphKeys.LOSSES,
               reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted max(0, 1 - (2 * labels - 1) * logits) for 0/1 ``labels``; float32."""
    def elementwise(y: Tensor, p: Tensor) -> Tensor:
        signs = m.subtract(m.multiply(2.0, y), 1.0)
        return m.relu(m.subtract(1.0, m.multiply(signs, p)))
    return _regression_loss("hinge_loss", "hinge_loss", elementwise, labels, logits, weights, scope,
                            loss_collection, reduction)


def cosine_distance(labels: Any, predictions: Any, axis: Optional[int] = None, weights: Any = 1.0,
                    scope: Optional[str] = None, loss_collection: Optional[str] = GraphKeys.LOSSES,
                    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS, dim: Optional[int] = None) -> Tensor:
    """Weighted 1 - sum(labels * predictions, axis) of unit-normalized inputs (``dim`` is axis's old name)."""
    if dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'")
        axis = dim
    if axis is None:
        raise ValueError("You must specify argument 'axis' (the dimension the inputs are normalized along).")
    return _regression_loss(
        "cosine_distance", "cosine_distance_loss",
        lambda y, p: m.subtract(1.0, red.reduce_sum(m.multiply(p, y), axis=(axis,), keepdims=True)),
        labels, predictions, weights, scope, loss_collection, reduction)


def _present_per_batch(diffs: Tensor, weights: Any) -> Tensor:
    """How many elements of each batch row have a non-zero (broadcast) weight, kept as [batch, 1, ...]."""
    with get_default_graph().name_scope("num_present"):
        w = m.cast(convert_to_tensor(weights), dtypes.float32)
        present = m.multiply(m.cast(m.not_equal(w, 0.0), dtypes.float32), array.ones_like(diffs))
        return red.reduce_sum(present, axis=list(range(1, diffs.shape.ndims)), keepdims=True)


def _div_no_nan(x: Tensor, y: Tensor) -> Tensor:
    is_zero = m.equal(y, 0.0)
    return m.where(is_zero, array.zeros_like(m.add(x, y)), m.truediv(x, m.where(is_zero, array.ones_like(y), y)))


def mean_pairwise_squared_error(labels: Any, predictions: Any, weights: Any = 1.0, scope: Optional[str] = None,
                                loss_collection: Optional[str] = GraphKeys.LOSSES) -> Tensor:
    """Weighted sum over the batch of the mean squared difference of every pair of elements' errors.

    For each batch row with n present elements and errors d: 2 * sum(d**2) / (n - 1) - 2 * sum(d)**2 /
    (n * (n - 1)) (0 where the denominator is 0), times weights, summed; float32.
    """
    _check_given(labels, predictions)
    with _scope([labels, predictions, weights], scope, "mean_pairwise_squared_error"):
        predictions = m.to_float(convert_to_tensor(predictions))
        labels = m.to_float(convert_to_tensor(labels))
        _check_shapes("mean_pairwise_squared_error", labels, predictions)
        if labels.shape.ndims is None or labels.shape.ndims < 1:
            raise ValueError(f"mean_pairwise_squared_error: labels {labels.name} must have a known rank >= 1 "
                             f"(a batch dimension), got shape {labels.shape}")
        diffs = m.subtract(predictions, labels)
        axis = list(range(1, diffs.shape.ndims))
        n = _present_per_batch(diffs, weights)
        term1 = m.multiply(2.0, _div_no_nan(red.reduce_sum(m.square(diffs), axis=axis, keepdims=True),
                                            m.maximum(m.subtract(n, 1.0), 0.0)))
        sum_diff = red.reduce_sum(diffs, axis=axis, keepdims=True)
        term2 = m.multiply(2.0, _div_no_nan(m.square(sum_diff), m.maximum(m.multiply(n, m.subtract(n, 1.0)), 0.0)))
        w = m.cast(convert_to_tensor(weights, preferred_dtype=dtypes.float32), dtypes.float32)
        loss = red.reduce_sum(m.multiply(m.subtract(term1, term2), w))
        mean_loss = m.where(m.greater(red.reduce_sum(n), 0.0), loss, array.zeros_like(loss), name="value")
        add_loss(mean_loss, loss_collection)
        return mean_loss


def softmax_cross_entropy(onehot_labels: Any, logits: Any, weights: Any = 1.0, label_smoothing: float = 0,
                          scope: Optional[str] = None, loss_collection: Optional[str] = GraphKeys.LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted softmax cross-entropy of [batch, classes] logits; no gradient into the labels.

    With ``label_smoothing`` s, labels become labels * (1 - s) + s / num_classes.
    """
    _check_given(onehot_labels, logits, "logits")
    with _scope([onehot_labels, logits, weights], scope, "softmax_cross_entropy_loss") as scope:
        logits = convert_to_tensor(logits)
        labels = m.cast(convert_to_tensor(onehot_labels), logits.dtype)
        _check_shapes("softmax_cross_entropy", labels, logits, "logits")
        if label_smoothing > 0:
            num_classes = m.cast(array.shape(labels)[-1], logits.dtype)
            labels = labels * (1.0 - label_smoothing) + label_smoothing / num_classes
        labels = source.stop_gradient(labels, name="labels_stop_gradient")
        losses = nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def sparse_softmax_cross_entropy(labels: Any, logits: Any, weights: Any = 1.0, scope: Optional[str] = None,
                                 loss_collection: Optional[str] = GraphKeys.LOSSES,
                                 reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted softmax cross-entropy with int class ``labels``; a trailing size-1 label dim is dropped."""
    _check_given(labels, logits, "logits")
    with _scope([labels, logits, weights], scope, "sparse_softmax_cross_entropy_loss") as scope:
        labels, logits = convert_to_tensor(labels), convert_to_tensor(logits)
        lr, gr = labels.shape.ndims, logits.shape.ndims
        if lr is not None and gr is not None and lr == gr and labels.shape.as_tuple()[-1] in (1, None):
            labels = array.squeeze(labels, [-1])
        losses = nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def sigmoid_cross_entropy(multi_class_labels: Any, logits: Any, weights: Any = 1.0, label_smoothing: float = 0,
                          scope: Optional[str] = None, loss_collection: Optional[str] = GraphKeys.LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted elementwise sigmoid cross-entropy; labels smoothed toward 1/2 by ``label_smoothing``."""
    _check_given(multi_class_labels, logits, "logits")
    with _scope([multi_class_labels, logits, weights], scope, "sigmoid_cross_entropy_loss") as scope:
        logits = convert_to_tensor(logits)
        labels = m.cast(convert_to_tensor(multi_class_labels), logits.dtype)
        _check_shapes("sigmoid_cross_entropy", labels, logits, "logits")
        if label_smoothing > 0:
            labels = labels * (1.0 - label_smoothing) + 0.5 * label_smoothing
        losses = nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


__all__ = ["Reduction", "add_loss", "get_losses", "get_regularization_losses", "get_regularization_loss",
           "get_total_loss", "compute_weighted_loss", "mean_squared_error", "absolute_difference", "huber_loss",
           "log_loss", "hinge_loss", "cosine_distance", "mean_pairwise_squared_error",
           "softmax_cross_entropy", "sparse_softmax_cross_entropy", "sigmoid_cross_entropy"]
