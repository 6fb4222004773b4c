"""tf.SparseTensor and the sparse ops against TensorFlow 2.21.0 (tf.compat.v1, graph mode).

TF holds what TensorFlow printed for the same graphs (values through JSON: SparseTensorValues as
dicts, strings decoded). The gradient of embedding_lookup_sparse w.r.t. params was an
IndexedSlices in TF (values, row indices, dense shape); the test sums its rows into a dense array.
"""
import numpy as np
import pytest

import graphc as tf

# recorded with TensorFlow 2.21.0 compat.v1
TF = {
 'to_dense': [[-1.0, 1.5, -1.0, -1.0], [-2.0, -1.0, -1.0, -1.0], [-1.0, -1.0, 3.0, -1.0]],
 'matmul': [[0.0, 0.375], [1.0, 0.5], [1.5, 2.25]],
 'matmul_adj_b': [[-0.5499999999999999, 1.4500000000000002], [1.4, -1.2666666666666666], [-0.09999999999999998, 3.9000000000000004]],
 'matmul_adj_a': [[1.0, -1.0], [-3.75, -2.25], [4.5, 7.5], [0.0, 0.0]],
 'reduce_all': 2.5,
 'reduce_1': [1.5, -2.0, 3.0],
 'reduce_0_keep': [[-2.0, 1.5, 3.0, 0.0]],
 'add_dense': [[1.0, 2.5, 1.0, 1.0], [-1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 4.0, 1.0]],
 'add_sparse': {"indices": [[0, 1], [0, 3], [1, 0]], "values": [2.5, 0.05, -2.0], "dense_shape": [3, 4]},
 'reorder': {"indices": [[0, 0], [0, 3], [1, 0], [2, 1]], "values": [4, 2, 3, 1], "dense_shape": [3, 4]},
 'retain': {"indices": [[0, 1], [2, 2]], "values": [1.5, 3.0], "dense_shape": [3, 4]},
 'grad_values_b_bt_c': [[11.951087073668724, 6.787479746956789, 38.83220028501926], [[-1.0806046117362795, -1.7551651237807455], [1.5, 1.3957614328684715], [0.2122116050031087, -1.8845208681682175], [0.0, 0.0]], [[-5.6, -1.65, -0.5999999999999999, 0.0], [5.066666666666666, 4.3500000000000005, 23.400000000000002, 0.0]], [[-0.8573419781135156, 1.1671097953318819], [1.682941969615793, -1.682941969615793], [2.932590352995291, -2.8139999303242167]]],
 'els_sum': [[2.142857142857143, 2.428571428571429, 2.7142857142857144], [0.0, 0.0, 0.0], [0.0, 0.14285714285714285, 0.2857142857142857], [3.0, 3.428571428571429, 3.8571428571428568]],
 'els_w_sum': [[3.642857142857143, 4.0, 4.357142857142857], [0.0, 0.0, 0.0], [0.0, 0.14285714285714285, 0.2857142857142857], [2.0357142857142856, 2.357142857142857, 2.6785714285714284]],
 'els_mean': [[1.0714285714285714, 1.2142857142857144, 1.3571428571428572], [0.0, 0.0, 0.0], [0.0, 0.14285714285714285, 0.2857142857142857], [1.0, 1.1428571428571428, 1.2857142857142856]],
 'els_w_mean': [[1.457142857142857, 1.6, 1.7428571428571427], [0.0, 0.0, 0.0], [0.0, 0.14285714285714285, 0.2857142857142857], [0.9047619047619047, 1.0476190476190477, 1.1904761904761905]],
 'els_sqrtn': [[1.515228816828316, 1.7172593257387583, 1.9192898346492004], [0.0, 0.0, 0.0], [0.0, 0.14285714285714285, 0.2857142857142857], [1.7320508075688776, 1.9794866372215745, 2.226922466874271]],
 'els_w_sqrtn': [[1.7670452681218545, 1.9402850002906638, 2.113524732459473], [0.0, 0.0, 0.0], [0.0, 0.14285714285714285, 0.2857142857142857], [0.6417470450804105, 0.7430755258825806, 0.8444040066847507]],
 'els_grad': [[[[0.0, 0.2857142857142857, 0.5714285714285714], [1.0714285714285714, 1.2142857142857144, 1.3571428571428572], [1.3333333333333333, 1.5238095238095237, 1.714285714285714], [0.6666666666666666, 0.7619047619047619, 0.857142857142857], [1.0714285714285714, 1.2142857142857144, 1.3571428571428572], [-0.04729242280061928, -0.08758899087775923, -0.12526340559935067], [-0.18916969120247712, -0.3503559635110369, -0.5010536223974027], [1.0, 0.9898132604466151, 0.9594605811119173], [0.5050534337289807, 0.46428610437658524, 0.41875581293156594], [0.06313167921612257, 0.05803576304707316, 0.05234447661644575]], [0, 1, 2, 3, 4, 1, 4, 0, 2, 3], [5, 3]]],
 'string_split': {"indices": [[0, 0], [0, 1], [0, 2], [2, 0], [2, 1]], "values": ["a", "b", "c", "dd", "e"], "dense_shape": [3, 3]},
 'parse_w': {"indices": [[0, 0], [0, 1]], "values": ["x", "yy"], "dense_shape": [2, 2]},
 'parse_n': {"indices": [[0, 0], [0, 1], [0, 2], [1, 0]], "values": [3, 1, 4, 9], "dense_shape": [2, 3]},
 'parse_n_dense': [[3, 1, 4], [9, 0, 0]],
 'parse_w_dense': [["x", "yy"], ["?", "?"]],
 'fed': [[0.0, 0.0, 0.0], [0.0, 0.0, 8.0]],
 'fed_tuple': {"indices": [[0, 0]], "values": [1.0], "dense_shape": [2, 1]},
 'ds_split_batch': [{"indices": [[0, 0, 0], [0, 0, 1], [1, 0, 0]], "values": ["a", "b", "c"], "dense_shape": [2, 1, 2]}, {"indices": [[0, 0, 0], [0, 0, 1], [0, 0, 2]], "values": ["d", "e", "f"], "dense_shape": [2, 1, 3]}, {"indices": [[0, 0, 0]], "values": ["g"], "dense_shape": [1, 1, 1]}],
 'ds_sparse_slices': [{"indices": [[0, 0], [1, 2]], "values": [1, 2], "dense_shape": [2, 4]}, {"indices": [[0, 1]], "values": [3], "dense_shape": [1, 4]}],
 'ds_parse_batch': [{"indices": [[0, 0], [0, 1], [0, 2], [1, 0]], "values": [3, 1, 4, 9], "dense_shape": [2, 3]}, {"indices": [[0, 0], [0, 1], [0, 2]], "values": [3, 1, 4], "dense_shape": [1, 3]}],
}


