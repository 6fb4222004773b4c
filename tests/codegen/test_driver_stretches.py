"""Stretches of a generated driver compiled as one njit function (codegen/numba_stretches.py)
compute what the step loop computes: the same kernels on the same values (products through BLAS
from compiled code: to a few ulps), the same in-place commits, results that later runs leave alone."""
import numpy as np
import pytest

import graphc as tf
from graphc.codegen import driver, numba_stretches
from graphc.passes.run_plan import RunPlan
from backend_util import assert_close_in_ulps, f32, initialized_state, numba_executables
from gradcases import all_cases

# one case of each kind the stretch printer handles: kernels, products (plain, transposed), reshapes,
# slices, splits and concats; a case it refuses still has to run (the Python driver runs it)
_WANTED = ("matmul", "add", "tanh", "softmax", "reshape", "strided_slice", "split", "concat", "reduce_sum", "transpose")
CASES = [c for c in all_cases() if any(c.name.startswith(w) for w in _WANTED)][:16]


@pytest.fixture
def stretches_at_once(monkeypatch):
    """Every stretch of one step or more compiled from the driver's first run (synchronously)."""
    monkeypatch.setattr(numba_stretches, "STRETCH_AFTER", 1)
    monkeypatch.setattr(numba_stretches, "STRETCH_MIN_STEPS", 1)
    monkeypatch.setenv("GRAPHC_COMPILE", "sync")


def _executables(monkeypatch, fetches, feeds, targets=()):
    """(the step loop's executable, the one whose driver compiles its stretches)."""
    return numba_executables(monkeypatch, fetches, feeds, targets, modes=("steps", "compiled"))


def _close(want, got, what):
    """Within 64 ulps: a product through ``cblas_?gemm`` may sum in another order than numpy's
    matmul, which picks gemv for a vector."""
    assert_close_in_ulps(want, got, what, 64)


@pytest.mark.usefixtures("stretches_at_once")
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_stretches_match_the_step_loop_on_parity_graphs(case, monkeypatch):
    phs = [tf.placeholder(tf.as_dtype(np.asarray(v).dtype), np.shape(v), name=f"x{i}")
           for i, v in enumerate(case.values)]
    y = case.build(*phs)
    grads = [g for g in tf.gradients(y, [p for p in phs if p.dtype.is_floating]) if g is not None]
    loop, compiled = _executables(monkeypatch, [y] + grads, list(zip(phs, case.values)))
    values = [np.asarray(v) for v in case.values]
    state_loop, state_compiled = initialized_state(), initialized_state()
    for k in range(5):      # run 2 compiles the stretches, run 3 swaps the driver, runs 4-5 call them
        want = [np.array(r, copy=True) for r in loop.run(values, state_loop)[0]]
        got = [np.array(r, copy=True) for r in compiled.run(values, state_compiled)[0]]
        _close(want, got, f"{case.name}, run {k}")
    if case.name in _PRINTED:
        assert compiled.driver.stretches, compiled.driver_source


_PRINTED = {"strided_slice", "strided_slice_grad", "matmul", "matmul_transpose_a", "matmul_transpose_both",
            "concat", "split_even"}


def _unrolled_rnn(steps=6, batch=8, units=5):
    """A hand-unrolled tanh RNN regression trained with Adam (benchmarks' rnn_unrolled, small)."""
    x = tf.placeholder(tf.float32, [batch, steps, 1])
    y = tf.placeholder(tf.float32, [batch, 1])
    w_in = tf.Variable(f32(1, units, scale=0.5), name="w_in")
    w_h = tf.Variable(f32(units, units, scale=0.3), name="w_h")
    b = tf.Variable(np.zeros(units, np.float32), name="b")
    w_out = tf.Variable(f32(units, 1, scale=0.5), name="w_out")
    h = tf.zeros([batch, units])
    for t in range(steps):
        h = tf.tanh(tf.matmul(x[:, t, :], w_in) + tf.matmul(h, w_h) + b)
    loss = tf.reduce_mean(tf.square(tf.matmul(h, w_out) - y))
    return x, y, loss, tf.train.AdamOptimizer(0.05).minimize(loss)


@pytest.mark.usefixtures("stretches_at_once")
def test_an_unrolled_rnn_trains_to_the_step_loops_numbers_through_one_stretch(monkeypatch):
    x, y, loss, train = _unrolled_rnn()
    feeds = [(x, f32(8, 6, 1)), (y, f32(8, 1))]
    loop, compiled = _executables(monkeypatch, [loss], feeds, targets=[train])
    values = [v for _, v in feeds]
    state_loop, state_compiled = initialized_state(), initialized_state()
    for k in range(8):
        want, want_updates = loop.run(values, state_loop)
        got, updates = compiled.run(values, state_compiled)
        _close(want, got, f"loss at step {k}")
        assert set(updates) == set(want_updates)
        for var in want_updates:
            _close([want_updates[var]], [updates[var]], f"{var.name} at step {k}")
        state_loop.values.update(want_updates)
        state_compiled.values.update(updates)
    stretches = compiled.driver.stretches
    assert len(stretches) == 1, compiled.driver_source
    source = stretches[0].source
    assert source.count("call_gemm(") >= 2 * 6 and source.count("take_n(") == 6    # products, time steps
    assert "T" in compiled.driver.source and "_ndarray(" in compiled.driver.source   # Adam's values: one block


