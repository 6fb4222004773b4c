"""TensorFlow's V2 checkpoint ("tensor bundle"): ``<prefix>.index`` and ``<prefix>.data-NNNNN-of-MMMMM``.

The index is a table (``graphc.train.sstable``) mapping the empty key to a ``BundleHeaderProto``
(number of data shards, endianness, format version) and each tensor name to a
``BundleEntryProto`` (dtype, shape, shard, offset and size in that shard, masked CRC32C of the
bytes). A data shard is the tensors' raw little-endian bytes, back to back.

The writer does what TensorFlow's ``BundleWriter`` does for one shard: tensors in name order,
unpadded, so the same variables give the same bytes as TensorFlow. The reader takes any number of
shards, as TensorFlow's sharded saves write them; string tensors and partitioned (sliced) variables,
which graphc's Saver never writes, are refused with a message naming the tensor.
"""
from __future__ import annotations

import contextlib
import os
import re
from typing import Any, Callable, ContextManager, Dict, List, Tuple

import numpy as np
from google.protobuf.message import DecodeError

from graphc import errors
from graphc.train import sstable
from graphc.train.checkpoint_protos import BundleEntryProto, BundleHeaderProto

INDEX_SUFFIX = ".index"
FORMAT_VERSION = 1            # TensorFlow's kTensorBundleVersion (VersionDef.producer)

# TensorFlow's DataType enum -> numpy, for the types whose tensors are plain bytes
NUMPY_OF_ENUM = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8,
                 8: np.complex64, 9: np.int64, 10: np.bool_, 17: np.uint16, 18: np.complex128,
                 19: np.float16, 22: np.uint32, 23: np.uint64}
ENUM_OF_NUMPY = {np.dtype(t): e for e, t in NUMPY_OF_ENUM.items()}
NAME_OF_ENUM = {7: "string", 14: "bfloat16", 20: "resource", 21: "variant"}


def index_path(prefix: str) -> str:
    """The index file of checkpoint ``prefix``."""
    return prefix + INDEX_SUFFIX


def data_path(prefix: str, shard: int, num_shards: int) -> str:
    """Data shard ``shard`` of ``num_shards`` of checkpoint ``prefix``."""
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


def bundle_files(prefix: str) -> List[str]:
    """The files of checkpoint ``prefix`` present on disk: its index and every data shard."""
    directory = os.path.dirname(prefix) or "."
    pattern = re.compile(re.escape(os.path.basename(prefix)) + r"\.data-\d{5}-of-\d{5}$")
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    found = [os.path.join(directory, n) for n in sorted(names) if pattern.match(n)]
    return found + ([index_path(prefix)] if os.path.isfile(index_path(prefix)) else [])


def dtype_enum(dtype: Any) -> int:
    """TensorFlow's DataType number of a numpy dtype; a ValueError for dtypes a bundle cannot hold."""
    try:
        return ENUM_OF_NUMPY[np.dtype(dtype)]
    except KeyError:
        raise ValueError(f"a checkpoint cannot hold tensors of dtype {np.dtype(dtype)}") from None


def _entry(value: np.ndarray, offset: int, raw: bytes) -> bytes:
    entry = BundleEntryProto(dtype=dtype_enum(value.dtype), offset=offset, size=len(raw),
                             crc32c=sstable.masked_crc32c(raw))
    entry.shape.SetInParent()          # a scalar's shape is present and empty, as TensorFlow writes it
    for size in value.shape:
        entry.shape.dim.add(size=size)
    return entry.SerializeToString()


def write_bundle(prefix: str, tensors: Dict[str, np.ndarray],
                 open_file: Callable[[str], ContextManager[Any]]) -> None:
    """Writes ``tensors`` (name -> array) as checkpoint ``prefix``: one data shard, then the index.

    ``open_file(path)`` gives the binary file each is written to (the Saver's atomic files). The
    index goes last, so a checkpoint whose index exists has its data complete; if writing the
    index fails, the new data shard is removed again.
    """
    entries = []
    with open_file(data_path(prefix, 0, 1)) as f:
        offset = 0
        for name in sorted(tensors):
            value = np.asarray(tensors[name])
            raw = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<")).tobytes()
            entries.append((name.encode("utf-8"), _entry(value, offset, raw)))
            f.write(raw)
            offset += len(raw)
    header = BundleHeaderProto(num_shards=1)
    header.version.producer = FORMAT_VERSION
    try:
        with open_file(index_path(prefix)) as f:
            table = sstable.TableWriter(f)
            table.add(b"", header.SerializeToString())
            for key, value in entries:
                table.add(key, value)
            table.finish()
    except BaseException:
        with contextlib.suppress(OSError):     # a shard without its index is no checkpoint
            os.remove(data_path(prefix, 0, 1))
        raise


