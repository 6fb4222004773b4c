"""2-rank job: MonitoredTrainingSession the Horovod way, twice (train, then resume).

Each rank starts from its own initial weights (w = rank + 1); BroadcastGlobalVariablesHook(0)
replaces them with rank 0's once the session is created; DistributedOptimizer trains on each
rank's own data. Only rank 0 gets a checkpoint_dir (``argv[1] if hvd.rank() == 0 else None``);
rank 1 works in the empty directory argv[2] (its current directory), which must stay empty. The
second session resumes: rank 0 restores the checkpoint, rank 1 initializes afresh, and the hook
gives rank 1 rank 0's restored weights and global step. Prints ``START <phase> <rank> <w> <step>``
and ``END <phase> <rank> <w> <step>`` for the test to compare.
"""
import os
import sys

import numpy as np

import graphc as tf
import graphc.distribute as hvd

hvd.init()
r = hvd.rank()
checkpoint_dir = os.path.abspath(sys.argv[1]) if r == 0 else None
if r == 1:
    os.chdir(sys.argv[2])      # anything rank 1 wrote by a relative path would land here


def phase(number, steps):
    with tf.Graph().as_default():
        w = tf.Variable(np.full(3, r + 1.0, np.float32), name="w")
        global_step = tf.train.get_or_create_global_step()
        target = tf.constant(np.arange(3, dtype=np.float32) * (r + 1))
        loss = tf.reduce_sum(tf.square(w - target))
        opt = hvd.DistributedOptimizer(tf.train.GradientDescentOptimizer(0.1))
        train = opt.minimize(loss, global_step=global_step)
        hooks = [hvd.BroadcastGlobalVariablesHook(0)]
        with tf.train.MonitoredTrainingSession(checkpoint_dir=checkpoint_dir, hooks=hooks,
                                               save_checkpoint_steps=2) as sess:
            w0, s0 = sess.run([w, global_step])
            print(f"START {number} {r} {w0.tolist()} {s0}", flush=True)
            for _ in range(steps):
                sess.run(train)
            w1, s1 = sess.run([w, global_step])
            print(f"END {number} {r} {w1.tolist()} {s1}", flush=True)


phase(1, 4)
phase(2, 2)
