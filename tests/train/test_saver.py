"""tf.train.Saver: round trips, step naming, max_to_keep, the index file, errors, crash safety."""
import errno
import os
import shutil
import signal
import stat
import subprocess
import sys

import numpy as np
import pytest

import graphc as tf
from graphc.train import sstable, tensor_bundle

W0 = np.arange(6, dtype=np.float32).reshape(2, 3)
B0 = np.array([7, 8, 9], dtype=np.int32)


def _model():
    """Two variables with known values: w (float32 2x3, scoped) and b (int32 3)."""
    with tf.variable_scope("layer"):
        w = tf.get_variable("w", initializer=tf.constant(W0))
    b = tf.Variable(B0, name="b")
    return w, b


def _initialized_session(*variables):
    sess = tf.Session()
    sess.run(tf.variables_initializer(list(variables)))
    return sess


def _state_lines(directory, filename="checkpoint"):
    with open(os.path.join(directory, filename)) as f:
        return f.read().splitlines()


def test_round_trip_restores_saved_values(tmp_path):
    w, b = _model()
    saver = tf.train.Saver()
    sess = _initialized_session(w, b)
    prefix = saver.save(sess, str(tmp_path / "model.ckpt"))
    assert prefix == str(tmp_path / "model.ckpt")
    assert os.path.isfile(prefix + ".index") and os.path.isfile(prefix + ".data-00000-of-00001")
    sess.run([w.assign(np.zeros((2, 3), np.float32)), b.assign([0, 0, 0])])
    saver.restore(sess, prefix)
    w_val, b_val = sess.run([w, b])
    np.testing.assert_array_equal(w_val, W0)
    np.testing.assert_array_equal(b_val, B0)
    assert w_val.dtype == np.float32 and b_val.dtype == np.int32


def test_checkpoint_keys_are_variable_op_names(tmp_path):
    w, b = _model()
    prefix = tf.train.Saver().save(_initialized_session(w, b), str(tmp_path / "m"))
    assert tf.train.list_variables(prefix) == [("b", [3]), ("layer/w", [2, 3])]
    np.testing.assert_array_equal(tf.train.load_variable(prefix, "layer/w:0"), W0)
    with pytest.raises(tf.errors.NotFoundError, match="nope"):
        tf.train.load_variable(prefix, "nope")


def test_restore_into_fresh_session(tmp_path):
    w, b = _model()
    saver = tf.train.Saver()
    prefix = saver.save(_initialized_session(w, b), str(tmp_path / "model.ckpt"))
    fresh = tf.Session()   # variables uninitialized: restore initializes them
    saver.restore(fresh, prefix)
    np.testing.assert_array_equal(fresh.run(w), W0)
    np.testing.assert_array_equal(fresh.run(b), B0)


def test_global_step_int_and_variable_name_the_checkpoint(tmp_path):
    w, b = _model()
    step = tf.train.get_or_create_global_step()
    saver = tf.train.Saver()
    sess = _initialized_session(w, b, step)
    base = str(tmp_path / "model.ckpt")
    assert saver.save(sess, base, global_step=100) == base + "-100"
    sess.run(tf.assign(step, 42))
    assert saver.save(sess, base, global_step=step) == base + "-42"
    assert os.path.isfile(base + "-100.index") and os.path.isfile(base + "-42.index")
    assert _state_lines(tmp_path) == [f'model_checkpoint_path: "{base}-42"',
                                      f'all_model_checkpoint_paths: "{base}-100"',
                                      f'all_model_checkpoint_paths: "{base}-42"']
    padded = tf.train.Saver(pad_step_number=True).save(sess, base, global_step=7)
    assert padded == base + "-00000007"


def test_max_to_keep_deletes_oldest_files(tmp_path):
    w, b = _model()
    saver = tf.train.Saver(max_to_keep=2)
    sess = _initialized_session(w, b)
    base = str(tmp_path / "model.ckpt")
    for step in range(1, 5):
        saver.save(sess, base, global_step=step)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model.ckpt-3.data-00000-of-00001", "model.ckpt-3.index",
                                            "model.ckpt-3.meta", "model.ckpt-4.data-00000-of-00001",
                                            "model.ckpt-4.index", "model.ckpt-4.meta"]
    assert saver.last_checkpoints == [base + "-3", base + "-4"]
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == base + "-4"
    assert state.all_model_checkpoint_paths == [base + "-3", base + "-4"]


