"""graphc's region ops (``tf.cond``, ``tf.while_loop``) as TensorFlow's functional ``If``/``While`` nodes
whose bodies are ``FunctionDef``s in ``GraphDef.library``, and back.

Export: an ``If`` is TF's ``If`` (inputs ``[pred, *captures]``, ``Tcond``/``Tin``/``Tout``,
``then_branch``/``else_branch``, ``output_shapes``); a ``While`` is TF's ``While`` over its loop vars and
captures (inputs = outputs, ``T``, ``cond``/``body``, ``output_shapes``, ``parallel_iterations``), its
body returning each capture unchanged. A body is written by the ordinary GraphDef writer and then
turned into a FunctionDef: its inputs are the args ``arg0, arg1, ...``, its outputs ``out0, ...``, and
node inputs use TF's ``node:output_arg:index`` form (``tf_op_outputs.OUTPUT_ARGS``). A loop whose
recorded outputs a gradient reads is written by ``recorded_loop`` (``recorded_outputs`` lists them). A
cond whose kept random draws are used, or a region that replays recorded draws, has no TensorFlow form:
``tf_form`` says why, and the writer falls back to graphc's own node.

Import: ``If``/``StatelessIf`` and ``While``/``StatelessWhile`` with FunctionDef bodies become graphc's
region ops; a loop input the body returns unchanged is a capture, the others loop vars.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Optional

from graphc.control_flow.clone import Recording
from graphc.control_flow.func_graph import FuncGraph, ops_needed, seal
from graphc.control_flow.region_ops import common_shape
from graphc.framework import tensor_array_export, tensor_array_table
from graphc.framework.attr_values import AttrValue, dtype_attr, shape_proto
from graphc.framework.op_mapping import LOWERED_INPUTS, LOWERING_HELPER
from graphc.framework.protos import FunctionDef, NameAttrList, NodeDef
from graphc.framework.tf_op_outputs import OUTPUT_ARGS
from graphc.graph import Operation, Tensor, get_default_graph
from graphc.ops.core import OPS, OpKind, make_op
from graphc.shape import TensorShape

FUNCTIONAL_TYPES = ("If", "StatelessIf", "While", "StatelessWhile")
NATIVE_OUTPUT_ARG = "output"   # graphc's own ops in a FunctionDef: every output is ``node:output:k``


def _real_outputs(op: Operation) -> int:
    """How many leading outputs of a region op TensorFlow's form has (the rest are graphc's own)."""
    if op.type == "If":
        return len(op.attrs["then_branch"].outputs)
    return op.attrs["num_vars"]


def tf_form(op: Operation) -> Optional[str]:
    """None when region op ``op`` can be written as TensorFlow's If/While, else why not."""
    if op.attrs.get("replay"):
        return "it replays recorded random draws (a gradient's copy of a region)"
    real = _real_outputs(op)
    used = sorted({t.value_index for t in op.outputs[real:] for _ in t.consumers()})
    if op.type == "If":
        return f"its kept random draws (outputs {used}) are used, by a gradient" if used else None
    return None


def recorded_outputs(op: Operation) -> list:
    """``(output index, body tensor)`` for each extra output of While ``op`` that something reads: the
    iteration count (tensor None), a loop var's value entering each iteration, a kept random draw's,
    a saved intermediate's (``region_ops``' output layout). A TensorArray state's history is left out:
    a gradient reads it only in the copy of the forward body it never runs (its rows are saved
    intermediates instead, ``intermediates.py``)."""
    n, body = op.attrs["num_vars"], op.attrs["body"]
    sources = [None] + list(body.inputs[:n]) + list(body.kept) + list(op.attrs["record"].saved)
    return [(t.value_index, sources[t.value_index - n]) for t in op.outputs[n:] if t.consumers()
            and (sources[t.value_index - n] is None or tensor_array_export.root(sources[t.value_index - n]) is None)]


def shapes_attr(tensors: list, handles: int = 0) -> Any:
    shapes = [tensor_array_export.tf_shape(t) for t in tensors] + [shape_proto(TensorShape([]))] * handles
    return AttrValue(list=AttrValue.ListValue(shape=shapes))


