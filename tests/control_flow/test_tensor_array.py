"""tf.TensorArray: TF1's semantics, numbers, errors and gradients.

Every expected number and error message below was recorded from TensorFlow 2.21 with
``tf.compat.v1`` (v2 behaviour disabled: TF1's TensorArrayV3), never computed with graphc.
"""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends
from backend_util import run_compared

BACKENDS = [b for b in available_backends() if b != "auto"]


def run(fetches, feed_dict=None, backend="eager"):
    with tf.Session(backend=backend) as sess:
        return sess.run(fetches, feed_dict)


def run_error(fetch):
    with pytest.raises(tf.errors.OpError) as info:
        run(fetch)
    return info.value


# ------------------------------------------------------------------------------------------------
# forward values (TF 2.21 compat.v1)

def test_write_read_stack_and_unwritten_elements_read_as_zeros():
    ta = tf.TensorArray(tf.float32, 3).write(0, [1., 2.])
    read1, stacked = run([ta.read(1), ta.stack()])
    np.testing.assert_array_equal(read1, [0., 0.])
    np.testing.assert_array_equal(stacked, [[1., 2.], [0., 0.], [0., 0.]])
    known = tf.TensorArray(tf.float32, 3, element_shape=[2, 3])
    np.testing.assert_array_equal(run(known.read(0)), np.zeros((2, 3), np.float32))


def test_write_returns_a_new_array_that_shares_the_element_shape():
    ta = tf.TensorArray(tf.float32, 3)
    ta2 = ta.write(0, tf.zeros([2, 3]))
    assert ta.element_shape.as_list() == [2, 3] and ta2.element_shape.as_list() == [2, 3]
    assert ta2.stack().shape.as_list() == [3, 2, 3]
    assert ta2.read(0).shape.as_list() == [2, 3]
    assert ta.dtype is tf.float32
    partial = tf.TensorArray(tf.float32, 3, element_shape=[None, 3])
    assert partial.stack().shape.as_list() == [3, None, 3]
    assert partial.write(0, tf.zeros([2, 3])).element_shape.as_list() == [2, 3]
    fed = tf.TensorArray(tf.float32, size=tf.placeholder(tf.int32, []))
    assert fed.write(0, tf.zeros([2, 3])).stack().shape.as_list() == [None, 2, 3]
    assert fed.concat().shape.as_list() == [None, 3]


def test_dynamic_size_grows_on_write_and_scatter():
    ta = tf.TensorArray(tf.float32, 3, dynamic_size=True).write(4, [1., 2.])
    stacked, size = run([ta.stack(), ta.size()])
    np.testing.assert_array_equal(stacked, [[0., 0.], [0., 0.], [0., 0.], [0., 0.], [1., 2.]])
    assert size == 5
    ta = tf.TensorArray(tf.float32, 2, dynamic_size=True).scatter([4, 1], [[1., 2.], [3., 4.]])
    np.testing.assert_array_equal(run(ta.stack()), [[0., 0.], [3., 4.], [0., 0.], [0., 0.], [1., 2.]])


def test_unstack_scatter_gather_split_concat():
    value = [[1., 2.], [3., 4.], [5., 6.]]
    np.testing.assert_array_equal(run(tf.TensorArray(tf.float32, 4).unstack(value).stack()),
                                  [[1., 2.], [3., 4.], [5., 6.], [0., 0.]])
    ta = tf.TensorArray(tf.float32, 3).scatter([2, 0], [[1., 2.], [3., 4.]])
    np.testing.assert_array_equal(run(ta.gather([0, 2])), [[3., 4.], [1., 2.]])
    twice = tf.TensorArray(tf.float32, 2, clear_after_read=False).write(0, 1.).write(1, 2.)
    np.testing.assert_array_equal(run(twice.gather([1, 1, 0])), [2., 2., 1.])
    split = tf.TensorArray(tf.float32, 2).split([1., 2., 3., 4.], [2, 2])
    np.testing.assert_array_equal(run(split.concat()), [1., 2., 3., 4.])
    ints = tf.TensorArray(tf.int32, 2).unstack([[1, 2], [3, 4]])
    np.testing.assert_array_equal(run(ints.concat()), [1, 2, 3, 4])
    partial = tf.TensorArray(tf.float32, 3).unstack([[1., 2.], [3., 4.]])
    np.testing.assert_array_equal(run(partial.concat()), [1., 2., 3., 4., 0., 0.])


