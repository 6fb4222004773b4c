"""Helpers shared by the compiled-backend test files.

Compiled results are compared with the eager reference through ``graphc.reference_bounds``: the
allowed difference is what the computation can promise (a few ulps per elementwise op, a sum's
``eps * (log2 n + c) * sum(|terms|)``), never one machine's rounding. Discrete results (integers,
booleans) must be equal unless a float input is within its error of a tie.
"""
import os
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import numpy as np
import pytest

import graphc as tf
from graphc.codegen import driver
from graphc.codegen.eager import EagerExecutable
from graphc.graph import Operation
from graphc.reference_bounds import BoundedRun, assert_within_bound, bound_run
from graphc.passes.run_plan import RunPlan
from graphc.runtime.session import SessionState


RS = np.random.RandomState(0)


def f32(*shape: int, scale: float = 1.0) -> np.ndarray:
    """Normal random float32 test data of ``shape``, times ``scale``."""
    return (RS.randn(*shape) * scale).astype(np.float32)


def initialized_state() -> SessionState:
    """A state with every global variable set by running its initializer eagerly."""
    state = SessionState()
    init = tf.global_variables_initializer()
    _, updates = EagerExecutable(RunPlan([], [init], [])).run([], state)
    state.values.update(updates)
    return state


def require_triton_interpreter() -> None:
    """Skips the calling test module unless triton imports and ``TRITON_INTERPRET`` is on (a GPU
    run sets TRITON_INTERPRET=0; these modules test the interpreter paths)."""
    pytest.importorskip("triton")
    if os.environ.get("TRITON_INTERPRET", "").strip().lower() not in ("1", "true", "on", "yes"):
        pytest.skip("these tests run Triton's CPU interpreter (TRITON_INTERPRET=0 is set: a GPU run)",
                    allow_module_level=True)


def bounded_reference(fetches: Sequence[Any], feeds: Sequence[Any] = (), values: Sequence[Any] = (),
                      targets: Sequence[Any] = (), state: Optional[SessionState] = None) -> BoundedRun:
    """The float64 reference and error bounds of one plan's run from ``state`` (before it runs)."""
    state = state or SessionState()
    return bound_run(fetches, dict(zip(feeds, values)), targets=targets,
                     variables={k: np.asarray(v) for k, v in state.values.items()},
                     random_counts=state.counters)


def assert_run_within_bounds(reference: BoundedRun, got: Sequence[Any], want: Sequence[Any],
                             got_updates: dict, want_updates: dict, what: str = "") -> None:
    """A compiled run's fetches and variable updates agree with the eager run's within the bounds."""
    assert len(got) == len(want) == len(reference.fetches)
    for i, (g, w, r) in enumerate(zip(got, want, reference.fetches)):
        assert_within_bound(g, w, r.bound, f"{what} fetch {i}")
    assert set(got_updates) == set(want_updates)
    for var, w in want_updates.items():
        assert_within_bound(got_updates[var], w, reference.updates[var].bound, f"{what} update of {var.name}")


def run_compared(reference: tf.Session, candidate: tf.Session, fetches: Any, feed_dict: Optional[dict] = None,
                 what: str = "") -> list:
    """Runs ``fetches`` (a flat list of tensors and ops) in both sessions and checks that the
    candidate's results and every variable it writes agree with the reference session's within
    the error bound of a correct evaluation; the variables' existing differences propagate.
    Returns the candidate's results."""
    fetches = list(fetches)
    tensors = [f for f in fetches if not isinstance(f, Operation)]
    ops = [f for f in fetches if isinstance(f, Operation)]
    feed_dict = dict(feed_dict or {})
    variables = [v.op for v in tf.global_variables()]
    ref_vars, var_errors = {}, {}
    for op in variables:
        try:
            r, c = reference.run(op.outputs[0]), candidate.run(op.outputs[0])
        except tf.errors.FailedPreconditionError:   # not initialized yet
            continue
        ref_vars[op] = r
        var_errors[op] = np.abs(np.asarray(c, np.float64) - np.asarray(r, np.float64))
    bounds = bound_run(tensors, feed_dict, targets=ops, variables=ref_vars, variable_errors=var_errors,
                       random_counts=dict(reference._state.counters))
    want = reference.run(fetches, feed_dict)
    got = candidate.run(fetches, feed_dict)
    results = iter(bounds.fetches)
    for f, g, w in zip(fetches, got, want):
        if isinstance(f, Operation):
            assert g is None and w is None
            continue
        assert_within_bound(g, w, next(results).bound, f"{what} {f.name}")
    for var, r in bounds.updates.items():
        assert_within_bound(candidate.run(var.outputs[0]), reference.run(var.outputs[0]), r.bound,
                            f"{what} variable {var.name} after the run")
    return got


