"""The transformations of ``tf.data.Dataset``: map, filter, batching, shuffle, repeat, prefetch, ...

Each is a Dataset whose ``_iterate(env)`` pulls from its input's. Elements move as flat lists of
numpy arrays; functions run through ``Env.call`` (see ``functions.py``).
"""
from __future__ import annotations

import collections
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, Optional

import numpy as np

from graphc import dtypes, errors
from graphc.data import cache_file, structure
from graphc.data.dataset import AUTOTUNE, Dataset, TensorSlices, arg_value, scalar_arg
from graphc.data.functions import Env, new_runner, trace
from graphc.data.philox import PhiloxStream, SeedGenerator, philox_blocks
from graphc.data.structure import ElementError
from graphc.data.vectorize import batched_version
from graphc.graph import Tensor
from graphc.shape import TensorShape, as_shape


class Map(Dataset):
    def __init__(self, input_ds: Dataset, fn: Callable, num_parallel_calls: Optional[int]) -> None:
        self._fn = trace(fn, input_ds._specs, "MapDataset_fn")
        self._user_fn = fn
        specs = structure.map_structure(lambda t: structure.Spec(t.dtype, t.shape), self._fn.result)
        super().__init__(specs, (input_ds,))
        calls = 1 if num_parallel_calls is None else int(num_parallel_calls)
        self._workers = (os.cpu_count() or 1) if calls == AUTOTUNE else max(calls, 1)
        # each worker runs its own Session, whose random streams would repeat the others': a
        # function that draws random numbers runs on one thread
        if self._fn.draws_random_numbers():
            self._workers = 1

    def _own_tensors(self) -> list:
        return self._fn.captures

    def _iterate(self, env: Env) -> Iterator[list]:
        if self._workers == 1:
            for element in self._inputs[0]._iterate(env):
                yield _call(env, self._fn, element)
            return
        yield from _parallel_map(self._fn, self._inputs[0]._iterate(env), env, self._workers)


def _call(env: Env, fn: Any, element: Any, runner: Any = None) -> Any:
    """``fn``'s outputs for ``element``, or an ``ElementError`` standing in for them."""
    if isinstance(element, ElementError):
        return element
    try:
        return env.call(fn, element, runner)
    except errors.OpError as e:
        return ElementError(e)


def _parallel_map(fn: Any, elements: Iterator[list], env: Env, workers: int) -> Iterator[list]:
    """``fn`` on ``workers`` threads, each with its own Session, results in input order; at most
    ``workers`` elements are in flight."""
    local = threading.local()

    def call(element: list) -> list:
        runner = getattr(local, "runner", None)
        if runner is None:
            runner = local.runner = new_runner(fn.graph)
        return _call(env, fn, element, runner)

    pool = ThreadPoolExecutor(workers, thread_name_prefix="graphc-map")
    pending: collections.deque = collections.deque()
    try:
        for element in elements:
            pending.append(pool.submit(call, element))
            if len(pending) >= workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class Filter(Dataset):
    def __init__(self, input_ds: Dataset, predicate: Callable) -> None:
        self._fn = trace(predicate, input_ds._specs, "FilterDataset_predicate")
        out = self._fn.result
        if not isinstance(out, Tensor) or out.dtype is not dtypes.bool_ or out.shape.ndims not in (None, 0):
            raise ValueError(f"`predicate` return type must be convertible to a scalar boolean tensor, got {out!r}")
        super().__init__(input_ds._specs, (input_ds,))

    def _own_tensors(self) -> list:
        return self._fn.captures

    def _iterate(self, env: Env) -> Iterator[list]:
        for element in self._inputs[0]._iterate(env):
            keep = _call(env, self._fn, element)
            if isinstance(keep, ElementError):
                yield keep
            elif bool(keep[0]):
                yield element


def _batched(spec: Any, size: Optional[int]) -> Any:
    dims = spec.shape.as_tuple()
    return type(spec)(spec.dtype, TensorShape(None) if dims is None else (size,) + dims)


def _stack(column: list, index: int) -> np.ndarray:
    first = column[0].shape
    for i, a in enumerate(column):
        if a.shape != first:
            raise errors.InvalidArgumentError(None, None, (
                f"Cannot batch tensors with different shapes in component {index}. First element had "
                f"shape {list(first)} and element {i} had shape {list(a.shape)}."))
    return np.stack(column)


