"""graphc training graphs with loops in GraphDefs: a dynamic_rnn's loss, its graphc-built gradients and a
GradientDescent step, written with ``as_graph_def(for_tensorflow=True)`` (the forward loop records what
its gradient loop reads into TensorArrays, graphc's TensorArray gradient ops become dense row ops), run in
TensorFlow (GRAPHC_TENSORFLOW_PYTHON) and read back by graphc with the same numbers."""
import json
import subprocess

import numpy as np
import pytest

import graphc as tf

from repo_paths import DATA as TEST_DATA
from tensorflow_python import tensorflow_python

DATA = TEST_DATA / "tf_graphs"

# runs in TensorFlow: import graph.pb, set the variables, run the fetches, then one training step
RUN_TRAINING_IN_TF = r"""
import json, sys
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_v2_behavior()
d = sys.argv[1]
spec = json.load(open(d + "/spec.json"))
gd = tf.compat.v1.GraphDef.FromString(open(d + "/graph.pb", "rb").read())
values = np.load(d + "/values.npz")
with tf.Graph().as_default() as g:
    tf.import_graph_def(gd, name="")
    sets = [tf.compat.v1.assign(g.get_tensor_by_name(v), values[f"arr_{k}"]) for k, v in enumerate(spec["variables"])]
    with tf.compat.v1.Session() as sess:
        sess.run(sets)
        feeds = {"x:0": np.load(d + "/feeds.npz")["x"]}
        got = sess.run(spec["fetches"], feeds)
        sess.run(spec["train"], feeds)
        after = sess.run(spec["variables"])
np.savez(d + "/got.npz", *got)
np.savez(d + "/after.npz", *after)
"""


def _lstm_training(xd):
    """A dynamic_rnn over a BasicLSTMCell with a loss, graphc's gradients and a GradientDescent step;
    its values before and after one step."""
    x = tf.placeholder(tf.float32, list(xd.shape), name="x")
    outputs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(4), x, dtype=tf.float32)
    loss = tf.reduce_mean(tf.square(outputs)) + tf.reduce_sum(state.c * state.h)
    variables = tf.trainable_variables()
    fetches = [loss] + tf.gradients(loss, variables + [x])
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = sess.run(variables)
        want = sess.run(fetches, {x: xd})
        sess.run(train, {x: xd})
        after = sess.run(variables)
    spec = {"variables": [v.name for v in variables], "fetches": [t.name for t in fetches], "train": train.name}
    return spec, values, want, after


def _training_graph():
    xd = np.random.RandomState(0).randn(2, 5, 3).astype(np.float32)
    with tf.Graph().as_default() as g:
        spec, values, want, after = _lstm_training(xd)
        gd = g.as_graph_def(for_tensorflow=True)
    return gd, xd, spec, values, want, after


