# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmpose.codecs import VideoPoseLifting

from mmlpose.evaluation.metrics import (PCK3D, ActionMPJPE,
                                        MultiHypothesisMPJPE)


def make_sample(pred, gt, action='Walk', root_index=0, **pred_fields):
    """A data sample as the test loop passes it: ``gt`` (T, K, 3) camera-
    frame target, its root-relative label from the VideoPoseLifting codec
    (a tensor, as PackPoseInputs stores it) and the prediction."""
    codec = VideoPoseLifting(
        num_keypoints=gt.shape[1], root_index=root_index,
        reshape_keypoints=False)
    label = codec.encode(
        np.zeros(gt.shape[:2] + (2, ), np.float32),
        lifting_target=gt,
        lifting_target_visible=np.ones(gt.shape[:2]),
        camera_param=dict(w=1000, h=1000))['lifting_target_label']
    return dict(
        pred_instances=dict(keypoints=pred, **pred_fields),
        gt_instances=dict(
            lifting_target=gt,
            lifting_target_visible=np.ones(gt.shape[:2])),
        gt_instance_labels=dict(lifting_target_label=torch.from_numpy(label)),
        action=action,
        target_img_path=['S1_Walk.cam00_000001.jpg'] * len(gt))


def rel(pose, root=0):
    return pose - pose[:, root:root + 1]


def evaluate(metric, samples):
    metric.process([], samples)
    return metric.compute_metrics(metric.results)


def test_mpjpe_against_the_codec_label_in_mm_per_action():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(2, 17, 3))
    pred = rel(gt)  # the heads output root-relative poses
    pred[:, 1] += [0.003, 0.004, 0.]  # 5 mm error at one joint
    gt2 = rng.normal(size=(2, 17, 3))
    metrics = evaluate(
        ActionMPJPE(mode='mpjpe'),
        [make_sample(pred, gt, 'Walk'),
         make_sample(rel(gt2), gt2, 'Run')])
    assert metrics['MPJPE_Walk'] == pytest.approx(5. / 17)
    assert metrics['MPJPE_Run'] == pytest.approx(0.)
    assert metrics['MPJPE'] == pytest.approx(5. / 17 / 2)


def test_the_codec_root_is_the_only_root():
    """The metric takes the codec's root-relative label as the ground truth
    (here with the 3DHP root, joint 14) and subtracts nothing from the
    prediction: an offset prediction counts in full."""
    rng = np.random.default_rng(3)
    gt = rng.normal(size=(2, 17, 3))
    pred = rel(gt, 14)
    metric = ActionMPJPE(mode='mpjpe')
    assert evaluate(metric, [make_sample(pred, gt, root_index=14)
                             ])['MPJPE'] == pytest.approx(0., abs=1e-9)
    metric = ActionMPJPE(mode='mpjpe')
    shifted = evaluate(metric, [make_sample(pred + 0.01, gt, root_index=14)])
    assert shifted['MPJPE'] == pytest.approx(10. * np.sqrt(3))
    with pytest.raises(KeyError, match='lifting_target_label'):
        sample = make_sample(pred, gt)
        del sample['gt_instance_labels']
        ActionMPJPE().process([], [sample])


def test_p_mpjpe_and_n_mpjpe_remove_similarity_and_scale():
    rng = np.random.default_rng(1)
    gt = rng.normal(size=(3, 17, 3))
    theta = 0.7
    rot = np.array([[np.cos(theta), -np.sin(theta), 0],
                    [np.sin(theta), np.cos(theta), 0], [0, 0, 1]])
    gt_rel = rel(gt)
    rotated = rel(1.3 * gt_rel @ rot.T)
    p = evaluate(ActionMPJPE(mode='p-mpjpe'), [make_sample(rotated, gt)])
    assert p['P-MPJPE'] == pytest.approx(0., abs=1e-6)
    n = evaluate(ActionMPJPE(mode='n-mpjpe'), [make_sample(gt_rel * 0.5, gt)])
    assert n['N-MPJPE'] == pytest.approx(0., abs=1e-6)
    m = evaluate(ActionMPJPE(mode='mpjpe'), [make_sample(gt_rel * 0.5, gt)])
    assert m['MPJPE'] > 1.


def test_skip_list_and_bad_mode():
    gt = np.zeros((1, 17, 3))
    metric = ActionMPJPE(skip_list=['S1_Walk'])
    metric.process([], [make_sample(gt + 1, gt)])
    assert metric.results == []
    with pytest.raises(KeyError, match='mode'):
        ActionMPJPE(mode='bad')


def test_pck_and_auc_hand_computed():
    gt = np.zeros((1, 17, 3))
    pred = gt.copy()
    pred[0, 1:9, 0] = 0.1   # 100 mm error on 8 joints
    pred[0, 9:, 0] = 0.2    # 200 mm error on 8 joints
    metrics = evaluate(PCK3D(auc_thresholds=[0., 150.]),
                       [make_sample(pred, gt)])
    # root (0 mm) and 8 joints at 100 mm are within 150 mm: 9 / 17
    assert metrics['PCK'] == pytest.approx(900. / 17)
    # PCK@0 = 1/17, PCK@150 = 9/17
    assert metrics['AUC'] == pytest.approx(100 * (1. + 9.) / 17 / 2)
    assert metrics['MPJPE'] == pytest.approx((8 * 100 + 8 * 200) / 17)


def test_multi_hypothesis_oracles_and_aggregations():
    gt = np.zeros((1, 17, 3))
    hyp_a = gt.copy()
    hyp_a[0, 1, 0] = 0.010  # hypothesis A: 10 mm off at joint 1
    hyp_b = gt.copy()
    hyp_b[0, 2, 0] = 0.020  # hypothesis B: 20 mm off at joint 2
    hyps = np.stack([hyp_a, hyp_b])  # (H=2, T=1, K, 3)
    sample = make_sample(hyp_b, gt, keypoints_hypotheses=hyps)
    metrics = evaluate(MultiHypothesisMPJPE(modes=['mpjpe']), [sample])
    assert metrics['MPJPE_J-Best (oracle)'] == pytest.approx(0.)
    assert metrics['MPJPE_P-Best (oracle)'] == pytest.approx(10. / 17)
    assert metrics['MPJPE_J-Agg'] == pytest.approx(20. / 17)
    # the mean hypothesis is 5 mm off at joint 1 and 10 mm off at joint 2
    assert metrics['MPJPE_P-Agg'] == pytest.approx(15. / 17)


def test_multi_hypothesis_requires_hypotheses():
    gt = np.zeros((1, 17, 3))
    with pytest.raises(KeyError, match='keypoints_hypotheses'):
        MultiHypothesisMPJPE().process([], [make_sample(gt, gt)])
