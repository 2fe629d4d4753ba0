# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest

from mmlpose.evaluation.functional import (identify_by_mask,
                                           identify_by_skeleton, l3dhpe_sample,
                                           mask_iou, mpjpe_l, person_distances,
                                           root_error, root_relative_mpjpe)


def _people():
    """Two people 1 m apart along x; person 1 has joint 0 invisible."""
    base = np.zeros((15, 3))
    base[:, 2] = np.arange(15) * 100.  # a vertical line of joints
    gt = np.stack([base, base + [1000., 0., 0.]])
    visible = np.ones((2, 15), bool)
    visible[1, 0] = False
    return gt, visible


def test_identify_by_skeleton_nearest_mean_distance():
    gt, visible = _people()
    pred = gt[1] + [-100., 0., 0.]  # 100 mm from person 1, 900 from 0
    dist = person_distances(pred, gt, visible)
    np.testing.assert_allclose(dist, [900., 100.])
    assert identify_by_skeleton(pred, gt, visible) == 1
    assert identify_by_skeleton(pred[None], gt, visible) == 1
    # only visible joints count: a huge error on person 1's invisible joint
    pred2 = gt[1].copy()
    pred2[0] += [0., 0., 1e5]
    assert person_distances(pred2, gt, visible)[1] == pytest.approx(0.)
    # a person without visible joints is never chosen
    none = visible.copy()
    none[1] = False
    assert identify_by_skeleton(gt[1], gt, none) == 0
    assert identify_by_skeleton(gt[1], gt, np.zeros_like(visible)) == -1


def test_errors_by_hand():
    gt, visible = _people()
    pred = gt[0] + [30., 40., 0.]  # 50 mm everywhere
    assert mpjpe_l(pred, gt[0], visible[0]) == pytest.approx(50.)
    assert root_error(pred, gt[0], visible[0]) == pytest.approx(50.)
    assert root_relative_mpjpe(pred, gt[0], visible[0]) == pytest.approx(0.)
    # the wrong person: absolute error is the 1 m offset (+ the 50 mm shift)
    assert mpjpe_l(pred, gt[1],
                   visible[1]) == pytest.approx(np.hypot(970., 40.))
    # root-relative error of a bent joint: joint 5 moved by 60 mm
    bent = gt[0].copy()
    bent[5, 0] += 60.
    assert root_relative_mpjpe(bent, gt[0], visible[0]) == pytest.approx(4.)
    # invisible root: NaN
    vis = visible[0].copy()
    vis[2] = False
    assert np.isnan(root_error(pred, gt[0], vis))
    assert np.isnan(root_relative_mpjpe(pred, gt[0], vis))


def test_masks():
    a = np.zeros((4, 4), bool)
    a[:2, :2] = True
    b = np.zeros((4, 4), bool)
    b[:2, :] = True
    assert mask_iou(a, b) == pytest.approx(0.5)
    assert mask_iou(a, np.zeros_like(a)) == 0.
    assert mask_iou(np.zeros_like(a), np.zeros_like(a)) == 0.
    idx, ious = identify_by_mask(a, np.stack([~b, b]))
    assert idx == 1
    np.testing.assert_allclose(ious, [0., 0.5])
    assert identify_by_mask(a, np.stack([~b]))[0] == -1
    with pytest.raises(ValueError, match='one shape'):
        mask_iou(a, np.zeros((3, 3), bool))


def test_sample_scalars():
    gt, visible = _people()
    right = l3dhpe_sample(gt[1] + [0., 0., 10.], gt, visible, 1)
    assert right['identified'] == 1 and right['correct'] == 1.
    assert right['mpjpe_l'] == pytest.approx(10.)
    assert right['chance'] == pytest.approx(0.5) and right['missing'] == 0.
    wrong = l3dhpe_sample(gt[0], gt, visible, 1)
    assert wrong['correct'] == 0. and wrong['mpjpe_l'] == pytest.approx(1000.)
    missing = l3dhpe_sample(None, gt, visible, 0)
    assert missing['missing'] == 1. and missing['correct'] == 0.
    assert np.isnan(missing['mpjpe_l'])
    masks = np.zeros((2, 4, 4), bool)
    masks[0, :2] = True
    masks[1, 2:] = True
    by_mask = l3dhpe_sample(None, gt, visible, 1, masks[1], masks)
    assert by_mask['correct'] == 1. and by_mask['iou'] == pytest.approx(1.)
    assert by_mask['missing'] == 0.


def test_bad_input():
    gt, visible = _people()
    with pytest.raises(ValueError, match=r'\(15, 3\)'):
        identify_by_skeleton(np.zeros((17, 3)), gt, visible)
    with pytest.raises(ValueError, match='NaN'):
        mpjpe_l(np.full((15, 3), np.nan), gt[0], visible[0])
    with pytest.raises(ValueError, match='visibility'):
        person_distances(gt[0], gt, visible[:1])
    with pytest.raises(ValueError, match='referred_index'):
        l3dhpe_sample(gt[0], gt, visible, 2)
