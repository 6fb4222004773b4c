"""Array ops: creation, shapes, reshaping, broadcasting, slicing, joining, tiling, padding, gathering.

``BroadcastTo`` and ``SumTo`` are adjoint primitives: broadcasting gradients are summed back to an
input's shape in exactly one place, ``unbroadcast``.
"""
from __future__ import annotations

import builtins
from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops import core, source
from graphc.ops import math as m
from graphc.ops.core import (Lowering, OpDef, apply, as_shape_tensor, broadcast_shape, constant_value,
                             convert_to_tensor, make_op, normalize_axis, register, shape_value)
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
            out.append(("slice",) + tuple(_static_int(v) for v in (k.start, k.stop, k.step)))
        else:
            out.append(("int", _static_int(k)))
    if sum(1 for i in out if i[0] == "ellipsis") > 1:
        raise ValueError("An index can only have a single ellipsis ('...')")
    return tuple(out)


def _static_int(v: Any) -> Optional[int]:
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


def _python_key(spec: tuple) -> tuple:
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
    out[_python_key(spec)] = g
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
    return x[_python_key(spec)]


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
    begin = [_static_int(b) for b in (begin if isinstance(begin, (list, tuple)) else _static_list(begin))]
    size = [_static_int(s) for s in (size if isinstance(size, (list, tuple)) else _static_list(size))]
    if len(begin) != len(size):
        raise ValueError(f"tf.slice: begin {begin} and size {size} must have the same length")
    spec = tuple(("slice", b, None if s == -1 else b + s, None) for b, s in zip(begin, size))
    return apply("StridedSlice", [input_], {"spec": spec, "slice_bounds": (tuple(begin), tuple(size))}, name)


def _static_list(v: Any) -> list:
    t = convert_to_tensor(v)
    c = constant_value(t)
    if c is None:
        raise TypeError(f"{t.name} must be statically known here (a list of ints or a constant)")
    return [int(i) for i in np.reshape(c, (-1,))]


__all__ += ["slice"]


# ------------------------------------------------------------------------------------------------
# shared helpers for the ops below

def _graph_scope(values: Any, name: str):
    """A name scope in the graph of ``values`` (for compositions named after TF1's scopes)."""
    return core._graph_of(list(values)).name_scope(name)


def _outputs(op_type: str, inputs: list, attrs: dict, name: str) -> list:
    """Builds a multi-output op and returns its outputs as a list (even when there is one)."""
    return list(make_op(op_type, inputs, attrs, name).outputs)


def _describe(tensors: Any) -> str:
    return ", ".join(f"{t.name} {t.dtype.name} {t.shape}" for t in tensors)


def _check_one_dtype(what: str, tensors: list) -> None:
    first = tensors[0]
    for t in tensors[1:]:
        if t.dtype is not first.dtype:
            raise TypeError(f"{what} needs tensors of one dtype, got {_describe(tensors)}. "
                            "Use tf.cast to convert them.")


def _check_int(what: str, t: Tensor) -> None:
    if not t.dtype.is_integer:
        raise TypeError(f"{what} must be an int32 or int64 tensor, got {t.name} of dtype {t.dtype.name}")


def _check_scalar(what: str, t: Tensor) -> None:
    if t.shape.ndims not in (None, 0):
        raise ValueError(f"{what} must be a scalar, got {t.name} with shape {t.shape}")


def _merge_shapes(what: str, tensors: list) -> TensorShape:
    """The one static shape that all ``tensors`` share (None dims merge with known ones)."""
    out = TensorShape(None)
    for t in tensors:
        if not out.is_compatible_with(t.shape):
            raise ValueError(f"{what} needs tensors of one shape, got {_describe(tensors)}")
        out = out.merge_with(t.shape)
    return out


def _dim_or_tensor(t: Tensor, axis: int) -> Any:
    """The size of ``t`` along ``axis``: an int when static, else a scalar int32 tensor."""
    dims = t.shape.as_tuple()
    if dims is not None and dims[axis] is not None:
        return dims[axis]
    return getitem(shape(t), axis)


def _static_perm(perm: Any) -> tuple:
    values = perm if isinstance(perm, (list, tuple)) else _static_list(perm)
    return tuple(_static_int(p) for p in values)


# ------------------------------------------------------------------------------------------------
# creation: fill, zeros, ones, zeros_like, ones_like, range

