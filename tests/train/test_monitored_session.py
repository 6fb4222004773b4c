"""tf.train.MonitoredTrainingSession, MonitoredSession, SingularMonitoredSession, Scaffold and the standard
hooks against TensorFlow 2.21 (tf.compat.v1, graph mode): the loop counts, checkpoint steps, summary steps,
hook call orders and error messages below were recorded there running the same programs."""
import glob
import os

import pytest

import graphc as tf


class Recorder(tf.train.SessionRunHook):
    """Records the calls it gets."""

    def __init__(self):
        self.events = []

    def begin(self):
        self.events.append("begin")

    def after_create_session(self, session, coord):
        self.events.append("create")

    def before_run(self, run_context):
        self.events.append("before")

    def after_run(self, run_context, run_values):
        self.events.append(("after", run_values.results))

    def end(self, session):
        self.events.append("end")


def _model():
    gs = tf.train.get_or_create_global_step()
    w = tf.Variable(1.0, name="w")
    loss = tf.square(w - 3.0)
    tf.summary.scalar("loss", loss)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=gs)
    return gs, w, train


def _checkpoint_steps(directory):
    return sorted(int(p.split("-")[-1].split(".")[0]) for p in glob.glob(os.path.join(directory, "model.ckpt-*.index")))


def _summary_steps(directory, tag):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    return [int(e.step) for f in sorted(glob.glob(os.path.join(directory, "events.*")))
            for e in EventFileLoader(f).Load() for v in e.summary.value if v.tag == tag]


def test_training_session_stops_saves_and_restores_as_tf(tmp_path):
    pytest.importorskip("tensorboardX")  # the session's SummarySaverHook writes event files
    d = str(tmp_path)
    with tf.Graph().as_default() as graph:
        _, _, train = _model()
        rec = Recorder()
        runs = 0
        with tf.train.MonitoredTrainingSession(checkpoint_dir=d, hooks=[tf.train.StopAtStepHook(last_step=7), rec],
                                               save_checkpoint_steps=3, save_summaries_steps=2,
                                               log_step_count_steps=None) as sess:
            assert graph.finalized
            while not sess.should_stop():
                sess.run(train)
                runs += 1
        assert not graph.finalized  # closing undoes the session's own finalize
    # TensorFlow 2.21: 7 runs; checkpoints at the start, every 3 steps and at the end; summaries every 2 steps
    assert runs == 7
    assert rec.events == ["begin", "create"] + ["before", ("after", None)] * 7 + ["end"]
    assert _checkpoint_steps(d) == [0, 3, 6, 7]
    assert _summary_steps(d, "loss") == [1, 3, 5, 7]

    with tf.Graph().as_default():
        _, w, train = _model()
        runs, ws = 0, []
        with tf.train.MonitoredTrainingSession(checkpoint_dir=d, hooks=[tf.train.StopAtStepHook(num_steps=4)],
                                               save_checkpoint_steps=3, save_summaries_steps=None,
                                               save_summaries_secs=None, log_step_count_steps=None) as sess:
            while not sess.should_stop():
                sess.run(train)
                runs += 1
                if not sess.should_stop():
                    ws.append(float(sess.run(w)))
            with pytest.raises(RuntimeError, match="Run called even after should_stop requested."):
                sess.run(w)
    # TensorFlow 2.21: restored at step 7, 4 more runs; max_to_keep=5 counts the checkpoints already there
    assert runs == 4
    assert ws == [2.6644558906555176, 2.73156476020813, 2.7852518558502197]
    assert _checkpoint_steps(d) == [3, 6, 7, 10, 11]


def test_out_of_range_ends_the_loop_and_hooks_end_runs():
    with tf.Graph().as_default():
        gs = tf.train.get_or_create_global_step()
        x = tf.data.Dataset.range(5).make_one_shot_iterator().get_next()
        total = tf.Variable(0, dtype=tf.int64, name="total")
        step = tf.group(tf.assign_add(total, x), tf.assign_add(gs, 1))
        rec = Recorder()
        runs = 0
        with tf.train.MonitoredSession(hooks=[rec]) as sess:
            while not sess.should_stop():
                sess.run(step)
                runs += 1
    # TensorFlow 2.21: five runs, the sixth's before_run, then end()
    assert runs == 5
    assert rec.events == ["begin", "create"] + ["before", ("after", None)] * 5 + ["before", "end"]


@pytest.mark.parametrize("fail,raised,runs,step", [(True, True, 2, None), (False, False, 3, 3)])  # TF 2.21
def test_nan_tensor_hook_raises_or_stops_as_tf(fail, raised, runs, step):
    with tf.Graph().as_default():
        gs = tf.train.get_or_create_global_step()
        loss = tf.placeholder(tf.float32, [])
        inc = tf.assign_add(gs, 1)
        done = 0
        try:
            with tf.train.SingularMonitoredSession(hooks=[tf.train.NanTensorHook(loss, fail_on_nan_loss=fail)]) as sess:
                for value in [1.0, 2.0, float("nan"), 4.0]:
                    if sess.should_stop():
                        break
                    sess.run(inc, {loss: value})
                    done += 1
                assert int(sess.raw_session().run(gs)) == step
            assert not raised
        except tf.train.NanLossDuringTrainingError as e:
            assert raised and str(e) == "NaN loss during training."
        assert done == runs


