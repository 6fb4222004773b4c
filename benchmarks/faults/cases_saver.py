"""tf.train.Saver under faults: corrupt, truncated, emptied, bit-flipped, missing or planted
checkpoint files; mismatched graphs; unwritable, missing and size-limited directories; kill -9
in the middle of a save; a garbage ``checkpoint`` state file; file modes.

TF1: restoring from a path with no checkpoint is ValueError; a corrupt checkpoint is an OpError
(DataLossError, or NotFoundError for a missing file) and changes no variable; a missing key is
NotFoundError, a shape or dtype mismatch InvalidArgumentError; saving into a missing parent is
ValueError, a failed write an OpError; a save is atomic (the previous checkpoint survives any
failure, kill -9 included); ``latest_checkpoint`` ignores an unreadable state file (None);
checkpoint files follow the umask.
"""
from __future__ import annotations

import functools
import glob
import json
import os
import random
import resource
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .case import Case, Context
from .util import child_env, f32
from .verdict import (
    DataLost,
    Security,
    Wrong,
    expect_close,
    expect_equal,
    expect_raises,
)

CASES: list[Case] = []


def _case(name: str, fn: Callable[[Context], None], **kw: Any) -> None:
    CASES.append(Case(f"saver/{name}", "saver", fn, **kw))


def _model() -> tuple:
    import graphc as tf

    v = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="v")
    w = tf.Variable(f32(7, 8), name="w")
    return tf, v, w


def _saved(ctx: Context) -> tuple:
    """A session holding v, w saved at prefix; then both overwritten (so a restore is visible)."""
    tf, v, w = _model()
    sess = tf.Session(backend=ctx.backend)
    sess.run(tf.global_variables_initializer())
    saver = tf.train.Saver()
    os.makedirs(os.path.join(ctx.scratch, "ckpt"), exist_ok=True)
    prefix = saver.save(sess, os.path.join(ctx.scratch, "ckpt", "model"))
    sess.run([tf.assign(v, np.full((2, 3), -1, np.float32)), tf.assign(w, f32(-2, -2))])
    return tf, sess, saver, prefix, v, w


def _checkpoint_files(prefix: str) -> list[str]:
    files = sorted(p for p in glob.glob(glob.escape(prefix) + "*") if os.path.isfile(p))
    if not files:
        raise Wrong(f"no files were written for checkpoint {prefix}")
    return files


def _unchanged(sess: Any, v: Any, w: Any) -> None:
    got_v, got_w = sess.run([v, w])
    if not (np.all(got_v == -1) and np.all(got_w == -2)):
        raise DataLost(f"a failed restore changed the variables: v={got_v.tolist()}, w={got_w.tolist()}")


def _roundtrip(ctx: Context) -> None:
    tf, sess, saver, prefix, v, w = _saved(ctx)
    saver.restore(sess, prefix)
    expect_close(sess.run(v), np.arange(6, dtype=np.float32).reshape(2, 3))
    expect_close(sess.run(w), f32(7, 8))
    expect_equal(tf.train.latest_checkpoint(os.path.dirname(prefix)), prefix, "latest_checkpoint")


def _restore_uninitialized(ctx: Context) -> None:
    tf, sess, saver, prefix, v, w = _saved(ctx)
    with tf.Session(backend=ctx.backend) as fresh:
        saver.restore(fresh, prefix)
        expect_close(fresh.run(w), f32(7, 8))


def _many_variables(ctx: Context) -> None:
    """500 variables of assorted shapes and dtypes survive a save and restore bit for bit."""
    import graphc as tf

    rs = np.random.RandomState(0)
    values = [np.asarray(rs.randn(*rs.randint(1, 4, size=i % 3)) * 10).astype([np.float32, np.float64, np.int32][i % 3])
              for i in range(500)]
    variables = [tf.Variable(v, name=f"layer{i // 10}/v{i}") for i, v in enumerate(values)]
    saver = tf.train.Saver()
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(tf.global_variables_initializer())
        prefix = saver.save(sess, os.path.join(ctx.scratch, "many"))
        sess.run([tf.assign(v, tf.zeros_like(v)) for v in variables[::7]])
        saver.restore(sess, prefix)
        got = sess.run(variables)
    for i, (g, w) in enumerate(zip(got, values)):
        if g.dtype != w.dtype or not np.array_equal(g, w):
            raise DataLost(f"variable {i} came back as {g.tolist()} ({g.dtype}), saved {w.tolist()}")


_case("roundtrip", _roundtrip, quick=True)
_case("roundtrip_500_variables", _many_variables, timeout=120)
_case("restore_into_fresh_session", _restore_uninitialized)


# ------------------------------------------------------------------------------------------------
# damaged checkpoints

