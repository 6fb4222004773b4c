"""Graph API: node naming, name scopes, variable scopes, default graphs, collections, control deps.

Every expected name was recorded from TensorFlow 1.x graph mode (tensorflow.compat.v1).
"""
import pytest

import graphc as tf


def test_unique_op_and_tensor_names():
    a = tf.constant(1.0)
    b = tf.constant(2.0)
    assert (a.name, b.name) == ("Const:0", "Const_1:0")
    assert (a + b).name == "add:0"
    assert (a + b).name == "add_1:0"
    assert tf.add(a, b, name="add").name == "add_2:0"
    # a name that is itself a uniquified name gets its own suffix
    assert tf.add(a, b, name="add_1").name == "add_1_1:0"
    assert tf.identity(a, name="x").op.name == "x"
    assert tf.identity(a, name="x").op.name == "x_1"


def test_name_uniqueness_ignores_case():
    tf.constant(1.0, name="dup")
    assert tf.constant(2.0, name="Dup").name == "Dup_1:0"
    assert tf.constant(2.0, name="DUP_1").name == "DUP_1_1:0"
    assert tf.constant(2.0, name="dup").name == "dup_2:0"


def test_nested_name_scopes_and_reentering():
    a = tf.constant(1.0, name="a")
    with tf.name_scope("s") as scope:
        assert scope == "s/"
        assert tf.identity(a).name == "s/Identity:0"
        with tf.name_scope("t") as inner:
            assert inner == "s/t/"
            assert tf.identity(a).name == "s/t/Identity:0"
        with tf.name_scope(None):  # None resets to the root
            assert tf.identity(a).name == "Identity:0"
    with tf.name_scope("s") as again:  # a second "s" is a new scope
        assert again == "s_1/"
        assert tf.identity(a).name == "s_1/Identity:0"
    with tf.name_scope("s/"):  # a trailing "/" re-enters verbatim
        assert tf.identity(a).name == "s/Identity_1:0"
    with tf.name_scope("s/t/"):
        assert tf.identity(a).name == "s/t/Identity_1:0"
    with tf.name_scope("x") as x_scope:
        with tf.name_scope(x_scope) as same:
            assert same == "x/"
            assert tf.identity(a).name == "x/Identity:0"
    with tf.name_scope("") as root:
        assert root == ""
        assert tf.identity(a).name == "Identity_1:0"
    # a scope name is reserved, so an op may not take it unsuffixed
    assert tf.constant(3.0, name="s").name == "s_2:0"


def test_name_scope_default_name_and_graph_methods():
    g = tf.get_default_graph()
    with tf.name_scope(None, default_name="dflt") as s:
        assert s == "dflt/"
    with tf.name_scope("q"):
        with tf.name_scope("r"):
            assert g.get_name_scope() == "q/r"
            assert g.unique_name("z") == "q/r/z"
    assert g.get_name_scope() == ""
    assert g.unique_name("foo") == "foo"
    assert g.unique_name("foo") == "foo_1"
    assert g.unique_name("bar", mark_as_used=False) == "bar"
    assert g.unique_name("bar", mark_as_used=False) == "bar"


def test_invalid_names_are_rejected():
    for bad in ("a b", "_x", "x:0"):
        with pytest.raises(ValueError, match="not a valid node name"):
            tf.constant(1.0, name=bad)
    with pytest.raises(ValueError, match="not a valid root scope name"):
        with tf.name_scope("a b"):
            pass
    with pytest.raises(ValueError, match="not a valid root scope name"):
        with tf.name_scope("_s"):
            pass
    with tf.name_scope("ok"):
        with tf.name_scope("_s") as s:  # allowed below the root, as in TF1
            assert s == "ok/_s/"
    assert tf.constant(1.0, name="x-y.z>w").name == "x-y.z>w:0"
    assert tf.constant(1.0, name="1x").name == "1x:0"
    assert [op.name for op in tf.get_default_graph().get_operations()] == ["x-y.z>w", "1x"]


def test_verbatim_duplicate_name_raises():
    c = tf.constant(1.0, name="dup")
    with tf.name_scope("dup/"):
        assert tf.constant(2.0, name="inner").name == "dup/inner:0"
    with pytest.raises(ValueError, match="Duplicate node name in graph: 'dup'"):
        tf.add(c, c, name="dup/")


