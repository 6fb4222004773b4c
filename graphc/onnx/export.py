"""``graphc.onnx.export``: the inference part of a session's graph as an ONNX model.

The ops between ``inputs`` and ``outputs`` are written in execution order, one rule per op type
(``graphc/onnx/table.py``; region ops write their bodies as subgraphs); constants and the
session's current variable values become initializers; ``inputs`` become the model's inputs (a
dimension of unknown size is a symbolic dimension). Every op type, in region bodies too, is checked
before anything is read from the session, so an op with no ONNX form is an ``UnsupportedOpError``
(a ValueError) naming the op, its type and why (``NO_ONNX``); the finished model passes
``onnx.checker`` (with shape inference) before it is written.
"""
from __future__ import annotations

import os
import re
from typing import Any, Optional, Union

from graphc.graph import Tensor
from graphc.onnx.emitter import Emitter, UnsupportedOpError, ops_between, subgraphs, tensor_type
from graphc.onnx.table import NO_ONNX, RULES
from graphc.ops.state import STATE_READ
from graphc.version import __version__

DEFAULT_OPSET = 17
MIN_OPSET = 14          # Reshape's allowzero, which TF's 0-sized dims need


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError("graphc.onnx.export needs the 'onnx' package: pip install 'graphc[onnx]' "
                          "(onnx and onnxruntime)") from None
    return onnx


def _tensors(graph: Any, values: Any, what: str) -> list:
    """``values`` (a tensor, a tensor name, or a list of them) as tensors of ``graph``."""
    items = list(values) if isinstance(values, (list, tuple)) else [values]
    if not items:
        raise ValueError(f"graphc.onnx.export: {what} is empty; give at least one tensor")
    out = []
    for item in items:
        if isinstance(item, Tensor) and item.graph is not graph:
            raise ValueError(f"graphc.onnx.export: {what} tensor {item.name} is not in the session's graph")
        try:
            t = graph.as_graph_element(item)          # a tensor, its name, or a variable
        except (TypeError, ValueError, KeyError) as e:
            raise TypeError(f"graphc.onnx.export: {what} must be tensors, variables or tensor names of the "
                            f"session's graph; {item!r}: {e}") from None
        if not isinstance(t, Tensor):
            raise TypeError(f"graphc.onnx.export: {what} must be tensors, not {item!r}")
        out.append(t)
    return out


def _check_writable(ops: list, where: str = "") -> None:
    """Every op has a rule (or is a constant or variable read); a region op's bodies are checked too."""
    for op in ops:
        if op.type == "Placeholder":
            raise ValueError(f"graphc.onnx.export: the outputs depend on placeholder '{op.name}', which is not "
                             "in inputs; add it to inputs (or export a tensor that does not need it)")
        if op.type not in RULES and op.type not in ("Const", STATE_READ):
            reason = NO_ONNX.get(op.type, "graphc has no rule for it")
            raise UnsupportedOpError(f"Cannot export operation '{op.name}'{where} to ONNX: op type '{op.type}' has no "
                                     f"ONNX mapping ({reason}; graphc writes {len(RULES)} op types, listed in "
                                     "README's \"Export to ONNX\")")
        for attr, body in sorted(subgraphs(op).items()):
            _check_writable(ops_between(body.inputs, body.outputs), f" (in the {attr} of '{op.name}')")


def _dim_param(name: str, axis: int) -> str:
    return f"{re.sub(r'[^A-Za-z0-9_]', '_', name)}_dim{axis}"


def _value_info(onnx: Any, t: Tensor, name: str, symbolic: bool) -> Any:
    """The ONNX type of ``t``: its static shape; an unknown dim is symbolic (inputs) or left open."""
    dims = t.shape.as_tuple()
    if dims is None and symbolic:
        raise ValueError(f"graphc.onnx.export: input {t.name} has an unknown rank, which an ONNX model input cannot "
                         f"have; give it a shape with the rank it is fed (None for each unknown size), or map it "
                         "to such a placeholder (tf.import_graph_def(..., input_map=...))")
    shape = None if dims is None else [
        d if d is not None else (_dim_param(t.op.name, axis) if symbolic else None) for axis, d in enumerate(dims)]
    return onnx.helper.make_tensor_value_info(name, tensor_type(onnx, t.dtype, t.name), shape)


