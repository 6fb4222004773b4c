"""Control flow in GraphDefs both ways: graphc's tf.cond / tf.while_loop regions are written as TensorFlow's
If/While nodes with FunctionDef bodies (run in TensorFlow when an interpreter with it is available,
GRAPHC_TENSORFLOW_PYTHON), and TensorFlow's graphs with TF1 frames (Switch/Merge/Enter/Exit/...,
TensorArrayV3) or functional If/While come back as graphc regions with TensorFlow's recorded outputs
(tests/data/tf_graphs/, written by tests/data/make_tf1_control_flow.py with TF 2.21 compat.v1)."""
import json
import subprocess

import numpy as np
import pytest

import graphc as tf
from graphc.framework.protos import FunctionDef

from repo_paths import DATA as TEST_DATA
from tensorflow_python import RUN_WITH_FEEDS_IN_TF, run_in_tensorflow, tensorflow_python

DATA = TEST_DATA / "tf_graphs"
X = np.array([1.0, 2.0, -3.0], np.float32)


def _load(name):
    return tf.GraphDef.FromString((DATA / name).read_bytes())


def _regions_model():
    """A cond, a loop with a cond and a nested loop in its body, and a dynamic_rnn-free fed graph."""
    x = tf.placeholder(tf.float32, [3], name="x")
    p = tf.placeholder(tf.bool, [], name="p")
    n = tf.placeholder(tf.int32, [], name="n")
    w = tf.constant([0.5, -1.0, 2.0], name="w")
    c = tf.cond(p, lambda: x * w + 1.0, lambda: tf.exp(x) - w, name="c")

    def body(i, acc):
        inner = tf.while_loop(lambda j, s: j < i, lambda j, s: (j + 1, s + w), [0, tf.zeros([3])], name="inner")[1]
        step = tf.cond(tf.equal(i % 2, 0), lambda: acc * 0.5, lambda: acc - w, name="parity")
        return i + 1, step + inner

    i, acc = tf.while_loop(lambda i, acc: i < n, body, [tf.constant(0), x], name="loop")
    outs = {"c": c, "i": i, "acc": acc}
    return outs, {"x": X, "p": np.array(True), "n": np.array(4, np.int32)}


def test_regions_are_written_as_if_and_while_with_function_def_bodies():
    with tf.Graph().as_default() as g:
        outs, _ = _regions_model()
        gd = g.as_graph_def()
    nodes = {n.name: n for n in gd.node}
    cond, loop = nodes["c"], nodes["loop"]
    assert (cond.op, loop.op) == ("If", "While")
    assert list(cond.input) == ["p", "x", "w"]
    assert [t for t in cond.attr["Tin"].list.type] == [1, 1] and list(cond.attr["Tout"].list.type) == [1]
    library = {f.signature.name: f for f in gd.library.function}
    then = library[cond.attr["then_branch"].func.name]
    assert [a.name for a in then.signature.input_arg] == ["arg0", "arg1"]
    mul = next(d for d in then.node_def if d.op == "Mul")
    assert list(mul.input) == ["arg0", "arg1"]
    add = next(d for d in then.node_def if d.op == "Add")
    assert add.input[0] == f"{mul.name}:z:0"          # TF's node:output_arg:index references
    assert dict(then.ret) == {"out0": f"{add.name}:z:0"}
    body = library[loop.attr["body"].func.name]
    # loop vars (i, acc) then the captured n and w, which the body returns unchanged
    assert list(loop.input) == ["Const", "x", "n", "w"]
    assert len(body.signature.input_arg) == len(body.signature.output_arg) == 4
    assert (body.ret["out2"], body.ret["out3"]) == ("arg2", "arg3")
    assert {d.op for d in body.node_def} >= {"While", "If"}      # the nested loop and cond, by name
    assert len(library) == 8 and all(isinstance(f, FunctionDef) for f in library.values())


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_graphc_regions_reimport_with_the_same_results(backend):
    with tf.Graph().as_default() as g:
        outs, feeds = _regions_model()
        gd = g.as_graph_def()
        with tf.Session(backend=backend) as sess:
            want = sess.run(outs, {f"{k}:0": v for k, v in feeds.items()})
    with tf.Graph().as_default() as g2:
        back = tf.import_graph_def(gd, return_elements=[t.name for t in outs.values()], name="")
        assert {op.type for op in g2.get_operations()} >= {"If", "While"}
        with tf.Session(backend=backend) as sess:
            for pv in (True, False):
                got = sess.run(back, {**{f"{k}:0": v for k, v in feeds.items()}, "p:0": pv})
                assert got[1] == want["i"]
                np.testing.assert_allclose(got[2], want["acc"], rtol=1e-6)
            np.testing.assert_allclose(sess.run(back[0], {"x:0": X, "p:0": True}), want["c"], rtol=1e-6)


