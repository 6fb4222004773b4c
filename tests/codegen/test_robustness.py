"""Valid graphs at the edges (many inputs, empty batches) run on every backend as TF1 does, and
invalid requests (shape-changing assigns, slices past the end, huge feeds, bad names) raise TF1's
errors instead of crashing or silently changing state."""
import numpy as np
import pytest

import graphc as tf
from graphc import errors
from graphc.passes import fusion
from graphc.runtime.session import available_backends

BACKENDS = [b for b in available_backends() if b != "auto"]
COMPILED = [b for b in BACKENDS if b != "eager"]


def _ones(*shape):
    return np.ones(shape, np.float32)


# ------------------------------------------------------------------------------------------------
# ops with more inputs than a fused kernel may read

@pytest.mark.parametrize("backend", COMPILED)
def test_add_n_of_more_terms_than_the_kernel_input_cap(backend):
    n = fusion.MAX_KERNEL_INPUTS + 1
    xs = [tf.placeholder(tf.float32, (4,), name=f"x{i}") for i in range(n)]
    y = tf.add_n(xs)
    feed = {x: _ones(4) * i for i, x in enumerate(xs)}
    got = tf.Session(backend=backend).run(y, feed)
    np.testing.assert_allclose(got, np.full(4, n * (n - 1) / 2, np.float32))


@pytest.mark.parametrize("backend", COMPILED)
def test_concat_and_stack_of_many_computed_tensors(backend):
    x = tf.placeholder(tf.float32, (4,))
    terms = [x * float(i) for i in range(40)]
    fetches = [tf.concat(terms, 0), tf.stack(terms), tf.reduce_sum(tf.add_n(terms))]
    feed = {x: np.arange(4, dtype=np.float32)}
    want = tf.Session(backend="eager").run(fetches, feed)
    got = tf.Session(backend=backend).run(fetches, feed)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-6)


@pytest.mark.parametrize("backend", COMPILED)
def test_regularization_loss_of_a_33_layer_network_trains(backend):
    x = tf.placeholder(tf.float32, (2, 3))
    h = x
    for i in range(33):
        h = tf.layers.dense(h, 3, kernel_regularizer=lambda w: 0.01 * tf.reduce_sum(tf.square(w)),
                            kernel_initializer=tf.constant_initializer(0.1 * (i % 5 + 1)), name=f"d{i}")
    loss = tf.reduce_mean(h) + tf.losses.get_regularization_loss()
    step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    feed = {x: np.arange(6, dtype=np.float32).reshape(2, 3) / 6}
    results = {}
    for b in ("eager", backend):
        with tf.Session(backend=b) as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(step, feed)
            results[b] = sess.run(loss, feed)
    np.testing.assert_allclose(results[backend], results["eager"], rtol=1e-5)


# ------------------------------------------------------------------------------------------------
# empty batches through matmul

@pytest.mark.parametrize("backend", BACKENDS)
def test_matmul_of_an_empty_batch(backend):
    a = tf.placeholder(tf.float32, (None, 3))
    b = tf.placeholder(tf.float32, (3, 2))
    bias = tf.placeholder(tf.float32, (2,))
    y = tf.matmul(a, b)
    fetches = [y, tf.nn.relu(y + bias), tf.gradients(tf.reduce_sum(y), b)[0]]
    got = tf.Session(backend=backend).run(fetches, {a: np.zeros((0, 3), np.float32), b: _ones(3, 2),
                                                    bias: _ones(2)})
    assert got[0].shape == (0, 2) and got[1].shape == (0, 2)
    np.testing.assert_array_equal(got[2], np.zeros((3, 2), np.float32))


@pytest.mark.parametrize("backend", BACKENDS)
def test_matmul_with_an_empty_inner_dimension_is_zeros(backend):
    a = tf.placeholder(tf.float32, (2, None))
    b = tf.placeholder(tf.float32, (None, 3))
    got = tf.Session(backend=backend).run(tf.matmul(a, b) + 1.0, {a: np.zeros((2, 0), np.float32),
                                                                  b: np.zeros((0, 3), np.float32)})
    np.testing.assert_array_equal(got, _ones(2, 3))


@pytest.mark.parametrize("backend", BACKENDS)
def test_batched_matmul_with_static_empty_batch(backend):
    a = tf.placeholder(tf.float32, (0, 2, 3))
    b = tf.placeholder(tf.float32, (0, 3, 4))
    got = tf.Session(backend=backend).run(tf.matmul(a, b), {a: np.zeros((0, 2, 3), np.float32),
                                                            b: np.zeros((0, 3, 4), np.float32)})
    assert got.shape == (0, 2, 4)


# ------------------------------------------------------------------------------------------------
# assigns that would change a variable's shape, slices past the end

