"""tf.layers.batch_normalization with renorm (renorm_clipping, renorm_momentum) and virtual_batch_size:
each case is built and trained the same way with TF 2.21 compat.v1 + tf-keras (make_tf1.py, which
recorded tf1.json) and with graphc (tests/api/test_batch_renorm.py). ``t`` is tf.compat.v1 or graphc."""
import numpy as np

rs = np.random.RandomState(5)
X = rs.normal(1.0, 2.0, (8, 3)).astype(np.float32)
X4 = rs.normal(0.5, 1.5, (4, 2, 2, 3)).astype(np.float32)
CASES = {
    "renorm": dict(kw=dict(renorm=True, momentum=0.9, renorm_momentum=0.8), x=X),
    "renorm_clip": dict(kw=dict(renorm=True, renorm_clipping={"rmax": 1.2, "rmin": 0.9, "dmax": 0.3}, momentum=0.9,
                                renorm_momentum=0.7), x=X),
    "renorm_4d_axis1": dict(kw=dict(axis=1, renorm=True, renorm_momentum=0.5, momentum=0.8,
                                    renorm_clipping={"dmax": 0.5}), x=X4),
    "virtual": dict(kw=dict(virtual_batch_size=4, momentum=0.9), x=X),
    "virtual_renorm_4d": dict(kw=dict(virtual_batch_size=2, renorm=True, momentum=0.7, renorm_momentum=0.6), x=X4),
    "renorm_no_scale": dict(kw=dict(renorm=True, scale=False, momentum=0.9), x=X),
}


def run(t, name):
    """Builds case ``name`` with a bool training placeholder, then: the training output and the gradients of a
    weighted loss (inputs, trainable variables); three SGD steps with UPDATE_OPS as control dependencies (inputs
    scaled per step); an UPDATE_OPS run with training False (must change nothing); every variable's value; the
    inference and training outputs after. Returns them as lists (JSON)."""
    c = CASES[name]
    x = t.placeholder(t.float32, c["x"].shape)
    training = t.placeholder(t.bool, [])
    y = t.layers.batch_normalization(x, training=training, gamma_initializer=t.constant_initializer(1.5),
                                     beta_initializer=t.constant_initializer(0.25), **c["kw"])
    w = t.constant(np.linspace(-1, 1, c["x"].size).reshape(c["x"].shape).astype(np.float32))
    loss = t.reduce_sum(y * y * w)
    grads = t.gradients(loss, [x] + t.trainable_variables())
    updates = t.get_collection(t.GraphKeys.UPDATE_OPS)
    with t.control_dependencies(updates):
        step = t.train.GradientDescentOptimizer(0.02).minimize(loss)
    variables = t.global_variables()
    out = {"vars": [[v.op.name, v.shape.as_list()] for v in variables]}
    with t.Session() as sess:
        sess.run(t.global_variables_initializer())
        out["y_train"] = sess.run(y, {x: c["x"], training: True}).tolist()
        out["grads"] = [g.tolist() for g in sess.run(grads, {x: c["x"], training: True})]
        for i in range(3):
            sess.run(step, {x: c["x"] * (1 + 0.3 * i), training: True})
        sess.run(updates, {x: c["x"], training: False})
        out["after"] = {v.op.name: sess.run(v).tolist() for v in variables}
        out["y_infer"] = sess.run(y, {x: c["x"], training: False}).tolist()
        out["y_train_after"] = sess.run(y, {x: c["x"], training: True}).tolist()
    return out
