"""Ops without a gradient (comparisons, logic, rounding, integer division, arg-reductions, one-hot,
ranges) run on each compiled backend and give exactly the eager reference's values.

Their results are discrete, so the comparison is exact (same dtype, shape and bits); inputs
include the awkward values: halves for rounding, negative operands for floor division, NaN in
comparisons, ties for argmax, out-of-range one-hot indices.
"""
import os

os.environ.setdefault("TRITON_INTERPRET", "1")

import dataclasses  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import graphc as tf  # noqa: E402
from graphc.ops.core import OPS  # noqa: E402
from graphc.runtime.session import available_backends  # noqa: E402

COMPILED = [b for b in available_backends() if b not in ("auto", "eager", "interpret")]
F = np.array([[-2.5, -1.5, -0.5, 0.5], [1.5, 2.5, np.nan, 3.7], [-3.7, 0.0, -0.0, 1e9], [-0.3, 0.3, -1e-30, 4.5]],
             np.float32)
G = np.array([[-2.5, 1.0, -0.5, 0.25], [1.5, -2.5, 2.0, np.nan], [-3.7, 0.0, 0.0, 1e9], [0.3, -0.3, 1.0, -4.5]],
             np.float32)
I = np.array([[-7, -6, 5, 0], [7, -1, 13, 2], [3, 9, -12, 1]], np.int32)
J = np.array([[2, -4, 3, 5], [-2, 3, 5, -1], [2, 4, -5, 7]], np.int32)
B = np.array([[True, False, True, False], [True, True, False, False], [False, False, False, True]])


@dataclasses.dataclass
class Case:
    name: str
    build: Callable            # placeholders -> fetched tensors
    values: tuple              # fed values, one per placeholder
    op_types: frozenset


def case(name: str, build: Callable, *values, ops) -> Case:
    return Case(name, build, values, frozenset(ops))


