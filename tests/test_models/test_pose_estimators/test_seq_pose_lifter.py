# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import torch
from mmengine.structures import InstanceData
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.structures import PoseDataSample

from mmlpose.datasets.h36m_text_dataset import mmpose_dataset_cfg
from mmlpose.models.utils import flip_pose
from mmlpose.registry import MODELS

FLIP_INDICES = parse_pose_metainfo(
    dict(from_file=mmpose_dataset_cfg('h36m')))['flip_indices']


def tiny_lifter(flip_test=False):
    model = MODELS.build(
        dict(
            type='SeqPoseLifter',
            backbone=dict(
                type='MixSTE', seq_len=5, embed_dim=16, depth=1,
                num_heads=2, drop_path_rate=0.),
            head=dict(
                type='SeqRegressionHead',
                in_channels=16,
                loss=[dict(type='WeightedMPJPELoss'),
                      dict(type='MPJVELoss', loss_weight=2.)]),
            test_cfg=dict(flip_test=flip_test)))
    model.init_weights()
    return model.eval()


def samples(batch, frames=5, target=None):
    out = []
    for i in range(batch):
        s = PoseDataSample(metainfo=dict(flip_indices=FLIP_INDICES))
        if target is not None:
            s.gt_instance_labels = InstanceData(
                lifting_target_label=target[i],
                lifting_target_weight=torch.ones(frames, 17))
        out.append(s)
    return out


def predict(model, x):
    return np.stack([
        np.asarray(r.pred_instances.keypoints)
        for r in model.predict(x, samples(len(x)))
    ])


def test_flip_pose_is_an_involution_and_negates_x():
    pose = torch.randn(2, 5, 17, 3)
    flipped = flip_pose(pose, FLIP_INDICES)
    torch.testing.assert_close(flip_pose(flipped, FLIP_INDICES), pose)
    # right hip (1) of the flipped pose is the mirrored left hip (4)
    torch.testing.assert_close(flipped[..., 1, 0], -pose[..., 4, 0])
    torch.testing.assert_close(flipped[..., 1, 1:], pose[..., 4, 1:])


def test_predict_shape_and_root_relative_output():
    torch.manual_seed(0)
    model = tiny_lifter()
    x = torch.rand(2, 5, 17, 2)
    out = model.predict(x, samples(2))
    preds = np.stack([np.asarray(r.pred_instances.keypoints) for r in out])
    assert preds.shape == (2, 5, 17, 3)
    # the head's output with its root joint pinned to the origin, no decoder
    with torch.no_grad():
        raw = model.head(model.extract_feat(x)).numpy()
    np.testing.assert_allclose(preds, raw - raw[..., :1, :], atol=1e-7)
    assert np.abs(raw[..., 0, :]).max() > 1e-4  # so the pinning is tested
    np.testing.assert_array_equal(out[0].pred_instances.keypoint_scores,
                                  np.ones((5, 17), np.float32))


def test_flip_test_prediction_is_mirror_equivariant():
    torch.manual_seed(0)
    model = tiny_lifter(flip_test=True)
    x = torch.rand(1, 5, 17, 2) - 0.5
    pred = torch.from_numpy(predict(model, x))
    pred_of_flipped = torch.from_numpy(
        predict(model, flip_pose(x, FLIP_INDICES)))
    torch.testing.assert_close(
        pred_of_flipped, flip_pose(pred, FLIP_INDICES), atol=1e-5, rtol=1e-5)


def test_loss_keys_and_a_few_steps_reduce_it():
    torch.manual_seed(0)
    model = tiny_lifter().train()
    x = torch.rand(4, 5, 17, 2)
    target = torch.randn(4, 5, 17, 3) * 0.1
    target = target - target[..., :1, :]
    data_samples = samples(4, target=target)
    losses = model.loss(x, data_samples)
    assert set(losses) == {'loss_weightedmpjpe', 'loss_mpjve', 'mpjpe'}
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(30):
        losses = model.loss(x, data_samples)
        total = losses['loss_weightedmpjpe'] + losses['loss_mpjve']
        first = first if first is not None else total.item()
        opt.zero_grad()
        total.backward()
        opt.step()
    assert total.item() < 0.5 * first


def test_state_dict_round_trip(tmp_path):
    """Saved weights load into a differently initialised lifter, strictly,
    and give the same predictions."""
    from mmengine.runner import load_checkpoint
    torch.manual_seed(0)
    model = tiny_lifter()
    path = tmp_path / 'lifter.pth'
    torch.save({'state_dict': model.state_dict()}, path)
    torch.manual_seed(1)
    other = tiny_lifter()
    x = torch.rand(1, 5, 17, 2)
    assert np.abs(predict(model, x) - predict(other, x)).max() > 1e-3
    load_checkpoint(other, str(path), strict=True)
    np.testing.assert_array_equal(predict(model, x), predict(other, x))
    for key, value in model.state_dict().items():
        torch.testing.assert_close(other.state_dict()[key], value, rtol=0,
                                   atol=0)