def _model(onnx: Any, e: Emitter, graph_inputs: list, outputs: list, opset: int, name: str) -> Any:
    values = [e.name_of(t) for t in outputs]     # first, so an output that is a constant has its initializer
    fixed = {init.name for init in e.initializers} | {vi.name for vi in graph_inputs}
    out_infos = []
    for t, value in zip(outputs, values):
        if value in fixed or any(vi.name == value for vi in out_infos):
            # an output that is an input, an initializer or listed twice: a node must produce it
            value = e.node("Identity", [value], t.op, "output", outputs=[e.unique(t.name)])
        out_infos.append(_value_info(onnx, t, value, symbolic=False))
    graph = onnx.helper.make_graph(e.nodes, name, graph_inputs, out_infos, initializer=e.initializers)
    opsets = [onnx.helper.make_opsetid("", opset)]
    model = onnx.helper.make_model(graph, opset_imports=opsets, producer_name="graphc", producer_version=__version__,
                                   ir_version=onnx.helper.find_min_ir_version_for(opsets))
    _outputs_with_ranks(onnx, model, outputs)
    return model


def _outputs_with_ranks(onnx: Any, model: Any, outputs: list) -> None:
    """Outputs graphc knows no rank of take ONNX's inferred shape (a model's outputs need a rank)."""
    open_outputs = [vi for vi in model.graph.output if not vi.type.tensor_type.HasField("shape")]
    if not open_outputs:
        return
    inferred = onnx.shape_inference.infer_shapes(model).graph
    known = {vi.name: vi for vi in list(inferred.value_info) + list(inferred.output)
             if vi.type.tensor_type.HasField("shape")}
    for vi, t in zip(model.graph.output, outputs):
        if vi.type.tensor_type.HasField("shape"):
            continue
        if vi.name not in known:
            raise ValueError(f"graphc.onnx.export: the rank of output {t.name} is unknown, which an ONNX model "
                             "output cannot have; give the inputs it depends on static ranks")
        vi.type.tensor_type.shape.CopyFrom(known[vi.name].type.tensor_type.shape)


def _write(onnx: Any, model: Any, path: Union[str, os.PathLike]) -> None:
    path = os.fspath(path)
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        onnx.save(model, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def export(sess: Any, inputs: Any, outputs: Any, path: Optional[Union[str, os.PathLike]] = None,
           opset: int = DEFAULT_OPSET, model_name: str = "graphc") -> Any:
    """Writes what ``outputs`` compute from ``inputs`` in ``sess``'s graph as an ONNX model at ``path``.

    ``inputs``/``outputs``: tensors or tensor names (one or a list); ONNX names them as graphc does
    (``x:0``). Variables are written with their current values in ``sess``. ``opset``: the ONNX
    operator set (``MIN_OPSET`` on). Returns the ``onnx.ModelProto`` (also when ``path`` is None,
    which writes nothing). An op with no ONNX form is an ``UnsupportedOpError`` (a ValueError).
    """
    onnx = _onnx()
    if not isinstance(opset, int) or not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"graphc.onnx.export: opset must be an int from {MIN_OPSET} to "
                         f"{onnx.defs.onnx_opset_version()} (this onnx's newest), got {opset!r}")
    graph = sess.graph
    ins, outs = _tensors(graph, inputs, "inputs"), _tensors(graph, outputs, "outputs")
    if len(set(ins)) != len(ins):
        raise ValueError("graphc.onnx.export: an input is listed twice")
    ops = ops_between(ins, outs)
    _check_writable(ops)
    variables = [op for op in ops if op.type == STATE_READ]
    values = dict(zip(variables, sess.run([op.outputs[0] for op in variables]))) if variables else {}

    e = Emitter(onnx, opset, RULES)
    graph_inputs = []
    for t in ins:
        e.bind(t, e.unique(t.name))
        graph_inputs.append(_value_info(onnx, t, e.name_of(t), symbolic=True))
    e.write_ops(ops, values)
    model = _model(onnx, e, graph_inputs, outs, opset, model_name)
    onnx.checker.check_model(model, full_check=True)
    if path is not None:
        _write(onnx, model, path)
    return model


__all__ = ["export", "DEFAULT_OPSET", "MIN_OPSET", "UnsupportedOpError"]

