"""tf.train: TF1 optimizers, slots, global step and learning-rate schedules.

The expected numbers (EXPECTED, EXPECTED_SCHEDULES) were recorded from a real TF1 run
(TensorFlow 2.21, ``tensorflow.compat.v1`` in graph mode, CPU) with this script; they are never
computed by graphc. To regenerate, run it with that TensorFlow and paste its output::

    import numpy as np
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    # X, Y, W0, B0 and CONFIGS / SCHEDULES exactly as defined in this test module

    def fmt(a):
        return "[" + ", ".join(str(np.float32(v)) for v in np.ravel(a)) + "]"

    def build():
        w = tf.Variable(W0, name="w")
        b = tf.Variable(B0, name="b")
        return w, b, tf.reduce_mean(tf.square(tf.matmul(X, w) + b - Y))

    for name, cls_name, kwargs, tensor_args in CONFIGS:
        tf.reset_default_graph()
        w, b, loss = build()
        feeds, args = {}, dict(kwargs)
        for key in tensor_args:
            ph = tf.placeholder(tf.float32, shape=[], name=key)
            feeds[ph] = kwargs[key]
            args[key] = ph
        train_op = getattr(tf.train, cls_name)(**args).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer(), feed_dict=feeds)
            losses = [sess.run([loss, train_op], feed_dict=feeds)[0] for _ in range(20)]
            print(f'    "{name}": ({fmt(losses)},\\n        {fmt(sess.run(w))}, {fmt(sess.run(b))}),')

    for name, schedule in SCHEDULES:     # schedule(tf.train, gs) builds the learning rate
        tf.reset_default_graph()
        w, b, loss = build()
        gs = tf.train.get_or_create_global_step()
        lr = schedule(tf.train, gs)
        train_op = tf.train.GradientDescentOptimizer(lr).minimize(loss, global_step=gs)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            losses, lrs = [], []
            for _ in range(20):
                l, r, _ = sess.run([loss, lr, train_op])
                losses.append(l); lrs.append(r)
            print(f'    "{name}": ({fmt(losses)},\\n        {fmt(lrs)},\\n        '
                  f'{fmt(sess.run(w))}, {fmt(sess.run(b))}, {sess.run(gs)}),')
"""
from __future__ import annotations

import numpy as np
import pytest

import graphc as tf
from graphc import errors

X = np.array([[1.0, 2.0, 0.5], [0.0, 1.0, -1.0], [2.0, -1.0, 1.0], [1.0, 1.0, 1.0]], np.float32)
Y = np.array([[1.0, 0.0], [2.0, -1.0], [0.5, 0.5], [-1.0, 2.0]], np.float32)
W0 = np.array([[0.1, -0.2], [0.3, 0.0], [-0.1, 0.2]], np.float32)
B0 = np.array([0.0, 0.1], np.float32)

# (name, optimizer class, constructor kwargs, kwargs fed through float32 placeholders)
CONFIGS = [
    ("gd", "GradientDescentOptimizer", {"learning_rate": 0.05}, ()),
    ("gd_tensor_lr", "GradientDescentOptimizer", {"learning_rate": 0.05}, ("learning_rate",)),
    ("momentum", "MomentumOptimizer", {"learning_rate": 0.02, "momentum": 0.9}, ()),
    ("momentum_nesterov", "MomentumOptimizer", {"learning_rate": 0.02, "momentum": 0.9, "use_nesterov": True}, ()),
    ("momentum_tensors", "MomentumOptimizer", {"learning_rate": 0.02, "momentum": 0.8}, ("learning_rate", "momentum")),
    ("adagrad", "AdagradOptimizer", {"learning_rate": 0.1}, ()),
    ("adagrad_init", "AdagradOptimizer", {"learning_rate": 0.2, "initial_accumulator_value": 0.5}, ("learning_rate",)),
    ("adadelta", "AdadeltaOptimizer", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}, ()),
    ("adadelta_default", "AdadeltaOptimizer", {}, ()),
    ("adam", "AdamOptimizer", {"learning_rate": 0.05}, ()),
    ("adam_tensors", "AdamOptimizer", {"learning_rate": 0.1, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-3},
     ("learning_rate", "beta1")),
    ("rmsprop", "RMSPropOptimizer", {"learning_rate": 0.01}, ()),
    ("rmsprop_momentum", "RMSPropOptimizer", {"learning_rate": 0.01, "momentum": 0.9}, ("learning_rate",)),
    ("rmsprop_centered", "RMSPropOptimizer", {"learning_rate": 0.01, "centered": True}, ()),
    ("rmsprop_centered_momentum", "RMSPropOptimizer",
     {"learning_rate": 0.01, "decay": 0.8, "momentum": 0.5, "epsilon": 1e-6, "centered": True}, ()),
]

