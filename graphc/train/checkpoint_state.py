"""The ``checkpoint`` state file of a checkpoint directory: TensorFlow's ``CheckpointState`` message
in protobuf text format (``model_checkpoint_path: "..."``, then ``all_model_checkpoint_paths``
oldest first), rewritten atomically on every save.
"""
from __future__ import annotations

import os
import warnings
from typing import Optional

from google.protobuf import text_format

from graphc.train.atomic_file import atomic_file
from graphc.train.checkpoint_protos import CheckpointState

DEFAULT_STATE_FILENAME = "checkpoint"


def state_path(checkpoint_dir: str, latest_filename: Optional[str] = None) -> str:
    """The state file of ``checkpoint_dir``."""
    return os.path.join(checkpoint_dir, latest_filename or DEFAULT_STATE_FILENAME)


def update_checkpoint_state(save_dir: str, model_checkpoint_path: str,
                            all_model_checkpoint_paths: Optional[list] = None,
                            latest_filename: Optional[str] = None) -> None:
    """Rewrites the state file in ``save_dir`` atomically (TF1 ``tf.train.update_checkpoint_state``):
    ``model_checkpoint_path`` becomes the newest and the last of ``all_model_checkpoint_paths``."""
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths = [p for p in paths if p != model_checkpoint_path] + [model_checkpoint_path]
    state = CheckpointState(model_checkpoint_path=model_checkpoint_path, all_model_checkpoint_paths=paths)
    with atomic_file(state_path(save_dir, latest_filename)) as f:
        f.write(text_format.MessageToString(state).encode("utf-8"))


def _in_dir(checkpoint_dir: str, path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(checkpoint_dir, path)


def get_checkpoint_state(checkpoint_dir: str, latest_filename: Optional[str] = None) -> Optional[CheckpointState]:
    """The state of ``checkpoint_dir`` (relative paths joined to it), or None when it has no state
    file; an unreadable one is a warning and None, as in TF1."""
    path = state_path(checkpoint_dir, latest_filename)
    try:
        with open(path, encoding="utf-8") as f:
            state = text_format.Parse(f.read(), CheckpointState())
        if not state.model_checkpoint_path:
            raise ValueError("it names no model_checkpoint_path")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnicodeDecodeError, text_format.ParseError) as e:
        warnings.warn(f"Ignoring the unreadable checkpoint state file {path}: {e}", stacklevel=2)
        return None
    state.model_checkpoint_path = _in_dir(checkpoint_dir, state.model_checkpoint_path)
    paths = [_in_dir(checkpoint_dir, p) for p in state.all_model_checkpoint_paths]
    del state.all_model_checkpoint_paths[:]
    state.all_model_checkpoint_paths.extend(paths)
    return state
