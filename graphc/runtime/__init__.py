"""Runtime: sessions, executables, the code cache, and counters (``graphc.runtime.stats()``)."""
from __future__ import annotations

import sys


def stats() -> dict:
    """Counters of this process: compiles, and cache hits in memory and on disk.

    - ``executables_built`` / ``executable_memory_hits``: Session.run plans built, and runs that
      found theirs in the session's in-memory cache;
    - ``executables_evicted``: executables sessions dropped from their bounded caches (least
      recently used first; ``Session(executable_cache_size=...)``, ``GRAPHC_EXECUTABLE_CACHE``);
    - ``compiles``: kernels numba compiled; ``disk_hits``: kernels numba loaded from the disk cache;
    - ``module_memory_hits``: generated modules found already imported in this process;
    - ``modules_written`` / ``modules_imported`` / ``corrupt_entries``: the code cache's files;
    - ``device_uploads`` / ``device_downloads`` (and ``..._bytes``), ``device_copies``: host/device
      transfers and device-side copies made by the Triton backend (0 on the CPU backends);
    - ``eager_runs_while_compiling`` / ``tier_switches`` / ``background_compiles`` /
      ``background_compile_errors``: tiered execution (``graphc.codegen.tiered``);
    - ``whole_loops_compiled`` / ``whole_loop_compile_seconds``: loops compiled whole in the
      background (``graphc.codegen.numba_loop``).
    """
    from graphc.codegen import executable_cache, tiered
    from graphc.runtime import session
    from graphc.toolchain import cache

    out = dict(session.STATS)
    out.update(executable_cache.STATS)
    out.update(cache.STATS)
    out.update(tiered.STATS)
    # None until imported; a tiered compile's thread may be importing it now (no STATS yet, nothing compiled)
    numba_stats = getattr(sys.modules.get("graphc.codegen.numba_cpu"), "STATS", None)
    out["compiles"] = numba_stats["compiles"] if numba_stats else 0
    out["disk_hits"] = numba_stats["cache_loads"] if numba_stats else 0
    out["compile_seconds"] = numba_stats["compile_seconds"] if numba_stats else 0.0
    loop_stats = getattr(sys.modules.get("graphc.codegen.numba_loop"), "STATS", None)
    out.update(loop_stats or {"whole_loops_compiled": 0, "whole_loop_compile_seconds": 0.0})
    transfers = getattr(sys.modules.get("graphc.codegen.triton_memory"), "TRANSFERS", None)
    for key in ("uploads", "upload_bytes", "downloads", "download_bytes", "device_copies"):
        name = key if key.startswith("device_") else f"device_{key}"
        out[name] = transfers[key] if transfers else 0
    return out
