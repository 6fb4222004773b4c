"""Array ops: shapes, reshaping, broadcasting, slicing, joining, gathering.

``BroadcastTo`` and ``SumTo`` are adjoint primitives: broadcasting gradients are summed back to an
input's shape in exactly one place, ``unbroadcast``.
"""
from __future__ import annotations

import builtins
from typing import Any, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Tensor
from graphc.ops.core import (OpDef, apply, as_shape_tensor, broadcast_shape, constant_value,
                             convert_to_tensor, normalize_axis, register, shape_value)
from graphc.shape import TensorShape


# ------------------------------------------------------------------------------------------------
# shape queries

def _shape_infer(inputs, attrs):
    r = inputs[0].shape.ndims
    return [(attrs["out_type"], TensorShape([r]))]


register(OpDef("Shape", "source", infer=_shape_infer, differentiable=False,
               numpy=lambda x, out_type: np.array(np.shape(x), dtype=out_type.np_type)))
register(OpDef("Size", "source", infer=lambda i, a: [(a["out_type"], TensorShape([]))], differentiable=False,
               numpy=lambda x, out_type: np.array(np.size(x), dtype=out_type.np_type)))
register(OpDef("Rank", "source", infer=lambda i, a: [(dtypes.int32, TensorShape([]))], differentiable=False,
               numpy=lambda x: np.array(np.ndim(x), dtype=np.int32)))


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
    if target is None:
        return TensorShape(None)
    if sum(1 for d in target if d == -1) > 1:
        raise ValueError(f"At most one dimension of a reshape target can be -1, got {target}")
    known_in = in_shape.num_elements()
    if -1 in target:
        rest = [d for d in target if d != -1]
        if known_in is not None and None not in rest:
            prod = int(np.prod(rest)) if rest else 1
            if prod == 0 or known_in % prod:
                raise ValueError(f"Cannot reshape a tensor with {known_in} elements to shape {target}")
            return TensorShape([known_in // prod if d == -1 else d for d in target])
        return TensorShape([None if d == -1 else d for d in target])
    if known_in is not None and None not in target and int(np.prod(target)) != known_in:
        raise ValueError(f"Cannot reshape a tensor with {known_in} elements to shape {target} "
                         f"({int(np.prod(target))} elements)")
    return TensorShape(target)


def _reshape_infer(inputs, attrs):
    target = shape_value(inputs[1])
    return [(inputs[0].dtype, _reshape_target(inputs[0].shape, target))]


def _reshape_grad(op, g):
    return [reshape(g, shape(op.inputs[0])), None]


register(OpDef("Reshape", "movement", infer=_reshape_infer, grad=_reshape_grad,
               numpy=lambda x, s: np.reshape(x, tuple(int(d) for d in s))))


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
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(target) if d == 1 and g.shape[lead + i] != 1)
    out = np.sum(g, axis=axes, keepdims=True, dtype=g.dtype) if axes else g
    return np.reshape(out, target)


def _sum_to_infer(inputs, attrs):
    target = shape_value(inputs[1])
    return [(inputs[0].dtype, TensorShape(target) if target is not None else TensorShape(None))]


register(OpDef("BroadcastTo", "movement", infer=_broadcast_to_infer,
               numpy=lambda x, s: np.broadcast_to(x, tuple(int(d) for d in s)),
               grad=lambda op, g: [sum_to(g, shape(op.inputs[0])), None]))
register(OpDef("SumTo", "reduction", infer=_sum_to_infer, numpy=_sum_to_numpy,
               grad=lambda op, g: [broadcast_to(g, shape(op.inputs[0])), None]))


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


def _squeeze_axes(dims: tuple, axis) -> tuple:
    if axis is None or axis == []:
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
    if dims is None:
        return [(x.dtype, TensorShape(None))]
    axes = _squeeze_axes(dims, attrs["axis"])
    return [(x.dtype, TensorShape([d for i, d in enumerate(dims) if i not in axes]))]


def _squeeze_numpy(x, axis):
    return np.squeeze(x, axis=_squeeze_axes(np.shape(x), axis))


def _squeeze_grad(op, g):
    return [reshape(g, shape(op.inputs[0]))]


register(OpDef("ExpandDims", "movement", infer=_expand_dims_infer,
               numpy=lambda x, axis: np.expand_dims(x, axis),
               grad=lambda op, g: [squeeze(g, [op.attrs["axis"] % (op.outputs[0].shape.ndims or 1)])
                                   if op.outputs[0].shape.ndims is not None else reshape(g, shape(op.inputs[0]))]))
register(OpDef("Squeeze", "movement", infer=_squeeze_infer, numpy=_squeeze_numpy, grad=_squeeze_grad))


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
        out.append(None if size is None else len(range(*builtins.slice(start, stop, step).indices(size))))
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


register(OpDef("StridedSlice", "movement", infer=_slice_infer, grad=_slice_grad,
               numpy=lambda x, spec: np.asarray(x)[_python_key(spec)]))
register(OpDef("StridedSliceGrad", "movement", infer=_slice_grad_infer, numpy=_slice_grad_numpy,
               grad=lambda op, g: [strided_slice_spec(g, op.attrs["spec"]), None]))


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
    return strided_slice_spec(input_, spec, name)


def _static_list(v: Any) -> list:
    t = convert_to_tensor(v)
    c = constant_value(t)
    if c is None:
        raise TypeError(f"{t.name} must be statically known here (a list of ints or a constant)")
    return [int(i) for i in np.reshape(c, (-1,))]


__all__ += ["slice"]
