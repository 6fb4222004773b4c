"""tf.device, tf.DeviceSpec, tf.ConfigProto and Session.run's options/run_metadata.

Expected device strings and error messages were recorded from TensorFlow 2.21.0
(tf.compat.v1, graph mode) for the same calls.
"""
import numpy as np
import pytest

import graphc as tf

# from TF 2.21.0: what `with tf.device(spec): c = tf.constant(1.0)` records in c.op.device
DEVICE_STRINGS = [
    ("/cpu:0", "/device:CPU:0"),
    ("/gpu:1", "/device:GPU:1"),
    ("/GPU:0", "/device:GPU:0"),
    ("/device:GPU:2", "/device:GPU:2"),
    ("/job:worker/replica:0/task:1/device:GPU:0", "/job:worker/replica:0/task:1/device:GPU:0"),
    ("/job:ps", "/job:ps"),
    ("/task:3", "/task:3"),
    ("cpu:0", "/device:CPU:0"),
    ("/gpu:*", "/device:GPU:*"),
    ("/device:CPU:*", "/device:CPU:*"),
    ("", ""),
    (None, ""),
    ("/job:a/job:b", "/job:b"),
    ("/device:TPU:0", "/device:TPU:0"),
    ("/device:XLA_CPU:0", "/device:XLA_CPU:0"),
    ("gpu", "/device:GPU:*"),
    ("/CPU", "/device:CPU:*"),
    ("/job:worker/task:1", "/job:worker/task:1"),
    ("//cpu:0", "/device:CPU:0"),
    ("/job:worker/device:gpu:0", "/job:worker/device:GPU:0"),
]


@pytest.mark.parametrize("spec,want", DEVICE_STRINGS)
def test_device_strings_are_parsed_like_tf(spec, want):
    with tf.device(spec):
        c = tf.constant(1.0)
    assert c.op.device == want
    assert c.device == want


@pytest.mark.parametrize("spec,match", [
    ("/cpu:0/gpu:0", "Multiple device types are not allowed while parsing the device spec: /cpu:0/gpu:0."),
    ("/foo:0", "Unknown attribute 'foo' is encountered while parsing the device spec: '/foo:0'."),
    ("/gpu:x", "invalid literal for int"),
    ("/replica:x", "invalid literal for int"),
])
def test_bad_device_strings_raise_value_error_at_tf_device(spec, match):
    with pytest.raises(ValueError, match=match):
        with tf.device(spec):
            pass


# from TF 2.21.0: with tf.device(outer): with tf.device(inner): c = tf.constant(1.0)
@pytest.mark.parametrize("outer,inner,want", [
    ("/job:worker/task:1", "/gpu:0", "/job:worker/task:1/device:GPU:0"),
    ("/gpu:0", "/cpu:0", "/device:CPU:0"),
    ("/gpu:0", None, ""),
    ("/gpu:0", "", "/device:GPU:0"),
    ("/job:w/gpu:0", "/job:p", "/job:p/device:GPU:0"),
    ("/gpu:1", "/task:2", "/task:2/device:GPU:1"),
])
def test_nested_devices_merge_like_tf(outer, inner, want):
    with tf.device(outer):
        with tf.device(inner):
            c = tf.constant(1.0)
    assert c.op.device == want


def test_device_functions_like_tf():
    # from TF 2.21.0 for the same nesting
    with tf.device(lambda op: "/gpu:0" if op.type == "Const" else "/cpu:0"):
        c = tf.constant(1.0)
        d = c + c
    with tf.device(lambda op: "/gpu:3"):
        with tf.device("/cpu:0"):
            e = tf.constant(2.0)
    with tf.device("/job:w"):
        with tf.device(lambda op: "/gpu:3"):
            h = tf.constant(2.0)
    with tf.device(lambda op: ""):
        k = tf.constant(2.0)
    with tf.device("/gpu:0"):
        with tf.device(lambda op: "/job:x"):
            m = tf.constant(2.0)
    with tf.device(lambda op: "/GPU:0"):
        n = tf.constant(2.0)
    assert [t.op.device for t in (c, d, e, h, k, m, n)] == [
        "/gpu:0", "/cpu:0", "/gpu:3", "/job:w/device:GPU:3", "", "/job:x/device:GPU:0", "/GPU:0"]


def test_device_spec_objects_and_variables():
    assert tf.DeviceSpec.from_string("/job:w/gpu:1").to_string() == "/job:w/device:GPU:1"
    assert tf.DeviceSpec(job="w", device_type="GPU", device_index=1).to_string() == "/job:w/device:GPU:1"
    with tf.device(tf.DeviceSpec(device_type="GPU", device_index=0)):
        c = tf.constant(1.0)
    assert c.op.device == "/device:GPU:0"
    with tf.device("/cpu:0"):       # TF 2.21.0: every op of the variable records the device
        v = tf.Variable(1.0)
    assert v.op.device == "/device:CPU:0" and v.initializer.device == "/device:CPU:0"
    with pytest.raises(TypeError, match="tf.device takes"):
        with tf.device(3):
            pass


def test_ops_outside_a_device_scope_record_nothing_and_the_stack_unwinds():
    with tf.device("/gpu:0"):
        pass
    c = tf.constant(1.0)
    assert c.op.device == ""
    with pytest.raises(RuntimeError):
        with tf.device("/gpu:0"):
            raise RuntimeError("boom")
    assert tf.constant(2.0).op.device == ""


def test_gpu_requests_run_where_graphc_can_as_with_soft_placement():
    with tf.device("/gpu:7"):
        a = tf.constant(3.0)
        b = a * 2.0
    for backend in ("eager", "numba"):
        with tf.Session(backend=backend) as sess:
            assert sess.run(b) == 6.0


