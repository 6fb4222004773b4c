"""Records tests/data/tf1_losses.json with TF 2.21 compat.v1 (run with /tmp/tfenv/bin/python from tests/data)."""
import json, numpy as np, tensorflow as tf
tf.compat.v1.disable_v2_behavior()
L = tf.compat.v1.losses; R = L.Reduction
PRED = np.array([[0.1, 0.7, 0.35], [0.9, 0.2, 0.55]])
TRUE = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
REG_P = np.array([[1.1, 2.9, -0.3], [4.4, 2.5, 6.6]])
REG_T = np.array([[1.0, 2.0, 3.1], [4.0, 5.0, 6.1]])
W = {"2.0": 2.0, "col": [[0.0], [2.0]], "row": [[1.0, 0.0, 3.0]], "full": [[1, 0, 0], [0, 2, 0.5]]}
REDS = [R.NONE, R.SUM, R.MEAN, R.SUM_OVER_BATCH_SIZE, R.SUM_BY_NONZERO_WEIGHTS]
fns = {
  "huber_loss": lambda w, r: L.huber_loss(REG_T, REG_P, weights=w, delta=1.5, reduction=r),
  "log_loss": lambda w, r: L.log_loss(TRUE, PRED, weights=w, reduction=r),
  "hinge_loss": lambda w, r: L.hinge_loss(TRUE, REG_P - 2.0, weights=w, reduction=r),
  "cosine_distance": lambda w, r: L.cosine_distance(TRUE / np.linalg.norm(TRUE, axis=1, keepdims=True),
        PRED / np.linalg.norm(PRED, axis=1, keepdims=True), axis=1, weights=(w if not isinstance(w, list) or len(w)!=1 else [[1.0]]), reduction=r),
  "absolute_difference": lambda w, r: L.absolute_difference(REG_T, REG_P, weights=w, reduction=r),
  "sigmoid_cross_entropy_smoothed": lambda w, r: L.sigmoid_cross_entropy(TRUE, REG_P - 2.0, weights=w, label_smoothing=0.2, reduction=r),
}
out = {}
with tf.compat.v1.Session() as s:
  for name, fn in fns.items():
    for wk, w in W.items():
      if name == "cosine_distance" and wk in ("row", "full"): continue
      for r in REDS:
        out[f"{name}|{wk}|{r}"] = np.asarray(s.run(fn(w, r))).tolist()
  logits = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]]); onehot = np.array([[0, 1, 0], [0, 0, 1]])
  for r in REDS:
    out[f"softmax_cross_entropy_smoothed|col|{r}"] = np.asarray(s.run(L.softmax_cross_entropy(onehot, logits, weights=[0.5, 2.0], label_smoothing=0.3, reduction=r))).tolist()
    out[f"sparse_softmax_cross_entropy|col|{r}"] = np.asarray(s.run(L.sparse_softmax_cross_entropy([1, 2], logits, weights=[0.5, 2.0], reduction=r))).tolist()
  mp = {}
  for wk, w in {"1.0": 1.0, "batch": [[0.5], [2.0]], "tensor1": np.float32(1.0), "zero_row": [[0.0], [1.0]]}.items():
    mp[wk] = float(s.run(L.mean_pairwise_squared_error(REG_T, REG_P, weights=w)))
  mp["rank3"] = float(s.run(L.mean_pairwise_squared_error(REG_T.reshape(2, 3, 1), REG_P.reshape(2, 3, 1), weights=[[[0.5]], [[2.0]]])))
  out["mean_pairwise"] = mp
json.dump(out, open("tf1_losses.json", "w"), indent=0)
print(len(out))