class BundleReader:
    """Reads checkpoint ``prefix``: the index when constructed, tensors on demand.

    ``NotFoundError`` when the index (or, when a tensor is read, its data shard) is missing;
    ``DataLossError`` when a file is truncated, corrupted or fails its checksum.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        path = index_path(prefix)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise errors.NotFoundError(None, None, (
                f"Unsuccessful TensorSliceReader constructor: Failed to find any matching files for "
                f"{prefix} (no file {path})")) from None
        except OSError as e:
            raise errors.DataLossError(None, None, f"Unable to read checkpoint index {path}: {e}") from None
        try:
            records = sstable.read_table(data)
            if not records or records[0][0] != b"":
                raise sstable.TableError("it has no bundle header (the entry with the empty key)")
            self.header = BundleHeaderProto.FromString(records[0][1])
            self._entries = {key.decode("utf-8"): BundleEntryProto.FromString(value) for key, value in records[1:]}
        except (sstable.TableError, UnicodeDecodeError) as e:
            raise self._corrupt(path, str(e)) from None
        except DecodeError as e:
            raise self._corrupt(path, f"a record is not a valid protobuf message ({e})") from None
        self._check_header(path)

    def _corrupt(self, path: str, why: str) -> errors.DataLossError:
        return errors.DataLossError(None, None, (
            f"Unable to read checkpoint index {path}: {why}. The file is truncated or corrupted; restore "
            "an older checkpoint instead."))

    def _check_header(self, path: str) -> None:
        version = self.header.version
        if version.min_consumer > FORMAT_VERSION or FORMAT_VERSION in version.bad_consumers:
            raise errors.InvalidArgumentError(None, None, (
                f"Checkpoint {path} needs a reader of format version >= {version.min_consumer}; graphc "
                f"reads version {FORMAT_VERSION}."))
        if self.header.num_shards < 1:
            raise self._corrupt(path, f"its header names {self.header.num_shards} data shards")
        for name, entry in self._entries.items():
            if not 0 <= entry.shard_id < self.header.num_shards:
                raise self._corrupt(path, f"tensor {name} is in shard {entry.shard_id} of {self.header.num_shards}")

    def names(self) -> List[str]:
        """Every tensor name, sorted."""
        return sorted(self._entries)

    def has(self, name: str) -> bool:
        """True if the checkpoint holds tensor ``name``."""
        return name in self._entries

    def dtype_enum(self, name: str) -> int:
        """TensorFlow's DataType number of tensor ``name``."""
        return self._entries[name].dtype

    def shape(self, name: str) -> Tuple[int, ...]:
        """The shape of tensor ``name``."""
        return tuple(d.size for d in self._entries[name].shape.dim)

    def tensor(self, name: str) -> np.ndarray:
        """The value of tensor ``name``, checked against its size and checksum."""
        entry = self._entries[name]
        if entry.slices:
            raise errors.UnimplementedError(None, None, (
                f"Tensor {name} in checkpoint {self.prefix} is a partitioned variable (saved as slices); "
                "graphc reads whole tensors only."))
        if entry.dtype not in NUMPY_OF_ENUM:
            kind = NAME_OF_ENUM.get(entry.dtype, f"DataType {entry.dtype}")
            raise errors.UnimplementedError(None, None, (
                f"Tensor {name} in checkpoint {self.prefix} has dtype {kind}, which graphc cannot read."))
        dtype = np.dtype(NUMPY_OF_ENUM[entry.dtype]).newbyteorder(">" if self.header.endianness == 1 else "<")
        shape = self.shape(name)
        path = data_path(self.prefix, entry.shard_id, self.header.num_shards)
        expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if entry.size != expected:
            raise errors.DataLossError(None, None, (
                f"Checkpoint {index_path(self.prefix)} records {entry.size} bytes for tensor {name} of shape "
                f"{list(shape)} and dtype {np.dtype(dtype).name} ({expected} bytes): the index is corrupted."))
        raw = self._read(path, name, entry.offset, entry.size)
        if sstable.masked_crc32c(raw) != entry.crc32c:
            raise errors.DataLossError(None, None, (
                f"Checksum does not match for tensor {name} in {path}: the data file is corrupted; "
                "restore an older checkpoint instead."))
        return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="), copy=True).reshape(shape)

    def _read(self, path: str, name: str, offset: int, size: int) -> bytes:
        try:
            with open(path, "rb") as f:
                f.seek(offset)
                raw = f.read(size)
        except FileNotFoundError:
            raise errors.NotFoundError(None, None, (
                f"Data shard {path} of checkpoint {self.prefix} is missing (needed for tensor {name}).")) from None
        except OSError as e:
            raise errors.DataLossError(None, None, f"Unable to read {path} for tensor {name}: {e}") from None
        if len(raw) != size:
            raise errors.DataLossError(None, None, (
                f"Data shard {path} is truncated: tensor {name} needs bytes {offset}..{offset + size} but the "
                f"file ends before that."))
        return raw
