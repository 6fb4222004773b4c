"""tf.cond / tf.case / tf.while_loop: values and gradients against TF1, structures, TF1's build-time
errors, and the same results on every backend (region ops run through codegen/regions.py)."""
import collections

import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

BACKENDS = [b for b in ("eager", "interpret", "numba", "triton") if b in available_backends()]
X = np.array([1.0, -2.0, 0.5], np.float32)
W = np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6], [-0.2, 0.3, 0.1]], np.float32)
Pair = collections.namedtuple("Pair", ["a", "b"])


def cond_case(p, x):
    y = tf.cond(p, lambda: x * x * 2.0, lambda: tf.sin(x) - x)
    return [y] + tf.gradients(tf.reduce_sum(y * x), [x])


def while_rnn(x, w):
    i, h = tf.while_loop(lambda i, h: i < 5, lambda i, h: (i + 1, tf.tanh(tf.matmul(h, w) + x)),
                         [tf.constant(0), tf.zeros([1, 3])])
    return [i, h] + tf.gradients(tf.reduce_sum(h * h), [x, w])


def case_case(x, k):
    y = tf.case([(tf.equal(k, 0), lambda: x + 1.0), (tf.equal(k, 1), lambda: x * 3.0)], default=lambda: -x)
    return [y] + tf.gradients(tf.reduce_sum(y * y), [x])


def nested_struct(x):
    out = tf.while_loop(lambda i, p: i < 3,
                        lambda i, p: (i + 1, Pair(p.a * 2.0 + p.b["u"], {"u": p.b["u"] - p.a, "v": p.b["v"]})),
                        [tf.constant(0), Pair(x, {"u": x * 0.5, "v": tf.constant(7)})])
    return [out[0], out[1].a, out[1].b["u"], out[1].b["v"]] + tf.gradients(tf.reduce_sum(out[1].a), [x])


def max_iter(x):
    y = tf.while_loop(lambda v: tf.reduce_sum(v) < 1000.0, lambda v: v * 1.5 + 1.0, [x], maximum_iterations=4)
    return [y] + tf.gradients(tf.reduce_sum(y), [x])


def growing(x):
    _, v = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, tf.concat([v, v * 2.0], 0)),
                         [tf.constant(0), x], shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])])
    return [v]


