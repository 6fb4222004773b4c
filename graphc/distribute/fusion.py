"""Tensor fusion: many tensors packed into few flat buffers, so one collective moves each buffer.

Like Horovod's fusion buffer, but decided without negotiation: tensors are taken in the order
the graph lists them (the same on every rank, since every rank builds the same graph), grouped
by dtype, and cut into buffers of at most ``threshold`` bytes. A tensor larger than the
threshold travels alone. The layout therefore depends only on the graph and the threshold,
which makes the reduction deterministic and identical on every rank.
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from graphc import switches

DEFAULT_THRESHOLD = 64 * 1024 * 1024      # Horovod's HOROVOD_FUSION_THRESHOLD default
THRESHOLD_ENV = switches.FUSION_THRESHOLD.name


def threshold_from_env() -> int:
    """Fusion buffer size in bytes: GRAPHC_FUSION_THRESHOLD, else HOROVOD_FUSION_THRESHOLD, else 64 MiB."""
    for name in (THRESHOLD_ENV, "HOROVOD_FUSION_THRESHOLD"):
        text = os.environ.get(name)
        if text:
            try:
                value = int(text)
            except ValueError:
                raise ValueError(f"{name}={text!r} is not a number of bytes") from None
            if value < 0:
                raise ValueError(f"{name}={text!r} must be >= 0 (0 turns fusion off)")
            return value
    return DEFAULT_THRESHOLD


def plan(arrays: Sequence[np.ndarray], threshold: int) -> list:
    """Buffers as lists of indices into ``arrays``: same dtype, in order, each under ``threshold`` bytes."""
    buffers: list = []
    open_buffer: dict = {}                 # dtype -> (index list, bytes so far)
    for i, a in enumerate(arrays):
        key = a.dtype.str
        current = open_buffer.get(key)
        if current is not None and current[1] + a.nbytes <= threshold:
            current[0].append(i)
            open_buffer[key] = (current[0], current[1] + a.nbytes)
            continue
        members = [i]
        buffers.append(members)
        open_buffer[key] = (members, a.nbytes)
    return buffers


def pack(arrays: Sequence[np.ndarray], members: Sequence[int], writable: bool = True) -> np.ndarray:
    """One contiguous 1-D buffer holding ``arrays[i]`` for ``i`` in ``members``, in that order.

    With ``writable=False`` (a send buffer MPI only reads) a lone contiguous array is not copied.
    """
    if len(members) == 1:
        flat = np.ascontiguousarray(arrays[members[0]]).reshape(-1)
        return flat if not writable else flat.copy()
    return np.concatenate([np.ravel(arrays[i]) for i in members])


def unpack(buffer: np.ndarray, arrays: Sequence[np.ndarray], members: Sequence[int], out: list) -> None:
    """Cuts ``buffer`` back into arrays shaped like ``arrays[i]`` and stores them in ``out[i]``."""
    offset = 0
    for i in members:
        n = arrays[i].size
        out[i] = buffer[offset:offset + n].reshape(arrays[i].shape)
        offset += n
