"""Region bodies compiled by the backend that runs them: numba's whole-loop functions, compiled
sub-executables on numba/interpret/Triton, and Triton loops whose state stays on the device."""
import numpy as np
import pytest

import graphc as tf
from graphc.codegen import numba_loop, regions
from graphc.codegen import triton_memory as tm
from graphc.passes.fusion import KernelKind
from graphc.runtime.session import available_backends

COMPILED = [b for b in ("interpret", "numba", "triton") if b in available_backends()]


def executable(sess):
    (exe,) = sess._cache.values()
    return exe


def sub_executables(body) -> list:
    """The compiled executables made for ``body`` so far, by any factory and feed shapes."""
    return [exe for per_factory in regions._executables.get(body, {}).values() for sub in per_factory.values()
            for exe in getattr(sub, "compiled", {}).values()]


def scalar_loop(n=1000):
    x = tf.placeholder(tf.float64, [])
    loop = tf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, x * 0.999 + 0.001), (tf.constant(0), x))
    return x, loop


def test_a_pointwise_scalar_loop_is_one_numba_function():
    x, (count, y) = scalar_loop(1000)
    with tf.Session(backend="numba") as sess:
        got = sess.run([count, y], {x: 2.0})
        exe = executable(sess)
    assert got[0] == 1000
    np.testing.assert_allclose(got[1], 1.0 + 0.999 ** 1000, rtol=1e-12)   # x_n = 1 + (x_0 - 1) * 0.999^n
    assert exe.whole_loops == {y.op.name: numba_loop.COMPILED_WHOLE}
    ((_, whole),) = exe.loops.made.items()
    assert "while True:" in whole.source and whole.source.count("k1(") == 2   # cond's and body's kernel


def test_a_whole_loop_swaps_vectors_and_matches_eager():
    a = tf.placeholder(tf.float32, [3])
    b = tf.placeholder(tf.float32, [3])
    _, fa, fb = tf.while_loop(lambda i, u, v: i < 7, lambda i, u, v: (i + 1, v, u + v * 0.5), (0, a, b))
    feeds = {a: np.array([1.0, 2.0, 3.0], np.float32), b: np.array([0.5, -1.0, 2.0], np.float32)}
    with tf.Session(backend="eager") as sess:
        want = sess.run([fa, fb], feeds)
    with tf.Session(backend="numba") as sess:
        got = sess.run([fa, fb], feeds)
        assert executable(sess).whole_loops[fa.op.name] == numba_loop.COMPILED_WHOLE
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("body, why", [
    (lambda i, x: (i + 1, x + tf.random_uniform([], seed=3)), "random"),
    (lambda i, x: (i + 1, tf.cond(i < 2, lambda: x * 2.0, lambda: x)), "runs from the Python driver"),
], ids=["random", "cond"])
def test_loops_that_cannot_be_one_function_say_why_and_still_match_eager(body, why):
    x = tf.placeholder(tf.float32, [2, 2])
    _, y = tf.while_loop(lambda i, x: i < 4, body, (0, x))
    feed = {x: np.array([[0.5, 0.1], [0.2, 0.3]], np.float32)}
    with tf.Session(backend="eager") as sess:
        want = sess.run(y, feed)
    with tf.Session(backend="numba") as sess:
        got = sess.run(y, feed)
        verdict = executable(sess).whole_loops[y.op.name]
    assert verdict.startswith("not compiled whole") and why in verdict
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_a_matmul_loop_is_one_function_calling_blas_and_matches_eager():
    x = tf.placeholder(tf.float32, [2, 2])
    w = tf.constant([[0.5, -0.25], [0.125, 1.0]], tf.float32)
    _, y = tf.while_loop(lambda i, x: i < 4, lambda i, x: (i + 1, tf.matmul(x, x) * 0.5 + tf.matmul(x, w)), (0, x))
    feed = {x: np.array([[0.5, 0.1], [0.2, 0.3]], np.float32)}
    with tf.Session(backend="eager") as sess:
        want = sess.run(y, feed)
    with tf.Session(backend="numba") as sess:
        got = sess.run(y, feed)
        assert executable(sess).whole_loops[y.op.name] == numba_loop.COMPILED_WHOLE
        ((_, whole),) = executable(sess).loops.made.items()
    assert "call_gemm(bgemm_f, " in whole.source
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_a_recorded_loop_runs_whole_and_its_gradient_matches_eager():
    x = tf.placeholder(tf.float64, [])
    _, y = tf.while_loop(lambda i, x: i < 5, lambda i, x: (i + 1, x * x * 0.5 + 0.1), (0, x))
    (g,) = tf.gradients(y, [x])
    with tf.Session(backend="eager") as sess:
        want = sess.run([y, g], {x: 0.7})
    with tf.Session(backend="numba") as sess:
        np.testing.assert_allclose(sess.run([y, g], {x: 0.7}), want, rtol=1e-12)
        assert executable(sess).whole_loops[y.op.name] == numba_loop.COMPILED_WHOLE


