"""``tf.py_func`` and ``tf.numpy_function``: a Python callable run as a step of the graph.

The callable is kept in a registry under a token (the op's ``token`` attr, as TF1's FuncRegistry
does), so graphs and GraphDefs hold only a string. The op is opaque: every backend runs it as a
host step, in plan order, with numpy arrays in and out. Its outputs have unknown shapes (set them
with ``set_shape``) and the dtypes of ``Tout``; a result of another dtype is an error, as TF1. Neither
form is folded or merged with an equal call (``stateful=False`` is recorded as TF1's
``PyFuncStateless`` op type). TF1 gives it no gradient; ``tf.RegisterGradient`` with
``Graph.gradient_override_map({"PyFunc": name})`` supplies one.
"""
from __future__ import annotations

import itertools
import threading
from typing import Any, Callable, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.ops.core import OpDef, _graph_of, convert_to_tensor, make_op, register
from graphc.shape import TensorShape

_FUNCS: dict = {}                 # token -> callable
_TOKENS = itertools.count()
_LOCK = threading.Lock()


def _infer(inputs, attrs):
    return [(dtypes.as_dtype(dt), TensorShape(None)) for dt in attrs["Tout"]]


def _as_result(value: Any, dtype: dtypes.DType, i: int, token: str) -> np.ndarray:
    arr = np.asarray(value.encode() if isinstance(value, str) else value)
    if dtype is dtypes.string:
        return arr.astype(object)
    if arr.dtype != dtype.np_type:
        raise ValueError(f"{i}-th value returned by {token} is {arr.dtype}, but expects {dtype.name}: return "
                         "arrays of the Tout dtypes (np.float32(...), arr.astype(np.float32)).")
    return arr


def _numpy(*args, token, Tout, single):
    func = _FUNCS[token]
    try:
        ret = func(*args)
    except StopIteration as e:
        raise errors.OutOfRangeError(None, None, f"{token} raised StopIteration: {e}") from None
    except (ValueError, TypeError, IndexError, ArithmeticError):
        raise                        # InvalidArgumentError naming the node (codegen/host.run_kernel)
    except errors.OpError:
        raise
    except Exception as e:           # noqa: BLE001 (any error of user code: TF1's UnknownError)
        raise errors.UnknownError(None, None, f"{token} raised {type(e).__name__}: {e}") from e
    if single:
        ret = (ret,)
    elif not isinstance(ret, (list, tuple)):
        ret = (ret,)
    if len(ret) != len(Tout):
        raise ValueError(f"{token} returned {len(ret)} values, but Tout lists {len(Tout)}")
    return tuple(_as_result(v, dtypes.as_dtype(dt), i, token) for i, (v, dt) in enumerate(zip(ret, Tout)))


for _type in ("PyFunc", "PyFuncStateless"):
    register(OpDef(_type, "opaque", infer=_infer, numpy=_numpy, differentiable=False, pure=False))


def py_func(func: Callable, inp: Any, Tout: Any, stateful: bool = True, name: Optional[str] = None) -> Any:
    """Runs ``func(*numpy values of inp)`` as an op; returns a tensor (``Tout`` a dtype) or a list of
    tensors (``Tout`` a list of dtypes), of unknown shape (TF1 ``tf.py_func``)."""
    if not callable(func):
        raise TypeError(f"py_func: func must be callable, got {func!r}")
    single = not isinstance(Tout, (list, tuple))
    outs = tuple(dtypes.as_dtype(t).name for t in ([Tout] if single else Tout))   # names: a GraphDef holds them
    inputs = list(inp) if isinstance(inp, (list, tuple)) else [inp]
    with _graph_of(inputs).as_default():
        tensors = [convert_to_tensor(x) for x in inputs]
        with _LOCK:
            token = f"pyfunc_{next(_TOKENS)}"
            _FUNCS[token] = func
        op_type = "PyFunc" if stateful else "PyFuncStateless"
        op = make_op(op_type, tensors, {"token": token, "Tout": outs, "single": single}, name or op_type)
    results: list = list(op.outputs)
    return results[0] if single else results


def numpy_function(func: Callable, inp: Any, Tout: Any, name: Optional[str] = None) -> Any:
    """``py_func`` with ``stateful=True`` (TF1.15 ``tf.numpy_function``)."""
    return py_func(func, inp, Tout, stateful=True, name=name)


__all__ = ["py_func", "numpy_function"]