_SMALL_CONSTANT = 1000  # like TF1, smaller all-equal tensors of a static shape become constants


def _fill_infer(inputs, attrs):
    dims, value = inputs
    _check_int("fill's dims", dims)
    _check_scalar("fill's value", value)
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


def _scalar_of(value: Any, dtype: dtypes.DType) -> np.ndarray:
    return np.array(value, dtype=dtype.np_type)


def _filled(shape: Any, value: Any, dtype: Any, name: str) -> Tensor:
    dt = dtypes.as_dtype(dtype)
    dims = _static_shape(shape)
    if dims is not None and int(np.prod(dims, dtype=np.int64)) < _SMALL_CONSTANT:
        return core.constant(np.full(dims, _scalar_of(value, dt)), dtype=dt, name=name)
    with _graph_scope([shape], name) as scope:
        return fill(as_shape_tensor(shape), core.constant(_scalar_of(value, dt), dtype=dt), name=scope)


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
    with _graph_scope([x], name) as scope:
        return fill(shape(x), core.constant(_scalar_of(value, dt), dtype=dt), name=scope)


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
    _check_one_dtype("range", inputs)
    for what, t in zip(("start", "limit", "delta"), inputs):
        _check_scalar(f"range's {what}", t)
    dt = inputs[0].dtype
    if dt not in _RANGE_DTYPES:
        raise TypeError(f"range needs int32, int64, float32 or float64 values, got {_describe(inputs)}")
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
    with _graph_scope(args, name) as scope:
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


# ------------------------------------------------------------------------------------------------
# joining and splitting: concat, stack, unstack, split

def _concat_infer(inputs, attrs):
    _check_one_dtype("concat", inputs)
    ranks = {t.shape.ndims for t in inputs if t.shape.ndims is not None}
    if len(ranks) > 1:
        raise ValueError(f"concat needs tensors of one rank, got {_describe(inputs)}")
    if not ranks:
        return [(inputs[0].dtype, TensorShape(None))]
    rank = ranks.pop()
    if rank == 0:
        raise ValueError(f"concat cannot join scalars ({_describe(inputs)}); use tf.stack")
    axis = normalize_axis(attrs["axis"], rank)
    out = []
    for i in builtins.range(rank):
        column = [t.shape.as_tuple()[i] if t.shape.ndims is not None else None for t in inputs]
        if i == axis:
            out.append(None if None in column else sum(column))
            continue
        known = {d for d in column if d is not None}
        if len(known) > 1:
            raise ValueError(f"concat along axis {axis} needs equal sizes in dimension {i}, "
                             f"got {_describe(inputs)}")
        out.append(known.pop() if known else None)
    return [(inputs[0].dtype, TensorShape(out))]


def _concat_grad(op, g):
    axis = op.attrs["axis"]
    sizes = [_dim_or_tensor(t, axis) if t.shape.ndims is not None else getitem(shape(t), axis)
             for t in op.inputs]
    return _outputs("SplitV", [g, as_shape_tensor(sizes, name="sizes")],
                    {"axis": axis, "num_split": len(sizes)}, "split")


register(OpDef("ConcatV2", "movement", infer=_concat_infer, grad=_concat_grad,
               numpy=lambda *xs, axis: np.concatenate(xs, axis=axis)))


def concat(values: Any, axis: Any, name: str = "concat") -> Tensor:
    """``tf.concat``: joins ``values`` along an existing ``axis`` (negative counts from the end)."""
    tensors = core.convert_n(list(values))
    if not tensors:
        raise ValueError("concat needs at least one tensor")
    axis = _static_int(axis)
    if len(tensors) == 1:
        with _graph_scope(tensors, name):
            return source.identity(tensors[0], name=name)
    return apply("ConcatV2", tensors, {"axis": axis}, name)


def _pack_infer(inputs, attrs):
    _check_one_dtype("stack", inputs)
    merged = _merge_shapes("stack", inputs)
    if merged.ndims is None:
        return [(inputs[0].dtype, TensorShape(None))]
    dims = list(merged.as_tuple())
    axis = normalize_axis(attrs["axis"], len(dims) + 1)
    return [(inputs[0].dtype, TensorShape(dims[:axis] + [len(inputs)] + dims[axis:]))]


def _pack_grad(op, g):
    return _outputs("Unpack", [g], {"axis": op.attrs["axis"], "num": len(op.inputs)}, "unstack")