def _lstm_step():
    tf.set_random_seed(1)
    x = tf.placeholder(tf.float32, [None, 6, 3])
    lengths = tf.placeholder(tf.int32, [None])
    with tf.variable_scope("lstm", initializer=tf.random_uniform_initializer(-0.3, 0.3, seed=2)):
        outputs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(5), x, sequence_length=lengths,
                                           dtype=tf.float32)
    loss = tf.reduce_sum(state.h * state.h) + tf.reduce_sum(outputs)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    rs = np.random.RandomState(0)
    feed = {x: rs.randn(4, 6, 3).astype(np.float32), lengths: np.array([6, 2, 4, 5], np.int32)}
    return loss, train, feed


def test_an_lstm_training_step_runs_both_its_loops_whole_and_matches_eager():
    """dynamic_rnn's loop (a GEMM, split, TensorArray read and write, rows recorded for the gradient)
    and its gradient loop (row takes, saved rows read as views) are each one njit function; the
    forward gate kernel reads the four [B, H] pieces of the gate product where the GEMM wrote them,
    and the gradient's gate kernel writes the four gate gradients into their concat's blocks: no
    block copies for either (``numba_blocks``)."""
    results = {}
    for backend in ("eager", "numba"):
        with tf.Graph().as_default():
            loss, train, feed = _lstm_step()
            with tf.Session(backend=backend) as sess:
                sess.run(tf.global_variables_initializer())
                results[backend] = [sess.run([loss, train], feed)[0] for _ in range(3)]
                if backend == "numba":
                    verdicts = list(sess._cache.values())[-1].whole_loops
                    sources = {"grad" in loop.node.name: loop.source for loop in executable_loops(sess)}
    assert len(verdicts) == 2 and set(verdicts.values()) == {numba_loop.COMPILED_WHOLE}
    for src in sources.values():     # H = 5: the pieces start 5, 10 and 15 elements into a row
        assert any(all(f"[{5 * k}:]" in line for k in range(1, 4)) for line in src.splitlines()), src
    assert sources[False].count("copy_blocks(") == 2       # [x_t, h] into the recorded row only
    assert sources[True].count("copy_blocks(") == 0
    np.testing.assert_allclose(results["numba"], results["eager"], rtol=1e-5)


def executable_loops(sess) -> list:
    exe = list(sess._cache.values())[-1]
    return [loop for loop in exe.loops.made.values() if loop is not None]


def test_a_tiered_session_compiles_loops_whole_in_the_background_after_a_few_runs(monkeypatch):
    """Not under GRAPHC_COMPILE=sync: the first runs go body by body (no compile waits); after
    WHOLE_AFTER runs in a row on one shape set a background thread compiles each loop (one at a
    time), and later runs use it, with the same numbers as eager."""
    from graphc.runtime import stats
    with tf.Graph().as_default():
        loss, train, feed = _lstm_step()
        with tf.Session(backend="eager") as sess:
            sess.run(tf.global_variables_initializer())
            want = [sess.run([loss, train], feed)[0] for _ in range(numba_loop.WHOLE_AFTER + 3)]
    monkeypatch.setenv("GRAPHC_COMPILE", "tiered")
    before = stats()["whole_loops_compiled"]
    with tf.Graph().as_default():
        loss, train, feed = _lstm_step()
        with tf.Session(backend="numba", compile_mode="sync") as sess:
            sess.run(tf.global_variables_initializer())
            got = []
            for i in range(numba_loop.WHOLE_AFTER + 3):
                got.append(sess.run([loss, train], feed)[0])
                verdicts = list(sess._cache.values())[-1].whole_loops
                if i < numba_loop.WHOLE_AFTER - 1:
                    assert verdicts == {}
                assert numba_loop.wait_for_background(120)
    assert len(verdicts) == 2 and set(verdicts.values()) == {numba_loop.COMPILED_WHOLE}
    assert stats()["whole_loops_compiled"] == before + 2
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_shapes_that_keep_changing_start_no_whole_loop_compile(monkeypatch):
    """Two batch sizes taking turns (serving traffic): no shape set runs WHOLE_AFTER times in a row,
    so nothing is compiled in the background and every run goes body by body."""
    from graphc.runtime import stats
    monkeypatch.setenv("GRAPHC_COMPILE", "tiered")
    before = stats()["whole_loops_compiled"]
    with tf.Graph().as_default():
        loss, train, feed = _lstm_step()
        (x, lengths) = feed
        with tf.Session(backend="numba", compile_mode="sync") as sess:
            sess.run(tf.global_variables_initializer())
            for i in range(2 * numba_loop.WHOLE_AFTER):
                n = 4 if i % 2 else 3
                sess.run([loss, train], {x: feed[x][:n], lengths: feed[lengths][:n]})
            assert numba_loop.wait_for_background(120)
            assert all(getattr(exe, "whole_loops", {}) == {} for exe in sess._cache.values())
    assert stats()["whole_loops_compiled"] == before


