"""What only the Numba CPU backend does: chunked, parallel and column reductions, in-place
variable updates, one BLAS pool, compiling once per pattern, vectorized kernels and polynomial
math, njit host kernels. What every compiled backend promises is in test_backend_contract.py.

Shapes are small so compiles dominate; graphs with the same structure share compiled kernels
(the code cache of conftest.py is shared across tests). Float32 results are compared within
the error bound of a correct evaluation (backend_util: fused kernels reassociate sums and use
polynomial exp/tanh accurate to a few ulps).
"""
import functools
import math
import os
import re

import numpy as np
import pytest

import graphc as tf
from graphc import errors
from graphc.codegen import driver, numba_cpu, numba_printer, numba_scalar, numba_steps
from graphc.toolchain import cache
from graphc.passes.run_plan import RunPlan
from graphc.runtime.session import SessionState

from backend_util import compiled_backend, f32, initialized_state, run_against_eager
from builders import gelu, slices_transpose_concat

run_both = functools.partial(run_against_eager, compiled_backend("numba"))


# ------------------------------------------------------------------------------------------------
# reductions

def test_softmax_computes_exp_once_and_scales_it_in_the_output_row():
    x = tf.placeholder(tf.float32, [None, 16])
    exe, _, _ = run_both([tf.nn.softmax(x)], [x], [f32(4, 16, scale=5)])
    src = exe.kernels[0].source.split("def kernel_par")[0]
    assert src.count("S.exp32(") == 1 and "S.load(out0" in src


def test_last_pass_that_reads_an_input_recomputes_instead_of_reusing_the_output():
    x = tf.placeholder(tf.float32, [None, 16])
    e = tf.exp(x - tf.reduce_max(x, axis=-1, keepdims=True))
    y = e / tf.reduce_sum(e, axis=-1, keepdims=True) + x
    exe, _, _ = run_both([y], [x], [f32(4, 16, scale=5)])
    assert "S.load(out0" not in exe.kernels[0].source


def test_in_place_softmax_of_a_variable_matches_eager():
    v = tf.Variable(f32(3, 8, scale=3))
    step = tf.assign(v, tf.nn.softmax(v))
    state = initialized_state()
    original = state.values[v.op]
    want = np.exp(original - original.max(-1, keepdims=True))
    want /= want.sum(-1, keepdims=True)
    exe, _, updates = run_both([], targets=[step.op], state=state)
    np.testing.assert_allclose(updates[v.op], want, rtol=1e-5, atol=1e-6)


def test_parallel_variants_of_row_and_full_reductions(monkeypatch):
    monkeypatch.setattr(numba_steps, "PARALLEL_MIN", 64 * 512)
    x = tf.placeholder(tf.float32, [None, 512])
    m = tf.reduce_max(x, axis=-1, keepdims=True)
    e = tf.exp(x - m)
    softmax = e / tf.reduce_sum(e, axis=-1, keepdims=True)
    rows = 64                                   # 64 * 512 elements: a parallel variant runs
    exe, _, _ = run_both([softmax, tf.reduce_sum(x * x)], [x], [f32(rows, 512, scale=3)])
    # the row softmax shares its rows among threads (kernel_rows), the full sum runs its prange
    assert [bool((step.rows or step.parallel).signatures) for step in exe.steps] == [True, True]
    assert sorted(step.rows is None for step in exe.steps) == [False, True]


def _column_kernel_source(exe) -> str:
    srcs = [k.source for k in exe.kernels if k.kind == "reduction"]
    assert srcs and all("part" in src and "for t in prange(nr * nb)" in src for src in srcs), srcs
    return srcs[0]


def test_column_reductions_stream_rows_into_per_column_partials():
    x = tf.placeholder(tf.float32, [None, None])
    w = tf.placeholder(tf.float32, [None])
    # the SGD bias update: column sum of a masked gradient, then the epilogue
    masked = tf.where(x > 0.0, x, tf.zeros_like(x))
    update = w - 0.1 * tf.reduce_sum(masked, axis=0)
    rows, cols = 3 * 16 + 5, numba_printer.COLUMN_BLOCK + 7     # several row chunks and column blocks
    exe, _, _ = run_both([update, masked], [x, w], [f32(rows, cols), f32(cols)])
    _column_kernel_source(exe)
    m = tf.placeholder(tf.float32, [None, 6])
    mv = f32(9, 6)
    mv[4, 2] = np.nan
    exe, _, _ = run_both([tf.reduce_max(m, axis=0), tf.reduce_mean(m * 2.0, axis=0, keepdims=True)], [m], [mv])
    _column_kernel_source(exe)


