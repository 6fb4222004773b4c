"""numba's one-time start-up in a process, without importing ``scipy.linalg``.

The first compile of a process loads numba's typing and lowering registries. One of them,
``numba.np.arraymath``, asks at import whether a BLAS exists (``_HAVE_BLAS``) by calling
``numba.np.linalg.ensure_blas``, which imports ``scipy.linalg.cython_blas`` and with it all of
``scipy.linalg`` (its LAPACK wrappers, scipy's array-API shim and ``numpy.f2py``): 0.3 s on a quiet
machine, about 1 s under load, most of numba's start-up. graphc's kernels never call BLAS from
compiled code (matmuls run as numpy steps), so nothing needs that module loaded.

:func:`install` wraps ``ensure_blas`` so that this one import-time question is answered by looking
for scipy's ``cython_blas`` extension on disk (no import). Every other call, e.g. when a kernel
that uses ``np.dot`` is compiled, runs numba's own check: scipy is imported then, when a kernel
needs it. Call :func:`install` before the first compile; afterwards (``numba.np.arraymath``
already imported) it changes nothing.
"""
from __future__ import annotations

import glob
import importlib.util
import os
import sys
from typing import Any, Callable

_ARRAYMATH = "numba.np.arraymath"


def blas_on_disk() -> bool:
    """Whether scipy ships ``scipy.linalg.cython_blas``, found without importing scipy's packages."""
    try:
        spec = importlib.util.find_spec("scipy")
    except (ImportError, ValueError):
        return False
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    return any(glob.glob(os.path.join(folder, "linalg", "cython_blas*")) for folder in folders)


def _wrap(real: Callable[[], None]) -> Callable[[], None]:
    def ensure_blas() -> None:
        caller = sys._getframe(1)
        if caller.f_code.co_name == "_check_blas" and caller.f_globals.get("__name__") == _ARRAYMATH:
            if not blas_on_disk():
                raise ImportError("scipy 0.16+ is required for linear algebra")
            return
        real()

    ensure_blas.__wrapped__ = real  # type: ignore[attr-defined]
    return ensure_blas


def install() -> bool:
    """Makes numba's start-up skip importing ``scipy.linalg``; True when it will (see the module doc)."""
    if _ARRAYMATH in sys.modules:
        return False
    from numba.np import linalg

    current: Any = linalg.ensure_blas
    if not hasattr(current, "__wrapped__"):
        linalg.ensure_blas = _wrap(current)
    return True
