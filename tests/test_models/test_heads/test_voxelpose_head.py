# Copyright (c) mmlpose contributors. All rights reserved.
"""VoxelPoseMapHead (CPP stage-1 pose maps) and PoseDeconvNeck."""
import numpy as np
import pytest
import torch

from mmlpose.datasets.transforms import (GenerateVoxelPoseTargets,
                                         PackL3DInputs, ResizeL3D)
from mmlpose.models.heads import VoxelPoseMapHead
from mmlpose.models.necks import PoseDeconvNeck
from mmlpose.registry import MODELS

torch.set_num_threads(1)

IN_WH, HM_WH = (240, 128), (60, 32)


def _sample(seed: int, people: int = 2):
    """A packed sample with targets: people (15 joints) spread over a
    1920x1080 image, resized to 240x128 (60x32 heatmaps)."""
    rng = np.random.default_rng(seed)
    centres = np.stack(
        [rng.uniform(300, 1600, people),
         rng.uniform(300, 800, people)], -1)
    kp = centres[:, None] + rng.normal(0, 80, (people, 15, 2))
    cam = np.concatenate([
        kp,
        rng.uniform(2500, 5000, (people, 1, 1)) * np.ones((people, 15, 1))
    ], -1)
    results = dict(
        ori_shape=(1080, 1920),
        keypoints_2d=kp,
        keypoints_2d_visible=np.ones((people, 15), bool),
        keypoints_3d_cam=cam)
    results = ResizeL3D(IN_WH)(results)
    results = GenerateVoxelPoseTargets(HM_WH, sigma=1.5)(results)
    results['img'] = np.zeros((IN_WH[1], IN_WH[0], 3), np.uint8)
    return PackL3DInputs()(results)['data_samples']


def _head(**kwargs):
    cfg = dict(
        type='VoxelPoseMapHead',
        in_channels=8,
        feat_channels=16,
        num_convs=1,
        heatmap_size=HM_WH)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _perfect_outputs(samples):
    """Outputs equal to the targets (box / depth written at the roots)."""
    hm = torch.stack([s.gt_fields.heatmaps for s in samples])
    root = torch.stack([s.gt_fields.root_heatmap for s in samples])
    n, _, h, w = hm.shape
    box = torch.zeros(n, 2, h * w)
    depth = torch.full((n, 1, h * w), 3.)
    for i, s in enumerate(samples):
        lab = s.gt_instance_labels
        for p in torch.nonzero(lab.reg_mask > 0)[:, 0]:
            box[i, :, lab.root_ind[p]] = lab.box_wh[p]
            depth[i, 0, lab.root_ind[p]] = lab.root_depth[p]
    return dict(
        heatmaps=hm,
        root_heatmap=root,
        box_wh=box.reshape(n, 2, h, w),
        root_depth=depth.reshape(n, 1, h, w))


def test_shapes_and_tiny_backbone_config():
    head = _head()
    out = head(torch.randn(2, 8, 32, 60))
    assert {
        k: tuple(v.shape)
        for k, v in out.items()
    } == dict(
        heatmaps=(2, 15, 32, 60),
        root_heatmap=(2, 1, 32, 60),
        root_depth=(2, 1, 32, 60),
        box_wh=(2, 2, 32, 60),
        features=(2, 16, 32, 60))
    assert torch.allclose(out['root_depth'], torch.tensor(4.), atol=0.1)
    # config path of the tiny model: ResNet-18 + deconv neck, 240x128 -> 60x32
    backbone = MODELS.build(
        dict(type='mmdet.ResNet', depth=18, out_indices=(0, 3)))
    neck = MODELS.build(
        dict(
            type='PoseDeconvNeck',
            in_channels=512,
            out_channels=(32, 32, 32),
            align_index=0))
    head = _head(in_channels=32)
    with torch.no_grad():
        feats = backbone(torch.randn(1, 3, 128, 240))
        assert feats[-1].shape[-2:] == (4, 8)  # 7.5 rounded up
        out = head(neck(feats))
    assert out['heatmaps'].shape == (1, 15, 32, 60)
    # without alignment the deconvs give 64x32: a clear error in the head
    neck_raw = PoseDeconvNeck(512, (32, 32, 32))
    with torch.no_grad(), pytest.raises(ValueError, match='heatmap_size'):
        head(neck_raw(feats))


def test_deconv_neck_strides():
    neck = PoseDeconvNeck(16, (8, 8, 8))
    (x, ) = neck(torch.randn(1, 16, 16, 30))
    assert x.shape == (1, 8, 128, 240)  # 960x512 / 32 -> / 4
    with pytest.raises(ValueError, match=r'expects \(N, 16, h, w\)'):
        neck(torch.randn(1, 4, 16, 30))
    with pytest.raises(ValueError, match='outside the 1 backbone maps'):
        PoseDeconvNeck(16, align_index=1)(torch.randn(1, 16, 4, 8))


def test_loss_zero_on_perfect_targets_and_falls():
    samples = [_sample(0), _sample(1, people=3)]
    assert samples[0].gt_fields.heatmaps.shape == (15, 32, 60)
    assert samples[0].gt_instance_labels.reg_mask.sum() == 2
    head = _head()
    losses = head.loss(_perfect_outputs(samples), samples)
    assert set(losses) == {
        'loss_heatmap', 'loss_root_heatmap', 'loss_box', 'loss_depth'
    }
    for name, value in losses.items():
        assert float(value) < 1e-6, name
    worse = _perfect_outputs(samples)
    worse['root_depth'] = worse['root_depth'] + 0.5
    # mean |error| over the 5 valid people: 0.5 m
    assert float(head.loss(worse, samples)['loss_depth']) == \
        pytest.approx(0.5, abs=1e-5)

    torch.manual_seed(0)
    head = _head(num_convs=2)
    feats = torch.randn(2, 8, 32, 60)
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)
    history = []
    for _ in range(60):
        losses = head.loss(head(feats), samples)
        total = sum(losses.values())
        opt.zero_grad()
        total.backward()
        opt.step()
        history.append({k: v.item() for k, v in losses.items()})
    for key in history[0]:
        assert history[-1][key] < 0.7 * history[0][key], (key, history[-1])


