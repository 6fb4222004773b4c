"""Sources and plumbing: constants, placeholders, identity, stop_gradient, no_op, group, tuple."""
from __future__ import annotations

import builtins
from typing import Any, Optional

from graphc import dtypes
from graphc.graph import Operation, Tensor, get_default_graph
from graphc.ops.core import Lowering, OpDef, _graph_of, apply, constant, convert_to_tensor, make_op, register
from graphc.shape import as_shape


def _same(inputs, attrs):
    return [(inputs[0].dtype, inputs[0].shape)]


def _placeholder_with_default_infer(inputs, attrs):
    default, shape = inputs[0], attrs["shape"]
    if not shape.is_compatible_with(default.shape):
        raise ValueError(f"the default value {default.name} has shape {default.shape}, which is not "
                         f"compatible with the declared shape {shape}. Declare a shape that fits it "
                         "(None for dimensions that may vary).")
    return [(default.dtype, shape)]


register(OpDef("Const", "source", infer=lambda i, a: [(a["dtype"], a["value"].shape)],
               numpy=lambda value, dtype: value, lowering=Lowering.LEAF))
register(OpDef("Placeholder", "source", infer=lambda i, a: [(a["dtype"], a["shape"])], numpy=None,
               differentiable=False))
register(OpDef("PlaceholderWithDefault", "elementwise", infer=_placeholder_with_default_infer,
               numpy=lambda x, shape: x, grad=lambda op, g: [g], pure=False))
register(OpDef("Identity", "elementwise", infer=_same, numpy=lambda x: x, grad=lambda op, g: [g]))
register(OpDef("IdentityN", "opaque", infer=lambda inputs, attrs: [(t.dtype, t.shape) for t in inputs],
               numpy=lambda *xs: builtins.tuple(xs), grad=lambda op, *grads: list(grads)))
register(OpDef("StopGradient", "elementwise", infer=_same, numpy=lambda x: x, differentiable=False))
register(OpDef("NoOp", "control", infer=lambda i, a: [], numpy=lambda: (), differentiable=False))


def placeholder(dtype: Any, shape: Any = None, name: str = "Placeholder") -> Tensor:
    """``tf.placeholder``: a value that must be fed to each run that needs it (shape None: any)."""
    dt = dtypes.as_dtype(dtype)
    return apply("Placeholder", [], {"dtype": dt, "shape": as_shape(shape)}, name)


def placeholder_with_default(input: Any, shape: Any, name: str = "PlaceholderWithDefault") -> Tensor:
    """A placeholder that evaluates to ``input`` when not fed; its static shape is ``shape``."""
    return apply("PlaceholderWithDefault", [input], {"shape": as_shape(shape)}, name)


def identity(input: Any, name: str = "Identity") -> Tensor:
    """Passes ``input`` through unchanged (a new node)."""
    return apply("Identity", [input], name=name)


def identity_n(input: Any, name: str = "IdentityN") -> list:
    """Each tensor of the list ``input`` passed through one op with an output per tensor (TF1 ``tf.identity_n``)."""
    tensors = list(input)
    if not tensors:
        raise ValueError("tf.identity_n needs at least one tensor")
    with _graph_of(tensors).as_default():
        return list(make_op("IdentityN", [convert_to_tensor(t) for t in tensors], {}, name).outputs)


def stop_gradient(input: Any, name: str = "StopGradient") -> Tensor:
    """Passes ``input`` through; gradients do not flow back through it."""
    return apply("StopGradient", [input], name=name)


def no_op(name: str = "NoOp") -> Operation:
    """An op that does nothing (useful as a target for control dependencies)."""
    return get_default_graph().create_op("NoOp", (), {}, [], name)


def _flatten(items: Any) -> list:
    """Tensors/ops from ``items``, which may nest lists and tuples (TF1 ``group`` flattens them)."""
    if isinstance(items, (list, builtins.tuple)):  # this module's `tuple` is tf.tuple
        return [leaf for item in items for leaf in _flatten(item)]
    return [] if items is None else [items]


def _as_op(x: Any) -> Operation:
    if isinstance(x, Operation):
        return x
    if isinstance(x, Tensor):
        return x.op
    if hasattr(x, "op") and isinstance(x.op, Operation):
        return x.op
    raise TypeError(f"tf.group expects Operations or Tensors, got {x!r}")


def group(*inputs: Any, name: str = "group_deps") -> Operation:
    """An op that runs all ``inputs`` (TF1 ``tf.group``); lists of ops are flattened."""
    ops = [_as_op(x) for x in _flatten(list(inputs))]
    graph = ops[0].graph if ops else get_default_graph()
    with graph.as_default(), graph.control_dependencies(ops):
        return graph.create_op("NoOp", (), {}, [], name)


def tuple(tensors: Any, name: Optional[str] = None, control_inputs: Any = None) -> list:
    """Each tensor passed through an identity that waits for all of them (TF1 ``tf.tuple``)."""
    tensors = list(tensors)
    present = [t for t in tensors if t is not None]
    graph = _graph_of(present)
    with graph.as_default(), graph.name_scope(name or "tuple"):
        gate = group(*present, *(control_inputs or []))
        out = []
        with graph.control_dependencies([gate]):
            for t in tensors:
                out.append(None if t is None else identity(t, name="control_dependency"))
    return out


__all__ = ["constant", "placeholder", "placeholder_with_default", "identity", "identity_n", "stop_gradient",
           "no_op", "group", "tuple"]
