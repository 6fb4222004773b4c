"""Array ops (graphc/ops/array.py, join_split.py, tile_pad.py, gather.py): forward values against numpy,
dtypes, static shapes, names, errors.

Gradients are checked numerically in tests/gradcases/array.py; the gradient tests here cover
what that table cannot: partially known shapes, gradient values known from TF1 runs, structure.
"""
import numpy as np
import pytest

import graphc as tf
from graphc.testing import assert_gradients_close

V23 = np.arange(6, dtype=np.float32).reshape(2, 3)
V34 = np.arange(12, dtype=np.float32).reshape(3, 4) - 5.0


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


def rows_of_3():
    return tf.placeholder(tf.float32, [None, 3], name="x")


def assert_same(actual, expected, dtype=None):
    expected = np.asarray(expected, dtype=dtype or np.asarray(expected).dtype)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_array_equal(actual, expected)


# ------------------------------------------------------------------------------------------------
# shape queries

def test_shape_size_rank_values_names_and_dtypes():
    x = rows_of_3()
    s, n, r = tf.shape(x), tf.size(x), tf.rank(x)
    assert (s.name, n.name, r.name) == ("Shape:0", "Size:0", "Rank:0")
    assert s.shape.as_list() == [2] and n.shape.as_list() == [] and r.shape.as_list() == []
    out = run([s, n, r, tf.shape(x, out_type=tf.int64)], {x: np.zeros((4, 3), np.float32)})
    assert_same(out[0], [4, 3], np.int32)
    assert_same(out[1], 12, np.int32)
    assert_same(out[2], 2, np.int32)
    assert_same(out[3], [4, 3], np.int64)


# ------------------------------------------------------------------------------------------------
# reshape, broadcast_to, expand_dims, squeeze

def test_reshape_values_and_minus_one():
    y = tf.reshape(tf.constant(V23), [3, -1])
    assert y.name == "Reshape:0" and y.shape.as_list() == [3, 2] and y.dtype == tf.float32
    assert_same(run(y), V23.reshape(3, 2))


@pytest.mark.parametrize("target, static", [([2, -1], [2, None]), ([-1, 2], [None, 2]), ([-1], [None]),
                                            ([-1, 6], [None, 6])])
def test_reshape_partial_shapes(target, static):
    x = rows_of_3()
    y = tf.reshape(x, target)
    assert y.shape.as_list() == static
    v = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert_same(run(y, {x: v}), v.reshape(target))


def test_reshape_with_a_tensor_shape():
    x = rows_of_3()
    y = tf.constant(np.arange(12, dtype=np.float32).reshape(2, 6))
    z = tf.reshape(y, tf.stack([tf.shape(x)[0], 3]))
    assert z.shape.as_list() == [4, 3]  # TF1 infers the run-time dim from the element count
    w = tf.reshape(x, tf.shape(tf.transpose(x)))
    assert w.shape.as_list() == [3, None]
    v = np.arange(12, dtype=np.float32).reshape(4, 3)
    out = run([z, w], {x: v})
    assert_same(out[0], np.arange(12, dtype=np.float32).reshape(4, 3))
    assert_same(out[1], v.reshape(3, 4))


def test_reshape_errors():
    y = tf.constant(np.zeros((2, 6), np.float32))
    with pytest.raises(ValueError, match="elements"):
        tf.reshape(y, [5, 2])
    with pytest.raises(ValueError, match="multiple"):
        tf.reshape(y, [5, -1])
    with pytest.raises(ValueError, match="-1"):
        tf.reshape(y, [-1, -1])


def test_reshape_gradient_with_partial_shape():
    x = rows_of_3()
    assert_gradients_close(tf.reshape(x, [-1]) * tf.reshape(x, [-1]), [x], [V23.astype(np.float64)],
                           atol=1e-2, rtol=1e-2, delta=1e-2)


def test_broadcast_to_values_and_partial_target():
    x = rows_of_3()
    row = tf.constant([1.0, 2.0, 3.0])
    b = tf.broadcast_to(row, tf.shape(x))
    assert b.name == "BroadcastTo:0" and b.shape.as_list() == [None, 3]
    assert_same(run(b, {x: np.zeros((2, 3), np.float32)}), np.tile([1.0, 2.0, 3.0], (2, 1)).astype(np.float32))
    c = tf.broadcast_to(tf.constant([[1], [2]]), [2, 2, 3])
    assert c.dtype == tf.int32 and c.shape.as_list() == [2, 2, 3]
    assert_same(run(c), np.broadcast_to(np.array([[1], [2]], np.int32), (2, 2, 3)))