SCHEDULES = [
    ("exponential", lambda train, gs: train.exponential_decay(0.1, gs, 5, 0.5)),
    ("exponential_staircase", lambda train, gs: train.exponential_decay(0.1, gs, 5, 0.5, staircase=True)),
    ("inverse_time", lambda train, gs: train.inverse_time_decay(0.1, gs, 4, 0.7)),
    ("inverse_time_staircase", lambda train, gs: train.inverse_time_decay(0.1, gs, 4, 0.7, staircase=True)),
    ("piecewise", lambda train, gs: train.piecewise_constant(gs, [5, 12], [0.1, 0.05, 0.01])),
]

# name -> (20 losses fetched together with the train op, final w (flattened), final b), from TF1
EXPECTED = {
    "gd": ([1.2053125, 1.1162741, 1.0447605, 0.9863894, 0.9379413, 0.89704406, 0.8619441, 0.83133984, 0.80426157, 0.77998245, 0.75795525, 0.73776525, 0.7190956, 0.70170283, 0.6853976, 0.6700319, 0.6554886, 0.64167386, 0.628512, 0.61594105],
        [0.19982594, 0.022809127, 0.26989567, -0.0006235067, -0.5223515, 0.661653], [0.24264376, 0.16253607]),
    "gd_tensor_lr": ([1.2053125, 1.1162741, 1.0447605, 0.9863894, 0.9379413, 0.89704406, 0.8619441, 0.83133984, 0.80426157, 0.77998245, 0.75795525, 0.73776525, 0.7190956, 0.70170283, 0.6853976, 0.6700319, 0.6554886, 0.64167386, 0.628512, 0.61594105],
        [0.19982594, 0.022809127, 0.26989567, -0.0006235067, -0.5223515, 0.661653], [0.24264376, 0.16253607]),
    "momentum": ([1.2053125, 1.1684871, 1.1043252, 1.0249642, 0.9423481, 0.86598617, 0.8016638, 0.7511913, 0.7130284, 0.6834743, 0.6580478, 0.63272095, 0.6047664, 0.5731196, 0.53827655, 0.50185394, 0.4659815, 0.4327027, 0.40351787, 0.3791464],
        [0.33684427, -0.04288786, 0.14903332, -0.046995997, -1.054963, 1.0415636], [0.51849383, 0.028971056]),
    "momentum_nesterov": ([1.2053125, 1.1367238, 1.0533698, 0.96743226, 0.8877793, 0.81928366, 0.76315117, 0.717893, 0.6805469, 0.6478188, 0.61692816, 0.5860695, 0.55451083, 0.52242136, 0.49054897, 0.45986772, 0.4312802, 0.40542692, 0.38260996, 0.3628143],
        [0.35397014, -0.06297011, 0.13252561, -0.015017083, -1.0704172, 1.0454168], [0.5232607, 0.035501465]),
    "momentum_tensors": ([1.2053125, 1.1684871, 1.1076374, 1.0355681, 0.96264, 0.89569366, 0.8380611, 0.7902627, 0.7509996, 0.7181294, 0.68943596, 0.66311336, 0.63797265, 0.6134367, 0.5894034, 0.5660602, 0.54370666, 0.5226226, 0.50299203, 0.48487854],
        [0.25817797, 0.01994475, 0.22368036, -0.023058569, -0.7595376, 0.84576255], [0.3679809, 0.116131306]),
    "adagrad": ([1.2053125, 0.9863735, 0.8839325, 0.81735253, 0.76831937, 0.7295333, 0.69734335, 0.66971695, 0.64544296, 0.62375784, 0.6041552, 0.5862815, 0.56987846, 0.55474955, 0.5407395, 0.52772236, 0.5155935, 0.5042643, 0.49365872, 0.48371094],
        [0.2588754, 0.018975165, 0.1305469, 0.015729582, -0.74614847, 0.7298613], [0.46851945, 0.10776322]),
    "adagrad_init": ([1.2053125, 0.90713346, 0.78928214, 0.7141888, 0.65765774, 0.61189294, 0.5734555, 0.54050815, 0.5119145, 0.48689008, 0.46485054, 0.44533938, 0.42798868, 0.41249645, 0.39861113, 0.38612115, 0.3748474, 0.36463702, 0.3553589, 0.34690022],
        [0.38721633, -0.08856088, 0.07880607, 0.053308405, -1.0660478, 0.98440427], [0.54631, 0.05980046]),
    "adadelta": ([1.2053125, 1.1954228, 1.1855471, 1.1757948, 1.1662095, 1.1568079, 1.1475933, 1.1385628, 1.12971, 1.1210272, 1.1125059, 1.1041384, 1.0959167, 1.0878339, 1.0798833, 1.0720594, 1.0643566, 1.0567703, 1.0492963, 1.0419306],
        [0.14717127, -0.1377163, 0.3176045, 0.027719524, -0.17050035, 0.2658752], [0.061119948, 0.15782622]),
    "adadelta_default": ([1.2053125, 1.2053111, 1.2053096, 1.2053082, 1.2053068, 1.2053053, 1.2053038, 1.2053024, 1.2053008, 1.2052994, 1.205298, 1.2052963, 1.205295, 1.2052934, 1.205292, 1.2052904, 1.2052889, 1.2052875, 1.205286, 1.2052845],
        [0.100009374, -0.19999063, 0.30000943, 9.375211e-06, -0.100009374, 0.20000938], [9.375965e-06, 0.100009374]),
    "adam": ([1.2053125, 1.0701563, 0.9684056, 0.883202, 0.81247896, 0.75576675, 0.71121526, 0.6758307, 0.6460698, 0.6185584, 0.59093976, 0.5624006, 0.533255, 0.5041276, 0.47560284, 0.44834852, 0.42321754, 0.40106118, 0.3824098, 0.3672798],
        [0.20901164, -0.020559847, -0.027017202, 0.08195895, -1.0287231, 0.93314004], [0.8049058, 0.0009860806]),
    "adam_tensors": ([1.2053125, 0.97893274, 0.82730234, 0.7220735, 0.65111995, 0.59699565, 0.54484946, 0.49069867, 0.4390194, 0.39442945, 0.36114722, 0.3399707, 0.32680696, 0.3171119, 0.3083362, 0.29932904, 0.2903309, 0.28245848, 0.27587408, 0.2697313],
        [0.5442234, -0.20596428, -0.04570517, 0.09768387, -1.5225568, 1.3268614], [0.7571097, -0.016364817]),
    "rmsprop": ([1.2053125, 1.1862402, 1.1675358, 1.1491969, 1.1312209, 1.1136057, 1.0963497, 1.0794507, 1.0629072, 1.0467175, 1.0308793, 1.0153906, 1.0002488, 0.9854506, 0.9709929, 0.95687157, 0.943082, 0.92961895, 0.91647667, 0.9036487],
        [0.13511565, -0.058586422, 0.30802673, 0.011021281, -0.2367685, 0.3664495], [0.094917044, 0.17709]),
    "rmsprop_momentum": ([1.2053125, 1.1862402, 1.1511121, 1.1038733, 1.048879, 0.99041104, 0.93226707, 0.8774457, 0.82794404, 0.78467864, 0.7475341, 0.7155385, 0.68714714, 0.66059864, 0.6342818, 0.60704255, 0.5783639, 0.5483865, 0.51777846, 0.4875018],
        [0.27158746, 0.07567784, 0.2064751, -0.04663652, -0.80819666, 0.87895596], [0.41766036, 0.1237967]),
    "rmsprop_centered": ([1.2053125, 1.1861887, 1.1673005, 1.1485896, 1.1300161, 1.1115541, 1.093188, 1.0749106, 1.0567211, 1.0386236, 1.0206263, 1.0027404, 0.9849792, 0.9673573, 0.9498891, 0.9325895, 0.9154713, 0.8985458, 0.8818215, 0.865304],
        [0.13677411, -0.038535193, 0.30740878, 0.010282783, -0.2615667, 0.40847805], [0.10335372, 0.1763785]),
    "rmsprop_centered_momentum": ([1.2053125, 1.1855143, 1.1555953, 1.1206769, 1.0834107, 1.0451963, 1.0068221, 0.96878505, 0.93143284, 0.89501643, 0.85969454, 0.82552266, 0.79244685, 0.7603168, 0.7289212, 0.69803786, 0.66748273, 0.63714504, 0.6070032, 0.5771266],
        [0.23022817, 0.03163635, 0.2427694, -0.009563304, -0.62783295, 0.6926105], [0.30506405, 0.16113085]),
}