def test_column_reductions_over_middle_and_interleaved_axes():
    x = tf.placeholder(tf.float32, [3, 4, 5, 6])
    outs = [tf.reduce_sum(x, axis=[0, 2]), tf.reduce_min(x, axis=1), tf.reduce_mean(x, axis=[0, 1, 2], keepdims=True)]
    run_both(outs, [x], [f32(3, 4, 5, 6)])
    k = tf.placeholder(tf.int32, [None, 3])
    flags = tf.placeholder(tf.bool, [None, 3])
    kv = np.array([[1, -7, 3], [5, 6, -7], [2 ** 30, 2 ** 30, 1], [4, 4, 4]], np.int32)
    run_both([tf.reduce_sum(k, axis=0), tf.reduce_mean(k, axis=0), tf.reduce_any(flags, axis=0),
              tf.reduce_all(flags, axis=0)], [k, flags], [kv, kv > 2])
    empty = tf.placeholder(tf.float32, [None, 4])
    run_both([tf.reduce_sum(empty, axis=0), tf.reduce_max(empty, axis=0)], [empty], [np.zeros((0, 4), np.float32)])


def test_column_reduction_variants_agree_bit_for_bit(monkeypatch):
    x = tf.placeholder(tf.float32, [None, None])
    y = tf.reduce_sum(x * x, axis=0)
    xv = f32(3000, 37)
    plan = RunPlan([y], [], [x])
    results = []
    for threshold in (1 << 62, 0):     # serial, then the parallel variant
        monkeypatch.setattr(numba_steps, "PARALLEL_MIN", threshold)
        results.append(driver.compile_run("numba", plan, [xv.shape]).run([xv], SessionState())[0][0])
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_allclose(results[0], (xv.astype(np.float64) ** 2).sum(axis=0), rtol=1e-5)


def test_column_reduction_kernel_vectorizes():
    x = tf.placeholder(tf.float32, [None, 64])
    exe = driver.compile_run("numba", RunPlan([tf.reduce_sum(x, axis=0)], [], [x]), [(8, 64)])
    exe.run([f32(8, 64)], SessionState())
    src = _column_kernel_source(exe)
    asm = _fresh_asm(src, exe.steps[0].serial.signatures[0])
    assert _packed_float32(asm, "add")


# ------------------------------------------------------------------------------------------------
# matmul

def test_matmul_and_numpy_kernels_share_one_blas_thread_pool():
    """The product comes from numpy's BLAS, like the conv kernels' tensordot: two OpenBLAS pools
    (numpy's and the scipy one numba's np.dot calls) spinning on the same cores stalled runs 10 ms."""
    x = tf.placeholder(tf.float32, [None, 8])
    w = tf.placeholder(tf.float32, [8, 4])
    exe = tf.Session(backend="numba").compile(tf.matmul(x, w) * 2.0, {x: f32(3, 8), w: f32(8, 4)})
    assert "np.dot" not in exe.kernels[0].source and "prod" in exe.kernels[0].source


# ------------------------------------------------------------------------------------------------
# training step, variables

@pytest.mark.usefixtures("small_variables_in_place")
def test_variable_updated_in_place_writes_into_its_own_array():
    v = tf.Variable(np.arange(6, dtype=np.float32))
    g = tf.placeholder(tf.float32, [6])
    step = tf.assign_sub(v, 0.1 * g)
    state = initialized_state()
    original = state.values[v.op]
    gv = f32(6)
    exe, _, updates = run_both([], [g], [gv], targets=[step.op], state=state)
    assert exe.inplace_variables == [v.op.name]
    assert updates[v.op] is original          # no copy of the variable per run


