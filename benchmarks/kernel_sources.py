"""Writes the generated kernels of canonical graphs to a directory, to diff before/after a refactor.

    PYTHONPATH=$PWD python3 -m benchmarks.kernel_sources numba OUT_DIR
    TRITON_INTERPRET=1 PYTHONPATH=$PWD python3 -m benchmarks.kernel_sources triton OUT_DIR

One file per graph: the kernel plan, each kernel's source (or the note saying which numpy kernel
runs it), the numpy kernels, the in-place variables (and the note when there are none), and a
hash of the fetched values and variables after two runs. A refactor of the backends that must
not change behaviour leaves every file byte-identical (``diff -r BEFORE AFTER``).
"""
from __future__ import annotations

import hashlib
import os
import sys

import numpy as np

import graphc as tf
from benchmarks import workloads


def _extra_graphs() -> dict:
    """Reductions and a dense layer the workload list lacks: column sums, max/mean rows, matmul epilogue."""
    def column_sum():
        x = tf.placeholder(tf.float32, [None, 96], name="x")
        return [tf.reduce_sum(x, axis=0), tf.reduce_max(x, axis=1), tf.reduce_mean(x * x)], \
            {x: np.random.RandomState(1).randn(64, 96).astype(np.float32)}

    def dense_relu():
        x = tf.placeholder(tf.float32, [None, 32], name="x")
        w = tf.constant(np.random.RandomState(2).randn(32, 16).astype(np.float32))
        b = tf.constant(np.linspace(-1, 1, 16).astype(np.float32))
        return tf.nn.relu(tf.matmul(x, w) + b), {x: np.random.RandomState(3).randn(8, 32).astype(np.float32)}

    def int_chain():
        x = tf.placeholder(tf.int32, [None], name="x")
        return tf.reduce_sum(tf.abs(x * 3 - 7)), {x: np.arange(-50, 50, dtype=np.int32)}

    return {"column_sum": column_sum, "dense_relu": dense_relu, "int_chain": int_chain}


def _digest(values) -> str:
    h = hashlib.sha256()
    for v in values:
        a = np.asarray(v)
        h.update(str((a.dtype, a.shape)).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def _describe(exe, fetched: list, variables: list) -> str:
    lines = [exe.kernel_plan.describe(), ""]
    for k in exe.kernels:
        lines.append(f"# ===== kernel {k.index} [{k.kind}]: {' '.join(k.op_types)}")
        lines.append(k.source or "# (no source)")
    lines.append(f"numpy_kernels: {getattr(exe, 'numpy_kernels', None)}")
    lines.append(f"inplace_variables: {getattr(exe, 'inplace_variables', None)}")
    lines.append(f"inplace_note: {getattr(exe, 'inplace_note', None)}")
    lines.append(f"peak_bytes: {exe.peak_bytes}")
    lines.append(f"fetched: {_digest(fetched)}")
    lines.append(f"variables: {_digest(variables)}")
    return "\n".join(lines) + "\n"


def _write(name: str, build, backend: str, out_dir: str) -> None:
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        fetches, feed = build()
        init = tf.global_variables_initializer()
        with tf.Session(backend=backend) as sess:
            sess.run(init)
            exe = sess.compile(fetches, feed)
            fetched = [sess.run(fetches, feed) for _ in range(2)]
            flat = [np.asarray(x) for f in fetched for x in (f if isinstance(f, list) else [f]) if x is not None]
            variables = [np.asarray(v) for v in sess.run(tf.global_variables())]
    with open(os.path.join(out_dir, f"{name}.txt"), "w") as f:
        f.write(_describe(exe, flat, variables))


def main(argv: list) -> None:
    backend, out_dir = argv
    os.makedirs(out_dir, exist_ok=True)
    graphs = {w.name: (lambda w=w: (lambda b: (b.fetches, b.feed_dict))(w.build("small"))) for w in workloads.WORKLOADS}
    graphs.update(_extra_graphs())
    for name, build in graphs.items():
        _write(name, build, backend, out_dir)
    print(f"wrote {len(graphs)} graphs for {backend} to {out_dir}")


if __name__ == "__main__":
    main(sys.argv[1:])