def test_variable_names():
    assert tf.Variable(1.0).name == "Variable:0"
    assert tf.Variable(1.0).name == "Variable_1:0"
    assert tf.Variable(2.0, name="v").name == "v:0"
    assert tf.Variable(2.0, name="v").name == "v_1:0"
    assert tf.Variable(1.0, name="a/b").name == "a/b:0"
    assert tf.Variable(1.0, name="a/b").name == "a/b_1:0"
    v = tf.Variable(1.0, name="W")
    assert v.op.name == "W"
    assert v.op.type == "VariableV2"
    assert v.initializer.name == "W/Assign"
    assert v.initializer.type == "Assign"
    assert v.initial_value.name == "W/initial_value:0"
    assert v.read_value().name == "read:0"
    assert tf.get_default_graph().get_operation_by_name("W/Assign") is v.initializer
    u = tf.Variable(lambda: tf.constant(3.0), name="u")
    assert u.initial_value.name == "u/Initializer/Const:0"
    # names are unique regardless of case, as in TF1
    assert tf.Variable(1.0, name="w").name == "w_1:0"


def test_variable_names_inside_scopes():
    a = tf.constant(1.0, name="a")
    with tf.variable_scope("outer"):
        with tf.variable_scope("in"):
            assert tf.get_variable("z", [1]).name == "outer/in/z:0"
            assert tf.identity(a).name == "outer/in/Identity:0"
            assert tf.Variable(1.0).name == "outer/in/Variable:0"
    with tf.name_scope("ns"):
        with tf.variable_scope("vs2"):
            # get_variable ignores name scopes, ops and tf.Variable do not
            assert tf.get_variable("z", [1]).name == "vs2/z:0"
            assert tf.identity(a).name == "ns/vs2/Identity:0"
            assert tf.Variable(1.0).name == "ns/vs2/Variable:0"
    with tf.variable_scope("n1"):
        with tf.name_scope("inner_ns"):
            assert tf.get_variable("v", [1]).name == "n1/v:0"
            assert tf.get_variable_scope().name == "n1"


def test_get_variable_initializer_op_names():
    with tf.variable_scope("layer1"):
        w = tf.get_variable("W", [2, 3])
    assert w.name == "layer1/W:0"
    assert w.initializer.name == "layer1/W/Assign"
    ops = [op.name for op in tf.get_default_graph().get_operations()]
    prefix = "layer1/W/Initializer/random_uniform"
    assert ops == [f"{prefix}/shape", f"{prefix}/min", f"{prefix}/max", f"{prefix}/RandomUniform",
                   f"{prefix}/sub", f"{prefix}/mul", prefix, "layer1/W", "layer1/W/Assign"]


def test_variable_scope_reuse_and_name_scopes():
    a = tf.constant(1.0, name="a")
    with tf.variable_scope("layer1") as scope:
        w = tf.get_variable("W", [2, 3])
        assert scope.name == "layer1"
        assert scope.original_name_scope == "layer1/"
        assert tf.identity(a).name == "layer1/Identity:0"
    with tf.variable_scope("layer1", reuse=True) as again:
        assert tf.get_variable("W") is w
        # a second entry: a new name scope for ops, the same names for variables
        assert again.original_name_scope == "layer1_1/"
        assert tf.identity(a).name == "layer1_1/Identity:0"
    with tf.variable_scope("layer1") as third:
        assert tf.identity(a).name == "layer1_2/Identity:0"
        with pytest.raises(ValueError, match="Variable layer1/W already exists, disallowed. Did you mean "
                                             "to set reuse=True or reuse=tf.AUTO_REUSE in VarScope"):
            tf.get_variable("W", [2, 3])
        tf.get_variable_scope().reuse_variables()
        assert tf.get_variable("W") is w
        with tf.variable_scope("inner"):
            assert tf.get_variable_scope().reuse is True
    # entering a scope object: a fresh name scope from its last component, reuse kept
    with tf.variable_scope(third) as entered:
        assert tf.identity(a).name == "layer1_3/Identity:0"
        assert entered.name == "layer1"
        assert entered.reuse is True
        assert entered.original_name_scope == "layer1_2/"
    with tf.variable_scope(third, reuse=False) as entered:  # reuse=False cannot undo reuse
        assert entered.reuse is True