def test_max_to_keep_none_keeps_everything_and_resaving_moves_to_newest(tmp_path):
    w, b = _model()
    saver = tf.train.Saver(max_to_keep=None)
    sess = _initialized_session(w, b)
    base = str(tmp_path / "m")
    for step in [1, 2, 3, 1]:
        saver.save(sess, base, global_step=step)
    assert saver.last_checkpoints == [base + "-2", base + "-3", base + "-1"]
    assert len([f for f in os.listdir(tmp_path) if f.endswith(".index")]) == 3


def test_latest_checkpoint(tmp_path):
    w, b = _model()
    sess = _initialized_session(w, b)
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    assert tf.train.get_checkpoint_state(str(tmp_path)) is None
    saver = tf.train.Saver()
    saver.save(sess, str(tmp_path / "m"), global_step=1)
    saver.save(sess, str(tmp_path / "m"), global_step=2)
    assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "m-2")


def test_relative_paths_and_custom_index_filename(tmp_path):
    w, b = _model()
    saver = tf.train.Saver(save_relative_paths=True)
    saver.save(_initialized_session(w, b), str(tmp_path / "m"), global_step=5, latest_filename="best")
    assert _state_lines(tmp_path, "best") == ['model_checkpoint_path: "m-5"', 'all_model_checkpoint_paths: "m-5"']
    assert not os.path.exists(tmp_path / "checkpoint")
    assert tf.train.latest_checkpoint(str(tmp_path), latest_filename="best") == os.path.join(str(tmp_path), "m-5")


def test_latest_checkpoint_ignores_a_deleted_file(tmp_path):
    w, b = _model()
    prefix = tf.train.Saver().save(_initialized_session(w, b), str(tmp_path / "m"))
    os.remove(prefix + ".index")
    assert tf.train.latest_checkpoint(str(tmp_path)) is None


def test_dict_var_list_maps_checkpoint_names(tmp_path):
    w, b = _model()
    prefix = tf.train.Saver({"weights": w}).save(_initialized_session(w, b), str(tmp_path / "m"))
    assert tf.train.list_variables(prefix) == [("weights", [2, 3])]
    other = tf.Variable(np.ones((2, 3), np.float32), name="other")
    sess = _initialized_session(other)
    tf.train.Saver({"weights": other}).restore(sess, prefix)
    np.testing.assert_array_equal(sess.run(other), W0)


def _adam_model():
    x = tf.constant([[1.0, 2.0], [3.0, -1.0]])
    w = tf.get_variable("w", initializer=tf.constant([[0.5], [-0.25]]))
    loss = tf.reduce_sum(tf.square(tf.matmul(x, w) - 1.0))
    opt = tf.train.AdamOptimizer(0.1)
    return w, opt, opt.minimize(loss)


def test_restore_into_fresh_graph_restores_optimizer_slots(tmp_path):
    w, opt, train = _adam_model()
    sess = _initialized_session(*tf.global_variables())
    for _ in range(3):
        sess.run(train)
    saved = sess.run([w, opt.get_slot(w, "m"), opt.get_slot(w, "v")])
    prefix = tf.train.Saver().save(sess, str(tmp_path / "adam"))
    sess.run(train)
    expected_next = sess.run(w)

    with tf.Graph().as_default():
        w2, opt2, train2 = _adam_model()
        sess2 = tf.Session()
        tf.train.Saver().restore(sess2, prefix)
        restored = sess2.run([w2, opt2.get_slot(w2, "m"), opt2.get_slot(w2, "v")])
        for got, want in zip(restored, saved):
            np.testing.assert_array_equal(got, want)
        sess2.run(train2)   # beta powers restored too: the next step matches the original run
        np.testing.assert_array_equal(sess2.run(w2), expected_next)


def _saved_checkpoint(tmp_path):
    w, b = _model()
    prefix = tf.train.Saver().save(_initialized_session(w, b), str(tmp_path / "m"))
    tf.reset_default_graph()
    return prefix


