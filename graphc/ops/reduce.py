"""Reductions: sum, mean, max, min, prod, any, all, argmax/argmin, and the logsumexp composition.

Each reduction primitive carries two attrs: ``axis`` (a sorted tuple of normalized axes; ``None``
when the input's rank is unknown and all axes are meant; possibly negative axes when the rank is
unknown and axes were given) and ``keepdims``. Kernels accumulate in at least the input precision
and return exactly the input dtype (float32 stays float32, a sum of int32 stays int32).
"""
from __future__ import annotations

import operator
from typing import Any, Callable, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import array, source
from graphc.ops import math as m
from graphc.ops.core import Lowering, OpDef, apply, constant, constant_value, convert_to_tensor, register
from graphc.shape import TensorShape

NUMERIC = "numeric"
BOOL = "bool"
_ALLOWED = {NUMERIC: lambda d: d.is_floating or d.is_integer, BOOL: lambda d: d.is_bool}


# ------------------------------------------------------------------------------------------------
# axes: normalization at build time and at run time

def _axis_list(axis: Any) -> Optional[list]:
    """``axis`` (None, int, list/tuple, ndarray or constant tensor) as a list of ints, or None for all."""
    if axis is None:
        return None
    if isinstance(axis, Tensor) or hasattr(axis, "_graph_tensor"):
        t = convert_to_tensor(axis)
        value = constant_value(t)
        if value is None:
            raise TypeError(f"The reduction axis {t.name} is computed at run time; graphc needs axes "
                            "known while building the graph (pass ints or a constant).")
        axis = value
    arr = np.asarray(axis)
    if arr.dtype.kind not in "iu" and arr.size:
        raise TypeError(f"A reduction axis must be an int or a list of ints, got {axis!r}")
    return [operator.index(a) for a in arr.reshape(-1)]


def _static_axes(x: Tensor, axis: Optional[list]) -> Optional[tuple]:
    """The sorted normalized axes for ``x``; out-of-range or repeated axes raise ValueError naming ``x``."""
    rank = x.shape.ndims
    if rank is None:
        return None if axis is None else _unique_axes(axis, x)
    if axis is None:
        return tuple(range(rank))
    for a in axis:
        if not -rank <= a < rank:
            raise ValueError(f"Invalid reduction axis {a} for {x.name} of shape {x.shape} (rank {rank}): "
                             f"axes must be in [{-rank}, {rank}).")
    return _unique_axes([a % rank for a in axis], x)


def _unique_axes(axes: list, x: Any) -> tuple:
    if len(set(axes)) != len(axes):
        where = f"{x.name} of shape {x.shape}" if isinstance(x, Tensor) else f"an array of shape {x}"
        raise ValueError(f"Reduction axes {axes} of {where} contain a duplicate dimension; "
                         "list each axis once.")
    return tuple(sorted(axes))


def _runtime_axes(shape: tuple, axis: Optional[tuple]) -> tuple:
    """Axes normalized for an array of ``shape`` (attrs may hold negative axes for unknown ranks)."""
    ndim = len(shape)
    if axis is None:
        return tuple(range(ndim))
    if any(not -ndim <= a < ndim for a in axis):
        raise ValueError(f"Invalid reduction axes {list(axis)} for an array of shape {shape}")
    return _unique_axes([a % ndim for a in axis], shape)


def _reduced_shape(shape: TensorShape, axes: Optional[tuple], keepdims: bool) -> TensorShape:
    dims = shape.as_tuple()
    if dims is None:
        if axes is None and not keepdims:
            return TensorShape([])
        return TensorShape(None)
    if keepdims:
        return TensorShape([1 if i in axes else d for i, d in enumerate(dims)])
    return TensorShape([d for i, d in enumerate(dims) if i not in axes])


def _check_dtype(op_type: str, allowed: str, x: Tensor) -> None:
    if not _ALLOWED[allowed](x.dtype):
        raise TypeError(f"{op_type} cannot reduce {x.name} of dtype {x.dtype.name} (shape {x.shape}): "
                        f"it needs a {allowed} tensor. Use tf.cast first.")


def _reduce_infer(op_type: str, allowed: str) -> Callable:
    def infer(inputs, attrs):
        x = inputs[0]
        _check_dtype(op_type, allowed, x)
        rank = x.shape.ndims
        axes = attrs["axis"]
        if rank is not None:  # attrs may hold None/negative axes recorded while the rank was unknown
            if axes is None:
                axes = tuple(range(rank))
            elif any(not -rank <= a < rank for a in axes):
                raise ValueError(f"Invalid reduction axes {list(axes)} for {x.name} of shape {x.shape}")
            else:
                axes = tuple(a % rank for a in axes)
        return [(x.dtype, _reduced_shape(x.shape, axes, attrs["keepdims"]))]
    return infer


