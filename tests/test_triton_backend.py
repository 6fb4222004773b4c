"""The Triton backend matches the eager reference, run on the CPU by Triton's interpreter.

``TRITON_INTERPRET=1`` is set before anything imports triton (the ``@triton.jit`` decorator picks
the interpreter when it runs). Shapes are small: the interpreter executes each program with numpy.
Float32 results are compared within the error bound of a correct evaluation (backend_util: kernels
reassociate sums; tanh/log1p/expm1 are composed from tl.exp/tl.log).
"""
import os

os.environ.setdefault("TRITON_INTERPRET", "1")   # conftest sets it too; TRITON_INTERPRET=0 skips this file

import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backend_util import require_triton_interpreter  # noqa: E402

require_triton_interpreter()

import graphc as tf  # noqa: E402
from graphc import errors  # noqa: E402
from graphc.codegen import triton_gpu, triton_memory, triton_steps  # noqa: E402
from graphc.codegen.eager import EagerExecutable  # noqa: E402
from graphc.codegen import driver  # noqa: E402
from graphc.reference_bounds import assert_within_bound  # noqa: E402
from graphc.passes.run_plan import RunPlan  # noqa: E402
from graphc.runtime.session import SessionState  # noqa: E402

from backend_util import (assert_run_within_bounds, bounded_reference, initialized_state,  # noqa: E402
                          run_compared)

RS = np.random.RandomState(0)


def f32(*shape, scale=1.0):
    return (RS.randn(*shape) * scale).astype(np.float32)


def run_both(fetches, feeds=(), values=(), targets=(), state=None, layer=None):
    """Runs one plan with eager and Triton on equal states; checks results and updates within the
    error bound of a correct evaluation; returns the executable."""
    plan = RunPlan(list(fetches), list(targets), list(feeds))
    state = state or SessionState()
    reference = bounded_reference(fetches, feeds, values, targets, state)
    exe = driver.compile_run("triton", plan, [np.shape(v) for v in values], layer)
    before = {k: v.copy() for k, v in state.values.items()}
    got, got_updates = exe.run(list(values), state)
    want, want_updates = EagerExecutable(plan).run(list(values), state)
    for k, v in before.items():   # the run never writes into the session's arrays
        np.testing.assert_array_equal(state.values[k], v)
    assert all(isinstance(g, np.ndarray) for g in got)
    got_updates = {var: exe.layer.to_host(u) for var, u in got_updates.items()}   # updates stay on the device
    assert_run_within_bounds(reference, got, want, got_updates, want_updates, "triton")
    return exe, got, got_updates


def kinds(exe) -> list:
    return [k.kind for k in exe.kernels]


def gelu(x):
    return 0.5 * x * (1 + tf.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))


# ------------------------------------------------------------------------------------------------
# the backend's place in graphc

def test_importing_graphc_does_not_import_triton():
    code = "import sys, graphc; sys.exit(1 if 'triton' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], env=dict(os.environ)).returncode == 0


def test_is_available_under_the_interpreter(monkeypatch):
    monkeypatch.delenv("GRAPHC_TRITON_ARRAYS", raising=False)
    assert triton_memory.interpreting() and triton_gpu.is_available()
    assert isinstance(triton_memory.default_layer(), triton_memory.HostArrays)


def test_is_available_needs_the_interpreter_or_a_visible_cuda_device():
    env = dict(os.environ, TRITON_INTERPRET="0", CUDA_VISIBLE_DEVICES="")
    code = "import sys; from graphc.codegen import triton_gpu; sys.exit(3 if triton_gpu.is_available() else 0)"
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0


