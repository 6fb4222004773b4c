"""``tf.graph_util``: freezing and trimming GraphDefs (TF1's ``graph_util_impl``)."""
from __future__ import annotations

from typing import Any, Iterable, Optional

from graphc.framework.attr_values import make_tensor_proto
from graphc.framework.protos import AttrValue, GraphDef

_VARIABLE_OPS = ("VariableV2", "Variable")


def _node_name(name: str) -> str:
    return name[1:].partition(":")[0] if name.startswith("^") else name.partition(":")[0]


def extract_sub_graph(graph_def: Any, dest_nodes: Iterable[str]) -> Any:
    """The nodes of ``graph_def`` that ``dest_nodes`` need (through data and control inputs), in order."""
    if isinstance(dest_nodes, str):
        raise TypeError("dest_nodes must be a list.")
    by_name = {n.name: n for n in graph_def.node}
    keep: set = set()
    todo = list(dest_nodes)
    for name in todo:
        if name not in by_name:
            raise AssertionError(f"{name} is not in graph")
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        todo.extend(_node_name(i) for i in by_name[name].input)
    out = GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend([n for n in graph_def.node if n.name in keep])
    return out


def convert_variables_to_constants(sess: Any, input_graph_def: Any, output_node_names: Iterable[str],
                                   variable_names_whitelist: Optional[Iterable[str]] = None,
                                   variable_names_blacklist: Optional[Iterable[str]] = None) -> Any:
    """``input_graph_def`` cut to what ``output_node_names`` need, its variables replaced by ``Const``
    nodes holding their values in ``sess`` (a frozen graph)."""
    sub = extract_sub_graph(input_graph_def, output_node_names)
    allow = None if variable_names_whitelist is None else set(variable_names_whitelist)
    deny = set(variable_names_blacklist or ())
    variables = [n.name for n in sub.node if n.op in _VARIABLE_OPS
                 and (allow is None or n.name in allow) and n.name not in deny]
    values = dict(zip(variables, sess.run([sess.graph.get_tensor_by_name(f"{v}:0") for v in variables])))
    out = GraphDef()
    out.versions.CopyFrom(sub.versions)
    out.library.CopyFrom(sub.library)
    for node in sub.node:
        new = out.node.add()
        if node.name in values:
            dtype = node.attr["dtype"]
            new.name, new.op, new.device = node.name, "Const", node.device
            new.attr["dtype"].CopyFrom(dtype)
            new.attr["value"].CopyFrom(AttrValue(tensor=make_tensor_proto(values[node.name], dtype.type)))
        else:
            new.CopyFrom(node)
    return out


def remove_training_nodes(input_graph: Any, protected_nodes: Optional[Iterable[str]] = None) -> Any:
    """``input_graph`` without ``CheckNumerics`` nodes and with ``Identity`` nodes spliced out (except
    ``protected_nodes`` and identities with control inputs), as TF1 prepares a graph for inference."""
    protected = set(protected_nodes or ())
    removed = {n.name: n.input[0] for n in input_graph.node
               if n.op == "CheckNumerics" and n.name not in protected}
    spliced = {n.name: n.input[0] for n in input_graph.node
               if n.op == "Identity" and n.name not in protected and not any(i.startswith("^") for i in n.input)}
    rewired = {**removed, **spliced}

    def source(name: str) -> str:
        control = name.startswith("^")
        base, sep, index = (name[1:] if control else name).partition(":")
        seen = set()
        while base in rewired and not sep and base not in seen:
            seen.add(base)
            base, sep, index = rewired[base].lstrip("^").partition(":")
        text = f"{base}{sep}{index}"
        return f"^{base}" if control else text

    out = GraphDef()
    out.versions.CopyFrom(input_graph.versions)
    out.library.CopyFrom(input_graph.library)
    for node in input_graph.node:
        if node.name in rewired:
            continue
        new = out.node.add()
        new.CopyFrom(node)
        del new.input[:]
        new.input.extend(source(i) for i in node.input)
    return out




__all__ = ["extract_sub_graph", "convert_variables_to_constants", "remove_training_nodes"]
