"""The primitive ops behind ``tf.TensorArray`` (``graphc/control_flow/tensor_array.py``).

A TensorArray is a functional value here, not TF1's mutable resource: a dense ``buffer`` of shape
``[size, *element_shape]`` and a bool ``written`` mask of shape ``[size]``. Every write makes a
new (buffer, mask) pair, so a TensorArray is an ordinary pair of tensors that a while loop carries
and that ``tf.gradients`` differentiates like any other op:

- ``TensorArrayNew(size)``: zeros and an all-false mask. When the element shape is not fully
  known yet, the buffer is a *placeholder* (unknown dims are 0, unknown rank gives ``[size]``)
  that the first write replaces by a buffer of the value's shape.
- ``TensorArrayScatter(buffer, written, indices, value)``: write (scalar index), scatter and
  unstack (vector of indices), with TF1's run-time checks (index range, an index written twice,
  an element shape that differs from the first write's) and growth when ``dynamic_size``.
- ``TensorArrayGather(buffer, written, indices)``: read and gather; ``TensorArrayStack``: stack.
  An unwritten element reads as zeros once the element shape is known (TF1's rule).
- ``TensorArraySplitRows(value, lengths)``: ``split``'s value as equal-length rows.

Gradients (TF1's TensorArray gradient semantics, on dense buffers): a read scatter-adds into the
gradient buffer (``TensorArrayScatterAdd``, so an element read twice gets the sum), a write
reads its element's gradient back and clears that row for the earlier buffer
(``TensorArrayClearRows``), stack and unstack are each other's gradient.
"""
from __future__ import annotations

import contextvars
from typing import Any, Iterable, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.ops import array
from graphc.ops import gather as gather_ops
from graphc.ops.core import OpDef, apply, constant_value, convert_to_tensor, register
from graphc.shape import TensorShape

# ------------------------------------------------------------------------------------------------
# shapes


def element_dims(shape: TensorShape) -> Optional[tuple]:
    """A static element shape as a tuple (None for an unknown dim), or None for an unknown rank."""
    return shape.as_tuple()


def _describe(dims: Optional[tuple]) -> str:
    if dims is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _buffer_shape(size: Optional[int], elem: TensorShape) -> TensorShape:
    if elem.ndims is None:
        return TensorShape(None)
    return TensorShape([size]).concatenate(elem)


def _size_of(t: Any) -> Optional[int]:
    """The static first dimension of a buffer or mask, or None."""
    dims = t.shape.as_tuple()
    return None if not dims else dims[0]


def _check_index_dtype(t: Any, what: str) -> None:
    if not t.dtype.is_integer:
        raise TypeError(f"TensorArray {what} must be int32, got {t.name} of dtype {t.dtype.name}")


# ------------------------------------------------------------------------------------------------
# TensorArrayNew: (size) -> (buffer, written)

def _new_infer(inputs, attrs):
    (size,) = inputs
    _check_index_dtype(size, "size")
    if size.shape.ndims not in (None, 0):
        raise ValueError(f"TensorArray size must be a scalar, got {size.name} with shape {size.shape}")
    known = constant_value(size)
    n = None if known is None else int(known)
    if n is not None and n < 0:
        raise ValueError(f"TensorArray size should be >= 0, got {n}")
    elem = attrs["element_shape"]
    elem_shape = TensorShape(None if elem is None else list(elem))
    return [(attrs["dtype"], _buffer_shape(n, elem_shape)), (dtypes.bool_, TensorShape([n]))]


def _new_numpy(size, dtype, element_shape):
    n = int(size)
    if n < 0:
        raise ValueError(f"TensorArray size should be >= 0, got {n}")
    dims = (n,) if element_shape is None else (n,) + tuple(0 if d is None else d for d in element_shape)
    return np.zeros(dims, dtype=dtype.np_type), np.zeros((n,), dtype=bool)


register(OpDef("TensorArrayNew", "opaque", infer=_new_infer, numpy=_new_numpy, differentiable=False,
               meta_inputs={0}))