# name -> (20 losses, 20 learning rates, final w, final b, final global step), from TF1
EXPECTED_SCHEDULES = {
    "exponential": ([1.2053125, 1.037319, 0.9423696, 0.8815955, 0.83916533, 0.8077313, 0.783479, 0.7642324, 0.7486487, 0.7358445, 0.72520804, 0.7162977, 0.708784, 0.7024149, 0.6969932, 0.69236195, 0.6883948, 0.6849883, 0.6820575, 0.6795318],
        [0.1, 0.08705506, 0.07578583, 0.06597539, 0.057434916, 0.05, 0.043527525, 0.037892915, 0.032987695, 0.028717458, 0.025, 0.021763762, 0.018946456, 0.016493848, 0.014358731, 0.0125, 0.010881881, 0.009473228, 0.008246924, 0.0071793655],
        [0.17295541, 0.02257573, 0.29049098, 0.002213948, -0.4225004, 0.58259], [0.19018766, 0.1770953], 20),
    "exponential_staircase": ([1.2053125, 1.037319, 0.9296466, 0.8547351, 0.7984117, 0.75323933, 0.733862, 0.71581817, 0.69891125, 0.6829869, 0.6679229, 0.660727, 0.6537062, 0.6468518, 0.6401559, 0.6336112, 0.6304022, 0.6272282, 0.6240885, 0.6209824],
        [0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.0125, 0.0125],
        [0.19374657, 0.025860943, 0.2751404, -0.0009163502, -0.5019139, 0.6471245], [0.2322785, 0.16657276], 20),
    "inverse_time": ([1.2053125, 1.037319, 0.944316, 0.8843932, 0.84172636, 0.8092108, 0.7832216, 0.76172006, 0.7434678, 0.7276654, 0.71377045, 0.70139974, 0.6902732, 0.6801803, 0.6709591, 0.66248226, 0.654648, 0.6473738, 0.6405917, 0.63424516],
        [0.1, 0.08510639, 0.074074075, 0.065573774, 0.05882353, 0.053333335, 0.04878049, 0.044943824, 0.041666664, 0.038834956, 0.036363635, 0.034188036, 0.032258067, 0.030534353, 0.028985508, 0.027586207, 0.02631579, 0.025157234, 0.024096388, 0.023121389],
        [0.1900638, 0.024779044, 0.27776808, -0.00018273998, -0.48745966, 0.63512415], [0.22455613, 0.1683428], 20),
    "inverse_time_staircase": ([1.2053125, 1.037319, 0.9296466, 0.8547351, 0.7984117, 0.7713128, 0.7468985, 0.72462976, 0.70411134, 0.69054013, 0.67760295, 0.66523606, 0.6533864, 0.6445585, 0.63599336, 0.62767565, 0.61959136, 0.6131687, 0.6068865, 0.60073924],
        [0.1, 0.1, 0.1, 0.1, 0.05882353, 0.05882353, 0.05882353, 0.05882353, 0.041666664, 0.041666664, 0.041666664, 0.041666664, 0.032258067, 0.032258067, 0.032258067, 0.032258067, 0.02631579, 0.02631579, 0.02631579, 0.02631579],
        [0.20336631, 0.023146408, 0.2672286, -0.0011426453, -0.53581, 0.67246103], [0.2497624, 0.16063218], 20),
    "piecewise": ([1.2053125, 1.037319, 0.9296466, 0.8547351, 0.7984117, 0.75323933, 0.7152084, 0.6983873, 0.68253076, 0.66752076, 0.6532624, 0.6396786, 0.6267059, 0.6142916, 0.61189187, 0.6095117, 0.60715085, 0.6048092, 0.60248625, 0.6001819],
        [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01],
        [0.20179477, 0.024437902, 0.26866356, -0.0014574955, -0.5310167, 0.66934377], [0.24741684, 0.1617041], 20),
}

