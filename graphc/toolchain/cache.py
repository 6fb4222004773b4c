"""The on-disk code cache: generated modules live in content-addressed files, verified before use.

Each generated module is written atomically (temporary file + ``os.replace``) to
``<GRAPHC_CACHE_DIR or ~/.cache/graphc>/<h[:2]>/<prefix>_<h>.py`` where ``h`` hashes the source
together with graphc's, numba's and llvmlite's versions (and any ``extra`` key parts, such as the
hash of a helper module the source imports). The module is executed from the source text graphc
generated in memory, never from the file (so no ``.pyc`` is read or written); the file is there
for people, Triton's source lookups and numba's cache, which keeps each module's compiled code,
signed, in ``<h[:2]>/__pycache__`` (:mod:`graphc.toolchain.numba_cache`). The njit host kernels of
``graphc.codegen.numba_host`` and ``numba_conv`` keep theirs in ``host/<stamp>/``.

Who may write the cache, and what happens when it cannot be used (read-only, another user's,
full, a file where a directory should be): :mod:`graphc.toolchain.cache_trust`; in every such case
graphc warns once and compiles in memory.
"""
from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import inspect
import linecache
import os
import re
import sys
import threading
import warnings
from dataclasses import dataclass, field
from types import ModuleType
from typing import Optional, Sequence

from graphc import switches
from graphc.toolchain import cache_trust as trust
from graphc.version import __version__

_loaded: dict = {}           # module file name -> module (one load per process)
# generated modules: written to disk, loaded, found already loaded in this process
STATS = {"modules_written": 0, "modules_imported": 0, "module_memory_hits": 0, "corrupt_entries": 0}
_lock = threading.Lock()
_ENTRY = re.compile(r"^[A-Za-z]+_[0-9a-f]{64}\.py$")          # a generated module
_COMPILED = re.compile(r"^[A-Za-z]+_[0-9a-f]{64}\.")           # its .nbi/.nbc (and old .pyc) files
_TEMP = re.compile(r"^\.tmp_\w+\.(py|tmp)$")                   # graphc's temporary files
_SHARD = re.compile(r"^[0-9a-f]{2}$")
_HOST_FILE = re.compile(r"^numba_(host|conv)\.\w+-\d+\.py\d+\w*(\.\d+\.nbc|\.nbi)$")
_HEX = re.compile(r"^[0-9a-f]{16}$")
HOST_DIR = "host"
GENERATED_PACKAGE = "graphc_generated"      # generated modules are named graphc_generated.<file stem>


def cache_dir() -> str:
    """The root of the code cache (``$GRAPHC_CACHE_DIR``, default ``~/.cache/graphc``), absolute."""
    return os.path.abspath(switches.CACHE_DIR.get() or
                           os.path.join(os.path.expanduser("~"), ".cache", "graphc"))


def _versions() -> list:
    import llvmlite
    import numba

    return [f"graphc={__version__}", f"numba={numba.__version__}", f"llvmlite={llvmlite.__version__}"]


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


def write_source(source: str, prefix: str = "gk", extra: Sequence[str] = ()) -> Optional[str]:
    """Writes ``source`` to its content-addressed file (atomically, 0600) and returns the path, or
    None when the cache cannot be used (warned once; the caller compiles in memory).

    An existing file is kept when it holds exactly ``source``; a corrupt or truncated one (other
    content under the same hash) is discarded with a warning, together with numba's compiled
    code for it, and rewritten. A file that cannot be read, or is not this user's, is refused
    and left alone.
    """
    path = source_path(source, prefix, extra)
    root = cache_dir()
    data = source.encode()
    try:
        existing = trust.read_private(root, path)
        if existing == data:
            return path
        if existing is not None:
            STATS["corrupt_entries"] += 1
            warnings.warn(f"graphc: discarding the corrupt code cache entry {path}; it will be rebuilt",
                          RuntimeWarning, stacklevel=3)
            discard(path)
        trust.write_private(root, path, data, sync=True)
    except (trust.Refused, FileNotFoundError):      # FileNotFoundError: a concurrent clear, twice
        return None
    STATS["modules_written"] += 1
    return path


