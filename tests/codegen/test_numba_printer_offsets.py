"""The Numba printer drops offset assignments nothing reads (numba_printer._drop_unused_index_math):
less for numba to type and LLVM to optimize, the same kernels."""
import numpy as np

import graphc as tf
from graphc.codegen.numba_printer import _drop_unused_index_math


def test_an_offset_a_later_loop_assigns_again_is_dropped_where_its_loop_does_not_read_it():
    lines = ["def kernel_span(e1, a, b, out, lo, hi):",
             "    for i0 in range(lo, hi):",
             "        o_a_0 = i0 * 4",
             "        o_b_0 = i0 * 4",
             "        for i1 in range(e1):",
             "            o_a_1 = o_a_0 + i1",
             "            o_b_1 = o_b_0 + i1",          # not read in this loop: dropped
             "            acc = a[o_a_1]",
             "        for i1 in range(e1):",
             "            o_a_1 = o_a_0 + i1",          # not read in this loop: dropped
             "            o_b_1 = o_b_0 + i1",
             "            out[o_b_1] = acc"]
    kept = _drop_unused_index_math(lines)
    assert kept == lines[:6] + lines[7:9] + lines[10:]


def test_a_value_read_after_its_loop_or_carried_into_the_next_iteration_is_kept():
    after = ["def f(e1, a):",
             "    for i1 in range(e1):",
             "        o_a_1 = i1",
             "    return a[o_a_1]"]           # read after the loop ends
    carried = ["def g(e1, a, out):",
               "    o_a_1 = 0",
               "    for i1 in range(e1):",
               "        out[i1] = a[o_a_1]",    # reads the previous iteration's value
               "        o_a_1 = i1"]
    assert _drop_unused_index_math(after) == after
    assert _drop_unused_index_math(carried) == carried


def test_a_fused_reduction_with_several_passes_over_its_rows_computes_the_same_values():
    rs = np.random.RandomState(3)
    xv = rs.randn(37, 29).astype(np.float32)
    gv = rs.randn(37, 29).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 29])
    g = tf.placeholder(tf.float32, [None, 29])
    mean = tf.reduce_mean(x, axis=1, keepdims=True)
    y = tf.reduce_sum((x - mean) * g, axis=1) + tf.reduce_max(g * 2.0, axis=1)
    want = ((xv - xv.mean(1, keepdims=True)) * gv).sum(1) + (gv * 2.0).max(1)
    got = tf.Session(backend="numba").run(y, {x: xv, g: gv})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
