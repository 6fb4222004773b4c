"""Who may touch the code cache: private directories and files, refusal of foreign ones, a keyed hash.

The code cache holds data that graphc later turns into running code (numba's pickled compiled
functions), so it must only ever hold what this user wrote. Rules:

- graphc creates every directory 0700 and every file 0600 (whatever the umask);
- a cache root, directory or file that is not owned by the effective user, or is writable by
  group or others (or is a symlink below the root) is refused: graphc warns once and compiles in
  memory instead of reading or writing there;
- numba's files are signed: each is stored as ``MAGIC + HMAC-SHA256(key, name + payload) +
  payload`` and verified before numba unpickles it. The 32-byte key is made once per cache root
  (``KEY_NAME``, 0600, refused unless private to this user), so a file planted or edited by
  anyone without the key is rejected.

Failures to create, read or write (read-only or full file systems, size limits, a file where a
directory should be) raise :class:`Refused` after one warning per root and kind of problem;
callers then compile in memory. ``FileNotFoundError`` is passed through: it means a concurrent
``graphc cache clear``, which callers treat as a miss.
"""
from __future__ import annotations

import errno
import hashlib
import hmac
import os
import stat
import tempfile
import threading
import warnings

KEY_NAME = ".graphc_key"
MAGIC = b"graphc-signed-v1\n"
_MAC_BYTES = 32
_warned: set = set()
_keys: dict = {}            # root -> (key file identity, key)
_lock = threading.Lock()


class Refused(Exception):
    """The cache (or one entry of it) must not be used; a warning has been issued."""


class Unsigned(Exception):
    """A file in the cache that graphc did not sign (written by numba itself or an older graphc)."""


class Tampered(Exception):
    """A signed file whose keyed hash does not match: corrupt or edited."""


def warn_once(root: str, kind: str, message: str) -> None:
    """Issues ``message`` as a RuntimeWarning the first time ``kind`` happens for ``root``."""
    with _lock:
        if (root, kind) in _warned:
            return
        _warned.add((root, kind))
    warnings.warn(f"graphc: {message}; compiling in memory (the code cache is only an optimization)",
                  RuntimeWarning, stacklevel=4)


def _problem(st: os.stat_result, want_dir: bool) -> str:
    """Why a stat result is not a private entry of this user ('' when it is)."""
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link"
    if want_dir and not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if not want_dir and not stat.S_ISREG(st.st_mode):
        return "is not a regular file"
    if st.st_uid != os.geteuid():
        return f"is owned by uid {st.st_uid}, not by the current user (uid {os.geteuid()})"
    if st.st_mode & 0o022:
        return f"is writable by group or others (mode {stat.S_IMODE(st.st_mode):04o})"
    return ""


def _refuse(root: str, kind: str, message: str) -> Refused:
    warn_once(root, kind, message)
    return Refused(message)


def _mkdir_private(path: str) -> None:
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        return
    os.chmod(path, 0o700)     # mkdir's mode is masked by the umask; 0700 is the rule


def ensure_root(root: str) -> str:
    """Creates ``root`` (missing levels 0700) and checks it is this user's and not group/other-
    writable; returns its absolute path or raises :class:`Refused`."""
    root = os.path.abspath(root)
    try:
        missing = []
        p = root
        while not os.path.lexists(p):
            missing.append(p)
            parent = os.path.dirname(p)
            if parent == p:
                break
            p = parent
        for p in reversed(missing):
            _mkdir_private(p)
        st = os.stat(root)     # the root itself may be a symlink the user made (checked by target)
    except OSError as e:
        raise _refuse(root, "root", f"cannot create the code cache directory {root} ({e.strerror or e})")
    why = _problem(st, want_dir=True)
    if why:
        raise _refuse(root, "root", f"refusing the code cache directory {root}: it {why}. Use a "
                                    "private directory (GRAPHC_CACHE_DIR, mode 0700)")
    return root


def private_dir(root: str, path: str, create: bool = True) -> str:
    """Makes (``create``) and checks every directory from ``root`` down to ``path``; raises
    :class:`Refused` for a foreign or group/other-writable level, ``FileNotFoundError`` for a
    missing one when not creating."""
    root = ensure_root(root)
    rel = os.path.relpath(os.path.abspath(path), root)
    if rel.startswith(os.pardir):
        raise ValueError(f"{path} is not inside the code cache {root}")
    p = root
    for part in ([] if rel == os.curdir else rel.split(os.sep)):
        p = os.path.join(p, part)
        try:
            if create:
                _mkdir_private(p)
            st = os.lstat(p)
        except FileNotFoundError:
            raise      # not made yet, or removed by a concurrent clear: the caller's miss
        except OSError as e:
            raise _refuse(root, "write", f"cannot create {p} in the code cache ({e.strerror or e})")
        why = _problem(st, want_dir=True)
        if why:
            raise _refuse(root, "entry", f"refusing the code cache directory {p}: it {why}. "
                                         "Run `graphc cache clear` or remove it")
    return p


