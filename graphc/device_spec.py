"""Device strings: TF1's ``DeviceSpec`` parsing and merging, and what ``tf.device`` records on ops.

graphc runs a whole ``Session.run`` on one backend, so a requested device is a record (``op.device``,
the placement log) and a hint, never a constraint: a device this machine lacks is accepted the
way TF1's ``allow_soft_placement`` accepts it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Optional, Union

_HOST_TYPES = ("CPU", "GPU")


@dataclass(frozen=True)
class DeviceSpec:
    """A (partial) device: ``/job:<job>/replica:<n>/task:<n>/device:<TYPE>:<index>`` (TF1 ``tf.DeviceSpec``).

    Every field may be None (unspecified); ``device_index`` None prints as ``*``.
    """

    job: Optional[str] = None
    replica: Optional[int] = None
    task: Optional[int] = None
    device_type: Optional[str] = None
    device_index: Optional[int] = None

    @classmethod
    def from_string(cls, spec: str) -> "DeviceSpec":
        """Parses ``spec`` with TF1's rules: ``/cpu:0``, ``gpu``, ``/device:GPU:1``, ``/job:ps/task:0``
        (parts in any order, a later job/replica/task wins, one device type at most)."""
        fields: dict = {}
        for part in (spec or "").split("/"):
            if not part:
                continue
            bits = part.split(":")
            key = bits[0]
            if len(bits) == 2 and key == "job":
                fields["job"] = bits[1]
            elif len(bits) == 2 and key in ("replica", "task"):
                fields[key] = int(bits[1])
            elif len(bits) in (1, 2) and key.upper() in _HOST_TYPES:
                _set_device(fields, spec, key.upper(), bits[1] if len(bits) == 2 else "*")
            elif len(bits) == 3 and key == "device":
                dtype = bits[1].upper() if bits[1].upper() in _HOST_TYPES else bits[1]
                _set_device(fields, spec, dtype, bits[2])
            else:
                raise ValueError(f"Unknown attribute '{key}' is encountered while parsing the device spec: '{spec}'.")
        return cls(**fields)

    def to_string(self) -> str:
        """The canonical form, e.g. ``/job:worker/task:1/device:GPU:0`` (unset fields left out)."""
        out = ""
        if self.job is not None:
            out += f"/job:{self.job}"
        if self.replica is not None:
            out += f"/replica:{self.replica}"
        if self.task is not None:
            out += f"/task:{self.task}"
        if self.device_type is not None or self.device_index is not None:
            index = "*" if self.device_index is None else self.device_index
            out += f"/device:{self.device_type or '*'}:{index}"
        return out

    def make_merged_spec(self, dev: "DeviceSpec") -> "DeviceSpec":
        """This spec with every field that ``dev`` sets taken from ``dev``."""
        return replace(self, **{k: v for k, v in vars(dev).items() if v is not None})

    def replace(self, **kwargs: Any) -> "DeviceSpec":
        """A copy with the given fields changed."""
        return replace(self, **kwargs)

    def __str__(self) -> str:
        return self.to_string()


def _set_device(fields: dict, spec: str, device_type: str, index: str) -> None:
    if "device_type" in fields:
        raise ValueError(f"Multiple device types are not allowed while parsing the device spec: {spec}.")
    fields["device_type"] = device_type
    if index != "*":
        fields["device_index"] = int(index)


DeviceRequest = Union[None, str, DeviceSpec, Callable[[Any], Any]]


@dataclass(frozen=True)
class DeviceFrame:
    """One ``tf.device(...)`` on a graph's device stack: a spec to merge, a function of the op, or a
    reset (``tf.device(None)``: outer frames do not apply)."""

    spec: Optional[DeviceSpec] = None
    function: Optional[Callable[[Any], Any]] = None
    reset: bool = False


def frame_for(request: DeviceRequest) -> DeviceFrame:
    """Validates a ``tf.device`` argument (a bad string raises ValueError right away, as in TF1)."""
    if request is None:
        return DeviceFrame(reset=True)
    if isinstance(request, DeviceSpec):
        return DeviceFrame(spec=request)
    if isinstance(request, str):
        return DeviceFrame(spec=DeviceSpec.from_string(request))
    if callable(request):
        return DeviceFrame(function=request)
    raise TypeError(f"tf.device takes a device string, a DeviceSpec, a function of an op or None, "
                    f"got {type(request).__name__}")


def resolve(frames: list, op: Any) -> str:
    """The device string ``op`` records under the device stack ``frames`` (outermost first).

    Innermost first, as TF1: a spec fills only the fields the op's device does not set yet, a
    function's result replaces it verbatim, a reset stops the walk.
    """
    current = ""
    for frame in reversed(frames):
        if frame.reset:
            break
        if frame.function is not None:
            result = frame.function(op)
            current = result.to_string() if isinstance(result, DeviceSpec) else (result or "")
        elif frame.spec != DeviceSpec():
            current = frame.spec.make_merged_spec(DeviceSpec.from_string(current)).to_string()
    return current


LOCAL_CPU = "/job:localhost/replica:0/task:0/device:CPU:0"


def local_gpu(index: int) -> str:
    """The full name of this process's GPU ``index``, as TF1's placement log prints it."""
    return f"/job:localhost/replica:0/task:0/device:GPU:{index}"

