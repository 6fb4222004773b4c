"""``BroadcastGlobalVariablesHook``: Horovod's way to start every rank of a MonitoredTrainingSession
from the same weights.

The hook builds ``broadcast_global_variables(root_rank)`` in ``begin`` (before the session
finalizes the graph) and runs it in ``after_create_session``, that is after the session has
initialized its variables or restored them from a checkpoint (only the root needs one: the
broadcast overwrites whatever the other ranks initialized).
"""
from __future__ import annotations

from typing import Any, Optional

from graphc.distribute.optimizer import broadcast_global_variables
from graphc.graph import Operation, get_default_graph
from graphc.train.session_run_hook import SessionRunHook


class BroadcastGlobalVariablesHook(SessionRunHook):
    """Sets every global variable to ``root_rank``'s value once the session is created.

    ``device`` is accepted for Horovod compatibility (collectives run on the host in graphc).
    """

    def __init__(self, root_rank: int, device: str = "") -> None:
        super().__init__()
        self.root_rank = root_rank
        self.device = device
        self.bcast_op: Optional[Operation] = None

    def begin(self) -> None:
        if self.bcast_op is None or self.bcast_op.graph is not get_default_graph():
            self.bcast_op = broadcast_global_variables(self.root_rank)

    def after_create_session(self, session: Any, coord: Any) -> None:
        session.run(self.bcast_op)
