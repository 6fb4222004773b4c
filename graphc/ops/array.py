"""Array ops: shape queries, reshaping, broadcasting, unit dims, slicing, creation, transpose.

Joining and splitting live in join_split.py, tile and pad in tile_pad.py, gather, segment sums and
one_hot in gather.py; the argument checks they share with this module are in op_args.py.

``BroadcastTo`` and ``SumTo`` are adjoint primitives: broadcasting gradients are summed back to an
input's shape in exactly one place, ``unbroadcast``.
"""
from __future__ import annotations

import builtins
from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import core
from graphc.ops import math as m
from graphc.ops.core import (Lowering, OpDef, apply, as_shape_tensor, broadcast_shape, constant_value,
                             convert_to_tensor, normalize_axis, register, shape_value)
from graphc.ops.op_args import (check_int, check_one_dtype, check_scalar, describe, graph_scope, scalar_of,
                                static_int, static_list)
from graphc.shape import TensorShape


# ------------------------------------------------------------------------------------------------
# shape queries

def _shape_infer(inputs, attrs):
    r = inputs[0].shape.ndims
    return [(attrs["out_type"], TensorShape([r]))]


register(OpDef("Shape", "source", infer=_shape_infer, differentiable=False,
               numpy=lambda x, out_type: np.array(np.shape(x), dtype=out_type.np_type), lowering=Lowering.HOST))
register(OpDef("Size", "source", infer=lambda i, a: [(a["out_type"], TensorShape([]))], differentiable=False,
               numpy=lambda x, out_type: np.array(np.size(x), dtype=out_type.np_type), lowering=Lowering.HOST))
register(OpDef("Rank", "source", infer=lambda i, a: [(dtypes.int32, TensorShape([]))], differentiable=False,
               numpy=lambda x: np.array(np.ndim(x), dtype=np.int32), lowering=Lowering.HOST))


def shape(input: Any, name: str = "Shape", out_type: Any = dtypes.int32) -> Tensor:
    """The dynamic shape of ``input`` as a 1-D int tensor."""
    return apply("Shape", [input], {"out_type": dtypes.as_dtype(out_type)}, name)


def size(input: Any, name: str = "Size", out_type: Any = dtypes.int32) -> Tensor:
    return apply("Size", [input], {"out_type": dtypes.as_dtype(out_type)}, name)


def rank(input: Any, name: str = "Rank") -> Tensor:
    return apply("Rank", [input], name=name)


# ------------------------------------------------------------------------------------------------
# reshape

def _reshape_target(in_shape: TensorShape, target: Optional[list]) -> TensorShape:
    """The static result of reshaping ``in_shape`` to ``target`` (ints, -1, or None for run-time dims)."""
    if target is None:
        return TensorShape(None)
    if sum(1 for d in target if d == -1) > 1:
        raise ValueError(f"At most one dimension of a reshape target can be -1, got {target}")
    if any(d is not None and d < -1 for d in target):
        raise ValueError(f"A reshape target can only hold sizes >= 0 or -1, got {target}")
    known_in = in_shape.num_elements()
    open_dims = [i for i, d in enumerate(target) if d is None or d == -1]
    prod = int(np.prod([d for d in target if d is not None and d != -1], dtype=np.int64))
    out = [None if d == -1 else d for d in target]
    if known_in is None:
        return TensorShape(out)
    if not open_dims:
        if prod != known_in:
            raise ValueError(f"Cannot reshape a tensor with {known_in} elements to shape {target} "
                             f"({prod} elements)")
        return TensorShape(out)
    if prod and known_in % prod:
        raise ValueError(f"Cannot reshape a tensor with {known_in} elements to shape {target}: "
                         f"{known_in} is not a multiple of {prod}")
    if len(open_dims) == 1 and prod:
        out[open_dims[0]] = known_in // prod
    return TensorShape(out)


def _reshape_infer(inputs, attrs):
    target = shape_value(inputs[1])
    return [(inputs[0].dtype, _reshape_target(inputs[0].shape, target))]


def _reshape_grad(op, g):
    return [reshape(g, shape(op.inputs[0])), None]


register(OpDef("Reshape", "movement", infer=_reshape_infer, grad=_reshape_grad,
               numpy=lambda x, s: np.reshape(x, tuple(int(d) for d in s)), lowering=Lowering.VIEW, meta_inputs={1}))


