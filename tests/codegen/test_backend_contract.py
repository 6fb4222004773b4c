"""What every compiled backend promises, checked on each one (numba; triton under Triton's CPU
interpreter): results and variable updates match the eager reference within the error bound of a
correct evaluation (backend_util), the canonical patterns fuse into one kernel each with sizes
left to run time, and errors at run time say what is wrong.

A backend's own machinery (numba's chunked and parallel reductions, vectorization and in-place
policy; Triton's device memory, split reductions and tile tuning) is tested in its own file,
test_numba_backend.py and test_triton_backend.py. A new compiled backend joins the contract with
one entry in backend_util.COMPILED_BACKENDS and its rows in the tables below.
"""
import numpy as np
import pytest

import graphc as tf
from graphc import errors
from graphc.codegen import numba_printer
from graphc.codegen.eager import EagerExecutable
from graphc.passes.run_plan import RunPlan
from graphc.reference_bounds import assert_within_bound
from graphc.runtime.session import SessionState

from backend_util import (COMPILED_BACKENDS, bounded_reference, compiled_backend, f32, initialized_state,
                          run_against_eager)
from builders import gelu, noisy_view, read_then_assign, slices_transpose_concat, two_layer_mlp_sgd

# Text each backend's printer writes into the first kernel of a test's graph: its evidence of
# the promise the test checks (fused into one kernel, sizes left to run time, IEEE products).
PRINTED = {
    "pointwise": {"numba": ("S.tanh32(", "@numba.njit(parallel=True"),
                  "triton": ("@triton.jit", "S.tanh(", "mask=mask")},
    "broadcast": {"numba": (), "triton": ("x % e",)},      # Triton: a row and a column index from the flat one
    "softmax": {"numba": (), "triton": ("def kernel_persistent(", "def kernel_looped(", "S.NAN, tl.max(")},
    "matmul": {"numba": ("the driver wrote the product into prod",),
               "triton": ("tl.dot(", 'input_precision="ieee"')},
}

# Movement ops that each backend runs as numpy steps between its kernels (Triton gathers
# transposes and strided slices on the device).
MOVED_ON_THE_HOST = {"numba": {"ConcatV2", "StridedSlice"}, "triton": {"ConcatV2"}}
# ... and through a hand-written njit host kernel (numba_host.KERNELS), not a numpy one
MOVED_BY_HOST_KERNELS = {"numba": {"Transpose"}, "triton": set()}

# A length whose full reduction spans several of the backend's blocks (numba: fixed chunks).
SEVERAL_BLOCKS = {"numba": 2 * numba_printer.CHUNK + 5, "triton": 3000}


@pytest.fixture(params=sorted(COMPILED_BACKENDS))
def backend(request):
    return compiled_backend(request.param)


def kinds(exe) -> list:
    return [k.kind for k in exe.kernels]


def assert_printed(exe, what: str, backend) -> None:
    source = exe.kernels[0].source
    for text in PRINTED[what][backend.name]:
        assert text in source, f"{backend.name} printed no {text!r} for {what}:\n{source}"


# ------------------------------------------------------------------------------------------------
# pointwise

def test_pointwise_chain_is_one_kernel_with_sizes_left_to_run_time(backend):
    x = tf.placeholder(tf.float32, [None])
    exe, _, _ = run_against_eager(backend, [gelu(x)], [x], [f32(1000, scale=3)])
    assert kinds(exe) == ["pointwise"] and exe.numpy_kernels == []
    assert "1000" not in exe.kernels[0].source                 # no sizes baked into the source
    assert_printed(exe, "pointwise", backend)
    again = backend.executable(RunPlan([gelu(x)], [], [x]), [(37,)])
    assert again.kernels[0].source == exe.kernels[0].source     # another size: the same kernel