def test_variable_scope_object_keeps_variable_names():
    a = tf.constant(1.0, name="a")
    with tf.variable_scope("outer"):
        with tf.variable_scope("inner") as vin:
            x = tf.get_variable("x", [1])
    with tf.variable_scope(vin):
        assert tf.identity(a).name == "inner/Identity:0"
        assert tf.get_variable_scope().name == "outer/inner"
        assert tf.get_variable_scope().original_name_scope == "outer/inner/"
    with tf.variable_scope("other"):
        with tf.variable_scope(vin, reuse=True):
            assert tf.identity(a).name == "other/inner/Identity:0"
            assert tf.get_variable("x") is x
            assert tf.get_variable_scope().name == "outer/inner"


def test_missing_variable_with_reuse_raises():
    with pytest.raises(ValueError, match="Variable r/nope does not exist, or was not created with "
                                         r"tf.get_variable\(\). Did you mean to set reuse=tf.AUTO_REUSE"):
        with tf.variable_scope("r", reuse=True):
            tf.get_variable("nope", [1])
    with tf.variable_scope("layer1"):
        with pytest.raises(ValueError, match="layer1/inner/Q does not exist"):
            with tf.variable_scope("inner", reuse=True):
                tf.get_variable("Q", [2])


def test_sharing_checks_shape_and_dtype():
    with tf.variable_scope("layer1"):
        tf.get_variable("W", [2, 3])
    with pytest.raises(ValueError, match=r"Trying to share variable layer1/W, but specified shape \(3, 3\) "
                                         r"and found shape \(2, 3\)"):
        with tf.variable_scope("layer1", reuse=True):
            tf.get_variable("W", [3, 3])
    with pytest.raises(ValueError, match="specified dtype float64 and found dtype float32_ref"):
        with tf.variable_scope("layer1", reuse=True):
            tf.get_variable("W", dtype=tf.float64)


def test_auto_reuse():
    with tf.variable_scope("auto", reuse=tf.AUTO_REUSE) as s:
        x1 = tf.get_variable("x", [1])
        assert s.reuse is tf.AUTO_REUSE
        with tf.variable_scope("q", reuse=False) as q:
            assert q.reuse is tf.AUTO_REUSE
    with tf.variable_scope("auto", reuse=tf.AUTO_REUSE):
        x2 = tf.get_variable("x", [1])
    assert x1 is x2
    assert x1.name == "auto/x:0"
    with tf.variable_scope("t", reuse=True) as s:
        assert s.reuse is True
        with tf.variable_scope("q", reuse=tf.AUTO_REUSE) as q:
            assert q.reuse is tf.AUTO_REUSE
    assert tf.get_variable_scope().reuse is False
    assert tf.get_variable_scope().name == ""


def test_default_name_uniquification():
    a = tf.constant(1.0, name="a")
    names = []
    for _ in range(3):
        with tf.variable_scope(None, default_name="dense") as s:
            names.append((s.name, tf.identity(a).name, tf.get_variable("k", [1]).name))
    assert names == [("dense", "dense/Identity:0", "dense/k:0"),
                     ("dense_1", "dense_1/Identity:0", "dense_1/k:0"),
                     ("dense_2", "dense_2/Identity:0", "dense_2/k:0")]
    with tf.variable_scope("outer"):
        with tf.variable_scope(None, default_name="dense") as s:
            assert s.name == "outer/dense"
            assert tf.identity(a).name == "outer/dense/Identity:0"
    with tf.variable_scope("m", default_name="zzz") as s:  # a name wins over default_name
        assert s.name == "m"
    with pytest.raises(TypeError, match="If default_name is None then name_or_scope is required"):
        with tf.variable_scope(None):
            pass


