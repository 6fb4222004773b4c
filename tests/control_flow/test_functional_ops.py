"""tf.map_fn, tf.scan, tf.foldl, tf.foldr: values, gradients, structures, errors, every backend.

Every expected number below was recorded from TensorFlow 2.21 with ``tf.compat.v1`` (v2
behaviour disabled: TF1's while_loop and TensorArrayV3), never computed with graphc. The float64
numerical gradient checks are in tests/gradcases/functional.py (run on every backend by
test_backend_parity.py).
"""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends
from backend_util import run_compared

COMPILED = [b for b in available_backends() if b not in ("auto", "eager")]
X = np.array([[1., 2.], [3., 4.], [5., 6.]], np.float32)


def run(fetches, feed_dict=None):
    with tf.Session(backend="eager") as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed_dict)


def _basic():
    x = tf.constant(X)
    y = tf.map_fn(lambda r: r * r + 1., x)
    s = tf.scan(lambda a, r: a + r, x)
    fl = tf.foldl(lambda a, r: a * r, x)
    fr = tf.foldr(lambda a, r: a - r, x, initializer=tf.zeros([2]))
    g = tf.gradients(tf.reduce_sum(y) + tf.reduce_sum(s * s) + tf.reduce_sum(fl) + tf.reduce_sum(fr), x)[0]
    return [y, s, fl, fr, g]


def test_map_scan_foldl_foldr_values_and_gradient():
    y, s, fl, fr, g = run(_basic())
    np.testing.assert_array_equal(y, [[2., 5.], [10., 17.], [26., 37.]])
    np.testing.assert_array_equal(s, [[1., 2.], [4., 6.], [9., 12.]])
    np.testing.assert_array_equal(fl, [15., 48.])
    np.testing.assert_array_equal(fr, [-9., -12.])
    np.testing.assert_allclose(g, [[44., 67.], [36., 55.], [30., 43.]])


def test_static_shapes():
    x = tf.constant(X)
    assert tf.map_fn(lambda r: r * 2., x).shape.as_list() == [3, 2]
    assert tf.map_fn(lambda r: tf.reduce_sum(r), x).shape.as_list() == [3]
    p = tf.placeholder(tf.float32, [None, 2])
    y = tf.map_fn(lambda r: tf.reduce_sum(r), p)
    assert y.shape.as_list() == [None]
    assert tf.scan(lambda a, r: a + r, p).shape.as_list() == [None, 2]
    np.testing.assert_array_equal(run(y, {p: X}), [3., 7., 11.])


def test_map_fn_nested_elems_and_a_dtype_structure():
    x = tf.constant(X)
    k = tf.constant([1, 2, 3])
    out = tf.map_fn(lambda e: {"s": tf.reduce_sum(e[0]) * tf.cast(e[1], tf.float32), "i": e[1] * 2,
                               "p": (e[0][0], e[0] * 2.)},
                    (x, k), dtype={"s": tf.float32, "i": tf.int32, "p": (tf.float32, tf.float32)})
    loss = tf.reduce_sum(out["s"]) + tf.reduce_sum(out["p"][1] * out["p"][1]) + tf.reduce_sum(out["p"][0])
    got, g = run([out, tf.gradients(loss, x)[0]])
    np.testing.assert_array_equal(got["s"], [3., 14., 33.])
    np.testing.assert_array_equal(got["i"], [2, 4, 6])
    np.testing.assert_array_equal(got["p"][0], [1., 3., 5.])
    np.testing.assert_array_equal(got["p"][1], [[2., 4.], [6., 8.], [10., 12.]])
    np.testing.assert_allclose(g, [[10., 17.], [27., 34.], [44., 51.]])
    ints = tf.map_fn(lambda e: tf.cast(e, tf.int32), tf.constant([1.5, 2.5]), dtype=tf.int32)
    np.testing.assert_array_equal(run(ints), [1, 2])


def test_scan_nested_initializer_and_reverse():
    x = tf.constant(X)
    a = tf.scan(lambda acc, r: (acc[0] + r, acc[1] * tf.reduce_sum(r)), x,
                initializer=(tf.zeros([2]), tf.constant(1.)))
    b = tf.scan(lambda acc, r: acc * 0.5 + r, x, reverse=True)
    c = tf.scan(lambda acc, r: acc * 0.5 + r, x, initializer=tf.ones([2]), reverse=True)
    loss = (tf.reduce_sum(a[0]) + tf.reduce_sum(a[1]) + tf.reduce_sum(b * b)
            + tf.reduce_sum(c * tf.constant([1., -1.])))
    got_a, got_b, got_c, g = run([a, b, c, tf.gradients(loss, x)[0]])
    np.testing.assert_array_equal(got_a[0], [[1., 2.], [4., 6.], [9., 12.]])
    np.testing.assert_array_equal(got_a[1], [3., 21., 231.])
    np.testing.assert_array_equal(got_b, [[3.75, 5.5], [5.5, 7.], [5., 6.]])
    np.testing.assert_array_equal(got_c, [[3.875, 5.625], [5.75, 7.25], [5.5, 6.5]])
    np.testing.assert_allclose(g, [[96.5, 98.], [54.25, 56.], [41.125, 42.]])


