"""Python operators on tensors (graphc/ops/overloads.py): values, dtypes and the node names TF1 gives."""
import numpy as np
import pytest

import graphc as tf


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


VA = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)
VB = np.array([2.0, 0.5, -4.0], np.float32)
VM = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0], [2.0, 0.0, 1.0]], np.float32)

BINARY = [
    # operator, TF1 node name, op type, numpy expression
    ("+", "add", "Add", lambda a, b: a + b),
    ("-", "sub", "Sub", lambda a, b: a - b),
    ("*", "mul", "Mul", lambda a, b: a * b),
    ("/", "truediv", "RealDiv", lambda a, b: a / b),
    ("//", "floordiv", "FloorDiv", lambda a, b: np.floor(a / b)),
    ("%", "mod", "FloorMod", lambda a, b: a - b * np.floor(a / b)),
    ("**", "pow", "Pow", lambda a, b: np.abs(a) ** b),
]


def _apply(op, a, b):
    return eval(f"a {op} b")  # the operator under test, spelled as the user writes it


@pytest.mark.parametrize("op,name,op_type,ref", BINARY, ids=[b[1] for b in BINARY])
def test_binary_operator_tensor_tensor(op, name, op_type, ref):
    a = tf.placeholder(tf.float32, [None, 3])
    b = tf.placeholder(tf.float32, [3])
    va = np.abs(VA) if op == "**" else VA
    y = _apply(op, a, b)
    assert y.name == f"{name}:0" and y.op.type == op_type
    assert y.dtype is tf.float32 and y.shape.as_list() == [None, 3]
    out = run(y, {a: va, b: VB})
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref(va.astype(np.float64), VB.astype(np.float64)), rtol=1e-5)


@pytest.mark.parametrize("op,name,op_type,ref", BINARY, ids=[b[1] for b in BINARY])
def test_reflected_operator_with_python_number(op, name, op_type, ref):
    a = tf.placeholder(tf.float32, [None, 3])
    va = np.abs(VA) + 0.5
    y = _apply(op, 2, a)
    assert y.name == f"{name}:0" and y.op.type == op_type and y.dtype is tf.float32
    out = run(y, {a: va})
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref(np.float64(2.0), va.astype(np.float64)), rtol=1e-5)


@pytest.mark.parametrize("op,name,op_type,ref", BINARY, ids=[b[1] for b in BINARY])
def test_reflected_operator_with_numpy_array(op, name, op_type, ref):
    a = tf.placeholder(tf.float32, [None, 3])
    va = np.abs(VA) + 0.5
    left = np.array([1.5, 2.0, 3.0])  # float64 array: adopts the tensor's float32
    y = _apply(op, left, a)
    assert isinstance(y, tf.Tensor), "numpy must defer to the tensor's reflected operator"
    assert y.name == f"{name}:0" and y.dtype is tf.float32 and y.shape.as_list() == [None, 3]
    out = run(y, {a: va})
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref(left, va.astype(np.float64)), rtol=1e-5)


def test_numpy_scalar_on_the_left_adopts_the_tensor_dtype():
    a = tf.placeholder(tf.float32, [2])
    y = np.float64(2.0) * a
    assert isinstance(y, tf.Tensor) and y.dtype is tf.float32
    np.testing.assert_array_equal(run(y, {a: [1.0, 2.0]}), [2.0, 4.0])


def test_names_are_uniquified_as_tf1():
    a = tf.placeholder(tf.float32, [3])
    names = [(a + a).name, (a + a).name, (1 + a).name, tf.add(a, a).name, (a - 1).name, (2 - a).name]
    assert names == ["add:0", "add_1:0", "add_2:0", "Add_3:0", "sub:0", "sub_1:0"]


def test_python_int_with_float_tensor_is_fine():
    a = tf.placeholder(tf.float32, [2])
    y = a + 1
    assert y.dtype is tf.float32
    np.testing.assert_array_equal(run(y, {a: [0.5, 1.5]}), [1.5, 2.5])
    assert (a + True).dtype is tf.float32


def test_python_float_with_int_tensor_is_a_type_error():
    i = tf.placeholder(tf.int32, [2])
    with pytest.raises(TypeError, match="int32"):
        i + 1.5
    with pytest.raises(TypeError):
        1.5 + i
    with pytest.raises(TypeError):
        i + [1.5, 2.0]
    with pytest.raises(TypeError):
        2.5 ** i


def test_float_list_on_the_right():
    a = tf.placeholder(tf.float32, [2])
    np.testing.assert_array_equal(run(a + [1.5, 2], {a: [1.0, 1.0]}), [2.5, 3.0])
    np.testing.assert_array_equal(run([1, 2] + a, {a: [1.0, 1.0]}), [2.0, 3.0])


def test_mixed_tensor_dtypes_is_a_type_error_naming_both():
    f = tf.placeholder(tf.float32, [2], name="f")
    d = tf.placeholder(tf.float64, [2], name="d")
    with pytest.raises(TypeError) as e:
        f * d
    assert "f:0" in str(e.value) and "d:0" in str(e.value)


