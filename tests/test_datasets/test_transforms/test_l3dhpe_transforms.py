# Copyright (c) mmlpose contributors. All rights reserved.
"""Panoptic-L3D pipeline: frames, masks, the VoxelPose resize, heatmap / root
targets, packing and the batch preprocessor."""
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose, pseudo_collate

from mmlpose.datasets import PanopticL3DDataset
from mmlpose.datasets.transforms import (GenerateVoxelPoseTargets,
                                         LoadL3DFrames, PackL3DInputs,
                                         ResizeL3D)
from mmlpose.registry import MODELS

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
import panoptic_l3d_release as rel  # noqa: E402

PIPELINE = [
    dict(type='LoadL3DFrames'),
    dict(type='LoadReferMask'),
    dict(type='ResizeL3D', input_size=(960, 512)),
    dict(type='GenerateVoxelPoseTargets', heatmap_size=(240, 128), sigma=2),
]
# 1920 x 1080 -> 960 x 512: padded to 2025 x 1080 (the input's 15 : 8),
# scale 960 / 2025, x' = s (x - 960) + 480, y' = s (y - 540) + 256
S = 960 / 2025
TX = 480 - S * 960


@pytest.fixture(scope='module')
def root(tmp_path_factory, shared_data):
    out = str(tmp_path_factory.mktemp('l3dt') / 'Panoptic-L3D')
    rel.write_release(out, shared_data)
    return out


@pytest.fixture(scope='module')
def sample(root):
    ds = PanopticL3DDataset(data_root=root, ann_file='sentences_train.json')
    info = ds[0]
    return info, Compose(PIPELINE)(dict(info))


def test_resize_maps_points_by_hand():
    img = np.zeros((1080, 1920, 3), np.uint8)
    img[530:551, 950:971] = 255  # a white square at the centre
    pts = np.array([[[960., 540.], [0., 0.], [1919., 1079.], [-100., 40.],
                     [np.nan, np.nan]]])
    res = ResizeL3D((960, 512))(
        dict(
            img=img,
            imgs=[img, img],
            input_current_idx=1,
            keypoints_2d=pts,
            keypoints_2d_visible=np.ones((1, 5), bool),
            gt_masks=img[None, ..., 0] > 0,
            gt_mask=img[..., 0] > 0))
    np.testing.assert_allclose(
        res['trans'], [[S, 0, TX], [0, S, 0]], atol=1e-9)
    kp = res['input_keypoints_2d'][0]
    np.testing.assert_allclose(kp[0], [480, 256], atol=1e-4)
    np.testing.assert_allclose(kp[1], [TX, 0], atol=1e-4)
    np.testing.assert_allclose(kp[2], [TX + S * 1919, S * 1079], atol=1e-3)
    np.testing.assert_allclose(kp[3], [TX - S * 100, S * 40], atol=1e-3)
    assert res['input_keypoints_2d_visible'][0].tolist() == [
        True, True, True, False, False
    ]
    np.testing.assert_array_equal(res['keypoints_2d'], pts)  # untouched
    assert res['img'].shape == (512, 960, 3) and len(res['imgs']) == 2
    assert res['img_shape'] == (512, 960) and res['input_size'] == (960, 512)
    assert res['img'][256, 480].min() > 200  # the square moved to the centre
    assert res['img'][256, :20].max() == 0  # black padding left of x = 24.9
    assert res['gt_mask'].dtype == bool and res['gt_mask'][256, 480]
    assert res['gt_masks'].shape == (1, 512, 960)
    assert res['gt_mask'].sum() == pytest.approx(21 * 21 * S * S, rel=0.25)


