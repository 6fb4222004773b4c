"""Writes the TF1 control-flow GraphDefs under tests/data/tf_graphs/ that graphc's import tests read:
frozen graphs with TF1's Switch/Merge conds and Enter/Merge/Switch/LoopCond/NextIteration/Exit loops,
as real TensorFlow 2.21 compat.v1 builds them, with TensorFlow's outputs.

Run with a Python that has real TensorFlow and tf-keras (never graphc dependencies), from the repository root:

    TF_USE_LEGACY_KERAS=1 /tmp/tfenv/bin/python tests/data/make_tf1_control_flow.py            # all of them
    TF_USE_LEGACY_KERAS=1 /tmp/tfenv/bin/python tests/data/make_tf1_control_flow.py lstm_v2    # the ones named

- ``tf1_cond_frozen.pb``: nested ``tf.cond`` on fed predicates over a frozen variable; ``tf1_cond_expected.npz``
  holds the feeds and outputs for each predicate pair.
- ``tf1_while_frozen.pb``: a ``tf.while_loop`` with a nested loop and a cond in its body;
  ``tf1_while_expected.npz``.
- ``tf1_lstm_frozen.pb``: ``tf.nn.dynamic_rnn`` over a ``BasicLSTMCell`` (TensorArrayV3 ops in the loop),
  with its weights folded to constants; ``tf1_lstm_expected.npz``.
- ``tf1_rnn_fns_frozen.pb``: a GRU ``dynamic_rnn`` with ``sequence_length``, ``map_fn``, ``scan`` and a loop with
  ``maximum_iterations``; ``tf1_rnn_fns_expected.npz``.
- ``tf1_tensor_arrays_frozen.pb``: TensorArrayV3 split, read/write in a loop, gather, size and concat;
  ``tf1_tensor_arrays_expected.npz``.
- ``tf2_functional_frozen.pb``: a cond and a loop (with a cond inside) built with control flow v2: If/While
  nodes with FunctionDef bodies; ``tf2_functional_expected.npz``.
- ``tf2_lstm_frozen.pb``: the LSTM with control flow v2 (TensorList ops in a StatelessWhile);
  ``tf2_lstm_expected.npz``.
- ``tf1_while_grad_frozen.pb``: a ``tf.while_loop`` differentiated with ``tf.gradients``: TF1's gradient
  frame (StackV2/StackPushV2/StackPopV2, the forward and backward counters); ``tf1_while_grad_expected.npz``.
- ``tf1_lstm_training.pb``: a ``BasicLSTMCell`` ``dynamic_rnn`` with a loss, ``tf.gradients`` and a
  ``GradientDescentOptimizer`` step (TensorArrayGradV3 and stacks in the gradient frame), variables kept;
  ``tf1_lstm_training_expected.npz`` holds the feed, the variables' values before, the loss and gradients,
  and the variables after one step (names in ``names``).
- ``tf1_grad_helpers.pb``: the ops TF1's gradient graphs hold (SigmoidGrad, TanhGrad, ConcatOffset with three
  shapes, InvertPermutation of a fed permutation, BiasAddGrad, ApplyGradientDescent on a variable) on fed
  values; ``tf1_grad_helpers_expected.npz`` holds the feeds, the outputs and the variable after the step.
"""
import os

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_v2_behavior()
tf1.disable_control_flow_v2()

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_graphs")


def _freeze(sess, outputs, name):
    frozen = tf1.graph_util.convert_variables_to_constants(sess, sess.graph.as_graph_def(), outputs)
    with open(os.path.join(OUT, f"{name}_frozen.pb"), "wb") as f:
        f.write(frozen.SerializeToString())


