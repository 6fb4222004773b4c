"""``tf.cond`` and ``tf.case``: an ``If`` region op per branch point (only the taken branch runs)."""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.control_flow import nest
from graphc.control_flow.region_ops import build_if
from graphc.graph import Operation, Tensor, name_scope
from graphc.ops import gather, join_split
from graphc.ops.core import OpDef, _graph_tensor_or_none, convert_to_tensor, make_op, register

_UNSET = object()


def _as_pred(pred: Any) -> Tensor:
    if isinstance(pred, bool):
        raise TypeError("'pred' must not be a Python bool.")
    pred = convert_to_tensor(pred)
    if pred.dtype is not dtypes.bool_:
        raise TypeError(f"Input 'pred' of cond has type {pred.dtype.name} that does not match expected type of "
                        f"bool ({pred.name}); compare it (tf.greater, tf.equal, ...) or tf.cast it to bool.")
    if pred.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {pred.shape.ndims} for the predicate of cond "
                         f"({pred.name} has shape {pred.shape}).")
    return pred


def _leaf_tensors(structure: Any, where: str) -> list:
    flat = nest.flatten(structure)
    for v in flat:
        if v is None or isinstance(v, Operation):
            raise ValueError(f"{where} returned {v!r}: each branch of tf.cond must return tensors (or values "
                             "convertible to tensors); use tf.control_dependencies to run an op.")
    return flat


def cond(pred: Any, true_fn: Optional[Callable] = None, false_fn: Optional[Callable] = None, strict: bool = False,
         name: Optional[str] = None, fn1: Optional[Callable] = None, fn2: Optional[Callable] = None) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()`` (TF1 ``tf.cond``): both branches are built once as
    subgraphs, only the taken one runs. The branches must return the same structure of tensors with
    the same dtypes; a one-element list is returned as its element unless ``strict=True``."""
    true_fn = true_fn if true_fn is not None else fn1
    false_fn = false_fn if false_fn is not None else fn2
    if true_fn is None:
        raise TypeError("cond(): true_fn argument required")
    if false_fn is None:
        raise TypeError("cond(): false_fn argument required")
    if not callable(true_fn):
        raise TypeError("'true_fn' must be callable.")
    if not callable(false_fn):
        raise TypeError("'false_fn' must be callable.")
    pred = _as_pred(pred)
    structures: dict = {}

    def branch(fn: Callable, label: str) -> Callable[[], list]:
        def build() -> list:
            result = fn()
            if result is None:
                raise ValueError(f"'{label}' must have a return value.")
            structures[label] = result
            return _leaf_tensors(result, label)
        return build

    def check(then_out: list, else_out: list) -> None:
        nest.assert_same_structure(structures["true_fn"], structures["false_fn"])
        for a, b in zip(then_out, else_out):
            if a.dtype is not b.dtype:
                raise ValueError(f"Outputs of 'true_fn' and 'false_fn' must have the same type(s). Received "
                                 f"{a.dtype.name} from 'true_fn' and {b.dtype.name} from 'false_fn'.")
    op = build_if(pred, branch(true_fn, "true_fn"), branch(false_fn, "false_fn"), name=name or "cond", check=check)
    structure = structures["true_fn"]
    p = len(nest.flatten(structure))
    result = nest.pack_sequence_as(structure, op.outputs[:p])
    if not strict and isinstance(result, (list, tuple)) and not nest._is_namedtuple(result) and len(result) == 1:
        return result[0]
    return result


def case(pred_fn_pairs: Any, default: Optional[Callable] = None, exclusive: bool = False, strict: bool = False,
         name: str = "case") -> Any:
    """The function of the first true predicate, else ``default`` (TF1 ``tf.case``), as nested conds.

    ``pred_fn_pairs``: a list of ``(pred, fn)`` pairs or a dict ``{pred: fn}``. Without a default
    the last pair's function is the default, and a run where no predicate holds fails
    (InvalidArgumentError); ``exclusive=True`` fails a run where more than one holds.
    """
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else pred_fn_pairs
    if not isinstance(pairs, (list, tuple)):
        raise TypeError("fns must be a list, tuple, or dict")
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in 'pred_fn_pairs' must be a 2-tuple. Received {pair!r}.")
        pred, fn = pair
        if _graph_tensor_or_none(pred) is None or pred.dtype is not dtypes.bool_:
            raise TypeError(f"pred must be Tensor of type bool: {getattr(pred, 'name', pred)}")
        if not callable(fn):
            raise TypeError(f"fn for pred {pred.name} must be callable.")
    if not pairs:
        if default is None:
            raise ValueError("tf.case needs pred_fn_pairs or a default")
        return default()
    with name_scope(name):
        preds = [p for p, _ in pairs]
        if exclusive or default is None:   # TF1's run-time assertions, as a data dependency of the conds
            checked = make_op("CaseGuard", [join_split.stack(preds, name="preds_c")],
                              {"exclusive": bool(exclusive), "need_one": default is None,
                               "names": tuple(p.name for p in preds)}).outputs[0]
            preds = [gather.gather(checked, i) for i in range(len(preds))]
        actions = [fn for _, fn in pairs]
        if default is None:
            preds, default = preds[:-1], actions.pop()
        fn = default
        for pred, action in reversed(list(zip(preds, actions))):
            fn = _branch_point(pred, action, fn, strict)
        return fn()


def _case_guard(preds: np.ndarray, exclusive: bool, need_one: bool, names: tuple) -> np.ndarray:
    values = " ".join(str(int(v)) for v in preds)
    if exclusive and np.count_nonzero(preds) > 1:
        raise errors.InvalidArgumentError(None, None, (
            f"assertion failed: [Input error: exclusive=True: more than 1 conditions ({', '.join(names)}) "
            f"evaluated as True:] [{values}]"))
    if need_one and not np.any(preds):
        raise errors.InvalidArgumentError(None, None, (
            f"assertion failed: [Input error: None of conditions evaluated as True:] [{values}]"))
    return preds


register(OpDef("CaseGuard", "opaque", infer=lambda inputs, attrs: [(inputs[0].dtype, inputs[0].shape)],
               numpy=_case_guard, differentiable=False, pure=False))


def _branch_point(pred: Tensor, true_fn: Callable, false_fn: Callable, strict: bool) -> Callable:
    return lambda: cond(pred, true_fn, false_fn, strict=strict)


__all__ = ["cond", "case"]
