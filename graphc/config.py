"""TF1's session and run configuration messages: ``ConfigProto``, ``GPUOptions``, ``RunOptions``, ...

They behave like TF1's protobuf messages where programs touch them: keyword construction,
attribute access and assignment with type checks, unknown fields refused with TF1's ValueError,
nested messages that exist on first access (``config.gpu_options.allow_growth = True``).
What graphc honours is documented on each class; the rest is recorded.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar


class _Message:
    """A small protobuf-like message: ``_FIELDS`` maps each field to a factory of its default."""

    _FIELDS: ClassVar[dict] = {}

    def __init__(self, **kwargs: Any) -> None:
        for name, default in self._FIELDS.items():
            object.__setattr__(self, name, default())
        for name, value in kwargs.items():
            setattr(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._FIELDS:
            raise ValueError(f'Protocol message {type(self).__name__} has no "{name}" field.')
        default = self._FIELDS[name]()
        if isinstance(default, _Message):
            if not isinstance(value, type(default)):
                raise TypeError(f"{type(self).__name__}.{name} must be a {type(default).__name__}, "
                                f"got {type(value).__name__}")
        elif isinstance(default, dict):
            value = dict(value)
        elif isinstance(default, list):
            value = list(value)
        else:
            value = _coerce(type(self).__name__, name, type(default), value)
        object.__setattr__(self, name, value)

    def _changed(self) -> dict:
        return {k: v for k, v in vars(self).items() if v != self._FIELDS[k]()}

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._changed().items())})"


def _coerce(message: str, field: str, kind: type, value: Any) -> Any:
    """Checks a scalar field's value as protobuf does (bool/int/float/str, no silent conversions)."""
    if kind is bool:
        if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
            return bool(value)
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif kind is str:
        if isinstance(value, str):
            return value
    raise TypeError(f"{message}.{field} must be {kind.__name__}, got {value!r} ({type(value).__name__})")


def _fields(**defaults: Callable[[], Any]) -> dict:
    return defaults


class GPUOptions(_Message):
    """``tf.GPUOptions``. ``allow_growth`` is how graphc always allocates (torch's caching allocator
    grows on demand); ``per_process_gpu_memory_fraction`` and ``visible_device_list`` are recorded
    (a Triton session uses the current CUDA device; ``CUDA_VISIBLE_DEVICES`` chooses it)."""

    _FIELDS = _fields(per_process_gpu_memory_fraction=float, allow_growth=bool, allocator_type=str,
                      deferred_deletion_bytes=int, visible_device_list=str, polling_active_delay_usecs=int,
                      polling_inactive_delay_msecs=int, force_gpu_compatible=bool)


class OptimizerOptions(_Message):
    """``tf.OptimizerOptions`` (recorded; graphc's compiler always folds, simplifies and fuses)."""

    L1, L0 = 0, -1                                  # opt_level
    DEFAULT, OFF, ON_1, ON_2 = 0, -1, 1, 2          # global_jit_level
    _FIELDS = _fields(do_common_subexpression_elimination=bool, do_constant_folding=bool,
                      max_folded_constant_in_bytes=int, do_function_inlining=bool, opt_level=int,
                      global_jit_level=int)


class GraphOptions(_Message):
    """``tf.GraphOptions`` (recorded)."""

    _FIELDS = _fields(enable_recv_scheduling=bool, optimizer_options=OptimizerOptions, build_cost_model=int,
                      build_cost_model_after=int, infer_shapes=bool, place_pruned_graph=bool,
                      enable_bfloat16_sendrecv=bool, timeline_step=int)


class ConfigProto(_Message):
    """``tf.ConfigProto`` for a Session.

    Honoured: ``intra_op_parallelism_threads`` (the compiled backend's thread count during this
    session's runs; 0 lets graphc choose), ``log_device_placement`` (each op's device is printed to
    stderr when a run first compiles it), ``device_count={'GPU': 0}`` (an "auto" session stays on
    the CPU). ``allow_soft_placement`` is how graphc always places
    (a requested device it lacks is accepted); ``inter_op_parallelism_threads`` is recorded (graphc
    runs one kernel at a time, each using the intra-op threads).
    """

    _FIELDS = _fields(device_count=dict, intra_op_parallelism_threads=int, inter_op_parallelism_threads=int,
                      use_per_session_threads=bool, placement_period=int, device_filters=list,
                      gpu_options=GPUOptions, allow_soft_placement=bool, log_device_placement=bool,
                      graph_options=GraphOptions, operation_timeout_in_ms=int, isolate_session_state=bool)


class RunOptions(_Message):
    """``tf.RunOptions`` for ``Session.run(options=...)``: with ``trace_level`` above NO_TRACE, the
    run's ``RunMetadata.step_stats`` gets the device and wall time of the run."""

    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = 0, 1, 2, 3
    _FIELDS = _fields(trace_level=int, timeout_in_ms=int, inter_op_thread_pool=int,
                      output_partition_graphs=bool, report_tensor_allocations_upon_oom=bool)


class NodeExecStats(_Message):
    """One timed step of a traced run (``node_name``, start and duration in microseconds)."""

    _FIELDS = _fields(node_name=str, all_start_micros=int, op_start_rel_micros=int, op_end_rel_micros=int,
                      all_end_rel_micros=int, timeline_label=str)


class DeviceStepStats(_Message):
    """The steps a traced run ran on one device."""

    _FIELDS = _fields(device=str, node_stats=list)


class StepStats(_Message):
    """``RunMetadata.step_stats``: one ``DeviceStepStats`` per device a traced run used."""

    _FIELDS = _fields(dev_stats=list)


class RunMetadata(_Message):
    """``tf.RunMetadata``, filled by a ``Session.run`` traced through ``RunOptions.trace_level``."""

    _FIELDS = _fields(step_stats=StepStats, partition_graphs=list)


def check_run_arguments(options: Any, run_metadata: Any) -> None:
    """``Session.run``'s ``options``/``run_metadata`` must be None or the TF1 message types."""
    if options is not None and not isinstance(options, RunOptions):
        raise TypeError(f"options must be a tf.RunOptions, got {type(options).__name__}")
    if run_metadata is not None and not isinstance(run_metadata, RunMetadata):
        raise TypeError(f"run_metadata must be a tf.RunMetadata, got {type(run_metadata).__name__}")
