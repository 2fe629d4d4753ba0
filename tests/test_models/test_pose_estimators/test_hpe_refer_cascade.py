# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmlpose.datasets.transforms import SimulateDetections2D
from mmlpose.evaluation.metrics import L3DHPEMetric
from mmlpose.registry import MODELS
from mmlpose.structures.panoptic import (LOADER_AXES, camera_from_calibration,
                                         project_to_image)

torch.set_num_threads(1)
COLOURS = dict(
    red=(0.1, 0.1, 0.85, 0.1, 0.1, 0.1),
    blue=(0.8, 0.2, 0.1, 0.1, 0.1, 0.1),
    green=(0.2, 0.7, 0.2, 0.1, 0.1, 0.1))
CAMERA = camera_from_calibration(
    dict(
        name='00_16',
        R=np.eye(3).tolist(),
        t=[[0.], [0.], [0.]],
        K=[[1400., 0., 960.], [0., 1400., 540.], [0., 0., 1.]],
        distCoef=[0.] * 5,
        resolution=[1920, 1080]))

# A standing Panoptic-15 person in Panoptic world axes (cm, y down).
_TEMPLATE = np.array(
    [[0, -150, 0], [0, -165, -5], [0, -95, 0], [-20, -148, 0], [-28, -120, 0],
     [-32, -95, 0], [-12, -95, 0], [-12, -50, 0], [-12, -5, 0], [20, -148, 0],
     [28, -120, 0], [32, -95, 0], [12, -95, 0], [12, -50, 0], [12, -5, 0]],
    float)


def _scene(xs=(-120., 0., 120.), depth=450.):
    """``(P, 6, 15, 3)`` mm loader axes of people walking slowly, and
    their ``(P, 6, 15, 2)`` pixels."""
    world = np.stack([
        np.stack(
            [_TEMPLATE + [x + 4 * f, 0., depth + 3 * f] for f in range(6)])
        for x in xs
    ]) * 10.
    loader = world @ LOADER_AXES
    return loader.astype(np.float32), project_to_image(loader, CAMERA)


def _sample(shirts, described, seed, current_idx=2):
    """One sample: people wearing ``shirts`` (left to right), the sentence
    names the ``described`` colour; detections from SimulateDetections2D."""
    k3d, k2d = _scene()
    res = SimulateDetections2D(
        miss_prob=0., drop_prob=0., test_mode=True, seed=seed)(
            dict(
                window_keypoints_2d=k2d,
                window_visible=np.ones(k2d.shape[:3], bool),
                current_idx=current_idx,
                sample_idx=0))
    gt_cur = res['det_gt_index'][current_idx]
    colours = np.array(
        [COLOURS[shirts[p]] if p >= 0 else (0, ) * 6 for p in gt_cur],
        np.float32)
    s = PoseDataSample(
        metainfo=dict(
            text=f'the person in the {described} shirt',
            category_name='appearance',
            referred_index=shirts.index(described),
            current_idx=current_idx,
            ori_shape=(1080, 1920),
            camera=CAMERA,
            det_keypoints_2d=res['det_keypoints_2d'],
            det_keypoint_scores=res['det_keypoint_scores'],
            det_gt_index=res['det_gt_index'],
            det_colours=colours))
    s.gt_instances = InstanceData(
        keypoints_3d=k3d[:, current_idx],
        keypoints_3d_visible=np.ones((3, 15), bool))
    return s


def _batch():
    samples = [
        _sample(('red', 'blue', 'green'), 'red', 0),
        _sample(('red', 'blue', 'green'), 'blue', 1),
        _sample(('blue', 'green', 'red'), 'red', 2),
        _sample(('green', 'red', 'blue'), 'green', 3),
    ]
    inputs = [torch.zeros(1, 3, 8, 8, dtype=torch.uint8) for _ in samples]
    return dict(inputs=inputs, data_samples=samples)


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='HPEReferCascade',
            fusion=dict(
                type='SkeletonTextFusion',
                embed_dims=32,
                num_layers=1,
                num_heads=2,
                dropout=0.)))


def test_loss_falls_and_predicts_the_referred_person(model):
    optim = OptimWrapper(
        torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                          lr=3e-3))
    data = _batch()
    model.train()
    losses = []
    for _ in range(30):
        log = model.train_step(data, optim)
        losses.append(float(torch.as_tensor(log['loss_refer']).detach()))
        assert set(log) >= {
            'loss', 'loss_refer', 'loss_refer_bce', 'acc_refer'
        }
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    model.eval()
    out = model.test_step(_batch())
    metric = L3DHPEMetric()
    metric.process({}, out)
    result = metric.compute_metrics(metric.results)
    assert result['PICI'] == 100.
    for s in out:
        kp = s.pred_instances.keypoints_3d
        assert kp.shape == (1, 15, 3) and kp.dtype == np.float32
        ref = s.gt_instances.keypoints_3d[s.metainfo['referred_index']]
        # absolute millimetres, loader axes (z up): near the referred person
        # (the root depth carries the lifter's body-size error, ~15 % here)
        assert np.linalg.norm(kp[0, 2] - ref[2]) < 1000.
        assert 1000. < kp[0, :, 2].max() - kp[0, :, 2].min() < 2500.
        probs = s.pred_track_scores
        assert probs.shape == (3, ) and probs.sum() == pytest.approx(1.)
        assert s.pred_instances.scores[0] == pytest.approx(probs.max())
    assert result['MPJPE-L'] < 1000.


def test_missed_referred_person_and_empty_frames(model):
    sample = _sample(('red', 'blue', 'green'), 'red', 0)
    gt = sample.metainfo['det_gt_index'].copy()
    kp = sample.metainfo['det_keypoints_2d'].copy()
    slot = int(np.flatnonzero(gt[2] == 0)[0])
    gt[2, slot] = -1
    kp[2, slot] = np.nan  # the referred person is missed now: no target
    sample.set_metainfo(dict(det_gt_index=gt, det_keypoints_2d=kp))
    losses = model(None, [sample], mode='loss')
    assert float(losses['loss_refer'].detach()) == 0.
    losses['loss_refer'].backward()  # still a graph
    empty = _sample(('red', 'blue', 'green'), 'red', 0)
    kp = empty.metainfo['det_keypoints_2d'].copy()
    kp[2] = np.nan
    empty.set_metainfo(dict(det_keypoints_2d=kp))
    out = model(None, [empty], mode='predict')[0]
    assert out.pred_instances.keypoints_3d.shape == (0, 15, 3)
    assert out.pred_track_scores.shape == (0, )
    logits = model(None, [_sample(('red', 'blue', 'green'), 'red', 0)])
    assert logits.shape == (3, )


def test_bad_input(model):
    sample = PoseDataSample(metainfo=dict(text='a person', current_idx=0))
    with pytest.raises(KeyError, match='SimulateDetections2D'):
        model(None, [sample], mode='loss')
    bad = _sample(('red', 'blue', 'green'), 'red', 0)
    bad.set_metainfo(dict(det_colours=np.zeros((2, 6), np.float32)))
    with pytest.raises(ValueError, match='det_colours'):
        model(None, [bad], mode='predict')
    with pytest.raises(ValueError, match='invalid mode'):
        model(None, [bad], mode='nope')
