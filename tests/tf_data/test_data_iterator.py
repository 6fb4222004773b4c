"""tf.data iterators in a Session: initialization, switching, handles, exhaustion, one element per
run, and no element lost or repeated when a run fails. Behaviour recorded from TensorFlow 2.21.0
(tf.compat.v1, graph mode) where a literal is TF's."""
import numpy as np
import pytest

import graphc as tf
from graphc.runtime.session import available_backends

D = tf.data.Dataset


def test_one_shot_iterator_and_end_of_sequence():
    nxt = D.range(2).make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert [sess.run(nxt), sess.run(nxt)] == [0, 1]
        with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
            sess.run(nxt)
        with pytest.raises(tf.errors.OutOfRangeError):   # stays at the end
            sess.run(nxt)


def test_uninitialized_iterator_is_a_failed_precondition():
    it = D.range(1).make_initializable_iterator()
    with tf.Session() as sess, pytest.raises(tf.errors.FailedPreconditionError,
                                             match="GetNext\\(\\) failed because the iterator has not been "
                                                   "initialized"):
        sess.run(it.get_next())


def test_each_run_advances_once_whatever_it_fetches():
    x = D.range(10).make_one_shot_iterator().get_next()
    y = x * 10
    with tf.Session() as sess:
        assert sess.run([x, y, x + 1]) == [0, 0, 1]      # one element for the whole run
        assert sess.run(y) == 10
        assert sess.run({"a": x, "b": [y]}) == {"a": 2, "b": [20]}
        assert y.eval(session=sess) == 30
        assert sess.make_callable(x)() == 4
        assert sess.run(tf.constant(7)) == 7             # runs without get_next don't advance
        assert sess.run(x) == 5


def test_a_failed_run_gives_its_element_back():
    sizes = [3, 2, 3, 3]
    gen = D.from_generator(lambda: (np.arange(n, dtype=np.float32) for n in sizes), tf.float32, [None])
    v = gen.make_one_shot_iterator().get_next()
    as_three = tf.reshape(v, [3])
    with tf.Session() as sess:
        assert sess.run(as_three).tolist() == [0, 1, 2]
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(as_three)                            # element 2 has 2 values: the run fails
        assert sess.run(v).tolist() == [0, 1]             # ... and the element was not lost
        assert sess.run(as_three).tolist() == [0, 1, 2]   # nor repeated
        assert sess.run(v).tolist() == [0, 1, 2]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(v)


def test_a_run_that_fails_before_executing_keeps_the_element():
    v = D.range(3).make_one_shot_iterator().get_next()
    p = tf.placeholder(tf.int64, [])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="must feed"):
            sess.run(v + p)
        with pytest.raises(ValueError):
            sess.run(v + p, {p: [1, 2]})                   # a wrong feed shape
        assert sess.run(v) == 0


def test_initializer_refeeds_placeholders():
    x = tf.placeholder(tf.int32, [None])
    it = D.from_tensor_slices(x).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {x: [1, 2, 3]})
        assert sess.run(nxt) == 1
        sess.run(it.initializer, {x: [7, 8]})
        assert [sess.run(nxt), sess.run(nxt)] == [7, 8]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)
        sess.run(it.initializer, {x: [4]})               # usable again after the end
        assert sess.run(nxt) == 4


def test_iterator_state_belongs_to_the_session():
    it = D.range(5).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as a, tf.Session() as b:
        a.run(it.initializer)
        b.run(it.initializer)
        assert [a.run(nxt), a.run(nxt), b.run(nxt)] == [0, 1, 0]


def test_from_structure_switches_between_datasets():
    train = D.from_tensor_slices((np.arange(6, dtype=np.float32), np.arange(6))).batch(4)
    valid = D.from_tensor_slices((np.full(3, -1.0, np.float32), np.zeros(3, np.int64))).batch(4)
    it = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
    features, labels = it.get_next()
    init_train, init_valid = it.make_initializer(train), it.make_initializer(valid)
    assert features.shape.as_list() == [None] and labels.dtype is tf.int64
    with tf.Session() as sess:
        sess.run(init_train)
        assert sess.run(features).tolist() == [0, 1, 2, 3]
        sess.run(init_valid)
        assert sess.run(features).tolist() == [-1, -1, -1]
        sess.run(init_train)
        assert sess.run(labels).tolist() == [0, 1, 2, 3]
    with pytest.raises(TypeError, match="Expected output types"):
        it.make_initializer(D.range(3))
    with pytest.raises(ValueError, match="does not have an initializer"):
        it.initializer   # noqa: B018


