"""TensorFlow's random stream for tf.data: Philox4x32-10 and its one-number-at-a-time adapter.

``tf.data``'s shuffle draws its choices from TensorFlow's ``PhiloxRandom(seed, seed2)`` (the key
is ``seed``, the high half of the 128-bit counter ``seed2``; each call encrypts the counter with
ten Philox rounds into four uint32 and advances it by one) read one uint32 at a time as TF's
``SingleSampleAdapter`` does. Implementing the same stream makes graphc's shuffle orders equal to
TensorFlow's for the same seeds. Blocks are computed with numpy, many counters at once.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

_MASK = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_MUL_A, _MUL_B = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)      # Philox 4x32 multipliers
_KEY_A, _KEY_B = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)      # the key's increments per round
_ROUNDS = 10


def philox_blocks(seed: int, seed2: int, first: int, count: int) -> np.ndarray:
    """The uint32 outputs of blocks ``first .. first+count-1`` of ``PhiloxRandom(seed, seed2)``,
    four per block, in stream order."""
    seed &= 2**64 - 1
    seed2 &= 2**64 - 1
    block = np.arange(first, first + count, dtype=np.uint64)
    c0, c1 = block & _MASK, block >> _SHIFT
    c2 = np.full(count, seed2 & 0xFFFFFFFF, np.uint64)
    c3 = np.full(count, seed2 >> 32, np.uint64)
    k0, k1 = np.uint64(seed & 0xFFFFFFFF), np.uint64(seed >> 32)
    for _ in range(_ROUNDS):
        p0, p1 = _MUL_A * c0, _MUL_B * c2          # 32x32 -> 64-bit products (no overflow)
        c0, c1, c2, c3 = (p1 >> _SHIFT) ^ c1 ^ k0, p1 & _MASK, (p0 >> _SHIFT) ^ c3 ^ k1, p0 & _MASK
        k0, k1 = (k0 + _KEY_A) & _MASK, (k1 + _KEY_B) & _MASK
    return np.stack([c0, c1, c2, c3], axis=1).reshape(-1).astype(np.uint32)


class PhiloxStream:
    """``SingleSampleAdapter<PhiloxRandom>(seed, seed2)``: one uint32 per call."""

    def __init__(self, seed: int, seed2: int) -> None:
        self._seed, self._seed2 = int(seed), int(seed2)
        self._next_block = 0
        self._pending: list = []        # the current chunk's numbers, reversed (pop() is the next)
        self._chunk = 4                  # blocks per numpy call: small first, larger for long runs

    def __call__(self) -> int:
        if not self._pending:
            values = philox_blocks(self._seed, self._seed2, self._next_block, self._chunk)
            self._next_block += self._chunk
            self._chunk = min(self._chunk * 4, 4096)
            self._pending = values.tolist()[::-1]
        return self._pending.pop()


class SeedGenerator:
    """The seeds of each epoch of a shuffle (TF's Random/FixedSeedGenerator): with
    ``reshuffle`` two numbers of the stream ``(seed, seed2)`` per epoch, else ``(seed, seed2)``
    every time. ``seed`` None is TF's ``(0, 0)``: seeds drawn from the OS."""

    def __init__(self, seed: Optional[int], seed2: Optional[int], reshuffle: bool) -> None:
        if seed is None or (seed == 0 and seed2 == 0):
            seed, seed2 = (int(x) for x in np.random.SeedSequence().generate_state(2, np.uint64))
        self._seeds = (int(seed), int(seed2 or 0))
        self._stream = PhiloxStream(*self._seeds) if reshuffle else None

    def next_seeds(self) -> tuple:
        """The (seed, seed2) of the next epoch's stream."""
        if self._stream is None:
            return self._seeds
        return self._stream(), self._stream()
