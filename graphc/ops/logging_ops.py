"""``tf.Print``: an identity of its input that prints tensors each time it runs (TF1's debugging op).

It is a host step on every backend (never folded, merged or fused), printing to stderr as TF1 does:
``message`` then each of ``data`` as ``[v1 v2 v3...]`` (``summarize`` elements, default 3), for the
first ``first_n`` runs of the op when given. Its gradient passes through to ``input_``.
"""
from __future__ import annotations

import itertools
import sys
import threading
from typing import Any, Optional

import numpy as np

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


__all__ = ["Print"]
