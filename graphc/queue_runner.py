"""TF1's queue-runner input pipelines: ``tf.train.Coordinator``, ``QueueRunner``,
``start_queue_runners``, the input producers and ``tf.train.batch``/``shuffle_batch``.

Threads run a queue's enqueue op in the session until its input ends (OutOfRangeError), then
close the queue, so the consumer's dequeues drain it and raise OutOfRangeError in turn. The
producers are built on tf.data: ``string_input_producer`` enqueues a (shuffled, repeated)
dataset's elements.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Optional, Sequence

from graphc import errors
from graphc.graph import GraphKeys, Operation, add_to_collection, get_collection
from graphc.shape import as_shape
from graphc.ops.core import convert_to_tensor
from graphc.queues import FIFOQueue, RandomShuffleQueue

QUEUE_RUNNERS = getattr(GraphKeys, "QUEUE_RUNNERS", "queue_runners")


class Coordinator:
    """Lets threads ask each other to stop, and report the exception that made them (TF1)."""

    def __init__(self, clean_stop_exception_types: Optional[Sequence[type]] = None) -> None:
        self._clean = tuple(clean_stop_exception_types or (errors.OutOfRangeError,))
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._exc_info: Any = None
        self._threads: list = []

    def should_stop(self) -> bool:
        """Whether a stop was requested."""
        return self._stop.is_set()

    def request_stop(self, ex: Optional[BaseException] = None) -> None:
        """Asks every thread to stop; ``ex`` (unless a clean-stop type) is re-raised by ``join``."""
        with self._lock:
            if ex is not None and not isinstance(ex, self._clean) and self._exc_info is None:
                self._exc_info = ex
            self._stop.set()

    def clear_stop(self) -> None:
        """Forgets a stop request (and its exception)."""
        with self._lock:
            self._stop.clear()
            self._exc_info = None

    def wait_for_stop(self, timeout: Optional[float] = None) -> bool:
        """Waits until a stop is requested (or ``timeout`` seconds); returns whether it was."""
        return self._stop.wait(timeout)

    def register_thread(self, thread: threading.Thread) -> None:
        """Adds ``thread`` to the ones ``join`` waits for."""
        self._threads.append(thread)

    def stop_on_exception(self) -> "_StopOnException":
        """A context manager that requests a stop with the exception leaving its block."""
        return _StopOnException(self)

    def raise_requested_exception(self) -> None:
        """Raises the exception given to ``request_stop``, if any."""
        if self._exc_info is not None:
            raise self._exc_info

    def join(self, threads: Optional[Sequence[threading.Thread]] = None, stop_grace_period_secs: float = 120,
             ignore_live_threads: bool = False) -> None:
        """Waits for the threads (and the registered ones) to end, then re-raises a reported exception."""
        threads = list(threads or []) + self._threads
        for t in threads:
            t.join(stop_grace_period_secs)
        alive = [t.name for t in threads if t.is_alive()]
        self.raise_requested_exception()
        if alive and not ignore_live_threads:
            raise RuntimeError(f"Coordinator stopped with threads still running: {' '.join(alive)}")

    @property
    def joined(self) -> bool:
        """Whether every registered thread has ended."""
        return not any(t.is_alive() for t in self._threads)


class _StopOnException:
    def __init__(self, coord: Coordinator) -> None:
        self._coord = coord

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc is not None:
            self._coord.request_stop(exc)
            return True
        return False


class QueueRunner:
    """Threads that run ``enqueue_ops`` (one thread each) to fill ``queue`` (TF1 ``tf.train.QueueRunner``)."""

    def __init__(self, queue: Any = None, enqueue_ops: Optional[Sequence[Operation]] = None,
                 close_op: Optional[Operation] = None, cancel_op: Optional[Operation] = None,
                 queue_closed_exception_types: Optional[Sequence[type]] = None) -> None:
        self.queue = queue
        self.enqueue_ops = list(enqueue_ops or [])
        self.close_op = close_op if close_op is not None else queue.close()
        self.cancel_op = cancel_op if cancel_op is not None else queue.close(cancel_pending_enqueues=True)
        self._closed_types = tuple(queue_closed_exception_types or (errors.OutOfRangeError, errors.CancelledError))
        self.exceptions_raised: list = []

    def create_threads(self, sess: Any, coord: Optional[Coordinator] = None, daemon: bool = False,
                       start: bool = False) -> list:
        """One thread per enqueue op (plus one that cancels the queue when ``coord`` stops)."""
        remaining = [len(self.enqueue_ops)]
        lock = threading.Lock()
        threads = [threading.Thread(target=self._run, args=(sess, op, coord, remaining, lock), daemon=daemon,
                                    name=f"QueueRunnerThread-{self.queue.name}-{op.name}")
                   for op in self.enqueue_ops]
        if coord is not None:
            threads.append(threading.Thread(target=self._cancel_on_stop, args=(sess, coord), daemon=True,
                                            name=f"QueueRunnerCancel-{self.queue.name}"))
        for t in threads:
            if coord is not None:
                coord.register_thread(t)
            if start:
                t.start()
        return threads

    def _run(self, sess: Any, op: Operation, coord: Optional[Coordinator], remaining: list,
             lock: threading.Lock) -> None:
        try:
            while coord is None or not coord.should_stop():
                sess.run(op)
        except self._closed_types:
            with lock:
                remaining[0] -= 1
                last = remaining[0] == 0
            if last:                    # the input ended: let the consumers drain the queue
                self._quietly(sess, self.close_op)
        except Exception as e:   # noqa: BLE001  (reported to the coordinator, as TF1 does)
            self.exceptions_raised.append(e)
            if coord is not None:
                coord.request_stop(e)
            else:
                raise

    def _cancel_on_stop(self, sess: Any, coord: Coordinator) -> None:
        coord.wait_for_stop()
        self._quietly(sess, self.cancel_op)

    @staticmethod
    def _quietly(sess: Any, op: Operation) -> None:
        try:
            sess.run(op)
        except (errors.OpError, RuntimeError):   # a closed session or queue: nothing left to close
            pass


# the names TF1 publishes under tf.train (graphc/__init__.py adds them to graphc.train)
TRAIN_NAMES = ("Coordinator", "QueueRunner", "add_queue_runner", "batch", "input_producer", "range_input_producer",
               "shuffle_batch", "slice_input_producer", "start_queue_runners", "string_input_producer")


def add_queue_runner(qr: QueueRunner, collection: str = QUEUE_RUNNERS) -> None:
    """Adds ``qr`` to the graph's queue runners (started by ``start_queue_runners``)."""
    add_to_collection(collection, qr)


