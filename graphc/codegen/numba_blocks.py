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

from typing import NamedTuple

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
    """Whether ``access`` of kernel ``gen`` over ``space`` (a value of static ``shape``, not empty) can
    read or write the value as a block along ``axis``: the value is the whole space (so the access
    spans every loop group), no loop group straddles the axis, and the last group lies from the axis
    on (``numba_printer`` steps an access's last group by 1 without reading its stride; a block whose
    dims from the axis on are all 1 has no group there). A group before the axis then steps whole
    runs of the block, its stride a multiple of their length."""
    if access.scalar or len(shape) != gen.rank or tuple(access.dim_map) != tuple(range(gen.rank)):
        return False
    if tuple(space) != tuple(shape) or not gen.groups or 0 in shape:
        return False
    return gen.groups[-1][0] >= axis and all(dims[-1] < axis or dims[0] >= axis for dims in gen.groups)


def patched_geometry(geo: np.ndarray, gen: KernelSource, access: Access, block: Block) -> np.ndarray:
    """``geo`` with the strides of ``access`` along the groups before the block's axis stepping the
    block's runs in the wide array (``fits``: each is a whole number of runs)."""
    out = np.array(geo, copy=True)
    position = len(gen.groups)      # the geometry's order: the groups' extents, then the strides
    for a, g in gen.strided():
        if a is access and gen.groups[g][-1] < block.axis:
            out[position] = out[position] // block.width * block.stride
        position += 1
    return out