def reshape(tensor: Any, shape: Any, name: str = "Reshape") -> Tensor:
    """``tf.reshape``; one dim may be -1 and is inferred."""
    return apply("Reshape", [tensor, as_shape_tensor(shape)], name=name)


# ------------------------------------------------------------------------------------------------
# broadcasting and its adjoint

def _broadcast_to_infer(inputs, attrs):
    x = inputs[0]
    target = shape_value(inputs[1])
    out = TensorShape(target) if target is not None else TensorShape(None)
    merged = broadcast_shape(x.shape, out, inputs[0].name, "the target shape")
    if out.ndims is not None and merged.ndims != out.ndims:
        raise ValueError(f"Cannot broadcast {x.name} of shape {x.shape} to the lower rank shape {out}")
    return [(x.dtype, merged)]


def _sum_to_numpy(g, target):
    target = tuple(int(d) for d in target)
    g = np.asarray(g)
    lead = g.ndim - len(target)
    stretched = tuple(lead + i for i, d in enumerate(target) if d == 1 and g.shape[lead + i] != 1)
    axes = tuple(builtins.range(lead)) + stretched
    out = np.sum(g, axis=axes, keepdims=True, dtype=g.dtype) if axes else g
    return np.reshape(out, target)


def _sum_to_infer(inputs, attrs):
    target = shape_value(inputs[1])
    return [(inputs[0].dtype, TensorShape(target) if target is not None else TensorShape(None))]


register(OpDef("BroadcastTo", "movement", infer=_broadcast_to_infer,
               numpy=lambda x, s: np.broadcast_to(x, tuple(int(d) for d in s)),
               grad=lambda op, g: [sum_to(g, shape(op.inputs[0])), None],
               lowering=Lowering.ELEMENTWISE, meta_inputs={1}))   # read with broadcasting in pointwise kernels
register(OpDef("SumTo", "reduction", infer=_sum_to_infer, numpy=_sum_to_numpy,
               grad=lambda op, g: [broadcast_to(g, shape(op.inputs[0])), None], meta_inputs={1}))


def broadcast_to(input: Any, shape: Any, name: str = "BroadcastTo") -> Tensor:
    """``tf.broadcast_to``: repeats ``input`` along size-1 (or missing leading) dims."""
    return apply("BroadcastTo", [input, as_shape_tensor(shape)], name=name)


def sum_to(g: Any, shape: Any, name: str = "SumTo") -> Tensor:
    """Sums ``g`` down to ``shape``: the adjoint of ``broadcast_to``."""
    return apply("SumTo", [g, as_shape_tensor(shape)], name=name)


def unbroadcast(grad: Optional[Tensor], x: Tensor) -> Optional[Tensor]:
    """The gradient ``grad`` (of a broadcast result) summed back to the shape of input ``x``."""
    if grad is None:
        return None
    gs, xs = grad.shape, x.shape
    if gs.is_fully_defined() and xs.is_fully_defined() and gs == xs:
        return grad
    return sum_to(grad, shape(x))


# ------------------------------------------------------------------------------------------------
# adding and removing unit dims

def _expand_dims_infer(inputs, attrs):
    x = inputs[0]
    dims = x.shape.as_tuple()
    if dims is None:
        return [(x.dtype, TensorShape(None))]
    axis = normalize_axis(attrs["axis"], len(dims) + 1)
    return [(x.dtype, TensorShape(dims[:axis] + (1,) + dims[axis:]))]


def _squeeze_all(axis) -> bool:
    return axis is None or (not isinstance(axis, int) and len(axis) == 0)


def _squeeze_axes(dims: tuple, axis) -> tuple:
    if _squeeze_all(axis):
        if any(d is None for d in dims):
            raise ValueError(f"squeeze without axis needs a fully known shape, got {TensorShape(dims)}; pass axis=")
        return tuple(i for i, d in enumerate(dims) if d == 1)
    axes = [axis] if isinstance(axis, int) else list(axis)
    axes = tuple(sorted(normalize_axis(a, len(dims)) for a in axes))
    for a in axes:
        if dims[a] not in (1, None):
            raise ValueError(f"Can not squeeze dim[{a}], expected a dimension of 1, got {dims[a]} "
                             f"(shape {TensorShape(dims)})")
    return axes