register(OpDef("Pack", "movement", infer=_pack_infer, grad=_pack_grad,
               numpy=lambda *xs, axis: np.stack(xs, axis=axis)))


def _unpack_infer(inputs, attrs):
    x = inputs[0]
    dims = x.shape.as_tuple()
    num = attrs["num"]
    if dims is None:
        return [(x.dtype, TensorShape(None))] * num
    axis = normalize_axis(attrs["axis"], len(dims))
    if dims[axis] is not None and dims[axis] != num:
        raise ValueError(f"unstack of {x.name} with shape {x.shape} along axis {axis} gives "
                         f"{dims[axis]} tensors, but num={num}")
    return [(x.dtype, TensorShape(dims[:axis] + dims[axis + 1:]))] * num


def _unpack_numpy(x, axis, num):
    if x.shape[axis] != num:
        raise ValueError(f"unstack expected {num} slices along axis {axis}, got shape {x.shape}")
    return tuple(np.moveaxis(x, axis, 0))


def _filled_grads(op, grads: tuple) -> list:
    """``grads`` with each missing (None) gradient replaced by zeros shaped like that output."""
    return [g if g is not None else zeros_like(t) for t, g in zip(op.outputs, grads)]


register(OpDef("Unpack", "movement", infer=_unpack_infer, numpy=_unpack_numpy,
               grad=lambda op, *gs: [stack(_filled_grads(op, gs), axis=op.attrs["axis"])]))


def stack(values: Any, axis: int = 0, name: str = "stack") -> Tensor:
    """``tf.stack``: joins same-shaped ``values`` along a new ``axis``."""
    values = list(values)
    if not values:
        raise ValueError("stack needs at least one tensor")
    axis = _static_int(axis)
    if axis == 0 and not any(_holds_tensor(v) for v in values):
        return convert_to_tensor(values, name=name)  # a constant list stays a constant (as in TF1)
    return apply("Pack", core.convert_n(values), {"axis": axis}, name)


def _holds_tensor(v: Any) -> bool:
    if core._graph_tensor_or_none(v) is not None:
        return True
    return isinstance(v, (list, tuple)) and any(_holds_tensor(x) for x in v)


def unstack(value: Any, num: Optional[int] = None, axis: int = 0, name: str = "unstack") -> list:
    """``tf.unstack``: the slices of ``value`` along ``axis``, as a list of tensors."""
    x = convert_to_tensor(value)
    dims = x.shape.as_tuple()
    if dims is None and num is None:
        raise ValueError(f"Cannot infer num from the unknown shape of {x.name}; pass num=")
    axis = _static_int(axis)
    if num is None:
        num = dims[normalize_axis(axis, len(dims))]
        if num is None:
            raise ValueError(f"Cannot infer num from shape {x.shape} of {x.name}; pass num=")
    return _outputs("Unpack", [x], {"axis": axis, "num": int(num)}, name)


def _split_dims(x: Tensor, axis: int) -> tuple:
    """(normalized axis or None, static size along it or None) for a split of ``x``."""
    dims = x.shape.as_tuple()
    if dims is None:
        return None, None
    a = normalize_axis(axis, len(dims))
    return a, dims[a]


def _split_infer(inputs, attrs):
    x = inputs[0]
    num = attrs["num_split"]
    a, dim = _split_dims(x, attrs["axis"])
    if a is None:
        return [(x.dtype, TensorShape(None))] * num
    if dim is not None and dim % num:
        raise ValueError(f"split of {x.name} with shape {x.shape} into {num} pieces along axis {a}: "
                         f"the dimension size {dim} must be evenly divisible by {num}")
    dims = list(x.shape.as_tuple())
    dims[a] = None if dim is None else dim // num
    return [(x.dtype, TensorShape(dims))] * num


def _split_numpy(x, axis, num_split):
    if x.shape[axis] % num_split:
        raise ValueError(f"Number of ways to split ({num_split}) must evenly divide the split "
                         f"dimension {x.shape[axis]} (shape {x.shape}, axis {axis})")
    return tuple(np.split(x, num_split, axis=axis))


def _split_grad(op, *grads):
    return [concat(_filled_grads(op, grads), op.attrs["axis"])]


