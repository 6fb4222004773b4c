"""Records tf1.json with TF 2.21 compat.v1 and tf-keras (run with /tmp/tfenv/bin/python from
tests/data/batch_renorm; tf.layers needs TF_USE_LEGACY_KERAS=1, set here)."""
import json
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
import tensorflow as tf  # noqa: E402

from batch_renorm_cases import CASES, run  # noqa: E402

tf.compat.v1.disable_v2_behavior()
out = {}
for name in CASES:
    with tf.Graph().as_default():
        out[name] = run(tf.compat.v1, name)
json.dump(out, open("tf1.json", "w"))
print(sorted(out))