def new(size: Any, dtype: dtypes.DType, element_shape: TensorShape, name: str = "TensorArray") -> list:
    """A fresh (buffer, written) pair of ``size`` elements of ``element_shape`` (may be partial)."""
    elem = element_dims(element_shape)
    return apply("TensorArrayNew", [convert_to_tensor(size, dtype=dtypes.int32)],
                 {"dtype": dtype, "element_shape": elem}, name)


# ------------------------------------------------------------------------------------------------
# buffers given up by their owner: a write may update them in place

_DONATED: contextvars.ContextVar = contextvars.ContextVar("graphc_donated_buffers", default=frozenset())


class donating:
    """While active (``with donating(buffers):``), a TensorArray write whose input buffer is one of
    ``buffers`` writes into it instead of copying it: a loop driver gives up the buffers it owns and
    no one reads again (the previous version of a loop variable that only a write reads). Nested
    calls replace the set. (A class: entered once per loop iteration, it costs less than a
    generator-based context manager.)"""

    __slots__ = ("ids", "token")

    def __init__(self, buffers: Iterable[np.ndarray]) -> None:
        self.ids = frozenset(id(b) for b in buffers)

    def __enter__(self) -> None:
        self.token = _DONATED.set(self.ids)

    def __exit__(self, *exc: Any) -> None:
        _DONATED.reset(self.token)


def any_donated() -> bool:
    """Whether some buffer is given up now (a ``donating`` block is active with buffers)."""
    return bool(_DONATED.get())


def donated(buffer: Any) -> bool:
    """Whether ``buffer`` was given up (``donating``): its reader may write into it."""
    return id(buffer) in _DONATED.get()


def writable(buffer: np.ndarray) -> np.ndarray:
    """``buffer`` itself when it was given up (``donating``) and can be written, else a C copy:
    the array an in-place update of it writes into."""
    if donated(buffer) and buffer.flags.writeable:
        return buffer
    return np.array(buffer, copy=True, order="C")


# ------------------------------------------------------------------------------------------------
# TensorArrayScatter: (buffer, written, indices, value) -> (buffer, written)

# messages for an index out of range, by the public method that wrote
_OUT_OF_RANGE = {
    "write": "Tried to write to index {index} but array is not resizeable and size is: {size}",
    "scatter": "Max scatter index must be < array size ({index} vs. {size})",
    "unstack": "Max scatter index must be < array size ({index} vs. {size})",
    "split": ("TensorArray's size is not equal to the size of lengths ({size} vs. {count}), and the "
              "TensorArray is not marked as dynamically resizeable"),
}


def _scatter_infer(inputs, attrs):
    buffer, written, indices, value = inputs
    _check_index_dtype(indices, "indices")
    if value.dtype is not buffer.dtype:
        raise TypeError(f"TensorArray {attrs['ta_name']} has dtype {buffer.dtype.name} but {value.name} to "
                        f"{attrs['mode']} has dtype {value.dtype.name}; use tf.cast to convert it")
    irank = indices.shape.ndims
    if irank not in (None, 0, 1):
        raise ValueError(f"TensorArray indices must be a scalar or a vector, got shape {indices.shape}")
    vdims = value.shape.as_tuple()
    elem = TensorShape(None) if vdims is None or irank is None else TensorShape(list(vdims[irank:]))
    n = None if attrs["dynamic_size"] else _size_of(written)
    return [(buffer.dtype, _buffer_shape(n, elem)), (dtypes.bool_, TensorShape([n]))]


