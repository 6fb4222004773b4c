"""tf.gradients names its nodes as TF1 does, so TensorBoard's graph tab groups them the same way."""
import graphc as tf


def _names(prefix):
    return [op.name for op in tf.get_default_graph().get_operations() if op.name.startswith(prefix)]


def test_gradient_scopes_nest_the_forward_scopes():
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    with tf.name_scope("hidden1"):
        w = tf.Variable(tf.ones([4, 3]), name="weights")
        h = tf.nn.relu(tf.matmul(x, w))
    loss = tf.reduce_mean(h)
    (gw,) = tf.gradients(loss, [w])
    assert gw.name == "gradients/hidden1/MatMul_grad/MatMul_1:0"
    names = _names("gradients/")
    assert names[:3] == ["gradients/Shape", "gradients/grad_ys_0", "gradients/Fill"]
    assert {n.rsplit("/", 1)[0] for n in names[3:]} == {
        "gradients/Mean_grad", "gradients/hidden1/Relu_grad", "gradients/hidden1/MatMul_grad"}


def test_a_second_gradients_call_gets_its_own_scope():
    x = tf.placeholder(tf.float32, [3], name="x")
    with tf.name_scope("layer"):
        y = tf.square(x)
    (g1,) = tf.gradients(y, [x])
    (g2,) = tf.gradients(y, [x], name="grads")
    (g3,) = tf.gradients(y, [x])
    assert g1.op.name.startswith("gradients/layer/Square_grad/")
    assert g2.op.name.startswith("grads/layer/Square_grad/")
    assert g3.op.name.startswith("gradients_1/layer/Square_grad/")


def test_optimizer_gradients_use_the_same_scopes():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    with tf.variable_scope("dense"):
        w = tf.get_variable("w", [2, 1])
        y = tf.matmul(x, w)
    loss = tf.reduce_sum(y)
    tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    assert any(n.startswith("gradients/dense/MatMul_grad/") for n in _names("gradients/"))