def test_heatmap_gaussian_by_hand():
    gen = GenerateVoxelPoseTargets(
        heatmap_size=(240, 128), sigma=2, max_people=3)
    kp = np.zeros((1, 15, 2))
    kp[0, :] = [100.9, 40.2]  # stride 4: heatmap cell (25, 10)
    vis = np.zeros((1, 15), bool)
    vis[0, [0, 2]] = True
    cam = np.zeros((1, 15, 3))
    cam[0, 2] = [100., -50., 3456.]
    out = gen(
        dict(
            input_keypoints_2d=kp,
            input_keypoints_2d_visible=vis,
            input_size=(960, 512),
            keypoints_3d_cam=cam))
    hm = out['heatmaps']
    assert hm.shape == (15, 128, 240) and hm.dtype == np.float32
    assert hm[0, 10, 25] == 1.0 and hm[0].argmax() == 10 * 240 + 25
    assert hm[0, 10, 26] == pytest.approx(np.exp(-1 / 8), rel=1e-6)
    assert hm[0, 12, 25] == pytest.approx(np.exp(-4 / 8), rel=1e-6)
    assert hm[0, 10, 32] == 0  # cut beyond 3 sigma
    assert hm[1].max() == 0  # not visible
    assert out['root_heatmap'].shape == (1, 128, 240)
    assert out['root_heatmap'][0, 10, 25] == 1.0
    assert out['root_ind'].tolist() == [10 * 240 + 25, 0, 0]
    assert out['root_depth'][0] == pytest.approx(3.456)
    assert out['reg_mask'].tolist() == [1, 0, 0]
    np.testing.assert_allclose(out['box_wh'], 0)  # one point: no extent
    with pytest.raises(KeyError, match='ResizeL3D'):
        gen(dict(keypoints_3d_cam=cam))
    with pytest.raises(ValueError, match='max_people'):
        gen(
            dict(
                input_keypoints_2d=np.zeros((4, 15, 2)),
                input_size=(960, 512),
                keypoints_3d_cam=np.zeros((4, 15, 3))))


def test_pipeline_on_release(sample, shared_data):
    info, res = sample
    assert len(res['imgs']) == 6 and res['imgs'][0].shape == (512, 960, 3)
    assert res['frame_valid'] is True
    kp = res['input_keypoints_2d']
    np.testing.assert_allclose(
        kp, info['keypoints_2d'] * S + np.array([TX, 0]), atol=1e-3)
    vis = res['input_keypoints_2d_visible']
    np.testing.assert_array_equal(vis, info['keypoints_2d_visible'])
    # the heatmap peaks (1) at each visible joint's cell
    cells = np.floor(kp / 4).astype(int)
    hm = res['heatmaps']
    for p in range(3):
        for j in np.flatnonzero(vis[p]):
            assert hm[j, cells[p, j, 1], cells[p, j, 0]] == 1.0
    # root targets: 3 people, root depth = camera z of BodyCenter (metres)
    raw = np.array([
        np.asarray(b['joints19']).reshape(-1, 4)[2, :3]
        for b in rel.source_bodies(shared_data)
    ])
    cam = rel.hd_camera(shared_data)
    z_m = (raw @ np.asarray(cam['R']).T +
           np.asarray(cam['t']).reshape(3))[:, 2] / 100.
    np.testing.assert_allclose(res['root_depth'][:3], z_m, rtol=1e-5)
    assert res['root_depth'][3:].tolist() == [0] * 7
    # body 0's root projects below the image (y = 1178.6): no root target
    assert info['keypoints_2d'][0, 2, 1] > 1079
    assert res['reg_mask'].tolist() == [0] + [1] * 2 + [0] * 7
    root_flat = cells[1:, 2, 1] * 240 + cells[1:, 2, 0]
    assert res['root_ind'][:3].tolist() == [0] + root_flat.tolist()
    assert np.all(res['root_heatmap'][0].reshape(-1)[root_flat] == 1.0)
    assert res['root_heatmap'].sum() < 2 * 2 * np.pi * 4 + 1e-3  # 2 roots
    # box of the referred person: extent of its visible 2D / 4
    pts = kp[1, vis[1]]
    np.testing.assert_allclose(
        res['box_wh'][1], (pts.max(0) - pts.min(0)) / 4, rtol=1e-5)
    # masks in input coordinates, the referred one among them
    assert res['gt_masks'].shape == (3, 512, 960)
    np.testing.assert_array_equal(res['gt_masks'][1], res['gt_mask'])
    assert res['gt_mask'].sum() == pytest.approx(
        info_mask_pixels(info) * S * S, rel=0.05)


def info_mask_pixels(info):
    from PIL import Image
    return int((np.asarray(Image.open(info['mask_path'])) == 2).sum())


