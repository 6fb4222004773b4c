"""``Session``: holds variable values, turns fetches and feeds into a cached executable, runs it."""
from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any, Callable, Iterator, Optional, Sequence

import numpy as np

from graphc import errors, switches
from graphc.graph import Graph, Operation, Tensor, default_session, get_default_graph
from graphc.ops.state import QUERY_ANSWERS, SESSION_CLOSED, STATE_QUERIES
from graphc.toolchain import compile_notice
from graphc.passes.run_plan import RunPlan, check_assigned_shapes, reshaped_value
from graphc.codegen import commit, driver, executable_cache, tiered
from graphc.runtime import session_config
from graphc.runtime.fetch import FetchMapper, expand_feeds
from graphc.runtime.host_run import HostRun

log = logging.getLogger("graphc.runtime")
STATS = {"executables_built": 0, "executable_memory_hits": 0}


def available_backends() -> list:
    """The backend names ``Session(backend=...)`` accepts and can run here ("auto" first)."""
    return driver.available_backends()


def _compile(backend: str, plan: RunPlan, feed_shapes: Optional[tuple] = None, device: Any = None,
             mode: Optional[str] = None):
    return tiered.compile_run(backend, plan, feed_shapes, device, mode)


class SessionState:
    """What a session owns between runs: variable values, per-op run counters (random streams) and
    the host state of ops that keep some (``OpDef.session_state``)."""

    def __init__(self) -> None:
        self.values: dict = {}     # VariableV2 op -> ndarray, or a device array for the Triton backend
        self.counters: dict = {}   # random op -> times run
        self.op_states: dict = {}  # op with session_state -> its dict
        self.reshaped: dict = {}   # VariableV2 op -> shape of its value, where that is not its static shape

    def commit(self, updates: dict) -> None:
        """Stores a run's new variable values, noting those whose shape is not their static shape
        (runs plan their reads with the value's shape, as TF1's kernels take run-time shapes)."""
        self.values.update(updates)
        for var, value in updates.items():
            shape = reshaped_value(var, value)
            if shape is not None:
                self.reshaped[var] = shape
            elif self.reshaped:
                self.reshaped.pop(var, None)

    def next_count(self, op: Operation) -> int:
        c = self.counters.get(op, 0)
        self.counters[op] = c + 1
        return c

    def op_state(self, op: Operation) -> dict:
        """The dict ``op`` keeps in this session between runs (empty at first)."""
        return self.op_states.setdefault(op, {})