def _scatter_numpy(buffer, written, indices, value, dynamic_size, ta_name, mode):
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    rows = np.asarray(value).reshape((idx.size,) + np.shape(value)[np.ndim(indices):])
    size = written.shape[0]
    name = f"TensorArray {ta_name}: "
    if mode == "split" and not dynamic_size and idx.size != size:
        raise ValueError(name + _OUT_OF_RANGE["split"].format(size=size, count=idx.size))
    if idx.size and idx.min() < 0:
        raise ValueError(name + _OUT_OF_RANGE["write"].format(index=int(idx.min()), size=size))
    if idx.size and idx.max() >= size and not dynamic_size:
        raise ValueError(name + _OUT_OF_RANGE[mode].format(index=int(idx.max()), size=size))
    elem = rows.shape[1:]
    if buffer.shape[1:] != elem or buffer.ndim != len(elem) + 1:
        if written.any():
            first = int(np.argmax(written))
            raise ValueError(name + (
                f"Could not write to TensorArray index {int(idx[0])} because the value shape is "
                f"{_describe(elem)} which is incompatible with the TensorArray's inferred element shape: "
                f"{_describe(buffer.shape[1:])} (element {first} was written with that shape). graphc's "
                "TensorArray holds elements of one shape"))
        buffer = np.zeros((size,) + elem, dtype=buffer.dtype)   # the placeholder takes the first write's shape
    grow = int(idx.max()) + 1 - size if idx.size else 0
    if grow > 0:
        buffer = np.concatenate([buffer, np.zeros((grow,) + elem, dtype=buffer.dtype)])
        written = np.concatenate([written, np.zeros((grow,), dtype=bool)])
    seen = written.copy()
    for i in idx:
        if seen[i]:
            raise ValueError(name + f"Could not write to TensorArray index {int(i)} because it has already "
                             "been written to.")
        seen[i] = True
    out = writable(buffer)
    out[idx] = rows
    return out, seen


def _scatter_grad(op, g_buffer, g_written):
    buffer, _, indices, _ = op.inputs
    if g_buffer is None:
        return [None, None, None, None]
    value = op.inputs[3]
    rows, rest = take_rows(buffer, g_buffer, indices)
    return [rest, None, None, _shaped_like(rows, value)]


def _shaped_like(g: Any, x: Any) -> Any:
    """``g`` (the gradient of ``x``) with what is known of ``x``'s static shape: inside a loop
    body the gradient buffer's shape may be less known than the forward tensors'."""
    if g.shape.is_compatible_with(x.shape):
        g.set_shape(x.shape)
    return g


register(OpDef("TensorArrayScatter", "movement", infer=_scatter_infer, numpy=_scatter_numpy,
               grad=_scatter_grad))


def scatter(buffer: Any, written: Any, indices: Any, value: Any, dynamic_size: bool, ta_name: str,
            mode: str, name: str) -> list:
    """The (buffer, written) pair after writing ``value``'s rows at ``indices`` (a scalar: one element)."""
    return apply("TensorArrayScatter", [buffer, written, indices, value],
                 {"dynamic_size": bool(dynamic_size), "ta_name": ta_name, "mode": mode}, name)


# ------------------------------------------------------------------------------------------------
# reading: TensorArrayGather (read, gather) and TensorArrayStack

def _unwritten_error(ta_name: str, index: int, element_shape: Optional[tuple]) -> ValueError:
    return ValueError(
        f"TensorArray {ta_name}: Could not read from TensorArray index {index}.  Furthermore, the element "
        f"shape is not fully defined: {_describe(element_shape)}.  If you set the full element_shape "
        "property on the forward TensorArray, the proper all-zeros tensor will be returned instead of "
        "incurring this error.")


def _readable(buffer, written, element_shape, ta_name, first_index):
    """The buffer to read from: itself once anything is written, else zeros of the known shape."""
    if written.any():
        return buffer
    known = element_shape is not None and None not in element_shape
    if not known:
        raise _unwritten_error(ta_name, first_index, element_shape)
    dims = (written.shape[0],) + tuple(element_shape)
    return buffer if buffer.shape == dims else np.zeros(dims, dtype=buffer.dtype)


def _gather_infer(inputs, attrs):
    buffer, written, indices = inputs
    _check_index_dtype(indices, "indices")
    irank = indices.shape.ndims
    if irank not in (None, 0, 1):
        raise ValueError(f"TensorArray indices must be a scalar or a vector, got shape {indices.shape}")
    elem = attrs["element_shape"]
    elem_shape = TensorShape(None if elem is None else list(elem))
    if irank is None:
        return [(buffer.dtype, TensorShape(None))]
    rows = buffer.shape[1:] if buffer.shape.ndims else TensorShape(None)
    if rows.is_compatible_with(elem_shape):      # a buffer's rows are elements: their dims known at run time
        elem_shape = elem_shape.merge_with(rows)
    return [(buffer.dtype, TensorShape(list(indices.shape.as_tuple())).concatenate(elem_shape))]


