"""Random ops with TF1 seeding: a graph seed plus an op seed pick a reproducible stream.

Each op draws from a counter-based Philox stream keyed by (graph seed, op seed) and advanced by
how many times this session ran it, so a seeded program repeats exactly across sessions while
each ``sess.run`` gets new numbers. Unseeded ops draw fresh entropy.
"""
from __future__ import annotations

import weakref
from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor, get_default_graph
from graphc.ops.core import OpDef, apply, as_shape_tensor, convert_to_tensor, register, shape_value
from graphc.shape import TensorShape

DEFAULT_GRAPH_SEED = 87654321


_MAXINT32 = 2**31 - 1
_OP_SEEDS: "weakref.WeakKeyDictionary[Any, int]" = weakref.WeakKeyDictionary()   # graph -> next op seed


def get_seed(op_seed: Optional[int]) -> tuple:
    """TF's rule (TensorFlow 2.21 compat.v1) for the (graph seed, op seed) pair of a new random op
    or shuffle: with a graph seed, an op without a seed takes the graph's next number 0, 1, 2 ...;
    seeds are taken modulo 2**31 - 1, and (0, 0) becomes (0, 2**31 - 1)."""
    graph = get_default_graph()
    if graph.seed is not None:
        if op_seed is None:
            op_seed = _OP_SEEDS.get(graph, 0)
            _OP_SEEDS[graph] = op_seed + 1
        seeds: tuple = (int(graph.seed) % _MAXINT32, int(op_seed) % _MAXINT32)
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, int(op_seed) % _MAXINT32)
    else:
        return None, None
    return (0, _MAXINT32) if seeds == (0, 0) else seeds


def make_rng(seed: Optional[int], seed2: Optional[int], counter: int) -> np.random.Generator:
    """The generator for the ``counter``-th run of an op with seeds (seed, seed2)."""
    if seed is None:
        return np.random.default_rng()
    key = (int(seed) & (2**64 - 1)) | ((int(seed2) & (2**64 - 1)) << 64)
    return np.random.Generator(np.random.Philox(key=key, counter=counter << 64))


def _infer(inputs, attrs):
    dims = shape_value(inputs[0])
    return [(attrs["dtype"], TensorShape(dims) if dims is not None else TensorShape(None))]


def _shape(s) -> tuple:
    return tuple(int(d) for d in s)


def _normal(s, rng, dtype, seed, seed2):
    return rng.standard_normal(_shape(s), dtype=np.float64).astype(dtype.np_type)


def _uniform(s, rng, dtype, seed, seed2):
    # rounding a float64 draw to float32/16 could give exactly 1.0: snap to the target's grid instead
    u = rng.random(_shape(s), dtype=np.float64)
    if dtype.np_type != np.float64:
        steps = 2.0 ** (np.finfo(dtype.np_type).nmant + 1)
        u = np.floor(u * steps) / steps
    return u.astype(dtype.np_type)


def _truncated(s, rng, dtype, seed, seed2):
    shape = _shape(s)
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2
    while np.any(bad):  # resample outside two standard deviations, as TF1
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return out.astype(dtype.np_type)


def _orthogonal(s, rng, dtype, seed, seed2, gain):
    """TF1's orthogonal_initializer: QR of a normal (rows, cols) matrix with R's diagonal made
    positive; rows = product of all dims but the last."""
    shape = _shape(s)
    if len(shape) < 2:
        raise ValueError(f"The tensor to initialize must be at least two-dimensional, got shape {list(shape)}")
    rows, cols = int(np.prod(shape[:-1], dtype=np.int64)), shape[-1]
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape).astype(dtype.np_type)


def _uniform_int(s, lo, hi, rng, dtype, seed, seed2):
    if lo >= hi:
        raise ValueError(f"Need minval < maxval: {lo} >= {hi}")
    return rng.integers(lo, hi, size=_shape(s), dtype=dtype.np_type)


def _uniform_int_infer(inputs, attrs):
    for t, what in ((inputs[1], "minval"), (inputs[2], "maxval")):
        if t.shape.ndims not in (None, 0):
            raise ValueError(f"{what} must be a scalar, but {t.name} has shape {t.shape}")
    return _infer(inputs, attrs)


for _type, _fn in [("RandomStandardNormal", _normal), ("RandomUniform", _uniform),
                   ("TruncatedNormal", _truncated)]:
    register(OpDef(_type, "random", infer=_infer, numpy=_fn, differentiable=False, pure=False))
