"""Writes tests/data/tf_graphs/queues.pb: a FIFOQueue and a RandomShuffleQueue with enqueue, enqueue_many,
dequeue, dequeue_many, dequeue_up_to, size and close, as TensorFlow 2.21 compat.v1 writes them, and
``queues_expected.npz``: what TensorFlow's session returns for the run sequence in ``RUNS``.

Run with a Python that has real TensorFlow, from the repository root:

    /tmp/tfenv/bin/python tests/data/make_tf_queues.py
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_graphs")
# (fetch, feed x) in order; the tests replay them
RUNS = [("enq", [1.0, 2.0]), ("enq", [3.0, 4.0]), ("enq_many", [5.0, 6.0]), ("size:0", None), ("one:0", None),
        ("many:0", None), ("enq", [7.0, 8.0]), ("close", None), ("rest:0", None), ("shuffled_enq", None),
        ("shuffled_size:0", None)]


def main() -> None:
    import tensorflow as tf     # here, so the tests can import RUNS without TensorFlow
    tf1 = tf.compat.v1
    tf1.disable_v2_behavior()
    with tf1.Graph().as_default() as g:
        x = tf1.placeholder(tf.float32, [2], name="x")
        q = tf1.FIFOQueue(10, [tf.float32], shapes=[[2]], name="q")
        q.enqueue([x * 2.0], name="enq")
        q.enqueue_many([tf.reshape(x, [1, 2])], name="enq_many")
        q.size(name="size")
        q.dequeue(name="one")
        q.dequeue_many(1, name="many")
        q.dequeue_up_to(5, name="rest")
        q.close(name="close")
        r = tf1.RandomShuffleQueue(4, 0, [tf.int32], shapes=[[]], seed=1, name="r")
        r.enqueue_many([tf.range(3)], name="shuffled_enq")
        r.size(name="shuffled_size")
        got = {}
        with tf1.Session() as sess:
            for k, (fetch, feed) in enumerate(RUNS):
                value = sess.run(fetch, {x: feed} if feed is not None else None)
                if value is not None:
                    got[f"run{k}"] = np.asarray(value)
        with open(os.path.join(OUT, "queues.pb"), "wb") as f:
            f.write(g.as_graph_def().SerializeToString())
    np.savez(os.path.join(OUT, "queues_expected.npz"), **got)


if __name__ == "__main__":
    main()
