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


class Block(NamedTuple):
    """A value split off a wider one along ``axis``, stored in place: runs of ``width`` elements,
    ``stride`` apart, from ``offset`` of the flat array ``array``."""
    array: str
    offset: int
    width: int
    stride: int
    axis: int


def fits(gen, access, shape: tuple, axis: int, space: tuple) -> bool:
    """Whether ``access`` of kernel ``gen`` over ``space`` (a value of static ``shape``) can read or
    write the value as a block split along ``axis``."""
    if access.scalar or len(shape) != gen.rank or tuple(access.dim_map) != tuple(range(gen.rank)):
        return False
    if tuple(space) != tuple(shape) or not all(access.indexed[d] for d in range(gen.rank) if shape[d] != 1):
        return False
    return all(dims[-1] < axis or dims[0] >= axis for dims in gen.groups)


def patched_geometry(geo: np.ndarray, gen, access, block: Block) -> np.ndarray:
    """``geo`` with the strides of ``access`` along the groups before ``axis`` stepping the block's rows."""
    out = np.array(geo, copy=True)
    for g, position in _stride_positions(gen, access):
        if gen.groups[g][-1] < block.axis:
            assert out[position] % block.width == 0, (out[position], block)
            out[position] = out[position] // block.width * block.stride
    return out


def _stride_positions(gen, access) -> list:
    """``(group, index into the geometry array)`` of each stride of ``access`` (the order of
    ``numba_steps.geometry_recipe``: the groups' extents, then every strided access's strides)."""
    position = len(gen.groups)
    found = []
    for a in gen.accesses:
        if a.scalar:
            continue
        for g, dims in enumerate(gen.groups):
            if a.indexed[dims[0]]:
                if a is access:
                    found.append((g, position))
                position += 1
    return found