def cond() -> None:
    with tf1.Graph().as_default():
        x = tf1.placeholder(tf.float32, [3], name="x")
        p = tf1.placeholder(tf.bool, [], name="p")
        q = tf1.placeholder(tf.bool, [], name="q")
        w = tf1.get_variable("w", initializer=np.array([0.5, -1.0, 2.0], np.float32))
        inner = lambda: tf.cond(q, lambda: x * w, lambda: tf.exp(x) - 1.0, name="inner")  # noqa: E731
        y = tf.cond(p, inner, lambda: x + w + 3.0, name="outer")
        z, k = tf.cond(q, lambda: (tf.reduce_sum(x), tf.constant(7)), lambda: (tf.reduce_max(w), tf.constant(-2)),
                       name="pair")
        tf.identity(y, name="y"), tf.identity(z, name="z"), tf.identity(k, name="k")
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            xd = np.array([1.0, -2.0, 0.25], np.float32)
            out = {"x": xd}
            for pv in (False, True):
                for qv in (False, True):
                    got = sess.run(["y:0", "z:0", "k:0"], {x: xd, p: pv, q: qv})
                    for key, v in zip("yzk", got):
                        out[f"{key}_{int(pv)}{int(qv)}"] = v
            _freeze(sess, ["y", "z", "k"], "tf1_cond")
    np.savez(os.path.join(OUT, "tf1_cond_expected.npz"), **out)


def while_loop() -> None:
    with tf1.Graph().as_default():
        n = tf1.placeholder(tf.int32, [], name="n")
        x = tf1.placeholder(tf.float32, [2], name="x")
        w = tf1.get_variable("w", initializer=np.array([1.5, -0.5], np.float32))

        def body(i, acc):
            inner = tf.while_loop(lambda j, s: j < i, lambda j, s: (j + 1, s + tf.cast(j, tf.float32) * w),
                                  [0, tf.zeros([2])], name="inner")[1]
            step = tf.cond(tf.equal(i % 2, 0), lambda: acc * 0.5 + x, lambda: acc - w, name="parity")
            return i + 1, step + inner

        i, acc = tf.while_loop(lambda i, acc: i < n, body, [tf.constant(0), x], name="outer")
        tf.identity(i, name="i"), tf.identity(acc, name="acc")
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            xd = np.array([0.25, 2.0], np.float32)
            out = {"x": xd}
            for nv in (0, 1, 4):
                out[f"i_{nv}"], out[f"acc_{nv}"] = sess.run(["i:0", "acc:0"], {n: nv, x: xd})
            _freeze(sess, ["i", "acc"], "tf1_while")
    np.savez(os.path.join(OUT, "tf1_while_expected.npz"), **out)


def lstm(name: str = "tf1_lstm") -> None:
    with tf1.Graph().as_default():
        tf1.set_random_seed(3)
        x = tf1.placeholder(tf.float32, [2, 5, 3], name="x")
        cell = tf1.nn.rnn_cell.BasicLSTMCell(4)
        outputs, state = tf1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        tf.identity(outputs, name="outputs"), tf.identity(state.c, name="c"), tf.identity(state.h, name="h")
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            xd = np.random.RandomState(0).randn(2, 5, 3).astype(np.float32)
            got = sess.run(["outputs:0", "c:0", "h:0"], {x: xd})
            _freeze(sess, ["outputs", "c", "h"], name)
    np.savez(os.path.join(OUT, f"{name}_expected.npz"), x=xd, outputs=got[0], c=got[1], h=got[2])


def lstm_v2() -> None:
    """The LSTM with control flow v2: a StatelessWhile whose TensorArrays are TensorList ops."""
    tf1.enable_control_flow_v2()
    try:
        lstm("tf2_lstm")
    finally:
        tf1.disable_control_flow_v2()


def rnn_fns() -> None:
    """A GRU dynamic_rnn with sequence_length (Select and an Assert in the graph), map_fn, scan and a loop
    with maximum_iterations."""
    with tf1.Graph().as_default():
        tf1.set_random_seed(5)
        x = tf1.placeholder(tf.float32, [2, 5, 3], name="x")
        lengths = tf1.placeholder(tf.int32, [2], name="lengths")
        outs, state = tf1.nn.dynamic_rnn(tf1.nn.rnn_cell.GRUCell(4), x, sequence_length=lengths, dtype=tf.float32)
        rows = tf.reshape(x, [10, 3])
        mapped = tf1.map_fn(lambda r: tf.reduce_sum(r * r), rows)
        scanned = tf1.scan(lambda a, r: a + r, rows)
        _, bounded = tf.while_loop(lambda i, v: i < 10, lambda i, v: (i + 1, v * 1.5), (0, tf.ones([2])),
                                   maximum_iterations=3)
        names = {"outs": outs, "state": state, "mapped": mapped, "scanned": scanned, "bounded": bounded}
        for key, t in names.items():
            tf.identity(t, name=key)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            xd = np.random.RandomState(1).randn(2, 5, 3).astype(np.float32)
            ld = np.array([3, 5], np.int32)
            got = sess.run([f"{k}:0" for k in names], {x: xd, lengths: ld})
            _freeze(sess, list(names), "tf1_rnn_fns")
    np.savez(os.path.join(OUT, "tf1_rnn_fns_expected.npz"), x=xd, lengths=ld, **dict(zip(names, got)))


