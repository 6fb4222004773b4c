"""``tf.train.SessionRunHook`` and the values passed to it around each ``MonitoredSession.run``."""
from __future__ import annotations

from typing import Any, NamedTuple


class SessionRunHook:
    """Code run around a MonitoredSession's life and each of its ``run`` calls; every method is optional."""

    def begin(self) -> None:
        """Called once before the session is created; the graph may still be changed here."""

    def after_create_session(self, session: Any, coord: Any) -> None:
        """Called once the session is created and its variables initialized or restored."""

    def before_run(self, run_context: "SessionRunContext") -> Any:
        """Called before each run; may return a ``SessionRunArgs`` of extra fetches and feeds."""
        return None

    def after_run(self, run_context: "SessionRunContext", run_values: "SessionRunValues") -> None:
        """Called after each run with the results of this hook's fetches (``run_values.results``)."""

    def end(self, session: Any) -> None:
        """Called when the session closes without an error (OutOfRangeError counts as none)."""


class SessionRunArgs(NamedTuple):
    """What a hook adds to a run: ``fetches``, a ``feed_dict`` and ``options``."""

    fetches: Any
    feed_dict: Any = None
    options: Any = None


class SessionRunValues(NamedTuple):
    """What a hook gets back: the values of its fetches, and the run's options and metadata."""

    results: Any
    options: Any
    run_metadata: Any


class SessionRunContext:
    """The run a hook is called around: the caller's fetches and feeds, the session, and a stop flag."""

    def __init__(self, original_args: SessionRunArgs, session: Any) -> None:
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self) -> SessionRunArgs:
        """The fetches and feeds the caller passed to ``run``."""
        return self._original_args

    @property
    def session(self) -> Any:
        """The underlying Session (running it does not call the hooks)."""
        return self._session

    @property
    def stop_requested(self) -> bool:
        """Whether a hook asked the loop to stop."""
        return self._stop_requested

    def request_stop(self) -> None:
        """Makes the MonitoredSession's ``should_stop()`` true after this run."""
        self._stop_requested = True


__all__ = ["SessionRunArgs", "SessionRunContext", "SessionRunHook", "SessionRunValues"]