# (name, build, placeholders (dtype, shape), feeds, expected fetches per feed): expected values from
# TF 2.21 compat.v1 (tensorflow-cpu, disable_v2_behavior), the same builders written against tf.compat.v1
TF_CASES = [
    ("cond", cond_case, [(tf.bool, []), (tf.float32, [3])],
     [((True, X), [[2.0, 8.0, 0.5], [6.0, 24.0, 1.5]]),
      ((False, X), [[-0.15852904319763184, 1.0907025337219238, -0.020574450492858887],
                    [-0.6182267665863037, 3.9229962825775146, -0.08178317546844482]])]),
    ("while_rnn", while_rnn, [(tf.float32, [1, 3]), (tf.float32, [3, 3])],
     [((X[None], W), [5, [[0.8123082518577576, -0.982861340045929, 0.871548593044281]],
                      [[0.705594003200531, -0.07334523648023605, 0.38883015513420105]],
                      [[0.5738828182220459, -0.05970398336648941, 0.31630682945251465],
                       [-0.6931506991386414, 0.07217063009738922, -0.38264480233192444],
                       [0.6133882403373718, -0.064102903008461, 0.34000810980796814]]])]),
    ("case", case_case, [(tf.float32, [3]), (tf.int32, [])],
     [((X, 0), [[2.0, -1.0, 1.5], [4.0, -2.0, 3.0]]),
      ((X, 1), [[3.0, -6.0, 1.5], [18.0, -36.0, 9.0]]),
      ((X, 2), [[-1.0, 2.0, -0.5], [2.0, -4.0, 1.0]])]),
    ("nested_structure", nested_struct, [(tf.float32, [3])],
     [((X,), [3, [6.0, -12.0, 3.0], [-7.5, 15.0, -3.75], 7, [6.0, 6.0, 6.0]])]),
    ("maximum_iterations", max_iter, [(tf.float32, [3])],
     [((X,), [[13.1875, -2.0, 10.65625], [5.0625, 5.0625, 5.0625]])]),
    ("shape_invariants", growing, [(tf.float32, [2])],
     [((X[:2],), [[1.0, -2.0, 2.0, -4.0, 2.0, -4.0, 4.0, -8.0, 2.0, -4.0, 4.0, -8.0, 4.0, -8.0, 8.0, -16.0]])]),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", TF_CASES, ids=[c[0] for c in TF_CASES])
def test_values_and_gradients_match_tf1(case, backend):
    _, build, specs, runs = case
    with tf.Graph().as_default():
        phs = [tf.placeholder(dt, sh) for dt, sh in specs]
        outs = build(*phs)
        with tf.Session(backend=backend) as sess:
            for feeds, expected in runs:
                got = sess.run(outs, dict(zip(phs, feeds)))
                assert len(got) == len(expected)
                for g, e in zip(got, expected):
                    np.testing.assert_allclose(g, e, rtol=2e-6, atol=2e-6)


def test_only_the_taken_branch_runs():
    x = tf.placeholder(tf.float32, [2])
    bad = tf.placeholder(tf.int32, [2])
    # the else branch would fail at run time (a gather out of range); it never runs when pred is true
    y = tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: tf.gather(x, bad))
    with tf.Session(backend="eager") as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1, 2], bad: [5, 7]}), [2, 4])
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(y, {x: [-1, -2], bad: [5, 7]})


def test_single_loop_var_is_returned_as_a_tensor():
    i = tf.while_loop(lambda i: i < 10, lambda i: i + 1, [tf.constant(0)])
    assert isinstance(i, tf.Tensor)
    same = tf.while_loop(lambda i: i < 10, lambda i: i + 1, [tf.constant(0)], return_same_structure=True)
    assert isinstance(same, list) and len(same) == 1
    with tf.Session() as sess:
        assert sess.run(i) == 10 and sess.run(same) == [10]


def test_single_element_list_from_cond_is_unpacked_unless_strict():
    p = tf.placeholder(tf.bool, [])
    assert isinstance(tf.cond(p, lambda: [tf.constant(1.0)], lambda: [tf.constant(2.0)]), tf.Tensor)
    strict = tf.cond(p, lambda: [tf.constant(1.0)], lambda: [tf.constant(2.0)], strict=True)
    assert isinstance(strict, list) and len(strict) == 1


def test_cond_output_shape_is_what_both_branches_share():
    p = tf.placeholder(tf.bool, [])
    # TF 2.21 compat.v1: (2, ?) for [2,3] vs [2,4]; unknown rank for [2,3] vs [3]
    assert tf.cond(p, lambda: tf.zeros([2, 3]), lambda: tf.zeros([2, 4])).shape.as_list() == [2, None]
    assert tf.cond(p, lambda: tf.zeros([2, 3]), lambda: tf.zeros([3])).shape.ndims is None


def test_constant_predicate():
    x = tf.placeholder(tf.float32, [3])
    y = tf.cond(tf.constant(False), lambda: x + 1.0, lambda: x * 10.0)
    g = tf.gradients(tf.reduce_sum(y), x)[0]
    for backend in BACKENDS:
        with tf.Session(backend=backend) as sess:
            got_y, got_g = sess.run([y, g], {x: X})
            np.testing.assert_allclose(got_y, X * 10.0)
            np.testing.assert_allclose(got_g, [10.0, 10.0, 10.0])