def read_private(root: str, path: str) -> bytes | None:
    """The bytes of cache file ``path`` (None when it does not exist); raises :class:`Refused`
    for a file that is not this user's private file, or that cannot be read."""
    try:
        private_dir(root, os.path.dirname(path), create=False)
    except FileNotFoundError:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as e:
        kind = "a symbolic link" if e.errno == errno.ELOOP else (e.strerror or str(e))
        raise _refuse(root, "read", f"cannot read the code cache entry {path} ({kind})")
    try:
        why = _problem(os.fstat(fd), want_dir=False)
        if why:
            raise _refuse(root, "entry", f"refusing the code cache entry {path}: it {why}. "
                                         "Run `graphc cache clear` or remove it")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    except OSError as e:
        raise _refuse(root, "read", f"cannot read the code cache entry {path} ({e.strerror or e})") from None
    finally:
        os.close(fd)


def write_private(root: str, path: str, data: bytes, sync: bool = False) -> None:
    """Writes ``data`` to ``path`` atomically as a 0600 file (temporary file + ``os.replace``);
    raises :class:`Refused` when the cache cannot be written."""
    directory = os.path.dirname(path)
    for attempt in (0, 1):
        private_dir(root, directory)
        try:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp_", suffix=".tmp")   # 0600
        except FileNotFoundError:
            if attempt:
                raise
            continue     # a concurrent clear removed the directory: make it again
        except OSError as e:
            raise _refuse(root, "write", f"cannot write to the code cache at {directory} ({e.strerror or e})")
        break
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError) and not isinstance(e, FileNotFoundError):
            raise _refuse(root, "write", f"cannot write to the code cache at {directory} "
                                         f"({e.strerror or e})") from None
        raise


def key(root: str) -> bytes:
    """This user's secret key for ``root`` (created on first use, 0600); raises :class:`Refused`
    for a key file that is not private to this user."""
    root = ensure_root(root)
    path = os.path.join(root, KEY_NAME)
    for _ in range(3):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            _create_key(root, path)
            continue
        except OSError as e:
            raise _refuse(root, "key", f"cannot read the code cache key {path} ({e.strerror or e})")
        ident = (st.st_dev, st.st_ino, st.st_mtime_ns)
        cached = _keys.get(root)
        if cached is not None and cached[0] == ident:
            return cached[1]
        why = _problem(st, want_dir=False) or ("is readable by group or others" if st.st_mode & 0o077 else "")
        if why:
            raise _refuse(root, "key", f"refusing the code cache key {path}: it {why}. Remove it "
                                       "(graphc makes a new one)")
        data = read_private(root, path)
        if data is None:
            continue
        if len(data) != _MAC_BYTES:
            raise _refuse(root, "key", f"refusing the code cache key {path}: it is not a graphc key. "
                                       "Remove it (graphc makes a new one)")
        _keys[root] = (ident, data)
        return data
    raise _refuse(root, "key", f"cannot create the code cache key {path}")


def _create_key(root: str, path: str) -> None:
    fd, tmp = None, None
    try:
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".tmp_", suffix=".tmp")
        os.write(fd, os.urandom(_MAC_BYTES))
        os.close(fd)
        fd = None
        os.link(tmp, path)      # atomic and never overwrites: concurrent first users agree on one key
    except FileExistsError:
        pass
    except OSError as e:
        raise _refuse(root, "write", f"cannot write to the code cache at {root} ({e.strerror or e})") from None
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _mac(secret: bytes, name: str, payload: bytes) -> bytes:
    return hmac.new(secret, name.encode() + b"\0" + payload, hashlib.sha256).digest()


def sign(root: str, path: str, payload: bytes) -> bytes:
    """The stored form of ``payload`` for file ``path``: magic, keyed hash (bound to the file
    name, so signed files cannot be swapped), payload."""
    return MAGIC + _mac(key(root), os.path.basename(path), payload) + payload


def verify(root: str, path: str, blob: bytes) -> bytes:
    """The payload of a signed file's bytes; raises :class:`Unsigned` or :class:`Tampered`."""
    if not blob.startswith(MAGIC):
        raise Unsigned(path)
    mac = blob[len(MAGIC):len(MAGIC) + _MAC_BYTES]
    payload = blob[len(MAGIC) + _MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(key(root), os.path.basename(path), payload)):
        raise Tampered(path)
    return payload