def _resolve_sizes(sizes: list, dim: Optional[int], where: str) -> list:
    """``sizes`` (ints, at most one -1, None for run-time sizes) checked against ``dim``, -1 resolved."""
    if sum(1 for s in sizes if s == -1) > 1:
        raise ValueError(f"split sizes can only have one -1, got {sizes} ({where})")
    if any(s is not None and s < -1 for s in sizes):
        raise ValueError(f"split sizes must be >= 0 (or one -1), got {sizes} ({where})")
    if dim is None or None in sizes:
        return [None if s == -1 else s for s in sizes]
    fixed = sum(s for s in sizes if s != -1)
    if -1 in sizes:
        if fixed > dim:
            raise ValueError(f"can't split a dimension of size {dim} into pieces of size {sizes} ({where})")
        return [dim - fixed if s == -1 else s for s in sizes]
    if fixed != dim:
        raise ValueError(f"can't split a dimension of size {dim} into pieces of size {sizes}: "
                         f"they add up to {fixed} ({where})")
    return sizes


def _splitv_infer(inputs, attrs):
    x, sizes_t = inputs
    _check_int("split sizes", sizes_t)
    num = attrs["num_split"]
    sizes = shape_value(sizes_t)
    if sizes is None:
        sizes = [None] * num
    if len(sizes) != num:
        raise ValueError(f"split expected {num} sizes, got {sizes_t.name} with shape {sizes_t.shape}")
    a, dim = _split_dims(x, attrs["axis"])
    if a is None:
        return [(x.dtype, TensorShape(None))] * num
    sizes = _resolve_sizes(sizes, dim, f"{x.name} with shape {x.shape}, axis {a}")
    dims = list(x.shape.as_tuple())
    return [(x.dtype, TensorShape(dims[:a] + [s] + dims[a + 1:])) for s in sizes]


def _splitv_numpy(x, sizes, axis, num_split):
    sizes = _resolve_sizes([int(s) for s in sizes], x.shape[axis], f"shape {x.shape}, axis {axis}")
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


register(OpDef("Split", "movement", infer=_split_infer, numpy=_split_numpy, grad=_split_grad))
register(OpDef("SplitV", "movement", infer=_splitv_infer, numpy=_splitv_numpy,
               grad=lambda op, *grads: _split_grad(op, *grads) + [None], meta_inputs={1}))


def split(value: Any, num_or_size_splits: Any, axis: Any = 0, num: Optional[int] = None,
          name: str = "split") -> list:
    """``tf.split``: ``num_or_size_splits`` equal pieces, or pieces of the listed sizes (one may be -1)."""
    x = convert_to_tensor(value)
    axis = _static_int(axis)
    count = _split_count(num_or_size_splits)
    if count is not None:
        if count <= 0:
            raise ValueError(f"split needs a positive number of pieces, got {count}")
        return _outputs("Split", [x], {"axis": axis, "num_split": count}, name)
    sizes = as_shape_tensor(num_or_size_splits, name="size_splits")
    n = sizes.shape.as_tuple()[0] if sizes.shape.ndims == 1 else None
    if n is None:
        n = num
    if n is None:
        raise ValueError(f"Cannot infer the number of pieces from {sizes.name} with shape {sizes.shape}; pass num=")
    return _outputs("SplitV", [x, sizes], {"axis": axis, "num_split": int(n)}, name)


def _split_count(num_or_size_splits: Any) -> Optional[int]:
    """The number of equal pieces when ``num_or_size_splits`` is a scalar, else None."""
    if isinstance(num_or_size_splits, (int, np.integer)) and not isinstance(num_or_size_splits, bool):
        return int(num_or_size_splits)
    t = core._graph_tensor_or_none(num_or_size_splits)
    if t is not None and t.shape.ndims == 0:
        return _static_int(t)
    return None


__all__ += ["concat", "stack", "unstack", "split"]


# ------------------------------------------------------------------------------------------------
# tile

def _check_multiples(x: Tensor, multiples: Tensor) -> Optional[list]:
    _check_int("tile multiples", multiples)
    mults = shape_value(multiples)
    rank = x.shape.ndims
    if mults is not None and rank is not None and len(mults) != rank:
        raise ValueError(f"tile multiples must have one entry per dimension of {x.name} with shape "
                         f"{x.shape}, got {multiples.name} with {len(mults)} entries")
    if mults is not None and any(k is not None and k < 0 for k in mults):
        raise ValueError(f"tile multiples must be >= 0, got {mults}")
    return mults


