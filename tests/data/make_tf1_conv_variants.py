"""Records tests/data/tf1_conv_variants.json with TensorFlow (run with a Python that has it:
/tmp/tfenv/bin/python tests/data/make_tf1_conv_variants.py tests/data/tf1_conv_variants.json)."""
import numpy as np, tensorflow as tf
tf.compat.v1.disable_v2_behavior()
t=tf.compat.v1
r = np.random.default_rng(5)
x = np.round(r.uniform(-1, 1, (1, 5, 4, 2)), 2).astype(np.float32)
w = np.round(r.uniform(-1, 1, (3, 2, 2, 3)), 2).astype(np.float32)
dw = np.round(r.uniform(-1, 1, (2, 2, 2, 2)), 2).astype(np.float32)
pw = np.round(r.uniform(-1, 1, (1, 1, 4, 3)), 2).astype(np.float32)
x1 = np.round(r.uniform(-1, 1, (2, 6, 2)), 2).astype(np.float32)
w1 = np.round(r.uniform(-1, 1, (3, 2, 3)), 2).astype(np.float32)
tv = np.round(r.uniform(-1, 1, (1, 3, 2, 3)), 2).astype(np.float32)
np.set_printoptions(precision=8, suppress=True)
import json
data = {"source": "recorded from TensorFlow 2.21 tf.compat.v1 (disable_v2_behavior) by tests/data/make_tf1_conv_variants.py"}
for nm, a in [("x", x), ("w", w), ("dw", dw), ("pw", pw), ("x1", x1), ("w1", w1), ("tv", tv)]:
    data[nm] = a.tolist()
outs = dict(
  conv1d=t.nn.conv1d(x1, w1, 2, "SAME"),
  conv1d_valid=t.nn.conv1d(x1, w1, 1, "VALID"),
  transpose=t.nn.conv2d_transpose(tv, w, [1, 5, 4, 2], [1, 2, 2, 1], "SAME"),
  atrous=t.nn.atrous_conv2d(x, w, 2, "SAME"),
  depthwise=t.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "VALID"),
  depthwise_s2=t.nn.depthwise_conv2d(x, dw, [1, 2, 2, 1], "SAME"),
  depthwise_rate=t.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "SAME", rate=[2, 2]),
  separable=t.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME"),
  lrn=t.nn.local_response_normalization(np.concatenate([x, x * 2, -x], 3), depth_radius=2, bias=1.5, alpha=0.3, beta=0.75),
)
ph = t.placeholder(tf.float32, x.shape)
g_lrn = t.gradients(t.reduce_sum(t.nn.lrn(ph, 1, 1.0, 0.5, 0.6) * np.arange(40, dtype=np.float32).reshape(1, 5, 4, 2)), ph)[0]
with t.Session() as s:
    res = s.run(outs)
    for k, v in res.items(): data[k] = v.tolist()
    data["g_lrn"] = s.run(g_lrn, {ph: x}).tolist()
import sys
json.dump(data, open(sys.argv[1], "w"), indent=None)
