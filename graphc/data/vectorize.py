"""Map-then-batch as batch-then-map: one run of the map function per batch instead of per element.

``dataset.map(f).batch(n)`` may run ``f`` once on the stacked batch when that provably gives the
stacked results of ``f`` on each element. graphc proves it only for the simplest and most common
functions: the element's components have fully known shapes; every op of ``f`` is elementwise;
the inputs of each op that come from the element all have one shape, which is the op's output
shape, and its other inputs (constants, captured tensors) are scalars; every result comes from
the element (casts, scaling, normalization, comparisons, a label passed through ...). Then each op
acts on every position independently, so a leading batch dimension changes nothing but the
layout. Anything else (reshapes, reductions, random ops, strings) runs element by element.
"""
from __future__ import annotations

from typing import Callable, Optional

from graphc.data import structure
from graphc.data.functions import Traced, trace
from graphc.ops.core import OPS, OpKind

def batched_version(fn: Callable, traced: Traced) -> Optional[Traced]:
    """``fn`` traced on batches of ``traced``'s arguments, if running it per batch is provably the
    same as per element; else None."""
    if not _elementwise(traced):
        return None
    specs = structure.map_structure(
        lambda s: structure.Spec(s.dtype, [None] + list(s.shape.as_tuple())), traced.arg_specs)
    return trace(fn, specs, "MapDataset_batched_fn")


def _elementwise(traced: Traced) -> bool:
    """Whether every op of ``traced`` acts position by position on one element-derived shape."""
    from graphc import dtypes

    shape_of: dict = {}     # tensor derived from the element -> its (fully known) shape
    for ph, spec in zip(traced.placeholders, structure.flatten(traced.arg_specs)):
        dims = spec.shape.as_tuple()
        if dims is None or None in dims or spec.dtype is dtypes.string:
            return False
        shape_of[ph] = dims
    if any(c.shape.as_tuple() != () for c in traced.captures):
        return False
    for op in traced.ops:
        if op.type == "Placeholder":
            continue
        od = OPS.get(op.type)
        if od is None or (od.kind is not OpKind.ELEMENTWISE and op.type != "Const"):
            return False
        derived = {shape_of[t] for t in op.inputs if t in shape_of}
        if len(derived) > 1 or any(t.shape.as_tuple() != () for t in op.inputs if t not in shape_of):
            return False      # two element shapes broadcast together, or a non-scalar constant
        shape = derived.pop() if derived else None     # None: computed from scalar constants only
        for t in op.outputs:
            if t.shape.as_tuple() != (() if shape is None else shape):
                return False
            if shape is not None:
                shape_of[t] = shape
    return all(t in shape_of for t in traced.output_tensors)