def _tile_infer(inputs, attrs):
    x, multiples = inputs
    mults = _check_multiples(x, multiples)
    dims = x.shape.as_tuple()
    if dims is None:
        return [(x.dtype, TensorShape(None if mults is None else [None] * len(mults)))]
    mults = mults if mults is not None else [None] * len(dims)
    return [(x.dtype, TensorShape([None if d is None or k is None else d * k for d, k in zip(dims, mults)]))]


def _tile_numpy(x, multiples):
    if len(multiples) != x.ndim:   # np.tile would prepend dimensions instead
        raise ValueError(f"Expected multiples argument to be a vector of length {x.ndim} but got length "
                         f"{len(multiples)}")
    if np.any(multiples < 0):
        raise ValueError(f"tile multiples must be >= 0, got {multiples}")
    return np.tile(x, tuple(int(k) for k in multiples)) if x.ndim else x.copy()


def _tile_grad(op, g):
    x, multiples = op.inputs
    return [apply("TileGrad", [g, multiples, shape(x)], name="TileGrad"), None]


def _tile_grad_infer(inputs, attrs):
    g, multiples, x_shape = inputs
    dims = shape_value(x_shape)
    if dims is not None:
        return [(g.dtype, TensorShape(dims))]
    return [(g.dtype, TensorShape(None))]


def _tile_grad_numpy(g, multiples, x_shape):
    """Sums the ``multiples[i]`` copies of each dim of ``g`` back into one (the adjoint of Tile)."""
    x_shape = tuple(int(d) for d in x_shape)
    if g.size == 0 or 0 in x_shape:
        return np.zeros(x_shape, dtype=g.dtype)
    interleaved = []
    for k, d in zip(multiples, x_shape):
        interleaved += [int(k), d]
    copies = tuple(builtins.range(0, 2 * len(x_shape), 2))
    return np.sum(np.reshape(g, interleaved), axis=copies, dtype=g.dtype).reshape(x_shape)


register(OpDef("Tile", "movement", infer=_tile_infer, numpy=_tile_numpy, grad=_tile_grad, meta_inputs={1},
               gather=True))
register(OpDef("TileGrad", "reduction", infer=_tile_grad_infer, numpy=_tile_grad_numpy,
               grad=lambda op, g: [tile(g, op.inputs[1]), None, None], meta_inputs={1, 2}))


def tile(input: Any, multiples: Any, name: str = "Tile") -> Tensor:
    """``tf.tile``: repeats ``input`` ``multiples[i]`` times along dim i."""
    return apply("Tile", [input, as_shape_tensor(multiples, name="multiples")], name=name)


__all__ += ["tile"]


# ------------------------------------------------------------------------------------------------
# pad: CONSTANT (Pad), REFLECT and SYMMETRIC (MirrorPad)

def _static_paddings(paddings: Any) -> tuple:
    t = core._graph_tensor_or_none(paddings)
    if t is not None:
        value = constant_value(t)
        if value is None:
            raise TypeError(f"pad needs paddings known while building the graph; {t.name} is computed at "
                            "run time. Pass a list like [[1, 1], [2, 2]].")
    else:
        value = np.asarray(paddings)
    if value.ndim != 2 or value.shape[1] != 2 or value.dtype.kind not in "iu" and value.size:
        raise ValueError(f"paddings must be an int matrix of shape [rank, 2], got {paddings!r}")
    pads = tuple((int(b), int(a)) for b, a in value)
    if any(p < 0 for pair in pads for p in pair):
        raise ValueError(f"Paddings must be non-negative, got {[list(p) for p in pads]}")
    return pads


def _padded_shape(x: Tensor, pads: tuple, limit=None) -> TensorShape:
    """The static shape of ``x`` padded by ``pads``; ``limit(dim)`` bounds each padding (mirror modes)."""
    dims = x.shape.as_tuple()
    if dims is None:
        return TensorShape([None] * len(pads))
    if len(dims) != len(pads):
        raise ValueError(f"pad needs one [before, after] pair per dimension of {x.name} with shape "
                         f"{x.shape}, got {len(pads)} pairs")
    out = []
    for d, (b, a) in zip(dims, pads):
        if limit is not None and d is not None and max(b, a) > limit(d):
            raise ValueError(f"paddings {[list(p) for p in pads]} are too large for {x.name} with shape "
                             f"{x.shape}: at most {limit(d)} in a dimension of size {d}")
        out.append(None if d is None else d + b + a)
    return TensorShape(out)


