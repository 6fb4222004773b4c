"""Shared by tests/onnx: export a session's graph, check the file with onnx.checker, run it in
onnxruntime and compare with the session's own outputs (the eager reference)."""
import numpy as np

import graphc.onnx


def run_onnx(path, feeds):
    import onnxruntime as ort
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def export_and_compare(sess, inputs, outputs, feeds_list, path, rtol=1e-5, atol=1e-5, **kwargs):
    """Exports, checks the file with onnx.checker, and compares onnxruntime with the session on each feed."""
    import onnx
    model = graphc.onnx.export(sess, inputs, outputs, path, **kwargs)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    for feeds in feeds_list:
        want = sess.run(outputs, {t: v for t, v in zip(inputs, feeds)})
        got = run_onnx(path, {t.name: v for t, v in zip(inputs, feeds)})
        for t, g, w in zip(outputs, got, want):
            w = np.asarray(w)
            assert g.dtype == w.dtype, t.name
            assert g.shape == w.shape, t.name
            if w.dtype.kind in "biu":
                np.testing.assert_array_equal(g, w, err_msg=t.name)
            else:
                np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=t.name)
    return model
