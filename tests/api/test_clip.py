"""tf.norm, tf.global_norm and the tf.clip_by_* family against numbers recorded from TensorFlow.

Every expected array below was printed by TensorFlow 2.21.0 (``tf.compat.v1`` with
``disable_v2_behavior()``) for the same inputs; float32 results are compared within a few ulps
(summation order may differ between TF, graphc's backends and machines). Gradients are checked
against central differences in float64.
"""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends
from graphc.testing import check_gradients

BACKENDS = [b for b in available_backends() if b != "auto"]   # eager, numba, interpret, triton if usable

A = np.array([[1.0, -2.0, 3.0], [4.0, 0.5, -6.0]], np.float32)
B = np.array([0.25, -7.0], np.float32)
C = np.array([[[1., 2.], [3., 4.]], [[-5., 6.], [7., -8.]]], np.float64)


def run(fetches, feed_dict=None, backend=None):
    with tf.Session(backend=backend) as sess:
        return sess.run(fetches, feed_dict)


# clip_by_global_norm ---------------------------------------------------------------------------
# from TF 2.21.0: (clip_norm, clipped A, clipped B); the global norm is 10.738366 in every case
GLOBAL_CASES = [
    (1.0, [[0.09312404, -0.18624808, 0.27937213], [0.37249616, 0.04656202, -0.55874425]],
     [0.02328101, -0.6518683]),
    (5.0, [[0.4656202, -0.9312404, 1.3968606], [1.8624808, 0.2328101, -2.7937212]],
     [0.11640505, -3.2593412]),
    (100.0, [[1., -2., 3.], [4., 0.5, -6.]], [0.25, -7.]),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("clip_norm,want_a,want_b", GLOBAL_CASES)
def test_clip_by_global_norm_matches_tf(backend, clip_norm, want_a, want_b):
    clipped, norm = tf.clip_by_global_norm([tf.constant(A), None, tf.constant(B)], clip_norm)
    assert clipped[1] is None
    a, b, n = run([clipped[0], clipped[2], norm], backend=backend)
    np.testing.assert_allclose(a, np.array(want_a, np.float32), rtol=1e-6)
    np.testing.assert_allclose(b, np.array(want_b, np.float32), rtol=1e-6)
    np.testing.assert_allclose(n, np.float32(10.738366), rtol=1e-6)
    assert a.dtype == np.float32 and n.dtype == np.float32


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_non_finite_global_norm_makes_every_value_nan(bad):
    # TF 2.21.0: the clipped lists are all NaN, the norm is inf (resp. nan)
    clipped, norm = tf.clip_by_global_norm([tf.constant(A), tf.constant(np.array([bad, 1.0], np.float32))], 1.0)
    a, b, n = run([clipped[0], clipped[1], norm])
    assert np.isnan(a).all() and np.isnan(b).all()
    assert (np.isinf(n) and n > 0) if np.isinf(bad) else np.isnan(n)


def test_clip_by_global_norm_with_zero_tensor_and_use_norm():
    # TF 2.21.0: [A, zeros(2)] with clip_norm 1 -> A / 8.13941, zeros, norm 8.13941
    clipped, norm = tf.clip_by_global_norm([tf.constant(A), tf.zeros([2])], 1.0)
    a, z, n = run([clipped[0], clipped[1], norm])
    np.testing.assert_allclose(a, [[0.12285903, -0.24571806, 0.3685771],
                                   [0.49143612, 0.061429515, -0.7371542]], rtol=1e-6)
    np.testing.assert_array_equal(z, [0.0, 0.0])
    np.testing.assert_allclose(n, 8.13941, rtol=1e-6)
    # TF 2.21.0: use_norm=2.0 scales A by 1/2 and is returned as the norm
    clipped, norm = tf.clip_by_global_norm([tf.constant(A)], 1.0, use_norm=tf.constant(2.0))
    a, n = run([clipped[0], norm])
    np.testing.assert_allclose(a, A / 2)
    assert n == 2.0


def test_all_zero_gradients_are_left_alone():
    clipped, norm = tf.clip_by_global_norm([tf.zeros([3]), tf.zeros([2, 2])], 1.0)
    z1, z2, n = run([clipped[0], clipped[1], norm])
    assert n == 0.0 and not z1.any() and not z2.any() and not np.isnan(z1).any()


def test_global_norm_and_names():
    # TF 2.21.0: global_norm([A, B, None]) = 10.738366; op names as TF1 gives them
    g = tf.global_norm([tf.constant(A), tf.constant(B), None])
    np.testing.assert_allclose(run(g), 10.738366, rtol=1e-6)
    assert g.name == "global_norm/global_norm:0"
    clipped, _ = tf.clip_by_global_norm([tf.constant(A), tf.constant(B)], 1.0)
    assert [c.name for c in clipped] == ["clip_by_global_norm/clip_by_global_norm/_0:0",
                                         "clip_by_global_norm/clip_by_global_norm/_1:0"]
    assert tf.clip_by_norm(tf.constant(A), 1.0).name == "clip_by_norm:0"
    assert tf.clip_by_average_norm(tf.constant(A), 1.0).name == "clip_by_average_norm:0"
    assert tf.norm(tf.constant(A)).name == "norm/Squeeze:0"


def test_t_list_must_be_a_sequence():
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        tf.clip_by_global_norm(tf.constant(A), 1.0)
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        tf.global_norm("abc")


# clip_by_norm / clip_by_average_norm -----------------------------------------------------------
# from TF 2.21.0
NORM_CASES = [
    (2.0, None, [[0.24571806, -0.49143612, 0.7371542], [0.98287225, 0.12285903, -1.4743084]]),
    (2.0, [1], [[0.5345225, -1.069045, 1.6035674], [1.1067432, 0.1383429, -1.6601148]]),
    (2.0, 0, [[0.48507127, -1.9402851, 0.8944272], [1.9402851, 0.48507127, -1.7888544]]),
    (100.0, None, [[1., -2., 3.], [4., 0.5, -6.]]),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("clip_norm,axes,want", NORM_CASES)
def test_clip_by_norm_matches_tf(backend, clip_norm, axes, want):
    got = run(tf.clip_by_norm(tf.constant(A), clip_norm, axes=axes), backend=backend)
    np.testing.assert_allclose(got, np.array(want, np.float32), rtol=1e-6)


def test_clip_by_norm_of_zero_is_zero_with_zero_gradient():
    x = tf.placeholder(tf.float64, [3])
    y = tf.clip_by_norm(x, 1.0)
    (g,) = tf.gradients(tf.reduce_sum(y), [x])
    val, grad = run([y, g], {x: np.zeros(3)})
    np.testing.assert_array_equal(val, [0.0, 0.0, 0.0])
    assert np.isfinite(grad).all()


def test_clip_by_norm_keeps_static_shape():
    p = tf.placeholder(tf.float32, [None, 3])
    assert tf.clip_by_norm(p, 1.0).shape.as_list() == [None, 3]
    assert tf.clip_by_norm(p, 1.0, axes=[1]).shape.as_list() == [None, 3]


@pytest.mark.parametrize("clip_norm,want", [
    (1.0, [[0.7371542, -1.4743084, 2.2114625], [2.9486167, 0.3685771, -4.422925]]),   # TF 2.21.0
    (10.0, [[1., -2., 3.], [4., 0.5, -6.]]),
])
def test_clip_by_average_norm_matches_tf(clip_norm, want):
    got = run(tf.clip_by_average_norm(tf.constant(A), clip_norm))
    np.testing.assert_allclose(got, np.array(want, np.float32), rtol=1e-6)


# norm ----------------------------------------------------------------------------------------
# from TF 2.21.0, on the float64 tensor C: (ord, axis) -> result without keepdims
NORM_VALUES = {
    ("euclidean", None): 14.2828568570857,
    ("euclidean", 0): [[5.0990195135927845, 6.324555320336759], [7.615773105863909, 8.94427190999916]],
    ("euclidean", 1): [[3.1622776601683795, 4.47213595499958], [8.602325267042627, 10.]],
    ("euclidean", -1): [[2.23606797749979, 5.], [7.810249675906654, 10.63014581273465]],
    ("euclidean", (0, 1)): [9.16515138991168, 10.954451150103322],
    ("fro", (1, 2)): [5.477225575051661, 13.19090595827292],
    ("fro", (-2, -1)): [5.477225575051661, 13.19090595827292],
    ("fro", (2, 0)): [8.12403840463596, 11.74734012447073],
    (2, None): 14.2828568570857,
    (2, 1): [[3.1622776601683795, 4.47213595499958], [8.602325267042627, 10.]],
    (2, (0, 1)): [8.819131909660758, 10.233345472033852],      # spectral norms (largest singular value)
    (2, (1, 2)): [5.464985704219043, 13.190034437265815],
    (2, (-2, -1)): [5.464985704219043, 13.190034437265815],
    (2, (2, 0)): [7.865223415728484, 10.693650540474676],
    (1, None): 36.0,
    (1, 0): [[6., 8.], [10., 12.]],
    (1, -1): [[3., 7.], [11., 15.]],
    (1, (0, 1)): [10., 12.],
    (1, (1, 2)): [6., 14.],
    (1, (2, 0)): [11., 15.],
    (np.inf, None): 8.0,
    (np.inf, 1): [[3., 4.], [7., 8.]],
    (np.inf, (0, 1)): [12., 14.],
    (np.inf, (-2, -1)): [7., 15.],
    (np.inf, (2, 0)): [8., 12.],
}


@pytest.mark.parametrize("ord_,axis", list(NORM_VALUES))
def test_norm_matches_tf(ord_, axis):
    want = np.array(NORM_VALUES[(ord_, axis)])
    c = tf.constant(C)
    plain, kept = run([tf.norm(c, ord=ord_, axis=axis), tf.norm(c, ord=ord_, axis=axis, keepdims=True)])
    rtol = 1e-14 if ord_ == 2 and axis is not None and np.ndim(axis) else 1e-15   # an SVD for spectral norms
    np.testing.assert_allclose(plain, want, rtol=rtol)
    assert plain.shape == want.shape
    # keepdims keeps every reduced dimension as size 1 (TF's shapes)
    reduced = range(3) if axis is None else [a % 3 for a in np.atleast_1d(axis)]
    assert kept.shape == tuple(1 if i in reduced else n for i, n in enumerate(C.shape))
    np.testing.assert_allclose(kept.reshape(want.shape), want, rtol=rtol)


def test_norm_general_p_and_float32():
    # TF 2.21.0 on A (float32): ord=3 -> 6.812183, ord=0.5 -> 86.54323, default -> 8.13941,
    # ord=1 over axis 1 with keepdims -> [[6], [10.5]], matrix ord=1 -> 9, matrix ord=inf -> 10.5
    a = tf.constant(A)
    got = run([tf.norm(a, ord=3), tf.norm(a, ord=0.5), tf.norm(a), tf.norm(a, ord=1, axis=1, keepdims=True),
               tf.norm(a, ord=1, axis=[0, 1]), tf.norm(a, ord=np.inf, axis=[0, 1])])
    np.testing.assert_allclose(got[0], 6.812183, rtol=1e-6)
    np.testing.assert_allclose(got[1], 86.54323, rtol=1e-6)
    np.testing.assert_allclose(got[2], 8.13941, rtol=1e-6)
    np.testing.assert_array_equal(got[3], [[6.0], [10.5]])
    assert got[4] == 9.0 and got[5] == 10.5
    assert all(g.dtype == np.float32 for g in got)


@pytest.mark.parametrize("backend", BACKENDS)
def test_spectral_norm_and_its_gradient_match_tf(backend):
    # TF 2.21.0: tf.norm(A, ord=2, axis=[0, 1]) and its gradient
    a = tf.constant(A)
    n = tf.norm(a, ord=2, axis=[0, 1])
    (g,) = tf.gradients(n, [a])
    assert n.name == "norm/Squeeze:0" and n.shape.as_list() == []
    value, grad = run([n, g], backend=backend)
    np.testing.assert_allclose(value, 7.5783033, rtol=1e-6)
    np.testing.assert_allclose(grad, [[-0.14880732, -0.04848469, 0.28649423],
                                      [0.43085346, 0.1403815, -0.82950914]], rtol=1e-5)


def test_spectral_norm_second_derivative_is_refused_not_wrong():
    x = tf.placeholder(tf.float64, [2, 3])
    (g,) = tf.gradients(tf.norm(x, ord=2, axis=[0, 1]), [x])
    with pytest.raises(LookupError, match="through its singular values only"):
        tf.gradients(tf.reduce_sum(g * g), [x])


def test_norm_static_shapes():
    # TF 2.21.0: () (?,) (?, 1) (1, 1)
    p = tf.placeholder(tf.float32, [None, 3])
    assert tf.norm(p).shape.as_list() == []
    assert tf.norm(p, axis=1).shape.as_list() == [None]
    assert tf.norm(p, axis=1, keepdims=True).shape.as_list() == [None, 1]
    assert tf.norm(p, keepdims=True).shape.as_list() == [1, 1]
    assert tf.global_norm([p]).shape.as_list() == []
    b = tf.placeholder(tf.float32, [None, 2, 3])
    assert tf.norm(b, ord=2, axis=[1, 2]).shape.as_list() == [None]
    assert tf.norm(b, ord=2, axis=[1, 2], keepdims=True).shape.as_list() == [None, 1, 1]


@pytest.mark.parametrize("ord_,axis,match", [
    ("fro", None, "'ord' must be a supported vector norm, got fro"),     # TF's messages
    ("fro", 1, "'ord' must be a supported vector norm, got fro"),
    (0, None, "'ord' must be a supported vector norm, got 0"),
    (-1, None, "'ord' must be a supported vector norm, got -1"),
    ("nuc", None, "'ord' must be a supported vector norm, got nuc"),
    ("nuc", (0, 1), "'ord' must be a supported matrix norm"),
    (1, (1, 1), "'axis' must be None, an integer, or a tuple of 2 unique integers"),
    (1, [0], "'axis' must be None, an integer, or a tuple of 2 unique integers"),
])
def test_norm_rejects_what_tf_rejects(ord_, axis, match):
    with pytest.raises(ValueError, match=match):
        tf.norm(tf.constant(A), ord=ord_, axis=axis)


# gradients (float64, central differences) -----------------------------------------------------
X64 = np.array([[0.3, -1.2, 2.0], [1.5, 0.7, -0.4]])


@pytest.mark.parametrize("build", [
    lambda x: tf.norm(x),
    lambda x: tf.norm(x, ord=1, axis=1),
    lambda x: tf.norm(x, ord=np.inf, axis=0),
    lambda x: tf.norm(x, ord=3, axis=-1, keepdims=True),
    lambda x: tf.norm(x, ord="fro", axis=(0, 1)),
    lambda x: tf.norm(x, ord=1, axis=(0, 1)),
    lambda x: tf.norm(x, ord=2, axis=(0, 1)),
    lambda x: tf.norm(x, ord=2, axis=(1, 0), keepdims=True),
    lambda x: tf.clip_by_norm(x, 1.0),
    lambda x: tf.clip_by_norm(x, 1.5, axes=[1]),
    lambda x: tf.clip_by_norm(x, 100.0),
    lambda x: tf.clip_by_average_norm(x, 0.5),
    lambda x: tf.global_norm([x, 2.0 * x]),
    lambda x: tf.clip_by_global_norm([x, x * x, None], 1.0)[0][1],
    lambda x: tf.clip_by_global_norm([x], 100.0)[0][0],
])
def test_gradients_match_central_differences(build):
    x = tf.placeholder(tf.float64, [2, 3])
    (check,) = check_gradients(build(x), [x], [X64])
    assert check.ok(atol=1e-7, rtol=1e-6), (check.max_abs_error, check.max_rel_error)


# compute_gradients -> clip -> apply_gradients ----------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_clipped_training_step_matches_tf(backend):
    w = tf.Variable(np.array([[0.5, -1.0], [2.0, 0.25], [1.5, -0.75]], np.float32))
    v = tf.Variable(np.array([3.0, -4.0], np.float32))
    unused = tf.Variable(np.array([1.0], np.float32))
    x = tf.constant(np.array([[1., 2., 3.], [-1., 0.5, 2.]], np.float32))
    loss = tf.reduce_sum(tf.square(tf.matmul(x, w) + v))
    opt = tf.train.GradientDescentOptimizer(0.1)
    grads, variables = zip(*opt.compute_gradients(loss, [w, v, unused]))
    assert grads[2] is None
    clipped, norm = tf.clip_by_global_norm(list(grads), 5.0)
    assert clipped[2] is None
    train = opt.apply_gradients(zip(clipped, variables))
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(norm), 137.5873, rtol=1e-6)   # TF 2.21.0
        sess.run(train)
        # TF 2.21.0 after one step
        np.testing.assert_allclose(sess.run(w), [[0.46002537, -0.98273826], [1.8019439, 0.36401853],
                                                 [1.1438625, -0.53922474]], rtol=1e-6)
        np.testing.assert_allclose(sess.run(v), [2.86554, -3.9191422], rtol=1e-6)
        np.testing.assert_array_equal(sess.run(unused), [1.0])
        sess.run(train)
        # TF 2.21.0 after two steps
        np.testing.assert_allclose(sess.run(w), [[0.4198703, -0.9662387], [1.6038216, 0.47773606],
                                                 [0.7877729, -0.32828927]], rtol=1e-6)
        np.testing.assert_allclose(sess.run(v), [2.7311351, -3.838068], rtol=1e-6)
