"""The file behind ``Dataset.cache(filename)``: elements as a numpy ``.npz`` archive, without pickle.

Component j of element i is the array ``e{i}_{j}``; a string component (an object array of bytes)
is stored as its bytes joined (``e{i}_{j}_bytes``, uint8) and their lengths (``e{i}_{j}_lengths``),
so loading never unpickles anything (``allow_pickle=False``) and a planted file cannot run code.
"""
from __future__ import annotations

import os

import zipfile

import numpy as np

from graphc import errors


def save(path: str, elements: list) -> None:
    """Writes ``elements`` (lists of arrays) to ``path`` atomically."""
    arrays: dict = {"count": np.array([len(elements), len(elements[0]) if elements else 0], np.int64)}
    for i, element in enumerate(elements):
        for j, component in enumerate(element):
            if component.dtype == object:
                flat = [bytes(b) for b in component.reshape(-1)]
                arrays[f"e{i}_{j}_bytes"] = np.frombuffer(b"".join(flat), np.uint8)
                arrays[f"e{i}_{j}_lengths"] = np.array([len(b) for b in flat], np.int64)
                arrays[f"e{i}_{j}_shape"] = np.array(component.shape, np.int64)
            else:
                arrays[f"e{i}_{j}"] = component
    tmp = f"{path}.tmp-{os.getpid()}.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def load(path: str) -> list:
    """The elements ``save`` wrote to ``path``; DataLossError for any other file."""
    try:
        return _load(path)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as e:
        raise errors.DataLossError(None, None, f"{path} is not a dataset cache file that graphc wrote: {e}") from None


def _load(path: str) -> list:
    with np.load(path, allow_pickle=False) as data:
        n, width = (int(v) for v in data["count"])
        elements = []
        for i in range(n):
            element = []
            for j in range(width):
                if f"e{i}_{j}" in data:
                    element.append(data[f"e{i}_{j}"])
                    continue
                raw = data[f"e{i}_{j}_bytes"].tobytes()
                ends = np.cumsum(data[f"e{i}_{j}_lengths"])
                out = np.empty(len(ends), dtype=object)
                out[:] = [raw[a:b] for a, b in zip(np.concatenate([[0], ends[:-1]]), ends)]
                element.append(out.reshape(tuple(data[f"e{i}_{j}_shape"])))
            elements.append(element)
    return elements
