"""tf.matmul and tf.tensordot: values against numpy, static shapes (partial too), names, errors."""
import numpy as np
import pytest

import graphc as tf

FLOATS = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}
r = np.random.default_rng(3)
A23, A32 = r.normal(size=(2, 3)), r.normal(size=(3, 2))
B34, B43 = r.normal(size=(3, 4)), r.normal(size=(4, 3))


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_transposes_match_numpy(ta, tb, dtype):
    a = (A32 if ta else A23).astype(dtype)
    b = (B43 if tb else B34).astype(dtype)
    pa = tf.placeholder(tf.as_dtype(dtype), [None, None] if ta else [None, 3])
    y = tf.matmul(pa, b, transpose_a=ta, transpose_b=tb)
    assert y.shape.as_list() == [None, 4]
    value = run(y, {pa: a})
    assert value.dtype == dtype
    expected = (a.T if ta else a) @ (b.T if tb else b)
    np.testing.assert_allclose(value, expected, **TOL[dtype])


def test_matmul_adjoint_is_transpose_for_real_dtypes():
    np.testing.assert_allclose(run(tf.matmul(A32, B43, adjoint_a=True, adjoint_b=True)), A32.T @ B43.T, rtol=1e-12)


@pytest.mark.parametrize("dtype", FLOATS)
def test_batched_matmul_matches_numpy(dtype):
    a = r.normal(size=(2, 2, 3)).astype(dtype)
    b = r.normal(size=(2, 4, 3)).astype(dtype)
    pa = tf.placeholder(tf.as_dtype(dtype), [None, 2, 3])
    y = tf.matmul(pa, b, transpose_b=True)
    assert y.shape.as_list() == [2, 2, 4]
    np.testing.assert_allclose(run(y, {pa: a}), a @ np.swapaxes(b, 1, 2), **TOL[dtype])


def test_matmul_integer_and_names():
    y = tf.matmul(np.array([[1, 2]], np.int32), np.array([[3], [4]], np.int32))
    assert y.name == "MatMul:0" and tf.matmul(A23, B34, name="mm").name == "mm:0"
    assert run(y).dtype == np.int32 and run(y)[0, 0] == 11


def test_matmul_errors():
    with pytest.raises(ValueError, match="inner dimensions"):
        tf.matmul(A23, B43)
    with pytest.raises(ValueError, match="rank >= 2"):
        tf.matmul(np.ones(3), np.ones((3, 2)))
    with pytest.raises(TypeError, match="float32"):
        tf.matmul(tf.constant(A23), tf.constant(B34.astype(np.float32)))
    with pytest.raises(ValueError, match="batch"):
        tf.matmul(np.ones((2, 2, 3)), np.ones((3, 3, 4)))


def test_matmul_inner_dimension_mismatch_at_run_time():
    pa = tf.placeholder(tf.float64, [None, None])
    with pytest.raises(tf.errors.InvalidArgumentError):
        run(tf.matmul(pa, B34), {pa: np.ones((2, 5))})


# ------------------------------------------------------------------------------------------------
# tensordot

T234, T435 = r.normal(size=(2, 3, 4)), r.normal(size=(4, 3, 5))
TENSORDOT_AXES = [
    (1, 1), (2, 2), (0, 0), ([[2], [0]], [[2], [0]]), ([[-1, 1], [0, -2]], [[2, 1], [0, 1]]),
    ([2, 0], [[2], [0]]), ([[1], [1]], [[1], [1]]),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("axes,np_axes", TENSORDOT_AXES, ids=str)
def test_tensordot_matches_numpy(axes, np_axes, dtype):
    a, b = T234.astype(dtype), T435.astype(dtype)
    if axes == 2:
        b = np.transpose(b, (1, 0, 2))   # a's last two dims (3, 4) meet b's first two
    y = tf.tensordot(a, b, axes)
    expected = np.tensordot(a, b, np_axes)
    assert y.shape.as_list() == list(expected.shape)
    value = run(y)
    assert value.dtype == dtype
    np.testing.assert_allclose(value, expected, **TOL[dtype])


def test_tensordot_partial_shapes_keep_known_dims():
    pa = tf.placeholder(tf.float64, [None, 3, 4])
    y = tf.tensordot(pa, T435, [[2, 1], [0, 1]])
    assert y.shape.as_list() == [None, 5]
    np.testing.assert_allclose(run(y, {pa: T234}), np.tensordot(T234, T435, [[2, 1], [0, 1]]), rtol=1e-12)
    pb = tf.placeholder(tf.float64, [4, None, None])
    z = tf.tensordot(T234, pb, [[2], [0]])
    assert z.shape.as_list() == [2, 3, None, None]
    np.testing.assert_allclose(run(z, {pb: T435}), np.tensordot(T234, T435, [[2], [0]]), rtol=1e-12)


def test_tensordot_names():
    assert tf.tensordot(T234, T435, 1).name == "Tensordot:0"
    assert tf.tensordot(T234, T435, 1).name == "Tensordot_1:0"
    assert tf.tensordot(T234, T435, 1, name="td").name == "td:0"


def test_tensordot_errors():
    with pytest.raises(ValueError, match="contracted dimensions must be equal"):
        tf.tensordot(T234, T435, [[1], [0]])
    with pytest.raises(ValueError, match="same length"):
        tf.tensordot(T234, T435, [[1, 2], [0]])
    with pytest.raises(ValueError, match="axes=4"):
        tf.tensordot(T234, T435, 4)
    with pytest.raises(ValueError, match="out of range"):
        tf.tensordot(T234, T435, [[3], [0]])
    with pytest.raises(ValueError, match="known rank"):
        tf.tensordot(tf.placeholder(tf.float64), T435, 1)
    with pytest.raises(TypeError, match="float32"):
        tf.tensordot(tf.constant(T234), tf.constant(T435.astype(np.float32)), 1)
    with pytest.raises(ValueError, match="more than once"):
        tf.tensordot(T234, T435, [[2, 2], [0, 0]])