@pytest.mark.parametrize("build, error, words", [
    (lambda: tf.Variable([1.0], name="missing"), tf.errors.NotFoundError, ["missing", "not found"]),
    (lambda: tf.Variable(np.zeros(4, np.int32), name="b"), tf.errors.InvalidArgumentError, ["(4,)", "[3]"]),
    (lambda: tf.Variable(np.zeros(3, np.float32), name="b"), tf.errors.InvalidArgumentError,
     ["float32", "int32"]),
])
def test_mismatched_graph_raises_and_changes_nothing(tmp_path, build, error, words):
    prefix = _saved_checkpoint(tmp_path)
    with tf.variable_scope("layer"):
        w = tf.get_variable("w", initializer=tf.constant(np.full((2, 3), -1.0, np.float32)))
    bad = build()
    sess = _initialized_session(w, bad)
    before = sess.run(bad)
    with pytest.raises(error) as info:
        tf.train.Saver([w, bad]).restore(sess, prefix)
    for word in words:
        assert word in str(info.value)
    np.testing.assert_array_equal(sess.run(w), np.full((2, 3), -1.0, np.float32))   # w matched, yet unchanged
    np.testing.assert_array_equal(sess.run(bad), before)


def test_missing_checkpoint_path_raises_value_error(tmp_path):
    w, b = _model()
    saver = tf.train.Saver()
    with pytest.raises(ValueError, match="not a valid checkpoint"):
        saver.restore(tf.Session(), str(tmp_path / "nothing"))
    with pytest.raises(ValueError, match="None"):
        saver.restore(tf.Session(), None)


def test_corrupted_checkpoint_raises_data_loss(tmp_path):
    w, b = _model()
    saver = tf.train.Saver()
    sess = _initialized_session(w, b)
    prefix = saver.save(sess, str(tmp_path / "m"))
    for garbage in [b"not a table", b""]:
        with open(prefix + ".index", "wb") as f:
            f.write(garbage)
        with pytest.raises(tf.errors.DataLossError, match="m.index"):
            saver.restore(sess, prefix)


def test_build_time_errors(tmp_path):
    with pytest.raises(ValueError, match="No variables to save"):
        tf.train.Saver()
    assert tf.train.Saver(allow_empty=True).save(tf.Session(), str(tmp_path / "m")) is None
    a = tf.Variable(1.0, name="a")
    c = tf.Variable(2.0, name="c")
    with pytest.raises(ValueError, match="same name: x"):
        tf.train.Saver(_DuplicateNames(a, c))
    with pytest.raises(ValueError, match="reserved"):
        tf.train.Saver({"": a})
    with pytest.raises(TypeError, match="tf.Variables"):
        tf.train.Saver([tf.constant(1.0)])
    with pytest.raises(ValueError, match="Parent directory"):
        tf.train.Saver([a]).save(_initialized_session(a), str(tmp_path / "no" / "m"))


class _DuplicateNames(dict):
    """A mapping whose items() yields one name twice (a dict literal cannot)."""

    def __init__(self, a, c):
        super().__init__(x=a)
        self._pairs = [("x", a), ("x", c)]

    def items(self):
        return list(self._pairs)


def test_crash_while_writing_data_keeps_previous_checkpoint(tmp_path, monkeypatch):
    w, b = _model()
    saver = tf.train.Saver()
    sess = _initialized_session(w, b)
    first = saver.save(sess, str(tmp_path / "m"), global_step=1)
    sess.run(w.assign(np.full((2, 3), 5.0, np.float32)))

    def crash(*args):
        raise OSError("disk full")
    monkeypatch.setattr(tensor_bundle, "_entry", crash)     # inside the data shard's write
    with pytest.raises(tf.errors.UnknownError, match="disk full"):      # an OSError without errno
        saver.save(sess, str(tmp_path / "m"), global_step=2)
    monkeypatch.undo()

    # no temp file left behind
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m-1.data-00000-of-00001", "m-1.index", "m-1.meta"]
    assert tf.train.latest_checkpoint(str(tmp_path)) == first
    assert saver.last_checkpoints == [first]
    saver.restore(sess, first)
    np.testing.assert_array_equal(sess.run(w), W0)


