"""What the op builders of the array family (array.py, join_split.py, tile_pad.py, gather.py) share:
argument checks with TF1's error classes and messages that name the tensors, their shapes and dtypes;
static (build-time) values of arguments; a name scope in the inputs' graph; multi-output ops."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import core
from graphc.ops.core import constant_value, convert_to_tensor, make_op
from graphc.shape import TensorShape


def static_int(v: Any) -> Optional[int]:
    """``v`` (None, a Python/numpy int or a constant scalar int tensor) as an int, known while building."""
    if v is None:
        return None
    if isinstance(v, Tensor) or hasattr(v, "_graph_tensor"):
        t = convert_to_tensor(v)
        c = constant_value(t)
        if c is None or c.ndim != 0:
            raise TypeError(f"Tensor indices must be statically known scalars; {t.name} is computed at run "
                            "time. Use tf.gather for data-dependent indexing.")
        return int(c)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
                        f"int tensors are valid indices, got {v!r}")
    return int(v)


def static_list(v: Any) -> list:
    """``v`` (a constant int tensor or anything convertible to one) as a flat list of ints."""
    t = convert_to_tensor(v)
    c = constant_value(t)
    if c is None:
        raise TypeError(f"{t.name} must be statically known here (a list of ints or a constant)")
    return [int(i) for i in np.reshape(c, (-1,))]


def graph_scope(values: Any, name: str) -> Any:
    """A name scope in the graph of ``values`` (for compositions named after TF1's scopes)."""
    return core._graph_of(list(values)).name_scope(name)


def op_outputs(op_type: str, inputs: list, attrs: dict, name: str) -> list:
    """Builds a multi-output op and returns its outputs as a list (even when there is one)."""
    return list(make_op(op_type, inputs, attrs, name).outputs)


def describe(tensors: Any) -> str:
    """``tensors`` as "name dtype shape" items, for error messages."""
    return ", ".join(f"{t.name} {t.dtype.name} {t.shape}" for t in tensors)


def check_one_dtype(what: str, tensors: list) -> None:
    """Raises TypeError unless all ``tensors`` (the inputs of ``what``) have one dtype."""
    first = tensors[0]
    for t in tensors[1:]:
        if t.dtype is not first.dtype:
            raise TypeError(f"{what} needs tensors of one dtype, got {describe(tensors)}. "
                            "Use tf.cast to convert them.")


def check_int(what: str, t: Tensor) -> None:
    """Raises TypeError unless ``t`` (the argument ``what``) has an integer dtype."""
    if not t.dtype.is_integer:
        raise TypeError(f"{what} must be an int32 or int64 tensor, got {t.name} of dtype {t.dtype.name}")


def check_scalar(what: str, t: Tensor) -> None:
    """Raises ValueError when ``t`` (the argument ``what``) is known not to be a scalar."""
    if t.shape.ndims not in (None, 0):
        raise ValueError(f"{what} must be a scalar, got {t.name} with shape {t.shape}")


def merge_shapes(what: str, tensors: list) -> TensorShape:
    """The one static shape that all ``tensors`` share (None dims merge with known ones)."""
    out = TensorShape(None)
    for t in tensors:
        if not out.is_compatible_with(t.shape):
            raise ValueError(f"{what} needs tensors of one shape, got {describe(tensors)}")
        out = out.merge_with(t.shape)
    return out


def scalar_of(value: Any, dtype: dtypes.DType) -> np.ndarray:
    """``value`` as a numpy scalar of ``dtype``."""
    return np.array(value, dtype=dtype.np_type)
