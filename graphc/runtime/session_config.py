"""What a Session does with its ``tf.ConfigProto`` and a run's ``RunOptions``/``RunMetadata``.

Threads: ``intra_op_parallelism_threads`` sets Numba's thread count (thread-local in Numba) around
each of the session's runs. Placement: ``log_device_placement`` prints TF1's lines (the device
mapping when the session starts, ``name: (Type): device`` for each op when a run first compiles it)
to stderr. Tracing: a run with ``trace_level`` above NO_TRACE records its device and wall time in
``RunMetadata.step_stats``.
"""
from __future__ import annotations

import contextlib
import sys
import time
from typing import Any, Iterable, Iterator, Optional

from graphc import config as _config
from graphc import device_spec as _device

_NULL = contextlib.nullcontext()


def check_config(config: Any) -> Optional[_config.ConfigProto]:
    """TF1's check: ``config`` is None or a ``tf.ConfigProto``."""
    if config is not None and not isinstance(config, _config.ConfigProto):
        raise TypeError(f"config must be a tf.ConfigProto, but got {type(config)}")
    return config


def hides_gpus(config: Optional[_config.ConfigProto]) -> bool:
    """``ConfigProto(device_count={'GPU': 0})``: the session must not use a GPU."""
    return config is not None and config.device_count.get("GPU", 1) == 0


class SessionSettings:
    """The parts of a session's config that act on its runs (built once per Session)."""

    def __init__(self, config: Optional[_config.ConfigProto], backend: str) -> None:
        self.config = config
        self.backend = backend
        on_gpu = backend == "triton" and not _interpreting()
        self.device_name = _device.local_gpu(0) if on_gpu else _device.LOCAL_CPU
        intra = config.intra_op_parallelism_threads if config is not None else 0
        self.intra_threads = intra if intra > 0 and backend == "numba" else 0
        self.log_placement = bool(config is not None and config.log_device_placement)
        if self.log_placement:
            mapping = f"{self.device_name} -> device: 0" if on_gpu else "no known devices."
            print(f"Device mapping: {mapping}", file=sys.stderr)

    def threads(self) -> contextlib.AbstractContextManager:
        """Around one run: Numba uses ``intra_op_parallelism_threads`` threads (if set)."""
        return _numba_threads(self.intra_threads) if self.intra_threads else _NULL

    def placed(self, ops: Iterable[Any]) -> None:
        """Logs where each op of a newly compiled run executes (``log_device_placement``)."""
        if self.log_placement:
            lines = [f"{op.name}: ({op.type}): {self.device_name}" for op in ops]
            if lines:
                print("\n".join(lines), file=sys.stderr)

    def traced(self, options: Any, run_metadata: Any) -> contextlib.AbstractContextManager:
        """Around one ``Session.run``: checks ``options``/``run_metadata`` and records a trace."""
        if options is None and run_metadata is None:
            return _NULL
        _config.check_run_arguments(options, run_metadata)
        if run_metadata is None or options is None or options.trace_level <= _config.RunOptions.NO_TRACE:
            return _NULL
        return self._trace(run_metadata)

    @contextlib.contextmanager
    def _trace(self, run_metadata: _config.RunMetadata) -> Iterator[None]:
        start = time.time_ns() // 1000
        yield
        elapsed = time.time_ns() // 1000 - start
        stats = _config.NodeExecStats(node_name="graphc_run", all_start_micros=start, op_start_rel_micros=0,
                                      op_end_rel_micros=elapsed, all_end_rel_micros=elapsed,
                                      timeline_label=f"graphc {self.backend} run")
        run_metadata.step_stats.dev_stats.append(_config.DeviceStepStats(device=self.device_name,
                                                                         node_stats=[stats]))


def _interpreting() -> bool:
    from graphc.codegen import triton_memory

    return triton_memory.interpreting()


@contextlib.contextmanager
def _numba_threads(n: int) -> Iterator[None]:
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(old)