def test_broadcast_to_errors():
    y = tf.constant(V23)
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.broadcast_to(y, [3, 6])
    with pytest.raises(ValueError, match="lower rank"):
        tf.broadcast_to(y, [3])


def test_expand_dims_and_squeeze_values_and_shapes():
    x = rows_of_3()
    e0, e_last = tf.expand_dims(x, 0), tf.expand_dims(x, -1)
    assert e0.shape.as_list() == [1, None, 3] and e_last.shape.as_list() == [None, 3, 1]
    assert e0.name == "ExpandDims:0"
    s_axis = tf.squeeze(tf.expand_dims(x, 1), [1])
    s_all = tf.squeeze(tf.expand_dims(x, 1))
    assert s_axis.shape.as_list() == [None, 3]
    assert s_all.shape.ndims is None  # the batch dim may be 1 at run time (TF1 gives <unknown> too)
    s_empty_axis = tf.squeeze(tf.constant(np.zeros((1, 2, 1), np.float32)), [])
    assert s_empty_axis.shape.as_list() == [2]
    v = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = run([e0, e_last, s_axis, s_all], {x: v})
    assert_same(out[0], v[None])
    assert_same(out[1], v[..., None])
    assert_same(out[2], v)
    assert_same(out[3], v)
    assert_same(run(s_all, {x: v[:1]}), v[0])


def test_expand_dims_and_squeeze_errors():
    y = tf.constant(V23)
    with pytest.raises(ValueError, match="out of range"):
        tf.expand_dims(y, 3)
    with pytest.raises(ValueError, match="squeeze dim"):
        tf.squeeze(y, [0])


def test_squeeze_and_expand_dims_gradients_with_unknown_shapes():
    x = tf.placeholder(tf.float64, [None, 1, 3])
    y = tf.squeeze(x) * tf.squeeze(x)
    assert_gradients_close(y, [x], [np.array([[[1.0, -2.0, 0.5]], [[0.3, 0.2, 0.1]]])])
    u = tf.placeholder(tf.float64)  # unknown rank: ExpandDims' gradient reshapes back
    assert_gradients_close(tf.expand_dims(u, 1) * 3.0, [u], [np.array([[1.0, 2.0]])])


# ------------------------------------------------------------------------------------------------
# slicing

def test_slices_values_and_shapes():
    x = tf.placeholder(tf.float32, [None, 4])
    cases = {
        "a": (x[1:, ::2], lambda v: v[1:, ::2], [None, 2]),
        "b": (x[-1], lambda v: v[-1], [4]),
        "c": (x[..., None], lambda v: v[..., None], [None, 4, 1]),
        "d": (x[:, tf.newaxis], lambda v: v[:, None], [None, 1, 4]),
        "e": (x[::-1, ::-2], lambda v: v[::-1, ::-2], [None, 2]),
        "f": (x[:, -3:-1], lambda v: v[:, -3:-1], [None, 2]),
        "g": (x[0, 3], lambda v: v[0, 3], []),
        "h": (tf.slice(x, [1, 1], [-1, 2]), lambda v: v[1:, 1:3], [None, 2]),
        "i": (x[tf.constant(1)], lambda v: v[1], [4]),
    }
    for key, (t, _, static) in cases.items():
        assert t.shape.as_list() == static, key
    assert cases["a"][0].name == "strided_slice:0" and cases["h"][0].name == "Slice:0"
    v = V34
    out = run({k: c[0] for k, c in cases.items()}, {x: v})
    for key, (_, expected, _) in cases.items():
        assert_same(out[key], expected(v))


def test_slice_errors():
    y = tf.constant(V23)
    with pytest.raises(ValueError, match="out of bounds"):
        y[2]
    with pytest.raises(ValueError, match="Too many indices"):
        y[0, 0, 0]
    with pytest.raises(ValueError, match="zero"):
        y[::0]
    with pytest.raises(TypeError, match="gather"):
        y[tf.placeholder(tf.int32, [])]
    with pytest.raises(TypeError):
        y[1.5]


