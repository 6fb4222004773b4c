"""Sources and plumbing: constants, placeholders, identity, stop_gradient, no_op, group, tuple."""
from __future__ import annotations

from typing import Any, Optional

from graphc import dtypes
from graphc.graph import Operation, Tensor, get_default_graph
from graphc.ops.core import OpDef, apply, constant, convert_to_tensor, register
from graphc.shape import as_shape


def _same(inputs, attrs):
    return [(inputs[0].dtype, inputs[0].shape)]


register(OpDef("Const", "source", infer=lambda i, a: [(a["dtype"], a["value"].shape)],
               numpy=lambda value, dtype: value))
register(OpDef("Placeholder", "source", infer=lambda i, a: [(a["dtype"], a["shape"])], numpy=None,
               differentiable=False))
register(OpDef("PlaceholderWithDefault", "elementwise", infer=lambda i, a: [(i[0].dtype, a["shape"])],
               numpy=lambda x, shape: x, grad=lambda op, g: [g], pure=False))
register(OpDef("Identity", "elementwise", infer=_same, numpy=lambda x: x, grad=lambda op, g: [g],
               scalar="{0}"))
register(OpDef("StopGradient", "elementwise", infer=_same, numpy=lambda x: x, differentiable=False,
               scalar="{0}"))
register(OpDef("NoOp", "control", infer=lambda i, a: [], numpy=lambda: (), differentiable=False))


def placeholder(dtype: Any, shape: Any = None, name: str = "Placeholder") -> Tensor:
    """``tf.placeholder``: a value that must be fed to each run that needs it."""
    dt = dtypes.as_dtype(dtype)
    return apply("Placeholder", [], {"dtype": dt, "shape": as_shape(shape)}, name)


def placeholder_with_default(input: Any, shape: Any, name: str = "PlaceholderWithDefault") -> Tensor:
    """A placeholder that evaluates to ``input`` when not fed."""
    x = convert_to_tensor(input)
    sh = as_shape(shape)
    if not sh.is_compatible_with(x.shape):
        raise ValueError(f"placeholder_with_default: default value of shape {x.shape} is not "
                         f"compatible with the declared shape {sh}")
    return apply("PlaceholderWithDefault", [x], {"shape": sh}, name)


def identity(input: Any, name: str = "Identity") -> Tensor:
    return apply("Identity", [input], name=name)


def stop_gradient(input: Any, name: str = "StopGradient") -> Tensor:
    """Passes ``input`` through; gradients do not flow back through it."""
    return apply("StopGradient", [input], name=name)


def no_op(name: str = "NoOp") -> Operation:
    return get_default_graph().create_op("NoOp", (), {}, [], name)


def _as_op(x: Any) -> Operation:
    if isinstance(x, Operation):
        return x
    if isinstance(x, Tensor):
        return x.op
    if hasattr(x, "op") and isinstance(x.op, Operation):
        return x.op
    raise TypeError(f"Expected an Operation or Tensor, got {x!r}")


def group(*inputs: Any, name: str = "group_deps") -> Operation:
    """An op that runs all ``inputs`` (TF1 ``tf.group``)."""
    ops = [_as_op(x) for x in inputs if x is not None]
    graph = ops[0].graph if ops else get_default_graph()
    with graph.as_default(), graph.control_dependencies(ops):
        return graph.create_op("NoOp", (), {}, [], name)


def tuple(tensors: Any, name: Optional[str] = None, control_inputs: Any = None) -> list:
    """Each tensor passed through an identity that waits for all of them (TF1 ``tf.tuple``)."""
    tensors = list(tensors)
    gate = group(*[t for t in tensors if t is not None], *(control_inputs or []))
    graph = gate.graph
    out = []
    with graph.as_default(), graph.name_scope(name or "tuple"), graph.control_dependencies([gate]):
        for t in tensors:
            out.append(None if t is None else identity(t))
    return out


__all__ = ["constant", "placeholder", "placeholder_with_default", "identity", "stop_gradient",
           "no_op", "group", "tuple"]