def discard(path: str) -> None:
    """Removes a cached module and numba's compiled code for it (``__pycache__/<name>*.nb?``)."""
    for p in [path] + _compiled_files(path):
        try:
            os.unlink(p)
        except OSError:
            pass      # gone already, or not ours to remove: it is refused when met again


def _compiled_files(path: str) -> list:
    stem = os.path.basename(path)[:-3]
    pycache = os.path.join(os.path.dirname(path), "__pycache__")
    try:
        names = os.listdir(pycache)
    except OSError:
        return []
    return [os.path.join(pycache, f) for f in names if f.startswith(stem + ".")]


def discard_compiled(path: str) -> None:
    """Removes numba's compiled code for a cached module, keeping the module source."""
    for p in _compiled_files(path):
        try:
            os.unlink(p)
        except OSError:
            pass


class _TextLoader(importlib.abc.InspectLoader):
    """Loads a module from source text held in memory: the verified text is what runs, and no
    ``.pyc`` is read or written."""

    def __init__(self, source: str, filename: str) -> None:
        self.source = source
        self.filename = filename

    def get_source(self, fullname: str) -> str:
        return self.source

    def get_code(self, fullname: str):
        return compile(self.source, self.filename, "exec", dont_inherit=True)


def _execute(source: str, name: str, filename: str) -> ModuleType:
    loader = _TextLoader(source, filename)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader, origin=filename))
    module.__file__ = filename
    # inspect.getsource (Triton) and tracebacks read lines from here, not from the file on disk
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_source(source: str, prefix: str = "gk", extra: Sequence[str] = ()) -> ModuleType:
    """The module defined by ``source`` (loaded once per process), with a signed numba cache for
    its njit functions when the code cache can be used; in memory otherwise."""
    path = source_path(source, prefix, extra)
    with _lock:
        module = _loaded.get(path)
        if module is not None:
            STATS["module_memory_hits"] += 1
            return module
        written = write_source(source, prefix, extra)
        base = os.path.basename(path)
        module = _execute(source, _module_name(path), written or f"<graphc in memory>/{base}")
        if written:
            _attach_numba_cache(module, written)
        _loaded[path] = module
        STATS["modules_imported"] += 1
        return module


def _module_name(path: str) -> str:
    return f"{GENERATED_PACKAGE}.{os.path.basename(path)[:-3]}"


def _attach_numba_cache(module: ModuleType, written: str, root: Optional[str] = None) -> None:
    from graphc.toolchain import numba_cache

    numba_cache.attach(module, root or cache_dir(), os.path.join(os.path.dirname(written), "__pycache__"),
                       stamp=os.path.basename(written))


def load_written(path: str, root: str) -> ModuleType:
    """The generated module in file ``path`` of the code cache at ``root`` (verified as this
    user's), loaded as ``load_source`` loaded it in the process that wrote it: same name, same
    numba cache. The compile process (``compile_process``) compiles its functions into that cache."""
    with _lock:
        module = _loaded.get(path)
        if module is None:
            data = trust.read_private(root, path)
            if data is None:
                raise FileNotFoundError(path)
            module = _execute(data.decode(), _module_name(path), path)
            _attach_numba_cache(module, path, root)
            _loaded[path] = module
        return module


def attach_host_kernels(module: ModuleType) -> bool:
    """Gives the njit functions of a package module (``graphc.codegen.numba_host``) signed caches
    in ``host/<stamp>/`` of the code cache; False (they compile in memory) when it cannot be used."""
    from graphc.toolchain import numba_cache

    try:
        text = inspect.getsource(module)
    except (OSError, TypeError):
        return False
    stamp = hashlib.sha256("\0".join([*_versions(), text]).encode()).hexdigest()
    root = cache_dir()
    directory = os.path.join(root, HOST_DIR, stamp[:16])
    try:
        trust.private_dir(root, directory)
        trust.key(root)
    except (trust.Refused, FileNotFoundError):
        return False
    numba_cache.attach(module, root, directory, stamp)
    return True