register(OpDef("RandomOrthogonal", "random", infer=_infer, numpy=_orthogonal, differentiable=False, pure=False))
register(OpDef("RandomUniformInt", "random", infer=_uniform_int_infer, numpy=_uniform_int,
               differentiable=False, pure=False))


_FLOAT_DTYPES = ("float16", "float32", "float64")
_UNIFORM_DTYPES = _FLOAT_DTYPES + ("int32", "int64")


def _float_dtype(dtype: Any, fn: str) -> dtypes.DType:
    dt = dtypes.as_dtype(dtype)
    if dt.name not in _FLOAT_DTYPES:
        raise TypeError(f"{fn} samples floats: dtype must be one of {', '.join(_FLOAT_DTYPES)}, got {dt.name}")
    return dt


def _draw(op_type: str, shape: Tensor, dt: dtypes.DType, seed: Optional[int]) -> Tensor:
    s1, s2 = get_seed(seed)
    return apply(op_type, [shape], {"dtype": dt, "seed": s1, "seed2": s2}, op_type)


def _normal_family(op_type: str, default_name: str, shape: Any, mean: Any, stddev: Any, dtype: Any,
                   seed: Optional[int], name: Optional[str]) -> Tensor:
    """``stddev * z + mean`` with z from ``op_type``; TF1's node names (shape, mean, stddev, mul)."""
    from graphc.graph import name_scope
    from graphc.ops import math as m

    dt = _float_dtype(dtype, default_name)
    with name_scope(name, default_name) as scope:
        shape_t = as_shape_tensor(shape, name="shape")
        mean_t = convert_to_tensor(mean, dtype=dt, name="mean")
        stddev_t = convert_to_tensor(stddev, dtype=dt, name="stddev")
        z = _draw(op_type, shape_t, dt, seed)
        return m.add(m.multiply(z, stddev_t, name="mul"), mean_t, name=scope)


def random_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = dtypes.float32,
                  seed: Optional[int] = None, name: Optional[str] = None) -> Tensor:
    """Samples from N(mean, stddev**2) (TF1 ``tf.random_normal``)."""
    return _normal_family("RandomStandardNormal", "random_normal", shape, mean, stddev, dtype, seed, name)


def truncated_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = dtypes.float32,
                     seed: Optional[int] = None, name: Optional[str] = None) -> Tensor:
    """Samples from N(mean, stddev**2), redrawing values more than 2 stddevs from the mean."""
    return _normal_family("TruncatedNormal", "truncated_normal", shape, mean, stddev, dtype, seed, name)


def _is_python_int(value: Any, target: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == target


def random_uniform(shape: Any, minval: Any = 0, maxval: Any = None, dtype: Any = dtypes.float32,
                   seed: Optional[int] = None, name: Optional[str] = None) -> Tensor:
    """Samples uniformly from [minval, maxval) (maxval defaults to 1 for floats; ints need it).

    As TF1, the default range [0, 1) is the bare ``RandomUniform`` op, ``minval=0`` only scales
    (``Mul``), and any other range is ``rnd * (max - min) + min``.
    """
    from graphc.graph import name_scope
    from graphc.ops import math as m

    dt = dtypes.as_dtype(dtype)
    if dt.name not in _UNIFORM_DTYPES:
        raise ValueError(f"random_uniform: dtype must be one of {', '.join(_UNIFORM_DTYPES)}, got {dt.name}")
    if maxval is None:
        if dt.is_integer:
            raise ValueError(f"Must specify maxval for integer dtype {dt!r}")
        maxval = 1
    with name_scope(name, "random_uniform") as scope:
        shape_t = as_shape_tensor(shape, name="shape")
        min_is_zero, max_is_one = _is_python_int(minval, 0), _is_python_int(maxval, 1)
        if dt.is_integer or not (min_is_zero and max_is_one):
            minval = convert_to_tensor(minval, dtype=dt, name="min")
            maxval = convert_to_tensor(maxval, dtype=dt, name="max")
        if dt.is_integer:
            s1, s2 = get_seed(seed)
            return apply("RandomUniformInt", [shape_t, minval, maxval],
                         {"dtype": dt, "seed": s1, "seed2": s2}, scope)
        u = _draw("RandomUniform", shape_t, dt, seed)
        if min_is_zero:
            return u if max_is_one else m.multiply(u, maxval)
        scale = m.subtract(maxval, minval, name="sub")
        return m.add(m.multiply(u, scale, name="mul"), minval, name=scope)


__all__ = ["random_normal", "truncated_normal", "random_uniform"]
