# Copyright (c) mmlpose contributors. All rights reserved.
"""Virtual capture: retargeting, body axes, cameras, detector points, 2D."""
from dataclasses import replace

import numpy as np
import pytest

from mmlpose.datasets.virtual_capture import (
    DETECTOR_HEAD_TOP_RATIO, H36M_BONE_LENGTHS, H36M_PARENTS,
    SHIFTED_RANDOMIZATION, TRAIN_RANDOMIZATION, body_axes, capture,
    corrupt_2d, detector_points_3d, look_at_camera, perturb_limbs,
    retarget_bones, sample_bone_lengths)
from mmlpose.structures import coco_to_h36m, project_points, world_to_camera

#: A standing H36M-17 skeleton facing +y (z up, the person's right = +x).
STAND = np.array([
    [0, 0, 1.0], [0.1, 0, 1.0], [0.1, 0, 0.55], [0.1, 0, 0.1],
    [-0.1, 0, 1.0], [-0.1, 0, 0.55], [-0.1, 0, 0.1], [0, 0, 1.25],
    [0, 0, 1.5], [0, 0, 1.62], [0, 0, 1.75], [-0.17, 0, 1.5],
    [-0.17, 0, 1.22], [-0.17, 0, 0.97], [0.17, 0, 1.5], [0.17, 0, 1.22],
    [0.17, 0, 0.97]
])


def bones(joints):
    return np.linalg.norm(
        joints[:, 1:] - joints[:, list(H36M_PARENTS[1:])], axis=-1)


def walking(num_frames=40):
    t = np.arange(num_frames) / 30.
    joints = np.repeat(STAND[None], num_frames, axis=0).copy()
    joints[..., 1] += 1.2 * t[:, None]  # walks along +y
    swing = 0.2 * np.sin(2 * np.pi * t)
    joints[:, [3, 13], 1] += swing[:, None]
    joints[:, [6, 16], 1] -= swing[:, None]
    return joints


def test_retarget_sets_lengths_and_keeps_directions():
    joints = walking()
    lengths = H36M_BONE_LENGTHS * 1.1
    out = retarget_bones(joints, lengths)
    np.testing.assert_allclose(bones(out), np.broadcast_to(
        lengths[1:], (len(joints), 16)), atol=1e-9)
    np.testing.assert_allclose(out[:, 0], joints[:, 0])
    for j in range(1, 17):
        p = H36M_PARENTS[j]
        a = joints[:, j] - joints[:, p]
        b = out[:, j] - out[:, p]
        cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / \
            np.linalg.norm(b, axis=-1)
        np.testing.assert_allclose(cos, 1., atol=1e-9)
    with pytest.raises(ValueError, match='shape'):
        retarget_bones(joints[:, :16], lengths)


def test_bone_lengths_within_ranges_and_symmetric():
    rng = np.random.default_rng(0)
    r = TRAIN_RANDOMIZATION
    for _ in range(20):
        lengths = sample_bone_lengths(rng, r)
        ratio = lengths[1:] / H36M_BONE_LENGTHS[1:]
        lo = r.global_scale[0] * r.default_bone_scale[0]
        hi = r.global_scale[1] * r.default_bone_scale[1]
        assert (ratio >= lo - 1e-9).all() and (ratio <= hi + 1e-9).all()
        assert lengths[1] == lengths[4] and lengths[12] == lengths[15]


def test_body_and_head_axes_of_a_person_facing_plus_y():
    right, up, forward = body_axes(STAND[None])
    np.testing.assert_allclose(right[0], [1, 0, 0], atol=1e-9)
    np.testing.assert_allclose(up[0], [0, 0, 1], atol=1e-9)
    np.testing.assert_allclose(forward[0], [0, 1, 0], atol=1e-9)


