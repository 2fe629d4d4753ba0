# Copyright (c) mmlpose contributors. All rights reserved.
"""Panoptic conventions: categories, joint maps, cameras and windows."""
import cv2
import numpy as np
import pytest

from mmlpose.structures import panoptic as P

CAM = dict(
    name='00_16',
    panel=0,
    node=16,
    resolution=[1920, 1080],
    K=[[1400., 0., 950.], [0., 1390., 540.], [0., 0., 1.]],  # OpenCV: no skew
    distCoef=[-0.2, 0.1, 0.001, -0.002, 0.01],
    R=cv2.Rodrigues(np.array([0.3, -0.5, 0.1]))[0].tolist(),
    t=[[10.], [120.], [300.]])


def test_category_names():
    assert [P.category_name([c, 9]) for c in range(6)] == \
        ['appearance'] * 4 + ['behaviour', 'movement']
    assert P.category_name(4) == 'behaviour'
    with pytest.raises(ValueError, match='unknown Panoptic-L3D category'):
        P.category_name([7])


def test_joint_maps_round_trip():
    h36m = np.random.default_rng(0).normal(size=(2, 17, 3))
    pan = P.h36m_to_panoptic15(h36m)
    assert pan.shape == (2, 15, 3)
    np.testing.assert_array_equal(pan[:, 2], h36m[:, 0])  # body centre
    np.testing.assert_array_equal(pan[:, 0], h36m[:, 8])  # neck = thorax
    back, scores = P.panoptic15_to_h36m(pan, np.ones((2, 15)))
    keep = list(P.H36M_TO_PANOPTIC15)
    np.testing.assert_array_equal(back[:, keep], h36m[:, keep])
    np.testing.assert_allclose(back[:, 7], (pan[:, 2] + pan[:, 0]) / 2)
    np.testing.assert_allclose(back[:, 10],
                               pan[:, 1] + 0.6 * (pan[:, 1] - pan[:, 0]))
    assert scores.shape == (2, 17) and np.all(scores == 1)
    with pytest.raises(ValueError, match=r'\(\.\.\., 15, D\)'):
        P.panoptic15_to_h36m(h36m)


def test_camera_projection_matches_opencv_on_raw_panoptic_points():
    cam = P.camera_from_calibration(CAM)
    world_cm = np.array([[20., -150., 30.], [-40., -20., -60.]])  # y down
    loader_mm = world_cm @ P.LOADER_AXES * 10.
    uv = P.project_to_image(loader_mm, cam)
    ref = cv2.projectPoints(world_cm, cv2.Rodrigues(np.array(CAM['R']))[0],
                            np.array(CAM['t']), np.array(CAM['K']),
                            np.array(CAM['distCoef']))[0][:, 0]
    np.testing.assert_allclose(uv, ref, atol=1e-6)
    # loader axes: z up (Panoptic's -y)
    assert loader_mm[0, 2] > loader_mm[1, 2]
    # camera centre and inverse transforms
    np.testing.assert_allclose(
        P.world_to_camera_mm(cam['T'].reshape(3), cam), 0., atol=1e-9)
    np.testing.assert_allclose(
        P.camera_to_world_mm(P.world_to_camera_mm(loader_mm, cam), cam),
        loader_mm,
        atol=1e-9)
    # undistortion gives the pinhole projection of the same points
    ideal = P.project_to_image(loader_mm, cam, distort=False)
    np.testing.assert_allclose(P.undistort_pixels(uv, cam), ideal, atol=1e-3)
    assert np.isnan(P.undistort_pixels(np.full((1, 2), np.nan), cam)).all()


def test_load_hd_camera_errors(tmp_path):
    import json
    path = tmp_path / 'calibration_x.json'
    path.write_text(json.dumps(dict(cameras=[CAM])))
    assert P.load_hd_camera(str(path), 16)['name'] == '00_16'
    with pytest.raises(KeyError, match='no HD camera 00_30'):
        P.load_hd_camera(str(path), 30)
    with pytest.raises(FileNotFoundError, match='calibration not found'):
        P.load_hd_camera(str(tmp_path / 'none.json'), 16)
    bad = tmp_path / 'bad.json'
    bad.write_text('[]')
    with pytest.raises(ValueError, match='not a Panoptic calibration'):
        P.load_calibration(str(bad))


def test_windows_by_hand():
    # L = 100: start 0 + int(100 * 0.1) // 2 = 4 (int(9.99..) = 9), final 94
    np.testing.assert_array_equal(P.span_frames(0, 100), [4, 26, 49, 71, 94])
    frames, idx = P.window_frames(30, 0, 100)
    np.testing.assert_array_equal(frames, [4, 26, 30, 49, 71, 94])
    assert idx == 2
    assert P.frame_stem(16, 165) == '00_16_00000165'
    with pytest.raises(ValueError, match='empty span'):
        P.span_frames(5, 5)
