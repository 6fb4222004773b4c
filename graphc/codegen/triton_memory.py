"""Device arrays for the Triton backend, behind one small interface (``ArrayLayer``).

A kernel launch needs objects with ``data_ptr()`` and ``dtype``; the executable also needs to
allocate, reshape and move arrays between host and device. Each ``ArrayLayer`` provides exactly
that:

- ``HostArrays``: numpy arrays in host memory, for ``TRITON_INTERPRET=1`` (Triton's CPU
  interpreter). Kernels receive ``NumpyTensor`` adapters, which expose the handful of
  torch-tensor methods the interpreter touches and wrap the array without copying.
- ``TorchArrays``: torch tensors on a device (``"cuda"`` on a GPU). torch is imported lazily and
  is never a dependency of graphc: this layer is chosen only when the Triton backend runs.
- ``SimulatedDeviceArrays``: host memory behind opaque handles, so CPU tests under the
  interpreter see every host/device crossing a GPU run would make.

A Triton session keeps its variables in its layer's arrays for its whole life: only feeds go
up and fetches come down (``TRANSFERS`` counts both). ``default_layer()`` picks the layer: torch
on CUDA on a GPU, the host layer (or ``GRAPHC_TRITON_ARRAYS``) under the interpreter. Another
array library (cupy, ...) plugs in as another ``ArrayLayer`` subclass.
"""
from __future__ import annotations

import importlib.util
import os
from typing import Any, Optional, Sequence

import numpy as np

from graphc import switches

_TRUE = {"1", "true", "on", "yes"}


def interpreting() -> bool:
    """True when ``TRITON_INTERPRET`` asks Triton to run kernels with its CPU interpreter."""
    return os.environ.get("TRITON_INTERPRET", "").strip().lower() in _TRUE


def cuda_device_active() -> bool:
    """True when Triton's NVIDIA driver sees a usable CUDA device (``CUDA_VISIBLE_DEVICES=''`` hides it)."""
    try:
        from triton.backends import backends
    except ImportError:
        return False
    nvidia = backends.get("nvidia")
    try:
        return bool(nvidia is not None and nvidia.driver.is_active())
    except Exception:   # a broken driver install means "no usable GPU", whatever it raises
        return False


def gpu_array_library_available() -> bool:
    """True when an array library for device memory (torch) can be imported."""
    return importlib.util.find_spec("torch") is not None


# ------------------------------------------------------------------------------------------------
# the numpy adapter for the interpreter

class HostStorage:
    """The storage behind a ``NumpyTensor``: its memory as a flat byte array (the interpreter
    groups arguments by storage and copies storages back after a launch)."""

    __slots__ = ("bytes",)

    def __init__(self, array: np.ndarray) -> None:
        self.bytes = array.reshape(-1).view(np.uint8)

    def data_ptr(self) -> int:
        return self.bytes.__array_interface__["data"][0]

    def cpu(self) -> "HostStorage":
        return self          # already host memory: the interpreter works on it directly

    def copy_(self, other: "HostStorage") -> "HostStorage":
        if other.data_ptr() != self.data_ptr():
            n = min(self.bytes.size, other.bytes.size)
            self.bytes[:n] = other.bytes[:n]
        return self


