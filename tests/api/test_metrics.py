"""tf.metrics against TensorFlow 2.21 (tf.compat.v1, graph mode): each metric's update_op results over two
batches, its value afterwards, the variables it keeps, and the reset by local_variables_initializer."""
import numpy as np
import pytest

import graphc as tf

LABELS = [[1, 0, 1, 1, 0, 0, 1, 0], [0, 0, 1, 1, 1, 0, 1, 1]]
PREDS = [[1, 1, 1, 0, 0, 0, 1, 1], [1, 0, 0, 1, 1, 0, 0, 1]]
WEIGHTS = [[1., 2., 0.5, 1., 1., 3., 1., 0.], [2., 1., 1., 1., 0., 1., 1., 1.]]
SCORES = [[0.1, 0.4, 0.35, 0.8, 0.95, 0.05, 0.5, 0.62], [0.3, 0.71, 0.2, 0.9, 0.45, 0.15, 0.55, 0.01]]
REG_LABELS = [[1., 2., 3., 4.], [0.5, -1., 2., 7.]]
REG_PREDS = [[1.5, 1., 3., 5.], [0., -2., 2.5, 4.]]
IOU_LABELS = [[0, 1, 2, 2, 1, 0], [3, 3, 0, 1, 1, 2]]
IOU_PREDS = [[0, 2, 2, 1, 1, 0], [3, 0, 0, 1, 2, 2]]
IOU_WEIGHTS = [[1., 1., 2., 0., 1., 1.], [1., 0.5, 1., 1., 1., 3.]]

# case -> (update_op's result after each batch, value afterwards), recorded from TensorFlow 2.21
# (tf.compat.v1.metrics with disable_v2_behavior) on the batches above
EXPECTED = {
    'accuracy': ([0.625, 0.625], 0.625),
    'accuracy_w': ([0.6842105388641357, 0.6000000238418579], 0.6000000238418579),
    'precision': ([0.6000000238418579, 0.6666666865348816], 0.6666666865348816),
    'precision_w': ([0.5555555820465088, 0.529411792755127], 0.529411792755127),
    'recall': ([0.75, 0.6666666865348816], 0.6666666865348816),
    'recall_w': ([0.7142857313156128, 0.6000000238418579], 0.6000000238418579),
    'true_positives': ([3.0, 6.0], 6.0),
    'true_positives_w': ([2.5, 4.5], 4.5),
    'false_positives': ([2.0, 3.0], 3.0),
    'false_positives_w': ([2.0, 4.0], 4.0),
    'true_negatives': ([2.0, 4.0], 4.0),
    'true_negatives_w': ([4.0, 6.0], 6.0),
    'false_negatives': ([1.0, 3.0], 3.0),
    'false_negatives_w': ([1.0, 3.0], 3.0),
    'mse': ([0.5625, 1.59375], 1.59375),
    'mse_w': ([0.7222222089767456, 1.4736841917037964], 1.4736841917037964),
    'mae': ([0.625, 0.9375], 0.9375),
    'mae_w': ([0.7777777910232544, 0.9473684430122375], 0.9473684430122375),
    'mean_w': ([2.3333332538604736, 2.875], 2.875),
    'mean_bcast': ([4.25], 4.25),
    'mean_empty_first': ([0.0, 3.0], 3.0),
    'auc_ROC_trapezoidal_200': ([0.4375000298023224, 0.4761904776096344], 0.4761904776096344),
    'auc_ROC_trapezoidal_7': ([0.4062500298023224, 0.4999999701976776], 0.4999999701976776),
    'auc_ROC_trapezoidal_200_w': ([0.6904761791229248, 0.5866666436195374], 0.5866666436195374),
    'auc_ROC_trapezoidal_7_w': ([0.5952380895614624, 0.6066665649414062], 0.6066665649414062),
    'auc_ROC_minoring_200': ([0.4375000298023224, 0.4761904776096344], 0.4761904776096344),
    'auc_ROC_minoring_7': ([0.31250008940696716, 0.4126984179019928], 0.4126984179019928),
    'auc_ROC_minoring_200_w': ([0.6904761791229248, 0.5866666436195374], 0.5866666436195374),
    'auc_ROC_minoring_7_w': ([0.4523810148239136, 0.5066666603088379], 0.5066666603088379),
    'auc_ROC_majoring_200': ([0.4375000298023224, 0.4761904776096344], 0.4761904776096344),
    'auc_ROC_majoring_7': ([0.5, 0.5873015522956848], 0.5873015522956848),
    'auc_ROC_majoring_200_w': ([0.6904761791229248, 0.5866666436195374], 0.5866666436195374),
    'auc_ROC_majoring_7_w': ([0.7380951642990112, 0.7066665887832642], 0.7066665887832642),
    'auc_PR_trapezoidal_200': ([0.4130954146385193, 0.5180329084396362], 0.5180329084396362),
    'auc_PR_trapezoidal_7': ([0.39583349227905273, 0.5708333253860474], 0.5708333253860474),
    'auc_PR_trapezoidal_200_w': ([0.44099247455596924, 0.4799243211746216], 0.4799243211746216),
    'auc_PR_trapezoidal_7_w': ([0.3935408294200897, 0.5410303473472595], 0.5410303473472595),
    'auc_PR_minoring_200': ([0.3083336055278778, 0.4604704976081848], 0.4604704976081848),
    'auc_PR_minoring_7': ([0.2916669547557831, 0.5231481194496155], 0.5231481194496155),
    'auc_PR_minoring_200_w': ([0.32987046241760254, 0.41500160098075867], 0.41500160098075867),
    'auc_PR_minoring_7_w': ([0.30006861686706543, 0.48393622040748596], 0.48393622040748596),
    'auc_PR_majoring_200': ([0.5178571343421936, 0.5755952596664429], 0.5755952596664429),
    'auc_PR_majoring_7': ([0.4999999403953552, 0.6185185313224792], 0.6185185313224792),
    'auc_PR_majoring_200_w': ([0.5521145462989807, 0.5448470115661621], 0.5448470115661621),
    'auc_PR_majoring_7_w': ([0.4870130717754364, 0.5981244444847107], 0.5981244444847107),
    'auc_PR_careful_interpolation_200': ([0.4305180013179779, 0.5264954566955566], 0.5264954566955566),
    'auc_PR_careful_interpolation_7': ([0.4195220172405243, 0.5455914735794067], 0.5455914735794067),
    'auc_PR_careful_interpolation_200_w': ([0.461227148771286, 0.4899995028972626], 0.4899995028972626),
    'auc_PR_careful_interpolation_7_w': ([0.4043886065483093, 0.5056907534599304], 0.5056907534599304),
    'mean_iou': ([[[2.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]], [[3.0, 0.0, 0.0, 0.0], [0.0, 2.0, 2.0, 0.0], [0.0, 1.0, 2.0, 0.0], [1.0, 0.0, 0.0, 1.0]]], 0.512499988079071),
    'mean_iou_w': ([[[2.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]], [[3.0, 0.0, 0.0, 0.0], [0.0, 2.0, 2.0, 0.0], [0.0, 0.0, 5.0, 0.0], [0.5, 0.0, 0.0, 1.0]]], 0.68452388048172),
    'mean_iou_absent_class': ([[[1.0, 0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]]], 0.5),
}