class Session:
    """Runs parts of a graph (TF1 ``tf.Session``). Variables live here; a new session starts uninitialized.

    ``backend``: "auto" (default, or ``$GRAPHC_BACKEND``: the best compiled backend here, Numba
    on the CPU), "numba", "eager" (the numpy reference executor, one numpy call per op) or
    "interpret" (the fused kernel plan run with numpy; for checking plans).
    ``config`` (a ``tf.ConfigProto``): see ``graphc.config.ConfigProto`` for what is honoured
    (intra-op threads, placement logging, ``device_count={'GPU': 0}``); ``target`` is accepted.
    ``executable_cache_size`` (a graphc extension): how many executables the session keeps, least
    recently used dropped first (default ``$GRAPHC_EXECUTABLE_CACHE``, else 64; see
    ``codegen/executable_cache.py``, which also says how new feed shapes share one plan).
    ``compile_mode``: "tiered" (default, or ``$GRAPHC_COMPILE``: a new fetch/feed set runs eagerly
    while Numba compiles it in the background, see ``codegen/tiered.py``) or "sync" (the first run
    waits for the compile).
    """

    def __init__(self, target: str = "", graph: Optional[Graph] = None, config: Any = None,
                 backend: Optional[str] = None, executable_cache_size: Optional[int] = None,
                 compile_mode: Optional[str] = None) -> None:
        if graph is not None and not isinstance(graph, Graph):
            raise TypeError(f"Argument `graph` must be a tf.Graph, but got {type(graph).__name__!r}")
        self.graph = graph if graph is not None else get_default_graph()
        backend = backend or switches.BACKEND.get()
        if session_config.hides_gpus(session_config.check_config(config)) and backend == "auto":
            backend = driver.AUTO_FALLBACK   # ConfigProto(device_count={'GPU': 0}): stay on the CPU
        if backend not in driver.names():
            raise ValueError(f"Unknown backend {backend!r}; available: {', '.join(driver.names())}")
        chosen = driver.resolve(backend)
        if not chosen.available():
            raise ValueError(chosen.unavailable_message())
        self.backend = chosen.name
        self._compile_mode = tiered.check_mode(compile_mode)
        self._shape_specialized = chosen.shape_specialized
        self._device = chosen.make_device()
        self.sess_str = target
        self.config = config
        self._settings = session_config.SessionSettings(config, self.backend)
        self._state = SessionState()
        self._cache = executable_cache.ExecutableCache(executable_cache.capacity_from(executable_cache_size))
        self._fetch_specs: dict = {}
        self._lock = threading.RLock()
        self._closed = False
        self._entered: list = []   # one ExitStack per `with sess:`

    @property
    def device(self) -> Any:
        """Where this session keeps variables and kernel operands: the Triton backend's array layer
        (``graphc.codegen.triton_memory``; torch tensors on a GPU), or None on host backends."""
        return self._device

    # context management -----------------------------------------------------------------------
    @contextlib.contextmanager
    def as_default(self) -> Iterator["Session"]:
        """Makes this the default session (for ``Tensor.eval``); the default graph is unchanged, as in TF1."""
        with default_session(self):
            yield self

    def __enter__(self) -> "Session":
        """``with tf.Session() as sess:`` makes both the session and its graph the defaults."""
        stack = contextlib.ExitStack()
        stack.enter_context(self.graph.as_default())
        stack.enter_context(self.as_default())
        self._entered.append(stack)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._entered.pop().close()
        self.close()

    def close(self) -> None:
        """Frees the session (its executables and variable values, on the device too); later runs
        raise RuntimeError. Closing twice is fine."""
        self._closed = True
        with self._lock:
            self._cache.clear()
            self._state.values.clear()
            for release in SESSION_CLOSED:   # host state other modules keep for it (iterators' threads)
                release(self)

    # running ----------------------------------------------------------------------------------
    def run(self, fetches: Any, feed_dict: Optional[dict] = None, options: Any = None,
            run_metadata: Any = None) -> Any:
        """Computes ``fetches`` (any TF1 fetch structure), feeding ``feed_dict``; returns numpy values."""
        if self._closed:
            self._check_open()
        if options is None and run_metadata is None:
            spec = self._fetch_spec(fetches)
            feed_tensors, feed_values = self._prepare_feeds(feed_dict)
            return spec.rebuild(self._run_spec(spec, feed_tensors, feed_values))
        with self._settings.traced(options, run_metadata):
            spec = self._fetch_spec(fetches)
            feed_tensors, feed_values = self._prepare_feeds(feed_dict)
            return spec.rebuild(self._run_spec(spec, feed_tensors, feed_values))

    def compile(self, fetches: Any, feed_dict: Optional[dict] = None) -> Any:
        """The executable ``run(fetches, feed_dict)`` would use (the same cache entry), without running it.

        It has ``.kernels`` (the launched kernels: ``.kind``, ``.op_types`` and, for compiled
        backends, ``.source``), ``.kernel_plan`` and ``.peak_bytes``.
        """
        self._check_open()
        spec = self._fetch_spec(fetches)
        feed_tensors, feed_values = self._prepare_feeds(feed_dict)
        with self._lock:
            return self._executable(spec.tensors, spec.targets, feed_tensors, feed_values, spec.fetch_set)

    def make_callable(self, fetches: Any, feed_list: Optional[Sequence[Any]] = None,
                      accept_options: bool = False, device_fetches: bool = False) -> Callable:
        """A function of the ``feed_list`` values that runs ``fetches`` (TF1 ``make_callable``).

        ``device_fetches`` (a graphc extension): on a device backend (``self.device`` not None),
        the fetched tensors come back as device arrays (torch tensors on a GPU) instead of numpy,
        so results can stay on the GPU; host backends return numpy either way.
        """
        self._check_open()
        spec = _FetchSpec(FetchMapper(self.graph, fetches))
        feed_tensors = [self._feed_key(k) for k in (feed_list or [])]
        convert = self._convert_feed
        on_device = bool(device_fetches) and self._device is not None and not self._device.on_host

        def call(*args: Any, options: Any = None, run_metadata: Any = None) -> Any:
            if len(args) != len(feed_tensors):
                raise TypeError(f"This callable takes {len(feed_tensors)} feed values "
                                f"({[t.name for t in feed_tensors]}), got {len(args)}")
            if self._closed:
                self._check_open()
            feed_values = [convert(t, v) for t, v in zip(feed_tensors, args)]
            if options is None and run_metadata is None:
                return spec.rebuild(self._run_spec(spec, feed_tensors, feed_values, on_device))
            with self._settings.traced(options, run_metadata):
                return spec.rebuild(self._run_spec(spec, feed_tensors, feed_values, on_device))
        return call

    def _fetch_spec(self, fetches: Any) -> "_FetchSpec":
        """The flattened fetch structure, memoized for fetches that are one graph element or a flat list."""
        if type(fetches) is Tensor:
            spec = self._fetch_specs.get(fetches)
            if spec is not None:
                return spec
        key = _fetch_key(fetches)
        spec = self._fetch_specs.get(key) if key is not None else None
        if spec is None:
            spec = _FetchSpec(FetchMapper(self.graph, fetches))
            if key is not None and len(self._fetch_specs) < 1024:
                self._fetch_specs[key] = spec
        return spec

    def _run_spec(self, spec: "_FetchSpec", feed_tensors: list, feed_values: list,
                  device_fetches: bool = False) -> list:
        state = self._state
        user_feeds = feed_tensors
        host = None      # host state this run changes (an iterator's position, a queue): undone if it fails
        if self.graph._state_queries:
            # answered before taking the lock: a dequeue may wait for another thread's run to enqueue
            feed_tensors, feed_values, host = self._answer_state_queries(spec, feed_tensors, feed_values)
        with self._lock:
            try:
                self._check_open()       # close() may have run while this run waited for the lock
                exe = self._executable(spec.tensors, spec.targets, feed_tensors, feed_values, spec.fetch_set)
            except BaseException:
                if host is not None:
                    host.failed()
                raise
            counters = dict(state.counters) if state.counters else None
            # a run that writes variables in place must not stop half way (see codegen/commit.py)
            with self._settings.threads(), commit.deferred_from_first_write(getattr(exe, "writes_in_place", True)):
                try:
                    if device_fetches:
                        results, updates = exe.run(feed_values, state, device_fetches=True)
                    else:
                        results, updates = exe.run(feed_values, state)
                    if updates and exe.plan.validated_shapes:
                        check_assigned_shapes(exe.plan.validated_shapes, updates)
                except BaseException as e:
                    state.counters = counters or {}  # a failed run leaves the session as it was
                    if host is not None:
                        host.failed()
                    if isinstance(e, MemoryError):   # an allocation inside a compiled step
                        raise errors.ResourceExhaustedError(None, None, f"OOM when allocating a tensor: {e}") from None
                    raise
                if updates:
                    state.commit(updates)
        if host is not None:
            host.succeeded()     # outside the lock: an enqueue into a full queue waits for a dequeue
        # TF1 hands a fetched feed back as the fed array (0-d stays an ndarray); ops give None
        if device_fetches:
            values = results
        elif user_feeds:
            fed = set(user_feeds)
            values = [r if t in fed else _to_user(r) for t, r in zip(spec.tensors, results)]
        else:
            values = [_to_user(r) for r in results]
        if spec.positions is None:
            return values
        return [None if i is None else values[i] for i in spec.positions]

    def _answer_state_queries(self, spec: "_FetchSpec", feed_tensors: list, feed_values: list) -> tuple:
        """Feeds, plus the answers of the state queries this run needs (``tf.is_variable_initialized``;
        an iterator's ``get_next``, answered by ``QUERY_ANSWERS``), and the ``HostRun`` recording the
        host state those answers changed (None if none did)."""
        key = tuple(feed_tensors)
        queries = spec.queries.get(key)
        if queries is None:
            plan = RunPlan(spec.tensors, spec.targets, feed_tensors)
            queries = spec.queries[key] = [op for op in plan.ops if op.type in STATE_QUERIES]
        if not queries:
            return feed_tensors, feed_values, None
        values = self._state.values
        tensors, answers = list(feed_tensors), list(feed_values)
        host = None
        for op in queries:
            if op.type == "IsVariableInitialized":
                tensors.append(op.outputs[0])
                answers.append(np.array(op.attrs["variable"] in values))
                continue
            host = host or HostRun()
            try:
                outputs = QUERY_ANSWERS[op.type](self, op, dict(zip(feed_tensors, feed_values)), host)
            except BaseException:
                host.failed()
                raise
            tensors.extend(op.outputs)
            answers.extend(outputs)
        return tensors, answers, host

    def _executable(self, fetch_tensors: list, targets: list, feed_tensors: list, feed_values: list,
                    fetch_set: tuple):
        """The cached executable for this fetch/feed set (and feed shapes or their pattern, for
        shape-specialized backends: see ``codegen/executable_cache.py``); ``fetch_set``: the
        fetches and targets as one tuple (``_FetchSpec.fetch_set``)."""
        feed_set: tuple = (fetch_set, tuple(feed_tensors))
        reshaped = self._state.reshaped
        if reshaped:    # variables whose value has another shape than their static one: planned with it
            feed_set = (*feed_set, tuple(reshaped.items()))
        shapes = tuple([tuple(v.shape) for v in feed_values]) if self._shape_specialized else None
        exe = self._cache.lookup((feed_set, shapes))
        if exe is None:
            static_dims = [t._shape._dims for t in feed_tensors]
            exe, built = self._cache.miss(feed_set, shapes, static_dims,
                                          self._builder(fetch_tensors, targets, feed_tensors, dict(reshaped)))
            if built:
                return exe
        STATS["executable_memory_hits"] += 1
        return exe

    def _builder(self, fetch_tensors: list, targets: list, feed_tensors: list,
                 value_shapes: Optional[dict] = None) -> Callable:
        """``build(feed_shapes, reason)``: a new executable for this fetch/feed set (the cache's
        callback); ``value_shapes``: the variables whose value is not of their static shape."""
        def build(feed_shapes: Optional[tuple], reason: str) -> Any:
            plan = RunPlan(fetch_tensors, targets, feed_tensors, value_shapes)
            request = compile_notice.CompileRequest.of_run(self.backend, fetch_tensors, targets, feed_tensors,
                                                           feed_shapes, reason)
            with compile_notice.building(request):
                exe = _compile(self.backend, plan, feed_shapes, self._device, self._compile_mode)
            compile_notice.watch_first_run(exe, request)
            self._settings.placed(plan.ops)
            _dump_sources(exe)
            STATS["executables_built"] += 1
            if log.isEnabledFor(logging.INFO):
                log.info("compiled a %s executable (%s): fetches %s", self.backend, request.reason, request.fetches)
            return exe
        return build

    # feeds ------------------------------------------------------------------------------------
    def _feed_key(self, key: Any) -> Tensor:
        if type(key) is Tensor and key.op.graph is self.graph:
            return key
        try:
            t = self.graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
        except (KeyError, ValueError, TypeError) as e:
            raise TypeError(f"Cannot interpret feed_dict key {key!r} as a Tensor of this session's graph: "
                            f"{e.args[0] if e.args else e}") from None
        return t

    def _prepare_feeds(self, feed_dict: Optional[dict]) -> tuple:
        if feed_dict is None:
            return [], []
        if type(feed_dict) is dict:
            graph = self.graph
            tensors = list(feed_dict)
            for t in tensors:
                if type(t) is not Tensor or t.op.graph is not graph:
                    break
            else:   # every key is one of this graph's tensors: no expansion, no duplicates
                convert = self._convert_feed
                return tensors, [convert(t, v) for t, v in feed_dict.items()]
        if not isinstance(feed_dict, Mapping):
            raise TypeError(f"feed_dict must be a dict (or other Mapping) from tensors or tensor names to "
                            f"values, not a {type(feed_dict).__name__}.")
        by_tensor: dict = {}   # a tensor fed twice (as a Tensor and by name): the last value wins
        for key, value in expand_feeds(feed_dict).items():
            t = self._feed_key(key)
            by_tensor[t] = self._convert_feed(t, value)
        return list(by_tensor), list(by_tensor.values())

    def _convert_feed(self, t: Tensor, value: Any) -> Any:
        """``value`` as an array of ``t``'s dtype; ValueError if its shape can't be ``t``'s static shape.

        On a device backend, an array already in the session's device memory (a torch/CuPy/JAX
        GPU array, through DLPack) stays there, cast on the device if needed: no host round trip.
        """
        kind = type(value)
        if (kind is np.ndarray and value.dtype == t.dtype.np_type) or (kind is float and t.dtype.is_floating):
            arr = np.asarray(value, dtype=t.dtype.np_type)
            _check_feed_shape(t, arr.shape)
            return arr
        if isinstance(value, (Tensor, Operation)) or hasattr(value, "_graph_tensor"):
            raise TypeError(f"The value of a feed cannot be a tf.Tensor object. Acceptable feed values "
                            f"include Python scalars, lists and numpy ndarrays. The value {value!r} was "
                            f"passed to the feed with key {t.name}; evaluate it first with sess.run.")
        if self._device is not None and type(value) is not np.ndarray:
            resident = self._device.adopt(value, t.dtype.np_type)
            if resident is not None:
                _check_feed_shape(t, tuple(resident.shape))
                return resident
        try:
            arr = np.asarray(value, dtype=t.dtype.np_type)
        except OverflowError:
            raise TypeError(f"Type of feed value {value!r} with type {type(value)} is not compatible with "
                            f"Tensor type {t.dtype.name} of {t.name}: it does not fit. Try a larger type "
                            "for the fed tensor (e.g. int64).") from None
        except (TypeError, ValueError) as e:
            raise type(e)(f"Cannot convert the value fed for {t.name} to a {t.dtype.name} array "
                          f"(tensor shape {t.shape}): {e}") from None
        _check_feed_shape(t, arr.shape)
        return arr

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")


