"""tf.strings.split and the minimal tf.RaggedTensor against TensorFlow 2.21.0 (tf.compat.v1, graph mode).

TF holds what TensorFlow printed (JSON: strings decoded; a RaggedTensorValue as its values,
row_splits and to_list(); a SparseTensorValue as a dict; the float gradient was an
IndexedSlices: values, indices, dense shape).
"""
import numpy as np
import pytest

import graphc as tf

# recorded with TensorFlow 2.21.0 compat.v1
TF = {
 'ws_ragged': {"values": ["a", "b", "c", "d", "x<>y<><>z"], "row_splits": [0, 3, 3, 4, 5], "to_list": [["a", "b", "c"], [], ["d"], ["x<>y<><>z"]]},
 'ws_sparse': {"indices": [[0, 0], [0, 1], [0, 2], [2, 0], [3, 0]], "values": ["a", "b", "c", "d", "x<>y<><>z"], "dense_shape": [4, 3]},
 'sp_ragged': {"values": ["a", "b", "", "c", "", "", "d", "", "x<>y<><>z"], "row_splits": [0, 4, 5, 8, 9], "to_list": [["a", "b", "", "c"], [""], ["", "d", ""], ["x<>y<><>z"]]},
 'sep2_ragged': {"values": ["a b  c", "", " d ", "x", "y", "", "z"], "row_splits": [0, 1, 2, 3, 7], "to_list": [["a b  c"], [""], [" d "], ["x", "y", "", "z"]]},
 'max1_ragged': {"values": ["a", "b  c", "", "", "d ", "x<>y<><>z"], "row_splits": [0, 2, 3, 5, 6], "to_list": [["a", "b  c"], [""], ["", "d "], ["x<>y<><>z"]]},
 'max1_ws_sparse': {"indices": [[0, 0], [0, 1], [2, 0], [2, 1], [3, 0], [3, 1]], "values": ["a", "b  c", "d", "", "x<>y<><>z", ""], "dense_shape": [4, 2]},
 'scalar_ragged': {"values": ["p", "q", "r"], "row_splits": [0, 3], "to_list": [["p", "q", "r"]]},
 'scalar_sparse': {"indices": [[0, 0], [0, 1], [0, 2]], "values": ["p", "q", "r"], "dense_shape": [1, 3]},
 'to_tensor': [["a", "b", "c"], ["", "", ""], ["d", "", ""], ["x<>y<><>z", "", ""]],
 'to_tensor_default': [["a", "b", "c"], ["-", "-", "-"], ["d", "-", "-"], ["x<>y<><>z", "-", "-"]],
 'to_sparse': {"indices": [[0, 0], [0, 1], [0, 2], [2, 0], [3, 0]], "values": ["a", "b", "c", "d", "x<>y<><>z"], "dense_shape": [4, 3]},
 'row_lengths': [3, 0, 1, 1],
 'float_ragged': {"values": [1.0, 2.0, 3.0, 4.0, 5.0], "row_splits": [0, 2, 2, 5], "to_list": [[1.0, 2.0], [], [3.0, 4.0, 5.0]]},
 'float_to_tensor': [[1.0, 2.0, 0.0], [0.0, 0.0, 0.0], [3.0, 4.0, 5.0]],
 'float_grad': [[[2.0, 4.0, 6.0, 8.0, 10.0], [0, 1, 2, 3, 4], [5]]],
}

SRC = ["a b  c", "", " d ", "x<>y<><>z"]


def _plain(x):
    if isinstance(x, tf.ragged.RaggedTensorValue):
        return {"values": _plain(x.values), "row_splits": x.row_splits.tolist(), "to_list": _plain(x.to_list())}
    if isinstance(x, tf.SparseTensorValue):
        return {"indices": x.indices.tolist(), "values": _plain(x.values), "dense_shape": x.dense_shape.tolist()}
    if isinstance(x, np.ndarray):
        return _plain(x.tolist())
    if isinstance(x, list):
        return [_plain(v) for v in x]
    return x.decode() if isinstance(x, bytes) else x


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_strings_split_and_ragged_match_tensorflow(backend):
    with tf.Graph().as_default():
        r = tf.strings.split(SRC, result_type="RaggedTensor")
        f = tf.RaggedTensor.from_row_splits(tf.constant([1.0, 2.0, 3.0, 4.0, 5.0]), tf.constant([0, 2, 2, 5], tf.int64))
        ops = {
            "ws_ragged": r,
            "ws_sparse": tf.strings.split(SRC),
            "sp_ragged": tf.strings.split(SRC, sep=" ", result_type="RaggedTensor"),
            "sep2_ragged": tf.strings.split(SRC, sep="<>", result_type="RaggedTensor"),
            "max1_ragged": tf.strings.split(SRC, sep=" ", maxsplit=1, result_type="RaggedTensor"),
            "max1_ws_sparse": tf.strings.split(SRC, maxsplit=1),
            "scalar_ragged": tf.strings.split("p q r", result_type="RaggedTensor"),
            "scalar_sparse": tf.strings.split("p q r"),
            "to_tensor": r.to_tensor(),
            "to_tensor_default": r.to_tensor(default_value="-"),
            "to_sparse": r.to_sparse(),
            "row_lengths": r.row_lengths(),
            "float_ragged": f,
            "float_to_tensor": f.to_tensor(),
        }
        grad = tf.gradients(tf.reduce_sum(f.to_tensor(default_value=0.5) ** 2), f.values)[0]
        # TF 2.21: shapes (4, ?) and (3, ?), dtype string
        assert r.shape.as_list() == [4, None] and f.shape.as_list() == [3, None] and r.dtype is tf.string
        with tf.Session(backend=backend) as sess:
            got = sess.run(ops)
            g = sess.run(grad)
            assert r.eval(session=sess).to_list() == [[b"a", b"b", b"c"], [], [b"d"], [b"x<>y<><>z"]]
    for k in ops:
        assert _plain(got[k]) == TF[k], k
    values, rows, shape = TF["float_grad"][0]
    dense = np.zeros(shape)
    np.add.at(dense, rows, values)
    assert g.tolist() == dense.tolist()


def test_bad_row_splits_and_arguments():
    with tf.Graph().as_default():
        bad = tf.RaggedTensor.from_row_splits(tf.constant([1.0, 2.0]), tf.constant([0, 3], tf.int64))
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="row_splits"):
            sess.run(bad.to_tensor())
        with pytest.raises(ValueError, match="result_type"):
            tf.strings.split(["a"], result_type="list")
        with pytest.raises(ValueError, match="factory method"):
            tf.RaggedTensor(tf.constant([1]), tf.constant([0, 1], tf.int64))
        rows = tf.RaggedTensor.from_value_rowids(tf.constant([7, 8, 9]), tf.constant([0, 0, 2], tf.int64), nrows=4)
        with tf.Session() as sess:
            assert sess.run(rows).to_list() == [[7, 8], [], [9], []]