class Batch(Dataset):
    def __init__(self, input_ds: Dataset, batch_size: int, drop_remainder: bool) -> None:
        self._size = _size_arg(batch_size, "batch_size")
        self._drop = bool(drop_remainder)
        known = self._size if self._drop and isinstance(self._size, int) else None
        super().__init__(structure.map_leaves(lambda s: _batched(s, known), input_ds._specs), (input_ds,))
        self._sparse_at = structure.sparse_positions(input_ds._specs)
        # map-then-batch run as batch-then-map when that is provably the same (vectorize.py)
        self._batched_fn = batched_version(input_ds._user_fn, input_ds._fn) \
            if isinstance(input_ds, Map) and not self._sparse_at else None

    def _own_tensors(self) -> list:
        captured = self._batched_fn.captures if self._batched_fn is not None else []
        return _tensor_args(self._size) + captured

    def _iterate(self, env: Env) -> Iterator[list]:
        size = _positive(arg_value(self._size, env), "batch_size")
        rows_from = self._inputs[0]._inputs[0] if self._batched_fn is not None else self._inputs[0]
        batches = _gathered(rows_from, env, size, self._drop) or \
            _stacked(rows_from, env, size, self._drop, self._sparse_at)
        for batch in batches:
            if self._batched_fn is not None and not isinstance(batch, ElementError):
                batch = _call(env, self._batched_fn, batch)
            yield batch


def _stacked(rows_from: Dataset, env: Env, size: int, drop: bool, sparse_at: Any = ()) -> Iterator[Any]:
    """Batches of ``rows_from``'s elements, stacked component by component (a sparse component's
    three parts at ``sparse_at`` joined as TF1 batches SparseTensors)."""
    for rows in _groups(rows_from._iterate(env), size, drop):
        if isinstance(rows, ElementError):
            yield rows
            continue
        out = _columns(rows, {p + k for p in sparse_at for k in range(3)})
        for p in sparse_at:
            out[p:p + 3] = _sparse_batch([r[p:p + 3] for r in rows])
        yield out


def _sparse_batch(parts: list) -> list:
    """SparseTensors of one rank as one of rank + 1: each element's indices prefixed by its
    position in the batch, the dense shape the largest along each dimension (TF1's batch)."""
    ranks = {len(p[2]) for p in parts}
    if len(ranks) != 1:
        raise errors.InvalidArgumentError(None, None, f"Cannot batch SparseTensors of different ranks {sorted(ranks)}")
    indices = np.concatenate([np.concatenate([np.full((len(ind), 1), b, np.int64), np.asarray(ind, np.int64)], 1)
                              for b, (ind, _, _) in enumerate(parts)]).reshape(-1, ranks.pop() + 1)
    values = np.concatenate([np.asarray(v) for _, v, _ in parts]) if parts else np.array([])
    shape = np.concatenate([[len(parts)], np.max(np.stack([np.asarray(s, np.int64) for _, _, s in parts]), axis=0)])
    return [indices, values, shape.astype(np.int64)]


def _gathered(rows_from: Dataset, env: Env, size: int, drop: bool) -> Optional[Iterator[list]]:
    """The same batches, for elements that are rows of from_tensor_slices' arrays (shuffled or
    not), gathered by row numbers in one numpy step per component; None for other inputs."""
    shuffle = rows_from if isinstance(rows_from, Shuffle) else None
    slices = shuffle._inputs[0] if shuffle is not None else rows_from
    if not isinstance(slices, TensorSlices):
        return None

    def batches() -> Iterator[list]:
        arrays = slices.arrays(env)
        n = len(arrays[0])
        order = shuffle.permutation(n, env) if shuffle is not None else None
        for start in range(0, n - size + 1 if drop else n, size):
            if order is None:     # consecutive rows: one memory copy per component
                yield [a[start:start + size].copy() for a in arrays]
            else:
                rows = order[start:start + size]
                yield [a[rows] for a in arrays]
    return batches()


def _columns(rows: list, skip: Any = ()) -> list:
    """Elements stacked component by component (None at the positions in ``skip``)."""
    return [None if i in skip else _stack([r[i] for r in rows], i) for i in range(len(rows[0]))]