def test_numpy_adapter_is_what_the_interpreter_needs_and_copies_nothing():
    import triton
    import triton.language as tl

    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = triton_memory.NumpyTensor(a)
    assert t.data_ptr() == a.ctypes.data and str(t.dtype) == "float32"
    assert t.size() == (3, 4) and t.stride() == (4, 1) and t.storage_offset() == 0
    storage = t.untyped_storage()
    assert storage.cpu() is storage and storage.data_ptr() == a.ctypes.data
    view = t.new_empty(0, device="cpu").set_(storage, 4, (2, 4), (4, 1))
    assert view.data_ptr() == a.ctypes.data + 16 and view.array.tolist() == a[1:].tolist()
    with pytest.raises(ValueError, match="C-contiguous"):
        triton_memory.NumpyTensor(a.T)

    @triton.jit
    def double(x, y, n, BLOCK: tl.constexpr):
        i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(y + i, tl.load(x + i, mask=i < n) * 2, mask=i < n)

    out = np.zeros(12, np.float32)
    double[(3,)](t, triton_memory.NumpyTensor(out), 12, BLOCK=4)
    np.testing.assert_array_equal(out, np.arange(12) * 2)       # written straight into numpy memory
    flags = np.array([True, False, True])
    neg = np.zeros(3, bool)

    @triton.jit
    def negate(x, y, n, BLOCK: tl.constexpr):
        i = tl.arange(0, BLOCK)
        tl.store(y + i, tl.load(x + i, mask=i < n) == 0, mask=i < n)

    negate[(1,)](triton_memory.NumpyTensor(flags), triton_memory.NumpyTensor(neg), 3, BLOCK=4)
    assert neg.tolist() == [False, True, False]


# ------------------------------------------------------------------------------------------------
# pointwise

def test_gelu_chain_is_one_kernel_with_sizes_left_to_run_time():
    x = tf.placeholder(tf.float32, [None])
    exe, _, _ = run_both([gelu(x)], [x], [f32(1000, scale=3)])
    assert kinds(exe) == ["pointwise"] and exe.numpy_kernels == []
    src = exe.kernels[0].source
    assert "@triton.jit" in src and "S.tanh(" in src and "1000" not in src
    assert "mask=mask" in src
    again = driver.compile_run("triton", RunPlan([gelu(x)], [], [x]), [(37,)])    # another size: same source
    assert again.kernels[0].source == src


def test_broadcasting_add_with_rows_columns_and_scalars():
    x = tf.placeholder(tf.float32, [None, 5])
    b = tf.placeholder(tf.float32, [5])
    col = tf.placeholder(tf.float32, [3, 1])
    s = tf.placeholder(tf.float32, [])
    exe, _, _ = run_both([(x + b) * s - col, tf.maximum(x, b)], [x, b, col, s],
                         [f32(3, 5), f32(5), f32(3, 1), np.float32(2.5)])
    assert exe.numpy_kernels == []
    assert "x % e" in exe.kernels[0].source      # a row index and a column index from the flat one


def test_elementwise_table_and_nan_propagation():
    x = tf.placeholder(tf.float32, [None])
    y = tf.placeholder(tf.float32, [None])
    xv = np.array([1.0, -2.0, np.nan, 3.0, 0.5, -np.inf, 1e-4, -0.3, 2.5], np.float32)
    yv = np.array([0.5, np.nan, 1.0, -3.0, 2.0, 1.0, 3.0, -2.0, 2.0], np.float32)
    outs = [tf.where(x > y, x, y * 2.0), tf.cast(tf.logical_and(x > 0.0, tf.logical_not(y > 0.0)), tf.float32),
            tf.maximum(x, y), tf.minimum(x, y), tf.nn.relu(x), tf.sigmoid(x), tf.exp(x), tf.tanh(x),
            tf.abs(x), tf.sign(x), tf.floormod(x, y), tf.floordiv(x, y), tf.pow(tf.abs(x), y), tf.pow(x, y),
            tf.log1p(tf.abs(x)), tf.expm1(x), tf.nn.softplus(x), tf.nn.elu(x), tf.round(x * 2.0),
            tf.sqrt(tf.abs(x)), tf.rsqrt(tf.abs(x) + 1.0), tf.log(tf.abs(x)), tf.square(x), -x]
    exe, _, _ = run_both(outs, [x, y], [xv, yv])
    assert exe.numpy_kernels == []


def test_integer_and_bool_kernels():
    i = tf.placeholder(tf.int32, [None])
    j = tf.placeholder(tf.int32, [None])
    iv, jv = np.array([7, -7, 5, 0], np.int32), np.array([3, 3, -2, 9], np.int32)
    exe, _, _ = run_both([i * j - 3, tf.maximum(i, j), i > j, tf.cast(i, tf.float32) * 0.5], [i, j], [iv, jv])
    assert exe.numpy_kernels == []
    exe, _, _ = run_both([tf.floormod(i, j) + 1], [i, j], [iv, jv])
    assert [types for _, types, _ in exe.numpy_kernels] == [["FloorMod", "Add"]]
    assert "not compiled" in exe.numpy_kernels[0][2] and "runs with numpy" in exe.kernels[0].source


