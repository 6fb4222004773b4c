"""The session's executable cache: one plan per shape pattern serves every batch size with the
numbers of a per-shape executable; the cache is bounded (LRU) and counts its evictions."""
import numpy as np
import pytest

import graphc as tf
import graphc.runtime
from builders import linear_sgd, two_layer_mlp_sgd
from graphc.codegen import numba_loop, regions
from graphc.codegen.executable_cache import DEFAULT_CAPACITY, pattern_of

SIZES = (5, 9, 2, 17, 1, 3, 64, 9)    # 1 is its own pattern (a size-1 dim broadcasts)


def _lecture_step() -> tuple:
    """The lecture's linear regression: scalar w, b; x and y_true of unknown shape."""
    x = tf.placeholder(tf.float32, name="x")
    y_true = tf.placeholder(tf.float32, name="y_true")
    w = tf.Variable(0.2, name="w")
    b = tf.Variable(0.7, name="b")
    y = w * x + b
    train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.square(y - y_true))
    return (x, y_true), [y, train]


def _mlp_step() -> tuple:
    x, labels, loss, step = two_layer_mlp_sgd(np.random.RandomState(3), loss="softmax_xent")
    return (x, labels), [loss, step]


def _linear_step() -> tuple:
    x, loss, train = linear_sgd()
    return (x,), [loss, train]


def _with_init(build) -> tuple:
    placeholders, fetches = build()
    tf.add_to_collection("init", tf.global_variables_initializer())
    return placeholders, fetches


def _feeds(placeholders, n: int) -> dict:
    rs = np.random.RandomState(n)
    feed = {}
    for p in placeholders:
        cols = p.shape.as_list()[1:] if p.shape.ndims is not None else []
        feed[p] = rs.rand(n, *cols).astype(np.float32)
    return feed


def _step_and_variables(sess, fetches, feed) -> list:
    """One step from the initial variables: its fetches and the updated variables."""
    sess.run(tf.get_collection("init")[0])
    out = sess.run(fetches, feed)
    return [out[0]] + sess.run(tf.global_variables())


@pytest.mark.parametrize("build", [_mlp_step, _lecture_step, _linear_step], ids=["mlp", "lecture", "linear"])
@pytest.mark.parametrize("backend", ["numba", "interpret", "triton"])
def test_one_plan_serves_every_batch_size_with_per_shape_numbers(build, backend):
    placeholders, fetches = _with_init(build)
    shared = tf.Session(backend=backend)
    before = graphc.runtime.stats()["executables_built"]
    results = {}
    for n in SIZES:
        results[n] = _step_and_variables(shared, fetches, _feeds(placeholders, n))
    built = graphc.runtime.stats()["executables_built"] - before
    # the initializer, reading the variables, and the step: its first shape, the shared pattern
    # (planned on the second shape), the size-1 pattern
    assert built == 5, built
    assert len(shared._cache) == 5
    for n in SIZES:   # a fresh session: an executable specialized on exactly this shape, as before
        with tf.Session(backend=backend) as alone:
            expected = _step_and_variables(alone, fetches, _feeds(placeholders, n))
        for got, want in zip(results[n], expected):
            np.testing.assert_array_equal(got, want)


def test_the_pattern_plan_runs_on_eager_numbers():
    placeholders, fetches = _with_init(_mlp_step)
    compiled = tf.Session(backend="numba")
    eager = tf.Session(backend="eager")
    for n in (4, 6, 11):
        got = _step_and_variables(compiled, fetches, _feeds(placeholders, n))
        want = _step_and_variables(eager, fetches, _feeds(placeholders, n))
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_a_pattern_keeps_fixed_dims_and_sizes_zero_and_one():
    assert pattern_of((None, 3), (7, 3)) == (None, 3)
    assert pattern_of((None, None), (1, 5)) == (1, None)
    assert pattern_of((None,), (0,)) == (0,)
    assert pattern_of(None, (4, 1, 2)) == (None, 1, None)      # unknown rank: the fed rank
    assert pattern_of(None, ()) == ()


def test_a_new_rank_is_a_new_pattern():
    x = tf.placeholder(tf.float32)
    y = tf.reduce_sum(x * 2.0)
    sess = tf.Session(backend="numba")
    for shape in [(3,), (4,), (5,), (2, 3), (2, 4), (3, 5)]:
        assert sess.run(y, {x: np.ones(shape, np.float32)}) == 2.0 * np.prod(shape)
    assert len(sess._cache) == 4     # rank 1: (3,) and its pattern; rank 2: (2, 3) and its pattern


def test_the_cache_drops_the_least_recently_used_executable():
    x = tf.placeholder(tf.float32, [None])
    ys = [x * float(k) for k in range(6)]
    sess = tf.Session(backend="numba", executable_cache_size=2)
    feed = {x: np.arange(3, dtype=np.float32)}
    before = graphc.runtime.stats()
    for k, y in enumerate(ys):
        np.testing.assert_array_equal(sess.run(y, feed), np.arange(3) * float(k))
        assert len(sess._cache) <= 2
    sess.run(ys[5], feed)     # the most recent: still cached
    np.testing.assert_array_equal(sess.run(ys[0], feed), np.zeros(3))   # dropped: built again
    after = graphc.runtime.stats()
    assert after["executables_evicted"] - before["executables_evicted"] == 5
    assert after["executables_built"] - before["executables_built"] == 7
    assert after["executable_memory_hits"] - before["executable_memory_hits"] == 1