def test_default_name_counts_named_scopes_and_not_name_scopes():
    a = tf.constant(1.0, name="a")
    with tf.variable_scope("dense"):
        pass
    with tf.variable_scope(None, default_name="dense") as s:
        assert (s.name, tf.identity(a).name) == ("dense_1", "dense_1/Identity:0")
    with tf.variable_scope(None, default_name="dense") as s:
        assert (s.name, tf.identity(a).name) == ("dense_2", "dense_2/Identity:0")
    with tf.variable_scope("dense"):
        assert tf.identity(a).name == "dense_3/Identity:0"
    with tf.variable_scope(None, default_name="dense") as s:
        assert (s.name, tf.identity(a).name) == ("dense_3", "dense_4/Identity:0")
    with tf.name_scope("conv"):
        pass
    with tf.variable_scope(None, default_name="conv") as s:
        assert (s.name, tf.identity(a).name) == ("conv", "conv_1/Identity:0")


def test_reentering_a_scope_restarts_default_names_inside_it():
    a = tf.constant(1.0, name="a")
    with tf.variable_scope("outer2") as o2:
        with tf.variable_scope(None, default_name="d") as s:
            k = tf.get_variable("k", [1])
            assert s.name == "outer2/d"
        with tf.variable_scope(None, default_name="d") as s:
            assert s.name == "outer2/d_1"
    with tf.variable_scope("outer2", reuse=True):
        with tf.variable_scope(None, default_name="d") as s:
            assert s.name == "outer2/d"
            assert tf.get_variable("k", [1]) is k
            assert tf.identity(a).name == "outer2_1/d/Identity:0"
    with tf.variable_scope(o2, reuse=True):
        with tf.variable_scope(None, default_name="d") as s:
            assert s.name == "outer2/d"
    with tf.variable_scope(None, default_name="d") as s:
        assert s.name == "d"
    with tf.variable_scope("d"):
        pass
    with tf.variable_scope(None, default_name="d") as s:
        assert s.name == "d_1"


def test_auxiliary_name_scope_false():
    a = tf.constant(1.0, name="a")
    with tf.variable_scope("lay") as lay:
        pass
    with tf.variable_scope(lay, auxiliary_name_scope=False):
        assert tf.identity(a).name == "Identity:0"
    with tf.variable_scope("lay2", auxiliary_name_scope=False) as l2:
        assert tf.identity(a).name == "Identity_1:0"
        assert l2.original_name_scope == ""
        assert tf.get_variable("v", [1]).name == "lay2/v:0"
    with tf.variable_scope("lay") as lay:
        with tf.name_scope(lay.original_name_scope):
            assert tf.identity(a).name == "lay_1/Identity:0"


def test_variable_scope_defaults_are_inherited():
    with tf.variable_scope("sc", initializer=tf.constant_initializer(5.0)):
        v = tf.get_variable("v", [2])
        with tf.variable_scope("in"):
            v2 = tf.get_variable("v2", [1])
    with tf.variable_scope("dt", dtype=tf.float64):
        v3 = tf.get_variable("v3", [1])
    assert v3.dtype == tf.float64
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(v).tolist() == [5.0, 5.0]
        assert sess.run(v2).tolist() == [5.0]


def test_custom_getter_wraps_creation():
    seen = []

    def getter(next_getter, name, *args, **kwargs):
        seen.append(name)
        return next_getter(name, *args, **kwargs)

    with tf.variable_scope("cg", custom_getter=getter):
        v = tf.get_variable("w", [2])
    assert seen == ["cg/w"]
    assert v.name == "cg/w:0"


def test_get_variable_regularizer_adds_loss():
    with tf.variable_scope("reg"):
        w = tf.get_variable("w", initializer=[1.0, 2.0], regularizer=lambda v: tf.reduce_sum(v * v))
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 1
    assert losses[0].name.startswith("reg/w/Regularizer/")
    with tf.Session() as sess:
        sess.run(w.initializer)
        assert sess.run(losses[0]) == pytest.approx(5.0)


