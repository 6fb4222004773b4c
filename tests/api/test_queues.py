"""TF1 queues and queue runners: semantics and messages recorded from TensorFlow 2.21.0 (tf.compat.v1)."""
import os
import threading

import numpy as np
import pytest

import graphc as tf

from repo_paths import DATA

HERE = str(DATA / "tfrecord")


def test_fifo_queue_ops():
    q = tf.FIFOQueue(3, [tf.int32, tf.string], shapes=[[], []])
    x, s = tf.placeholder(tf.int32, [None]), tf.placeholder(tf.string, [None])
    enq, deq, many, upto = q.enqueue_many([x, s]), q.dequeue(), q.dequeue_many(2), q.dequeue_up_to(2)
    size, close = q.size(), q.close()
    assert many[0].shape.as_list() == [2] and upto[0].shape.as_list() == [None] and size.dtype is tf.int32
    with tf.Session() as sess:
        sess.run(enq, {x: [1, 2, 3], s: [b"a", b"b", b"c"]})
        assert sess.run(size) == 3
        assert sess.run(deq) == [1, b"a"]
        got = sess.run(many)
        assert got[0].tolist() == [2, 3] and got[1].tolist() == [b"b", b"c"] and sess.run(size) == 0
        sess.run(enq, {x: [4], s: [b"d"]})
        sess.run(close)
        with pytest.raises(tf.errors.CancelledError, match="is closed."):
            sess.run(enq, {x: [5], s: [b"e"]})
        with pytest.raises(tf.errors.OutOfRangeError,
                           match=r"is closed and has insufficient elements \(requested 2, current size 1\)"):
            sess.run(many)
        last = sess.run(upto)            # a closed queue hands out what is left
        assert last[0].tolist() == [4] and last[1].tolist() == [b"d"]
        with pytest.raises(tf.errors.OutOfRangeError, match=r"\(requested 2, current size 0\)"):
            sess.run(upto)


def test_a_failed_run_puts_its_items_back():
    q = tf.FIFOQueue(5, [tf.float32], shapes=[[None]])
    v = tf.placeholder(tf.float32, [None])
    enq = q.enqueue([v])
    item = q.dequeue()
    as_two = tf.reshape(item, [2])
    with tf.Session() as sess:
        for value in ([1.0, 2.0, 3.0], [4.0, 5.0]):
            sess.run(enq, {v: value})
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(as_two)                       # the 3-vector does not reshape: the run fails
        assert sess.run(item).tolist() == [1.0, 2.0, 3.0]   # ... and it is still first
        assert sess.run(as_two).tolist() == [4.0, 5.0]


def test_dequeue_waits_for_another_threads_enqueue():
    q = tf.FIFOQueue(1, [tf.int32], shapes=[[]])
    v = tf.placeholder(tf.int32, [])
    enq, deq = q.enqueue([v]), q.dequeue()
    with tf.Session() as sess:
        producer = threading.Thread(target=lambda: [sess.run(enq, {v: i}) for i in range(20)])
        producer.start()                           # the queue holds one item: enqueues wait for dequeues
        assert [int(sess.run(deq)) for _ in range(20)] == list(range(20))
        producer.join(30)


def test_string_input_producer_in_order():
    # TF 2.21: [b'a', b'b', b'c', b'a', b'b', b'c'], then OutOfRangeError
    fq = tf.train.string_input_producer(["a", "b", "c"], num_epochs=2, shuffle=False)
    name = fq.dequeue()
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        got = []
        with pytest.raises(tf.errors.OutOfRangeError):
            while True:
                got.append(sess.run(name))
        coord.request_stop()
        coord.join(threads)
    assert got == [b"a", b"b", b"c"] * 2


def test_reader_and_batch_pipeline_over_tensorflows_file():
    fq = tf.train.string_input_producer([os.path.join(HERE, "examples.tfrecord")], num_epochs=2, shuffle=False)
    key, value = tf.TFRecordReader().read(fq)
    parsed = tf.parse_single_example(value, {"id": tf.FixedLenFeature([], tf.int64)})
    ids, keys = tf.train.batch([parsed["id"], key], batch_size=4, allow_smaller_final_batch=True)
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        batches = []
        try:
            while not coord.should_stop():
                batches.append(sess.run([ids, keys]))
        except tf.errors.OutOfRangeError:
            pass
        finally:
            coord.request_stop()
        coord.join(threads)
    assert [b[0].tolist() for b in batches] == [[0, 1, 2, 0], [1, 2]]
    path = os.path.join(HERE, "examples.tfrecord")
    assert batches[0][1].tolist()[:2] == [f"{path}:0".encode(), f"{path}:1".encode()]


def test_slice_input_producer_and_shuffle_batch():
    x = np.arange(12, dtype=np.int32)
    a, b = tf.train.slice_input_producer([x, x * 10], num_epochs=1, seed=3)
    xs, ys = tf.train.shuffle_batch([a, b], batch_size=4, capacity=12, min_after_dequeue=2, seed=4,
                                    allow_smaller_final_batch=True)
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        seen = []
        with pytest.raises(tf.errors.OutOfRangeError):
            while True:
                got_x, got_y = sess.run([xs, ys])
                assert (got_y == got_x * 10).all()      # rows stay together through both queues
                seen.extend(got_x.tolist())
        coord.request_stop()
        coord.join(threads)
    assert sorted(seen) == list(range(12))


def test_coordinator_reports_a_threads_exception():
    coord = tf.train.Coordinator()

    def fail():
        with coord.stop_on_exception():
            raise ValueError("boom")

    t = threading.Thread(target=fail)
    t.start()
    assert coord.wait_for_stop(10)
    with pytest.raises(ValueError, match="boom"):
        coord.join([t])
    clean = tf.train.Coordinator()
    clean.request_stop(tf.errors.OutOfRangeError(None, None, "done"))   # a clean stop: not re-raised
    clean.join([])


def test_closing_the_session_cancels_waiting_dequeues():
    q = tf.FIFOQueue(2, [tf.int32], shapes=[[]])
    deq = q.dequeue()
    sess = tf.Session()
    errors_seen = []

    def wait():
        try:
            sess.run(deq)
        except (tf.errors.OpError, RuntimeError) as e:
            errors_seen.append(e)

    t = threading.Thread(target=wait)
    t.start()
    t.join(0.3)
    sess.close()
    t.join(10)
    assert not t.is_alive() and errors_seen
