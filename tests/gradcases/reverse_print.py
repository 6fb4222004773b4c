"""Gradient checks for tf.reverse, tf.Print and the Assert identity (graphc/ops/reverse.py, ops/logging_ops.py)."""
import graphc as tf
from gradcheck import GradCase, rng
from graphc.ops.logging_ops import checked

r = rng(27)
x234 = r.normal(size=(2, 3, 4))

CASES = [
    GradCase("reverse", {"ReverseV2"}, lambda x: tf.reverse(x, [0, 2]) ** 2, [x234]),
    GradCase("print_identity", {"Print"}, lambda x: tf.Print(x, [x], message="gradcase ", first_n=0) ** 2, [x234]),
    GradCase("assert_identity", {"Assert"}, lambda x: checked(x, tf.reduce_all(tf.is_finite(x)), [x]) ** 2, [x234]),
]
