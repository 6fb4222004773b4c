"""Gradient checks for the TensorArray ops (graphc/ops/tensor_array.py), first and second order."""
import graphc as tf
from gradcheck import GradCase, rng

r = rng(14)
x34 = r.uniform(-2.0, 2.0, (3, 4))
x6 = r.uniform(-2.0, 2.0, (6,))
x2 = r.uniform(-2.0, 2.0, (2,))


def grad_of(y, x):
    """A first-order gradient built inside a case, so the case's graph holds the gradient ops."""
    return tf.gradients(y, x)[0]


def squared(t):
    return t * t


def _unstack(a, size=3, **kw):
    return tf.TensorArray(a.dtype, size, clear_after_read=False, **kw).unstack(a)


def _reads(a):
    ta = _unstack(a)
    return squared(ta.read(2)) + ta.read(0) * ta.read(2) + ta.read(0)


def _writes(a, b):
    ta = tf.TensorArray(a.dtype, 4).write(1, a * b[0]).write(3, tf.sin(a))
    return squared(ta.stack())


def _scatter_gather(a):
    ta = tf.TensorArray(a.dtype, 4, clear_after_read=False).scatter([3, 0, 1], squared(a))
    return ta.gather([1, 3, 1]) * ta.read(0)


def _split_concat(a):
    ta = tf.TensorArray(a.dtype, 3, clear_after_read=False).split(a, [2, 2, 2])
    return squared(ta.concat()) + tf.tile(ta.read(1), [3])


def _dynamic(a):
    ta = tf.TensorArray(a.dtype, 1, dynamic_size=True).write(0, a).write(2, squared(a))
    return ta.stack() * tf.reduce_sum(ta.read(2))


CASES = [
    GradCase("tensor_array_reads", {"TensorArrayScatter", "TensorArrayGather"}, _reads, [x34]),
    GradCase("tensor_array_writes", {"TensorArrayScatter", "TensorArrayStack"}, _writes, [x34[0], x2]),
    GradCase("tensor_array_scatter_gather", {"TensorArrayScatter", "TensorArrayGather"}, _scatter_gather, [x34]),
    GradCase("tensor_array_split_concat", {"TensorArraySplitRows", "TensorArrayStack"}, _split_concat, [x6]),
    GradCase("tensor_array_dynamic_size", {"TensorArrayScatter", "TensorArrayStack"}, _dynamic, [x34[1]]),
    # second order: the gradient ops' own rules
    GradCase("tensor_array_reads_grad", {"TensorArrayScatterAdd", "TensorArrayGather"},
             lambda a: squared(grad_of(tf.reduce_sum(squared(_reads(a))), a)), [x34]),
    GradCase("tensor_array_writes_grad", {"TensorArrayTakeRows", "TensorArrayClearRows"},
             lambda a, b: squared(grad_of(tf.reduce_sum(squared(_writes(a, b))), a)), [x34[0], x2]),
    GradCase("tensor_array_scatter_gather_grad", {"TensorArrayScatterAdd", "TensorArrayTakeRows"},
             lambda a: squared(grad_of(tf.reduce_sum(squared(_scatter_gather(a))), a)), [x34]),
    # third order: the rules of the ops the write's gradient rule builds (a clear, rows added back)
    GradCase("tensor_array_writes_grad_grad", {"TensorArrayClearRows", "TensorArrayAccumulate"},
             lambda a, b: squared(grad_of(tf.reduce_sum(squared(grad_of(tf.reduce_sum(squared(_writes(a, b))), a))),
                                          a)), [x34[0], x2]),
]
