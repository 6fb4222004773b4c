"""Files that appear complete or not at all, and the cleanup of what a killed writer left.

A file is written to a temporary name in its directory (``.<name>.graphc-<pid>-<token>.tmp``),
fsynced and renamed over the target; the directory is fsynced after. A temporary file whose writer
process is gone is removed by the next ``remove_stale_temps`` of that directory. Files get the mode
the umask gives (0666 masked, as TF1's), and an OSError becomes the OpError subclass TF1's file
system layer raises for it, naming the file.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import threading
import time
from typing import Any, Iterator

from graphc import errors

# the temporary files of atomic_file: ".<target name>.graphc-<pid>-<token>.tmp"
_TEMP = re.compile(r"^\..+\.graphc-(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")
_LEGACY_TEMP = re.compile(r"^\.(.+\.npz|checkpoint)\.[a-z0-9_]{8}\.tmp$")   # graphc before the pid
_LEGACY_AGE_S = 3600.0
_writing: set = set()          # temporary files this process is writing now
_writing_lock = threading.Lock()

# errno -> the OpError class TF1's file system layer raises for it
_ERRNO_ERRORS = {errno.EACCES: errors.PermissionDeniedError, errno.EPERM: errors.PermissionDeniedError,
                 errno.EROFS: errors.PermissionDeniedError, errno.ENOSPC: errors.ResourceExhaustedError,
                 errno.EDQUOT: errors.ResourceExhaustedError, errno.EFBIG: errors.ResourceExhaustedError,
                 errno.ENOENT: errors.NotFoundError, errno.EEXIST: errors.AlreadyExistsError,
                 errno.ENOTDIR: errors.FailedPreconditionError, errno.EISDIR: errors.FailedPreconditionError}


def write_error(path: str, e: OSError) -> errors.OpError:
    """The TF1 error for an OSError met while writing ``path``."""
    cls = _ERRNO_ERRORS.get(e.errno, errors.UnknownError)
    return cls(None, None, f"Failed to write {path}: {e.strerror or e}")


@contextlib.contextmanager
def atomic_file(path: str) -> Iterator[Any]:
    """A binary file that appears at ``path`` complete (fsynced, then renamed) or not at all; an
    OSError becomes the matching OpError."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f".{os.path.basename(path)}.graphc-{os.getpid()}-{secrets.token_hex(4)}.tmp")
    with _writing_lock:
        _writing.add(tmp)
    try:
        # 0666 masked by the umask, like any file TF1 writes (mkstemp would force 0600)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise
    except OSError as e:
        raise write_error(path, e) from e
    finally:
        with _writing_lock:
            _writing.discard(tmp)
    _fsync_directory(directory)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False           # ours: stale unless in _writing (checked by the caller)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True            # exists, owned by someone else
    return True


def remove_stale_temps(directory: str) -> list:
    """Removes temporary files that a killed save left in ``directory`` (their writer is gone);
    returns their paths. Files being written by live processes are left alone."""
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        path = os.path.join(directory, name)
        m = _TEMP.match(name)
        if m is not None:
            with _writing_lock:
                stale = path not in _writing and not _alive(int(m.group("pid")))
        elif _LEGACY_TEMP.match(name):
            try:
                stale = now - os.lstat(path).st_mtime > _LEGACY_AGE_S
            except OSError:
                continue
        else:
            continue
        if stale:
            with contextlib.suppress(OSError):
                os.remove(path)
                removed.append(path)
    return removed


def _fsync_directory(directory: str) -> None:
    """Makes a rename durable (not possible on every platform; best effort there)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