def info() -> dict:
    """What the on-disk cache holds: its directory, generated modules and compiled-code files, bytes."""
    root = cache_dir()
    modules = compiled = size = 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            full = os.path.join(dirpath, f)
            try:
                size += os.lstat(full).st_size
            except OSError:
                continue
            if _ENTRY.match(f):
                modules += 1
            elif f.endswith((".nbi", ".nbc")):
                compiled += 1
    return {"directory": root, "modules": modules, "compiled_files": compiled, "bytes": size}


@dataclass
class Cleared:
    """What :func:`clear` removed from ``directory`` (and what it left: files that are not graphc's)."""

    directory: str
    modules: int = 0
    compiled_files: int = 0
    other_files: int = 0                        # graphc's temporary files, old .pyc files
    bytes: int = 0
    kept: list = field(default_factory=list)    # paths that are not graphc's, left alone
    failed: list = field(default_factory=list)  # graphc's files that could not be removed

    @property
    def files(self) -> int:
        """How many files were removed."""
        return self.modules + self.compiled_files + self.other_files

    def __str__(self) -> str:
        text = f"removed {self.modules} generated modules, {self.compiled_files} compiled-code files"
        if self.other_files:
            text += f", {self.other_files} temporary files"
        text += f" ({self.bytes / 1e6:.1f} MB) from {self.directory}"
        if self.kept:
            text += f"; kept {len(self.kept)} entries that are not graphc's ({', '.join(self.kept[:3])}" + \
                    (", ...)" if len(self.kept) > 3 else ")")
        if self.failed:
            text += f"; could not remove {len(self.failed)} ({', '.join(self.failed[:3])})"
        return text


def _shard_file(name: str) -> Optional[str]:
    return "modules" if _ENTRY.match(name) else "other_files" if _TEMP.match(name) else None


def _pycache_file(name: str) -> Optional[str]:
    if _COMPILED.match(name):
        return "compiled_files" if name.endswith((".nbi", ".nbc")) else "other_files"
    return "other_files" if _TEMP.match(name) else None


def _host_file(name: str) -> Optional[str]:
    return "compiled_files" if _HOST_FILE.match(name) else "other_files" if _TEMP.match(name) else None


def _clear_dir(path: str, out: Cleared, classify, subdirs: dict) -> None:
    """Removes the files ``classify`` names as graphc's (recursing into ``subdirs``: directory name
    pattern -> (classify, subdirs)), then the directory if nothing else is left in it."""
    try:
        entries = list(os.scandir(path))
    except OSError as e:
        out.failed.append(f"{path} ({e.strerror or e})")
        return
    for entry in entries:
        sub = next((v for pattern, v in subdirs.items() if re.match(pattern, entry.name)), None)
        if sub is not None and entry.is_dir(follow_symlinks=False):
            _clear_dir(entry.path, out, *sub)
            continue
        kind = classify(entry.name) if entry.is_file(follow_symlinks=False) else None
        if not kind:
            if kind is None:
                out.kept.append(entry.path)
            continue
        try:
            size = entry.stat(follow_symlinks=False).st_size
            os.unlink(entry.path)
        except FileNotFoundError:
            continue                  # removed by another process meanwhile
        except OSError as e:
            out.failed.append(f"{entry.path} ({e.strerror or e})")
            continue
        setattr(out, kind, getattr(out, kind) + 1)
        out.bytes += size
    if path != out.directory:
        try:
            os.rmdir(path)
        except OSError:
            pass                      # holds files that are not graphc's, or new ones just written


def _root_file(name: str) -> Optional[str]:
    if name == trust.KEY_NAME:
        return ""             # graphc's, but not an entry: the key stays
    return "other_files" if _TEMP.match(name) else None


def clear() -> Cleared:
    """Removes graphc's own entries from the on-disk cache (generated modules, numba's compiled
    code, temporary files) and nothing else; the cache's key stays. Safe while other processes
    compile: they rebuild what they miss."""
    out = Cleared(cache_dir())
    if os.path.isdir(out.directory):
        _clear_dir(out.directory, out, _root_file, {
            _SHARD.pattern: (_shard_file, {r"^__pycache__$": (_pycache_file, {})}),
            rf"^{HOST_DIR}$": (lambda name: None, {_HEX.pattern: (_host_file, {})})})
    return out


def loaded_count() -> int:
    """How many generated modules this process has imported."""
    return len(_loaded)