def test_pack_shapes(sample):
    info, res = sample
    res = dict(res)
    res['det_keypoints_2d'] = np.ones((6, 3, 15, 2), np.float32)
    res['det_gt_index'] = np.arange(18).reshape(6, 3)
    packed = PackL3DInputs()(res)
    x = packed['inputs']
    assert x.dtype == torch.uint8 and x.shape == (6, 3, 512, 960)
    np.testing.assert_array_equal(x[1].permute(1, 2, 0).numpy(), res['img'])
    ds = packed['data_samples']
    meta = ds.metainfo
    assert meta['text'] == info['text'] and meta['referred_index'] == 1
    assert meta['num_people'] == 3 and meta['current_idx'] == 1
    assert meta['frame_ids'].tolist() == [157, 165, 190, 224, 258, 292]
    assert meta['trans'].shape == (2, 3)
    assert meta['input_size'] == (960, 512)
    assert meta['frame_valid'] is True
    assert meta['category_name'] == 'behaviour'
    np.testing.assert_array_equal(meta['det_keypoints_2d'],
                                  res['det_keypoints_2d'])
    np.testing.assert_array_equal(meta['det_gt_index'], res['det_gt_index'])
    assert 'det_colours' not in meta
    gi = ds.gt_instances
    assert len(gi) == 3
    assert gi.keypoints_3d.shape == (3, 15, 3)
    assert gi.window_keypoints_3d.shape == (3, 6, 15, 3)
    assert gi.window_visible.shape == (3, 6, 15)
    assert gi.input_keypoints_2d.shape == (3, 15, 2)
    assert gi.masks.shape == (3, 512, 960) and gi.masks.dtype == bool
    assert gi.body_ids.tolist() == [0, 1, 2]
    assert ds.gt_fields.heatmaps.shape == (15, 128, 240)
    assert ds.gt_fields.root_heatmap.shape == (1, 128, 240)
    gl = ds.gt_instance_labels
    assert len(gl) == 10 and gl.box_wh.shape == (10, 2)
    assert gl.root_ind.dtype == torch.int64
    assert torch.is_tensor(gl.root_depth)


def test_load_frames_options(root, tmp_path, shared_data):
    ds = PanopticL3DDataset(data_root=root, ann_file='sentences_train.json')
    info = ds[0]
    one = LoadL3DFrames(window=False)(dict(info))
    assert len(one['imgs']) == 1 and one['input_current_idx'] == 0
    assert one['img'].shape == (1080, 1920, 3)
    assert PackL3DInputs()(one)['inputs'].shape == (1, 3, 1080, 1920)
    # a flat current frame is flagged invalid
    blank = str(tmp_path / 'Panoptic-L3D')
    rel.write_release(blank, shared_data, blank_current=True)
    binfo = PanopticL3DDataset(
        data_root=blank, ann_file='sentences_train.json')[0]
    assert LoadL3DFrames()(dict(binfo))['frame_valid'] is False
    bad = dict(info, img_paths=['/nonexistent/00_16_00000001.jpg'] * 6)
    with pytest.raises(FileNotFoundError, match='frame not found'):
        LoadL3DFrames()(bad)


def test_preprocessor_normalisation():
    pre = MODELS.build(
        dict(
            type='L3DDataPreprocessor',
            mean=[10., 20., 30.],
            std=[2., 4., 5.],
            bgr_to_rgb=True))
    a = torch.zeros(2, 3, 4, 5, dtype=torch.uint8)
    a[:, 0] = 50  # B
    a[:, 1] = 60  # G
    a[:, 2] = 70  # R
    b = a.clone()
    b[1, 2, 0, 0] = 0
    out = pre(dict(inputs=[a, b], data_samples=[None, None]))
    x = out['inputs']
    assert x.shape == (2, 2, 3, 4, 5) and x.dtype == torch.float32
    # after the flip channel 0 is R: (70 - 10) / 2
    assert x[0, 0, 0, 0, 0].item() == pytest.approx(30.)
    assert x[0, 0, 1, 0, 0].item() == pytest.approx((60 - 20) / 4)
    assert x[0, 0, 2, 0, 0].item() == pytest.approx((50 - 30) / 5)
    assert x[1, 1, 0, 0, 0].item() == pytest.approx(-5.)
    plain = MODELS.build(dict(type='L3DDataPreprocessor'))
    y = plain(dict(inputs=[a], data_samples=[None]))['inputs']
    torch.testing.assert_close(y[0], a.float())
    with pytest.raises(ValueError, match='share one'):
        plain(dict(inputs=[a, a[:1]], data_samples=[None, None]))
    with pytest.raises(ValueError, match='both mean and std'):
        MODELS.build(dict(type='L3DDataPreprocessor', mean=[0, 0, 0]))


def test_collate_and_preprocess(sample):
    _, res = sample
    packed = PackL3DInputs()(dict(res))
    batch = pseudo_collate([packed])
    pre = MODELS.build(
        dict(
            type='L3DDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True))
    out = pre(batch)
    assert out['inputs'].shape == (1, 6, 3, 512, 960)
    assert len(out['data_samples']) == 1
