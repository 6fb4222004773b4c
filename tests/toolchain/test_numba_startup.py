"""numba's start-up in a new process does not import scipy.linalg (graphc.toolchain.numba_startup)."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_CHILD = r"""
import json, sys
import numpy as np
import graphc as tf

x = tf.placeholder(tf.float32, [None, 4])
y = tf.nn.relu(x * 2.0 + 1.0)
with tf.Session(backend="numba", compile_mode="sync") as sess:
    out = sess.run(y, {x: np.full((2, 4), -1.0, np.float32)})
after_kernel = "scipy.linalg" in sys.modules

import numba
from numba.np import arraymath

@numba.njit
def dot(a, b):
    return np.dot(a, b)

print(json.dumps({"out": out.tolist(), "scipy_linalg_after_kernel": after_kernel,
                  "have_blas": arraymath._HAVE_BLAS, "dot": dot(np.arange(3.0), np.arange(3.0)),
                  "scipy_linalg_after_dot": "scipy.linalg" in sys.modules}))
"""


def _run_child(tmp_path) -> dict:
    env = dict(os.environ, GRAPHC_CACHE_DIR=str(tmp_path), PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_first_compile_skips_scipy_linalg_and_blas_kernels_still_compile(tmp_path):
    r = _run_child(tmp_path)
    assert r["out"] == [[0.0] * 4] * 2
    assert r["scipy_linalg_after_kernel"] is False        # the BLAS check found scipy on disk
    assert r["have_blas"] is True
    assert r["dot"] == 5.0                                 # a kernel using BLAS imports scipy when compiled
    assert r["scipy_linalg_after_dot"] is True


def test_blas_on_disk_matches_an_import():
    from graphc.toolchain import numba_startup

    try:
        import scipy.linalg.cython_blas  # noqa: F401
        importable = True
    except ImportError:
        importable = False
    assert numba_startup.blas_on_disk() is importable


def test_install_after_numba_started_changes_nothing():
    import numba.np.arraymath  # noqa: F401  (numba started in this process)
    from numba.np import linalg

    from graphc.toolchain import numba_startup

    before = linalg.ensure_blas
    assert numba_startup.install() is False
    assert linalg.ensure_blas is before