def _check_feed_shape(t: Tensor, shape: tuple) -> None:
    dims = t._shape._dims
    if dims is not None and (len(dims) != len(shape) or any(
            d is not None and d != a for d, a in zip(dims, shape))):
        raise ValueError(f"Cannot feed value of shape {shape} for Tensor '{t.name}', which has "
                         f"shape '{t.shape}'")


def _dump_sources(exe: Any) -> None:
    """With GRAPHC_DUMP, writes each kernel's generated source next to the plan's other dumps.

    Only then is the eager backend's kernel plan computed (it runs the fusion planner, which
    eager does not otherwise need); a planner failure is raised, not hidden.
    """
    if not switches.DUMP.get():
        return
    kplan = exe.kernel_plan
    directory = kplan.dump_dir
    if not directory:
        return
    with open(os.path.join(directory, "output_code.py"), "w") as f:
        for k in kplan.kernels:
            f.write(f"# ===== kernel {k.index} [{k.kind}]: {' '.join(k.op_types)}\n")
            f.write((k.source or "# (no generated source: this backend interprets the plan)\n") + "\n")


class _FetchSpec:
    """A fetch structure resolved once: its tensors, its target ops, where each element's value goes."""

    __slots__ = ("mapper", "tensors", "targets", "positions", "queries", "fetch_set", "rebuild")

    def __init__(self, mapper: FetchMapper) -> None:
        self.mapper = mapper
        self.queries: dict = {}      # feed tensors -> the state-query ops the run needs
        self.tensors = [e for e in mapper.elements if isinstance(e, Tensor)]
        self.targets = [e for e in mapper.elements if isinstance(e, Operation)]
        self.fetch_set = (*self.tensors, None, *self.targets)   # the executable cache's key part
        self.rebuild: Callable = mapper.rebuild      # the values of the elements -> the fetch structure
        if not self.targets:
            self.positions = None
        else:
            index = {t: i for i, t in enumerate(self.tensors)}
            self.positions = [index.get(e) for e in mapper.elements]


