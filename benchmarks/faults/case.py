"""A fault case: a name, a category, a function, and how to run it."""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

CATEGORIES = ("feeds", "fetches", "graph", "variables", "ops", "cache", "saver", "signals",
              "threads", "sessions")


@dataclasses.dataclass(frozen=True)
class Context:
    """What a case may use: the backend under test and a scratch directory of its own.

    ``cache_dir`` is the suite run's private code cache (``GRAPHC_CACHE_DIR``); cases that need a
    cache of their own make one under ``scratch``.
    """

    backend: str
    scratch: str
    cache_dir: str
    repo: str


@dataclasses.dataclass(frozen=True)
class Case:
    """One case. ``fn(ctx)`` returns when graphc behaved as TF1 documents, else raises a Verdict.

    ``timeout`` caps the case's wall time (past it: hang). ``alone`` runs it in a worker process
    of its own (it installs signal handlers, changes the environment, or may kill its process).
    ``quick`` puts it in the fast subset the tests run. ``backends`` limits where it applies
    (None: every backend).
    """

    name: str
    category: str
    fn: Callable[[Context], None]
    timeout: float = 60.0
    alone: bool = False
    quick: bool = False
    backends: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}")

    def applies_to(self, backend: str) -> bool:
        return self.backends is None or backend in self.backends


CACHED = ("numba",)     # backends that keep compiled code in graphc's on-disk cache


def repo_root() -> str:
    """The checkout this suite lives in (graphc is imported from here in child processes)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
