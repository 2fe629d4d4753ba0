# Copyright (c) mmlpose contributors. All rights reserved.
"""PersonLifter: Panoptic-15 2D of a calibrated camera -> absolute 3D."""
import numpy as np
import pytest
import torch

from mmlpose.datasets.converters.deepmimic import (clip_to_h36m_world,
                                                   default_motion_dir,
                                                   default_urdf_path,
                                                   find_clips, load_humanoid)
from mmlpose.models.utils import PersonLifter
from mmlpose.structures.panoptic import (LOADER_AXES, camera_from_calibration,
                                         h36m_to_panoptic15, project_to_image)

torch.set_num_threads(1)

CAM = camera_from_calibration(
    dict(
        name='00_16',
        K=[[1400., 0., 960.], [0., 1400., 540.], [0., 0., 1.]],
        distCoef=[-0.05, 0.01, 0., 0., 0.],
        # Panoptic world (y down): x_cam = R p + t, 3.5 m from the body,
        # 1 m above the floor, looking along Panoptic +z (loader +y)
        R=np.eye(3).tolist(),
        t=[[0.], [100.], [350.]]))


@pytest.fixture(scope='module')
def lifter():
    return PersonLifter()


@pytest.fixture(scope='module')
def walker():
    """12 frames of the real DeepMimic walk in loader axes (mm): H36M-17
    z-up metres -> Panoptic-15, the body centre on the camera's axis."""
    clips = find_clips(default_motion_dir())
    joints = clip_to_h36m_world(clips['walk'],
                                load_humanoid(default_urdf_path()))[:12:2]
    pan = h36m_to_panoptic15(joints) * 1000.
    pan -= pan[:1, 2:3] * np.array([1., 1., 0.])  # x, y of the root at 0
    # loader axes (x right, y forward, z up): the camera stands at
    # y = -3500 mm, 1 m high, looking along +y
    return pan


def test_lifts_real_motion_to_its_place(lifter, walker):
    uv = project_to_image(walker, CAM)
    assert np.isfinite(uv).all()
    scores = np.ones(uv.shape[:2])
    out = lifter(uv[None], scores[None], CAM, (1920, 1080))
    assert out.shape == (1, 6, 15, 3) and out.dtype == np.float32
    # root-relative pose and root position from the camera, in mm
    rel = (out[0] - out[0, :, 2:3]) - (walker - walker[:, 2:3])
    assert np.linalg.norm(rel, axis=-1).mean() < 100.  # 74 mm measured
    root_err = np.linalg.norm(out[0, :, 2] - walker[:, 2], axis=-1)
    assert root_err.mean() < 300.  # 180 mm measured, at 3.5 m
    # the lifted pose reprojects onto its 2D
    reproj = project_to_image(out[0], CAM)
    assert np.abs(reproj - uv).mean() < 10.


def test_absent_frames_and_people(lifter, walker):
    uv = project_to_image(walker, CAM)
    kp = np.stack([uv, np.full_like(uv, np.nan)])
    kp[0, 2] = np.nan  # the first person is out of frame 2
    out = lifter(kp, np.ones(kp.shape[:3]), CAM, (1920, 1080))
    assert np.isnan(out[0, 2]).all() and np.isfinite(out[0, [0, 1, 3]]).all()
    assert np.isnan(out[1]).all()  # never present
    empty = lifter(kp[:0], np.ones((0, 6, 15)), CAM, (1920, 1080))
    assert empty.shape == (0, 6, 15, 3)


def test_bad_shapes(lifter):
    with pytest.raises(ValueError, match=r'\(N, T, 15, 2\)'):
        lifter(np.zeros((1, 6, 17, 2)), np.ones((1, 6, 17)), CAM, (10, 10))
    with pytest.raises(ValueError, match='scores must have shape'):
        lifter(np.zeros((1, 6, 15, 2)), np.ones((1, 6)), CAM, (10, 10))


def test_loader_axes_are_z_up():
    # Panoptic's y points down: a point 1 m above the floor (y = -100 cm)
    # has loader z = +1000 mm
    np.testing.assert_allclose(
        np.array([0., -100., 0.]) @ LOADER_AXES * 10., [0., 0., 1000.])


def test_place_reuses_a_lifted_pose(lifter, walker):
    uv = project_to_image(walker, CAM)[None]
    scores = np.ones(uv.shape[:3])
    rel = lifter.lift_relative(uv, scores, (1920, 1080))
    np.testing.assert_array_equal(
        lifter.place(rel, uv, scores, CAM),
        lifter(uv, scores, CAM, (1920, 1080)))
    with pytest.raises(ValueError, match='relative must have shape'):
        lifter.place(rel[:, :3], uv, scores, CAM)
