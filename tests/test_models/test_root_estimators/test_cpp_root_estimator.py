# Copyright (c) mmlpose contributors. All rights reserved.
"""CPPRootEstimator with the real Panoptic calibration and bodies."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from mmlpose.datasets.transforms import GenerateVoxelPoseTargets, ResizeL3D
from mmlpose.models.heads import VoxelPoseMapHead
from mmlpose.models.root_estimators import CPPRootEstimator
from mmlpose.registry import MODELS
from mmlpose.structures.panoptic import (LOADER_AXES, PANOPTIC_ROOT,
                                         load_hd_camera, project_to_image,
                                         world_to_camera_mm)

torch.set_num_threads(1)

SEQ, FRAME = '160906_band1', 168


@pytest.fixture(scope='module')
def scene(shared_data):
    """Camera 16 of the real calibration and the real bodies (loader axes,
    mm) of ``body3DScene_00000168.json``."""
    root = osp.join(shared_data, 'panoptic_body3d', SEQ)
    cam = load_hd_camera(osp.join(root, f'calibration_{SEQ}.json'), 16)
    with open(
            osp.join(root, 'hdPose3d_stage1_coco19',
                     f'body3DScene_{FRAME:08d}.json')) as f:
        bodies = json.load(f)['bodies']
    kp3d = np.stack([
        np.asarray(b['joints19'], np.float64).reshape(-1, 4)[:15, :3]
        for b in bodies
    ]) @ LOADER_AXES * 10.
    return cam, kp3d


def _resized(cam, kp3d, input_size):
    """ResizeL3D of the bodies' projections: input px, trans, results."""
    results = dict(
        ori_shape=(1080, 1920),
        keypoints_2d=project_to_image(kp3d, cam),
        keypoints_3d_cam=world_to_camera_mm(kp3d, cam))
    results = ResizeL3D(input_size)(results)
    return results


@pytest.mark.parametrize('input_size', [(960, 512), (240, 128)])
def test_real_roots_come_back_within_1mm(scene, input_size):
    cam, kp3d = scene
    res = _resized(cam, kp3d, input_size)
    roots = kp3d[:, PANOPTIC_ROOT]  # (P, 3)
    centres = res['input_keypoints_2d'][None, :, PANOPTIC_ROOT]  # (1, P, 2)
    depth = res['keypoints_3d_cam'][None, :, PANOPTIC_ROOT, 2] / 1000.
    est = MODELS.build(dict(type='CPPRootEstimator'))
    out = est.estimate(centres, depth, [cam], [res['trans']])
    assert out['roots'].shape == (1, len(roots), 3)
    np.testing.assert_allclose(out['roots'][0], roots, atol=1.)
    assert out['inside'].all()
    # torch in, torch out (on depth's device), differentiable w.r.t. depth
    d = torch.tensor(depth, dtype=torch.float64, requires_grad=True)
    t = est(
        torch.from_numpy(centres), d, [cam],
        torch.from_numpy(res['trans'])[None])
    assert isinstance(t, torch.Tensor) and t.shape == (1, len(roots), 3)
    np.testing.assert_allclose(t.detach().numpy()[0], roots, atol=1.)
    t.sum().backward()
    assert torch.isfinite(d.grad).all() and (d.grad != 0).all()


