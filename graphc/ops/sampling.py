"""Random ops built on the seeded uniform streams of ``ops/random.py``: ``tf.multinomial``,
``tf.random_shuffle``, ``tf.random_crop``.

Each draws its randomness from one ``RandomUniform``/``RandomUniformInt`` op (so TF1's seeding rules,
the per-run stream and every backend's identical draws come with it) and turns it into the sample
with deterministic ops: inverse-CDF sampling of the row's softmax (``SampleFromLogits``), the order
of float64 uniform keys (a uniformly random permutation), and TF1's own offset formula for crops.
The samples follow TF1's distributions; they are not TF's bits (TF's Philox kernels differ).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import array, dynamic_window, random, selection, source
from graphc.ops import math as m
from graphc.ops.gather import gather
from graphc.ops.join_split import stack
from graphc.ops.core import OpDef, _graph_of, _graph_tensor_or_none, apply, convert_to_tensor, register, shape_value
from graphc.shape import TensorShape


def _sample_infer(inputs, attrs):
    logits, u = inputs
    if not logits.dtype.is_floating:
        raise TypeError(f"multinomial: logits {logits.name} must be a float tensor, got {logits.dtype.name}")
    if logits.shape.ndims not in (None, 2):
        raise ValueError(f"multinomial: logits {logits.name} must be 2-D [batch_size, num_classes], got {logits.shape}")
    batch = logits.shape.as_tuple()[0] if logits.shape.ndims == 2 else None
    samples = u.shape.as_tuple()[1] if u.shape.ndims == 2 else None
    return [(attrs["output_dtype"], TensorShape([batch, samples]))]


def _sample_numpy(logits, u, output_dtype):
    """Per row: the class whose softmax CDF interval holds each uniform draw in ``u``."""
    x = logits.astype(np.float64)
    finite_max = np.max(np.where(np.isneginf(x), -np.inf, x), axis=1, keepdims=True)
    probs = np.exp(x - finite_max)
    cdf = np.cumsum(probs, axis=1)
    total = cdf[:, -1:]
    if np.any(~np.isfinite(total)) or np.any(total <= 0):
        raise ValueError("multinomial: every row of logits needs a finite maximum (a class with probability > 0)")
    out = np.empty(u.shape, dtype=np.int64)
    for row in range(x.shape[0]):
        out[row] = np.searchsorted(cdf[row], u[row] * total[row, 0], side="right")
    return np.minimum(out, x.shape[1] - 1).astype(output_dtype.np_type)


register(OpDef("SampleFromLogits", "opaque", infer=_sample_infer, numpy=_sample_numpy, differentiable=False))


def multinomial(logits: Any, num_samples: Any, seed: Optional[int] = None, name: Optional[str] = None,
                output_dtype: Any = None) -> Tensor:
    """``num_samples`` class indices per row of ``logits`` [batch, classes], drawn from softmax(logits)
    (TF1 ``tf.multinomial``; int64 unless ``output_dtype`` says int32)."""
    out_dt = dtypes.as_dtype(output_dtype or dtypes.int64)
    if out_dt not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"multinomial: output_dtype must be int32 or int64, got {out_dt.name}")
    graph = _graph_of([logits, num_samples])
    with graph.as_default(), graph.name_scope(name or "multinomial") as scope:
        logits = convert_to_tensor(logits, name="logits")
        batch = array.shape(logits)[0] if logits.shape.ndims != 2 or logits.shape.as_tuple()[0] is None \
            else logits.shape.as_tuple()[0]
        u = random.random_uniform(stack([batch, num_samples]), dtype=dtypes.float64, seed=seed)
        return apply("SampleFromLogits", [logits, u], {"output_dtype": out_dt}, scope.rstrip("/"))


def random_shuffle(value: Any, seed: Optional[int] = None, name: Optional[str] = None) -> Tensor:
    """``value`` with its first dimension in a uniformly random order (TF1 ``tf.random_shuffle``)."""
    graph = _graph_of([value])
    with graph.as_default(), graph.name_scope(name or "RandomShuffle") as scope:
        value = convert_to_tensor(value, name="value")
        if value.shape.ndims == 0:
            raise ValueError(f"random_shuffle: value {value.name} must have rank >= 1, got a scalar")
        n = array.shape(value)[0]
        keys = random.random_uniform(array.reshape(n, [1]), dtype=dtypes.float64, seed=seed)
        order = selection.top_k(keys, n).indices      # the order of distinct float64 keys: a random permutation
        return gather(value, order, name=scope.rstrip("/"))


def random_crop(value: Any, size: Any, seed: Optional[int] = None, name: Optional[str] = None) -> Tensor:
    """A slice of ``value`` of shape ``size`` at a uniformly random offset (TF1's formula:
    offset = uniform int in [0, int32 max) mod (shape - size + 1)). ``size`` may be a tensor known
    only at run time: the crop is then a window planned with run-time shapes, checked when it runs."""
    graph = _graph_of([value, size])
    with graph.as_default(), graph.name_scope(name or "random_crop") as scope:
        value = convert_to_tensor(value, name="value")
        size_t = convert_to_tensor(size, name="size") if _graph_tensor_or_none(size) is not None \
            else convert_to_tensor(size, dtype=dtypes.int32, name="size")
        want, have = shape_value(size_t), value.shape.as_tuple()
        if want is not None and have is not None:
            if len(want) != len(have):
                raise ValueError(f"random_crop: size {want} must have one entry per dimension of value "
                                 f"{value.name} {value.shape}")
            for w, h in zip(want, have):
                if None not in (w, h) and w > h:
                    raise ValueError(f"random_crop: need value.shape >= size, got {list(have)} and {want}")
        limit = array.shape(value, out_type=size_t.dtype) - size_t + 1
        int_max = int(np.iinfo(size_t.dtype.np_type).max)
        draws = random.random_uniform(array.shape(size_t), maxval=int_max, dtype=size_t.dtype, seed=seed)
        offset = m.floormod(draws, limit)
        if want is None or None in want:
            return source.identity(dynamic_window.dynamic_slice(value, offset, size_t, "random_crop"),
                                   name=scope.rstrip("/"))
        result = value
        for axis, n in enumerate(want):      # offset[axis] + range(n) along each axis: a run-time offset
            result = gather(result, offset[axis] + array.range(n, dtype=size_t.dtype), axis=axis)
        return source.identity(result, name=scope.rstrip("/"))


__all__ = ["multinomial", "random_shuffle", "random_crop"]
