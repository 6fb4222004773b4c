"""What only the Triton backend does, run on the CPU by Triton's interpreter: its place in graphc
(imported on demand, the numpy adapter), float64 and deterministic reductions, rows longer than
a block and split reductions, tile tuning, TF32 as an opt-in, device gathers, pluggable array
layers. What every compiled backend promises is in test_backend_contract.py.

``TRITON_INTERPRET=1`` is set before anything imports triton (the ``@triton.jit`` decorator picks
the interpreter when it runs). Shapes are small: the interpreter executes each program with numpy.
Float32 results are compared within the error bound of a correct evaluation (backend_util: kernels
reassociate sums; tanh/log1p/expm1 are composed from tl.exp/tl.log).
"""
import functools
import os

os.environ.setdefault("TRITON_INTERPRET", "1")   # conftest sets it too; TRITON_INTERPRET=0 skips this file

import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backend_util import require_triton_interpreter  # noqa: E402

require_triton_interpreter()

import graphc as tf  # noqa: E402
from graphc.codegen import driver, triton_gpu, triton_memory, triton_steps  # noqa: E402
from graphc.passes.run_plan import RunPlan  # noqa: E402
from graphc.runtime.session import SessionState  # noqa: E402

from backend_util import compiled_backend, f32, initialized_state, run_against_eager, run_compared  # noqa: E402
from builders import slices_transpose_concat  # noqa: E402

RS = np.random.RandomState(0)
run_both = functools.partial(run_against_eager, compiled_backend("triton"))


def kinds(exe) -> list:
    return [k.kind for k in exe.kernels]


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

def test_float64_kernels():
    x = tf.placeholder(tf.float64, [None, 4])
    w = tf.placeholder(tf.float64, [4, 3])
    xv, wv = RS.randn(5, 4), RS.randn(4, 3)
    exe, _, _ = run_both([tf.tanh(tf.matmul(x, w)), tf.nn.softmax(x), tf.exp(x) * 2.0], [x, w], [xv, wv])
    assert exe.numpy_kernels == []


# ------------------------------------------------------------------------------------------------
# reductions

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


# ------------------------------------------------------------------------------------------------
# training steps and variables

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


def test_a_variable_update_leaves_the_host_array_it_was_given_alone():
    v = tf.Variable(np.arange(6, dtype=np.float32))
    g = tf.placeholder(tf.float32, [6])
    step = tf.assign_sub(v, 0.1 * g)
    state = initialized_state()
    original = state.values[v.op]
    exe, _, updates = run_both([], [g], [f32(6)], targets=[step.op], state=state)
    assert updates[v.op] is not original
    np.testing.assert_array_equal(original, np.arange(6, dtype=np.float32))


# ------------------------------------------------------------------------------------------------
# host steps, driver behaviour, errors

def test_transposes_and_slices_run_as_device_gathers():
    """Views and shape queries move no data; transposes and strided slices run as device gathers
    (the other opaque ops run their numpy kernels on the host: test_backend_contract.py)."""
    x = tf.placeholder(tf.float32, [4, 6])
    exe, _, _ = run_both([slices_transpose_concat(x) * 2.0 + 1.0, tf.reshape(x, [2, 12]), tf.shape(x)], [x],
                         [f32(4, 6)])
    assert sum(isinstance(step, triton_steps.GatherStep) for step in exe.steps) == 3


def test_torch_arrays_plug_in_behind_the_same_interface():
    pytest.importorskip("torch")
    layer = triton_memory.TorchArrays("cpu")       # the interpreter accepts CPU tensors
    x = tf.placeholder(tf.float32, [None, 8])
    w = tf.placeholder(tf.float32, [8, 4])
    y = tf.nn.softmax(tf.nn.relu(tf.matmul(x, w)))
    exe, got, _ = run_both([y, tf.reshape(y, [-1])], [x, w], [f32(3, 8), f32(8, 4)], layer=layer)
    assert exe.layer is layer and exe.numpy_kernels == []
