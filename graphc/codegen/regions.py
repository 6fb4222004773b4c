"""Running region ops (``If``, ``While``): each body as a RunPlan through a sub-executable.

A body's RunPlan feeds its inputs and fetches its outputs and kept random draws. The
sub-executable comes from a *factory* (``RunPlan -> executable``, as a backend's ``compile_plan``)
and is built once per body and factory. The eager executor calls ``run`` with its own
``compile_plan``; every compiled backend's host step calls it with ``host.subplan_factory`` (bodies
compiled by that backend) and, for loops, the backend's whole-loop hook (``numba_loop.py``,
``triton_loop.py``), which runs a loop that records and replays nothing without this module's
per-iteration Python loop.
"""
from __future__ import annotations

import math
import weakref
from typing import Any, Callable, NamedTuple, Optional, Sequence

import numpy as np

from graphc import errors
from graphc.control_flow.func_graph import ops_needed
from graphc.codegen import run_policy as policy
from graphc.codegen import scalar_cond
from graphc.ops import tensor_array
from graphc.passes.run_plan import RunPlan

Factory = Callable[[RunPlan], Any]
# body -> factory -> {replay: executable}; weak both ways, so a compiled backend's factory (one per
# executable) and the sub-executables it made go when that executable goes
_executables: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _executable(body, factory: Factory, replay: bool, saved: Sequence = (), skip: tuple = ()):
    """The body's sub-executable; with ``replay`` its kept values are fed (after its inputs), not drawn;
    ``saved``: intermediates of the body it also fetches (after the kept values); ``skip``: positions
    of body outputs it does not fetch (inputs passed through, see ``_passed_through``)."""
    # (setdefault: a tiered session's eager runs and its background compile reach here from two threads)
    per_body = _executables.get(body)
    if per_body is None:
        per_body = _executables.setdefault(body, weakref.WeakKeyDictionary())
    per_factory = per_body.get(factory)
    if per_factory is None:
        per_factory = per_body.setdefault(factory, {})
    key = (replay, tuple(id(t) for t in saved), skip) if saved or skip else replay
    exe = per_factory.get(key)
    if exe is None:
        feeds = list(body.inputs) + (list(body.kept) if replay else [])
        outputs = [t for j, t in enumerate(body.outputs) if j not in skip]
        exe = per_factory[key] = factory(RunPlan(outputs + list(body.kept) + list(saved), [], feeds))
    return exe


_passed: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # body -> [(output j, input k)]


def _passed_through(body) -> list:
    """``(j, k)`` for each body output ``j`` that is body input ``k`` itself (a loop var no iteration
    changes, as ``hoist.py`` leaves a weight-gradient sum): the caller's array is the result, so the
    executable neither fetches nor copies it each iteration."""
    found = _passed.get(body)
    if found is None:
        inputs = {id(t): k for k, t in enumerate(body.inputs)}
        found = _passed[body] = [(j, inputs[id(t)]) for j, t in enumerate(body.outputs) if id(t) in inputs]
    return found


def loop_body(body, factory: Factory, saved: Sequence = (), dead: tuple = ()) -> tuple:
    """``(sub-executable, passed-through outputs)`` that the body-by-body loop runs ``body`` through
    when it records ``saved`` and need not compute the ``dead`` loop vars (see ``_prepare``)."""
    prepared = _prepare(body, factory, False, saved, dead)
    return prepared.exe, prepared.passed


def body_executable(body, factory: Factory, replay: bool = False):
    """The sub-executable ``factory`` made for ``body`` (made now on first use, then cached)."""
    return _executable(body, factory, replay)


class _Prepared(NamedTuple):
    """A body's sub-executable and which of its outputs are its inputs passed through, settled once
    for every iteration of a loop (``_prepare``)."""
    exe: Any
    passed: list               # (output j, input k) the executable does not fetch
    fetch_of: dict             # result position -> the executable's fetch position


def _prepare(body, factory: Factory, replay: bool = False, saved: Sequence = (), dead: tuple = ()) -> _Prepared:
    """What ``_run_prepared`` needs to run ``body`` (see ``_run_body``)."""
    passed = _passed_through(body)
    if dead:
        passed = sorted({(j, k) for j, k in passed if j not in dead} | {(i, i) for i in dead})
    skip = tuple(j for j, _k in passed)
    exe = _executable(body, factory, replay, saved, skip)
    count = len(body.outputs) + len(body.kept) + len(saved)
    fetch_of = {i: i - sum(1 for j in skip if j < i) for i in range(count)} if skip else {}
    return _Prepared(exe, passed, fetch_of)


