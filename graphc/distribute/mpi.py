"""The MPI engine behind ``graphc.distribute``: process groups, timed collectives, signature checks.

Everything goes through mpi4py's standard MPI-3 calls (nonblocking collectives, point-to-point
messages, ``Split_type(COMM_TYPE_SHARED)``), so any MPI works: the ``mpich`` wheel that
``pip install graphc[mpi]`` brings, a system Open MPI or Intel MPI, a cluster's MPI under Slurm.

A collective never blocks forever. Each one is started nonblocking and polled until it completes
or ``timeout`` seconds pass. Alongside it every rank sends a tiny "arrived at collective #k"
message to every other rank, so when the deadline passes the error names the ranks that never
arrived (dead, raising, stuck, or running another graph). After such a failure the process group
is unusable: further collectives fail at once, and at exit the job is aborted (``MPI_Abort``) so
that the launcher tears down the ranks that are still waiting instead of leaving them hanging (after
a few seconds' grace, so that peers which detect the same failure can report it first) —
except after a signature mismatch, which every rank detects alike once the exchange completed:
those ranks exit normally, so none is killed before it reports the error.
"""
from __future__ import annotations

import atexit
import hashlib
import time
from typing import Any, Callable, Optional, Sequence

import numpy as np

from graphc import errors, switches

DEFAULT_TIMEOUT_S = 300.0           # like Horovod's stall shutdown: minutes, not seconds
TIMEOUT_ENV = switches.MPI_TIMEOUT.name
_ARRIVE_TAG = 19
_SIGNATURE_BYTES = 1024            # fixed size, so every rank posts the same exchange
_SPIN_POLLS = 2000                  # Test() calls before the first sleep
# before aborting a failed job: time for the peers, which usually detect the same failure a moment
# later, to report it (an abort kills them at once)
_ABORT_GRACE_S = 3.0
_POLL_SLEEP_S = 5e-5


def _import_mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError("graphc.distribute needs mpi4py and an MPI library: pip install 'graphc[mpi]' "
                          f"(brings mpi4py and the mpich wheel), or mpi4py built against your MPI ({e})") from None
    return MPI


def _timeout_from_env() -> float:
    text = switches.MPI_TIMEOUT.get()
    if not text:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{TIMEOUT_ENV}={text!r} is not a number of seconds") from None
    if not value > 0:
        raise ValueError(f"{TIMEOUT_ENV}={text!r} must be a positive number of seconds")
    return value


def _memory_kinds(comm: Any) -> str:
    """The communicator's ``mpi_memory_alloc_kinds`` info (MPI 4.1), or "" where the MPI has none."""
    try:
        info = comm.Get_info()
        try:
            return info.Get("mpi_memory_alloc_kinds") or ""
        finally:
            info.Free()
    except Exception:   # an MPI before 4.1, or one that keeps no info on the communicator
        return ""


def cuda_aware(memory_kinds: str) -> bool:
    """Whether an MPI 4.1 ``mpi_memory_alloc_kinds`` value says MPI accepts CUDA device memory.

    The value is a comma-separated list of kinds with optional ``:restrictors`` (``"mpi,system"``
    for host-only MPIs; ``"cuda"`` or ``"cuda:device"`` where device pointers may be passed).
    """
    for kind in memory_kinds.split(","):
        name, _, restrictors = kind.strip().partition(":")
        if name == "cuda" and (not restrictors or "device" in restrictors.split(":")):
            return True
    return False


class Pending:
    """A started collective: its request and the arrival messages sent and expected with it."""

    def __init__(self, what: str, key: str, seq: int, request: Any, mine: np.ndarray, got: dict,
                 sends: list, recvs: dict) -> None:
        self.what, self.key, self.seq, self.request = what, key, seq, request
        self.mine, self.got, self.sends, self.recvs = mine, got, sends, recvs
        self.unchecked = set(recvs)

    def progress(self) -> None:
        """One test of the request, so that MPIs without a progress thread move it along."""
        self.request.Test()


