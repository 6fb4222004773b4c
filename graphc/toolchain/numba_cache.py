"""numba's on-disk cache, kept inside graphc's code cache and signed.

graphc never lets numba pick a cache directory (``cache=True`` would put files next to the
source, or in ``~/.cache/numba``, and fail at import where neither is writable). Instead a
dispatcher gets a :class:`SignedFunctionCache` for one directory of graphc's cache that passed
the ownership and mode checks of :mod:`graphc.toolchain.cache_trust`. It stores numba's usual
index (``.nbi``) and data (``.nbc``) files, but signed with the cache root's key, and checks the
signature before numba unpickles anything. A file that fails the check is discarded and the
function recompiled; a cache that cannot be written only stops saving (one warning).
"""
from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import pickle
import sys
from typing import Any, Iterator, Optional

from numba.core.caching import CompileResultCacheImpl, FunctionCache, IndexDataCacheFile, _CacheLocator
from numba.core.dispatcher import Dispatcher

from graphc.toolchain import cache, cache_trust as trust, compile_process

log = logging.getLogger("graphc.toolchain.cache")


class _Locator(_CacheLocator):
    """numba's view of one graphc cache directory: where files go and how fresh the source is."""

    def __init__(self, root: str, directory: str, py_func: Any, stamp: str) -> None:
        self.root = root
        self.directory = directory
        self.stamp = stamp
        self._py_file = py_func.__code__.co_filename        # numba's warnings read this
        self._lineno = py_func.__code__.co_firstlineno

    def ensure_cache_path(self) -> None:
        trust.private_dir(self.root, self.directory)

    def get_cache_path(self) -> str:
        return self.directory

    def get_source_stamp(self) -> str:
        return self.stamp

    def get_disambiguator(self) -> str:
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> None:
        return None       # only made by attach(), never found by numba's own search


class _Impl(CompileResultCacheImpl):
    # not super().__init__: it searches numba's locators (or NUMBA_CACHE_LOCATOR_CLASSES); ours is given
    def __init__(self, py_func: Any, locator: _Locator) -> None:
        self._lineno = py_func.__code__.co_firstlineno
        self._locator = locator
        modname = os.path.splitext(os.path.basename(py_func.__code__.co_filename))[0]
        qualname = getattr(py_func, "__qualname__", py_func.__name__)
        self._filename_base = self.get_filename_base(f"{modname}.{qualname}", getattr(sys, "abiflags", ""))


class _SignedFile(IndexDataCacheFile):
    """numba's index and data files, each signed on write and verified before unpickling."""

    def __init__(self, root: str, cache_path: str, filename_base: str, source_stamp: str) -> None:
        super().__init__(cache_path, filename_base, source_stamp)
        self._root = root

    def _read(self, path: str) -> bytes | None:
        blob = trust.read_private(self._root, path)      # Refused propagates: the cache disables itself
        if blob is None:
            return None
        try:
            return trust.verify(self._root, path, blob)
        except trust.Unsigned:
            log.info("replacing numba cache file %s, which graphc did not sign", path)
        except trust.Tampered:
            cache.STATS["corrupt_entries"] += 1
            log.warning("discarding numba's cached code %s: its signature does not match (corrupt or "
                        "edited); recompiling", path)
        with contextlib.suppress(OSError):
            os.unlink(path)
        return None

    def _load_index(self) -> dict:
        data = self._read(self._index_path)
        if data is None:
            return {}
        stream = io.BytesIO(data)
        try:       # signed with this user's key, so written by graphc: safe to unpickle
            if pickle.load(stream) != self._version:
                return {}
            stamp, overloads = pickle.loads(stream.read())
        except Exception:  # noqa: BLE001 - a format numba no longer reads: start a new index
            return {}
        return overloads if stamp == self._source_stamp else {}

    def _load_data(self, name: str) -> Any:
        data = self._read(self._data_path(name))
        if data is None:
            raise FileNotFoundError(name)       # IndexDataCacheFile.load: a miss
        return pickle.loads(data)

    @contextlib.contextmanager
    def _open_for_write(self, filepath: str) -> Iterator[io.BytesIO]:
        buffer = io.BytesIO()
        yield buffer
        trust.write_private(self._root, filepath, trust.sign(self._root, filepath, buffer.getvalue()))


class SignedFunctionCache(FunctionCache):
    """A numba function cache in one checked directory of graphc's cache, with signed files.

    Problems with the files never fail a compile: a refused or unwritable cache disables itself
    (after one warning), a vanished directory (``graphc cache clear``) is a miss.
    """

    # not super().__init__: it would build an unsigned IndexDataCacheFile from a searched locator
    def __init__(self, py_func: Any, root: str, directory: str, stamp: str) -> None:
        self._name = repr(py_func)
        self._py_func = py_func
        self._impl = _Impl(py_func, _Locator(root, directory, py_func, stamp))
        self._cache_path = directory
        self._cache_file = _SignedFile(root, directory, self._impl.filename_base, stamp)
        self.enable()

    def _load_overload(self, sig: Any, target_context: Any) -> Any:
        try:
            return super()._load_overload(sig, target_context)
        except FileNotFoundError:
            return None
        except trust.Refused:
            self.disable()
            return None

    def _save_overload(self, sig: Any, data: Any) -> None:
        try:
            super()._save_overload(sig, data)
        except FileNotFoundError:
            pass            # the directory went away under us (a concurrent clear): not saved this time
        except trust.Refused:
            self.disable()


def attach(module: Any, root: str, directory: str, stamp: str) -> int:
    """Gives every numba dispatcher defined in ``module`` a signed cache in ``directory``, and the
    compile process's route to it (``compile_process.route``); returns how many."""
    generated = module.__name__.startswith(cache.GENERATED_PACKAGE + ".")
    origin = ("file", module.__file__, root) if generated else ("module", module.__name__, root, directory, stamp)
    n = 0
    for value in list(vars(module).values()):
        if isinstance(value, Dispatcher) and getattr(value.py_func, "__module__", None) == module.__name__:
            attach_dispatcher(value, root, directory, stamp, origin)
            n += 1
    return n


def attach_dispatcher(dispatcher: Dispatcher, root: str, directory: str, stamp: str,
                      origin: Optional[tuple] = None) -> None:
    """Gives one dispatcher a signed cache in ``directory`` (its compiled code is then saved there);
    with ``origin`` (see ``compile_process.route``), its compiles may run in the compile process."""
    dispatcher._cache = SignedFunctionCache(dispatcher.py_func, root, directory, stamp)
    if origin is not None:
        compile_process.route(dispatcher, origin, functools.partial(unsaved, dispatcher))


def unsaved(dispatcher: Dispatcher, sig: tuple) -> bool:
    """Whether ``dispatcher``'s signed cache is in use and lacks compiled code for ``sig`` (its
    index does not list it): code compiled elsewhere would be saved there, and is not yet."""
    cache = dispatcher._cache
    if not isinstance(cache, SignedFunctionCache) or not cache._enabled:
        return False
    try:
        key = cache._index_key(sig, dispatcher.targetctx.codegen())
        return key not in cache._cache_file._load_index()
    except (OSError, trust.Refused):
        return False