def test_slice_gradient_values_and_partial_shapes():
    x = tf.placeholder(tf.float32, [None, 4])
    g = tf.gradients(x[1:, ::-2] * 3.0, x)[0]
    assert g.shape.as_list() == [None, 4]
    expected = np.zeros((3, 4), np.float32)
    expected[1:, ::-2] = 3.0
    assert_same(run(g, {x: V34}), expected)
    xd = tf.placeholder(tf.float64, [None, 4])
    assert_gradients_close(tf.slice(xd, [0, 1], [2, -1]) * xd[:2, 1:], [xd], [V34.astype(np.float64)])


# ------------------------------------------------------------------------------------------------
# creation

def test_zeros_ones_static_shapes_are_constants():
    z, o = tf.zeros([2, 3]), tf.ones([2], tf.int32)
    assert (z.name, z.op.type, z.dtype) == ("zeros:0", "Const", tf.float32)
    assert (o.name, o.dtype) == ("ones:0", tf.int32)
    s, n, b = tf.zeros([]), tf.zeros(3), tf.ones([2], tf.bool)
    assert s.shape.as_list() == [] and n.shape.as_list() == [3]
    out = run([z, o, s, n, b])
    assert_same(out[0], np.zeros((2, 3), np.float32))
    assert_same(out[1], np.ones(2, np.int32))
    assert_same(out[2], np.float32(0))
    assert_same(out[3], np.zeros(3, np.float32))
    assert_same(out[4], np.array([True, True]))


def test_zeros_ones_of_tensor_shapes_are_fills():
    x = rows_of_3()
    z, o = tf.zeros(tf.shape(x)), tf.ones(tf.shape(x), tf.float64)
    mixed = tf.zeros([tf.shape(x)[0], 3], tf.int32)
    big = tf.ones([40, 40])
    assert (z.name, z.op.type, z.shape.as_list()) == ("zeros:0", "Fill", [None, 3])
    assert o.dtype == tf.float64 and mixed.shape.as_list() == [None, 3]
    assert big.op.type == "Fill" and big.shape.as_list() == [40, 40]  # large: not baked into the graph
    out = run([z, o, mixed, big], {x: np.zeros((4, 3), np.float32)})
    assert_same(out[0], np.zeros((4, 3), np.float32))
    assert_same(out[1], np.ones((4, 3), np.float64))
    assert_same(out[2], np.zeros((4, 3), np.int32))
    assert_same(out[3], np.ones((40, 40), np.float32))


def test_fill_values_dtypes_and_shapes():
    x = rows_of_3()
    a, b = tf.fill([2, 3], 2), tf.fill(tf.shape(x), 2.5)
    assert (a.name, a.dtype, a.shape.as_list()) == ("Fill:0", tf.int32, [2, 3])
    assert (b.dtype, b.shape.as_list()) == (tf.float32, [None, 3])
    out = run([a, b], {x: np.zeros((1, 3), np.float32)})
    assert_same(out[0], np.full((2, 3), 2, np.int32))
    assert_same(out[1], np.full((1, 3), 2.5, np.float32))


def test_fill_errors():
    with pytest.raises(ValueError, match="scalar"):
        tf.fill([2], [1.0, 2.0])
    with pytest.raises(ValueError, match=">= 0"):
        tf.fill([2, -1], 1.0)
    with pytest.raises(ValueError, match=">= 0"):
        tf.zeros([-1, 2])
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.fill(tf.constant([2.0]), 1.0)


def test_fill_gradient_reaches_the_value():
    v = tf.placeholder(tf.float32, [])
    x = rows_of_3()
    g = tf.gradients(tf.fill(tf.shape(x), v) * x, v)[0]
    assert_same(run(g, {v: 1.0, x: V23}), np.float32(V23.sum()))


def test_zeros_like_ones_like():
    x = rows_of_3()
    zl, ol = tf.zeros_like(x), tf.ones_like(x)
    zi = tf.zeros_like(x, dtype=tf.int32)
    assert (zl.name, zl.shape.as_list(), zl.dtype) == ("zeros_like:0", [None, 3], tf.float32)
    assert (ol.name, ol.shape.as_list()) == ("ones_like:0", [None, 3])
    assert zi.dtype == tf.int32
    full = tf.zeros_like(tf.constant(V23))
    assert full.op.type == "Const" and full.shape.as_list() == [2, 3]
    lst = tf.ones_like([1, 2])
    boolean = tf.ones_like(tf.constant([True, False]))
    out = run([zl, ol, zi, full, lst, boolean], {x: V23})
    assert_same(out[0], np.zeros((2, 3), np.float32))
    assert_same(out[1], np.ones((2, 3), np.float32))
    assert_same(out[2], np.zeros((2, 3), np.int32))
    assert_same(out[3], np.zeros((2, 3), np.float32))
    assert_same(out[4], np.ones(2, np.int32))
    assert_same(out[5], np.array([True, True]))