def _pad_infer(inputs, attrs):
    x, value = inputs
    _check_one_dtype("pad", [x, value])
    _check_scalar("pad's constant_values", value)
    return [(x.dtype, _padded_shape(x, attrs["paddings"]))]


def _unpad_spec(pads: tuple) -> tuple:
    return tuple(("slice", b, -a if a else None, None) for b, a in pads)


register(OpDef("Pad", "movement", infer=_pad_infer,
               numpy=lambda x, value, paddings: np.pad(x, paddings, constant_values=value),
               # TF1 gives constant_values no gradient
               grad=lambda op, g: [strided_slice_spec(g, _unpad_spec(op.attrs["paddings"])), None]))

_MIRROR_LIMITS = {"REFLECT": lambda d: d - 1, "SYMMETRIC": lambda d: d}


def _mirror_pad_infer(inputs, attrs):
    x = inputs[0]
    return [(x.dtype, _padded_shape(x, attrs["paddings"], _MIRROR_LIMITS[attrs["mode"]]))]


def _mirror_pad_grad_infer(inputs, attrs):
    g = inputs[0]
    dims = g.shape.as_tuple()
    if dims is None:
        return [(g.dtype, TensorShape([None] * len(attrs["paddings"])))]
    return [(g.dtype, TensorShape([None if d is None else d - b - a for d, (b, a) in zip(dims, attrs["paddings"])]))]


def _mirror_pad_grad_numpy(g, paddings, mode):
    """Adds each mirrored element of ``g`` back onto the element it copies, one dim at a time."""
    for axis, (b, a) in enumerate(paddings):
        n = g.shape[axis] - b - a
        source_index = np.pad(np.arange(n), (b, a), mode=mode.lower())
        moved = np.moveaxis(g, axis, 0)
        summed = np.zeros((n,) + moved.shape[1:], dtype=g.dtype)
        np.add.at(summed, source_index, moved)
        g = np.moveaxis(summed, 0, axis)
    return g


register(OpDef("MirrorPad", "movement", infer=_mirror_pad_infer,
               numpy=lambda x, paddings, mode: np.pad(x, paddings, mode=mode.lower()),
               grad=lambda op, g: [apply("MirrorPadGrad", [g], dict(op.attrs), "MirrorPadGrad")]))
register(OpDef("MirrorPadGrad", "movement", infer=_mirror_pad_grad_infer, numpy=_mirror_pad_grad_numpy,
               grad=lambda op, g: [apply("MirrorPad", [g], dict(op.attrs), "MirrorPad")]))


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", name: Optional[str] = None,
        constant_values: Any = 0) -> Tensor:
    """``tf.pad``: adds ``paddings[i] = [before, after]`` elements around dim i.

    CONSTANT fills with ``constant_values``; REFLECT mirrors without the edge, SYMMETRIC with it.
    """
    mode_key = str(mode).upper()
    pads = _static_paddings(paddings)
    if mode_key == "CONSTANT":
        x, value = core.convert_n([tensor, constant_values])
        default = "Pad" if _is_zero(constant_values) else "PadV2"
        return apply("Pad", [x, value], {"paddings": pads}, name or default)
    if mode_key in _MIRROR_LIMITS:
        return apply("MirrorPad", [tensor], {"paddings": pads, "mode": mode_key}, name or "MirrorPad")
    raise ValueError(f'pad mode must be one of "CONSTANT", "REFLECT" or "SYMMETRIC", got {mode!r}')


def _is_zero(value: Any) -> bool:
    return core._graph_tensor_or_none(value) is None and np.all(np.asarray(value) == 0)


__all__ += ["pad"]


# ------------------------------------------------------------------------------------------------
# gather and its adjoint, unsorted_segment_sum

def _gather_infer(inputs, attrs):
    params, indices = inputs
    _check_int("gather indices", indices)
    pdims, idims = params.shape.as_tuple(), indices.shape.as_tuple()
    if pdims is None or idims is None:
        return [(params.dtype, TensorShape(None))]
    if not pdims:
        raise ValueError(f"gather needs params of rank >= 1, got {params.name} with shape {params.shape}")
    a = normalize_axis(attrs["axis"], len(pdims))
    known = constant_value(indices)
    if known is not None and pdims[a] is not None:
        _check_indices(known, pdims[a], f"gather from {params.name} with shape {params.shape}: indices")
    return [(params.dtype, TensorShape(pdims[:a] + idims + pdims[a + 1:]))]


