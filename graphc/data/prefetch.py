"""``Dataset.prefetch``: elements produced ahead of the runs that take them.

A background thread fills a buffer of ``buffer_size`` elements, so the producer (map functions,
generators, file reads) overlaps the training step. One kind of pipeline is produced inline
instead, in the thread that takes the element, for as long as that is cheap: rows of in-memory
arrays (``from_tensor_slices``/``from_tensors``, shuffled, batched, repeated, taken, skipped: no
user function, generator or file), whose element is one numpy gather of microseconds. There a
thread has nothing to overlap and only adds handoffs: on a busy machine, a GIL held by a
descheduled producer thread stalls the step for a scheduler period (the digits MLP step took
about 4x longer with the thread than without it on a loaded 2-core VM). Once such a pipeline's
elements each take longer than ``INLINE_LIMIT_S`` of CPU, 8 in a row (big batches), the thread
starts and stays. The element order is the same either way.
"""
from __future__ import annotations

import collections
import queue
import threading
import time
from typing import Any, Iterator, Optional

from graphc.data.dataset import AUTOTUNE, Dataset, TensorSlices, _Tensors
from graphc.data.functions import Env
from graphc.data.transforms import Batch, Repeat, Shuffle, Skip, Take, _positive

INLINE_LIMIT_S = 2e-3       # CPU seconds per element above which an in-memory pipeline gets the thread
_RECENT = 8                 # consecutive elements that must all cost more (the first, paying one-time work, never counts)
_END = object()


class Prefetch(Dataset):
    def __init__(self, input_ds: Dataset, buffer_size: int) -> None:
        size = int(buffer_size)
        self._size = 2 if size == AUTOTUNE else _positive(size, "buffer_size")
        super().__init__(input_ds._specs, (input_ds,))
        self._in_memory = _in_memory(input_ds)

    def _iterate(self, env: Env) -> Iterator[list]:
        source: Optional[Iterator[list]] = self._inputs[0]._iterate(env)
        if self._in_memory:
            source = yield from _inline_while_cheap(source)
            if source is None:
                return
        yield from _in_background(source, self._size)


def _in_memory(ds: Dataset) -> bool:
    """Whether every element of ``ds`` is a gather of rows of arrays already in memory."""
    own = ds._batched_fn is None if isinstance(ds, Batch) else \
        isinstance(ds, (TensorSlices, _Tensors, Shuffle, Repeat, Take, Skip, Prefetch))
    return own and all(_in_memory(d) for d in ds._inputs)


def _inline_while_cheap(source: Iterator[list]) -> Any:
    """Yields ``source``'s elements, produced here, until they get expensive; returns ``source``
    then (to be continued in the background), or None at its end."""
    recent: collections.deque = collections.deque(maxlen=_RECENT)
    first = True
    while True:
        start = time.thread_time()
        try:
            element = next(source)
        except StopIteration:
            return None
        if not first:
            recent.append(time.thread_time() - start)
        first = False
        yield element
        if len(recent) == _RECENT and min(recent) > INLINE_LIMIT_S:   # not a passing hiccup
            return source


def _in_background(source: Iterator[list], size: int) -> Iterator[list]:
    """``source``'s elements, produced by a thread that keeps ``size`` of them ready."""
    buffer: queue.Queue = queue.Queue(size)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for element in source:
                if not put(element):
                    return
            put(_END)
        except BaseException as e:   # handed to the consumer, raised where it pulls
            put(e)

    worker = threading.Thread(target=produce, name="graphc-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = buffer.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