@pytest.mark.usefixtures("small_variables_in_place")
def test_fetched_new_value_of_an_in_place_variable_is_a_copy():
    v = tf.Variable(np.arange(3, dtype=np.float32))
    new = tf.assign_add(v, tf.ones([3]))
    state = initialized_state()
    exe, got, updates = run_both([new], state=state)
    assert exe.inplace_variables == [v.op.name]
    assert not np.shares_memory(got[0], updates[v.op])


@pytest.mark.usefixtures("small_variables_in_place")
def test_failed_run_after_an_update_leaves_the_variable_untouched():
    v = tf.Variable(np.arange(6, dtype=np.float32))
    idx = tf.placeholder(tf.int32, [2])
    picked = tf.gather(tf.assign_add(v, tf.ones([6])), idx)   # numpy kernel after the update: can fail
    state = initialized_state()
    original = state.values[v.op]
    exe = driver.compile_run("numba", RunPlan([picked], [], [idx]), [(2,)])
    assert any("updated in place" in what for _, what in exe.memory_plan.inplace)
    assert exe.inplace_variables == [] and "could fail" in exe.inplace_note
    with pytest.raises(errors.InvalidArgumentError):
        exe.run([np.array([0, 9], np.int32)], state)
    assert state.values[v.op] is original
    np.testing.assert_array_equal(original, np.arange(6, dtype=np.float32))
    got, updates = exe.run([np.array([5, 0], np.int32)], state)
    np.testing.assert_array_equal(got[0], [6.0, 1.0])


@pytest.mark.usefixtures("small_variables_in_place")
def test_a_numpy_step_before_the_updates_keeps_them_in_place(monkeypatch):
    """Sparse labels go through a host step early in a training step; its output shape is checked
    against the static one, so the kernels after it keep their static geometry and the SGD updates
    still write into the variables' arrays."""
    x = tf.placeholder(tf.float32, [None, 5])
    labels = tf.placeholder(tf.int32, [None])
    w = tf.Variable(f32(5, 3))
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=tf.matmul(x, w)))
    step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    state = initialized_state()
    original = state.values[w.op]
    feeds = [f32(4, 5), np.array([0, 2, 1, 2], np.int32)]
    exe, _, updates = run_both([loss], [x, labels], feeds, targets=[step], state=state)
    assert any(n.type == "SparseLabelsOneHot" for s in exe.steps if isinstance(s, numba_steps.NumpyStep)
               for n in s.kernel.nodes)
    assert exe.inplace_variables == [w.op.name] and updates[w.op] is original
    from graphc.codegen import numba_host
    takes, kernel = numba_host.KERNELS["SparseLabelsOneHot"]      # its host kernel (njit) gets it wrong
    monkeypatch.setitem(numba_host.KERNELS, "SparseLabelsOneHot", (takes, lambda *a: kernel(*a)[:, :2]))
    with pytest.raises(errors.InvalidArgumentError, match="bug in the op's shape inference"):
        exe.run(feeds, state)


@pytest.mark.usefixtures("small_variables_in_place")
def test_in_place_update_in_a_session_commits_and_a_failed_run_does_not():
    v = tf.Variable(np.zeros(4, np.float32))
    g = tf.placeholder(tf.float32, [4])
    idx = tf.placeholder(tf.int32, [1])
    step = tf.assign_sub(v, g)
    picked = tf.gather(tf.assign_sub(v, 2.0 * g), idx)
    with tf.Session(backend="numba") as sess:
        sess.run(v.initializer)
        for _ in range(3):
            sess.run(step, {g: np.ones(4, np.float32)})
        assert sess.compile(step, {g: np.ones(4, np.float32)}).inplace_variables == [v.op.name]
        np.testing.assert_array_equal(sess.run(v), [-3.0] * 4)
        with pytest.raises(errors.InvalidArgumentError):
            sess.run(picked, {g: np.ones(4, np.float32), idx: [7]})
        np.testing.assert_array_equal(sess.run(v), [-3.0] * 4)
        assert sess.run(picked, {g: np.ones(4, np.float32), idx: [1]}) == [-5.0]


def test_a_lone_1x1_matmul_kernel_compiles():
    # the product is the whole kernel: its body was only a comment (IndentationError)
    p = tf.placeholder(tf.float32, [5])
    y = tf.matmul(tf.reshape(p, [1, -1]), tf.reshape(p, [-1, 1]))
    with tf.Session(backend="numba", compile_mode="sync") as sess:
        assert sess.run(y, {p: np.arange(5, dtype=np.float32)}).tolist() == [[30.0]]