def test_graphc_regions_run_in_tensorflow_with_the_same_results(tmp_path):
    python = tensorflow_python()
    with tf.Graph().as_default() as g:
        outs, feeds = _regions_model()
        gd = g.as_graph_def()
        with tf.Session() as sess:
            want = sess.run(outs, {f"{k}:0": v for k, v in feeds.items()})
    got = run_in_tensorflow(python, gd, feeds, {k: t.name for k, t in outs.items()}, tmp_path)
    for key in outs:
        assert got[key].dtype == want[key].dtype, key
        np.testing.assert_allclose(got[key], want[key], rtol=1e-6, err_msg=key)


def test_tf1_frozen_cond_imports_with_tensorflows_outputs():
    want = np.load(DATA / "tf1_cond_expected.npz")
    with tf.Graph().as_default() as g:
        outs = tf.import_graph_def(_load("tf1_cond_frozen.pb"), return_elements=["y:0", "z:0", "k:0"], name="")
        types = {op.type for op in g.get_operations()}
        assert "If" in types and not types & {"Switch", "Merge"}
        with tf.Session() as sess:
            for p in (0, 1):
                for q in (0, 1):
                    got = sess.run(outs, {"x:0": want["x"], "p:0": bool(p), "q:0": bool(q)})
                    for key, value in zip("yzk", got):
                        expected = want[f"{key}_{p}{q}"]
                        assert value.dtype == expected.dtype
                        np.testing.assert_allclose(value, expected, rtol=1e-6, err_msg=f"{key} p={p} q={q}")


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_tf1_frozen_nested_while_loops_import_with_tensorflows_outputs(backend):
    want = np.load(DATA / "tf1_while_expected.npz")
    with tf.Graph().as_default():
        outs = tf.import_graph_def(_load("tf1_while_frozen.pb"), return_elements=["i:0", "acc:0"], name="")
        with tf.Session(backend=backend) as sess:
            for n in (0, 1, 4):
                i, acc = sess.run(outs, {"x:0": want["x"], "n:0": n})
                assert i == want[f"i_{n}"]
                np.testing.assert_allclose(acc, want[f"acc_{n}"], rtol=1e-6)


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_tf1_frozen_lstm_dynamic_rnn_with_tensor_arrays_imports_with_tensorflows_outputs(backend):
    want = np.load(DATA / "tf1_lstm_expected.npz")
    with tf.Graph().as_default() as g:
        outs = tf.import_graph_def(_load("tf1_lstm_frozen.pb"), return_elements=["outputs:0", "c:0", "h:0"],
                                   name="lstm")
        assert "While" in {op.type for op in g.get_operations()}
        with tf.Session(backend=backend) as sess:
            got = sess.run(outs, {"lstm/x:0": want["x"]})
    for key, value in zip(("outputs", "c", "h"), got):
        np.testing.assert_allclose(value, want[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_tf2_functional_if_and_while_import_with_tensorflows_outputs():
    want = np.load(DATA / "tf2_functional_expected.npz")
    gd = _load("tf2_functional_frozen.pb")
    assert {n.op for n in gd.node} >= {"StatelessIf", "StatelessWhile"} and len(gd.library.function) == 6
    with tf.Graph().as_default():
        y, i, acc = tf.import_graph_def(gd, return_elements=["y:0", "i:0", "acc:0"], name="")
        with tf.Session() as sess:
            for p in (0, 1):
                np.testing.assert_allclose(sess.run(y, {"x:0": want["x"], "p:0": bool(p)}), want[f"y_{p}"], rtol=1e-6)
            for n in (0, 3, 6):
                got_i, got_acc = sess.run([i, acc], {"x:0": want["x"], "n:0": n})
                assert got_i == want[f"i_{n}"]
                np.testing.assert_allclose(got_acc, want[f"acc_{n}"], rtol=1e-6)


def test_imported_loop_differentiates_like_one_built_in_python():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        _, acc = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * tf.sin(a)), [0, x])
        gd = tf.get_default_graph().as_graph_def()
        built = tf.gradients(tf.reduce_sum(acc), x)[0]
        with tf.Session() as sess:
            want = sess.run(built, {x: X})
    with tf.Graph().as_default():
        xi = tf.placeholder(tf.float32, [3], name="xi")
        (acc,) = tf.import_graph_def(gd, input_map={"x": xi}, return_elements=[acc.name], name="")
        grad = tf.gradients(tf.reduce_sum(acc), xi)[0]
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(grad, {xi: X}), want, rtol=1e-6)


