"""A wide ``tf.add_n`` is summed by a tree of bounded ``AddN`` kernels (passes/split_wide.py): no
kernel reads more than fusion's input cap, the kernels come in a few shapes (compiled once each),
and the sum equals eager's."""
import numpy as np
import pytest

import graphc as tf
from graphc.codegen.driver import BACKENDS, CompileJob
from graphc.passes import fusion, split_wide
from graphc.passes.run_plan import RunPlan


def _wide(n: int):
    x = tf.placeholder(tf.float32, [None])
    return x, tf.add_n([tf.tanh(x * (i / n)) for i in range(n)])


def _kernel_plan(n: int):
    x, y = _wide(n)
    return CompileJob(BACKENDS["interpret"], RunPlan([y], [], [x]), ((3,),)).kernel_plan


def test_a_sum_of_1000_terms_plans_bounded_kernels_of_few_shapes():
    kplan = _kernel_plan(1000)
    kernels = kplan.launched
    assert max(len(k.inputs) for k in kernels) <= fusion.MAX_KERNEL_INPUTS
    addns = [n for k in kernels for n in k.nodes if n.type == "AddN"]
    assert max(len(n.inputs) for n in addns) <= split_wide.MAX_ADDN_TERMS
    assert sum(len(n.inputs) for n in addns) == 1000 + len(addns) - 1     # a tree over the 1000 terms
    shapes = {tuple(n.type for n in k.nodes) for k in kernels}
    assert len(shapes) <= 4
    assert len(kernels) <= 1000 // 8 + 40


def test_small_sums_are_left_alone():
    kplan = _kernel_plan(split_wide.MAX_ADDN_TERMS)
    addns = [n for k in kplan.launched for n in k.nodes if n.type == "AddN"]
    assert [len(n.inputs) for n in addns] == [split_wide.MAX_ADDN_TERMS]


@pytest.mark.parametrize("backend", ["interpret", "numba"])
def test_the_tree_sum_equals_eager(backend):
    n = 2 * split_wide.MAX_ADDN_TERMS + 5     # two full chunks and a short one
    x, y = _wide(n)
    xs = np.linspace(-2, 2, 5).astype(np.float32)
    with tf.Session(backend="eager") as sess:
        want = sess.run(y, {x: xs})
    with tf.Session(backend=backend, compile_mode="sync") as sess:
        got = sess.run(y, {x: xs})
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    grad, = tf.gradients(y, x)
    with tf.Session(backend="eager") as sess:
        want_grad = sess.run(grad, {x: xs})
    with tf.Session(backend=backend, compile_mode="sync") as sess:
        np.testing.assert_allclose(sess.run(grad, {x: xs}), want_grad, rtol=1e-5, atol=1e-6)
