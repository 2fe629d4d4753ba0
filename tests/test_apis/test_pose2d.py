# Copyright (c) mmlpose contributors. All rights reserved.
import sys

import numpy as np
import pytest

from mmlpose.apis.pose2d import (H36M_JOINT_NAMES, HEAD_TOP_RATIO,
                                 MediaPipePose2D, blazepose_to_h36m,
                                 fill_missing_frames)


def _landmarks() -> np.ndarray:
    """33 distinct hand-made landmarks: x = 10 i, y = 500 - 3 i."""
    idx = np.arange(33, dtype=np.float64)
    return np.stack([10 * idx, 500 - 3 * idx, idx / 40], axis=1)


def person_image() -> np.ndarray:
    """A real BGR photo of a person (public domain)."""
    import cv2
    try:
        from skimage import data
        return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    except ImportError:
        from matplotlib import cbook
        path = cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)
        return cv2.imread(str(path))


def test_blazepose_to_h36m():
    lm = _landmarks()
    kpts, scores = blazepose_to_h36m(lm)
    assert kpts.shape == (17, 2) and kpts.dtype == np.float32
    assert scores.shape == (17, ) and scores.dtype == np.float32
    assert len(H36M_JOINT_NAMES) == 17
    named = dict(zip(H36M_JOINT_NAMES, range(17)))

    # pelvis is exactly the mid-hip: hips are 23 (left) and 24 (right)
    np.testing.assert_array_equal(kpts[0], [235., 500 - 3 * 23.5])
    assert scores[0] == pytest.approx(23.5 / 40)
    # person's left/right kept, copied one to one
    for h36m, bp in dict(
            left_hip=23,
            right_hip=24,
            left_knee=25,
            right_knee=26,
            left_foot=27,
            right_foot=28,
            left_shoulder=11,
            right_shoulder=12,
            left_elbow=13,
            right_elbow=14,
            left_wrist=15,
            right_wrist=16).items():
        np.testing.assert_array_equal(kpts[named[h36m]], lm[bp, :2])
        assert scores[named[h36m]] == pytest.approx(lm[bp, 2])
    thorax = (lm[11, :2] + lm[12, :2]) / 2
    np.testing.assert_allclose(kpts[8], thorax)
    np.testing.assert_allclose(kpts[7], (kpts[0] + thorax) / 2)
    ears = (lm[7, :2] + lm[8, :2]) / 2
    np.testing.assert_allclose(kpts[9], ears)
    np.testing.assert_allclose(
        kpts[10], ears + HEAD_TOP_RATIO * (ears - thorax), rtol=1e-6)
    assert scores[9] == scores[10] == pytest.approx(7.5 / 40)

    with pytest.raises(ValueError):
        blazepose_to_h36m(np.zeros((17, 3)))


def test_fill_missing_frames():
    kpts = np.full((5, 2, 2), np.nan)
    kpts[1] = [[2, 4], [0, 0]]
    kpts[3] = [[6, 8], [10, -10]]
    valid = np.array([False, True, False, True, False])
    filled = fill_missing_frames(kpts, valid)
    assert filled.dtype == np.float32 and filled.shape == (5, 2, 2)
    np.testing.assert_allclose(filled[0], kpts[1])  # before: copy first
    np.testing.assert_allclose(filled[2], [[4, 6], [5, -5]])  # midway
    np.testing.assert_allclose(filled[4], kpts[3])  # after: copy last
    np.testing.assert_allclose(filled[[1, 3]], kpts[[1, 3]])
    # a gap of 3 frames is filled at 1/4, 2/4, 3/4
    seq = np.zeros((5, 1, 2))
    seq[4] = 8
    out = fill_missing_frames(seq, np.array([1, 0, 0, 0, 1], bool))
    np.testing.assert_allclose(out[:, 0, 0], [0, 2, 4, 6, 8])
    with pytest.raises(ValueError, match='no valid frame'):
        fill_missing_frames(kpts, np.zeros(5, bool))
    with pytest.raises(ValueError):
        fill_missing_frames(kpts, np.ones(4, bool))


def test_mediapipe_import_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, 'mediapipe', None)
    with pytest.raises(ImportError, match='pip install mediapipe==0.10.21'):
        MediaPipePose2D()


def test_mediapipe_pose2d():
    pytest.importorskip('mediapipe')
    image = person_image()
    h, w = image.shape[:2]
    with MediaPipePose2D(static_image_mode=True) as pose2d:
        result = pose2d(image)
        assert result is not None
        kpts, scores = result
        assert kpts.shape == (17, 2) and scores.shape == (17, )
        assert np.isfinite(kpts).all()
        assert ((scores >= 0) & (scores <= 1)).all()
        # the face and shoulders are visible, inside the image
        for j in (8, 9, 11, 14):
            assert 0 <= kpts[j, 0] < w and 0 <= kpts[j, 1] < h
            assert scores[j] > 0.5
        # facing the camera: the person's left shoulder is on image right
        assert kpts[11, 0] > kpts[14, 0]
        # head top above the head centre, above the thorax
        assert kpts[10, 1] < kpts[9, 1] < kpts[8, 1]

        assert pose2d(np.zeros((480, 640, 3), np.uint8)) is None
        assert pose2d(np.full((480, 640, 3), 200, np.uint8)) is None