RTOL = 1e-5


def available_backends_for_training() -> list:
    """The reference and every compiled backend that runs here (Triton through its interpreter)."""
    from graphc.runtime.session import available_backends

    return [b for b in available_backends() if b not in ("auto", "interpret")]


def build_problem(dtype=np.float32):
    w = tf.Variable(W0.astype(dtype), name="w")
    b = tf.Variable(B0.astype(dtype), name="b")
    loss = tf.reduce_mean(tf.square(tf.matmul(X.astype(dtype), w) + b - Y.astype(dtype)))
    return w, b, loss


def assert_tf1(actual, expected, what):
    np.testing.assert_allclose(np.ravel(actual), np.asarray(expected, np.float32), rtol=RTOL, atol=1e-7,
                               err_msg=what)


# ---------------------------------------------------------------------------------------------------
# numerics against recorded TF1 runs

@pytest.mark.parametrize("backend", available_backends_for_training())
@pytest.mark.parametrize("name,cls_name,kwargs,tensor_args", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_optimizer_matches_tf1(name, cls_name, kwargs, tensor_args, backend, monkeypatch):
    monkeypatch.setenv("GRAPHC_BACKEND", backend)
    monkeypatch.setenv("GRAPHC_TRITON_ARRAYS", "simulated")   # Triton: variables behind device handles
    w, b, loss = build_problem()
    feeds, args = {}, dict(kwargs)
    for key in tensor_args:
        ph = tf.placeholder(tf.float32, shape=[], name=key)
        feeds[ph] = kwargs[key]
        args[key] = ph
    train_op = getattr(tf.train, cls_name)(**args).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer(), feed_dict=feeds)
        losses = [sess.run([loss, train_op], feed_dict=feeds)[0] for _ in range(20)]
        w_val, b_val = sess.run([w, b])
    exp_losses, exp_w, exp_b = EXPECTED[name]
    assert all(l.dtype == np.float32 for l in losses)
    assert w_val.dtype == np.float32 and w_val.shape == (3, 2)
    assert_tf1(losses, exp_losses, f"{name}: losses")
    assert_tf1(w_val, exp_w, f"{name}: w after 20 steps")
    assert_tf1(b_val, exp_b, f"{name}: b after 20 steps")