def test_empty_array_with_known_element_shape_stacks():
    out = run(tf.TensorArray(tf.float32, 0, element_shape=[2]).stack())
    assert out.shape == (0, 2) and out.dtype == np.float32


def test_size_identity_close_and_rebuilding_from_handle_and_flow():
    x = tf.constant([[1., 2.], [3., 4.]])
    ta = tf.TensorArray(tf.float32, 2).unstack(x).identity()
    stacked, size = run([ta.stack(), ta.size()])
    np.testing.assert_array_equal(stacked, [[1., 2.], [3., 4.]])
    assert size == 2
    assert isinstance(ta.close(), tf.Operation)
    again = tf.TensorArray(tf.float32, handle=ta.handle, flow=ta.flow)
    np.testing.assert_array_equal(run(again.read(1)), [3., 4.])


# ------------------------------------------------------------------------------------------------
# run-time errors (TF1's InvalidArgumentError and messages)

def test_writing_an_index_twice_is_an_error():
    err = run_error(tf.TensorArray(tf.float32, 3).write(0, [1., 2.]).write(0, [1., 2.]).read(0))
    assert isinstance(err, tf.errors.InvalidArgumentError)
    assert "Could not write to TensorArray index 0 because it has already been written to." in str(err)
    err = run_error(tf.TensorArray(tf.float32, 3).scatter([2, 2], [[1., 2.], [3., 4.]]).gather([2]))
    assert "Could not write to TensorArray index 2 because it has already been written to." in str(err)
    err = run_error(tf.TensorArray(tf.float32, 3).unstack([[1., 2.], [3., 4.]]).write(1, [0., 0.]).stack())
    assert "index 1 because it has already been written to" in str(err)


def test_out_of_range_indices_are_errors():
    err = run_error(tf.TensorArray(tf.float32, 3).write(3, [1., 2.]).read(0))
    assert isinstance(err, tf.errors.InvalidArgumentError)
    assert "Tried to write to index 3 but array is not resizeable and size is: 3" in str(err)
    err = run_error(tf.TensorArray(tf.float32, 3).write(-1, 1.0).read(0))
    assert "Tried to write to index -1 but array is not resizeable and size is: 3" in str(err)
    err = run_error(tf.TensorArray(tf.float32, 3).read(-1))
    assert "Tried to read from index -1 but array size is: 3" in str(err)
    err = run_error(tf.TensorArray(tf.float32, 3).write(0, [1., 2.]).gather([0, 5]))
    assert "Tried to read from index 5 but array size is: 3" in str(err)
    err = run_error(tf.TensorArray(tf.float32, 2).unstack([[1., 2.], [3., 4.], [5., 6.]]).stack())
    assert "Max scatter index must be < array size (2 vs. 2)" in str(err)


def test_reading_before_any_write_without_a_full_element_shape_is_an_error():
    for ta in (tf.TensorArray(tf.float32, 3), tf.TensorArray(tf.float32, 3, element_shape=[None, 3])):
        err = run_error(ta.read(0))
        assert isinstance(err, tf.errors.InvalidArgumentError)
        assert "Could not read from TensorArray index 0.  Furthermore, the element shape is not fully defined" in str(err)
        assert "Could not read from TensorArray index 0" in str(run_error(ta.stack()))
    err = run_error(tf.TensorArray(tf.float32, 0).stack())
    assert isinstance(err, tf.errors.UnimplementedError)
    assert "TensorArray has size zero, but element shape <unknown> is not fully defined" in str(err)


