"""Learning-rate schedules and tf.train.ExponentialMovingAverage against TensorFlow 2.21 (tf.compat.v1,
graph mode): the numbers below were recorded there for the same arguments."""
import numpy as np
import pytest

import graphc as tf

STEPS = [0, 1, 3, 5, 9, 10, 11, 20, 37]

# schedule -> its value at each of STEPS, recorded from TensorFlow 2.21
SCHEDULES = {
    "poly": (lambda g: tf.train.polynomial_decay(0.1, g, 10, 0.01, power=2.0),
             [0.10000000149011612, 0.08289999514818192, 0.054099999368190765, 0.032499998807907104,
              0.010899999178946018, 0.009999999776482582, 0.009999999776482582, 0.009999999776482582,
              0.009999999776482582]),
    "poly_cycle": (lambda g: tf.train.polynomial_decay(0.1, g, 10, 0.01, power=0.5, cycle=True),
                   [0.10000000149011612, 0.09538149833679199, 0.08529940247535706, 0.07363960891962051,
                    0.03846050053834915, 0.009999999776482582, 0.07037383317947388, 0.009999999776482582,
                    0.034647513180971146]),
    "poly_linear_default_end": (lambda g: tf.train.polynomial_decay(0.1, g, 10),
                                [0.10000000149011612, 0.09001000225543976, 0.07003000378608704,
                                 0.050050001591444016, 0.0100899962708354, 9.999999747378752e-05,
                                 9.999999747378752e-05, 9.999999747378752e-05, 9.999999747378752e-05]),
    "natural_exp": (lambda g: tf.train.natural_exp_decay(0.1, g, 5, 0.3),
                    [0.10000000149011612, 0.09417645633220673, 0.08352702111005783, 0.07408182322978973,
                     0.05827482417225838, 0.05488116294145584, 0.05168513208627701, 0.03011941909790039,
                     0.010860908776521683]),
    "natural_exp_staircase": (lambda g: tf.train.natural_exp_decay(0.1, g, 5, 0.3, staircase=True),
                              [0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.07408182322978973,
                               0.07408182322978973, 0.05488116294145584, 0.05488116294145584,
                               0.03011941909790039, 0.012245641089975834]),
    "cosine": (lambda g: tf.train.cosine_decay(0.1, g, 20),
               [0.10000000149011612, 0.09938441962003708, 0.09455032646656036, 0.08535534143447876,
                0.05782172083854675, 0.04999999701976776, 0.042178280651569366, 0.0, 0.0]),
    "cosine_alpha": (lambda g: tf.train.cosine_decay(0.1, g, 20, alpha=0.2),
                     [0.10000000149011612, 0.09950753301382065, 0.09564026445150375, 0.08828427642583847,
                      0.06625737994909286, 0.05999999865889549, 0.05374262481927872, 0.020000001415610313,
                      0.020000001415610313]),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_matches_tf(name):
    build, want = SCHEDULES[name]
    with tf.Graph().as_default():
        step = tf.placeholder(tf.int64, [])
        lr = build(step)
        with tf.Session(backend="eager") as sess:
            got = [sess.run(lr, {step: s}) for s in STEPS]
    # TensorFlow's Grappler turns step / decay_steps (a constant) into step * (1 / decay_steps): linear
    # decay at step 9 is 0.010089996 there, 0.010090002 divided exactly; exp/cos differ in the last bit
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)


def test_schedules_need_a_global_step():
    for fn in (lambda: tf.train.polynomial_decay(0.1, None, 10), lambda: tf.train.cosine_decay(0.1, None, 10),
               lambda: tf.train.natural_exp_decay(0.1, None, 10, 0.5)):
        with pytest.raises(ValueError, match="global_step"):
            fn()


BACKENDS = ["eager", "numba"]


def _tolerance(backend):
    # eager is TF's arithmetic op for op; a compiled kernel may contract (a - b) * c into one rounding
    return {"rtol": 0, "atol": 0} if backend == "eager" else {"rtol": 2e-7, "atol": 0}