def test_zeros_like_passes_no_gradient():
    x = rows_of_3()
    g = tf.gradients(tf.ones_like(x) * 2.0 + x, x)[0]
    assert_same(run(g, {x: V23}), np.ones((2, 3), np.float32))


def test_range_values_dtypes_and_names():
    a = tf.range(5)
    assert (a.name, a.dtype, a.shape.as_list()) == ("range:0", tf.int32, [5])
    assert [t.op.name for t in a.op.inputs] == ["range/start", "range/limit", "range/delta"]
    b = tf.range(1, 5.0, 0.5)
    assert (b.dtype, b.shape.as_list()) == (tf.float32, [8])
    c = tf.range(3, dtype=tf.float64)
    d = tf.range(tf.constant(3, tf.int64))
    e = tf.range(5, 1, -1)
    f = tf.range(0.1, 10.0, 0.1)
    assert c.dtype == tf.float64 and d.dtype == tf.int64 and e.shape.as_list() == [4]
    out = run([a, b, c, d, e, f])
    assert_same(out[0], np.arange(5, dtype=np.int32))
    assert_same(out[1], np.arange(1, 5, 0.5, dtype=np.float32))
    assert_same(out[2], np.arange(3, dtype=np.float64))
    assert_same(out[3], np.arange(3, dtype=np.int64))
    assert_same(out[4], np.array([5, 4, 3, 2], np.int32))
    # float32 elements are start + i * delta, computed in float32 (99 of them, as TF1 counts)
    assert_same(out[5], np.float32(0.1) + np.arange(99, dtype=np.float32) * np.float32(0.1))


def test_range_with_a_run_time_limit():
    x = rows_of_3()
    r = tf.range(tf.shape(x)[0])
    assert r.shape.as_list() == [None]
    assert_same(run(r, {x: np.zeros((4, 3), np.float32)}), np.arange(4, dtype=np.int32))


def test_range_errors():
    with pytest.raises(ValueError, match="delta != 0"):
        tf.range(0, 3, 0)
    with pytest.raises(ValueError, match="start <= limit"):
        tf.range(5, 1)
    with pytest.raises(TypeError):
        tf.range(0, 3, 0.5, dtype=tf.int32)
    lim = tf.placeholder(tf.int32, [])
    with pytest.raises(tf.errors.InvalidArgumentError, match="start <= limit"):
        run(tf.range(3, lim), {lim: 1})


# ------------------------------------------------------------------------------------------------
# transpose

def test_transpose_values_and_shapes():
    x = tf.placeholder(tf.float32, [None, 3, 4])
    t_default, t_perm = tf.transpose(x), tf.transpose(x, [1, 0, 2])
    assert t_default.name == "transpose:0"
    assert t_default.shape.as_list() == [4, 3, None] and t_perm.shape.as_list() == [3, None, 4]
    unknown = tf.transpose(tf.placeholder(tf.float32))
    assert unknown.shape.ndims is None
    ints = tf.transpose(tf.constant([[1, 2, 3]]), conjugate=True)
    v = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    out = run([t_default, t_perm, ints], {x: v})
    assert_same(out[0], v.transpose(2, 1, 0))
    assert_same(out[1], v.transpose(1, 0, 2))
    assert_same(out[2], np.array([[1], [2], [3]], np.int32))


def test_transpose_errors():
    y = tf.constant(V23)
    with pytest.raises(ValueError, match="permutation"):
        tf.transpose(y, [0, 0])
    with pytest.raises(ValueError, match="perm of length"):
        tf.transpose(y, [0, 1, 2])


# ------------------------------------------------------------------------------------------------
# concat, stack, unstack, split

def test_concat_values_shapes_and_names():
    x = rows_of_3()
    y = tf.constant(V23)
    c0, c1, cm = tf.concat([x, y], 0), tf.concat([y, y], 1), tf.concat([y, y], -1)
    assert c0.name == "concat:0" and c0.shape.as_list() == [None, 3]
    assert c1.shape.as_list() == [2, 6] and cm.shape.as_list() == [2, 6]
    assert tf.concat([x, y], 1).shape.as_list() == [2, 6]  # the known batch size wins
    single = tf.concat([x], 0)
    assert single.name == "concat_4/concat:0" and single.op.type == "Identity"
    ints = tf.concat([[1, 2], [3]], 0)
    assert ints.dtype == tf.int32
    v = np.ones((1, 3), np.float32)
    out = run([c0, c1, cm, ints], {x: v})
    assert_same(out[0], np.concatenate([v, V23], 0))
    assert_same(out[1], np.concatenate([V23, V23], 1))
    assert_same(out[2], np.concatenate([V23, V23], -1))
    assert_same(out[3], np.array([1, 2, 3], np.int32))