def _gather_numpy(buffer, written, indices, element_shape, ta_name):
    idx = np.asarray(indices, dtype=np.int64)
    size = written.shape[0]
    bad = (idx < 0) | (idx >= size)
    if bad.any():
        raise ValueError(f"Tried to read from index {int(idx[bad].reshape(-1)[0])} but array size is: {size}")
    flat = idx.reshape(-1)
    source = _readable(buffer, written, element_shape, ta_name, int(flat[0]) if flat.size else 0)
    return np.array(source[idx], copy=True)


def _gather_grad(op, g):
    buffer, written, indices = op.inputs
    return [_shaped_like(scatter_add(written, indices, g), buffer), None, None]


register(OpDef("TensorArrayGather", "movement", infer=_gather_infer, numpy=_gather_numpy, grad=_gather_grad))


def gather(buffer: Any, written: Any, indices: Any, element_shape: TensorShape, ta_name: str, name: str) -> Any:
    """The elements at ``indices`` (a scalar index reads one element)."""
    return apply("TensorArrayGather", [buffer, written, indices],
                 {"element_shape": element_dims(element_shape), "ta_name": ta_name}, name)


def _stack_infer(inputs, attrs):
    buffer, written = inputs
    elem = attrs["element_shape"]
    n = _size_of(written)
    return [(buffer.dtype, _buffer_shape(n, TensorShape(None if elem is None else list(elem))))]


def _stack_numpy(buffer, written, element_shape, ta_name):
    if written.shape[0] == 0 and (element_shape is None or None in element_shape):
        raise errors.UnimplementedError(None, None, (
            f"TensorArray {ta_name}: TensorArray has size zero, but element shape {_describe(element_shape)} is not "
            "fully defined. Currently only static shapes are supported when packing zero-size TensorArrays."))
    if written.shape[0] == 0:
        return np.zeros((0,) + tuple(element_shape), dtype=buffer.dtype)
    return np.array(_readable(buffer, written, element_shape, ta_name, 0), copy=True)


def _stack_grad(op, g):
    buffer, _ = op.inputs
    return [clear_rows(buffer, g, array.zeros([0], dtypes.int32)), None]


register(OpDef("TensorArrayStack", "movement", infer=_stack_infer, numpy=_stack_numpy, grad=_stack_grad))


def stack(buffer: Any, written: Any, element_shape: TensorShape, ta_name: str, name: str) -> Any:
    """Every element, stacked along a new first axis."""
    return apply("TensorArrayStack", [buffer, written],
                 {"element_shape": element_dims(element_shape), "ta_name": ta_name}, name)


# ------------------------------------------------------------------------------------------------
# gradient helpers

def _scatter_add_infer(inputs, attrs):
    written, indices, g = inputs
    irank = indices.shape.ndims
    gdims = g.shape.as_tuple()
    if irank is None or gdims is None:
        return [(g.dtype, TensorShape(None))]
    return [(g.dtype, TensorShape([_size_of(written)] + list(gdims[irank:])))]


def _scatter_add_numpy(written, indices, g):
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    rows = np.asarray(g).reshape((idx.size,) + np.shape(g)[np.ndim(indices):])
    out = np.zeros((written.shape[0],) + rows.shape[1:], dtype=rows.dtype)
    np.add.at(out, idx, rows)
    return out


def _scatter_add_grad(op, gg):
    _, indices, _ = op.inputs
    return [None, None, gather_ops.gather(gg, indices)]


register(OpDef("TensorArrayScatterAdd", "opaque", infer=_scatter_add_infer, numpy=_scatter_add_numpy,
               grad=_scatter_add_grad))


def scatter_add(written: Any, indices: Any, g: Any, name: str = "TensorArrayScatterAdd") -> Any:
    """A gradient buffer of ``len(written)`` rows holding ``g``'s rows added at ``indices``."""
    return apply("TensorArrayScatterAdd", [written, indices, g], name=name)


def _clear_rows_infer(inputs, attrs):
    buffer, g, indices = inputs
    _check_index_dtype(indices, "indices")
    return [(g.dtype, buffer.shape)]