def test_an_unsupported_op_in_a_function_body_is_named_at_import():
    with tf.Graph().as_default() as g:
        _regions_model()
        gd = g.as_graph_def()
    func = gd.library.function[0]
    func.node_def[0].op = "NoSuchOp"
    with tf.Graph().as_default() as g2:
        with pytest.raises(ValueError, match=f"node '{func.node_def[0].name}': function {func.signature.name}: "
                                             "op type 'NoSuchOp'"):
            tf.import_graph_def(gd)
        assert not g2.get_operations()


def _graphc_lstm():
    """graphc's own dynamic_rnn over a BasicLSTMCell, frozen: its TensorArrays as TensorArrayV3 ops."""
    xd = np.random.RandomState(0).randn(2, 5, 3).astype(np.float32)
    x = tf.placeholder(tf.float32, [2, 5, 3], name="x")
    outputs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(4), x, dtype=tf.float32)
    names = {"outputs": outputs.name, "c": state.c.name, "h": state.h.name}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        want = dict(zip(names, sess.run([outputs, state.c, state.h], {x: xd})))
        frozen = tf.graph_util.convert_variables_to_constants(
            sess, tf.get_default_graph().as_graph_def(), [outputs.op.name, state.c.op.name, state.h.op.name])
    return frozen, xd, want, names


def test_graphc_dynamic_rnn_is_written_with_tensor_array_v3_ops_and_reimports():
    with tf.Graph().as_default():
        frozen, xd, want, names = _graphc_lstm()
    types = {n.op for n in frozen.node}
    assert types >= {"While", "TensorArrayV3", "TensorArrayScatterV3", "TensorArrayGatherV3", "TensorArraySizeV3"}
    assert not any("_graphc" in n.attr for n in frozen.node)
    (body,) = [f for f in frozen.library.function if f.signature.name.endswith("body")]
    assert {d.op for d in body.node_def} >= {"TensorArrayReadV3", "TensorArrayWriteV3"}
    # the two carried arrays' handles are resource args after the loop's own inputs, returned unchanged
    assert [a.type for a in body.signature.input_arg[-2:]] == [20, 20]
    assert [body.ret[a.name] for a in body.signature.output_arg[-2:]] == [a.name for a in body.signature.input_arg[-2:]]
    loop = next(n for n in frozen.node if n.op == "While")
    assert [frozen_node.op for frozen_node in frozen.node if frozen_node.name in loop.input[-2:]] == ["TensorArrayV3"] * 2
    with tf.Graph().as_default():
        back = tf.import_graph_def(frozen, return_elements=list(names.values()), name="")
        with tf.Session() as sess:
            got = sess.run(back, {"x:0": xd})
    for key, value in zip(names, got):
        np.testing.assert_allclose(value, want[key], rtol=1e-6, err_msg=key)


def test_graphc_dynamic_rnn_runs_in_tensorflow_with_the_same_results(tmp_path):
    python = tensorflow_python()
    with tf.Graph().as_default():
        frozen, xd, want, names = _graphc_lstm()
    got = run_in_tensorflow(python, frozen, dict(x=xd), names, tmp_path)
    for key in names:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-6, err_msg=key)


