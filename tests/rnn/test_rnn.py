"""tf.nn.rnn_cell and the rnn functions against TensorFlow's numbers.

tests/data/rnn/*.npz and naming.json were recorded with TF 2.21 (tf.compat.v1 graph mode, tf-keras's
rnn_cell classes) by tests/data/rnn/record_tf.py from the cases in tests/data/rnn/cases.py, which
build the same graph in both libraries. Each case loads TF's weights into graphc's variables and
compares outputs, final states and the gradients of a loss w.r.t. the inputs and every weight.
"""
import hashlib
import json
import os
import sys

import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends
from backend_util import run_compared
import repo_paths

DATA = str(repo_paths.DATA / "rnn")
sys.path.insert(0, DATA)
import cases  # noqa: E402

IMPLEMENTED = {name for name in dir(tf.nn) if name.endswith("rnn")}
TF_CASES = sorted(name for name, (fn, _, _) in cases.CASES.items() if fn in IMPLEMENTED)
COMPILED = [b for b in available_backends() if b not in ("auto", "eager")]


def _fixture(name):
    return np.load(os.path.join(DATA, f"{name}.npz"))


def _build_loaded(name, sess):
    """The case's graph with TF's weights loaded: (feeds, fetches = results + gradients, fixture)."""
    want = _fixture(name)
    feeds, x, results, loss = cases.build(tf, name)
    variables = tf.global_variables()
    assert [[v.op.name, v.shape.as_list()] for v in variables] == json.loads(str(want["names"]))
    grads = tf.gradients(loss, [x] + variables)
    sess.run(tf.global_variables_initializer())
    for i, var in enumerate(variables):
        var.load(want[f"weight_{i}"], sess)
    return feeds, results + grads, want, len(results)


@pytest.mark.parametrize("name", TF_CASES)
def test_outputs_states_and_gradients_match_tensorflow(name):
    with tf.Session() as sess:
        feeds, fetches, want, n_results = _build_loaded(name, sess)
        got = sess.run(fetches, feeds)
    for i, g in enumerate(got):
        key = f"result_{i}" if i < n_results else f"grad_{i - n_results}"
        assert g.shape == want[key].shape, (key, g.shape, want[key].shape)
        np.testing.assert_allclose(g, want[key], rtol=2e-5, atol=2e-6, err_msg=f"{name} {key}")


def test_the_cases_cover_every_cell_and_function_graphc_has():
    covered = {fn for fn, _, _ in cases.CASES.values()}
    assert IMPLEMENTED == covered == {"static_rnn", "static_bidirectional_rnn", "dynamic_rnn",
                                      "bidirectional_dynamic_rnn"}
    kinds = set()
    for spec in cases.CELLS.values():
        kinds.add(spec[0])
        kinds.update(s[0] for s in spec[1] if isinstance(s, tuple)) if spec[0] == "MultiRNNCell" else None
    assert {"BasicRNNCell", "GRUCell", "BasicLSTMCell", "LSTMCell", "MultiRNNCell", "ResidualWrapper",
            "DropoutWrapper"} <= kinds


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("name", ["static_basic_lstm", "static_lstm_peep_proj_clip", "static_multi",
                                  "static_bidirectional_lstm", "dynamic_basic_lstm", "dynamic_lstm_all_rows_short",
                                  "dynamic_multi_initial_state_time_major", "bidirectional_dynamic"])
def test_compiled_backends_match_eager(name, backend):
    reference, candidate = tf.Session(backend="eager"), tf.Session(backend=backend)
    feeds, fetches, want, _ = _build_loaded(name, reference)
    candidate.run(tf.global_variables_initializer())
    for i, var in enumerate(tf.global_variables()):
        var.load(want[f"weight_{i}"], candidate)
    run_compared(reference, candidate, fetches, feeds, f"{name} on {backend}")


# ------------------------------------------------------------------------------------------------
# variable names (checkpoints line up with TF1's)

NAMING = json.load(open(os.path.join(DATA, "naming.json")))