@pytest.mark.usefixtures("small_variables_in_place")
def test_variable_whose_array_changed_shape_is_checked_not_trusted():
    v = tf.Variable(np.zeros(3, np.float32))
    grow = tf.assign(v, tf.ones([5]), validate_shape=False)
    step = tf.assign_add(v, tf.ones([3]))
    with tf.Session(backend="numba") as sess:
        sess.run(v.initializer)
        sess.run(step)
        assert sess.compile(step).inplace_variables == [v.op.name]
        sess.run(grow)
        # the session plans runs that read the grown variable with its (5,) value, so the (3,)
        # delta is refused before any kernel runs, with TF1's AssignAdd error
        with pytest.raises(errors.InvalidArgumentError, match=r"shape \[5\] using a Tensor with shape \[3\]"):
            sess.run(step)
        np.testing.assert_array_equal(sess.run(v), np.ones(5, np.float32))


# ------------------------------------------------------------------------------------------------
# host steps, driver behaviour

def test_the_ops_numba_runs_with_numpy_are_the_ones_it_declares():
    x = tf.placeholder(tf.float32, [4, 6])
    exe, _, _ = run_both([slices_transpose_concat(x) * 2.0 + 1.0], [x], [f32(4, 6)])
    numpy_types = {t for _, types, _ in exe.numpy_kernels for t in types}
    assert numpy_types and numpy_types <= set(numba_cpu.ops_run_with_numpy())


def test_new_batch_size_compiles_nothing_new():
    x = tf.placeholder(tf.float32, [None, 16])
    b = tf.placeholder(tf.float32, [16])
    m = tf.reduce_max(x + b, axis=-1, keepdims=True)
    y = tf.nn.relu(tf.exp(x + b - m))
    run_both([y, gelu(x)], [x, b], [f32(3, 16), f32(16)])
    before = dict(numba_cpu.STATS, loaded=cache.loaded_count())
    run_both([y, gelu(x)], [x, b], [f32(7, 16), f32(16)])
    after = dict(numba_cpu.STATS, loaded=cache.loaded_count())
    assert after == before


def test_generated_code_is_a_content_addressed_file(tmp_path, monkeypatch):
    source = "X = 1\n"
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path))
    path = cache.write_source(source)
    key = cache.source_key(source)
    assert path == str(tmp_path / key[:2] / f"gk_{key}.py")
    assert cache.load_source(source).X == 1
    assert cache.source_key(source, extra=["other helpers"]) != key


# ------------------------------------------------------------------------------------------------
# vectorization and the polynomial math

def test_gelu_kernel_vectorizes():
    x = tf.placeholder(tf.float32, [None])
    exe = driver.compile_run("numba", RunPlan([gelu(x)], [], [x]), [(64,)])
    exe.run([f32(64)], SessionState())
    asm = _fresh_asm(exe.kernels[0].source, exe.steps[0].serial.signatures[0])
    assert _packed_float32(asm, "mul") or _packed_float32(asm, "fmadd")


def _packed_float32(asm: str, operation: str) -> bool:
    """Whether ``asm`` has a packed float32 ``operation`` in the widest registers the target has:
    ymm/zmm (AVX), or xmm where numba targets the generic x86-64 (NUMBA_CPU_NAME=generic: SSE2)."""
    if os.environ.get("NUMBA_CPU_NAME") == "generic":
        return re.search(rf"\b{operation}ps\b", asm) is not None
    return re.search(rf"\bv{operation}\w*ps\s[^\n]*[yz]mm", asm) is not None


def _fresh_asm(source: str, signature) -> str:
    """The assembly of a generated serial kernel (numba cannot show code loaded from its disk cache)."""
    namespace: dict = {}
    exec(compile(source.replace("cache=True", "cache=False"), "<kernel>", "exec"), namespace)
    fn = namespace["kernel"]
    fn.compile(signature)
    return fn.inspect_asm(signature)