# ------------------------------------------------------------------------------------------------
# numpy kernels

def _accumulator(dtype: np.dtype) -> np.dtype:
    """float16 sums accumulate in float32; every other dtype in itself (as TF1 does)."""
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def _kernel(reduce_fn: Callable) -> Callable:
    """Wraps ``reduce_fn(x, axes, keepdims)`` so it gets normalized axes and returns x's dtype."""
    def kernel(x, axis, keepdims):
        x = np.asarray(x)
        out = reduce_fn(x, _runtime_axes(x.shape, axis), keepdims)
        return np.asarray(out).astype(x.dtype, copy=False)
    return kernel


def _sum_np(x, axes, keepdims):
    return np.sum(x, axis=axes, dtype=_accumulator(x.dtype), keepdims=keepdims)


def _prod_np(x, axes, keepdims):
    return np.prod(x, axis=axes, dtype=_accumulator(x.dtype), keepdims=keepdims)


def _count(shape: tuple, axes: tuple) -> int:
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def _mean_np(x, axes, keepdims):
    total = _sum_np(x, axes, keepdims)
    n = _count(x.shape, axes)
    if x.dtype.kind in "iu":  # integer mean truncates toward zero, as TF1 does
        n = max(n, 1)
        return np.where(total < 0, -((-total) // n), total // n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / n


def _extreme_np(ufunc: np.ufunc, float_identity: float, int_identity: str) -> Callable:
    """max/min with TF1's identity for empty reductions (-inf/+inf, or the int limits); NaN propagates."""
    def reduce(x, axes, keepdims):
        if x.dtype.kind == "f":
            initial = float_identity
        else:
            initial = getattr(np.iinfo(x.dtype), int_identity)
        return ufunc.reduce(x, axis=axes, keepdims=keepdims, initial=initial)
    return reduce


# ------------------------------------------------------------------------------------------------
# gradients (written with graphc ops)

def _with_kept_dims(t: Tensor, op) -> Tensor:
    """A reduction result (or its gradient) ``t`` reshaped to the input's rank, reduced dims of size 1."""
    if op.attrs["keepdims"] or op.attrs["axis"] is None:
        return t  # already kept, or a scalar that broadcasts against the input
    x = op.inputs[0]
    if x.shape.ndims is not None:
        for a in op.attrs["axis"]:
            t = array.expand_dims(t, a)
        return t
    kept = _reduce("Sum", x, op.attrs["axis"], True, "kept_shape")  # only its shape is used
    return array.reshape(t, array.shape(kept))


def _sum_grad(op, g):
    return [array.broadcast_to(_with_kept_dims(g, op), array.shape(op.inputs[0]))]


def _reduced_count(op, dtype: dtypes.DType) -> Any:
    """How many input elements each output element averages: static when known, else at run time."""
    x, y = op.inputs[0], op.outputs[0]
    dims = x.shape.as_tuple()
    axes = op.attrs["axis"]
    if dims is not None and axes is not None and all(dims[a] is not None for a in axes):
        return _count(dims, axes)
    per_output = m.floordiv(array.size(x), m.maximum(array.size(y), 1))
    return m.cast(per_output, dtype)


def _mean_grad(op, g):
    scaled = _with_kept_dims(g, op) / _reduced_count(op, g.dtype)
    return [array.broadcast_to(scaled, array.shape(op.inputs[0]))]


def _extreme_grad(op, g):
    """TF1's rule: the gradient is shared equally among the elements equal to the extreme value."""
    x = op.inputs[0]
    y = _with_kept_dims(op.outputs[0], op)
    indicators = m.cast(m.equal(y, x), g.dtype)
    ties = _reduce("Sum", indicators, op.attrs["axis"], True, "Sum")
    return [indicators / ties * _with_kept_dims(g, op)]


def _prod_grad(op, g):
    """Zero-safe: d prod / d x_i is the product of the others, so with one zero in a reduced group
    only the zero gets a gradient (the product of the non-zeros), and with two or more none does."""
    x = op.inputs[0]
    axes = op.attrs["axis"]
    zero = constant(np.zeros((), x.dtype.np_type), name="zero")
    one = constant(np.ones((), x.dtype.np_type), name="one")
    is_zero = m.equal(x, zero)
    zeros = array.broadcast_to(zero, array.shape(x))
    x_safe = m.where(is_zero, array.broadcast_to(one, array.shape(x)), x)
    prod_nonzero = _reduce("Prod", x_safe, axes, True, "Prod")
    zero_count = _reduce("Sum", m.cast(is_zero, x.dtype), axes, True, "Sum")
    no_zero = m.equal(zero_count, zero)
    lone_zero = m.logical_and(m.equal(zero_count, one), is_zero)
    others = m.where(no_zero, prod_nonzero / x_safe, m.where(lone_zero, prod_nonzero + zeros, zeros))
    return [others * _with_kept_dims(g, op)]


# ------------------------------------------------------------------------------------------------
# the primitives: (type, numpy reduction, gradient rule or None, allowed dtypes)

_REDUCTIONS = [
    ("Sum", _sum_np, _sum_grad, NUMERIC),
    ("Mean", _mean_np, _mean_grad, NUMERIC),
    ("Prod", _prod_np, _prod_grad, NUMERIC),
    ("Max", _extreme_np(np.maximum, -np.inf, "min"), _extreme_grad, NUMERIC),
    ("Min", _extreme_np(np.minimum, np.inf, "max"), _extreme_grad, NUMERIC),
    ("Any", lambda x, axes, keepdims: np.any(x, axis=axes, keepdims=keepdims), None, BOOL),
    ("All", lambda x, axes, keepdims: np.all(x, axis=axes, keepdims=keepdims), None, BOOL),
]
for _type, _fn, _grad, _allowed in _REDUCTIONS:
    register(OpDef(_type, "reduction", infer=_reduce_infer(_type, _allowed), numpy=_kernel(_fn),
                   grad=_grad, differentiable=_grad is not None, lowering=Lowering.REDUCTION))


def _arg_infer(op_type: str) -> Callable:
    def infer(inputs, attrs):
        x = inputs[0]
        _check_dtype(op_type, NUMERIC, x)
        if not attrs["output_type"].is_integer:
            raise TypeError(f"{op_type}: output_type must be int32 or int64, got {attrs['output_type'].name}")
        dims = x.shape.as_tuple()
        if dims is None:
            return [(attrs["output_type"], TensorShape(None))]
        axis = attrs["axis"]   # may be negative when recorded while the rank was unknown
        if not -len(dims) <= axis < len(dims):
            raise ValueError(f"Invalid {op_type} axis {axis} for {x.name} of shape {x.shape}")
        axis %= len(dims)
        if dims[axis] == 0:
            raise ValueError(f"{op_type} of {x.name} (shape {x.shape}) along axis {axis}, which is empty: "
                             "there is no element to pick.")
        return [(attrs["output_type"], TensorShape(dims[:axis] + dims[axis + 1:]))]
    return infer


def _arg_kernel(np_fn: Callable) -> Callable:
    def kernel(x, axis, output_type):
        x = np.asarray(x)
        return np.asarray(np_fn(x, axis=axis % max(x.ndim, 1))).astype(output_type.np_type)
    return kernel


for _type, _fn in (("ArgMax", np.argmax), ("ArgMin", np.argmin)):
    register(OpDef(_type, "reduction", infer=_arg_infer(_type), numpy=_arg_kernel(_fn), differentiable=False))


# ------------------------------------------------------------------------------------------------
# public API

def _reduce(op_type: str, x: Any, axis: Any, keepdims: bool, name: str) -> Tensor:
    x = convert_to_tensor(x)
    axes = _static_axes(x, _axis_list(axis))
    return apply(op_type, [x], {"axis": axes, "keepdims": bool(keepdims)}, name)


def _merge_alias(value: Any, alias: Any, what: str, alias_name: str) -> Any:
    if alias is not None:
        if value is not None:
            raise ValueError(f"Cannot specify both '{what}' and '{alias_name}'.")
        return alias
    return value


def _reduction_fn(op_type: str, doc: str) -> Callable:
    def fn(input_tensor: Any, axis: Any = None, keepdims: Optional[bool] = None, name: Optional[str] = None,
           reduction_indices: Any = None, keep_dims: Optional[bool] = None) -> Tensor:
        axis = _merge_alias(axis, reduction_indices, "axis", "reduction_indices")
        keepdims = _merge_alias(keepdims, keep_dims, "keepdims", "keep_dims")
        return _reduce(op_type, input_tensor, axis, bool(keepdims), name or op_type)
    fn.__doc__ = doc
    return fn


reduce_sum = _reduction_fn("Sum", "Sum of elements along ``axis`` (all axes when None).")
reduce_mean = _reduction_fn("Mean", "Mean along ``axis``; integer inputs give the integer mean, "
                                    "truncated toward zero (as TF1).")
reduce_max = _reduction_fn("Max", "Maximum along ``axis``; NaN propagates; empty reductions give -inf.")
reduce_min = _reduction_fn("Min", "Minimum along ``axis``; NaN propagates; empty reductions give +inf.")
reduce_prod = _reduction_fn("Prod", "Product of elements along ``axis``.")
reduce_any = _reduction_fn("Any", "Logical or of a bool tensor along ``axis``.")
reduce_all = _reduction_fn("All", "Logical and of a bool tensor along ``axis``.")


def reduce_logsumexp(input_tensor: Any, axis: Any = None, keepdims: Optional[bool] = None,
                     name: Optional[str] = None, reduction_indices: Any = None,
                     keep_dims: Optional[bool] = None) -> Tensor:
    """log(sum(exp(x))) along ``axis``, shifted by the (finite) max so it neither overflows nor underflows."""
    axis = _merge_alias(axis, reduction_indices, "axis", "reduction_indices")
    keepdims = bool(_merge_alias(keepdims, keep_dims, "keepdims", "keep_dims"))
    x = convert_to_tensor(input_tensor)
    if not x.dtype.is_floating:
        raise TypeError(f"reduce_logsumexp needs a float tensor, got {x.name} of dtype {x.dtype.name}")
    graph = x.graph
    with graph.as_default(), graph.name_scope(name or "ReduceLogSumExp") as scope:
        raw_max = reduce_max(x, axis, keepdims=True)
        finite = m.less(m.abs(raw_max), np.inf)
        shift = source.stop_gradient(m.where(finite, raw_max, 0))
        result = m.log(reduce_sum(m.exp(x - shift), axis, keepdims=keepdims))
        if not keepdims:
            shift = array.reshape(shift, array.shape(result))
        return m.add(result, shift, name=scope)


def _arg_fn(op_type: str, doc: str) -> Callable:
    def fn(input: Any, axis: Any = None, name: Optional[str] = None, dimension: Any = None,
           output_type: Any = dtypes.int64) -> Tensor:
        axis = _merge_alias(axis, dimension, "axis", "dimension")
        x = convert_to_tensor(input)
        axes = _axis_list(0 if axis is None else axis)
        if len(axes) != 1:
            raise ValueError(f"{op_type} takes one axis, got {axis!r}")
        (a,) = _static_axes(x, axes) or axes
        return apply(op_type, [x], {"axis": a, "output_type": dtypes.as_dtype(output_type)}, name or op_type)
    fn.__doc__ = doc
    return fn


argmax = _arg_fn("ArgMax", "Index of the largest element along ``axis`` (default 0); ties give the first.")
argmin = _arg_fn("ArgMin", "Index of the smallest element along ``axis`` (default 0); ties give the first.")


def arg_max(input: Any, dimension: Any, output_type: Any = dtypes.int64, name: Optional[str] = None) -> Tensor:
    """TF1's deprecated ``tf.arg_max``."""
    return argmax(input, dimension, name=name, output_type=output_type)


def arg_min(input: Any, dimension: Any, output_type: Any = dtypes.int64, name: Optional[str] = None) -> Tensor:
    """TF1's deprecated ``tf.arg_min``."""
    return argmin(input, dimension, name=name, output_type=output_type)


def count_nonzero(input_tensor: Any = None, axis: Any = None, keepdims: Optional[bool] = None,
                  dtype: Any = dtypes.int64, name: Optional[str] = None, reduction_indices: Any = None,
                  keep_dims: Optional[bool] = None, input: Any = None) -> Tensor:
    """Number of non-zero (non-False) elements along ``axis``, as ``dtype`` (default int64)."""
    input_tensor = _merge_alias(input_tensor, input, "input_tensor", "input")
    axis = _merge_alias(axis, reduction_indices, "axis", "reduction_indices")
    keepdims = bool(_merge_alias(keepdims, keep_dims, "keepdims", "keep_dims"))
    x = convert_to_tensor(input_tensor)
    graph = x.graph
    with graph.as_default(), graph.name_scope(name or "count_nonzero"):
        zero = constant(np.zeros((), x.dtype.np_type), name="zeros")
        nonzero = m.cast(m.not_equal(x, zero), dtype)
        return reduce_sum(nonzero, axis, keepdims=keepdims)


__all__ = ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_any", "reduce_all",
           "reduce_logsumexp", "argmax", "argmin", "arg_max", "arg_min", "count_nonzero"]
