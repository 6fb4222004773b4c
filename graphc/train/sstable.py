"""TensorFlow's sorted-string table ("table", LevelDB's SSTable layout): the ``.index`` file of a
V2 checkpoint.

Layout, as TensorFlow's ``table::TableBuilder`` writes it without compression:

- data blocks of entries ``varint32 shared | varint32 non_shared | varint32 value_len | key
  suffix | value``, keys prefix-compressed against the previous key, a full key (restart point)
  every ``RESTART_INTERVAL`` entries, then the restart offsets (fixed32 each) and their count;
- after each block a 5-byte trailer: compression type (0 = none) and the masked CRC32C of the
  block plus that type byte;
- an empty metaindex block, an index block (one entry per data block: a key between that block's
  last key and the next block's first, mapped to the block's varint64 offset and size);
- a 48-byte footer: the metaindex and index block handles padded to 40 bytes, then ``MAGIC``.

Only the whole-file reader is offered: checkpoint indexes hold one small record per tensor.
"""
from __future__ import annotations

import itertools
import struct
from typing import BinaryIO, List, Tuple

import google_crc32c

MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
BLOCK_TRAILER_SIZE = 5
BLOCK_SIZE = 262144            # TensorFlow's table::Options defaults
RESTART_INTERVAL = 16
NO_COMPRESSION = 0
_MASK_DELTA = 0xA282EAD8


class TableError(ValueError):
    """The bytes are not a well-formed table (truncated, corrupted or not a table at all)."""


def crc32c(data: bytes) -> int:
    """CRC32C (Castagnoli) of ``data``."""
    return google_crc32c.value(bytes(data))


def masked_crc32c(data: bytes) -> int:
    """TensorFlow's masked CRC32C (rotated and offset so a CRC of CRCs does not degenerate)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def encode_varint(value: int) -> bytes:
    """Unsigned LEB128, as LevelDB's varint32/varint64."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(data: bytes, pos: int, limit: int) -> Tuple[int, int]:
    """(value, position after it) of the varint at ``pos``; a TableError if it runs past ``limit``."""
    result = shift = 0
    while pos < limit and shift <= 63:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
    raise TableError("a varint runs past the end of its block")