BACKENDS = ["eager", "numba"]


def _run(backend, placeholders, metric, batches):
    value, update_op = metric
    with tf.Session(backend=backend) as sess:
        sess.run(tf.local_variables_initializer())
        updates = [sess.run(update_op, dict(zip(placeholders, batch))) for batch in batches]
        final = sess.run(value)
        sess.run(tf.local_variables_initializer())
        reset = sess.run(value)
    return updates, final, reset


def _check(case, result):
    updates, final, reset = result
    want_updates, want_value = EXPECTED[case]
    for got, want in zip(updates, want_updates):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(final, want_value, rtol=1e-6, atol=1e-7)
    assert not np.any(reset), "local_variables_initializer resets the metric to 0"


def _pair_case(backend, fn, case, weighted, labels, preds, weights, label_dtype, pred_dtype, **kw):
    with tf.Graph().as_default():
        lab = tf.placeholder(label_dtype, None)
        pred = tf.placeholder(pred_dtype, None)
        phs = [lab, pred]
        if weighted:
            w = tf.placeholder(tf.float32, None)
            phs.append(w)
            metric = fn(lab, pred, weights=w, **kw)
        else:
            metric = fn(lab, pred, **kw)
        batches = [(labels[i], preds[i]) + ((weights[i],) if weighted else ()) for i in range(2)]
        _check(case + ("_w" if weighted else ""), _run(backend, phs, metric, batches))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", ["accuracy", "precision", "recall", "true_positives", "false_positives",
                                  "true_negatives", "false_negatives"])