def _damage(how: str, ctx: Context) -> None:
    tf, sess, saver, prefix, v, w = _saved(ctx)
    files = _checkpoint_files(prefix)
    for p in files:
        with open(p, "r+b") as f:
            data = f.read()
            f.seek(0)
            f.truncate()
            if how == "garbage":
                f.write(b"\x93NUMPY garbage " + os.urandom(max(64, len(data))))
            elif how == "truncated":
                f.write(data[: len(data) // 2])
            elif how == "truncated_tail":
                f.write(data[:-4])
            elif how == "flipped_middle":
                mid = len(data) // 2
                f.write(data[:mid] + bytes([data[mid] ^ 0x40]) + data[mid + 1:])
            # "empty": nothing
    try:
        e = expect_raises(lambda: saver.restore(sess, prefix),
                          (tf.errors.DataLossError, tf.errors.NotFoundError, tf.errors.InvalidArgumentError,
                           tf.errors.OutOfRangeError))
    except Wrong as bad:
        if how == "flipped_middle" and "no error" in str(bad):
            got = sess.run([v, w])
            if not (np.array_equal(got[0], np.arange(6).reshape(2, 3)) and np.array_equal(got[1], f32(7, 8))):
                raise DataLost(f"a checkpoint with a flipped byte restored wrong values silently: {got[0].tolist()}")
            return      # the flipped byte hit padding or metadata that does not matter
        raise
    if "allow_pickle" in str(e):
        raise Wrong("the error repeats numpy's allow_pickle=True hint (unsafe advice for a checkpoint)")
    _unchanged(sess, v, w)


for _h in ("garbage", "truncated", "truncated_tail", "empty", "flipped_middle"):
    _case(f"corrupt/{_h}", functools.partial(_damage, _h), quick=_h == "garbage")


def _missing_file(which: int, ctx: Context) -> None:
    tf, sess, saver, prefix, v, w = _saved(ctx)
    files = _checkpoint_files(prefix)
    if which >= len(files):
        return          # a single-file format: the all-files case covers it
    os.remove(files[which])
    e = expect_raises(lambda: saver.restore(sess, prefix),
                      (ValueError, tf.errors.NotFoundError, tf.errors.DataLossError))
    del e
    _unchanged(sess, v, w)


_case("corrupt/first_file_missing", functools.partial(_missing_file, 0))
_case("corrupt/second_file_missing", functools.partial(_missing_file, 1))


def _planted_pickle(ctx: Context) -> None:
    """Files replaced by numpy archives holding a pickle: never unpickled, restore fails."""
    tf, sess, saver, prefix, v, w = _saved(ctx)
    marker = os.path.join(ctx.scratch, "PLANTED_CODE_RAN")

    class Payload:
        def __reduce__(self) -> Any:
            return (open, (marker, "w"))
    for p in _checkpoint_files(prefix):
        arr = np.empty(1, dtype=object)
        arr[0] = Payload()
        with open(p, "wb") as f:
            np.savez(f, v=arr, w=arr)
    try:
        saver.restore(sess, prefix)
    except Exception:
        pass
    if os.path.exists(marker):
        raise Security("restoring a planted checkpoint unpickled foreign code")
    _unchanged(sess, v, w)


_case("corrupt/planted_pickle", _planted_pickle)


# ------------------------------------------------------------------------------------------------
# mismatched graphs and bad paths

def _mismatch(kind: str, ctx: Context) -> None:
    tf, sess, saver, prefix, v, w = _saved(ctx)
    with tf.Graph().as_default():
        if kind == "missing_variable":
            tf.Variable(f32(1, 2), name="w")
            tf.Variable(f32(1), name="not_saved")
            want = tf.errors.NotFoundError
        elif kind == "shape":
            tf.Variable(np.zeros((3, 2), np.float32), name="v")
            tf.Variable(f32(1, 2), name="w")
            want = tf.errors.InvalidArgumentError
        else:
            tf.Variable(np.zeros((2, 3), np.float64), name="v")
            tf.Variable(f32(1, 2), name="w")
            want = tf.errors.InvalidArgumentError
        other = tf.train.Saver()
        with tf.Session(backend=ctx.backend) as s2:
            s2.run(tf.global_variables_initializer())
            before = s2.run(tf.global_variables())
            expect_raises(lambda: other.restore(s2, prefix), want)
            for b, a in zip(before, s2.run(tf.global_variables())):
                if not np.array_equal(a, b):
                    raise DataLost(f"a rejected restore ({kind}) changed a variable")


for _k in ("missing_variable", "shape", "dtype"):
    _case(f"mismatch/{_k}", functools.partial(_mismatch, _k))


def _path_case(kind: str, ctx: Context) -> None:
    tf, v, w = _model()
    saver = tf.train.Saver()
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(tf.global_variables_initializer())
        if kind == "restore_missing":
            expect_raises(lambda: saver.restore(sess, os.path.join(ctx.scratch, "nothing", "here")),
                          (ValueError, tf.errors.NotFoundError))
        elif kind == "restore_none":
            expect_raises(lambda: saver.restore(sess, None), (ValueError, TypeError))
        elif kind == "save_parent_missing":
            expect_raises(lambda: saver.save(sess, os.path.join(ctx.scratch, "no", "such", "dir", "m")), ValueError)
        elif kind == "save_parent_is_file":
            blocker = os.path.join(ctx.scratch, "file")
            open(blocker, "w").close()
            expect_raises(lambda: saver.save(sess, os.path.join(blocker, "m")), (ValueError, tf.errors.OpError))
        elif kind == "save_read_only_dir":
            expect_raises(lambda: saver.save(sess, "/sys/kernel/graphc-fault-ckpt"), tf.errors.OpError)
        elif kind == "save_prefix_is_dir":
            os.makedirs(os.path.join(ctx.scratch, "m.index"))
            os.makedirs(os.path.join(ctx.scratch, "m.npz"))
            expect_raises(lambda: saver.save(sess, os.path.join(ctx.scratch, "m")), (ValueError, tf.errors.OpError))


for _k in ("restore_missing", "restore_none", "save_parent_missing", "save_parent_is_file", "save_read_only_dir",
           "save_prefix_is_dir"):
    _case(f"paths/{_k}", functools.partial(_path_case, _k))


def _no_variables(ctx: Context) -> None:
    import graphc as tf

    tf.constant(1.0)
    expect_raises(lambda: tf.train.Saver(), ValueError, "variables")


_case("paths/no_variables", _no_variables)


# ------------------------------------------------------------------------------------------------
# checkpoint state, max_to_keep, modes

def _state_file(kind: str, ctx: Context) -> None:
    tf, sess, saver, prefix, v, w = _saved(ctx)
    d = os.path.dirname(prefix)
    with open(os.path.join(d, "checkpoint"), "w") as f:
        f.write({"garbage": "\x00\x01 not a text proto {{{", "dangling": 'model_checkpoint_path: "gone-17"\n',
                 "empty": ""}[kind])
    if kind == "empty":     # TF1 1.15 raises ValueError('Invalid checkpoint state ...'); None is as safe
        try:
            got = tf.train.latest_checkpoint(d)
        except ValueError:
            return
        expect_equal(got, None, "latest_checkpoint with an empty state file")
        return
    expect_equal(tf.train.latest_checkpoint(d), None, f"latest_checkpoint with a {kind} state file")


for _k in ("garbage", "dangling", "empty"):
    _case(f"state/{_k}", functools.partial(_state_file, _k))


def _max_to_keep(ctx: Context) -> None:
    tf, v, w = _model()
    saver = tf.train.Saver(max_to_keep=2)
    d = os.path.join(ctx.scratch, "keep")
    os.makedirs(d)
    with tf.Session(backend=ctx.backend) as sess:
        sess.run(tf.global_variables_initializer())
        paths = [saver.save(sess, os.path.join(d, "m"), global_step=i) for i in range(5)]
    expect_equal(tf.train.latest_checkpoint(d), paths[-1], "latest_checkpoint")
    left = {os.path.basename(p).split(".")[0] for p in os.listdir(d) if p != "checkpoint"}
    expect_equal(sorted(left), ["m-3", "m-4"], "checkpoints kept with max_to_keep=2")


def _modes(ctx: Context) -> None:
    tf, v, w = _model()
    saver = tf.train.Saver()
    old = os.umask(0o022)
    try:
        with tf.Session(backend=ctx.backend) as sess:
            sess.run(tf.global_variables_initializer())
            prefix = saver.save(sess, os.path.join(ctx.scratch, "m"))
    finally:
        os.umask(old)
    for p in _checkpoint_files(prefix) + [os.path.join(ctx.scratch, "checkpoint")]:
        mode = stat.S_IMODE(os.stat(p).st_mode)
        if mode != 0o644:
            raise Wrong(f"{os.path.basename(p)} has mode {mode:04o}; TF1 follows the umask (0644 under 022)")


_case("state/max_to_keep", _max_to_keep)
_case("state/modes_follow_umask", _modes)


# ------------------------------------------------------------------------------------------------
# faults during a save, in child processes

SAVER_CHILD = """
import json, os, sys
import numpy as np, graphc as tf
d, mode = sys.argv[1], sys.argv[2]
v = tf.Variable(np.zeros(200000, np.float32), name="big")
w = tf.Variable(np.zeros(3, np.float32), name="small")
step = tf.placeholder(tf.float32, [])
set_all = tf.group(tf.assign(v, tf.fill([200000], step)), tf.assign(w, tf.fill([3], step)))
saver = tf.train.Saver(max_to_keep=3)
sess = tf.Session()
sess.run(tf.global_variables_initializer())
if mode == "loop":
    for i in range(1, 100000):
        sess.run(set_all, {step: float(i)})
        saver.save(sess, os.path.join(d, "m"), global_step=i)
else:
    sess.run(set_all, {step: 99.0})
    try:
        saver.save(sess, os.path.join(d, "m"), global_step=2)
        print(json.dumps({"error": None}))
    except Exception as e:
        print(json.dumps({"error": type(e).__name__, "mro": [c.__name__ for c in type(e).__mro__]}))
"""


def _restore_consistent(ctx: Context, d: str) -> float:
    """Restores the latest checkpoint in ``d`` into a fresh graph; every value must be one step."""
    import graphc as tf

    with tf.Graph().as_default():
        v = tf.Variable(np.zeros(200000, np.float32), name="big")
        w = tf.Variable(np.zeros(3, np.float32), name="small")
        saver = tf.train.Saver()
        latest = tf.train.latest_checkpoint(d)
        if latest is None:
            raise DataLost("no checkpoint is found after the interrupted saves")
        with tf.Session(backend=ctx.backend) as sess:
            try:
                saver.restore(sess, latest)
            except Exception as e:
                raise DataLost(f"the latest checkpoint does not restore: {type(e).__name__}: {str(e)[:120]}")
            got_v, got_w = sess.run([v, w])
    values = set(np.unique(got_v).tolist()) | set(np.unique(got_w).tolist())
    if len(values) != 1:
        raise DataLost(f"the restored checkpoint mixes steps {sorted(values)[:4]}")
    return values.pop()


def _kill_mid_save(ctx: Context) -> None:
    d = os.path.join(ctx.scratch, "ckpts")
    os.makedirs(d)
    rs = random.Random(5)
    env = child_env(ctx)
    for _ in range(4):
        child = subprocess.Popen([sys.executable, "-c", SAVER_CHILD, d, "loop"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")
        state = os.path.join(d, "checkpoint")
        seen = os.stat(state).st_mtime_ns if os.path.exists(state) else None
        deadline = time.time() + 60         # until this child has written a checkpoint of its own
        while time.time() < deadline and (not os.path.exists(state) or os.stat(state).st_mtime_ns == seen):
            time.sleep(0.02)
        time.sleep(rs.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait()
        _restore_consistent(ctx, d)
    _after_one_more_save(ctx, d)


def _after_one_more_save(ctx: Context, d: str) -> None:
    """A further save cleans the orphans kill -9 left (issue 12 item 8)."""
    import graphc as tf

    with tf.Graph().as_default():
        tf.Variable(np.zeros(200000, np.float32), name="big")
        tf.Variable(np.zeros(3, np.float32), name="small")
        saver = tf.train.Saver()
        with tf.Session(backend=ctx.backend) as sess:
            sess.run(tf.global_variables_initializer())
            saver.save(sess, os.path.join(d, "after"))
    orphans = [f for f in os.listdir(d) if "tmp" in f.lower() or "temp" in f.lower()]
    if orphans:
        raise Wrong(f"temporary files left after kill -9 and a new save: {orphans[:3]}")


def _size_limited_save(ctx: Context) -> None:
    """RLIMIT_FSIZE below the checkpoint size: an OpError, and the previous checkpoint intact."""
    d = os.path.join(ctx.scratch, "ckpts")
    os.makedirs(d)
    env = child_env(ctx)
    subprocess.run([sys.executable, "-c", SAVER_CHILD.replace("range(1, 100000)", "range(1, 2)"), d, "loop"],
                   env=env, capture_output=True, timeout=120, cwd="/")
    if _restore_consistent(ctx, d) != 1.0:
        raise Wrong("the first checkpoint does not hold step 1")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100000, 100000))
    res = subprocess.run([sys.executable, "-c", SAVER_CHILD, d, "once"], env=env, capture_output=True, text=True,
                         timeout=120, preexec_fn=limit, cwd="/")
    if res.returncode < 0:
        raise Wrong(f"a save over the file size limit killed the process ({signal.Signals(-res.returncode).name})")
    lines = res.stdout.strip().splitlines()
    if res.returncode != 0 or not lines:
        raise Wrong(f"a save over the file size limit failed outside Python: {res.stderr.strip()[-200:]}")
    out = json.loads(lines[-1])
    if out["error"] is None:
        raise Wrong("a save over the file size limit reported success")
    if "OpError" not in out["mro"]:
        raise Wrong(f"a save over the file size limit raised {out['error']} where TF1 raises an OpError")
    if _restore_consistent(ctx, d) not in (1.0, 99.0):
        raise DataLost("the checkpoint after a failed save holds neither step")


_case("kill/kill9_mid_save", _kill_mid_save, timeout=180)
_case("kill/save_over_file_size_limit", _size_limited_save, timeout=180)
