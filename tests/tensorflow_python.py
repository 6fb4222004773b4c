"""The Python interpreter that can import TensorFlow, for tests that hand graphc's files to TensorFlow."""
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from graphc import switches


def tensorflow_python() -> str:
    """This interpreter when TensorFlow imports here, else the one GRAPHC_TENSORFLOW_PYTHON names;
    skips the calling test when there is neither."""
    if importlib.util.find_spec("tensorflow") is not None:
        return sys.executable
    python = switches.TENSORFLOW_PYTHON.get()
    if python and shutil.which(python):
        return python
    pytest.skip("TensorFlow is not importable here and GRAPHC_TENSORFLOW_PYTHON names no interpreter with it")


# Runs graph.pb from a directory in TensorFlow (tf.compat.v1) with feeds.npz, fetching names.json's
# {key: tensor name}; writes got.npz (string results as bytes)
RUN_WITH_FEEDS_IN_TF = r"""
import json, sys
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
directory = sys.argv[1]
gd = tf1.GraphDef()
gd.ParseFromString(open(directory + "/graph.pb", "rb").read())
names = json.load(open(directory + "/names.json"))
feeds = np.load(directory + "/feeds.npz")
with tf1.Graph().as_default():
    outs = tf1.import_graph_def(gd, return_elements=list(names.values()), name="")
    with tf1.Session() as sess:
        got = sess.run(outs, {k + ":0": feeds[k] for k in feeds.files})
np.savez(directory + "/got.npz", **{k: np.array(v.tolist(), dtype=bytes) if np.asarray(v).dtype == object else v
                                    for k, v in zip(names, got)})
"""


def run_in_tensorflow(python: str, graph_def, feeds: dict, names: dict, directory) -> "np.lib.npyio.NpzFile":
    """Runs ``graph_def`` in TensorFlow under ``python`` (see ``tensorflow_python``) with ``feeds``
    ({placeholder name: value}), fetching ``names`` ({key: tensor name}); the results by key."""
    import graphc as tf

    directory = Path(directory)
    tf.train.write_graph(graph_def, str(directory), "graph.pb", as_text=False)
    np.savez(directory / "feeds.npz", **feeds)
    (directory / "names.json").write_text(json.dumps(names))
    res = subprocess.run([python, "-c", RUN_WITH_FEEDS_IN_TF, str(directory)], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return np.load(directory / "got.npz")