def _squeeze_infer(inputs, attrs):
    x = inputs[0]
    dims = x.shape.as_tuple()
    if dims is None or (_squeeze_all(attrs["axis"]) and None in dims):
        return [(x.dtype, TensorShape(None))]  # which dims are 1 is only known at run time (as in TF1)
    axes = _squeeze_axes(dims, attrs["axis"])
    return [(x.dtype, TensorShape([d for i, d in enumerate(dims) if i not in axes]))]


def _squeeze_numpy(x, axis):
    return np.squeeze(x, axis=_squeeze_axes(np.shape(x), axis))


def _squeeze_grad(op, g):
    return [reshape(g, shape(op.inputs[0]))]


register(OpDef("ExpandDims", "movement", infer=_expand_dims_infer,
               numpy=lambda x, axis: np.expand_dims(x, axis),
               grad=lambda op, g: [squeeze(g, [op.attrs["axis"] % (op.outputs[0].shape.ndims or 1)])
                                   if op.outputs[0].shape.ndims is not None else reshape(g, shape(op.inputs[0]))],
               lowering=Lowering.VIEW))
register(OpDef("Squeeze", "movement", infer=_squeeze_infer, numpy=_squeeze_numpy, grad=_squeeze_grad,
               lowering=Lowering.VIEW))


def expand_dims(input: Any, axis: int = None, name: str = "ExpandDims", dim: int = None) -> Tensor:
    """Inserts a size-1 dimension at ``axis`` (negative counts from the end of the result)."""
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("expand_dims needs an axis")
    return apply("ExpandDims", [input], {"axis": int(axis)}, name)


def squeeze(input: Any, axis: Any = None, name: str = "Squeeze", squeeze_dims: Any = None) -> Tensor:
    """Removes size-1 dimensions (all, or those in ``axis``)."""
    axis = squeeze_dims if axis is None else axis
    if axis is not None and not isinstance(axis, int):
        axis = tuple(int(a) for a in axis)
    return apply("Squeeze", [input], {"axis": axis}, name)


__all__ = ["shape", "size", "rank", "reshape", "broadcast_to", "expand_dims", "squeeze"]


# ------------------------------------------------------------------------------------------------
# slicing: x[key] with ints, slices (with steps), negative indices, Ellipsis and None (newaxis)

def _key_items(key: Any) -> tuple:
    """Normalizes a Python index to a hashable tuple of ('int', i) / ('slice', a, b, c) / ('new',) / ('ellipsis',)."""
    items = key if isinstance(key, tuple) else (key,)
    out = []
    for k in items:
        if k is Ellipsis:
            out.append(("ellipsis",))
        elif k is None:
            out.append(("new",))
        elif isinstance(k, builtins.slice):
            out.append(("slice",) + tuple(static_int(v) for v in (k.start, k.stop, k.step)))
        else:
            out.append(("int", static_int(k)))
    if sum(1 for i in out if i[0] == "ellipsis") > 1:
        raise ValueError("An index can only have a single ellipsis ('...')")
    return tuple(out)


def python_key(spec: tuple) -> tuple:
    """StridedSlice's ``spec`` as the numpy index it applies (slices, ints, None, Ellipsis)."""
    return tuple(Ellipsis if i[0] == "ellipsis" else None if i[0] == "new" else
                 builtins.slice(*i[1:]) if i[0] == "slice" else i[1] for i in spec)


def _expand_spec(spec: tuple, rank: int) -> tuple:
    """Replaces the ellipsis (or pads at the end) with full slices, so each input dim has one item."""
    consumed = sum(1 for i in spec if i[0] in ("int", "slice"))
    if consumed > rank:
        raise ValueError(f"Too many indices ({consumed}) for a tensor of rank {rank}")
    fill = (("slice", None, None, None),) * (rank - consumed)
    if any(i[0] == "ellipsis" for i in spec):
        pos = next(n for n, i in enumerate(spec) if i[0] == "ellipsis")
        return spec[:pos] + fill + spec[pos + 1:]
    return spec + fill


