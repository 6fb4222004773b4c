"""2-rank jobs that go wrong on purpose; rank 0 (or each rank) prints the error it got.

Modes: ``raises`` (rank 1 raises before the first collective), ``stuck`` (rank 1 sleeps far
past the timeout), ``shapes`` (the ranks' variables differ in shape), ``order`` (the ranks run
two allreduces in opposite orders), ``later`` (the ranks agree at the first step, then run
different allreduces of the same shape). Prints
``ERROR <rank> <class>: <message, lines joined by ' | '> END`` for an OpError.
"""
import os
import sys
import time

import numpy as np

import graphc as tf
import graphc.distribute as hvd

mode = sys.argv[1]
hvd.init()
rank = hvd.rank()

width = 4 if mode == "shapes" and rank == 1 else 3
v = tf.Variable(np.ones(width, np.float32), name="weights")
a = hvd.allreduce(tf.constant([1.0, 2.0]), name="first")
b = hvd.allreduce(tf.constant([3.0, 4.0]), name="second")
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    if rank == 1 and mode == "raises":
        raise RuntimeError("rank 1 fails on purpose")
    if rank == 1 and mode == "stuck":
        time.sleep(120)
    try:
        if mode == "order":
            sess.run(a if rank == 0 else b)
        if mode == "later":     # both checked together at the first step, then each rank runs another
            sess.run([a, b])
            print(f"STEP1 {rank} {sess.run(a if rank == 0 else b)}", flush=True)
        sess.run(hvd.broadcast_global_variables(0))
        print(f"DONE {rank}", flush=True)
    except tf.errors.OpError as e:
        # one write() per rank, the message on one line, so the two ranks' reports never interleave
        one_line = str(e).replace("\n", " | ")
        os.write(1, f"ERROR {rank} {type(e).__name__}: {one_line} END\n".encode())
        raise SystemExit(3)
