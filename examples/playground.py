"""The TensorFlow Playground (playground.tensorflow.org) in a TF1 program.

    python examples/playground.py                      # 150 epochs each: spiral 0.9440, the others 1.0000
    python examples/playground.py --quick              # 25 epochs each: spiral 0.5760, the others 1.0000
    python examples/playground.py --dataset xor --l2 0.01 --hidden 4,2 --noise 0.2

The four classification datasets are generated as the Playground does (500 points, labels +-1,
half of them for training, half for testing): ``circle`` (a disk inside a ring), ``xor`` (the
signs of x1 and x2 agree or not), ``gaussian`` (two Gaussian blobs) and ``spiral`` (two
interleaved spirals). As in the Playground, the network reads (x1, x2), has tanh hidden layers
and a tanh output, and its loss is the mean of 0.5 * (output - label)^2; ``--l2`` adds
``l2 * sum(w^2) / 2`` over the weight matrices. A point counts as correct when
``sign(output) == label``. After training, the decision boundary of each dataset is drawn to
``<outdir>/<dataset>.png`` (skipped, with a note, when matplotlib is missing): the network's
output as a pale background, the boundary where it is 0, the train (o) and test (^) points in
the class colours, and a legend.

The network is trained with Adam on minibatches of 10. The last lines are
``<dataset>: test loss 0.XXXX  test accuracy 0.XXXX``, one per dataset. With the defaults
(two tanh layers of 16, 150 epochs) circle, xor and gaussian reach a test accuracy of 1.0 and
spiral, the hardest, 0.9440 with seed 0; with --quick the first three do (spiral about 0.6).
"""
import argparse
import os
import tempfile

import numpy as np

import graphc as tf

DATASETS = ("circle", "xor", "gaussian", "spiral")
CLASS_COLORS = {1: "#08519c", -1: "#d95f02"}   # +1 dark blue, -1 dark orange, as the Playground's
RADIUS = 5.0     # the Playground's points lie in [-6, 6]^2


# ------------------------------------------------------------------------------------------------
# the Playground's datasets (dataset.ts): points [n, 2] and labels [n] in {-1, +1}

