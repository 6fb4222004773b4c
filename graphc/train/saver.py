"""``tf.train.Saver``: checkpoints of variable values, and the ``checkpoint`` index file of TF1.

Format (graphc's own, not TF's tensor bundle): one ``<prefix>.npz`` per checkpoint, holding one
array per variable keyed by its checkpoint name (the variable's op name, e.g. ``"dense/kernel"``,
or the key of a ``var_list`` dict) plus a JSON record under ``META_KEY`` with every entry's
dtype and shape. Files are written atomically: a temporary file in the same directory, fsync,
``os.replace``; the index file is rewritten the same way only after the data file is complete,
so a crash mid-save leaves the previous checkpoint, and the index pointing at it, intact. A
temporary file left by a killed process (its name holds the writer's pid) is removed by the next
save into that directory. Files get the mode the umask gives (as TF1's), and a failed write
raises the OpError subclass TF1 would (``PermissionDeniedError`` for a read-only file system,
``ResourceExhaustedError`` for a full one), naming the file.

Restores validate every name, shape and dtype before touching the session, then assign all
values in ONE ``Session.run`` (through placeholder-fed assign ops built once per Saver), so a
failing restore changes nothing.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import threading
import time
import warnings
import zipfile
from typing import Any, Iterator, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.graph import GraphKeys, Operation, Tensor, get_default_graph
from graphc.ops import source, state
from graphc.ops.state import STATE_READ

DATA_SUFFIX = ".npz"
META_KEY = ":graphc_checkpoint"   # ':' never appears in an op name, so it cannot clash with a variable
FORMAT_VERSION = 1
DEFAULT_STATE_FILENAME = "checkpoint"


# ------------------------------------------------------------------------------------------------
# variables to save

def _variable_ref(value: Any) -> Tensor:
    """The ``VariableV2`` output behind a Variable (or a variable's ref tensor)."""
    t = value._graph_tensor() if hasattr(value, "_graph_tensor") else value
    if not isinstance(t, Tensor) or t.op.type != STATE_READ:
        raise TypeError(f"Saver var_list entries must be tf.Variables, got {value!r}. Pass variables "
                        "(e.g. tf.global_variables()) or a dict of checkpoint name -> variable.")
    return t


def _named_variables(var_list: Any) -> dict:
    """Checkpoint name -> variable ref tensor, for None (all global variables), a list or a dict."""
    if var_list is None:
        var_list = get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES)
    if isinstance(var_list, dict):
        pairs = [(str(name), _variable_ref(v)) for name, v in var_list.items()]
    else:
        refs = [_variable_ref(v) for v in var_list]
        pairs = [(ref.op.name, ref) for ref in refs]
    named: dict = {}
    for name, ref in pairs:
        if name == META_KEY:
            raise ValueError(f"{META_KEY!r} is reserved for the checkpoint's own metadata; rename that entry.")
        if name in named and named[name] is not ref:
            raise ValueError(f"At least two variables have the same name: {name} (variables "
                             f"{named[name].name} and {ref.name}). Pass a dict to give them distinct names.")
        named[name] = ref
    return named


# ------------------------------------------------------------------------------------------------
# atomic files

# the temporary files of _atomic_file: ".<target name>.graphc-<pid>-<token>.tmp"
_TEMP = re.compile(r"^\..+\.graphc-(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")
_LEGACY_TEMP = re.compile(r"^\.(.+\.npz|checkpoint)\.[a-z0-9_]{8}\.tmp$")   # graphc before the pid
_LEGACY_AGE_S = 3600.0
_writing: set = set()          # temporary files this process is writing now
_writing_lock = threading.Lock()

# errno -> the OpError class TF1's file system layer raises for it
_ERRNO_ERRORS = {errno.EACCES: errors.PermissionDeniedError, errno.EPERM: errors.PermissionDeniedError,
                 errno.EROFS: errors.PermissionDeniedError, errno.ENOSPC: errors.ResourceExhaustedError,
                 errno.EDQUOT: errors.ResourceExhaustedError, errno.EFBIG: errors.ResourceExhaustedError,
                 errno.ENOENT: errors.NotFoundError, errno.EEXIST: errors.AlreadyExistsError,
                 errno.ENOTDIR: errors.FailedPreconditionError, errno.EISDIR: errors.FailedPreconditionError}