def test_detector_points_follow_the_landmark_offsets():
    r = replace(TRAIN_RANDOMIZATION, hip_out=(0.03, 0.03), hip_up=(0.02, 0.02),
                shoulder_out=(0.01, 0.01), shoulder_up=(0., 0.),
                ear_half_width=(0.07, 0.07), ear_level=(0.5, 0.5),
                ear_back=(0., 0.), nose_forward=(0.1, 0.1), limb_offset=0.)
    coco = detector_points_3d(STAND[None], np.random.default_rng(0), r)[0]
    np.testing.assert_allclose(coco[12], STAND[1] + [0.03, 0, 0.02])  # r hip
    np.testing.assert_allclose(coco[11], STAND[4] + [-0.03, 0, 0.02])
    np.testing.assert_allclose(coco[6], STAND[14] + [0.01, 0, 0])
    ears = (STAND[9] + STAND[10]) / 2
    np.testing.assert_allclose(coco[4], ears + [0.07, 0, 0])  # right ear
    np.testing.assert_allclose(coco[3], ears - [0.07, 0, 0])
    np.testing.assert_allclose(coco[0], ears + [0, 0.1, 0])  # nose in front
    np.testing.assert_allclose(coco[9], STAND[13])  # left wrist


def test_look_at_camera_centres_the_target():
    cam = look_at_camera(np.array([0., -5., 1.]), np.array([0., 0., 1.]),
                         1000., (1280, 720))
    px = project_points(
        world_to_camera(np.array([[0., 0., 1.]]), cam['R'], cam['T']),
        cam['f'], cam['c'])
    np.testing.assert_allclose(px[0], [640, 360], atol=1e-6)
    # z up in the world is up in the image (y down)
    head = project_points(
        world_to_camera(np.array([[0., 0., 1.5]]), cam['R'], cam['T']),
        cam['f'], cam['c'])
    assert head[0, 1] < 360


def test_capture_is_consistent_and_reproducible():
    joints = walking()
    shot = capture(joints, np.random.default_rng(3))
    again = capture(joints, np.random.default_rng(3))
    np.testing.assert_array_equal(shot.keypoints_2d, again.keypoints_2d)
    assert shot.keypoints_2d.shape == (40, 17, 2)
    assert shot.keypoint_scores.shape == shot.unseen.shape == (40, 17)
    # the 3D target has the drawn bones and lies in front of the camera
    np.testing.assert_allclose(
        bones(shot.keypoints_3d), np.broadcast_to(
            shot.bone_lengths[1:], (40, 16)), atol=1e-5)
    assert (shot.keypoints_3d[..., 2] > 0.3).all()
    # noise-free capture: the 2D is the demo's mapping of the projected
    # detector points
    clean = replace(TRAIN_RANDOMIZATION, noise=(0, 0), jitter=(0, 0),
                    outlier_prob=(0, 0), occlusion_prob=0.)
    rng = np.random.default_rng(5)
    shot = capture(joints, rng, clean)
    assert not shot.unseen.any()
    assert (shot.keypoint_scores >= 0.6).all()
    # elbows and knees are limb landmarks on the joint centres up to the
    # fixed per-sequence offset (std 1.5 cm): their 2D error stays small
    px = project_points(shot.keypoints_3d, shot.camera['f'],
                        shot.camera['c'])
    err = np.linalg.norm(shot.keypoints_2d - px, axis=-1)
    scale = shot.camera['f'][0, 0] / shot.keypoints_3d[..., 2]
    assert np.median(err[:, [2, 5, 12, 15]] / scale[:, [2, 5, 12, 15]]) < 0.05


def test_occlusions_hide_whole_limbs_with_low_scores():
    coco = np.random.default_rng(0).uniform(0, 500, size=(50, 17, 2))
    r = replace(TRAIN_RANDOMIZATION, outlier_prob=(0, 0))
    noisy, scores, unseen = corrupt_2d(
        coco, np.random.default_rng(1), r,
        occlusions=[('left_arm', 10, 30)])
    expected = np.zeros((50, 17), bool)
    expected[10:30, [7, 9]] = True
    np.testing.assert_array_equal(unseen, expected)
    assert (scores[unseen] <= 0.3).all() and (scores[~unseen] >= 0.6).all()
    # an occluded keypoint is hallucinated near where it was last seen
    assert np.abs(noisy[10:30, 9] - noisy[10, 9]).max() < 0.5 * np.ptp(coco)


def test_shifted_ranges_leave_the_training_ranges():
    t, s = TRAIN_RANDOMIZATION, SHIFTED_RANDOMIZATION
    for name in ('focal_ratio', 'height', 'global_scale', 'shoulder_out'):
        a, b = getattr(t, name), getattr(s, name)
        assert b[0] > a[1] or b[1] < a[0], name
    assert s.occlusion_prob > t.occlusion_prob


