"""Executables of a session (or of a region body): keyed by fetch/feed set and feed shapes, planned
once per shape pattern, LRU-bounded.

A shape-specialized backend (Numba, Triton, interpret) plans an executable for the feed shapes
it is given. Planning for every new batch size would re-run the whole pass pipeline (milliseconds)
and keep one executable per size forever, so the cache plans at most two per fetch/feed set and
*shape pattern*:

- the **pattern** of a fed shape keeps its rank, the dims its placeholder fixes, and the dims of
  size 0 or 1 (a size-1 dim broadcasts, so kernels depend on it); every other dim is left unknown
  (``None``). Kernels never depend on the unknown sizes; the executable binds them when a run sees
  them (its steps' geometry, cached per input shapes, and buffers sized by ``BufferPool``).
- the **first** shape of a pattern gets an executable specialized on its exact shapes (shape
  queries fold to constants, every step runs on build-time geometry, variables update in place):
  a training loop with one batch size runs as fast as before.
- a **second** shape of that pattern plans one executable for the pattern itself, which then
  serves every further shape of it with no planning: a batch size not seen before costs only its
  geometry and buffers.
- a shape the pattern's plan has served ``promote_after`` times gets its own exact plan (planned
  once, on that run): a pattern plan computes shapes at run time and cannot update variables in
  place, which costs a loop of many small kernels (a ``dynamic_rnn`` step: about 1.5x), so sizes
  that keep coming back run as fast as a single batch size does, while sizes seen once or twice
  never pay for planning.

Entries are kept in least-recently-used order and the oldest is dropped past ``capacity``
(``Session(executable_cache_size=...)``, else ``$GRAPHC_EXECUTABLE_CACHE``, default
``DEFAULT_CAPACITY``); ``STATS["executables_evicted"]`` counts the dropped ones.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Optional

from graphc import switches

DEFAULT_CAPACITY = 64
PROMOTE_AFTER = 8     # runs of one shape on its pattern's plan before it gets an exact plan
STATS = {"executables_evicted": 0}


def capacity_from(option: Optional[int]) -> int:
    """The cache size: ``option`` when given, else ``$GRAPHC_EXECUTABLE_CACHE``, else ``DEFAULT_CAPACITY``."""
    raw: Any = option
    source = "executable_cache_size"
    if raw is None:
        raw = switches.EXECUTABLE_CACHE.get()
        source = switches.EXECUTABLE_CACHE.name
        if not raw:
            return DEFAULT_CAPACITY
    try:
        size = int(raw)
    except (TypeError, ValueError):
        size = 0
    if size < 1 or isinstance(raw, bool):
        raise ValueError(f"{source} must be a positive integer (executables a session keeps), got {raw!r}")
    return size


def pattern_of(static_dims: tuple, shape: tuple) -> tuple:
    """The shape pattern of a fed ``shape`` for a placeholder whose static dims are ``static_dims``
    (None: unknown rank): its fixed dims, its 0 and 1 dims, None elsewhere."""
    if static_dims is None or len(static_dims) != len(shape):
        return tuple(d if d < 2 else None for d in shape)
    return tuple(d if (s is not None or d < 2) else None for s, d in zip(static_dims, shape))


class ExecutableCache:
    """Executables by (fetch/feed set, feed shapes or their pattern), least recently used dropped first.

    ``build(key_shapes, reason)`` makes an executable for feed shapes ``key_shapes`` (exact shapes,
    or a pattern with None dims); the cache calls it at most once per key it keeps.
    """

    def __init__(self, capacity: int, promote_after: int = PROMOTE_AFTER) -> None:
        self.capacity = capacity
        self.promote_after = promote_after     # (a loop body runs once per iteration: it passes more)
        self.entries: OrderedDict = OrderedDict()    # (fetch/feed set, shapes or pattern) -> executable
        self.first_shapes: OrderedDict = OrderedDict()   # (fetch/feed set, pattern) -> first exact shapes
        self.pattern_runs: OrderedDict = OrderedDict()   # (fetch/feed set, shapes) -> runs on the pattern's plan

    def __len__(self) -> int:
        return len(self.entries)

    def values(self) -> list:
        return list(self.entries.values())

    def clear(self) -> None:
        self.entries.clear()
        self.first_shapes.clear()
        self.pattern_runs.clear()

    def lookup(self, key: tuple) -> Any:
        """The executable cached under ``key`` (marked recently used), or None."""
        exe = self.entries.get(key)
        if exe is not None:
            self.entries.move_to_end(key)
        return exe

    def miss(self, feed_set: tuple, shapes: Optional[tuple], static_dims: list, build: Callable) -> tuple:
        """(executable, whether ``build`` made it) after ``lookup`` found nothing for exact ``shapes``
        (None for a backend that does not specialize on shapes): the first shape of a pattern gets
        its own executable; later ones share the pattern's, planned on the second."""
        if shapes is None:
            return self.keep((feed_set, None), build(None, self._why_new(feed_set, None))), True
        pattern = tuple(pattern_of(s, d) for s, d in zip(static_dims, shapes))
        if pattern == shapes:      # nothing left unknown: the exact executable is the pattern's
            return self.keep((feed_set, shapes), build(shapes, self._why_new(feed_set, shapes))), True
        key = (feed_set, pattern)
        exe = self.lookup(key)
        if exe is not None:
            exact = (feed_set, shapes)
            runs = self.pattern_runs.pop(exact, 0) + 1
            if runs < self.promote_after:
                self.pattern_runs[exact] = runs
                while len(self.pattern_runs) > 4 * self.capacity:
                    self.pattern_runs.popitem(last=False)
                return exe, False
            why = (f"feed shapes {shapes} ran {runs} times on the plan of their shape pattern "
                   f"{_pattern_text(pattern)}: planned for them exactly")
            return self.keep(exact, build(shapes, why)), True
        first = self.first_shapes.get(key)
        if first is None:
            self._remember_first(key, shapes)
            return self.keep((feed_set, shapes), build(shapes, self._why_new(feed_set, shapes))), True
        why = (f"feed shapes changed from {first} to {shapes}: planned once for the shape pattern "
               f"{_pattern_text(pattern)}, which every later size of it shares")
        exe = self.keep(key, build(pattern, why))
        self.pattern_runs[(feed_set, shapes)] = 1
        return exe, True

    def exact(self, feed_set: tuple, shapes: tuple, static_dims: list, build: Callable) -> Any:
        """A new executable specialized on ``shapes`` whatever their pattern (recorded as the pattern's
        first shapes if it has none), for a caller that needs static shapes."""
        pattern = tuple(pattern_of(s, d) for s, d in zip(static_dims, shapes))
        if (feed_set, pattern) not in self.first_shapes:
            self._remember_first((feed_set, pattern), shapes)
        return self.keep((feed_set, shapes), build(shapes, self._why_new(feed_set, shapes)))

    def _remember_first(self, key: tuple, shapes: tuple) -> None:
        self.first_shapes[key] = shapes
        while len(self.first_shapes) > self.capacity:
            self.first_shapes.popitem(last=False)

    def keep(self, key: tuple, exe: Any) -> Any:
        """Caches ``exe`` under ``key``, dropping the least recently used past ``capacity``; returns it."""
        self.entries[key] = exe
        while len(self.entries) > self.capacity:
            self.entries.popitem(last=False)
            STATS["executables_evicted"] += 1
        return exe

    def _why_new(self, feed_set: tuple, shapes: Optional[tuple]) -> str:
        """Which part of the cache key differs from the nearest cached executable."""
        for other_set, other_shapes in self.entries:
            if other_set == feed_set and other_shapes != shapes:
                return f"feed shapes changed from {other_shapes} to {shapes}"
        return "first run of this fetch/feed set"


def _pattern_text(pattern: tuple) -> str:
    return "(" + ", ".join("(" + ", ".join("?" if d is None else str(d) for d in p) + ("," if len(p) == 1 else "") + ")"
                           for p in pattern) + ("," if len(pattern) == 1 else "") + ")"
