"""Numerical gradient checks (``graphc.testing.check_gradients``), like TF1's ``tf.test.compute_gradient_error``.

The symbolic Jacobian comes from ``tf.gradients`` with a one-hot ``grad_ys`` per output element;
the numeric Jacobian from central differences. Use float64 graphs and inputs away from kinks.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional, Sequence

import numpy as np

from graphc.graph import Tensor
from graphc.ops.source import placeholder


@dataclasses.dataclass
class GradientCheck:
    """The comparison for one x: max absolute and relative error, and both Jacobians (ny x nx)."""

    x: str
    max_abs_error: float
    max_rel_error: float
    symbolic: np.ndarray
    numeric: np.ndarray

    def ok(self, atol: float = 1e-6, rtol: float = 1e-5) -> bool:
        return bool(np.all(np.abs(self.symbolic - self.numeric) <= atol + rtol * np.abs(self.numeric)))


def check_gradients(y: Any, xs: Sequence[Any], x_values: Sequence[Any], feed_dict: Optional[dict] = None,
                    delta: float = 1e-6, session: Any = None) -> list:
    """Compares d``y``/d``x`` for each x in ``xs`` (tensors to feed) at ``x_values``.

    Returns one ``GradientCheck`` per x. ``feed_dict`` feeds any other placeholders;
    ``session`` (default: a new eager Session on y's graph) holds initialized variables, if any.
    """
    from graphc.gradients import gradients
    from graphc.runtime.session import Session

    y = y._graph_tensor() if hasattr(y, "_graph_tensor") else y
    xs = [x._graph_tensor() if hasattr(x, "_graph_tensor") else x for x in xs]
    x_values = [np.asarray(v, dtype=x.dtype.np_type) for x, v in zip(xs, x_values)]
    graph = y.graph
    with graph.as_default():
        gy = placeholder(y.dtype, y.shape, name="check_gradients_gy")
        sym = gradients(y, xs, grad_ys=gy, unconnected_gradients="zero")
    sess = session or Session(graph=graph, backend="eager")
    base = dict(feed_dict or {})
    base.update(zip(xs, x_values))
    y0 = np.asarray(sess.run(y, base))
    ny = y0.size
    results = []
    sym_jac = [np.zeros((ny, v.size)) for v in x_values]
    for j in range(ny):
        onehot = np.zeros(ny, dtype=y.dtype.np_type)
        onehot[j] = 1
        feeds = dict(base)
        feeds[gy] = onehot.reshape(y0.shape)
        rows = sess.run(sym, feeds)
        for k, r in enumerate(rows):
            sym_jac[k][j] = np.asarray(r, dtype=np.float64).reshape(-1)
    for k, (x, v) in enumerate(zip(xs, x_values)):
        num = np.zeros((ny, v.size))
        flat = v.reshape(-1)
        for i in range(v.size):
            plus, minus = flat.copy(), flat.copy()
            plus[i] += delta
            minus[i] -= delta
            feeds = dict(base)
            feeds[x] = plus.reshape(v.shape)
            yp = np.asarray(sess.run(y, feeds), dtype=np.float64).reshape(-1)
            feeds[x] = minus.reshape(v.shape)
            ym = np.asarray(sess.run(y, feeds), dtype=np.float64).reshape(-1)
            num[:, i] = (yp - ym) / (2 * delta)
        diff = np.abs(sym_jac[k] - num)
        max_abs = float(diff.max()) if diff.size else 0.0
        max_rel = float((diff / np.maximum(np.abs(num), 1e-8)).max()) if diff.size else 0.0
        results.append(GradientCheck(x.name, max_abs, max_rel, sym_jac[k], num))
    return results


def assert_gradients_close(y: Any, xs: Sequence[Any], x_values: Sequence[Any], atol: float = 1e-6,
                           rtol: float = 1e-5, **kwargs: Any) -> list:
    """``check_gradients`` that raises AssertionError (with both Jacobians) when any x is off."""
    results = check_gradients(y, xs, x_values, **kwargs)
    for r in results:
        if not r.ok(atol, rtol):
            raise AssertionError(f"Gradient of {getattr(y, 'name', y)} w.r.t. {r.x} is off: max abs error "
                                 f"{r.max_abs_error:.3g}, max rel error {r.max_rel_error:.3g}\n"
                                 f"symbolic:\n{r.symbolic}\nnumeric:\n{r.numeric}")
    return results


def compute_gradient_error(x: Tensor, x_value: Any, y: Tensor, feed_dict: Optional[dict] = None,
                           delta: float = 1e-6) -> float:
    """The maximum absolute difference between the symbolic and numeric Jacobians (TF1-style)."""
    return check_gradients(y, [x], [x_value], feed_dict=feed_dict, delta=delta)[0].max_abs_error


__all__ = ["GradientCheck", "check_gradients", "assert_gradients_close", "compute_gradient_error"]
