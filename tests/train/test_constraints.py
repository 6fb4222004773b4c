"""Weight constraints (``kernel_constraint``/``bias_constraint`` of tf.layers, ``tf.get_variable(
constraint=...)``, a ``variable_scope``'s ``constraint``): TF1's optimizers assign
``constraint(var)`` after each update (graphc/train/optimizer.py).

EXPECTED was recorded from TF 2.21 ``tf.compat.v1`` (graph mode, tf-keras with
TF_USE_LEGACY_KERAS=1, CPU) by running ``train`` below with ``t = tf.compat.v1``; never computed by
graphc.
"""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

X = np.array([[1., -2., 0.5], [0.3, 0.8, -1.2], [2., 1., 1.]], np.float32)
Y = np.array([[1., 0.], [0., 1.], [1., 1.]], np.float32)
K0 = np.array([[0.5, -0.4], [0.3, 0.9], [-0.7, 0.2]], np.float32)

EXPECTED = {
    "sgd": {"d/bias:0": [0.05, 0.05],
            "d/kernel:0": [[0.6607557535171509, -0.0748351514339447], [0.12126218527555466, 0.7804375290870667],
                           [-0.4343931972980499, 0.15911293029785156]],
            "s:0": [0.25, 0.25], "loss": 0.5024826526641846},
    "adam": {"d/bias:0": [0.05, 0.05],
             "d/kernel:0": [[0.7175344824790955, -0.021538954228162766], [0.0020042359828948975, 0.7702040076255798],
                            [-0.35375165939331055, 0.21522530913352966]],
             "s:0": [0.23636794090270996, 0.15265977382659912], "loss": 0.491953045129776},
}


def train(t, opt_name: str) -> dict:
    """Three steps of a dense layer whose kernel columns are norm-clipped and bias value-clipped,
    times a get_variable clipped to [0, 0.25]; the trainable variables' values and the loss after."""
    xp = t.placeholder(t.float32, [None, 3])
    h = t.layers.dense(xp, 2, kernel_initializer=t.constant_initializer(K0),
                       bias_initializer=t.constant_initializer([0.1, -0.1]),
                       kernel_constraint=lambda w: t.clip_by_norm(w, 0.8, axes=[0]),
                       bias_constraint=lambda b: t.clip_by_value(b, -0.05, 0.05), name="d")
    s = t.get_variable("s", initializer=np.array([0.2, 0.3], np.float32),
                       constraint=lambda v: t.minimum(t.maximum(v, 0.0), 0.25))
    loss = t.reduce_mean(t.square(h * s - Y))
    opt = t.train.GradientDescentOptimizer(0.5) if opt_name == "sgd" else t.train.AdamOptimizer(0.1)
    step = opt.minimize(loss)
    with t.Session() as sess:
        sess.run(t.global_variables_initializer())
        for _ in range(3):
            sess.run(step, {xp: X})
        out = {v.name: sess.run(v).tolist() for v in t.trainable_variables()}
        out["loss"] = float(sess.run(loss, {xp: X}))
    return out


@pytest.mark.parametrize("backend", [b for b in available_backends() if b not in ("auto", "interpret")])
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_constraints_applied_after_each_update_match_tf1(opt_name, backend, monkeypatch):
    monkeypatch.setenv("GRAPHC_BACKEND", backend)
    monkeypatch.setenv("GRAPHC_TRITON_ARRAYS", "simulated")
    got = train(tf, opt_name)
    assert sorted(got) == sorted(EXPECTED[opt_name])
    for name, want in EXPECTED[opt_name].items():
        np.testing.assert_allclose(got[name], want, rtol=1e-5, atol=1e-7, err_msg=name)


def test_constraint_is_kept_on_the_variable_and_inherited_from_the_scope():
    clip = lambda v: tf.clip_by_value(v, -1.0, 1.0)   # noqa: E731
    with tf.variable_scope("outer", constraint=clip):
        inherited = tf.get_variable("a", [2])
        own = tf.get_variable("b", [2], constraint=tf.abs)
    assert inherited.constraint is clip and own.constraint is tf.abs
    assert tf.get_variable("c", [2]).constraint is None
    layer = tf.layers.Dense(2, kernel_constraint=clip)
    layer(tf.zeros([1, 3]))
    assert layer.kernel.constraint is clip and layer.bias.constraint is None


def test_constraint_must_be_callable():
    with pytest.raises(ValueError, match="must be a callable"):
        tf.Variable([1.0], constraint=3.0)


def test_a_constrained_update_is_one_assign_after_the_optimizer_s():
    v = tf.Variable([2.0, -3.0], constraint=lambda x: tf.clip_by_value(x, -1.0, 1.0))
    step = tf.train.GradientDescentOptimizer(1.0).minimize(tf.reduce_sum(v * [1.0, -1.0]))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step)
        np.testing.assert_array_equal(sess.run(v), [1.0, -1.0])    # updated to [1, -2], then clipped
