"""A generated kernel reading or writing a block of a wider array in place, for whole loops.

An LSTM cell's body splits its gate product ``[B, 4H]`` into four ``[B, H]`` pieces that one
pointwise kernel reads, and its gradient concatenates four ``[B, H]`` gate gradients that one kernel
writes. Copying the pieces costs as much as the kernel's own memory traffic; instead the kernel is
handed the wide array from the piece's first element and a geometry whose row strides are the wide
array's (``numba_loop_steps.Printer``). That works when the access walks the piece as rows of
contiguous runs: it spans every dim of the piece (no broadcast) and no loop group straddles the
split axis, so the groups before the axis step whole rows (their strides are multiples of a row's
length, patched to the wide row's) and the groups from the axis on stay inside one row.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from graphc.codegen.kernel_common import Access
from graphc.codegen.numba_printer import KernelSource


class Block(NamedTuple):
    """A value stored as a block of a wider array along ``axis`` (a split's piece, or a concat's input
    written into its output): runs of ``width`` elements, ``stride`` apart, from ``offset`` of the
    flat array ``array``."""
    array: str
    offset: int
    width: int
    stride: int
    axis: int


def fits(gen: KernelSource, access: Access, shape: tuple, axis: int, space: tuple) -> bool:
    """Whether ``access`` of kernel ``gen`` over ``space`` (a value of static ``shape``) can read or
    write the value as a block along ``axis``: it spans every dim of the value, no loop group
    straddles the axis, and the last group it spans lies from the axis on (the kernel steps that one
    by 1 without reading its stride; a block whose dims from the axis on are all 1 has none there)."""
    if access.scalar or len(shape) != gen.rank or tuple(access.dim_map) != tuple(range(gen.rank)):
        return False
    if tuple(space) != tuple(shape) or not all(access.indexed[d] for d in range(gen.rank) if shape[d] != 1):
        return False
    spanned = [dims for dims in gen.groups if access.indexed[dims[0]]]
    return (bool(spanned) and spanned[-1][0] >= axis
            and all(dims[-1] < axis or dims[0] >= axis for dims in gen.groups))


def patched_geometry(geo: np.ndarray, gen: KernelSource, access: Access, block: Block) -> Optional[np.ndarray]:
    """``geo`` with the strides of ``access`` along the groups before the block's axis stepping the
    block's rows, or None when one is not a whole number of rows."""
    out = np.array(geo, copy=True)
    position = len(gen.groups)      # the geometry's order: the groups' extents, then the strides
    for a, g in gen.strided():
        if a is access and gen.groups[g][-1] < block.axis:
            if out[position] % block.width:
                return None
            out[position] = out[position] // block.width * block.stride
        position += 1
    return out
