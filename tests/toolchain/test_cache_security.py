"""The code cache's trust model: private modes, refusal of foreign or loose entries, signed numba files,
and a cache that cannot be used (read-only, another user's, full, size-limited, a file) costing
only a warning. Ownership cases chown to another uid when run as root (else fake the euid); the
read-only and full file systems are real mounts (root only, skipped otherwise)."""
import contextlib
import importlib.util
import json
import os
import pickle
import resource
import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest

import graphc
import graphc as tf
from graphc.cli import main as cli_main
from graphc.toolchain import cache

REPO = os.path.dirname(os.path.dirname(os.path.abspath(graphc.__file__)))
IS_ROOT = os.geteuid() == 0
OTHER_UID = 4242
PROGRAM = """
import json, warnings
warnings.simplefilter("always")
import numpy as np, graphc as tf, graphc.runtime as r
x = tf.placeholder(tf.float32, [None])
y = tf.tanh(x) * 2.0 + tf.exp(-x * x)
img = tf.placeholder(tf.float32, [1, 4, 4, 1])
pool = tf.nn.max_pool(img, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
xs = np.linspace(-2, 2, 7, dtype=np.float32)
with tf.Session(backend="numba") as s:
    out, p = s.run([y, pool], {x: xs, img: np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)})
ok = np.allclose(out, np.tanh(xs) * 2 + np.exp(-xs * xs), rtol=1e-5, atol=1e-6) and \\
    p.reshape(-1).tolist() == [5.0, 7.0, 13.0, 15.0]
st = r.stats()
print(json.dumps({"ok": bool(ok), "compiles": st["compiles"], "disk_hits": st["disk_hits"],
                  "corrupt": st["corrupt_entries"]}))
"""


def run_program(cache_dir, umask=None, fsize=None, home=None, program=PROGRAM):
    """Runs ``program`` in a fresh process; returns (its JSON line, stderr)."""
    env = dict(os.environ, PYTHONPATH=REPO, PYTHONDONTWRITEBYTECODE="1")
    env.pop("NUMBA_CACHE_DIR", None)
    if cache_dir is None:
        env.pop("GRAPHC_CACHE_DIR", None)
    else:
        env["GRAPHC_CACHE_DIR"] = str(cache_dir)
    if home is not None:
        env["HOME"] = home

    def limits():
        if umask is not None:
            os.umask(umask)
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    res = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True,
                         timeout=300, preexec_fn=limits, cwd="/")
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1]), res.stderr


def files_under(root):
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]




# ------------------------------------------------------------------------------------------------
# modes

def test_directories_are_0700_and_files_0600_whatever_the_umask(tmp_path):
    root = tmp_path / "cache"
    first, _ = run_program(root, umask=0o002)
    assert first["ok"]
    paths = files_under(root)
    assert any(p.endswith(".nbi") for p in paths) and any(p.endswith(".py") for p in paths)
    for d, _dirs, _ in os.walk(root):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
    for p in paths:
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o600, p


def test_host_kernels_cache_inside_graphc_cache_and_clear_removes_them(tmp_path):
    root = tmp_path / "cache"
    first, _ = run_program(root)
    second, _ = run_program(root)
    assert first["ok"] and second["ok"]
    host = [p for p in files_under(root) if os.sep + "host" + os.sep in p]
    assert any(p.endswith(".nbi") for p in host) and any(p.endswith(".nbc") for p in host)
    cli_env = dict(os.environ, GRAPHC_CACHE_DIR=str(root))
    out = subprocess.run([sys.executable, "-m", "graphc.cli", "cache", "clear"], env=cli_env,
                         capture_output=True, text=True, timeout=60, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert "compiled-code files" in out.stdout
    assert not [p for p in files_under(root) if p.endswith((".nbi", ".nbc", ".py"))]


# ------------------------------------------------------------------------------------------------
# refusing roots and entries that are not this user's private ones

@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777])
def test_a_root_writable_by_group_or_others_is_refused(tmp_path, monkeypatch, mode):
    root = tmp_path / "shared"
    root.mkdir()
    os.chmod(root, mode)
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(root))
    with pytest.warns(RuntimeWarning, match="refusing the code cache directory .*writable by group or others"):
        module = cache.load_source(f"X = {mode}\n", prefix="t")
    assert module.X == mode
    x = tf.placeholder(tf.float32, [3])
    with tf.Session(backend="numba") as sess:
        np.testing.assert_allclose(sess.run(tf.sigmoid(x) * 3.0 + float(mode), {x: np.ones(3)}),
                                   3 / (1 + np.exp(-1.0)) + mode, rtol=1e-6)
    assert os.listdir(root) == []       # nothing written into it