def test_variables_in_a_loop_body_live_in_the_outer_graph():
    x = tf.placeholder(tf.float32, [2, 3])

    def body(i, h):
        with tf.variable_scope("cell", reuse=tf.AUTO_REUSE):
            w = tf.get_variable("kernel", [3, 3], initializer=tf.constant_initializer(0.1))
        return i + 1, tf.tanh(tf.matmul(h, w) + x)

    _, h = tf.while_loop(lambda i, h: i < 3, body, [tf.constant(0), tf.zeros([2, 3])])
    graph = tf.get_default_graph()
    names = [v.op.name for v in tf.global_variables()]
    assert names == ["cell/kernel"]
    assert tf.global_variables()[0].graph is graph
    grad = tf.gradients(tf.reduce_sum(h), tf.trainable_variables())[0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out, g = sess.run([h, grad], {x: np.ones((2, 3), np.float32)})
    assert out.shape == (2, 3) and g.shape == (3, 3) and np.all(np.isfinite(g))


def test_control_dependencies_group_and_tuple_inside_bodies():
    v = tf.placeholder(tf.float32, [])

    def body(i, s):
        a = s + 1.0
        with tf.control_dependencies([a]):
            b = tf.identity(a * 2.0)
        grouped = tf.group(a, b)
        with tf.control_dependencies([grouped, v]):    # v: an outer tensor becomes a control input
            c = tf.tuple([b, a])
        return i + 1, c[0] + c[1] * 0.0
    i, s = tf.while_loop(lambda i, s: i < 3, body, [0, 0.0])
    with tf.Session() as sess:
        assert sess.run(s, {v: 1.0}) == pytest.approx(14.0)    # 0 -> 2 -> 6 -> 14


def test_random_draws_in_a_loop_are_fresh_each_iteration_and_gradients_replay_them():
    x = tf.placeholder(tf.float32, [4, 8])

    def body2(i, h):
        d = tf.nn.dropout(h, rate=0.5, seed=5)
        return i + 1, d * 1.5
    _, h = tf.while_loop(lambda i, h: i < 3, body2, [0, x])
    grad = tf.gradients(tf.reduce_sum(h), x)[0]
    ones = np.ones((4, 8), np.float32)
    with tf.Session() as sess:
        out, g = sess.run([h, grad], {x: ones})
    # the gradient of sum(h) wrt x is nonzero exactly where every mask kept the element, and then
    # equals h / x: the same draws as the forward pass
    np.testing.assert_allclose(g, out, rtol=1e-6)
    assert 0 < np.count_nonzero(out) < out.size


def test_dropout_layer_takes_a_training_tensor():
    x = tf.ones([64, 64])
    training = tf.placeholder(tf.bool, [])
    y = tf.layers.dropout(x, rate=0.5, training=training)
    assert any(op.type == "If" for op in tf.get_default_graph().get_operations())
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {training: False}), np.ones((64, 64)))
        dropped = sess.run(y, {training: True})
    assert set(np.unique(dropped)) <= {0.0, 2.0} and 0.3 < np.mean(dropped == 0) < 0.7
    # a constant flag picks its path while building, as TF1's smart_cond
    with tf.Graph().as_default():
        y = tf.layers.dropout(tf.ones([3]), training=tf.constant(False))
        assert not any(op.type == "If" for op in tf.get_default_graph().get_operations())


def test_back_prop_false_gives_no_gradient():
    x = tf.placeholder(tf.float32, [3])
    y = tf.while_loop(lambda v: tf.reduce_sum(v) < 10.0, lambda v: v * 2.0, [x], back_prop=False)
    assert tf.gradients(tf.reduce_sum(y), x) == [None]


def test_parallel_iterations_and_swap_memory_are_accepted():
    y = tf.while_loop(lambda v: v < 10, lambda v: v + 3, [0], parallel_iterations=1, swap_memory=True)
    with tf.Session() as sess:
        assert sess.run(y) == 12