@pytest.mark.parametrize("backend", BACKENDS)
def test_ema_of_variables_with_and_without_num_updates_matches_tf(backend):
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        w = tf.Variable(3.0, name="w")
        ema = tf.train.ExponentialMovingAverage(0.9)
        apply_op = ema.apply([v, w])
        # decay min(0.99, (1 + 2) / (10 + 2)) = 0.25
        ema2 = tf.train.ExponentialMovingAverage(0.99, num_updates=tf.constant(2, tf.int64), name="EMA2")
        apply2 = ema2.apply([v])
        assert [ema.average(v).name, ema.average(w).name, ema.average_name(v), ema2.average(v).name] == [
            "v/ExponentialMovingAverage:0", "w/ExponentialMovingAverage:0", "v/ExponentialMovingAverage",
            "v/EMA2:0"]
        assert apply_op.name == "ExponentialMovingAverage" and apply2.name == "EMA2"
        assert [x.name for x in tf.global_variables()] == [
            "v:0", "w:0", "v/ExponentialMovingAverage:0", "w/ExponentialMovingAverage:0", "v/EMA2:0"]
        assert [x.name for x in tf.trainable_variables()] == ["v:0", "w:0"]
        assert [x.name for x in tf.get_collection(tf.GraphKeys.MOVING_AVERAGE_VARIABLES)] == ["v:0", "w:0", "v:0"]
        restore = ema.variables_to_restore()
        assert {k: x.name for k, x in restore.items()} == {
            "v/ExponentialMovingAverage": "v:0", "w/ExponentialMovingAverage": "w:0", "v/EMA2": "v/EMA2:0"}
        with tf.Session(backend=backend) as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(ema.average(v)), [1.0, 2.0])  # starts at the initial value
            sess.run([v.assign([5.0, -1.0]), w.assign(7.0)])
            got = []
            for _ in range(3):
                sess.run([apply_op, apply2])
                got.append(sess.run([ema.average(v), ema.average(w), ema2.average(v)]))
    want = [[[1.4000000953674316, 1.6999999284744263], 3.4000000953674316, [4.0, -0.25]],
            [[1.760000228881836, 1.429999828338623], 3.760000228881836, [4.75, -0.8125]],
            [[2.0840003490448, 1.186999797821045], 4.084000110626221, [4.9375, -0.953125]]]  # TensorFlow 2.21
    for got_step, want_step in zip(got, want):
        for g, x in zip(got_step, want_step):
            np.testing.assert_allclose(g, x, **_tolerance(backend))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("zero_debias,want,extra", [
    (False, [[0.3999999761581421, 0.7999999523162842], [1.5199998617172241, 0.24000000953674316],
             [1.4159998893737793, 0.3920000195503235]], []),
    (True, [[2.0, 4.0], [4.222222328186035, 0.6666668057441711], [2.901639223098755, 0.8032787442207336]],
     ["mul/ExponentialMovingAverage/biased:0", "mul/ExponentialMovingAverage/local_step:0"]),
])  # TensorFlow 2.21
def test_ema_of_a_tensor_starts_at_zero_and_zero_debias_matches_tf(zero_debias, want, extra, backend):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        y = x * 2.0
        ema = tf.train.ExponentialMovingAverage(0.8, zero_debias=zero_debias)
        apply_op = ema.apply([y])
        assert [v.name for v in tf.global_variables()] == ["mul/ExponentialMovingAverage:0"] + extra
        with tf.Session(backend=backend) as sess:
            sess.run(tf.global_variables_initializer())
            got = []
            for feed in ([1.0, 2.0], [3.0, -1.0], [0.5, 0.5]):
                sess.run(apply_op, {x: feed})
                got.append(sess.run(ema.average(y)))
    np.testing.assert_allclose(got, want, rtol=3e-7 if backend != "eager" or zero_debias else 0, atol=0)


def test_ema_refuses_integers_and_a_second_apply():
    with tf.Graph().as_default():
        i = tf.Variable(1, name="i")
        f = tf.Variable(1.0, name="f")
        ema = tf.train.ExponentialMovingAverage(0.9)
        with pytest.raises(TypeError, match="half, float, or double"):
            ema.apply([i])
        ema.apply([f])
        with pytest.raises(ValueError, match="already computed"):
            ema.apply([f])


def test_ema_averages_restore_into_the_variables(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        ema = tf.train.ExponentialMovingAverage(0.5)
        apply_op = ema.apply([v])
        with tf.Session(backend="eager") as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(v.assign(9.0))
            sess.run(apply_op)  # shadow 1 - (1 - 9) * 0.5 = 5
            path = tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
    with tf.Graph().as_default():
        v = tf.Variable(0.0, name="v")
        saver = tf.train.Saver(tf.train.ExponentialMovingAverage(0.5).variables_to_restore())
        with tf.Session(backend="eager") as sess:
            saver.restore(sess, path)
            assert sess.run(v) == 5.0
