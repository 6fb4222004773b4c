"""A numba numpy step that is one split or concat of static shapes runs its lean recipe
(graphc/codegen/static_movement.py); the expected values are numpy's own slicing."""
import numpy as np
import pytest

import graphc as tf
from graphc.codegen.numba_steps import NumpyStep


def _lean_steps(exe) -> list:
    return [s.kernel.nodes[0].type for s in exe.steps if isinstance(s, NumpyStep) and s.lean is not None]


def _x(shape):
    return np.arange(np.prod(shape), dtype=np.float32).reshape(shape) - 7.0


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_split_pieces_are_the_slices(axis):
    x = _x((4, 6))
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [4, 6])
        pieces = tf.split(tf.exp(p * 0.0) * p, 2, axis=axis)
        doubled = [piece * 2.0 for piece in pieces]
        with tf.Session(backend="numba") as sess:
            for _ in range(2):
                got = sess.run(doubled, {p: x})
            assert "Split" in _lean_steps(sess.compile(doubled, {p: x}))
    for g, want in zip(got, np.split(x, 2, axis=axis)):
        np.testing.assert_array_equal(g, 2.0 * want)
        assert g.flags.c_contiguous


def test_split_v_with_an_unread_piece_and_a_concat():
    x = _x((3, 8))
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [3, 8])
        q = tf.exp(p * 0.0) * p
        _first, second = tf.split(q, [3, 5], axis=1)
        joined = tf.concat([second * 1.0, q, second + 1.0], axis=1)
        with tf.Session(backend="numba") as sess:
            for _ in range(2):
                got = sess.run(joined, {p: x})
            assert {"SplitV", "ConcatV2"} <= set(_lean_steps(sess.compile(joined, {p: x})))
    want_second = x[:, 3:]
    np.testing.assert_array_equal(got, np.concatenate([want_second, x, want_second + 1.0], axis=1))


def test_a_new_batch_size_takes_the_general_path():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [None, 4])
        a, b = tf.split(p * 2.0, 2, axis=1)
        total = tf.concat([b, a], axis=1)
        with tf.Session(backend="numba") as sess:
            for rows in (2, 3, 5, 2):
                x = _x((rows, 4))
                np.testing.assert_array_equal(sess.run(total, {p: x}),
                                              np.concatenate([2 * x[:, 2:], 2 * x[:, :2]], axis=1))


def _lean_in_bodies() -> set:
    """Node types run by lean recipes in any loop body's numba executable made so far."""
    from graphc.codegen import regions
    found = set()
    for per_body in list(regions._executables.values()):
        for per_factory in list(per_body.values()):
            for sub in per_factory.values():
                for exe in getattr(sub, "compiled", None).entries.values() if hasattr(sub, "compiled") else ():
                    found.update(_lean_steps(exe))
    return found


@pytest.mark.parametrize("axis", [0, 1])
def test_gather_of_one_index_is_the_slice(axis):
    x = _x((3, 4))
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [3, 4])
        i = tf.placeholder(tf.int32, [])
        row = tf.gather(p * 2.0, i, axis=axis) + 1.0
        with tf.Session(backend="numba") as sess:
            for k in (0, 2, 1):
                np.testing.assert_array_equal(sess.run(row, {p: x, i: k}), 2.0 * np.take(x, k, axis=axis) + 1.0)
            assert "GatherV2" in _lean_steps(sess.compile(row, {p: x, i: 0}))
            with pytest.raises(tf.errors.InvalidArgumentError, match="not in"):
                sess.run(row, {p: x, i: 3 + axis})


def test_tensor_array_writes_and_their_gradient_in_a_loop():
    # out[t] = w * x[t]**2 written one row per iteration; d sum(out * c) / dx = 2 w x c
    x = _x((5, 3)) / 4.0
    c = np.linspace(-1.0, 2.0, 15, dtype=np.float32).reshape(5, 3)
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [5, 3])
        w = tf.constant(1.5)
        inputs = tf.TensorArray(tf.float32, size=5).unstack(p)

        def body(t, ta):
            return t + 1, ta.write(t, w * tf.square(inputs.read(t)))
        _, ta = tf.while_loop(lambda t, _ta: t < 5, body, (tf.constant(0), tf.TensorArray(tf.float32, size=5)))
        out = ta.stack()
        grad, = tf.gradients(tf.reduce_sum(out * c), [p])
        with tf.Session(backend="numba") as sess:
            for _ in range(3):
                got, got_grad = sess.run([out, grad], {p: x})
        assert {"TensorArrayScatter", "TensorArrayTakeRows", "TensorArrayGather"} <= _lean_in_bodies()
    np.testing.assert_allclose(got, 1.5 * x ** 2, rtol=1e-6)
    np.testing.assert_allclose(got_grad, 2 * 1.5 * x * c, rtol=1e-5)


def test_a_second_write_to_one_index_still_raises():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [2])

        def body(t, ta):
            return t + 1, ta.write(t // 2, p * tf.cast(t, tf.float32))
        _, ta = tf.while_loop(lambda t, _ta: t < 2, body, (tf.constant(0), tf.TensorArray(tf.float32, size=2)))
        with tf.Session(backend="numba") as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="already been written"):
                sess.run(ta.stack(), {p: np.ones(2, np.float32)})


def test_a_loop_reading_unwritten_rows_gets_zeros_and_out_of_range_raises():
    # rows 0 and 2 of 4 written before the loop; the loop reads rows 0..n-1 and sums them
    a, b = _x((2, 3)), _x((2, 3)) * -0.5
    with tf.Graph().as_default():
        pa, pb = tf.placeholder(tf.float32, [2, 3]), tf.placeholder(tf.float32, [2, 3])
        n = tf.placeholder(tf.int32, [])
        ta = tf.TensorArray(tf.float32, size=4).write(0, pa * 1.0).write(2, pb * 1.0)

        def body(t, total):
            return t + 1, total + ta.read(t) * 2.0
        _, total = tf.while_loop(lambda t, _s: t < n, body, (tf.constant(0), tf.zeros([2, 3])))
        with tf.Session(backend="numba") as sess:
            for _ in range(2):
                np.testing.assert_array_equal(sess.run(total, {pa: a, pb: b, n: 4}), 2.0 * (a + b))
            assert "TensorArrayGather" in _lean_in_bodies()
            with pytest.raises(tf.errors.InvalidArgumentError, match="read from index 4"):
                sess.run(total, {pa: a, pb: b, n: 5})