def test_loss_errors():
    head = _head()
    samples = [_sample(0)]
    out = head(torch.randn(1, 8, 32, 60))
    with pytest.raises(ValueError, match='2 data samples for a batch of 1'):
        head.loss(out, samples * 2)
    bad = _head(heatmap_size=(30, 16))
    with pytest.raises(ValueError, match='do not match the outputs'):
        bad.loss(bad(torch.randn(1, 8, 16, 30)), samples)
    with pytest.raises(KeyError, match='GenerateVoxelPoseTargets'):
        from mmpose.structures import PoseDataSample
        head.loss(out, [PoseDataSample()])
    with pytest.raises(ValueError, match=r'expects features \(N, 8, h, w\)'):
        head(torch.randn(1, 4, 32, 60))
    with pytest.raises(ValueError, match='heatmap_size'):
        head(torch.randn(1, 8, 30, 60))
    with pytest.raises(ValueError, match='in_index 2 outside'):
        _head(in_index=2)((torch.randn(1, 8, 32, 60), ))


def test_decode_peaks_hand_placed():
    hm = torch.zeros(1, 1, 32, 60)
    hm[0, 0, 5, 10] = 0.9
    hm[0, 0, 20, 40] = 0.6
    hm[0, 0, 20, 41] = 0.5  # neighbour of a higher peak: suppressed
    hm[0, 0, 30, 50] = 0.2  # below the threshold
    depth = torch.full((1, 1, 32, 60), 1.)
    depth[0, 0, 5, 10], depth[0, 0, 20, 40] = 3.5, 4.25
    box = torch.zeros(1, 2, 32, 60)
    box[0, :, 5, 10] = torch.tensor([12., 30.])
    outputs = dict(root_heatmap=hm, root_depth=depth, box_wh=box)
    res = VoxelPoseMapHead.decode_peaks(outputs, k=3, input_size=IN_WH)
    assert set(res) == {
        'scores', 'valid', 'indices', 'centres', 'box_wh', 'depth',
        'centres_input', 'box_wh_input'
    }
    torch.testing.assert_close(res['scores'], torch.tensor([[0.9, 0.6, 0.2]]))
    assert res['valid'].tolist() == [[True, True, False]]
    torch.testing.assert_close(res['centres'][0, :2],
                               torch.tensor([[10., 5.], [40., 20.]]))
    assert res['indices'][0, 0] == 5 * 60 + 10
    torch.testing.assert_close(res['depth'][0, :2], torch.tensor([3.5, 4.25]))
    torch.testing.assert_close(res['box_wh'][0, 0], torch.tensor([12., 30.]))
    torch.testing.assert_close(res['centres_input'][0, 0],
                               torch.tensor([42., 22.]))  # (c + .5) * 4
    torch.testing.assert_close(res['box_wh_input'][0, 0],
                               torch.tensor([48., 120.]))
    # k and the threshold
    one = VoxelPoseMapHead.decode_peaks(outputs, k=1)
    assert one['centres'].shape == (1, 1, 2) and one['valid'].all()
    low = VoxelPoseMapHead.decode_peaks(outputs, k=3, threshold=0.1)
    assert low['valid'].all()
    high = VoxelPoseMapHead.decode_peaks(outputs, k=3, threshold=0.95)
    assert not high['valid'].any()
    # more candidates than maxima: the extra ones are invalid
    many = VoxelPoseMapHead.decode_peaks(outputs, k=8, threshold=0.1)
    assert many['valid'].tolist() == [[True] * 3 + [False] * 5]
    # on the targets of a packed sample: the roots come back
    sample = _sample(0)
    lab = sample.gt_instance_labels
    res = VoxelPoseMapHead.decode_peaks(
        dict(
            root_heatmap=sample.gt_fields.root_heatmap[None],
            root_depth=torch.ones(1, 1, 32, 60),
            box_wh=torch.zeros(1, 2, 32, 60)),
        k=10)
    assert res['valid'].sum() == 2
    assert sorted(res['indices'][res['valid']].tolist()) == \
        sorted(lab.root_ind[lab.reg_mask > 0].tolist())


def test_decode_peaks_errors():
    good = dict(
        root_heatmap=torch.zeros(2, 1, 8, 8),
        root_depth=torch.zeros(2, 1, 8, 8),
        box_wh=torch.zeros(2, 2, 8, 8))
    with pytest.raises(ValueError, match=r'root_heatmap must be \(N, 1'):
        VoxelPoseMapHead.decode_peaks(
            dict(good, root_heatmap=torch.zeros(2, 8, 8)))
    with pytest.raises(ValueError, match='do not match root_heatmap'):
        VoxelPoseMapHead.decode_peaks(
            dict(good, box_wh=torch.zeros(2, 1, 8, 8)))
    with pytest.raises(ValueError, match=r'k must be in \[1, 64\]'):
        VoxelPoseMapHead.decode_peaks(good, k=65)
    with pytest.raises(ValueError, match='nms_kernel must be odd'):
        VoxelPoseMapHead.decode_peaks(good, nms_kernel=2)
    with pytest.raises(KeyError, match='root_depth'):
        VoxelPoseMapHead.decode_peaks(
            dict(root_heatmap=torch.zeros(1, 1, 2, 2)))
