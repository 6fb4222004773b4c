"""tf.nn and tf.losses: forward values against numpy, TF1 reference numbers, shapes, names, errors.

Reference numbers marked "TF1" were recorded with TensorFlow's compat.v1 API.
"""
import numpy as np
import pytest

import graphc as tf

FLOATS = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}

X = np.array([[1.0, -2.0, 0.5, 3.0], [0.0, 6.0, -1.0, 7.5], [-0.3, 0.2, 5.9, -6.1]])
LABEL_PROBS = np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.0, 0.0, 0.5], [0.25, 0.25, 0.25, 0.25]])
SPARSE = np.array([3, 0, 2])


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def np_log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def eval_on_partial(fn, dtype, *values):
    """Builds fn on placeholders whose first dim is None; returns (result tensor, value)."""
    phs = [tf.placeholder(tf.as_dtype(np.asarray(v).dtype), [None] + list(np.shape(v)[1:])) for v in values]
    y = fn(*phs)
    return y, run(y, dict(zip(phs, values)))


# ------------------------------------------------------------------------------------------------
# activations and the softmax family: value, dtype and static shape for partial shapes

ELEMENTWISE = {
    "relu": (tf.nn.relu, lambda x: np.maximum(x, 0)),
    "relu6": (tf.nn.relu6, lambda x: np.minimum(np.maximum(x, 0), 6)),
    "leaky_relu": (tf.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    "leaky_relu_alpha": (lambda x: tf.nn.leaky_relu(x, alpha=0.01), lambda x: np.where(x > 0, x, 0.01 * x)),
    "elu": (tf.nn.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    "softplus": (tf.nn.softplus, lambda x: np.log(1 + np.exp(x))),
    "softsign": (tf.nn.softsign, lambda x: x / (1 + np.abs(x))),
    "sigmoid": (tf.nn.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    "tanh": (tf.nn.tanh, np.tanh),
    "softmax": (tf.nn.softmax, lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)),
    "log_softmax": (tf.nn.log_softmax, lambda x: x - np.log(np.exp(x).sum(axis=-1, keepdims=True))),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("fn_name", sorted(ELEMENTWISE))
def test_activation_matches_numpy_on_partial_shape(fn_name, dtype):
    fn, ref = ELEMENTWISE[fn_name]
    x = X.astype(dtype)
    y, value = eval_on_partial(fn, dtype, x)
    assert y.dtype == tf.as_dtype(dtype)
    assert y.shape.as_list() == [None, 4]
    assert value.dtype == dtype
    np.testing.assert_allclose(value, ref(X).astype(dtype), **TOL[dtype])


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_other_axes_and_dim_alias(dtype):
    x = X.astype(dtype)
    col = np.exp(X) / np.exp(X).sum(axis=0, keepdims=True)
    a, b, c = run([tf.nn.softmax(x, axis=0), tf.nn.softmax(x, dim=0), tf.nn.log_softmax(x, axis=-2)])
    np.testing.assert_allclose(a, col, **TOL[dtype])
    np.testing.assert_allclose(b, col, **TOL[dtype])
    np.testing.assert_allclose(c, np.log(col), **TOL[dtype])


def test_softmax_of_unknown_rank_uses_the_last_axis():
    x = tf.placeholder(tf.float64)
    y = tf.nn.softmax(x)
    assert y.shape.ndims is None
    value = run(y, {x: X[None]})
    np.testing.assert_allclose(value[0], np.exp(X) / np.exp(X).sum(axis=1, keepdims=True), rtol=1e-12)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_and_log_softmax_are_stable_for_huge_logits(dtype):
    big = np.array([[1000.0, 0.0, -1000.0], [-1e4, -1e4 + 1, -1e4 + 2]], dtype)
    sm, lsm = run([tf.nn.softmax(big), tf.nn.log_softmax(big)])
    assert np.all(np.isfinite(sm)) and np.all(np.isfinite(lsm))
    np.testing.assert_allclose(sm[0], [1.0, 0.0, 0.0], atol=1e-30)
    np.testing.assert_allclose(lsm[0], [0.0, -1000.0, -2000.0], rtol=1e-6)
    row = np.array([0.0, 1.0, 2.0])
    np.testing.assert_allclose(lsm[1], row - np.log(np.exp(row).sum()), rtol=1e-6)


def test_log_softmax_float32_tf1_numbers():
    # TF1: tf.nn.log_softmax on float32 [[1,-2,.5,3],[0,0,-1,100]]
    x = np.array([[1.0, -2.0, 0.5, 3.0], [0.0, 0.0, -1.0, 100.0]], np.float32)
    expected = np.array([[-2.2022536, -5.2022533, -2.7022536, -0.20225349], [-100.0, -100.0, -101.0, 0.0]],
                        np.float32)
    np.testing.assert_allclose(run(tf.nn.log_softmax(x)), expected, rtol=1e-6)


def test_relu6_and_leaky_relu_keep_and_convert_integer_dtypes():
    r6, lr = run([tf.nn.relu6(tf.constant([1, 7, -3])), tf.nn.leaky_relu(tf.constant([1, -5]))])
    assert r6.dtype == np.int32 and list(r6) == [1, 6, 0]
    assert lr.dtype == np.float32  # TF1 casts integer features to float32
    np.testing.assert_allclose(lr, [1.0, -1.0])


def test_activation_gradients_at_the_kinks_follow_tf1():
    x = tf.constant([0.0, 6.0, 3.0, -1.0], tf.float64)
    g6, glr = run([tf.gradients(tf.nn.relu6(x), x)[0], tf.gradients(tf.nn.leaky_relu(x, 0.3), x)[0]])
    np.testing.assert_array_equal(g6, [0.0, 0.0, 1.0, 0.0])
    np.testing.assert_allclose(glr, [0.3, 1.0, 1.0, 0.3])


@pytest.mark.parametrize("fn", [tf.nn.softmax, tf.nn.log_softmax, tf.nn.softsign, tf.nn.l2_loss])
def test_float_only_functions_reject_integer_tensors(fn):
    with pytest.raises(TypeError, match="float"):
        fn(tf.constant([1, 2]))


def test_softmax_axis_errors():
    with pytest.raises(ValueError, match="axis"):
        tf.nn.softmax(tf.constant(X), axis=2)
    with pytest.raises(ValueError, match="scalar"):
        tf.nn.softmax(tf.constant(1.0))
    with pytest.raises(ValueError, match="both"):
        tf.nn.softmax(tf.constant(X), axis=0, dim=0)


def test_default_and_given_names_follow_tf1():
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    lab = tf.placeholder(tf.float32, [None, 4], name="lab")
    ids = tf.placeholder(tf.int32, [None], name="ids")
    names = [t.name for t in [
        tf.nn.relu6(x), tf.nn.leaky_relu(x), tf.nn.softsign(x), tf.nn.softmax(x), tf.nn.log_softmax(x),
        tf.nn.bias_add(x, np.ones(4, np.float32)), tf.nn.l2_loss(x),
        tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=x),
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=x),
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids, logits=x),
        tf.nn.sigmoid_cross_entropy_with_logits(labels=lab, logits=x),
        tf.nn.softmax(x, name="sm"), tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids, logits=x, name="xent"),
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=x, name="loss"),
        tf.nn.sigmoid_cross_entropy_with_logits(labels=lab, logits=x, name="sx")]]
    assert names == [
        "Relu6:0", "LeakyRelu:0", "Softsign:0", "Softmax:0", "LogSoftmax:0", "BiasAdd:0", "L2Loss:0",
        "softmax_cross_entropy_with_logits_sg/Reshape_2:0", "softmax_cross_entropy_with_logits/Reshape_2:0",
        "SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits:0", "logistic_loss:0",
        "sm:0", "xent/xent:0", "loss/Reshape_2:0", "sx:0"]