def _plain(value):
    if isinstance(value, tf.SparseTensorValue):
        return {"indices": value.indices.tolist(), "values": _plain(value.values), "dense_shape": value.dense_shape.tolist()}
    if isinstance(value, np.ndarray) and value.dtype == object:
        return [_plain(v) for v in value.tolist()] if value.ndim else value.item().decode()
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.tolist() if hasattr(value, "tolist") else value


def _close(got, want):
    if isinstance(want, dict):
        assert got["indices"] == want["indices"] and got["dense_shape"] == want["dense_shape"]
        return _close(got["values"], want["values"])
    if isinstance(want, list):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _close(g, w)
        return
    assert got == (want if isinstance(want, str) else pytest.approx(want, rel=1e-12, abs=1e-12))


def _graph():
    sp = tf.SparseTensor([[0, 1], [1, 0], [2, 2]], np.array([1.5, -2.0, 3.0], np.float64), [3, 4])
    b = tf.constant(np.arange(8, dtype=np.float64).reshape(4, 2) / 4 - 0.5)
    bt = tf.constant(np.arange(8, dtype=np.float64).reshape(2, 4) / 3 - 0.7)
    c = tf.constant(np.arange(6, dtype=np.float64).reshape(3, 2) - 2.5)
    ops = {
        "to_dense": tf.sparse_tensor_to_dense(sp, default_value=-1.0),
        "matmul": tf.sparse_tensor_dense_matmul(sp, b),
        "matmul_adj_b": tf.sparse_tensor_dense_matmul(sp, bt, adjoint_b=True),
        "matmul_adj_a": tf.sparse_tensor_dense_matmul(sp, c, adjoint_a=True),
        "reduce_all": tf.sparse_reduce_sum(sp),
        "reduce_1": tf.sparse_reduce_sum(sp, 1),
        "reduce_0_keep": tf.sparse_reduce_sum(sp, 0, keepdims=True),
        "add_dense": tf.sparse_add(sp, tf.ones([3, 4], tf.float64)),
        "add_sparse": tf.sparse_add(sp, tf.SparseTensor([[0, 1], [0, 3], [2, 2]], np.array([1.0, 0.05, -3.0]), [3, 4]),
                                    threshold=0.1),
        "reorder": tf.sparse.reorder(tf.SparseTensor([[2, 1], [0, 3], [1, 0], [0, 0]], [1, 2, 3, 4], [3, 4])),
        "retain": tf.sparse_retain(sp, [True, False, True]),
    }
    loss = (tf.reduce_sum(tf.sin(ops["matmul"])) + tf.reduce_sum(ops["matmul_adj_b"] ** 2)
            + tf.reduce_sum(tf.cos(ops["matmul_adj_a"])) + tf.reduce_sum(ops["reduce_1"] ** 3)
            + tf.reduce_sum(ops["to_dense"] ** 2 * 0.5))
    ops["grad_values_b_bt_c"] = tf.gradients(loss, [sp.values, b, bt, c])
    params = tf.constant(np.arange(15, dtype=np.float64).reshape(5, 3) / 7)
    ids = tf.SparseTensor([[0, 0], [0, 1], [2, 0], [3, 0], [3, 1], [3, 2]], np.array([1, 4, 0, 2, 2, 3], np.int64), [5, 3])
    w = tf.SparseTensor(ids.indices, np.array([0.5, 2.0, 1.0, -1.0, 3.0, 0.25]), [5, 3])
    for comb in ("sum", "mean", "sqrtn"):
        ops[f"els_{comb}"] = tf.nn.embedding_lookup_sparse(params, ids, None, combiner=comb)
        ops[f"els_w_{comb}"] = tf.nn.embedding_lookup_sparse(params, ids, w, combiner=comb)
    ops["els_grad"] = tf.gradients(tf.reduce_sum(tf.sin(ops["els_w_sqrtn"])) + tf.reduce_sum(ops["els_mean"] ** 2),
                                   [params])
    ops["string_split"] = tf.string_split(["a b c", "", "dd  e"])
    ex = tf.train.Example(features=tf.train.Features(feature={
        "w": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"x", b"yy"])),
        "n": tf.train.Feature(int64_list=tf.train.Int64List(value=[3, 1, 4]))})).SerializeToString()
    ex2 = tf.train.Example(features=tf.train.Features(feature={
        "w": tf.train.Feature(bytes_list=tf.train.BytesList(value=[])),
        "n": tf.train.Feature(int64_list=tf.train.Int64List(value=[9]))})).SerializeToString()
    parsed = tf.parse_example([ex, ex2], {"w": tf.VarLenFeature(tf.string), "n": tf.VarLenFeature(tf.int64)})
    ops["parse_w"], ops["parse_n"] = parsed["w"], parsed["n"]
    ops["parse_n_dense"] = tf.sparse_tensor_to_dense(parsed["n"])
    ops["parse_w_dense"] = tf.sparse_tensor_to_dense(parsed["w"], default_value="?")
    return ops


GRAPH_CASES = [k for k in TF if not k.startswith(("ds_", "fed", "els_grad"))]


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_sparse_ops_match_tensorflow(backend):
    with tf.Graph().as_default():
        ops = _graph()
        with tf.Session(backend=backend) as sess:
            got = sess.run({k: ops[k] for k in GRAPH_CASES})
            grad = sess.run(ops["els_grad"])[0]
    for k in GRAPH_CASES:
        _close(_plain(got[k]), TF[k])
    # TF's IndexedSlices (values, indices, dense_shape) summed into the dense gradient
    values, rows, shape = TF["els_grad"][0]
    dense = np.zeros(shape)
    np.add.at(dense, rows, np.asarray(values))
    np.testing.assert_allclose(grad, dense, rtol=1e-12, atol=1e-12)


def test_sparse_placeholder_feeds_and_static_shape():
    with tf.Graph().as_default():
        ph = tf.sparse_placeholder(tf.float32, shape=[2, None])
        assert ph.shape.as_list() == [2, None] and ph.dense_shape.shape.as_list() == [2]   # TF: (2, ?), (2,)
        doubled = tf.sparse.to_dense(ph) * 2
        with tf.Session() as sess:
            fed = sess.run(doubled, {ph: tf.SparseTensorValue([[1, 2]], [4.0], [2, 3])})
            echoed = sess.run(ph, {ph: ([[0, 0]], [1.0], [2, 1])})
            assert ph.eval({ph: ([[0, 0]], [1.0], [2, 1])}, session=sess).dense_shape.tolist() == [2, 1]
    assert _plain(fed) == TF["fed"] and _plain(echoed) == TF["fed_tuple"]


def test_sparse_tensor_attributes():
    with tf.Graph().as_default() as g:
        sp = tf.SparseTensor([[0, 1], [1, 0]], [1.0, 2.0], [3, 4])
        assert sp.dtype is tf.float32 and sp.shape.as_list() == [3, 4] and sp.get_shape().as_list() == [3, 4]
        assert sp.graph is g and sp.op is sp.values.op and sp.indices.dtype is tf.int64
        with tf.Session() as sess:
            value = sess.run({"sp": sp, "pair": (sp.values, sp)})
        assert isinstance(value["sp"], tf.SparseTensorValue) and value["pair"][1].dense_shape.tolist() == [3, 4]
        assert tf.SparseTensor.from_value(value["sp"]).shape.as_list() == [3, 4]