def test_concat_errors():
    y = tf.constant(V23)
    with pytest.raises(ValueError, match="one rank"):
        tf.concat([y, tf.zeros([3])], 0)
    with pytest.raises(ValueError, match="equal sizes in dimension 1"):
        tf.concat([y, tf.zeros([2, 4])], 0)
    with pytest.raises(ValueError, match="out of range"):
        tf.concat([y, y], 2)
    with pytest.raises(TypeError, match="dtype"):
        tf.concat([y, tf.zeros([2, 3], tf.int32)], 0)
    with pytest.raises(ValueError, match="scalars"):
        tf.concat([tf.constant(1.0), tf.constant(2.0)], 0)


def test_concat_gradient_with_run_time_sizes():
    a = tf.placeholder(tf.float64, [None, 3])
    b = tf.placeholder(tf.float64, [2, None])
    y = tf.concat([a, b, a], 0)
    assert y.shape.as_list() == [None, 3]
    ga, gb = tf.gradients(y * y, [a, b])
    assert ga.shape.as_list() == [None, 3] and gb.shape.as_list() == [2, 3]
    va, vb = np.arange(3.0).reshape(1, 3), np.arange(6.0).reshape(2, 3) + 1
    out = run([ga, gb], {a: va, b: vb})
    np.testing.assert_allclose(out[0], 4 * va)
    np.testing.assert_allclose(out[1], 2 * vb)
    assert_gradients_close(tf.concat([a, b], 1) ** 2, [a, b], [va.repeat(2, 0), vb])


def test_stack_values_shapes_and_names():
    x = rows_of_3()
    y = tf.constant(V23)
    s0, s1, sm = tf.stack([x, y]), tf.stack([x, y], axis=1), tf.stack([y, y], axis=-1)
    assert (s0.name, s0.op.type) == ("stack:0", "Pack")
    assert s0.shape.as_list() == [2, 2, 3] and s1.shape.as_list() == [2, 2, 3] and sm.shape.as_list() == [2, 3, 2]
    scalars = tf.stack([1, 2])
    assert scalars.dtype == tf.int32 and scalars.shape.as_list() == [2]
    mixed = tf.stack([tf.shape(x)[0], 3])
    assert mixed.op.type == "Pack" and mixed.dtype == tf.int32
    out = run([s0, s1, sm, scalars, mixed], {x: V23 + 1})
    assert_same(out[0], np.stack([V23 + 1, V23]))
    assert_same(out[1], np.stack([V23 + 1, V23], axis=1))
    assert_same(out[2], np.stack([V23, V23], axis=-1))
    assert_same(out[3], np.array([1, 2], np.int32))
    assert_same(out[4], np.array([2, 3], np.int32))


def test_stack_errors():
    y = tf.constant(V23)
    with pytest.raises(ValueError, match="one shape"):
        tf.stack([y, tf.zeros([3, 2])])
    with pytest.raises(ValueError, match="out of range"):
        tf.stack([y, y], axis=3)


def test_unstack_values_shapes_and_names():
    x = rows_of_3()
    rows = tf.unstack(x, num=2)
    cols = tf.unstack(x, axis=1)
    assert [t.name for t in rows] == ["unstack:0", "unstack:1"]
    assert rows[0].shape.as_list() == [3] and len(cols) == 3 and cols[2].shape.as_list() == [None]
    out = run(rows + cols, {x: V23})
    for got, want in zip(out, list(V23) + list(V23.T)):
        assert_same(got, want)


def test_unstack_errors():
    x = rows_of_3()
    with pytest.raises(ValueError, match="num"):
        tf.unstack(x)
    with pytest.raises(ValueError, match="num"):
        tf.unstack(tf.placeholder(tf.float32))
    with pytest.raises(ValueError, match="num=3"):
        tf.unstack(tf.constant(V23), num=3)
    rows = tf.unstack(x, num=2)
    with pytest.raises(tf.errors.InvalidArgumentError):
        run(rows, {x: np.zeros((3, 3), np.float32)})