def test_lookup_by_name():
    a = tf.constant(1.0, name="a")
    s = tf.add(a, a, name="add")
    v = tf.Variable(1.0, name="W")
    g = tf.get_default_graph()
    assert g.get_tensor_by_name("add:0") is s
    assert g.get_operation_by_name("add") is s.op
    assert g.as_graph_element("add") is s.op
    assert g.as_graph_element("add:0") is s
    assert g.as_graph_element(v) is v.op.outputs[0]
    assert g.as_graph_element(s.op) is s.op
    with pytest.raises(ValueError, match="The name 'nope' looks like an \\(invalid\\) Operation name, not a Tensor"):
        g.get_tensor_by_name("nope")
    with pytest.raises(KeyError, match="The name 'nope:0' refers to a Tensor which does not exist. "
                                       "The operation, 'nope', does not exist in the graph."):
        g.get_tensor_by_name("nope:0")
    with pytest.raises(KeyError, match="exists but only has 1 outputs"):
        g.get_tensor_by_name("add:5")
    with pytest.raises(ValueError, match="The name 'add' refers to an Operation, not a Tensor"):
        g.get_tensor_by_name("add")
    with pytest.raises(ValueError, match="Name 'add:0' appears to refer to a Tensor, not a Operation"):
        g.get_operation_by_name("add:0")
    with pytest.raises(KeyError, match="The name 'zz' refers to an Operation not in the graph"):
        g.get_operation_by_name("zz")
    with pytest.raises(TypeError, match="Can not convert a int"):
        g.as_graph_element(3)


def test_tensor_and_operation_attributes():
    x = tf.placeholder(tf.float32, [2, 3], name="x")
    y = tf.identity(x, name="y")
    assert x.op.type == "Placeholder"
    assert x.value_index == 0
    assert x.op.outputs[0] is x
    assert x.graph is tf.get_default_graph()
    assert repr(x) == "<tf.Tensor 'x:0' shape=(2, 3) dtype=float32>"
    assert y.op.inputs[0] is x
    assert [t.name for t in x.op.values()] == ["x:0"]
    assert x.consumers() == [y.op]
    assert list(x.op.inputs) == []
    with pytest.raises(TypeError, match="Python bool"):
        bool(x)


# ---------------------------------------------------------------------------------------------
# default graphs

def test_default_graph_stack_nesting():
    g0 = tf.get_default_graph()
    assert tf.get_default_graph() is g0
    g1 = tf.Graph()
    with g1.as_default() as entered:
        assert entered is g1
        assert tf.get_default_graph() is g1
        c1 = tf.constant(1.0, name="c")
        g2 = tf.Graph()
        with g2.as_default():
            assert tf.get_default_graph() is g2
            with pytest.raises(AssertionError, match="nested graphs"):
                tf.reset_default_graph()
        assert tf.get_default_graph() is g1
    assert tf.get_default_graph() is g0
    assert c1.graph is g1
    assert c1.op not in g0.get_operations()


def test_reset_default_graph_gives_a_new_graph():
    g0 = tf.get_default_graph()
    tf.constant(1.0)
    tf.reset_default_graph()
    g1 = tf.get_default_graph()
    assert g1 is not g0
    assert g1.get_operations() == []
    assert tf.constant(1.0).name == "Const:0"


def test_tensors_of_two_graphs_cannot_mix():
    g1 = tf.Graph()
    with g1.as_default():
        c1 = tf.constant(1.0, name="c")
    g2 = tf.Graph()
    with g2.as_default():
        c2 = tf.constant(2.0, name="d")
    with pytest.raises(ValueError, match="d:0.*must be from the same graph as.*c:0"):
        tf.add(c1, c2)
    with pytest.raises(ValueError, match="same graph"):
        c1 + c2
    c0 = tf.constant(3.0)
    with pytest.raises(ValueError, match="same graph"):
        tf.add(c0, c1)
    with pytest.raises(ValueError, match="different graph"):
        with tf.control_dependencies([c1]):
            pass


def test_ops_built_from_another_graphs_tensors_go_to_that_graph():
    g1 = tf.Graph()
    with g1.as_default():
        c1 = tf.constant(1.0)
    y = tf.identity(c1)
    assert y.graph is g1


def test_finalized_graph_rejects_new_ops():
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0)
    g.finalize()
    assert g.finalized
    with g.as_default():
        with pytest.raises(RuntimeError, match="finalized"):
            tf.constant(2.0)


# ---------------------------------------------------------------------------------------------
# collections

