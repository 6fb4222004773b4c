"""TF1's own control flow in a GraphDef rewritten as TensorFlow's functional ``If``/``While`` nodes with
FunctionDef bodies, which ``function_defs`` then imports as graphc's regions.

A frozen TF1 ``tf.cond`` is ``Switch`` nodes (a value entering a branch: output 0 when the predicate is
false, 1 when true) and a ``Merge`` per output; a ``tf.while_loop`` is a *frame*: ``Enter`` (the loop
vars' initial values; ``is_constant`` ones are captured tensors), ``Merge(Enter, NextIteration)`` per
loop var, ``LoopCond`` (the predicate), ``Switch(Merge, LoopCond)`` whose output 1 enters the body and
output 0 leaves through ``Exit``. Loops are rewritten first (a frame's content is everything reached
from its Enters up to its own Exits, nested frames included), then conds (the branch of a Merge input
is found by walking up to the Switches of its predicate, treating a nested cond as one unit). Each body
is rewritten again the same way, so nested loops and conds become nested regions. A Merge or Exit keeps
its name, as an ``Identity`` of the new node's output. A gradient frame's stacks are first rewritten as
TensorArrays (``tf1_stacks``) and its gradient TensorArrays as TensorArrays with threaded flows
(``tf1_grad_arrays``); what is left of ``GRADIENT_FRAME_TYPES`` is refused with what to do.
"""
from __future__ import annotations

from typing import Any, Optional

from graphc.framework.attr_values import AttrValue
from graphc.framework import tf1_grad_arrays, tf1_stacks
from graphc.framework.function_defs import output_ref
from graphc.framework.protos import FunctionDef, NameAttrList, NodeDef

TF1_TYPES = frozenset({"Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond", "RefEnter", "RefSwitch",
                       "RefMerge", "RefExit", "RefNextIteration"})
_BOOL = 10   # DataType DT_BOOL


def _source(ref: str) -> tuple:
    """``(node name, output index)`` of a GraphDef input; control inputs are ``(name, -1)``."""
    if ref.startswith("^"):
        return ref[1:], -1
    name, _, index = ref.partition(":")
    return name, int(index or 0)


def _ref(name: str, index: int) -> str:
    return name if index == 0 else f"{name}:{index}"


def _kind(node: Any) -> str:
    return node.op[3:] if node.op.startswith("Ref") else node.op


class _Rewrite:
    """The nodes of one graph or body, with its consumers' index."""

    def __init__(self, nodes: list, library: dict) -> None:
        self.nodes, self.library = list(nodes), library
        self.by_name = {n.name: n for n in self.nodes}
        self.consumers: dict = {}
        for n in self.nodes:
            for ref in n.input:
                self.consumers.setdefault(_source(ref)[0], []).append(n)

    def unique(self, base: str) -> str:
        name, i = base, 0
        while name in self.by_name:
            i += 1
            name = f"{base}_{i}"
        return name

    def extract(self, outputs: list, boundary: dict, what: str) -> list:
        """The nodes that compute ``outputs`` (GraphDef refs), walking up to the refs in ``boundary``
        (ref -> arg name), with those inputs renamed to the args; in the graph's order."""
        edge = {_source(r)[0] for r in boundary}
        keep: set = set()
        todo = [_source(r)[0] for r in outputs if r not in boundary]
        while todo:
            name = todo.pop()
            if name in keep:
                continue
            node = self.by_name.get(name)
            if node is None:
                raise ValueError(f"Cannot import {what}: it uses '{name}', which is not in the GraphDef")
            keep.add(name)
            for ref in node.input:
                src = _source(ref)
                if src[0] not in edge:
                    todo.append(src[0])
                elif src[1] >= 0 and _ref(*src) not in boundary:
                    raise ValueError(f"Cannot import {what}: node '{name}' reads '{ref}', which the other branch "
                                     "or the loop's exit takes")
        out = []
        for node in self.nodes:
            if node.name in keep:
                copy = NodeDef()
                copy.CopyFrom(node)
                del copy.input[:]
                for ref in node.input:
                    src = _source(ref)
                    if src[1] < 0:
                        if src[0] in keep:
                            copy.input.append(ref)
                    else:
                        copy.input.append(boundary.get(_ref(*src), _ref(*src)))
                out.append(copy)
        return out

    def replace(self, removed: set, added: list) -> list:
        return [n for n in self.nodes if n.name not in removed] + added