class Engine:
    """One initialized process group: the communicators, the collective counter and the timeout."""

    def __init__(self, comm: Any = None) -> None:
        MPI = _import_mpi()
        self.MPI = MPI
        base = MPI.COMM_WORLD if comm is None else comm
        self.comm = base.Dup()            # graphc's collectives never mix with the user's messages
        self.arrivals = base.Dup()        # "arrived at #k" messages, on their own communicator
        self.local = base.Split_type(MPI.COMM_TYPE_SHARED, key=base.Get_rank())
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.local_rank = self.local.Get_rank()
        self.local_size = self.local.Get_size()
        self.timeout = _timeout_from_env()
        self.count = 0                    # collectives started by this process
        self.failed: Optional[str] = None
        self.abort_at_exit = False
        self.validated: set = set()       # signature digests every rank agreed on
        self._f16_sum = None
        self.seconds = 0.0                # wall time spent inside collectives (benchmarks read it)
        self.in_flight: dict = {}         # token -> a started, overlapped allreduce (overlap.py)
        self.cuda_aware = cuda_aware(_memory_kinds(base))
        self.overlap_misses = 0           # waits that found no reduction started on their arrays

    # ----------------------------------------------------------------------------------------
    def float16_sum(self) -> Any:
        """An MPI op that sums float16 sent as 16-bit words (MPI has no standard half type)."""
        if self._f16_sum is None:
            def add(inbuf, inoutbuf, datatype):
                a = np.frombuffer(inbuf, dtype=np.float16)
                b = np.frombuffer(inoutbuf, dtype=np.float16)
                b += a
            self._f16_sum = self.MPI.Op.Create(add, commute=True)
        return self._f16_sum

    def run(self, what: str, start: Callable[[], Any], key: str) -> None:
        """Starts a nonblocking collective (``start()`` returns its request) and waits for it.

        ``key`` names the collective exactly (its signature and which buffer); every rank sends a
        hash of it to every other rank, so a rank that is at a different collective is caught as
        soon as its message arrives, at any step, instead of mixing unrelated tensors. Raises
        InvalidArgumentError then, and DeadlineExceededError naming the ranks that never arrived
        when the collective takes longer than ``timeout``.
        """
        self.finish(self.start(what, start, key))

    def start(self, what: str, start: Callable[[], Any], key: str) -> "Pending":
        """Starts a nonblocking collective and its arrival messages; ``finish`` waits for it.

        Between the two the caller may compute (overlap); collectives must still be started in
        the same order on every rank, which the arrival messages check.
        """
        if self.failed:
            raise errors.AbortedError(None, None, f"graphc.distribute: {what} cannot run: an earlier "
                                      f"collective failed ({self.failed}); the job must be restarted")
        self.count += 1
        began = time.monotonic()
        peers = [r for r in range(self.size) if r != self.rank]
        mine = np.frombuffer(hashlib.sha256(key.encode()).digest()[:8], dtype=np.int64).copy()
        got = {r: np.zeros(1, dtype=np.int64) for r in peers}
        sends = [self.arrivals.Isend(mine, dest=r, tag=_ARRIVE_TAG) for r in peers]
        recvs = {r: self.arrivals.Irecv(got[r], source=r, tag=_ARRIVE_TAG) for r in peers}
        pending = Pending(what, key, self.count, start(), mine, got, sends, recvs)
        self.seconds += time.monotonic() - began
        return pending

    def finish(self, pending: "Pending") -> None:
        """Waits for a started collective (at most ``timeout`` seconds from now) and checks its peers."""
        p = pending
        began = time.monotonic()
        deadline = began + self.timeout
        polls = 0
        while not p.request.Test():
            self._compare_arrivals(p.what, p.seq, p.key, p.mine, p.got, p.recvs, p.unchecked)
            # Most MPIs advance a nonblocking collective only inside MPI calls, so poll often;
            # after a burst, short sleeps leave the core to the other ranks on a shared machine.
            polls += 1
            if polls > _SPIN_POLLS:
                if time.monotonic() > deadline:
                    self._fail_timeout(p.what, p.seq, p.recvs)
                time.sleep(_POLL_SLEEP_S)
        self.MPI.Request.Waitall(list(p.recvs.values()) + p.sends)
        self.seconds += time.monotonic() - began
        self._compare_arrivals(p.what, p.seq, p.key, p.mine, p.got, p.recvs, p.unchecked)

    def _compare_arrivals(self, what: str, seq: int, key: str, mine: np.ndarray, got: dict, recvs: dict,
                          unchecked: set) -> None:
        for r in sorted(unchecked):
            if not recvs[r].Test():
                continue
            unchecked.discard(r)
            if got[r][0] != mine[0]:
                self._fail(errors.InvalidArgumentError,
                           f"graphc.distribute: rank {r} is at a different collective than rank {self.rank}, "
                           f"whose collective #{seq} is {what} ({key}): the ranks run different graphs, "
                           "fetches or tensor shapes; every rank must run the same collectives in the same order")

    def _fail_timeout(self, what: str, seq: int, recvs: dict) -> None:
        missing = [r for r, req in recvs.items() if not req.Test()]
        if missing:
            who = ", ".join(str(r) for r in missing)
            detail = (f"rank{'s' if len(missing) > 1 else ''} {who} never reached it (dead, raised an "
                      "error, stuck, or running a different graph)")
        else:
            detail = "every rank reached it but it did not complete"
        self._fail(errors.DeadlineExceededError,
                   f"graphc.distribute: {what} (collective #{seq}) on rank {self.rank} timed out after "
                   f"{self.timeout:g} s: {detail}. The timeout is {TIMEOUT_ENV} (seconds).")

    def _fail(self, cls: type, message: str, abort: bool = True) -> None:
        """Raises ``cls``; the group refuses further collectives. ``abort``: some rank may still
        be waiting inside a collective, so the job is aborted at exit (a failure every rank sees
        alike, after a collective that completed everywhere, exits normally instead: an abort
        then could kill a peer before it reports the same error)."""
        self.failed = message
        self.abort_at_exit = self.abort_at_exit or abort
        raise cls(None, None, message)

    # ----------------------------------------------------------------------------------------
    def check_signature(self, what: str, signature: str) -> None:
        """Makes sure every rank is about to run the same collective on matching tensors.

        Run once per distinct signature (a collective's name, kind, dtypes, shapes, options): a
        fixed-size exchange, so ranks that disagree are caught here with a readable message
        instead of deadlocking or reducing mismatched buffers.
        """
        digest = hashlib.sha256(signature.encode()).digest()
        if digest in self.validated:
            return
        text = signature.encode()[:_SIGNATURE_BYTES - len(digest)]
        mine = np.zeros(_SIGNATURE_BYTES, dtype=np.uint8)
        mine[:len(digest)] = np.frombuffer(digest, dtype=np.uint8)
        mine[len(digest):len(digest) + len(text)] = np.frombuffer(text, dtype=np.uint8)
        everyone = np.zeros((self.size, _SIGNATURE_BYTES), dtype=np.uint8)
        self.run(f"the signature check of {what}", lambda: self.comm.Iallgather(mine, everyone),
                 key="signature exchange")
        digests = [bytes(row[:len(digest)]) for row in everyone]
        if any(d != digest for d in digests):
            lines = [f"  rank {r}: {bytes(row[len(digest):]).rstrip(bytes(1)).decode(errors='replace')}"
                     for r, row in enumerate(everyone)]
            self._fail(errors.InvalidArgumentError,
                       f"graphc.distribute: the ranks disagree at {what} on rank {self.rank}; every rank "
                       "must build the same graph and run the same collectives in the same order:\n"
                       + "\n".join(lines), abort=False)
        self.validated.add(digest)

    # ----------------------------------------------------------------------------------------
    def close(self) -> None:
        """Frees the communicators (a failed group is aborted instead, see the module doc)."""
        if self.abort_at_exit:
            time.sleep(_ABORT_GRACE_S)
            self.comm.Abort(1)
        for c in (self.comm, self.arrivals, self.local):
            c.Free()
        if self._f16_sum is not None:
            self._f16_sum.Free()