# ------------------------------------------------------------------------------------------------
# bias_add and l2_loss

@pytest.mark.parametrize("dtype", FLOATS)
def test_bias_add_nhwc_on_partial_shape(dtype):
    b = np.array([0.5, -1.0, 2.0, 0.25], dtype)
    y, value = eval_on_partial(lambda v: tf.nn.bias_add(v, b), dtype, X.astype(dtype))
    assert y.shape.as_list() == [None, 4] and value.dtype == dtype
    np.testing.assert_allclose(value, (X + b).astype(dtype), **TOL[dtype])


def test_bias_add_nchw_adds_along_dim_1():
    x = np.arange(2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)
    b = np.array([1.0, 10.0, 100.0], np.float32)
    value = run(tf.nn.bias_add(x, b, data_format="NCHW"))
    np.testing.assert_array_equal(value, x + b[None, :, None, None])


def test_bias_add_errors():
    x = tf.placeholder(tf.float64, [None, 4])
    with pytest.raises(ValueError, match="must be equal"):
        tf.nn.bias_add(x, np.ones(3))
    with pytest.raises(ValueError, match="rank 1"):
        tf.nn.bias_add(x, np.ones((1, 4)))
    with pytest.raises(ValueError, match="at least rank 2"):
        tf.nn.bias_add(tf.constant(np.ones(4)), np.ones(4))
    with pytest.raises(TypeError, match="float32"):
        tf.nn.bias_add(x, tf.constant(np.ones(4, np.float32)))
    with pytest.raises(ValueError, match="data_format"):
        tf.nn.bias_add(x, np.ones(4), data_format="NWC")
    with pytest.raises(ValueError, match="must be equal"):
        tf.nn.bias_add(tf.placeholder(tf.float32, [None, 3, 5, 5]), np.ones(5, np.float32), data_format="NCHW")


