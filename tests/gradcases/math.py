"""Gradient checks for elementwise math ops (graphc/ops/math.py, graphc/ops/source.py)."""
import numpy as np

import graphc as tf
from graphc.ops import array
from gradcheck import GradCase, rng

r = rng(1)
pos = r.uniform(0.5, 2.0, (2, 3))          # positive, away from 0 (log, sqrt, pow)
x23 = r.uniform(-2.0, 2.0, (2, 3))
away = np.array([[-1.5, -0.7, 0.4], [0.9, 1.3, -0.2]])  # no zeros, no ties
row = r.uniform(-1.0, 1.0, (3,))

CASES = [
    GradCase("add_broadcast", {"Add"}, lambda a, b: a + b, [x23, row]),
    GradCase("sub_broadcast", {"Sub"}, lambda a, b: a - b, [x23, row]),
    GradCase("mul_broadcast", {"Mul"}, lambda a, b: a * b, [x23, row]),
    GradCase("realdiv", {"RealDiv"}, lambda a, b: a / b, [x23, pos]),
    GradCase("neg", {"Neg"}, lambda a: -a, [x23]),
    GradCase("abs", {"Abs"}, lambda a: tf.abs(a), [away]),
    GradCase("sign", {"Sign"}, lambda a: tf.sign(a) * a, [away]),
    GradCase("square", {"Square"}, tf.square, [x23]),
    GradCase("sqrt", {"Sqrt"}, tf.sqrt, [pos]),
    GradCase("rsqrt", {"Rsqrt"}, tf.rsqrt, [pos]),
    GradCase("exp", {"Exp"}, tf.exp, [x23]),
    GradCase("log", {"Log"}, tf.log, [pos]),
    GradCase("log1p", {"Log1p"}, tf.log1p, [pos]),
    GradCase("expm1", {"Expm1"}, tf.expm1, [x23]),
    GradCase("sin", {"Sin"}, tf.sin, [x23]),
    GradCase("cos", {"Cos"}, tf.cos, [x23]),
    GradCase("tanh", {"Tanh"}, tf.tanh, [x23]),
    GradCase("sigmoid", {"Sigmoid"}, tf.sigmoid, [x23]),
    GradCase("reciprocal", {"Reciprocal"}, tf.reciprocal, [pos]),
    GradCase("relu", {"Relu"}, tf.nn.relu, [away]),
    GradCase("elu", {"Elu"}, tf.nn.elu, [away]),
    GradCase("softplus", {"Softplus"}, tf.nn.softplus, [x23]),
    GradCase("floormod", {"FloorMod"}, lambda a, b: tf.mod(a, b), [away * 3.1, pos]),
    GradCase("pow", {"Pow"}, lambda a, b: tf.pow(a, b), [pos, x23]),
    GradCase("maximum", {"Maximum"}, lambda a, b: tf.maximum(a, b), [away, x23]),
    GradCase("minimum", {"Minimum"}, lambda a, b: tf.minimum(a, b), [away, x23]),
    GradCase("where", {"Select"}, lambda a, b: tf.where(a > b, a * 2.0, b * b), [away, x23]),
    GradCase("cast", {"Cast"}, lambda a: tf.cast(tf.cast(a, tf.float32), tf.float64) * a, [x23], atol=1e-4, rtol=1e-4, delta=1e-2),
    GradCase("add_n", {"AddN"}, lambda a, b: tf.add_n([a, b, a * b]), [x23, pos]),
    GradCase("identity", {"Identity"}, lambda a: tf.identity(a) * a, [x23]),
    GradCase("sum_to", {"SumTo"}, lambda a: array.sum_to(a * a, [1, 3]), [x23]),
    GradCase("placeholder_with_default", {"PlaceholderWithDefault"},
             lambda a: tf.placeholder_with_default(a, [2, 3]) * a, [x23]),
]
