"""``Graph.as_graph_def``, ``tf.train.write_graph`` and ``tf.import_graph_def`` in TensorFlow's GraphDef.

Ops in ``op_table`` are written as TensorFlow writes them, so TensorFlow runs the graph; conds and loops
as ``If``/``While`` with FunctionDef bodies (``function_defs``), TensorArrays as the TensorArrayV3 family
(``tensor_array_export``), a loop whose recorded iterations a gradient reads as a ``While`` writing
them into TensorArrays (``recorded_loop``). graphc's own op types (a queue, a ``py_func``) are
written under their graphc names with their attrs verbatim and the ``_graphc`` marker attr, which only
graphc reads back (``for_tensorflow=True`` refuses them instead). On import, TF1's control-flow frames
are first rewritten as ``If``/``While`` (``tf1_frames``). Importing a node whose op type neither
vocabulary has is a ValueError naming the node and the type, before any op is built.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any, Optional

from google.protobuf import text_format

from graphc import dtypes, errors
from graphc.framework import (function_defs, lowered_table, op_table, recorded_loop, tensor_array_export,
                              tensor_array_grad_export, tensor_array_table, tf1_frames)
from graphc.framework.attr_values import AttrValue, attr_to_python, native_attr, native_attr_value, shape_proto
from graphc.framework.protos import GraphDef, NodeDef, VersionDef
from graphc.graph import Graph, Operation, Tensor, get_default_graph
from graphc.ops import logging_ops
from graphc.ops.core import OPS, OpKind, make_op

GRAPH_DEF_PRODUCER = 22        # the GraphDef version graphc writes (TF1's graphs of this era)
NATIVE_MARKER = "_graphc"      # attr on nodes of graphc's own op types
_NOT_WRITTEN = frozenset({"variable"})   # attrs that are Python objects of the session's, not graph data
# a cond's or loop's bodies (FuncGraphs) and recording flag: a region TensorFlow's If/While cannot express
# (function_defs.tf_form: a cond whose kept draws a gradient reads) is written without them (a graph
# to look at, a Saver's .meta) and marked
_BODY_ATTRS = frozenset({"then_branch", "else_branch", "cond", "body", "record"})
BODIES_OMITTED = "_graphc_bodies_omitted"


@dataclasses.dataclass(frozen=True)
class _Writing:
    """How one ``as_graph_def`` call writes: where bodies go, and its options."""

    library: Any
    strict: bool
    add_shapes: bool
    for_tensorflow: bool
    shared: dict = dataclasses.field(default_factory=dict)   # what rows write once per GraphDef (queue nodes)


def _native_node(op: Operation, how: _Writing) -> tuple:
    region = OPS[op.type].kind is OpKind.REGION
    if how.for_tensorflow:
        why = function_defs.tf_form(op) if region else "TensorFlow has no op that computes it"
        raise ValueError(f"Operation '{op.name}' ({op.type}) cannot be written for TensorFlow: {why}. Without "
                         "for_tensorflow=True graphc writes it as its own op type, which only graphc reads back.")
    attrs = {}
    for key, value in op.attrs.items():
        if key in _NOT_WRITTEN or region and key in _BODY_ATTRS:
            continue
        try:
            attrs[key] = native_attr(value)
        except TypeError as e:
            if not how.strict:
                continue
            raise TypeError(f"Operation {op.name} ({op.type}) cannot be written to a GraphDef: attr {key!r}: {e}") \
                from None
    attrs[NATIVE_MARKER] = AttrValue(b=True)
    if region:
        attrs[BODIES_OMITTED] = AttrValue(b=True)
    return [tensor_array_export.native_name(t) for t in op.inputs], attrs


def as_graph_def(graph: Optional[Graph] = None, add_shapes: bool = False, strict: bool = True,
                 from_version: Optional[int] = None, for_tensorflow: bool = False) -> Any:
    """``graph`` (default graph) as a ``GraphDef``: one NodeDef per op (plus a ``Const`` per attr that
    TensorFlow takes as an input), inputs by name (``^`` for control inputs), devices, and with
    ``add_shapes`` each node's ``_output_shapes``; the bodies of conds and loops as FunctionDefs in its
    ``library``. An attr no GraphDef can hold (a tf.data iterator's Python object) is a TypeError, or
    with ``strict=False`` (a graph to look at) left out. With ``from_version``, only the ops added since
    ``graph.version`` had that value. With ``for_tensorflow``, an op graphc can only write as its own
    op type (a queue, a py_func) is a ValueError naming it and its node."""
    graph = graph if graph is not None else get_default_graph()
    ops = graph.get_operations()[from_version or 0:]   # version counts the ops created, in order
    out = GraphDef(versions=VersionDef(producer=GRAPH_DEF_PRODUCER))
    with tensor_array_export.exporting():
        _write_ops(ops, out.node, {op.name for op in graph.get_operations()},
                   _Writing(out.library, strict, add_shapes, for_tensorflow))
    return out


def _write_ops(ops: list, nodes: Any, names: set, how: _Writing) -> None:
    """Appends the NodeDefs of ``ops`` to ``nodes``; region bodies go to ``how.library`` as FunctionDefs."""
    def write_body(body: Graph, body_ops: list) -> list:
        written = GraphDef()
        _write_ops(body_ops, written.node, {o.name for o in body.get_operations()}, how)
        return list(written.node)

    for op in ops:
        const = _Emitter(nodes, op, names, how.shared)
        row = op_table.BY_GRAPHC.get(op.type)
        written = tensor_array_export.to_tf(op, const)     # graphc's TensorArray ops (and a Size of one)
        if written is None and row is not None:
            written = row.to_tf(op, const)
        elif written is None and OPS[op.type].kind is OpKind.REGION and function_defs.tf_form(op) is None:
            written = recorded_loop.to_tf(op, write_body, how.library, const) \
                if recorded_loop.applies(op) else function_defs.region_to_tf(op, write_body, how.library)
        elif written is None and how.for_tensorflow and op.type in tensor_array_grad_export.TYPES:
            written = tensor_array_grad_export.to_tf(op, const)
        elif written is None:
            written = _native_node(op, how)
        inputs, attrs = written[:2]
        tf_type = written[2] if len(written) == 3 else (row.tf_type if row is not None else op.type)
        node = nodes.add(name=op.name, op=tf_type, device=op.device)
        tensor_array_export.written(op, node)
        node.input.extend(inputs + [f"^{c.name}" for c in op.control_inputs])
        for key in sorted(attrs):
            node.attr[key].CopyFrom(attrs[key])
        if how.add_shapes and op.outputs:
            node.attr["_output_shapes"].CopyFrom(AttrValue(list=AttrValue.ListValue(
                shape=[shape_proto(t.shape) for t in op.outputs])))


class _Emitter:
    """What a row's ``to_tf`` may add before its node: ``emit(suffix, array)`` a ``Const``, and
    ``emit.node(suffix, op_type, inputs, attrs)`` any node (a graphc op written as several TF ones),
    each named ``<op>/<suffix>`` (made unique) and placed on the op's device; both return the name.
    ``emit.named`` names a node outright; ``emit.shared`` is one dict for the whole GraphDef."""

    def __init__(self, nodes: Any, op: Operation, names: set, shared: dict) -> None:
        self._nodes, self._op, self._names, self.shared = nodes, op, names, shared

    def node(self, suffix: str, op_type: str, inputs: list, attrs: dict) -> str:
        return self.named(f"{self._op.name}/{suffix}", op_type, inputs, attrs)

    def named(self, base: str, op_type: str, inputs: list, attrs: dict) -> str:
        """A node named ``base`` (made unique), on the op's device."""
        name, i = base, 0
        while name in self._names:
            i += 1
            name = f"{base}_{i}"
        self._names.add(name)
        node = self._nodes.add(name=name, op=op_type, device=self._op.device)
        node.input.extend(inputs)
        for key in sorted(attrs):
            node.attr[key].CopyFrom(attrs[key])
        return name

    def __call__(self, suffix: str, value: Any, helper: bool = False) -> str:
        """A Const; with ``helper``, one of a lowered op's helpers (graphc skips it on import)."""
        _, attrs = op_table.BY_GRAPHC["Const"].to_tf(_ConstView(value), self)
        if helper:
            attrs[op_table.LOWERING_HELPER] = AttrValue(b=True)
        return self.node(suffix, "Const", [], attrs)


class _ConstView:
    """What ``Const``'s exporter reads from an op, for the Consts the exporter itself adds."""

    def __init__(self, value: Any) -> None:
        dtype = dtypes.string if value.dtype.kind in "OSU" else dtypes.as_dtype(value.dtype)
        self.attrs = {"value": value, "dtype": dtype}


def write_graph(graph_or_graph_def: Any, logdir: str, name: str, as_text: bool = True) -> str:
    """Writes a graph (or GraphDef) to ``logdir/name``, as text or binary protobuf; returns the path."""
    graph_def = graph_or_graph_def.as_graph_def() if isinstance(graph_or_graph_def, Graph) else graph_or_graph_def
    os.makedirs(str(logdir), exist_ok=True)
    path = os.path.join(str(logdir), name)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(text_format.MessageToString(graph_def).encode() if as_text else graph_def.SerializeToString())
    os.replace(tmp, path)
    return path


# ------------------------------------------------------------------------------------------------
# import

def _is_native(node: Any) -> bool:
    return NATIVE_MARKER in node.attr and node.op in OPS


def _lowered_type(node: Any) -> Optional[str]:
    """The graphc op type a node written as TF ops stands for (``op_table.LOWERED_TYPE``), or None."""
    attr = node.attr.get(op_table.LOWERED_TYPE)
    return attr.s.decode() if attr is not None and attr.s.decode() in OPS else None


def _inputs_of(node: Any) -> list:
    """A node's inputs as graphc builds it: a lowered node's graphc inputs, then its control inputs."""
    if _lowered_type(node) is None:
        return list(node.input)
    return [i.decode() for i in node.attr[op_table.LOWERED_INPUTS].list.s] + \
        [i for i in node.input if i.startswith("^")]


def check_supported(nodes: Any, library: Any = ()) -> None:
    """Raises ValueError for the first node (of ``nodes`` or of a FunctionDef in ``library``) whose op type
    graphc cannot build."""
    functions = [(f"function {f.signature.name}: ", f.node_def) for f in library]
    for where, group in [("", nodes), *functions]:
        for node in group:
            if op_table.LOWERING_HELPER in node.attr:
                continue
            if node.op not in op_table.BY_TF and not _is_native(node) and _lowered_type(node) is None \
                    and node.op not in function_defs.FUNCTIONAL_TYPES and node.op != "Assert":
                raise ValueError(f"Cannot import node '{node.name}': {where}op type '{node.op}' is not supported by "
                                 f"graphc (its ops map to {len(op_table.BY_TF)} TensorFlow op types; see "
                                 "graphc/framework/op_table.py)")


def _split_input(name: str) -> tuple:
    if name.startswith("^"):
        return name[1:], None
    op_name, _, index = name.partition(":")
    return op_name, int(index) if index else 0


def _order(nodes: list) -> list:
    """``nodes`` with every node after its inputs (GraphDefs need not be sorted); a cycle is an error."""
    by_name = {n.name: n for n in nodes}
    done: set = set()
    order = []
    for root in nodes:
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if node.name in done:
                continue
            if expanded:
                done.add(node.name)
                order.append(node)
                continue
            stack.append((node, True))
            for inp in _inputs_of(node):
                src = by_name.get(_split_input(inp)[0])
                if src is not None and src.name not in done:
                    if any(s[0] is src and s[1] for s in stack):
                        raise ValueError(f"The GraphDef has a cycle through node '{src.name}'")
                    stack.append((src, False))
    return order


def _input_map_key(name: str) -> str:
    return name[1:] if name.startswith("^") else name if ":" in name else f"{name}:0"


def import_graph_def(graph_def: Any, input_map: Optional[dict] = None, return_elements: Any = None,
                     name: Optional[str] = None, op_dict: Any = None, producer_op_list: Any = None,
                     skip: Any = ()) -> Optional[list]:
    """Imports ``graph_def`` into the default graph under the scope ``name`` (default ``"import"``; ``""``
    for none). ``input_map`` maps tensor names of ``graph_def`` (``"x:0"``, ``"x"``) to tensors that
    replace them; ``return_elements`` names tensors (``"y:0"``) or ops (``"train"``) to return, in order.
    ``skip`` names nodes to leave out (with anything only they feed)."""
    if isinstance(graph_def, (bytes, bytearray)):
        graph_def = GraphDef.FromString(bytes(graph_def))
    graph = get_default_graph()
    skipped = set(skip)
    nodes = [n for n in graph_def.node if n.name not in skipped and op_table.LOWERING_HELPER not in n.attr]
    library = {f.signature.name: f for f in graph_def.library.function}
    nodes = tf1_frames.functionalize(nodes, library)
    check_supported(nodes, library.values())
    input_map = {_input_map_key(k): v for k, v in (input_map or {}).items()}
    known = {n.name for n in nodes}
    for key in input_map:
        if key.partition(":")[0] not in known:
            raise ValueError(f"Attempted to map inputs that were not found in graph_def: [{key}]")
    input_map = {k: v if isinstance(v, Tensor) else graph.as_graph_element(v) for k, v in input_map.items()}
    if name == "":
        prefix = ""
    else:
        with graph.name_scope(name or "import") as scope:
            prefix = scope
    with graph.control_dependencies(None):
        _import_nodes(nodes, input_map, prefix, library)
    if return_elements is None:
        return None
    return [graph.as_graph_element(f"{prefix}{r}") for r in return_elements]


def _import_nodes(nodes: list, input_map: dict, prefix: str, library: dict) -> Any:
    """Builds ``nodes`` in the default graph (named ``prefix + node.name``); ``input_map`` maps input names
    (``"x:0"``) to tensors standing for them. Returns a resolver of GraphDef input names to tensors."""
    graph = get_default_graph()
    made: dict = {}

    def tensor(input_name: str, node: Any = None) -> Tensor:
        op_name, index = _split_input(input_name)
        key = f"{op_name}:{index}"
        if key in input_map:
            return input_map[key]
        if op_name not in made:
            raise ValueError(f"Node '{node.name if node is not None else '?'}' has an input from '{op_name}', "
                             "which is not in the GraphDef")
        return made[op_name].outputs[index]

    def import_body(body_nodes: list, body_map: dict) -> Any:
        return _import_nodes(body_nodes, body_map, "", library)

    checks: dict = {}       # a TF Assert node -> (its inputs, summarize): checked on its dependents' inputs
    for node in _order(nodes):
        inputs = [tensor(i, node) for i in _inputs_of(node) if not i.startswith("^")]
        if node.op == "Assert" and _lowered_type(node) is None:
            checks[node.name] = (inputs, node.attr["summarize"].i if "summarize" in node.attr else 3)
            continue
        for name in [i[1:] for i in node.input if i.startswith("^") and i[1:] in checks]:
            if inputs:    # the check runs before this node, on every backend, as a data dependency
                (condition, *data), summarize = checks[name]
                inputs[0] = logging_ops.checked(inputs[0], condition, data, summarize, name=f"{prefix}{name}")
        control = [made[i[1:]] for i in node.input if i.startswith("^") and i[1:] in made]
        full = f"{prefix}{node.name}/"
        with graph.control_dependencies(control):
            op = _build_node(node, inputs, full, library, import_body)
        if isinstance(op, Tensor):
            op = op.op
        tensor_array_table.follow(node.op, inputs, op)
        if node.device:
            op._device = node.device
        made[node.name] = op
    return tensor


def _build_node(node: Any, inputs: list, full: str, library: dict, import_body: Any) -> Any:
    """The graphc op (or composition) for one NodeDef whose inputs are built."""
    lowered = _lowered_type(node)
    if lowered is not None:
        return make_op(lowered, inputs, lowered_table.lowered_attrs(node), full)
    if BODIES_OMITTED in node.attr:
        raise errors.UnimplementedError(None, None, (
            f"Cannot import node '{node.name}' ({node.op}): the GraphDef does not hold the bodies of this "
            "tf.cond / tf.while_loop (a gradient reads its recorded iterations, which TensorFlow's If/While "
            "cannot express). Build the model in Python again and restore its checkpoint "
            "(tf.train.Saver.restore) instead."))
    if _is_native(node):
        attrs = {k: native_attr_value(v) for k, v in node.attr.items()
                 if k != NATIVE_MARKER and not k.startswith("_")}
        if node.op == "VariableV2":
            attrs["variable"] = None
        return make_op(node.op, inputs, attrs, full)
    if node.op in function_defs.FUNCTIONAL_TYPES:
        return function_defs.build_functional(node, inputs, library, full, import_body)
    attrs = {k: attr_to_python(v) for k, v in node.attr.items() if not k.startswith("_")}
    try:
        return op_table.BY_TF[node.op].build(inputs, attrs, full)
    except (ValueError, TypeError, KeyError) as e:
        raise ValueError(f"Cannot import node '{node.name}' ({node.op}): {e}") from e


__all__ = ["as_graph_def", "write_graph", "import_graph_def", "check_supported", "GraphDef", "NodeDef"]


def graph_method(self: Graph, from_version: Optional[int] = None, add_shapes: bool = False,
                 for_tensorflow: bool = False) -> Any:
    """``Graph.as_graph_def(from_version=None, add_shapes=False)``: this graph as a ``GraphDef`` (only
    the ops added since ``graph.version`` was ``from_version``, when given); ``for_tensorflow=True``
    refuses ops TensorFlow could not run (a ValueError naming the op and its node)."""
    return as_graph_def(self, add_shapes=add_shapes, from_version=from_version, for_tensorflow=for_tensorflow)