def test_a_dynamic_rnn_training_graph_is_written_for_tensorflow_and_reimports_with_the_same_step():
    gd, xd, spec, values, want, after = _training_graph()
    assert not any("_graphc" in n.attr for n in gd.node)
    whiles = [n for n in gd.node if n.op == "While"]
    # the forward loop and each gradient loop (tf.gradients' and minimize's) record what is read after them
    assert "rnn/while/recorded" in {n.name for n in whiles} and len(whiles) == 3
    assert all(n.name.endswith("/recorded") for n in whiles)
    for f in gd.library.function:
        assert not any("_graphc" in d.attr for d in f.node_def), f.signature.name
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        variables = [g.get_tensor_by_name(v) for v in spec["variables"]]
        with tf.Session() as sess:
            sess.run([tf.assign(v, value) for v, value in zip(variables, values)])
            got = sess.run(spec["fetches"], {"x:0": xd})
            sess.run(spec["train"], {"x:0": xd})
            stepped = sess.run(variables)
    for k, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=spec["fetches"][k])
    for a, b in zip(stepped, after):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_dynamic_rnn_training_graph_runs_in_tensorflow_with_graphcs_gradients(tmp_path):
    python = tensorflow_python()
    gd, xd, spec, values, want, after = _training_graph()
    tf.train.write_graph(gd, str(tmp_path), "graph.pb", as_text=False)
    np.savez(tmp_path / "feeds.npz", x=xd)
    np.savez(tmp_path / "values.npz", *values)
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    res = subprocess.run([python, "-c", RUN_TRAINING_IN_TF, str(tmp_path)], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    got, stepped = np.load(tmp_path / "got.npz"), np.load(tmp_path / "after.npz")
    for k, b in enumerate(want):
        np.testing.assert_allclose(got[f"arr_{k}"], b, rtol=1e-5, atol=1e-6, err_msg=spec["fetches"][k])
    for k, b in enumerate(after):
        np.testing.assert_allclose(stepped[f"arr_{k}"], b, rtol=1e-5, atol=1e-6, err_msg=spec["variables"][k])


def _tf_graph(name):
    return tf.GraphDef.FromString((DATA / name).read_bytes())


@pytest.mark.parametrize("backend", ["eager", "interpret", "numba"])
def test_tf1_lstm_training_graph_imports_with_its_gradient_tensor_arrays_and_trains_as_tensorflow(backend):
    """TF's own dynamic_rnn training graph (tf.gradients and a GradientDescent step: stacks, TensorArrayGradV3
    arrays of both gradient sources, a b_acc-accumulated gradient flow) imported whole: TF 2.21 compat.v1's
    recorded loss, gradients and updated weights."""
    gd = _tf_graph("tf1_lstm_training.pb")
    assert sum(n.op == "TensorArrayGradV3" for n in gd.node) == 6
    rec = np.load(DATA / "tf1_lstm_training_expected.npz")
    names = [str(n) for n in rec["names"]]
    with tf.Graph().as_default() as g:
        kernel, bias, *fetches = tf.import_graph_def(gd, return_elements=names[:6], name="")
        train = g.get_operation_by_name(names[6])
        with tf.Session(backend=backend) as sess:
            sess.run([tf.assign(kernel, rec["before_0"]), tf.assign(bias, rec["before_1"])])
            got = sess.run(fetches, {"x:0": rec["x"]})
            sess.run(train, {"x:0": rec["x"]})
            after = sess.run([kernel, bias])
    np.testing.assert_allclose(got[0], rec["loss"], rtol=1e-5)
    for i, value in enumerate(got[1:]):
        np.testing.assert_allclose(value, rec[f"grad_{i}"], rtol=1e-4, atol=1e-6, err_msg=f"grad_{i}")
    for i, value in enumerate(after):
        np.testing.assert_allclose(value, rec[f"after_{i}"], rtol=1e-5, atol=1e-6, err_msg=f"after_{i}")


@pytest.mark.parametrize("backend", ["eager", "interpret", "numba"])
def test_a_tf1_loop_gradient_frame_with_stacks_imports_with_tensorflows_gradients(backend):
    """TF1's gradient frame of tf1_while_grad (forward values pushed on StackV2s, popped by the backward
    loop) imported as TensorArrays written and read at the counters: TF 2.21 compat.v1's numbers."""
    gd = _tf_graph("tf1_while_grad_frozen.pb")
    assert {"StackV2", "StackPushV2", "StackPopV2"} <= {n.op for n in gd.node}
    rec = np.load(DATA / "tf1_while_grad_expected.npz")
    with tf.Graph().as_default():
        out = tf.import_graph_def(gd, return_elements=["loss:0", "gx:0", "gw:0"], name="")
        with tf.Session(backend=backend) as sess:
            got = sess.run(out, {"x:0": rec["x"]})
    for key, value in zip(["loss", "gx", "gw"], got):
        np.testing.assert_allclose(value, rec[key], rtol=1e-5, err_msg=key)


def test_tf1_lstm_training_graphs_forward_part_trains_in_graphc_with_tensorflows_gradients_and_step():
    """The forward model of TF's training graph (its gradient frames left out) with graphc's gradients and
    GradientDescent step: TF 2.21 compat.v1's recorded loss, gradients and updated weights."""
    gd = _tf_graph("tf1_lstm_training.pb")
    rec = np.load(DATA / "tf1_lstm_training_expected.npz")
    names = [str(n) for n in rec["names"]]
    kernel, bias, loss_name = names[:3]
    grads_of = [n for n in gd.node if n.name.startswith(("gradients", "train", "grad_"))]
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 5, 3], name="feed_x")
        loss, k, b = tf.import_graph_def(gd, input_map={"x:0": x}, return_elements=[loss_name, kernel, bias],
                                         name="", skip=[n.name for n in grads_of])
        grads = tf.gradients(loss, [k, b, x])
        step = [tf.assign_sub(v, 0.5 * g) for v, g in zip([k, b], grads)]
        with tf.Session() as sess:
            sess.run([tf.assign(k, rec["before_0"]), tf.assign(b, rec["before_1"])])
            got = sess.run([loss] + grads, {x: rec["x"]})
            sess.run(step, {x: rec["x"]})
            after = sess.run([k, b])
    np.testing.assert_allclose(got[0], rec["loss"], rtol=1e-5)
    for i, value in enumerate(got[1:]):
        np.testing.assert_allclose(value, rec[f"grad_{i}"], rtol=1e-4, atol=1e-6, err_msg=f"grad_{i}")
    for i, value in enumerate(after):
        np.testing.assert_allclose(value, rec[f"after_{i}"], rtol=1e-5, atol=1e-6, err_msg=f"after_{i}")