def test_log_device_placement_prints_tf_lines(capfd):
    with tf.device("/gpu:0"):
        a = tf.constant(1.0, name="a")
        b = tf.multiply(a, 2.0, name="mul")
    cfg = tf.ConfigProto(log_device_placement=True, allow_soft_placement=True)
    with tf.Session(config=cfg, backend="numba") as sess:
        assert sess.run(b) == 2.0
        sess.run(b)
    err = capfd.readouterr().err
    # TF 2.21.0 on a machine without GPUs printed these lines
    assert "Device mapping: no known devices." in err
    assert "mul: (Mul): /job:localhost/replica:0/task:0/device:CPU:0" in err
    assert "a: (Const): /job:localhost/replica:0/task:0/device:CPU:0" in err
    assert err.count("mul: (Mul)") == 1          # once per compiled run, not per run
    with tf.Session(backend="numba") as sess:
        sess.run(b)
    assert "mul: (Mul)" not in capfd.readouterr().err


def test_config_proto_fields_like_tf():
    cfg = tf.ConfigProto(gpu_options=tf.GPUOptions(allow_growth=True), allow_soft_placement=True)
    assert cfg.gpu_options.allow_growth and cfg.allow_soft_placement
    c = tf.ConfigProto()
    c.gpu_options.allow_growth = True
    c.intra_op_parallelism_threads = 2
    # TF 2.21.0: (True, 0, False, 0.0, '')
    assert (c.gpu_options.allow_growth, c.inter_op_parallelism_threads, c.log_device_placement,
            c.gpu_options.per_process_gpu_memory_fraction, c.gpu_options.visible_device_list) == (True, 0, False, 0.0, "")
    c.gpu_options.per_process_gpu_memory_fraction = 0.4
    c.gpu_options.visible_device_list = "0"
    c.graph_options.optimizer_options.global_jit_level = tf.OptimizerOptions.ON_1
    assert c.graph_options.optimizer_options.global_jit_level == 1
    with pytest.raises(ValueError, match='Protocol message ConfigProto has no "foo" field.'):
        tf.ConfigProto(foo=1)
    with pytest.raises(ValueError, match='Protocol message GPUOptions has no "foo" field.'):
        tf.GPUOptions(foo=1)
    with pytest.raises(TypeError):
        tf.ConfigProto(intra_op_parallelism_threads="x")
    with pytest.raises(TypeError, match="config must be a tf.ConfigProto"):
        tf.Session(config={"allow_soft_placement": True})


def test_run_options_and_metadata():
    # TF 2.21.0: NO_TRACE..FULL_TRACE are 0..3
    assert (tf.RunOptions.NO_TRACE, tf.RunOptions.SOFTWARE_TRACE, tf.RunOptions.HARDWARE_TRACE,
            tf.RunOptions.FULL_TRACE) == (0, 1, 2, 3)
    x = tf.placeholder(tf.float32, [2])
    y = x * 3.0
    with tf.Session() as sess:
        md = tf.RunMetadata()
        out = sess.run(y, {x: [1.0, 2.0]}, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                       run_metadata=md)
        np.testing.assert_array_equal(out, [3.0, 6.0])
        (dev,) = md.step_stats.dev_stats
        assert dev.device == "/job:localhost/replica:0/task:0/device:CPU:0"
        assert dev.node_stats[0].all_end_rel_micros >= 0
        quiet = tf.RunMetadata()
        sess.run(y, {x: [1.0, 2.0]}, options=tf.RunOptions(timeout_in_ms=100), run_metadata=quiet)
        assert quiet.step_stats.dev_stats == []
        with pytest.raises(TypeError, match="options must be a tf.RunOptions"):
            sess.run(y, {x: [1.0, 2.0]}, options=5)
        with pytest.raises(TypeError, match="run_metadata must be a tf.RunMetadata"):
            sess.run(y, {x: [1.0, 2.0]}, run_metadata=5)


def test_make_callable_takes_options_and_run_metadata():
    x = tf.placeholder(tf.float32, [2])
    y = x + 1.0
    with tf.Session() as sess:
        call = sess.make_callable(y, [x], accept_options=True)
        md = tf.RunMetadata()
        out = call([1.0, 2.0], options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE), run_metadata=md)
        np.testing.assert_array_equal(out, [2.0, 3.0])
        assert len(md.step_stats.dev_stats) == 1
        np.testing.assert_array_equal(call([0.0, 0.0]), [1.0, 1.0])
        with pytest.raises(TypeError):
            call([0.0, 0.0], timeout=3)
        with pytest.raises(TypeError, match="options must be a tf.RunOptions"):
            call([0.0, 0.0], options="fast")


def test_intra_op_threads_set_numba_threads_during_runs():
    numba = pytest.importorskip("numba")
    x = tf.placeholder(tf.float32, [4])
    y = x * 2.0
    seen = []
    cfg = tf.ConfigProto(intra_op_parallelism_threads=1)
    with tf.Session(config=cfg, backend="numba") as sess:
        exe = sess.compile(y, {x: np.ones(4, np.float32)})
        run = exe.run

        def recording_run(*args, **kwargs):
            seen.append(numba.get_num_threads())
            return run(*args, **kwargs)
        exe.run = recording_run
        before = numba.get_num_threads()
        np.testing.assert_array_equal(sess.run(y, {x: np.ones(4, np.float32)}), [2.0] * 4)
        assert numba.get_num_threads() == before      # restored after the run
    assert seen == [1]


def test_device_count_gpu_zero_keeps_auto_on_the_cpu(monkeypatch):
    monkeypatch.delenv("GRAPHC_BACKEND", raising=False)
    sess = tf.Session(config=tf.ConfigProto(device_count={"GPU": 0}))
    assert sess.backend == "numba"
    sess.close()
