"""Device arrays for the Triton backend, behind one small interface (``ArrayLayer``).

A kernel launch needs objects with ``data_ptr()`` and ``dtype``; the executable also needs to
allocate, reshape and move arrays between host and device. Each ``ArrayLayer`` provides exactly
that:

- ``HostArrays``: numpy arrays in host memory, for ``TRITON_INTERPRET=1`` (Triton's CPU
  interpreter). Kernels receive ``NumpyTensor`` adapters, which expose the handful of
  torch-tensor methods the interpreter touches and wrap the array without copying.
- ``TorchArrays``: torch tensors on a device (``"cuda"`` on a GPU). torch is imported lazily and
  is never a dependency of graphc: this layer is chosen only when torch is importable.

``default_layer()`` picks one: the host layer under the interpreter, else torch on CUDA. Another
array library (cupy, ...) plugs in as another ``ArrayLayer`` subclass.
"""
from __future__ import annotations

import importlib.util
import os
from typing import Any, Sequence

import numpy as np

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

class ArrayLayer:
    """Where kernel operands live. ``Array`` below is the layer's array type (np.ndarray, torch.Tensor)."""

    name = "abstract"
    on_host = False        # arrays are numpy arrays (no transfers needed)

    def empty(self, shape: tuple, dtype: np.dtype) -> Any:
        raise TypeError(f"{type(self).__name__} does not allocate arrays")

    def from_host(self, array: np.ndarray) -> Any:
        """A C-contiguous device array holding ``array`` (may share memory on the host layer)."""
        raise TypeError(f"{type(self).__name__} does not upload arrays")

    def to_host(self, array: Any) -> np.ndarray:
        raise TypeError(f"{type(self).__name__} does not download arrays")

    def kernel_arg(self, array: Any) -> Any:
        """What a Triton launch receives for ``array``."""
        return array

    @staticmethod
    def reshape(array: Any, shape: tuple) -> Any:
        return array.reshape(shape)

    @staticmethod
    def flat(array: Any, n: int, shape: tuple) -> Any:
        """The first ``n`` elements of a flat pooled array, viewed with ``shape``."""
        return array[:n].reshape(shape)


class HostArrays(ArrayLayer):
    """numpy arrays in host memory, for Triton's CPU interpreter."""

    name = "host (numpy; Triton interpreter)"
    on_host = True

    def empty(self, shape: tuple, dtype: np.dtype) -> np.ndarray:
        return np.empty(shape, dtype=dtype)

    def from_host(self, array: np.ndarray) -> np.ndarray:
        array = np.asarray(array)
        return array if array.flags.c_contiguous else np.array(array, order="C")

    def to_host(self, array: np.ndarray) -> np.ndarray:
        return array

    def kernel_arg(self, array: np.ndarray) -> NumpyTensor:
        return NumpyTensor(array)


class TorchArrays(ArrayLayer):
    """torch tensors on ``device`` (torch imported on first use; never a graphc dependency)."""

    def __init__(self, device: str = "cuda") -> None:
        import torch

        self.torch = torch
        self.device = torch.device(device)
        self.name = f"torch on {self.device}"

    def _dtype(self, dtype: np.dtype):
        return getattr(self.torch, "bool" if np.dtype(dtype) == np.bool_ else np.dtype(dtype).name)

    def empty(self, shape: tuple, dtype: np.dtype):
        return self.torch.empty(tuple(shape), dtype=self._dtype(dtype), device=self.device)

    def from_host(self, array: np.ndarray):
        host = np.ascontiguousarray(array)
        return self.torch.from_numpy(host).to(self.device).contiguous()

    def to_host(self, array) -> np.ndarray:
        host = array.detach().cpu().numpy()
        # on a CPU device .cpu() is the same memory (a pooled buffer): hand out a copy
        return host.copy() if array.device.type == "cpu" else host


def default_layer() -> ArrayLayer:
    """The host layer under ``TRITON_INTERPRET=1``, else torch tensors on the current CUDA device."""
    if interpreting():
        return HostArrays()
    if not gpu_array_library_available():
        raise RuntimeError("graphc's Triton backend on a GPU keeps arrays in device memory through torch, "
                           "which is not installed; install torch, or set TRITON_INTERPRET=1 to run the "
                           "kernels with Triton's CPU interpreter")
    return TorchArrays("cuda")
