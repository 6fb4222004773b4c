"""``tf.gfile``: TF1's file API on local files, raising TF1's error classes.

Failures map to ``tf.errors``: a missing path is ``NotFoundError``, an existing target
``AlreadyExistsError``, a directory where a file is expected (or the reverse)
``FailedPreconditionError``, a bad mode ``InvalidArgumentError``; messages are TF1's
(``<path>; No such file or directory``).
"""
from __future__ import annotations

import errno
import glob as _glob
import os
import shutil
from dataclasses import dataclass
from typing import Any, Iterator, Optional

from graphc import errors

_MODES = ("r", "w", "a", "r+", "w+", "a+")


def _error(path: str, exc: OSError) -> errors.OpError:
    """The TF1 error for an OSError on ``path``."""
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    message = f"{path}; {reason}"
    if exc.errno == errno.ENOENT:
        return errors.NotFoundError(None, None, message)
    if exc.errno == errno.EEXIST:
        return errors.AlreadyExistsError(None, None, message)
    if exc.errno in (errno.EISDIR, errno.ENOTDIR, errno.ENOTEMPTY):
        return errors.FailedPreconditionError(None, None, message)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return errors.PermissionDeniedError(None, None, message)
    return errors.UnknownError(None, None, message)


class GFile:
    """A file (TF1 ``tf.gfile.GFile``/``Open``/``FastGFile``): str in text modes, bytes with "b".

    As in TF1 the file opens on first use, so a missing file fails at ``read``, and writes accept
    both str and bytes.
    """

    def __init__(self, name: str, mode: str = "r") -> None:
        self.__name = os.fspath(name)
        self.__mode = mode
        self._binary = "b" in mode
        if mode.replace("b", "") not in _MODES:
            raise errors.InvalidArgumentError(None, None, "mode is not 'r' or 'w' or 'a' or 'r+' or 'w+' or 'a+'")
        self._file: Optional[Any] = None

    @property
    def name(self) -> str:
        """The path given when opening."""
        return self.__name

    @property
    def mode(self) -> str:
        """The mode given when opening."""
        return self.__mode

    def _handle(self, purpose: str) -> Any:
        plain = self.__mode.replace("b", "")
        allowed = "+" in plain or (plain == "r") == (purpose == "reading")
        if not allowed:
            raise errors.PermissionDeniedError(None, None, f"File isn't open for {purpose}")
        if self._file is None:
            try:
                self._file = open(self.__name, self.__mode.replace("b", "") + "b")
            except OSError as e:
                raise _error(self.__name, e) from None
        return self._file

    def _out(self, data: bytes) -> Any:
        return data if self._binary else data.decode("utf-8")

    def read(self, n: int = -1) -> Any:
        """Up to ``n`` bytes (all that remain when ``n`` is -1)."""
        return self._out(self._handle("reading").read(n))

    def readline(self) -> Any:
        """The next line, with its newline; empty at the end."""
        return self._out(self._handle("reading").readline())

    def readlines(self) -> list:
        """All remaining lines."""
        return [self._out(line) for line in self._handle("reading").readlines()]

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    next = __next__

    def write(self, data: Any) -> None:
        """Writes str (as UTF-8) or bytes."""
        self._handle("writing").write(data.encode("utf-8") if isinstance(data, str) else bytes(data))

    def seek(self, offset: Optional[int] = None, whence: int = 0, position: Optional[int] = None) -> int:
        """Moves to ``offset`` (``position`` is TF1's older name for it)."""
        if position is not None:
            offset = position
        return self._handle("reading" if "r" in self.__mode else "writing").seek(offset or 0, whence)

    def tell(self) -> int:
        """The current position."""
        return self._handle("reading" if "r" in self.__mode else "writing").tell()

    def size(self) -> int:
        """The file's length in bytes."""
        return Stat(self.__name).length

    def flush(self) -> None:
        """Writes buffered data to the file."""
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        """Closes the file; later reads reopen it from the start, as TF1's."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def seekable(self) -> bool:
        """Local files can seek."""
        return True

    def __enter__(self) -> "GFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


Open = GFile
FastGFile = GFile


@dataclass(frozen=True)
class FileStatistics:
    """``tf.gfile.Stat``'s answer: ``length`` in bytes, ``mtime_nsec``, ``is_directory``."""

    length: int
    mtime_nsec: int
    is_directory: bool


def Exists(filename: str) -> bool:  # noqa: N802 (TF1's names)
    """Whether ``filename`` (file or directory) exists."""
    return os.path.exists(filename)