def _check_float32_accuracy(got: np.ndarray, want: np.ndarray, max_ulps: float, denormal_error: float) -> None:
    """got (float32) against an exact float64 ``want``: ulps on normal results, absolute error on denormals."""
    big = np.finfo(np.float32).max
    tiny = np.finfo(np.float32).tiny
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    over = ~nan & (np.abs(want) > big)
    np.testing.assert_array_equal(got[over], np.sign(want[over]) * np.inf)
    normal = ~nan & ~over & (np.abs(want) >= tiny)
    spacing = np.spacing(np.abs(want[normal]).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got[normal] - want[normal]) / spacing) <= max_ulps
    small = ~nan & (np.abs(want) < tiny)
    assert np.max(np.abs(got[small] - want[small]), initial=0.0) <= denormal_error


DENORMAL_ULP = 1.4013e-45


# sigmoid's division may flush results below float32's smallest normal (1.2e-38) to zero (arcp)
@pytest.mark.parametrize("name, reference, denormal_error", [
    ("exp", np.exp, 2 * DENORMAL_ULP),
    ("tanh", np.tanh, 0.0),
    ("sigmoid", lambda v: 1.0 / (1.0 + np.exp(-v)), np.finfo(np.float32).tiny),
])
def test_float32_polynomial_math_over_the_whole_range(name, reference, denormal_error):
    grid = np.concatenate([
        np.linspace(-110, 95, 400001, dtype=np.float32),
        np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-30, -1e-30, 1e-45, 0.4, -0.4, 9.0, -9.0,
                  88.72, 88.7228, 88.73, -87.33, -103.9, -104.0, -150.0], np.float32),
        (np.random.RandomState(1).randn(20000) * 1e-3).astype(np.float32),
    ])
    x = tf.placeholder(tf.float32, [None])
    op = {"exp": tf.exp, "tanh": tf.tanh, "sigmoid": tf.sigmoid}[name]
    exe = driver.compile_run("numba", RunPlan([op(x)], [], [x]), [grid.shape])
    got = exe.run([grid], SessionState())[0][0]
    assert f"S.{name}32(" in exe.kernels[0].source
    with np.errstate(all="ignore"):
        want = reference(grid.astype(np.float64))
    _check_float32_accuracy(got, want, 3.0, denormal_error)
    assert set(numba_scalar.SUPPORTED_TYPES) >= {"Exp", "Tanh", "Sigmoid"}


def test_one_by_one_matmul_with_epilogue_and_division_by_sqrt_zero():
    # a 1x1 product is still passed as the flat product array; x / sqrt(0) stays inf (no arcp)
    x = tf.placeholder(tf.float32, [None, 2])
    w = tf.constant([[1.0], [2.0]])
    z = tf.placeholder(tf.float32, [3])
    fetches = [tf.reduce_mean(tf.square(tf.matmul(x, w))), tf.gradients(tf.sqrt(z), z)[0]]
    feed = {x: [[0.5, 1.0]], z: [0.25, 4.0, 0.0]}
    want = tf.Session(backend="eager").run(fetches, feed)
    got = tf.Session(backend="numba").run(fetches, feed)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    np.testing.assert_array_equal(got[1], want[1])
    assert np.isinf(got[1][2])


# ------------------------------------------------------------------------------------------------
# hand-written njit kernels for opaque ops

