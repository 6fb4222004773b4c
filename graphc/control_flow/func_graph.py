"""``FuncGraph``: the body of a region op (a cond branch, a loop's condition or body).

A body is a ``Graph`` whose ``inputs`` are placeholders and whose ``outputs`` are a flat list of its
tensors. An outer tensor used inside is captured on use: the body makes a placeholder for it (through
every enclosing body, for nested regions) and remembers the pair, so the region op can take the outer
tensor as an input. A body shares its outer graph's collections, variable store, variable scopes,
name scope and seed, so code written for TF1's single graph (``get_variable`` in a loop body, named
scopes) behaves the same inside.
"""
from __future__ import annotations

import contextlib
from itertools import accumulate
from typing import Any, Callable, Iterator, Optional

from graphc import dtypes
from graphc.graph import Graph, Operation, Tensor
from graphc.ops import array
from graphc.ops.core import OPS, OpKind
from graphc.ops.state import ASSIGN_UPDATES
from graphc.shape import TensorShape, as_shape


class FuncGraph(Graph):
    """A region's body: placeholders in, ``outputs`` out, outer tensors captured on use."""

    def __init__(self, name: str, outer_graph: Graph) -> None:
        super().__init__()
        self.name = name
        self.outer_graph = outer_graph
        self.inputs: list = []          # placeholders: the region's own inputs, then one per capture
        self.outputs: list = []
        self.captures: dict = {}        # outer tensor (of outer_graph) -> its placeholder here
        self.control_captures: list = []  # outer ops that ops of this body depend on
        self.kept: list = []            # outputs of random ops: what a gradient replays
        self.loop = False               # a while loop's cond or body: runs once per iteration
        self._transposed: dict = {}     # (capture,) -> its transpose, computed outside (hoisted_transpose)
        self._columns: dict = {}        # (capture, widths) -> its column blocks, sliced outside (hoisted_columns)
        # one TF1 graph as far as user code can tell
        self._collections = outer_graph._collections
        self._variable_store = outer_graph._variable_store
        self._var_scope_stack = outer_graph._var_scope_stack
        self.__dict__["_var_scope_counts"] = outer_graph.__dict__.setdefault("_var_scope_counts", {})
        self._name_stack = outer_graph._name_stack
        self.seed = outer_graph.seed

    def __repr__(self) -> str:
        return f"<graphc.FuncGraph '{self.name}' with {len(self._ops)} ops>"

    # ids come from the outermost graph: random ops' default seeds stay distinct across bodies
    def _next_id(self) -> int:
        return self._outermost()._next_id()

    @property
    def _last_id(self) -> int:
        return self._outermost()._last_id

    def _outermost(self) -> Graph:
        return self.outer_graph._outermost()

    def _can_capture(self, graph: Graph) -> bool:
        return graph is self or self.outer_graph._can_capture(graph)

    def _own_inputs(self, inputs: tuple, op_name: str) -> tuple:
        return tuple(self.capture(t) if isinstance(t, Tensor) and t.graph is not self else t for t in inputs)

    def create_op(self, op_type: str, inputs: tuple, attrs: dict, output_specs: list, name: str) -> Operation:
        if op_type in ASSIGN_UPDATES:
            raise ValueError(f"Cannot assign a variable inside the body of {self.name} (op {op_type} '{name}'): a "
                             "cond branch or loop body may only compute its outputs here. Assign the "
                             "value the region returns, outside it.")
        op = super().create_op(op_type, inputs, attrs, output_specs, name)
        self.kept.extend(kept_outputs(op))
        return op

    def capture(self, t: Tensor) -> Tensor:
        """The tensor standing for ``t`` here: ``t`` itself if it is ours, else its placeholder."""
        if t.graph is self:
            return t
        if not self.outer_graph._can_capture(t.graph):
            raise ValueError(f"Tensor {t.name} is from {t.graph!r}, which is not {self!r} nor a graph "
                             "enclosing it: a loop or branch body can only use its own tensors and those "
                             "of the graphs around it.")
        outer = t if t.graph is self.outer_graph else self.outer_graph.capture(t)
        inner = self.captures.get(outer)
        if inner is None:
            with self.control_dependencies(None), self.name_scope(None):
                inner = super().create_op("Placeholder", (), {"dtype": outer.dtype, "shape": outer.shape},
                                          [(outer.dtype, outer.shape)], "capture").outputs[0]
            self.captures[outer] = inner
        return inner

    def hoisted_transpose(self, t: Tensor) -> Optional[Tensor]:
        """In a loop's body, a captured float matrix ``t`` (the same in every iteration) as the
        capture of its transpose, built once outside the loop (and out of every enclosing loop it is
        invariant in): a product reading a weight transposed (``matmul(g, w, transpose_b=True)``, an
        RNN cell's backward product) then reads a C-order matrix, which BLAS multiplies 1.2-1.5x
        faster than the transposed view at an LSTM's shapes (benchmarks/README.md). None otherwise."""
        return self._hoisted(t, self._transposed, (), lambda outer: self.outer_graph.hoisted_transpose(outer),
                             array.transpose)

    def hoisted_columns(self, t: Tensor, widths: tuple) -> Optional[list]:
        """In a loop's body, a captured float matrix ``t`` as the captures of its column blocks of
        ``widths`` (ints summing to its width), sliced once outside the loop (and out of every
        enclosing loop it is invariant in): a product split by columns becomes one product per
        block, and a block nobody reads (an RNN cell's gradient for its input) is never computed.
        None otherwise."""
        dims = t.shape.as_tuple() if t.shape.ndims == 2 else None
        if dims is None or dims[1] is None or sum(widths) != dims[1] or min(widths) <= 0:
            return None

        def blocks(outer: Tensor) -> list:
            starts = accumulate(widths[:-1], initial=0)
            return [array.slice(outer, [0, b], [-1, w]) for b, w in zip(starts, widths)]
        return self._hoisted(t, self._columns, (tuple(widths),),
                             lambda outer: self.outer_graph.hoisted_columns(outer, widths), blocks)

    def _hoisted(self, t: Tensor, memo: dict, variant: tuple, from_outer: Callable, build: Callable) -> Any:
        """What ``build`` makes of loop-invariant ``t`` (a tensor or a list of them), built outside
        the loop (by the enclosing loop when ``t`` is invariant there too: ``from_outer``) and
        captured here; memoized in ``memo`` per capture and ``variant``. None: not a loop body, not
        a float matrix, or computed in this body."""
        if not self.loop or t.shape.ndims != 2 or not t.dtype.is_floating or not self._can_capture(t.graph):
            return None
        t = self.capture(t)
        key = (t,) + variant
        found = memo.get(key)
        if found is not None:
            return found
        outer = next((o for o, inner in self.captures.items() if inner is t), None)
        if outer is None:
            return None             # computed in this body: not invariant
        moved = from_outer(outer)
        if moved is None:
            with self.outer_graph.as_default(), self.outer_graph.control_dependencies(None):
                moved = build(outer)
        found = memo[key] = [self.capture(m) for m in moved] if isinstance(moved, list) else self.capture(moved)
        return found

    def add_input(self, dtype: Any, shape: Any, name: str = "input") -> Tensor:
        """A new placeholder input of this body (a loop variable, say)."""
        dt = dtypes.as_dtype(dtype)
        sh = as_shape(shape) if shape is not None else TensorShape(None)
        with self.control_dependencies(None):
            t = super().create_op("Placeholder", (), {"dtype": dt, "shape": sh}, [(dt, sh)], name).outputs[0]
        self.inputs.append(t)
        return t

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs: Any) -> Iterator[None]:
        """Dependencies on ops of this body as usual; on outer ops, recorded for the region op."""
        if control_inputs is None:
            with super().control_dependencies(None):
                yield
            return
        mine = []
        for c in control_inputs:
            op = c if isinstance(c, Operation) else getattr(c, "op", None)
            if isinstance(op, Operation) and op.graph is not self and self.outer_graph._can_capture(op.graph):
                self._capture_control(op)
            else:
                mine.append(c)
        with super().control_dependencies(mine):
            yield

    def _capture_control(self, op: Operation) -> None:
        if op.graph is not self.outer_graph:
            assert isinstance(self.outer_graph, FuncGraph)
            self.outer_graph._capture_control(op)
            return
        if op not in self.control_captures:
            self.control_captures.append(op)