@pytest.mark.parametrize("name,schedule", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedule_with_global_step_matches_tf1(name, schedule):
    w, b, loss = build_problem()
    gs = tf.train.get_or_create_global_step()
    lr = schedule(tf.train, gs)
    train_op = tf.train.GradientDescentOptimizer(lr).minimize(loss, global_step=gs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses, lrs = [], []
        for _ in range(20):
            l, r, _ = sess.run([loss, lr, train_op])
            losses.append(l)
            lrs.append(r)
        w_val, b_val, step = sess.run([w, b, gs])
    exp_losses, exp_lrs, exp_w, exp_b, exp_step = EXPECTED_SCHEDULES[name]
    assert_tf1(losses, exp_losses, f"{name}: losses")
    assert_tf1(lrs, exp_lrs, f"{name}: learning rates")
    assert_tf1(w_val, exp_w, f"{name}: w")
    assert_tf1(b_val, exp_b, f"{name}: b")
    assert step == exp_step and step.dtype == np.int64


def test_float64_variables_use_tf1_float32_rounded_learning_rate():
    # TF1 converts a Python learning rate to a float32 constant, then casts it to the variable's dtype
    w, b, loss = build_problem(np.float64)
    train_op = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train_op)
        w_val, b_val = sess.run([w, b])
    lr = float(np.float32(0.05))
    x, y, wn, bn = X.astype(np.float64), Y.astype(np.float64), W0.astype(np.float64), B0.astype(np.float64)
    for _ in range(3):
        r = x @ wn + bn - y
        wn, bn = wn - lr * (2 / r.size) * x.T @ r, bn - lr * (2 / r.size) * r.sum(axis=0)
    assert w_val.dtype == np.float64
    np.testing.assert_allclose(w_val, wn, rtol=1e-12)
    np.testing.assert_allclose(b_val, bn, rtol=1e-12)


# ---------------------------------------------------------------------------------------------------
# compute_gradients / apply_gradients / minimize

def _numpy_grads(scale=1.0):
    r = X @ W0 + B0 - Y
    return scale * (2 / r.size) * X.T @ r, scale * (2 / r.size) * r.sum(axis=0)


@pytest.mark.parametrize("gate", [tf.train.Optimizer.GATE_NONE, tf.train.Optimizer.GATE_OP,
                                  tf.train.Optimizer.GATE_GRAPH])
def test_compute_gradients_defaults_to_trainable_variables(gate):
    w, b, loss = build_problem()
    frozen = tf.Variable(1.0, trainable=False, name="frozen")
    pairs = tf.train.GradientDescentOptimizer(0.1).compute_gradients(loss * frozen, gate_gradients=gate)
    assert [v for _, v in pairs] == [w, b]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        gw, gb = sess.run([g for g, _ in pairs])
    exp_w, exp_b = _numpy_grads()
    np.testing.assert_allclose(gw, exp_w, rtol=1e-5)
    np.testing.assert_allclose(gb, exp_b, rtol=1e-5)


def test_compute_gradients_grad_loss_scales_and_unconnected_is_none():
    w, b, loss = build_problem()
    other = tf.Variable(3.0, name="other")
    pairs = tf.train.AdamOptimizer().compute_gradients(loss, var_list=[w, other], grad_loss=tf.constant(2.0))
    assert pairs[1] == (None, other)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        gw = sess.run(pairs[0][0])
    np.testing.assert_allclose(gw, _numpy_grads(2.0)[0], rtol=1e-5)


def test_var_list_limits_the_update():
    w, b, loss = build_problem()
    train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss, var_list=[b])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train_op)
        w_val, b_val = sess.run([w, b])
    np.testing.assert_array_equal(w_val, W0)
    np.testing.assert_allclose(b_val, B0 - np.float32(0.5) * _numpy_grads()[1], rtol=1e-6)