@pytest.mark.usefixtures("stretches_at_once")
def test_values_a_stretch_hands_out_are_not_touched_by_later_runs(monkeypatch):
    x, y, loss, train = _unrolled_rnn()
    feeds = [(x, f32(8, 6, 1)), (y, f32(8, 1))]
    _loop, compiled = _executables(monkeypatch, [loss], feeds, targets=[train])
    state = initialized_state()
    held = []
    for _ in range(6):
        results, updates = compiled.run([v for _, v in feeds], state)
        held.append([np.array(a, copy=True) for a in list(results) + list(updates.values())])
        held.append(list(results) + list(updates.values()))
        state.values.update(updates)
    assert compiled.driver.stretches
    for copies, arrays in zip(held[::2], held[1::2]):
        for want, got in zip(copies, arrays):
            np.testing.assert_array_equal(got, want)


@pytest.mark.usefixtures("stretches_at_once")
def test_a_large_variable_is_updated_in_place_inside_a_stretch(monkeypatch):
    x = tf.placeholder(tf.float32, [16, 40])
    w = tf.Variable(f32(40, 30, scale=0.2), name="w")       # 1200 elements: updated in place
    loss = tf.reduce_sum(tf.square(tf.tanh(tf.matmul(x, w))))
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    feeds = [(x, f32(16, 40))]
    loop, compiled = _executables(monkeypatch, [loss], feeds, targets=[train])
    state_loop, state_compiled = initialized_state(), initialized_state()
    for k in range(6):
        before = dict(state_compiled.values)
        want, want_updates = loop.run([feeds[0][1]], state_loop)
        got, updates = compiled.run([feeds[0][1]], state_compiled)
        _close(want, got, f"loss at step {k}")
        for var in want_updates:
            _close([want_updates[var]], [updates[var]], var.name)
            if var.name in compiled.inplace_variables:
                assert updates[var] is before[var], f"{var.name} not written in place at step {k}"
        state_loop.values.update(want_updates)
        state_compiled.values.update(updates)
    assert compiled.inplace_variables and compiled.driver.stretches


def test_straight_keeps_the_python_driver(monkeypatch):
    monkeypatch.setattr(numba_stretches, "STRETCH_AFTER", 1)
    monkeypatch.setattr(numba_stretches, "STRETCH_MIN_STEPS", 1)
    x, y, loss, train = _unrolled_rnn()
    plan = RunPlan([loss], [train], [x, y])
    monkeypatch.setenv("GRAPHC_NUMBA_DRIVER", "straight")
    exe = driver.compile_run("numba", plan, [(8, 6, 1), (8, 1)])
    state = initialized_state()
    for _ in range(5):
        state.values.update(exe.run([f32(8, 6, 1), f32(8, 1)], state)[1])
    assert exe.driver and not exe.driver.stretches and exe.driver.pending is None


def _split_pieces_read_after_their_buffer_is_reused():
    """A split's pieces read after a later kernel of the same stretch wrote a leaving value into
    the buffer the split's input lived in (the step loop copies the pieces at the split)."""
    x = tf.placeholder(tf.float32, [8, 8])
    a = tf.sin(x) * 3.0
    first = tf.cumsum(a, axis=0)                   # a numpy step: a stretch starts after it
    top, bottom = tf.split(a, 2, axis=0)
    q = tf.tanh(x) * tf.reduce_sum(top)            # may take a's buffer, and leaves the stretch
    both = tf.concat([top * bottom, top + bottom], axis=0)
    return x, [first, tf.stack([q, both])]


def _concat_output_written_before_its_buffer_is_free():
    """A kernel whose one reader is a concat writing into the concat's (pooled, leaving) output
    while a value in that buffer is still to be read (the step loop writes it at the concat)."""
    x = tf.placeholder(tf.float32, [8, 8])
    a = tf.sin(x) * 3.0
    sums = tf.cumsum(a, axis=0)
    u = tf.tanh(tf.cumsum(sums[:7], axis=1))
    w = tf.reduce_sum(a * sums, axis=0, keepdims=True)     # a's last reader
    joined = tf.concat([u, w], axis=0)                       # may take a's buffer
    return x, [tf.cumsum(joined, axis=1)]


@pytest.mark.usefixtures("stretches_at_once")
@pytest.mark.parametrize("build", [_split_pieces_read_after_their_buffer_is_reused,
                                   _concat_output_written_before_its_buffer_is_free])
def test_a_stretch_reads_and_writes_pooled_memory_when_the_step_loop_does(build, monkeypatch):
    x, fetches = build()
    value = np.arange(64, dtype=np.float32).reshape(8, 8) / 10
    loop, compiled = _executables(monkeypatch, fetches, [(x, value)])
    state_loop, state_compiled = initialized_state(), initialized_state()
    for k in range(4):
        want = [np.array(r, copy=True) for r in loop.run([value], state_loop)[0]]
        got = [np.array(r, copy=True) for r in compiled.run([value], state_compiled)[0]]
        _close(want, got, f"run {k}")
    assert len(compiled.driver.stretches) >= 2, compiled.driver_source