def test_float64_kernels():
    x = tf.placeholder(tf.float64, [None, 4])
    w = tf.placeholder(tf.float64, [4, 3])
    xv, wv = RS.randn(5, 4), RS.randn(4, 3)
    exe, _, _ = run_both([tf.tanh(tf.matmul(x, w)), tf.nn.softmax(x), tf.exp(x) * 2.0], [x, w], [xv, wv])
    assert exe.numpy_kernels == []


# ------------------------------------------------------------------------------------------------
# reductions

def test_softmax_and_log_softmax_are_one_kernel_each():
    x = tf.placeholder(tf.float32, [None, 16])
    exe, _, _ = run_both([tf.nn.softmax(x)], [x], [f32(4, 16, scale=5)])
    assert kinds(exe) == ["reduction"] and exe.numpy_kernels == []
    src = exe.kernels[0].source
    assert "def kernel_persistent(" in src and "def kernel_looped(" in src and "S.NAN, tl.max(" in src
    exe, _, _ = run_both([tf.nn.log_softmax(x)], [x], [f32(4, 16, scale=5)])
    assert kinds(exe) == ["reduction"] and exe.numpy_kernels == []


def test_layer_norm_is_one_kernel():
    x = tf.placeholder(tf.float32, [None, 16])
    gamma = tf.placeholder(tf.float32, [16])
    beta = tf.placeholder(tf.float32, [16])
    mean = tf.reduce_mean(x, axis=-1, keepdims=True)
    d = x - mean
    var = tf.reduce_mean(d * d, axis=-1, keepdims=True)
    y = d * tf.rsqrt(var + 1e-5) * gamma + beta
    exe, _, _ = run_both([y, mean], [x, gamma, beta], [f32(4, 16), f32(16), f32(16)])
    assert kinds(exe) == ["reduction"] and exe.numpy_kernels == []


def test_sum_of_squares_and_reductions_over_any_axes():
    x = tf.placeholder(tf.float32, [None])
    exe, _, _ = run_both([tf.reduce_sum(x * x)], [x], [f32(3000)])
    assert kinds(exe) == ["reduction"] and exe.numpy_kernels == []
    m = tf.placeholder(tf.float32, [None, 6])
    outs = [tf.reduce_sum(m, axis=0), tf.reduce_max(m, axis=1), tf.reduce_min(m * 2.0, axis=0, keepdims=True),
            tf.reduce_prod(m, axis=1), tf.reduce_mean(m, axis=[0, 1])]
    mv = f32(5, 6)
    mv[1, 2] = np.nan                     # NaN propagates through max/min as in numpy
    exe, _, _ = run_both(outs, [m], [mv])
    assert exe.numpy_kernels == []
    cube = tf.placeholder(tf.float32, [3, 4, 5])
    run_both([tf.reduce_sum(cube, axis=[0, 2]), tf.reduce_max(cube, axis=1)], [cube], [f32(3, 4, 5)])
    flags = tf.placeholder(tf.bool, [None, 3])
    run_both([tf.reduce_any(flags, axis=1), tf.reduce_all(flags, axis=0)], [flags],
             [np.array([[True, False, True], [False, False, True]])])
    k = tf.placeholder(tf.int32, [None, 4])
    kv = np.array([[1, -7, 3, 2], [5, 6, -7, 8], [2 ** 30, 2 ** 30, 2 ** 30, 1]], np.int32)
    run_both([tf.reduce_sum(k, axis=1), tf.reduce_mean(k, axis=1), tf.reduce_max(k, axis=0)], [k], [kv])


def test_reductions_are_deterministic_run_to_run():
    x = tf.placeholder(tf.float32, [None, 300])
    exe = driver.compile_run("triton", RunPlan([tf.nn.softmax(x), tf.reduce_sum(x * x)], [], [x]), [(7, 300)])
    xv = f32(7, 300, scale=4)
    first, _ = exe.run([xv], SessionState())
    second, _ = exe.run([xv], SessionState())
    for a, b in zip(first, second):
        assert a.tobytes() == b.tobytes()


