"""A ``tf.while_loop`` whose recorded outputs a gradient reads, written as TensorFlow's ``While``.

graphc's ``While`` has outputs past its loop vars (``region_ops``): the iteration count, each loop
var's value entering every iteration, each kept random draw's and each saved intermediate's (the
values the gradient loop reads row ``j`` of). TensorFlow's ``While`` returns only its loop vars, so
a loop with such outputs in use is written as:

- one ``TensorArrayV3`` (``dynamic_size``, size 0) per recorded value, and a ``While`` named
  ``<loop>/recorded`` with three kinds of loop var after graphc's: an int32 iteration counter from 0,
  each array's flow and each array's handle; its body writes each recorded value at row ``counter``
  (``TensorArrayWriteV3``) and adds 1 to the counter (TF1 stacks its forward values the same way);
- after it, each array's rows (read through its outer handle: the loop's flow orders the read) ``0 .. count-1`` (``TensorArrayGatherV3`` over a ``Range``);
- an ``IdentityN`` named as graphc's loop over graphc's output layout: the loop vars, the count, the
  stacks (zeros with no rows stand for an output nothing reads), so ``loop:k`` means what it means in
  graphc.

graphc reads it back as its own ops (a loop that writes TensorArrays), TensorFlow runs it.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from graphc import dtypes
from graphc.framework import function_defs, tensor_array_export
from graphc.framework.attr_values import AttrValue, dtype_attr, shape_proto
from graphc.framework.protos import NameAttrList, NodeDef
from graphc.graph import Operation
from graphc.shape import TensorShape

_INT32 = dtype_attr(dtypes.int32)
_FLOW = dtype_attr(tensor_array_export.FLOW).type
_PREFIX = "graphc_recorded"      # the names of the nodes the body gains


def applies(op: Operation) -> bool:
    """Whether region op ``op`` is a loop whose recorded outputs something reads."""
    return op.type == "While" and bool(function_defs.recorded_outputs(op))


def _counter_and_writes(recorded: list, first: int) -> Callable:
    """The body's extension (``function_defs.body_function``'s ``extend``): the counter's next value and
    one write per recorded body tensor; args from ``first``: counter, flows, handles."""
    s = len(recorded)

    def extend(ref: Callable) -> tuple:
        counter = f"arg{first}"
        one = NodeDef(name=f"{_PREFIX}/one", op="Const")
        one.attr["dtype"].CopyFrom(_INT32)
        one.attr["value"].tensor.dtype = _INT32.type
        one.attr["value"].tensor.int_val.append(1)
        step = NodeDef(name=f"{_PREFIX}/next", op="AddV2", input=[counter, f"{one.name}:output:0"])
        step.attr["T"].CopyFrom(_INT32)
        nodes, returned = [one, step], [(_INT32.type, f"{step.name}:z:0")]
        for k, t in enumerate(recorded):
            write = NodeDef(name=f"{_PREFIX}/write_{k}", op="TensorArrayWriteV3",
                            input=[f"arg{first + 1 + s + k}", counter, ref(tensor_array_export.flow_name(t)),
                                   f"arg{first + 1 + k}"])
            write.attr["T"].CopyFrom(dtype_attr(t.dtype))
            nodes.append(write)
            returned.append((_FLOW, f"{write.name}:flow_out:0"))
        returned += [(tensor_array_export.DT_RESOURCE, f"arg{first + 1 + s + k}") for k in range(s)]
        return nodes, returned
    return extend


def to_tf(op: Operation, write_body: Callable, library: Any, emit: Any) -> tuple:
    """``(inputs, attrs, "IdentityN")`` for While ``op`` (see the module docstring); the arrays, the
    ``While`` and the gathers are added with ``emit`` before it."""
    n, cond, body = op.attrs["num_vars"], op.attrs["cond"], op.attrs["body"]
    used = function_defs.recorded_outputs(op)
    recorded = [t for _, t in used if t is not None]
    s = len(recorded)
    roots = tensor_array_export.region_arrays(op, [cond, body], 0)
    carried = list(op.inputs)
    first = len(carried) + len(roots)
    extra = (_INT32.type,) + (_FLOW,) * s \
        + (tensor_array_export.DT_RESOURCE,) * s
    arrays = [emit.node(f"recorded_{k}", "TensorArrayV3", [emit(f"recorded_{k}/size", np.array(0, np.int32))], {
        "dtype": dtype_attr(t.dtype), "element_shape": AttrValue(shape=shape_proto(t.shape)),
        "dynamic_size": AttrValue(b=True), "clear_after_read": AttrValue(b=False),
        "identical_element_shapes": AttrValue(b=t.shape.is_fully_defined()),
        "tensor_array_name": AttrValue(s=b"")}) for k, t in enumerate(recorded)]
    cond_name = function_defs.body_function(cond, write_body, library, len(roots), extra_types=extra)
    body_name = function_defs.body_function(body, write_body, library, len(roots),
                                            tuple(range(n, first)), extra, _counter_and_writes(recorded, first),
                                            keep=tuple(recorded))
    types = function_defs.types_attr(carried, len(roots))
    types.list.type.extend(extra)
    shapes = function_defs.shapes_attr(body.inputs, len(roots))
    shapes.list.shape.extend([shape_proto(TensorShape([]))] * (1 + 2 * s))
    inputs = [tensor_array_export.flow_name(t) for t in op.inputs] \
        + [tensor_array_export.root_handle(r, op.graph) for r in roots] \
        + [emit("counter_start", np.array(0, np.int32))] + [f"{a}:1" for a in arrays] + arrays
    loop = emit.node("recorded", "While", inputs, {
        "T": types, "output_shapes": shapes, "cond": AttrValue(func=NameAttrList(name=cond_name)),
        "body": AttrValue(func=NameAttrList(name=body_name)),
        "parallel_iterations": AttrValue(i=int(op.attrs.get("parallel_iterations", 10)))})
    count = f"{loop}:{first}"
    rows = emit.node("recorded_rows", "Range", [emit("rows_start", np.array(0, np.int32)), count,
                                                emit("rows_delta", np.array(1, np.int32))], {"Tidx": _INT32})
    by_index = {}
    k = 0
    for index, t in used:
        if t is None:
            by_index[index] = count
            continue
        by_index[index] = emit.node(f"recorded_{k}/stack", "TensorArrayGatherV3", [
            arrays[k], rows, f"{loop}:{first + 1 + k}"],
            {"dtype": dtype_attr(t.dtype), "element_shape": AttrValue(shape=shape_proto(t.shape))})
        k += 1
    outs = [f"{loop}:{i}" for i in range(n)]
    for t in op.outputs[n:]:
        dims = t.shape.as_tuple()
        unread = np.zeros([d or 0 for d in dims] if dims is not None else [], t.dtype.np_type)
        outs.append(by_index.get(t.value_index) or emit(f"unread_{t.value_index}", unread))
    types_out = [tensor_array_export.tf_type(t) for t in op.outputs[:n]] + [dtype_attr(t.dtype).type
                                                                            for t in op.outputs[n:]]
    return outs, {"T": AttrValue(list=AttrValue.ListValue(type=types_out))}, "IdentityN"


__all__ = ["applies", "to_tf"]