def _function(library: dict, base: str, nodes: list, args: list, rets: list) -> str:
    """Adds a FunctionDef (args: ``[(name, type)]``, rets: ``[(GraphDef ref, type)]``) to ``library``."""
    nodes = functionalize(nodes, library)
    by_name = {n.name: n for n in nodes}
    name, i = base, 0
    while name in library:
        i += 1
        name = f"{base}_{i}"
    fdef = FunctionDef()
    fdef.signature.name = name
    arg_names = set()
    for arg, dtype in args:
        fdef.signature.input_arg.add(name=arg, type=dtype)
        arg_names.add(arg)

    def ref(r: str) -> str:
        if r.startswith("^") or r in arg_names:
            return r
        node_name, index = _source(r)
        return output_ref(by_name[node_name], index)

    for node in nodes:
        written = fdef.node_def.add()
        written.CopyFrom(node)
        del written.input[:]
        written.input.extend(ref(r) for r in node.input)
    for k, (r, dtype) in enumerate(rets):
        fdef.signature.output_arg.add(name=f"out{k}", type=dtype)
        fdef.ret[f"out{k}"] = ref(r)
    fdef.signature.is_stateful = True
    library[name] = fdef
    return name


def _identity(name: str, ref: str, dtype: int) -> Any:
    node = NodeDef(name=name, op="Identity", input=[ref])
    node.attr["T"].CopyFrom(AttrValue(type=dtype))
    return node


def _func_name(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name.strip("/")) or "body"


def _type_list(types: list) -> Any:
    return AttrValue(list=AttrValue.ListValue(type=types))


# ------------------------------------------------------------------------------------------------
# loops

def _frame_content(rw: _Rewrite, enters: list) -> tuple:
    """The nodes of a frame (reached from its Enters, nested frames included) and its own Exits."""
    depth = {e.name: 0 for e in enters}
    todo = list(enters)
    exits = []
    while todo:
        node = todo.pop()
        for c in rw.consumers.get(node.name, []):
            d = depth[node.name] + (1 if _kind(c) == "Enter" else -1 if _kind(c) == "Exit" else 0)
            if d < 0:
                if c not in exits:
                    exits.append(c)
                continue
            if c.name not in depth:
                depth[c.name] = d
                todo.append(c)
    return depth, exits


def _switch_above(rw: _Rewrite, leave: Any) -> Any:
    """The loop's Switch an Exit takes, Identities between them looked through (TF1's gradient loops exit
    through a ``tuple/control_dependency`` Identity of the Switch's output 0)."""
    node = rw.by_name[_source(leave.input[0])[0]]
    while _kind(node) == "Identity":
        node = rw.by_name[_source(node.input[0])[0]]
    return node


def _rewrite_loop(rw: _Rewrite, frame: str, enters: list) -> list:
    depth, exits = _frame_content(rw, enters)
    content = set(depth)
    own = [n for n in rw.nodes if depth.get(n.name) == 0]
    entered = {e.name for e in enters}
    merges = [m for m in own if _kind(m) == "Merge" and any(_source(r)[0] in entered for r in m.input)]
    loop_conds = [c for c in own if _kind(c) == "LoopCond"]
    if len(loop_conds) != 1:
        raise ValueError(f"Cannot import the while loop of frame '{frame}': it has {len(loop_conds)} LoopCond nodes")
    loop_cond = loop_conds[0]
    loop_enters, switches, nexts = [], [], []
    for m in merges:
        srcs = [rw.by_name[_source(r)[0]] for r in m.input if not r.startswith("^")]
        loop_enters.append(next(s for s in srcs if _kind(s) == "Enter"))
        nexts.append(next(s for s in srcs if _kind(s) == "NextIteration"))
        switches.append(next(c for c in rw.consumers.get(m.name, []) if _kind(c) == "Switch"
                             and _source(c.input[1])[0] == loop_cond.name))
    constants = [e for e in enters if e not in loop_enters]
    carried = loop_enters + constants
    types = [e.attr["T"].type for e in carried]
    args = [(f"arg{k}", t) for k, t in enumerate(types)]
    boundary_cond = {m.name: f"arg{k}" for k, m in enumerate(merges)}
    boundary_cond.update({e.name: f"arg{len(merges) + k}" for k, e in enumerate(constants)})
    boundary_body = dict(boundary_cond)
    boundary_body.update({f"{s.name}:1": f"arg{k}" for k, s in enumerate(switches)})
    what = f"the while loop of frame '{frame}'"
    cond_nodes = rw.extract([loop_cond.input[0]], boundary_cond, what)
    body_nodes = rw.extract([n.input[0] for n in nexts], boundary_body, what)
    base = _func_name(frame)
    cond_name = _function(rw.library, f"{base}_cond", cond_nodes, args, [(loop_cond.input[0], _BOOL)])
    rets = [(n.input[0], t) for n, t in zip(nexts, types)] + [(a, t) for a, t in args[len(merges):]]
    body_name = _function(rw.library, f"{base}_body", body_nodes, args, rets)
    scope = exits[0].name.rpartition("/")[0] + "/" if exits and "/" in exits[0].name else ""
    name = rw.unique(f"{scope}While")
    loop = NodeDef(name=name, op="While", input=[e.input[0] for e in carried])
    loop.attr["T"].CopyFrom(_type_list(types))
    loop.attr["cond"].CopyFrom(AttrValue(func=NameAttrList(name=cond_name)))
    loop.attr["body"].CopyFrom(AttrValue(func=NameAttrList(name=body_name)))
    loop.attr["parallel_iterations"].CopyFrom(AttrValue(i=enters[0].attr["parallel_iterations"].i or 10))
    added = [loop]
    for x in exits:
        k = switches.index(_switch_above(rw, x))
        added.append(_identity(x.name, _ref(name, k), types[k]))
    return rw.replace(content | {x.name for x in exits}, added)


