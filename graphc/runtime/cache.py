"""The on-disk code cache: generated modules live in content-addressed files and are imported from there.

Numba's ``cache=True`` (and Triton's JIT) need a function defined in a real file, so each generated
module is written atomically (temporary file + ``os.replace``) to
``<GRAPHC_CACHE_DIR or ~/.cache/graphc>/<h[:2]>/<prefix>_<h>.py`` where ``h`` hashes the source
together with graphc's, numba's and llvmlite's versions (and any ``extra`` key parts, such as the
hash of a helper module the source imports). The same source in a new process finds the same
file, and Numba finds its compiled code in the ``__pycache__`` next to it.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from types import ModuleType
from typing import Sequence

_loaded: dict = {}           # file path -> imported module (one import per process)
_lock = threading.Lock()


def cache_dir() -> str:
    """The root of the code cache (``$GRAPHC_CACHE_DIR``, default ``~/.cache/graphc``)."""
    return os.environ.get("GRAPHC_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "graphc")


def _versions() -> list:
    import llvmlite
    import numba

    import graphc

    return [f"graphc={graphc.__version__}", f"numba={numba.__version__}", f"llvmlite={llvmlite.__version__}"]


def source_key(source: str, extra: Sequence[str] = ()) -> str:
    """sha256 of the source, the tool versions and ``extra`` (hex)."""
    h = hashlib.sha256()
    for part in [*_versions(), *extra, source]:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def source_path(source: str, prefix: str = "gk", extra: Sequence[str] = ()) -> str:
    """Where ``source`` lives in the cache (the file may not exist yet)."""
    key = source_key(source, extra)
    return os.path.join(cache_dir(), key[:2], f"{prefix}_{key}.py")


def write_source(source: str, prefix: str = "gk", extra: Sequence[str] = ()) -> str:
    """Writes ``source`` to its content-addressed file (atomically; kept if already there) and returns the path."""
    path = source_path(source, prefix, extra)
    if os.path.exists(path):
        return path
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp_", suffix=".py")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load_source(source: str, prefix: str = "gk", extra: Sequence[str] = ()) -> ModuleType:
    """The module defined by ``source``, imported from its cache file (once per process)."""
    path = write_source(source, prefix, extra)
    with _lock:
        module = _loaded.get(path)
        if module is not None:
            return module
        name = "graphc_generated." + os.path.basename(path)[:-3]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        _loaded[path] = module
        return module


def loaded_count() -> int:
    """How many generated modules this process has imported."""
    return len(_loaded)