def types_attr(tensors: list, handles: int = 0) -> Any:
    types = [tensor_array_export.tf_type(t) for t in tensors] + [tensor_array_export.DT_RESOURCE] * handles
    return AttrValue(list=AttrValue.ListValue(type=types))


def _function_name(body: FuncGraph, taken: set) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", body.name.strip("/")) or "body"
    name, i = base, 0
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name


def output_ref(node: Any, index: int) -> str:
    """``name:arg:k`` for flat output ``index`` of GraphDef node ``node`` (TF's FunctionDef reference)."""
    args = OUTPUT_ARGS.get(node.op)
    if args is None or "_graphc" in node.attr:
        return f"{node.name}:{NATIVE_OUTPUT_ARG}:{index}"
    start = 0
    for arg, number_attr, type_list_attr in args:
        size = node.attr[number_attr].i if number_attr else len(node.attr[type_list_attr].list.type) \
            if type_list_attr else 1
        if index < start + size:
            return f"{node.name}:{arg}:{index - start}"
        start += size
    raise ValueError(f"Node {node.name} ({node.op}) has no output {index}")


def body_function(body: FuncGraph, write_body: Callable, library: Any, handles: int = 0,
                  returned_args: tuple = (), extra_types: tuple = (), extend: Optional[Callable] = None,
                  keep: tuple = ()) -> str:
    """Adds ``body`` to ``library`` as a FunctionDef and returns its name; ``write_body(graph, ops)`` writes
    ops as GraphDef nodes. ``handles`` more args (after the inputs) are TensorArray handles, then one arg
    per TF type of ``extra_types``; the args ``returned_args`` (indices) are returned unchanged after the
    outputs. ``extend(ref)`` (``ref``: a body tensor's name -> its FunctionDef reference) returns more
    FunctionDef nodes and ``(type, reference)`` outputs, returned last. Only the ops graphc runs (those
    the outputs, the kept draws and the tensors ``keep`` need) are written."""
    fdef = FunctionDef()
    fdef.signature.name = _function_name(body, {f.signature.name for f in library.function})
    args = {t.op.name: f"arg{i}" for i, t in enumerate(body.inputs)}
    types = [tensor_array_export.tf_type(t) for t in body.inputs] + [tensor_array_export.DT_RESOURCE] * handles \
        + list(extra_types)
    for i, dtype in enumerate(types):
        fdef.signature.input_arg.add(name=f"arg{i}", type=dtype)
    runs = ops_needed(list(body.outputs) + list(body.kept) + list(keep))    # what graphc runs of the body
    ops = [op for op in body.get_operations() if op.name not in args and op in runs]
    nodes = write_body(body, ops)
    by_name = {n.name: n for n in nodes}
    handle_args = {f"arg{k}" for k in range(len(body.inputs), len(types))}

    def ref(name: str) -> str:
        if name.startswith("^"):
            return name
        op_name, _, index = name.partition(":")
        if op_name in args:
            return args[op_name]
        if op_name in handle_args:
            return op_name
        return output_ref(by_name[op_name], int(index or 0))

    for node in nodes:
        fdef.node_def.add().CopyFrom(node)
        written = fdef.node_def[-1]
        del written.input[:]
        written.input.extend(ref(i) for i in node.input if not (i.startswith("^") and i[1:] in args))
        if LOWERED_INPUTS in written.attr:      # a lowered op's own inputs, read back by graphc: args by name
            lowered = written.attr[LOWERED_INPUTS].list.s
            lowered[:] = [args.get(i.decode().partition(":")[0], i.decode()).encode() for i in lowered]
    returned = [(tensor_array_export.tf_type(t), ref(tensor_array_export.flow_name(t))) for t in body.outputs]
    returned += [(types[k], f"arg{k}") for k in returned_args]
    if extend is not None:
        extra_nodes, extra_returned = extend(ref)
        fdef.node_def.extend(extra_nodes)
        returned += extra_returned
    for i, (dtype, r) in enumerate(returned):
        fdef.signature.output_arg.add(name=f"out{i}", type=dtype)
        fdef.ret[f"out{i}"] = r
    fdef.signature.is_stateful = any(OPS[o.type].kind is OpKind.RANDOM or not OPS[o.type].pure
                                     for o in ops if o.type in OPS)
    library.function.add().CopyFrom(fdef)
    return fdef.signature.name