def test_rows_longer_than_a_persistent_block_loop():
    x = tf.placeholder(tf.float32, [None, triton_steps.PERSISTENT_MAX + 100])
    xv = f32(2, triton_steps.PERSISTENT_MAX + 100, scale=3)
    exe, _, _ = run_both([tf.nn.softmax(x), tf.reduce_sum(x * x, axis=1)], [x], [xv])
    assert exe.numpy_kernels == []
    geometry = [g for step in exe.steps for g in step.geometry.values()]
    assert all(fn == "kernel_looped" for *_, fn in geometry)


def test_few_long_rows_reduce_in_two_stages(monkeypatch):
    monkeypatch.setattr(triton_steps, "SPLIT_MIN_LENGTH", 2048)    # small rows, so the interpreter stays quick
    monkeypatch.setattr(triton_steps, "SPLIT_MIN_PART", 1024)
    n = 5000                                                      # 5 parts, the last one short
    x = tf.placeholder(tf.float32, [None, n])
    b = tf.placeholder(tf.float32, [None])
    xv, bv = f32(3, n), f32(3)
    xv[1, 4321] = np.nan
    outs = [tf.reduce_sum(tf.square(x - tf.expand_dims(b, 1)), axis=1),   # a row input in the prologue
            tf.reduce_mean(x, axis=1) * 2.0 + b,                  # and in the epilogue
            tf.reduce_max(x, axis=1), tf.reduce_min(x, axis=1), tf.reduce_sum(x)]
    exe, _, _ = run_both(outs, [x, b], [xv, bv])
    assert exe.numpy_kernels == []
    launches = [g[-1] for step in exe.steps for g in getattr(step, "geometry", {}).values()]
    assert all(isinstance(p, triton_steps.Split) for p in launches)
    assert sorted({p.parts for p in launches}) == [5, 15]        # rows of 5000; all 15000 elements
    partials = {id(b) for step in exe.steps for b in getattr(step, "partials", {}).values()}
    exe.run([xv, bv], SessionState())
    assert partials == {id(b) for step in exe.steps for b in getattr(step, "partials", {}).values()}  # reused
    cols = tf.placeholder(tf.float32, [n, 2])                     # reduced axis is not the last one
    flags = tf.placeholder(tf.bool, [n])
    k = tf.placeholder(tf.int32, [n])
    kv = np.arange(n, dtype=np.int32) % 7 - 3
    run_both([tf.reduce_sum(cols, axis=0), tf.reduce_prod(1.0 + 1e-4 * cols, axis=0)], [cols], [f32(n, 2)])
    run_both([tf.reduce_any(flags), tf.reduce_all(flags), tf.reduce_sum(k), tf.reduce_mean(k), tf.reduce_max(k)],
             [flags, k], [np.arange(n) % 3 == 0, kv])
    softmax = tf.nn.softmax(x)                                    # two passes per row: never split
    exe, _, _ = run_both([softmax], [x], [f32(3, n)])
    assert not exe.kernels[0].source.count("kernel_split")


# ------------------------------------------------------------------------------------------------
# matmul

def test_matmul_bias_relu_is_one_kernel_in_ieee_float32():
    x = tf.placeholder(tf.float32, [None, 8])
    w = tf.placeholder(tf.float32, [8, 4])
    b = tf.placeholder(tf.float32, [4])
    y = tf.nn.relu(tf.matmul(x, w) + b)
    exe, _, _ = run_both([y], [x, w, b], [f32(3, 8), f32(8, 4), f32(4)])
    assert kinds(exe) == ["matmul"] and exe.numpy_kernels == []
    src = exe.kernels[0].source
    assert "tl.dot(" in src and 'input_precision="ieee"' in src


