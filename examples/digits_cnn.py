"""A small convolutional net on scikit-learn's 8x8 digits.

    python examples/digits_cnn.py            # 15 epochs: test accuracy 0.96-0.99 (0.9861 with seed 0)
    python examples/digits_cnn.py --quick    # 3 epochs: test accuracy above 0.90 (0.9389)

Architecture (NHWC, 'same' padding):
    8x8x1 -> conv 3x3, 16, relu -> max pool 2x2 -> 4x4x16
          -> conv 3x3, 32, relu -> max pool 2x2 -> 2x2x32 -> flatten 128
          -> dense 64, relu -> dense 10 (logits)
trained with Adam on minibatches of the 80% train split; the last line is ``test accuracy: 0.XXXX``.
"""
import argparse

import numpy as np

import graphc as tf


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15, help="training epochs (default: %(default)s)")
    parser.add_argument("--batch_size", type=int, default=32,
                        help="examples per Adam step (default: %(default)s)")
    parser.add_argument("--learning_rate", type=float, default=2e-3,
                        help="Adam's learning rate (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="3 epochs, for a fast run")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the data split, shuffling and initial weights (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = min(args.epochs, 3)
    return args


def load_splits(seed):
    """Digits as [N, 8, 8, 1] float32 images in [0, 1], shuffled and split 80/20 into train/test."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit("this example needs scikit-learn for its digits data: pip install scikit-learn")

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., np.newaxis]
    y = digits.target.astype(np.int32)
    order = np.random.RandomState(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_train = int(0.8 * len(x))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def conv_net(images):
    """Logits [batch, 10] of the conv net for images [batch, 8, 8, 1]."""
    net = tf.layers.conv2d(images, 16, 3, padding="same", activation=tf.nn.relu, name="conv1")
    net = tf.layers.max_pooling2d(net, pool_size=2, strides=2, name="pool1")
    net = tf.layers.conv2d(net, 32, 3, padding="same", activation=tf.nn.relu, name="conv2")
    net = tf.layers.max_pooling2d(net, pool_size=2, strides=2, name="pool2")
    net = tf.layers.flatten(net)
    net = tf.layers.dense(net, 64, activation=tf.nn.relu, name="fc")
    return tf.layers.dense(net, 10, name="logits")


def main(argv=None):
    args = parse_args(argv)
    np.random.seed(args.seed)
    tf.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_splits(args.seed)

    images = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    logits = conv_net(images)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.cast(tf.argmax(logits, 1), tf.int32), labels), tf.float32))
    train_op = tf.train.AdamOptimizer(args.learning_rate).minimize(loss)

    rng = np.random.RandomState(args.seed)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for epoch in range(1, args.epochs + 1):
            order = rng.permutation(len(x_train))
            losses = []
            for start in range(0, len(order), args.batch_size):
                batch = order[start:start + args.batch_size]
                _, batch_loss = sess.run([train_op, loss], {images: x_train[batch], labels: y_train[batch]})
                losses.append(batch_loss)
            test_loss, test_acc = sess.run([loss, accuracy], {images: x_test, labels: y_test})
            print("epoch %2d  train loss %.4f  test loss %.4f  test accuracy %.4f"
                  % (epoch, np.mean(losses), test_loss, test_acc))
    print("test accuracy: %.4f" % test_acc)
    return test_acc


if __name__ == "__main__":
    main()