def IsDirectory(dirname: str) -> bool:  # noqa: N802
    """Whether ``dirname`` is a directory."""
    return os.path.isdir(dirname)


def Stat(filename: str) -> FileStatistics:  # noqa: N802
    """Length, modification time and kind of ``filename``."""
    try:
        st = os.stat(filename)
    except OSError as e:
        raise _error(filename, e) from None
    return FileStatistics(st.st_size, st.st_mtime_ns, os.path.isdir(filename))


def MkDir(dirname: str) -> None:  # noqa: N802
    """Creates ``dirname`` (its parent must exist); an existing directory is fine."""
    try:
        os.mkdir(dirname)
    except FileExistsError:
        if not os.path.isdir(dirname):
            raise errors.FailedPreconditionError(None, None, f"{dirname} is not a directory") from None
    except OSError as e:
        raise _error(dirname, e) from None


def MakeDirs(dirname: str) -> None:  # noqa: N802
    """Creates ``dirname`` and any missing parents; an existing directory is fine."""
    try:
        os.makedirs(dirname, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise errors.FailedPreconditionError(None, None, f"{dirname} is not a directory") from None
    except OSError as e:
        raise _error(dirname, e) from None


def ListDirectory(dirname: str) -> list:  # noqa: N802
    """The names of the entries in ``dirname`` (not "." or "..")."""
    if not os.path.isdir(dirname):
        raise errors.NotFoundError(None, None, f"Could not find directory {dirname}")
    return os.listdir(dirname)


def Glob(filename: str) -> list:  # noqa: N802
    """The paths matching the pattern ``filename``."""
    return _glob.glob(filename)


def Remove(filename: str) -> None:  # noqa: N802
    """Deletes the file ``filename``."""
    try:
        if os.path.isdir(filename):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        os.remove(filename)
    except OSError as e:
        raise _error(filename, e) from None


def _refuse_existing(newpath: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(newpath):
        raise errors.AlreadyExistsError(None, None, "file already exists")


def Rename(oldname: str, newname: str, overwrite: bool = False) -> None:  # noqa: N802
    """Moves ``oldname`` to ``newname``; an existing ``newname`` needs ``overwrite=True``."""
    if not os.path.exists(oldname):
        raise errors.NotFoundError(None, None, f"{oldname}; No such file or directory")
    _refuse_existing(newname, overwrite)
    try:
        os.replace(oldname, newname)
    except OSError as e:
        raise _error(newname, e) from None


def Copy(oldpath: str, newpath: str, overwrite: bool = False) -> None:  # noqa: N802
    """Copies the file ``oldpath`` to ``newpath``; an existing ``newpath`` needs ``overwrite=True``."""
    if not os.path.exists(oldpath):
        raise errors.NotFoundError(None, None, f"{oldpath}; No such file or directory")
    _refuse_existing(newpath, overwrite)
    try:
        shutil.copyfile(oldpath, newpath)
    except OSError as e:
        raise _error(oldpath if isinstance(e, IsADirectoryError) else newpath, e) from None


def DeleteRecursively(dirname: str) -> None:  # noqa: N802
    """Deletes ``dirname`` and everything under it (a file is deleted too)."""
    if not os.path.exists(dirname):
        raise errors.NotFoundError(None, None, f"{dirname} not found")
    try:
        if os.path.isdir(dirname) and not os.path.islink(dirname):
            shutil.rmtree(dirname)
        else:
            os.remove(dirname)
    except OSError as e:
        raise _error(dirname, e) from None


def Walk(top: str, in_order: bool = True) -> Iterator[tuple]:  # noqa: N802
    """``(dirname, subdirectory names, file names)`` for ``top`` and every directory below it:
    parents before children when ``in_order``, else after. A missing ``top`` yields nothing."""
    try:
        names = ListDirectory(top)
    except errors.NotFoundError:
        return
    subdirs = [n for n in names if os.path.isdir(os.path.join(top, n))]
    files = [n for n in names if n not in subdirs]
    if in_order:
        yield top, subdirs, files
    for sub in subdirs:
        yield from Walk(os.path.join(top, sub), in_order)
    if not in_order:
        yield top, subdirs, files


__all__ = ["GFile", "Open", "FastGFile", "FileStatistics", "Exists", "IsDirectory", "Stat", "MkDir", "MakeDirs",
           "ListDirectory", "Glob", "Remove", "Rename", "Copy", "DeleteRecursively", "Walk"]