def _write_error(path: str, e: OSError) -> errors.OpError:
    """The TF1 error for an OSError met while writing ``path``."""
    cls = _ERRNO_ERRORS.get(e.errno, errors.UnknownError)
    return cls(None, None, f"Failed to write {path}: {e.strerror or e}")


@contextlib.contextmanager
def _atomic_file(path: str) -> Iterator[Any]:
    """A binary file that appears at ``path`` complete (fsynced, then renamed) or not at all; an
    OSError becomes the matching OpError."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f".{os.path.basename(path)}.graphc-{os.getpid()}-{secrets.token_hex(4)}.tmp")
    with _writing_lock:
        _writing.add(tmp)
    try:
        # 0666 masked by the umask, like any file TF1 writes (mkstemp would force 0600)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise
    except OSError as e:
        raise _write_error(path, e) from e
    finally:
        with _writing_lock:
            _writing.discard(tmp)
    _fsync_directory(directory)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False           # ours: stale unless in _writing (checked by the caller)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True            # exists, owned by someone else
    return True


def remove_stale_temps(directory: str) -> list:
    """Removes temporary files that a killed save left in ``directory`` (their writer is gone);
    returns their paths. Files being written by live processes are left alone."""
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        path = os.path.join(directory, name)
        m = _TEMP.match(name)
        if m is not None:
            with _writing_lock:
                stale = path not in _writing and not _alive(int(m.group("pid")))
        elif _LEGACY_TEMP.match(name):
            try:
                stale = now - os.lstat(path).st_mtime > _LEGACY_AGE_S
            except OSError:
                continue
        else:
            continue
        if stale:
            with contextlib.suppress(OSError):
                os.remove(path)
                removed.append(path)
    return removed


def _fsync_directory(directory: str) -> None:
    """Makes a rename durable (not possible on every platform; best effort there)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def data_path(prefix: str) -> str:
    """The file that holds checkpoint ``prefix``."""
    return prefix + DATA_SUFFIX


def _write_data(prefix: str, named_values: dict) -> None:
    meta = {"format": "graphc-checkpoint", "version": FORMAT_VERSION,
            "variables": {name: {"dtype": dtypes.as_dtype(v.dtype).name, "shape": list(v.shape)}
                          for name, v in named_values.items()}}
    arrays = dict(named_values)
    arrays[META_KEY] = np.array(json.dumps(meta))
    with _atomic_file(data_path(prefix)) as f:
        np.savez(f, **arrays)


def _reason(e: BaseException) -> str:
    """What went wrong reading a checkpoint, without numpy's advice to unpickle it (which would
    run code from the file)."""
    text = str(e)
    if "pickle" in text:
        return "it is not an .npz archive"
    return text or type(e).__name__


class _CheckpointReader:
    """Reads one checkpoint file: its metadata eagerly, arrays on demand."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        path = data_path(prefix)
        try:
            self._npz = np.load(path, allow_pickle=False)
            meta = json.loads(str(self._npz[META_KEY][()]))
            self.entries = {name: (dtypes.as_dtype(e["dtype"]), tuple(e["shape"]))
                            for name, e in meta["variables"].items()}
        except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as e:
            raise errors.DataLossError(None, None, (
                f"Unable to read checkpoint {path}: {_reason(e)}. The file is not a graphc checkpoint or "
                "is corrupted; restore an older checkpoint instead.")) from None

    def value(self, name: str) -> np.ndarray:
        try:
            return self._npz[name]
        except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as e:
            raise errors.DataLossError(None, None, (
                f"Unable to read variable {name} from checkpoint {data_path(self.prefix)}: {_reason(e)}")) from None

    def close(self) -> None:
        self._npz.close()

    def __enter__(self) -> "_CheckpointReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _open_checkpoint(save_path: Optional[str]) -> _CheckpointReader:
    if save_path is None:
        raise ValueError("Can't load save_path when it is None.")
    if not checkpoint_exists(save_path):
        raise ValueError(f"The passed save_path is not a valid checkpoint: {save_path} (no file "
                         f"{data_path(save_path)}). Use tf.train.latest_checkpoint(dir) to find one.")
    return _CheckpointReader(save_path)


# ------------------------------------------------------------------------------------------------
# the checkpoint index file ("checkpoint")

class CheckpointState:
    """TF1's ``CheckpointState``: the newest checkpoint and all kept ones (oldest first)."""

    def __init__(self, model_checkpoint_path: str = "", all_model_checkpoint_paths: Optional[list] = None) -> None:
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths or [])

    def __repr__(self) -> str:
        return (f"CheckpointState(model_checkpoint_path={self.model_checkpoint_path!r}, "
                f"all_model_checkpoint_paths={self.all_model_checkpoint_paths!r})")