def _check_indices(indices: np.ndarray, limit: int, what: str) -> None:
    bad = (indices < 0) | (indices >= limit)
    if np.any(bad):
        first = np.argwhere(bad)[0]
        raise ValueError(f"{what}{list(first)} = {indices[tuple(first)]} is not in [0, {limit})")


def _gather_numpy(params, indices, axis):
    _check_indices(indices, params.shape[axis], "indices")
    return np.take(params, indices, axis=axis)


def _gather_grad(op, g):
    params, indices = op.inputs
    prank, irank = params.shape.ndims, indices.shape.ndims
    axis = op.attrs["axis"]
    if axis == 0 or (prank is not None and axis == -prank):
        return [unsorted_segment_sum(g, indices, _dim_or_tensor(params, 0)), None]
    if prank is None or irank is None:
        raise ValueError(f"The gradient of gather along axis {axis} needs the ranks of {params.name} "
                         f"({params.shape}) and {indices.name} ({indices.shape}) to be known")
    a = axis % prank
    # move the index dims to the front, scatter-add along them, and move the result back
    to_front = (list(builtins.range(a, a + irank)) + list(builtins.range(a))
                + list(builtins.range(a + irank, irank + prank - 1)))
    summed = unsorted_segment_sum(transpose(g, to_front), indices, _dim_or_tensor(params, a))
    back = list(builtins.range(1, a + 1)) + [0] + list(builtins.range(a + 1, prank))
    return [transpose(summed, back), None]


register(OpDef("GatherV2", "opaque", infer=_gather_infer, numpy=_gather_numpy, grad=_gather_grad))


def gather(params: Any, indices: Any, validate_indices: Any = None, name: str = "GatherV2",
           axis: Any = None, batch_dims: int = 0) -> Tensor:
    """``tf.gather``: the slices of ``params`` along ``axis`` at ``indices`` (an int tensor of any shape)."""
    if batch_dims != 0:
        raise ValueError(f"gather supports batch_dims=0 only, got {batch_dims}; reshape the batch dims away")
    axis = 0 if axis is None else _static_int(axis)
    return apply("GatherV2", [params, indices], {"axis": axis}, name)


def _segment_sum_infer(inputs, attrs):
    data, ids, num = inputs
    _check_int("segment_ids", ids)
    _check_int("num_segments", num)
    _check_scalar("num_segments", num)
    ddims, idims = data.shape.as_tuple(), ids.shape.as_tuple()
    if ddims is None or idims is None:
        return [(data.dtype, TensorShape(None))]
    if not TensorShape(ddims[:len(idims)]).is_compatible_with(TensorShape(idims)) or len(idims) > len(ddims):
        raise ValueError(f"segment_ids {ids.name} with shape {ids.shape} must be a prefix of the shape of "
                         f"data {data.name} {data.shape}")
    n = constant_value(num)
    known = constant_value(ids)
    if n is not None and known is not None and np.any(known >= n):
        raise ValueError(f"segment_ids {ids.name} hold {int(known.max())}, out of range for {int(n)} segments")
    return [(data.dtype, TensorShape([None if n is None else int(n)] + list(ddims[len(idims):])))]


def _segment_sum_numpy(data, ids, num):
    n = int(num)
    if np.any(ids >= n):
        raise ValueError(f"segment_ids {ids.max()} is out of range [0, {n})")
    out = np.zeros((n,) + data.shape[ids.ndim:], dtype=data.dtype)
    keep = ids >= 0  # TF drops negative ids
    np.add.at(out, ids[keep], data[keep])
    return out


def _segment_sum_grad(op, g):
    data, ids, _ = op.inputs
    kept = m.cast(m.greater_equal(ids, 0), g.dtype)  # dropped (negative) ids get no gradient
    drank, irank = data.shape.ndims, ids.shape.ndims
    if drank is not None and irank is not None:
        for _ in builtins.range(drank - irank):
            kept = expand_dims(kept, -1)
    else:  # append as many unit dims as data has beyond the ids, at run time
        unit_dims = fill(m.subtract(rank(data), rank(ids))[None], 1)
        kept = reshape(kept, concat([shape(ids), unit_dims], 0))
    picked = gather(g, m.maximum(ids, 0))
    return [picked * kept, None, None]


