"""``Session``: holds variable values, turns fetches and feeds into a cached executable, runs it."""
from __future__ import annotations

import contextlib
import os
import threading
from typing import Any, Callable, Iterator, Optional, Sequence

import numpy as np

from graphc import errors
from graphc.graph import Graph, Operation, Tensor, get_default_graph
from graphc.runtime.fetch import FetchMapper
from graphc.runtime.plan import RunPlan

_BACKENDS = ("auto", "eager")


def _compile(backend: str, plan: RunPlan):
    from graphc.codegen import eager

    return eager.compile_plan(plan)


class SessionState:
    """What a session owns between runs: variable values and per-op run counters (random streams)."""

    def __init__(self) -> None:
        self.values: dict = {}     # VariableV2 op -> ndarray
        self.counters: dict = {}   # random op -> times run

    def next_count(self, op: Operation) -> int:
        c = self.counters.get(op, 0)
        self.counters[op] = c + 1
        return c


class _DefaultSessions(threading.local):
    def __init__(self) -> None:
        self.stack: list = []


_defaults = _DefaultSessions()


def get_default_session() -> Optional["Session"]:
    """The innermost session installed by ``with sess:`` / ``sess.as_default()`` / InteractiveSession."""
    return _defaults.stack[-1] if _defaults.stack else None


def _session_for_eval(session: Optional["Session"], graph: Graph) -> "Session":
    session = session or get_default_session()
    if session is None:
        raise ValueError("Cannot evaluate tensor using `eval()`: No default session is registered. Use "
                         "`with sess.as_default()` or pass an explicit session to `eval(session=sess)`")
    if session.graph is not graph:
        raise ValueError("Cannot use the given session to evaluate tensor: the tensor's graph is "
                         "different from the session's graph.")
    return session


