"""Random graphs (hypothesis): every compiled backend matches the eager reference.

Graphs mix elementwise chains with broadcasting, reductions over random axes, matmuls and
slicing, in float32 with small shapes. Some steps make sums that nearly cancel on purpose (a row
minus its mean, then summed; large terms of both signs), where a compiled reduction's order
legitimately changes the last digits of a small result: results are compared within the error
bound of a correct evaluation (backend_util), not a fixed relative tolerance.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphc as tf
from graphc.runtime.session import available_backends

from backend_util import run_compared

BACKENDS = [b for b in available_backends() if b not in ("auto", "eager")]

UNARY = [tf.tanh, tf.sigmoid, tf.abs, tf.square, lambda x: tf.exp(tf.minimum(x, 3.0)),
         lambda x: tf.log(tf.abs(x) + 1.0), tf.nn.relu, lambda x: tf.sqrt(tf.abs(x)), tf.negative]
BINARY = [tf.add, tf.subtract, tf.multiply, tf.maximum, tf.minimum,
          lambda a, b: a / (tf.abs(b) + 1.0), lambda a, b: tf.where(a > b, a, b * 0.5)]


@st.composite
def programs(draw):
    rows, cols = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    steps = draw(st.lists(st.tuples(st.sampled_from(["unary", "binary", "reduce", "matmul", "slice",
                                                              "cancel"]),
                                    st.integers(0, 100), st.integers(0, 100)), min_size=1, max_size=7))
    return rows, cols, steps


def build(rows, cols, steps, x, row_bias, col_bias):
    """Applies the drawn steps to x ([rows, cols]); returns a list of fetched tensors."""
    cur = x
    outs = []
    for kind, a, b in steps:
        shape = [rows if d is None else d for d in cur.shape.as_list()]
        if kind == "unary":
            cur = UNARY[a % len(UNARY)](cur)
        elif kind == "binary":
            other = [row_bias, col_bias, x, 0.5][b % 4] if shape == [rows, cols] else 1.5
            cur = BINARY[a % len(BINARY)](cur, other)
        elif kind == "reduce" and len(shape) == 2:
            axis = [None, 0, 1, -1][a % 4]
            keep = bool(b % 2)
            fn = [tf.reduce_sum, tf.reduce_max, tf.reduce_mean, tf.reduce_min][b % 4]
            outs.append(fn(cur, axis=axis, keepdims=keep))
            if keep and axis is not None:
                cur = cur - fn(cur, axis=axis, keepdims=True)   # reduce then broadcast back
        elif kind == "matmul" and len(shape) == 2:
            w = tf.constant(np.linspace(-1, 1, shape[1] * 3, dtype=np.float32).reshape(shape[1], 3))
            outs.append(tf.matmul(cur, w) + 0.25)
        elif kind == "slice" and len(shape) == 2:
            outs.append(cur[a % shape[0]:, ::1 + b % 2] * 2.0)
        elif kind == "cancel" and len(shape) == 2:
            axis = [None, 0, 1][a % 3]
            big = cur * (10.0 + b)                               # terms ~10-100 whose sum is ~0
            centred = big - tf.reduce_mean(big, axis=axis, keepdims=True)
            outs.append(tf.reduce_sum(centred + 1e-3 * x, axis=axis) * (1.0 + cur[:1, :1]))
    outs.append(cur)
    return outs


@pytest.mark.skipif(not BACKENDS, reason="no backend besides eager")
@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prog=programs(), seed=st.integers(0, 2**16))
def test_random_graph_matches_eager(backend, prog, seed):
    rows, cols, steps = prog
    rs = np.random.RandomState(seed)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, cols])
        row_bias = tf.placeholder(tf.float32, [None, 1])
        col_bias = tf.placeholder(tf.float32, [cols])
        fetches = build(rows, cols, steps, x, row_bias, col_bias)
        feed = {x: rs.randn(rows, cols), row_bias: rs.randn(rows, 1), col_bias: rs.randn(cols)}
        run_compared(tf.Session(backend="eager"), tf.Session(backend=backend), fetches, feed, backend)
