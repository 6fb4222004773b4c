"""``tf.train.Saver``: checkpoints of variable values in TensorFlow's V2 format.

A save writes ``<prefix>.data-00000-of-00001`` (the values) and then ``<prefix>.index`` (where each
value is, with its dtype, shape and checksum): see ``graphc.train.tensor_bundle``. The same
variables give the same bytes as TensorFlow's Saver, and either reads the other's checkpoints.
Then the ``checkpoint`` state file of the directory is rewritten (``graphc.train.checkpoint_state``).
Every file is written atomically (``graphc.train.atomic_file``): a crash mid-save leaves the previous
checkpoint, and the state file pointing at it, intact; a temporary file left by a killed process is
removed by the next save into that directory; files get the mode the umask gives, and a failed
write raises the OpError subclass TF1 would (``PermissionDeniedError`` for a read-only file system,
``ResourceExhaustedError`` for a full one), naming the file.

Restores read graphc's older ``<prefix>.npz`` checkpoints too. They validate every name, shape and
dtype and read (and checksum) every value before touching the session, then assign all values in
ONE ``Session.run`` (through placeholder-fed assign ops built once per Saver), so a failing restore
changes nothing.
"""
from __future__ import annotations

import contextlib
import os
import time
import warnings
from typing import Any, Optional

import numpy as np

from graphc import errors
from graphc.graph import GraphKeys, Operation, Tensor, get_default_graph
from graphc.ops import source, state
from graphc.ops.state import STATE_READ
from graphc.train import tensor_bundle
from graphc.train.atomic_file import atomic_file, remove_stale_temps
from graphc.train.checkpoint_reader import NPZ_SUFFIX, checkpoint_exists, open_checkpoint
from graphc.train.checkpoint_state import update_checkpoint_state
from graphc.train.meta_graph import export_meta_graph

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
        if not name:
            raise ValueError("The empty name is reserved for the checkpoint's header; give that variable a name.")
        if name in named and named[name] is not ref:
            raise ValueError(f"At least two variables have the same name: {name} (variables "
                             f"{named[name].name} and {ref.name}). Pass a dict to give them distinct names.")
        named[name] = ref
    return named


# ------------------------------------------------------------------------------------------------
# Saver

