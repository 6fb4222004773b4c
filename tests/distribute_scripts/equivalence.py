"""2-rank job: data-parallel training equals one process on the whole batch.

Each rank builds two graphs: the distributed one (its own random initial weights, replaced by
rank 0's through broadcast_global_variables, DistributedOptimizer, its half of every batch) and
a plain one (rank 0's weights, the plain optimizer, the whole batch). Prints the largest
differences as ``RESULT <optimizer> <dtype> <max |distributed - plain|> <max |rank0 - rank1|>``
(rank 0 prints both ranks' lines) so the test applies its tolerances; exits non-zero if
broadcast left ranks different.
"""
import sys

import numpy as np
from mpi4py import MPI

import graphc as tf
import graphc.distribute as hvd

BATCH, STEPS = 16, 6
OPTIMIZERS = {
    "sgd": lambda: tf.train.GradientDescentOptimizer(0.5),
    "momentum": lambda: tf.train.MomentumOptimizer(0.1, 0.9),
    "adam": lambda: tf.train.AdamOptimizer(0.05),
}


def initial_weights(seed, dtype):
    r = np.random.default_rng(seed)
    return [r.normal(0, 0.5, s).astype(dtype) for s in ((4, 8), (8,), (8, 3), (3,))]


def batches(dtype):
    r = np.random.default_rng(1234)
    for _ in range(STEPS):
        yield r.normal(size=(BATCH, 4)).astype(dtype), r.integers(0, 3, BATCH)


def model(weights, dtype):
    x = tf.placeholder(dtype, [None, 4])
    labels = tf.placeholder(tf.int64, [None])
    w1, b1, w2, b2 = [tf.Variable(w) for w in weights]
    logits = tf.matmul(tf.tanh(tf.matmul(x, w1) + b1), w2) + b2
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    return x, labels, loss, [w1, b1, w2, b2]


def train(name, dtype, distributed):
    rank = hvd.rank()
    with tf.Graph().as_default():
        x, labels, loss, variables = model(initial_weights(rank if distributed else 0, dtype), dtype)
        opt = OPTIMIZERS[name]()
        if distributed:
            opt = hvd.DistributedOptimizer(opt)
        train_op = opt.minimize(loss)
        with tf.Session(backend=sys.argv[1]) as sess:
            sess.run(tf.global_variables_initializer())
            if distributed:
                sess.run(hvd.broadcast_global_variables(0))
                start = sess.run(variables)
                for got, want in zip(start, initial_weights(0, dtype)):
                    np.testing.assert_array_equal(got, want)   # rank 0's values, bit for bit
            for bx, by in batches(dtype):
                if distributed:
                    half = BATCH // hvd.size()
                    bx, by = bx[rank * half:(rank + 1) * half], by[rank * half:(rank + 1) * half]
                sess.run(train_op, {x: bx, labels: by})
            return sess.run(variables)


hvd.init()
for dtype in (np.float64, np.float32):
    for name in OPTIMIZERS:
        mine = train(name, dtype, True)
        plain = train(name, dtype, False)
        flat = np.concatenate([w.ravel() for w in mine])
        other = np.empty_like(flat)
        MPI.COMM_WORLD.Sendrecv(flat, dest=1 - hvd.rank(), recvbuf=other, source=1 - hvd.rank())
        vs_plain = max(float(np.max(np.abs(a - b))) for a, b in zip(mine, plain))
        moved = max(float(np.max(np.abs(a - b))) for a, b in zip(plain, initial_weights(0, dtype)))
        line = (f"RESULT {name} {np.dtype(dtype).name} {vs_plain:.3e} {float(np.max(np.abs(flat - other))):.3e} "
                f"moved {moved:.3e}")
        lines = MPI.COMM_WORLD.gather(line, root=0)   # one writer, so the ranks' lines never interleave
        if hvd.rank() == 0:
            print("\n".join(lines), flush=True)