def test_case_with_a_dict_and_first_true_wins():
    k = tf.placeholder(tf.int32, [])
    y = tf.case({tf.equal(k, 0): lambda: tf.constant(10), tf.less(k, 5): lambda: tf.constant(20)},
                default=lambda: tf.constant(30))
    z = tf.case([(tf.less(k, 5), lambda: tf.constant(1)), (tf.less(k, 9), lambda: tf.constant(2))])
    with tf.Session() as sess:
        assert [sess.run(y, {k: v}) for v in (0, 3, 7)] == [10, 20, 30]
        assert [sess.run(z, {k: v}) for v in (0, 7)] == [1, 2]


@pytest.mark.parametrize("backend", BACKENDS)
def test_case_checks_exclusive_and_that_some_predicate_holds(backend):
    k = tf.placeholder(tf.int32, [])
    pairs = [(tf.less(k, 5), lambda: tf.constant(1)), (tf.less(k, 9), lambda: tf.constant(2))]
    no_default = tf.case(pairs)
    exclusive = tf.case(pairs, default=lambda: tf.constant(3), exclusive=True)
    # TF 2.21 compat.v1: 7 -> 2, 3 -> 1, 12 -> "None of conditions evaluated as True";
    # exclusive: 7 -> 2, 12 -> 3, 3 -> "more than 1 conditions (Less_2:0, Less_3:0) evaluated as True"
    with tf.Session(backend=backend) as sess:
        assert [sess.run(no_default, {k: v}) for v in (7, 3)] == [2, 1]
        assert [sess.run(exclusive, {k: v}) for v in (7, 12)] == [2, 3]
        with pytest.raises(tf.errors.InvalidArgumentError, match="None of conditions evaluated as True"):
            sess.run(no_default, {k: 12})
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"exclusive=True: more than 1 conditions"):
            sess.run(exclusive, {k: 3})


def test_nested_captures_reach_through_each_level():
    a = tf.placeholder(tf.float32, [])
    b = tf.placeholder(tf.float32, [])

    def outer(i, s):
        inner = tf.while_loop(lambda j, t: j < 2, lambda j, t: (j + 1, t + a * b), [0, s])[1]
        return i + 1, tf.cond(i > 0, lambda: inner + a, lambda: inner)
    _, s = tf.while_loop(lambda i, s: i < 3, outer, [0, 0.0])
    ga, gb = tf.gradients(s, [a, b])
    for backend in BACKENDS:
        with tf.Session(backend=backend) as sess:
            # s = 6ab + 2a; ds/da = 6b + 2, ds/db = 6a
            np.testing.assert_allclose(sess.run([s, ga, gb], {a: 2.0, b: 3.0}), [40.0, 20.0, 12.0], rtol=1e-6)


def test_a_loop_var_breaking_its_shape_invariant_at_run_time():
    x = tf.placeholder(tf.float32, [None])
    y = tf.while_loop(lambda v: tf.size(v) < 5, lambda v: tf.concat([v, v], 0), [x],
                      shape_invariants=[tf.TensorShape([None])])
    with tf.Session() as sess:
        assert sess.run(y, {x: [1.0]}).shape == (8,)


# build-time errors, with TF1's classes and wording (TF 2.21 compat.v1) ---------------------------