def _clear_rows_numpy(buffer, g, indices):
    if buffer.shape[1:] != g.shape[1:]:   # a placeholder buffer, replaced by the first write
        return np.zeros(buffer.shape, dtype=g.dtype)
    if buffer.shape == g.shape:           # one pass over the rows (no zeros first); none when given up
        out = writable(g)
    else:
        out = np.zeros(buffer.shape, dtype=g.dtype)
        rows = min(buffer.shape[0], g.shape[0])
        out[:rows] = g[:rows]
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    out[idx[idx < buffer.shape[0]]] = 0
    return out


def _clear_rows_grad(op, gg):
    _, g, indices = op.inputs
    # the op copies the rows both have except ``indices``: its adjoint is the same copy, to g's shape
    return [None, clear_rows(g, gg, indices), None]


register(OpDef("TensorArrayClearRows", "movement", infer=_clear_rows_infer, numpy=_clear_rows_numpy,
               grad=_clear_rows_grad))


def clear_rows(buffer: Any, g: Any, indices: Any, name: str = "TensorArrayClearRows") -> Any:
    """The gradient for a buffer that was overwritten at ``indices`` (or grown) into one whose
    gradient is ``g``: ``g`` cut (or zero-padded) to the buffer's rows, those at ``indices`` zero;
    all zeros for a placeholder buffer (its first write replaced it)."""
    return apply("TensorArrayClearRows", [buffer, g, indices], name=name)


def _take_rows_infer(inputs, attrs):
    buffer, g, indices = inputs
    _check_index_dtype(indices, "indices")
    irank, gdims = indices.shape.ndims, g.shape.as_tuple()
    rows = TensorShape(None) if irank is None or gdims is None else \
        TensorShape(list(indices.shape.as_tuple()) + list(gdims[1:]))
    return [(g.dtype, rows)] + _clear_rows_infer(inputs, attrs)


def _take_rows_numpy(buffer, g, indices):
    idx = np.asarray(indices, dtype=np.int64)
    flat = idx.reshape(-1)
    if flat.size and (flat.min() < 0 or flat.max() >= g.shape[0]):
        raise ValueError(f"TensorArray gradient: indices {flat.tolist()} out of range for a gradient of "
                         f"{g.shape[0]} rows")
    rows = np.array(g[int(idx)], copy=True) if idx.ndim == 0 else np.take(g, idx, axis=0)
    return rows, _clear_rows_numpy(buffer, g, indices)      # (rows copied first: the clear may be in place)


def _take_rows_grad(op, g_rows, g_rest):
    _, g, indices = op.inputs
    # rest's adjoint is clear_rows' (g's shape, the taken rows zero); the taken rows' adds at them
    total = clear_rows(g, g_rest, indices) if g_rest is not None else None
    if g_rows is None:
        return [None, total, None]
    return [None, accumulate(total if total is not None else array.zeros_like(g), indices, g_rows), None]


register(OpDef("TensorArrayTakeRows", "opaque", infer=_take_rows_infer, numpy=_take_rows_numpy,
               grad=_take_rows_grad))


def take_rows(buffer: Any, g: Any, indices: Any, name: str = "TensorArrayTakeRows") -> list:
    """A write's gradient in one op: ``g``'s rows at ``indices`` (the written value's gradient) and
    ``clear_rows(buffer, g, indices)`` (the earlier buffer's). One op reads ``g`` then clears it, so
    a loop driver that gives ``g`` up lets it clear in place (``donating``) without a copy of ``g``."""
    return apply("TensorArrayTakeRows", [buffer, g, indices], name=name)


def _accumulate_infer(inputs, attrs):
    total, indices, g = inputs
    _check_index_dtype(indices, "indices")
    if g.dtype is not total.dtype:
        raise TypeError(f"TensorArrayAccumulate: {g.name} ({g.dtype.name}) added to {total.name} ({total.dtype.name})")
    return [(total.dtype, total.shape)]


def _accumulate_numpy(total, indices, g):
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    rows = np.asarray(g).reshape((idx.size,) + np.shape(g)[np.ndim(indices):])
    if rows.shape[1:] != total.shape[1:] or idx.size and (idx.min() < 0 or idx.max() >= total.shape[0]):
        raise ValueError(f"TensorArrayAccumulate: rows of shape {list(rows.shape[1:])} at indices "
                         f"{idx.tolist()} do not fit a gradient buffer of shape {list(total.shape)}")
    out = writable(total)
    if idx.size == 1:
        out[idx[0]] += rows[0]
    else:
        np.add.at(out, idx, rows)
    return out


