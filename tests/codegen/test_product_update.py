"""A matmul kernel that adds a scaled product to a tensor (SGD's weight update) runs as one GEMM
with beta = 1 (graphc/ops/blas_gemm.py, graphc/codegen/product_update.py): the GEMM against
numpy over layouts and dtypes, the cases it refuses, and sessions on the Numba backend against
eager, counting the runs the GEMM did."""
import numpy as np
import pytest

import graphc as tf
from graphc.codegen import numba_steps, product_update
from graphc.ops import blas_gemm

from backend_util import compiled_backend, initialized_state, run_against_eager

pytestmark = pytest.mark.skipif(not blas_gemm.available(), reason="numpy's OpenBLAS exports no CBLAS GEMM")

_RS = np.random.RandomState(21)
TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def rand(*shape: int, dtype=np.float32) -> np.ndarray:
    return np.asarray(_RS.randn(*shape), dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
def test_accumulate_matches_numpy(dtype, transpose_a, transpose_b):
    m, k, n = 13, 7, 9
    a = rand(k, m, dtype=dtype).T if transpose_a else rand(m, k, dtype=dtype)
    b = rand(n, k, dtype=dtype).T if transpose_b else rand(k, n, dtype=dtype)
    c = rand(m, n, dtype=dtype)
    want = c - 0.25 * (a.astype(np.float64) @ b.astype(np.float64))
    assert blas_gemm.accumulate(c, a, b, -0.25)
    np.testing.assert_allclose(c, want, **TOLERANCE[dtype])


def test_accumulate_reads_row_blocks_of_wider_arrays():
    wide = rand(6, 20)
    a, b, c = wide[:, 3:8], rand(5, 4), rand(6, 4)    # a's rows are 20 apart: its leading dimension
    want = c + a @ b
    assert blas_gemm.accumulate(c, a, b, 1.0)
    np.testing.assert_allclose(c, want, **TOLERANCE[np.float32])


@pytest.mark.parametrize("case", ["int", "mixed dtypes", "batched", "shapes", "strided", "aliased", "strided c"])
def test_accumulate_refuses_and_leaves_c_alone(case):
    a, b, c = rand(4, 3), rand(3, 5), rand(4, 5)
    if case == "int":
        a, b, c = (x.astype(np.int32) for x in (a, b, c))
    elif case == "mixed dtypes":
        b = b.astype(np.float64)
    elif case == "batched":
        a, b, c = a[None], b[None], c[None]
    elif case == "shapes":
        b = rand(3, 6)
    elif case == "strided":
        a = rand(4, 6)[:, ::2]
    elif case == "aliased":
        square = rand(4, 4)
        a, b, c = square, rand(4, 4), square
    elif case == "strided c":
        c = rand(4, 10)[:, ::2]
    before = c.copy()
    assert not blas_gemm.accumulate(c, a, b, 1.0)
    np.testing.assert_array_equal(c, before)


@pytest.fixture
def gemm_runs(monkeypatch) -> list:
    """The outcome of every ``ProductUpdate.run`` (True: the GEMM computed the output)."""
    seen = []
    run = product_update.ProductUpdate.run

    def counted(self, step, ctx):
        seen.append(run(self, step, ctx))
        return seen[-1]
    monkeypatch.setattr(product_update.ProductUpdate, "run", counted)
    return seen


def _update_steps(exe) -> list:
    return [s for s in exe.steps if isinstance(s, numba_steps.CompiledStep) and s.update is not None]


def _run_numba(fetches, feeds=(), values=(), targets=(), state=None):
    return run_against_eager(compiled_backend("numba"), fetches, feeds, values, targets, state)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_weight_update_is_one_gemm_in_place(dtype, gemm_runs):
    x = tf.placeholder(dtype, [64, 128])
    labels = tf.placeholder(dtype, [64, 160])
    w = tf.Variable(rand(128, 160, dtype=dtype))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - labels))
    step = tf.train.GradientDescentOptimizer(0.25).minimize(loss)
    state = initialized_state()
    own = state.values[w.op]
    values = [rand(64, 128, dtype=dtype), rand(64, 160, dtype=dtype)]
    exe, _, updates = _run_numba([loss], [x, labels], values, targets=[step], state=state)
    assert len(_update_steps(exe)) == 1
    state.values.update(updates)
    for _ in range(3):          # later runs: in place, through the generated driver
        before = state.values[w.op].copy()
        residual = values[0].astype(np.float64) @ before - values[1]
        want = before - 0.25 * (values[0].T.astype(np.float64) @ (2.0 * residual / residual.size))
        _, updates = exe.run(values, state)
        np.testing.assert_allclose(updates[w.op], want, **TOLERANCE[dtype])
        state.values.update(updates)
    assert updates[w.op] is own                        # the variable's own array, updated in place
    assert gemm_runs == [True] * 4                     # the GEMM did the work, first run included