def test_a_check_failing_inside_a_whole_loop_raises_the_ops_error():
    """A TensorArray element written twice: the compiled loop hands the run to the body-by-body
    loop, which raises TF1's error."""
    x = tf.placeholder(tf.float32, [3])
    ta = tf.TensorArray(tf.float32, size=4)
    _, ta = tf.while_loop(lambda i, t: i < 2, lambda i, t: (i + 1, t.write(0, x * 2.0)), (0, ta))
    out = ta.stack()
    for backend in ("eager", "numba"):
        with tf.Session(backend=backend) as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="written"):
                sess.run(out, {x: np.ones(3, np.float32)})
            if backend == "numba":
                assert executable(sess).whole_loops == {ta.flow.op.name: numba_loop.COMPILED_WHOLE}


@pytest.mark.parametrize("backend", COMPILED)
def test_bodies_are_compiled_by_the_same_backend(backend):
    x = tf.placeholder(tf.float32, [4])
    _, y = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, tf.tanh(v) * 2.0 + 1.0), (0, x))
    z = tf.cond(tf.reduce_sum(x) > 0, lambda: y * 2.0, lambda: y - 1.0)
    with tf.Session(backend=backend) as sess:
        sess.run(z, {x: np.arange(4, dtype=np.float32)})
        exes = sub_executables(y.op.attrs["body"])
        branches = sub_executables(z.op.attrs["then_branch"])
    assert exes and all(exe.backend == backend for exe in exes)
    assert {k.kind for exe in exes for k in exe.kernels} == {KernelKind.POINTWISE}
    assert branches and all(exe.backend == backend for exe in branches)


@pytest.mark.parametrize("backend", COMPILED)
def test_random_ops_in_a_compiled_body_draw_fresh_numbers_each_iteration_like_eager(backend):
    tf.set_random_seed(5)
    ta = tf.TensorArray(tf.float32, size=4)

    def body(i, acc, ta):
        r = tf.random_uniform([2], seed=9)
        return i + 1, acc + r, ta.write(i, r)
    _, acc, ta = tf.while_loop(lambda i, acc, ta: i < 4, body, (0, tf.zeros([2]), ta))
    draws = ta.stack()
    with tf.Session(backend="eager") as sess:
        want = sess.run([acc, draws])
        want_again = sess.run(draws)
    with tf.Session(backend=backend) as sess:
        got = sess.run([acc, draws])
        got_again = sess.run(draws)
    assert len({tuple(r) for r in got[1]}) == 4            # a fresh draw every iteration
    np.testing.assert_array_equal(got[1], want[1])         # the same seeded streams as eager
    np.testing.assert_array_equal(got_again, want_again)   # and fresh numbers on the next run
    assert not np.array_equal(got_again, got[1])
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)


@pytest.mark.skipif("triton" not in available_backends(), reason="needs Triton (or TRITON_INTERPRET=1)")
def test_a_triton_loop_keeps_its_state_on_the_device(monkeypatch):
    monkeypatch.setenv("GRAPHC_TRITON_ARRAYS", "simulated")
    x = tf.placeholder(tf.float32, [8])
    n = 30
    _, y = tf.while_loop(lambda i, v: i < n, lambda i, v: (i + 1, v * 0.9 + 0.1), (0, x))
    feed = {x: np.linspace(-1, 1, 8).astype(np.float32)}
    with tf.Session(backend="triton") as sess:
        sess.run(y, feed)      # compiles the bodies
        before = dict(tm.TRANSFERS)
        got = sess.run(y, feed)
        moved = {k: tm.TRANSFERS[k] - v for k, v in before.items()}
    np.testing.assert_allclose(got, 1 + (feed[x] - 1) * 0.9 ** n, rtol=1e-5)   # closed form
    # per iteration only the predicate comes back (n + 1 reads); the state goes up and down once
    assert moved["downloads"] <= n + 8 and moved["uploads"] <= 8, moved