def test_split_values_shapes_and_names():
    x = tf.placeholder(tf.float32, [None, 4])
    halves = tf.split(x, 2, axis=1)
    assert [t.name for t in halves] == ["split:0", "split:1"] and halves[0].op.type == "Split"
    assert halves[0].shape.as_list() == [None, 2]
    sized = tf.split(x, [1, -1], 1)
    assert sized[0].op.type == "SplitV" and [t.shape.as_list() for t in sized] == [[None, 1], [None, 3]]
    rows = tf.split(x, [1, -1], 0)
    assert [t.shape.as_list() for t in rows] == [[1, 4], [None, 4]]
    from_tensor = tf.split(x, tf.constant([3, 1]), axis=-1)
    assert [t.shape.as_list() for t in from_tensor] == [[None, 3], [None, 1]]
    one = tf.split(x, 1, 0)
    assert isinstance(one, list) and len(one) == 1
    out = run([halves, sized, rows, from_tensor], {x: V34})
    for got, want in zip(out[0], np.split(V34, 2, axis=1)):
        assert_same(got, want)
    for got, want in zip(out[1], [V34[:, :1], V34[:, 1:]]):
        assert_same(got, want)
    for got, want in zip(out[2], [V34[:1], V34[1:]]):
        assert_same(got, want)
    for got, want in zip(out[3], [V34[:, :3], V34[:, 3:]]):
        assert_same(got, want)


def test_split_errors():
    y = tf.constant(V23)
    with pytest.raises(ValueError, match="evenly divisible"):
        tf.split(y, 2, 1)
    with pytest.raises(ValueError, match="add up to"):
        tf.split(y, [1, 1], 1)
    with pytest.raises(ValueError, match="only have one -1"):
        tf.split(y, [-1, -1], 1)
    with pytest.raises(ValueError, match="positive"):
        tf.split(y, 0, 1)
    x = tf.placeholder(tf.float32, [None, 3])
    pieces = tf.split(x, 2, 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="evenly divi"):  # eager at run time, compiled at planning
        run(pieces, {x: np.zeros((3, 3), np.float32)})


def test_split_gradient_fills_unused_pieces_with_zeros():
    x = tf.placeholder(tf.float32, [None, 4])
    first, _, third = tf.split(x, [1, 2, -1], 1)
    g = tf.gradients(first * 2.0 + third * 3.0, x)[0]
    assert_same(run(g, {x: V34}), np.tile(np.array([2, 0, 0, 3], np.float32), (3, 1)))


# ------------------------------------------------------------------------------------------------
# tile

def test_tile_values_and_shapes():
    x = rows_of_3()
    t = tf.tile(x, [2, 3])
    assert (t.name, t.shape.as_list()) == ("Tile:0", [None, 9])
    dyn = tf.tile(tf.constant([[1, 2]]), tf.stack([tf.shape(x)[0], 1]))
    assert dyn.shape.as_list() == [None, 2] and dyn.dtype == tf.int32
    out = run([t, dyn], {x: V23})
    assert_same(out[0], np.tile(V23, (2, 3)))
    assert_same(out[1], np.array([[1, 2], [1, 2]], np.int32))


def test_tile_errors():
    y = tf.constant(V23)
    with pytest.raises(ValueError, match="one entry per dimension"):
        tf.tile(y, [2])
    with pytest.raises(ValueError, match=">= 0"):
        tf.tile(y, [2, -1])


def test_tile_gradient_sums_the_copies():
    x = rows_of_3()
    g = tf.gradients(tf.tile(x, [2, 3]) * 1.5, x)[0]
    assert g.shape.as_list() == [None, 3]
    assert_same(run(g, {x: V23}), np.full((2, 3), 9.0, np.float32))
    xd = tf.placeholder(tf.float64, [None, 3])
    assert_gradients_close(tf.tile(xd, [2, 1]) ** 2, [xd], [V23.astype(np.float64)])


# ------------------------------------------------------------------------------------------------
# pad

