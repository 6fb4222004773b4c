"""Parity does not depend on this machine's vector width: a subset re-runs with SIMD turned off.

A compiled sum's order follows the kernel's vector width, so a test that encodes one machine's
rounding passes where it was written and fails on the next machine (an AVX-512-written suite
failed on AVX2). Running the parity tests whose graphs sum and nearly cancel with
``NUMBA_CPU_NAME=generic`` (scalar code, a third summation order) catches such a test on any
machine. Kernels compile into their own cache directory (numba's cache is keyed by CPU too).
"""
import os
import subprocess
import sys
import tempfile

import pytest

from repo_paths import ROOT

SUBSET = [
    "tests/passes/test_passes.py::test_one_element_broadcasts_are_copied_into_each_consumer",
    "tests/codegen/test_random_graphs.py::test_random_graph_matches_eager[numba]",
    "tests/codegen/test_backend_contract.py::test_reductions_over_several_blocks_any_axes_and_dtypes[numba]",
    "tests/codegen/test_numba_backend.py::test_parallel_variants_of_row_and_full_reductions",
    "tests/codegen/test_numba_backend.py::test_column_reductions_stream_rows_into_per_column_partials",
]


@pytest.mark.skipif(os.environ.get("NUMBA_CPU_NAME") == "generic", reason="already running without SIMD")
def test_parity_subset_passes_without_simd():
    root = str(ROOT)
    env = dict(os.environ, NUMBA_CPU_NAME="generic", GRAPHC_BACKEND="eager",
               GRAPHC_CACHE_DIR=os.path.join(tempfile.gettempdir(), "graphc-test-cache-generic"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUBSET],
                          cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "passed" in proc.stdout and "skipped" not in proc.stdout.splitlines()[-1]
