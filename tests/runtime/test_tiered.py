"""Tiered execution (graphc/codegen/tiered.py): a new executable runs eagerly while Numba compiles
it in the background, then the session switches to the compiled code."""
import logging
import os
import threading

import numpy as np
import pytest

import graphc as tf
from builders import two_layer_mlp_sgd
from graphc import errors
from graphc.codegen import driver, numba_cpu, tiered
from graphc.runtime import stats

WAIT_S = 120      # the background compile of a small step takes seconds; a loaded machine, more


def _mlp():
    rs = np.random.RandomState(0)
    x, labels, loss, step = two_layer_mlp_sgd(rs)
    feed = {x: rs.randn(5, 6).astype(np.float32), labels: rs.randn(5, 3).astype(np.float32)}
    return loss, step, feed


def _session(mode="tiered"):
    sess = tf.Session(backend="numba", compile_mode=mode)
    sess.run(tf.global_variables_initializer())
    return sess


def _variables(sess):
    """Copies of the variables' values (read from the state: a run would make executables of its own)."""
    return [np.array(sess._state.values[v.op]) for v in tf.global_variables()]


def test_first_runs_are_eager_then_the_session_switches_to_the_compiled_code(caplog):
    loss, step, feed = _mlp()
    sess = _session()
    before = stats()["tier_switches"]
    with caplog.at_level(logging.INFO, logger="graphc.codegen.tiered"):
        sess.run([loss, step], feed)
        exe = sess.compile([loss, step], feed)
        assert isinstance(exe, tiered.TieredExecutable)
        assert exe.tier == "eager" or exe.wait(0)        # a compile finished already: only then numba
        assert exe.wait(WAIT_S)
        assert exe.tier == "numba"
        sess.run([loss, step], feed)
    assert stats()["tier_switches"] == before + 1
    assert exe.eager_runs >= 1
    assert any("switched" in r.getMessage() and "eager to numba" in r.getMessage() for r in caplog.records)
    assert isinstance(exe._compiled, numba_cpu.NumbaExecutable)
    assert exe.kernels == exe._compiled.kernels                 # introspection reads the compiled one