def _accumulate_grad(op, gg):
    _, indices, _ = op.inputs
    return [gg, None, gather_ops.gather(gg, indices)]


register(OpDef("TensorArrayAccumulate", "opaque", infer=_accumulate_infer, numpy=_accumulate_numpy,
               grad=_accumulate_grad))


def accumulate(total: Any, indices: Any, g: Any, name: str = "TensorArrayAccumulate") -> Any:
    """``total + scatter_add(written, indices, g)`` in one op: ``total`` with ``g``'s rows added at
    ``indices`` (a while gradient's running sum of a TensorArray's gradient; a loop driver that gives
    up ``total`` lets it add in place instead of building a zero buffer and a sum every iteration)."""
    return apply("TensorArrayAccumulate", [total, indices, g], name=name)


def accumulated(total: Any, g: Any) -> Optional[Any]:
    """``total + g`` as one ``accumulate`` when ``g`` is a read's gradient (``TensorArrayScatterAdd``)
    into a buffer of ``total``'s shape (checked again at run time); None otherwise."""
    if g.op.type != "TensorArrayScatterAdd" or total.dtype is not g.dtype:
        return None
    a, b = total.shape, g.shape
    if a.ndims is None or a.ndims != b.ndims or not a.is_compatible_with(b):
        return None
    _, indices, rows = g.op.inputs
    return accumulate(total, indices, rows)


# ------------------------------------------------------------------------------------------------
# split: a value cut into equal-length rows

def _split_rows_infer(inputs, attrs):
    value, lengths = inputs
    _check_index_dtype(lengths, "lengths")
    if lengths.shape.ndims not in (None, 1):
        raise ValueError(f"TensorArray split lengths must be a vector, got {lengths.name} with shape {lengths.shape}")
    vdims = value.shape.as_tuple()
    if vdims is not None and len(vdims) == 0:
        raise ValueError(f"TensorArray split needs a value of rank >= 1, got {value.name} with shape {value.shape}")
    known = constant_value(lengths)
    count = _size_of(lengths)
    length = None
    if known is not None and known.size and np.all(known == known.reshape(-1)[0]):
        length = int(known.reshape(-1)[0])
    rest = [None] if vdims is None else list(vdims[1:])
    if vdims is None:
        return [(value.dtype, TensorShape(None))]
    return [(value.dtype, TensorShape([count, length] + rest))]


def _split_rows_numpy(value, lengths, ta_name):
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    total = int(lengths.sum())
    if total != value.shape[0]:
        raise ValueError(f"TensorArray {ta_name}: Expected sum of lengths to be equal to values.shape[0], but "
                         f"sum of lengths is {total} and value's shape is: {_describe(value.shape)}")
    if lengths.size and np.any(lengths != lengths[0]):
        i = int(np.argmax(lengths != lengths[0]))
        shape = (int(lengths[i]),) + value.shape[1:]
        first = (int(lengths[0]),) + value.shape[1:]
        raise ValueError(f"TensorArray {ta_name}: Could not write to TensorArray index {i} because the value "
                         f"shape is {_describe(shape)} which is incompatible with the TensorArray's inferred "
                         f"element shape: {_describe(first)}. graphc's TensorArray holds elements of one shape, "
                         "so split needs equal lengths")
    length = int(lengths[0]) if lengths.size else 0
    return np.array(value.reshape((lengths.size, length) + value.shape[1:]), copy=True)


def _split_rows_grad(op, g):
    value, _ = op.inputs
    return [array.reshape(g, array.shape(value)), None]


register(OpDef("TensorArraySplitRows", "movement", infer=_split_rows_infer, numpy=_split_rows_numpy,
               grad=_split_rows_grad))


def split_rows(value: Any, lengths: Any, ta_name: str, name: str = "TensorArraySplitRows") -> Any:
    """``value`` cut along its first axis into ``len(lengths)`` rows of the (equal) lengths."""
    return apply("TensorArraySplitRows", [value, lengths], {"ta_name": ta_name}, name)


__all__: list = []