def tensor_arrays() -> None:
    """TensorArrayV3's split, read, write, gather, size and concat around a loop."""
    with tf1.Graph().as_default():
        x = tf1.placeholder(tf.float32, [6, 2], name="x")
        source = tf1.TensorArray(tf.float32, size=3).split(x, [2, 2, 2])
        target = tf1.TensorArray(tf.float32, size=3, clear_after_read=False)
        _, target = tf.while_loop(lambda i, t: i < 3, lambda i, t: (i + 1, t.write(i, source.read(i) * 2.0 + 1.0)),
                                  [0, target])
        names = {"joined": target.concat(), "picked": target.gather([2, 0]), "size": target.size()}
        for key, t in names.items():
            tf.identity(t, name=key)
        with tf1.Session() as sess:
            xd = np.arange(12, dtype=np.float32).reshape(6, 2)
            got = sess.run([f"{k}:0" for k in names], {x: xd})
            _freeze(sess, list(names), "tf1_tensor_arrays")
    np.savez(os.path.join(OUT, "tf1_tensor_arrays_expected.npz"), x=xd, **dict(zip(names, got)))


def functional() -> None:
    """The same kind of model with control flow v2: StatelessIf/If and StatelessWhile/While nodes whose
    bodies are FunctionDefs in the GraphDef's library."""
    tf1.enable_control_flow_v2()
    try:
        with tf1.Graph().as_default():
            x = tf1.placeholder(tf.float32, [3], name="x")
            p = tf1.placeholder(tf.bool, [], name="p")
            n = tf1.placeholder(tf.int32, [], name="n")
            w = tf1.get_variable("w", initializer=np.array([0.5, -1.0, 2.0], np.float32))
            y = tf.cond(p, lambda: x * w, lambda: tf.exp(x) - w, name="c")

            def body(i, acc):
                inner = tf.cond(acc[0] > 4.0, lambda: acc * 0.5, lambda: acc + w, name="inner")
                return i + 1, inner + tf.cast(i, tf.float32)

            i, acc = tf.while_loop(lambda i, acc: i < n, body, [tf.constant(0), x], name="loop")
            tf.identity(y, name="y"), tf.identity(i, name="i"), tf.identity(acc, name="acc")
            with tf1.Session() as sess:
                sess.run(tf1.global_variables_initializer())
                xd = np.array([1.0, -2.0, 0.25], np.float32)
                out = {"x": xd}
                for pv in (False, True):
                    out[f"y_{int(pv)}"] = sess.run("y:0", {x: xd, p: pv})
                for nv in (0, 3, 6):
                    out[f"i_{nv}"], out[f"acc_{nv}"] = sess.run(["i:0", "acc:0"], {x: xd, n: nv})
                _freeze(sess, ["y", "i", "acc"], "tf2_functional")
    finally:
        tf1.disable_control_flow_v2()
    np.savez(os.path.join(OUT, "tf2_functional_expected.npz"), **out)


def while_grad() -> None:
    """A loop whose gradient TF1 builds as a second frame reading the forward values from stacks."""
    with tf1.Graph().as_default():
        x = tf1.placeholder(tf.float32, [3], name="x")
        w = tf.constant([0.5, -1.5, 2.0], name="w")
        _, z = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, tf.sin(v) * v + w * v), [0, x], name="loop")
        loss = tf.reduce_sum(z * z, name="loss")
        gx, gw = tf.gradients(loss, [x, w])
        tf.identity(gx, name="gx"), tf.identity(gw, name="gw")
        xd = np.array([0.3, -0.7, 1.1], np.float32)
        with tf1.Session() as sess:
            got = sess.run(["loss:0", "gx:0", "gw:0"], {x: xd})
            _freeze(sess, ["loss", "gx", "gw"], "tf1_while_grad")
    np.savez(os.path.join(OUT, "tf1_while_grad_expected.npz"), x=xd, loss=got[0], gx=got[1], gw=got[2])