def test_classification_metrics_match_tf(name, weighted, backend):
    _pair_case(backend, getattr(tf.metrics, name), name, weighted, LABELS, PREDS, WEIGHTS, tf.int64, tf.int64)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case,name", [("mse", "mean_squared_error"), ("mae", "mean_absolute_error")])
def test_regression_metrics_match_tf(case, name, weighted, backend):
    weights = [w[:4] for w in WEIGHTS]
    _pair_case(backend, getattr(tf.metrics, name), case, weighted, REG_LABELS, REG_PREDS, weights,
               tf.float32, tf.float32)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("num_thresholds", [200, 7])
@pytest.mark.parametrize("curve,method", [("ROC", "trapezoidal"), ("ROC", "minoring"), ("ROC", "majoring"),
                                          ("PR", "trapezoidal"), ("PR", "minoring"), ("PR", "majoring"),
                                          ("PR", "careful_interpolation")])
def test_auc_matches_tf(curve, method, num_thresholds, weighted, backend):
    _pair_case(backend, tf.metrics.auc, f"auc_{curve}_{method}_{num_thresholds}", weighted, LABELS, SCORES,
               WEIGHTS, tf.int64, tf.float32, curve=curve, summation_method=method, num_thresholds=num_thresholds)


@pytest.mark.parametrize("backend", BACKENDS)
def test_mean_weighted_broadcast_and_empty_batches_match_tf(backend):
    with tf.Graph().as_default():
        v, w = tf.placeholder(tf.float32, None), tf.placeholder(tf.float32, None)
        _check("mean_w", _run(backend, [v, w], tf.metrics.mean(v, weights=w),
                              [([1., 2., 3.], [1., 0., 2.]), ([4., 5.], [0.5, 0.5])]))
    with tf.Graph().as_default():
        v, w = tf.placeholder(tf.float32, [2, 3]), tf.placeholder(tf.float32, [2, 1])
        _check("mean_bcast", _run(backend, [v, w], tf.metrics.mean(v, weights=w),
                                  [([[1., 2., 3.], [4., 5., 6.]], [[1.], [3.]])]))
    with tf.Graph().as_default():
        v = tf.placeholder(tf.float32, None)
        _check("mean_empty_first", _run(backend, [v], tf.metrics.mean(v), [([],), ([2., 4.],)]))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("weighted", [False, True])
def test_mean_iou_matches_tf(weighted, backend):
    _pair_case(backend, lambda lab, pred, **kw: tf.metrics.mean_iou(lab, pred, 4, **kw), "mean_iou", weighted,
               IOU_LABELS, IOU_PREDS, IOU_WEIGHTS, tf.int64, tf.int64)


def test_auc_with_explicit_thresholds_matches_tf():
    with tf.Graph().as_default():
        lab, pred = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.float32, [None])
        value, update = tf.metrics.auc(lab, pred, thresholds=[0.6, 0.3, 0.5])  # sorted, as TF1 does
        with tf.Session(backend="eager") as sess:
            sess.run(tf.local_variables_initializer())
            got = sess.run(update, {lab: LABELS[0], pred: SCORES[0]})
    np.testing.assert_allclose(got, 0.40625003, rtol=1e-6)  # TensorFlow 2.21


def test_mean_iou_averages_only_classes_that_occur():
    with tf.Graph().as_default():
        lab, pred = tf.placeholder(tf.int64, None), tf.placeholder(tf.int64, None)
        _check("mean_iou_absent_class", _run("eager", [lab, pred], tf.metrics.mean_iou(lab, pred, 5),
                                             [([0, 1, 1], [0, 1, 0])]))


def test_variables_names_and_collections_are_tf1s():
    with tf.Graph().as_default():
        lab, pred = tf.placeholder(tf.int64, None), tf.placeholder(tf.float32, None)
        value, update = tf.metrics.accuracy(lab, pred, metrics_collections=["m"], updates_collections=["u"])
        assert (value.name, update.name) == ("accuracy/value:0", "accuracy/update_op:0")
        assert tf.get_collection("m") == [value] and tf.get_collection("u") == [update]
        tp_value, tp_update = tf.metrics.true_positives(lab, pred)
        assert (tp_value.name, tp_update.name) == ("true_positives/Identity:0", "true_positives/AssignAdd:0")
        tf.metrics.precision(lab, pred)
        tf.metrics.auc(lab, pred)
        tf.metrics.mean_iou(lab, tf.cast(pred, tf.int64), 3)
        # as TensorFlow 2.21 names them
        want = ["accuracy/count:0", "accuracy/total:0", "auc/false_negatives:0", "auc/false_positives:0",
                "auc/true_negatives:0", "auc/true_positives:0", "mean_iou/total_confusion_matrix:0",
                "precision/false_positives/count:0", "precision/true_positives/count:0", "true_positives/count:0"]
        assert sorted(v.name for v in tf.local_variables()) == want
        assert sorted(v.name for v in tf.get_collection(tf.GraphKeys.METRIC_VARIABLES)) == want
        assert tf.global_variables() == [] and tf.trainable_variables() == []