class Saver:
    """Saves and restores variables (TF1 ``tf.train.Saver``).

    ``var_list``: None (all global variables, optimizer slots included), a list of variables
    (saved under their op names) or a dict checkpoint name -> variable. ``max_to_keep`` newest
    checkpoints are kept (None or 0 keeps all); one every ``keep_checkpoint_every_n_hours`` is
    kept as well. Checkpoints are TensorFlow's V2 format; ``write_version=1`` (TF1's deprecated
    V1 format) is not written: graphc warns and writes V2. ``sharded=True`` writes one data shard,
    as TF1 does for variables on one device (graphc's are). ``reshape``,
    ``restore_sequentially``, ``saver_def``, ``builder`` and ``filename`` are accepted for
    compatibility and ignored.
    """

    def __init__(self, var_list: Any = None, reshape: bool = False, sharded: bool = False,
                 max_to_keep: Optional[int] = 5, keep_checkpoint_every_n_hours: float = 10000.0,
                 name: Optional[str] = None, restore_sequentially: bool = False, saver_def: Any = None,
                 builder: Any = None, defer_build: bool = False, allow_empty: bool = False,
                 write_version: int = 2, pad_step_number: bool = False, save_relative_paths: bool = False,
                 filename: Optional[str] = None) -> None:
        if write_version == 1:
            warnings.warn("graphc writes TensorFlow's V2 checkpoint format only; write_version=1 (V1) is "
                          "ignored.", stacklevel=2)
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
        self._meta_graph_refused = False
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
        Writes ``<prefix>.index`` and ``<prefix>.data-00000-of-00001``, then (``write_state``) the
        directory's ``checkpoint`` state file, then (``write_meta_graph``, the default as in TF1)
        ``<prefix>.meta``: the session's graph and collections, which ``tf.train.import_meta_graph``
        reads back. A graph holding ops a meta graph cannot carry (tf.data iterators, queues) gets
        no ``.meta`` and one warning per Saver; the checkpoint is written all the same.
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
        tensor_bundle.write_bundle(prefix, {n: np.asarray(v) for n, v in zip(names, values)}, atomic_file)
        if write_state:
            kept = [(p, t) for p, t in self._last_checkpoints if p != prefix] + [(prefix, time.time())]
            kept, dropped = self._trim(kept)
            update_checkpoint_state(save_dir, self._recorded_path(prefix),
                                    [self._recorded_path(p) for p, _ in kept], latest_filename)
            self._last_checkpoints = kept   # files go only once the index no longer names them
            for old_prefix in dropped:
                _remove_checkpoint(old_prefix, meta_graph_suffix)
        if write_meta_graph:
            try:
                export_meta_graph(f"{prefix}.{meta_graph_suffix}", graph=sess.graph)
            except TypeError as e:
                if not self._meta_graph_refused:    # once per Saver: a training loop saves often
                    warnings.warn(f"Saver.save writes no meta graph for this graph: {e}", stacklevel=2)
                self._meta_graph_refused = True
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
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        if not checkpoint_exists(save_path):
            raise ValueError(f"The passed save_path is not a valid checkpoint: {save_path} (no file "
                             f"{tensor_bundle.index_path(save_path)}). Use tf.train.latest_checkpoint(dir) to "
                             "find one.")
        reader = open_checkpoint(save_path)
        try:
            if not self._vars:
                return
            self._validate(reader, save_path)
            feed = {self._feeds[n]: reader.tensor(n) for n in self._vars}   # all read and checked first
        finally:
            reader.close()
        sess.run(self._restore_op, feed_dict=feed)

    def _validate(self, reader: Any, prefix: str) -> None:
        missing = [n for n in self._vars if not reader.has(n)]
        if missing:
            raise errors.NotFoundError(None, None, (
                f"Restoring from checkpoint {prefix} failed: key(s) {', '.join(missing)} not found in "
                f"checkpoint (it holds {_some(reader.names())}). The graph's "
                "variables differ from the saved ones; build the same graph or pass var_list={name: var}."))
        problems = []
        for name, ref in self._vars.items():
            kind, shape = reader.numpy_dtype(name), reader.shape(name)
            if kind != ref.dtype.np_type:
                held = kind.name if kind is not None else f"a dtype graphc lacks (DataType {reader.dtype_enum(name)})"
                problems.append(f"{name}: variable {ref.op.name} has dtype {ref.dtype.name} but the checkpoint "
                                f"holds {held}")
            elif not ref.shape.is_compatible_with(shape):
                problems.append(f"{name}: variable {ref.op.name} has shape {ref.shape} but the checkpoint holds "
                                f"shape {list(shape)}")
        if problems:
            raise errors.InvalidArgumentError(None, None, (
                f"Restoring from checkpoint {prefix} failed: the current graph does not match the "
                f"checkpoint: {'; '.join(problems)}. No variable was changed."))


def _some(names: list, limit: int = 20) -> str:
    """``names`` joined, at most ``limit`` of them (a checkpoint may hold thousands)."""
    if not names:
        return "nothing"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _remove_checkpoint(prefix: str, meta_graph_suffix: str = "meta") -> None:
    """Deletes checkpoint ``prefix``: the index first (so it stops existing), then its data shards,
    its meta graph and an old-format ``.npz`` of the same prefix."""
    index = tensor_bundle.index_path(prefix)
    others = [p for p in tensor_bundle.bundle_files(prefix) if p != index]
    for path in [index] + others + [f"{prefix}.{meta_graph_suffix}", prefix + NPZ_SUFFIX]:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


__all__ = ["Saver"]
