"""graphc's reduce_sum(x*x) on 16M float32 next to a plain parallel read-only Numba sum and np.dot, in one process."""
import numpy as np, numba, time, graphc as tf
from numba import prange
@numba.njit(parallel=True, fastmath=True)
def psum(x):
    s = np.float32(0)
    for i in prange(x.size):
        s += x[i]
    return s
x = np.random.RandomState(0).randn(1<<24).astype(np.float32)
p = tf.placeholder(tf.float32, [None]); y = tf.reduce_sum(p*p)
s = tf.Session(); f = s.make_callable(y, [p])
psum(x); f(x)
def best(fn, n=30):
    ts=[]
    for _ in range(n):
        t=time.perf_counter(); fn(); ts.append(time.perf_counter()-t)
    return np.median(ts)*1e3
for _ in range(3):
    print("read-only parallel sum %.2f ms   graphc sum(x*x) %.2f ms   np.dot %.2f ms" % (best(lambda: psum(x)), best(lambda: f(x)), best(lambda: np.dot(x,x))))
