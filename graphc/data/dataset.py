"""``tf.data.Dataset``: the base class and the sources (slices, tensors, generators, ranges, zip).

A dataset is a description: its element ``specs`` (a nest of ``structure.Spec``), the graph
tensors it reads (evaluated by the session when an iterator is initialized) and a way to iterate
its elements as flat lists of numpy arrays given those values (``_iterate(env)``). The
transformations live in ``transforms.py``; the methods here build them.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.data import structure
from graphc.data.functions import Env
from graphc.graph import Tensor
from graphc.shape import TensorShape

AUTOTUNE = -1


class Dataset(structure.ElementStructure):
    """A sequence of elements (TF1 ``tf.data.Dataset``), each a nest of tensors."""

    def __init__(self, specs: Any, inputs: tuple = ()) -> None:
        self._specs = specs
        self._inputs = inputs

    # the graph tensors it reads ------------------------------------------------------------------
    def _own_tensors(self) -> list:
        """Graph tensors this dataset itself reads (not its inputs')."""
        return []

    def _tensors(self) -> list:
        """Every graph tensor the pipeline ending here reads, inputs included, without repeats."""
        out: list = []
        for d in self._inputs:
            out.extend(d._tensors())
        out.extend(self._own_tensors())
        return list(dict.fromkeys(out))

    def _iterate(self, env: Env) -> Iterator[list]:
        """Yields the elements as flat lists of numpy arrays."""
        raise TypeError(f"{type(self).__name__} is abstract")   # every concrete dataset overrides it

    # sources ----------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors: Any) -> "Dataset":
        """One element per row of the components' first dimension (which must agree); a
        SparseTensor component gives the entries whose first index is the row."""
        if structure.has_sparse(_tuples(tensors)):
            return _Tensors(tensors).unbatch()
        return TensorSlices(tensors)

    @staticmethod
    def from_tensors(tensors: Any) -> "Dataset":
        """A dataset with ``tensors`` as its only element."""
        return _Tensors(tensors)

    @staticmethod
    def from_generator(generator: Callable, output_types: Any, output_shapes: Any = None,
                       args: Any = None) -> "Dataset":
        """Elements yielded by ``generator(*args)``, called anew for each iteration, converted to
        ``output_types`` and checked against ``output_shapes``. Tensors in ``args`` are passed as
        their values when the iterator is initialized (numpy arrays)."""
        return _Generator(generator, output_types, output_shapes, args)

    @staticmethod
    def range(*args: int) -> "Dataset":
        """``range(stop)``, ``range(start, stop)`` or ``range(start, stop, step)`` as int64 scalars."""
        return _Range(*args)

    @staticmethod
    def list_files(file_pattern: Any, shuffle: Optional[bool] = None, seed: Optional[int] = None) -> "Dataset":
        """The names of the files matching ``file_pattern`` (glob patterns), shuffled unless
        ``shuffle=False`` (then sorted). No match is an InvalidArgumentError when iterated."""
        from graphc.data.readers import ListFiles
        files = ListFiles(file_pattern)
        return files if shuffle is False else files.shuffle(2**31 - 1, seed)

    @staticmethod
    def zip(datasets: Any) -> "Dataset":
        """Elements of a nest of datasets taken side by side, until the shortest ends."""
        return _Zip(datasets)

    # transformations (transforms.py) ----------------------------------------------------------
    def map(self, map_func: Callable, num_parallel_calls: Optional[int] = None) -> "Dataset":
        """``map_func`` applied to each element (a tuple element is passed as separate arguments)."""
        from graphc.data import transforms
        return transforms.Map(self, map_func, num_parallel_calls)

    def filter(self, predicate: Callable) -> "Dataset":
        """The elements for which ``predicate`` (a scalar bool tensor) is true."""
        from graphc.data import transforms
        return transforms.Filter(self, predicate)

    def batch(self, batch_size: int, drop_remainder: bool = False) -> "Dataset":
        """Consecutive elements stacked into batches of ``batch_size`` (the last may be smaller)."""
        from graphc.data import transforms
        return transforms.Batch(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size: int, padded_shapes: Any = None, padding_values: Any = None,
                     drop_remainder: bool = False) -> "Dataset":
        """Batches whose components are padded to ``padded_shapes`` (None dims: the batch's longest)."""
        from graphc.data import transforms
        return transforms.PaddedBatch(self, batch_size, padded_shapes, padding_values, drop_remainder)

    def unbatch(self) -> "Dataset":
        """Splits each element along its first dimension into separate elements."""
        from graphc.data import transforms
        return transforms.Unbatch(self)

    def shuffle(self, buffer_size: int, seed: Optional[int] = None,
                reshuffle_each_iteration: Optional[bool] = None) -> "Dataset":
        """Elements drawn at random from a buffer of ``buffer_size``: TensorFlow's algorithm and
        random stream, so a seed (with the graph seed) gives TensorFlow 2.21's order."""
        from graphc.data import transforms
        return transforms.Shuffle(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count: Optional[int] = None) -> "Dataset":
        """The dataset ``count`` times over (None or -1: forever)."""
        from graphc.data import transforms
        return transforms.Repeat(self, count)

    def take(self, count: int) -> "Dataset":
        """At most the first ``count`` elements (-1: all)."""
        from graphc.data import transforms
        return transforms.Take(self, count)

    def skip(self, count: int) -> "Dataset":
        """All but the first ``count`` elements (-1: none)."""
        from graphc.data import transforms
        return transforms.Skip(self, count)

    def shard(self, num_shards: int, index: int) -> "Dataset":
        """Every ``num_shards``-th element from element ``index`` on (one worker's part of the data)."""
        from graphc.data import transforms
        return transforms.Shard(self, num_shards, index)

    def prefetch(self, buffer_size: int) -> "Dataset":
        """The same elements, produced ahead by a background thread into a buffer of ``buffer_size``
        (rows of in-memory arrays, cheap to gather, are produced inline: see ``prefetch.py``)."""
        from graphc.data.prefetch import Prefetch
        return Prefetch(self, buffer_size)

    def cache(self, filename: str = "") -> "Dataset":
        """The same elements; the first complete iteration is kept (in memory, or in ``filename``)
        and later iterations replay it."""
        from graphc.data import transforms
        return transforms.Cache(self, filename)

    def flat_map(self, map_func: Callable) -> "Dataset":
        """The elements of the datasets ``map_func`` returns for each element, one after another."""
        from graphc.data import transforms
        return transforms.Interleave(self, map_func, cycle_length=1, block_length=1)

    def interleave(self, map_func: Callable, cycle_length: int = AUTOTUNE, block_length: int = 1,
                   num_parallel_calls: Optional[int] = None) -> "Dataset":
        """Elements of the datasets ``map_func`` returns, ``block_length`` at a time from each of
        ``cycle_length`` open datasets in turn (TF1's order)."""
        from graphc.data import transforms
        return transforms.Interleave(self, map_func, cycle_length, block_length)

    def apply(self, transformation_func: Callable) -> "Dataset":
        """``transformation_func(self)``, which must return a Dataset."""
        out = transformation_func(self)
        if not isinstance(out, Dataset):
            raise TypeError(f"`transformation_func` must return a Dataset, got {type(out).__name__}")
        return out

    def concatenate(self, dataset: "Dataset") -> "Dataset":
        """This dataset's elements, then ``dataset``'s (same types and structure)."""
        from graphc.data import transforms
        return transforms.Concatenate(self, dataset)

    # iterators --------------------------------------------------------------------------------
    def make_one_shot_iterator(self) -> Any:
        """An iterator that initializes itself on first use (TF1 ``make_one_shot_iterator``)."""
        from graphc.data.iterator import Iterator as It
        return It._one_shot(self)

    def make_initializable_iterator(self, shared_name: Optional[str] = None) -> Any:
        """An iterator with an ``initializer`` op, run (with feeds) to (re)start it."""
        from graphc.data.iterator import Iterator as It
        return It._initializable(self)


def _component_arrays(value: Any) -> tuple:
    """(spec nest, flat list of items) where items are Tensors or numpy arrays."""
    value = _tuples(value)
    flat = []
    specs = []
    for v in structure.flatten(value):
        if hasattr(v, "_graph_tensor"):
            v = v._graph_tensor()
        if isinstance(v, Tensor):
            flat.append(v)
            specs.append(structure.Spec(v.dtype, v.shape))
        else:
            dt = structure.infer_dtype(v)
            arr = structure.to_array(v, dt)
            flat.append(arr)
            specs.append(structure.Spec(dt, arr.shape))
    return structure.pack(value, specs), flat


def _tuples(value: Any) -> Any:
    """Tuples and dicts nest components; a list is one component (TF1 converts it to a tensor)."""
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    if isinstance(value, tuple):
        items = [_tuples(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


def scalar_arg(value: Any) -> Any:
    """A count or size argument: an int, or a scalar graph tensor read when an iterator starts."""
    if hasattr(value, "_graph_tensor"):
        value = value._graph_tensor()
    if isinstance(value, Tensor):
        if value.shape.ndims not in (None, 0) or not value.dtype.is_integer:
            raise ValueError(f"Expected an integer scalar, got the tensor {value.name} ({value.dtype.name}, "
                             f"shape {value.shape})")
        return value
    return int(value)


def arg_value(value: Any, env: Env) -> int:
    """The int a ``scalar_arg`` stands for in this iterator."""
    return int(env.values[value]) if isinstance(value, Tensor) else value


def _values(items: list, env: Env) -> list:
    return [env.values[v] if isinstance(v, Tensor) else v for v in items]


class _Tensors(Dataset):
    def __init__(self, tensors: Any) -> None:
        specs, self._items = _component_arrays(tensors)
        super().__init__(specs)

    def _own_tensors(self) -> list:
        return [v for v in self._items if isinstance(v, Tensor)]

    def _iterate(self, env: Env) -> Iterator[list]:
        yield _values(self._items, env)


class TensorSlices(Dataset):
    """``from_tensor_slices``: row i of every component is element i."""

    def __init__(self, tensors: Any) -> None:
        specs, self._items = _component_arrays(tensors)
        rows = set()
        flat_specs = []
        for s in structure.flatten(specs):
            dims = s.shape.as_tuple()
            if dims is not None and len(dims) == 0:
                raise ValueError("Unbatching a tensor is only supported for rank >= 1 (from_tensor_slices "
                                 "needs components with a first dimension to slice)")
            if dims is not None and dims[0] is not None:
                rows.add(dims[0])
            flat_specs.append(structure.Spec(s.dtype, TensorShape(None) if dims is None else dims[1:]))
        if len(rows) > 1:
            raise ValueError(f"Dimensions {sorted(rows)} of the components' first axis are not compatible: "
                             "from_tensor_slices needs the same number of rows in every component")
        super().__init__(structure.pack(specs, flat_specs))

    def _own_tensors(self) -> list:
        return [v for v in self._items if isinstance(v, Tensor)]

    def arrays(self, env: Env) -> list:
        """The components, whose rows are the elements (InvalidArgumentError if their row counts differ)."""
        arrays = [np.asarray(v) for v in _values(self._items, env)]
        n = {a.shape[0] if a.ndim else None for a in arrays}
        if None in n or len(n) != 1:
            sizes = sorted(map(str, n))
            raise errors.InvalidArgumentError(None, None, "from_tensor_slices: all components must have the "
                                                          f"same size in their first dimension, got {sizes}")
        return arrays

    def _iterate(self, env: Env) -> Iterator[list]:
        arrays = self.arrays(env)
        for i in range(len(arrays[0])):
            yield [a[i, ...] for a in arrays]


class _Generator(Dataset):
    def __init__(self, generator: Callable, output_types: Any, output_shapes: Any, args: Any) -> None:
        if not callable(generator):
            raise TypeError("`generator` must be callable.")
        super().__init__(structure.specs_from(output_types, output_shapes))
        self._generator = generator
        self._args = tuple(a._graph_tensor() if hasattr(a, "_graph_tensor") else a for a in (args or ()))

    def _own_tensors(self) -> list:
        return [a for a in self._args if isinstance(a, Tensor)]

    def _iterate(self, env: Env) -> Iterator[list]:
        specs = structure.flatten(self._specs)
        args = [env.values[a] if isinstance(a, Tensor) else a for a in self._args]   # tensors: their values
        for value in self._generator(*args):
            value = _tuples(value)
            if structure.is_nest(self._specs) and not structure.same_structure(self._specs, value):
                raise errors.InvalidArgumentError(None, None, (
                    f"`generator` yielded an element {value!r} that does not match the expected structure "
                    f"{self.output_types!r}"))
            flat = structure.flatten(value) if structure.is_nest(self._specs) else [value]
            out = []
            for spec, v in zip(specs, flat):
                try:
                    arr = structure.to_array(v, spec.dtype)
                except (TypeError, ValueError) as e:
                    raise errors.InvalidArgumentError(None, None, f"TypeError: `generator` yielded an element "
                                                                  f"that could not be converted to the expected type "
                                                                  f"{spec.dtype.name}: {e}") from None
                structure.check_value(spec, arr, "`generator` yielded an element of the wrong shape")
                out.append(arr)
            yield out


class _Range(Dataset):
    def __init__(self, *args: int) -> None:
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Dataset.range takes 1 to 3 arguments (start, stop, step), got {len(args)}")
        self._args = [scalar_arg(a) for a in args]
        super().__init__(structure.Spec(dtypes.int64, []))

    def _own_tensors(self) -> list:
        return [a for a in self._args if isinstance(a, Tensor)]

    def _iterate(self, env: Env) -> Iterator[list]:
        for i in range(*[arg_value(a, env) for a in self._args]):
            yield [np.asarray(i, dtype=np.int64)]


class _Zip(Dataset):
    def __init__(self, datasets: Any) -> None:
        if isinstance(datasets, Dataset):
            datasets = (datasets,)
        flat = structure.flatten(_tuples(datasets))
        if not flat or not all(isinstance(d, Dataset) for d in flat):
            raise TypeError("Dataset.zip takes a nest (tuple or dict) of datasets")
        self._nest = _tuples(datasets)
        super().__init__(structure.map_structure(lambda d: d._specs, self._nest), tuple(flat))

    def _iterate(self, env: Env) -> Iterator[list]:
        its = [d._iterate(env) for d in self._inputs]
        while True:
            parts = []
            for it in its:
                part = next(it, None)
                if part is None:
                    return
                parts.append(part)
            error = next((p for p in parts if isinstance(p, structure.ElementError)), None)
            yield error or [c for p in parts for c in p]
