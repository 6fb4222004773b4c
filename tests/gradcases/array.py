"""Gradient checks for the array ops (graphc/ops/array.py, join_split.py, tile_pad.py, gather.py), first and
second order."""
import numpy as np

import graphc as tf
from graphc.ops import array, gather
from gradcheck import GradCase, rng

r = rng(2)
x23 = r.uniform(-2.0, 2.0, (2, 3))
x34 = r.uniform(-2.0, 2.0, (3, 4))
x234 = r.uniform(-2.0, 2.0, (2, 3, 4))
x13 = r.uniform(-2.0, 2.0, (1, 3))
x3 = r.uniform(-2.0, 2.0, (3,))
scalar = np.array(0.7)
ids = np.array([[2, 0], [2, 1]])
segments = np.array([1, -1, 1])


def grad_of(y, x):
    """A first-order gradient built inside a case, so the case's graph holds the gradient ops."""
    return tf.gradients(y, x)[0]


def squared(t):
    return t * t


def _gather_rows(p, q):
    """Rows of two stacks in one op (a loop gradient's reads of its forward stacks)."""
    a, b = gather.gather_rows([p, q], tf.constant(1))
    return squared(a) * tf.reduce_sum(b * gather.gather_rows([q], tf.constant(0))[0])


CASES = [
    # ops that were in array.py first
    GradCase("reshape", {"Reshape"}, lambda a: squared(tf.reshape(a, [3, -1])), [x23]),
    GradCase("reshape_tensor_shape", {"Reshape"}, lambda a, b: tf.reshape(a, tf.shape(b)) * b,
             [x23, x3.reshape(3, 1) + x23.T]),
    GradCase("broadcast_to", {"BroadcastTo"}, lambda a: squared(tf.broadcast_to(a, [2, 2, 3])), [x13]),
    GradCase("expand_dims", {"ExpandDims"}, lambda a: squared(tf.expand_dims(a, -1)), [x23]),
    GradCase("sum_to_leading_dims", {"SumTo"}, lambda a: squared(array.sum_to(a, [3, 4])), [x234]),
    GradCase("squeeze", {"Squeeze"}, lambda a: squared(tf.squeeze(a)), [x13]),
    GradCase("strided_slice", {"StridedSlice"}, lambda a: squared(a[1:, ::-2, None]), [x34]),
    GradCase("strided_slice_int_ellipsis", {"StridedSlice"},
             lambda a: squared(a[..., -1]) + a[0, 1:3, None, 2], [x234]),
    GradCase("tf_slice", {"StridedSlice"}, lambda a: squared(tf.slice(a, [1, 0], [-1, 2])), [x34]),
    GradCase("strided_slice_grad", {"StridedSlice", "StridedSliceGrad"},
             lambda a: squared(grad_of(a[1:] * a[1:], a)), [x34]),
    # creation
    GradCase("fill_value", {"Fill"}, lambda v, b: tf.fill(tf.shape(b), v) * b, [scalar, x23]),
    # movement
    GradCase("transpose", {"Transpose"}, lambda a: squared(tf.transpose(a, [2, 0, 1])), [x234]),
    GradCase("transpose_default", {"Transpose"}, lambda a: squared(tf.transpose(a)), [x234]),
    GradCase("concat", {"ConcatV2"}, lambda a, b: squared(tf.concat([a, b, a], -1)), [x23, x23 * 0.5]),
    GradCase("concat_axis0", {"ConcatV2"}, lambda a, b: squared(tf.concat([a, b], 0)), [x13, x23]),
    GradCase("stack", {"Pack"}, lambda a, b: squared(tf.stack([a, b], axis=1)), [x23, x23 + 1.0]),
    GradCase("unstack", {"Unpack"}, lambda a: squared(tf.unstack(a, axis=1)[2]) * tf.unstack(a)[0][1:], [x34]),
    GradCase("split_even", {"Split"}, lambda a: squared(tf.split(a, 2, axis=1)[1]), [x34]),
    GradCase("split_sizes", {"SplitV"}, lambda a: tf.split(a, [1, -1], 0)[1] * tf.split(a, [2, 1], 0)[0], [x34]),
    GradCase("tile", {"Tile"}, lambda a: squared(tf.tile(a, [2, 3])), [x23]),
    GradCase("tile_grad", {"Tile", "TileGrad"}, lambda a: squared(grad_of(squared(tf.tile(a, [3, 1])), a)), [x23]),
    GradCase("pad", {"Pad"}, lambda a: squared(tf.pad(a, [[1, 0], [2, 1]], constant_values=0.5)), [x23]),
    GradCase("mirror_pad_reflect", {"MirrorPad"},
             lambda a: squared(tf.pad(a, [[1, 1], [2, 1]], "REFLECT")), [x34]),
    GradCase("mirror_pad_symmetric", {"MirrorPad"},
             lambda a: squared(tf.pad(a, [[2, 1], [0, 3]], "SYMMETRIC")), [x34]),
    GradCase("mirror_pad_grad", {"MirrorPad", "MirrorPadGrad"},
             lambda a: squared(grad_of(squared(tf.pad(a, [[1, 1], [1, 2]], "REFLECT")), a)), [x34]),
    # gather / scatter-add
    GradCase("gather", {"GatherV2"}, lambda p, i: squared(tf.gather(p, i)), [x34, ids], wrt=[0]),
    GradCase("gather_axis1", {"GatherV2"},
             lambda p, i: squared(tf.gather(p, i, axis=1)), [x234, ids], wrt=[0]),
    GradCase("gather_rows", {"GatherRows"}, _gather_rows, [x34, x234]),
    GradCase("gather_grad", {"GatherV2", "UnsortedSegmentSum"},
             lambda p, i: squared(grad_of(squared(tf.gather(p, i)), p)), [x34, ids], wrt=[0]),
    GradCase("unsorted_segment_sum", {"UnsortedSegmentSum"},
             lambda d, s: squared(tf.unsorted_segment_sum(d, s, 3)), [x34, segments], wrt=[0]),
]