def _groups(it: Iterator[list], size: int, drop: bool) -> Iterator[Any]:
    """Lists of ``size`` elements (the last may be short unless ``drop``); a group holding an
    ``ElementError`` is that error instead (TF1's batch fails the whole batch)."""
    rows: list = []
    for element in it:
        rows.append(element)
        if len(rows) == size:
            yield _first_error(rows) or rows
            rows = []
    if rows and not drop:
        yield _first_error(rows) or rows


def _first_error(rows: list) -> Optional[ElementError]:
    return next((r for r in rows if isinstance(r, ElementError)), None)


def _size_arg(value: Any, name: str) -> Any:
    """A size argument: checked now if it is a Python value, when an iterator starts if a tensor."""
    arg = scalar_arg(value)
    return arg if isinstance(arg, Tensor) else _positive(arg, name)


def _tensor_args(*args: Any) -> list:
    return [a for a in args if isinstance(a, Tensor)]


def _positive(value: Any, name: str) -> int:
    v = int(value)
    if v <= 0:
        raise errors.InvalidArgumentError(None, None, f"{name} must be greater than zero, got {v}")
    return v


class PaddedBatch(Dataset):
    def __init__(self, input_ds: Dataset, batch_size: int, padded_shapes: Any, padding_values: Any,
                 drop_remainder: bool) -> None:
        if structure.sparse_positions(input_ds._specs):   # TF1 refuses them the same way
            raise TypeError("Batching of padded sparse tensors is not currently supported: use batch() for "
                            "SparseTensor components, or densify them in a map first")
        self._size = _size_arg(batch_size, "batch_size")
        self._drop = bool(drop_remainder)
        in_flat = structure.flatten(input_ds._specs)
        if padded_shapes is None:
            shapes = [s.shape for s in in_flat]
        else:
            shapes = [as_shape(s) for s in structure.flatten_shapes(padded_shapes, input_ds._specs)]
        for s, p in zip(in_flat, shapes):
            if not p.is_compatible_with(TensorShape([None] * s.shape.ndims)) if s.shape.ndims is not None else False:
                raise ValueError(f"The padded shape {p} is not compatible with the component shape {s.shape}")
        if padding_values is None:
            pads = [b"" if s.dtype is dtypes.string else 0 for s in in_flat]
        else:
            pads = structure.flatten(padding_values) if structure.is_nest(input_ds._specs) else [padding_values]
        self._shapes = shapes
        self._pads = [_scalar_value(p, s.dtype) for p, s in zip(pads, in_flat)]
        known = self._size if self._drop and isinstance(self._size, int) else None
        out = [structure.Spec(s.dtype, TensorShape([known] + p.as_list())) if p.ndims is not None
               else _batched(s, known) for s, p in zip(in_flat, shapes)]
        super().__init__(structure.pack(input_ds._specs, out), (input_ds,))

    def _own_tensors(self) -> list:
        return _tensor_args(self._size)

    def _iterate(self, env: Env) -> Iterator[list]:
        size = _positive(arg_value(self._size, env), "batch_size")
        for rows in _groups(self._inputs[0]._iterate(env), size, self._drop):
            yield rows if isinstance(rows, ElementError) else [self._pad([r[i] for r in rows], i)
                                                               for i in range(len(rows[0]))]

    def _pad(self, column: list, i: int) -> np.ndarray:
        target = self._shapes[i].as_tuple()
        ndim = column[0].ndim
        longest = [max(a.shape[d] for a in column) for d in range(ndim)]
        if target is None:
            target = (None,) * ndim
        size = []
        for d, (want, have) in enumerate(zip(target, longest)):
            if want is not None and have > want:
                raise errors.InvalidArgumentError(None, None, (
                    f"Attempted to pad to a smaller size than the input element: component {i} has size "
                    f"{have} in dimension {d}, padded_shapes asks for {want}."))
            size.append(have if want is None else want)
        out = np.empty([len(column)] + size, dtype=column[0].dtype)
        out[...] = self._pads[i]
        for j, a in enumerate(column):
            out[(j,) + tuple(slice(0, n) for n in a.shape)] = a
        return out


