"""TF1's file readers for queue pipelines: ``tf.TFRecordReader``, ``tf.TextLineReader``, ``tf.WholeFileReader``.

``reader.read(filename_queue)`` is a (key, value) pair of string scalars; each run that needs it
takes the next record, dequeuing the next file name when the current file is done, and
OutOfRangeError once the queue is closed and empty. The reader's position lives in the session.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any, Iterator, Optional

import numpy as np

from graphc import dtypes
from graphc.graph import Operation, get_default_graph
from graphc.io import tfrecord
from graphc.ops.core import OpDef, make_op, register
from graphc.ops.state import QUERY_ANSWERS, SESSION_CLOSED, STATE_QUERIES
from graphc.queues import queue_state
from graphc.shape import TensorShape


class ReaderBase:
    """A reader of records from the files a queue names."""

    def __init__(self, name: str) -> None:
        self.name = get_default_graph().unique_name(name)

    def read(self, queue: Any, name: Optional[str] = None) -> tuple:
        """(key, value): the next record's "file:index" key and its bytes."""
        op = make_op("ReaderReadV2", [], {"reader": self, "queue": queue}, name or "ReaderReadV2")
        get_default_graph()._state_queries.append(op)
        return op.outputs[0], op.outputs[1]

    def _records(self, path: str) -> Iterator[bytes]:
        raise TypeError("ReaderBase is abstract")   # each reader overrides it


class TFRecordReader(ReaderBase):
    """The records of TFRecord files (``options``: a TFRecordOptions or compression name)."""

    def __init__(self, name: Optional[str] = None, options: Any = None) -> None:
        super().__init__(name or "TFRecordReaderV2")
        self._compression = tfrecord.compression_name(options)

    def _records(self, path: str) -> Iterator[bytes]:
        return tfrecord.read_records(path, self._compression)


class TextLineReader(ReaderBase):
    """The lines of text files without their line endings, after ``skip_header_lines`` lines."""

    def __init__(self, skip_header_lines: Optional[int] = None, name: Optional[str] = None) -> None:
        super().__init__(name or "TextLineReaderV2")
        self._skip = int(skip_header_lines or 0)

    def _records(self, path: str) -> Iterator[bytes]:
        pending = b""
        n = 0
        for chunk in tfrecord.decompressed_chunks(path, ""):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                n += 1
                if n > self._skip:
                    yield line[:-1] if line.endswith(b"\r") else line
        if pending and n + 1 > self._skip:
            yield pending[:-1] if pending.endswith(b"\r") else pending


class WholeFileReader(ReaderBase):
    """Each file as one record (key: its name)."""

    def __init__(self, name: Optional[str] = None) -> None:
        super().__init__(name or "WholeFileReaderV2")

    def _records(self, path: str) -> Iterator[bytes]:
        yield b"".join(tfrecord.decompressed_chunks(path, ""))


class _ReaderState:
    def __init__(self) -> None:
        self.name: Optional[str] = None
        self.records: Optional[Iterator[bytes]] = None
        self.index = 0
        self.returned: list = []
        self.lock = threading.Lock()


_SESSIONS: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _state(session: Any, reader: ReaderBase) -> _ReaderState:
    with _LOCK:
        return _SESSIONS.setdefault(session, {}).setdefault(reader, _ReaderState())


SESSION_CLOSED.append(lambda session: _SESSIONS.pop(session, None))


def _next_record(session: Any, op: Operation, state: _ReaderState) -> tuple:
    reader, queue = op.attrs["reader"], op.attrs["queue"]
    while True:
        if state.records is not None:
            record = next(state.records, None)
            if record is not None:
                key = f"{state.name}:{state.index}".encode()
                state.index += 1
                return key, record
            state.records = None
        (item,) = queue_state(session, queue).take(1, False, op)
        raw = np.asarray(item[0], dtype=object)[()]
        state.name = raw.decode() if isinstance(raw, bytes) else str(raw)
        state.records, state.index = reader._records(state.name), 0


def _answer_read(session: Any, op: Operation, feeds: dict, host: Any) -> list:
    state = _state(session, op.attrs["reader"])
    with state.lock:
        pair = state.returned.pop() if state.returned else _next_record(session, op, state)

    def give_back() -> None:
        with state.lock:
            state.returned.append(pair)
    host.on_failure(give_back)
    return [np.array(pair[0], dtype=object), np.array(pair[1], dtype=object)]


register(OpDef("ReaderReadV2", "source", numpy=None, differentiable=False, pure=False,
               infer=lambda inputs, attrs: [(dtypes.string, TensorShape([])), (dtypes.string, TensorShape([]))]))
STATE_QUERIES.add("ReaderReadV2")
QUERY_ANSWERS["ReaderReadV2"] = _answer_read