def _case_model():
    a, b = tf.placeholder(tf.bool, [], name="a"), tf.placeholder(tf.bool, [], name="b")
    x = tf.placeholder(tf.float32, [2], name="x")
    return tf.case([(a, lambda: x * 2.0), (b, lambda: x + 1.0)], exclusive=True, name="case")


def test_case_guard_is_written_as_tf1s_assert_pattern_and_read_back():
    with tf.Graph().as_default() as g:
        y = _case_model()
        gd = g.as_graph_def(for_tensorflow=True)
    guard = next(n for n in gd.node if n.name == "case/CaseGuard")
    assert guard.op == "Identity" and sorted(i for i in guard.input if i.startswith("^")) == [
        "^case/CaseGuard/Exclusive/Assert", "^case/CaseGuard/OneTrue/Assert"]
    assert {n.op for n in gd.node} >= {"Assert", "LessEqual", "Greater", "If"}
    with tf.Graph().as_default() as g2:
        (back,) = tf.import_graph_def(gd, return_elements=[y.name], name="")
        assert "Assert" not in {o.type for o in g2.get_operations()}
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(back, {"a:0": False, "b:0": True, "x:0": [1.0, 2.0]}), [2.0, 3.0])
            with pytest.raises(tf.errors.InvalidArgumentError, match="exclusive=True: more than 1 conditions"):
                sess.run(back, {"a:0": True, "b:0": True, "x:0": [1.0, 2.0]})


def test_case_guard_checks_run_in_tensorflow(tmp_path):
    python = tensorflow_python()
    with tf.Graph().as_default() as g:
        y = _case_model()
        gd = g.as_graph_def()
    tf.train.write_graph(gd, str(tmp_path), "graph.pb", as_text=False)
    (tmp_path / "names.json").write_text(json.dumps({"y": y.name}))
    for b, ok in ((False, True), (True, False)):
        np.savez(tmp_path / "feeds.npz", a=np.array(True), b=np.array(b), x=np.array([1.0, 2.0], np.float32))
        res = subprocess.run([python, "-c", RUN_WITH_FEEDS_IN_TF, str(tmp_path)], capture_output=True, text=True,
                             timeout=300)
        if ok:
            assert res.returncode == 0, res.stderr[-3000:]
            np.testing.assert_array_equal(np.load(tmp_path / "got.npz")["y"], [2.0, 4.0])
        else:
            assert "more than 1 conditions (a:0, b:0) evaluated as True" in res.stderr