def _common_prefix(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def shortest_separator(start: bytes, limit: bytes) -> bytes:
    """A short key ``k`` with ``start <= k < limit`` (LevelDB's bytewise FindShortestSeparator)."""
    i = _common_prefix(start, limit)
    if i < min(len(start), len(limit)):
        byte = start[i]
        if byte < 0xFF and byte + 1 < limit[i]:
            return start[:i] + bytes([byte + 1])
    return start


def short_successor(key: bytes) -> bytes:
    """A short key ``>= key`` (LevelDB's bytewise FindShortSuccessor)."""
    for i, byte in enumerate(key):
        if byte != 0xFF:
            return key[:i] + bytes([byte + 1])
    return key


class _BlockBuilder:
    def __init__(self, restart_interval: int) -> None:
        self._interval = restart_interval
        self._buf = bytearray()
        self._restarts = [0]
        self._counter = 0
        self._last_key = b""

    def add(self, key: bytes, value: bytes) -> None:
        if self._counter < self._interval:
            shared = _common_prefix(self._last_key, key)
        else:
            shared = 0
            self._restarts.append(len(self._buf))
            self._counter = 0
        self._buf += encode_varint(shared) + encode_varint(len(key) - shared) + encode_varint(len(value))
        self._buf += key[shared:] + value
        self._last_key = key
        self._counter += 1

    def empty(self) -> bool:
        return not self._buf

    def estimated_size(self) -> int:
        return len(self._buf) + 4 * len(self._restarts) + 4

    def finish(self) -> bytes:
        return bytes(self._buf) + struct.pack(f"<{len(self._restarts) + 1}I", *self._restarts, len(self._restarts))


class TableWriter:
    """Writes a table to a binary file object: ``add`` keys in strictly increasing order, then ``finish``."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self._offset = 0
        self._data = _BlockBuilder(RESTART_INTERVAL)
        self._index = _BlockBuilder(1)
        self._last_key = b""
        self._pending_handle = b""     # the last flushed data block, not yet in the index
        self._count = 0

    def add(self, key: bytes, value: bytes) -> None:
        """Appends one entry; keys must be bytes in strictly increasing order."""
        if self._count and key <= self._last_key:
            raise ValueError(f"table keys must be strictly increasing: {key!r} after {self._last_key!r}")
        if self._pending_handle:
            self._index.add(shortest_separator(self._last_key, key), self._pending_handle)
            self._pending_handle = b""
        self._last_key = key
        self._count += 1
        self._data.add(key, value)
        if self._data.estimated_size() >= BLOCK_SIZE:
            self._flush()

    def _flush(self) -> None:
        if not self._data.empty():
            self._pending_handle = self._write_block(self._data)
            self._data = _BlockBuilder(RESTART_INTERVAL)

    def _write_block(self, block: _BlockBuilder) -> bytes:
        contents = block.finish()
        trailer = bytes([NO_COMPRESSION]) + struct.pack("<I", masked_crc32c(contents + bytes([NO_COMPRESSION])))
        self._f.write(contents + trailer)
        handle = encode_varint(self._offset) + encode_varint(len(contents))
        self._offset += len(contents) + BLOCK_TRAILER_SIZE
        return handle

    def finish(self) -> None:
        """Writes the last data block, the metaindex and index blocks and the footer."""
        self._flush()
        metaindex_handle = self._write_block(_BlockBuilder(RESTART_INTERVAL))
        if self._pending_handle:
            self._index.add(short_successor(self._last_key), self._pending_handle)
            self._pending_handle = b""
        index_handle = self._write_block(self._index)
        handles = metaindex_handle + index_handle
        self._f.write(handles + bytes(FOOTER_SIZE - 8 - len(handles)) + struct.pack("<Q", MAGIC))


def _block_entries(contents: bytes) -> List[Tuple[bytes, bytes]]:
    if len(contents) < 4:
        raise TableError("a block is too short to hold its restart count")
    num_restarts = struct.unpack_from("<I", contents, len(contents) - 4)[0]
    limit = len(contents) - 4 * (num_restarts + 1)
    if num_restarts == 0 or limit < 0:
        raise TableError(f"a block's restart count ({num_restarts}) does not fit in it")
    entries = []
    pos, key = 0, b""
    while pos < limit:
        shared, pos = decode_varint(contents, pos, limit)
        non_shared, pos = decode_varint(contents, pos, limit)
        value_len, pos = decode_varint(contents, pos, limit)
        if shared > len(key) or pos + non_shared + value_len > limit:
            raise TableError("a block entry runs past its block")
        key = key[:shared] + contents[pos:pos + non_shared]
        pos += non_shared
        entries.append((key, contents[pos:pos + value_len]))
        pos += value_len
    return entries


def _read_block(data: bytes, handle: bytes, pos: int = 0) -> Tuple[bytes, int]:
    offset, pos = decode_varint(handle, pos, len(handle))
    size, pos = decode_varint(handle, pos, len(handle))
    end = offset + size
    if end + BLOCK_TRAILER_SIZE > len(data) - FOOTER_SIZE:
        raise TableError(f"a block at offset {offset} (size {size}) runs past the end of the file")
    contents = data[offset:end + 1]        # the block and its compression type byte
    (stored,) = struct.unpack_from("<I", data, end + 1)
    if masked_crc32c(contents) != stored:
        raise TableError(f"checksum mismatch in the block at offset {offset}")
    if data[end] != NO_COMPRESSION:
        raise TableError(f"the block at offset {offset} is compressed (type {data[end]}); TensorFlow writes "
                         "checkpoint indexes uncompressed and graphc reads only those")
    return contents[:-1], pos


def read_table(data: bytes) -> List[Tuple[bytes, bytes]]:
    """Every ``(key, value)`` of a table held in ``data``, in order; TableError if it is malformed."""
    if len(data) < FOOTER_SIZE:
        raise TableError(f"{len(data)} bytes is too short to be a table (the footer alone is {FOOTER_SIZE})")
    footer = data[-FOOTER_SIZE:]
    if struct.unpack_from("<Q", footer, FOOTER_SIZE - 8)[0] != MAGIC:
        raise TableError("the file does not end with the table magic number (not a table, or truncated)")
    _, pos = _read_block(data, footer)             # metaindex: checked, holds nothing we use
    index, _ = _read_block(data, footer, pos)
    entries: List[Tuple[bytes, bytes]] = []
    for _, handle in _block_entries(index):
        block, _ = _read_block(data, handle)
        entries += _block_entries(block)
    for (a, _), (b, _) in itertools.pairwise(entries):
        if a >= b:
            raise TableError(f"keys out of order: {b!r} after {a!r}")
    return entries
