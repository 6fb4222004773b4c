"""What one ``Session.run`` must execute: the pruned, ordered ops and where each variable read comes from.

Backend-neutral: every executor (eager, and the compiled ones) starts from a ``RunPlan``.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from graphc import errors
from graphc.graph import Operation, Tensor
from graphc.ops.state import ASSIGN_UPDATES, STATE_READ
from graphc.traversal import postorder


class RunPlan:
    """The ops needed for ``fetches``/``targets`` given ``feeds``, in execution order.

    ``read_source[(op, i)]`` is, for input ``i`` of ``op`` reading a variable, the assign op whose
    output it must see, or None for the value at the start of the run.
    ``read_shapes[variable op]`` is the shape of a variable's value at the start of the run where it
    differs from the variable's static shape (a ``validate_shape=False`` assign changed it): TF1's
    kernels take the run-time shape, so the plan reads it with that shape (see ``ir.build``).
    """

    def __init__(self, fetches: Sequence[Tensor], targets: Sequence[Operation], feeds: Sequence[Tensor],
                 value_shapes: Optional[dict] = None) -> None:
        self.fetches = list(fetches)
        self.targets = list(targets)
        self.feeds = list(feeds)
        fed = set(self.feeds)
        self.ops = _toposort(self.fetches, self.targets, fed)
        self.read_source, previous = _resolve_reads(self.ops, fed)
        self.variables = [op for op in self.ops if op.type == STATE_READ]
        self.assigns = [op for op in self.ops if op.type in ASSIGN_UPDATES]
        _check_assigns_ordered(self.assigns, previous)
        self._check_feeds(fed)
        self.read_shapes = {var: value_shapes[var] for var in self.variables
                            if value_shapes and var in value_shapes}
        self.validated_shapes = _validated_shapes(self.assigns, self.read_shapes)

    def _check_feeds(self, fed: set) -> None:
        for op in self.ops:
            if op.type == "Placeholder" and op.outputs[0] not in fed:
                t = op.outputs[0]
                shape = "unknown" if t.shape.ndims is None else "[" + ",".join(
                    "?" if d is None else str(d) for d in t.shape.as_tuple()) + "]"
                path = _path_to(op, self.fetches, self.targets, fed)
                raise errors.InvalidArgumentError(None, op, (
                    f"You must feed a value for placeholder tensor '{op.name}' with dtype {t.dtype.name} "
                    f"and shape {shape}: it is needed by {path}. Pass it in feed_dict, e.g. "
                    f"feed_dict={{{op.name}: value}}."))


def _toposort(fetches, targets, fed: set) -> list:
    """Ops reachable backwards from fetches and targets (data and control edges), stopping at fed tensors."""
    def deps(op):
        ops = [t.op for t in op.inputs if t not in fed] + list(op.control_inputs)
        return [dep for dep in ops if not _replaced_by_feeds(dep, fed)]

    def cycle(op):
        raise errors.InvalidArgumentError(None, op, f"Graph has a cycle through {op.name}")

    roots = [t.op for t in fetches if t not in fed] + list(targets)
    return postorder([r for r in roots if not _replaced_by_feeds(r, fed)], deps, key=lambda op: op,
                     on_cycle=cycle)


def _replaced_by_feeds(op: Operation, fed: set) -> bool:
    """An op whose every output is fed need not run (unless it writes a variable)."""
    return bool(op.outputs) and op.type not in ASSIGN_UPDATES and all(t in fed for t in op.outputs)


def _resolve_reads(ops: list, fed: set):
    """For every variable read, the assign (if any) that the reading op depends on."""
    last: dict = {}       # op -> {variable op: latest assign op among its ancestors, itself included}
    previous: dict = {}   # assign op -> the assign to the same variable that it depends on
    read_source: dict = {}
    empty: dict = {}

    def merge(op: Operation) -> dict:
        parents = [t.op for t in op.inputs if t not in fed] + list(op.control_inputs)
        merged = None
        for p in parents:
            d = last.get(p, empty)
            if not d:
                continue
            if merged is None:
                merged = d
                continue
            if merged is d:
                continue
            merged = dict(merged)
            for var, a in d.items():
                b = merged.get(var)
                if b is None or b is a:
                    merged[var] = a
                elif _precedes(b, a, previous):
                    merged[var] = a
                elif not _precedes(a, b, previous):
                    raise errors.InvalidArgumentError(None, op, (
                        f"Variable '{var.name}' is assigned by both '{a.name}' and '{b.name}' in one run "
                        f"with no order between them (seen at '{op.name}'). Add a control dependency "
                        "(tf.control_dependencies) so one assignment runs after the other."))
        return merged or empty

    for op in ops:
        anc = merge(op)
        for i, t in enumerate(op.inputs):
            if t.op.type == STATE_READ and t not in fed:
                read_source[(op, i)] = anc.get(t.op)
        if op.type in ASSIGN_UPDATES:
            var = op.inputs[0].op
            previous[op] = anc.get(var)
            anc = dict(anc)
            anc[var] = op
        last[op] = anc
    return read_source, previous


def _validated_shapes(assigns: list, read_shapes: dict) -> dict:
    """{variable op: (shape, an assign op)} for the variables of fully defined shape that this run
    assigns only with ``validate_shape`` (TF1 then rejects a new value of another shape). The shape
    is the static one, or that of the value at the run's start where ``read_shapes`` has it (TF1's
    kernel compares with the variable's current value)."""
    out: dict = {}
    loose = set()
    for op in assigns:
        var = op.inputs[0].op
        shape = var.outputs[0].shape
        if not op.attrs.get("validate_shape", True) or not shape.is_fully_defined():
            loose.add(var)
        elif var not in out:
            out[var] = (read_shapes.get(var, tuple(shape.as_list())), op)
    return {var: v for var, v in out.items() if var not in loose}