def test_for_tensorflow_refuses_ops_only_graphc_reads_naming_op_and_node():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [3], name="x")
        tf.py_func(lambda v: v * 2, [x], tf.float32, name="double")
        g.as_graph_def()          # graphc's own op type, for graphc's meta graphs
        with pytest.raises(ValueError, match="Operation 'double' \\(PyFunc\\) cannot be written for TensorFlow"):
            g.as_graph_def(for_tensorflow=True)


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_tf1_gru_with_sequence_length_map_fn_scan_and_bounded_loop_import_with_tensorflows_outputs(backend):
    want = np.load(DATA / "tf1_rnn_fns_expected.npz")
    names = ("outs", "state", "mapped", "scanned", "bounded")
    gd = _load("tf1_rnn_fns_frozen.pb")
    assert {"Assert", "Select", "TensorArrayScatterV3", "LoopCond"} <= {n.op for n in gd.node}
    with tf.Graph().as_default():
        outs = tf.import_graph_def(gd, return_elements=[f"{k}:0" for k in names], name="")
        with tf.Session(backend=backend) as sess:
            got = sess.run(outs, {"x:0": want["x"], "lengths:0": want["lengths"]})
    for key, value in zip(names, got):
        np.testing.assert_allclose(value, want[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_tensorflows_assert_checks_the_input_of_what_depends_on_it_on_every_backend():
    """TF's pattern: Identity(x, ^Assert(All(x > 0), [message, x])); graphc checks before the Identity."""
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [3], name="x")
        tf.reduce_all(x > 0.0, name="ok")
        tf.constant("x must be positive:", name="message")
        gd = g.as_graph_def()
    node = gd.node.add(name="check", op="Assert", input=["ok", "message", "x"])
    node.attr["T"].list.type.extend([7, 1])
    node.attr["summarize"].i = 3
    gd.node.add(name="y", op="Identity", input=["x", "^check"]).attr["T"].type = 1
    for backend in ("eager", "numba"):
        with tf.Graph().as_default():
            (y,) = tf.import_graph_def(gd, return_elements=["y:0"], name="")
            with tf.Session(backend=backend) as sess:
                np.testing.assert_array_equal(sess.run(y, {"x:0": [1.0, 2.0, 3.0]}), [1.0, 2.0, 3.0])
                with pytest.raises(tf.errors.InvalidArgumentError,
                                   match=r"assertion failed: \[x must be positive:\] \[1 -2 3\]"):
                    sess.run(y, {"x:0": [1.0, -2.0, 3.0]})


def _graphc_rnn_fns():
    """graphc's GRU dynamic_rnn with sequence_length, map_fn, scan, foldl and a bounded loop, frozen for TF."""
    feeds = {"x": np.random.RandomState(1).randn(2, 5, 3).astype(np.float32), "lengths": np.array([3, 5], np.int32)}
    x = tf.placeholder(tf.float32, [2, 5, 3], name="x")
    lengths = tf.placeholder(tf.int32, [2], name="lengths")
    outs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(4), x, sequence_length=lengths, dtype=tf.float32)
    rows = tf.reshape(x, [10, 3])
    _, bounded = tf.while_loop(lambda i, v: i < 10, lambda i, v: (i + 1, v * 1.5), (0, tf.ones([2])),
                               maximum_iterations=3)
    fetch = {"outs": outs, "state": state, "mapped": tf.map_fn(lambda r: tf.reduce_sum(r * r), rows),
             "scanned": tf.scan(lambda a, r: a + r, rows), "folded": tf.foldl(lambda a, r: a * 0.5 + r, rows),
             "bounded": bounded}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        want = sess.run(fetch, {f"{k}:0": v for k, v in feeds.items()})
        frozen = tf.graph_util.convert_variables_to_constants(
            sess, tf.get_default_graph().as_graph_def(for_tensorflow=True), [t.op.name for t in fetch.values()])
    return frozen, feeds, want, {k: t.name for k, t in fetch.items()}


def test_graphc_rnn_map_fn_scan_and_foldl_run_in_tensorflow_with_the_same_results(tmp_path):
    python = tensorflow_python()
    with tf.Graph().as_default():
        frozen, feeds, want, names = _graphc_rnn_fns()
    with tf.Graph().as_default():
        back = tf.import_graph_def(frozen, return_elements=list(names.values()), name="")
        with tf.Session() as sess:
            for key, value in zip(names, sess.run(back, {f"{k}:0": v for k, v in feeds.items()})):
                np.testing.assert_allclose(value, want[key], rtol=1e-6, err_msg=key)
    got = run_in_tensorflow(python, frozen, feeds, names, tmp_path)
    for key in names:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_imported_tf1_lstm_differentiates_through_its_loop_and_tensor_arrays():
    """tf.gradients through the imported frame (While, TensorArray reads and writes) agrees with central
    differences of the imported graph (float32 weights: a loose tolerance)."""
    want = np.load(DATA / "tf1_lstm_expected.npz")
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 5, 3])
        (out,) = tf.import_graph_def(_load("tf1_lstm_frozen.pb"), input_map={"x": x}, return_elements=["outputs:0"])
        loss = tf.reduce_sum(out * out)
        grad = tf.gradients(loss, x)[0]
        with tf.Session() as sess:
            got = sess.run(grad, {x: want["x"]})
            for index in [(0, 0, 0), (1, 3, 2), (0, 4, 1)]:
                plus, minus = want["x"].copy(), want["x"].copy()
                plus[index] += 1e-2
                minus[index] -= 1e-2
                numeric = (sess.run(loss, {x: plus}) - sess.run(loss, {x: minus})) / 2e-2
                np.testing.assert_allclose(got[index], numeric, rtol=2e-3, atol=1e-5, err_msg=str(index))


