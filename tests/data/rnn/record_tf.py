"""Records the RNN fixtures of tests/rnn/test_rnn.py from TensorFlow (run only where TF is installed):

    TF_USE_LEGACY_KERAS=1 /path/to/tf-python tests/data/rnn/record_tf.py [case ...]

Needs tensorflow (2.x, used through tf.compat.v1 in graph mode) and tf-keras (the rnn_cell classes).
Writes one <case>.npz per case of cases.py (inputs, the weights loaded into the variables, every
output and final state, the gradients of the case's loss w.r.t. the inputs and every variable,
the variable names and shapes), naming.json (the variables each naming scenario creates, or its
error) and training.npz (the losses of a variable-length batch trained a few steps).
"""
import json
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402

v1 = tf.compat.v1
v1.disable_v2_behavior()
HERE = os.path.dirname(os.path.abspath(__file__))


def record_case(name):
    with tf.Graph().as_default():
        feeds, x, results, loss = cases.build(v1, name)
        variables = v1.global_variables()
        values = cases.weight_values(variables)
        grads = v1.gradients(loss, [x] + variables)
        with v1.Session() as sess:
            for var, value in zip(variables, values):
                var.load(value, sess)
            got = sess.run(results + grads, feeds)
    out = {"x": feeds[x], "names": np.array(json.dumps([[v.op.name, v.shape.as_list()] for v in variables]))}
    for i, value in enumerate(values):
        out[f"weight_{i}"] = value
    for i, value in enumerate(got[:len(results)]):
        out[f"result_{i}"] = value
    for i, value in enumerate(got[len(results):]):
        out[f"grad_{i}"] = value
    np.savez_compressed(os.path.join(HERE, f"{name}.npz"), **out)


def record_naming():
    out = {}
    for name, fn in cases.NAMING.items():
        with tf.Graph().as_default():
            try:
                fn(v1)
                out[name] = {"variables": [[v.op.name, v.shape.as_list()] for v in v1.global_variables()],
                             "trainable": [v.op.name for v in v1.trainable_variables()]}
            except ValueError as e:
                out[name] = {"error": str(e).splitlines()[0]}
    with open(os.path.join(HERE, "naming.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)


def record_training():
    out = {}
    x_value, y_value, lengths_value = cases.training_data()
    for fn in ("static_rnn", "dynamic_rnn"):
        with tf.Graph().as_default():
            x, y, lengths, loss, train_op = cases.build_training(v1, fn)
            trainable = v1.trainable_variables()
            values = cases.weight_values(trainable, seed=99)
            feed = {x: x_value, y: y_value, lengths: lengths_value}
            with v1.Session() as sess:
                sess.run(v1.global_variables_initializer())
                for var, value in zip(trainable, values):
                    var.load(value, sess)
                losses = [sess.run([loss, train_op], feed)[0] for _ in range(cases.TRAIN["steps"])]
                losses.append(sess.run(loss, feed))
            out[fn] = np.array(losses, np.float32)
    np.savez_compressed(os.path.join(HERE, "training.npz"), **out)


if __name__ == "__main__":
    chosen = sys.argv[1:] or list(cases.CASES)      # case names to (re)record; default all, then the rest
    for case_name in chosen:
        record_case(case_name)
    if not sys.argv[1:]:
        record_naming()
        record_training()
    print("recorded", len(chosen), "cases from TensorFlow", tf.__version__)