def _run_body(body, factory: Factory, args: Sequence[np.ndarray], state: Any, kept: Any = None,
              donated: Sequence[np.ndarray] = (), saved: Sequence = (), into: Optional[dict] = None,
              dead: tuple = ()) -> list:
    """The body's outputs, kept values, then ``saved`` intermediates on ``args``; ``kept``: the values
    to replay, if any; ``donated``: arguments the caller gives up (a TensorArray write may update
    them in place); ``into``: {result position: array} the executable may write those results into
    (when it ``writes_into``); ``dead``: loop vars the body need not compute (``dead_loop_vars``),
    whose arguments come back unchanged."""
    return _run_prepared(_prepare(body, factory, kept is not None, saved, dead), args, state, kept, donated, into)


def _run_prepared(prepared: _Prepared, args: Sequence[np.ndarray], state: Any, kept: Any = None,
                  donated: Sequence[np.ndarray] = (), into: Optional[dict] = None) -> list:
    """``_run_body`` with its executable and pass-through settled (a loop prepares once per run)."""
    exe, passed, fetch_of = prepared
    feeds = list(args) + list(kept) if kept is not None else args
    if into and passed:     # result positions -> the executable's fetch positions
        into = {fetch_of[i]: row for i, row in into.items()}
    options = {"into": into} if into and getattr(exe, "writes_into", False) else {}
    if not donated and not tensor_array.any_donated():
        results = exe.run(feeds, state, **options)[0]
    else:
        with tensor_array.donating(donated):     # (always: a nested body must not see its parent's set)
            results, _ = exe.run(feeds, state, **options)
    if passed:
        results = list(results)
        for j, k in passed:
            results.insert(j, args[k])
    return results


_written_only: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # body -> loop var indices
# (op type, input index): inputs an op updates in place when their owner gave them up (``donating``)
IN_PLACE_UPDATES = {("TensorArrayScatter", 0), ("TensorArrayClearRows", 1), ("TensorArrayTakeRows", 1),
                    ("TensorArrayAccumulate", 0)}


def written_only(body, n: int) -> list:
    """The loop vars of ``body`` (of ``n``) whose one reader updates them in place (a TensorArray
    write into its buffer, a gradient buffer cleared or added to, ``IN_PLACE_UPDATES``): the driver
    may let that op update the previous version (nothing reads it afterwards)."""
    found = _written_only.get(body)
    if found is None:
        returned = {id(t) for t in list(body.outputs) + list(body.kept)}
        live = ops_needed(list(body.outputs) + list(body.kept))     # (not the ops the body does not run)
        found = []
        for i, ph in enumerate(body.inputs[:n]):
            uses = [(c.type, k) for c in live for k, t in enumerate(c.inputs) if t is ph]
            if len(uses) == 1 and uses[0] in IN_PLACE_UPDATES and id(ph) not in returned:
                found.append(i)
        _written_only[body] = found
    return found


def fits(static, actual: tuple) -> bool:
    """Whether a value of shape ``actual`` has static shape ``static`` (a TensorShape)."""
    dims = static.as_tuple()
    return dims is None or len(dims) == len(actual) and all(d is None or d == a for d, a in zip(dims, actual))


_unsure: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # body -> loop vars to check


def unsure_vars(body, n: int) -> list:
    """The loop vars of ``body`` (of ``n``) whose new value's static shape does not already imply
    their shape invariant: only those are checked after each iteration."""
    found = _unsure.get(body)
    if found is None:
        found = _unsure[body] = []
        for i, (ph, out) in enumerate(zip(body.inputs[:n], body.outputs)):
            want, have = ph.shape.as_tuple(), out.shape.as_tuple()
            if want is not None and (have is None or len(want) != len(have)
                                     or any(w is not None and w != h for w, h in zip(want, have))):
                found.append(i)
    return found