def test_decoded_target_peaks_land_near_the_roots(scene):
    """Targets -> decode_peaks -> estimator: the roots within the grid's
    quantisation (half a cell of 4 input px)."""
    cam, kp3d = scene
    res = _resized(cam, kp3d, (960, 512))
    res = GenerateVoxelPoseTargets((240, 128))(res)
    hm = torch.from_numpy(res['root_heatmap'])[None]
    depth = torch.zeros(1, 1, 128, 240).view(1, 1, -1)
    depth[0, 0, torch.from_numpy(res['root_ind'])] = torch.from_numpy(
        res['root_depth'])
    peaks = VoxelPoseMapHead.decode_peaks(
        dict(
            root_heatmap=hm,
            root_depth=depth.view(1, 1, 128, 240),
            box_wh=torch.zeros(1, 2, 128, 240)),
        k=10,
        input_size=(960, 512))
    valid = peaks['valid'][0]
    in_view = res['reg_mask'][:len(kp3d)] > 0  # body 0's root is below
    assert in_view.tolist() == [False, True, True]  # the image (v = 1179)
    assert int(valid.sum()) == 2
    roots = CPPRootEstimator()(peaks['centres_input'], peaks['depth'], [cam],
                               [res['trans']])[0][valid].numpy()
    gt = kp3d[in_view, PANOPTIC_ROOT]
    err = np.linalg.norm(roots[:, None] - gt[None], axis=-1).min(0)
    assert err.max() < 50.


def test_outside_space_flagged_and_clamped(scene):
    cam, kp3d = scene
    # body 1's root and, on the same ray (same pixel), 3x farther from the
    # camera: about (-3149, 5382, -2787) mm, outside in y and z
    near = kp3d[1, PANOPTIC_ROOT]
    far = cam['T'].reshape(3) + 3 * (near - cam['T'].reshape(3))
    assert far[1] > 3500 and far[2] < -400
    pts = np.stack([near, far])
    res = _resized(cam, pts[:, None].repeat(15, 1), (960, 512))
    centres = res['input_keypoints_2d'][None, :, 0]
    depth = res['keypoints_3d_cam'][None, :, 0, 2] / 1000.
    est = CPPRootEstimator()
    assert est.space_min == (-4000., -4500., -400.)
    assert est.space_max == (4000., 3500., 2000.)
    assert est.voxel_size == (100., 100., 100.)
    out = est.estimate(centres, depth, cam, res['trans'])
    assert out['inside'].tolist() == [[True, False]]
    np.testing.assert_allclose(out['roots_unclamped'][0], pts, atol=1.)
    np.testing.assert_allclose(
        out['roots'][0, 1], [far[0], 3500., -400.], atol=1.)
    raw = CPPRootEstimator(clamp=False)(centres, depth, cam, res['trans'])
    np.testing.assert_allclose(raw[0, 1], far, atol=1.)
    # a non-positive depth is never inside
    out = est.estimate(centres, -depth, cam, res['trans'])
    assert not out['inside'].any()
    # voxels of the 80 x 80 x 24 cube
    vox = est.voxel_index(
        np.array([[-4000., -4500., -400.], [3999., 3499., 1999.],
                  [0., 0., 9e9]]))
    assert vox.tolist() == [[0, 0, 0], [79, 79, 23], [40, 45, 23]]
    assert est.inside_space(torch.tensor([[0., 0., 800.]])).tolist() == [True]


def test_errors(scene):
    cam, _ = scene
    est = CPPRootEstimator()
    trans = np.eye(2, 3)
    with pytest.raises(ValueError, match=r'centres_px must be \(N, k, 2\)'):
        est(np.zeros((2, 2)), np.ones(2), [cam], [trans])
    with pytest.raises(ValueError, match=r'depth must be \(N, k\)'):
        est(np.zeros((1, 3, 2)), np.ones((1, 2)), [cam], [trans])
    with pytest.raises(ValueError, match='2 cameras / 1 affines'):
        est(np.zeros((1, 3, 2)), np.ones((1, 3)), [cam, cam], [trans])
    with pytest.raises(ValueError, match=r'trans must be a \(2, 3\)'):
        est(np.zeros((1, 3, 2)), np.ones((1, 3)), [cam], [np.eye(3)])
    with pytest.raises(KeyError, match='camera lacks'):
        est(np.zeros((1, 3, 2)), np.ones((1, 3)), [dict(K=cam['K'])], [trans])
    with pytest.raises(ValueError, match='space_size must be 3 values'):
        CPPRootEstimator(space_size=(8000, 8000))
