"""2-rank job (run with GRAPHC_FUSION_THRESHOLD=64, so every gradient is its own bucket): the
overlapped allreduce of DistributedOptimizer.

Checks that each bucket's MPIAllreduceStart comes right after its gradient and before the earlier
layers' backward matmuls, in the run plan and in the fused kernel plan; that on the given backend
the overlapped gradients equal each gradient's plain hvd.allreduce, bit for bit; and that the
gradient through MPIAllreduceWait is the averaged upstream gradient. Prints ``rank <r> OK``.
"""
import sys

import numpy as np

import graphc as tf
import graphc.distribute as hvd
from graphc.distribute.mpi import engine
from graphc.distribute.overlap import overlapped_allreduce
from graphc.passes import pipeline
from graphc.passes.run_plan import RunPlan

hvd.init()
r = hvd.rank()
backend = sys.argv[1]
rs = np.random.RandomState(r)          # different data and weights on each rank
x = tf.placeholder(tf.float32, [None, 8])
labels = tf.placeholder(tf.int32, [None])
h = x
for i, (a, b) in enumerate([(8, 16), (16, 16), (16, 4)]):
    h = tf.matmul(h, tf.Variable(rs.randn(a, b).astype(np.float32)))
    if i < 2:
        h = tf.nn.relu(h)
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
opt = hvd.DistributedOptimizer(tf.train.GradientDescentOptimizer(0.1))
pairs = opt.compute_gradients(loss)
plain = [hvd.allreduce(g) for g, _ in tf.train.GradientDescentOptimizer(0.1).compute_gradients(loss)]
train = opt.apply_gradients(pairs)


def order(types):
    picked = [t for t in types if t in ("MatMul", "MPIAllreduceStart", "MPIAllreduceWait")]
    return " ".join("S" if t == "MPIAllreduceStart" else "W" if t == "MPIAllreduceWait" else "m" for t in picked)


# forward 3 matmuls; backward: dW3, (start dW3), dH2, dW2, (start), dH1, dW1, (start), wait
want = "m m m m S m m S m m S W"
plan = RunPlan([], [train], [x, labels])
assert order([op.type for op in plan.ops]) == want, order([op.type for op in plan.ops])
kernels, _ = pipeline.compile_plan(plan, ((4, 8), (4,)))
kernel_types = [t for k in kernels.kernels for t in k.op_types]
assert order(kernel_types) == want, order(kernel_types)

feed = {x: rs.randn(4, 8).astype(np.float32), labels: rs.randint(0, 4, 4)}
with tf.Session(backend=backend) as sess:
    sess.run(tf.global_variables_initializer())
    got, expected = sess.run([[g for g, _ in pairs], plain], feed)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    sess.run(train, feed)
    # every wait found its bucket's reduction started on the same gradients (none redone)
    assert engine().overlap_misses == 0, engine().overlap_misses

with tf.Graph().as_default(), tf.Session(backend=backend) as sess:
    a = tf.constant(np.ones(3, np.float32))
    b = tf.constant(np.ones((2, 2), np.float32))
    out = overlapped_allreduce([a * 1.0, b * 1.0])
    y = tf.reduce_sum(out[0] * (r + 1.0)) + tf.reduce_sum(out[1] * 3.0)
    da, db = sess.run(tf.gradients(y, [a, b]))
    np.testing.assert_array_equal(da, np.full(3, 1.5))     # the average of 1 and 2
    np.testing.assert_array_equal(db, np.full((2, 2), 3.0))
print(f"rank {r} OK")