def _loops(rw: _Rewrite) -> Optional[list]:
    """The nodes with one outermost loop rewritten, or None when there is none."""
    frames: dict = {}
    for n in rw.nodes:
        if _kind(n) == "Enter":
            frames.setdefault(n.attr["frame_name"].s.decode(), []).append(n)
    contents = {f: set(_frame_content(rw, es)[0]) for f, es in frames.items()}
    for frame, enters in frames.items():
        if not any(enters[0].name in c for g, c in contents.items() if g != frame):
            return _rewrite_loop(rw, frame, enters)
    return None


# ------------------------------------------------------------------------------------------------
# conds

def _rewrite_cond(rw: _Rewrite, merge: Any) -> list:
    memo: dict = {}     # node name -> the (Switch, output) pairs its value comes through

    def sources(refs: list) -> list:
        return [_source(r)[0] for r in refs if _source(r)[0] in rw.by_name
                and _kind(rw.by_name[_source(r)[0]]) != "Switch"]

    def switches_above(name: str) -> frozenset:
        """The (Switch, output) pairs the value of node ``name`` comes through (an output of None: a control
        input), a nested cond taken as one unit (from the inputs of its own Switches). Iterative: a branch
        may be a whole network deep."""
        stack, steps = [name], 0
        while stack:
            steps += 1
            if steps > 4 * len(rw.nodes) + 4:
                raise ValueError(f"Cannot import the cond of Merge '{merge.name}': the graph has a cycle outside "
                                 "a while loop's frame")
            top = stack[-1]
            if top in memo:
                stack.pop()
                continue
            node = rw.by_name[top]
            if _kind(node) == "Switch":
                memo[top] = frozenset()
                continue
            missing = [s for s in sources(list(node.input)) if s not in memo]
            refs = list(node.input)
            if not missing and _kind(node) == "Merge":
                refs = [r for s in own_switches(node) for r in rw.by_name[s].input]
                missing = [s for s in sources(refs) if s not in memo]
            if missing:
                stack.extend(missing)
                continue
            found: set = set()
            for r in refs:
                found |= direct(r)
            memo[top] = frozenset(found)
        return memo[name]

    def own_switches(m: Any) -> set:
        return {s for r in m.input for s, _ in direct(r)}

    def direct(r: str) -> frozenset:
        src = _source(r)
        if src[0] not in rw.by_name:
            return frozenset()
        if _kind(rw.by_name[src[0]]) == "Switch":
            return frozenset({(src[0], src[1] if src[1] >= 0 else None)})
        return switches_above(src[0])

    def pred_of(switch: str) -> str:
        """A Switch's predicate with Identities looked through (TF1 switches data on ``pred_id``, an
        Identity of the predicate, and the pivots on the predicate itself)."""
        ref = rw.by_name[switch].input[1]
        while _kind(rw.by_name[_source(ref)[0]]) == "Identity":
            ref = rw.by_name[_source(ref)[0]].input[0]
        return ref

    pairs = own_switches(merge)
    preds = {pred_of(s) for s in pairs}
    if len(preds) != 1:
        raise ValueError(f"Cannot import the cond of Merge '{merge.name}': its inputs come through Switches on "
                         f"{len(preds)} predicates {sorted(preds)}")
    pred = preds.pop()
    group = [m for m in rw.nodes if _kind(m) == "Merge" and own_switches(m)
             and {pred_of(s) for s in own_switches(m)} == {pred}]
    cond_switches = [n for n in rw.nodes if _kind(n) == "Switch" and pred_of(n.name) == pred]
    args = [(f"arg{k}", s.attr["T"].type) for k, s in enumerate(cond_switches)]
    branches: list = [[], []]
    for m in group:
        data = [r for r in m.input if not r.startswith("^")]
        sides = [{i for s, i in direct(r) if s in {c.name for c in cond_switches} and i is not None}
                 for r in data]
        if len(data) != 2:
            raise ValueError(f"Cannot import Merge '{m.name}': it has {len(data)} inputs, not a cond's two")
        first = sides[0].pop() if len(sides[0]) == 1 else 1 - sides[1].pop() if len(sides[1]) == 1 else None
        if first is None:
            raise ValueError(f"Cannot import Merge '{m.name}': neither input comes from one branch of its cond")
        branches[first].append(data[0])
        branches[1 - first].append(data[1])
    for m in group:
        for c in rw.consumers.get(m.name, []):
            if any(_source(r) == (m.name, 1) for r in c.input):
                raise ValueError(f"Cannot import Merge '{m.name}': node '{c.name}' reads its value_index output")
    names = [s.name for s in cond_switches]
    functions, removed = [], {m.name for m in group} | set(names)
    scope = merge.name.rpartition("/")[0] + "/" if "/" in merge.name else ""
    for side, label in ((1, "then"), (0, "else")):
        boundary = {f"{s}:{side}" if side else s: f"arg{k}" for k, s in enumerate(names)}
        nodes = rw.extract(branches[side], boundary, f"the cond of Merge '{merge.name}'")
        removed |= {n.name for n in nodes}
        functions.append(_function(rw.library, f"{_func_name(scope or merge.name)}_{label}", nodes, args,
                                   [(boundary.get(r, r), m.attr["T"].type) for r, m in zip(branches[side], group)]))
    removed |= _dead_after(rw, set(names), {m.name for m in group})
    name = rw.unique(f"{scope}If")
    node = NodeDef(name=name, op="If", input=[pred] + [s.input[0] for s in cond_switches])
    node.attr["Tcond"].CopyFrom(AttrValue(type=_BOOL))
    node.attr["Tin"].CopyFrom(_type_list([t for _, t in args]))
    node.attr["Tout"].CopyFrom(_type_list([m.attr["T"].type for m in group]))
    node.attr["then_branch"].CopyFrom(AttrValue(func=NameAttrList(name=functions[0])))
    node.attr["else_branch"].CopyFrom(AttrValue(func=NameAttrList(name=functions[1])))
    return rw.replace(removed, [node] + [_identity(m.name, _ref(name, k), m.attr["T"].type)
                                         for k, m in enumerate(group)])


