"""2-rank job: allreduce (Sum, Average, fp16), allgather of different lengths, broadcast, and the
gradients through all three, against values worked out by hand; then shutdown and init on a
list of ranks. Also DistributedOptimizer's gradients (Average, Sum, fp16 on the wire, an
embedding's gradient allreduced densely). Exits non-zero on a mismatch.

Rank r feeds x_r = (r + 1) everywhere. With L = sum over ranks of
y_r = sum(g*g) + 3*sum(s) + 5*sum(b), where g = allgather(x), s = allreduce_sum(x) and
b = broadcast(x, root 1):  dL/dx_r = 2*N*x_r + 3*N + (5*N if r == 1 else 0), N = 2.
"""
import sys

import numpy as np

import graphc as tf
import graphc.distribute as hvd

hvd.init()
r, n = hvd.rank(), hvd.size()
assert n == 2, n
assert (hvd.local_rank(), hvd.local_size()) == (r, 2)
backend = sys.argv[1]

x = tf.placeholder(tf.float32, [None, 3])
s = hvd.allreduce(x, op=hvd.Sum)
avg = hvd.allreduce(x)
half = hvd.allreduce(x, compression=hvd.Compression.fp16, op=hvd.Sum)
gathered = hvd.allgather(x)
b = hvd.broadcast(x, 1)
y = tf.reduce_sum(gathered * gathered) + tf.reduce_sum(s * 3.0) + tf.reduce_sum(b * 5.0)
dx = tf.gradients(y, x)[0]
assert gathered.shape.as_list() == [None, 3], gathered.shape
assert s.shape.as_list() == [None, 3] and half.dtype is tf.float32

with tf.Session(backend=backend) as sess:
    rows = np.full((2, 3), r + 1.0, np.float32)
    got_s, got_avg, got_half, got_b, got_dx = sess.run([s, avg, half, b, dx], {x: rows})
    np.testing.assert_array_equal(got_s, np.full((2, 3), 3.0))
    np.testing.assert_array_equal(got_avg, np.full((2, 3), 1.5))
    np.testing.assert_array_equal(got_half, np.full((2, 3), 3.0))
    np.testing.assert_array_equal(got_b, np.full((2, 3), 2.0))
    np.testing.assert_array_equal(got_dx, np.full((2, 3), 2 * n * (r + 1) + 3 * n + (5 * n if r == 1 else 0)))
    # different first dimensions: rank 0 sends 1 row, rank 1 sends 3
    mine = np.arange(3 * (2 * r + 1), dtype=np.float32).reshape(-1, 3) + 100 * r
    expected = np.concatenate([np.arange(3, dtype=np.float32).reshape(1, 3),
                               np.arange(9, dtype=np.float32).reshape(3, 3) + 100])
    np.testing.assert_array_equal(sess.run(gathered, {x: mine}), expected)
    ints = hvd.allgather(tf.constant([[r, r]], dtype=tf.int64))
    np.testing.assert_array_equal(sess.run(ints), [[0, 0], [1, 1]])

# DistributedOptimizer's gradients: averaged (or summed), fp16 on the wire, an embedding's densely
with tf.Graph().as_default():
    w = tf.Variable(np.zeros(3, np.float32))
    table = tf.Variable(np.zeros((4, 2), np.float32))
    rows = tf.nn.embedding_lookup(table, tf.constant([0] if r == 0 else [3, 3]))
    loss = tf.reduce_sum(w * tf.constant((r + 1) * np.array([1.0, 2.0, 3.0], np.float32))) + tf.reduce_sum(rows)
    checks = [(hvd.Average, hvd.Compression.none), (hvd.Sum, hvd.Compression.none),
              (hvd.Average, hvd.Compression.fp16)]
    grads = [hvd.DistributedOptimizer(tf.train.GradientDescentOptimizer(1.0), op=op, compression=c)
             .compute_gradients(loss, var_list=[w, table]) for op, c in checks]
    with tf.Session(backend=backend) as sess:
        sess.run(tf.global_variables_initializer())
        for (op, _), pairs in zip(checks, grads):
            dw, dtable = sess.run([g for g, _ in pairs])
            assert dw.dtype == np.float32 and dtable.dtype == np.float32
            scale = 1.0 if op == hvd.Sum else 0.5      # rank gradients: [1,2,3] and [2,4,6]
            np.testing.assert_array_equal(dw, scale * np.array([3.0, 6.0, 9.0]))
            # rank 0 looked up row 0 once, rank 1 row 3 twice
            np.testing.assert_array_equal(dtable, scale * np.array([[1, 1], [0, 0], [0, 0], [2, 2]]))

# shutdown, then a group given as a list of world ranks, in reverse: world rank 1 becomes rank 0
hvd.shutdown()
assert not hvd.is_initialized()
hvd.init([1, 0])
assert (hvd.rank(), hvd.size()) == (1 - r, 2)
with tf.Graph().as_default(), tf.Session(backend=backend) as sess:
    from_new_root = hvd.broadcast(tf.constant([float(r)]), 0)
    np.testing.assert_array_equal(sess.run(from_new_root), [1.0])   # world rank 1's value
print(f"rank {r} OK")