def test_apply_gradients_with_user_gradients_skips_none():
    w = tf.Variable([1.0, 2.0], name="w")
    v = tf.Variable(5.0, name="v")
    train_op = tf.train.MomentumOptimizer(0.5, 0.9).apply_gradients([(tf.constant([1.0, -2.0]), w), (None, v)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train_op)
        sess.run(train_op)
        w_val, v_val = sess.run([w, v])
    # accum: g, then 0.9 g + g = 1.9 g; var -= 0.5 * accum each step
    np.testing.assert_allclose(w_val, np.array([1.0, 2.0]) - 0.5 * 2.9 * np.array([1.0, -2.0]), rtol=1e-6)
    assert v_val == 5.0


def test_no_gradients_errors():
    w = tf.Variable(1.0, name="w")
    v = tf.Variable(1.0, name="v")
    opt = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="No gradients provided for any variable, check your graph"):
        opt.minimize(v * 2.0, var_list=[w])
    with pytest.raises(ValueError, match=r"No gradients provided for any variable: .*w:0"):
        opt.apply_gradients([(None, w)])
    with pytest.raises(ValueError, match="No variables provided"):
        opt.apply_gradients([])
    with pytest.raises(ValueError, match="No variables to optimize"):
        opt.compute_gradients(v * 2.0, var_list=[])


def test_invalid_inputs_errors():
    w = tf.Variable(1.0, name="w")
    opt = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="int32"):
        opt.compute_gradients(tf.constant(3))
    with pytest.raises(ValueError, match="appears twice"):
        opt.apply_gradients([(tf.constant(1.0), w), (tf.constant(2.0), w)])
    with pytest.raises(TypeError, match="Variable"):
        opt.compute_gradients(w * 2.0, var_list=[tf.constant(1.0)])
    with pytest.raises(ValueError, match="gate_gradients"):
        opt.compute_gradients(w * 2.0, gate_gradients=7)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)


def test_fetched_loss_sees_weights_before_the_update():
    w = tf.Variable(3.0, name="w")
    loss = tf.square(w)
    train_op = tf.train.GradientDescentOptimizer(0.25).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = [sess.run([loss, train_op])[0] for _ in range(3)]
        final = sess.run(w)
    # w <- w - 0.25 * 2w = w / 2
    np.testing.assert_allclose(values, [9.0, 2.25, 0.5625])
    assert final == 0.375