def circle_data(rng, n, noise):
    """Points inside radius 2.5 are +1, points in the ring from 3.5 to 5 are -1."""
    def ring(r_min, r_max, count):
        r = rng.uniform(r_min, r_max, count)
        angle = rng.uniform(0, 2 * np.pi, count)
        points = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
        jitter = rng.uniform(-RADIUS, RADIUS, (count, 2)) * noise
        labels = np.where(np.linalg.norm(points + jitter, axis=1) < RADIUS * 0.5, 1.0, -1.0)
        return points, labels

    inner, outer = ring(0, RADIUS * 0.5, n // 2), ring(RADIUS * 0.7, RADIUS, n - n // 2)
    return np.concatenate([inner[0], outer[0]]), np.concatenate([inner[1], outer[1]])


def xor_data(rng, n, noise):
    """Uniform points in [-5, 5]^2 pushed 0.3 away from the axes; +1 where x1 * x2 >= 0."""
    points = rng.uniform(-5, 5, (n, 2))
    points += np.where(points > 0, 0.3, -0.3)
    jitter = rng.uniform(-5, 5, (n, 2)) * noise
    shifted = points + jitter
    return points, np.where(shifted[:, 0] * shifted[:, 1] >= 0, 1.0, -1.0)


def gaussian_data(rng, n, noise):
    """Two Gaussian blobs around (2, 2) (+1) and (-2, -2) (-1); noise widens them."""
    variance = 0.5 + noise / 0.5 * 3.5
    half = n // 2
    positive = rng.normal(2.0, np.sqrt(variance), (half, 2))
    negative = rng.normal(-2.0, np.sqrt(variance), (n - half, 2))
    return np.concatenate([positive, negative]), np.concatenate([np.ones(half), -np.ones(n - half)])


def spiral_data(rng, n, noise):
    """Two spirals of 1.75 turns from the origin out to radius 5, half a turn apart."""
    def spiral(delta, label, count):
        i = np.arange(count)
        r = i / count * RADIUS
        t = 1.75 * i / count * 2 * np.pi + delta
        points = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (count, 2)) * noise
        return points, np.full(count, label)

    first, second = spiral(0.0, 1.0, n // 2), spiral(np.pi, -1.0, n - n // 2)
    return np.concatenate([first[0], second[0]]), np.concatenate([first[1], second[1]])


GENERATORS = {"circle": circle_data, "xor": xor_data, "gaussian": gaussian_data, "spiral": spiral_data}


def make_dataset(name, n, noise, seed):
    """Shuffled float32 points and labels of dataset ``name``, split in half into train and test."""
    rng = np.random.RandomState(seed)
    points, labels = GENERATORS[name](rng, n, noise)
    order = rng.permutation(n)
    points, labels = points[order].astype(np.float32), labels[order].astype(np.float32)
    half = n // 2
    return (points[:half], labels[:half]), (points[half:], labels[half:])


# ------------------------------------------------------------------------------------------------
# the network

def build_model(hidden_sizes, l2, learning_rate):
    """Placeholders, output, loss and train op of a tanh network, in a dict."""
    points = tf.placeholder(tf.float32, [None, 2], name="points")
    labels = tf.placeholder(tf.float32, [None], name="labels")
    regularizer = (lambda w: l2 * tf.nn.l2_loss(w)) if l2 > 0 else None

    net = points
    for i, units in enumerate(hidden_sizes):
        net = tf.layers.dense(net, units, activation=tf.tanh, kernel_regularizer=regularizer, name="hidden%d" % i)
    output = tf.squeeze(tf.layers.dense(net, 1, activation=tf.tanh, kernel_regularizer=regularizer,
                                        name="output"), axis=1)

    loss = tf.reduce_mean(0.5 * tf.square(output - labels))
    total_loss = loss + tf.losses.get_regularization_loss() if l2 > 0 else loss
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.sign(output), labels), tf.float32))
    train_op = tf.train.AdamOptimizer(learning_rate).minimize(total_loss)
    return dict(points=points, labels=labels, output=output, loss=loss, accuracy=accuracy, train_op=train_op)


def train(sess, model, train_set, test_set, args, name):
    """Trains for args.epochs epochs, printing the train and test loss every args.print_every epochs."""
    (x_train, y_train), (x_test, y_test) = train_set, test_set
    rng = np.random.RandomState(args.seed)
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            sess.run(model["train_op"], {model["points"]: x_train[batch], model["labels"]: y_train[batch]})
        if epoch % args.print_every == 0 or epoch == args.epochs:
            train_loss = sess.run(model["loss"], {model["points"]: x_train, model["labels"]: y_train})
            test_loss = sess.run(model["loss"], {model["points"]: x_test, model["labels"]: y_test})
            print("%-8s epoch %3d  train loss %.4f  test loss %.4f" % (name, epoch, train_loss, test_loss))
    return sess.run([model["loss"], model["accuracy"]], {model["points"]: x_test, model["labels"]: y_test})


# ------------------------------------------------------------------------------------------------
# the picture