def test_a_loop_built_in_graphc_has_tensorflows_recorded_loop_gradients():
    """tf1_while_grad's loop, built in graphc, differentiated by graphc: TF 2.21 compat.v1's recorded numbers."""
    rec = np.load(DATA / "tf1_while_grad_expected.npz")
    with tf.Graph().as_default():
        names, _ = _loop_names()
        with tf.Session() as sess:
            got = sess.run(names, {"x:0": rec["x"]})
    for key in names:
        np.testing.assert_allclose(got[key], rec[key], rtol=1e-5, atol=1e-6, err_msg=key)


def _loop_names():
    """The same loop as tests/data/make_tf1_control_flow.py's while_grad."""
    x = tf.placeholder(tf.float32, [3], name="x")
    w = tf.constant([0.5, -1.5, 2.0], name="w")
    _, z = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, tf.sin(v) * v + w * v), [0, x], name="loop")
    loss = tf.reduce_sum(z * z, name="loss")
    gx, gw = tf.gradients(loss, [x, w])
    return {"loss": loss, "gx": gx, "gw": gw}, x


@pytest.mark.parametrize("backend", ["eager", "interpret", "numba"])
def test_tf1_gradient_helper_ops_import_with_tensorflows_values(backend):
    """SigmoidGrad, TanhGrad, InvertPermutation (fed), BiasAddGrad, ConcatOffset and ApplyGradientDescent as
    TF1's gradient graphs hold them: TF 2.21 compat.v1's numbers (tests/data/make_tf1_control_flow.py)."""
    rec = np.load(DATA / "tf1_grad_helpers_expected.npz")
    fetches = ["sigmoid_grad", "tanh_grad", "inverse", "bias_grad", "offsets"]
    feeds = {f"{k}:0": rec[k] for k in ["y", "dy", "perm", "shape_0", "shape_1", "shape_2"]}
    with tf.Graph().as_default() as g:
        out = tf.import_graph_def(_tf_graph("tf1_grad_helpers.pb"), return_elements=[f"{f}:0" for f in fetches],
                                  name="")
        v = g.get_tensor_by_name("v:0")
        with tf.Session(backend=backend) as sess:
            sess.run(tf.assign(v, [1.0, -2.0, 0.5]))
            got = sess.run(out, feeds)
            sess.run(g.get_operation_by_name("step"), feeds)
            after = sess.run(v)
    for key, value in zip(fetches, got):
        np.testing.assert_allclose(value, rec[key], rtol=1e-5, atol=1e-7, err_msg=key)
    np.testing.assert_allclose(after, rec["v_after"], rtol=1e-6)


def test_a_gradient_tensor_array_not_of_a_tensor_array_is_refused_naming_the_node_and_what_to_do():
    gd = tf.GraphDef()
    for name, dtype, value in [("h", tf.int32, 3), ("flow", tf.float32, 0.0)]:
        with tf.Graph().as_default() as g:
            tf.constant(value, dtype, name=name)
        gd.node.extend(g.as_graph_def().node)
    grad = gd.node.add(name="grad", op="TensorArrayGradV3", input=["h", "flow"])
    grad.attr["source"].s = b"gradients"
    with tf.Graph().as_default() as g:
        with pytest.raises(ValueError, match="Cannot import node 'grad' \\(TensorArrayGradV3\\): its handle does not "
                                             "come from a TensorArrayV3 node.* build the gradients and training ops"):
            tf.import_graph_def(gd, name="")
        assert not g.get_operations()
