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
col = r.uniform(-1.0, 1.0, (2, 1))
pos_row = r.uniform(0.5, 2.0, (3,))
pos_col = r.uniform(0.5, 2.0, (2, 1))
cond_rows = np.array([1.0, -1.0])          # sign selects rows for the rank-1 where

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
    GradCase("cast", {"Cast"}, lambda a: tf.cast(tf.cast(a, tf.float32), tf.float64) * a, [x23],
             atol=1e-4, rtol=1e-4, delta=1e-2),
    GradCase("add_n", {"AddN"}, lambda a, b: tf.add_n([a, b, a * b]), [x23, pos]),
    GradCase("identity", {"Identity"}, lambda a: tf.identity(a) * a, [x23]),
    GradCase("identity_n", {"IdentityN"}, lambda a, b: tf.reduce_sum(tf.identity_n([a * b, b])[0]) * b, [x23, pos]),
    GradCase("sum_to", {"SumTo"}, lambda a: array.sum_to(a * a, [1, 3]), [x23]),
    GradCase("placeholder_with_default", {"PlaceholderWithDefault"},
             lambda a: tf.placeholder_with_default(a, [2, 3]) * a, [x23]),

    # broadcasting in both directions: [2, 1] against [1, 3] / [3]
    GradCase("add_outer", {"Add"}, lambda a, b: a + b, [col, row]),
    GradCase("sub_outer", {"Sub"}, lambda a, b: a - b, [row, col]),
    GradCase("mul_outer", {"Mul"}, lambda a, b: a * b, [col, row]),
    GradCase("realdiv_outer", {"RealDiv"}, lambda a, b: a / b, [col, pos_row]),
    GradCase("realdiv_x_broadcast", {"RealDiv"}, lambda a, b: a / b, [row, pos]),
    GradCase("pow_y_broadcast", {"Pow"}, lambda a, b: tf.pow(a, b), [pos, row]),
    GradCase("pow_x_broadcast", {"Pow"}, lambda a, b: tf.pow(a, b), [pos_col, x23]),
    GradCase("pow_scalar_y", {"Pow"}, lambda a, b: tf.pow(a, b), [pos, np.array(1.7)]),
    GradCase("maximum_outer", {"Maximum"}, lambda a, b: tf.maximum(a, b), [col, row]),
    GradCase("minimum_outer", {"Minimum"}, lambda a, b: tf.minimum(a, b), [row, col]),
    GradCase("floormod_broadcast", {"FloorMod"}, lambda a, b: tf.mod(a, b), [away * 3.1, pos_row]),
    GradCase("where_broadcast_y", {"Select"}, lambda a, b: tf.where(a > 0.0, a * b, b * b), [away, row]),
    GradCase("where_rank1_condition", {"Select", "Reshape"},
             lambda c, a, b: tf.where(c > 0.0, a * a, b * 3.0), [cond_rows, x23, pos], wrt=[1, 2]),
    GradCase("squared_difference", {"Square", "Sub"}, lambda a, b: tf.squared_difference(a, b), [x23, row]),
    GradCase("clip_by_value", {"Maximum", "Minimum"}, lambda a: tf.clip_by_value(a, -1.0, 1.0),
             [np.array([[-1.5, -0.7, 0.4], [0.9, 1.3, -0.2]])]),
    GradCase("add_n_scalars", {"AddN"}, lambda a, b: tf.add_n([a, b * b]), [np.array(0.3), np.array(-1.2)]),
    GradCase("truediv_int_cast", {"RealDiv", "Cast"},
             lambda a: a * tf.cast(tf.constant([[1, 2, 3], [4, 5, 6]]) / 7, tf.float64), [x23]),
    # second derivatives: gradient graphs are differentiated again
    GradCase("tanh_second_order", {"Tanh", "Mul", "Sub"}, lambda a: tf.gradients(tf.tanh(a), a)[0], [x23]),
    GradCase("sigmoid_second_order", {"Sigmoid"}, lambda a: tf.gradients(tf.sigmoid(a), a)[0], [x23]),
    GradCase("sqrt_second_order", {"Sqrt", "RealDiv"}, lambda a: tf.gradients(tf.sqrt(a), a)[0], [pos]),
    GradCase("pow_second_order", {"Pow"}, lambda a, b: tf.gradients(tf.pow(a, b), [a])[0], [pos, x23]),
    GradCase("realdiv_second_order", {"RealDiv"}, lambda a, b: tf.gradients(a / b, [b])[0], [x23, pos]),
]
