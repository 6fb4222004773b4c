"""CRC-32C (Castagnoli) and TFRecord's masked form, compiled with numba (table-driven)."""
from __future__ import annotations

import numba
import numpy as np

_POLY = 0x82F63B78   # reflected Castagnoli polynomial
_MASK_DELTA = 0xA282EAD8


def _table() -> np.ndarray:
    table = np.zeros(256, dtype=np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table[i] = c
    return table


_TABLE = _table()


@numba.njit(nogil=True)
def _update(crc: int, data: np.ndarray, table: np.ndarray) -> int:
    c = np.uint32(crc) ^ np.uint32(0xFFFFFFFF)
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> np.uint32(8))
    return c ^ np.uint32(0xFFFFFFFF)


def crc32c(data: bytes) -> int:
    """The CRC-32C of ``data``."""
    return int(_update(0, np.frombuffer(data, dtype=np.uint8), _TABLE))


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC-32C: rotated right by 15 bits plus a constant, so CRCs of data that
    itself holds CRCs stay well distributed."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF
