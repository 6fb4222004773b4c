"""GraphDefs of the run-time windows and the area resize: graphc's DynamicSlice, DynamicPad and ResizeArea
are written as TensorFlow's Slice, Pad and ResizeArea, read back (a Slice/Pad with run-time begin, size
or paddings becomes the run-time op again) and, where TensorFlow is available (GRAPHC_TENSORFLOW_PYTHON),
run there with TensorFlow's own results equal to graphc's."""

import numpy as np

import graphc as tf
from tensorflow_python import run_in_tensorflow, tensorflow_python


def _model():
    x = tf.placeholder(tf.float32, [2, 5, 6, 3], name="x")
    oh = tf.placeholder(tf.int32, [], name="oh")
    tw = tf.placeholder(tf.int32, [], name="tw")
    crop = tf.image.crop_to_bounding_box(x, oh, 1, 3, tw)
    pad = tf.image.pad_to_bounding_box(x, oh, 2, 8, 9)
    outs = {"crop": tf.identity(crop, name="crop"), "pad": tf.identity(pad, name="pad"),
            "area": tf.image.resize_area(x, [3, 4], name="area"),
            "grad": tf.identity(tf.gradients(tf.reduce_sum(crop * crop) + tf.reduce_sum(tf.sin(pad)), x)[0],
                                name="grad")}
    feeds = {"x": np.random.RandomState(2).uniform(size=(2, 5, 6, 3)).astype(np.float32),
             "oh": np.array(1, np.int32), "tw": np.array(4, np.int32)}
    return outs, feeds


def test_run_time_windows_and_area_resize_are_written_as_tensorflows(tmp_path):
    with tf.Graph().as_default() as g:
        outs, feeds = _model()
        gd = g.as_graph_def()
        with tf.Session() as sess:
            want = sess.run(outs, {f"{k}:0": v for k, v in feeds.items()})
    written = {n.op for n in gd.node if "_graphc" not in n.attr}
    assert written >= {"Slice", "Pad", "ResizeArea"}
    assert not {"DynamicSlice", "DynamicPad"} & {n.op for n in gd.node}
    with tf.Graph().as_default() as back_graph:
        back = tf.import_graph_def(gd, return_elements=[t.name for t in outs.values()], name="")
        assert {"DynamicSlice", "DynamicPad", "ResizeArea"} <= {op.type for op in back_graph.get_operations()}
        with tf.Session() as sess:
            got = sess.run(back, {f"{k}:0": v for k, v in feeds.items()})
    for key, value in zip(outs, got):
        np.testing.assert_allclose(value, want[key], rtol=1e-6, err_msg=key)
    python = tensorflow_python()        # the rest needs TensorFlow (skipped without it)
    in_tf = run_in_tensorflow(python, gd, feeds, {k: t.name for k, t in outs.items()}, tmp_path)
    for key in outs:
        np.testing.assert_allclose(in_tf[key], want[key], rtol=1e-5, atol=1e-5, err_msg=key)