def test_crash_while_updating_index_keeps_index_on_previous(tmp_path, monkeypatch):
    w, b = _model()
    saver = tf.train.Saver(max_to_keep=1)
    sess = _initialized_session(w, b)
    first = saver.save(sess, str(tmp_path / "m"), global_step=1)
    real_replace = os.replace

    def replace_then_crash_on_index(src, dst):
        if os.path.basename(dst) == "checkpoint":
            raise OSError("power cut")
        real_replace(src, dst)
    monkeypatch.setattr(os, "replace", replace_then_crash_on_index)
    sess.run(w.assign(np.full((2, 3), 5.0, np.float32)))
    with pytest.raises(tf.errors.OpError, match="power cut"):
        saver.save(sess, str(tmp_path / "m"), global_step=2)
    monkeypatch.undo()

    assert tf.train.latest_checkpoint(str(tmp_path)) == first   # max_to_keep=1 did not delete it
    assert os.path.isfile(first + ".index")
    saver.restore(sess, first)
    np.testing.assert_array_equal(sess.run(w), W0)


def test_index_file_round_trips_quotes(tmp_path):
    odd = str(tmp_path / 'we"ird\\name')
    tf.train.update_checkpoint_state(str(tmp_path), odd, [odd])
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == odd and state.all_model_checkpoint_paths == [odd]


def test_unreadable_index_file_warns_and_reads_as_none(tmp_path):
    (tmp_path / "checkpoint").write_text("garbage without quotes\n")
    with pytest.warns(UserWarning, match="unreadable"):
        assert tf.train.get_checkpoint_state(str(tmp_path)) is None


KILLED_MID_SAVE = """
import os, signal, numpy as np, graphc as tf
v = tf.Variable(np.ones(4, np.float32), name="v")
sess = tf.Session()
sess.run(v.initializer)
saver = tf.train.Saver()
saver.save(sess, os.path.join(os.environ["CKPT_DIR"], "m"), global_step=1)
from graphc.train import tensor_bundle
def killed(*args):
    os.kill(os.getpid(), signal.SIGKILL)
tensor_bundle._entry = killed   # while the data shard's temporary file is open
saver.save(sess, os.path.join(os.environ["CKPT_DIR"], "m"), global_step=2)
"""


def test_a_temp_file_orphaned_by_kill_9_is_removed_by_the_next_save(tmp_path):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(tf.__file__)))
    res = subprocess.run([sys.executable, "-c", KILLED_MID_SAVE], env=dict(os.environ, CKPT_DIR=str(tmp_path),
                         PYTHONPATH=repo), capture_output=True, text=True, timeout=120)
    assert res.returncode == -signal.SIGKILL, res.stderr
    orphans = [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
    assert orphans                                  # what kill -9 leaves
    v = tf.Variable(np.zeros(4, np.float32), name="v")
    sess = _initialized_session(v)
    saver = tf.train.Saver()
    saver.save(sess, str(tmp_path / "m"), global_step=3)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m-1.data-00000-of-00001", "m-1.index", "m-1.meta",
                                            "m-3.data-00000-of-00001", "m-3.index", "m-3.meta"]


def test_a_temp_file_of_a_save_in_progress_is_kept(tmp_path):
    live = tmp_path / f".m-9.index.graphc-{os.getppid()}-0123abcd.tmp"    # a live writer (our parent)
    live.write_bytes(b"being written")
    a = tf.Variable(1.0, name="a")
    tf.train.Saver().save(_initialized_session(a), str(tmp_path / "m"))
    assert live.exists()


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_checkpoint_files_follow_the_umask(tmp_path, umask):
    a = tf.Variable(1.0, name="a")
    sess = _initialized_session(a)
    old = os.umask(umask)
    try:
        prefix = tf.train.Saver().save(sess, str(tmp_path / "m"))
    finally:
        os.umask(old)
    for path in (prefix + ".index", prefix + ".data-00000-of-00001", str(tmp_path / "checkpoint")):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask, path


def _read_only_dir(tmp_path):
    """A directory this process cannot write: a read-only bind mount as root, else mode 0555."""
    src, ro = tmp_path / "src", tmp_path / "ro"
    src.mkdir()
    ro.mkdir()
    if os.geteuid() != 0:
        os.chmod(ro, 0o555)
        return ro, lambda: os.chmod(ro, 0o755)
    if subprocess.run(["mount", "--bind", str(src), str(ro)]).returncode or \
            subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)]).returncode:
        subprocess.run(["umount", str(ro)], capture_output=True)
        pytest.skip("cannot make a read-only mount here")
    return ro, lambda: subprocess.run(["umount", str(ro)])