def _slice_infer(inputs, attrs):
    x = inputs[0]
    dims = x.shape.as_tuple()
    spec = attrs["spec"]
    if dims is None:
        return [(x.dtype, TensorShape(None))]
    bounds = attrs.get("slice_bounds")
    if bounds is not None:
        if len(bounds[0]) != len(dims):
            raise ValueError(f"tf.slice of {x.name} with shape {x.shape} needs {len(dims)} begin and size "
                             f"values, got begin {list(bounds[0])} and size {list(bounds[1])}")
        problem = _slice_bounds_error(dims, bounds)
        if problem is not None:
            raise ValueError(f"tf.slice of {x.name} with shape {x.shape}: {problem}")
    out = []
    d = 0
    for item in _expand_spec(spec, len(dims)):
        if item[0] == "new":
            out.append(1)
            continue
        size = dims[d]
        if item[0] == "int":
            if size is not None and not -size <= item[1] < size:
                raise ValueError(f"Index {item[1]} is out of bounds for dimension {d} of {x.name} with shape {x.shape}")
            d += 1
            continue
        start, stop, step = item[1:]
        if step == 0:
            raise ValueError("Slice step cannot be zero")
        out.append(None if size is None else len(builtins.range(*builtins.slice(start, stop, step).indices(size))))
        d += 1
    return [(x.dtype, TensorShape(out))]


def _slice_grad(op, g):
    return [apply("StridedSliceGrad", [g, shape(op.inputs[0])], {"spec": op.attrs["spec"]}, "StridedSliceGrad")]


def _slice_grad_numpy(g, s, spec):
    out = np.zeros(tuple(int(d) for d in s), dtype=g.dtype)
    out[python_key(spec)] = g
    return out


def _slice_grad_infer(inputs, attrs):
    dims = shape_value(inputs[1])
    return [(inputs[0].dtype, TensorShape(dims) if dims is not None else TensorShape(None))]


def _slice_bounds_error(dims: tuple, bounds: tuple) -> Optional[str]:
    """TF1's complaint about ``tf.slice(begin, size)`` on a tensor of shape ``dims`` (unknown sizes
    are None), or None when the slice fits: TF1 never truncates a slice that runs past the end."""
    begin, size = bounds
    for i, (d, b, s) in enumerate(zip(dims, begin, size)):
        if d is None:
            continue
        if not 0 <= b <= d:
            return f"Expected begin[{i}] in [0, {d}], but got {b}"
        if s != -1 and not 0 <= s <= d - b:
            return f"Expected size[{i}] in [0, {d - b}], but got {s}"
    return None


def _strided_slice_numpy(x, spec, slice_bounds=None):
    x = np.asarray(x)
    if slice_bounds is not None:
        problem = _slice_bounds_error(x.shape, slice_bounds)
        if problem is not None:
            raise ValueError(f"tf.slice of a tensor of shape {x.shape}: {problem}")
    return x[python_key(spec)]


register(OpDef("StridedSlice", "movement", infer=_slice_infer, grad=_slice_grad, numpy=_strided_slice_numpy,
               gather=True))
register(OpDef("StridedSliceGrad", "movement", infer=_slice_grad_infer, numpy=_slice_grad_numpy,
               grad=lambda op, g: [strided_slice_spec(g, op.attrs["spec"]), None], meta_inputs={1}, gather=True))


def strided_slice_spec(x: Any, spec: tuple, name: str = "strided_slice") -> Tensor:
    return apply("StridedSlice", [x], {"spec": spec}, name)


def getitem(x: Any, key: Any) -> Tensor:
    """``x[key]`` for Tensors and Variables (numpy basic indexing semantics)."""
    return strided_slice_spec(x, _key_items(key))


def slice(input_: Any, begin: Any, size: Any, name: str = "Slice") -> Tensor:
    """``tf.slice``: ``size[i]`` elements from ``begin[i]`` in each dim (-1: to the end)."""
    begin = [static_int(b) for b in (begin if isinstance(begin, (list, tuple)) else static_list(begin))]
    size = [static_int(s) for s in (size if isinstance(size, (list, tuple)) else static_list(size))]
    if len(begin) != len(size):
        raise ValueError(f"tf.slice: begin {begin} and size {size} must have the same length")
    spec = tuple(("slice", b, None if s == -1 else b + s, None) for b, s in zip(begin, size))
    return apply("StridedSlice", [input_], {"spec": spec, "slice_bounds": (tuple(begin), tuple(size))}, name)


def dim_or_tensor(t: Tensor, axis: int) -> Any:
    """The size of ``t`` along ``axis``: an int when static, else a scalar int32 tensor."""
    dims = t.shape.as_tuple()
    if dims is not None and dims[axis] is not None:
        return dims[axis]
    return getitem(shape(t), axis)


__all__ += ["slice"]


# ------------------------------------------------------------------------------------------------
# creation: fill, zeros, ones, zeros_like, ones_like, range