def test_int_operators_keep_int32():
    i = tf.constant(np.array([7, -7, 9], np.int32))
    out = run([i + 1, i - 2, i * 3, i // 2, i % 3, i ** 2, 2 ** tf.constant([3, 1]), -i, abs(i)])
    assert all(o.dtype == np.int32 for o in out)
    v = np.array([7, -7, 9])
    expected = [v + 1, v - 2, v * 3, v // 2, v % 3, v ** 2, [8, 2], -v, np.abs(v)]
    for o, e in zip(out, expected):
        np.testing.assert_array_equal(o, e)


def test_int_division_operator_gives_float64():
    i = tf.constant([7, -7])
    y = i / 2
    z = 7 / i
    assert y.dtype is tf.float64 and z.dtype is tf.float64
    assert (y.name, z.name) == ("truediv:0", "truediv_1:0")
    out = run([y, z])
    np.testing.assert_array_equal(out[0], [3.5, -3.5])
    np.testing.assert_array_equal(out[1], [1.0, -1.0])


def test_matmul_operator_and_reflected_numpy():
    m = tf.placeholder(tf.float32, [3, 3])
    y = m @ m
    z = np.eye(3, dtype=np.float32) @ m
    w = [[1.0, 0.0, 2.0]] @ m
    assert (y.name, z.name, w.name) == ("matmul:0", "matmul_1:0", "matmul_2:0")
    assert z.shape.as_list() == [3, 3] and w.shape.as_list() == [1, 3]
    out = run([y, z, w], {m: VM})
    np.testing.assert_allclose(out[0], VM @ VM, rtol=1e-6)
    np.testing.assert_array_equal(out[1], VM)
    np.testing.assert_allclose(out[2], np.array([[1.0, 0.0, 2.0]]) @ VM, rtol=1e-6)


def test_unary_operators():
    a = tf.placeholder(tf.float32, [None, 3])
    n, b = -a, abs(a)
    assert (n.name, n.op.type, b.name, b.op.type) == ("Neg:0", "Neg", "Abs:0", "Abs")
    out = run([n, b], {a: VA})
    np.testing.assert_array_equal(out[0], 0 - VA)
    np.testing.assert_array_equal(out[1], np.where(VA < 0, -VA, VA))


COMPARE = [("<", "Less", np.less), ("<=", "LessEqual", np.less_equal),
           (">", "Greater", np.greater), (">=", "GreaterEqual", np.greater_equal)]


@pytest.mark.parametrize("op,name,ref", COMPARE, ids=[c[1] for c in COMPARE])
def test_comparison_operators(op, name, ref):
    a = tf.placeholder(tf.float32, [None, 3])
    y = _apply(op, a, 1.5)
    assert y.name == f"{name}:0" and y.dtype is tf.bool and y.shape.as_list() == [None, 3]
    np.testing.assert_array_equal(run(y, {a: VA}), ref(VA, 1.5))


def test_comparison_with_python_number_on_the_left_flips():
    a = tf.placeholder(tf.float32, [None, 3])
    y = 1.5 < a  # Python turns this into a > 1.5
    assert y.name == "Greater:0"
    np.testing.assert_array_equal(run(y, {a: VA}), VA > 1.5)


def test_logical_operators():
    p = tf.placeholder(tf.bool, [4])
    q = tf.constant([True, False, True, False])
    y_and, y_or, y_not, y_xor = p & q, p | q, ~p, p ^ q
    assert [t.name for t in (y_and, y_or, y_not, y_xor)] == ["and:0", "or:0", "LogicalNot:0", "xor:0"]
    assert [t.op.type for t in (y_and, y_or, y_not, y_xor)] == ["LogicalAnd", "LogicalOr", "LogicalNot",
                                                                "LogicalAnd"]
    vp = np.array([True, True, False, False])
    vq = np.array([True, False, True, False])
    out = run([y_and, y_or, y_not, y_xor], {p: vp})
    np.testing.assert_array_equal(out[0], vp & vq)
    np.testing.assert_array_equal(out[1], vp | vq)
    np.testing.assert_array_equal(out[2], ~vp)
    np.testing.assert_array_equal(out[3], vp ^ vq)


def test_reflected_logical_operators_with_python_bools():
    p = tf.placeholder(tf.bool, [2])
    y_and, y_or = True & p, False | p
    assert (y_and.name, y_or.name) == ("and:0", "or:0")
    out = run([y_and, y_or], {p: [True, False]})
    np.testing.assert_array_equal(out[0], [True, False])
    np.testing.assert_array_equal(out[1], [True, False])


def test_logical_operators_on_floats_are_type_errors():
    a = tf.placeholder(tf.float32, [2])
    with pytest.raises(TypeError):
        a & a
    with pytest.raises(TypeError):
        a | a
    with pytest.raises(TypeError):
        ~a


def test_equality_is_identity_in_graph_mode():
    a = tf.placeholder(tf.float32, [2])
    b = tf.identity(a)
    assert (a == a) is True
    assert (a == b) is False
    assert (a != b) is True
    assert len({a, b, a}) == 2
    assert {a: 1}[a] == 1


def test_bool_of_a_tensor_is_a_type_error():
    a = tf.placeholder(tf.float32, [])
    with pytest.raises(TypeError, match="bool"):
        bool(a)
    with pytest.raises(TypeError):
        if a > 0:
            pass


def test_operator_shape_errors_name_both_operands():
    a = tf.placeholder(tf.float32, [2, 3], name="left")
    b = tf.placeholder(tf.float32, [4], name="right")
    with pytest.raises(ValueError) as e:
        a * b
    assert "left:0" in str(e.value) and "right:0" in str(e.value)


def test_operators_on_variables():
    v = tf.Variable([1.0, 2.0], name="v")
    y = 2.0 * v + 1.0
    z = -v
    assert y.dtype is tf.float32 and y.name == "add:0"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out = sess.run([y, z])
    np.testing.assert_array_equal(out[0], [3.0, 5.0])
    np.testing.assert_array_equal(out[1], [-1.0, -2.0])


def test_operator_gradients_flow():
    a = tf.placeholder(tf.float32, [2])
    y = (a * a - 3.0 * a) / 2.0 + a ** 2.0
    g = tf.gradients(y, a)[0]
    np.testing.assert_allclose(run(g, {a: [1.0, 2.0]}), [(2 * 1 - 3) / 2 + 2, (2 * 2 - 3) / 2 + 4], rtol=1e-6)