def test_cond_errors():
    p = tf.placeholder(tf.bool, [])
    with pytest.raises(TypeError, match="'pred' must not be a Python bool"):
        tf.cond(True, lambda: 1.0, lambda: 2.0)
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        tf.cond(tf.placeholder(tf.bool, [2]), lambda: 1.0, lambda: 2.0)
    with pytest.raises(TypeError, match="type int32 that does not match expected type of bool"):
        tf.cond(tf.placeholder(tf.int32, []), lambda: 1.0, lambda: 2.0)
    with pytest.raises(TypeError, match="'true_fn' must be callable"):
        tf.cond(p, 1.0, lambda: 2.0)
    with pytest.raises(ValueError, match="don't have the same nested structure"):
        tf.cond(p, lambda: (1.0, 2.0), lambda: 2.0)
    with pytest.raises(TypeError, match="same sequence type"):
        tf.cond(p, lambda: (1.0, 2.0), lambda: [1.0, 2.0])
    with pytest.raises(ValueError, match="same number of elements"):
        tf.cond(p, lambda: (1.0, 2.0), lambda: (1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="same set of keys"):
        tf.cond(p, lambda: {"a": 1.0}, lambda: {"b": 1.0})
    with pytest.raises(ValueError, match=r"Received float32 from 'true_fn' and int32 from 'false_fn'"):
        tf.cond(p, lambda: 1.0, lambda: 2)
    with pytest.raises(ValueError, match="'true_fn' must have a return value"):
        tf.cond(p, lambda: None, lambda: None)


def test_while_loop_errors():
    with pytest.raises(TypeError, match="'cond' must be callable"):
        tf.while_loop(1, lambda i: i + 1, [0])
    with pytest.raises(ValueError, match=r"Input tensor 'zeros:0' enters the loop with shape \(2,\), but has "
                                         r"shape \(4,\) after one iteration.*shape_invariants"):
        tf.while_loop(lambda x: tf.shape(x)[0] < 10, lambda x: tf.concat([x, x], 0), [tf.zeros([2], name="zeros")])
    with pytest.raises(ValueError, match=r"not compatible with the initial shape.*enters the loop with shape "
                                         r"\(2,\), but the specified shape invariant is \(3,\)"):
        tf.while_loop(lambda x: tf.shape(x)[0] < 10, lambda x: x, [tf.zeros([2])],
                      shape_invariants=[tf.TensorShape([3])])
    with pytest.raises(ValueError, match="same number of elements"):
        tf.while_loop(lambda x, y: x < 10, lambda x, y: (x + 1,), [tf.constant(0), 1.0])
    with pytest.raises(ValueError, match="'loop_vars' must be provided"):
        tf.while_loop(lambda: True, lambda: (), [])
    with pytest.raises(TypeError, match="'parallel_iterations' must be a positive integer"):
        tf.while_loop(lambda x: x < 10, lambda x: x + 1, [tf.constant(0)], parallel_iterations=0)
    with pytest.raises(TypeError, match="does not match expected type of bool"):
        tf.while_loop(lambda x: x, lambda x: x + 1, [tf.constant(0.0)])
    with pytest.raises(ValueError, match=r"'maximum_iterations' must be a scalar. Received shape: \(1,\)"):
        tf.while_loop(lambda x: x < 10, lambda x: x + 1, [tf.constant(0)], maximum_iterations=[3])
    with pytest.raises(TypeError, match="enters the loop with type int32, but has type float32"):
        tf.while_loop(lambda x: x < 10, lambda x: tf.cast(x, tf.float32), [tf.constant(0)])


def test_case_errors():
    p = tf.placeholder(tf.bool, [])
    with pytest.raises(TypeError, match="must be callable"):
        tf.case([(p, 1.0)], default=lambda: 2.0)
    with pytest.raises(TypeError, match="must be a 2-tuple"):
        tf.case([1, 2], default=lambda: 2.0)


def test_a_body_cannot_assign_a_variable_and_a_plain_graph_refuses_foreign_tensors():
    v = tf.Variable(1.0)
    with pytest.raises(ValueError, match="Cannot assign a variable inside the body"):
        tf.while_loop(lambda i: i < 3, lambda i: (tf.assign(v, 2.0), i + 1)[1], [0])
    other = tf.Graph()
    with other.as_default():
        foreign = tf.constant(1.0)
    with pytest.raises(ValueError, match="same graph"):
        tf.add(foreign, tf.constant(2.0))


def test_graph_def_of_a_cond_has_its_bodies_and_a_recorded_loop_records_into_tensor_arrays(tmp_path):
    x = tf.Variable([1.0, 2.0])
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: x * 2.0, lambda: x + 1.0)
    graph_def = tf.get_default_graph().as_graph_def()
    node = [n for n in graph_def.node if n.op == "If"][0]
    assert list(node.input) == ["Placeholder", "Variable"]
    assert {f.signature.name for f in graph_def.library.function} == {"cond_then", "cond_else"}
    _, z = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * x), [0, x])
    g, = tf.gradients(z, x)   # the gradient reads the loop's recorded iterations: written as TensorArray writes
    graph_def = tf.get_default_graph().as_graph_def()
    nodes = {n.name: n for n in graph_def.node}
    assert nodes["while"].op == "IdentityN" and nodes["while/recorded"].op == "While"
    with tf.Session() as sess:     # a Saver writes the .meta graph too
        sess.run(tf.global_variables_initializer())
        tf.train.Saver().save(sess, str(tmp_path / "model"))
        np.testing.assert_array_equal(sess.run(y, {p: True}), [2.0, 4.0])
        want = sess.run(g)
    with tf.Graph().as_default():
        back, init = tf.import_graph_def(graph_def, return_elements=[g.name, x.initializer.name], name="")
        with tf.Session() as sess:
            sess.run(init)
            np.testing.assert_allclose(sess.run(back), want, rtol=1e-6)


