"""Kernels whose rows the calling thread and helper threads share chunk by chunk
(``graphc/codegen/numba_threads.py``, the ``kernel_rows`` variant of ``numba_printer``)."""
import numpy as np
import pytest

import graphc as tf
from graphc.codegen import driver, numba_steps, numba_threads
from graphc.passes.run_plan import RunPlan
from graphc.runtime.session import SessionState

from backend_util import compiled_backend, f32, initialized_state, run_against_eager
from builders import gelu

numba_backend = compiled_backend("numba")


@pytest.fixture
def many_chunks(monkeypatch):
    """Every kernel runs its parallel form, in chunks of a few rows."""
    monkeypatch.setattr(numba_steps, "PARALLEL_MIN", 1)
    monkeypatch.setattr(numba_threads, "CHUNK_ELEMENTS", 64)


def _rows_steps(exe) -> list:
    return [s for s in exe.steps if getattr(s, "rows", None) is not None]


class _Counting:
    """A kernel variant that counts its calls (compiled variants are shared by every test whose
    kernel has the same source, so their signatures do not say which one ran)."""

    def __init__(self, fn) -> None:
        self.fn = fn
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)

    def __getattr__(self, name: str):
        return getattr(self.fn, name)


def _variants_run(exe, values: list, state) -> list:
    """Runs ``exe`` again; per kernel step with a rows variant, the names of the variants called."""
    steps = _rows_steps(exe)
    exe.driver = False   # the step loop's choice (the generated driver inlines only steps whose choice is serial)
    for s in steps:
        s.serial, s.parallel, s.rows = _Counting(s.serial), _Counting(s.parallel), _Counting(s.rows)
    exe.run(values, state)
    return [[name for name in ("serial", "parallel", "rows") if getattr(s, name).calls] for s in steps]


def test_pointwise_and_row_kernels_have_a_rows_variant_and_match_eager(many_chunks):
    x = tf.placeholder(tf.float32, [None, 96])
    softmax = tf.nn.softmax(x)
    mean = tf.reduce_mean(x, axis=1, keepdims=True)
    norm = (x - mean) * tf.rsqrt(tf.reduce_mean(tf.square(x - mean), axis=1, keepdims=True) + 1e-5)
    value = f32(37, 96, scale=3)
    exe, _, _ = run_against_eager(numba_backend, [gelu(x), softmax, norm], [x], [value])
    steps = _rows_steps(exe)
    assert steps and all("def kernel_rows(" in s.kernel.source for s in steps)
    assert _variants_run(exe, [value], SessionState()) == [["rows"]] * len(steps)


def test_rows_variant_agrees_bit_for_bit_with_the_serial_kernel(many_chunks):
    x = tf.placeholder(tf.float32, [None, 50])
    y = tf.nn.softmax(gelu(x))
    exe = driver.compile_run("numba", RunPlan([y], [], [x]), [(203, 50)])
    value = f32(203, 50, scale=4)
    parallel_min = numba_steps.PARALLEL_MIN
    numba_steps.PARALLEL_MIN = 2 ** 62      # the same kernels, serial
    serial_exe = driver.compile_run("numba", RunPlan([y], [], [x]), [(203, 50)])
    numba_steps.PARALLEL_MIN = parallel_min
    want = serial_exe.run([value], SessionState())[0][0]
    assert _variants_run(serial_exe, [value], SessionState()) == [["serial"]] * len(_rows_steps(serial_exe))
    for _ in range(3):   # helpers join at different moments each run
        got = exe.run([value], SessionState())[0][0]
        np.testing.assert_array_equal(got, want)
    assert _variants_run(exe, [value], SessionState()) == [["rows"]] * len(_rows_steps(exe))


def test_chunks_cover_every_row_once():
    assert numba_threads.chunk_rows(10, 10 * 2 ** 20) == 1           # big rows: a row per chunk
    assert numba_threads.chunk_rows(2 ** 20, 2 ** 20) == 2 ** 16     # flat loop: 64K elements per chunk
    size = numba_threads.chunk_rows(10 ** 9, 10 ** 9)
    assert -(-10 ** 9 // size) <= numba_threads.MAX_CHUNKS


@pytest.mark.usefixtures("small_variables_in_place")
def test_in_place_update_runs_the_prange_variant(many_chunks):
    # the serial loop's runtime alias check fails when an output is an input's array (LLVM then
    # runs its scalar fallback); numba's prange loop stays vectorized
    p = tf.Variable(np.arange(64, dtype=np.float32))
    g = tf.placeholder(tf.float32, [64])
    step = tf.assign_add(p, g)
    state = initialized_state()
    original = state.values[p.op]
    exe, _, updates = run_against_eager(numba_backend, [], [g], [f32(64)], targets=[step.op], state=state)
    assert exe.inplace_variables == [p.op.name] and updates[p.op] is original
    assert _variants_run(exe, [f32(64)], state) == [["parallel"]]


@pytest.mark.usefixtures("small_variables_in_place")
def test_large_in_place_update_below_the_parallel_size_runs_the_prange_variant(monkeypatch):
    monkeypatch.setattr(numba_steps, "PARALLEL_MIN", 2 ** 62)
    monkeypatch.setattr(numba_steps, "INPLACE_PRANGE_MIN", 256)
    p = tf.Variable(np.linspace(-1, 1, 512, dtype=np.float32))
    g = tf.placeholder(tf.float32, [512])
    step = tf.assign_add(p, g)       # one rounding: the same in every loop form
    state = initialized_state()
    exe, _, _ = run_against_eager(numba_backend, [], [g], [f32(512)], targets=[step.op], state=state)
    assert exe.inplace_variables == [p.op.name]
    assert _variants_run(exe, [f32(512)], state) == [["parallel"]]


@pytest.mark.usefixtures("small_variables_in_place")
def test_small_in_place_output_beside_a_large_one_runs_the_serial_variant(monkeypatch):
    """Only a large in-place output picks prange below PARALLEL_MIN: a bias updated in place beside
    a large output (the MLP's ReLU-gradient kernel) keeps the serial kernel, which compiles in a
    fraction of the prange one's time."""
    monkeypatch.setattr(numba_steps, "PARALLEL_MIN", 2 ** 62)
    monkeypatch.setattr(numba_steps, "INPLACE_PRANGE_MIN", 256)
    b = tf.Variable(np.linspace(-1, 1, 8, dtype=np.float32))
    x = tf.placeholder(tf.float32, [64, 8])
    y = tf.nn.relu(x)                                        # 512 elements, a fresh output
    step = tf.assign_sub(b, 0.5 * tf.reduce_sum(y, axis=0))  # 8 elements, in place
    state = initialized_state()
    value = f32(64, 8)
    exe, _, _ = run_against_eager(numba_backend, [y], [x], [value], targets=[step.op], state=state)
    assert exe.inplace_variables == [b.op.name]
    steps = [s for s in exe.steps if hasattr(s, "parallel") and hasattr(s, "serial")]
    for s in steps:
        s.serial, s.parallel = _Counting(s.serial), _Counting(s.parallel)
    exe.run([value], state)
    assert [[n for n in ("serial", "parallel") if getattr(s, n).calls] for s in steps] == [["serial"]]