def test_pad_constant_values_and_shapes():
    x = rows_of_3()
    p = tf.pad(x, [[1, 1], [2, 0]])
    p3 = tf.pad(x, [[0, 1], [1, 1]], constant_values=3)
    assert (p.name, p.shape.as_list()) == ("Pad:0", [None, 5])
    assert (p3.name, p3.dtype) == ("PadV2:0", tf.float32)
    ints = tf.pad(tf.constant([[1, 2]]), tf.constant([[1, 0], [0, 1]]))
    out = run([p, p3, ints], {x: V23})
    assert_same(out[0], np.pad(V23, [[1, 1], [2, 0]]))
    assert_same(out[1], np.pad(V23, [[0, 1], [1, 1]], constant_values=3.0))
    assert_same(out[2], np.array([[0, 0, 0], [1, 2, 0]], np.int32))


def test_mirror_pad_values():
    y = tf.constant(V23)
    r, s = tf.pad(y, [[1, 1], [2, 0]], "REFLECT"), tf.pad(y, [[1, 1], [2, 2]], "symmetric")
    assert (r.name, r.shape.as_list()) == ("MirrorPad:0", [4, 5])
    out = run([r, s])
    assert_same(out[0], np.pad(V23, [[1, 1], [2, 0]], mode="reflect"))
    assert_same(out[1], np.pad(V23, [[1, 1], [2, 2]], mode="symmetric"))


def test_pad_gradients_match_tf1():
    y = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    gs = tf.gradients(tf.pad(y, [[1, 1], [2, 2]], "SYMMETRIC"), y)[0]
    gr = tf.gradients(tf.pad(y, [[1, 1], [2, 1]], "REFLECT"), y)[0]
    gc = tf.gradients(tf.pad(y, [[1, 1], [2, 1]]) * 2.0, y)[0]
    out = run([gs, gr, gc])
    assert_same(out[0], np.array([[4.0, 6.0, 4.0], [4.0, 6.0, 4.0]], np.float32))  # numbers from TF1
    assert_same(out[1], np.array([[2.0, 6.0, 4.0], [2.0, 6.0, 4.0]], np.float32))
    assert_same(out[2], np.full((2, 3), 2.0, np.float32))


def test_pad_gradient_with_partial_shape():
    x = tf.placeholder(tf.float64, [None, 3])
    assert_gradients_close(tf.pad(x, [[1, 2], [0, 1]]) ** 2, [x], [V23.astype(np.float64)])


def test_pad_errors():
    y = tf.constant(V23)
    with pytest.raises(ValueError, match="one \\[before, after\\] pair"):
        tf.pad(y, [[1, 1]])
    with pytest.raises(ValueError, match="non-negative"):
        tf.pad(y, [[-1, 1], [2, 0]])
    with pytest.raises(ValueError, match="mode"):
        tf.pad(y, [[1, 1], [2, 0]], "FOO")
    with pytest.raises(ValueError, match="too large"):
        tf.pad(y, [[2, 0], [0, 0]], "REFLECT")
    with pytest.raises(TypeError, match="known while building"):
        tf.pad(y, tf.placeholder(tf.int32, [2, 2]))


# ------------------------------------------------------------------------------------------------
# gather, unsorted_segment_sum

def test_gather_values_and_shapes():
    x = rows_of_3()
    idx = np.array([[1, 0], [0, 1]])
    g0 = tf.gather(x, idx)
    g1 = tf.gather(x, [[0, 2]], axis=1)
    gm = tf.gather(x, [2, 0], axis=-1)
    gs = tf.gather(x, 1)
    g64 = tf.gather(x, tf.constant([1], tf.int64))
    assert (g0.name, g0.shape.as_list()) == ("GatherV2:0", [2, 2, 3])
    assert g1.shape.as_list() == [None, 1, 2] and gm.shape.as_list() == [None, 2] and gs.shape.as_list() == [3]
    out = run([g0, g1, gm, gs, g64], {x: V23})
    assert_same(out[0], V23[idx])
    assert_same(out[1], V23[:, [[0, 2]]])
    assert_same(out[2], V23[:, [2, 0]])
    assert_same(out[3], V23[1])
    assert_same(out[4], V23[[1]])