def test_a_constant_predicate_folds_to_the_taken_branch_in_the_compiled_ir():
    x = tf.placeholder(tf.float32, [3])
    y = tf.cond(tf.logical_not(tf.constant(True)), lambda: x + 1.0, lambda: tf.exp(x) * 10.0)
    with tf.Session(backend="interpret") as sess:
        exe = sess.compile(y, {x: X})
        types = {n.type for n in exe.kernel_plan.program.nodes}
        assert "If" not in types and {"Exp", "Mul"} <= types
        np.testing.assert_allclose(sess.run(y, {x: X}), np.exp(X) * 10.0, rtol=1e-6)


def test_gradients_replay_the_draws_of_conds_and_loops_nested_in_a_loop():
    x = tf.placeholder(tf.float32, [4, 8])
    training = tf.placeholder(tf.bool, [])

    def body(i, h):
        d = tf.layers.dropout(h, rate=0.5, training=training)           # a cond inside the loop
        inner = tf.while_loop(lambda j, g: j < 2, lambda j, g: (j + 1, tf.nn.dropout(g, rate=0.3)), [0, d])[1]
        return i + 1, inner * 1.5
    h = tf.while_loop(lambda i, h: i < 2, body, [0, x])[1]
    grad = tf.gradients(tf.reduce_sum(h), x)[0]
    for backend in BACKENDS:
        with tf.Session(backend=backend) as sess:
            out, g = sess.run([h, grad], {x: np.ones((4, 8), np.float32), training: True})
            # h is x times the product of every mask's scale: its gradient replays the same masks
            np.testing.assert_allclose(g, out, rtol=1e-5)
            assert np.count_nonzero(out) < out.size


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_through_a_loop_matches_tf1(backend):
    x = tf.constant(np.array([[0.5, -1.0, 0.25], [1.0, 0.3, -0.7]], np.float32))

    def body(i, h):
        with tf.variable_scope("cell", reuse=tf.AUTO_REUSE):
            w = tf.get_variable("kernel", [3, 3], initializer=tf.constant_initializer(W))
            b = tf.get_variable("bias", [3], initializer=tf.zeros_initializer())
        return i + 1, tf.tanh(tf.matmul(h, w) + b + x)
    _, h = tf.while_loop(lambda i, h: i < 4, body, [tf.constant(0), tf.zeros([2, 3])])
    loss = tf.reduce_mean(tf.square(h - 0.5))
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    assert [v.op.name for v in tf.trainable_variables()] == ["cell/kernel", "cell/bias"]
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([loss, train])[0] for _ in range(5)] + [sess.run(loss)]
    # TF 2.21 compat.v1, the same program
    np.testing.assert_allclose(losses, [0.5715394020080566, 0.4298180341720581, 0.31292441487312317,
                                        0.2064039260149002, 0.13830509781837463, 0.10441712], rtol=2e-6)