def test_folds_nested_and_with_initializers():
    x = tf.constant(X)
    y = tf.constant([0.5, -1., 2.])
    a = tf.foldl(lambda acc, e: acc + e[0] * e[1], (x, y), initializer=tf.zeros([2]))
    b = tf.foldr(lambda acc, r: acc * r + 1., x)
    c = tf.foldl(lambda acc, r: acc * 2. + r, y)
    d = tf.foldr(lambda acc, e: {"a": acc["a"] + e["u"], "b": acc["b"] * e["v"]}, {"u": y, "v": y + 2.},
                 initializer={"a": tf.constant(0.), "b": tf.constant(1.)})
    grads = tf.gradients(tf.reduce_sum(a) + tf.reduce_sum(b) + c + d["a"] + d["b"], [x, y])
    got = run([a, b, c, d, grads])
    np.testing.assert_array_equal(got[0], [7.5, 9.])
    np.testing.assert_array_equal(got[1], [17., 51.])
    np.testing.assert_array_equal(got[2], 2.0)
    assert got[3] == {"a": 1.5, "b": 10.0}
    np.testing.assert_allclose(got[4][0], [[16.5, 25.5], [4., 11.], [5., 10.]])
    np.testing.assert_allclose(got[4][1], [12., 20., 15.5])


def test_scan_over_a_captured_variable_trains_like_tf1():
    w = tf.get_variable("w", initializer=tf.constant([[0.5, -0.2], [0.3, 0.8]]))
    x = tf.constant(X)
    h = tf.scan(lambda hprev, r: tf.tanh(tf.matmul(hprev[None], w)[0] + r), x, initializer=tf.zeros([2]))
    loss = tf.reduce_sum(h * h)
    got_h, got_loss, (gw, gx) = run([h, loss, tf.gradients(loss, [w, x])])
    np.testing.assert_allclose(got_h, [[0.7615942, 0.9640276], [0.9987027, 0.9998054], [0.99998176, 0.9999961]],
                               rtol=1e-6)
    np.testing.assert_allclose(got_loss, 5.5063486, rtol=1e-6)
    # 1 - tanh(h)^2 cancels near |h| = 1 in float32: the absolute tolerance is that rounding's size
    np.testing.assert_allclose(gw, [[0.00401731, 0.00060813], [0.00506583, 0.00076568]], rtol=1e-4, atol=2e-6)
    np.testing.assert_allclose(gx, [[6.4072222e-01, 1.3637243e-01], [5.1792017e-03, 7.7817932e-04],
                                    [7.2954754e-05, 1.5497148e-05]], rtol=1e-4, atol=2e-6)


def test_empty_elems_and_a_fed_length():
    out = run(tf.map_fn(lambda e: e * 2., tf.zeros([0, 3])))
    assert out.shape == (0, 3) and out.dtype == np.float32
    p = tf.placeholder(tf.float32, [None])
    y = tf.map_fn(lambda e: e * e, p)
    np.testing.assert_array_equal(run(y, {p: [1., 2., 3.]}), [1., 4., 9.])
    np.testing.assert_array_equal(run(tf.foldl(lambda a, e: a + e, p, initializer=tf.constant(10.)), {p: []}), 10.)


def test_errors():
    with pytest.raises(ValueError, match="Elements in elems must be 1\\+ dimensional Tensors, not scalars"):
        tf.map_fn(lambda r: r, tf.constant(1.))
    with pytest.raises(ValueError, match="Elements in elems must be 1\\+ dimensional Tensors, not scalars"):
        tf.map_fn(lambda r: r, (tf.constant(1.), tf.constant(2.)))
    with pytest.raises(TypeError, match="fn must be callable"):
        tf.map_fn(1, tf.constant([1.]))
    with pytest.raises(TypeError, match="fn must be callable"):
        tf.scan(None, tf.constant([1.]))
    with pytest.raises(ValueError, match="same nested structure"):
        tf.map_fn(lambda e: e[0], (tf.constant([1.]), tf.constant([2.])))
    with pytest.raises(ValueError, match="same nested structure"):
        tf.scan(lambda a, e: (a, a), tf.constant([1.]))
    with pytest.raises(TypeError, match="has dtype float32, but write was given .* int32"):
        tf.map_fn(lambda e: tf.cast(e, tf.int32), tf.constant([1.5, 2.5]))


@pytest.mark.parametrize("backend", COMPILED)
def test_backends_match_eager(backend):
    p = tf.placeholder(tf.float32, [3, 2])
    w = tf.constant([[0.5, -0.2], [0.3, 0.8]])
    mapped = tf.map_fn(lambda e: (tf.exp(e[0]) * e[1], tf.reduce_sum(e[0])), (p, p * 2.),
                       dtype=(tf.float32, tf.float32))
    scanned = tf.scan(lambda h, r: tf.tanh(tf.matmul(h[None], w)[0] + r), p, initializer=tf.zeros([2]),
                      reverse=True)
    folded = tf.foldr(lambda a, r: a * r + 1., p)
    loss = tf.reduce_sum(mapped[0]) + tf.reduce_sum(mapped[1]) + tf.reduce_sum(scanned) + tf.reduce_sum(folded)
    fetches = [mapped[0], mapped[1], scanned, folded] + tf.gradients(loss, [p])
    run_compared(tf.Session(backend="eager"), tf.Session(backend=backend), fetches, {p: X * 0.1}, backend)


def test_nested_map_fn_with_gradient():
    x = tf.constant([[1., 2.], [3., 4.]])
    y = tf.map_fn(lambda row: tf.map_fn(lambda v: v * v * row[0], row), x)
    got, g = run([y, tf.gradients(tf.reduce_sum(y), x)[0]])
    np.testing.assert_array_equal(got, [[1., 4.], [27., 48.]])
    np.testing.assert_array_equal(g, [[7., 4.], [43., 24.]])


def test_map_fn_without_shape_inference_keeps_its_gradient():
    x = tf.constant(X)
    y = tf.map_fn(lambda r: tf.sin(r), x, infer_shape=False)
    got, g = run([y, tf.gradients(tf.reduce_sum(y), x)[0]])
    np.testing.assert_allclose(got, np.sin(X), rtol=1e-6)
    np.testing.assert_allclose(g, np.cos(X), rtol=1e-6)