@pytest.mark.parametrize("dtype", FLOATS)
def test_l2_loss_is_half_the_sum_of_squares(dtype):
    y, value = eval_on_partial(tf.nn.l2_loss, dtype, X.astype(dtype))
    assert y.shape.as_list() == [] and value.dtype == dtype
    np.testing.assert_allclose(value, (X ** 2).sum() / 2, **TOL[dtype])


# ------------------------------------------------------------------------------------------------
# cross-entropies

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("fn", [tf.nn.softmax_cross_entropy_with_logits, tf.nn.softmax_cross_entropy_with_logits_v2])
def test_softmax_cross_entropy_matches_numpy(fn, dtype):
    y, value = eval_on_partial(lambda lab, x: fn(labels=lab, logits=x), dtype,
                               LABEL_PROBS.astype(dtype), X.astype(dtype))
    assert y.shape.as_list() == [None] and value.dtype == dtype
    np.testing.assert_allclose(value, -(LABEL_PROBS * np_log_softmax(X)).sum(axis=1), **TOL[dtype])


def test_softmax_cross_entropy_along_axis_0():
    value = run(tf.nn.softmax_cross_entropy_with_logits_v2(labels=LABEL_PROBS.T, logits=X.T, axis=0))
    np.testing.assert_allclose(value, -(LABEL_PROBS * np_log_softmax(X)).sum(axis=1), rtol=1e-12)