def region_to_tf(op: Operation, write_body: Callable, library: Any) -> tuple:
    """``(inputs, attrs, tf_type)`` of TF's If/While for region op ``op``; its bodies go to ``library``
    (a carried TensorArray's handle is one more input, after the others). A loop whose recorded outputs
    are read is written by ``recorded_loop`` instead."""
    names = [tensor_array_export.flow_name(t) for t in op.inputs]
    if op.type == "If":
        then, other = op.attrs["then_branch"], op.attrs["else_branch"]
        roots = tensor_array_export.region_arrays(op, [then, other], 1)
        outs = op.outputs[:len(then.outputs)]
        functions = [body_function(b, write_body, library, handles=len(roots)) for b in (then, other)]
        attrs = {"Tcond": dtype_attr(op.inputs[0].dtype), "Tin": types_attr(op.inputs[1:], len(roots)),
                 "Tout": types_attr(outs), "output_shapes": shapes_attr(outs),
                 "then_branch": AttrValue(func=NameAttrList(name=functions[0])),
                 "else_branch": AttrValue(func=NameAttrList(name=functions[1]))}
        return names + [tensor_array_export.root_handle(r, op.graph) for r in roots], attrs, "If"
    n, cond, body = op.attrs["num_vars"], op.attrs["cond"], op.attrs["body"]
    roots = tensor_array_export.region_arrays(op, [cond, body], 0)
    carried = list(op.inputs)
    passed = tuple(range(n, len(carried) + len(roots)))
    attrs = {"T": types_attr(carried, len(roots)), "output_shapes": shapes_attr(body.inputs, len(roots)),
             "parallel_iterations": AttrValue(i=int(op.attrs.get("parallel_iterations", 10))),
             "cond": AttrValue(func=NameAttrList(name=body_function(cond, write_body, library, len(roots)))),
             "body": AttrValue(func=NameAttrList(name=body_function(body, write_body, library, len(roots),
                                                                    passed)))}
    return names + [tensor_array_export.root_handle(r, op.graph) for r in roots], attrs, "While"


# ------------------------------------------------------------------------------------------------
# import

def function_nodes(fdef: Any) -> list:
    """A FunctionDef's nodes with GraphDef-style inputs (``node:flat_index``); its args stay bare names. The
    helpers of a lowered op (``op_mapping.LOWERING_HELPER``) are left out, as in a GraphDef."""
    by_name = {n.name: n for n in fdef.node_def}
    out = []
    for node in fdef.node_def:
        if LOWERING_HELPER in node.attr:
            continue
        copy = NodeDef()
        copy.CopyFrom(node)
        del copy.input[:]
        copy.input.extend(graph_def_input(i, by_name) for i in node.input)
        out.append(copy)
    return out


def graph_def_input(ref: str, by_name: dict) -> str:
    """A FunctionDef input (``arg``, ``node:arg:k``, ``^node``) as a GraphDef input (``arg``, ``node:i``)."""
    if ref.startswith("^"):
        return ref
    parts = ref.split(":")
    if len(parts) == 1:
        return ref
    node = by_name.get(parts[0])
    if node is None:
        raise ValueError(f"FunctionDef input {ref!r} names no node of the function")
    index = int(parts[2]) if len(parts) > 2 else 0
    if len(parts) == 2 and parts[1].isdigit():
        return f"{parts[0]}:{parts[1]}"
    args = OUTPUT_ARGS.get(node.op)
    if args is None or parts[1] == NATIVE_OUTPUT_ARG and "_graphc" in node.attr:
        return f"{parts[0]}:{index}"
    start = 0
    for arg, number_attr, type_list_attr in args:
        if arg == parts[1]:
            return f"{parts[0]}:{start + index}"
        start += node.attr[number_attr].i if number_attr else len(node.attr[type_list_attr].list.type) \
            if type_list_attr else 1
    raise ValueError(f"FunctionDef input {ref!r}: op {node.op} has no output arg {parts[1]!r}")