def test_saving_to_a_read_only_file_system_is_permission_denied(tmp_path):
    a = tf.Variable(1.0, name="a")
    sess = _initialized_session(a)
    ro, undo = _read_only_dir(tmp_path)
    try:
        with pytest.raises(tf.errors.PermissionDeniedError, match=str(ro / "m.data-00000-of-00001")):
            tf.train.Saver().save(sess, str(ro / "m"))
    finally:
        undo()


def test_saving_to_a_full_file_system_is_resource_exhausted(tmp_path, monkeypatch):
    a = tf.Variable(np.zeros(1 << 16, np.float32), name="a")
    sess = _initialized_session(a)
    small = tmp_path / "small"
    small.mkdir()
    mounted = os.geteuid() == 0 and shutil.which("mount") and not subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)]).returncode
    if not mounted:       # no tmpfs: the write fails as on a full disk
        def full(*args):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        monkeypatch.setattr(tensor_bundle, "_entry", full)
    try:
        with pytest.raises(tf.errors.ResourceExhaustedError, match=str(small / "m.data-00000-of-00001")):
            tf.train.Saver().save(sess, str(small / "m"))
        assert not [f for f in os.listdir(small) if f.endswith(".tmp")]
    finally:
        if mounted:
            subprocess.run(["umount", str(small)])


def test_a_garbage_old_format_checkpoint_does_not_suggest_allow_pickle(tmp_path):
    a = tf.Variable(1.0, name="a")
    sess = _initialized_session(a)
    saver = tf.train.Saver()
    prefix = str(tmp_path / "m")
    with open(prefix + ".npz", "wb") as f:
        f.write(b"\x80\x04garbage that is not a zip")
    with pytest.raises(tf.errors.DataLossError) as info:
        saver.restore(sess, prefix)
    assert "allow_pickle" not in str(info.value) and "m.npz" in str(info.value)


def test_a_failed_index_write_leaves_no_data_shard_behind(tmp_path, monkeypatch):
    w, b = _model()
    saver = tf.train.Saver()
    sess = _initialized_session(w, b)
    first = saver.save(sess, str(tmp_path / "m"), global_step=1)

    def crash(self):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(sstable.TableWriter, "finish", crash)
    with pytest.raises(tf.errors.ResourceExhaustedError, match="m-2.index"):
        saver.save(sess, str(tmp_path / "m"), global_step=2)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m-1.data-00000-of-00001", "m-1.index", "m-1.meta"]
    assert tf.train.latest_checkpoint(str(tmp_path)) == first


class _Clock:
    """Stands in for the time module inside saver.py: a clock the test moves."""

    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now


def test_keep_checkpoint_every_n_hours_leaves_one_per_period_on_disk(tmp_path, monkeypatch):
    from graphc.train import saver as saver_module
    clock = _Clock()
    monkeypatch.setattr(saver_module, "time", clock)
    w, b = _model()
    sess = _initialized_session(w, b)
    saver = tf.train.Saver(max_to_keep=1, keep_checkpoint_every_n_hours=1.0)   # first keeper due at 1000 + 3600 s
    base = str(tmp_path / "m")
    for step, at in [(1, 1000.0), (2, 2000.0), (3, 4700.0), (4, 4800.0), (5, 4900.0)]:
        clock.now = at
        saver.save(sess, base, global_step=step)
    # 3 was saved after the first hour: kept on disk, untracked; 1, 2 and 4 were not, so they went
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith(".index")) == ["m-3.index", "m-5.index"]
    assert saver.last_checkpoints == [base + "-5"]
    assert _state_lines(tmp_path) == [f'model_checkpoint_path: "{base}-5"', f'all_model_checkpoint_paths: "{base}-5"']


def test_sharded_and_meta_graph_options(tmp_path):
    w, b = _model()
    sess = _initialized_session(w, b)
    prefix = tf.train.Saver(sharded=True).save(sess, str(tmp_path / "m"), write_meta_graph=True)
    # one device, so one shard (as TF1); the meta graph beside it
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m.data-00000-of-00001", "m.index", "m.meta"]
    np.testing.assert_array_equal(tf.train.load_variable(prefix, "layer/w"), W0)
    with pytest.warns(UserWarning, match="V2 checkpoint format only"):
        tf.train.Saver(write_version=1)
