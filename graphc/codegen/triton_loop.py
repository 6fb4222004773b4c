"""Triton loops with device-resident state: a ``While`` runs on the host, launching its cond's and
body's Triton sub-executables on device arrays.

The loop variables and captures are uploaded once, each iteration feeds the previous iteration's
device outputs straight back (``run(..., device_fetches=True)``), the predicate is the only value
read back per iteration, and the final loop variables are downloaded once. A loop whose
iterations are recorded for a gradient (or replayed) runs through ``codegen/regions.py``'s
host loop instead, which stacks each iteration's values.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np

from graphc.codegen import regions


class DeviceLoops:
    """Runs one Triton executable's loop nodes with device-resident state (``runner`` is the
    ``whole_loop`` hook of ``host.with_regions``)."""

    def __init__(self, factory: regions.Factory, layer: Any) -> None:
        self.factory = factory
        self.layer = layer

    def runner(self, node) -> Optional[Callable]:
        """``node``'s device loop for ``regions.run`` (None for a node that is not a loop)."""
        if node.type != "While":
            return None
        return lambda values, captures, state: self.run(node, values, captures, state)

    def run(self, node, values: Sequence[np.ndarray], captures: Sequence[np.ndarray], state: Any) -> Tuple[list, int]:
        """(final loop variables as host arrays, iteration count)."""
        layer, body_graph = self.layer, node.attrs["body"]
        cond = regions.body_executable(node.attrs["cond"], self.factory)
        body = regions.body_executable(body_graph, self.factory)
        n = len(values)
        caps = [layer.from_host(np.asarray(c, order="C")) for c in captures]   # (ascontiguousarray makes 0-d 1-d)
        current = [layer.from_host(np.array(v, copy=True, order="C")) for v in values]
        count = 0
        while bool(layer.to_host(cond.run(current + caps, state, device_fetches=True)[0][0])):
            current = body.run(current + caps, state, device_fetches=True)[0][:n]
            for i, v in enumerate(current):
                regions.check_loop_value(node, body_graph, i, v)
            count += 1
        return [layer.to_host(v) for v in current], count