class NumpyTensor:
    """A C-contiguous numpy array seen by Triton's interpreter as a CPU tensor (no copy).

    Triton 3.x's interpreter rejects raw numpy arrays (triton-lang/triton#5484); it calls
    ``data_ptr``, ``dtype``, ``untyped_storage``, ``new_empty``, ``set_``, ``storage_offset``,
    ``size``, ``stride`` and ``copy_`` (on the storage), which is all this class provides.
    """

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        if not array.flags.c_contiguous:
            raise ValueError(f"NumpyTensor wraps C-contiguous arrays only (got strides {array.strides} "
                             f"for shape {array.shape}); pass np.ascontiguousarray(x)")
        self.array = array

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype          # str() gives "float32", which Triton canonicalizes

    def data_ptr(self) -> int:
        return self.array.__array_interface__["data"][0]

    def untyped_storage(self) -> HostStorage:
        return HostStorage(self.array)

    def storage_offset(self) -> int:
        return 0

    def size(self) -> tuple:
        return self.array.shape

    def stride(self) -> tuple:
        return tuple(s // self.array.itemsize for s in self.array.strides)

    def new_empty(self, *shape: Any, **kwargs: Any) -> "NumpyTensor":
        dims = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return NumpyTensor(np.empty(tuple(dims), dtype=self.array.dtype))

    def set_(self, storage: HostStorage, offset: int, size: Sequence[int], stride: Sequence[int]) -> "NumpyTensor":
        """Becomes a view of ``storage`` (offset, size and stride in elements)."""
        item = self.array.itemsize
        flat = storage.bytes[offset * item:]
        flat = flat[:flat.size - flat.size % item].view(self.array.dtype)
        self.array = np.lib.stride_tricks.as_strided(flat, tuple(size), tuple(s * item for s in stride))
        return self

    def copy_(self, other: "NumpyTensor") -> "NumpyTensor":
        np.copyto(self.array, other.array)
        return self

    def numel(self) -> int:
        return self.array.size

    def __repr__(self) -> str:
        return f"NumpyTensor({self.array.dtype}{list(self.array.shape)} at {self.data_ptr():#x})"


# ------------------------------------------------------------------------------------------------
# array layers

TRANSFERS = {"uploads": 0, "upload_bytes": 0, "downloads": 0, "download_bytes": 0, "device_copies": 0}

# DLPack device types (dlpack.h: kDLCPU, kDLCUDA)
DLPACK_DEVICE = {"cpu": 1, "cuda": 2}


class ArrayLayer:
    """Where kernel operands live, and the only place data crosses between host and device.

    ``from_host``/``to_host`` count every transfer in ``TRANSFERS`` (for layers that are not the
    host itself), so tests and ``graphc.runtime.stats()`` can show that variables stay resident.
    """

    name = "abstract"
    on_host = False        # arrays are numpy arrays (no transfers needed)

    def empty(self, shape: tuple, dtype: np.dtype) -> Any:
        raise TypeError(f"{type(self).__name__} does not allocate arrays")

    def from_host(self, array: np.ndarray) -> Any:
        """A C-contiguous device array holding ``array``. It may share memory with ``array`` where
        the device is the host (HostArrays, TorchArrays on the CPU): callers that keep the result
        copy first."""
        array = np.asarray(array)
        if not self.on_host:
            TRANSFERS["uploads"] += 1
            TRANSFERS["upload_bytes"] += array.nbytes
        return self._upload(array)

    def to_host(self, array: Any) -> np.ndarray:
        """A host copy of device array ``array`` (the array itself on the host layer)."""
        if not self.on_host:
            TRANSFERS["downloads"] += 1
            TRANSFERS["download_bytes"] += self.nbytes(array)
        return self._download(array)

    def copy(self, array: Any) -> Any:
        """A new device array with ``array``'s contents (a device-to-device copy)."""
        if not self.on_host:
            TRANSFERS["device_copies"] += 1
        return self._copy(array)

    def owns(self, array: Any, dtype: np.dtype) -> bool:
        """True when ``array`` is a C-contiguous array of this layer's device with exactly ``dtype``."""
        return False

    def adopt(self, value: Any, dtype: np.dtype) -> Optional[Any]:
        """A device array for a feed that already lives on this layer's device (a torch/CuPy/JAX
        array, through DLPack), cast to ``dtype`` on the device; None when ``value`` is not one
        (the caller converts it on the host as usual)."""
        return None

    def kernel_arg(self, array: Any) -> Any:
        """What a Triton launch receives for ``array``."""
        return array

    def synchronize(self) -> None:
        """Waits until every kernel launched on this layer's device has finished (for timing)."""

    @staticmethod
    def nbytes(array: Any) -> int:
        return int(array.nbytes)

    @staticmethod
    def reshape(array: Any, shape: tuple) -> Any:
        return array.reshape(shape)

    @staticmethod
    def flat(array: Any, n: int, shape: tuple) -> Any:
        """The first ``n`` elements of a flat pooled array, viewed with ``shape``."""
        return array[:n].reshape(shape)

    def _upload(self, array: np.ndarray) -> Any:
        raise TypeError(f"{type(self).__name__} does not upload arrays")

    def _download(self, array: Any) -> np.ndarray:
        raise TypeError(f"{type(self).__name__} does not download arrays")

    def _copy(self, array: Any) -> Any:
        raise TypeError(f"{type(self).__name__} does not copy arrays")


class HostArrays(ArrayLayer):
    """numpy arrays in host memory, for Triton's CPU interpreter."""

    name = "host (numpy; Triton interpreter)"
    on_host = True

    def empty(self, shape: tuple, dtype: np.dtype) -> np.ndarray:
        return np.empty(shape, dtype=dtype)

    def owns(self, array: Any, dtype: np.dtype) -> bool:
        return type(array) is np.ndarray and array.dtype == dtype and array.flags.c_contiguous \
            and array.flags.writeable

    def kernel_arg(self, array: np.ndarray) -> NumpyTensor:
        return NumpyTensor(array)

    def _upload(self, array: np.ndarray) -> np.ndarray:
        return array if array.flags.c_contiguous else np.array(array, order="C")

    def _download(self, array: np.ndarray) -> np.ndarray:
        return array

    def _copy(self, array: np.ndarray) -> np.ndarray:
        return np.array(array, copy=True, order="C")


class DeviceBuffer:
    """A simulated device array: host memory that only ``SimulatedDeviceArrays`` can read or write.

    It has a shape and a dtype but no ``__array__``: driver code that treats it as a numpy array
    fails loudly, which is the point (it stands in for GPU memory in CPU tests).
    """

    __slots__ = ("data",)

    def __init__(self, data: np.ndarray) -> None:
        self.data = data

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def nbytes(self) -> int:
        return self.data.nbytes

    def reshape(self, shape: tuple) -> "DeviceBuffer":
        return DeviceBuffer(self.data.reshape(shape))

    def __getitem__(self, index: Any) -> "DeviceBuffer":
        return DeviceBuffer(self.data[index])

    def __repr__(self) -> str:
        return f"DeviceBuffer({self.data.dtype}{list(self.data.shape)})"


class SimulatedDeviceArrays(ArrayLayer):
    """A stand-in for GPU memory under ``TRITON_INTERPRET=1``: arrays are ``DeviceBuffer`` handles,
    so every host/device crossing goes through ``from_host``/``to_host`` and is counted exactly
    as it would be on a GPU (``GRAPHC_TRITON_ARRAYS=simulated``)."""

    name = "simulated device (host memory behind device handles; Triton interpreter)"

    def empty(self, shape: tuple, dtype: np.dtype) -> DeviceBuffer:
        return DeviceBuffer(np.empty(shape, dtype=dtype))

    def owns(self, array: Any, dtype: np.dtype) -> bool:
        return type(array) is DeviceBuffer and array.data.dtype == dtype and array.data.flags.c_contiguous

    def adopt(self, value: Any, dtype: np.dtype) -> Optional[DeviceBuffer]:
        if type(value) is not DeviceBuffer:
            return None
        if value.data.dtype == dtype and value.data.flags.c_contiguous:
            return value
        TRANSFERS["device_copies"] += 1      # a cast or a strided view: made contiguous on the device
        return DeviceBuffer(np.array(value.data, dtype=dtype, order="C"))

    def kernel_arg(self, array: DeviceBuffer) -> NumpyTensor:
        return NumpyTensor(array.data)

    def _upload(self, array: np.ndarray) -> DeviceBuffer:
        return DeviceBuffer(np.array(array, copy=True, order="C"))

    def _download(self, array: DeviceBuffer) -> np.ndarray:
        return np.array(array.data, copy=True)

    def _copy(self, array: DeviceBuffer) -> DeviceBuffer:
        return DeviceBuffer(np.array(array.data, copy=True, order="C"))


class TorchArrays(ArrayLayer):
    """torch tensors on ``device`` (torch imported on first use; never a graphc dependency).

    torch is the array library because Triton's own launcher and tooling are built around torch
    tensors, it speaks DLPack (CuPy and JAX arrays come in without a copy) and its caching
    allocator makes per-run temporaries cheap.
    """

    def __init__(self, device: str = "cuda") -> None:
        import torch

        self.torch = torch
        self.device = torch.device(device)
        if self.device.type == "cuda" and self.device.index is None:
            self.device = torch.device("cuda", torch.cuda.current_device())
        self.name = f"torch on {self.device}"

    def _dtype(self, dtype: np.dtype):
        return getattr(self.torch, "bool" if np.dtype(dtype) == np.bool_ else np.dtype(dtype).name)

    def empty(self, shape: tuple, dtype: np.dtype):
        return self.torch.empty(tuple(shape), dtype=self._dtype(dtype), device=self.device)

    def owns(self, array: Any, dtype: np.dtype) -> bool:
        return isinstance(array, self.torch.Tensor) and array.device == self.device \
            and array.dtype == self._dtype(dtype) and array.is_contiguous()

    def adopt(self, value: Any, dtype: np.dtype) -> Optional[Any]:
        torch = self.torch
        if isinstance(value, torch.Tensor):
            tensor = value
        elif hasattr(value, "__dlpack__") and hasattr(value, "__dlpack_device__") \
                and not isinstance(value, np.ndarray):
            kind, index = value.__dlpack_device__()
            if int(kind) != DLPACK_DEVICE.get(self.device.type) or (
                    self.device.index is not None and int(index) != self.device.index):
                return None
            tensor = torch.from_dlpack(value)
        else:
            return None
        if tensor.device != self.device:
            return None
        tensor = tensor.detach()
        if tensor.dtype != self._dtype(dtype):
            tensor = tensor.to(self._dtype(dtype))
        return tensor.contiguous()

    def _upload(self, array: np.ndarray):
        host = array if array.flags.c_contiguous else np.array(array, order="C")
        if not host.flags.writeable:
            host = host.copy()       # torch.from_numpy warns on read-only arrays
        return self.torch.from_numpy(host).to(self.device).contiguous()

    def _download(self, array) -> np.ndarray:
        host = array.detach().cpu().numpy()
        # on a CPU device .cpu() is the same memory (a pooled buffer): hand out a copy
        return host.copy() if array.device.type == "cpu" else host

    def _copy(self, array):
        return array.clone(memory_format=self.torch.contiguous_format)

    def synchronize(self) -> None:
        if self.device.type == "cuda":
            self.torch.cuda.synchronize(self.device)

    @staticmethod
    def nbytes(array: Any) -> int:
        return array.numel() * array.element_size()


ARRAY_LAYERS = {"host": HostArrays, "simulated": SimulatedDeviceArrays, "torch": lambda: TorchArrays("cpu")}


def default_layer() -> ArrayLayer:
    """Where a Triton session keeps its arrays.

    On a GPU: torch tensors on the current CUDA device. Under ``TRITON_INTERPRET=1``: numpy
    arrays, or what ``GRAPHC_TRITON_ARRAYS`` names (``host``, ``simulated``: device handles that
    make every transfer explicit, ``torch``: torch CPU tensors) to test the device code paths.
    """
    if interpreting():
        choice = (switches.TRITON_ARRAYS.get() or "host").strip().lower() or "host"
        if choice not in ARRAY_LAYERS:
            raise ValueError(f"GRAPHC_TRITON_ARRAYS={choice!r} is not one of {', '.join(ARRAY_LAYERS)}")
        return ARRAY_LAYERS[choice]()
    if not gpu_array_library_available():
        raise RuntimeError("graphc's Triton backend on a GPU keeps arrays in device memory through torch, "
                           "which is not installed; install torch, or set TRITON_INTERPRET=1 to run the "
                           "kernels with Triton's CPU interpreter")
    return TorchArrays("cuda")