def _check_assigns_ordered(assigns: list, previous: dict) -> None:
    """All assigns of one variable in a run must form one chain of dependencies (else the result is a race)."""
    latest: dict = {}   # variable op -> assigns that no other assign of it depends on
    superseded = {a for a in previous.values() if a is not None}
    for a in assigns:
        if a not in superseded:
            latest.setdefault(a.inputs[0].op, []).append(a)
    for var, tips in latest.items():
        if len(tips) > 1:
            a, b = tips[0], tips[1]
            raise errors.InvalidArgumentError(None, b, (
                f"Variable '{var.name}' is assigned by both '{a.name}' and '{b.name}' in one run "
                "with no order between them, so its new value would depend on chance. Run them in "
                "separate sess.run calls, or add a control dependency (tf.control_dependencies) so "
                "one assignment runs after the other."))


def _precedes(a: Operation, b: Operation, previous: dict) -> bool:
    """True if assign ``a`` is an ancestor of assign ``b`` (same variable)."""
    cur: Optional[Operation] = previous.get(b)
    while cur is not None:
        if cur is a:
            return True
        cur = previous.get(cur)
    return False


def _path_to(target: Operation, fetches, targets, fed: set) -> str:
    """'fetch y:0 via add -> x' : how a fetch reaches ``target`` (for error messages)."""
    for root in [t.op for t in fetches] + list(targets):
        parent = {root: None}
        queue = [root]
        while queue:
            op = queue.pop(0)
            if op is target:
                chain = []
                while op is not None:
                    chain.append(op.name)
                    op = parent[op]
                what = next((f"fetch '{t.name}'" for t in fetches if t.op is root), f"target '{root.name}'")
                return f"{what} (path: {' -> '.join(reversed(chain))})"
            for dep in [t.op for t in op.inputs if t not in fed] + list(op.control_inputs):
                if dep not in parent:
                    parent[dep] = op
                    queue.append(dep)
    return "the fetches"


def reshaped_value(var: Operation, value: Any) -> Optional[tuple]:
    """The shape of ``value`` if it does not fit the static shape of variable ``var`` (a
    ``validate_shape=False`` assign gave it another shape), else None."""
    shape = tuple(getattr(value, "shape", ()))
    dims = var.outputs[0].shape.as_tuple()     # (this runs for every update of every run: kept cheap)
    if dims is None or dims == shape:
        return None
    fits = len(dims) == len(shape) and all(d is None or d == n for d, n in zip(dims, shape))
    return None if fits else shape


def check_assigned_shapes(shapes: dict, updates: dict) -> None:
    """Raises TF1's InvalidArgumentError when a new value's shape differs from the static shape its
    ``validate_shape`` assign requires (``shapes``: variable op -> (shape, assign op), as
    ``RunPlan.validated_shapes``). Compiled backends check known shapes when they compile, before
    any kernel writes a variable in place; this catches the rest before anything is committed."""
    for var, (shape, op) in shapes.items():
        value = updates.get(var)
        if value is not None and tuple(getattr(value, "shape", ())) != shape:
            raise shape_mismatch(op, shape, tuple(value.shape))


def shape_mismatch(op: Any, shape: tuple, got: tuple) -> errors.InvalidArgumentError:
    """TF1's error for assign ``op`` giving its variable (of static ``shape``) a value of shape ``got``."""
    return errors.InvalidArgumentError(None, op, (
        f"Assign requires shapes of both tensors to match: variable {op.inputs[0].op.name} has shape "
        f"{list(shape)} and the value has shape {list(got)}. Pass validate_shape=False to change "
        "a variable's shape."))


def update_shape_mismatch(op: Any, shape: tuple, got: tuple) -> errors.OpError:
    """TF1's error for an ``AssignAdd``/``AssignSub`` ``op`` whose delta's shape ``got`` is not its
    variable's ``shape`` (TF1 never broadcasts the delta)."""
    return errors.InvalidArgumentError(None, op, (
        f"Cannot update variable {op.inputs[0].op.name} with shape {list(shape)} using a Tensor with shape "
        f"{list(got)}, shapes must be equal (op '{op.name}', {op.type}); reshape or broadcast the delta "
        "explicitly (tf.broadcast_to) if that is what you mean."))