def test_logging_tensor_hook_logs_every_n_iterations_and_at_end():
    with tf.Graph().as_default():
        gs = tf.train.get_or_create_global_step()
        inc = tf.assign_add(gs, 1)
        logged, done = [], [0]
        every = tf.train.LoggingTensorHook({"step": gs}, every_n_iter=3,
                                           formatter=lambda values: logged.append(done[0]) or "")
        at_end = tf.train.LoggingTensorHook([gs.name], at_end=True,
                                            formatter=lambda values: logged.append(("end", int(values[gs.name]))) or "")
        with tf.train.MonitoredSession(hooks=[every, at_end, tf.train.StopAtStepHook(last_step=8)]) as sess:
            while not sess.should_stop():
                sess.run(inc)
                done[0] += 1
    assert logged == [0, 3, 6, ("end", 8)]  # TensorFlow 2.21: iterations 0, 3, 6, then the value at the end


def test_logging_tensor_hook_default_message(caplog):
    with tf.Graph().as_default():
        gs = tf.train.get_or_create_global_step()
        inc = tf.assign_add(gs, 1)
        c = tf.constant([1.5, 2.0], name="c")
        hook = tf.train.LoggingTensorHook({"c": c, "a": tf.constant(3)}, every_n_iter=10)
        with caplog.at_level("INFO"):
            with tf.train.MonitoredSession(hooks=[hook]) as sess:
                sess.run(inc)
    assert "a = 3, c = [1.5 2. ]" in caplog.text  # TensorFlow 2.21's line: tags sorted, numpy's printing


class _Feeder(tf.train.SessionRunHook):
    def __init__(self, tensor, value):
        self.tensor, self.value = tensor, value

    def before_run(self, run_context):
        return tf.train.SessionRunArgs(None, feed_dict={self.tensor: self.value})


def test_hook_feeds_merge_with_the_callers_and_conflicts_raise_as_tf():
    with tf.Graph().as_default():
        a = tf.placeholder(tf.float32, [], name="a")
        b = tf.placeholder(tf.float32, [], name="b")
        ab = a + b
        with tf.train.MonitoredSession(hooks=[_Feeder(a, 2.0)]) as sess:
            assert sess.run(ab, feed_dict={b: 5.0}) == 7.0
            with pytest.raises(RuntimeError) as e:
                sess.run(ab, feed_dict={a: 1.0, b: 1.0})
    assert str(e.value) == ("Same tensor is fed by a SessionRunHook and user. Conflict(s): "
                            "[<tf.Tensor 'a:0' shape=() dtype=float32>]")  # TensorFlow 2.21


def test_scaffold_init_fn_and_local_init_run_when_nothing_is_restored():
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        local = tf.Variable(5.0, trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES], name="local")
        seen = []
        scaffold = tf.train.Scaffold(init_fn=lambda scaffold, sess: seen.append(scaffold))
        with tf.train.SingularMonitoredSession(scaffold=scaffold) as sess:
            assert sess.run([v, local]) == [1.0, 5.0]
        assert seen == [scaffold]


def test_hook_argument_errors_are_tf1s():
    with pytest.raises(ValueError, match="One of num_steps or last_step must be specified."):
        tf.train.StopAtStepHook()
    with pytest.raises(ValueError, match="Only one of num_steps or last_step can be specified."):
        tf.train.StopAtStepHook(num_steps=1, last_step=2)
    with pytest.raises(ValueError, match="exactly one of every_n_iter and every_n_secs"):
        tf.train.LoggingTensorHook(["x:0"])
    with tf.Graph().as_default():
        with pytest.raises(RuntimeError, match="Global step should be created to use StopAtStepHook."):
            tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(last_step=1)])


def test_run_step_fn_runs_with_hooks_and_request_stop_ends_the_loop():
    with tf.Graph().as_default():
        gs = tf.train.get_or_create_global_step()
        inc = tf.assign_add(gs, 1)
        rec = Recorder()
        results, calls = [], 0

        def step_fn(step_context):
            step_context.run_with_hooks(inc)
            step_context.session.run(inc)  # no hooks
            if step_context.session.run(gs) >= 6:
                step_context.request_stop()
            return "r"

        with tf.train.MonitoredSession(hooks=[rec]) as sess:
            while not sess.should_stop():
                results.append(sess.run_step_fn(step_fn))
                calls += 1
        with pytest.raises(ValueError, match=r"Got \('ctx',\) instead."):
            with tf.train.MonitoredSession() as sess:
                sess.run_step_fn(lambda ctx: 1)
    # TensorFlow 2.21: two calls return, the third stops the loop; the hooks saw three runs, then end()
    assert (results, calls) == (["r", "r"], 2)
    assert rec.events == ["begin", "create"] + ["before", ("after", None)] * 3 + ["end"]


def test_training_session_defaults_write_loss_and_step_rate_summaries(tmp_path):
    pytest.importorskip("tensorboardX")
    d = str(tmp_path)
    with tf.Graph().as_default():
        _, _, train = _model()
        with tf.train.MonitoredTrainingSession(checkpoint_dir=d,
                                               hooks=[tf.train.StopAtStepHook(last_step=250)]) as sess:
            while not sess.should_stop():
                sess.run(train)
    # TensorFlow 2.21 with the defaults: summaries every 100 steps from step 1, steps/sec from step 101,
    # checkpoints at the start and at the end (600 seconds never pass)
    assert _summary_steps(d, "loss") == [1, 101, 201]
    assert _summary_steps(d, "global_step/sec") == [101, 201]
    assert _checkpoint_steps(d) == [0, 250]
