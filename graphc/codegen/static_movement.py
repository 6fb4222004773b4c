"""Lean recipes for a numpy step that is one split or concat of static shapes.

A loop body of an RNN cell splits its gate pre-activations into four pieces and concatenates
its input with its state every iteration (and its gradient does the reverse): a host step each
time. Through ``NumpyStep.run``'s general path such a step costs ~50 us of Python (the numpy
kernel's own argument handling, the error-state context, output checks) for ~10 us of copying.

``recipe(node)`` works out, once, what such a node does on its static shapes: the slices of a split,
the axis of a concat. The recipe returns the outputs as fresh C arrays (or writes them into the
arrays it is given for them: a loop's recorded row), or None when the arguments do not have the
static shapes (the step then takes its general path, which raises the op's error).
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np


def _static(value) -> Optional[tuple]:
    dims = value.shape.as_tuple()
    return None if dims is None or None in dims else tuple(int(d) for d in dims)


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

    def run(args: list, into: list) -> Optional[list]:
        data = args[0]
        if data.shape != x:
            return None
        outs = []
        for index, out in zip(slices, into):
            if index is None:
                outs.append(None)
            elif out is None:
                outs.append(np.array(data[index], copy=True, order="C"))
            else:
                np.copyto(out, data[index])
                outs.append(out)
        return outs
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
        return [np.concatenate(args, axis=axis, out=into[0])]
    return run


# op type -> recipe builder (None: the node does not qualify)
_RECIPES = {"Split": _split, "SplitV": _split, "ConcatV2": _concat}


def recipe(node, wanted: list) -> Optional[Callable]:
    """``run(args, into) -> outputs or None`` for a split or concat ``node`` of static shapes
    (``into``: per output, a C array of its shape and dtype to write it into, or None; ``wanted``:
    per output, whether anything reads it; an unwanted split piece is not copied and comes back as
    None); None for any other node."""
    build = _RECIPES.get(node.type)
    return None if build is None else build(node, wanted)
