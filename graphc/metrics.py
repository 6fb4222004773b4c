"""``tf.metrics``: streaming metrics as (value, update_op) pairs over local variables (TF1's
``metrics_impl``, built from graphc ops so every backend runs them).

Each metric keeps its running totals in zero-initialized, non-trainable variables in the
LOCAL_VARIABLES and METRIC_VARIABLES collections; ``tf.local_variables_initializer()`` resets them.
``update_op`` adds one batch and returns the metric over everything seen so far; ``value`` reads the
totals without changing them.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from graphc import dtypes
from graphc.graph import GraphKeys, Tensor, add_to_collections, control_dependencies, get_default_graph
from graphc.ops import array, gather, join_split, linalg, reduce, state
from graphc.ops import math as m
from graphc.ops.core import constant, convert_to_tensor
from graphc.ops.source import identity
from graphc.variable_scope import variable_scope
from graphc.variables import Variable

_EPSILON = 1e-7  # TF1's guard in auc's rates and the spacing of its outermost thresholds


def metric_variable(shape: Sequence[int], dtype: Any, validate_shape: bool = True,
                    name: Optional[str] = None) -> Variable:
    """A zero-initialized, non-trainable variable in LOCAL_VARIABLES and METRIC_VARIABLES."""
    return Variable(lambda: array.zeros(shape, dtype), trainable=False,
                    collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
                    validate_shape=validate_shape, name=name)


def _collect(value: Tensor, update_op: Tensor, metrics_collections: Any, updates_collections: Any) -> tuple:
    if metrics_collections:
        add_to_collections(metrics_collections, value)
    if updates_collections:
        add_to_collections(updates_collections, update_op)
    return value, update_op


def _div_no_nan(num: Tensor, den: Tensor, name: Optional[str] = None) -> Tensor:
    """``num / den``, 0 where ``den`` is 0 (TF's ``div_no_nan``)."""
    zero = m.equal(den, 0)
    return m.where(zero, array.zeros_like(num), m.truediv(num, m.where(zero, array.ones_like(den), den)), name=name)


def _broadcast_weights(weights: Tensor, values: Tensor) -> Tensor:
    """``weights`` broadcast to ``values``' shape."""
    return m.multiply(weights, array.ones_like(values))


def _float_labels_predictions(labels: Any, predictions: Any, weights: Any) -> tuple:
    predictions = m.cast(convert_to_tensor(predictions), dtypes.float32)
    labels = m.cast(convert_to_tensor(labels), dtypes.float32)
    if weights is not None:
        weights = m.cast(convert_to_tensor(weights), dtypes.float32)
    return labels, predictions, weights


def mean(values: Any, weights: Any = None, metrics_collections: Any = None, updates_collections: Any = None,
         name: Optional[str] = None) -> tuple:
    """The (weighted) mean of every value seen: ``total / count`` over variables ``total`` and ``count``."""
    with variable_scope(name, "mean", (values, weights)):
        values = m.cast(convert_to_tensor(values), dtypes.float32)
        total = metric_variable([], dtypes.float32, name="total")
        count = metric_variable([], dtypes.float32, name="count")
        if weights is None:
            num_values = m.cast(array.size(values), dtypes.float32)
        else:
            w = _broadcast_weights(m.cast(convert_to_tensor(weights), dtypes.float32), values)
            values = m.multiply(values, w)
            num_values = reduce.reduce_sum(w)
        update_total = state.assign_add(total, reduce.reduce_sum(values))
        with control_dependencies([values]):
            update_count = state.assign_add(count, num_values)
        value = _div_no_nan(total._graph_tensor(), count._graph_tensor(), name="value")
        update_op = _div_no_nan(update_total, update_count, name="update_op")
        return _collect(value, update_op, metrics_collections, updates_collections)


def accuracy(labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
             updates_collections: Any = None, name: Optional[str] = None) -> tuple:
    """How often ``predictions`` equals ``labels`` (weighted)."""
    predictions = convert_to_tensor(predictions)
    labels = convert_to_tensor(labels)
    if labels.dtype is not predictions.dtype:
        predictions = m.cast(predictions, labels.dtype)
    is_correct = m.cast(m.equal(predictions, labels), dtypes.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections, name=name or "accuracy")


def mean_squared_error(labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
                       updates_collections: Any = None, name: Optional[str] = None) -> tuple:
    """The (weighted) mean of ``(predictions - labels) ** 2``."""
    labels, predictions, _ = _float_labels_predictions(labels, predictions, None)
    return mean(m.squared_difference(labels, predictions), weights, metrics_collections, updates_collections,
                name or "mean_squared_error")


def mean_absolute_error(labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
                        updates_collections: Any = None, name: Optional[str] = None) -> tuple:
    """The (weighted) mean of ``|predictions - labels|``."""
    labels, predictions, _ = _float_labels_predictions(labels, predictions, None)
    return mean(m.abs(m.subtract(predictions, labels)), weights, metrics_collections, updates_collections,
                name or "mean_absolute_error")


def root_mean_squared_error(labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
                            updates_collections: Any = None, name: Optional[str] = None) -> tuple:
    """The square root of ``mean_squared_error``'s value (its variables, its update)."""
    mse, update_mse = mean_squared_error(labels, predictions, weights, name=name or "root_mean_squared_error")
    return _collect(m.sqrt(mse), m.sqrt(update_mse), metrics_collections, updates_collections)


def _count_condition(values: Tensor, weights: Any, metrics_collections: Any, updates_collections: Any) -> tuple:
    """The (weighted) count of true ``values``: a scalar float32 variable ``count``."""
    count = metric_variable([], dtypes.float32, name="count")
    values = m.cast(values, dtypes.float32)
    if weights is not None:
        values = m.multiply(values, m.cast(convert_to_tensor(weights), dtypes.float32))
    value = identity(count._graph_tensor())
    update_op = state.assign_add(count, reduce.reduce_sum(values))
    return _collect(value, update_op, metrics_collections, updates_collections)


def _bool_labels_predictions(labels: Any, predictions: Any) -> tuple:
    return (m.cast(convert_to_tensor(labels), dtypes.bool_), m.cast(convert_to_tensor(predictions), dtypes.bool_))


def _confusion_count(default_name: str, label_true: bool, pred_true: bool) -> Any:
    def metric(labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
               updates_collections: Any = None, name: Optional[str] = None) -> tuple:
        with variable_scope(name, default_name, (predictions, labels, weights)):
            lab, pred = _bool_labels_predictions(labels, predictions)
            lab = lab if label_true else m.logical_not(lab)
            pred = pred if pred_true else m.logical_not(pred)
            return _count_condition(m.logical_and(lab, pred), weights, metrics_collections, updates_collections)

    metric.__name__ = default_name
    metric.__doc__ = (f"The (weighted) count of {'positive' if label_true else 'negative'} labels predicted "
                      f"{'positive' if pred_true else 'negative'} (labels and predictions cast to bool).")
    return metric


true_positives = _confusion_count("true_positives", True, True)
false_positives = _confusion_count("false_positives", False, True)
true_negatives = _confusion_count("true_negatives", False, False)
false_negatives = _confusion_count("false_negatives", True, False)


def _ratio(tp: Tensor, other: Tensor, name: str) -> Tensor:
    """``tp / (tp + other)``, 0 where the denominator is 0 (TF1's precision and recall)."""
    den = m.add(tp, other)
    return m.where(m.greater(den, 0.0), m.truediv(tp, m.where(m.greater(den, 0.0), den, array.ones_like(den))),
                   array.zeros_like(den), name=name)


def _ratio_metric(default_name: str, other: Any) -> Any:
    def metric(labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
               updates_collections: Any = None, name: Optional[str] = None) -> tuple:
        with variable_scope(name, default_name, (predictions, labels, weights)):
            lab, pred = _bool_labels_predictions(labels, predictions)
            tp, tp_update = true_positives(lab, pred, weights)
            o, o_update = other(lab, pred, weights)
            value = _ratio(tp, o, "value")
            update_op = _ratio(tp_update, o_update, "update_op")
            return _collect(value, update_op, metrics_collections, updates_collections)

    metric.__name__ = default_name
    return metric


precision = _ratio_metric("precision", false_positives)
precision.__doc__ = "``true_positives / (true_positives + false_positives)`` over everything seen (0 when none)."
recall = _ratio_metric("recall", false_negatives)
recall.__doc__ = "``true_positives / (true_positives + false_negatives)`` over everything seen (0 when none)."


def _thresholds(num_thresholds: int) -> np.ndarray:
    """TF1's auc thresholds: ``-eps``, ``i / (n - 1)`` for ``i = 1 .. n-2``, ``1 + eps``."""
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return np.array([0.0 - _EPSILON] + inner + [1.0 + _EPSILON], dtype=np.float32)


def _auc_from_counts(tp: Tensor, fn: Tensor, tn: Tensor, fp: Tensor, n: int, curve: str, summation_method: str,
                     name: str) -> Tensor:
    if curve == "PR" and summation_method == "careful_interpolation":
        return _interpolate_pr_auc(tp, fp, fn, n, name)
    rec = m.truediv(m.add(tp, _EPSILON), m.add(m.add(tp, fn), _EPSILON))
    if curve == "ROC":
        x = m.truediv(fp, m.add(m.add(fp, tn), _EPSILON))
        y = rec
    else:
        x = rec
        y = m.truediv(m.add(tp, _EPSILON), m.add(m.add(tp, fp), _EPSILON))
    y_left, y_right = y[: n - 1], y[1:]
    if summation_method in ("trapezoidal", "careful_interpolation"):
        heights = m.multiply(m.add(y_left, y_right), 0.5)
    elif summation_method == "minoring":
        heights = m.minimum(y_left, y_right)
    else:
        heights = m.maximum(y_left, y_right)
    return reduce.reduce_sum(m.multiply(m.subtract(x[: n - 1], x[1:]), heights), name=name)


def _interpolate_pr_auc(tp: Tensor, fp: Tensor, fn: Tensor, n: int, name: str) -> Tensor:
    """PR AUC by interpolating precision linearly in the number of positives (Davis & Goadrich 2006)."""
    dtp = m.subtract(tp[: n - 1], tp[1:])
    p = m.add(tp, fp)
    p_left, p_right = p[: n - 1], p[1:]
    prec_slope = _div_no_nan(dtp, m.maximum(m.subtract(p_left, p_right), 0.0))
    intercept = m.subtract(tp[1:], m.multiply(prec_slope, p_right))
    both = m.logical_and(m.greater(p_left, 0.0), m.greater(p_right, 0.0))
    safe_p_ratio = m.where(both, _div_no_nan(p_left, m.maximum(p_right, 0.0)), array.ones_like(p_right))
    term = m.multiply(prec_slope, m.add(dtp, m.multiply(intercept, m.log(safe_p_ratio))))
    return reduce.reduce_sum(_div_no_nan(term, m.maximum(m.add(tp[1:], fn[1:]), 0.0)), name=name)


def auc(labels: Any, predictions: Any, weights: Any = None, num_thresholds: int = 200,
        metrics_collections: Any = None, updates_collections: Any = None, curve: str = "ROC",
        name: Optional[str] = None, summation_method: str = "trapezoidal", thresholds: Any = None) -> tuple:
    """The area under the ROC or PR curve, approximated as TF1 does: confusion counts at
    ``num_thresholds`` thresholds (``predictions > threshold``), summed by ``summation_method``
    ('trapezoidal', 'minoring', 'majoring', or 'careful_interpolation' for PR)."""
    if curve not in ("ROC", "PR"):
        raise ValueError(f"curve must be either ROC or PR, {curve} unknown")
    if summation_method not in ("trapezoidal", "careful_interpolation", "minoring", "majoring"):
        raise ValueError(f"Invalid summation_method: {summation_method}")
    with variable_scope(name, "auc", (labels, predictions, weights)):
        if thresholds is not None:
            th = np.array([0.0 - _EPSILON] + [float(t) for t in sorted(thresholds)] + [1.0 + _EPSILON], dtype=np.float32)
        else:
            th = _thresholds(num_thresholds)
        n = len(th)
        labels, predictions, weights = _float_labels_predictions(labels, predictions, weights)
        flat_pred = array.reshape(predictions, [-1, 1])
        flat_lab = m.cast(array.reshape(labels, [-1, 1]), dtypes.bool_)
        pred_is_pos = m.greater(flat_pred, constant(th.reshape(1, n)))  # [examples, thresholds]
        pred_is_neg = m.logical_not(pred_is_pos)
        lab_is_pos = m.logical_and(flat_lab, array.ones_like(pred_is_pos))
        lab_is_neg = m.logical_not(lab_is_pos)
        w = None if weights is None else array.reshape(_broadcast_weights(weights, predictions), [-1, 1])
        counts, updates = {}, {}
        for key, lab, pred in (("tp", lab_is_pos, pred_is_pos), ("fn", lab_is_pos, pred_is_neg),
                               ("tn", lab_is_neg, pred_is_neg), ("fp", lab_is_neg, pred_is_pos)):
            var = metric_variable([n], dtypes.float32, name={"tp": "true_positives", "fn": "false_negatives",
                                                             "tn": "true_negatives", "fp": "false_positives"}[key])
            hits = m.cast(m.logical_and(lab, pred), dtypes.float32)
            if w is not None:
                hits = m.multiply(hits, w)
            counts[key] = var._graph_tensor()
            updates[key] = state.assign_add(var, reduce.reduce_sum(hits, axis=0))
        names = ("value", "update_op") if summation_method != "careful_interpolation" else (
            "interpolate_pr_auc", "interpolate_pr_auc_1")
        value = _auc_from_counts(counts["tp"], counts["fn"], counts["tn"], counts["fp"], n, curve,
                                 summation_method, names[0])
        update_op = _auc_from_counts(updates["tp"], updates["fn"], updates["tn"], updates["fp"], n, curve,
                                     summation_method, names[1])
        return _collect(value, update_op, metrics_collections, updates_collections)


def _mean_iou_of(cm: Tensor, num_classes: int, name: str) -> Tensor:
    """The mean over classes present (in labels or predictions) of ``cm_ii / (row_i + col_i - cm_ii)``."""
    cm = m.cast(cm, dtypes.float32)
    sum_over_row = reduce.reduce_sum(cm, axis=0)
    sum_over_col = reduce.reduce_sum(cm, axis=1)
    diag = reduce.reduce_sum(m.multiply(cm, constant(np.eye(num_classes, dtype=np.float32))), axis=0)
    den = m.subtract(m.add(sum_over_row, sum_over_col), diag)
    num_valid = reduce.reduce_sum(m.cast(m.not_equal(den, 0.0), dtypes.float32))
    den = m.where(m.greater(den, 0.0), den, array.ones_like(den))
    iou = m.truediv(diag, den)
    safe_valid = m.where(m.greater(num_valid, 0.0), num_valid, array.ones_like(num_valid))
    return m.where(m.greater(num_valid, 0.0), m.truediv(reduce.reduce_sum(iou), safe_valid),
                   array.zeros_like(num_valid), name=name)


def mean_iou(labels: Any, predictions: Any, num_classes: int, weights: Any = None, metrics_collections: Any = None,
             updates_collections: Any = None, name: Optional[str] = None) -> tuple:
    """Mean intersection-over-union of ``num_classes`` classes from a float64 confusion matrix
    (rows: labels, columns: predictions); ``update_op`` returns the updated matrix, as in TF1."""
    with variable_scope(name, "mean_iou", (predictions, labels, weights)):
        total_cm = metric_variable([num_classes, num_classes], dtypes.float64, name="total_confusion_matrix")
        lab = m.cast(array.reshape(convert_to_tensor(labels), [-1]), dtypes.int64)
        pred = m.cast(array.reshape(convert_to_tensor(predictions), [-1]), dtypes.int64)
        lab_hot = gather.one_hot(lab, num_classes, dtype=dtypes.float64)
        pred_hot = gather.one_hot(pred, num_classes, dtype=dtypes.float64)
        if weights is not None:
            w = m.cast(array.reshape(convert_to_tensor(weights), [-1, 1]), dtypes.float64)
            lab_hot = m.multiply(lab_hot, w)
        current_cm = linalg.matmul(lab_hot, pred_hot, transpose_a=True)
        update_op = state.assign_add(total_cm, current_cm)
        value = _mean_iou_of(total_cm._graph_tensor(), num_classes, "mean_iou")
        return _collect(value, update_op, metrics_collections, updates_collections)


def _at_k_name(name: str, k: int, class_id: Optional[int]) -> str:
    name = f"{name}_at_{k}"
    return name if class_id is None else f"{name}_class{class_id}"


def _top_k_counts(labels: Any, predictions: Any, k: int, class_id: Optional[int]) -> tuple:
    """Per row of ``predictions`` ([..., num_classes]): (|top-k ∩ labels|, |labels - top-k|, |top-k - labels|)
    as float64, where labels is the row's set of label ids (``labels`` [..., num_labels] or [...]) and
    top-k holds the ``k`` classes ``tf.nn.top_k`` picks (ties to the lower index), both restricted to
    ``class_id`` if given."""
    predictions = convert_to_tensor(predictions)
    labels = m.cast(convert_to_tensor(labels), dtypes.int64)
    if labels.shape.ndims is not None and predictions.shape.ndims is not None and \
            labels.shape.ndims == predictions.shape.ndims - 1:
        labels = array.expand_dims(labels, -1)
    depth = array.shape(predictions)[-1]
    num_classes = m.cast(depth, dtypes.int64)
    lab_dims = array.shape(labels)
    preds = array.reshape(predictions, join_split.stack([-1, depth]))
    labs = array.reshape(labels, join_split.stack([-1, lab_dims[-1]]))
    classes = m.cast(array.range(depth), dtypes.int64)  # [C]
    in_range = m.logical_and(m.greater_equal(labs, 0), m.less(labs, num_classes))  # [N, L]
    # a class's rank: how many classes top_k puts before it (larger, or equal with a lower index)
    label_score = reduce.reduce_sum(m.multiply(gather.one_hot(labs, depth, dtype=preds.dtype),
                                               array.expand_dims(preds, 1)), axis=-1)  # [N, L]
    score_l = array.expand_dims(label_score, -1)
    all_scores = array.expand_dims(preds, 1)  # [N, 1, C]
    before = m.logical_or(m.greater(all_scores, score_l),
                          m.logical_and(m.equal(all_scores, score_l),
                                        m.less(classes, array.expand_dims(labs, -1))))
    label_in_top = m.logical_and(in_range, m.less(reduce.reduce_sum(m.cast(before, dtypes.int64), axis=-1), k))
    # each distinct label once: drop a label equal to an earlier one in its row
    num_labels = lab_dims[-1]
    positions = array.range(num_labels)
    earlier = m.less(array.expand_dims(positions, 0), array.expand_dims(positions, 1))  # [L, L]: j < i
    same = m.equal(array.expand_dims(labs, 1), array.expand_dims(labs, 2))  # [N, L, L]
    first = m.logical_not(reduce.reduce_any(m.logical_and(same, earlier), axis=-1))  # [N, L]
    if class_id is not None:
        first = m.logical_and(first, m.equal(labs, class_id))
    f64 = dtypes.float64
    tp = reduce.reduce_sum(m.cast(m.logical_and(first, label_in_top), f64), axis=-1)
    fn = m.subtract(reduce.reduce_sum(m.cast(first, f64), axis=-1), tp)
    if class_id is None:
        picked = m.cast(m.minimum(m.cast(k, dtypes.int64), num_classes), f64)
    else:  # is class_id among the row's top k?
        cid = m.equal(classes, class_id)
        cid_score = reduce.reduce_sum(m.multiply(preds, m.cast(cid, preds.dtype)), axis=-1, keepdims=True)
        cid_before = m.logical_or(m.greater(preds, cid_score),
                                  m.logical_and(m.equal(preds, cid_score), m.less(classes, class_id)))
        has_cid = reduce.reduce_any(cid, keepdims=True)
        picked = m.cast(m.logical_and(has_cid, m.less(reduce.reduce_sum(m.cast(cid_before, dtypes.int64),
                                                                          axis=-1), k)), f64)
    fp = m.subtract(picked, tp)
    return tp, fn, fp


def _at_k_metric(kind: str, labels: Any, predictions: Any, k: int, class_id: Optional[int], weights: Any,
                 metrics_collections: Any, updates_collections: Any, name: Optional[str]) -> tuple:
    other_name = "false_negative" if kind == "recall" else "false_positive"
    with get_default_graph().name_scope(name or _at_k_name(kind, k, class_id)) as scope:
        tp, fn, fp = _top_k_counts(labels, predictions, k, class_id)
        other = fn if kind == "recall" else fp
        if weights is not None:
            w = array.reshape(m.cast(convert_to_tensor(weights), dtypes.float64), [-1])
            tp, other = m.multiply(tp, w), m.multiply(other, w)
        tp_var = metric_variable([], dtypes.float64, name=_at_k_name("true_positive", k, class_id))
        other_var = metric_variable([], dtypes.float64, name=_at_k_name(other_name, k, class_id))
        tp_update = state.assign_add(tp_var, reduce.reduce_sum(tp))
        other_update = state.assign_add(other_var, reduce.reduce_sum(other))
        # a plain division, as TF1: NaN while nothing has been counted
        value = m.truediv(tp_var._graph_tensor(), m.add(tp_var._graph_tensor(), other_var._graph_tensor()),
                          name=scope)
        update_op = m.truediv(tp_update, m.add(tp_update, other_update), name="update")
        return _collect(value, update_op, metrics_collections, updates_collections)


def recall_at_k(labels: Any, predictions: Any, k: int, class_id: Optional[int] = None, weights: Any = None,
                metrics_collections: Any = None, updates_collections: Any = None, name: Optional[str] = None) -> tuple:
    """How many of the labels (int ids, ``[..., num_labels]`` or ``[...]``) are among the ``k`` highest
    ``predictions`` (``[..., num_classes]``), as float64; out-of-range labels count as missed."""
    return _at_k_metric("recall", labels, predictions, k, class_id, weights, metrics_collections,
                        updates_collections, name)


def precision_at_k(labels: Any, predictions: Any, k: int, class_id: Optional[int] = None, weights: Any = None,
                   metrics_collections: Any = None, updates_collections: Any = None,
                   name: Optional[str] = None) -> tuple:
    """How many of the ``k`` highest ``predictions`` (``[..., num_classes]``) are labels (int ids,
    ``[..., num_labels]`` or ``[...]``), as float64."""
    return _at_k_metric("precision", labels, predictions, k, class_id, weights, metrics_collections,
                        updates_collections, name)


__all__ = ["accuracy", "auc", "false_negatives", "false_positives", "mean", "mean_absolute_error", "mean_iou",
           "mean_squared_error", "metric_variable", "precision", "precision_at_k", "recall", "recall_at_k", "root_mean_squared_error", "true_negatives", "true_positives"]