def test_matmul_tiles_are_tuned_once_per_shape_and_results_match(monkeypatch, caplog):
    """Trial launches write scratch outputs (no side effects whatever the memory plan aliases);
    tuning happens on a shape's first launch, before any run writes variables in place."""
    monkeypatch.setenv("GRAPHC_TRITON_AUTOTUNE", "1")           # on a GPU it is on by default
    monkeypatch.setattr(triton_steps, "AUTOTUNE_MIN_WORK", 1)
    monkeypatch.setattr(triton_steps, "MATMUL_CONFIGS", ((16, 32, 16, 4, 2), (32, 16, 16, 4, 2)))
    x = tf.placeholder(tf.float32, [None, 24])
    w = tf.Variable(f32(24, 40, scale=0.2))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w)))
    step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)  # the update rides on dW's matmul
    xv = f32(40, 24)
    want = tf.Session(backend="eager")
    got = tf.Session(backend="triton")
    for sess in (want, got):
        sess.run(w.initializer)
    with caplog.at_level("INFO", logger="graphc.codegen.triton"):
        for _ in range(3):                                        # tuned on the first run, in place later
            run_compared(want, got, [loss, step], {x: xv}, "triton")
    assert "tuned tile" in caplog.text
    exe = got.compile([loss, step], {x: xv})
    assert exe.inplace_variables == [w.op.name]
    tuned = [g for step_ in exe.steps for g in getattr(step_, "geometry", {}).values() if "BM" in g[1]]
    assert len(tuned) == 2 and all(g[-1] is None for g in tuned)     # tuned once, then launched as chosen
    assert caplog.text.count("tuned tile") == 2 and "skipped" not in caplog.text


def test_tf32_is_an_explicit_opt_in(monkeypatch):
    monkeypatch.setenv("GRAPHC_TRITON_TF32", "1")
    x = tf.placeholder(tf.float32, [None, 8])
    w = tf.placeholder(tf.float32, [8, 4])
    exe = driver.compile_run("triton", RunPlan([tf.matmul(x, w)], [], [x, w]), [(3, 8), (8, 4)])
    assert 'input_precision="tf32"' in exe.kernels[0].source


def test_batched_matmul_with_transposes():
    a = tf.placeholder(tf.float32, [2, 5, 3])
    b = tf.placeholder(tf.float32, [2, 4, 5])
    y = tf.matmul(a, b, transpose_a=True, transpose_b=True)
    exe, _, _ = run_both([y, tf.matmul(a, a, transpose_a=True) * 2.0], [a, b], [f32(2, 5, 3), f32(2, 4, 5)])
    assert exe.numpy_kernels == []


# ------------------------------------------------------------------------------------------------
# training steps and variables

def test_mlp_forward_backward_sgd_update():
    x = tf.placeholder(tf.float32, [None, 6])
    labels = tf.placeholder(tf.float32, [None, 3])
    w1 = tf.Variable(f32(6, 8, scale=0.3))
    b1 = tf.Variable(np.zeros(8, np.float32))
    w2 = tf.Variable(f32(8, 3, scale=0.3))
    h = tf.nn.relu(tf.matmul(x, w1) + b1)
    logits = tf.matmul(h, w2)
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits))
    grads = tf.gradients(loss, [w1, b1, w2])
    step = tf.group(*[tf.assign_sub(v, 0.05 * g) for v, g in zip([w1, b1, w2], grads)])
    state = initialized_state()
    xv, lv = f32(4, 6), np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
    for _ in range(2):
        exe, _, updates = run_both([loss], [x, labels], [xv, lv], targets=[step], state=state)
        state.values.update(updates)
    assert {"matmul", "reduction"} <= set(kinds(exe))
    assert exe.numpy_kernels == []      # forward, backward and the update all run as Triton kernels


def test_adam_update():
    w = tf.Variable(f32(5, 3))
    x = tf.placeholder(tf.float32, [None, 5])
    loss = tf.reduce_sum(tf.square(tf.matmul(x, w)))
    train = tf.train.AdamOptimizer(0.01).minimize(loss)
    state = initialized_state()
    for _ in range(2):
        exe, _, updates = run_both([loss], [x], [f32(4, 5)], targets=[train], state=state)
        state.values.update(updates)
    assert len(updates) >= 3            # the weight, both moment slots (and the beta powers)
    assert exe.numpy_kernels == []
    fused = [k for k in exe.kernels if k.kind == "matmul" and "Sqrt" in k.op_types]
    assert fused                        # the Adam update rides on the gradient matmul's epilogue