def _dead_after(rw: _Rewrite, switches: set, merges: set) -> set:
    """What only the cond's Switches feed (its pivots, unused branch nodes), up to its Merges."""
    dead, todo = set(), list(switches)
    while todo:
        for c in rw.consumers.get(todo.pop(), []):
            if c.name not in dead and c.name not in merges:
                dead.add(c.name)
                todo.append(c.name)
    return dead


# TF1's while-loop gradient machinery: forward values pushed on stacks, gradient TensorArrays
GRADIENT_FRAME_TYPES = frozenset({"StackV2", "StackPushV2", "StackPopV2", "StackCloseV2", "TensorArrayGradV3",
                                  "TensorArrayGradWithShape"})


def functionalize(nodes: list, library: dict) -> list:
    """``nodes`` with every TF1 loop and cond replaced by a While/If node whose bodies are FunctionDefs added
    to ``library`` (name -> FunctionDef)."""
    nodes = tf1_grad_arrays.rewrite(tf1_stacks.rewrite(list(nodes)))
    gradient_frame = next((n for n in nodes if n.op in GRADIENT_FRAME_TYPES), None)
    if gradient_frame is not None:
        raise ValueError(f"Cannot import node '{gradient_frame.name}': op type '{gradient_frame.op}' belongs to "
                         "a TF1 while-loop gradient frame in a form graphc does not import (it reads a stack pushed "
                         "and popped once per iteration, tf1_stacks.py, and TensorArrayGradV3 arrays, "
                         "tf1_grad_arrays.py). Export the graph without its gradients (the forward model, or a "
                         "frozen inference graph), import that, and build the gradients and training ops in graphc.")
    while any(_kind(n) in ("Enter", "Merge") for n in nodes):
        rw = _Rewrite(nodes, library)
        rewritten = _loops(rw)
        if rewritten is None:
            merge = next(n for n in nodes if _kind(n) == "Merge")
            rewritten = _rewrite_cond(rw, merge)
        nodes = rewritten
    return nodes


__all__ = ["TF1_TYPES", "GRADIENT_FRAME_TYPES", "functionalize"]
