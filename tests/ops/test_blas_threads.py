"""Small matrix products run on one BLAS thread (graphc/ops/blas_threads.py)."""
import numpy as np

from graphc.ops import blas_threads


class FakeOpenBLAS:
    """Records the thread counts set, as numpy's OpenBLAS setter/getter would see them."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.seen: list = []

    def set(self, n: int) -> None:
        self.seen.append(n)
        self.threads = n

    def get(self) -> int:
        return self.threads


def test_a_small_product_runs_on_one_thread_and_the_count_is_restored(monkeypatch):
    blas = FakeOpenBLAS(2)
    monkeypatch.setattr(blas_threads, "_CONTROL", (blas.set, blas.get))
    a, b = np.arange(6.).reshape(2, 3), np.arange(12.).reshape(3, 4)
    out = np.empty((2, 4))
    got = blas_threads.matmul(a, b, out=out)
    assert got is out
    np.testing.assert_array_equal(out, a @ b)
    assert blas.seen == [1, 2] and blas.threads == 2


def test_a_large_product_and_a_one_thread_blas_are_left_alone(monkeypatch):
    blas = FakeOpenBLAS(2)
    monkeypatch.setattr(blas_threads, "_CONTROL", (blas.set, blas.get))
    monkeypatch.setattr(blas_threads, "SERIAL_MAX", 10)
    a, b = np.ones((2, 3, 4)), np.ones((4, 5))                 # 2 * 3 * 4 * 5 multiply-adds
    np.testing.assert_array_equal(blas_threads.matmul(a, b), np.full((2, 3, 5), 4.))
    assert blas.seen == []
    monkeypatch.setattr(blas_threads, "SERIAL_MAX", 2 ** 26)
    blas.threads = 1
    np.testing.assert_array_equal(blas_threads.matmul(a, b), np.full((2, 3, 5), 4.))
    assert blas.seen == []


def test_without_a_reachable_openblas_products_run_as_numpy_runs_them(monkeypatch):
    monkeypatch.setattr(blas_threads, "_CONTROL", None)
    assert not blas_threads.serial(1)
    np.testing.assert_array_equal(blas_threads.matmul(np.eye(2), [[1., 2.], [3., 4.]]), [[1., 2.], [3., 4.]])


def test_unless_fixed_the_cutoff_follows_the_load(monkeypatch):
    """Tiny products always on one thread; mid-size ones only while other processes use the cores."""
    blas = FakeOpenBLAS(2)
    monkeypatch.setattr(blas_threads, "_CONTROL", (blas.set, blas.get))
    monkeypatch.setattr(blas_threads, "SERIAL_MAX", None)
    mid = blas_threads.ALWAYS_SERIAL * 4
    clock = [100.0]
    monkeypatch.setattr(blas_threads.time, "monotonic", lambda: clock[0])
    for others, want_mid in ((0.1, False), (0.9, True)):
        # one second in which the machine was busy for `others` s besides this process's 0.8 s
        samples = iter([(1000.0, 50.0), (1000.0 + others + 0.8, 50.8)])
        monkeypatch.setattr(blas_threads, "_cpu_sample", lambda: next(samples))
        monkeypatch.setattr(blas_threads, "_load_seen", [-1.0, False, None])
        clock[0] += 5.0
        blas_threads.busy()                      # the first sample (falls back to the load average)
        clock[0] += 1.0
        assert blas_threads.serial(blas_threads.ALWAYS_SERIAL)
        assert blas_threads.serial(mid) is want_mid
        assert not blas_threads.serial(blas_threads.BUSY_SERIAL_MAX + 1)
    monkeypatch.setattr(blas_threads, "SERIAL_MAX", 0)      # GRAPHC_BLAS_SERIAL_MAX=0: every product to OpenBLAS
    assert not blas_threads.serial(1)