class Session:
    """Runs parts of a graph (TF1 ``tf.Session``). Variables live here; a new session starts uninitialized.

    ``backend``: "auto" (default, or ``$GRAPHC_BACKEND``) or "eager" (the numpy reference executor).
    """

    def __init__(self, target: str = "", graph: Optional[Graph] = None, config: Any = None,
                 backend: Optional[str] = None) -> None:
        self.graph = graph if graph is not None else get_default_graph()
        backend = backend or os.environ.get("GRAPHC_BACKEND", "auto")
        if backend not in _BACKENDS:
            raise ValueError(f"Unknown backend {backend!r}; available: {', '.join(_BACKENDS)}")
        self.backend = backend
        self._state = SessionState()
        self._cache: dict = {}
        self._lock = threading.RLock()
        self._closed = False
        self._default_ctx: list = []

    # context management -----------------------------------------------------------------------
    @contextlib.contextmanager
    def as_default(self) -> Iterator["Session"]:
        _defaults.stack.append(self)
        try:
            with self.graph.as_default():
                yield self
        finally:
            _defaults.stack.remove(self)

    def __enter__(self) -> "Session":
        ctx = self.as_default()
        ctx.__enter__()
        self._default_ctx.append(ctx)
        return self

    def __exit__(self, *exc) -> None:
        ctx = self._default_ctx.pop()
        ctx.__exit__(*exc)
        self.close()

    def close(self) -> None:
        self._closed = True
        self._cache.clear()

    # running ----------------------------------------------------------------------------------
    def run(self, fetches: Any, feed_dict: Optional[dict] = None, options: Any = None,
            run_metadata: Any = None) -> Any:
        """Computes ``fetches`` (any TF1 fetch structure), feeding ``feed_dict``; returns numpy values."""
        self._check_open()
        mapper = FetchMapper(self.graph, fetches)
        feed_tensors, feed_values = self._prepare_feeds(feed_dict)
        values = self._run_elements(mapper.elements, feed_tensors, feed_values)
        return mapper.rebuild(values)

    def make_callable(self, fetches: Any, feed_list: Optional[Sequence[Any]] = None,
                      accept_options: bool = False) -> Callable:
        """A function of the ``feed_list`` values that runs ``fetches`` (TF1 ``make_callable``)."""
        self._check_open()
        mapper = FetchMapper(self.graph, fetches)
        feed_tensors = [self._feed_key(k) for k in (feed_list or [])]

        def call(*args: Any, **kwargs: Any) -> Any:
            if len(args) != len(feed_tensors):
                raise TypeError(f"This callable takes {len(feed_tensors)} feed values "
                                f"({[t.name for t in feed_tensors]}), got {len(args)}")
            self._check_open()
            feed_values = [self._convert_feed(t, v) for t, v in zip(feed_tensors, args)]
            return mapper.rebuild(self._run_elements(mapper.elements, feed_tensors, feed_values))
        return call

    def _run_elements(self, elements: list, feed_tensors: list, feed_values: list) -> list:
        fetch_tensors = [e for e in elements if isinstance(e, Tensor)]
        targets = [e for e in elements if isinstance(e, Operation)]
        with self._lock:
            exe = self._executable(fetch_tensors, targets, feed_tensors)
            results, updates = exe.run(feed_values, self._state)
            self._state.values.update(updates)
        by_tensor = dict(zip(fetch_tensors, results))
        return [_to_user(by_tensor[e]) if isinstance(e, Tensor) else None for e in elements]

    def _executable(self, fetch_tensors: list, targets: list, feed_tensors: list):
        key = (tuple(fetch_tensors), tuple(targets), tuple(feed_tensors))
        exe = self._cache.get(key)
        if exe is None:
            plan = RunPlan(fetch_tensors, targets, feed_tensors)
            exe = _compile(self.backend, plan)
            self._cache[key] = exe
        return exe

    # feeds ------------------------------------------------------------------------------------
    def _feed_key(self, key: Any) -> Tensor:
        try:
            t = self.graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
        except (KeyError, ValueError, TypeError) as e:
            raise TypeError(f"Cannot interpret feed_dict key {key!r} as a Tensor of this session's graph: "
                            f"{e.args[0] if e.args else e}") from None
        if not isinstance(t, Tensor):
            raise TypeError(f"Cannot interpret feed_dict key {key!r} as a Tensor: it is an Operation")
        return t

    def _prepare_feeds(self, feed_dict: Optional[dict]) -> tuple:
        tensors, values = [], []
        for key, value in (feed_dict or {}).items():
            t = self._feed_key(key)
            tensors.append(t)
            values.append(self._convert_feed(t, value))
        return tensors, values

    @staticmethod
    def _convert_feed(t: Tensor, value: Any) -> np.ndarray:
        if isinstance(value, Tensor) or hasattr(value, "_graph_tensor"):
            raise TypeError(f"The value of a feed cannot be a tf.Tensor object. Acceptable feed values "
                            f"include Python scalars, lists and numpy ndarrays. The value {value!r} was "
                            f"passed to the feed with key {t.name}; evaluate it first with sess.run.")
        try:
            arr = np.asarray(value, dtype=t.dtype.np_type)
        except (TypeError, ValueError) as e:
            raise TypeError(f"Cannot convert the value fed for {t.name} to a {t.dtype.name} array "
                            f"(tensor shape {t.shape}): {e}") from None
        if not t.shape.is_compatible_with(arr.shape):
            raise ValueError(f"Cannot feed value of shape {arr.shape} for Tensor '{t.name}', which has "
                             f"shape '{t.shape}'")
        return arr

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")


def _to_user(v: np.ndarray) -> Any:
    """TF1 returns numpy scalars for 0-d results and arrays otherwise."""
    return v[()] if v.ndim == 0 else v


class InteractiveSession(Session):
    """A Session that installs itself as the default, so ``Tensor.eval()`` works in a notebook."""

    def __init__(self, target: str = "", graph: Optional[Graph] = None, config: Any = None,
                 backend: Optional[str] = None) -> None:
        super().__init__(target, graph, config, backend)
        self._ctx = self.as_default()
        self._ctx.__enter__()

    def close(self) -> None:
        if not self._closed and self._ctx is not None:
            try:
                self._ctx.__exit__(None, None, None)
            except ValueError:  # closed from another thread or out of order
                pass
            self._ctx = None
        super().close()