def test_a_tf1_cond_whose_branch_is_thousands_of_nodes_deep_imports():
    """Switch(x, p) -> 1501 Negs on the true side, Identity on the false side -> Merge (TF1's layout)."""
    gd = tf.GraphDef()
    for name, dtype in (("p", 10), ("x", 1)):
        gd.node.add(name=name, op="Placeholder").attr["dtype"].type = dtype
    gd.node.add(name="s", op="Switch", input=["x", "p"]).attr["T"].type = 1
    previous = "s:1"
    for k in range(1501):
        gd.node.add(name=f"neg{k}", op="Neg", input=[previous]).attr["T"].type = 1
        previous = f"neg{k}"
    gd.node.add(name="f", op="Identity", input=["s"]).attr["T"].type = 1
    merge = gd.node.add(name="m", op="Merge", input=["f", previous])
    merge.attr["T"].type, merge.attr["N"].i = 1, 2
    with tf.Graph().as_default() as g:
        (m,) = tf.import_graph_def(gd, return_elements=["m:0"], name="")
        assert "If" in {op.type for op in g.get_operations()}
        with tf.Session(backend="eager") as sess:
            np.testing.assert_array_equal(sess.run(m, {"x:0": X, "p:0": True}), -X)
            np.testing.assert_array_equal(sess.run(m, {"x:0": X, "p:0": False}), X)


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_tf2_control_flow_v2_lstm_with_tensor_lists_imports_with_tensorflows_outputs(backend):
    want = np.load(DATA / "tf2_lstm_expected.npz")
    gd = _load("tf2_lstm_frozen.pb")
    body_ops = {n.op for f in gd.library.function for n in f.node_def}
    assert {"TensorListReserve", "TensorListFromTensor", "StatelessWhile"} <= {n.op for n in gd.node}
    assert {"TensorListGetItem", "TensorListSetItem"} <= body_ops
    with tf.Graph().as_default():
        outs = tf.import_graph_def(gd, return_elements=["outputs:0", "c:0", "h:0"], name="")
        with tf.Session(backend=backend) as sess:
            got = sess.run(outs, {"x:0": want["x"]})
    for key, value in zip(("outputs", "c", "h"), got):
        np.testing.assert_allclose(value, want[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_tf1_tensor_array_split_loop_gather_size_and_concat_import_with_tensorflows_outputs():
    want = np.load(DATA / "tf1_tensor_arrays_expected.npz")
    gd = _load("tf1_tensor_arrays_frozen.pb")
    assert {"TensorArraySplitV3", "TensorArrayConcatV3", "TensorArrayGatherV3"} <= {
        n.op for n in gd.node}
    with tf.Graph().as_default():
        outs = tf.import_graph_def(gd, return_elements=["joined:0", "picked:0", "size:0"], name="")
        with tf.Session() as sess:
            got = sess.run(outs, {"x:0": want["x"]})
    for key, value in zip(("joined", "picked", "size"), got):
        np.testing.assert_array_equal(value, want[key], err_msg=key)


def test_graphc_tensor_array_split_and_concat_are_written_as_split_v3_and_run_in_tensorflow(tmp_path):
    x_value = np.arange(12, dtype=np.float32).reshape(6, 2)
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [6, 2], name="x")
        source = tf.TensorArray(tf.float32, size=3).split(x, [2, 2, 2])
        _, target = tf.while_loop(lambda i, t: i < 3, lambda i, t: (i + 1, t.write(i, source.read(i) * 2.0 + 1.0)),
                                  [0, tf.TensorArray(tf.float32, size=3)])
        joined = target.concat()
        gd = g.as_graph_def(for_tensorflow=True)
    assert "TensorArraySplitV3" in {n.op for n in gd.node}
    want = np.load(DATA / "tf1_tensor_arrays_expected.npz")["joined"]    # TF 2.21 compat.v1's, same program
    with tf.Graph().as_default():
        (back,) = tf.import_graph_def(gd, return_elements=[joined.name], name="")
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(back, {"x:0": x_value}), want)
    python = tensorflow_python()
    in_tf = run_in_tensorflow(python, gd, dict(x=x_value), {"joined": joined.name}, tmp_path)
    np.testing.assert_array_equal(in_tf["joined"], want)