def test_split_errors():
    err = run_error(tf.TensorArray(tf.float32, 3).split([[1., 2.], [3., 4.]], [1, 1]).stack())
    assert "TensorArray's size is not equal to the size of lengths (3 vs. 2), and the TensorArray is not marked " \
           "as dynamically resizeable" in str(err)
    err = run_error(tf.TensorArray(tf.float32, 2).split([[1., 2.], [3., 4.]], [1, 2]).stack())
    assert "Expected sum of lengths to be equal to values.shape[0], but sum of lengths is 3 and value's shape " \
           "is: [2,2]" in str(err)
    err = run_error(tf.TensorArray(tf.float32, 2).split([1., 2., 3., 4., 5.], [2, 3]).read(1))
    assert "Could not write to TensorArray index 1 because the value shape is [3] which is incompatible with " \
           "the TensorArray's inferred element shape: [2]" in str(err)


def test_element_shape_mismatch_at_run_time():
    shape = tf.placeholder(tf.int32, [None])
    ta = tf.TensorArray(tf.float32, 2).write(0, tf.zeros([2])).write(1, tf.zeros(shape))
    with tf.Session(backend="eager") as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="incompatible with the TensorArray's inferred "
                                                                 "element shape: \\[2\\]"):
            sess.run(ta.stack(), {shape: [3]})


# ------------------------------------------------------------------------------------------------
# build-time errors

def test_build_time_errors():
    with pytest.raises(ValueError, match=r"Inconsistent shapes: saw \(3,\) but expected \(2,\)"):
        tf.TensorArray(tf.float32, 3).write(0, [1., 2.]).write(1, [1., 2., 3.])
    with pytest.raises(ValueError, match=r"Inconsistent shapes: saw \(2,\) but expected \(3,\)"):
        tf.TensorArray(tf.float32, 3, element_shape=[3]).write(0, [1., 2.])
    with pytest.raises(ValueError, match=r"Inconsistent shapes: saw \(2, 1\) but expected \(1, 1\)"):
        tf.TensorArray(tf.float32, 3).write(0, [[1.]]).write(1, [[2.], [3.]])
    with pytest.raises(TypeError, match="has dtype float32, but write was given .* of dtype int32"):
        tf.TensorArray(tf.float32, 3).write(0, tf.constant(1, tf.int32))
    with pytest.raises(ValueError, match="Size must be provided if handle is not provided"):
        tf.TensorArray(tf.float32)
    with pytest.raises(ValueError, match="Cannot provide both a handle and size at the same time"):
        ta = tf.TensorArray(tf.float32, 2)
        tf.TensorArray(tf.float32, 2, handle=ta.handle, flow=ta.flow)
    with pytest.raises(ValueError, match="concat needs elements of rank >= 1"):
        tf.TensorArray(tf.float32, 3).write(0, 1.0).concat()
    np.testing.assert_array_equal(run(tf.TensorArray(tf.float32, 3).write(0, 1).read(0)), 1.0)


# ------------------------------------------------------------------------------------------------
# gradients (TF 2.21 compat.v1 numbers)

def test_gradient_of_reads_sums_over_reads():
    x = tf.constant([[1., 2.], [3., 4.], [5., 6.]])
    ta = tf.TensorArray(tf.float32, 3, clear_after_read=False).unstack(x)
    y = ta.read(0) * 2. + ta.read(0) * 3. + ta.read(2)
    np.testing.assert_array_equal(run(tf.gradients(y, x)[0]), [[5., 5.], [0., 0.], [1., 1.]])


def test_gradient_of_writes_reads_back_each_element():
    x = tf.constant([1., 2.])
    ta = tf.TensorArray(tf.float32, 3).write(1, x * 2.).write(2, x * x)
    np.testing.assert_array_equal(run(tf.gradients(ta.stack(), x)[0]), [4., 6.])