def _entries(tensors: list) -> list:
    """Body inputs for outer ``tensors``: ``(dtype, shape, state)`` each (state: a TensorArray handle's
    facts, or None), a TensorArray flow followed by an entry for its mask (state ``"mask"``)."""
    out = []
    for t in tensors:
        state = tensor_array_table.carried(t)
        out.append((t.dtype, t.shape, None if isinstance(state, Tensor) else state))
        if isinstance(state, Tensor):
            out.append((state.dtype, state.shape, "mask"))
    return out


def _body(fdef: Any, name: str, entries: list, order: list, import_nodes: Callable,
          outputs: Optional[list] = None) -> FuncGraph:
    """A FuncGraph of FunctionDef ``fdef``: its inputs are ``entries`` (from ``_entries``) standing for the
    args ``order`` (indices into the signature's input args; a mask entry follows its flow's); its outputs
    the rets ``outputs`` (default all), each TensorArray flow followed by its mask."""
    body = FuncGraph(name, get_default_graph())
    arg_names = [a.name for a in fdef.signature.input_arg]
    input_map, args = {}, iter(order)
    for dtype, shape, state in entries:
        if state == "mask":
            tensor_array_table.carry(body.inputs[-1], body.add_input(dtype, shape, name="mask"))
            continue
        arg = arg_names[next(args)]
        ph = body.add_input(dtype, shape, name=arg)
        input_map[f"{arg}:0"] = ph
        if state is not None and not isinstance(state, Tensor):
            tensor_array_table.carry(ph, state)
    rets = [fdef.ret[a.name] for a in fdef.signature.output_arg]
    if outputs is not None:
        rets = [rets[i] for i in outputs]
    with body.as_default():
        resolve = import_nodes(function_nodes(fdef), input_map)
        by_name = {n.name: n for n in fdef.node_def}
        body.outputs = []
        for r in rets:
            t = resolve(graph_def_input(r, by_name))
            body.outputs.append(t)
            if isinstance(tensor_array_table.carried(t), Tensor):
                body.outputs.append(tensor_array_table.carried(t))
    return body


def _outputs_of(op: Operation, entries: list, real: int) -> list:
    """The outputs of region op ``op`` per TF output (the first ``real``), with masks carried."""
    outs, k = [], 0
    for _ in range(real):
        outs.append(op.outputs[k])
        if k + 1 < len(entries) and entries[k + 1][2] == "mask":
            tensor_array_table.carry(op.outputs[k], op.outputs[k + 1])
            k += 1
        k += 1
    return outs


def _identities(outs: list, full: str) -> Operation:
    """One IdentityN named ``full`` over ``outs``, with their TensorArray states carried."""
    op = make_op("IdentityN", outs, {}, full)
    for t, o in zip(outs, op.outputs):
        state = tensor_array_table.carried(t)
        if state is not None:
            tensor_array_table.carry(o, state)
    return op


def _function(library: dict, attrs: dict, key: str, node: Any) -> Any:
    func = attrs.get(key)
    fname = func.name if func is not None else None
    if fname not in library:
        raise ValueError(f"Cannot import node '{node.name}' ({node.op}): its {key} function {fname!r} is not in "
                         "the GraphDef's library")
    return library[fname]


def build_functional(node: Any, inputs: list, library: dict, full: str, import_nodes: Callable) -> Operation:
    """The graphc op for TF's If/StatelessIf/While/StatelessWhile ``node`` (``inputs`` built), named ``full``.
    ``import_nodes(nodes, input_map)`` imports NodeDefs into the default graph and returns a resolver of
    GraphDef input names to tensors."""
    attrs = {k: v.func for k, v in node.attr.items() if v.WhichOneof("value") == "func"}
    graph = get_default_graph()
    if node.op in ("If", "StatelessIf"):
        then_def, else_def = (_function(library, attrs, k, node) for k in ("then_branch", "else_branch"))
        pred, args = inputs[0], inputs[1:]
        entries = _entries(args)
        order = list(range(len(args)))
        with graph.name_scope(full):
            then = _body(then_def, f"{full}then", entries, order, import_nodes)
            other = _body(else_def, f"{full}else", entries, order, import_nodes)
            if [t.dtype for t in then.outputs] != [t.dtype for t in other.outputs]:
                raise ValueError(f"Cannot import node '{node.name}' ({node.op}): its branches return "
                                 f"{[t.dtype.name for t in then.outputs]} and {[t.dtype.name for t in other.outputs]}")
            seal([then, other])
            op = make_op("If", [pred, *_with_masks(args)], {"then_branch": then, "else_branch": other}, f"{full}if/")
        return _identities(_if_outputs(op, then), full)
    return _build_while(node, inputs, library, attrs, full, import_nodes)