@pytest.mark.parametrize("scenario", sorted(cases.NAMING))
def test_variable_names_and_errors_match_tensorflow(scenario):
    want = NAMING[scenario]
    if "error" in want:
        with pytest.raises(ValueError) as raised:
            cases.NAMING[scenario](tf)
        assert str(raised.value).split(" Originally defined at")[0] in want["error"]
        return
    cases.NAMING[scenario](tf)
    assert [[v.op.name, v.shape.as_list()] for v in tf.global_variables()] == want["variables"]
    assert [v.op.name for v in tf.trainable_variables()] == want["trainable"]


@pytest.mark.parametrize("name", ["static_multi", "dynamic_multi"])
def test_a_checkpoint_of_rnn_weights_uses_tensorflows_names(tmp_path, name):
    cases.build(tf, name)     # dynamic_rnn creates the weights while tracing its loop body: in the outer graph
    assert all(v.graph is tf.get_default_graph() for v in tf.global_variables())
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "model.ckpt"))
    names = [name for name, _ in tf.train.list_variables(path)]
    assert names == sorted(v.op.name for v in tf.global_variables())
    assert "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel" in names


# ------------------------------------------------------------------------------------------------
# training on a variable-length batch

def test_variable_length_batch_trains_to_tensorflows_losses():
    want = np.load(os.path.join(DATA, "training.npz"))
    x_value, y_value, lengths_value = cases.training_data()
    for fn in sorted(IMPLEMENTED & set(want.files)):
        with tf.Graph().as_default():
            x, y, lengths, loss, train_op = cases.build_training(tf, fn)
            trainable = tf.trainable_variables()
            feed = {x: x_value, y: y_value, lengths: lengths_value}
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for var, value in zip(trainable, cases.weight_values(trainable, seed=99)):
                    var.load(value, sess)
                losses = [sess.run([loss, train_op], feed)[0] for _ in range(cases.TRAIN["steps"])]
                losses.append(sess.run(loss, feed))
        assert losses[-1] < losses[0] / 2
        np.testing.assert_allclose(losses, want[fn], rtol=1e-4, err_msg=fn)


@pytest.mark.parametrize("backend", [b for b in available_backends() if b != "auto"])
def test_dynamic_rnn_with_a_batch_size_known_only_at_run_time_trains(backend):
    # the output TensorArrays' element shape is [?, units]: the loop (and its gradient) must still run
    x = tf.placeholder(tf.float32, [None, 5, 2])
    n = tf.placeholder(tf.int32, [None])
    outputs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(3), x, sequence_length=n, dtype=tf.float32)
    assert outputs.shape.as_list() == [None, 5, 3] and state.shape.as_list() == [None, 3]
    loss = tf.reduce_sum(tf.square(outputs)) + tf.reduce_sum(state)
    step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    rng = np.random.RandomState(3)
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        for batch in (4, 2):
            feed = {x: rng.uniform(-1, 1, (batch, 5, 2)), n: rng.randint(0, 6, batch)}
            out, _ = sess.run([outputs, step], feed)
            past = np.arange(5)[None, :] >= feed[n][:, None]
            assert out.shape == (batch, 5, 3) and not out[past].any()     # zero past each length


def test_dropout_inside_dynamic_rnn_draws_a_new_mask_each_step_unless_variational():
    rnn = tf.nn.rnn_cell
    x = tf.ones([4, 6, 2])
    plain = rnn.DropoutWrapper(rnn.BasicRNNCell(16), output_keep_prob=0.5, seed=1)
    variational = rnn.DropoutWrapper(rnn.BasicRNNCell(16), output_keep_prob=0.5, seed=1, variational_recurrent=True,
                                     dtype=tf.float32)
    out_plain, _ = tf.nn.dynamic_rnn(plain, x, dtype=tf.float32, scope="plain")
    out_var, _ = tf.nn.dynamic_rnn(variational, x, dtype=tf.float32, scope="variational")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = sess.run([out_plain, out_var])
    masks_a, masks_b = a != 0, b != 0
    assert not all(np.array_equal(masks_a[:, 0], masks_a[:, t]) for t in range(1, 6))
    assert all(np.array_equal(masks_b[:, 0], masks_b[:, t]) for t in range(1, 6))