@dataclass(frozen=True)
class CompiledBackend:
    """How a test builds one compiled backend's executables and reads their values back."""
    name: str
    executable: Callable[..., Any]                # (plan, feed_shapes, **options) -> executable
    to_host: Callable[[Any, Any], np.ndarray]     # (executable, a value it returned) -> numpy


def _numba() -> CompiledBackend:
    return CompiledBackend("numba", lambda plan, shapes: driver.compile_run("numba", plan, shapes),
                           lambda exe, value: value)


def _triton() -> CompiledBackend:
    require_triton_interpreter()
    return CompiledBackend("triton", lambda plan, shapes, layer=None: driver.compile_run("triton", plan, shapes, layer),
                           lambda exe, value: exe.layer.to_host(value))


COMPILED_BACKENDS = {"numba": _numba, "triton": _triton}


def compiled_backend(name: str) -> CompiledBackend:
    """The backend ``name`` of COMPILED_BACKENDS; skips the calling test when it cannot run here."""
    return COMPILED_BACKENDS[name]()


def run_against_eager(backend: CompiledBackend, fetches: Sequence[Any], feeds: Sequence[Any] = (),
                      values: Sequence[Any] = (), targets: Sequence[Any] = (), state: Optional[SessionState] = None,
                      **options: Any) -> tuple:
    """Runs one plan with eager and with ``backend`` (an executable made with ``options``) from equal
    states; checks that results and updates agree within the error bound of a correct evaluation,
    that results are numpy arrays, and that the run wrote no array of the session's except those of
    the variables the executable lists as updated in place. Returns (executable, results, updates)."""
    plan = RunPlan(list(fetches), list(targets), list(feeds))
    state = state or SessionState()
    reference = bounded_reference(fetches, feeds, values, targets, state)
    exe = backend.executable(plan, [np.shape(v) for v in values], **options)
    before = {k: v.copy() for k, v in state.values.items()}
    arrays = dict(state.values)
    want, want_updates = EagerExecutable(plan).run(list(values), state)
    got, got_updates = exe.run(list(values), state)
    for k, v in before.items():
        assert state.values[k] is arrays[k]
        if got_updates.get(k) is arrays[k]:   # written in place: only variables the executable says so
            assert k.name in exe.inplace_variables
        else:
            np.testing.assert_array_equal(state.values[k], v)
    assert all(isinstance(g, np.ndarray) for g in got)
    got_updates = {var: backend.to_host(exe, u) for var, u in got_updates.items()}
    assert_run_within_bounds(reference, got, want, got_updates, want_updates, backend.name)
    return exe, got, got_updates


def numba_executables(monkeypatch, fetches: Sequence[Any], feeds: Sequence[tuple], targets: Sequence[Any] = (),
                      modes: Sequence[str] = ("steps", "straight")) -> list:
    """Numba executables of one run plan, one per ``GRAPHC_NUMBA_DRIVER`` mode in ``modes``."""
    shapes = [tuple(np.shape(v)) for _, v in feeds]
    plan = RunPlan(list(fetches), list(targets), [p for p, _ in feeds])
    made = []
    for mode in modes:
        monkeypatch.setenv("GRAPHC_NUMBA_DRIVER", mode)
        made.append(driver.compile_run("numba", plan, shapes))
    return made


def assert_close_in_ulps(want: Sequence[Any], got: Sequence[Any], what: str, ulps: int) -> None:
    """Equal dtypes and shapes; integers and booleans equal; floats within ``ulps`` ulps of the
    largest finite magnitude."""
    for x, y in zip(want, got):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape, what
        if x.dtype.kind != "f" or x.size == 0:
            np.testing.assert_array_equal(x, y, err_msg=what)
            continue
        eps = np.finfo(x.dtype).eps
        scale = float(np.max(np.abs(x[np.isfinite(x)]), initial=0.0))
        np.testing.assert_allclose(y, x, rtol=ulps * eps, atol=ulps * eps * scale, err_msg=what)
