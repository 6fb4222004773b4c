"""Data-parallel cost on this machine: run under MPI, e.g. ``mpiexec -n 2 python -m benchmarks.distributed``.

Prints, from rank 0: the MLP 784-512-512-10 SGD step (global batch 256, split over the ranks,
DistributedOptimizer averaging 2.7 MB of gradients per step; one fused allreduce at the default
fusion threshold, overlapped buckets below 2.7 MB) as steps/s
and the share of the step spent inside MPI; then sum-allreduce time and bandwidth for message
sizes from 4 KiB to 64 MiB, through ``sess.run(hvd.allreduce(x))`` and through mpi4py's raw
``Comm.Allreduce`` on the same buffers. Bandwidth is the algorithm bandwidth, bytes / time.
"""
from __future__ import annotations

import sys
import time

import numpy as np

import graphc as tf
import graphc.distribute as hvd
from graphc.distribute.mpi import engine

GLOBAL_BATCH, HIDDEN, STEPS = 256, 512, 30
SIZES = [1 << k for k in (12, 16, 20, 24, 26)]


def _median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def mlp_step() -> tuple:
    """(steps/s, fraction of the step inside MPI) for the MLP SGD step."""
    rs = np.random.RandomState(0)
    layers = [784, HIDDEN, HIDDEN, 10]
    x = tf.placeholder(tf.float32, [None, 784])
    labels = tf.placeholder(tf.int32, [None])
    h = x
    for i, (a, b) in enumerate(zip(layers, layers[1:])):
        h = tf.matmul(h, tf.Variable((rs.randn(a, b) * np.sqrt(2.0 / a)).astype(np.float32))) + \
            tf.Variable(np.zeros(b, np.float32))
        if i < len(layers) - 2:
            h = tf.nn.relu(h)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
    train = hvd.DistributedOptimizer(tf.train.GradientDescentOptimizer(0.01)).minimize(loss)
    local = GLOBAL_BATCH // hvd.size()
    feed = {x: rs.rand(local, 784).astype(np.float32), labels: rs.randint(0, 10, local)}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(hvd.broadcast_global_variables(0))
        for _ in range(3):
            sess.run(train, feed)
        inside = engine().seconds
        start = time.perf_counter()
        for _ in range(STEPS):
            sess.run(train, feed)
        total = time.perf_counter() - start
        return STEPS / total, (engine().seconds - inside) / total


def allreduce_rows() -> list:
    comm = engine().comm
    rows = []
    x = tf.placeholder(tf.float32, [None])
    summed = hvd.allreduce(x, op=hvd.Sum)
    with tf.Session() as sess:
        for nbytes in SIZES:
            data = np.ones(nbytes // 4, np.float32)
            out = np.empty_like(data)
            repeats = max(5, min(200, (1 << 26) // nbytes))
            sess.run(summed, {x: data})
            comm.Barrier()
            graphc_s = _median_seconds(lambda: sess.run(summed, {x: data}), repeats)
            comm.Barrier()
            raw_s = _median_seconds(lambda: comm.Allreduce(data, out), repeats)
            rows.append((nbytes, graphc_s, raw_s))
    return rows


def main() -> None:
    hvd.init()
    steps, mpi_share = mlp_step()
    rows = allreduce_rows() if hvd.size() > 1 else []
    if hvd.rank() != 0:
        return
    print(f"ranks {hvd.size()}: MLP 784-{HIDDEN}-{HIDDEN}-10 SGD step, global batch {GLOBAL_BATCH}: "
          f"{steps:.1f} steps/s, {100 * mpi_share:.0f}% of the step inside MPI")
    for nbytes, graphc_s, raw_s in rows:
        print(f"allreduce {nbytes / 1024:>8.0f} KiB: graphc {graphc_s * 1e3:8.3f} ms "
              f"({nbytes / graphc_s / 1e9:6.2f} GB/s), mpi4py Allreduce {raw_s * 1e3:8.3f} ms "
              f"({nbytes / raw_s / 1e9:6.2f} GB/s)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