def test_the_cache_stays_bounded_over_many_shapes():
    x = tf.placeholder(tf.float32)
    y = x + 1.0
    sess = tf.Session(backend="numba", executable_cache_size=3)
    for rank in range(6):
        for n in (2, 3, 4):
            shape = (n,) * rank
            np.testing.assert_array_equal(sess.run(y, {x: np.zeros(shape, np.float32)}), np.ones(shape))
            assert len(sess._cache) <= 3
    assert len(sess._cache.first_shapes) <= 3


def test_the_cache_size_switch(monkeypatch):
    monkeypatch.setenv("GRAPHC_EXECUTABLE_CACHE", "5")
    assert tf.Session(backend="eager")._cache.capacity == 5
    assert tf.Session(backend="eager", executable_cache_size=7)._cache.capacity == 7
    monkeypatch.delenv("GRAPHC_EXECUTABLE_CACHE")
    assert tf.Session(backend="eager")._cache.capacity == DEFAULT_CAPACITY
    with pytest.raises(ValueError, match="executable_cache_size must be a positive integer"):
        tf.Session(backend="eager", executable_cache_size=0)
    monkeypatch.setenv("GRAPHC_EXECUTABLE_CACHE", "many")
    with pytest.raises(ValueError, match="GRAPHC_EXECUTABLE_CACHE must be a positive integer"):
        tf.Session(backend="eager")


def _rnn_step() -> tuple:
    """A BasicLSTMCell dynamic_rnn SGD step: its while-loop body is compiled per feed shapes too."""
    x = tf.placeholder(tf.float32, [None, 4, 3], name="x")
    with tf.variable_scope("rnn", initializer=tf.constant_initializer(0.2)):   # the same in every session
        outputs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(5), x, dtype=tf.float32)
    loss = tf.reduce_mean(tf.square(state.h)) + tf.reduce_mean(outputs)
    return (x,), [loss, tf.train.GradientDescentOptimizer(0.5).minimize(loss)]


def test_a_loop_body_is_planned_once_per_shape_pattern_too(monkeypatch):
    """Run body by body (as a tiered session runs a loop until it is compiled whole, and every
    loop past its compiled shape sets): its body executables follow the session's shape patterns."""
    monkeypatch.setattr(numba_loop.Loops, "runner", lambda self, node: None)
    placeholders, fetches = _with_init(_rnn_step)
    shared = tf.Session(backend="numba")
    sizes = (3, 5, 7, 2, 6)
    results = {n: _step_and_variables(shared, fetches, _feeds(placeholders, n)) for n in sizes}
    for n in sizes:
        with tf.Session(backend="numba") as alone:
            expected = _step_and_variables(alone, fetches, _feeds(placeholders, n))
        for got, want in zip(results[n], expected):
            # not bit for bit: one run in four differed by ~3e-8 in the loss (seen on main and on
            # branches, not reproduced alone; an open question in the session note)
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    (pattern_step,) = [exe for (_, shapes), exe in shared._cache.entries.items() if shapes and None in shapes[0]]
    factory = pattern_step.loops.factory      # the shared pattern plan's loop bodies
    subs = [exe for per_factory in list(regions._executables.values()) for exe in per_factory.get(factory, {}).values()]
    assert len(subs) >= 2     # the forward loop's body and its gradient's
    for exe in subs:          # sizes 5 (the first of the pattern plan: exactly), then 7, 2, 6: one pattern plan
        assert len(exe.compiled) == 2 and any(None in shape for _, shapes in exe.compiled.entries for shape in shapes)


def test_a_shape_that_keeps_coming_back_gets_its_own_plan():
    from graphc.codegen.executable_cache import PROMOTE_AFTER

    placeholders, fetches = _with_init(_mlp_step)
    shared = tf.Session(backend="numba")
    for n in (4, 6):     # the first shape's plan, then the pattern's
        _step_and_variables(shared, fetches, _feeds(placeholders, n))
    before = graphc.runtime.stats()["executables_built"]
    for _ in range(PROMOTE_AFTER - 2):
        got = _step_and_variables(shared, fetches, _feeds(placeholders, 6))
    assert graphc.runtime.stats()["executables_built"] == before   # still the pattern's plan
    got = _step_and_variables(shared, fetches, _feeds(placeholders, 6))
    assert graphc.runtime.stats()["executables_built"] == before + 1   # its own plan now
    assert ((6, 6), (6, 3)) in [shapes for _, shapes in shared._cache.entries]
    with tf.Session(backend="numba") as alone:
        want = _step_and_variables(alone, fetches, _feeds(placeholders, 6))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