def test_random_ops_in_a_loop_draw_fresh_numbers_each_iteration_and_each_run():
    tf.set_random_seed(1)
    _, v = tf.while_loop(lambda i, v: i < 4,
                         lambda i, v: (i + 1, tf.concat([v, tf.random_uniform([1], seed=2)], 0)),
                         [0, tf.zeros([0])], shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])])
    runs = {}
    for backend in BACKENDS:
        with tf.Session(backend=backend) as sess:
            runs[backend] = (sess.run(v), sess.run(v))
    first, second = runs["eager"]
    assert len(set(first.tolist())) == 4 and not np.array_equal(first, second)
    for backend, (a, b) in runs.items():    # seeded: the same streams on every backend
        np.testing.assert_array_equal(a, first, err_msg=backend)
        np.testing.assert_array_equal(b, second, err_msg=backend)


class Box:
    """A composite value (as tf.TensorArray is): two tensors, the first free to change length."""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def _flat_tensors(self):
        return [self.a, self.b]

    def _with_flat_tensors(self, tensors):
        return Box(*tensors)

    def _flat_shape_invariants(self):
        return [tf.TensorShape([None]), self.b.shape]


def test_composite_values_flow_through_loops_and_conds():
    p = tf.placeholder(tf.bool, [])
    i, box = tf.while_loop(lambda i, box: i < 3, lambda i, box: (i + 1, Box(tf.concat([box.a, box.a], 0), box.b + 1.0)),
                           [0, Box(tf.constant([1.0]), tf.constant(0.0))])
    assert isinstance(box, Box) and box.a.shape.as_list() == [None]
    chosen = tf.cond(p, lambda: Box(box.a * 2.0, box.b), lambda: Box(box.a, -box.b))
    assert isinstance(chosen, Box)
    with tf.Session() as sess:
        a, b = sess.run([chosen.a, chosen.b], {p: True})
        np.testing.assert_array_equal(a, [2.0] * 8)
        assert b == 3.0


def test_nest_utilities():
    nt = Pair(1, {"y": [2, 3], "x": 4})
    assert tf.nest.flatten(nt) == [1, 4, 2, 3]          # dicts in sorted key order
    packed = tf.nest.pack_sequence_as(nt, [10, 40, 20, 30])
    assert packed == Pair(10, {"y": [20, 30], "x": 40})
    assert tf.nest.map_structure(lambda a, b: a + b, nt, packed) == Pair(11, {"y": [22, 33], "x": 44})
    with pytest.raises(ValueError, match="same number of elements"):
        tf.nest.assert_same_structure([1, 2], [1])
    with pytest.raises(TypeError, match="same sequence type"):
        tf.nest.assert_same_structure((1, 2), [1, 2])
    tf.nest.assert_same_structure((1, 2), [1, 2], check_types=False)
    assert tf.nest.flatten(Box(5, 6)) == [5, 6]


def test_scopes_with_outer_values_stay_in_the_body_and_foreign_graphs_are_refused():
    x = tf.placeholder(tf.float32, [2], name="x")
    other = tf.Graph()
    with other.as_default():
        foreign = tf.constant([1.0, 2.0])

    def body(i, h):
        with tf.name_scope("step", values=[x]):
            with tf.variable_scope("inner", values=[x]):
                y = h + x
        assert y.graph is not x.graph and y.op.name == "while/step/inner/add"
        return i + 1, y
    h = tf.while_loop(lambda i, h: i < 2, body, [0, x])[1]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(h, {x: [1.0, 2.0]}), [3.0, 6.0])
    with pytest.raises(ValueError, match="same graph|not .* nor a graph enclosing it"):
        tf.while_loop(lambda i: i < 2, lambda i: i + tf.cast(tf.reduce_sum(foreign), tf.int32), [0])