CASES = [
    case("comparisons_float", lambda x, y: [x < y, x <= y, x > y, x >= y, tf.equal(x, y), tf.not_equal(x, y)],
         F, G, ops=["Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual"]),
    case("comparisons_int_broadcast", lambda i, j: [i < j[0], tf.equal(i, 3), tf.not_equal(j, i[:, :1] * 0 + 2)],
         I, J, ops=["Less", "Equal", "NotEqual"]),
    case("logic", lambda a, b: [tf.logical_and(a, b), tf.logical_or(a, b), tf.logical_not(a),
                                tf.logical_and(tf.logical_not(b), a)],
         B, B[::-1].copy(), ops=["LogicalAnd", "LogicalOr", "LogicalNot"]),
    case("rounding", lambda x: [tf.floor(x), tf.ceil(x), tf.round(x), tf.round(x * 2.0) - tf.floor(x)],
         F, ops=["Floor", "Ceil", "Round"]),
    case("floor_division", lambda i, j, x, y: [tf.floordiv(i, j), i // 4, tf.floordiv(x, y + 10.0)],
         I, J, F, G, ops=["FloorDiv"]),
    case("arg_reductions", lambda x, i: [tf.argmax(x, axis=1), tf.argmin(x, axis=0), tf.argmax(i, axis=0),
                                         tf.argmin(i, axis=1, output_type=tf.int32)],
         np.array([[1.0, 3.0, 3.0, -1.0], [0.5, 0.5, -2.0, -2.0], [7.0, 1.0, 7.0, 0.0]], np.float32), I,
         ops=["ArgMax", "ArgMin"]),
    case("any_all", lambda a, x: [tf.reduce_any(a, axis=1), tf.reduce_all(a, axis=0), tf.reduce_any(a),
                                  tf.reduce_all(x > -5.0, axis=1), tf.reduce_any(tf.is_nan(x), axis=0)],
         B, F, ops=["Any", "All"]),
    case("nan_inf_finite", lambda x: [tf.is_nan(x), tf.is_inf(x * 1e30), tf.is_finite(x * 1e30),
                                      tf.logical_or(tf.is_nan(x), x > 0.0)],
         F, ops=["IsNan", "IsInf", "IsFinite"]),
    case("one_hot", lambda i: [tf.one_hot(i, 4), tf.one_hot(i, 3, on_value=5, off_value=-1, axis=0)],
         np.array([0, 3, -1, 2, 7], np.int32), ops=["OneHot"]),
    case("sparse_labels_one_hot", lambda labels, logits: [
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits) * 0.0 + 1.0,
        tf.argmax(tf.gradients(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits),
                               logits)[0] * -1.0, axis=1)],
         np.array([2, 0, 3, 1], np.int32), np.abs(np.nan_to_num(F)) % 3.0, ops=["SparseLabelsOneHot"]),
    case("range", lambda n: [tf.range(5), tf.range(2, 11, 3), tf.range(0.5, 2.0, 0.25), tf.range(n) * 2],
         np.int32(4), ops=["Range"]),
    case("in_top_k", lambda p, t: [tf.nn.in_top_k(p, t, 1), tf.nn.in_top_k(p, t, 2), tf.nn.in_top_k(p, t * 0 + 9, 3)],
         F, np.array([3, 0, 1, 2], np.int32), ops=["InTopKV2"]),
    case("case_guard", lambda x: [tf.case([(x[0] > 0.0, lambda: x * 2.0), (x[3] > 0.0, lambda: x * 3.0)],
                                          default=lambda: x, exclusive=True) > 1.0,
                                  tf.case([(x[1] > 0.0, lambda: x), (x[2] < 0.0, lambda: x * 4.0)]) > 0.0],
         F[0].copy(), ops=["CaseGuard"]),
    case("stop_gradient", lambda x: [tf.stop_gradient(x) * 2.0, tf.stop_gradient(tf.floor(x))], F,
         ops=["StopGradient"]),
    case("tensor_array_new", lambda n, x: [tf.TensorArray(tf.float32, n, element_shape=[2]).stack(),
                                           tf.TensorArray(tf.int32, 3, element_shape=[2]).write(1, x).stack(),
                                           tf.TensorArray(tf.int32, n, dynamic_size=True).write(4, x).size()],
         np.int32(3), J[0, :2].copy(), ops=["TensorArrayNew"]),
    # the index helpers of the sparse ops' gradients and of sparse_retain
    case("sparse_helpers", lambda v, keep: _sparse_helpers(v, keep), G[0], B[0],
         ops=["SparseReorderGrad", "SparseReduceSumGrad", "SparseRetainPositions", "SparseAddValuesGrad"]),
    case("ragged_helpers", lambda splits, rowids: [
        tf.RaggedTensor.from_row_splits(tf.constant([1.0, 2.0, 3.0, 4.0]), splits).to_tensor(),
        tf.RaggedTensor.from_value_rowids(tf.constant([5, 6, 7]), rowids, nrows=4).row_splits],
         np.array([0, 1, 1, 4], np.int64), np.array([1, 1, 3], np.int64),
         ops=["RaggedCheckSplits", "RaggedSparseIndices", "RaggedRowSplits"]),
    # data-dependent shapes (host steps whose result sizes are known only when they run)
    case("where_indices", lambda b, x: [tf.where(b), tf.where(x > 0.0) * 2, tf.where(tf.equal(b, b) & False)],
         B, F, ops=["Where"]),
    case("unique_setdiff", lambda i: [*tf.unique(tf.reshape(i, [-1])), *tf.setdiff1d(tf.reshape(i, [-1]), [7, -1]),
                                      tf.unique(tf.reshape(i, [-1]))[1] * 2],
         np.array([[7, -1, 7, 2], [2, 3, 2, 7]], np.int32), ops=["Unique", "ListDiff"]),
    case("multinomial", lambda x: [tf.multinomial(tf.where(tf.is_nan(x), tf.zeros_like(x), x), 20, seed=4),
                                   tf.multinomial(x[:, :2] * 0.0, 3, seed=5, output_dtype=tf.int32)],
         np.nan_to_num(F, posinf=3.0, neginf=-3.0) % 4.0, ops=["SampleFromLogits"]),
    case("py_func", lambda x, i: [tf.py_func(lambda a: np.floor(a * 2.0), [x * 3.0], tf.float32) + 1.0,
                                  *tf.py_func(lambda a, b: (b.T.copy(), a.min(axis=1)), [x, i], [tf.int32, tf.float32],
                                              stateful=False)],
         F, I, ops=["PyFunc", "PyFuncStateless"]),
    case("candidate_expected_count", lambda labels: [*tf.nn.log_uniform_candidate_sampler(labels, 2, 5, True, 9, seed=3),
                                                     *tf.nn.uniform_candidate_sampler(labels, 2, 4, False, 9, seed=4)],
         np.array([[1, 8], [0, 3]], np.int64), ops=["CandidateExpectedCount"]),
    case("unigram_candidate_samplers",
         lambda labels: [*tf.nn.learned_unigram_candidate_sampler(labels, 2, 5, True, 9, seed=5),
                         *tf.nn.fixed_unigram_candidate_sampler(labels, 2, 4, False, 9, unigrams=[1., 2., 0., 3., 4.],
                                                                num_reserved_ids=4, distortion=0.75, seed=6)],
         np.array([[1, 8], [0, 3]], np.int64), ops=["LearnedUnigramCandidateSampler", "FixedUnigramCandidateSampler"]),
    # the resize ops' gradients (kernels of their own, no gradient of theirs)
    case("resize_grads", lambda x: [tf.gradients(tf.reduce_sum(fn(tf.reshape(x, [1, 4, 4, 1]), [3, 5]) *
                                                               tf.reshape(tf.range(15, dtype=tf.float32), [1, 3, 5, 1])), x)[0]
                                    for fn in (tf.image.resize_bilinear, tf.image.resize_nearest_neighbor,
                                               tf.image.resize_bicubic)],
         np.nan_to_num(G, nan=1.0, posinf=2.0), ops=["ResizeBilinearGrad", "ResizeNearestNeighborGrad",
                                                     "ResizeBicubicGrad"]),
]