def test_gradient_of_scatter_and_gather():
    w = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32)
    x = tf.constant([[1., 2.], [3., 4.], [5., 6.]])
    ta = tf.TensorArray(tf.float32, 4, clear_after_read=False).scatter([3, 0, 2], x * x)
    s = tf.reduce_sum(ta.gather([2, 3]) * w) + tf.reduce_sum(ta.read(0) * ta.read(2))
    gathered, total, grad = run([ta.gather([2, 3]), s, tf.gradients(s, x)[0]])
    np.testing.assert_array_equal(gathered, [[25., 36.], [1., 4.]])
    np.testing.assert_allclose(total, 780.5, rtol=1e-6)
    np.testing.assert_allclose(grad, [[4., 1.], [150., 288.], [95., 180.]], rtol=1e-6)


def test_gradient_of_split_and_concat():
    x = tf.constant([1., 2., 3., 4., 5., 6.])
    ta = tf.TensorArray(tf.float32, 3, clear_after_read=False).split(x * 2., [2, 2, 2])
    c, r = ta.concat(), ta.read(1)
    s = tf.reduce_sum(c * tf.range(6, dtype=tf.float32)) + tf.reduce_sum(r * r)
    got = run([c, r, s, tf.gradients(s, x)[0]])
    np.testing.assert_array_equal(got[0], [2., 4., 6., 8., 10., 12.])
    np.testing.assert_array_equal(got[1], [6., 8.])
    np.testing.assert_allclose(got[2], 240.0)
    np.testing.assert_allclose(got[3], [0., 2., 28., 38., 8., 10.])


def test_gradient_through_a_grown_array():
    x = tf.constant([[1., 2.], [3., 4.]])
    ta = tf.TensorArray(tf.float32, 1, dynamic_size=True).write(0, x[0]).write(3, tf.sin(x[1]))
    st = ta.stack()
    s = tf.reduce_sum(st * tf.reshape(tf.range(8, dtype=tf.float32), [4, 2]))
    got = run([st, ta.size(), s, tf.gradients(s, x)[0]])
    np.testing.assert_allclose(got[0], [[1., 2.], [0., 0.], [0., 0.], [0.14112, -0.7568025]], rtol=1e-6)
    assert got[1] == 4
    np.testing.assert_allclose(got[2], -2.4508975, rtol=1e-6)
    np.testing.assert_allclose(got[3], [[0., 1.], [-5.9399548, -4.5755053]], rtol=1e-6)


def test_gradient_through_two_arrays():
    x = tf.constant([[1., 2., 3.], [4., 5., 6.]])
    ta = tf.TensorArray(tf.float32, 2, element_shape=[3], clear_after_read=False).unstack(x)
    ta2 = tf.TensorArray(tf.float32, 2).write(0, ta.read(1) * 2.).write(1, ta.read(0) + ta.read(1))
    st = ta2.stack()
    s = tf.reduce_sum(st * st)
    got = run([st, s, tf.gradients(s, x)[0]])
    np.testing.assert_array_equal(got[0], [[8., 10., 12.], [5., 7., 9.]])
    np.testing.assert_allclose(got[1], 463.0)
    np.testing.assert_allclose(got[2], [[10., 14., 18.], [42., 54., 66.]])
    x2 = tf.constant([[1., 2.], [3., 4.]])
    ta3 = tf.TensorArray(tf.float32, 2).unstack(x2).identity()
    np.testing.assert_array_equal(run(tf.gradients(tf.reduce_sum(ta3.stack() * 3.), x2)[0]), [[3., 3.], [3., 3.]])


# ------------------------------------------------------------------------------------------------
# every backend