def test_softmax_cross_entropy_v2_tf1_numbers_and_gradients():
    # TF1: labels/logits below (the second row's labels sum to 1.5, huge logit 100)
    x = tf.constant([[1.0, -2.0, 0.5, 3.0], [0.0, 0.0, -1.0, 100.0]], tf.float64)
    lab = tf.constant([[0.1, 0.2, 0.3, 0.4], [0.5, 0.0, 0.0, 1.0]], tf.float64)
    loss = tf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=x)
    value, (g_logits, g_labels) = run([loss, tf.gradients(loss, [x, lab])])
    np.testing.assert_allclose(value, [2.152253447679352, 50.0], rtol=1e-14)
    np.testing.assert_allclose(g_labels, [[2.2022534476793516, 5.202253447679352, 2.7022534476793516,
                                           0.20225344767935172], [100.0, 100.0, 101.0, 0.0]], rtol=1e-14)
    # a row that is a distribution has TF1's logits gradient softmax - labels
    np.testing.assert_allclose(g_logits[0], [1.0553750361739209e-02, -1.9449585287241633e-01,
                                             -2.3294576085938851e-01, 4.1688786337006567e-01], rtol=1e-12)


def test_softmax_cross_entropy_v1_sends_no_gradient_into_labels():
    x = tf.constant(X)
    lab = tf.constant(LABEL_PROBS)
    g_logits, g_labels = tf.gradients(tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=x), [x, lab])
    assert g_labels is None
    np.testing.assert_allclose(run(g_logits), np.exp(np_log_softmax(X)) - LABEL_PROBS, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("dtype", FLOATS)
def test_sparse_softmax_cross_entropy_matches_numpy(dtype, label_dtype):
    y, value = eval_on_partial(
        lambda ids, x: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids, logits=x), dtype,
        SPARSE.astype(label_dtype), X.astype(dtype))
    assert y.shape.as_list() == [None] and value.dtype == dtype
    np.testing.assert_allclose(value, -np_log_softmax(X)[np.arange(3), SPARSE], **TOL[dtype])


def test_sparse_softmax_cross_entropy_tf1_numbers_and_gradient():
    # TF1: labels [3, 0], logits [[1,-2,.5,3],[0,0,-1,100]]
    xv = np.array([[1.0, -2.0, 0.5, 3.0], [0.0, 0.0, -1.0, 100.0]])
    x = tf.constant(xv)
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[3, 0], logits=x)
    loss32 = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=np.array([3, 0], np.int64),
                                                            logits=xv.astype(np.float32))
    value, value32, grad = run([loss, loss32, tf.gradients(loss, x)[0]])
    np.testing.assert_allclose(value, [0.20225344767935172, 100.0], rtol=1e-14)
    np.testing.assert_allclose(value32, np.array([0.20225349, 100.0], np.float32), rtol=1e-6)
    np.testing.assert_allclose(grad, [[1.1055375036173921e-01, 5.5041471275836728e-03, 6.7054239140611469e-02,
                                       -1.8311213662993431e-01], [-1.0, 3.7200759760208356e-44,
                                                                  1.3685394711738529e-44, 1.0]],
                               rtol=1e-12, atol=1e-300)


def test_sparse_softmax_cross_entropy_higher_rank_and_scalar_label():
    x3 = np.stack([X, X[::-1]])
    ids = np.array([[3, 0, 2], [1, 1, 0]])
    value = run(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids, logits=x3))
    np.testing.assert_allclose(value, -np.take_along_axis(np_log_softmax(x3), ids[..., None], -1)[..., 0],
                               rtol=1e-12)
    scalar = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=2, logits=X[0])
    assert scalar.shape.as_list() == []
    np.testing.assert_allclose(run(scalar), -np_log_softmax(X[0])[2], rtol=1e-12)


def test_sparse_softmax_cross_entropy_rejects_out_of_range_labels_at_run_time():
    ids = tf.placeholder(tf.int32, [None])
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids, logits=X)
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside the valid range of \\[0, 4\\)"):
        run(loss, {ids: [4, 0, -1]})