# ---------------------------------------------------------------------------------------------------
# slots, optimizer variables, names and collections

def test_adam_variables_and_names_match_tf1():
    w, b, loss = build_problem()
    gs = tf.train.get_or_create_global_step()
    opt = tf.train.AdamOptimizer()
    train_op = opt.minimize(loss, global_step=gs)
    assert train_op.name == "Adam" and train_op.type == "AssignAdd"
    assert isinstance(train_op, tf.Operation)
    assert tf.get_collection(tf.GraphKeys.TRAIN_OP) == [train_op]
    assert [v.name for v in opt.variables()] == ["b/Adam:0", "b/Adam_1:0", "beta1_power:0", "beta2_power:0",
                                                 "w/Adam:0", "w/Adam_1:0"]
    assert opt.get_slot_names() == ["m", "v"]
    assert opt.get_slot(w, "m").name == "w/Adam:0" and opt.get_slot(w, "v").name == "w/Adam_1:0"
    assert opt.get_slot(w, "nope") is None
    assert [v.name for v in tf.global_variables()] == ["w:0", "b:0", "global_step:0", "beta1_power:0",
                                                       "beta2_power:0", "w/Adam:0", "w/Adam_1:0", "b/Adam:0",
                                                       "b/Adam_1:0"]
    assert [v.name for v in tf.trainable_variables()] == ["w:0", "b:0"]
    assert opt.get_slot(w, "m").shape == w.shape and opt.get_slot(w, "m").dtype == tf.float32


def test_slot_names_of_each_optimizer_match_tf1():
    cases = [
        (tf.train.MomentumOptimizer(0.1, 0.9), {"momentum": "w/Momentum:0"}),
        (tf.train.AdagradOptimizer(0.1), {"accumulator": "w/Adagrad:0"}),
        (tf.train.AdadeltaOptimizer(), {"accum": "w/Adadelta:0", "accum_update": "w/Adadelta_1:0"}),
        (tf.train.RMSPropOptimizer(0.1), {"rms": "w/RMSProp:0", "momentum": "w/RMSProp_1:0"}),
        (tf.train.RMSPropOptimizer(0.1, centered=True),
         {"rms": "w/RMSProp:0", "mg": "w/RMSProp_1:0", "momentum": "w/RMSProp_2:0"}),
        (tf.train.GradientDescentOptimizer(0.1), {}),
    ]
    for opt, expected in cases:
        tf.reset_default_graph()
        w = tf.Variable([1.0, 2.0], name="w")
        train_op = opt.minimize(tf.square(w))
        assert train_op.name == opt.get_name()
        assert opt.get_slot_names() == sorted(expected)
        assert {n: opt.get_slot(w, n).name for n in opt.get_slot_names()} == expected
        for slot in opt.variables():
            assert not slot.trainable and slot in tf.global_variables()


def test_slot_initial_values():
    w = tf.Variable([[1.0, 2.0]], name="w")
    rms = tf.train.RMSPropOptimizer(0.1, centered=True)
    ada = tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.25)
    adam = tf.train.AdamOptimizer(beta1=0.8, beta2=0.7)
    for opt in (rms, ada, adam):
        opt.minimize(tf.square(w))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(rms.get_slot(w, "rms")), [[1.0, 1.0]])
        np.testing.assert_array_equal(sess.run(rms.get_slot(w, "mg")), [[0.0, 0.0]])
        np.testing.assert_array_equal(sess.run(rms.get_slot(w, "momentum")), [[0.0, 0.0]])
        np.testing.assert_array_equal(sess.run(ada.get_slot(w, "accumulator")), [[0.25, 0.25]])
        powers = {v.name: sess.run(v) for v in adam.variables() if "power" in v.name}
    assert powers == {"beta1_power:0": np.float32(0.8), "beta2_power:0": np.float32(0.7)}


def test_adam_beta_powers_shared_and_updated_once_per_step():
    w = tf.Variable([1.0, -1.0], name="w")
    b = tf.Variable(0.5, name="b")
    opt = tf.train.AdamOptimizer(0.1)
    train_op = opt.minimize(tf.reduce_sum(tf.square(w)) + tf.square(b))
    assert len([v for v in opt.variables() if "power" in v.name]) == 2
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train_op)
        b1, b2 = sess.run(["beta1_power:0", "beta2_power:0"])
    np.testing.assert_allclose(b1, np.float32(0.9) ** 4, rtol=1e-6)
    np.testing.assert_allclose(b2, np.float32(0.999) ** 4, rtol=1e-6)


