"""Records tests/data/tf1_sampled_losses.json with TensorFlow (run with a Python that has it:
/tmp/tfenv/bin/python tests/data/make_tf1_sampled_losses.py > tests/data/tf1_sampled_losses.json)."""
import numpy as np, tensorflow as tf, json
tf.compat.v1.disable_v2_behavior()
t=tf.compat.v1
labels = np.array([[3], [0], [7]], np.int64)
out = {}
with t.Session() as s:
    for name, fn in [("log_uniform", t.nn.log_uniform_candidate_sampler), ("uniform", t.nn.uniform_candidate_sampler)]:
        for unique in (True, False):
            r = s.run(fn(labels, 1, 6, unique, 10, seed=1))
            out[f"{name}_{unique}"] = [x.tolist() for x in r]
    r = np.random.default_rng(3)
    w = np.round(r.uniform(-1, 1, (10, 4)), 2).astype(np.float32)
    b = np.round(r.uniform(-1, 1, (10,)), 2).astype(np.float32)
    x = np.round(r.uniform(-1, 1, (3, 4)), 2).astype(np.float32)
    sampled = np.array([1, 3, 5, 0, 9, 2], np.int64)
    texp = np.array([[0.4], [0.7], [0.2]], np.float32); sexp = np.array([0.5, 0.4, 0.3, 0.7, 0.1, 0.45], np.float32)
    sv = (sampled, texp, sexp)
    pw = t.placeholder(tf.float32, w.shape); px = t.placeholder(tf.float32, x.shape)
    nce = t.nn.nce_loss(pw, b, labels, px, 6, 10, sampled_values=sv)
    nce_hits = t.nn.nce_loss(pw, b, labels, px, 6, 10, sampled_values=sv, remove_accidental_hits=True)
    ssm = t.nn.sampled_softmax_loss(pw, b, labels, px, 6, 10, sampled_values=sv)
    ssm_keep = t.nn.sampled_softmax_loss(pw, b, labels, px, 6, 10, sampled_values=sv, remove_accidental_hits=False)
    labels2 = np.array([[3, 1], [0, 0], [7, 2]], np.int64)
    nce2 = t.nn.nce_loss(pw, b, labels2, px, 6, 10, num_true=2, sampled_values=(sampled, np.full((3, 2), 0.3, np.float32), sexp))
    grads = [t.convert_to_tensor(g) for g in t.gradients(t.reduce_sum(ssm) + t.reduce_sum(nce2), [pw, px])]
    res = s.run([nce, nce_hits, ssm, ssm_keep, nce2] + grads, {pw: w, px: x})
    out.update(w=w.tolist(), b=b.tolist(), x=x.tolist(), nce=res[0].tolist(), nce_hits=res[1].tolist(), ssm=res[2].tolist(),
               ssm_keep=res[3].tolist(), nce2=res[4].tolist(), grad_w=res[5].tolist(), grad_x=res[6].tolist())
out["source"] = "recorded from TensorFlow 2.21 tf.compat.v1 (disable_v2_behavior)"
print(json.dumps(out))