def test_sparse_softmax_cross_entropy_build_errors():
    x = tf.placeholder(tf.float32, [None, 4])
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1.0, 2.0], logits=x)
    with pytest.raises(ValueError, match="without its last dimension"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1, 2, 3], logits=X[:2])
    with pytest.raises(ValueError, match="rank"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[[1], [2]], logits=x)
    with pytest.raises(TypeError, match="float"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1, 2], logits=[[1, 2], [3, 4]])


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_cross_entropy_matches_numpy(dtype):
    z = (LABEL_PROBS * 2).astype(dtype)
    y, value = eval_on_partial(lambda lab, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=lab, logits=x),
                               dtype, z, X.astype(dtype))
    assert y.shape.as_list() == [None, 4] and value.dtype == dtype
    sig = 1 / (1 + np.exp(-X))
    np.testing.assert_allclose(value, -(2 * LABEL_PROBS) * np.log(sig) - (1 - 2 * LABEL_PROBS) * np.log(1 - sig),
                               **{k: v * 10 for k, v in TOL[dtype].items()})


def test_sigmoid_cross_entropy_tf1_numbers_and_gradient_at_zero():
    # TF1: stable for |x| = 50, and the gradient at x = 0 is sigmoid(0) - z
    z = np.array([0.0, 1.0, 0.3, 0.0, 1.0, 0.5])
    xv = np.array([0.0, 0.0, -3.0, 50.0, -50.0, 2.5])
    x = tf.constant(xv)
    loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)
    loss32 = tf.nn.sigmoid_cross_entropy_with_logits(labels=z.astype(np.float32), logits=xv.astype(np.float32))
    value, value32, grad = run([loss, loss32, tf.gradients(loss, x)[0]])
    expected = [0.6931471805599453, 0.6931471805599453, 0.948587351573742, 50.0, 50.0, 1.3288897342925496]
    np.testing.assert_allclose(value, expected, rtol=1e-14)
    np.testing.assert_allclose(value32, np.array(expected, np.float32), rtol=1e-6)
    np.testing.assert_allclose(grad, [0.5, -0.5, -0.2525741268224332, 1.0, -1.0, 0.42414181997875644], rtol=1e-14)


def test_cross_entropy_shape_and_dtype_errors():
    x = tf.placeholder(tf.float64, [None, 4])
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=np.ones((2, 3)), logits=x)
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=np.ones((2, 3)), logits=x)
    with pytest.raises(TypeError, match="float32"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant(np.ones((2, 4), np.float32)), logits=x)
    with pytest.raises(TypeError, match="float"):
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=[[0, 1]], logits=[[1, 2]])


@pytest.mark.parametrize("fn", [tf.nn.softmax_cross_entropy_with_logits, tf.nn.sparse_softmax_cross_entropy_with_logits,
                                tf.nn.sigmoid_cross_entropy_with_logits])
def test_v1_cross_entropies_need_named_arguments(fn):
    with pytest.raises(ValueError, match="named arguments"):
        fn(np.ones((2, 3)), np.ones((2, 3)))


# ------------------------------------------------------------------------------------------------
# tf.losses (TF1 numbers; losses compute in float32, as TF1 does)

PRED = np.array([[1.1, 2.2, 3.3], [4.4, 5.5, 6.6]])
TRUE = np.array([[1.0, 2.0, 3.1], [4.0, 5.0, 6.1]])
R = tf.losses.Reduction
# TF1: mean_squared_error(TRUE, PRED, weights=w, reduction=r) for each weights and reduction
MSE_TF1 = {
    (2.0, R.NONE): [[0.02000001, 0.08000004, 0.08000004], [0.32000014, 0.5, 0.5]],
    (2.0, R.SUM): 1.5000002, (2.0, R.MEAN): 0.12500001, (2.0, R.SUM_OVER_BATCH_SIZE): 0.25000003,
    (2.0, R.SUM_BY_NONZERO_WEIGHTS): 0.25000003,
    (0.0, R.SUM_BY_NONZERO_WEIGHTS): 0.0, (0.0, R.MEAN): 0.0,
    ("col", R.SUM): 1.3200002, ("col", R.MEAN): 0.22000003, ("col", R.SUM_OVER_BATCH_SIZE): 0.22000003,
    ("col", R.SUM_BY_NONZERO_WEIGHTS): 0.44000006,
    ("row", R.NONE): [[0.01, 0.0, 0.12000005], [0.16000007, 0.0, 0.75]],
    ("row", R.MEAN): 0.13000003, ("row", R.SUM_OVER_BATCH_SIZE): 0.17333336,
    ("row", R.SUM_BY_NONZERO_WEIGHTS): 0.26000005,
    ("full", R.SUM): 0.635, ("full", R.MEAN): 0.18142857, ("full", R.SUM_OVER_BATCH_SIZE): 0.10583333,
    ("full", R.SUM_BY_NONZERO_WEIGHTS): 0.21166666,
}
WEIGHTS = {2.0: 2.0, 0.0: 0.0, "col": [[0.0], [2.0]], "row": [[1.0, 0.0, 3.0]], "full": [[1, 0, 0], [0, 2, 0.5]]}