@pytest.mark.parametrize("ksize,strides,padding", [((2, 2), (2, 2), "VALID"), ((3, 3), (2, 2), "SAME"),
                                                   ((3, 2), (1, 2), "SAME"), ((2, 3), (3, 1), "VALID")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("variant", ["serial", "parallel"])
def test_max_pool_njit_kernels_match_the_numpy_kernels(ksize, strides, padding, dtype, variant, monkeypatch):
    from graphc.codegen import numba_host
    from graphc.ops.core import OPS

    # the prange variant runs from GRAPHC_NUMBA_PARALLEL_MIN's work on; 1: always, here
    monkeypatch.setattr(numba_host, "PARALLEL_MIN", 1 if variant == "parallel" else 2 ** 62)
    assert numba_host._pick("s", "p", 1, 1) == variant[0]

    rs = np.random.RandomState(3)
    x = rs.randint(-3, 3, size=(2, 7, 6, 3)).astype(dtype)    # many ties
    x[0, 1, 1, 0] = np.nan
    x[1, 0, 0, 1] = -np.inf                                   # ties with the -inf padding
    x[1, 4:, 2:, 2] = -np.inf
    attrs = dict(ksize=ksize, strides=strides, padding=padding)
    y = OPS["MaxPool"].numpy(x, **attrs)
    np.testing.assert_array_equal(numba_host.kernel_for("MaxPool")(x, **attrs), y)
    g = rs.rand(*y.shape).astype(dtype)
    want = OPS["MaxPoolGrad"].numpy(x, y, g, **attrs)
    got = numba_host.kernel_for("MaxPoolGrad")(x, y, g, **attrs)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12 if dtype == np.float64 else 1e-6)
    with pytest.raises(ValueError, match="MaxPoolGrad"):
        numba_host.kernel_for("MaxPoolGrad")(x, y, g[:, :1], **attrs)


@pytest.mark.parametrize("shape,padding", [((2, 6, 8, 16), "VALID"), ((2, 7, 9, 17), "VALID"),
                                           ((1, 4, 6, 35), "SAME"), ((3, 5, 4, 5), "VALID")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("variant", ["serial", "parallel"])
def test_two_by_two_pools_match_the_numpy_kernels_bit_for_bit(shape, padding, dtype, variant, monkeypatch):
    # 2x2 windows at stride 2 inside the input take their own kernels (channel blocks of 16 and a
    # tail; odd VALID sizes leave a last row/column that only zeros of the gradient reach)
    from graphc.codegen import numba_host
    from graphc.ops.conv import _pool_geometry
    from graphc.ops.core import OPS

    monkeypatch.setattr(numba_host, "PARALLEL_MIN", 1 if variant == "parallel" else 2 ** 62)
    attrs = dict(ksize=(2, 2), strides=(2, 2), padding=padding)
    out_hw, pads = _pool_geometry(shape[1:3], (2, 2), (2, 2), padding, "max_pool")
    assert numba_host._tiles_2x2(shape[1:3], out_hw, (2, 2), (2, 2), pads)
    rs = np.random.RandomState(5)
    x = rs.randint(-2, 2, size=shape).astype(dtype)        # ties in most windows
    x.flat[::11] = np.nan
    x.flat[::7] = -np.inf
    y = OPS["MaxPool"].numpy(x, **attrs)
    np.testing.assert_array_equal(numba_host.kernel_for("MaxPool")(x, **attrs), y)
    g = rs.rand(*y.shape).astype(dtype)
    got = numba_host.kernel_for("MaxPoolGrad")(x, y, g, **attrs)
    np.testing.assert_array_equal(got, OPS["MaxPoolGrad"].numpy(x, y, g, **attrs))


def test_pools_with_windows_past_the_input_keep_the_general_kernels():
    from graphc.codegen import numba_host
    from graphc.ops.conv import _pool_geometry

    out_hw, pads = _pool_geometry((7, 9), (2, 2), (2, 2), "SAME", "max_pool")   # last window half outside
    assert not numba_host._tiles_2x2((7, 9), out_hw, (2, 2), (2, 2), pads)
    assert not numba_host._tiles_2x2((8, 8), (4, 4), (2, 2), (1, 2), ((0, 0), (0, 0)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_segment_sum_njit_kernel_matches_np_add_at_bit_for_bit(dtype):
    from graphc.codegen import numba_host
    from graphc.ops.core import OPS

    rs = np.random.RandomState(4)
    data = rs.randn(50, 3, 4).astype(dtype)
    ids = rs.randint(-2, 7, size=50).astype(np.int32)            # repeats, and negative ids (dropped)
    want = OPS["UnsortedSegmentSum"].numpy(data, ids, 9)
    got = numba_host.kernel_for("UnsortedSegmentSum")(data, ids, 9)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    ids2 = ids.reshape(5, 10)                                   # ids of rank 2: a prefix of data's shape
    got2 = numba_host.kernel_for("UnsortedSegmentSum")(data.reshape(5, 10, 3, 4), ids2, 9)
    assert got2.tobytes() == OPS["UnsortedSegmentSum"].numpy(data.reshape(5, 10, 3, 4), ids2, 9).tobytes()
    with pytest.raises(ValueError, match="out of range"):
        numba_host.kernel_for("UnsortedSegmentSum")(data, ids, 6)


@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_labels_one_hot_njit_kernel_matches_the_numpy_kernel(label_dtype, dtype):
    from graphc.codegen import numba_host
    from graphc.ops.core import OPS

    kernel, numpy_kernel = numba_host.kernel_for("SparseLabelsOneHot"), OPS["SparseLabelsOneHot"].numpy
    rs = np.random.RandomState(6)
    for labels_shape, depth in [((7,), 5), ((2, 3), 4), ((0,), 3), ((3,), 1)]:
        labels = rs.randint(0, depth, size=labels_shape).astype(label_dtype)
        logits = np.zeros(labels_shape + (depth,), dtype)
        want, got = numpy_kernel(labels, logits), kernel(labels, logits)
        assert got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes()
    for bad in ([1, 5, 0], [1, -1, 2]):                          # the numpy kernel's range error, as TF1's
        labels, logits = np.array(bad, label_dtype), np.zeros((3, 5), dtype)
        with pytest.raises(ValueError) as want:
            numpy_kernel(labels, logits)
        with pytest.raises(ValueError) as got:
            kernel(labels, logits)
        assert str(got.value) == str(want.value)
    with pytest.raises(ValueError, match="must have the shape of logits"):
        kernel(np.zeros(4, label_dtype), np.zeros((3, 5), dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transpose_host_kernel_matches_numpy(dtype):
    from graphc.codegen import numba_host

    kernel = numba_host.kernel_for("Transpose")
    rs = np.random.RandomState(7)
    big = rs.randn(130, 257).astype(dtype)                       # tiles cut at both edges
    cases = [(big, [1, 0]), (rs.randn(320, 64).astype(dtype), [1, 0]),
             (rs.randn(150, 400).astype(dtype)[:, ::2], [1, 0]),   # a strided input
             (big, None), (big, [0, 1]), (rs.randn(5, 7).astype(dtype), [1, 0]),
             (rs.randn(40, 30, 20).astype(dtype), [2, 0, 1]), (rs.randn(40, 30, 20).astype(dtype), None)]
    for x, perm in cases:
        got = kernel(x, perm=perm)
        want = np.transpose(x, perm)
        assert got.shape == want.shape and got.dtype == want.dtype and np.array_equal(got, want)
    tiled = kernel(big, perm=[1, 0])
    assert tiled.flags.c_contiguous and not np.shares_memory(tiled, big)


def test_sparse_softmax_cross_entropy_runs_the_njit_one_hot(monkeypatch):
    from graphc.codegen import numba_host

    calls = []
    takes, kernel = numba_host.KERNELS["SparseLabelsOneHot"]
    monkeypatch.setitem(numba_host.KERNELS, "SparseLabelsOneHot",
                        (takes, lambda *args: calls.append(1) or kernel(*args)))
    logits = tf.placeholder(tf.float32, [None, 6])
    labels = tf.placeholder(tf.int32, [None])
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    grad = tf.gradients(loss, logits)[0]
    exe, _, _ = run_both([loss, grad], [logits, labels], [f32(4, 6), np.array([0, 5, 2, 2], np.int32)])
    assert calls
    with pytest.raises(errors.InvalidArgumentError, match="outside the valid range"):
        exe.run([f32(4, 6), np.array([0, 6, 2, 2], np.int32)], SessionState())


def test_embedding_gradient_runs_the_njit_segment_sum():
    table = tf.placeholder(tf.float32, [20, 8])
    ids = tf.placeholder(tf.int32, [None])
    loss = tf.reduce_sum(tf.square(tf.nn.embedding_lookup(table, ids)))
    grad = tf.gradients(loss, table)[0]
    exe, _, _ = run_both([loss, grad], [table, ids], [f32(20, 8), np.array([3, 3, 0, 19, 7], np.int32)])
    assert "UnsortedSegmentSum" not in {t for _, types, _ in exe.numpy_kernels for t in types}
    with pytest.raises(errors.InvalidArgumentError):
        exe.run([f32(20, 8), np.array([3, 25, 0, 1, 2], np.int32)], SessionState())


def test_pooling_runs_the_njit_kernels_in_a_session():
    x = tf.placeholder(tf.float32, [None, 8, 8, 2])
    pooled = tf.nn.max_pool(tf.nn.relu(x), [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    grad = tf.gradients(tf.reduce_sum(pooled * pooled), x)[0]
    exe, _, _ = run_both([pooled, grad], [x], [f32(3, 8, 8, 2)])
    assert exe.numpy_kernels == []
    assert any("numba_host.KERNELS['MaxPoolGrad']" in k.source for k in exe.kernels)


def test_runtime_geometry_is_the_build_time_geometry():
    """A kernel bound to sizes at run time (``geometry_recipe``) gets the geometry that
    ``kernel_common.group_extents``/``group_stride`` compute for the same static shapes."""
    from graphc.codegen import kernel_common as kc

    x = tf.placeholder(tf.float32, [5, 4, 3])
    b = tf.placeholder(tf.float32, [4, 1])
    y = tf.reduce_sum(gelu(x) * b, axis=[0, 2]) + tf.reduce_max(tf.transpose(x, [2, 0, 1]), axis=1)[0]
    z = tf.nn.softmax(x * 2.0) + tf.matmul(tf.reshape(x, [20, 3]), tf.ones([3, 3]))[:5, None, :1]
    exe = tf.Session(backend="numba").compile([y, z], {x: f32(5, 4, 3), b: f32(4, 1)})
    steps = [s for s in exe.steps if isinstance(s, numba_steps.CompiledStep)]
    assert len(steps) >= 3
    for step in steps:
        gen, space = step.gen, list(step.static[1])
        want = kc.group_extents(space, gen.groups)
        for a in gen.accesses:
            if not a.scalar:
                want += [kc.group_stride(space, a, dims, gen.rank) for dims in gen.groups if a.indexed[dims[0]]]
        assert step.static[0].tolist() == want
        assert [math.prod([space[d] for d in dims]) for dims in step.recipe] == want


# ------------------------------------------------------------------------------------------------
# row reads handed on as views

def test_gather_rows_reads_rows_as_views_but_hands_out_copies(monkeypatch):
    """A loop gradient's GatherRows runs as views of its stacks (no copy); a fetched row is still
    the run's own array, and an index out of range names the op."""
    from graphc.ops import gather
    stack = tf.placeholder(tf.float32, [3, 2, 4])
    index = tf.placeholder(tf.int32, [])
    row, = gather.gather_rows([stack], index)
    doubled = row * 2.0
    data = f32(3, 2, 4)
    viewed = []
    run_views = numba_steps.NumpyStep._run_row_views
    monkeypatch.setattr(numba_steps.NumpyStep, "_run_row_views",
                        lambda step, ctx: viewed.append(step) or run_views(step, ctx))
    with tf.Session(backend="numba", compile_mode="sync") as sess:
        got_row, got_doubled = sess.run([row, doubled], {stack: data, index: 2})
        np.testing.assert_array_equal(got_doubled, data[2] * 2.0)
        np.testing.assert_array_equal(got_row, data[2])
        assert not np.shares_memory(got_row, data) and viewed
        with pytest.raises(errors.InvalidArgumentError, match="GatherRows.*not in \\[0, 3\\)"):
            sess.run(doubled, {stack: data, index: 3})


def test_gather_rows_of_a_pooled_intermediate_copies_its_row():
    """A row of a stack computed inside the run (its buffer reused by later kernels) is copied."""
    from graphc.ops import gather
    x = tf.placeholder(tf.float32, [3, 2, 4])
    row, = gather.gather_rows([tf.exp(x) + 1.0], tf.constant(1))
    # computed after the row read into a buffer of the stack's size: may reuse the stack's
    later, = gather.gather_rows([tf.tanh(x * row[0, 0])], tf.constant(2))
    out = row * 2.0 + later
    data = f32(3, 2, 4)
    with tf.Session(backend="numba", compile_mode="sync") as sess:
        got = sess.run(out, {x: data})
    want = (np.exp(data[1]) + 1.0) * 2.0 + np.tanh(data[2] * (np.exp(data[1, 0, 0]) + 1.0))
    np.testing.assert_allclose(got, want, rtol=1e-5)