def test_updates_are_graph_assign_ops():
    w = tf.Variable([1.0, 2.0], name="w")
    opt = tf.train.AdamOptimizer()
    train_op = opt.minimize(tf.square(w))
    seen, stack, assigned = set(), [train_op], {}
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type in ("Assign", "AssignAdd", "AssignSub"):
            assigned.setdefault(op.inputs[0].op.name, set()).add(op.type)
        stack.extend([t.op for t in op.inputs] + list(op.control_inputs))
    assert assigned == {"w": {"AssignSub"}, "w/Adam": {"AssignAdd"}, "w/Adam_1": {"AssignAdd"},
                        "beta1_power": {"Assign"}, "beta2_power": {"Assign"}}


def test_second_minimize_reuses_slots_and_gets_a_new_scope():
    w = tf.Variable(1.0, name="w")
    opt = tf.train.MomentumOptimizer(0.1, 0.9)
    first = opt.minimize(tf.square(w))
    second = opt.minimize(tf.square(w - 1.0))
    assert (first.name, second.name) == ("Momentum", "Momentum_1")
    assert [v.name for v in opt.variables()] == ["w/Momentum:0"]


# ---------------------------------------------------------------------------------------------------
# global step

def test_global_step_creation_and_lookup():
    assert tf.train.get_global_step() is None
    gs = tf.train.create_global_step()
    assert gs.name == "global_step:0" and gs.dtype == tf.int64 and gs.shape.as_list() == []
    assert not gs.trainable
    assert tf.get_collection(tf.GraphKeys.GLOBAL_STEP) == [gs]
    assert tf.train.get_global_step() is gs and tf.train.get_or_create_global_step() is gs
    with pytest.raises(ValueError, match="already exists"):
        tf.train.create_global_step()


def test_get_or_create_global_step_creates_once_per_graph():
    gs = tf.train.get_or_create_global_step()
    g2 = tf.Graph()
    with g2.as_default():
        gs2 = tf.train.get_or_create_global_step()
    assert gs2 is not gs and gs2.graph is g2 and tf.train.get_global_step(g2) is gs2


def test_global_step_increments_after_the_updates():
    w = tf.Variable(4.0, name="w")
    gs = tf.train.get_or_create_global_step()
    train_op = tf.train.GradientDescentOptimizer(0.25).minimize(tf.square(w), global_step=gs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert tf.train.global_step(sess, gs) == 0
        for _ in range(3):
            sess.run(train_op)
        assert tf.train.global_step(sess, gs) == 3
        assert sess.run(w) == 0.5


def test_global_step_name_lookup_and_type_check():
    tf.Variable(0.5, name="global_step")
    with pytest.raises(TypeError, match="integer"):
        tf.train.get_global_step()


# ---------------------------------------------------------------------------------------------------
# schedules: names and errors

def test_schedule_names_and_errors():
    gs = tf.train.get_or_create_global_step()
    assert tf.train.exponential_decay(0.1, gs, 10, 0.5).name == "ExponentialDecay:0"
    assert tf.train.inverse_time_decay(0.1, gs, 10, 0.5).name == "InverseTimeDecay:0"
    assert tf.train.piecewise_constant(gs, [1, 2], [0.1, 0.2, 0.3]).dtype == tf.float32
    with pytest.raises(ValueError, match="global_step is required"):
        tf.train.exponential_decay(0.1, None, 10, 0.5)
    with pytest.raises(ValueError, match="1 less than"):
        tf.train.piecewise_constant(gs, [1, 2], [0.1, 0.2])


def test_tensor_learning_rate_must_be_fed():
    w = tf.Variable(1.0, name="w")
    lr = tf.placeholder(tf.float32, shape=[], name="lr")
    train_op = tf.train.GradientDescentOptimizer(lr).minimize(tf.square(w))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(errors.InvalidArgumentError, match="lr"):
            sess.run(train_op)
        sess.run(train_op, feed_dict={lr: 0.25})
        assert sess.run(w) == 0.5