def check_loop_value(op, body, i: int, value: Any) -> None:
    """Raises InvalidArgumentError when loop variable ``i``'s new ``value`` breaks its shape invariant."""
    shape = body.inputs[i].shape
    if not fits(shape, value.shape if type(value) is np.ndarray else np.shape(value)):
        raise errors.InvalidArgumentError(None, getattr(op, "origin", op), (
            f"Loop variable {i} of {op.name} has shape {list(np.shape(value))} in an iteration, which its "
            f"shape invariant {shape} does not allow. Give tf.while_loop a less specific shape_invariants entry."))


def _zeros(t) -> np.ndarray:
    dims = t.shape.as_tuple()
    return np.zeros(() if dims is None else tuple(d or 0 for d in dims), dtype=t.dtype.np_type)


def _run_if(op, args: list, state: Any, factory: Factory, whole: Optional[Callable] = None) -> tuple:
    then, other = op.attrs["then_branch"], op.attrs["else_branch"]
    take_then = bool(np.asarray(args[0]))
    taken = then if take_then else other
    ncap = len(then.inputs)
    caps, recorded = args[1:1 + ncap], args[1 + ncap:]
    kept_in = None
    if op.attrs.get("replay"):
        kept_in = recorded[:len(then.kept)] if take_then else recorded[len(then.kept):]
    results = _run_body(taken, factory, caps, state, kept_in)
    p = len(taken.outputs)
    outs, kept = results[:p], results[p:]
    kept_then = kept if taken is then else [_zeros(t) for t in then.kept]
    kept_else = kept if taken is other else [_zeros(t) for t in other.kept]
    return tuple(np.array(v, copy=True) for v in outs) + tuple(kept_then) + tuple(kept_else)


def _changes_shape(like, shapes: list) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, (
        f"The gradient of a while loop needs each loop variable's shape fixed across iterations, but "
        f"{like.name} changes shape ({shapes[:3]}...)."))


class _Rows:
    """One recorded value per iteration, written as row ``count`` of one preallocated ``[T, ...]``
    array (doubled when full; first sized by the loop's previous run) instead of stacked after the
    loop; shapes alone (a loop var no gradient reads the values of) give a read-only stand-in of
    the stack's shape: one zero row, repeated."""

    __slots__ = ("like", "buffer", "count", "shape", "target", "recycler", "key")

    def __init__(self, like, capacity: int, recycler: Optional[policy.Recycler] = None, key: Any = None) -> None:
        self.like, self.buffer, self.count, self.shape = like, capacity, 0, None
        self.target: Optional[np.ndarray] = None     # the row handed to the body for its next value
        # the loop's recycler: last run's buffers, once nothing reads them, instead of fresh arrays
        # (a fresh one costs a page fault per 4 KiB written, every run)
        self.recycler, self.key = recycler, key

    def _empty(self, rows: int, row_shape: tuple, dtype) -> np.ndarray:
        shape = (rows,) + row_shape
        if self.recycler is None:
            return policy.new_array(shape, dtype)
        n = 1
        for d in shape:
            n *= d
        return self.recycler.array(self.key, n, dtype).reshape(shape)

    def append(self, value) -> None:
        if isinstance(value, tuple):            # a shape: only the stand-in is built
            if self.shape is None:
                self.shape = value
            elif value != self.shape:
                raise _changes_shape(self.like, [self.shape, value])
            self.count += 1
            return
        if value is self.target:        # the body wrote it into its row already
            self.target = None
            self.count += 1
            return
        self.target = None
        value = np.asarray(value)
        buffer = self.buffer
        if isinstance(buffer, int):
            buffer = self.buffer = self._empty(max(buffer, 1), value.shape, value.dtype)
        elif value.shape != buffer.shape[1:]:
            raise _changes_shape(self.like, [buffer.shape[1:], value.shape])
        if self.count == len(buffer):
            buffer = self._grow()
        buffer[self.count] = value
        self.count += 1

    def _grow(self) -> np.ndarray:
        buffer = self.buffer
        grown = self._empty(2 * len(buffer), buffer.shape[1:], buffer.dtype)
        grown[:self.count] = buffer[:self.count]
        self.buffer = grown
        return grown

    def next_row(self) -> Optional[np.ndarray]:
        """The row the next value goes into, for the body to write it there (None before the first
        value gave the row's shape); ``append`` of that very array then copies nothing."""
        buffer = self.buffer
        if isinstance(buffer, int) or self.shape is not None:
            return None
        if self.count == len(buffer):
            buffer = self._grow()
        self.target = buffer[self.count, ...]     # (a 0-d view for scalar rows, not a numpy scalar)
        return self.target

    def stack(self) -> np.ndarray:
        """The ``[count, ...]`` stack of the recorded values."""
        if self.shape is not None:
            # one zero row repeated: a row of it reads as fast as a row of a real stack
            return np.broadcast_to(_zero_row(self.shape, self.like.dtype.np_type), (self.count,) + self.shape)
        if not isinstance(self.buffer, int):
            return self.buffer[:self.count]
        dims = self.like.shape.as_tuple()
        return np.zeros((0,) + (() if dims is None else tuple(d or 0 for d in dims)), dtype=self.like.dtype.np_type)


