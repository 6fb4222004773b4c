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