def test_variable_update_and_reads_before_it():
    v = tf.Variable(np.arange(6, dtype=np.float32))
    g = tf.placeholder(tf.float32, [6])
    step = tf.assign_sub(v, 0.1 * g)
    state = initialized_state()
    original = state.values[v.op]
    exe, _, updates = run_both([], [g], [f32(6)], targets=[step.op], state=state)
    assert updates[v.op] is not original
    np.testing.assert_array_equal(original, np.arange(6, dtype=np.float32))
    u = tf.Variable(np.arange(4, dtype=np.float32))
    new = tf.assign(u, u * 10.0)
    run_both([u * 1.0, new, tf.reduce_sum(u)], state=initialized_state())


# ------------------------------------------------------------------------------------------------
# host steps, driver behaviour, errors

def test_views_opaque_and_random_ops_run_on_the_host():
    """Views and shape queries move no data; transposes and slices run as device gathers; other
    opaque ops (concat, random) run their numpy kernels on the host."""
    tf.set_random_seed(3)
    x = tf.placeholder(tf.float32, [4, 6])
    y = tf.concat([x[1:, ::2], tf.reshape(tf.transpose(x), [4, 6])[:3, :3]], axis=1)
    exe, _, _ = run_both([y * 2.0 + 1.0, tf.reshape(x, [2, 12]), tf.shape(x)], [x], [f32(4, 6)])
    numpy_types = {t for _, types, _ in exe.numpy_kernels for t in types}
    assert "ConcatV2" in numpy_types and not {"Transpose", "StridedSlice"} & numpy_types   # gathers
    assert sum(isinstance(step, triton_steps.GatherStep) for step in exe.steps) == 3
    r = tf.reshape(x + tf.random_normal([4, 6]), [3, 8])
    plan = RunPlan([r], [], [x])
    exe, eager = driver.compile_run("triton", plan, [(4, 6)]), EagerExecutable(plan)
    s1, s2 = SessionState(), SessionState()
    for _ in range(2):
        reference = bounded_reference([r], [x], [np.ones((4, 6), np.float32)], state=s2)
        assert_within_bound(exe.run([np.ones((4, 6), np.float32)], s1)[0][0],
                            eager.run([np.ones((4, 6), np.float32)], s2)[0][0], reference.fetches[0].bound)


def test_results_are_fresh_and_a_second_run_does_not_change_the_first():
    x = tf.placeholder(tf.float32, [None, 8])
    y = tf.nn.softmax(tf.exp(x) * 2.0)
    exe = driver.compile_run("triton", RunPlan([y, x], [], [x]), [(3, 8)])
    xv = f32(3, 8)
    first, _ = exe.run([xv], SessionState())
    kept = first[0].copy()
    second, _ = exe.run([f32(3, 8)], SessionState())
    np.testing.assert_array_equal(first[0], kept)
    assert first[1] is not xv and not np.shares_memory(first[0], second[0])


def test_runtime_shape_errors_name_the_kernel_and_say_what_to_do():
    x = tf.placeholder(tf.float32, [None, 4])
    b = tf.placeholder(tf.float32, [None, 4])
    exe = driver.compile_run("triton", RunPlan([x + b], [], [x, b]), None)
    with pytest.raises(errors.InvalidArgumentError, match="statically 1"):
        exe.run([f32(3, 4), f32(1, 4)], SessionState())


def test_uninitialized_variable_is_reported():
    v = tf.Variable(np.ones(3, np.float32))
    exe = driver.compile_run("triton", RunPlan([v * 2.0], [], []), None)
    with pytest.raises(errors.FailedPreconditionError, match="uninitialized"):
        exe.run([], SessionState())


def test_torch_arrays_plug_in_behind_the_same_interface():
    pytest.importorskip("torch")
    layer = triton_memory.TorchArrays("cpu")       # the interpreter accepts CPU tensors
    x = tf.placeholder(tf.float32, [None, 8])
    w = tf.placeholder(tf.float32, [8, 4])
    y = tf.nn.softmax(tf.nn.relu(tf.matmul(x, w)))
    exe, got, _ = run_both([y, tf.reshape(y, [-1])], [x, w], [f32(3, 8), f32(8, 4)], layer=layer)
    assert exe.layer is layer and exe.numpy_kernels == []