@pytest.mark.parametrize("backend", BACKENDS)
def test_assign_of_another_shape_is_rejected_and_changes_nothing(backend):
    v = tf.Variable(np.array([1.0, 2.0], np.float32))
    w = tf.Variable(np.zeros(3, np.float32))
    p = tf.placeholder(tf.float32, (None,))
    step = tf.group(tf.assign(v, p), tf.assign_add(w, tf.ones(3)))
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(errors.InvalidArgumentError, match=r"Assign requires shapes .*\[2\].*\[5\]"):
            sess.run(step, {p: _ones(5)})
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(w), [0.0, 0.0, 0.0])
        sess.run(step, {p: np.array([3.0, 4.0], np.float32)})
        np.testing.assert_array_equal(sess.run(v), [3.0, 4.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_assign_without_validate_shape_may_change_the_shape(backend):
    v = tf.Variable(np.array([1.0, 2.0], np.float32))
    p = tf.placeholder(tf.float32, (None,))
    with tf.Session(backend=backend) as sess:
        sess.run(v.initializer)
        got = sess.run(tf.assign(v, p, validate_shape=False), {p: _ones(5)})
        np.testing.assert_array_equal(got, _ones(5))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("begin,size,bad", [([2], [5], r"size\[0\] in \[0, 2\], but got 5"),
                                             ([6], [-1], r"begin\[0\] in \[0, 4\], but got 6"),
                                             ([-1], [1], r"begin\[0\] in \[0, 4\], but got -1")])
def test_slice_past_the_end_is_an_error(backend, begin, size, bad):
    x = tf.placeholder(tf.float32, (None,))
    y = tf.slice(x, begin, size, name="my_slice")
    with pytest.raises(errors.InvalidArgumentError, match=f"my_slice(.|\n)*{bad}"):
        tf.Session(backend=backend).run(y, {x: np.arange(4, dtype=np.float32)})


@pytest.mark.parametrize("backend", BACKENDS)
def test_slice_within_bounds_and_to_the_end(backend):
    x = tf.placeholder(tf.float32, (None, 3))
    value = np.arange(12, dtype=np.float32).reshape(4, 3)
    got = tf.Session(backend=backend).run([tf.slice(x, [1, 0], [3, -1]), tf.slice(x, [4, 3], [0, 0])], {x: value})
    np.testing.assert_array_equal(got[0], value[1:, :])
    assert got[1].shape == (0, 0)


def test_slice_past_the_end_of_a_static_shape_fails_when_built():
    with pytest.raises(ValueError, match=r"size\[1\] in \[0, 1\], but got 2"):
        tf.slice(tf.zeros([4, 3]), [0, 2], [1, 2])


# ------------------------------------------------------------------------------------------------
# huge shapes, names

@pytest.mark.parametrize("backend", BACKENDS)
def test_a_fed_shape_too_large_to_allocate_is_resource_exhausted(backend):
    s = tf.placeholder(tf.int32, (2,))
    x = tf.placeholder(tf.float32, (None, None))
    huge = [10 ** 6, 10 ** 6]
    sess = tf.Session(backend=backend)
    with pytest.raises(errors.ResourceExhaustedError, match="OOM"):
        sess.run(tf.fill(s, 2.0) + 1.0, {s: huge})
    with pytest.raises(errors.ResourceExhaustedError, match="OOM"):
        sess.run(x * 2.0, {x: np.broadcast_to(np.float32(1), huge)})
    assert sess.run(x * 2.0, {x: _ones(2, 2)}).shape == (2, 2)


@pytest.mark.parametrize("name", ["a\\b", "scope\\x", "ok\n"])
def test_backslashes_and_newlines_are_not_valid_op_names(name):
    with pytest.raises(ValueError, match="not a valid"):
        tf.constant(1.0, name=name)


def test_backslashes_are_not_valid_in_name_scopes():
    with pytest.raises(ValueError, match="not a valid"):
        with tf.name_scope("outer"):
            with tf.name_scope("in\\ner"):
                pass
    assert tf.constant(1.0, name="a-b.c/d>e").op.name == "a-b.c/d>e"


# found by benchmarks/fault_suite.py ------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_conv2d_of_an_empty_batch_is_an_empty_result_with_zero_filter_gradient(backend):
    x = tf.placeholder(tf.float32, [None, 4, 4, 1])
    w = tf.constant(np.ones((3, 3, 1, 2), np.float32))
    y = tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME")
    dx, dw = tf.gradients(tf.reduce_sum(y), [x, w])
    got = tf.Session(backend=backend).run([y, dx, dw], {x: np.zeros((0, 4, 4, 1), np.float32)})
    assert [g.shape for g in got] == [(0, 4, 4, 2), (0, 4, 4, 1), (3, 3, 1, 2)]   # TF1's shapes
    assert not got[2].any()


@pytest.mark.parametrize("backend", BACKENDS)
def test_tile_with_more_multiples_than_dimensions_is_an_error(backend):
    x = tf.placeholder(tf.float32, [None])
    m = tf.placeholder(tf.int32, [None])
    with pytest.raises(errors.InvalidArgumentError):
        tf.Session(backend=backend).run(tf.tile(x, m), {x: [1.0, 2.0], m: [2, 4]})


def test_a_tensor_name_given_as_bytes_is_fetched():
    x = tf.placeholder(tf.float32, [None], name="x")
    tf.identity(x * 2.0, name="z")
    assert tf.Session().run(b"z:0", {x: [1.0, 2.0]}).tolist() == [2.0, 4.0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_pointwise_kernels_keep_ieee_order(backend):
    """(x + c) - d rounds x to an integer and (x * 4) * 0.25 overflows, as in eager mode and TF1:
    a kernel without a reduction is compiled without `reassoc` (fed constants: nothing folds)."""
    x = tf.placeholder(tf.float32, [None])
    c = tf.placeholder(tf.float32, [])
    d = tf.placeholder(tf.float32, [])
    magic = np.float32(1.5 * 2 ** 23)
    sess = tf.Session(backend=backend)
    rounded = sess.run((x + c) - d, {x: np.array([1.3, 2.7, 1e-9], np.float32), c: magic, d: magic})
    assert rounded.tolist() == [1.0, 3.0, 0.0]
    with np.errstate(over="ignore"):
        assert np.isinf(sess.run((x * c) * d, {x: np.array([1e38], np.float32), c: 4.0, d: 0.25})).all()