_SMALL_CONSTANT = 1000  # like TF1, smaller all-equal tensors of a static shape become constants


def _fill_infer(inputs, attrs):
    dims, value = inputs
    check_int("fill's dims", dims)
    check_scalar("fill's value", value)
    if dims.shape.ndims not in (None, 1):
        raise ValueError(f"fill's dims must be a 1-D shape, got {dims.name} with shape {dims.shape}")
    target = shape_value(dims)
    if target is not None and any(d is not None and d < 0 for d in target):
        raise ValueError(f"Fill dimensions must be >= 0, got {target}")
    return [(value.dtype, TensorShape(target) if target is not None else TensorShape(None))]


def _fill_numpy(dims, value):
    return np.full(tuple(int(d) for d in dims), value, dtype=value.dtype)


register(OpDef("Fill", "movement", infer=_fill_infer, numpy=_fill_numpy,
               grad=lambda op, g: [None, unbroadcast(g, op.inputs[1])], meta_inputs={0}))


def fill(dims: Any, value: Any, name: str = "Fill") -> Tensor:
    """``tf.fill``: a tensor of shape ``dims`` with every element equal to the scalar ``value``."""
    return apply("Fill", [as_shape_tensor(dims), value], name=name)


def _static_shape(shape: Any) -> Optional[list]:
    """``shape`` as a list of ints when it is a Python/numpy shape, or None when it is a tensor."""
    shape = core.static_dims_to_ints(shape)
    if core._graph_tensor_or_none(shape) is not None:
        return None
    if isinstance(shape, (list, tuple)) and any(core._graph_tensor_or_none(d) is not None for d in shape):
        return None
    dims = [int(d) for d in np.reshape(np.asarray(shape), (-1,))]
    if any(d < 0 for d in dims):
        raise ValueError(f"Fill dimensions must be >= 0, got {dims}")
    return dims


def _filled(shape: Any, value: Any, dtype: Any, name: str) -> Tensor:
    dt = dtypes.as_dtype(dtype)
    dims = _static_shape(shape)
    if dims is not None and int(np.prod(dims, dtype=np.int64)) < _SMALL_CONSTANT:
        return core.constant(np.full(dims, scalar_of(value, dt)), dtype=dt, name=name)
    with graph_scope([shape], name) as scope:
        return fill(as_shape_tensor(shape), core.constant(scalar_of(value, dt), dtype=dt), name=scope)


def zeros(shape: Any, dtype: Any = dtypes.float32, name: Optional[str] = None) -> Tensor:
    """``tf.zeros``; ``shape`` is a list of ints or an int tensor (``tf.shape(x)``)."""
    return _filled(shape, 0, dtype, name or "zeros")


def ones(shape: Any, dtype: Any = dtypes.float32, name: Optional[str] = None) -> Tensor:
    """``tf.ones``; ``shape`` is a list of ints or an int tensor (``tf.shape(x)``)."""
    return _filled(shape, 1, dtype, name or "ones")


def _filled_like(tensor: Any, value: Any, dtype: Any, name: str, optimize: bool) -> Tensor:
    x = convert_to_tensor(tensor)
    dt = dtypes.as_dtype(dtype) if dtype is not None else x.dtype
    if optimize and x.shape.is_fully_defined():
        return _filled(x.shape.as_list(), value, dt, name)
    with graph_scope([x], name) as scope:
        return fill(shape(x), core.constant(scalar_of(value, dt), dtype=dt), name=scope)


def zeros_like(tensor: Any, dtype: Any = None, name: Optional[str] = None, optimize: bool = True) -> Tensor:
    """Zeros with the (possibly run-time) shape of ``tensor``; its dtype unless ``dtype`` is given."""
    return _filled_like(tensor, 0, dtype, name or "zeros_like", optimize)


def ones_like(tensor: Any, dtype: Any = None, name: Optional[str] = None, optimize: bool = True) -> Tensor:
    """Ones with the (possibly run-time) shape of ``tensor``; its dtype unless ``dtype`` is given."""
    return _filled_like(tensor, 1, dtype, name or "ones_like", optimize)


_RANGE_DTYPES = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)