def test_broadcasting_add_with_rows_columns_and_scalars(backend):
    x = tf.placeholder(tf.float32, [None, 5])
    b = tf.placeholder(tf.float32, [5])
    col = tf.placeholder(tf.float32, [3, 1])
    s = tf.placeholder(tf.float32, [])
    exe, _, _ = run_against_eager(backend, [(x + b) * s - col, tf.maximum(x, b)], [x, b, col, s],
                                  [f32(3, 5), f32(5), f32(3, 1), np.float32(2.5)])
    assert exe.numpy_kernels == []
    assert_printed(exe, "broadcast", backend)


def test_elementwise_table_and_nan_propagation(backend):
    x = tf.placeholder(tf.float32, [None])
    y = tf.placeholder(tf.float32, [None])
    xv = np.array([1.0, -2.0, np.nan, 3.0, 0.5, -np.inf, 1e-4, -0.3, 2.5], np.float32)
    yv = np.array([0.5, np.nan, 1.0, -3.0, 2.0, 1.0, 3.0, -2.0, 2.0], np.float32)
    outs = [tf.where(x > y, x, y * 2.0), tf.cast(tf.logical_and(x > 0.0, tf.logical_not(y > 0.0)), tf.float32),
            tf.maximum(x, y), tf.minimum(x, y), tf.nn.relu(x), tf.sigmoid(x), tf.exp(x), tf.tanh(x),
            tf.abs(x), tf.sign(x), tf.floormod(x, y), tf.floordiv(x, y), tf.pow(tf.abs(x), y), tf.pow(x, y),
            tf.log1p(tf.abs(x)), tf.expm1(x), tf.nn.softplus(x), tf.nn.elu(x), tf.round(x * 2.0),
            tf.sqrt(tf.abs(x)), tf.rsqrt(tf.abs(x) + 1.0), tf.log(tf.abs(x)), tf.square(x), -x]
    exe, _, _ = run_against_eager(backend, outs, [x, y], [xv, yv])
    assert exe.numpy_kernels == []


def test_integer_and_bool_kernels_and_the_integer_ops_numpy_must_check(backend):
    i = tf.placeholder(tf.int32, [None])
    j = tf.placeholder(tf.int32, [None])
    k = tf.placeholder(tf.int32, [None])
    iv, jv = np.array([7, -7, 5, 0], np.int32), np.array([3, 3, -2, 9], np.int32)
    exe, _, _ = run_against_eager(backend, [i * j - 3, tf.maximum(i, j), i > j, tf.cast(i, tf.float32) * 0.5],
                                  [i, j], [iv, jv])
    assert exe.numpy_kernels == []
    # integer floormod raises on a zero divisor in TF1: numpy runs it, and the kernel says why
    exe, _, _ = run_against_eager(backend, [tf.floormod(i, j) + 1, k * k - 3], [i, j, k],
                                  [iv, jv, np.array([2 ** 20, -5, 7, 0], np.int32)])
    assert [types for _, types, _ in exe.numpy_kernels] == [["FloorMod", "Add"]]
    assert "not compiled" in exe.numpy_kernels[0][2] and len(exe.kernels) == 2


# ------------------------------------------------------------------------------------------------
# reductions

def test_softmax_and_log_softmax_are_one_kernel_each(backend):
    x = tf.placeholder(tf.float32, [None, 16])
    m = tf.reduce_max(x, axis=-1, keepdims=True)
    e = tf.exp(x - m)
    written_out = e / tf.reduce_sum(e, axis=-1, keepdims=True)
    for y in (tf.nn.softmax(x), written_out, tf.nn.log_softmax(x)):
        exe, _, _ = run_against_eager(backend, [y], [x], [f32(4, 16, scale=5)])
        assert kinds(exe) == ["reduction"] and exe.numpy_kernels == []
        assert_printed(exe, "softmax", backend)