_ZERO_ROWS: dict = {}       # (shape, dtype) -> a read-only zero array (a stand-in's one row)
_ZERO_ROW_CACHED_MAX = 64 << 20     # bytes: larger ones are made each time, not kept


def _zero_row(shape: tuple, dtype) -> np.ndarray:
    """A read-only zero array of ``shape``, made once: a TensorArray buffer's stand-in row is the
    whole buffer's size, and zeroing megabytes every run shows in a loop's time."""
    key = (shape, np.dtype(dtype))
    if math.prod(shape) * key[1].itemsize > _ZERO_ROW_CACHED_MAX:
        return np.zeros(shape, dtype=dtype)
    zero = _ZERO_ROWS.get(key)
    if zero is None:
        if len(_ZERO_ROWS) > 64:
            _ZERO_ROWS.clear()
        zero = _ZERO_ROWS[key] = np.zeros(shape, dtype=dtype)
        zero.flags.writeable = False
    return zero


_last_count: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()    # body -> its last iteration count
_recyclers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()     # body -> its rows' Recycler


def _run_while(op, args: list, state: Any, factory: Factory, whole: Optional[Callable] = None) -> tuple:
    n, cond, body = op.attrs["num_vars"], op.attrs["cond"], op.attrs["body"]
    record = op.attrs["record"].on
    valued = op.attrs["record"].values     # the loop vars a gradient reads the values of
    # the intermediates a gradient reads (as many as this op has outputs for: a node compiled
    # before a later gradient saved more has fewer)
    saved = op.attrs["record"].saved[:len(op.outputs) - 2 * n - 1 - len(body.kept)]
    ncap = len(body.inputs) - n
    values, captures, recorded = list(args[:n]), list(args[n:n + ncap]), list(args[n + ncap:])
    replay = bool(op.attrs.get("replay"))
    capacity = _last_count.get(body, 8) if record else 0
    recycler = _recyclers.get(body)
    if recycler is None:
        recycler = _recyclers.setdefault(body, policy.Recycler())
    history = [_Rows(t, capacity, recycler, ("var", i)) for i, t in enumerate(body.inputs[:n])]
    kept = [_Rows(t, capacity, recycler, ("kept", i)) for i, t in enumerate(body.kept)]
    intermediates = [_Rows(t, capacity, recycler, ("saved", i)) for i, t in enumerate(saved)]
    count = 0
    # loop vars only a TensorArray write reads, and no gradient records: written in place, after one
    # copy of the value the loop was given (the caller's)
    dead = tuple(op.attrs.get("dead_vars", ()))
    in_place = [i for i in written_only(body, n)
                if i not in dead and not (record and (i in valued or body.outputs[i] in saved))]
    done = None
    if whole is not None and not replay:
        if getattr(whole, "records", False):
            plan = LoopPlan(record, tuple(saved) if record else (), tuple(valued) if record else (), dead,
                            tuple(in_place), capacity, recycler)
            done = whole(values, captures, state, plan)
            if done is not None:
                return _whole_results(body, done, history, kept, intermediates, record)
        elif not record:
            done = whole(values, captures, state)
    if done is not None:      # the whole loop ran in compiled code
        values, count = done
        values = [np.asarray(v) for v in values]
        dead, in_place = (), []
    for i in in_place:
        values[i] = np.array(values[i], copy=True)
    # recorded results written straight into their rows: not one that is also a loop var's new value
    # (the next iteration would read, and might update, the row)
    outputs = {id(t) for t in body.outputs}
    direct = [(n + j, rows) for j, (t, rows) in enumerate(zip(list(body.kept) + list(saved), kept + intermediates))
              if id(t) not in outputs] if record else []
    if done is None:
        body_run = _prepare(body, factory, replay, saved if record else (), dead)
        condition = _Condition(cond, factory, state)
    while done is None and condition.holds(values + captures):
        kept_in = _iteration(op, recorded, count) if replay else None
        into = None
        if direct:
            into = {k: row for k, row in ((k, rows.next_row()) for k, rows in direct) if row is not None}
        results = _run_prepared(body_run, values + captures, state, kept_in, [values[i] for i in in_place], into)
        if record:
            for i, (h, v) in enumerate(zip(history, values)):
                h.append(v if i in valued else np.shape(v))
            for h, v in zip(kept + intermediates, results[n:]):
                h.append(v)
        values = results[:n]
        for i in unsure_vars(body, n):
            check_loop_value(op, body, i, values[i])
        count += 1
    if record:
        _last_count[body] = count
    # (a dead var's final value is its initial one, which nothing reads: not copied)
    return (tuple(v if i in dead else np.array(v, copy=True) for i, v in enumerate(values))
            + (np.array(count, dtype=np.int32),)
            + tuple(h.stack() for h in history + kept + intermediates))