def test_from_string_handle_picks_the_iterator_per_run():
    train = D.range(100).make_one_shot_iterator()
    valid = D.range(1000, 1003).make_initializable_iterator()
    handle = tf.placeholder(tf.string, [])
    it = tf.data.Iterator.from_string_handle(handle, train.output_types, train.output_shapes)
    nxt = it.get_next()
    with tf.Session() as sess:
        th, vh = sess.run([train.string_handle(), valid.string_handle()])
        assert isinstance(th, bytes) and th != vh
        sess.run(valid.initializer)
        assert sess.run(nxt, {handle: th}) == 0
        assert sess.run(nxt, {handle: vh}) == 1000
        assert sess.run(nxt, {handle: th}) == 1
        assert sess.run(nxt, {handle: vh}) == 1001
        with pytest.raises(tf.errors.InvalidArgumentError, match="not the string_handle"):
            sess.run(nxt, {handle: b"nonsense"})
        assert sess.run(nxt, {handle: th}) == 2


def test_training_from_get_next_matches_feed_dict():
    rng = np.random.RandomState(0)
    xs = rng.randn(12, 3).astype(np.float32)
    ys = xs @ np.array([1.0, -2.0, 0.5], np.float32)

    def train(use_data):
        tf.reset_default_graph()
        if use_data:
            x, y = D.from_tensor_slices((xs, ys)).batch(4).repeat(2).make_one_shot_iterator().get_next()
        else:
            x, y = tf.placeholder(tf.float32, [None, 3]), tf.placeholder(tf.float32, [None])
        w = tf.Variable(tf.zeros([3]))
        loss = tf.reduce_mean(tf.square(tf.reduce_sum(x * w, axis=1) - y))
        step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        losses = []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for i in range(6):
                feed = None if use_data else {x: xs[i % 3 * 4:i % 3 * 4 + 4], y: ys[i % 3 * 4:i % 3 * 4 + 4]}
                losses.append(sess.run([loss, step], feed)[0])
            if use_data:
                with pytest.raises(tf.errors.OutOfRangeError):
                    sess.run(step)
            return losses, sess.run(w)

    assert train(True)[0] == train(False)[0]
    np.testing.assert_array_equal(train(True)[1], train(False)[1])


@pytest.mark.parametrize("backend", [b for b in available_backends() if b != "auto"])
def test_get_next_on_every_backend(backend):
    x = tf.placeholder(tf.float32, [None, 2])
    it = D.from_tensor_slices(x).map(lambda r: r * 2.0).batch(2).make_initializable_iterator()
    total = tf.reduce_sum(it.get_next(), axis=0)
    with tf.Session(backend=backend) as sess:
        sess.run(it.initializer, {x: np.arange(6, dtype=np.float32).reshape(3, 2)})
        assert sess.run(total).tolist() == [4.0, 8.0]
        assert sess.run(total).tolist() == [8.0, 10.0]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(total)


def test_closing_the_session_stops_its_pipeline_threads():
    import threading
    import time

    def pipeline_threads():
        return [t for t in threading.enumerate() if t.name.startswith(("graphc-prefetch", "graphc-map"))]

    nxt = D.range(1000).map(lambda x: x * 2, num_parallel_calls=2).prefetch(4).make_one_shot_iterator().get_next()
    sess = tf.Session()
    assert sess.run(nxt) == 0
    assert pipeline_threads()
    sess.close()                       # the session object stays referenced: no garbage collection
    deadline = time.time() + 5
    while pipeline_threads() and time.time() < deadline:
        time.sleep(0.02)
    assert not pipeline_threads()


def test_runs_from_several_threads_share_the_elements_exactly_once():
    import threading

    nxt = D.range(400).make_one_shot_iterator().get_next()
    got: list = []
    with tf.Session() as sess:
        def pull():
            try:
                while True:
                    got.append(int(sess.run(nxt)))
            except tf.errors.OutOfRangeError:
                pass
        threads = [threading.Thread(target=pull) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert sorted(got) == list(range(400))
