"""Random ops with TF1 seeding: a graph seed plus an op seed pick a reproducible stream.

Each op draws from a counter-based Philox stream keyed by (graph seed, op seed) and advanced by
how many times this session ran it, so a seeded program repeats exactly across sessions while
each ``sess.run`` gets new numbers. Unseeded ops draw fresh entropy.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor, get_default_graph
from graphc.ops.core import OpDef, apply, as_shape_tensor, register, shape_value
from graphc.shape import TensorShape

DEFAULT_GRAPH_SEED = 87654321


def get_seed(op_seed: Optional[int]) -> tuple:
    """TF1's rule for the (graph seed, op seed) pair of a new random op."""
    graph = get_default_graph()
    if graph.seed is not None:
        return graph.seed, (op_seed if op_seed is not None else graph._last_id)
    if op_seed is not None:
        return DEFAULT_GRAPH_SEED, op_seed
    return None, None


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
    return rng.random(_shape(s), dtype=np.float64).astype(dtype.np_type)


def _truncated(s, rng, dtype, seed, seed2):
    shape = _shape(s)
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2
    while np.any(bad):  # resample outside two standard deviations, as TF1
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return out.astype(dtype.np_type)


def _uniform_int(s, lo, hi, rng, dtype, seed, seed2):
    return rng.integers(lo, hi, size=_shape(s), dtype=dtype.np_type)


for _type, _fn in [("RandomStandardNormal", _normal), ("RandomUniform", _uniform),
                   ("TruncatedNormal", _truncated)]:
    register(OpDef(_type, "random", infer=_infer, numpy=_fn, differentiable=False, pure=False))
register(OpDef("RandomUniformInt", "random", infer=_infer, numpy=_uniform_int, differentiable=False, pure=False))


def _draw(op_type: str, shape: Any, dtype: Any, seed: Optional[int], name: str) -> Tensor:
    dt = dtypes.as_dtype(dtype)
    if not dt.is_floating:
        raise TypeError(f"{op_type} produces floats; got dtype {dt.name}")
    s1, s2 = get_seed(seed)
    return apply(op_type, [as_shape_tensor(shape)], {"dtype": dt, "seed": s1, "seed2": s2}, name)


def random_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = dtypes.float32,
                  seed: Optional[int] = None, name: Optional[str] = None) -> Tensor:
    """Samples from N(mean, stddev**2)."""
    from graphc.graph import name_scope

    with name_scope(name, "random_normal") as scope:
        z = _draw("RandomStandardNormal", shape, dtype, seed, "RandomStandardNormal")
        return _affine(z, stddev, mean, scope)


def truncated_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = dtypes.float32,
                     seed: Optional[int] = None, name: Optional[str] = None) -> Tensor:
    """Samples from N(mean, stddev**2), redrawing values more than 2 stddevs from the mean."""
    from graphc.graph import name_scope

    with name_scope(name, "truncated_normal") as scope:
        z = _draw("TruncatedNormal", shape, dtype, seed, "TruncatedNormal")
        return _affine(z, stddev, mean, scope)


def random_uniform(shape: Any, minval: Any = 0, maxval: Any = None, dtype: Any = dtypes.float32,
                   seed: Optional[int] = None, name: Optional[str] = None) -> Tensor:
    """Samples uniformly from [minval, maxval) (maxval defaults to 1 for floats)."""
    from graphc.graph import name_scope

    dt = dtypes.as_dtype(dtype)
    with name_scope(name, "random_uniform") as scope:
        if dt.is_integer:
            if maxval is None:
                raise ValueError("random_uniform with an integer dtype needs maxval")
            s1, s2 = get_seed(seed)
            return apply("RandomUniformInt", [as_shape_tensor(shape), minval, maxval],
                         {"dtype": dt, "seed": s1, "seed2": s2}, scope)
        u = _draw("RandomUniform", shape, dt, seed, "RandomUniform")
        maxval = 1 if maxval is None else maxval
        return _affine(u, maxval - minval, minval, scope)


def _affine(z: Tensor, scale: Any, shift: Any, scope: str) -> Tensor:
    from graphc.ops import math as m

    return m.add(z * scale, shift, name=scope)


__all__ = ["random_normal", "truncated_normal", "random_uniform"]