class LoopPlan(NamedTuple):
    """What a backend's compiled whole loop needs to run a loop as the body-by-body driver would
    (``whole.records``: it takes one): which intermediates (``saved``) and loop vars (``valued``) to
    record a row of per iteration, the loop vars the body need not compute (``dead``) and those it
    may update in place (``in_place``); rows come from ``recycler`` in ``[capacity, ...]`` arrays."""
    record: bool
    saved: tuple
    valued: tuple
    dead: tuple
    in_place: tuple
    capacity: int
    recycler: policy.Recycler


def _whole_results(body, done: tuple, history: list, kept: list, intermediates: list, record: bool) -> tuple:
    """The loop op's outputs from a compiled whole loop's ``(final values, count, {var: its value
    stack}, [saved stacks])``: loop vars the gradient reads the shape of only get stand-ins."""
    values, count, stacks, saved_stacks = done
    if record:
        for i, rows in enumerate(history):
            if i in stacks:
                rows.buffer, rows.count = stacks[i], count
            else:
                rows.shape, rows.count = tuple(np.shape(values[i])), count
        for rows, stack in zip(intermediates, saved_stacks):
            rows.buffer, rows.count = stack, count
        _last_count[body] = count
    return (tuple(values) + (np.array(count, dtype=np.int32),)
            + tuple(h.stack() for h in history + kept + intermediates))


class _Condition:
    """A loop's condition: its Python evaluator when it has one (``scalar_cond``), else (and for
    arguments that are not numpy scalars) its compiled sub-executable, prepared on first need."""

    def __init__(self, cond, factory: Factory, state: Any) -> None:
        self.cond, self.factory, self.state = cond, factory, state
        self.test = scalar_cond.evaluator(cond)
        self.prepared: Optional[_Prepared] = None

    def holds(self, args: list) -> bool:
        if self.test is not None:
            held = self.test(args)
            if held is not None:
                return held
        if self.prepared is None:
            self.prepared = _prepare(self.cond, self.factory)
        return bool(np.asarray(_run_prepared(self.prepared, args, self.state)[0]))


def _iteration(op, recorded: list, i: int) -> list:
    """Iteration ``i``'s recorded draws, for a loop replaying them."""
    if any(len(r) <= i for r in recorded):
        raise errors.InvalidArgumentError(None, getattr(op, "origin", op), (
            f"{op.name} replays the random draws of a recorded loop but runs more iterations ({i + 1}) than "
            "were recorded: the recomputed loop must take the recorded loop's path."))
    return [r[i] for r in recorded]


_RUNNERS = {"If": _run_if, "While": _run_while}


def run(op, args: list, state: Any, factory: Factory, whole: Optional[Callable] = None) -> tuple:
    """The outputs of region op ``op`` (a graph op, or an IR node with its attrs) on ``args``.

    ``whole``: for a loop, a compiled whole loop ``whole(values, captures, state) -> (final values,
    iteration count)`` (None when it cannot run these values), used when no iteration is recorded
    or replayed; the loop runs body by body here otherwise."""
    return _RUNNERS[op.type](op, args, state, factory, whole)