def test_a_root_owned_by_another_user_is_refused(tmp_path, monkeypatch):
    root = tmp_path / "theirs"
    root.mkdir(mode=0o700)
    if IS_ROOT:
        os.chown(root, OTHER_UID, OTHER_UID)
    else:
        monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 1)
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(root))
    with pytest.warns(RuntimeWarning, match="refusing .*owned by uid"):
        assert cache.load_source("X = 'theirs'\n", prefix="t").X == "theirs"
    assert os.listdir(root) == []


def test_an_entry_owned_by_another_user_is_never_read(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path))
    source = "X = 'mine'\n"
    path = cache.source_path(source, prefix="t")
    os.makedirs(os.path.dirname(path), mode=0o700)
    with open(path, "w") as f:
        f.write(source)
    if IS_ROOT:
        os.chown(path, OTHER_UID, OTHER_UID)
    else:
        os.chmod(path, 0o666)
    with pytest.warns(RuntimeWarning, match="refusing the code cache entry"):
        assert cache.load_source(source, prefix="t").X == "mine"
    assert os.path.exists(path)         # refused, not deleted


def test_a_planted_pyc_beside_a_checked_source_is_never_executed(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path))
    source = "X = 'genuine'\n"
    path = cache.write_source(source, prefix="t")
    st = os.stat(path)
    planted = compile("X = 'planted'\n", path, "exec")
    pyc = importlib.util.cache_from_source(path)
    os.makedirs(os.path.dirname(pyc), exist_ok=True)
    with open(pyc, "wb") as f:     # a valid timestamp pyc matching the source's mtime and size
        f.write(importlib._bootstrap_external._code_to_timestamp_pyc(planted, st.st_mtime, st.st_size))
    assert cache.load_source(source, prefix="t").X == "genuine"