# ------------------------------------------------------------------------------------------------
# cell API and errors

def test_cells_state_and_output_sizes():
    rnn = tf.nn.rnn_cell
    assert rnn.BasicLSTMCell(4).state_size == rnn.LSTMStateTuple(4, 4)
    assert rnn.BasicLSTMCell(4, state_is_tuple=False).state_size == 8
    assert rnn.LSTMCell(4, num_proj=2).state_size == (4, 2) and rnn.LSTMCell(4, num_proj=2).output_size == 2
    multi = rnn.MultiRNNCell([rnn.GRUCell(3), rnn.BasicLSTMCell(2)])
    assert multi.state_size == (3, rnn.LSTMStateTuple(2, 2)) and multi.output_size == 2
    zero = multi.zero_state(5, tf.float32)
    assert zero[0].shape.as_list() == [5, 3] and isinstance(zero[1], rnn.LSTMStateTuple)
    with tf.Session() as sess:
        c = sess.run(zero[1].c)
    assert c.shape == (5, 2) and not c.any()
    batch = tf.placeholder(tf.int32, [])
    assert rnn.GRUCell(3).zero_state(batch, tf.float64).shape.as_list() == [None, 3]


def test_a_cells_weights_are_shared_across_calls_and_tracked():
    cell = tf.nn.rnn_cell.BasicLSTMCell(3)
    x = tf.placeholder(tf.float32, [2, 4])
    state = cell.zero_state(2, tf.float32)
    _, state = cell(x, state)
    cell(x, state)
    assert [v.op.name for v in cell.trainable_variables] == ["basic_lstm_cell/kernel", "basic_lstm_cell/bias"]
    assert len(tf.global_variables()) == 2 and cell.built


def test_cell_errors():
    rnn = tf.nn.rnn_cell
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        rnn.BasicRNNCell(2)(tf.zeros([2, 3, 4]), tf.zeros([2, 2]))
    with pytest.raises(ValueError, match="inputs.shape\\[-1\\] to be known"):
        rnn.GRUCell(2)(tf.placeholder(tf.float32, [2, None]), tf.zeros([2, 2]))
    with pytest.raises(ValueError, match="floating point"):
        rnn.BasicRNNCell(2)(tf.zeros([2, 3], tf.int32), tf.zeros([2, 2], tf.int32))
    with pytest.raises(ValueError, match="at least one cell"):
        rnn.MultiRNNCell([])
    with pytest.raises(ValueError, match="state_is_tuple"):
        rnn.MultiRNNCell([rnn.BasicLSTMCell(2)], state_is_tuple=False)
    with pytest.raises(ValueError, match="between 0 and 1"):
        rnn.DropoutWrapper(rnn.GRUCell(2), output_keep_prob=1.5)
    with pytest.raises(ValueError, match="dtype must be provided"):
        rnn.DropoutWrapper(rnn.GRUCell(2), output_keep_prob=0.5, variational_recurrent=True)
    with pytest.raises(TypeError, match="not an RNNCell"):
        tf.nn.static_rnn(object(), [tf.zeros([2, 3])], dtype=tf.float32)
    with pytest.raises(TypeError, match="inputs must be a sequence"):
        tf.nn.static_rnn(rnn.GRUCell(2), tf.zeros([2, 3]), dtype=tf.float32)
    with pytest.raises(ValueError, match="must give a dtype"):
        tf.nn.static_rnn(rnn.GRUCell(2), [tf.zeros([2, 3])])
    with pytest.raises(ValueError, match="must give a dtype"):
        tf.nn.dynamic_rnn(rnn.GRUCell(2), tf.zeros([2, 3, 1]), scope="d1")
    with pytest.raises(ValueError, match=r"Expected shape for Tensor .* is \[2\]"):
        tf.nn.dynamic_rnn(rnn.GRUCell(2), tf.zeros([2, 3, 1]), sequence_length=[1, 2, 3], dtype=tf.float32,
                          scope="d2")
    with pytest.raises(ValueError, match="sequence_length must be a vector"):
        tf.nn.dynamic_rnn(rnn.GRUCell(2), tf.zeros([2, 3, 1]), sequence_length=[[1, 2]], dtype=tf.float32,
                          scope="d3")
    with pytest.raises(ValueError, match="rank at least 3"):
        tf.nn.dynamic_rnn(rnn.GRUCell(2), tf.zeros([2, 3]), dtype=tf.float32, scope="d4")
    with pytest.raises(ValueError, match="depth of inputs"):
        tf.nn.dynamic_rnn(rnn.GRUCell(2), tf.placeholder(tf.float32, [2, 3, None]), dtype=tf.float32, scope="d5")


