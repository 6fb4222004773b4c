"""A recurrent net, written with tf.matmul and tf.tanh, that learns to sum a sequence of numbers.

    python examples/rnn_sequence.py            # 3000 steps: test MSE below 0.01 (0.0017)
    python examples/rnn_sequence.py --quick    # 500 steps: test MSE below 0.05 (0.0299)

Task: a sequence x_1..x_T of T=10 numbers drawn uniformly from [-1, 1]; the target is their sum
(variance T/3 = 3.33, so always predicting 0 scores an MSE of about 3.3).

Model: a tanh cell h_t = tanh(x_t W_x + h_{t-1} W_h + b), unrolled over the T steps with a Python
loop that reuses the same three variables at every step, and a linear read-out of h_T. The loss
is the mean squared error, minimized with Adam (learning rate decayed 0.3x every third of
training). The last line is ``test mse: 0.XXXX``.
"""
import argparse

import numpy as np

import graphc as tf


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000,
                        help="training steps (minibatches) (default: %(default)s)")
    parser.add_argument("--seq_len", type=int, default=10,
                        help="numbers per sequence (unrolled steps) (default: %(default)s)")
    parser.add_argument("--hidden", type=int, default=16,
                        help="units in the recurrent state (default: %(default)s)")
    parser.add_argument("--batch_size", type=int, default=64,
                        help="sequences per Adam step (default: %(default)s)")
    parser.add_argument("--learning_rate", type=float, default=1e-2,
                        help="Adam's initial learning rate (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="500 steps, for a fast run")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the data split, shuffling and initial weights (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps = min(args.steps, 500)
    return args


def make_batch(rng, batch_size, seq_len):
    """Sequences [batch, seq_len, 1] uniform in [-1, 1] and their sums [batch, 1]."""
    x = rng.uniform(-1.0, 1.0, size=(batch_size, seq_len, 1)).astype(np.float32)
    return x, x.sum(axis=1)


def rnn_cell(x_t, h_prev, hidden):
    """One tanh step; its variables are created on the first call and reused afterwards."""
    with tf.variable_scope("rnn_cell", reuse=tf.AUTO_REUSE):
        w_x = tf.get_variable("w_x", [x_t.shape[1], hidden])
        w_h = tf.get_variable("w_h", [hidden, hidden])
        b = tf.get_variable("b", [hidden], initializer=tf.zeros_initializer())
    return tf.tanh(tf.matmul(x_t, w_x) + tf.matmul(h_prev, w_h) + b)


def sequence_sum_model(inputs, seq_len, hidden):
    """The predicted sum [batch, 1] of inputs [batch, seq_len, 1]."""
    h = tf.zeros(tf.stack([tf.shape(inputs)[0], hidden]))
    for t in range(seq_len):
        h = rnn_cell(inputs[:, t, :], h, hidden)
    return tf.layers.dense(h, 1, name="readout")


def main(argv=None):
    args = parse_args(argv)
    np.random.seed(args.seed)
    tf.set_random_seed(args.seed)

    inputs = tf.placeholder(tf.float32, [None, args.seq_len, 1], name="inputs")
    targets = tf.placeholder(tf.float32, [None, 1], name="targets")
    predictions = sequence_sum_model(inputs, args.seq_len, args.hidden)
    loss = tf.reduce_mean(tf.square(predictions - targets))
    global_step = tf.train.get_or_create_global_step()
    learning_rate = tf.train.exponential_decay(args.learning_rate, global_step, args.steps // 3, 0.3)
    train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss, global_step=global_step)
    cell_variables = tf.trainable_variables("rnn_cell")
    print("recurrent variables shared by all %d steps: %s"
          % (args.seq_len, ", ".join(v.name for v in cell_variables)))

    rng = np.random.RandomState(args.seed)
    x_test, y_test = make_batch(np.random.RandomState(args.seed + 1), 1000, args.seq_len)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(1, args.steps + 1):
            x, y = make_batch(rng, args.batch_size, args.seq_len)
            _, train_loss = sess.run([train_op, loss], {inputs: x, targets: y})
            if step % 100 == 0 or step == args.steps:
                test_loss = sess.run(loss, {inputs: x_test, targets: y_test})
                print("step %5d  train mse %.4f  test mse %.4f" % (step, train_loss, test_loss))
        sample = sess.run(predictions, {inputs: x_test[:3]})
    for seq, target, pred in zip(x_test[:3], y_test[:3], sample):
        print("sum of [%s] = %+.3f, predicted %+.3f" % (", ".join("%+.2f" % v for v in seq[:, 0]), target[0], pred[0]))
    print("baseline (always 0) mse: %.4f" % np.mean(y_test ** 2))
    print("test mse: %.4f" % test_loss)
    return test_loss


if __name__ == "__main__":
    main()