def _scalar_value(value: Any, dtype: dtypes.DType) -> Any:
    if hasattr(value, "_graph_tensor") or isinstance(value, Tensor):
        from graphc.ops.core import constant_value, convert_to_tensor
        value = constant_value(convert_to_tensor(value))
        if value is None:
            raise TypeError("padding_values must be constants (Python values or tf.constant)")
    return structure.to_array(value, dtype)[()]


class Unbatch(Dataset):
    def __init__(self, input_ds: Dataset) -> None:
        def row(s: Any) -> Any:
            dims = s.shape.as_tuple()
            if dims is not None and not dims:
                raise ValueError("Cannot unbatch an input with scalar components.")
            return type(s)(s.dtype, TensorShape(None) if dims is None else dims[1:])
        super().__init__(structure.map_leaves(row, input_ds._specs), (input_ds,))
        self._sparse_at = structure.sparse_positions(input_ds._specs)

    def _iterate(self, env: Env) -> Iterator[list]:
        parts = {p + k for p in self._sparse_at for k in range(3)}
        for element in self._inputs[0]._iterate(env):
            if isinstance(element, ElementError):
                yield element
                continue
            n = {a.shape[0] for i, a in enumerate(element) if i not in parts} | \
                {int(element[p + 2][0]) for p in self._sparse_at}
            if len(n) != 1:
                raise errors.InvalidArgumentError(None, None, "unbatch: the components' first dimensions differ: "
                                                              f"{sorted(n)}")
            rows = [None if i in parts else a for i, a in enumerate(element)]
            for p in self._sparse_at:     # a SparseTensor's entries split by their first index
                indices = element[p]
                rows[p:p + 3] = [(indices, element[p + 1], element[p + 2], indices[:, 0])]
            for i in range(n.pop()):
                out = []
                for r in rows:
                    if isinstance(r, tuple):
                        indices, values, shape, first = r
                        mine = first == i
                        out.extend([indices[mine, 1:], values[mine], shape[1:]])
                    elif r is not None:
                        out.append(r[i, ...])
                yield out