@pytest.mark.parametrize("key", sorted(MSE_TF1, key=str), ids=str)
def test_mean_squared_error_weights_and_reductions_match_tf1(key):
    weights, reduction = key
    p = tf.placeholder(tf.float64, [None, 3])
    loss = tf.losses.mean_squared_error(TRUE, p, weights=WEIGHTS[weights], reduction=reduction)
    assert loss.dtype == tf.float32
    value = run(loss, {p: PRED})
    np.testing.assert_allclose(value, np.array(MSE_TF1[key], np.float32), rtol=1e-6)


def test_mean_squared_error_default_is_the_mean_and_is_collected():
    loss = tf.losses.mean_squared_error(TRUE, PRED)
    assert loss.name == "mean_squared_error/value:0"
    assert tf.losses.get_losses() == [loss] and tf.get_collection(tf.GraphKeys.LOSSES) == [loss]
    np.testing.assert_allclose(run(loss), np.float32(np.mean((PRED - TRUE) ** 2)), rtol=1e-6)
    other = tf.losses.mean_squared_error(TRUE, PRED, loss_collection=None)
    assert tf.losses.get_losses() == [loss] and other.name == "mean_squared_error_1/value:0"


def test_losses_names_per_reduction_follow_tf1():
    names = [tf.losses.mean_squared_error(TRUE, PRED, reduction=r).name
             for r in (R.NONE, R.SUM, R.MEAN, R.SUM_OVER_BATCH_SIZE, R.SUM_BY_NONZERO_WEIGHTS)]
    assert names == ["mean_squared_error/Mul:0", "mean_squared_error_1/Sum:0", "mean_squared_error_2/value:0",
                     "mean_squared_error_3/value:0", "mean_squared_error_4/value:0"]


def test_reduction_constants_and_errors():
    assert (R.NONE, R.SUM, R.MEAN, R.SUM_OVER_BATCH_SIZE, R.SUM_BY_NONZERO_WEIGHTS) == (
        "none", "weighted_sum", "weighted_mean", "weighted_sum_over_batch_size", "weighted_sum_by_nonzero_weights")
    assert R.SUM_OVER_NONZERO_WEIGHTS == R.SUM_BY_NONZERO_WEIGHTS
    with pytest.raises(ValueError, match="Reduction"):
        tf.losses.mean_squared_error(TRUE, PRED, reduction="average")


@pytest.mark.parametrize("weights,match", [(np.ones((3, 3)), "Mismatch at dim 0"), (np.ones(3), "weights.rank=1"),
                                           (np.ones(2), "weights.rank=1")])
def test_weights_that_cannot_broadcast_are_rejected(weights, match):
    with pytest.raises(ValueError, match=match):
        tf.losses.mean_squared_error(TRUE, PRED, weights=weights)


def test_mean_squared_error_shape_mismatch_and_missing_labels():
    with pytest.raises(ValueError, match="incompatible"):
        tf.losses.mean_squared_error(TRUE, np.ones((2, 4)))
    with pytest.raises(ValueError, match="labels must not be None"):
        tf.losses.mean_squared_error(None, PRED)