def _with_masks(tensors: list) -> list:
    """``tensors``, each TensorArray flow followed by its mask (the layout of ``_entries``)."""
    out = []
    for t in tensors:
        out.append(t)
        if isinstance(tensor_array_table.carried(t), Tensor):
            out.append(tensor_array_table.carried(t))
    return out


def _if_outputs(op: Operation, then: FuncGraph) -> list:
    """An If's outputs per TF output: a branch output that is a TensorArray flow is followed by its mask."""
    outs, k = [], 0
    while k < len(then.outputs):
        outs.append(op.outputs[k])
        mask = tensor_array_table.carried(then.outputs[k])
        if isinstance(mask, Tensor) and k + 1 < len(then.outputs) and then.outputs[k + 1] is mask:
            tensor_array_table.carry(op.outputs[k], op.outputs[k + 1])
            k += 1
        k += 1
    return outs


def _build_while(node: Any, inputs: list, library: dict, attrs: dict, full: str, import_nodes: Callable) -> Any:
    graph = get_default_graph()
    cond_def, body_def = (_function(library, attrs, k, node) for k in ("cond", "body"))
    arg_names = [a.name for a in body_def.signature.input_arg]
    rets = [body_def.ret[a.name] for a in body_def.signature.output_arg]
    captured = [k for k, r in enumerate(rets) if r == arg_names[k]]
    looped = [k for k in range(len(inputs)) if k not in captured]
    order = looped + captured
    base = _entries([inputs[k] for k in looped])
    caps = _entries([inputs[k] for k in captured])
    shapes = [e[1] for e in base]
    with graph.name_scope(full):
        for attempt in range(4):   # shape invariants: the entry shapes, relaxed until the body keeps them
            entries = [(dtype, shape, state) for (dtype, _, state), shape in zip(base, shapes)] + caps
            cond = _body(cond_def, f"{full}cond", entries, order, import_nodes, outputs=[0])
            body = _body(body_def, f"{full}body", entries, order, import_nodes, outputs=looped)
            relaxed = [common_shape(s, out.shape) for s, out in zip(shapes, body.outputs)]
            if len(body.outputs) != len(shapes) or all(r == s for r, s in zip(relaxed, shapes)):
                break
            shapes = relaxed if attempt < 2 else [TensorShape(None)] * len(shapes)
        if len(body.outputs) != len(shapes):
            raise ValueError(f"Cannot import node '{node.name}' ({node.op}): a loop var that enters as a "
                             "TensorArray flow leaves the body as another tensor")
        seal([cond, body])
        loop = make_op("While", _with_masks([inputs[k] for k in looped]) + _with_masks([inputs[k] for k in captured]),
                       {"cond": cond, "body": body, "num_vars": len(shapes), "back_prop": True,
                        "parallel_iterations": int(node.attr["parallel_iterations"].i or 10)
                        if "parallel_iterations" in node.attr else 10, "record": Recording()}, f"{full}while/")
    finals = _outputs_of(loop, entries, len(looped))
    outs = [finals[looped.index(k)] if k in looped else inputs[k] for k in range(len(inputs))]
    return _identities(outs, full)


__all__ = ["FUNCTIONAL_TYPES", "tf_form", "recorded_outputs", "body_function", "types_attr", "shapes_attr", "region_to_tf", "build_functional", "function_nodes", "graph_def_input",
           "output_ref"]
