"""Data-parallel MLP on scikit-learn's 8x8 digits in Horovod's style (graphc.distribute on MPI).

    mpiexec -n 2 python examples/distributed_mnist.py   # 2 ranks, a half each: test accuracy 0.9444
    python examples/distributed_mnist.py                # one process: test accuracy 0.9556
    python examples/distributed_mnist.py --quick        # 5 epochs: test accuracy 0.9278

The Horovod recipe, unchanged but for the imports: ``hvd.init()``, the learning rate scaled by
``hvd.size()``, the optimizer wrapped in ``hvd.DistributedOptimizer`` (gradients averaged across
ranks before every step), ``hvd.broadcast_global_variables(0)`` run once after initializing (so
every rank starts from rank 0's weights), and only rank 0 printing. Each rank reads its own
shard of the training set (``rank::size``), and all ranks take the same number of steps per
epoch (the smallest shard's), since every step is a collective. The test accuracy is the sum of
the ranks' correct answers on their shards of the test set (an ``hvd.allreduce`` with Sum).

The 1797 digits are split 80/20 into train/test with a fixed seed, the same on every rank.
The last line is ``test accuracy: 0.XXXX``.
"""
import argparse

import numpy as np

import graphc as tf
import graphc.distribute as hvd


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20,
                        help="passes over each rank's shard of the training set (default: %(default)s)")
    parser.add_argument("--batch_size", type=int, default=32,
                        help="examples per step on each rank (default: %(default)s)")
    parser.add_argument("--hidden", type=int, default=128,
                        help="units in the hidden layer (default: %(default)s)")
    parser.add_argument("--learning_rate", type=float, default=1e-3,
                        help="Adam's learning rate for one rank, multiplied by the number of ranks "
                             "(default: %(default)s)")
    parser.add_argument("--seed", type=int, default=42,
                        help="seed of the data split, shuffling and initial weights (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="at most 5 epochs, for a fast run")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = min(args.epochs, 5)
    return args


def load_split(seed):
    """The digits as float32 in [0, 1], shuffled and split 80/20 into train/test (same on every rank)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit("this example needs scikit-learn for its digits data: pip install scikit-learn")
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int32)
    order = np.random.RandomState(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_train = int(0.8 * len(x))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def main(args):
    hvd.init()
    rank, size = hvd.rank(), hvd.size()
    (x_train, y_train), (x_test, y_test) = load_split(args.seed)
    x_shard, y_shard = x_train[rank::size], y_train[rank::size]
    steps_per_epoch = (len(x_train) // size) // args.batch_size     # the smallest shard's, on every rank

    tf.set_random_seed(args.seed)
    images = tf.placeholder(tf.float32, [None, 64], name="images")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    hidden = tf.layers.dense(images, args.hidden, activation=tf.nn.relu, name="hidden")
    logits = tf.layers.dense(hidden, 10, name="logits")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    mean_loss = hvd.allreduce(loss)                                   # the average over the ranks
    correct = tf.reduce_sum(tf.cast(tf.equal(tf.cast(tf.argmax(logits, axis=1), tf.int32), labels), tf.int32))
    total_correct = hvd.allreduce(correct, op=hvd.Sum)

    opt = hvd.DistributedOptimizer(tf.train.AdamOptimizer(args.learning_rate * size))
    train_op = opt.minimize(loss, global_step=tf.train.get_or_create_global_step())
    broadcast = hvd.broadcast_global_variables(0)

    shuffle = np.random.RandomState(args.seed + rank)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(broadcast)
        for epoch in range(1, args.epochs + 1):
            order = shuffle.permutation(len(x_shard))[:steps_per_epoch * args.batch_size]
            losses = []
            for batch in order.reshape(steps_per_epoch, args.batch_size):
                _, step_loss = sess.run([train_op, mean_loss], {images: x_shard[batch], labels: y_shard[batch]})
                losses.append(step_loss)
            if rank == 0:
                print(f"epoch {epoch:2d}: train loss {np.mean(losses):.4f}")
        right = sess.run(total_correct, {images: x_test[rank::size], labels: y_test[rank::size]})
    if rank == 0:
        print(f"test accuracy: {right / len(x_test):.4f}")


if __name__ == "__main__":
    main(parse_args())