def test_gather_errors():
    y = tf.constant(V23)
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.gather(y, [0.0])
    with pytest.raises(ValueError, match="out of range"):
        tf.gather(y, [0], axis=2)
    with pytest.raises(ValueError, match="not in \\[0, 3\\)"):
        tf.gather(y, [[0], [3]], axis=1)  # constant indices are checked while building
    i = tf.placeholder(tf.int32, [None])
    g = tf.gather(y, i)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not in \\[0, 2\\)"):
        run(g, {i: [0, 5]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="not in \\[0, 2\\)"):
        run(g, {i: [-1]})


def test_gather_gradient_adds_repeated_rows():
    x = rows_of_3()
    i = tf.placeholder(tf.int32, [None])
    g = tf.gradients(tf.gather(x, i) * 2.0, x)[0]
    assert g.shape.as_list() == [None, 3]
    expected = np.zeros((3, 3), np.float32)
    np.add.at(expected, [2, 0, 2, 2], 2.0)
    assert_same(run(g, {x: np.zeros((3, 3), np.float32), i: [2, 0, 2, 2]}), expected)
    gc = tf.gradients(tf.gather(x, [[0, 0, 2]], axis=1), x)[0]
    assert_same(run(gc, {x: V23}), np.tile(np.array([2, 0, 1], np.float32), (2, 1)))


def test_unsorted_segment_sum_matches_tf1():
    s = tf.unsorted_segment_sum([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [2, -1, 2], 4)
    assert (s.name, s.shape.as_list(), s.dtype) == ("UnsortedSegmentSum:0", [4, 2], tf.float32)
    assert_same(run(s), np.array([[0, 0], [0, 0], [6, 8], [0, 0]], np.float32))
    with pytest.raises(ValueError, match="prefix"):
        tf.unsorted_segment_sum(tf.zeros([3, 2]), [0, 1], 4)
    with pytest.raises(ValueError, match="out of range"):
        tf.unsorted_segment_sum([1.0, 2.0], [0, 4], 4)
    ids = tf.placeholder(tf.int32, [2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        run(tf.unsorted_segment_sum([1.0, 2.0], ids, 4), {ids: [0, 4]})


def test_unsorted_segment_sum_gradient_with_unknown_ranks():
    data = tf.placeholder(tf.float64)
    ids = tf.placeholder(tf.int32)
    y = tf.unsorted_segment_sum(data, ids, 3)
    assert y.shape.ndims is None
    g = tf.gradients(y * y, data)[0]
    v = np.arange(6.0).reshape(3, 2) + 1
    out = run(g, {data: v, ids: [2, -1, 2]})
    summed = v[0] + v[2]
    np.testing.assert_allclose(out, np.stack([2 * summed, np.zeros(2), 2 * summed]))


# ------------------------------------------------------------------------------------------------
# one_hot

def test_one_hot_values_dtypes_and_shapes():
    a = tf.one_hot([1, 2, -1], 3)
    assert (a.name, a.dtype, a.shape.as_list()) == ("one_hot:0", tf.float32, [3, 3])
    b = tf.one_hot([1, 2, -1], 3, on_value=5, off_value=-1, axis=0)
    assert b.dtype == tf.int32
    c = tf.one_hot([[1, 2], [0, 5]], 3, axis=1)
    assert c.shape.as_list() == [2, 3, 2]
    d = tf.one_hot(tf.constant([0, 1], tf.int64), 2, dtype=tf.float64)
    i = tf.placeholder(tf.int32, [None])
    depth = tf.placeholder(tf.int32, [])
    e = tf.one_hot(i, depth)
    assert e.shape.as_list() == [None, None]
    out = run([a, b, c, d, e], {i: [0, 2], depth: 3})
    assert_same(out[0], np.eye(3, dtype=np.float32)[[1, 2]].tolist() + [[0.0, 0.0, 0.0]], np.float32)
    assert_same(out[1], np.where(np.arange(3)[:, None] == np.array([1, 2, -1]), 5, -1), np.int32)
    # [[1, 2], [0, 5]] with axis=1, as TF1 gives it
    assert_same(out[2], [[[0, 0], [1, 0], [0, 1]], [[1, 0], [0, 0], [0, 0]]], np.float32)
    assert_same(out[3], np.eye(2), np.float64)
    assert_same(out[4], [[1, 0, 0], [0, 0, 1]], np.float32)


def test_one_hot_errors():
    with pytest.raises(TypeError, match="off_value"):
        tf.one_hot([1], 3, on_value=1.0, off_value=0)
    with pytest.raises(TypeError, match="dtype parameter"):
        tf.one_hot([1], 3, on_value=1.0, dtype=tf.int32)
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.one_hot([1.0], 3)
    with pytest.raises(ValueError, match="axis"):
        tf.one_hot([1], 3, axis=3)


def test_one_hot_and_range_have_no_gradient():
    x = tf.placeholder(tf.float32, [])
    on = tf.one_hot([1], 2, on_value=x, off_value=0.0)
    assert tf.gradients(on, x) == [None]