def lstm_training() -> None:
    """A BasicLSTMCell dynamic_rnn with its gradients and one GradientDescent step, variables kept."""
    with tf1.Graph().as_default() as g:
        tf1.set_random_seed(3)
        x = tf1.placeholder(tf.float32, [2, 5, 3], name="x")
        outputs, state = tf1.nn.dynamic_rnn(tf1.nn.rnn_cell.BasicLSTMCell(4), x, dtype=tf.float32)
        loss = tf.identity(tf.reduce_mean(tf.square(outputs)) + tf.reduce_sum(state.c * state.h), name="loss")
        variables = tf1.trainable_variables()
        grads = [tf.identity(t, name=f"grad_{k}") for k, t in enumerate(tf.gradients(loss, variables + [x]))]
        train = tf1.train.GradientDescentOptimizer(0.5).minimize(loss, name="train")
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            xd = np.random.RandomState(0).randn(2, 5, 3).astype(np.float32)
            before = sess.run(variables)
            got = sess.run([loss] + grads, {x: xd})
            sess.run(train, {x: xd})
            after = sess.run(variables)
        with open(os.path.join(OUT, "tf1_lstm_training.pb"), "wb") as f:
            f.write(g.as_graph_def().SerializeToString())
    names = np.array([v.name for v in variables] + [loss.name] + [t.name for t in grads] + [train.name])
    np.savez(os.path.join(OUT, "tf1_lstm_training_expected.npz"), x=xd, names=names, loss=got[0],
             **{f"before_{k}": v for k, v in enumerate(before)}, **{f"grad_{k}": v for k, v in enumerate(got[1:])},
             **{f"after_{k}": v for k, v in enumerate(after)})


def grad_helpers() -> None:
    """TF1's gradient helper ops on fed inputs, as raw ops."""
    with tf1.Graph().as_default() as g:
        y = tf1.placeholder(tf.float32, [2, 3], name="y")
        dy = tf1.placeholder(tf.float32, [2, 3], name="dy")
        perm = tf1.placeholder(tf.int32, [4], name="perm")
        shapes = [tf1.placeholder(tf.int32, [3], name=f"shape_{k}") for k in range(3)]
        v = tf1.get_variable("v", initializer=np.array([1.0, -2.0, 0.5], np.float32))
        tf.identity(tf.raw_ops.SigmoidGrad(y=y, dy=dy), name="sigmoid_grad")
        tf.identity(tf.raw_ops.TanhGrad(y=y, dy=dy), name="tanh_grad")
        tf.identity(tf.raw_ops.InvertPermutation(x=perm), name="inverse")
        tf.identity(tf.raw_ops.BiasAddGrad(out_backprop=dy), name="bias_grad")
        offsets = tf.raw_ops.ConcatOffset(concat_dim=tf.constant(1), shape=shapes)
        tf.stack(offsets, name="offsets")
        tf.raw_ops.ApplyGradientDescent(var=v._ref(), alpha=tf.constant(0.5), delta=dy[0], name="step")
        rng = np.random.RandomState(1)
        feeds = {"y": rng.rand(2, 3).astype(np.float32), "dy": rng.randn(2, 3).astype(np.float32),
                 "perm": np.array([2, 0, 3, 1], np.int32), "shape_0": np.array([2, 3, 4], np.int32),
                 "shape_1": np.array([2, 5, 4], np.int32), "shape_2": np.array([2, 1, 4], np.int32)}
        fetches = ["sigmoid_grad", "tanh_grad", "inverse", "bias_grad", "offsets"]
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            fed = {f"{k}:0": value for k, value in feeds.items()}
            got = sess.run([f"{f}:0" for f in fetches], fed)
            sess.run("step", fed)
            after = sess.run(v)
        with open(os.path.join(OUT, "tf1_grad_helpers.pb"), "wb") as f:
            f.write(g.as_graph_def().SerializeToString())
    np.savez(os.path.join(OUT, "tf1_grad_helpers_expected.npz"), **feeds, **dict(zip(fetches, got)), v_after=after)


if __name__ == "__main__":
    import sys
    for job in sys.argv[1:] or ["cond", "while_loop", "lstm", "rnn_fns", "tensor_arrays", "functional",
                                     "lstm_v2", "while_grad", "lstm_training", "grad_helpers"]:
        globals()[job]()
