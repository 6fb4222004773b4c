"""``tf.Print``: an identity of its input that prints tensors each time it runs (TF1's debugging op), and
``Assert``: an identity of its input that first checks a condition (what an imported TensorFlow
``Assert`` becomes, on the input of each node that depends on it).

Both are host steps on every backend (never folded, merged or fused); an identity's output is data,
so no backend prunes the effect. Print writes to stderr as TF1 does: ``message`` then each of ``data``
as ``[v1 v2 v3...]`` (``summarize`` elements, default 3), for the first ``first_n`` runs of the op when
given. Assert raises InvalidArgumentError with TF1's text, ``assertion failed: `` then each of ``data``
formatted the same way, when its condition is false. Gradients pass through to the input.
"""
from __future__ import annotations

import itertools
import sys
import threading
from typing import Any, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.graph import Tensor
from graphc.ops.core import OpDef, _graph_of, apply, convert_to_tensor, register

_PRINTED: dict = {}              # token -> how many times the op printed
_TOKENS = itertools.count()
_LOCK = threading.Lock()


def _format(value: np.ndarray, summarize: int) -> str:
    flat = np.asarray(value).reshape(-1)
    shown = [_scalar_text(v) for v in flat[:summarize].tolist()]
    return "[" + " ".join(shown) + ("..." if flat.size > summarize else "") + "]"


def _scalar_text(v: Any) -> str:
    """One element as TF1 prints it: floats in 6 significant digits without a trailing .0."""
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _numpy(x, *data, token, message, first_n, summarize):
    with _LOCK:
        count = _PRINTED.get(token, 0)
        _PRINTED[token] = count + 1
    if first_n < 0 or count < first_n:
        print(message + "".join(_format(d, summarize) for d in data), file=sys.stderr, flush=True)
    return np.asarray(x)


register(OpDef("Print", "opaque", infer=lambda inputs, attrs: [(inputs[0].dtype, inputs[0].shape)], numpy=_numpy,
               grad=lambda op, g: [g] + [None] * (len(op.inputs) - 1), pure=False))


def Print(input_: Any, data: Any, message: Optional[str] = None, first_n: Optional[int] = None,
          summarize: Optional[int] = None, name: Optional[str] = None) -> Tensor:  # noqa: N802 (TF1's name)
    """``input_`` unchanged; each run prints ``message`` and the tensors of ``data`` to stderr (TF1 ``tf.Print``)."""
    data = list(data) if isinstance(data, (list, tuple)) else [data]
    with _graph_of([input_] + data).as_default():
        with _LOCK:
            token = f"print_{next(_TOKENS)}"
        attrs = {"token": token, "message": message or "", "first_n": -1 if first_n is None else int(first_n),
                 "summarize": 3 if summarize is None else int(summarize)}
        return apply("Print", [convert_to_tensor(input_, name="input")] + [convert_to_tensor(d) for d in data],
                     attrs, name or "Print")


def _assert_infer(inputs, attrs) -> list:
    x, condition = inputs[:2]
    if condition.dtype is not dtypes.bool_ or condition.shape.ndims not in (None, 0):
        raise ValueError(f"Assert's condition {condition.name} must be a scalar bool tensor, got "
                         f"{condition.dtype.name} of shape {condition.shape}")
    return [(x.dtype, x.shape)]


def _assert_numpy(x, condition, *data, summarize):
    if not bool(np.asarray(condition)):
        raise errors.InvalidArgumentError(None, None, "assertion failed: " + " ".join(
            _format(d, summarize) for d in data))
    return np.asarray(x)


register(OpDef("Assert", "opaque", infer=_assert_infer, numpy=_assert_numpy,
               grad=lambda op, g: [g] + [None] * (len(op.inputs) - 1), pure=False))


def checked(x: Tensor, condition: Tensor, data: list, summarize: int = 3, name: str = "Assert") -> Tensor:
    """``x``, once ``condition`` holds (else InvalidArgumentError ``assertion failed: [data...]``)."""
    return apply("Assert", [x, condition] + list(data), {"summarize": int(summarize)}, name)


__all__ = ["Print"]