_STATE_LINE = re.compile(r'^\s*(\w+)\s*:\s*"((?:[^"\\]|\\.)*)"\s*$')


def _quote(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _state_text(state: CheckpointState) -> str:
    lines = [f"model_checkpoint_path: {_quote(state.model_checkpoint_path)}"]
    lines += [f"all_model_checkpoint_paths: {_quote(p)}" for p in state.all_model_checkpoint_paths]
    return "\n".join(lines) + "\n"


def _parse_state(text: str) -> CheckpointState:
    state = CheckpointState()
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _STATE_LINE.match(line)
        if m is None:
            raise ValueError(f"unexpected line {line!r}")
        key, value = m.group(1), _unquote(m.group(2))
        if key == "model_checkpoint_path":
            state.model_checkpoint_path = value
        elif key == "all_model_checkpoint_paths":
            state.all_model_checkpoint_paths.append(value)
    if not state.model_checkpoint_path:
        raise ValueError("no model_checkpoint_path line")
    return state


def _state_path(checkpoint_dir: str, latest_filename: Optional[str]) -> str:
    return os.path.join(checkpoint_dir, latest_filename or DEFAULT_STATE_FILENAME)


def update_checkpoint_state(save_dir: str, model_checkpoint_path: str,
                            all_model_checkpoint_paths: Optional[list] = None,
                            latest_filename: Optional[str] = None) -> None:
    """Rewrites the index file in ``save_dir`` atomically (TF1 ``tf.train.update_checkpoint_state``)."""
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths = [p for p in paths if p != model_checkpoint_path] + [model_checkpoint_path]
    text = _state_text(CheckpointState(model_checkpoint_path, paths))
    with _atomic_file(_state_path(save_dir, latest_filename)) as f:
        f.write(text.encode("utf-8"))


def get_checkpoint_state(checkpoint_dir: str, latest_filename: Optional[str] = None) -> Optional[CheckpointState]:
    """The index file of ``checkpoint_dir`` (relative paths joined to it), or None if there is none."""
    path = _state_path(checkpoint_dir, latest_filename)
    try:
        with open(path, encoding="utf-8") as f:
            state = _parse_state(f.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnicodeDecodeError) as e:
        warnings.warn(f"Ignoring the unreadable checkpoint index file {path}: {e}", stacklevel=2)
        return None
    state.model_checkpoint_path = _in_dir(checkpoint_dir, state.model_checkpoint_path)
    state.all_model_checkpoint_paths = [_in_dir(checkpoint_dir, p) for p in state.all_model_checkpoint_paths]
    return state


def _in_dir(checkpoint_dir: str, path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(checkpoint_dir, path)


def latest_checkpoint(checkpoint_dir: str, latest_filename: Optional[str] = None) -> Optional[str]:
    """Prefix of the newest checkpoint recorded in ``checkpoint_dir``, or None (TF1 semantics)."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is not None and checkpoint_exists(state.model_checkpoint_path):
        return state.model_checkpoint_path
    return None


def checkpoint_exists(checkpoint_prefix: str) -> bool:
    """True if a checkpoint was written at ``checkpoint_prefix``."""
    return os.path.isfile(data_path(checkpoint_prefix))


def list_variables(ckpt_dir_or_file: str) -> list:
    """``[(name, shape), ...]`` of a checkpoint (a prefix or a directory with an index file), sorted."""
    with _CheckpointReader(_resolve_checkpoint(ckpt_dir_or_file)) as reader:
        return sorted((name, list(shape)) for name, (_, shape) in reader.entries.items())


def load_variable(ckpt_dir_or_file: str, name: str) -> np.ndarray:
    """The value of variable ``name`` (``":0"`` allowed) in a checkpoint, as a numpy array."""
    name = name[:-2] if name.endswith(":0") else name
    with _CheckpointReader(_resolve_checkpoint(ckpt_dir_or_file)) as reader:
        if name not in reader.entries:
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint {reader.prefix}; "
                                                   f"it holds {sorted(reader.entries)}.")
        return reader.value(name)


def _resolve_checkpoint(ckpt_dir_or_file: str) -> str:
    if os.path.isdir(ckpt_dir_or_file):
        prefix = latest_checkpoint(ckpt_dir_or_file)
        if prefix is None:
            raise ValueError(f"Couldn't find a checkpoint in directory {ckpt_dir_or_file}.")
        return prefix
    if not checkpoint_exists(ckpt_dir_or_file):
        raise errors.NotFoundError(None, None, f"Unsuccessful TensorSliceReader constructor: no checkpoint "
                                               f"at {ckpt_dir_or_file} (no file {data_path(ckpt_dir_or_file)}).")
    return ckpt_dir_or_file


# ------------------------------------------------------------------------------------------------
# Saver

class Saver:
    """Saves and restores variables (TF1 ``tf.train.Saver``).

    ``var_list``: None (all global variables, optimizer slots included), a list of variables
    (saved under their op names) or a dict checkpoint name -> variable. ``max_to_keep`` newest
    checkpoints are kept (None or 0 keeps all); one every ``keep_checkpoint_every_n_hours`` is
    kept as well. ``reshape``, ``sharded``, ``restore_sequentially``, ``saver_def``,
    ``builder``, ``write_version``, ``filename`` are accepted for compatibility and ignored.
    """

    def __init__(self, var_list: Any = None, reshape: bool = False, sharded: bool = False,
                 max_to_keep: Optional[int] = 5, keep_checkpoint_every_n_hours: float = 10000.0,
                 name: Optional[str] = None, restore_sequentially: bool = False, saver_def: Any = None,
                 builder: Any = None, defer_build: bool = False, allow_empty: bool = False,
                 write_version: int = 2, pad_step_number: bool = False, save_relative_paths: bool = False,
                 filename: Optional[str] = None) -> None:
        self._var_list = var_list
        self._name = name or "save"
        self._max_to_keep = max_to_keep
        self._keep_every_secs = keep_checkpoint_every_n_hours * 3600.0
        self._next_preserved = time.time() + self._keep_every_secs
        self._allow_empty = allow_empty
        self._pad_step_number = pad_step_number
        self._save_relative_paths = save_relative_paths
        self._last_checkpoints: list = []   # [(prefix, time saved)], oldest first
        self._vars: Optional[dict] = None
        self._feeds: dict = {}              # checkpoint name -> placeholder feeding its assign
        self._restore_op: Optional[Operation] = None
        if not defer_build:
            self.build()

    # building ---------------------------------------------------------------------------------
    def build(self) -> None:
        """Resolves the variables and builds the restore ops (once; ``defer_build`` delays this)."""
        if self._vars is not None:
            return
        named = _named_variables(self._var_list)
        if not named and not self._allow_empty:
            raise ValueError("No variables to save: create variables before the Saver, or pass "
                             "allow_empty=True.")
        self._vars = named
        if named:
            self._build_restore_ops(named)

    def _build_restore_ops(self, named: dict) -> None:
        graph = next(iter(named.values())).graph
        assigns = []
        with graph.as_default(), graph.control_dependencies(None), graph.name_scope(self._name):
            for name, ref in named.items():
                feed = source.placeholder(ref.dtype, ref.shape, name="restore_value")
                self._feeds[name] = feed
                assigns.append(state.assign(ref, feed, name="Assign").op)
            self._restore_op = source.group(*assigns, name="restore_all")

    @property
    def last_checkpoints(self) -> list:
        """Prefixes of the checkpoints this Saver keeps, oldest first."""
        return [p for p, _ in self._last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time: list) -> None:
        self._last_checkpoints = [(p, float(t)) for p, t in last_checkpoints_with_time]

    def recover_last_checkpoints(self, checkpoint_paths: list) -> None:
        """Takes over existing checkpoints (e.g. after a restart) so ``max_to_keep`` manages them."""
        now = time.time()
        self._last_checkpoints = [(p, now) for p in checkpoint_paths if checkpoint_exists(p)]

    # saving -----------------------------------------------------------------------------------
    def save(self, sess: Any, save_path: str, global_step: Any = None, latest_filename: Optional[str] = None,
             meta_graph_suffix: str = "meta", write_meta_graph: bool = True, write_state: bool = True,
             strip_default_attrs: bool = False, save_debug_info: bool = False) -> Optional[str]:
        """Writes the variables' values in ``sess``; returns the checkpoint prefix written.

        ``global_step`` (an int, or a variable/tensor read in ``sess``) is appended as ``-<step>``.
        graphc has no MetaGraph format, so no ``.meta`` file is written (``write_meta_graph``
        is accepted for compatibility).
        """
        self.build()
        if not self._vars:
            return None
        if latest_filename and os.path.dirname(latest_filename):
            raise ValueError(f"'latest_filename' must be a file name without a directory, got {latest_filename!r}")
        prefix = self._prefix(sess, save_path, global_step)
        save_dir = os.path.dirname(prefix) or "."
        if not os.path.isdir(save_dir):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save. Create it first "
                             "(os.makedirs).")
        remove_stale_temps(save_dir)
        names = list(self._vars)
        values = sess.run([self._vars[n] for n in names])   # one run: a consistent snapshot
        _write_data(prefix, {n: np.asarray(v) for n, v in zip(names, values)})
        if write_state:
            kept = [(p, t) for p, t in self._last_checkpoints if p != prefix] + [(prefix, time.time())]
            kept, dropped = self._trim(kept)
            update_checkpoint_state(save_dir, self._recorded_path(prefix),
                                    [self._recorded_path(p) for p, _ in kept], latest_filename)
            self._last_checkpoints = kept   # files go only once the index no longer names them
            for old_prefix in dropped:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(data_path(old_prefix))
        return prefix

    def _prefix(self, sess: Any, save_path: str, global_step: Any) -> str:
        if global_step is None:
            return save_path
        if not isinstance(global_step, (int, np.integer)):
            global_step = int(sess.run(global_step))
        return f"{save_path}-{int(global_step):08d}" if self._pad_step_number else f"{save_path}-{int(global_step)}"

    def _recorded_path(self, prefix: str) -> str:
        return os.path.basename(prefix) if self._save_relative_paths else prefix

    def _trim(self, kept: list) -> tuple:
        """(checkpoints still tracked, prefixes to delete): the oldest beyond ``max_to_keep`` go,
        except one every ``keep_checkpoint_every_n_hours``, which stays on disk untracked (as TF1)."""
        dropped = []
        while self._max_to_keep and len(kept) > self._max_to_keep:
            prefix, saved_at = kept.pop(0)
            if saved_at > self._next_preserved:
                self._next_preserved += self._keep_every_secs
            else:
                dropped.append(prefix)
        return kept, dropped

    # restoring --------------------------------------------------------------------------------
    def restore(self, sess: Any, save_path: Optional[str]) -> None:
        """Loads every variable of this Saver from checkpoint ``save_path`` into ``sess``.

        Raises ValueError for a path that holds no checkpoint, ``NotFoundError`` when a variable
        is missing from it and ``InvalidArgumentError`` for shape/dtype mismatches; in all
        these cases no variable is changed.
        """
        self.build()
        with _open_checkpoint(save_path) as reader:
            if not self._vars:
                return
            self._validate(reader)
            feed = {self._feeds[n]: reader.value(n) for n in self._vars}
        sess.run(self._restore_op, feed_dict=feed)

    def _validate(self, reader: _CheckpointReader) -> None:
        missing = [n for n in self._vars if n not in reader.entries]
        if missing:
            raise errors.NotFoundError(None, None, (
                f"Restoring from checkpoint {reader.prefix} failed: key(s) {', '.join(missing)} not found in "
                f"checkpoint (it holds {', '.join(sorted(reader.entries)) or 'nothing'}). The graph's "
                "variables differ from the saved ones; build the same graph or pass var_list={name: var}."))
        problems = []
        for name, ref in self._vars.items():
            dt, shape = reader.entries[name]
            if dt is not ref.dtype:
                problems.append(f"{name}: variable {ref.op.name} has dtype {ref.dtype.name} but the checkpoint "
                                f"holds {dt.name}")
            elif not ref.shape.is_compatible_with(shape):
                problems.append(f"{name}: variable {ref.op.name} has shape {ref.shape} but the checkpoint holds "
                                f"shape {list(shape)}")
        if problems:
            raise errors.InvalidArgumentError(None, None, (
                f"Restoring from checkpoint {reader.prefix} failed: the current graph does not match the "
                f"checkpoint: {'; '.join(problems)}. No variable was changed."))


__all__ = ["Saver", "CheckpointState", "latest_checkpoint", "get_checkpoint_state", "update_checkpoint_state",
           "checkpoint_exists", "list_variables", "load_variable"]