def test_dropout_wrapper_masks_are_seeded_scaled_and_spare_the_lstm_cell_state():
    rnn = tf.nn.rnn_cell
    x = tf.ones([64, 3])
    cell = rnn.DropoutWrapper(rnn.BasicLSTMCell(4), input_keep_prob=0.5, output_keep_prob=0.5, state_keep_prob=0.5,
                              seed=11)
    output, state = cell(x, cell.zero_state(64, tf.float32))
    plain_output = tf.get_default_graph().get_tensor_by_name(output.op.inputs[1].name)  # the scaled output
    seeds = sorted(op.attrs["seed2"] for op in tf.get_default_graph().get_operations()
                   if op.type == "RandomUniform" and "dropout" in op.name)
    # input, state.h (the second leaf), output; c is not dropped. TF1's seeds: md5(seed + part)
    want = sorted(int(hashlib.md5(f"11{part}".encode()).hexdigest()[:8], 16) & 0x7FFFFFFF
                  for part in ("input_0", "state_1", "output_0"))
    assert seeds == want
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out1, c1, h1, scaled = sess.run([output, state.c, state.h, plain_output])
        out2 = sess.run(output)
    kept = out1 != 0
    assert 0.3 < kept.mean() < 0.7 and not np.array_equal(out1, out2)   # new masks each run
    np.testing.assert_allclose(out1[kept], scaled[kept])
    assert "dropout" not in state.c.name and "dropout" in state.h.name and 0.3 < (h1 != 0).mean() < 0.7


def test_variational_dropout_uses_one_mask_for_every_step():
    rnn = tf.nn.rnn_cell
    cell = rnn.DropoutWrapper(rnn.BasicRNNCell(8), output_keep_prob=0.5, variational_recurrent=True,
                              dtype=tf.float32, seed=5)
    inputs = [tf.ones([2, 3]) * float(t + 1) for t in range(3)]
    outputs, _ = tf.nn.static_rnn(cell, inputs, dtype=tf.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(outputs)
    masks = [g != 0 for g in got]
    assert all(np.array_equal(masks[0], m) for m in masks[1:])
    assert np.array_equal(masks[0][0], masks[0][1])          # TF1's noise is [1, size]: one mask for all rows
    assert 0 < masks[0].mean() < 1


def test_residual_wrapper_shape_mismatch():
    cell = tf.nn.rnn_cell.ResidualWrapper(tf.nn.rnn_cell.BasicRNNCell(3))
    with pytest.raises(ValueError, match="same shape"):
        cell(tf.zeros([2, 4]), tf.zeros([2, 3]))


def test_an_incomplete_cell_subclass_is_refused_when_made():
    """state_size and output_size are abstract; call (or an own __call__) is required."""
    rnn = tf.nn.rnn_cell

    class NoSizes(rnn.RNNCell):
        def call(self, inputs, state):
            return inputs, state

    class NoCall(rnn.RNNCell):
        state_size = output_size = 2

    class OwnCall(rnn.RNNCell):
        state_size = output_size = 2

        def __call__(self, inputs, state, scope=None):
            return inputs, state

    with pytest.raises(TypeError, match="abstract"):
        NoSizes()
    with pytest.raises(TypeError, match="call\\(inputs, state\\)"):
        NoCall()
    x = tf.zeros([1, 2])
    assert OwnCall()(x, x) == (x, x)