def start_queue_runners(sess: Any = None, coord: Optional[Coordinator] = None, daemon: bool = True,
                        start: bool = True, collection: str = QUEUE_RUNNERS) -> list:
    """Starts the threads of every queue runner in ``collection``; returns them."""
    from graphc.graph import get_default_session

    sess = sess if sess is not None else get_default_session()
    if sess is None:
        raise ValueError("Cannot start queue runners: no default session is registered. Use `with sess.as_default()` "
                         "or pass an explicit session to tf.start_queue_runners(sess=sess)")
    threads: list = []
    for qr in get_collection(collection):
        threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads


# producers ----------------------------------------------------------------------------------------
def _producer(dataset: Any, dtype: Any, shape: Any, capacity: int, queue_type: Callable = FIFOQueue) -> Any:
    queue = queue_type(capacity, [dtype], [shape])
    element = dataset.make_one_shot_iterator().get_next()
    add_queue_runner(QueueRunner(queue, [queue.enqueue([element])]))
    return queue


def input_producer(input_tensor: Any, element_shape: Any = None, num_epochs: Optional[int] = None,
                   shuffle: bool = True, seed: Optional[int] = None, capacity: int = 32,
                   shared_name: Optional[str] = None, summary_name: Optional[str] = None,
                   name: Optional[str] = None, cancel_op: Any = None) -> Any:
    """A queue filled with the rows of ``input_tensor``, ``num_epochs`` times (None: forever),
    shuffled each epoch unless ``shuffle=False``."""
    from graphc.data import Dataset

    t = convert_to_tensor(input_tensor)
    ds = Dataset.from_tensor_slices(t)
    if shuffle:
        ds = ds.shuffle(2**31 - 1, seed)
    ds = ds.repeat(num_epochs)
    return _producer(ds, t.dtype, element_shape if element_shape is not None else t.shape[1:], capacity)


def string_input_producer(string_tensor: Any, num_epochs: Optional[int] = None, shuffle: bool = True,
                          seed: Optional[int] = None, capacity: int = 32, shared_name: Optional[str] = None,
                          name: Optional[str] = None, cancel_op: Any = None) -> Any:
    """A queue of the strings (file names) of ``string_tensor`` for readers, as ``input_producer``."""
    return input_producer(string_tensor, [], num_epochs, shuffle, seed, capacity)