def test_a_tensor_array_gradient_outside_loops_round_trips_through_graphcs_own_helper_ops():
    """The gradient's helpers (graphc-only ops) read a TensorArray's buffer and mask by name; both come
    back from the TensorArrayV3 family's nodes."""
    x_value = np.arange(6, dtype=np.float32).reshape(3, 2)
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [3, 2], name="x")
        ta = tf.TensorArray(tf.float32, size=3).unstack(x)
        y = ta.read(1) * 3.0 + ta.stack()[2]
        grad = tf.gradients(tf.reduce_sum(y * y), x)[0]
        gd = g.as_graph_def()
        with tf.Session() as sess:
            want = sess.run(grad, {x: x_value})
    assert {"TensorArrayV3", "TensorArrayScatterV3"} <= {n.op for n in gd.node}
    with tf.Graph().as_default():
        (back,) = tf.import_graph_def(gd, return_elements=[grad.name], name="")
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(back, {"x:0": x_value}), want)


def _loop_gradient_model(nested=False):
    """A loop differentiated by graphc: its gradient loop reads the forward loop's recorded rows (with
    ``nested``, its body has a loop and a cond of its own, whose gradients read theirs)."""
    x = tf.placeholder(tf.float32, [3], name="x")
    w = tf.constant([0.5, -1.5, 2.0], name="w")

    def body(i, v):
        if not nested:
            return i + 1, tf.sin(v) * v + w * v
        inner = tf.while_loop(lambda j, s: j < i, lambda j, s: (j + 1, s * tf.cos(v) + w), [0, tf.zeros([3])],
                              name="inner")[1]
        return i + 1, tf.cond(tf.equal(i % 2, 0), lambda: v * tf.sin(v), lambda: v - w * v, name="parity") + inner

    _, z = tf.while_loop(lambda i, v: i < 3, body, [0, x], name="loop")
    loss = tf.reduce_sum(z * z, name="loss")
    gx, gw = tf.gradients(loss, [x, w])
    return {"loss": loss.name, "gx": gx.name, "gw": gw.name}, np.array([0.3, -0.7, 1.1], np.float32)


@pytest.mark.parametrize("nested", [False, True])
def test_a_differentiated_loop_is_written_as_whiles_that_record_into_tensor_arrays_and_reimports(nested):
    with tf.Graph().as_default() as g:
        names, xd = _loop_gradient_model(nested)
        gd = g.as_graph_def(for_tensorflow=True)
        with tf.Session() as sess:
            want = sess.run(names, {"x:0": xd})
    nodes = {n.name: n for n in gd.node}
    assert nodes["loop"].op == "IdentityN" and nodes["loop/recorded"].op == "While"
    assert not any("_graphc" in n.attr for n in gd.node)
    # the forward loop writes what the gradient loop reads (its count and recorded rows) into TensorArrays
    body = next(f for f in gd.library.function if f.signature.name == nodes["loop/recorded"].attr["body"].func.name)
    assert "TensorArrayWriteV3" in {d.op for d in body.node_def}
    assert nodes["loop"].input[2].startswith("loop/recorded:")       # graphc's output 2, the iteration count
    assert any(n.op == "TensorArrayGatherV3" and n.input[0].startswith("loop/recorded_") for n in gd.node)
    with tf.Graph().as_default():
        back = tf.import_graph_def(gd, return_elements=list(names.values()), name="")
        with tf.Session() as sess:
            got = sess.run(back, {"x:0": xd})
    for key, value in zip(names, got):
        np.testing.assert_allclose(value, want[key], rtol=1e-6, err_msg=key)


@pytest.mark.parametrize("nested", [False, True])
def test_a_differentiated_loop_runs_in_tensorflow_with_graphcs_gradients(tmp_path, nested):
    python = tensorflow_python()
    with tf.Graph().as_default() as g:
        names, xd = _loop_gradient_model(nested)
        gd = g.as_graph_def(for_tensorflow=True)
        with tf.Session() as sess:
            want = sess.run(names, {"x:0": xd})
    got = run_in_tensorflow(python, gd, dict(x=xd), names, tmp_path)
    for key in names:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-6, err_msg=key)