# region op type -> the slice of its outputs that holds random draws (its bodies' kept values); a
# loop's outputs after them are the intermediates its gradient reads (``Recording.saved``)
_KEPT = {"If": lambda attrs: slice(len(attrs["then_branch"].outputs), None),
         "While": lambda attrs: slice(2 * attrs["num_vars"] + 1, 2 * attrs["num_vars"] + 1 + len(attrs["body"].kept))}


def kept_outputs(op: Operation) -> list:
    """The outputs of ``op`` that a gradient must replay rather than recompute: a random op's draws,
    and the draws a region op inside a body passes out (its bodies' kept values)."""
    od = OPS.get(op.type)
    if od is not None and od.kind is OpKind.RANDOM:
        return list(op.outputs)
    kept = _KEPT.get(op.type)
    return list(op.outputs[kept(op.attrs)]) if kept is not None else []


def outer_control_dependencies(graph: Graph, bodies: list) -> Any:
    """A ``control_dependencies`` block in ``graph`` for the outer ops that ``bodies`` depend on."""
    ops: list = []
    for body in bodies:
        ops.extend(op for op in body.control_captures if op not in ops)
    return graph.control_dependencies(ops) if ops else contextlib.nullcontext()


def seal(bodies: list, num_inputs: Optional[list] = None) -> list:
    """Gives ``bodies`` one shared capture layout: returns the outer tensors they capture (union, in
    first-use order) and extends each body's ``inputs`` with its placeholder for each, then
    finalizes the bodies."""
    union: list = []
    for body in bodies:
        _drop_unused_captures(body)
        union.extend(t for t in body.captures if t not in union)
    for body in bodies:
        for t in union:
            body.inputs.append(body.capture(t))   # unused by this body: an idle placeholder
        body.finalize()
    return union


def ops_needed(tensors: list) -> set:
    """The ops ``tensors`` depend on in their graph (data and control inputs): what a body runs."""
    seen: set = set()
    todo = [t.op for t in tensors]
    while todo:
        o = todo.pop()
        if o not in seen:
            seen.add(o)
            todo.extend(t.op for t in o.inputs)
            todo.extend(o.control_inputs)
    return seen


def _drop_unused_captures(body: FuncGraph) -> None:
    """Forgets the captures no op the body runs reads (a gradient body's first draft reads more than
    its final ops, see ``intermediates.py``), so the region op does not take those tensors."""
    live = ops_needed(list(body.outputs) + list(body.kept))
    for outer, inner in list(body.captures.items()):
        if inner.op not in live:
            del body.captures[outer]