@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "eager"])
def test_backends_match_eager(backend):
    x = tf.placeholder(tf.float32, [3, 2])
    ta = tf.TensorArray(tf.float32, 2, dynamic_size=True, clear_after_read=False).unstack(tf.tanh(x))
    ta = ta.write(4, ta.read(1) * x[0]).scatter([3], tf.exp(x[1:2]))
    s = tf.reduce_sum(ta.stack() * ta.read(0)) + tf.reduce_sum(ta.concat())
    fetches = [ta.stack(), ta.gather([4, 0]), ta.size(), s] + tf.gradients(s, [x])
    feed = {x: np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], np.float32)}
    run_compared(tf.Session(backend="eager"), tf.Session(backend=backend), fetches, feed, backend)


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "eager"])
def test_backends_report_run_time_errors(backend):
    with tf.Session(backend=backend) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="already been written to"):
            sess.run(tf.TensorArray(tf.float32, 3).write(0, [1., 2.]).write(0, [1., 2.]).stack())


# ------------------------------------------------------------------------------------------------
# inside tf.while_loop (TF 2.21 compat.v1 numbers)

def test_written_and_read_inside_a_loop_with_gradient():
    x = tf.constant([1., 2.])
    ta = tf.TensorArray(tf.float32, size=4, clear_after_read=False, element_shape=[2])

    def body(i, t):
        prev = tf.cond(i > 0, lambda: t.read(tf.maximum(i - 1, 0)), lambda: x)
        return i + 1, t.write(i, tf.sin(prev) * 2.)
    _, ta = tf.while_loop(lambda i, t: i < 4, body, (0, ta))
    st = ta.stack()
    got, grad = run([st, tf.gradients(tf.reduce_sum(st * st), x)[0]])
    np.testing.assert_allclose(got, [[1.6829419, 1.8185948], [1.9874365, 1.9389095], [1.8289076, 1.8660159],
                                     [1.9337476, 1.9134766]], rtol=1e-6)
    np.testing.assert_allclose(grad, [3.0053616, -1.8862638], rtol=1e-5)


def test_a_dynamic_size_array_grows_inside_a_loop():
    x = tf.constant([1., 2.])
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    _, ta = tf.while_loop(lambda i, t: i < 4, lambda i, t: (i + 1, t.write(i, tf.cast(i, tf.float32) * x)), (0, ta))
    stacked, size = run([ta.stack(), ta.size()])
    np.testing.assert_array_equal(stacked, [[0., 0.], [1., 2.], [2., 4.], [3., 6.]])
    assert size == 4


def test_the_element_shape_first_written_in_a_loop_body_is_known_after_the_loop():
    x = tf.constant([1., 2.])
    ta = tf.TensorArray(tf.float32, size=3)
    _, ta = tf.while_loop(lambda i, t: i < 3, lambda i, t: (i + 1, t.write(i, x * tf.cast(i, tf.float32))), (0, ta))
    assert ta.element_shape.as_list() == [2]
    assert ta.stack().shape.as_list() == [3, 2]
    np.testing.assert_array_equal(run(ta.stack()), [[0., 0.], [1., 2.], [2., 4.]])


def _recurrence():
    xs = tf.constant([[1., 2.], [3., 4.], [5., 6.]])
    w = tf.constant([[0.5, -0.2], [0.3, 0.8]])
    inputs = tf.TensorArray(tf.float32, 3).unstack(xs)
    outputs = tf.TensorArray(tf.float32, 3)

    def body(i, h, out):
        h = tf.tanh(tf.matmul(h[None], w)[0] * 0.5 + inputs.read(i) * 0.1)
        return i + 1, h, out.write(i, h)
    _, h, outputs = tf.while_loop(lambda i, h, o: i < 3, body, (0, tf.zeros([2]), outputs))
    st = outputs.stack()
    loss = tf.reduce_sum(st * tf.constant([[1., 2.], [3., 4.], [5., 6.]])) + tf.reduce_sum(h)
    return [st, h] + tf.gradients(loss, [xs, w])


