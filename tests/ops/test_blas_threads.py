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