@pytest.mark.parametrize("indices, message", [
    # TF 2.21's messages for the same SparseTensors (InvalidArgumentError in both)
    ([[1, 0], [0, 1]], "indices[1] = [0,1] is out of order. Many sparse ops require sorted indices."),
    ([[1, 0], [1, 0]], "indices[1] = [1,0] is repeated"),
    ([[0, 0], [2, 1]], "indices[1] = [2,1] is out of bounds: need 0 <= index < [2,2]"),
])
def test_bad_indices_are_tf1s_errors(indices, message):
    with tf.Graph().as_default():
        dense = tf.sparse_tensor_to_dense(tf.SparseTensor(indices, [1, 2], [2, 2]))
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match=message.replace("[", r"\[")):
            sess.run(dense)


def test_bad_arguments_fail_when_built():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 0]], [1.0], [2, 3])
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 2"):
            tf.sparse_tensor_dense_matmul(sp, tf.ones([2, 2]))
        with pytest.raises(TypeError, match="must be a SparseTensor"):
            tf.sparse_tensor_to_dense(tf.ones([2, 2]))
        with pytest.raises(ValueError, match="combiner"):
            tf.nn.embedding_lookup_sparse(tf.ones([3, 2]), tf.SparseTensor([[0, 0]], tf.constant([1], tf.int64), [1, 1]),
                                          None, combiner="max")
        with pytest.raises(TypeError, match="SparseTensorValue or an"):
            with tf.Session() as sess:
                sess.run(tf.sparse.to_dense(sp), {sp: np.ones(3)})


def _drain(ds):
    with tf.Graph().as_default():
        it = ds().make_initializable_iterator()
        nxt = it.get_next()
        out = []
        with tf.Session() as sess:
            sess.run(it.initializer)
            with pytest.raises(tf.errors.OutOfRangeError):
                for _ in range(100):
                    out.append(_plain(sess.run(nxt)))
    return out


def _examples():
    ex = tf.train.Example(features=tf.train.Features(feature={
        "n": tf.train.Feature(int64_list=tf.train.Int64List(value=[3, 1, 4]))})).SerializeToString()
    ex2 = tf.train.Example(features=tf.train.Features(feature={
        "n": tf.train.Feature(int64_list=tf.train.Int64List(value=[9]))})).SerializeToString()
    return [ex, ex2, ex]


D = tf.data.Dataset
SPARSE_PIPES = {
    "ds_split_batch": lambda: D.from_tensor_slices(["a b", "c", "d e f", "", "g"]).map(
        lambda s: tf.string_split([s])).batch(2),
    "ds_sparse_slices": lambda: D.from_tensor_slices(
        tf.SparseTensorValue([[0, 0], [1, 2], [2, 1]], [1, 2, 3], [3, 4])).batch(2),
    "ds_parse_batch": lambda: D.from_tensors(tf.constant(_examples())).unbatch().map(
        lambda r: tf.parse_single_example(r, {"n": tf.VarLenFeature(tf.int64)})["n"]).batch(2),
}


@pytest.mark.parametrize("name", sorted(SPARSE_PIPES))
def test_datasets_of_sparse_elements_batch_as_tensorflow(name):
    assert _drain(SPARSE_PIPES[name]) == TF[name]


def test_sparse_dataset_structure_and_unbatch():
    with tf.Graph().as_default():
        ds = D.from_tensor_slices(["a b", "c"]).map(lambda s: tf.string_split([s]))
        # TF 2.21: <dtype: 'string'>, (?, ?), SparseTensor; batched (?, ?, ?)
        assert ds.output_types is tf.string and ds.output_shapes.as_list() == [None, None]
        assert ds.output_classes is tf.SparseTensor and ds.batch(2).output_shapes.as_list() == [None, None, None]
        with pytest.raises(TypeError, match="padded sparse"):
            ds.padded_batch(2, padded_shapes=[None, None])
    rows = _drain(lambda: D.from_tensor_slices(["a b", "c", "d e f"]).map(lambda s: tf.string_split([s])).batch(2)
                  .unbatch())
    assert rows == [{"indices": [[0, 0], [0, 1]], "values": ["a", "b"], "dense_shape": [1, 2]},
                    {"indices": [[0, 0]], "values": ["c"], "dense_shape": [1, 2]},
                    {"indices": [[0, 0], [0, 1], [0, 2]], "values": ["d", "e", "f"], "dense_shape": [1, 3]}]


def test_a_list_holding_a_tensor_is_packed():
    # TF1 packs [s] (s a tensor) into a vector: the string_split([s]) idiom of text pipelines
    with tf.Graph().as_default(), tf.Session() as sess:
        s = tf.constant("a b")
        got = sess.run([tf.convert_to_tensor([tf.constant(1.0), 2.0]), tf.string_split([s])])
    assert got[0].tolist() == [1.0, 2.0] and got[1].values.tolist() == [b"a", b"b"]