def test_collections():
    tf.add_to_collection("foo", 1)
    tf.add_to_collection("foo", 2)
    assert tf.get_collection("foo") == [1, 2]
    assert tf.get_collection("bar") == []
    ref = tf.get_collection_ref("foo")
    ref.append(3)
    assert tf.get_collection("foo") == [1, 2, 3]
    copy = tf.get_collection("foo")
    copy.append(99)
    assert tf.get_collection("foo") == [1, 2, 3]
    tf.add_to_collections(["a", "b"], 5)
    assert tf.get_collection("a") == [5] and tf.get_collection("b") == [5]
    assert sorted(tf.get_default_graph().get_all_collection_keys()) == ["a", "b", "foo"]


def test_graph_keys_values():
    keys = tf.GraphKeys
    assert (keys.GLOBAL_VARIABLES, keys.TRAINABLE_VARIABLES, keys.LOCAL_VARIABLES, keys.UPDATE_OPS,
            keys.LOSSES, keys.REGULARIZATION_LOSSES, keys.SUMMARIES, keys.TRAIN_OP, keys.GLOBAL_STEP,
            keys.MODEL_VARIABLES) == (
        "variables", "trainable_variables", "local_variables", "update_ops", "losses",
        "regularization_losses", "summaries", "train_op", "global_step", "model_variables")


def test_variable_collections_and_scope_filter():
    with tf.variable_scope("sc"):
        v1 = tf.Variable(1.0, name="a")
    v2 = tf.Variable(1.0, name="b", trainable=False)
    v3 = tf.Variable(1.0, name="c", collections=["mine"])
    assert tf.global_variables() == [v1, v2]
    assert tf.trainable_variables() == [v1, v3]
    assert tf.get_collection("mine") == [v3]
    assert tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope="sc") == [v1]
    assert tf.global_variables("sc") == [v1]
    assert tf.trainable_variables("sc") == [v1]
    assert sorted(tf.get_default_graph().get_all_collection_keys()) == ["mine", "trainable_variables",
                                                                        "variables"]


# ---------------------------------------------------------------------------------------------
# control dependencies

def test_control_dependencies_nesting_and_none():
    a = tf.constant(1.0, name="a")
    b = tf.constant(2.0, name="b")
    with tf.control_dependencies([a]):
        c = tf.add(a, b, name="c")      # a is already a data input: no control edge (TF1)
        with tf.control_dependencies([b.op]):
            d = tf.identity(a, name="d")
            with tf.control_dependencies(None):
                e = tf.identity(a, name="e")
                with tf.control_dependencies([c]):
                    f = tf.identity(a, name="f")
    assert c.op.control_inputs == []
    assert d.op.control_inputs == [b.op]
    assert e.op.control_inputs == []
    assert f.op.control_inputs == [c.op]
    with tf.control_dependencies([]):
        assert tf.identity(a).op.control_inputs == []
    g = tf.identity(b)
    with tf.control_dependencies([g, g.op, g]):
        assert tf.identity(a).op.control_inputs == [g.op]


def test_control_dependencies_reject_non_graph_elements():
    with pytest.raises(TypeError, match="Can not convert a float into a Tensor or Operation"):
        with tf.control_dependencies([1.0]):
            pass


def test_control_dependencies_order_a_run():
    v = tf.Variable(0.0)
    inc = tf.assign_add(v, 1.0)
    with tf.control_dependencies([inc]):
        out = tf.constant(5.0) * 1.0
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(out) == 5.0
        assert sess.run(v) == 1.0
        sess.run([out, out])
        assert sess.run(v) == 2.0


def test_set_random_seed_sets_graph_seed():
    assert tf.get_default_graph().seed is None
    tf.set_random_seed(7)
    assert tf.get_default_graph().seed == 7
    g = tf.Graph()
    assert g.seed is None


def test_name_scope_with_values_uses_their_graph():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(1.0)
    with tf.name_scope("foo", values=[v]) as scope:
        assert scope == "foo/"
        assert tf.get_default_graph() is g
        assert tf.identity(v).name == "foo/Identity:0"
    assert tf.get_default_graph() is not g
    with tf.name_scope(None, "dflt") as scope:
        assert scope == "dflt/"