def plot_decision_boundary(sess, model, train_set, test_set, path, title):
    """Draws the network's output over [-6, 6]^2 with the train (o) and test (x) points to ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axis = np.linspace(-6, 6, 121, dtype=np.float32)
    grid_x, grid_y = np.meshgrid(axis, axis)
    grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
    heights = sess.run(model["output"], {model["points"]: grid}).reshape(grid_x.shape)

    fig, ax = plt.subplots(figsize=(5, 5))
    # a pale background (the network's output) so that the saturated points stand out on it
    ax.contourf(grid_x, grid_y, heights, levels=np.linspace(-1, 1, 21), cmap="RdBu", alpha=0.35)
    ax.contour(grid_x, grid_y, heights, levels=[0.0], colors="k", linewidths=1.2)
    for (x, y), marker, split in ((train_set, "o", "train"), (test_set, "^", "test")):
        for label, color in ((1.0, CLASS_COLORS[1]), (-1.0, CLASS_COLORS[-1])):
            points = x[y == label]
            ax.scatter(points[:, 0], points[:, 1], color=color, marker=marker, s=16, edgecolors="white",
                       linewidths=0.5, label="%s, label %+d" % (split, label))
    ax.plot([], [], color="k", linewidth=1.2, label="decision boundary (output 0)")
    ax.legend(loc="upper right", fontsize=7, framealpha=0.9)
    ax.set(xlim=(-6, 6), ylim=(-6, 6), title=title, aspect="equal", xlabel="x1", ylabel="x2")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def matplotlib_available():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


# ------------------------------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=DATASETS + ("all",), default="all",
                        help="which dataset to learn (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=150,
                        help="training epochs per dataset (default: %(default)s)")
    parser.add_argument("--hidden", default="16,16",
                        help="comma-separated hidden layer sizes (default: %(default)s)")
    parser.add_argument("--l2", type=float, default=0.0,
                        help="L2 regularization rate (0: none) (default: %(default)s)")
    parser.add_argument("--learning_rate", type=float, default=0.01,
                        help="Adam's learning rate (default: %(default)s)")
    parser.add_argument("--batch_size", type=int, default=10,
                        help="points per Adam step (default: %(default)s)")
    parser.add_argument("--noise", type=float, default=0.0,
                        help="the Playground's noise, 0 to 0.5 (default: %(default)s)")
    parser.add_argument("--samples", type=int, default=500,
                        help="points per dataset, half for training (default: %(default)s)")
    parser.add_argument("--outdir", default=os.path.join(tempfile.gettempdir(), "graphc_playground"),
                        help="where the decision-boundary PNGs go, '' to skip them (default: %(default)s)")
    parser.add_argument("--print_every", type=int, default=None, metavar="N",
                        help="print the losses every N epochs and after the last (default: 25, 5 with --quick)")
    parser.add_argument("--quick", action="store_true", help="25 epochs per dataset, for a fast run")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the data split, shuffling and initial weights (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = min(args.epochs, 25)
    if args.print_every is None:
        args.print_every = 5 if args.quick else 25
    args.hidden = [int(units) for units in args.hidden.split(",") if units]
    return args


def run_dataset(name, args, plot):
    """Trains a fresh network on dataset ``name``; returns (test loss, test accuracy)."""
    train_set, test_set = make_dataset(name, args.samples, args.noise, args.seed)
    with tf.Graph().as_default():
        tf.set_random_seed(args.seed)
        model = build_model(args.hidden, args.l2, args.learning_rate)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            test_loss, test_acc = train(sess, model, train_set, test_set, args, name)
            if plot:
                path = os.path.join(args.outdir, name + ".png")
                title = "%s: test loss %.3f, accuracy %.3f" % (name, test_loss, test_acc)
                plot_decision_boundary(sess, model, train_set, test_set, path, title)
                print("decision boundary written to %s" % path)
    return test_loss, test_acc


def main(argv=None):
    args = parse_args(argv)
    np.random.seed(args.seed)
    plot = bool(args.outdir)
    if plot and not matplotlib_available():
        print("note: matplotlib is not installed; skipping the decision-boundary PNGs (pip install matplotlib)")
        plot = False
    if plot:
        os.makedirs(args.outdir, exist_ok=True)

    names = DATASETS if args.dataset == "all" else (args.dataset,)
    results = {name: run_dataset(name, args, plot) for name in names}
    for name, (test_loss, test_acc) in results.items():
        print("%s: test loss %.4f  test accuracy %.4f" % (name, test_loss, test_acc))
    return results


if __name__ == "__main__":
    main()
