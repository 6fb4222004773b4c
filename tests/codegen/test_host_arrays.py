"""The host arrays compiled kernels write: new small arrays, recycled larger ones, pooled buffers.
They are never written while the caller holds them, and none starts just after another array,
where LLVM's run-time alias check would send a kernel down its scalar loop (other sums)."""
import numpy as np
import pytest

import graphc as tf
from graphc.codegen import run_policy


def _start(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


LLVM_CHECK_BYTES = 256     # AVX-512 float32: 16 lanes x 4 interleaved x 4 bytes


def test_no_array_starts_within_the_guard_before_a_new_array():
    # plain small arrays interleaved with new ones: malloc packs them side by side
    assert run_policy.ALIAS_GUARD_BYTES >= LLVM_CHECK_BYTES
    plain, guarded = [], []
    for k in range(200):
        plain.append(np.empty(k % 7 + 1, np.float32))
        guarded.append(run_policy.new_array((k % 5 + 1,), np.float32))
        plain.append(np.empty((), np.float64))
    starts = [_start(a) for a in plain + guarded]
    for g in guarded:
        gap = [_start(g) - s for s in starts if 0 < _start(g) - s < LLVM_CHECK_BYTES]
        assert gap == [], f"arrays start {gap} bytes before a new array"
    assert all(g.flags.c_contiguous and g.flags.writeable for g in guarded)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.bool_, np.complex128, np.object_])
@pytest.mark.parametrize("shape", [(), (1,), (3, 4), (0, 2)])
def test_a_new_array_has_its_shape_dtype_and_alignment(shape, dtype):
    a = run_policy.new_array(shape, dtype)
    assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous and a.flags.aligned
    a[...] = 1
    assert (a == 1).all()
    if dtype is np.object_:          # slots start as None, not as garbage pointers
        assert all(x is None for x in run_policy.new_array((4,), dtype))


def _affine(n: int) -> tuple:
    """A fed vector of ``n`` and a compiled kernel's output of its size."""
    a = tf.placeholder(tf.float32, [n])
    return a, a * 2.0 + 1.0


@pytest.mark.parametrize("n", [3, 600])
@pytest.mark.parametrize("hold", ["result", "view"])
def test_results_of_earlier_runs_are_never_written_by_later_ones(n, hold):
    """Small fetches are new arrays each run; larger ones come from the recycler, which reuses an
    array only once nobody holds it or a view of it: what the caller keeps keeps its values."""
    with tf.Graph().as_default():
        a, out = _affine(n)
        with tf.Session(backend="numba") as sess:
            kept = []
            for k in range(4):
                got = sess.run(out, {a: np.full(n, k, np.float32)})
                kept.append(got if hold == "result" else got[1:])
                del got
    for k, got in enumerate(kept):
        np.testing.assert_array_equal(got, np.full(got.shape, 2.0 * k + 1.0, np.float32))
    assert len({_start(g) for g in kept}) == 4


def test_the_recycler_reuses_a_result_nobody_holds():
    n = run_policy.FRESH_MAX_ELEMENTS + 1
    with tf.Graph().as_default():
        a, out = _affine(n)
        with tf.Session(backend="numba") as sess:
            starts = {_start(sess.run(out, {a: np.full(n, k, np.float32)})) for k in range(6)}
    assert len(starts) <= run_policy.RECYCLE_DEPTH
