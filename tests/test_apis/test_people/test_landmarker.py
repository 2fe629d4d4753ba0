# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest

from mmlpose.apis.people.landmarker import (BlazePoseLandmarker,
                                            roi_crop_matrix)


def _apply(matrix: np.ndarray, point) -> np.ndarray:
    return matrix[:, :2] @ np.asarray(point, np.float64) + matrix[:, 2]


def test_roi_crop_matrix():
    # a 256 ROI centred on (128, 128): crop pixels are image pixels
    np.testing.assert_allclose(
        roi_crop_matrix(np.array([128, 128, 256, 256, 0]), 256),
        [[1, 0, 0], [0, 1, 0]],
        atol=1e-9)
    # side 512 around (300, 200): scale 2, the crop centre on the centre
    m = roi_crop_matrix(np.array([300, 200, 512, 512, 0]), 256)
    np.testing.assert_allclose(_apply(m, [127.5, 127.5]), [299.5, 199.5])
    # turned by +90 degrees: the crop's top middle lies right of the centre
    m = roi_crop_matrix(np.array([300, 200, 256, 256, np.pi / 2]), 256)
    np.testing.assert_allclose(
        _apply(m, [127.5, -0.5]), [299.5 + 128, 199.5], atol=1e-9)


def test_landmarks_and_mask_of_a_photo(detector, landmarker, person_photo):
    h, w = person_photo.shape[:2]
    det = detector(person_photo)
    (person, ) = landmarker(person_photo, det['rois'])
    assert person is not None and person['score'] > 0.9
    assert person['landmarks'].shape == (33, 3)
    assert person['keypoints'].shape == (17, 2)
    assert person['keypoint_scores'].shape == (17, )
    x1, y1, x2, y2 = person['bbox']
    assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
    # the visible landmarks in the image (head, shoulders) lie in the box;
    # the hips, below the photo, are not in the image (presence)
    lm = person['landmarks']
    seen = (lm[:, 2] > 0.5) & (person['presence'] > 0.5)
    assert seen[:13].all() and not (person['presence'][23:] > 0.5).any()
    pts = lm[seen, :2]
    assert ((pts >= [x1, y1]) & (pts <= [x2, y2])).all()
    # head above the shoulders: nose (landmark 0) above both (11, 12)
    assert lm[0, 1] < min(lm[11, 1], lm[12, 1])
    # the mask: a bool crop of the integer box, on the face, not the corner
    mask, (x0, y0) = person['mask']
    assert mask.dtype == bool
    assert mask.shape == (int(np.ceil(y2)) - y0, int(np.ceil(x2)) - x0)
    assert (x0, y0) == (int(np.floor(x1)), int(np.floor(y1)))
    nose = np.round(lm[0, :2]).astype(int) - (x0, y0)
    assert mask[nose[1], nose[0]]
    assert 0.3 < mask.mean() < 0.95
    # the next-frame ROI of a still photo stays on the person
    roi, nxt = det['rois'][0], person['next_roi']
    assert np.linalg.norm(nxt[:2] - roi[:2]) < 0.15 * roi[2]
    assert 0.7 < nxt[2] / roi[2] < 1.3


def test_agrees_with_mediapipe(landmarker, detector, sports2d_frames):
    """Same 2D pose as MediaPipe's own graph (static image mode, the same
    bundled models) on a square crop around the man of the sports2d clip."""
    from mmlpose.apis.pose2d import MediaPipePose2D
    crop = np.ascontiguousarray(sports2d_frames[0][:, 150:1144])
    with MediaPipePose2D(static_image_mode=True, smooth_landmarks=False) as m:
        ref_kpts, ref_scores = m(crop)
    people = [
        p for p in landmarker(crop,
                              detector(crop)['rois']) if p is not None
    ]
    man = min(people, key=lambda p: np.abs(p['keypoints'] - ref_kpts).sum())
    err = np.linalg.norm(man['keypoints'] - ref_kpts, axis=1)
    height = np.ptp(ref_kpts[:, 1])
    assert np.median(err) < 0.02 * height, err
    np.testing.assert_allclose(man['keypoint_scores'], ref_scores, atol=0.1)


def test_no_person_and_bad_input(detector, landmarker, person_photo):
    black = np.zeros((400, 400, 3), np.uint8)
    assert landmarker(black, np.array([[200, 200, 300, 300, 0]])) == [None]
    assert landmarker(black, np.zeros((0, 5))) == []
    # a degenerate or NaN ROI gives no person, not an error
    assert landmarker(person_photo, np.array([[10, 10, 0, 0, 0],
                                              [np.nan] * 5])) == [None, None]
    with pytest.raises(ValueError, match='BGR'):
        landmarker(black[..., 0], np.zeros((1, 5)))
    no_mask = BlazePoseLandmarker(with_mask=False)
    person = no_mask(person_photo, detector(person_photo)['rois'])[0]
    assert person is not None and person['mask'] is None
