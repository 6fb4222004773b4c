"""Lean recipes for a numpy step that is one data-movement node of static shapes.

A loop body of an RNN cell splits its gate pre-activations into four pieces and concatenates
its input with its state every iteration, writes its output into a TensorArray (and its gradient
does the reverse: takes that row back, gathers the saved rows of the iteration): a host step each
time. Through ``NumpyStep.run``'s general path such a step costs 40-120 us of Python (the numpy
kernel's own argument handling, the error-state context, output checks) for 5-10 us of copying.

``recipe(node)`` works out, once, what such a node does on its static shapes: the slices of a split,
the axis of a concat, the row a one-index gather, TensorArray write or gradient row take touches.
The recipe returns the outputs as fresh C arrays (or writes them into the arrays it is given for
them: a loop's recorded row), or None when the arguments are not what the static shapes promise or
anything would fail (the step then takes its general path, which raises the op's error).
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from graphc.ops import tensor_array


def _static(value) -> Optional[tuple]:
    dims = value.shape.as_tuple()
    return None if dims is None or None in dims else tuple(int(d) for d in dims)


def _copy_into(out: Optional[np.ndarray], source: np.ndarray) -> np.ndarray:
    """``source`` copied into ``out``, or into a new C array when ``out`` is None."""
    if out is None:
        return np.array(source, copy=True, order="C")
    np.copyto(out, source)
    return out


def _split(node, wanted: list) -> Optional[Callable]:
    """A Split/SplitV node: each wanted output a C copy of its slice of the input (others None)."""
    x = _static(node.inputs[0])
    outs = [_static(v) for v in node.outputs]
    if x is None or not x or any(o is None for o in outs):
        return None
    axis = node.attrs["axis"] % len(x)
    slices, start = [], 0
    for shape in outs:
        index = [slice(None)] * len(x)
        index[axis] = slice(start, start + shape[axis])
        slices.append(tuple(index) if wanted[len(slices)] else None)
        start += shape[axis]
    if start != x[axis]:
        return None
    sizes = [shape[axis] for shape in outs]
    checks_sizes = node.type == "SplitV"     # its sizes are an input (-1: the rest)

    def run(args: list, into: list) -> Optional[list]:
        data = args[0]
        if data.shape != x:
            return None
        if checks_sizes:
            given = np.asarray(args[1]).reshape(-1).tolist()
            if len(given) != len(sizes) or any(g != s and g != -1 for g, s in zip(given, sizes)):
                return None
        return [None if index is None else _copy_into(out, data[index]) for index, out in zip(slices, into)]
    return run


def _concat(node, wanted: list) -> Optional[Callable]:
    """A ConcatV2 node: one new array."""
    ins = [_static(v) for v in node.inputs]
    if not node.inputs or any(s is None for s in ins) or _static(node.outputs[0]) is None:
        return None
    axis = node.attrs["axis"] % len(ins[0])

    def run(args: list, into: list) -> Optional[list]:
        for a, shape in zip(args, ins):
            if a.shape != shape:
                return None
        out = np.concatenate(args, axis=axis, out=into[0])
        return [out if out.flags.c_contiguous else np.ascontiguousarray(out)]
    return run


def _one_index(node, position: int) -> bool:
    return node.inputs[position].shape.ndims == 0


def _gather(node, wanted: list) -> Optional[Callable]:
    """A GatherV2 of one index (a scalar) along any axis: a C copy of that slice."""
    params = _static(node.inputs[0])
    if params is None or not params or not _one_index(node, 1) or _static(node.outputs[0]) is None:
        return None
    axis = node.attrs["axis"] % len(params)
    lead, limit = (slice(None),) * axis, params[axis]

    def run(args: list, into: list) -> Optional[list]:
        data, index = args
        if data.shape != params or index.ndim != 0:
            return None
        i = int(index)
        if not 0 <= i < limit:
            return None
        return [_copy_into(into[0], data[lead + (i,)])]
    return run


def _ta_write(node, wanted: list) -> Optional[Callable]:
    """A TensorArrayScatter of one element (``ta.write(i, value)``) into a buffer of fixed size whose
    rows have the value's shape: the row written (in place when the buffer was given up) and the
    written flags with ``i`` set; None for an index out of range or already written."""
    buffer, value = _static(node.inputs[0]), _static(node.inputs[3])
    if (buffer is None or value is None or not _one_index(node, 2) or node.attrs["dynamic_size"]
            or buffer[1:] != value):
        return None
    size = buffer[0]

    def run(args: list, into: list) -> Optional[list]:
        data, written, index, row = args
        if data.shape != buffer or row.shape != value or written.shape != (size,) or index.ndim != 0:
            return None
        i = int(index)
        if not 0 <= i < size or written[i]:
            return None
        out = tensor_array.writable(data)
        out[i] = row
        flags = written.copy()
        flags[i] = True
        return [out, flags]
    return run


def _ta_read(node, wanted: list) -> Optional[Callable]:
    """A TensorArrayGather of one index (``ta.read(i)``) from a buffer of fixed size whose rows have
    the element's shape: a C copy of row ``i``; None while nothing is written (the general path
    reads zeros or raises) and for an index out of range."""
    buffer, element = _static(node.inputs[0]), _static(node.outputs[0])
    if buffer is None or not buffer or not _one_index(node, 2) or buffer[1:] != element:
        return None

    def run(args: list, into: list) -> Optional[list]:
        data, written, index = args
        if data.shape != buffer or written.shape != (buffer[0],) or index.ndim != 0:
            return None
        i = int(index)
        if not 0 <= i < buffer[0] or not written.any():
            return None
        return [_copy_into(into[0], data[i])]
    return run


def _ta_take_row(node, wanted: list) -> Optional[Callable]:
    """A TensorArrayTakeRows of one index (the gradient of a one-element write): the row of the
    gradient, copied, and the gradient with that row zeroed (in place when it was given up)."""
    buffer, grad = _static(node.inputs[0]), _static(node.inputs[1])
    if buffer is None or buffer != grad or not buffer or not _one_index(node, 2):
        return None

    def run(args: list, into: list) -> Optional[list]:
        data, g, index = args
        if data.shape != buffer or g.shape != buffer or index.ndim != 0:
            return None
        i = int(index)
        if not 0 <= i < buffer[0]:
            return None
        row = _copy_into(into[0], g[i]) if wanted[0] else None    # before the row is cleared
        rest = None
        if wanted[1]:
            rest = tensor_array.writable(g)
            rest[i] = 0
        return [row, rest]
    return run


# op type -> recipe builder (None: the node does not qualify)
_RECIPES = {"Split": _split, "SplitV": _split, "ConcatV2": _concat, "GatherV2": _gather,
            "TensorArrayScatter": _ta_write, "TensorArrayGather": _ta_read, "TensorArrayTakeRows": _ta_take_row}


def recipe(node, wanted: list) -> Optional[Callable]:
    """``run(args, into) -> outputs or None`` for a movement ``node`` of static shapes (``_RECIPES``)
    (``into``: per output, a C array of its shape and dtype to write it into, or None; ``wanted``:
    per output, whether anything reads it; an unwanted split piece is not copied and comes back as
    None); None for any other node."""
    build = _RECIPES.get(node.type)
    return None if build is None else build(node, wanted)