def test_detector_mapping_matches_the_demo():
    from mmlpose.apis.pose2d import HEAD_TOP_RATIO
    assert DETECTOR_HEAD_TOP_RATIO == HEAD_TOP_RATIO
    coco = np.random.default_rng(0).normal(size=(3, 17, 2))
    a, _ = coco_to_h36m(coco, head_top_ratio=HEAD_TOP_RATIO)
    assert a.shape == (3, 17, 2)


def test_capture_rejects_bad_motion():
    with pytest.raises(ValueError, match='shape'):
        capture(np.zeros((5, 16, 3)), np.random.default_rng(0))
    bad = walking()
    bad[3, 2, 0] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        capture(bad, np.random.default_rng(0))


def test_perturbed_limbs_sit_and_raise_the_arms_by_hand():
    r = replace(TRAIN_RANDOMIZATION, flex_prob=1., hip_flex=(90, 90),
                knee_flex=(90, 90), arm_raise=(90, 90), arm_swing=(0, 0),
                torso_lean=(0, 0))
    out = perturb_limbs(STAND[None], np.random.default_rng(0), r)[0]
    # thighs forward (+y), shins down again: sitting
    np.testing.assert_allclose(out[2], STAND[1] + [0, 0.45, 0], atol=1e-9)
    np.testing.assert_allclose(out[3], out[2] + [0, 0, -0.45], atol=1e-9)
    # arms straight out sideways, away from the body
    np.testing.assert_allclose(out[16], STAND[14] + [0.53, 0, 0], atol=1e-9)
    np.testing.assert_allclose(out[13], STAND[11] - [0.53, 0, 0], atol=1e-9)
    np.testing.assert_allclose(bones(out[None]), bones(STAND[None]))
    # the torso and head do not move; off with flex_prob 0
    np.testing.assert_allclose(out[[0, 7, 8, 9, 10]], STAND[[0, 7, 8, 9, 10]])
    same = perturb_limbs(STAND[None], np.random.default_rng(0),
                         replace(r, flex_prob=0.))
    np.testing.assert_array_equal(same, STAND[None])


def test_recline_tips_a_sitting_body_back_about_the_pelvis():
    r = replace(TRAIN_RANDOMIZATION, flex_prob=1., hip_flex=(90, 90),
                knee_flex=(90, 90), arm_raise=(0, 0), arm_swing=(0, 0),
                torso_lean=(0, 0), recline_prob=1., recline=(90, 90))
    out = perturb_limbs(STAND[None], np.random.default_rng(0), r)[0]
    # lying on the back: thorax 0.5 m behind the pelvis (-y), at its height
    np.testing.assert_allclose(out[8], [0, -0.5, 1.0], atol=1e-9)
    # sitting thighs (forward) now point up; shins (down) point forward
    np.testing.assert_allclose(out[2], STAND[1] + [0, 0, 0.45], atol=1e-9)
    np.testing.assert_allclose(out[3], out[2] + [0, 0.45, 0], atol=1e-9)
    np.testing.assert_allclose(bones(out[None]), bones(STAND[None]))
    # a body already lying (torso horizontal) is not tipped further
    lying = perturb_limbs(out[None], np.random.default_rng(0),
                          replace(r, hip_flex=(0, 0), knee_flex=(0, 0)))[0]
    np.testing.assert_allclose(lying[8], out[8], atol=1e-9)


def test_torso_lean_turns_the_upper_body_about_the_pelvis():
    r = replace(TRAIN_RANDOMIZATION, flex_prob=1., hip_flex=(0, 0),
                knee_flex=(0, 0), arm_raise=(0, 0), arm_swing=(0, 0),
                torso_lean=(30, 30))
    out = perturb_limbs(STAND[None], np.random.default_rng(0), r)[0]
    # forwards (+y) by 30 degrees: thorax 0.5 m above the pelvis
    np.testing.assert_allclose(
        out[8], [0, 0.5 * np.sin(np.pi / 6), 1 + 0.5 * np.cos(np.pi / 6)],
        atol=1e-9)
    np.testing.assert_allclose(out[:7], STAND[:7])  # legs stay
    np.testing.assert_allclose(bones(out[None]), bones(STAND[None]))