def test_layer_norm_with_a_fetched_mean_is_one_kernel(backend):
    x = tf.placeholder(tf.float32, [None, 16])
    gamma = tf.placeholder(tf.float32, [16])
    beta = tf.placeholder(tf.float32, [16])
    mean = tf.reduce_mean(x, axis=-1, keepdims=True)
    d = x - mean
    var = tf.reduce_mean(d * d, axis=-1, keepdims=True)
    y = d * tf.rsqrt(var + 1e-5) * gamma + beta
    exe, _, _ = run_against_eager(backend, [y, mean], [x, gamma, beta], [f32(4, 16), f32(16), f32(16)])
    assert kinds(exe) == ["reduction"] and exe.numpy_kernels == []


def test_reductions_over_several_blocks_any_axes_and_dtypes(backend):
    x = tf.placeholder(tf.float32, [None])
    exe, _, _ = run_against_eager(backend, [tf.reduce_sum(x * x)], [x], [f32(SEVERAL_BLOCKS[backend.name])])
    assert kinds(exe) == ["reduction"] and exe.numpy_kernels == []
    m = tf.placeholder(tf.float32, [None, 6])
    outs = [tf.reduce_sum(m, axis=0), tf.reduce_max(m, axis=1), tf.reduce_min(m * 2.0, axis=0, keepdims=True),
            tf.reduce_prod(m, axis=1), tf.reduce_mean(m, axis=[0, 1])]
    mv = f32(5, 6)
    mv[1, 2] = np.nan                     # NaN propagates through max/min as in numpy
    exe, _, _ = run_against_eager(backend, outs, [m], [mv])
    assert exe.numpy_kernels == []
    cube = tf.placeholder(tf.float32, [3, 4, 5])
    run_against_eager(backend, [tf.reduce_sum(cube, axis=[0, 2]), tf.reduce_max(cube, axis=1)], [cube],
                      [f32(3, 4, 5)])
    flags = tf.placeholder(tf.bool, [None, 3])
    run_against_eager(backend, [tf.reduce_any(flags, axis=1), tf.reduce_all(flags, axis=0)], [flags],
                      [np.array([[True, False, True], [False, False, True]])])
    k = tf.placeholder(tf.int32, [None, 4])
    kv = np.array([[1, -7, 3, 2], [5, 6, -7, 8], [2 ** 30, 2 ** 30, 2 ** 30, 1]], np.int32)
    run_against_eager(backend, [tf.reduce_sum(k, axis=1), tf.reduce_mean(k, axis=1), tf.reduce_max(k, axis=0)],
                      [k], [kv])


# ------------------------------------------------------------------------------------------------
# matmul

def test_matmul_bias_relu_is_one_kernel(backend):
    x = tf.placeholder(tf.float32, [None, 8])
    w = tf.placeholder(tf.float32, [8, 4])
    b = tf.placeholder(tf.float32, [4])
    y = tf.nn.relu(tf.matmul(x, w) + b)
    exe, _, _ = run_against_eager(backend, [y], [x, w, b], [f32(3, 8), f32(8, 4), f32(4)])
    assert kinds(exe) == ["matmul"] and exe.numpy_kernels == []
    assert_printed(exe, "matmul", backend)


def test_batched_matmul_with_transposes(backend):
    a = tf.placeholder(tf.float32, [2, 5, 3])
    b = tf.placeholder(tf.float32, [2, 4, 5])
    y = tf.matmul(a, b, transpose_a=True, transpose_b=True)
    exe, _, _ = run_against_eager(backend, [y, tf.matmul(a, a, transpose_a=True) * 2.0], [a, b],
                                  [f32(2, 5, 3), f32(2, 4, 5)])
    assert exe.numpy_kernels == []


# ------------------------------------------------------------------------------------------------
# training steps and variables

