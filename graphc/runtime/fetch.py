"""TF1 fetch structures: flatten (tensor, op, name, list, tuple, namedtuple, dict, SparseTensor,
RaggedTensor, nested) and rebuild; and feeds of a SparseTensor, expanded to its three tensors."""
from __future__ import annotations

from typing import Any, Callable

from graphc.graph import Graph, Operation, Tensor
from graphc.ops.ragged import RaggedTensor, RaggedTensorValue
from graphc.ops.sparse import SparseTensor, SparseTensorValue


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


class FetchMapper:
    """Flattens a fetch structure to unique graph elements and rebuilds results in its shape."""

    def __init__(self, graph: Graph, fetches: Any) -> None:
        self.graph = graph
        self.elements: list = []   # unique Tensors and Operations, in first-seen order
        self._index: dict = {}
        self._build: Callable = self._map(fetches)

    def _element(self, fetch: Any) -> int:
        """Index of ``fetch``'s graph element in ``self.elements`` (added on first sight)."""
        if fetch is None:
            raise TypeError(f"Fetch argument None has invalid type {type(None)}: a fetch must be a "
                            "Tensor, Operation, Variable or name string (or a structure of them).")
        try:
            el = self.graph.as_graph_element(fetch)
        except (KeyError, ValueError) as e:
            reason = e.args[0] if e.args else e
            raise ValueError(f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. ({reason})") from None
        except TypeError as e:
            raise TypeError(f"Fetch argument {fetch!r} has invalid type {type(fetch)}, must be a string "
                            f"or Tensor. ({e})") from None
        if el not in self._index:
            self._index[el] = len(self.elements)
            self.elements.append(el)
        return self._index[el]

    def _map(self, fetches: Any) -> Callable:
        if isinstance(fetches, SparseTensor):   # fetched as TF1's SparseTensorValue
            parts = [self._map(t) for t in (fetches.indices, fetches.values, fetches.dense_shape)]
            return lambda vals: SparseTensorValue(*[p(vals) for p in parts])
        if isinstance(fetches, RaggedTensor):   # fetched as tf.ragged.RaggedTensorValue
            values, splits = self._map(fetches.values), self._map(fetches.row_splits)
            return lambda vals: RaggedTensorValue(values(vals), splits(vals))
        if isinstance(fetches, dict):
            keys = list(fetches)
            subs = [self._map(fetches[k]) for k in keys]
            kind = type(fetches)
            return lambda vals: _make_dict(kind, keys, [s(vals) for s in subs])
        if _is_namedtuple(fetches):
            subs = [self._map(f) for f in fetches]
            kind = type(fetches)
            return lambda vals: kind(*[s(vals) for s in subs])
        if isinstance(fetches, (list, tuple)):
            subs = [self._map(f) for f in fetches]
            kind = type(fetches)
            return lambda vals: kind(s(vals) for s in subs)
        i = self._element(fetches)
        if isinstance(self.elements[i], Operation):
            return lambda vals: None
        return lambda vals: vals[i]

    def rebuild(self, values: list) -> Any:
        return self._build(values)

    @property
    def tensors(self) -> list:
        return [e for e in self.elements if isinstance(e, Tensor)]

    @property
    def operations(self) -> list:
        return [e for e in self.elements if isinstance(e, Operation)]


def _make_dict(kind: type, keys: list, values: list) -> dict:
    try:
        return kind(zip(keys, values))
    except TypeError:  # defaultdict and friends need their factory
        d = kind.__new__(kind)
        d.update(zip(keys, values))
        return d


def expand_feeds(feed_dict: Any) -> Any:
    """``feed_dict`` with each SparseTensor key replaced by its three tensors, fed from a
    ``SparseTensorValue`` or an (indices, values, dense_shape) triple (TF1's sparse feeds)."""
    if not any(isinstance(k, SparseTensor) for k in feed_dict):
        return feed_dict
    out: dict = {}
    for key, value in feed_dict.items():
        if not isinstance(key, SparseTensor):
            out[key] = value
            continue
        if not (isinstance(value, tuple) and len(value) == 3):
            raise TypeError(f"The value fed for a SparseTensor ({key.values.name}) must be a "
                            f"tf.SparseTensorValue or an (indices, values, dense_shape) tuple, got "
                            f"{type(value).__name__}")
        out.update(zip((key.indices, key.values, key.dense_shape), value))
    return out
