"""Executable and code caches: shape polymorphism, a second process, corrupt entries, threads."""
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import graphc as tf
import graphc.runtime
from graphc.toolchain import cache

from repo_paths import ROOT

REPO = str(ROOT)
PROGRAM = """
import json, numpy as np, graphc as tf, graphc.runtime as r
x = tf.placeholder(tf.float32, [None])
y = tf.tanh(x) * 2.0 + tf.exp(-x * x)
with tf.Session(backend="numba") as s:
    out = s.run(y, {x: np.linspace(-2, 2, 7, dtype=np.float32)})
want = np.tanh(np.linspace(-2, 2, 7)) * 2 + np.exp(-np.linspace(-2, 2, 7) ** 2)
stats = r.stats()
print(json.dumps({"ok": bool(np.allclose(out, want, rtol=1e-5, atol=1e-6)),
                  "compiles": stats["compiles"], "disk_hits": stats["disk_hits"],
                  "corrupt": stats["corrupt_entries"]}))
"""


def run_program(cache_dir):
    env = dict(os.environ, GRAPHC_CACHE_DIR=str(cache_dir), PYTHONPATH=REPO)
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_process_compiles_nothing(tmp_path):
    first = run_program(tmp_path)
    second = run_program(tmp_path)
    assert first["ok"] and second["ok"]
    assert first["compiles"] >= 1
    assert second["compiles"] == 0 and second["disk_hits"] >= 1


def test_concurrent_writers_share_one_cache(tmp_path):
    env = dict(os.environ, GRAPHC_CACHE_DIR=str(tmp_path), PYTHONPATH=REPO)
    procs = [subprocess.Popen([sys.executable, "-c", PROGRAM], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        assert json.loads(out.strip().splitlines()[-1])["ok"]
    assert not [f for _, _, files in os.walk(tmp_path) for f in files if f.startswith(".tmp_")]


def test_corrupt_source_entry_is_discarded_and_rebuilt(tmp_path):
    assert run_program(tmp_path)["ok"]
    sources = [os.path.join(d, f) for d, _, files in os.walk(tmp_path) for f in files if f.endswith(".py")]
    assert sources
    for path in sources:
        with open(path, "r+") as f:
            text = f.read()
            f.seek(0)
            f.write(text[: len(text) // 2])   # truncated
            f.truncate()
    again = run_program(tmp_path)
    assert again["ok"] and again["corrupt"] >= 1


def test_write_source_is_atomic_and_verified(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path))
    path = cache.write_source("x = 1\n", prefix="t")
    assert open(path).read() == "x = 1\n"
    with open(path, "w") as f:
        f.write("x = ")
    with pytest.warns(RuntimeWarning, match="corrupt"):
        assert cache.write_source("x = 1\n", prefix="t") == path
    assert open(path).read() == "x = 1\n"


def test_cache_info_and_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path))
    cache.write_source("y = 2\n", prefix="t")
    assert cache.info()["modules"] == 1
    cleared = cache.clear()
    assert cleared.modules == 1 and cleared.files >= 1 and "removed 1 generated modules" in str(cleared)
    assert cache.info()["modules"] == 0


def test_new_batch_size_compiles_nothing():
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.reduce_sum(tf.sigmoid(x) * x, axis=1)
    sess = tf.Session(backend="numba")
    sess.run(y, {x: np.ones((2, 3))})
    before = graphc.runtime.stats()
    for n in (3, 5, 17):   # (a batch of 1 is a new broadcast pattern: it may specialize)
        out = sess.run(y, {x: np.ones((n, 3))})
        assert out.shape == (n,)
    after = graphc.runtime.stats()
    assert after["compiles"] == before["compiles"]
    # one plan for the shape pattern (None, 3), made on the second size, serves every later size
    assert after["executables_built"] == before["executables_built"] + 1


def test_session_run_from_many_threads():
    v = tf.Variable(0.0)
    bump = tf.assign_add(v, 1.0)
    sess = tf.Session(backend="numba")
    sess.run(v.initializer)
    errors = []

    def work():
        try:
            for _ in range(50):
                sess.run(bump)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sess.run(v) == 200.0


@pytest.mark.parametrize("suffix", [".nbi", ".nbc"])
def test_corrupt_compiled_code_is_discarded_and_rebuilt(tmp_path, suffix):
    assert run_program(tmp_path)["ok"]
    damaged = [os.path.join(d, f) for d, _, files in os.walk(tmp_path) for f in files if f.endswith(suffix)]
    assert damaged
    for path in damaged:
        with open(path, "r+b") as f:
            f.truncate(max(1, os.path.getsize(path) // 3))
    again = run_program(tmp_path)
    assert again["ok"] and again["corrupt"] >= 1 and again["compiles"] >= 1
    assert run_program(tmp_path)["compiles"] == 0     # the rebuilt entry is good