def test_cross_entropy_losses_match_tf1():
    x = np.array([[1.0, -2.0, 0.5, 3.0], [0.0, 0.5, -1.0, 2.0], [0.3, 0.2, 0.1, 0.0]], np.float32)
    onehot = np.array([[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]], np.float32)
    sparse = np.array([3, 0, 1], np.int64)
    multi = np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 0, 0]], np.float32)
    losses = [
        tf.losses.softmax_cross_entropy(onehot, x),
        tf.losses.softmax_cross_entropy(onehot, x, weights=[1.0, 0.0, 2.0], label_smoothing=0.1),
        tf.losses.sparse_softmax_cross_entropy(sparse, x),
        tf.losses.sparse_softmax_cross_entropy(sparse[:, None], x, weights=[1.0, 0.5, 0.0]),
        tf.losses.sigmoid_cross_entropy(multi, x),
        tf.losses.sigmoid_cross_entropy(multi, x, weights=2.0, label_smoothing=0.2, reduction=R.SUM),
        tf.losses.absolute_difference(multi, x),
    ]
    as64 = tf.losses.softmax_cross_entropy(onehot, x.astype(np.float64))
    assert [t.name for t in losses[:2]] == ["softmax_cross_entropy_loss/value:0",
                                            "softmax_cross_entropy_loss_1/value:0"]
    assert losses[5].name == "sigmoid_cross_entropy_loss_1/Sum:0" and as64.dtype == tf.float64
    expected = [1.2957128, 1.5674123, 1.2957128, 0.6867141, 0.8050255, 19.60061, 0.8833334]  # TF1
    np.testing.assert_allclose(run(losses), np.array(expected, np.float32), rtol=2e-6)
    # TF1 weights in float32 even for float64 logits
    np.testing.assert_allclose(run(as64), 1.2957128286361694, rtol=1e-15)
    assert len(tf.losses.get_losses()) == 8


def test_softmax_cross_entropy_loss_gradient_matches_tf1():
    x = tf.constant(np.array([[1.0, -2.0, 0.5, 3.0], [0.0, 0.5, -1.0, 2.0], [0.3, 0.2, 0.1, 0.0]], np.float32))
    onehot = np.array([[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]], np.float32)
    grad = run(tf.gradients(tf.losses.softmax_cross_entropy(onehot, x), x)[0])
    expected = [[0.03685125, 0.0018347156, 0.022351412, -0.061037403],  # TF1
                [-0.30129948, 0.05281491, 0.011784598, 0.23669998],
                [0.09621714, -0.24627247, 0.07877593, 0.07127941]]
    np.testing.assert_allclose(grad, np.array(expected, np.float32), rtol=2e-6, atol=1e-8)


def test_total_and_regularization_losses():
    assert tf.losses.get_regularization_loss().name == "Const:0"
    with pytest.raises(ValueError, match="no losses"):
        tf.losses.get_total_loss()
    a = tf.losses.mean_squared_error(TRUE, PRED)
    single = tf.losses.get_total_loss()
    assert single.name == "total_loss:0"
    b = tf.losses.absolute_difference(TRUE, PRED, scope="l1")
    assert b.name == "l1/value:0" and tf.losses.get_losses(scope="l1") == [b]
    reg = tf.constant(0.5)
    tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, reg)
    total, without_reg, reg_total = tf.losses.get_total_loss(), tf.losses.get_total_loss(False), \
        tf.losses.get_regularization_loss()
    va, vb, vt, vw, vr, vs = run([a, b, total, without_reg, reg_total, single])
    np.testing.assert_allclose(vt, va + vb + 0.5, rtol=1e-6)
    np.testing.assert_allclose(vw, va + vb, rtol=1e-6)
    assert vr == np.float32(0.5) and vs == va