def test_numbers_before_and_after_the_switch_match_a_synchronous_session():
    loss, step, feed = _mlp()
    sync, tiered_sess = _session("sync"), _session("tiered")
    want = [sync.run([loss, step], feed)[0] for _ in range(4)]
    got = [tiered_sess.run([loss, step], feed)[0] for _ in range(2)]          # eager
    exe = tiered_sess.compile([loss, step], feed)
    assert exe.wait(WAIT_S) and exe.tier == "numba"
    got += [tiered_sess.run([loss, step], feed)[0] for _ in range(2)]         # compiled
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for a, b in zip(_variables(tiered_sess), _variables(sync)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_the_trial_run_compiles_every_kernel_so_compiled_runs_compile_nothing_and_variables_stay():
    loss, step, feed = _mlp()
    sess = _session()
    sess.run([loss, step], feed)
    exe = sess.compile([loss, step], feed)
    values = _variables(sess)
    arrays = dict(sess._state.values)
    assert exe.wait(WAIT_S)
    # the trial run neither wrote the variables' arrays nor advanced anything the session owns
    for a, b in zip(_variables(sess), values):
        np.testing.assert_array_equal(a, b)
    for var, arr in arrays.items():
        assert sess._state.values[var] is arr
    counts = stats()
    sess.run([loss, step], feed)
    sess.run([loss, step], feed)
    after = stats()
    assert (after["compiles"], after["disk_hits"]) == (counts["compiles"], counts["disk_hits"])


def test_a_run_during_the_build_starts_no_second_compile(monkeypatch):
    loss, step, feed = _mlp()
    gate, calls = threading.Event(), []
    real = numba_cpu.compile

    def slow(job):
        calls.append(job)
        assert gate.wait(WAIT_S)
        return real(job)
    monkeypatch.setattr(numba_cpu, "compile", slow)
    sess = _session()
    for _ in range(3):
        sess.run([loss, step], feed)
    exe = sess.compile([loss, step], feed)
    assert exe.tier == "eager" and exe.eager_runs == 3
    gate.set()
    assert exe.wait(WAIT_S)
    sess.run([loss, step], feed)
    assert exe.tier == "numba"
    assert len([j for j in calls if j.plan is exe.plan]) == 1


def test_a_background_compile_error_surfaces_on_the_next_run_with_the_synchronous_class(monkeypatch):
    loss, step, feed = _mlp()
    sync, sess = _session("sync"), _session()

    def broken(job):
        raise errors.UnimplementedError(None, None, "no kernel for this (test)")
    monkeypatch.setattr(numba_cpu, "compile", broken)
    with pytest.raises(errors.UnimplementedError):
        sync.run([loss, step], feed)
    first = sess.run([loss, step], feed)[0]          # eager: the compile fails in the background
    exe = sess.compile([loss, step], feed)
    assert exe.wait(WAIT_S)
    before = _variables(sess)
    with pytest.raises(errors.UnimplementedError, match="no kernel for this"):
        sess.run([loss, step], feed)
    with pytest.raises(errors.UnimplementedError):   # then as a synchronous session: each run retries
        sess.run([loss, step], feed)
    for a, b in zip(_variables(sess), before):       # the failed runs changed nothing
        np.testing.assert_array_equal(a, b)
    monkeypatch.setattr(numba_cpu, "compile", lambda job: numba_cpu.NumbaExecutable(job))
    assert sess.run([loss, step], feed)[0] < first    # compiled now, synchronously
    assert exe.tier == "numba"


@pytest.mark.usefixtures("small_variables_in_place")
def test_in_place_updates_start_with_the_switch_and_never_write_a_fetched_array():
    x = tf.placeholder(tf.float32, [4], name="x")
    v = tf.Variable(np.zeros(4, np.float32))
    assigned = tf.assign(v, x * 2.0)
    bump = tf.assign_add(v, tf.ones([4]))
    sess = _session()
    sess.run(bump)                                   # eager
    exe_bump = sess.compile(bump)
    assert exe_bump.wait(WAIT_S) and exe_bump.inplace_variables
    before = sess._state.values[v.op]
    sess.run(bump)                                   # compiled: writes v's array in place
    assert sess._state.values[v.op] is before
    fetched = sess.run(assigned, {x: np.arange(4, dtype=np.float32)})   # eager: fetched and assigned
    held = fetched.copy()
    sess.run(bump)                                   # in place again: not into the fetched array
    np.testing.assert_array_equal(fetched, held)
    np.testing.assert_array_equal(sess.run(v), held + 1)


def test_sync_mode_compiles_before_the_first_run(monkeypatch):
    loss, step, feed = _mlp()
    for sess in (_session("sync"), None):
        if sess is None:
            monkeypatch.setenv("GRAPHC_COMPILE", "sync")
            sess = _session(None)
        sess.run([loss, step], feed)
        assert isinstance(sess.compile([loss, step], feed), numba_cpu.NumbaExecutable)
    monkeypatch.setenv("GRAPHC_COMPILE", "tiered")
    assert isinstance(_session(None).compile([loss, step], feed), tiered.TieredExecutable)


def test_only_backends_that_tier_tier_and_bad_modes_are_refused(monkeypatch):
    assert driver.BACKENDS["numba"].tiers and not driver.BACKENDS["eager"].tiers
    loss, step, feed = _mlp()
    sess = tf.Session(backend="interpret", compile_mode="tiered")
    sess.run(tf.global_variables_initializer())
    assert not isinstance(sess.compile([loss, step], feed), tiered.TieredExecutable)
    with pytest.raises(ValueError, match="compile_mode"):
        tf.Session(backend="numba", compile_mode="lazy")
    monkeypatch.setenv("GRAPHC_COMPILE", "later")
    with pytest.raises(ValueError, match="GRAPHC_COMPILE"):
        _session(None)


@pytest.mark.usefixtures("small_variables_in_place")
def test_a_trial_run_never_writes_the_variables_it_reads():
    # the trial may start before the session commits the eager run's updates, so it must not write
    # into the arrays the session still holds, even where compiled runs update them in place
    loss, step, feed = _mlp()
    sess = _session("sync")
    sess.run([loss, step], feed)
    exe = sess.compile([loss, step], feed)
    assert exe.inplace_variables                    # the compiled step writes its variables in place
    values = dict(sess._state.values)
    copies = {var: arr.copy() for var, arr in values.items()}
    feeds = [feed[t] for t in exe.plan.feeds]
    exe.run(feeds, tiered.TrialState(values, {}, {}))
    for var, arr in values.items():
        np.testing.assert_array_equal(arr, copies[var])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_compiles_for_itself(monkeypatch):
    # the parent's background compile is in flight (held at a gate) when the child forks; the child
    # has no compile thread, so its next eager run queues the compile again in a thread of its own
    loss, step, feed = _mlp()
    gate = threading.Event()
    real = numba_cpu.compile

    def gated(job):
        assert gate.wait(WAIT_S)
        return real(job)
    monkeypatch.setattr(numba_cpu, "compile", gated)
    sess = _session()
    sess.run([loss, step], feed)
    exe = sess.compile([loss, step], feed)
    pid = os.fork()
    if pid == 0:                                     # the child: report through the exit code
        code = 1
        try:
            gate.set()
            sess.run([loss, step], feed)
            code = 0 if exe.wait(WAIT_S) and exe.tier == "numba" else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    gate.set()
    assert os.WEXITSTATUS(status) == 0
    assert exe.wait(WAIT_S) and exe.tier == "numba"


def test_a_plan_with_a_loop_compiles_synchronously():
    # eager runs a loop body op by op per iteration: slower than waiting for the compile
    x = tf.placeholder(tf.float32, [])
    y = tf.while_loop(lambda i, v: i < 100, lambda i, v: (i + 1, v * 0.5 + 1.0), [0, x])[1]
    sess = tf.Session(backend="numba", compile_mode="tiered")
    assert not isinstance(sess.compile(y, {x: 1.0}), tiered.TieredExecutable)
    assert sess.run(y, {x: 1.0}) == pytest.approx(2.0)


def test_a_loop_over_tensors_tiers_and_trains_as_the_synchronous_session():
    """A dynamic_rnn's loop runs numpy's work on its tensors per eager iteration: its first runs are
    eager while the loop compiles in the background (not a wait of seconds), then the compiled
    loop takes over; every step's loss and the trained variables are the synchronous session's."""
    rs = np.random.RandomState(5)
    x = tf.placeholder(tf.float32, [None, 4, 3])
    with tf.variable_scope("tiered_rnn", initializer=tf.random_uniform_initializer(-0.3, 0.3, seed=2)):
        _, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(5), x, dtype=tf.float32)
    loss = tf.reduce_mean(tf.square(state.h))
    step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    loop = next(op for op in tf.get_default_graph().get_operations() if op.type == "While")
    assert not tiered.small_loop(loop)
    feed = {x: rs.randn(2, 4, 3).astype(np.float32)}
    losses = {}
    for mode in ("tiered", "sync"):
        sess = _session(mode)
        exe = sess.compile([loss, step], feed)
        assert isinstance(exe, tiered.TieredExecutable) == (mode == "tiered")
        got = [sess.run([loss, step], feed)[0]]
        if mode == "tiered":
            assert exe.eager_runs == 1          # the first run did not wait for the compile
            assert exe.wait(WAIT_S) and exe.tier == "numba"
        got += [sess.run([loss, step], feed)[0] for _ in range(2)]
        losses[mode] = (got, _variables(sess))
    np.testing.assert_allclose(losses["tiered"][0], losses["sync"][0], rtol=1e-5)
    for a, b in zip(losses["tiered"][1], losses["sync"][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_an_iterator_graph_tiers_and_compiling_it_does_not_run_it():
    ds = tf.data.Dataset.from_tensor_slices(np.arange(6, dtype=np.float32)).batch(2)
    y = ds.make_one_shot_iterator().get_next() * 2.0
    sess = tf.Session(backend="numba", compile_mode="tiered")
    sess.compile(y)                          # the iterator's op unanswered: inspected, never run
    got = [sess.run(y) for _ in range(3)]
    np.testing.assert_array_equal(np.concatenate(got), np.arange(6) * 2.0)


def test_a_slow_eager_first_run_announces_no_compile(monkeypatch, caplog):
    import time

    from graphc.codegen import eager
    from graphc.toolchain import compile_notice

    loss, step, feed = _mlp()
    sess = _session()
    monkeypatch.setattr(compile_notice, "THRESHOLD_S", 0.3)
    monkeypatch.delenv("GRAPHC_QUIET", raising=False)
    real = eager.EagerExecutable.run
    monkeypatch.setattr(eager.EagerExecutable, "run", lambda self, *a: (time.sleep(1.0), real(self, *a))[1])
    with caplog.at_level(logging.DEBUG, logger="graphc.compile"):
        sess.run([loss, step], feed)
        assert sess.compile([loss, step], feed).wait(WAIT_S)
    assert not [r for r in caplog.records if r.name == "graphc.compile" and "compiling" in r.getMessage()]


def test_host_state_of_ops_is_the_sessions_alone_and_draws_match_a_synchronous_session():
    # a learned sampler's counts live in the session (OpDef.session_state): the trial run
    # works on a copy, so tiered and synchronous sessions draw the same ids run after run
    true = tf.placeholder(tf.int64, [None, 1])
    sampled = tf.nn.learned_unigram_candidate_sampler(true, 1, 4, True, 10, seed=3)[0]
    ids = {true: np.array([[1], [2], [2]], np.int64)}
    sync, sess = tf.Session(backend="numba", compile_mode="sync"), tf.Session(backend="numba", compile_mode="tiered")
    want = [sync.run(sampled, ids) for _ in range(4)]
    got = [sess.run(sampled, ids)]
    assert sess.compile(sampled, ids).wait(WAIT_S)
    got += [sess.run(sampled, ids) for _ in range(3)]
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