def test_bad_auc_arguments_raise_as_tf():
    with tf.Graph().as_default():
        lab, pred = tf.placeholder(tf.int64, None), tf.placeholder(tf.float32, None)
        with pytest.raises(ValueError, match="curve must be either ROC or PR"):
            tf.metrics.auc(lab, pred, curve="XY")
        with pytest.raises(ValueError, match="Invalid summation_method"):
            tf.metrics.auc(lab, pred, summation_method="simpson")


TOPK_SCORES = [[[0.1, 0.5, 0.2, 0.2, 0.0], [0.3, 0.3, 0.1, 0.9, 0.05], [0.2, 0.2, 0.2, 0.2, 0.2],
                [0.0, 0.1, 0.6, 0.25, 0.3]],
               [[0.9, 0.05, 0.02, 0.01, 0.02], [0.1, 0.2, 0.3, 0.4, 0.5], [0.5, 0.4, 0.3, 0.2, 0.1],
                [0.3, 0.1, 0.3, 0.1, 0.2]]]  # ties: top_k takes the lower class first
TOPK_SINGLE = [[1, 3, 4, 2], [0, 4, 2, 2]]
TOPK_MULTI = [[[1, 2], [0, 3], [4, 4], [2, -1]], [[0, 7], [3, 1], [0, 1], [2, 0]]]  # repeats, out of range
TOPK_WEIGHTS = [[1.0, 2.0, 0.5, 1.0], [0.0, 1.0, 3.0, 1.0]]
NAN = float("nan")

