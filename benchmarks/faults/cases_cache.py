"""The on-disk code cache: corrupt, truncated, planted, foreign-owned and loose entries; roots that
are world-writable, read-only, a file, over a size limit; clear while compiling; kill -9 while
compiling; concurrent cold compiles. Each case drives child processes against a cache of its own.

Expected (README's trust model and issue 12 items 1, 3, 5): the result is always right; a bad
entry is rebuilt; a foreign or loose root or entry is refused with a warning and nothing is
read from or written into it; planted pickles and .pyc files never run (a marker file they would
create must not appear); directories are 0700 and files 0600; ``graphc cache clear`` removes
only graphc's own files.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import pickle
import random
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from .case import CACHED, Case, Context
from .util import child_env, run_child
from .verdict import Crash, DataLost, Security, Wrong

CASES: list[Case] = []
OTHER_UID = 4242

PROGRAM = """
import json, os, warnings
warnings.simplefilter("always")
import numpy as np, graphc as tf, graphc.runtime as r
k = float(os.environ.get("FAULT_K", "2.0"))
x = tf.placeholder(tf.float32, [None])
y = tf.tanh(x) * k + tf.exp(-x * x)
s = tf.reduce_sum(y * y)
fetches = [y, s]
if os.environ.get("FAULT_POOL"):
    img = tf.placeholder(tf.float32, [1, 4, 4, 1])
    fetches.append(tf.nn.max_pool(img, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"))
xs = np.linspace(-2, 2, 7, dtype=np.float32)
feed = {x: xs}
if os.environ.get("FAULT_POOL"):
    feed[img] = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
with tf.Session() as sess:
    got = sess.run(fetches, feed)
want = np.tanh(xs) * k + np.exp(-xs * xs)
ok = bool(np.allclose(got[0], want, rtol=1e-5, atol=1e-6) and np.isclose(got[1], (want * want).sum(), rtol=1e-5))
if os.environ.get("FAULT_POOL"):
    ok = ok and got[2].reshape(-1).tolist() == [5.0, 7.0, 13.0, 15.0]
st = r.stats()
print(json.dumps({"ok": ok, "compiles": st["compiles"], "disk_hits": st["disk_hits"],
                  "corrupt": st["corrupt_entries"]}))
"""


def _case(name: str, fn: Callable[[Context], None], **kw: Any) -> None:
    CASES.append(Case(f"cache/{name}", "cache", fn, backends=CACHED, **kw))


def _root(ctx: Context) -> str:
    return os.path.join(ctx.scratch, "cache")


def _go(ctx: Context, root: str, umask: int | None = None, fsize: int | None = None,
        timeout: float = 120.0, **env: str) -> dict:
    """One child run of PROGRAM against ``root``; its result must be right."""
    def limits() -> None:
        if umask is not None:
            os.umask(umask)
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    out = run_child(ctx, PROGRAM, timeout=timeout, env=child_env(ctx, root, **env), preexec=limits)
    if not out.get("ok"):
        raise Wrong(f"a run against the cache gave a wrong result: {out}")
    return out


_TEMPLATE: dict = {}


def _warm_copy(ctx: Context, root: str) -> None:
    """A warm cache at ``root``: a copy of one this worker made once (saves a cold child per case)."""
    key = ctx.backend
    if key not in _TEMPLATE or not os.path.isdir(_TEMPLATE[key]):
        template = os.path.join(os.path.dirname(ctx.scratch), f"cache-template-{key}")
        shutil.rmtree(template, ignore_errors=True)
        _go(ctx, template)
        _TEMPLATE[key] = template
    shutil.copytree(_TEMPLATE[key], root, symlinks=True)


def _files(root: str) -> list[str]:
    return [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]


def _entries(root: str, suffix: str) -> list[str]:
    found = [p for p in _files(root) if p.endswith(suffix) and os.path.basename(p) != ".graphc_key"]
    if not found:
        raise Wrong(f"a warm cache holds no {suffix} files to test with")
    return found


class _Payload:
    """A pickle that creates ``marker`` when loaded (only builtins.open is named in it)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (open, (self.marker, "w"))


def _marker(ctx: Context) -> str:
    return os.path.join(ctx.scratch, "PLANTED_CODE_RAN")


def _no_marker(ctx: Context, what: str) -> None:
    if os.path.exists(_marker(ctx)):
        raise Security(f"{what} was executed")


# ------------------------------------------------------------------------------------------------
# a warm cache is used; modes

def _warm_is_used(ctx: Context) -> None:
    root = _root(ctx)
    _go(ctx, root)
    second = _go(ctx, root)
    if second["compiles"] != 0 or second["disk_hits"] == 0:
        raise Wrong(f"a second process recompiled instead of using the cache: {second}")


def _modes(umask: int, ctx: Context) -> None:
    root = _root(ctx)
    _go(ctx, root, umask=umask, FAULT_POOL="1")
    for d, _, fs in os.walk(root):
        mode = stat.S_IMODE(os.stat(d).st_mode)
        if mode != 0o700:
            raise Security(f"cache directory {os.path.relpath(d, root)} has mode {mode:04o}, not 0700")
        for f in fs:
            mode = stat.S_IMODE(os.stat(os.path.join(d, f)).st_mode)
            if mode != 0o600:
                raise Security(f"cache file {f} has mode {mode:04o}, not 0600")


def _host_kernels_inside(ctx: Context) -> None:
    root = _root(ctx)
    _go(ctx, root, FAULT_POOL="1", HOME=os.path.join(ctx.scratch, "nohome"))
    if not any(os.sep + "host" + os.sep in p for p in _files(root)):
        raise Wrong("the njit host kernels' compiled code is not under GRAPHC_CACHE_DIR")
    if os.path.exists(os.path.join(ctx.scratch, "nohome")):
        raise Wrong("something was written under HOME although GRAPHC_CACHE_DIR is set")


def _unwritable_home(ctx: Context) -> None:
    """No GRAPHC_CACHE_DIR and a HOME nothing can be written under (a `USER nobody` container)."""
    env = child_env(ctx, None, HOME="/sys/kernel/graphc-fault-home", FAULT_POOL="1")
    env.pop("GRAPHC_CACHE_DIR")
    out = run_child(ctx, PROGRAM, timeout=120, env=env)
    if not out.get("ok"):
        raise Wrong(f"a run with an unwritable HOME gave a wrong result: {out}")


_case("warm_cache_is_used", _warm_is_used, quick=True)
_case("no_cache_dir_and_unwritable_home", _unwritable_home)
_case("modes_under_umask_002", functools.partial(_modes, 0o002))
_case("host_kernels_inside_cache_dir", _host_kernels_inside)


# ------------------------------------------------------------------------------------------------
# damaged entries are rebuilt

def _damage(suffix: str, how: str, ctx: Context) -> None:
    root = _root(ctx)
    _warm_copy(ctx, root)
    for p in _entries(root, suffix):
        with open(p, "r+b") as f:
            data = f.read()
            f.seek(0)
            f.truncate()
            if how == "garbage":
                f.write(os.urandom(max(len(data), 64)))
            elif how == "truncated":
                f.write(data[: len(data) // 2])
            elif how == "flipped":
                f.write(data[:-1] + bytes([data[-1] ^ 1]))
            # "empty": nothing
    _go(ctx, root)
    if how not in ("garbage", "truncated"):
        return
    third = _go(ctx, root)
    if third["compiles"] != 0:
        raise DataLost(f"damaged {suffix} entries were not rebuilt (a later run compiled again: {third})")


for _s, _h in [(".py", "garbage"), (".py", "truncated"), (".nbi", "garbage"), (".nbi", "truncated"),
               (".nbi", "flipped"), (".nbc", "garbage"), (".nbc", "truncated"), (".nbc", "empty"), (".nbc", "flipped")]:
    _case(f"damaged{_s.replace('.', '_')}_{_h}", functools.partial(_damage, _s, _h),
          quick=(_s, _h) == (".nbc", "truncated"))


def _key_damaged(ctx: Context) -> None:
    root = _root(ctx)
    _warm_copy(ctx, root)
    key = os.path.join(root, ".graphc_key")
    if not os.path.exists(key):
        raise Wrong("no .graphc_key in a warm cache")
    with open(key, "wb") as f:
        f.write(os.urandom(32))
    _go(ctx, root)


_case("key_replaced", _key_damaged)


# ------------------------------------------------------------------------------------------------
# planted code never runs

def _planted_pickle(suffix: str, ctx: Context) -> None:
    root = _root(ctx)
    _warm_copy(ctx, root)
    for p in _entries(root, suffix):
        with open(p, "wb") as f:
            f.write(pickle.dumps(_Payload(_marker(ctx))))
    _go(ctx, root)
    _no_marker(ctx, f"a pickle planted as a {suffix} file")


def _planted_pyc(ctx: Context) -> None:
    root = _root(ctx)
    _warm_copy(ctx, root)
    for path in _entries(root, ".py"):
        st = os.stat(path)
        code = compile(f"open({_marker(ctx)!r}, 'w')\n", path, "exec")
        pyc = importlib.util.cache_from_source(path)
        os.makedirs(os.path.dirname(pyc), exist_ok=True)
        with open(pyc, "wb") as f:
            f.write(importlib._bootstrap_external._code_to_timestamp_pyc(code, st.st_mtime, st.st_size))
        os.chmod(pyc, 0o600)
    _go(ctx, root)
    _no_marker(ctx, "a .pyc planted beside a cached module")


def _edited_source(ctx: Context) -> None:
    root = _root(ctx)
    _warm_copy(ctx, root)
    for path in _entries(root, ".py"):
        with open(path, "a") as f:
            f.write(f"\nopen({_marker(ctx)!r}, 'w')\n")
    _go(ctx, root)
    _no_marker(ctx, "code appended to a cached module")


def _planted_in_refused(kind: str, ctx: Context) -> None:
    """A loose (0666) or foreign-owned entry holding a payload: refused, never read, result right."""
    root = _root(ctx)
    _warm_copy(ctx, root)
    for p in _entries(root, ".nbi") + _entries(root, ".nbc"):
        with open(p, "wb") as f:
            f.write(pickle.dumps(_Payload(_marker(ctx))))
        if kind == "world_writable":
            os.chmod(p, 0o666)
        else:
            os.chown(p, OTHER_UID, OTHER_UID)
    _go(ctx, root)
    _no_marker(ctx, f"a payload in a {kind} cache entry")


def _symlinked_shard(ctx: Context) -> None:
    root = _root(ctx)
    _warm_copy(ctx, root)
    elsewhere = os.path.join(ctx.scratch, "elsewhere")
    shards = [d for d in os.listdir(root) if len(d) == 2 and os.path.isdir(os.path.join(root, d))]
    if not shards:
        raise Wrong("a warm cache has no shard directories")
    for d in shards:
        target = os.path.join(elsewhere, d)
        shutil.move(os.path.join(root, d), target)
        for p in _files(target):
            if p.endswith((".nbi", ".nbc")):
                with open(p, "wb") as f:
                    f.write(pickle.dumps(_Payload(_marker(ctx))))
        os.symlink(target, os.path.join(root, d))
    _go(ctx, root)
    _no_marker(ctx, "a payload behind a symlink in the cache")


_case("planted_pickle_nbi", functools.partial(_planted_pickle, ".nbi"))
_case("planted_pickle_nbc", functools.partial(_planted_pickle, ".nbc"), quick=True)
_case("planted_pyc", _planted_pyc)
_case("edited_source", _edited_source)
_case("payload_in_world_writable_entry", functools.partial(_planted_in_refused, "world_writable"))
_case("payload_in_foreign_owned_entry", functools.partial(_planted_in_refused, "foreign"))
_case("payload_behind_symlinked_shard", _symlinked_shard)


# ------------------------------------------------------------------------------------------------
# roots that must be refused or cannot be used: warn, compute in memory, write nothing

def _bad_root(kind: str, ctx: Context) -> None:
    root = _root(ctx)
    fsize = None
    if kind in ("world_writable", "group_writable", "other_writable", "foreign_owned"):
        os.makedirs(root, mode=0o700)
        if kind == "foreign_owned":
            os.chown(root, OTHER_UID, OTHER_UID)
        else:
            os.chmod(root, {"world_writable": 0o777, "group_writable": 0o770, "other_writable": 0o707}[kind])
    elif kind == "is_a_file":
        with open(root, "w") as f:
            f.write("not a directory\n")
    elif kind == "below_a_file":
        with open(root, "w") as f:
            f.write("not a directory\n")
        root = os.path.join(root, "sub")
    elif kind == "read_only_fs":
        root = "/sys/kernel/graphc-fault-cache"       # sysfs: no new entries, even for root
    elif kind == "read_only_existing":
        root = "/sys/kernel"                           # root-owned 0755, but nothing can be created
    elif kind == "size_limit":
        fsize = 0
    elif kind == "symlink_root":
        real = os.path.join(ctx.scratch, "real")
        os.makedirs(real, mode=0o700)
        os.symlink(real, root)
    before = sorted(_files(root)) if os.path.isdir(root) and not root.startswith("/sys") else []
    out = _go(ctx, root, fsize=fsize)
    if kind in ("world_writable", "group_writable", "other_writable", "foreign_owned"):
        if sorted(_files(root)) != before:
            raise Security(f"graphc wrote into a {kind.replace('_', ' ')} cache root")
        if "refus" not in out["_stderr"]:
            raise Wrong("no warning that the cache root was refused")


for _k in ("world_writable", "group_writable", "other_writable", "foreign_owned", "is_a_file", "below_a_file",
           "read_only_fs", "read_only_existing", "size_limit", "symlink_root"):
    _case(f"root_{_k}", functools.partial(_bad_root, _k), quick=_k == "is_a_file")


# ------------------------------------------------------------------------------------------------
# clear: only graphc's files, and never under a running compile

def _clear_keeps_user_files(ctx: Context) -> None:
    root = _root(ctx)
    os.makedirs(os.path.join(root, "mine"), mode=0o700)
    user = {os.path.join(root, "notes.txt"): b"keep me", os.path.join(root, "mine", "data.bin"): b"\x00\x01",
            os.path.join(root, "ab.py"): b"print('my script')\n"}
    for p, data in user.items():
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, 0o600)
    _go(ctx, root)
    res = subprocess.run([sys.executable, "-m", "graphc.cli", "cache", "clear"], env=child_env(ctx, root),
                         capture_output=True, text=True, timeout=60, cwd="/")
    if res.returncode != 0:
        raise Wrong(f"graphc cache clear failed: {res.stderr[-200:]}")
    for p, data in user.items():
        if not os.path.exists(p):
            raise DataLost(f"graphc cache clear deleted the user's {os.path.relpath(p, root)}")
        with open(p, "rb") as f:
            if f.read() != data:
                raise DataLost(f"graphc cache clear changed the user's {os.path.relpath(p, root)}")
    left = [p for p in _files(root) if p not in user and p.endswith((".nbi", ".nbc"))]
    if left:
        raise Wrong(f"graphc cache clear left {len(left)} compiled-code files")


GROWING = PROGRAM.replace('k = float(os.environ.get("FAULT_K", "2.0"))', "k = 2.0").replace(
    "with tf.Session() as sess:\n    got = sess.run(fetches, feed)",
    "with tf.Session() as sess:\n    got = sess.run(fetches, feed)\n"
    "    for i in range(12):\n"
    "        z = tf.sigmoid(x * float(i + 3)) + tf.square(x) * float(i)\n"
    "        assert np.allclose(sess.run(z, feed), 1 / (1 + np.exp(-xs * (i + 3))) + xs * xs * i, rtol=1e-5)")


def _clear_while_compiling(ctx: Context) -> None:
    root = _root(ctx)
    env = child_env(ctx, root)
    child = subprocess.Popen([sys.executable, "-c", GROWING], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd="/")
    clears = 0
    try:
        while child.poll() is None:
            subprocess.run([sys.executable, "-m", "graphc.cli", "cache", "clear"], env=env,
                           capture_output=True, timeout=60, cwd="/")
            clears += 1
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if child.returncode < 0:
        raise Crash(f"the compiling process died of signal {-child.returncode} during {clears} clears")
    if child.returncode != 0 or '"ok": true' not in out:
        raise Wrong(f"the compiling process failed during {clears} clears: {err.strip().splitlines()[-1:]}")


def _kill_during_compile(ctx: Context) -> None:
    root = _root(ctx)
    env = child_env(ctx, root)
    rs = random.Random(12)
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", GROWING], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, cwd="/")
        time.sleep(rs.uniform(0.8, 3.0))
        child.send_signal(signal.SIGKILL)
        child.wait()
    out = run_child(ctx, GROWING, timeout=180, env=env)
    if not out.get("ok"):
        raise DataLost("a run after kill -9 during compiles gave a wrong result")


def _concurrent_cold(ctx: Context) -> None:
    root = _root(ctx)
    env = child_env(ctx, root)
    procs = [subprocess.Popen([sys.executable, "-c", PROGRAM], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd="/") for _ in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=240)
        if p.returncode < 0:
            raise Crash(f"a concurrent compile died of signal {-p.returncode}")
        if p.returncode != 0 or '"ok": true' not in out:
            raise Wrong(f"a concurrent compile failed: {err.strip().splitlines()[-1:]}")
    if _go(ctx, root)["compiles"] != 0:
        raise DataLost("after 4 concurrent cold compiles the cache does not serve a fifth process")


_case("clear_keeps_user_files", _clear_keeps_user_files)
_case("clear_while_compiling", _clear_while_compiling, timeout=240)
_case("kill9_during_compile", _kill_during_compile, timeout=240)
_case("four_concurrent_cold_compiles", _concurrent_cold, timeout=240)