def test_a_recurrence_over_input_and_output_arrays_like_dynamic_rnn():
    st, h, gx, gw = run(_recurrence())
    np.testing.assert_allclose(st, [[0.099668, 0.19737533], [0.3403809, 0.43737754], [0.5721423, 0.6296964]],
                               rtol=1e-6)
    np.testing.assert_allclose(h, [0.5721423, 0.6296964], rtol=1e-6)
    np.testing.assert_allclose(gx, [[0.12709121, 0.43362308], [0.31710085, 0.50908846], [0.40359193, 0.42243767]],
                               rtol=1e-5)
    np.testing.assert_allclose(gw, [[0.84489894, 0.9726477], [1.1955496, 1.4262313]], rtol=1e-5)


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "eager"])
def test_loops_over_arrays_match_eager_on_every_backend(backend):
    run_compared(tf.Session(backend="eager"), tf.Session(backend=backend), _recurrence(), {}, backend)


def test_a_cond_returns_the_array_its_taken_branch_wrote():
    p = tf.placeholder(tf.bool, [])
    x = tf.constant([1., 2.])
    ta = tf.TensorArray(tf.float32, 2)
    st = tf.cond(p, lambda: ta.write(0, x * 2.), lambda: ta.write(1, x * 3.)).stack()
    g = tf.gradients(tf.reduce_sum(st * st), x)[0]
    got_true, got_false = run([st, g], {p: True}), run([st, g], {p: False})
    np.testing.assert_array_equal(got_true[0], [[2., 4.], [0., 0.]])
    np.testing.assert_array_equal(got_true[1], [8., 16.])
    np.testing.assert_array_equal(got_false[0], [[0., 0.], [3., 6.]])
    np.testing.assert_array_equal(got_false[1], [18., 36.])


# ------------------------------------------------------------------------------------------------
# what a loop's gradient records (the expected numbers are the TF 2.21 ones of the tests above)

def _forward_loop(graph):
    return next(op for op in graph.get_operations() if op.type == "While" and "grad" not in op.name)


def test_the_gradient_records_only_the_loop_vars_whose_values_it_reads():
    fetches = _recurrence()
    loop = _forward_loop(tf.get_default_graph())
    record = loop.attrs["record"]
    # loop vars: i, h, the output array's buffer and written mask. The body only writes the output
    # array: its gradient reads the buffer's shape, so the buffer is not recorded per iteration. Nor
    # is h: the gradient reads the body's intermediates that depend on it (h[None], the matmul's
    # input, and the tanh) from the loop's saved outputs instead of recomputing them from h.
    assert record.on and record.values == {0}
    assert sorted(t.op.type for t in record.saved) == ["StridedSlice", "Tanh"]
    n = loop.attrs["num_vars"]
    history_h, history_buffer = loop.outputs[n + 2], loop.outputs[n + 3]
    first_saved = 2 * n + 1 + len(loop.attrs["body"].kept)
    saved = {t.op.type: loop.outputs[first_saved + k] for k, t in enumerate(record.saved)}
    st, h, gx, gw, hh, hb, h_rows, tanhs = run(fetches + [history_h, history_buffer, saved["StridedSlice"],
                                                          saved["Tanh"]])
    np.testing.assert_allclose(gw, [[0.84489894, 0.9726477], [1.1955496, 1.4262313]], rtol=1e-5)
    assert hh.shape == (3, 2) and not hh.any()        # h's stand-in
    assert hb.shape == (3, 3, 2) and not hb.any()     # the buffer's stand-in: its shape, no values
    # the saved values: h[None] entering each iteration, and the tanh each iteration computed
    np.testing.assert_allclose(h_rows, np.concatenate([np.zeros((1, 2), np.float32), st[:2]])[:, None], rtol=1e-6)
    np.testing.assert_allclose(tanhs, st, rtol=1e-6)