def _sparse_helpers(v, keep):
    unsorted = tf.SparseTensor([[2, 2], [0, 1], [1, 2], [1, 0]], v, [3, 3])
    weights = tf.constant(np.arange(9, dtype=np.float32).reshape(3, 3) - 4.0)
    other = tf.SparseTensor([[0, 1], [2, 0]], v[:2] * 3.0, [3, 3])
    both = tf.sparse_add(tf.sparse.reorder(unsorted), other, threshold=1.0)
    return [tf.gradients(tf.reduce_sum(tf.sparse.to_dense(tf.sparse.reorder(unsorted)) * weights), v)[0],
            tf.gradients(tf.reduce_sum(tf.sparse_reduce_sum(unsorted, 1) * tf.constant([1.0, -2.0, 3.0])), v)[0],
            tf.sparse_retain(unsorted, keep).values,
            tf.gradients(tf.reduce_sum(tf.sparse.to_dense(both) * weights), v)[0]]

# ops that compute no tensor a backend could get wrong (summaries serialize on the host, NoOp;
# the string ops run on the host: test_example_parsing.py, test_text_ops.py and test_strings.py
# run them on every backend)
NOT_COMPUTE = {"HistogramSummary", "ImageSummary", "MergeSummary", "ScalarSummary", "NoOp", "ParseExample", "DecodeCSV", "ReadFile",
               "StringToNumber", "AsString", "StringJoin", "Substr", "RegexReplace", "StringSplit", "StringLength",
               "StringStrip", "StringLower", "StringUpper", "DecodeRaw",
               "ParseSequenceExample", "StringSplitV2",
               # the image codecs (tf.string in or out; tests/ops/test_image.py)
               "DecodePng", "DecodeJpeg", "DecodeImage", "EncodePng", "EncodeJpeg"}


def test_every_non_differentiable_op_has_a_parity_case():
    needed = {t for t, od in OPS.items() if not (od.differentiable and od.grad is not None)
              and od.kind not in ("source", "state", "random", "control") and t not in NOT_COMPUTE}
    covered = set().union(*(c.op_types for c in CASES))
    assert not sorted(needed - covered), f"ops without a gradient and without a parity case: {sorted(needed - covered)}"


def _run(case: Case, backend: str) -> list:
    graph = tf.Graph()
    with graph.as_default():
        phs = [tf.placeholder(tf.as_dtype(np.asarray(v).dtype), np.shape(v), name=f"x{i}")
               for i, v in enumerate(case.values)]
        fetches = case.build(*phs)
        ran = {op.type for op in graph.get_operations()}
        assert case.op_types <= ran, f"{case.name} builds no {sorted(case.op_types - ran)}"
        return tf.Session(backend=backend).run(fetches, dict(zip(phs, case.values)))


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matches_eager_exactly(case, backend):
    want = _run(case, "eager")
    got = _run(case, backend)
    for i, (w, g) in enumerate(zip(want, got)):
        w, g = np.asarray(w), np.asarray(g)
        assert g.dtype == w.dtype and g.shape == w.shape, (case.name, i, g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_array_equal(g, w, err_msg=f"{case.name}[{i}] on {backend}")
        if w.dtype.kind == "f":           # assert_array_equal takes -0.0 == 0.0: compare the signs too
            np.testing.assert_array_equal(np.signbit(g), np.signbit(w), err_msg=f"{case.name}[{i}] sign")