def range_input_producer(limit: int, num_epochs: Optional[int] = None, shuffle: bool = True,
                         seed: Optional[int] = None, capacity: int = 32, shared_name: Optional[str] = None,
                         name: Optional[str] = None) -> Any:
    """A queue of the int32 numbers 0 .. limit-1, as ``input_producer``."""
    import numpy as np

    return input_producer(np.arange(int(limit), dtype=np.int32), [], num_epochs, shuffle, seed, capacity)


def slice_input_producer(tensor_list: Sequence[Any], num_epochs: Optional[int] = None, shuffle: bool = True,
                         seed: Optional[int] = None, capacity: int = 32, shared_name: Optional[str] = None,
                         name: Optional[str] = None) -> list:
    """The rows of the tensors of ``tensor_list`` taken together, one row per dequeue (a list)."""
    from graphc.data import Dataset

    tensors = [convert_to_tensor(t) for t in tensor_list]
    ds = Dataset.from_tensor_slices(tuple(tensors))
    if shuffle:
        ds = ds.shuffle(2**31 - 1, seed)
    ds = ds.repeat(num_epochs)
    queue = FIFOQueue(capacity, [t.dtype for t in tensors], [t.shape[1:] for t in tensors])
    add_queue_runner(QueueRunner(queue, [queue.enqueue(list(ds.make_one_shot_iterator().get_next()))]))
    out = queue.dequeue()
    return out if isinstance(out, list) else [out]


def _batch_queue(tensors: Any, batch_size: int, num_threads: int, enqueue_many: bool, shapes: Any,
                 allow_smaller_final_batch: bool, make_queue: Callable) -> Any:
    names = sorted(tensors) if isinstance(tensors, dict) else None
    flat = [tensors[k] for k in names] if names else list(tensors) if isinstance(tensors, (list, tuple)) \
        else [tensors]
    flat = [convert_to_tensor(t) for t in flat]
    if shapes is None:
        shapes = [t.shape[1:] if enqueue_many else t.shape for t in flat]
    for t, s in zip(flat, shapes):
        if not as_shape(s).is_fully_defined():
            raise ValueError(f"All shapes must be fully defined: {t.name} has shape {s}; pass shapes=")
    queue = make_queue([t.dtype for t in flat], shapes, names)
    vals = dict(zip(names, flat)) if names else flat
    enqueue = queue.enqueue_many(vals) if enqueue_many else queue.enqueue(vals)
    add_queue_runner(QueueRunner(queue, [enqueue] * max(int(num_threads), 1)))
    out = queue.dequeue_up_to(batch_size) if allow_smaller_final_batch else queue.dequeue_many(batch_size)
    if isinstance(tensors, (list, tuple)) and not isinstance(out, list):
        out = [out]
    return out


def batch(tensors: Any, batch_size: int, num_threads: int = 1, capacity: int = 32, enqueue_many: bool = False,
          shapes: Any = None, dynamic_pad: bool = False, allow_smaller_final_batch: bool = False,
          shared_name: Optional[str] = None, name: Optional[str] = None) -> Any:
    """Batches of ``tensors`` (a tensor, list or dict) built by queue-runner threads in a FIFOQueue."""
    if dynamic_pad:
        raise ValueError("graphc's tf.train.batch needs fully defined shapes (dynamic_pad=False); for padded "
                         "batches use tf.data's padded_batch")
    return _batch_queue(tensors, batch_size, num_threads, enqueue_many, shapes, allow_smaller_final_batch,
                        lambda d, s, n: FIFOQueue(capacity, d, s, names=n))


def shuffle_batch(tensors: Any, batch_size: int, capacity: int, min_after_dequeue: int, num_threads: int = 1,
                  seed: Optional[int] = None, enqueue_many: bool = False, shapes: Any = None,
                  allow_smaller_final_batch: bool = False, shared_name: Optional[str] = None,
                  name: Optional[str] = None) -> Any:
    """Batches drawn at random from a RandomShuffleQueue holding at least ``min_after_dequeue`` items."""
    return _batch_queue(tensors, batch_size, num_threads, enqueue_many, shapes, allow_smaller_final_batch,
                        lambda d, s, n: RandomShuffleQueue(capacity, min_after_dequeue, d, s, names=n, seed=seed))


__all__ = ["Coordinator", "QueueRunner", "add_queue_runner", "batch", "input_producer", "range_input_producer",
           "shuffle_batch", "slice_input_producer", "start_queue_runners", "string_input_producer"]
