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
import warnings
from types import ModuleType
from typing import Sequence

_loaded: dict = {}           # file path -> imported module (one import per process)
# generated modules: written to disk, imported from disk, found already imported in this process
STATS = {"modules_written": 0, "modules_imported": 0, "module_memory_hits": 0, "corrupt_entries": 0}
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
    """Writes ``source`` to its content-addressed file (atomically) and returns the path.

    An existing file is kept when it holds exactly ``source``; a corrupt or truncated one (other
    content under the same hash) is discarded with a warning, together with numba's compiled
    code for it, and rewritten.
    """
    path = source_path(source, prefix, extra)
    if os.path.exists(path):
        try:
            with open(path) as f:
                if f.read() == source:
                    return path
        except (OSError, UnicodeDecodeError):
            pass
        STATS["corrupt_entries"] += 1
        warnings.warn(f"graphc: discarding the corrupt code cache entry {path}; it will be rebuilt",
                      RuntimeWarning, stacklevel=3)
        discard(path)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp_", suffix=".py")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(source)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        STATS["modules_written"] += 1
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def discard(path: str) -> None:
    """Removes a cached module and numba's compiled code for it (``__pycache__/<name>*.nb?``)."""
    for p in [path] + _compiled_files(path):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


def _compiled_files(path: str) -> list:
    stem = os.path.basename(path)[:-3]
    pycache = os.path.join(os.path.dirname(path), "__pycache__")
    return [os.path.join(pycache, f) for f in os.listdir(pycache) if f.startswith(stem + ".")] \
        if os.path.isdir(pycache) else []


def discard_compiled(path: str) -> None:
    """Removes numba's compiled code for a cached module, keeping the module source."""
    for p in _compiled_files(path):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


def load_source(source: str, prefix: str = "gk", extra: Sequence[str] = ()) -> ModuleType:
    """The module defined by ``source``, imported from its cache file (once per process)."""
    path = source_path(source, prefix, extra)
    with _lock:
        module = _loaded.get(path)
        if module is not None:
            STATS["module_memory_hits"] += 1
            return module
        write_source(source, prefix, extra)
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
        STATS["modules_imported"] += 1
        return module


def info() -> dict:
    """What the on-disk cache holds: its directory, generated modules and compiled-code files, bytes."""
    root = cache_dir()
    modules = compiled = size = 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            full = os.path.join(dirpath, f)
            try:
                size += os.path.getsize(full)
            except OSError:
                continue
            if f.endswith(".py") and not f.startswith(".tmp_"):
                modules += 1
            elif f.endswith((".nbi", ".nbc")):
                compiled += 1
    return {"directory": root, "modules": modules, "compiled_files": compiled, "bytes": size}


def clear() -> int:
    """Deletes the on-disk cache; returns how many files were removed."""
    import shutil

    root = cache_dir()
    n = sum(len(files) for _, _, files in os.walk(root))
    shutil.rmtree(root, ignore_errors=True)
    return n


def loaded_count() -> int:
    """How many generated modules this process has imported."""
    return len(_loaded)