class _Payload:
    """A pickle that creates a file when loaded."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("suffix", [".nbi", ".nbc"])
def test_a_tampered_numba_file_is_never_unpickled(tmp_path, suffix):
    root = tmp_path / "cache"
    assert run_program(root)[0]["ok"]
    marker = tmp_path / "unpickled"
    targets = [p for p in files_under(root) if p.endswith(suffix)]
    assert targets
    for p in targets:
        with open(p, "wb") as f:
            f.write(pickle.dumps(_Payload(str(marker))))
    again, _ = run_program(root)
    assert again["ok"] and again["compiles"] >= 1
    assert not marker.exists()
    assert run_program(root)[0]["compiles"] == 0      # rebuilt and signed again


def test_a_signed_file_with_a_wrong_signature_is_discarded(tmp_path):
    root = tmp_path / "cache"
    assert run_program(root)[0]["ok"]
    for p in files_under(root):
        if p.endswith(".nbc"):
            with open(p, "r+b") as f:
                f.seek(-1, os.SEEK_END)
                last = f.read(1)
                f.seek(-1, os.SEEK_END)
                f.write(bytes([last[0] ^ 1]))
    again, _ = run_program(root)
    assert again["ok"] and again["corrupt"] >= 1 and again["compiles"] >= 1


# ------------------------------------------------------------------------------------------------
# a cache that cannot be used: warn once, compile in memory

def test_a_cache_path_that_is_a_file(tmp_path):
    path = tmp_path / "not_a_dir"
    path.write_text("user data\n")
    for root in (path, path / "below"):
        out, err = run_program(root)
        assert out["ok"] and "compiling in memory" in err
        assert err.count("compiling in memory") == 1        # warned once
    assert path.read_text() == "user data\n"


def test_a_file_size_limit(tmp_path):
    out, err = run_program(tmp_path / "cache", fsize=600)
    assert out["ok"] and "compiling in memory" in err


@pytest.mark.skipif(not IS_ROOT or not shutil.which("mount"), reason="mounts a small tmpfs (root)")
def test_a_full_disk(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        with open(mnt / "filler", "wb") as f:
            with contextlib.suppress(OSError):
                f.write(b"\0" * (60 << 10))
        out, err = run_program(mnt / "cache")
        assert out["ok"] and "compiling in memory" in err
    finally:
        subprocess.run(["umount", str(mnt)])


@pytest.fixture
def read_only_tree(tmp_path):
    """A read-only file system (a read-only bind mount) holding a copy of graphc, an empty
    directory and a home directory without ``.cache``: a read-only install."""
    src, ro = tmp_path / "src", tmp_path / "ro"
    shutil.copytree(os.path.join(REPO, "graphc"), src / "graphc", ignore=shutil.ignore_patterns("__pycache__"))
    (src / "home").mkdir()
    (src / "empty").mkdir(mode=0o700)
    ro.mkdir()
    if not IS_ROOT or subprocess.run(["mount", "--bind", str(src), str(ro)]).returncode:
        pytest.skip("needs root to make a read-only bind mount")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)]).returncode:
            pytest.skip("cannot remount read-only here")
        yield ro
    finally:
        subprocess.run(["umount", str(ro)])


def test_read_only_install_without_a_writable_home(read_only_tree, monkeypatch):
    # numba's cache=True had nowhere to go (package dir and HOME read-only): import failed
    monkeypatch.setattr(sys.modules[__name__], "REPO", str(read_only_tree))
    out, err = run_program(None, home=str(read_only_tree / "home"))
    assert out["ok"] and "compiling in memory" in err and "no locator" not in err


def test_a_read_only_cache(read_only_tree):
    for root in (read_only_tree / "empty", read_only_tree / "home" / "cache"):
        out, err = run_program(root)
        assert out["ok"] and "cannot" in err and "compiling in memory" in err


def test_another_users_cache_in_a_new_process(tmp_path):
    root = tmp_path / "theirs"
    root.mkdir(mode=0o755)
    if not IS_ROOT:
        pytest.skip("needs root to give a directory to another user")
    os.chown(root, OTHER_UID, OTHER_UID)
    out, err = run_program(root)
    assert out["ok"] and "refusing the code cache directory" in err and os.listdir(root) == []


def test_an_unreadable_entry_is_not_called_corrupt_nor_deleted(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path))
    source = "X = 'readable'\n"
    path = cache.source_path(source, prefix="t")
    os.makedirs(os.path.join(path, "inside"), mode=0o700)  # reading it fails (EISDIR), as would EACCES
    with pytest.warns(RuntimeWarning) as caught:
        assert cache.load_source(source, prefix="t").X == "readable"
    assert not [w for w in caught if "corrupt" in str(w.message)]
    assert os.path.isdir(os.path.join(path, "inside"))


# ------------------------------------------------------------------------------------------------
# clear

def test_clear_removes_only_graphcs_entries_and_says_what(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path))
    path = cache.write_source("Z = 3\n", prefix="t")
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.npy").write_bytes(b"1")
    shard = os.path.dirname(path)
    with open(os.path.join(shard, "mine.txt"), "w") as f:
        f.write("also mine")
    assert cli_main(["cache", "clear"]) == 0
    printed = capsys.readouterr().out
    assert "removed 1 generated modules" in printed and "kept 3" in printed and str(tmp_path) in printed
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "data" / "x.npy").exists()
    assert os.path.exists(os.path.join(shard, "mine.txt")) and not os.path.exists(path)


CLEAR_RACE = """
import numba, sys
from graphc.toolchain import cache
for i in range(int(sys.argv[1])):
    src = f"import numba\\n@numba.njit\\ndef f(a):\\n    return a + {i}\\nX = {i}\\n"
    m = cache.load_source(src, prefix="race")
    assert m.X == i and m.f(1) == 1 + i
print("done")
"""


def test_clearing_while_another_process_compiles(tmp_path):
    env = dict(os.environ, GRAPHC_CACHE_DIR=str(tmp_path), PYTHONPATH=REPO)
    child = subprocess.Popen([sys.executable, "-c", CLEAR_RACE, "60"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRAPHC_CACHE_DIR", str(tmp_path))
        while child.poll() is None:
            cache.clear()
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0 and "done" in out, err[-3000:]