def test_a_loop_var_the_gradient_reads_stays_recorded():
    x = tf.constant([1., 2.])
    ta = tf.TensorArray(tf.float32, size=4, clear_after_read=False, element_shape=[2])

    def body(i, t):
        prev = tf.cond(i > 0, lambda: t.read(tf.maximum(i - 1, 0)), lambda: x)
        return i + 1, t.write(i, tf.sin(prev) * 2.)
    _, ta = tf.while_loop(lambda i, t: i < 4, body, (0, ta))
    st = ta.stack()
    grad = tf.gradients(tf.reduce_sum(st * st), x)[0]
    assert 1 in _forward_loop(tf.get_default_graph()).attrs["record"].values   # the buffer is read
    np.testing.assert_allclose(run(grad), [3.0053616, -1.8862638], rtol=1e-5)


# ------------------------------------------------------------------------------------------------
# writes in place inside a loop driver (numbers: TF1 semantics of a value-typed TensorArray)

def test_a_loop_writes_its_output_array_in_place_and_only_there():
    from graphc.codegen import regions
    from graphc.ops import tensor_array as ta_ops

    _recurrence()
    loop = _forward_loop(tf.get_default_graph())
    assert regions.written_only(loop.attrs["body"], loop.attrs["num_vars"]) == [2]   # the output buffer
    buffer, written = np.zeros((3, 2), np.float32), np.zeros(3, bool)
    args = (written, np.int32(1), np.ones(2, np.float32), False, "t", "write")
    assert ta_ops._scatter_numpy(buffer, *args)[0] is not buffer
    with ta_ops.donating([buffer]):
        assert ta_ops._scatter_numpy(buffer, *args)[0] is buffer
    np.testing.assert_array_equal(buffer, [[0, 0], [1, 1], [0, 0]])


@pytest.mark.parametrize("backend", BACKENDS)
def test_in_place_writes_never_change_a_value_still_read(backend):
    x = tf.constant([[1., 2.], [3., 4.], [5., 6.], [7., 8.]])
    given = tf.TensorArray(tf.float32, 4).write(0, x[0])       # the loop's initial array, fetched too

    def body(i, t, u):
        earlier = t.read(i - 1)                               # t is read and written: never in place
        row = tf.gather(x, i)
        return i + 1, t.write(i, earlier + row), u.write(i, row * 2.)
    u0 = tf.TensorArray(tf.float32, 4).write(0, x[0])        # only written in the loop: in place there
    _, t, u = tf.while_loop(lambda i, t, u: i < 4, body, (1, given, u0))
    later = given.write(1, x[3])                              # a later write of another index, outside
    got = run([given.stack(), t.stack(), u.stack(), later.stack(), given.read(1), u0.stack()], backend=backend)
    np.testing.assert_array_equal(got[5], [[1, 2], [0, 0], [0, 0], [0, 0]])
    np.testing.assert_array_equal(got[0], [[1, 2], [0, 0], [0, 0], [0, 0]])
    np.testing.assert_array_equal(got[1], [[1, 2], [4, 6], [9, 12], [16, 20]])
    np.testing.assert_array_equal(got[2], [[1, 2], [6, 8], [10, 12], [14, 16]])
    np.testing.assert_array_equal(got[3], [[1, 2], [7, 8], [0, 0], [0, 0]])
    np.testing.assert_array_equal(got[4], [0, 0])


def test_a_loop_run_twice_starts_from_its_given_array_each_time():
    v = tf.placeholder(tf.float32, [2])
    start = tf.TensorArray(tf.float32, 3).write(0, v)
    _, out = tf.while_loop(lambda i, t: i < 3, lambda i, t: (i + 1, t.write(i, v * tf.cast(i, tf.float32))),
                           (1, start))
    with tf.Session() as sess:
        first = sess.run([out.stack(), start.stack()], {v: [1., 2.]})
        second = sess.run([out.stack(), start.stack()], {v: [3., 4.]})
    np.testing.assert_array_equal(first[0], [[1, 2], [1, 2], [2, 4]])
    np.testing.assert_array_equal(first[1], [[1, 2], [0, 0], [0, 0]])
    np.testing.assert_array_equal(second[0], [[3, 4], [3, 4], [6, 8]])
    np.testing.assert_array_equal(second[1], [[3, 4], [0, 0], [0, 0]])