@pytest.mark.parametrize("loss", ["squared", "softmax_xent"])
def test_mlp_forward_backward_sgd_update_is_all_kernels(backend, loss):
    x, labels, mean_loss, step = two_layer_mlp_sgd(np.random.RandomState(0), loss)
    state = initialized_state()
    xv, lv = f32(4, 6), np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
    for _ in range(2):
        exe, _, updates = run_against_eager(backend, [mean_loss], [x, labels], [xv, lv], targets=[step],
                                            state=state)
        state.values.update(updates)
    assert {"matmul", "reduction"} <= set(kinds(exe))
    assert exe.numpy_kernels == []      # forward, backward (the bias gradient's SumTo too) and the update


def test_reads_before_an_assign_see_the_old_value(backend):
    run_against_eager(backend, read_then_assign(), state=initialized_state())


# ------------------------------------------------------------------------------------------------
# movement, random ops, driver behaviour, errors

def test_slices_transposes_and_concat_match_and_only_the_declared_ones_run_on_the_host(backend):
    x = tf.placeholder(tf.float32, [4, 6])
    exe, _, _ = run_against_eager(backend, [slices_transpose_concat(x) * 2.0 + 1.0, tf.reshape(x, [2, 12]),
                                            tf.shape(x)], [x], [f32(4, 6)])
    numpy_types = {t for _, types, _ in exe.numpy_kernels for t in types}
    assert numpy_types & {"Transpose", "ConcatV2", "StridedSlice"} == MOVED_ON_THE_HOST[backend.name]
    host_kernels = {t for k in exe.kernels for t in ("Transpose", "ConcatV2", "StridedSlice")
                    if f"numba_host.KERNELS[{t!r}]" in (k.source or "")}
    assert host_kernels == MOVED_BY_HOST_KERNELS[backend.name]


def test_random_ops_and_views_draw_the_eager_stream(backend):
    tf.set_random_seed(3)
    x = tf.placeholder(tf.float32, [2, 6])
    y = noisy_view(x)
    plan = RunPlan([y], [], [x])
    exe, eager = backend.executable(plan, [(2, 6)]), EagerExecutable(plan)
    ones = np.ones((2, 6), np.float32)
    s1, s2 = SessionState(), SessionState()
    for _ in range(2):                  # the second run draws the stream's next numbers, as eager does
        reference = bounded_reference([y], [x], [ones], state=s2)
        assert_within_bound(exe.run([ones], s1)[0][0], eager.run([ones], s2)[0][0], reference.fetches[0].bound)


def test_results_are_fresh_arrays_a_later_run_does_not_touch(backend):
    x = tf.placeholder(tf.float32, [None, 8])
    y = tf.nn.softmax(tf.exp(x) * 2.0)
    exe = backend.executable(RunPlan([tf.reduce_sum(y, axis=1) * 3.0, y, x], [], [x]), [(3, 8)])
    xv = f32(3, 8)
    first, _ = exe.run([xv], SessionState())
    kept = [a.copy() for a in first]
    second, _ = exe.run([f32(3, 8)], SessionState())
    for a, b, k in zip(first, second, kept):
        assert not np.shares_memory(a, b)
        np.testing.assert_array_equal(a, k)
    assert first[2] is not xv           # a fetched feed is the caller's to keep


def test_a_run_time_size_one_where_the_graph_has_no_static_one_is_rejected(backend):
    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.placeholder(tf.float32, [None, 5])
    exe = backend.executable(RunPlan([x + y], [], [x, y]), None)      # shapes left partial
    assert exe.run([f32(3, 5), f32(3, 5)], SessionState())[0][0].shape == (3, 5)
    with pytest.raises(errors.InvalidArgumentError, match="statically 1"):
        exe.run([f32(1, 5), f32(3, 5)], SessionState())


def test_an_uninitialized_variable_is_a_failed_precondition_naming_it(backend):
    v = tf.Variable(np.zeros(3, np.float32), name="weights")
    exe = backend.executable(RunPlan([v * 2.0], [], []), [])
    with pytest.raises(errors.FailedPreconditionError, match="weights.*uninitialized|uninitialized.*weights"):
        exe.run([], SessionState())