def _range_size(start, limit, delta) -> int:
    """TF's element count, computed in the op's dtype; raises for an empty direction or zero delta."""
    if delta == 0:
        raise ValueError("Requires delta != 0")
    if delta > 0 and start > limit:
        raise ValueError(f"Requires start <= limit when delta > 0: {start}/{limit}")
    if delta < 0 and start < limit:
        raise ValueError(f"Requires start >= limit when delta < 0: {start}/{limit}")
    if np.issubdtype(np.asarray(start).dtype, np.integer):
        return int((abs(limit - start) + abs(delta) - 1) // abs(delta))
    return int(np.ceil(np.abs((limit - start) / delta)))


def _range_infer(inputs, attrs):
    check_one_dtype("range", inputs)
    for what, t in zip(("start", "limit", "delta"), inputs):
        check_scalar(f"range's {what}", t)
    dt = inputs[0].dtype
    if dt not in _RANGE_DTYPES:
        raise TypeError(f"range needs int32, int64, float32 or float64 values, got {describe(inputs)}")
    values = [constant_value(t) for t in inputs]
    if any(v is None for v in values):
        return [(dt, TensorShape([None]))]
    return [(dt, TensorShape([_range_size(*values)]))]


def _range_numpy(start, limit, delta):
    n = _range_size(start, limit, delta)
    return (start + np.arange(n, dtype=start.dtype) * delta).astype(start.dtype)


register(OpDef("Range", "opaque", infer=_range_infer, numpy=_range_numpy, differentiable=False,
               meta_inputs={0, 1, 2}))


def _range_dtype(values: list) -> dtypes.DType:
    """The widest dtype of the arguments (int32 < int64 < float32 < float64), as TF1 infers it."""
    found = []
    for v in values:
        t = core._graph_tensor_or_none(v)
        found.append(t.dtype if t is not None else dtypes.infer_dtype(v))
    return max(found, key=lambda d: _RANGE_DTYPES.index(d) if d in _RANGE_DTYPES else -1)


def range(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,  # noqa: A001 (TF1's name)
          name: str = "range") -> Tensor:
    """``tf.range``: ``start, start + delta, ...`` up to (not including) ``limit``."""
    if limit is None:
        start, limit = 0, start
    args = [start, limit, delta]
    dt = dtypes.as_dtype(dtype) if dtype is not None else _range_dtype(args)
    with graph_scope(args, name) as scope:
        tensors = []
        for what, v in zip(("start", "limit", "delta"), args):
            t = core._graph_tensor_or_none(v)
            if t is None:
                t = convert_to_tensor(v, dtype=dt, name=what)
            elif t.dtype is not dt:
                t = m.cast(t, dt, name=what)
            tensors.append(t)
        return apply("Range", tensors, name=scope)


__all__ += ["fill", "zeros", "ones", "zeros_like", "ones_like", "range"]


# ------------------------------------------------------------------------------------------------
# transpose

def _transpose_infer(inputs, attrs):
    x = inputs[0]
    perm = attrs["perm"]
    dims = x.shape.as_tuple()
    if perm is None:
        return [(x.dtype, TensorShape(None if dims is None else dims[::-1]))]
    if dims is not None and len(perm) != len(dims):
        raise ValueError(f"transpose of {x.name} with shape {x.shape} needs a perm of length {len(dims)}, "
                         f"got {list(perm)}")
    if sorted(perm) != list(builtins.range(len(perm))):
        raise ValueError(f"transpose perm {list(perm)} is not a permutation of 0..{len(perm) - 1} "
                         f"(for {x.name} with shape {x.shape})")
    return [(x.dtype, TensorShape([None] * len(perm) if dims is None else [dims[p] for p in perm]))]


def _static_perm(perm: Any) -> tuple:
    values = perm if isinstance(perm, (list, tuple)) else static_list(perm)
    return tuple(static_int(p) for p in values)


def _transpose_grad(op, g):
    perm = op.attrs["perm"]
    inverse = None if perm is None else tuple(int(i) for i in np.argsort(perm))
    return [transpose(g, inverse)]


register(OpDef("Transpose", "movement", infer=_transpose_infer, grad=_transpose_grad,
               numpy=lambda x, perm: np.transpose(x, perm), gather=True))


def transpose(a: Any, perm: Any = None, name: str = "transpose", conjugate: bool = False) -> Tensor:
    """``tf.transpose``: permutes dims (default: reverses them). ``conjugate`` is a no-op for real dtypes."""
    perm = None if perm is None else _static_perm(perm)
    return apply("Transpose", [a], {"perm": perm}, name)


__all__ += ["transpose"]
