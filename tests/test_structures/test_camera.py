# Copyright (c) mmlpose contributors. All rights reserved.
import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from mmlpose.structures import (camera_to_world, project_points,
                                project_world_points, world_to_camera)


def _h36m_sample(shared_data):
    data = np.load(osp.join(shared_data, 'h36m', 'test_h36m_body3d.npz'))
    with open(osp.join(shared_data, 'h36m', 'cameras.pkl'), 'rb') as f:
        cameras = pickle.load(f)
    for i, imgname in enumerate(data['imgname']):
        subj, rest = osp.basename(imgname).split('_', 1)
        camera = rest.split('.')[1].split('_')[0]
        yield data['S'][i, :, :3], data['part'][i, :, :2], cameras[(subj,
                                                                    camera)]


def test_projection_reproduces_h36m_2d(shared_data):
    """Projecting the camera-frame 3D ground truth with cameras.pkl gives the
    released 2D ground truth; distortion is needed (about 2.4 px without)."""
    err_dist, err_pinhole = [], []
    for pts, part, cam in _h36m_sample(shared_data):
        proj = project_points(pts, cam['f'], cam['c'], cam['k'], cam['p'])
        err_dist.append(np.abs(proj - part).max())
        pinhole = project_points(pts, cam['f'], cam['c'])
        err_pinhole.append(np.abs(pinhole - part).max())
    assert max(err_dist) < 1e-3
    assert 1. < max(err_pinhole) < 5.


def test_world_camera_round_trip(shared_data):
    for pts, part, cam in _h36m_sample(shared_data):
        world = camera_to_world(pts, cam['R'], cam['T'])
        # H36M world frame: z up from the floor, metres; head above pelvis
        assert world[:, 2].min() > -0.05 and world[10, 2] > world[0, 2]
        np.testing.assert_allclose(
            world_to_camera(world, cam['R'], cam['T']), pts, atol=1e-9)
        np.testing.assert_allclose(
            project_world_points(world, cam), part, atol=1e-3)


def test_torch_matches_numpy(shared_data):
    pts, _, cam = next(_h36m_sample(shared_data))
    expected = project_points(pts, cam['f'], cam['c'], cam['k'], cam['p'])
    batch = torch.from_numpy(np.stack([pts, pts]))  # (2, 17, 3) float64
    out = project_points(batch, cam['f'], cam['c'], cam['k'], cam['p'])
    assert isinstance(out, torch.Tensor) and out.shape == (2, 17, 2)
    np.testing.assert_allclose(out[1].numpy(), expected, atol=1e-9)
    world = camera_to_world(batch.float(), cam['R'], cam['T'])
    assert world.dtype == torch.float32


@pytest.mark.parametrize('k, p', [(None, None), ([0.1, 0., 0.], None),
                                  (None, [0.01, -0.02])])
def test_projection_terms(k, p):
    pts = np.array([[0.2, -0.1, 2.0]])
    f, c = np.array([1000., 1000.]), np.array([500., 400.])
    x, y = 0.1, -0.05
    r2 = x * x + y * y
    radial = 1 + (k[0] * r2 if k else 0.)
    tan = p[0] * y + p[1] * x if p else 0.
    xd = x * (radial + tan) + (p[1] * r2 if p else 0.)
    yd = y * (radial + tan) + (p[0] * r2 if p else 0.)
    np.testing.assert_allclose(
        project_points(pts, f, c, k, p), [[1000 * xd + 500, 1000 * yd + 400]])
