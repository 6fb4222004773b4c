"""The compile process (graphc/toolchain/compile_process.py): a tiered session's background compile
runs numba in a second Python process that fills the disk cache this process loads from."""
import numba
import numpy as np
import pytest

import graphc as tf
from graphc.codegen import numba_steps
from graphc.toolchain import compile_process, numba_cache

WAIT_S = 180


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty code cache: every kernel of the test compiles."""
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _step():
    x = tf.placeholder(tf.float32, [None, 7], name="x")
    w = tf.Variable(np.linspace(-1.0, 1.0, 21, dtype=np.float32).reshape(7, 3), name="w")
    loss = tf.reduce_mean(tf.tanh(tf.matmul(x, w)) * 0.73125)    # a constant no other test uses
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    feed = {x: np.random.RandomState(1).randn(4, 7).astype(np.float32)}
    return loss, train, feed


def _run(mode, steps=3):
    tf.reset_default_graph()
    loss, train, feed = _step()
    sess = tf.Session(backend="numba", compile_mode=mode)
    sess.run(tf.global_variables_initializer())
    losses = [sess.run([loss, train], feed)[0]]
    exe = sess.compile([loss, train], feed)
    if mode == "tiered":
        assert exe.wait(WAIT_S) and exe.tier == "numba"
    losses += [sess.run([loss, train], feed)[0] for _ in range(steps - 1)]
    return losses, sess.run(tf.global_variables()[0])


def test_a_tiered_compile_runs_numba_in_the_compile_process_and_this_one_loads_its_code(fresh_cache):
    before = dict(compile_process.STATS)
    compiles, loads = numba_steps.STATS["compiles"], numba_steps.STATS["cache_loads"]
    assert compile_process.wait_ready(WAIT_S)      # until then compiles stay here
    got, w = _run("tiered")
    assert compile_process.running()
    assert compile_process.STATS["compiled_elsewhere"] > before["compiled_elsewhere"]
    assert compile_process.STATS["refused"] == before["refused"]
    assert numba_steps.STATS["compiles"] == compiles            # nothing compiled here ...
    assert numba_steps.STATS["cache_loads"] > loads             # ... every kernel loaded from the cache
    assert list((fresh_cache).rglob("*.nbi"))
    want, w_sync = _run("sync")
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w, w_sync, rtol=1e-5, atol=1e-6)


def _routed(origin, cache_root, stamp="stamp"):
    """An njit function with a signed disk cache (only those are routed), routed to ``origin``;
    ``stamp``: its cache's source stamp (another stamp, another entry)."""
    @numba.njit(error_model="numpy")
    def add_three(a):
        return a + 3.0
    numba_cache.attach_dispatcher(add_three, str(cache_root), str(cache_root / "t"), stamp, origin)
    return add_three


def test_a_request_the_process_cannot_serve_compiles_here(fresh_cache):
    fn = _routed(("module", "graphc_no_such_module", "/nonexistent", "/nonexistent", "stamp"), fresh_cache)
    refused = compile_process.STATS["refused"]
    assert compile_process.wait_ready(WAIT_S)
    with compile_process.routing():
        assert fn(np.ones(2))[0] == 4.0
    if compile_process.enabled():
        assert compile_process.STATS["refused"] == refused + 1
    assert len(fn.overloads) == 1


def test_outside_a_routing_thread_and_when_switched_off_nothing_is_sent(monkeypatch, fresh_cache):
    sent = []
    monkeypatch.setattr(compile_process, "_compile_elsewhere", lambda *a: sent.append(a))
    origin = ("module", "graphc_no_such_module", "/x", "/x", "s")
    assert _routed(origin, fresh_cache)(np.ones(1))[0] == 4.0                 # no routing(): compiled here
    monkeypatch.setenv("GRAPHC_COMPILE_PROCESS", "0")
    with compile_process.routing():
        assert _routed(origin, fresh_cache)(np.ones(1))[0] == 4.0
    assert sent == []
    monkeypatch.setenv("GRAPHC_COMPILE_PROCESS", "1")
    with compile_process.routing():
        assert _routed(origin, fresh_cache, "new")(np.ones(1))[0] == 4.0
    assert [(o, name.rsplit(".", 1)[-1]) for o, name, _sig in sent] == [(origin, "add_three")]
    with compile_process.routing():     # its code is in the cache now: loaded here, nothing sent
        assert _routed(origin, fresh_cache, "new")(np.ones(1))[0] == 4.0
    assert len(sent) == 1


def test_a_compile_process_that_died_is_not_asked_again_and_compiles_fall_back_here(monkeypatch, fresh_cache):
    monkeypatch.setattr(compile_process, "_process", [])      # this test's own process
    monkeypatch.setenv("GRAPHC_COMPILE_PROCESS", "1")
    compile_process.start()
    proc = compile_process._process[0]
    proc.kill()
    proc.wait()
    fn = _routed(("module", "graphc_no_such_module", "/x", "/x", "s"), fresh_cache)
    with compile_process.routing():
        assert fn(np.ones(1))[0] == 4.0
    assert not compile_process.running()
    with compile_process.routing():       # not started again: compiles stay here
        assert _routed(("module", "graphc_no_such_module", "/x", "/x", "s"), fresh_cache)(np.ones(1))[0] == 4.0
    assert len(compile_process._process) == 1 and compile_process._process[0] is proc


def test_until_the_process_is_ready_compiles_stay_here(monkeypatch, fresh_cache):
    monkeypatch.setattr(compile_process, "_process", [])      # this test's own process, just started
    monkeypatch.setattr(compile_process, "_is_ready", lambda proc, timeout=0.0: False)
    sent = compile_process.STATS["compiled_elsewhere"]
    with compile_process.routing():
        compile_process.start()
        assert _routed(("module", "graphc_no_such_module", "/x", "/x", "s"), fresh_cache)(np.ones(1))[0] == 4.0
    assert compile_process.STATS["compiled_elsewhere"] == sent
    compile_process._stop(compile_process._process[0])
