"""graphc.traversal.postorder: the one topological sort of the run plan, IR, fusion and autodiff."""
import pytest

from graphc.traversal import postorder


def test_dependencies_come_first_in_the_order_given():
    deps = {"y": ["a", "b"], "a": ["c"], "b": ["c"], "c": []}
    assert postorder(["y"], deps.__getitem__, key=str) == ["c", "a", "b", "y"]


def test_shared_nodes_are_placed_once_and_later_roots_only_add_what_is_new():
    deps = {"y": ["x"], "z": ["x", "w"], "x": [], "w": []}
    assert postorder(["y", "z"], deps.__getitem__, key=str) == ["x", "y", "w", "z"]


def test_a_cycle_is_reported_through_on_cycle():
    deps = {"a": ["b"], "b": ["a"]}

    def cycle(node):
        raise ValueError(f"cycle through {node}")
    with pytest.raises(ValueError, match="cycle through b"):
        postorder(["a"], deps.__getitem__, key=str, on_cycle=cycle)
    assert postorder(["a"], deps.__getitem__, key=str) == ["b", "a"]   # back edge ignored


def test_deep_chains_need_no_recursion():
    n = 100_000
    order = postorder([n], lambda i: [i - 1] if i else [], key=int)
    assert order[0] == 0 and order[-1] == n and len(order) == n + 1
