"""A recurrent net that learns to sum sequences of different lengths: tf.nn.dynamic_rnn with an LSTM.

    python examples/rnn_sequence.py                     # dynamic_rnn LSTM, 3000 steps: test mse 0.0003
    python examples/rnn_sequence.py --quick             # 500 steps: test mse 0.0029 (baseline 1.7784)
    python examples/rnn_sequence.py --quick --unrolled  # a tanh cell unrolled by hand: test mse 0.0138

Task: each sequence has its own length, 1 to --max_len=10 numbers drawn uniformly from [-1, 1],
padded to --max_len with noise the model must ignore; the target is the sum of the valid numbers
(always predicting 0 scores an MSE of about 1.8, the variance of that sum).

Model (default): a tf.nn.rnn_cell.BasicLSTMCell run by tf.nn.dynamic_rnn with
``sequence_length``, so each sequence's final state is the state after its last valid step (steps
past a length carry the state through unchanged), and a linear read-out of that state's ``h``.
The comparison (--unrolled) writes the tanh cell h_t = tanh(x_t W_x + h_{t-1} W_h + b) by
hand, unrolled over --max_len steps with a Python loop that reuses the same variables at every
step, and masks the steps past each length with tf.where. Loss: mean squared error, minimized
with Adam (learning rate decayed 0.3x every third of training). The last line is ``test mse: 0.XXXX``.
"""
import argparse

import numpy as np

import graphc as tf


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unrolled", action="store_true",
                        help="a tanh cell unrolled by hand over the steps instead of tf.nn.dynamic_rnn's LSTM")
    parser.add_argument("--steps", type=int, default=3000,
                        help="training steps (minibatches) (default: %(default)s)")
    parser.add_argument("--max_len", type=int, default=10,
                        help="longest sequence; every batch is padded to it (default: %(default)s)")
    parser.add_argument("--hidden", type=int, default=16,
                        help="units in the recurrent state (default: %(default)s)")
    parser.add_argument("--batch_size", type=int, default=64,
                        help="sequences per Adam step (default: %(default)s)")
    parser.add_argument("--learning_rate", type=float, default=1e-2,
                        help="Adam's initial learning rate (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="500 steps, for a fast run")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the data, shuffling and initial weights (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps = min(args.steps, 500)
    return args


def make_batch(rng, batch_size, max_len):
    """Sequences [batch, max_len, 1] (noise past each length), their lengths [batch] and sums [batch, 1]."""
    lengths = rng.randint(1, max_len + 1, size=batch_size).astype(np.int32)
    x = rng.uniform(-1.0, 1.0, size=(batch_size, max_len, 1)).astype(np.float32)
    valid = np.arange(max_len)[None, :, None] < lengths[:, None, None]
    return x, lengths, (x * valid).sum(axis=1)


def dynamic_rnn_model(inputs, lengths, hidden):
    """The final LSTM output of each sequence, after its last valid step: [batch, hidden]."""
    cell = tf.nn.rnn_cell.BasicLSTMCell(hidden)
    _, final_state = tf.nn.dynamic_rnn(cell, inputs, sequence_length=lengths, dtype=tf.float32)
    return final_state.h


def tanh_cell(x_t, h_prev, hidden):
    """One hand-written tanh step; its variables are created on the first call and reused afterwards."""
    with tf.variable_scope("rnn_cell", reuse=tf.AUTO_REUSE):
        w_x = tf.get_variable("w_x", [x_t.shape[1], hidden])
        w_h = tf.get_variable("w_h", [hidden, hidden])
        b = tf.get_variable("b", [hidden], initializer=tf.zeros_initializer())
    return tf.tanh(tf.matmul(x_t, w_x) + tf.matmul(h_prev, w_h) + b)


def unrolled_model(inputs, lengths, hidden):
    """The same recurrence unrolled by hand: a row's state stops changing after its last valid step."""
    max_len = inputs.shape[1].value
    h = tf.zeros(tf.stack([tf.shape(inputs)[0], hidden]))
    for t in range(max_len):
        h = tf.where(t < lengths, tanh_cell(inputs[:, t, :], h, hidden), h)
    return h


def main(argv=None):
    args = parse_args(argv)
    np.random.seed(args.seed)
    tf.set_random_seed(args.seed)

    inputs = tf.placeholder(tf.float32, [None, args.max_len, 1], name="inputs")
    lengths = tf.placeholder(tf.int32, [None], name="lengths")
    targets = tf.placeholder(tf.float32, [None, 1], name="targets")
    model = unrolled_model if args.unrolled else dynamic_rnn_model
    features = model(inputs, lengths, args.hidden)
    recurrent = tf.trainable_variables()
    predictions = tf.layers.dense(features, 1, name="readout")
    loss = tf.reduce_mean(tf.square(predictions - targets))
    global_step = tf.train.get_or_create_global_step()
    learning_rate = tf.train.exponential_decay(args.learning_rate, global_step, args.steps // 3, 0.3)
    train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss, global_step=global_step)
    print("recurrent variables shared by all %d steps: %s"
          % (args.max_len, ", ".join(v.name for v in recurrent)))

    rng = np.random.RandomState(args.seed)
    x_test, len_test, y_test = make_batch(np.random.RandomState(args.seed + 1), 1000, args.max_len)
    test_feed = {inputs: x_test, lengths: len_test, targets: y_test}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(1, args.steps + 1):
            x, n, y = make_batch(rng, args.batch_size, args.max_len)
            _, train_loss = sess.run([train_op, loss], {inputs: x, lengths: n, targets: y})
            if step % 100 == 0 or step == args.steps:
                test_loss = sess.run(loss, test_feed)
                print("step %5d  train mse %.4f  test mse %.4f" % (step, train_loss, test_loss))
        sample = sess.run(predictions, {inputs: x_test[:3], lengths: len_test[:3]})
    for seq, n, target, pred in zip(x_test[:3], len_test[:3], y_test[:3], sample):
        print("sum of [%s] = %+.3f, predicted %+.3f"
              % (", ".join("%+.2f" % v for v in seq[:n, 0]), target[0], pred[0]))
    print("baseline (always 0) mse: %.4f" % np.mean(y_test ** 2))
    print("test mse: %.4f" % test_loss)
    return test_loss


if __name__ == "__main__":
    main()
