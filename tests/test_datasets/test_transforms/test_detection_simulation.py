# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest

from mmlpose.datasets.transforms import SimulateDetections2D, colour_features
from mmlpose.registry import TRANSFORMS

BLUE, RED = (200, 40, 20), (30, 30, 220)  # BGR


def _person(cx, top=200., height=600.):
    """A standing Panoptic-15 person: (15, 2) pixels."""
    kp = np.zeros((15, 2))
    rows = {
        0: .15,
        1: .08,
        2: .5,
        3: .17,
        4: .33,
        5: .48,
        6: .5,
        7: .75,
        8: .98,
        9: .17,
        10: .33,
        11: .48,
        12: .5,
        13: .75,
        14: .98
    }
    sides = {
        3: -1,
        4: -1.3,
        5: -1.4,
        6: -.6,
        7: -.6,
        8: -.6,
        9: 1,
        10: 1.3,
        11: 1.4,
        12: .6,
        13: .6,
        14: .6
    }
    for j, r in rows.items():
        kp[j] = [cx + 60 * sides.get(j, 0.), top + r * height]
    return kp


def _results(num_frames=6, num_people=3):
    kp = np.stack([_person(300. + 500 * p) for p in range(num_people)])
    window = np.repeat(kp[:, None], num_frames, 1) + \
        np.arange(num_frames)[None, :, None, None] * 5.
    visible = np.ones(window.shape[:3], bool)
    img = np.full((1080, 1920, 3), 90, np.uint8)
    for p in range(num_people):
        cx = int(300 + 500 * p)
        img[200 + 100:200 + 300, cx - 80:cx + 80] = BLUE if p != 1 else RED
        img[200 + 300:200 + 590, cx - 80:cx + 80] = (20, 20, 20)
    # the window is shifted by 5 px per frame; put the current frame first
    return dict(
        window_keypoints_2d=window.astype(np.float32),
        window_visible=visible,
        current_idx=0,
        sample_idx=7,
        img=img)


def test_colour_features_upper_lower_body():
    res = _results()
    kp = res['window_keypoints_2d'][:, 0]
    feats = colour_features(res['img'], kp, np.ones((3, 15)))
    assert feats.shape == (3, 6) and feats.dtype == np.float32
    np.testing.assert_allclose(feats[0, :3], np.array(BLUE) / 255., atol=.02)
    np.testing.assert_allclose(feats[1, :3], np.array(RED) / 255., atol=.02)
    np.testing.assert_allclose(feats[:, 3:], 20 / 255., atol=.02)
    hsv = colour_features(res['img'], kp, np.ones((3, 15)), with_hsv=True)
    assert hsv.shape == (3, 12)
    np.testing.assert_allclose(hsv[:, :3], feats[:, :3])
    # low scores: nothing sampled; NaN rows: zeros
    assert not colour_features(res['img'], kp, np.zeros((3, 15))).any()
    nan = np.full((1, 15, 2), np.nan)
    assert not colour_features(res['img'], nan, np.ones((1, 15))).any()
    with pytest.raises(ValueError, match=r'\(N, 15, 2\)'):
        colour_features(res['img'], kp[:, :14], np.ones((3, 14)))


def test_detections_shapes_and_gt_index():
    t = TRANSFORMS.build(
        dict(type='SimulateDetections2D', miss_prob=0., drop_prob=0.))
    res = t(_results())
    det, sc, gt = (res['det_keypoints_2d'], res['det_keypoint_scores'],
                   res['det_gt_index'])
    assert det.shape == (6, 3, 15, 2) and det.dtype == np.float32
    assert sc.shape == (6, 3, 15) and gt.shape == (6, 3)
    assert gt.dtype == np.int64
    window = res['window_keypoints_2d']
    for f in range(6):
        assert sorted(gt[f]) == [0, 1, 2]
        for n in range(3):
            err = np.linalg.norm(det[f, n] - window[gt[f, n], f], axis=-1)
            assert err.mean() < 0.05 * 600  # noise ~ 1 % of the height
    assert ((sc >= 0.6) & (sc <= 1.)).all()
    # colours follow the current frame's detection order
    red = int(np.flatnonzero(gt[0] == 1)[0])
    assert res['det_colours'].shape == (3, 6)
    assert res['det_colours'][red, 2] > 0.8  # red channel of the red shirt


def test_missed_dropped_and_invisible():
    res = _results()
    res['window_visible'][2, 3] = False  # person 2 out of view in frame 3
    res['window_visible'][0, :, 5] = False  # person 0's left wrist hidden
    t = SimulateDetections2D(miss_prob=0.3, drop_prob=0.2, test_mode=True)
    res = t(res)
    gt, sc = res['det_gt_index'], res['det_keypoint_scores']
    det = res['det_keypoints_2d']
    assert 2 not in gt[3]
    missed = gt < 0
    assert missed.any()
    assert np.isnan(det[missed]).all() and (sc[missed] == 0).all()
    assert not np.isnan(det[~missed]).any()
    rows = gt == 0
    assert (sc[rows][:, 5] <= 0.2).all()  # hidden joint: low score
    low = (sc[~missed] < 0.5).mean()
    assert 0.1 < low < 0.4  # ~20 % dropped (+ the hidden wrist)
    empty = np.flatnonzero(gt[0] < 0)
    assert not res['det_colours'][empty].any()


def test_test_mode_deterministic_training_random():
    t = SimulateDetections2D(test_mode=True, seed=3)
    a, b = t(_results()), t(_results())
    np.testing.assert_array_equal(a['det_keypoints_2d'], b['det_keypoints_2d'])
    np.testing.assert_array_equal(a['det_gt_index'], b['det_gt_index'])
    other = _results()
    other['sample_idx'] = 8
    c = t(other)
    assert not np.allclose(
        np.nan_to_num(a['det_keypoints_2d']),
        np.nan_to_num(c['det_keypoints_2d']))
    train = SimulateDetections2D()
    d, e = train(_results()), train(_results())
    assert not np.allclose(
        np.nan_to_num(d['det_keypoints_2d']),
        np.nan_to_num(e['det_keypoints_2d']))


def test_single_frame_and_errors():
    res = _results()
    single = dict(
        keypoints_2d=res['window_keypoints_2d'][:, 0],
        keypoints_2d_visible=res['window_visible'][:, 0])
    out = SimulateDetections2D()(single)
    assert out['det_keypoints_2d'].shape == (1, 3, 15, 2)
    assert not out['det_colours'].any()  # no image
    with pytest.raises(KeyError, match='window_keypoints_2d'):
        SimulateDetections2D()({})
    with pytest.raises(KeyError, match='sample_idx'):
        SimulateDetections2D(test_mode=True)(single)
    bad = _results()
    bad['current_idx'] = 6
    with pytest.raises(ValueError, match='current_idx'):
        SimulateDetections2D()(bad)
    with pytest.raises(ValueError, match='miss_prob'):
        SimulateDetections2D(miss_prob=2.)