# case -> (update_op's result after each batch, value afterwards), recorded from TensorFlow 2.21
# (tf.compat.v1.metrics.recall_at_k / precision_at_k) on the batches above
TOPK_EXPECTED = {
    'recall_at_k_single_k1_u': ([0.75, 0.625], 0.625),
    'recall_at_k_single_k1_w': ([0.8888888888888888, 0.5263157894736842], 0.5263157894736842),
    'recall_at_k_single_k2_u': ([0.75, 0.75], 0.75),
    'recall_at_k_single_k2_w': ([0.8888888888888888, 0.631578947368421], 0.631578947368421),
    'recall_at_k_single_k3_u': ([0.75, 0.875], 0.875),
    'recall_at_k_single_k3_w': ([0.8888888888888888, 0.9473684210526315], 0.9473684210526315),
    'recall_at_k_single_k2_class0': ([NAN, 1.0], 1.0),
    'recall_at_k_single_k2_class2': ([1.0, 0.6666666666666666], 0.6666666666666666),
    'recall_at_k_single_k2_class4': ([0.0, 0.5], 0.5),
    'recall_at_k_multi_k1_u': ([0.42857142857142855, 0.4], 0.4),
    'recall_at_k_multi_k1_w': ([0.47058823529411764, 0.43243243243243246], 0.43243243243243246),
    'recall_at_k_multi_k2_u': ([0.7142857142857143, 0.7333333333333333], 0.7333333333333333),
    'recall_at_k_multi_k2_w': ([0.8235294117647058, 0.8648648648648649], 0.8648648648648649),
    'recall_at_k_multi_k3_u': ([0.7142857142857143, 0.7333333333333333], 0.7333333333333333),
    'recall_at_k_multi_k3_w': ([0.8235294117647058, 0.8648648648648649], 0.8648648648648649),
    'recall_at_k_multi_k2_class0': ([1.0, 1.0], 1.0),
    'recall_at_k_multi_k2_class2': ([1.0, 1.0], 1.0),
    'recall_at_k_multi_k2_class4': ([0.0, 0.0], 0.0),
    'precision_at_k_single_k1_u': ([0.75, 0.625], 0.625),
    'precision_at_k_single_k1_w': ([0.8888888888888888, 0.5263157894736842], 0.5263157894736842),
    'precision_at_k_single_k2_u': ([0.375, 0.375], 0.375),
    'precision_at_k_single_k2_w': ([0.4444444444444444, 0.3157894736842105], 0.3157894736842105),
    'precision_at_k_single_k3_u': ([0.25, 0.2916666666666667], 0.2916666666666667),
    'precision_at_k_single_k3_w': ([0.2962962962962963, 0.3157894736842105], 0.3157894736842105),
    'precision_at_k_single_k2_class0': ([0.0, 0.2], 0.2),
    'precision_at_k_single_k2_class2': ([0.5, 0.6666666666666666], 0.6666666666666666),
    'precision_at_k_single_k2_class4': ([0.0, 0.5], 0.5),
    'precision_at_k_multi_k1_u': ([0.75, 0.75], 0.75),
    'precision_at_k_multi_k1_w': ([0.8888888888888888, 0.8421052631578947], 0.8421052631578947),
    'precision_at_k_multi_k2_u': ([0.625, 0.6875], 0.6875),
    'precision_at_k_multi_k2_w': ([0.7777777777777778, 0.8421052631578947], 0.8421052631578947),
    'precision_at_k_multi_k3_u': ([0.4166666666666667, 0.4583333333333333], 0.4583333333333333),
    'precision_at_k_multi_k3_w': ([0.5185185185185185, 0.5614035087719298], 0.5614035087719298),
    'precision_at_k_multi_k2_class0': ([0.5, 0.8], 0.8),
    'precision_at_k_multi_k2_class2': ([1.0, 1.0], 1.0),
    'precision_at_k_multi_k2_class4': ([0.0, 0.0], 0.0),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", sorted(TOPK_EXPECTED))
def test_recall_and_precision_at_k_match_tf(case, backend):
    metric, rest = case.split("_at_k_")
    labels_kind, k_part, variant = rest.split("_")
    labels = TOPK_SINGLE if labels_kind == "single" else TOPK_MULTI
    k = int(k_part[1:])
    class_id = int(variant[len("class"):]) if variant.startswith("class") else None
    weighted = variant == "w"
    with tf.Graph().as_default():
        lab = tf.placeholder(tf.int64, [4] if labels_kind == "single" else [4, 2])
        pred = tf.placeholder(tf.float32, [4, 5])
        w = tf.placeholder(tf.float32, [4]) if weighted else None
        fn = tf.metrics.recall_at_k if metric == "recall" else tf.metrics.precision_at_k
        value, update = fn(lab, pred, k=k, class_id=class_id, weights=w)
        name = f"{metric}_at_{k}" + ("" if class_id is None else f"_class{class_id}")
        assert (value.name, update.name, value.dtype) == (f"{name}:0", f"{name}/update:0", tf.float64)
        other = "false_negative" if metric == "recall" else "false_positive"
        suffix = "" if class_id is None else f"_class{class_id}"
        assert sorted(v.name for v in tf.local_variables()) == [f"{name}/{other}_at_{k}{suffix}:0",
                                                               f"{name}/true_positive_at_{k}{suffix}:0"]
        with tf.Session(backend=backend) as sess:
            sess.run(tf.local_variables_initializer())
            got = []
            for i in range(2):
                feed = {lab: labels[i], pred: TOPK_SCORES[i]}
                if weighted:
                    feed[w] = TOPK_WEIGHTS[i]
                got.append(sess.run(update, feed))
            final = sess.run(value)
    want_updates, want_value = TOPK_EXPECTED[case]
    np.testing.assert_allclose(got, want_updates, rtol=1e-12)  # NaN where nothing was counted yet, as TF
    np.testing.assert_allclose(final, want_value, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_root_mean_squared_error_matches_tf(backend):
    with tf.Graph().as_default():
        lab, pred, w = (tf.placeholder(tf.float32, None) for _ in range(3))
        value, update = tf.metrics.root_mean_squared_error(lab, pred, weights=w)
        assert sorted(v.name for v in tf.local_variables()) == ["root_mean_squared_error/count:0",
                                                               "root_mean_squared_error/total:0"]
        batches = [(REG_LABELS[i], REG_PREDS[i], [[1., 2., 0.5, 1.], [2., 1., 1., 1.]][i]) for i in range(2)]
        updates, final, _ = _run(backend, [lab, pred, w], (value, update), batches)
    np.testing.assert_allclose(updates, [0.8498365879058838, 1.213953971862793], rtol=1e-6)  # TensorFlow 2.21
    np.testing.assert_allclose(final, 1.213953971862793, rtol=1e-6)
