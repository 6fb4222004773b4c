"""TFRecord files, in TensorFlow's exact format: ``tf.python_io.TFRecordWriter`` and ``tf_record_iterator``.

Each record is: its length (uint64, little endian), the masked CRC-32C of those 8 bytes (uint32),
the data, the masked CRC-32C of the data (uint32). A GZIP or ZLIB file is that byte stream
compressed as a whole.
"""
from __future__ import annotations

import struct
import zlib
from typing import Any, BinaryIO, Iterator, Optional

from graphc import errors
from graphc.io.crc32c import masked_crc32c


class TFRecordCompressionType:
    """TF1's compression enum for TFRecord files."""

    NONE = 0
    ZLIB = 1
    GZIP = 2


_NAMES = {TFRecordCompressionType.NONE: "", TFRecordCompressionType.ZLIB: "ZLIB",
          TFRecordCompressionType.GZIP: "GZIP"}


class TFRecordOptions:
    """How a TFRecord file is compressed (``compression_type``: "", "ZLIB", "GZIP" or the enum)."""

    def __init__(self, compression_type: Any = None, compression_level: Optional[int] = None, **_: Any) -> None:
        self.compression_type = compression_name(compression_type)
        self.compression_level = compression_level

    @staticmethod
    def get_compression_type_string(options: Any) -> str:
        """The compression name ("", "ZLIB" or "GZIP") of ``options`` (None: no compression)."""
        if options is None:
            return ""
        return options.compression_type if isinstance(options, TFRecordOptions) else compression_name(options)


def compression_name(value: Any) -> str:
    """"", "ZLIB" or "GZIP" for any of TF1's spellings (None, the enum, the string)."""
    if value is None:
        return ""
    if isinstance(value, TFRecordOptions):
        return value.compression_type
    if isinstance(value, int) and value in _NAMES:
        return _NAMES[value]
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str) and value.upper() in ("", "ZLIB", "GZIP"):
        return value.upper()
    raise ValueError(f"Unsupported compression type {value!r}: use '', 'ZLIB' or 'GZIP'")


def encode_record(data: bytes) -> bytes:
    """One record's bytes in the TFRecord framing."""
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc32c(header)) + data + struct.pack("<I", masked_crc32c(data))


class TFRecordWriter:
    """Writes records to a TFRecord file (TF1 ``tf.python_io.TFRecordWriter``); a context manager."""

    def __init__(self, path: str, options: Any = None) -> None:
        kind = compression_name(options)
        level = getattr(options, "compression_level", None)
        level = 6 if level is None or level < 0 else level
        self._file: BinaryIO = open(path, "wb")   # noqa: SIM115 (closed by close())
        # zlib writes the gzip header too (no name, mtime 0), as TensorFlow's zlib stream does
        self._zlib = zlib.compressobj(level, zlib.DEFLATED, 31 if kind == "GZIP" else 15) if kind else None

    def write(self, record: Any) -> None:
        """Appends one record (bytes, or str encoded as UTF-8)."""
        data = record.encode() if isinstance(record, str) else bytes(record)
        framed = encode_record(data)
        self._file.write(self._zlib.compress(framed) if self._zlib is not None else framed)

    def flush(self) -> None:
        """Pushes buffered records to the file (a compressed stream is synced, not finished)."""
        if self._zlib is not None:
            self._file.write(self._zlib.flush(zlib.Z_SYNC_FLUSH))
        self._file.flush()

    def close(self) -> None:
        """Finishes and closes the file."""
        if self._file.closed:
            return
        if self._zlib is not None:
            self._file.write(self._zlib.flush())
        self._file.close()

    def __enter__(self) -> "TFRecordWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def decompressed_chunks(path: str, kind: str) -> Iterator[bytes]:
    """The bytes of file ``path`` in chunks, decompressed as ``kind`` ("", "ZLIB", "GZIP") says."""
    try:
        f = open(path, "rb")   # noqa: SIM115
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    with f:
        if not kind:
            while chunk := f.read(1 << 20):
                yield chunk
            return
        d = zlib.decompressobj(31 if kind == "GZIP" else 15)
        try:
            while chunk := f.read(1 << 20):
                yield d.decompress(chunk)
            yield d.flush()
        except zlib.error as e:
            raise errors.DataLossError(None, None, f"{path}: not a valid {kind} stream ({e})") from None


def read_records(path: str, compression: Any = None) -> Iterator[bytes]:
    """The records of a TFRecord file, checking both CRCs; DataLossError on corruption or truncation."""
    kind = compression_name(compression)
    buf = bytearray()
    offset = 0       # of the record being read, in the uncompressed stream
    chunks = decompressed_chunks(path, kind)
    done = False

    def fill(n: int) -> bool:
        nonlocal done
        while len(buf) < n and not done:
            chunk = next(chunks, None)
            if chunk is None:
                done = True
            else:
                buf.extend(chunk)
        return len(buf) >= n

    while True:
        if not fill(12):
            if buf:
                raise errors.DataLossError(None, None, f"truncated record at {offset}")
            return
        header = bytes(buf[:8])
        (length,) = struct.unpack("<Q", header)
        (crc,) = struct.unpack("<I", buf[8:12])
        if crc != masked_crc32c(header):
            raise errors.DataLossError(None, None, f"corrupted record at {offset}")
        if not fill(12 + length + 4):
            raise errors.DataLossError(None, None, f"truncated record at {offset}")
        data = bytes(buf[12:12 + length])
        (crc,) = struct.unpack("<I", buf[12 + length:16 + length])
        if crc != masked_crc32c(data):   # TF names where the data starts
            raise errors.DataLossError(None, None, f"corrupted record at {offset + 12}")
        del buf[:16 + length]
        offset += 16 + length
        yield data


def tf_record_iterator(path: str, options: Any = None) -> Iterator[bytes]:
    """The records of the TFRecord file ``path`` (TF1 ``tf.python_io.tf_record_iterator``)."""
    return read_records(path, options)
