"""Gradient checks for the segment reductions (graphc/ops/segment.py)."""
import numpy as np

import graphc as tf
from gradcheck import GradCase, rng

r = rng(25)
data = r.permutation(10).reshape(5, 2) * 0.3 + 0.5          # distinct and nonzero: max/min/prod differentiable
ids = np.array([0, 0, 2, 2, 3], np.int32)
uids = np.array([2, 0, 2, -1, 0], np.int32)

CASES = [GradCase(f"segment_{n.lower()}", {f"Segment{n}"}, lambda d, n=n: getattr(tf, f"segment_{n.lower()}")(d, ids) ** 2,
                  [data]) for n in ("Sum", "Mean", "Max", "Min", "Prod")]
CASES += [GradCase(f"unsorted_segment_{n.lower()}", {f"UnsortedSegment{n}"},
                   lambda d, n=n: tf.gather(getattr(tf, f"unsorted_segment_{n.lower()}")(d, uids, 4), [0, 2]) ** 2,
                   [data])   # segments 1 and 3 are empty (the dtype's extreme value for max/min)
          for n in ("Max", "Min", "Prod")]
CASES += [GradCase("unsorted_segment_mean", {"UnsortedSegmentSum", "Maximum"},
                   lambda d: tf.unsorted_segment_mean(d, uids, 3) ** 2, [data])]