def _fetch_key(fetches: Any) -> Any:
    """A hashable key for a fetch that is one element or a flat list/tuple of elements, else None."""
    if isinstance(fetches, (Tensor, Operation, str)):
        return fetches
    if type(fetches) in (list, tuple) and all(isinstance(f, (Tensor, Operation, str)) for f in fetches):
        return (type(fetches), tuple(fetches))
    return None


def _to_user(v: np.ndarray) -> Any:
    """TF1 returns numpy scalars for 0-d results and arrays otherwise."""
    return v[()] if v.ndim == 0 else v


class InteractiveSession(Session):
    """A Session that installs itself (and its graph) as the defaults, so ``Tensor.eval()`` works in a notebook."""

    def __init__(self, target: str = "", graph: Optional[Graph] = None, config: Any = None,
                 backend: Optional[str] = None, executable_cache_size: Optional[int] = None,
                 compile_mode: Optional[str] = None) -> None:
        super().__init__(target, graph, config, backend, executable_cache_size=executable_cache_size,
                         compile_mode=compile_mode)
        self._defaults_ctx: Optional[contextlib.ExitStack] = contextlib.ExitStack()
        self._defaults_ctx.enter_context(self.graph.as_default())
        self._defaults_ctx.enter_context(self.as_default())

    def close(self) -> None:
        if self._defaults_ctx is not None:
            ctx, self._defaults_ctx = self._defaults_ctx, None
            ctx.close()
        super().close()
