"""File datasets: ``tf.data.TFRecordDataset`` and ``tf.data.TextLineDataset`` (string scalar elements)."""
from __future__ import annotations

import glob
from typing import Any, Iterator, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.data import structure
from graphc.data.dataset import Dataset
from graphc.data.functions import Env
from graphc.graph import Tensor
from graphc.io import tfrecord


class _FileDataset(Dataset):
    """Elements read from each of ``filenames`` in turn (a string, a list, or a string tensor)."""

    def __init__(self, filenames: Any, compression_type: Any, num_parallel_reads: Optional[int] = None) -> None:
        if hasattr(filenames, "_graph_tensor"):
            filenames = filenames._graph_tensor()
        if isinstance(filenames, Tensor):
            if filenames.dtype is not dtypes.string:
                raise TypeError(f"filenames must be a tf.string tensor, got {filenames.dtype.name}")
            self._names: Any = filenames
        else:
            names = [filenames] if isinstance(filenames, (str, bytes)) else list(filenames)
            self._names = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
        self._compression = compression_type if isinstance(compression_type, Tensor) else \
            tfrecord.compression_name(compression_type)
        # TF1 reads num_parallel_reads files at once, interleaving their records one by one
        self._parallel = max(int(num_parallel_reads or 1), 1)
        super().__init__(structure.Spec(dtypes.string, []))

    def _own_tensors(self) -> list:
        return [t for t in (self._names, self._compression) if isinstance(t, Tensor)]

    def _files(self, env: Env) -> tuple:
        names = self._names
        if isinstance(names, Tensor):
            names = [n.decode() if isinstance(n, bytes) else str(n)
                     for n in np.asarray(env.values[names], dtype=object).reshape(-1)]
        kind = self._compression
        if isinstance(kind, Tensor):
            kind = tfrecord.compression_name(np.asarray(env.values[kind], dtype=object)[()])
        return names, kind

    def _iterate(self, env: Env) -> Iterator[list]:
        from graphc.data.transforms import interleaved

        names, kind = self._files(env)
        records = interleaved(iter(names), lambda name: self._records(name, kind), self._parallel, 1)
        for record in records:
            yield [np.array(record, dtype=object)]

    def _records(self, path: str, kind: str) -> Iterator[bytes]:
        raise TypeError(f"{type(self).__name__} is abstract")   # each reader overrides it


class TFRecordDataset(_FileDataset):
    """The records of TFRecord files (``compression_type``: None/"", "ZLIB" or "GZIP"), file after file,
    or with ``num_parallel_reads=N`` interleaved from N files at a time in TF1's order."""

    def __init__(self, filenames: Any, compression_type: Any = None, buffer_size: Optional[int] = None,
                 num_parallel_reads: Optional[int] = None) -> None:
        super().__init__(filenames, compression_type, num_parallel_reads)

    def _records(self, path: str, kind: str) -> Iterator[bytes]:
        return tfrecord.read_records(path, kind)


class TextLineDataset(_FileDataset):
    """The lines of text files, without their line endings ("\\n" or "\\r\\n")."""

    def __init__(self, filenames: Any, compression_type: Any = None, buffer_size: Optional[int] = None,
                 num_parallel_reads: Optional[int] = None) -> None:
        super().__init__(filenames, compression_type, num_parallel_reads)

    def _records(self, path: str, kind: str) -> Iterator[bytes]:
        pending = b""
        for chunk in tfrecord.decompressed_chunks(path, kind):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line[:-1] if line.endswith(b"\r") else line
        if pending:
            yield pending[:-1] if pending.endswith(b"\r") else pending


class ListFiles(Dataset):
    """The file names matching glob patterns (a string, a list, or a string tensor), sorted."""

    def __init__(self, file_pattern: Any) -> None:
        if hasattr(file_pattern, "_graph_tensor"):
            file_pattern = file_pattern._graph_tensor()
        if isinstance(file_pattern, Tensor):
            self._patterns: Any = file_pattern
        else:
            patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else list(file_pattern)
            self._patterns = [p.decode() if isinstance(p, bytes) else str(p) for p in patterns]
        super().__init__(structure.Spec(dtypes.string, []))

    def _own_tensors(self) -> list:
        return [self._patterns] if isinstance(self._patterns, Tensor) else []

    def _iterate(self, env: Env) -> Iterator[list]:
        patterns = self._patterns
        if isinstance(patterns, Tensor):
            patterns = [p.decode() if isinstance(p, bytes) else str(p)
                        for p in np.asarray(env.values[patterns], dtype=object).reshape(-1)]
        names = sorted({name for p in patterns for name in glob.glob(p)})
        if not names:
            raise errors.InvalidArgumentError(None, None, f"No files matched pattern: {', '.join(patterns)}")
        for name in names:
            yield [np.array(name.encode(), dtype=object)]