register(OpDef("UnsortedSegmentSum", "opaque", infer=_segment_sum_infer, numpy=_segment_sum_numpy,
               grad=_segment_sum_grad, meta_inputs={2}))


def unsorted_segment_sum(data: Any, segment_ids: Any, num_segments: Any,
                         name: str = "UnsortedSegmentSum") -> Tensor:
    """``out[j] = sum of data[i...] where segment_ids[i...] == j``; negative ids are dropped (TF1)."""
    data = convert_to_tensor(data)
    ids = convert_to_tensor(segment_ids)
    num = convert_to_tensor(num_segments)
    return apply("UnsortedSegmentSum", [data, ids, num], name=name)


__all__ += ["gather", "unsorted_segment_sum"]


# ------------------------------------------------------------------------------------------------
# one_hot

def _one_hot_infer(inputs, attrs):
    indices, depth, on, off = inputs
    _check_int("one_hot indices", indices)
    _check_int("one_hot depth", depth)
    for what, t in (("depth", depth), ("on_value", on), ("off_value", off)):
        _check_scalar(f"one_hot's {what}", t)
    _check_one_dtype("one_hot on_value/off_value", [on, off])
    dims = indices.shape.as_tuple()
    if dims is None:
        return [(on.dtype, TensorShape(None))]
    axis = attrs["axis"]
    if not -1 <= axis <= len(dims):
        raise ValueError(f"one_hot axis {axis} must be in [-1, {len(dims)}] for indices {indices.name} "
                         f"with shape {indices.shape}")
    d = constant_value(depth)
    if d is not None and int(d) < 0:
        raise ValueError(f"one_hot depth must be non-negative, got {int(d)}")
    pos = len(dims) if axis == -1 else axis
    return [(on.dtype, TensorShape(dims[:pos] + (None if d is None else int(d),) + dims[pos:]))]


def _one_hot_numpy(indices, depth, on, off, axis):
    hot = np.expand_dims(indices, -1) == np.arange(int(depth))
    out = np.where(hot, on, off).astype(on.dtype)
    return out if axis == -1 else np.moveaxis(out, -1, axis)


register(OpDef("OneHot", "opaque", infer=_one_hot_infer, numpy=_one_hot_numpy, differentiable=False,
               meta_inputs={1}))


def _value_dtype(value: Any) -> Optional[dtypes.DType]:
    if value is None:
        return None
    t = core._graph_tensor_or_none(value)
    return t.dtype if t is not None else dtypes.infer_dtype(value)


def one_hot(indices: Any, depth: Any, on_value: Any = None, off_value: Any = None, axis: Optional[int] = None,
            dtype: Any = None, name: Optional[str] = None) -> Tensor:
    """``tf.one_hot``: ``on_value`` where ``indices == j`` along a new ``axis`` of size ``depth``."""
    on_dt, off_dt = _value_dtype(on_value), _value_dtype(off_value)
    dt = dtypes.as_dtype(dtype) if dtype is not None else None
    for what, found in (("on_value", on_dt), ("off_value", off_dt)):
        if dt is not None and found is not None and found is not dt:
            raise TypeError(f"dtype {found.name} of {what} does not match the dtype parameter {dt.name}")
    if on_dt is not None and off_dt is not None and on_dt is not off_dt:
        raise TypeError(f"dtype {on_dt.name} of on_value does not match dtype {off_dt.name} of off_value")
    dt = dt or on_dt or off_dt or dtypes.float32
    with _graph_scope([indices, depth, on_value, off_value], name or "one_hot") as scope:
        on = convert_to_tensor(_scalar_of(1, dt) if on_value is None else on_value, dtype=dt, name="on_value")
        off = convert_to_tensor(_scalar_of(0, dt) if off_value is None else off_value, dtype=dt, name="off_value")
        depth_t = convert_to_tensor(depth, dtype=dtypes.int32, name="depth")
        axis = -1 if axis is None else _static_int(axis)
        return apply("OneHot", [indices, depth_t, on, off], {"axis": axis}, scope)


__all__ += ["one_hot"]
