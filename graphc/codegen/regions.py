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

import weakref
from typing import Any, Callable, Optional, Sequence

import numpy as np

from graphc import errors
from graphc.control_flow.func_graph import ops_needed
from graphc.ops import tensor_array
from graphc.passes.run_plan import RunPlan

Factory = Callable[[RunPlan], Any]
# body -> factory -> {replay: executable}; weak both ways, so a compiled backend's factory (one per
# executable) and the sub-executables it made go when that executable goes
_executables: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _executable(body, factory: Factory, replay: bool, saved: Sequence = ()):
    """The body's sub-executable; with ``replay`` its kept values are fed (after its inputs), not drawn;
    ``saved``: intermediates of the body it also fetches (after the kept values)."""
    per_body = _executables.get(body)
    if per_body is None:
        per_body = _executables[body] = weakref.WeakKeyDictionary()
    per_factory = per_body.get(factory)
    if per_factory is None:
        per_factory = per_body[factory] = {}
    key = (replay, tuple(id(t) for t in saved)) if saved else replay
    exe = per_factory.get(key)
    if exe is None:
        feeds = list(body.inputs) + (list(body.kept) if replay else [])
        exe = per_factory[key] = factory(RunPlan(list(body.outputs) + list(body.kept) + list(saved), [], feeds))
    return exe


def body_executable(body, factory: Factory, replay: bool = False):
    """The sub-executable ``factory`` made for ``body`` (made now on first use, then cached)."""
    return _executable(body, factory, replay)


def _run_body(body, factory: Factory, args: Sequence[np.ndarray], state: Any, kept: Any = None,
              donated: Sequence[np.ndarray] = (), saved: Sequence = ()) -> list:
    """The body's outputs, kept values, then ``saved`` intermediates on ``args``; ``kept``: the values
    to replay, if any; ``donated``: arguments the caller gives up (a TensorArray write may update
    them in place)."""
    replay = kept is not None
    exe = _executable(body, factory, replay, saved)
    feeds = list(args) + (list(kept) if replay else [])
    if not donated and not tensor_array.any_donated():
        return exe.run(feeds, state)[0]
    with tensor_array.donating(donated):     # (always: a nested body must not see its parent's set)
        results, _ = exe.run(feeds, state)
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


def check_loop_value(op, body, i: int, value: Any) -> None:
    """Raises InvalidArgumentError when loop variable ``i``'s new ``value`` breaks its shape invariant."""
    shape = body.inputs[i].shape
    if not fits(shape, np.shape(value)):
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


def _stack(values: list, like) -> np.ndarray:
    """The recorded values of loop var ``like`` stacked; shapes alone (a loop var no gradient reads
    the values of) give a read-only stand-in of the stack's shape: one zero row, repeated."""
    if values and isinstance(values[0], tuple):
        if any(v != values[0] for v in values):
            raise errors.InvalidArgumentError(None, None, (
                f"The gradient of a while loop needs each loop variable's shape fixed across iterations, but "
                f"{like.name} changes shape ({values[:3]}...)."))
        # one zero row repeated: a row of it reads as fast as a row of a real stack
        return np.broadcast_to(np.zeros(values[0], dtype=like.dtype.np_type), (len(values),) + values[0])
    if values:
        try:
            return np.stack(values)
        except ValueError:
            raise errors.InvalidArgumentError(None, None, (
                f"The gradient of a while loop needs each loop variable's shape fixed across iterations, but "
                f"{like.name} changes shape ({[np.shape(v) for v in values[:3]]}...).")) from None
    dims = like.shape.as_tuple()
    return np.zeros((0,) + (() if dims is None else tuple(d or 0 for d in dims)), dtype=like.dtype.np_type)


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
    history: list = [[] for _ in range(n)]
    kept: list = [[] for _ in body.kept]
    intermediates: list = [[] for _ in saved]
    count = 0
    done = whole(values, captures, state) if whole is not None and not record and not replay else None
    if done is not None:      # the whole loop ran in compiled code
        values, count = done
        values = [np.asarray(v) for v in values]
    # loop vars only a TensorArray write reads, and no gradient records: written in place, after one
    # copy of the value the loop was given (the caller's)
    in_place = [i for i in written_only(body, n) if not (record and (i in valued or body.outputs[i] in saved))] \
        if done is None else []
    for i in in_place:
        values[i] = np.array(values[i], copy=True)
    while done is None and bool(np.asarray(_run_body(cond, factory, values + captures, state)[0])):
        kept_in = _iteration(op, recorded, count) if replay else None
        results = _run_body(body, factory, values + captures, state, kept_in, [values[i] for i in in_place],
                            saved if record else ())
        if record:
            for i, (h, v) in enumerate(zip(history, values)):
                h.append(v if i in valued else np.shape(v))
            for h, v in zip(kept + intermediates, results[n:]):
                h.append(v)
        values = results[:n]
        for i, v in enumerate(values):
            check_loop_value(op, body, i, v)
        count += 1
    return (tuple(np.array(v, copy=True) for v in values) + (np.array(count, dtype=np.int32),)
            + tuple(_stack(h, t) for h, t in zip(history, body.inputs[:n]))
            + tuple(_stack(h, t) for h, t in zip(kept + intermediates, list(body.kept) + list(saved))))


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
