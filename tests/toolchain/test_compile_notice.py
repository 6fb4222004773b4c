"""The one stderr line that says graphc is compiling when a compile keeps the user waiting."""
import logging
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import graphc as tf
from graphc.runtime import session
from graphc.toolchain import compile_notice

from builders import linear_sgd


@pytest.fixture(autouse=True)
def fresh_notice_state(monkeypatch):
    monkeypatch.setattr(compile_notice, "_ANNOUNCED", [])
    monkeypatch.delenv("GRAPHC_QUIET", raising=False)


@pytest.fixture
def slow_compile(monkeypatch):
    """Builds of runs that fetch loss:0 take 0.3 s longer; ``arm()`` sets the notice threshold to 0.1 s."""
    real = session._compile

    def slow(*args, **kwargs):
        exe = real(*args, **kwargs)
        if "loss:0" in compile_notice.current().fetches:
            time.sleep(0.3)
        return exe

    monkeypatch.setattr(session, "_compile", slow)
    monkeypatch.setattr(compile_notice, "THRESHOLD_S", 60.0)   # the initializer's compile says nothing
    return lambda: monkeypatch.setattr(compile_notice, "THRESHOLD_S", 0.1)


def notices(caplog, level=logging.INFO):
    return [r.getMessage() for r in caplog.records if r.name == "graphc.compile" and r.levelno == level]


def test_a_slow_compile_says_what_it_compiles_once(slow_compile, caplog, tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path))
    caplog.set_level(logging.DEBUG, logger="graphc.compile")
    x, loss, train = linear_sgd()
    with tf.Session(backend="interpret") as sess:
        sess.run(tf.global_variables_initializer())
        slow_compile()
        sess.run([loss, train], {x: np.ones((2, 3), np.float32)})
        sess.run(loss, {x: np.ones((4, 3), np.float32)})        # a new feed shape: compiles again
    (first,) = notices(caplog)
    assert len(notices(caplog, logging.DEBUG)) == 1               # the second slow compile: DEBUG only
    with tf.Session(backend="interpret") as sess:
        kernels = sess.compile([loss, train], {x: np.ones((2, 3), np.float32)}).kernels
    assert f"compiling {len(kernels)} kernels for sess.run([loss:0, train]) with interpret" in first
    assert str(tmp_path) in first and "GRAPHC_QUIET=1" in first


def test_a_fast_compile_says_nothing(caplog, monkeypatch):
    monkeypatch.setattr(compile_notice, "THRESHOLD_S", 5.0)     # far above a tiny graph's build and run
    caplog.set_level(logging.DEBUG, logger="graphc.compile")
    x, loss, _ = linear_sgd()
    with tf.Session(backend="interpret") as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(loss, {x: np.ones((2, 3), np.float32)})
    assert notices(caplog) == [] and notices(caplog, logging.DEBUG) == []


def test_graphc_quiet_silences_it(slow_compile, caplog, monkeypatch):
    monkeypatch.setenv("GRAPHC_QUIET", "1")
    caplog.set_level(logging.DEBUG, logger="graphc.compile")
    x, loss, _ = linear_sgd()
    with tf.Session(backend="interpret") as sess:
        sess.run(tf.global_variables_initializer())
        slow_compile()
        sess.run(loss, {x: np.ones((2, 3), np.float32)})
    assert notices(caplog) == []


def test_the_first_run_counts_towards_the_threshold(monkeypatch, caplog):
    monkeypatch.setattr(compile_notice, "THRESHOLD_S", 0.1)
    caplog.set_level(logging.INFO, logger="graphc.compile")

    class Executable:
        def run(self, feeds, state):
            time.sleep(0.3)           # what numba's first call of each kernel does
            return "ran"

    exe = Executable()
    request = compile_notice.CompileRequest("numba", ["loss:0"], [], None, "first run")
    compile_notice.watch_first_run(exe, request)
    assert exe.run(1, 2) == "ran" and request.announced
    assert "run" not in vars(exe)                                  # later runs are unwrapped
    assert notices(caplog) and "its kernels" in notices(caplog)[0]


def test_without_logging_configured_the_line_goes_to_stderr(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "import time\n"
        "import graphc as tf\n"
        "from graphc.runtime import session\n"
        "from graphc.toolchain import compile_notice\n"
        "compile_notice.THRESHOLD_S = 0.05\n"
        "real = session._compile\n"
        "session._compile = lambda *a: (real(*a), time.sleep(0.3))[0]\n"
        "a = tf.placeholder(tf.float32, name='a')\n"
        "with tf.Session(backend='interpret') as sess:\n"
        "    print(sess.run(a * 2, {a: 3.0}))\n"
        "    print(sess.run(a * 3, {a: 3.0}))\n")
    env = dict(os.environ, GRAPHC_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("GRAPHC_QUIET", None)
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["6.0", "9.0"]
    lines = [line for line in res.stderr.splitlines() if line.startswith("graphc: compiling")]
    assert len(lines) == 1 and "sess.run([mul:0])" in lines[0], res.stderr


def test_tf_logging_verbosity_decides_when_set(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "import sys, time\n"
        "import graphc as tf\n"
        "from graphc.runtime import session\n"
        "from graphc.toolchain import compile_notice\n"
        "tf.logging.set_verbosity(getattr(tf.logging, sys.argv[1]))\n"
        "compile_notice.THRESHOLD_S = 0.05\n"
        "real = session._compile\n"
        "session._compile = lambda *a: (real(*a), time.sleep(0.3))[0]\n"
        "a = tf.placeholder(tf.float32, name='a')\n"
        "with tf.Session(backend='interpret') as sess:\n"
        "    print(sess.run(a * 2, {a: 3.0}))\n")
    env = dict(os.environ, GRAPHC_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("GRAPHC_QUIET", None)
    for level, shown in (("ERROR", False), ("INFO", True)):
        res = subprocess.run([sys.executable, str(script), level], capture_output=True, text=True, env=env,
                             timeout=120)
        assert res.returncode == 0, res.stderr
        assert ("compiling" in res.stderr) == shown, (level, res.stderr)