@pytest.mark.parametrize("form", ["c + P*s", "P + c", "c - P", "c + s*P fed s", "c - s*P transposed", "P + bias",
                                  "row - P", "bias + s*P"])
def test_product_update_forms_match_eager(form, gemm_runs):
    a = tf.placeholder(tf.float32, [96, 40])
    b = tf.placeholder(tf.float32, [40, 192])
    bt = tf.placeholder(tf.float32, [192, 40])
    c = tf.placeholder(tf.float32, [96, 192])
    s = tf.placeholder(tf.float32, [])
    bias = tf.placeholder(tf.float32, [192])
    row = tf.placeholder(tf.float32, [1, 192])
    product = tf.matmul(a, b)
    out, feeds = {
        "c + P*s": (c + product * 1.5, [a, b, c]),
        "P + c": (product + c, [a, b, c]),
        "c - P": (c - product, [a, b, c]),
        "c + s*P fed s": (c + s * product, [a, b, c, s]),
        "c - s*P transposed": (c - s * tf.matmul(a, bt, transpose_b=True), [a, bt, c, s]),
        "P + bias": (product + bias, [a, b, bias]),     # a bias row: broadcast into the output, then GEMM
        "row - P": (row - product, [a, b, row]),
        "bias + s*P": (bias + s * product, [a, b, bias, s]),
    }[form]
    shapes = {a: (96, 40), b: (40, 192), bt: (192, 40), c: (96, 192), s: (), bias: (192,), row: (1, 192)}
    values = [rand(*shapes[f]) for f in feeds]
    exe, _, _ = _run_numba([out], feeds, values)
    assert len(_update_steps(exe)) == 1 and gemm_runs == [True]


def test_forms_it_does_not_take_run_their_kernel():
    a = tf.placeholder(tf.float32, [96, 40])
    b = tf.placeholder(tf.float32, [40, 192])
    column = tf.placeholder(tf.float32, [96, 1])
    c = tf.placeholder(tf.float32, [96, 192])
    product = tf.matmul(a, b)
    for out, feeds, values in [
        (product + column, [a, b, column], [rand(96, 40), rand(40, 192), rand(96, 1)]),    # a column, not a row
        (product - c, [a, b, c], [rand(96, 40), rand(40, 192), rand(96, 192)]),            # -P + c
        (c + 2.0 * tf.nn.relu(product), [a, b, c], [rand(96, 40), rand(40, 192), rand(96, 192)]),
    ]:
        exe, _, _ = _run_numba([out], feeds, values)
        assert not _update_steps(exe)


def test_a_base_that_is_an_operand_is_not_written_while_read(gemm_runs):
    """w - 0.1 * (w @ b): GEMM runs only when the new w has memory of its own (else the kernel)."""
    w = tf.Variable(rand(160, 160))
    b = tf.placeholder(tf.float32, [160, 160])
    step = tf.assign(w, w - 0.1 * tf.matmul(w, b))
    state = initialized_state()
    bv = rand(160, 160) * 0.1
    exe, _, updates = _run_numba([], [b], [bv], targets=[step.op], state=state)
    state.values.update(updates)
    own = state.values[w.op]
    before = own.copy()
    _, updates = exe.run([bv], state)
    np.testing.assert_allclose(updates[w.op], before - 0.1 * (before @ bv), rtol=1e-4, atol=1e-4)
    assert gemm_runs[-1] is not np.shares_memory(updates[w.op], own)