_ENGINE: Optional[Engine] = None


def init(comm: Any = None) -> None:
    """Starts graphc.distribute on ``comm`` (an mpi4py communicator; default COMM_WORLD).

    A list of ranks (Horovod's other form) makes the group of those ranks of COMM_WORLD.
    Calling it again is a no-op, as in Horovod.
    """
    global _ENGINE
    if _ENGINE is not None:
        return
    if isinstance(comm, (list, tuple)):
        MPI = _import_mpi()
        ranks = list(comm)
        comm = MPI.COMM_WORLD.Create_group(MPI.COMM_WORLD.Get_group().Incl(ranks))
        if comm == MPI.COMM_NULL:
            raise ValueError(f"this process (world rank {MPI.COMM_WORLD.Get_rank()}) is not in ranks {ranks}")
    _ENGINE = Engine(comm)
    atexit.register(_at_exit)


def _at_exit() -> None:
    if _ENGINE is not None and _ENGINE.failed:
        _ENGINE.close()


def shutdown() -> None:
    """Releases the process group; ``init`` may be called again afterwards."""
    global _ENGINE
    if _ENGINE is not None:
        engine, _ENGINE = _ENGINE, None
        engine.close()


def engine() -> Engine:
    """The initialized engine; a ValueError says to call init() first (Horovod's wording)."""
    if _ENGINE is None:
        raise ValueError("graphc.distribute has not been initialized; use hvd.init().")
    return _ENGINE


def is_initialized() -> bool:
    return _ENGINE is not None


def signature_of(label: str, kind: str, arrays: Sequence[np.ndarray], options: str,
                 skip_first_dim: bool = False) -> str:
    """A collective's readable signature: name, kind, options and each tensor's dtype and shape."""
    parts = []
    for a in arrays:
        dims = list(a.shape[1:]) if skip_first_dim else list(a.shape)
        shown = ("?," if skip_first_dim else "") + ",".join(str(d) for d in dims)
        parts.append(f"{a.dtype.name}[{shown}]")
    return f"{kind} '{label}' {options} tensors: {' '.join(parts)}"
