"""Host state a run touches before its executable starts (an iterator's position), kept consistent.

The session answers some ops from host state and feeds the answers like placeholders
(``ops.state.STATE_QUERIES``). Answers that change that state (``get_next`` takes an element)
register how to undo it; if the run fails the session calls ``failed()`` so nothing is lost,
and ``succeeded()`` applies what must only happen once the run has worked (an initializer).
"""
from __future__ import annotations

from typing import Callable


class HostRun:
    """The host-state effects of one ``Session.run``: undone on failure, applied on success."""

    def __init__(self) -> None:
        self._undo: list = []
        self._apply: list = []

    def on_failure(self, undo: Callable[[], None]) -> None:
        """``undo`` runs if the run fails (latest first)."""
        self._undo.append(undo)

    def on_success(self, apply: Callable[[], None]) -> None:
        """``apply`` runs once the run has succeeded (in registration order)."""
        self._apply.append(apply)

    def failed(self) -> None:
        """The run failed: undo every registered effect, newest first."""
        undo, self._undo, self._apply = self._undo, [], []
        for fn in reversed(undo):
            fn()

    def succeeded(self) -> None:
        """The run worked: apply the deferred effects."""
        apply, self._undo, self._apply = self._apply, [], []
        for fn in apply:
            fn()