def test_a_loop_variable_that_changes_shape_is_not_compiled_whole():
    x = tf.placeholder(tf.float32, [None])
    _, y = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 0.5 + tf.ones([3])), (0, x),
                         shape_invariants=(tf.TensorShape([]), tf.TensorShape([None])))
    feed = {x: np.array([4.0], np.float32)}
    with tf.Session(backend="numba") as sess:
        got = sess.run(y, feed)
        verdict = executable(sess).whole_loops[y.op.name]
    assert "changes shape" in verdict
    np.testing.assert_allclose(got, [2.25, 2.25, 2.25], rtol=1e-6)   # [4] -> [3, 3, 3] -> 2.5 -> 2.25


def test_a_whole_loops_large_result_kept_by_the_caller_is_not_reused_by_the_next_run():
    """A large loop var starts in an array of the loop's recycler; a result the caller still holds
    is never handed to a later run."""
    x = tf.placeholder(tf.float32, [1 << 15])
    _, y = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2.0 + 1.0), (0, x))
    with tf.Session(backend="numba") as sess:
        first = sess.run(y, {x: np.zeros(1 << 15, np.float32)})
        kept = first.copy()
        for k in range(1, 4):
            again = sess.run(y, {x: np.full(1 << 15, k, np.float32)})
            np.testing.assert_array_equal(again, np.full(1 << 15, 8 * k + 7, np.float32))
        np.testing.assert_array_equal(first, kept)
        assert executable(sess).whole_loops[y.op.name] == numba_loop.COMPILED_WHOLE


def _split_concat_loop() -> tuple:
    """(fetch, targets, feed, runs): a loop splitting a [4, 2] var into [4, 1] pieces (nothing of a
    row from the split axis on) and concatenating two kernels' outputs."""
    x0 = tf.placeholder(tf.float32, [4, 2])

    def body(i, x):
        a, b = tf.split(x, 2, axis=1)
        return i + 1, tf.concat([a * 0.5 + b, a - b * 0.25], axis=1)
    _, y = tf.while_loop(lambda i, x: i < 3, body, (tf.constant(0), x0))
    return y, [], {x0: np.arange(8, dtype=np.float32).reshape(4, 2)}, 1


def _one_unit_lstm_step() -> tuple:
    """(fetch, targets, feed, runs): a BasicLSTMCell(1) training step (its gates: four [B, 1] pieces)."""
    tf.set_random_seed(1)
    x = tf.placeholder(tf.float32, [None, 6, 3])
    with tf.variable_scope("one", initializer=tf.random_uniform_initializer(-0.3, 0.3, seed=2)):
        _, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(1), x, dtype=tf.float32)
    loss = tf.reduce_sum(state.h * state.c)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    return loss, [train], {x: np.random.RandomState(0).randn(4, 6, 3).astype(np.float32)}, 2


@pytest.mark.parametrize("build", [_split_concat_loop, _one_unit_lstm_step])
def test_blocks_one_element_wide_are_copied_not_strided_and_match_eager(build):
    """A kernel steps the last loop group it spans by 1 without reading its stride: a block whose
    dims from the split axis on are all 1 has no such group there, so it is copied."""
    results = {}
    for backend in ("eager", "numba"):
        with tf.Graph().as_default():
            fetch, targets, feed, runs = build()
            with tf.Session(backend=backend) as sess:
                sess.run(tf.global_variables_initializer())
                results[backend] = [sess.run([fetch] + targets, feed)[0] for _ in range(runs)]
                if backend == "numba":
                    verdicts = list(sess._cache.values())[-1].whole_loops
    assert set(verdicts.values()) == {numba_loop.COMPILED_WHOLE}
    np.testing.assert_allclose(results["numba"], results["eager"], rtol=1e-5)


def test_a_rank_3_piece_split_on_its_middle_axis_is_read_in_place_and_matches_eager():
    """x [2, 4, 3] split on axis 1: with a [2, 1, 1] factor the kernel's loop groups are [0] and
    [1, 2], so each [2, 2, 3] piece is a block of the wide array (the second 6 elements into a row)."""
    results = {}
    for backend in ("eager", "numba"):
        with tf.Graph().as_default():
            x0 = tf.placeholder(tf.float32, [2, 4, 3])
            scale = tf.constant([[[0.5]], [[2.0]]])

            def body(i, x):
                a, b = tf.split(x, 2, axis=1)
                return i + 1, tf.concat([a * scale + b, a - b * 0.25], axis=1)
            _, y = tf.while_loop(lambda i, x: i < 3, body, (tf.constant(0), x0))
            with tf.Session(backend=backend) as sess:
                results[backend] = sess.run(y, {x0: np.arange(24, dtype=np.float32).reshape(2, 4, 3)})
                if backend == "numba":
                    (loop,) = executable_loops(sess)
    assert any("[6:]" in line and "k" in line for line in loop.source.splitlines()), loop.source
    np.testing.assert_allclose(results["numba"], results["eager"], rtol=1e-6)
