"""Windows whose offsets and sizes are tensors known only when the graph runs: ``DynamicSlice``
(TF's ``Slice`` with tensor ``begin``/``size``) and ``DynamicPad`` (TF's ``Pad`` with a tensor
``paddings``, zeros around).

``tf.image``'s crops and pads build them when an offset or a target size is a tensor. Their result
dims are static only where constants say so (``None`` otherwise), so like ``Where`` they are opaque
host steps on every backend, planned with run-time shapes. Each is the other's gradient: a slice's
gradient pads the incoming gradient back to the input's shape, a pad's gradient slices it out.
Bad windows fail when they run, with an InvalidArgumentError naming the function that built them
(attr ``context``) and the numbers.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import array
from graphc.ops import math as m
from graphc.ops.core import OpDef, apply, constant_value, convert_to_tensor, register, shape_value
from graphc.ops.join_split import stack
from graphc.shape import TensorShape


def _int_vector(what: str, t: Tensor, rank: Optional[int], fn: str) -> None:
    if not t.dtype.is_integer:
        raise TypeError(f"{fn}: {what} {t.name} must be an int32 or int64 tensor, got {t.dtype.name}")
    dims = t.shape.as_tuple()
    if dims is not None and (len(dims) != 1 or (rank is not None and dims[0] not in (None, rank))):
        raise ValueError(f"{fn}: {what} {t.name} must be a vector of {rank} entries (one per dimension of the "
                         f"input), got shape {t.shape}")


def _slice_infer(inputs, attrs):
    x, begin, size = inputs
    rank = x.shape.ndims
    fn = attrs["context"]
    _int_vector("begin", begin, rank, fn)
    _int_vector("size", size, rank, fn)
    if rank is None:
        return [(x.dtype, TensorShape(None))]
    b = shape_value(begin) or [None] * rank          # entries known while building (a stack of them too)
    s = shape_value(size) or [None] * rank
    out = []
    for d, start, n in zip(x.shape.as_tuple(), b, s):
        if n == -1:
            n = None if start is None or d is None else d - start
        out.append(n)
    return [(x.dtype, TensorShape(out))]


def _slice_numpy(x, begin, size, context, positive_size=False):
    begin, size = np.asarray(begin).reshape(-1), np.asarray(size).reshape(-1)
    window = []
    for i, (d, b, n) in enumerate(zip(x.shape, begin.tolist(), size.tolist())):
        if positive_size and n != -1 and n <= 0:
            raise ValueError(f"{context}: the window's size along dimension {i} must be > 0, got {n}")
        n = d - b if n == -1 else n
        if b < 0 or n < 0 or b + n > d:
            raise ValueError(f"{context}: the window along dimension {i} starts at {b} and has size {n}, but the "
                             f"input has {d} there (shape {list(x.shape)}): need 0 <= begin, 0 <= size and "
                             "begin + size <= dimension")
        window.append(slice(b, b + n))
    return x[tuple(window)].copy()


def _slice_grad(op, g):
    x, begin, _ = op.inputs
    before = m.cast(begin, dtypes.int32)
    after = array.shape(x) - before - array.shape(g)
    return [dynamic_pad(g, stack([before, after], axis=1), op.attrs["context"] + " (gradient)"), None, None]


def _pad_infer(inputs, attrs):
    x, paddings = inputs
    fn = attrs["context"]
    if not paddings.dtype.is_integer:
        raise TypeError(f"{fn}: paddings {paddings.name} must be an int32 or int64 tensor, got {paddings.dtype.name}")
    rank = x.shape.ndims
    if paddings.shape.ndims not in (None, 2) or not paddings.shape.is_compatible_with([rank, 2]):
        raise ValueError(f"{fn}: paddings {paddings.name} must have shape [{rank}, 2] (before, after per "
                         f"dimension), got {paddings.shape}")
    if rank is None:
        return [(x.dtype, TensorShape(None))]
    p = _known_paddings(paddings, rank)
    return [(x.dtype, TensorShape([None if d is None or None in pad else d + pad[0] + pad[1]
                                   for d, pad in zip(x.shape.as_tuple(), p)]))]


def _known_paddings(paddings: Tensor, rank: int) -> list:
    """[(before, after)] per dim, an entry None where only the run knows it (a constant, or a
    stack of [before, after] pairs some of which are constants)."""
    value = constant_value(paddings)
    if value is not None:
        return [(int(a), int(b)) for a, b in np.reshape(value, (-1, 2))]
    if paddings.op.type == "Pack" and paddings.op.attrs.get("axis", 0) in (1, -1) and len(paddings.op.inputs) == 2:
        before, after = (shape_value(t) or [None] * rank for t in paddings.op.inputs)
        return list(zip(before, after))
    return [(None, None)] * rank


def _pad_numpy(x, paddings, context):
    paddings = np.asarray(paddings).reshape(-1, 2)
    for i, (before, after) in enumerate(paddings.tolist()):
        if before < 0 or after < 0:
            raise ValueError(f"{context}: dimension {i} of the input (shape {list(x.shape)}) would be padded by "
                             f"[{before}, {after}]; both must be >= 0 (the target must hold the input at its "
                             "offset)")
    return np.pad(x, paddings)


def _pad_grad(op, g):
    x, paddings = op.inputs
    begin = m.cast(paddings, dtypes.int32)[:, 0]
    return [dynamic_slice(g, begin, array.shape(x), op.attrs["context"] + " (gradient)"), None]


register(OpDef("DynamicSlice", "opaque", infer=_slice_infer, numpy=_slice_numpy, grad=_slice_grad,
               meta_inputs=frozenset({1, 2})))
register(OpDef("DynamicPad", "opaque", infer=_pad_infer, numpy=_pad_numpy, grad=_pad_grad,
               meta_inputs=frozenset({1})))


def dynamic_slice(x: Tensor, begin: Any, size: Any, context: str, positive_size: bool = False,
                  name: Optional[str] = None) -> Tensor:
    """``size[i]`` elements of ``x`` from ``begin[i]`` along each dim (-1: to the end), the vectors
    ``begin`` and ``size`` possibly known only at run time; ``context`` names the caller in errors;
    ``positive_size`` refuses an empty window (a size of 0 other than -1's)."""
    b = convert_to_tensor(begin, dtype=dtypes.int32, name="begin")
    s = convert_to_tensor(size, dtype=dtypes.int32, name="size")
    return apply("DynamicSlice", [x, b, s], {"context": context, "positive_size": bool(positive_size)},
                 name=name or "Slice")


def dynamic_pad(x: Tensor, paddings: Any, context: str, name: Optional[str] = None) -> Tensor:
    """``x`` with ``paddings[i] = [before, after]`` zeros around dim i, ``paddings`` possibly known only
    at run time; ``context`` names the caller in errors."""
    p = convert_to_tensor(paddings, dtype=dtypes.int32, name="paddings")
    return apply("DynamicPad", [x, p], {"context": context}, name=name or "Pad")


__all__: list = []
