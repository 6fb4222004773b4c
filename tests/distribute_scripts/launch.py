"""Runs a script as an N-process MPI job (``mpiexec -n N python script``) for the distribute tests."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Optional

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def mpiexec() -> Optional[str]:
    """The launcher: GRAPHC_MPIEXEC, else the ``mpiexec`` beside this Python, else the one on PATH."""
    if os.environ.get("GRAPHC_MPIEXEC"):
        return os.environ["GRAPHC_MPIEXEC"]
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return beside if os.path.exists(beside) else shutil.which("mpiexec")


def require_mpi() -> str:
    """The launcher, or a skip saying what is missing (CI installs both with the test extra)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        pytest.skip("mpi4py is not installed: pip install -e '.[mpi]' (the test extra includes it)")
    launcher = mpiexec()
    if launcher is None:
        pytest.skip("no mpiexec found: pip install mpich (the test extra includes it) or set GRAPHC_MPIEXEC")
    return launcher


def mpirun(script: str, *args: str, n: int = 2, env: Optional[dict] = None,
           timeout: float = 60) -> subprocess.CompletedProcess:
    """``mpiexec -n n python tests/distribute_scripts/<script> args...``; output captured as text."""
    launcher = require_mpi()
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, full_env.get("PYTHONPATH")) if p)
    full_env.update(env or {})
    cmd = [launcher, "-n", str(n), sys.executable, os.path.join(HERE, script), *args]
    return subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=timeout)
