"""2-rank job under the Triton interpreter with simulated device arrays (TRITON_INTERPRET=1,
GRAPHC_TRITON_ARRAYS=simulated): a collective on a device-resident variable is staged through
host memory. Checks the engine's CUDA-awareness verdict from the MPI's memory kinds, then that a
run which allreduces a variable (kept on the device) downloads the variable's bytes for MPI and
uploads the result, and that the values are right. Prints ``rank <r> OK <cuda_aware>``.
"""
import numpy as np

import graphc as tf
import graphc.distribute as hvd
from graphc.distribute.mpi import _memory_kinds, cuda_aware, engine
from graphc.runtime import stats

hvd.init()
r = hvd.rank()
eng = engine()
assert eng.cuda_aware == cuda_aware(_memory_kinds(eng.MPI.COMM_WORLD))

w = tf.Variable(np.full(1000, r + 1.0, np.float32))
step = tf.assign(w, hvd.allreduce(w * 2.0, op=hvd.Sum))
with tf.Session(backend="triton") as sess:
    sess.run(tf.global_variables_initializer())
    sess.run(step)                       # compiles; the variable now lives on the device
    before = stats()
    sess.run(step.op)                    # a target: nothing is fetched back to numpy
    after = stats()
    down = after["device_download_bytes"] - before["device_download_bytes"]
    up = after["device_upload_bytes"] - before["device_upload_bytes"]
    # staged: w * 2 (4000 bytes) comes down for MPI once, the sum goes back up once (the run
    # also uploads a scalar or so; a second copy of the 4000 bytes either way would fail this)
    assert down == 4000 and 4000 <= up < 8000, (down, up)
    # (1 + 2) * 2 = 6 after the first step, (6 + 6) * 2 = 24 after the second
    np.testing.assert_array_equal(sess.run(w), np.full(1000, 24.0, np.float32))
print(f"rank {r} OK {eng.cuda_aware}")
