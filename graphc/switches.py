"""Every ``GRAPHC_*`` environment switch: its name, its default and what it does, in one place.

Code reads a switch only through its ``Switch`` here (``switches.BACKEND.get()``), never through
``os.environ`` directly, so this list is complete by construction (``tests/tools/test_switches.py``
checks it). ``get`` reads the environment at each call, so a switch set after import still
counts, except where its reader notes that it is read once. ``graphc switches`` prints the table.

Each reader keeps its own parsing (a flag, a number, a choice), documented in ``meaning``.
Imports nothing from graphc, so every layer may use it.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Optional


@dataclasses.dataclass(frozen=True)
class Switch:
    """One environment variable graphc reads."""

    name: str
    default: Optional[str]     # what ``get`` returns when the variable is unset
    meaning: str               # what it changes, its values, and the effective default
    tests_only: bool = False   # read by the test suite, not by graphc itself

    def get(self) -> Optional[str]:
        """The variable's value, or ``default`` when it is unset (an empty value is returned as is)."""
        return os.environ.get(self.name, self.default)


BACKEND = Switch(
    "GRAPHC_BACKEND", "auto",
    "Backend of sessions made without backend=: auto (Triton on a usable CUDA GPU, else numba), "
    "numba, triton, eager or interpret.")
CACHE_DIR = Switch(
    "GRAPHC_CACHE_DIR", None,
    "Root of the on-disk code cache (generated modules, numba's compiled code, njit host kernels); "
    "unset or empty: ~/.cache/graphc.")
DUMP = Switch(
    "GRAPHC_DUMP", None,
    "A directory: every compile writes the IR after each pass, the kernel plan, the memory plan and "
    "the generated kernels into DIR/compile_NNNN/, and DIR/index.txt says which sess.run made each. "
    "Unset or empty: no dumps.")
DEBUG = Switch(
    "GRAPHC_DEBUG", None,
    "Any non-empty value, read once at import: graphc's loggers print to stderr at INFO, so every "
    "compile (executables and kernels) and why it happened is logged.")
COMPILE = Switch(
    "GRAPHC_COMPILE", "tiered",
    "tiered: a new executable of a compiled backend (numba) runs eagerly while it compiles in a "
    "background thread, then switches to the compiled code; sync: the first run waits for the "
    "compile (what tests and `graphc bench` use). Session(compile_mode=...) overrides it.")
COMPILE_PROCESS = Switch(
    "GRAPHC_COMPILE_PROCESS", "1",
    "1: a tiered session's background compile runs numba in a second Python process, which writes "
    "the compiled code into the disk cache this process then loads (the eager runs keep this "
    "process's GIL); 0: it compiles in this process's background thread.")
QUIET = Switch(
    "GRAPHC_QUIET", None,
    "Any value but empty or 0: no notice on stderr when a compile keeps a run waiting over a second.")
NUMBA_PARALLEL_MIN = Switch(
    "GRAPHC_NUMBA_PARALLEL_MIN", str(2 ** 22),
    "Elements (an integer, read once at import) from which a numba kernel runs its loop in "
    "parallel threads; smaller kernels run on one thread.")
NUMBA_DRIVER = Switch(
    "GRAPHC_NUMBA_DRIVER", "compiled",
    "How a numba executable runs its steps: compiled (default: straight, and after 16 runs its "
    "stretches of small kernels, products and slices run as one njit function each, compiled in "
    "the background), straight (from its second run, a generated straight-line Python function "
    "with the small kernels' calls, geometry, buffers and matrix products bound once; other steps "
    "called from it) or steps (the step loop, one Python call per step).")
BLAS_SERIAL_MAX = Switch(
    "GRAPHC_BLAS_SERIAL_MAX", None,
    "Multiply-adds (an integer, read once at import) up to which a matrix product computed with "
    "numpy's OpenBLAS (numba's matmul kernels and convolutions, eager's MatMul) runs on one BLAS "
    "thread; 0 leaves every product to OpenBLAS. Unset: by load (ops/blas_threads.py): up to 2^21 "
    "always, up to 2^26 while the load average exceeds the core count (OpenBLAS's threads spin "
    "against other work).")
EXECUTABLE_CACHE = Switch(
    "GRAPHC_EXECUTABLE_CACHE", None,
    "Executables a session keeps (a positive integer; Session(executable_cache_size=...) wins): the "
    "least recently used is dropped past it (graphc.runtime.stats()['executables_evicted']); unset: 64.")
TRITON_ARRAYS = Switch(
    "GRAPHC_TRITON_ARRAYS", "host",
    "Under TRITON_INTERPRET=1 (no GPU), where the Triton backend keeps arrays: host (numpy), "
    "simulated (device handles, so every host/device crossing a GPU run makes is visible) or torch "
    "(torch CPU tensors).")
TRITON_AUTOTUNE = Switch(
    "GRAPHC_TRITON_AUTOTUNE", None,
    "Matmul tile autotuning: 0/false turns it off on a GPU, 1/true turns it on under the "
    "interpreter; unset: on on a GPU, off under the interpreter (its timings mean nothing).")
TRITON_TF32 = Switch(
    "GRAPHC_TRITON_TF32", None,
    "1/true/yes/on: float32 matmuls on the GPU may use TF32 tensor cores (10-bit mantissa "
    "products); unset: full IEEE float32.")
FUSION_THRESHOLD = Switch(
    "GRAPHC_FUSION_THRESHOLD", None,
    "graphc.distribute: bytes of gradients fused into one allreduce (0 turns fusion off); unset: "
    "HOROVOD_FUSION_THRESHOLD, else 64 MiB.")
MPI_TIMEOUT = Switch(
    "GRAPHC_MPI_TIMEOUT", None,
    "graphc.distribute: seconds a collective waits for the other ranks before failing; unset: 300.")
TENSORFLOW_PYTHON = Switch(
    "GRAPHC_TENSORFLOW_PYTHON", None,
    "A Python with TensorFlow, for when TensorFlow is not importable in graphc's own Python: "
    "`graphc bench --compare-peers` runs the tf1 peer with it, and tests restore graphc's "
    "checkpoints in TensorFlow with it (e.g. /tmp/tfenv/bin/python).")
TEST_FULL_EXAMPLES = Switch(
    "GRAPHC_TEST_FULL_EXAMPLES", None,
    "Tests: any value but empty or 0 runs the full-size example trainings of the documented "
    "results (minutes on 2 cores).", tests_only=True)
MPIEXEC = Switch(
    "GRAPHC_MPIEXEC", None,
    "Tests: the MPI launcher for the graphc.distribute tests; unset: the mpiexec beside this "
    "Python, else the one on PATH.", tests_only=True)

ALL: tuple = tuple(v for v in list(globals().values()) if isinstance(v, Switch))


def describe() -> str:
    """The table of every switch: name, default, meaning."""
    lines = []
    for s in ALL:
        default = "unset" if s.default is None else repr(s.default)
        lines.append(f"{s.name} (default {default}){' [tests]' if s.tests_only else ''}\n    {s.meaning}")
    return "\n".join(lines)
