"""Reading checkpoints: TensorFlow's V2 format (what the Saver writes, and what TensorFlow writes)
and graphc's older ``<prefix>.npz`` files, behind one interface; ``tf.train.NewCheckpointReader``,
``load_checkpoint``, ``list_variables``, ``load_variable``, ``latest_checkpoint``,
``checkpoint_exists``.

A prefix with a ``.index`` file is read as a V2 checkpoint; otherwise one with a ``.npz`` file as
graphc's old format (one array per variable plus a JSON record under ``NPZ_META_KEY``, read with
``allow_pickle=False``).
"""
from __future__ import annotations

import json
import os
import zipfile
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from graphc import dtypes, errors
from graphc.train import tensor_bundle
from graphc.train.checkpoint_state import get_checkpoint_state

NPZ_SUFFIX = ".npz"
NPZ_META_KEY = ":graphc_checkpoint"   # ':' never appears in an op name, so it cannot clash with a variable


def _reason(e: BaseException) -> str:
    """What went wrong reading an .npz, without numpy's advice to unpickle it (which would run code
    from the file)."""
    text = str(e)
    if "pickle" in text:
        return "it is not an .npz archive"
    return text or type(e).__name__


class _NpzCheckpoint:
    """graphc's old checkpoint file: metadata eagerly, arrays on demand."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        path = prefix + NPZ_SUFFIX
        try:
            self._npz = np.load(path, allow_pickle=False)
            meta = json.loads(str(self._npz[NPZ_META_KEY][()]))
            self._entries = {name: (np.dtype(dtypes.as_dtype(e["dtype"]).np_type), tuple(e["shape"]))
                             for name, e in meta["variables"].items()}
        except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as e:
            raise errors.DataLossError(None, None, (
                f"Unable to read checkpoint {path}: {_reason(e)}. The file is not a graphc checkpoint or "
                "is corrupted; restore an older checkpoint instead.")) from None

    def names(self) -> List[str]:
        return sorted(self._entries)

    def has(self, name: str) -> bool:
        return name in self._entries

    def numpy_dtype(self, name: str) -> Optional[np.dtype]:
        return self._entries[name][0]

    def shape(self, name: str) -> Tuple[int, ...]:
        return self._entries[name][1]

    def tensor(self, name: str) -> np.ndarray:
        try:
            return self._npz[name]
        except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as e:
            raise errors.DataLossError(None, None, (
                f"Unable to read variable {name} from checkpoint {self.prefix + NPZ_SUFFIX}: {_reason(e)}")) from None

    def close(self) -> None:
        self._npz.close()


class _BundleCheckpoint(tensor_bundle.BundleReader):
    def numpy_dtype(self, name: str) -> Optional[np.dtype]:
        kind = tensor_bundle.NUMPY_OF_ENUM.get(self.dtype_enum(name))
        return None if kind is None else np.dtype(kind)

    def close(self) -> None:
        pass


def checkpoint_exists(checkpoint_prefix: str) -> bool:
    """True if a checkpoint (V2, or graphc's old ``.npz``) was written at ``checkpoint_prefix``."""
    return (os.path.isfile(tensor_bundle.index_path(checkpoint_prefix))
            or os.path.isfile(checkpoint_prefix + NPZ_SUFFIX))


def open_checkpoint(prefix: str) -> Any:
    """The reader of checkpoint ``prefix`` (``NotFoundError`` if there is none, ``DataLossError``
    if its index is unreadable): ``names``, ``has``, ``numpy_dtype``, ``shape``, ``tensor``, ``close``."""
    if os.path.isfile(tensor_bundle.index_path(prefix)) or not os.path.isfile(prefix + NPZ_SUFFIX):
        return _BundleCheckpoint(prefix)
    return _NpzCheckpoint(prefix)


def latest_checkpoint(checkpoint_dir: str, latest_filename: Optional[str] = None) -> Optional[str]:
    """Prefix of the newest checkpoint recorded in ``checkpoint_dir``'s state file, or None (TF1)."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is not None and checkpoint_exists(state.model_checkpoint_path):
        return state.model_checkpoint_path
    return None


def resolve_checkpoint(ckpt_dir_or_file: str) -> str:
    """The prefix a directory's state file names, or ``ckpt_dir_or_file`` itself."""
    if os.path.isdir(ckpt_dir_or_file):
        prefix = latest_checkpoint(ckpt_dir_or_file)
        if prefix is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given directory {ckpt_dir_or_file}")
        return prefix
    return ckpt_dir_or_file


def _graphc_dtype(kind: Optional[np.dtype], enum_name: str) -> Any:
    if kind is None:
        return enum_name
    try:
        return dtypes.as_dtype(kind)
    except TypeError:
        return kind


class CheckpointReader:
    """TF1's ``CheckpointReader`` (``tf.train.NewCheckpointReader``) over one checkpoint prefix."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._source = open_checkpoint(prefix)

    def has_tensor(self, name: str) -> bool:
        """True if the checkpoint holds a tensor called ``name``."""
        return self._source.has(name)

    def get_tensor(self, name: str) -> np.ndarray:
        """The value of tensor ``name`` (``NotFoundError`` if the checkpoint has none)."""
        if not self._source.has(name):
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint {self._prefix}")
        return self._source.tensor(name)

    def get_variable_to_shape_map(self) -> Dict[str, List[int]]:
        """Every tensor's name -> its shape as a list of ints."""
        return {name: list(self._source.shape(name)) for name in self._source.names()}

    def get_variable_to_dtype_map(self) -> Dict[str, Any]:
        """Every tensor's name -> its dtype: a graphc DType, else the numpy dtype, else (strings,
        bfloat16) TensorFlow's name for it."""
        out = {}
        for name in self._source.names():
            kind = self._source.numpy_dtype(name)
            enum = self._source.dtype_enum(name) if kind is None else 0
            out[name] = _graphc_dtype(kind, tensor_bundle.NAME_OF_ENUM.get(enum, f"DataType {enum}"))
        return out

    def debug_string(self) -> bytes:
        """One line per tensor, ``name (dtype) [shape]``, as TF1's reader prints them."""
        dtype_map = self.get_variable_to_dtype_map()
        lines = [f"{name} ({getattr(dtype_map[name], 'name', dtype_map[name])}) {shape}"
                 for name, shape in self.get_variable_to_shape_map().items()]
        return ("\n".join(lines) + "\n").encode("utf-8")

    def close(self) -> None:
        self._source.close()


def NewCheckpointReader(filepattern: str) -> CheckpointReader:
    """A reader of checkpoint ``filepattern`` (a prefix); ``NotFoundError`` if there is none."""
    return CheckpointReader(filepattern)


def load_checkpoint(ckpt_dir_or_file: str) -> CheckpointReader:
    """A reader of a checkpoint prefix, or of the newest checkpoint of a directory."""
    return CheckpointReader(resolve_checkpoint(ckpt_dir_or_file))


def list_variables(ckpt_dir_or_file: str) -> list:
    """``[(name, shape), ...]`` of a checkpoint (a prefix or a directory with a state file), sorted."""
    reader = load_checkpoint(ckpt_dir_or_file)
    try:
        return sorted(reader.get_variable_to_shape_map().items())
    finally:
        reader.close()


def load_variable(ckpt_dir_or_file: str, name: str) -> np.ndarray:
    """The value of variable ``name`` (a trailing ``":0"`` allowed) in a checkpoint."""
    name = name[:-2] if name.endswith(":0") else name
    reader = load_checkpoint(ckpt_dir_or_file)
    try:
        return reader.get_tensor(name)
    finally:
        reader.close()