class Shuffle(Dataset):
    """TF's shuffle, element order included: a buffer of ``buffer_size`` elements from which
    each output is drawn with TensorFlow's Philox stream (``philox.py``), seeded as TF 2.21
    seeds it (the graph seed and op seed through ``get_seed``; each epoch of a repeat draws new
    seeds from the first unless ``reshuffle_each_iteration=False``)."""

    def __init__(self, input_ds: Dataset, buffer_size: int, seed: Optional[int],
                 reshuffle_each_iteration: Optional[bool]) -> None:
        from graphc.ops.random import get_seed
        self._buffer = _size_arg(buffer_size, "buffer_size")
        self._seeds = get_seed(seed)
        self._reshuffle = True if reshuffle_each_iteration is None else bool(reshuffle_each_iteration)
        super().__init__(input_ds._specs, (input_ds,))

    def _own_tensors(self) -> list:
        return _tensor_args(self._buffer)

    def _iterate(self, env: Env) -> Iterator[list]:
        return self.shuffled(self._inputs[0]._iterate(env), env)

    def shuffled(self, source: Iterator[Any], env: Env) -> Iterator[Any]:
        """The elements of ``source`` in this epoch's order (``permutation`` gives the same order
        for the row numbers of a batch that gathers rows)."""
        buffer_size = _positive(arg_value(self._buffer, env), "buffer_size")
        return _shuffle_buffer(source, buffer_size, PhiloxStream(*self._epoch_seeds(env)))

    def permutation(self, n: int, env: Env) -> np.ndarray:
        """This epoch's order of ``range(n)`` (what ``shuffled`` gives for row numbers 0 .. n-1)."""
        buffer_size = _positive(arg_value(self._buffer, env), "buffer_size")
        seed, seed2 = self._epoch_seeds(env)
        return _shuffled_range(n, buffer_size, philox_blocks(seed, seed2, 0, (n + 3) // 4)[:n])

    def _epoch_seeds(self, env: Env) -> tuple:
        # one seed generator per initialization (TF makes the dataset anew each time its
        # initializer runs), shared by the epochs of a repeat
        generator = env.state.get(self)
        if generator is None:
            generator = env.state[self] = SeedGenerator(*self._seeds, reshuffle=self._reshuffle)
        return generator.next_seeds()


def _shuffled_range(n: int, buffer_size: int, draws: np.ndarray) -> np.ndarray:
    """``_shuffle_buffer`` of ``range(n)`` given its ``n`` draws, as one array (the order of an
    epoch of row numbers, computed at once instead of one generator step per row)."""
    ring = list(range(min(n, buffer_size)))
    end = len(ring)
    out = [0] * n
    for k, r in enumerate(draws.tolist()):      # positions k .. end-1 are in the ring
        index = (k + r % (end - k)) % buffer_size
        out[k] = ring[index]
        ring[index] = ring[k % buffer_size]
        if end < n:                              # the next row takes the slot just freed
            ring[end % buffer_size] = end
            end += 1
    return np.array(out, dtype=np.intp)


def _shuffle_buffer(source: Iterator[Any], buffer_size: int, draw: PhiloxStream) -> Iterator[Any]:
    """TF's shuffle buffer: a ring of ``buffer_size`` slots holding positions ``start .. end-1``;
    each output is the item at ``start + draw() % (end - start)``, whose slot then takes the item at
    ``start``, before the next input fills the slot freed at the ring's end."""
    ring: list = []          # grows to buffer_size (a huge buffer_size allocates nothing up front)
    start = end = 0
    for item in source:
        if isinstance(item, ElementError):   # TF1 reports an input error at once
            yield item
            continue
        if end < buffer_size:
            ring.append(item)
        else:
            ring[end % buffer_size] = item
        end += 1
        if end - start == buffer_size:
            start = yield from _draw_one(ring, start, end, buffer_size, draw)
    while start < end:
        start = yield from _draw_one(ring, start, end, buffer_size, draw)


def _draw_one(ring: list, start: int, end: int, size: int, draw: PhiloxStream) -> Iterator[Any]:
    """Yields one item drawn from positions ``start .. end-1``; returns the new start."""
    index = (start + draw() % (end - start)) % size
    item = ring[index]
    ring[index] = ring[start % size]
    yield item
    return start + 1


class Repeat(Dataset):
    def __init__(self, input_ds: Dataset, count: Optional[int]) -> None:
        self._count = -1 if count is None else scalar_arg(count)
        super().__init__(input_ds._specs, (input_ds,))

    def _own_tensors(self) -> list:
        return _tensor_args(self._count)

    def _iterate(self, env: Env) -> Iterator[list]:
        count = arg_value(self._count, env)
        epoch = 0
        while count < 0 or epoch < count:
            empty = True
            for element in self._inputs[0]._iterate(env):
                empty = False
                yield element
            if empty:    # repeating an empty dataset forever would never return
                return
            epoch += 1


class Take(Dataset):
    def __init__(self, input_ds: Dataset, count: int) -> None:
        self._count = scalar_arg(count)
        super().__init__(input_ds._specs, (input_ds,))

    def _own_tensors(self) -> list:
        return _tensor_args(self._count)

    def _iterate(self, env: Env) -> Iterator[list]:
        count = arg_value(self._count, env)
        if count == 0:
            return
        for i, element in enumerate(self._inputs[0]._iterate(env)):
            yield element
            if i + 1 == count:
                return


class Skip(Dataset):
    def __init__(self, input_ds: Dataset, count: int) -> None:
        self._count = scalar_arg(count)
        super().__init__(input_ds._specs, (input_ds,))

    def _own_tensors(self) -> list:
        return _tensor_args(self._count)

    def _iterate(self, env: Env) -> Iterator[list]:
        count = arg_value(self._count, env)
        for i, element in enumerate(self._inputs[0]._iterate(env)):
            if count >= 0 and i >= count:
                yield element


class Shard(Dataset):
    def __init__(self, input_ds: Dataset, num_shards: int, index: int) -> None:
        self._num, self._index = scalar_arg(num_shards), scalar_arg(index)
        super().__init__(input_ds._specs, (input_ds,))

    def _own_tensors(self) -> list:
        return _tensor_args(self._num, self._index)

    def _iterate(self, env: Env) -> Iterator[list]:
        num, index = arg_value(self._num, env), arg_value(self._index, env)
        if num <= 0:
            raise errors.InvalidArgumentError(None, None, f"Number of shards must be greater than zero (currently "
                                                          f"num_shards = {num}).")
        if not 0 <= index < num:
            raise errors.InvalidArgumentError(None, None, f"Index must be between 0 and {num - 1} (currently "
                                                          f"index = {index}).")
        for i, element in enumerate(self._inputs[0]._iterate(env)):
            if i % num == index:
                yield element


class Concatenate(Dataset):
    def __init__(self, first: Dataset, second: Dataset) -> None:
        if not structure.same_structure(first._specs, second._specs) or [s.dtype for s in structure.flatten(
                first._specs)] != [s.dtype for s in structure.flatten(second._specs)]:
            raise TypeError(f"Two datasets to concatenate have different types {first.output_types} and "
                            f"{second.output_types}")
        specs = structure.pack(first._specs, [
            structure.Spec(a.dtype, structure.most_specific_compatible(a.shape, b.shape))
            for a, b in zip(structure.flatten(first._specs), structure.flatten(second._specs))])
        super().__init__(specs, (first, second))

    def _iterate(self, env: Env) -> Iterator[list]:
        for d in self._inputs:
            yield from d._iterate(env)


class Cache(Dataset):
    def __init__(self, input_ds: Dataset, filename: str) -> None:
        self._filename = str(filename)
        super().__init__(input_ds._specs, (input_ds,))

    def _iterate(self, env: Env) -> Iterator[list]:
        kept = env.state.get((self, "cache"))
        if kept is None and self._filename and os.path.exists(self._filename):
            kept = env.state[(self, "cache")] = cache_file.load(self._filename)
        if kept is not None:
            yield from kept
            return
        seen = []
        for element in self._inputs[0]._iterate(env):
            seen.append(element)
            yield element
        env.state[(self, "cache")] = seen
        if self._filename and not any(isinstance(e, ElementError) for e in seen):
            cache_file.save(self._filename, seen)


class Interleave(Dataset):
    def __init__(self, input_ds: Dataset, fn: Callable, cycle_length: int, block_length: int) -> None:
        self._fn = trace(fn, input_ds._specs, "InterleaveDataset_fn", outputs_of=_dataset_tensors)
        inner = self._fn.result
        auto = int(cycle_length) == AUTOTUNE     # TF1: as many as there are CPU cores
        self._cycle = (os.cpu_count() or 1) if auto else _positive(cycle_length, "cycle_length")
        self._block = _positive(block_length, "block_length")
        super().__init__(inner._specs, (input_ds,))

    def _own_tensors(self) -> list:
        return self._fn.captures

    def _open(self, env: Env, element: Any) -> Iterator[Any]:
        outputs = _call(env, self._fn, element)
        if isinstance(outputs, ElementError):
            return iter([outputs])
        values = dict(zip(self._fn.placeholders, element))
        values.update(zip(self._fn.output_tensors, outputs))
        return self._fn.result._iterate(env.child(values))

    def _iterate(self, env: Env) -> Iterator[list]:
        return interleaved(self._inputs[0]._iterate(env), lambda element: self._open(env, element),
                           self._cycle, self._block)


def interleaved(inputs: Iterator[Any], open_one: Callable[[Any], Iterator[Any]], cycle: int,
                block: int) -> Iterator[Any]:
    """TF1's InterleaveDataset order: the items of ``open_one(input)`` for each input, ``block`` at a
    time from each of ``cycle`` open ones in turn. A slot whose items end moves the cycle on; an
    empty slot is refilled from the inputs in place before the cycle moves."""
    slots: list = [None] * cycle
    index = taken = n_open = 0
    inputs_done = False
    while not inputs_done or n_open:
        current = slots[index]
        if current is not None:
            item = next(current, None)
            if item is not None:
                taken += 1
                if taken == block:
                    index, taken = (index + 1) % cycle, 0
                yield item
                continue
            slots[index] = None
            n_open -= 1
            index, taken = (index + 1) % cycle, 0
        elif not inputs_done:
            nxt = next(inputs, None)
            if nxt is None:
                inputs_done = True
            else:
                slots[index] = open_one(nxt)
                n_open += 1
        else:
            index, taken = (index + 1) % cycle, 0


def _dataset_tensors(result: Any) -> list:
    if not isinstance(result, Dataset):
        raise TypeError(f"`map_func` must return a Dataset, got {type(result).__name__}")
    return result._tensors()
