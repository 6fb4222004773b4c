"""Ops over batches of variable-length sequences: ``tf.sequence_mask``, ``tf.reverse_sequence``,
``tf.nn.in_top_k``.

``sequence_mask`` is TF1's composition (``range(maxlen) < lengths[..., None]``), so every backend
compiles it like any elementwise comparison. ``ReverseSequence`` (TF's op type and attrs) reverses
the first ``seq_lengths[b]`` entries of each batch row; its gradient is the same reversal of the
incoming gradient. ``InTopKV2`` (TF's op type) tells whether each target's score is among the
``k`` largest of its row, with TF1's ties: the target counts as in the top ``k`` when fewer than
``k`` scores are strictly larger; a non-finite score in the row or an out-of-range target gives
False. Both run as numpy host steps on the compiled backends (their index maps depend on data).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import array, reduce
from graphc.ops.op_args import graph_scope
from graphc.ops import math as m
from graphc.ops.core import OpDef, apply, constant_value, convert_to_tensor, normalize_axis, register
from graphc.shape import TensorShape

# ------------------------------------------------------------------------------------------------
# sequence_mask


def sequence_mask(lengths: Any, maxlen: Any = None, dtype: Any = dtypes.bool_, name: Optional[str] = None) -> Tensor:
    """``mask[i..., j] = j < lengths[i...]`` for ``j`` in ``[0, maxlen)`` (default: ``max(lengths)``)."""
    with graph_scope([lengths, maxlen], name or "SequenceMask"):
        lengths = convert_to_tensor(lengths)
        if not lengths.dtype.is_integer:
            raise TypeError(f"sequence_mask's lengths must be an int32 or int64 tensor, got {lengths.name} "
                            f"of dtype {lengths.dtype.name}")
        if maxlen is None:
            maxlen = m.maximum(reduce.reduce_max(lengths), np.zeros((), lengths.dtype.np_type))
        else:
            maxlen = convert_to_tensor(maxlen)
        if maxlen.shape.ndims not in (None, 0):
            raise ValueError(f"Argument `maxlen` must be scalar for sequence_mask, received `maxlen` = {maxlen.name} "
                             f"with shape {maxlen.shape} instead")
        row = array.range(np.zeros((), maxlen.dtype.np_type), maxlen, np.ones((), maxlen.dtype.np_type))
        matrix = m.cast(array.expand_dims(lengths, -1), maxlen.dtype)
        result = m.less(row, matrix)
        dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.bool_
        return result if dt is dtypes.bool_ else m.cast(result, dt)


# ------------------------------------------------------------------------------------------------
# ReverseSequence

def _reverse_sequence_infer(inputs, attrs):
    x, lengths = inputs
    if not lengths.dtype.is_integer:
        raise TypeError(f"seq_lengths must be an int32 or int64 tensor, got {lengths.name} of dtype "
                        f"{lengths.dtype.name}")
    if lengths.shape.ndims not in (None, 1):
        raise ValueError(f"seq_lengths must be 1-D, got {lengths.name} with shape {lengths.shape}")
    dims = x.shape.as_tuple()
    if dims is None:
        return [(x.dtype, x.shape)]
    seq, batch = attrs["seq_dim"], attrs["batch_dim"]
    for what, axis in (("seq_axis", seq), ("batch_axis", batch)):
        if not 0 <= axis < len(dims):
            raise ValueError(f"{what} {axis} is out of range for input {x.name} with shape {x.shape} "
                             f"(rank {len(dims)})")
    if seq == batch:
        raise ValueError(f"seq_axis and batch_axis must differ, both are {seq}")
    n = lengths.shape.as_tuple()
    if n is not None and n[0] is not None and dims[batch] is not None and n[0] != dims[batch]:
        raise ValueError(f"Dimensions must be equal, but are {dims[batch]} and {n[0]}: seq_lengths {lengths.name} "
                         f"needs one length per batch row of input {x.name} {x.shape} (batch_axis {batch})")
    known = constant_value(lengths)
    if known is not None and dims[seq] is not None and np.any((known < 0) | (known > dims[seq])):
        raise ValueError(f"seq_lengths {lengths.name} = {known.tolist()} must be in [0, {dims[seq]}], the size of "
                         f"input {x.name} {x.shape} along seq_axis {seq}")
    return [(x.dtype, x.shape)]


def _reverse_sequence_numpy(x, lengths, seq_dim, batch_dim):
    for b, n in enumerate(lengths):
        if n < 0:
            raise ValueError(f"seq_lens({b}) < 0")
        if n > x.shape[seq_dim]:
            raise ValueError(f"seq_lens({b}) > input.dims({seq_dim})")
    out = np.array(x, copy=True)
    moved = np.moveaxis(out, (batch_dim, seq_dim), (0, 1))   # a view into ``out``
    source = np.moveaxis(x, (batch_dim, seq_dim), (0, 1))
    for b, n in enumerate(lengths):
        moved[b, :n] = source[b, :n][::-1]
    return out


def _reverse_sequence_grad(op, g):
    return [apply("ReverseSequence", [g, op.inputs[1]], dict(op.attrs)), None]


register(OpDef("ReverseSequence", "movement", infer=_reverse_sequence_infer, numpy=_reverse_sequence_numpy,
               grad=_reverse_sequence_grad))


def reverse_sequence(input: Any, seq_lengths: Any, seq_axis: Optional[int] = None,  # noqa: A002 (TF1's name)
                     batch_axis: Optional[int] = None, name: Optional[str] = None,
                     seq_dim: Optional[int] = None, batch_dim: Optional[int] = None) -> Tensor:
    """Reverses ``input[b, :seq_lengths[b]]`` along ``seq_axis`` for each ``b`` along ``batch_axis``
    (default 0); entries past a row's length stay in place. ``seq_dim``/``batch_dim`` are TF1's
    deprecated names of the two axes."""
    seq_axis = _one_of("seq_axis", seq_axis, "seq_dim", seq_dim)
    batch_axis = _one_of("batch_axis", batch_axis, "batch_dim", batch_dim)
    if seq_axis is None:
        raise TypeError("reverse_sequence needs seq_axis (or the deprecated seq_dim): the axis to reverse")
    x = convert_to_tensor(input, name="input")
    lengths = convert_to_tensor(seq_lengths, name="seq_lengths")
    rank = x.shape.ndims
    seq = normalize_axis(int(seq_axis), rank, "seq_axis") if rank is not None else int(seq_axis)
    batch = 0 if batch_axis is None else int(batch_axis)
    batch = normalize_axis(batch, rank, "batch_axis") if rank is not None else batch
    return apply("ReverseSequence", [x, lengths], {"seq_dim": seq, "batch_dim": batch}, name or "ReverseSequence")


def _one_of(name: str, value: Any, old_name: str, old_value: Any) -> Any:
    if value is not None and old_value is not None and value != old_value:
        raise ValueError(f"Cannot specify both '{name}' ({value}) and '{old_name}' ({old_value})")
    return value if value is not None else old_value


# ------------------------------------------------------------------------------------------------
# InTopKV2

def _in_top_k_infer(inputs, attrs):
    predictions, targets, k = inputs
    if predictions.dtype is not dtypes.float32:
        raise TypeError(f"in_top_k's predictions must be float32, got {predictions.name} of dtype "
                        f"{predictions.dtype.name}")
    for what, t in (("targets", targets), ("k", k)):
        if not t.dtype.is_integer:
            raise TypeError(f"in_top_k's {what} must be int32 or int64, got {t.name} of dtype {t.dtype.name}")
    if targets.dtype is not k.dtype:
        raise TypeError(f"in_top_k's targets ({targets.dtype.name}) and k ({k.dtype.name}) must have one dtype")
    if predictions.shape.ndims not in (None, 2):
        raise ValueError(f"predictions must be 2-dimensional [batch, classes], got {predictions.name} with "
                         f"shape {predictions.shape}")
    if targets.shape.ndims not in (None, 1):
        raise ValueError(f"targets must be 1-dimensional [batch], got {targets.name} with shape {targets.shape}")
    if k.shape.ndims not in (None, 0):
        raise ValueError(f"k must be a scalar, got {k.name} with shape {k.shape}")
    rows = TensorShape([None]) if predictions.shape.ndims is None else TensorShape(predictions.shape.as_list()[:1])
    if targets.shape.ndims is not None:
        if not rows.is_compatible_with(targets.shape):
            raise ValueError(f"Dimensions must be equal, but are {rows[0]} and {targets.shape[0]}: predictions "
                             f"{predictions.name} {predictions.shape} and targets {targets.name} {targets.shape} "
                             "need one target per row")
        rows = rows.merge_with(targets.shape)
    return [(dtypes.bool_, rows)]


def _in_top_k_numpy(predictions, targets, k):
    batch, classes = predictions.shape
    if targets.shape != (batch,):
        raise ValueError(f"targets must have {batch} entries (one per row of predictions), got {targets.shape[0]}")
    in_range = (targets >= 0) & (targets < classes)
    picked = predictions[np.arange(batch), np.where(in_range, targets, 0)]
    larger = np.sum(predictions > picked[:, None], axis=1)
    finite_rows = np.all(np.isfinite(predictions), axis=1)
    return in_range & finite_rows & (larger < int(k))


register(OpDef("InTopKV2", "opaque", infer=_in_top_k_infer, numpy=_in_top_k_numpy, differentiable=False,
               meta_inputs={2}))


def in_top_k(predictions: Any, targets: Any, k: Any, name: Optional[str] = None) -> Tensor:
    """``out[i]``: whether ``predictions[i, targets[i]]`` is among the ``k`` largest scores of row ``i``
    (ties with it count as in; a row with a non-finite score or an out-of-range target gives False)."""
    with graph_scope([predictions, targets, k], name or "in_top_k"):
        predictions = convert_to_tensor(predictions, dtype=_float32_unless_tensor(predictions), name="predictions")
        targets = convert_to_tensor(targets, name="targets")
        k = convert_to_tensor(k, dtype=targets.dtype if targets.dtype.is_integer else None, name="k")
        return apply("InTopKV2", [predictions, targets, k], name="InTopKV2")


def _float32_unless_tensor(value: Any) -> Any:
    return None if isinstance(value, Tensor) or hasattr(value, "_graph_tensor") else dtypes.float32


__all__ = ["sequence_mask", "reverse_sequence"]
