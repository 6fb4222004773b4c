"""Topological order of a dependency graph: the one traversal the run plan, the IR, the fusion
planner's kernel order and ``tf.gradients`` share.

``postorder`` is an iterative depth-first search (graphs of 100k ops need no recursion limit):
every node reachable from ``roots`` comes after all of its dependencies, dependencies are visited
in the order ``deps`` gives them, and nodes already placed are not visited again. Callers rely on
that exact order (kernel plans and generated code are compared byte for byte), so change it only
with the tests that pin them.
"""
from __future__ import annotations

from typing import Callable, Hashable, Iterable, Optional, TypeVar

N = TypeVar("N")

_VISITING, _DONE = 1, 2


def postorder(roots: Iterable[N], deps: Callable[[N], Iterable[N]],
              key: Callable[[N], Hashable] = id,
              on_cycle: Optional[Callable[[N], None]] = None) -> list:
    """The nodes reachable from ``roots`` through ``deps``, each after its dependencies.

    ``key(node)`` identifies a node (default: the object itself, by identity). ``on_cycle(node)``
    is called when ``node`` depends on a node still being visited (a cycle through ``node``); it
    should raise. Without it, a cycle's back edge is ignored.
    """
    order: list = []
    state: dict = {}
    for root in roots:
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            k = key(node)
            if done:
                state[k] = _DONE
                order.append(node)
                continue
            if k in state:
                continue
            state[k] = _VISITING
            stack.append((node, True))
            for dep in reversed(list(deps(node))):
                s = state.get(key(dep))
                if s is None:
                    stack.append((dep, False))
                elif s == _VISITING and on_cycle is not None:
                    on_cycle(node)
    return order
