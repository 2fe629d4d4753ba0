# Copyright (c) mmlpose contributors. All rights reserved.
import importlib.util
import os.path as osp
import time

import cv2
import numpy as np
import pytest

from mmlpose.registry import VISUALIZERS
from mmlpose.visualization import (SIDE_COLORS, LiftingVisualizer,
                                   Skeleton3DRenderer)

T_POSE = np.array([[0, 0, 0], [-.13, 0, 0], [-.15, .45, 0], [-.15, .88, 0],
                   [.13, 0, 0], [.15, .45, 0], [.15, .88, 0], [0, -.25, 0],
                   [0, -.5, 0], [0, -.6, -.05], [0, -.7, 0], [.18, -.48, 0],
                   [.45, -.48, 0], [.7, -.48, 0], [-.18, -.48, 0],
                   [-.45, -.48, 0], [-.7, -.48, 0]])


def _person(track_id, cx, cy, scale, with_mask=True):
    """A T-pose person of ``scale`` pixels per metre at ``(cx, cy)``."""
    kpts = T_POSE[:, :2] * scale + (cx, cy)
    x1, y1 = kpts.min(0) - 10
    x2, y2 = kpts.max(0) + 10
    person = dict(
        track_id=track_id,
        bbox=[x1, y1, x2, y2],
        keypoints_2d=kpts,
        keypoint_scores=np.full(17, 0.9))
    if with_mask:
        x0, y0 = int(x1), int(y1)
        crop = np.zeros((int(y2) - y0, int(x2) - x0), bool)
        crop[:, crop.shape[1] // 3:2 * crop.shape[1] // 3] = True
        person['mask'] = (crop, (x0, y0))
    return person


def _frame(width=320, height=200):
    rng = np.random.default_rng(0)
    return rng.integers(0, 120, (height, width, 3), dtype=np.uint8)


def test_built_from_the_registry():
    vis = VISUALIZERS.build(dict(type='LiftingVisualizer', azim_step=2.))
    assert isinstance(vis, LiftingVisualizer)


@pytest.mark.parametrize('size', [(1768, 994), (320, 200), (101, 75)])
def test_output_size(size):
    width, height = size
    vis = LiftingVisualizer()
    canvas = vis.draw_frame(
        _frame(width, height), [_person(0, width / 2, height / 2, 40)],
        0,
        T_POSE,
        3,
        text='the person')
    out_w, out_h = LiftingVisualizer.output_size(size)
    assert canvas.shape == (out_h, out_w, 3) and canvas.dtype == np.uint8
    assert out_w % 2 == 0 and out_h % 2 == 0
    assert out_h == height + height % 2
    assert out_w - width >= out_h  # the 3D panel is at least square


def test_mask_changes_pixels_only_inside_the_crop():
    vis = LiftingVisualizer()
    frame = _frame()
    referred = _person(1, 240, 100, 60)
    other = _person(0, 80, 100, 60)
    plain = dict(referred, mask=None)
    with_mask = vis.draw_frame(frame, [other, referred], 1, T_POSE, 0)
    without = vis.draw_frame(frame, [other, plain], 1, T_POSE, 0)
    changed = (with_mask != without).any(axis=-1)
    crop, (x0, y0) = referred['mask']
    inside = np.zeros_like(changed)
    inside[y0:y0 + crop.shape[0], x0:x0 + crop.shape[1]] = True
    assert changed.any()
    assert not (changed & ~inside).any()
    # the other person's mask is not drawn
    assert np.array_equal(
        vis.draw_frame(frame, [dict(other, mask=None), referred], 1, T_POSE,
                       0), with_mask)
    # a crop that sticks out of the frame is clipped
    vis.draw_frame(frame, [dict(referred, mask=(crop, (-20, 150)))], 1, None,
                   0)


def test_highlight_caption_and_3d_panel():
    vis = LiftingVisualizer(
        highlight_color=(0, 215, 255), bbox_color=(210, 210, 210))
    frame = _frame()
    referred, other = _person(1, 240, 100, 60), _person(0, 80, 100, 60)
    canvas = vis.draw_frame(frame, [other, referred], 1, T_POSE, 4)
    # left edges of the boxes, below the labels
    x1, y1, _, y2 = np.round(referred['bbox']).astype(int)
    assert tuple(canvas[(y1 + y2) // 2, x1]) == (0, 215, 255)
    x1, y1, _, y2 = np.round(other['bbox']).astype(int)
    assert tuple(canvas[(y1 + y2) // 2, x1]) == (210, 210, 210)
    # the referred box is thicker
    referred_px = (canvas[:200, :320] == (0, 215, 255)).all(-1).sum()
    other_px = (canvas[:200, :320] == (210, 210, 210)).all(-1).sum()
    assert referred_px > other_px
    # the panel is the 3D view of the referred person
    out_w, out_h = vis.output_size((320, 200))
    renderer = Skeleton3DRenderer(out_w - 320, out_h, channel_order='bgr')
    panel = renderer.render(T_POSE, 4, title='id 1  3D  frame 4')
    np.testing.assert_array_equal(canvas[:, 320:], panel)
    # the caption darkens the bottom of the frame and writes in white
    captioned = vis.draw_frame(
        frame, [other, referred], 1, T_POSE, 4, text='the person on the right')
    bottom = captioned[170:200, :320]
    assert (bottom > 240).all(-1).any()
    assert bottom.mean() < canvas[170:200, :320].mean()
    # the frame is not changed
    np.testing.assert_array_equal(frame, _frame())


def test_no_person_and_no_referral():
    vis = LiftingVisualizer()
    canvas = vis.draw_frame(_frame(), [], None, None, 0, text='a dog')
    assert canvas.shape == (200, 320 + 200, 3)
    panel = canvas[:, 320:]
    for color in SIDE_COLORS.values():  # no skeleton in the 3D view
        assert not (panel[60:] == color[::-1]).all(-1).any()
    # people without pose or box are drawn as far as they go
    nan_box = dict(_person(3, 100, 100, 40), bbox=[np.nan] * 4)
    no_pose = dict(_person(4, 200, 100, 40), keypoints_2d=None)
    vis.draw_frame(_frame(), [nan_box, no_pose], 3, None, 1)


def test_bad_input_is_one_line():
    vis = LiftingVisualizer()
    person = _person(0, 100, 100, 50)
    cases = [
        ([dict(person, keypoints_2d=np.zeros((17, 3)))], T_POSE,
         r'persons\[0\] keypoints_2d must have shape \(17, 2\), got '
         r'\(17, 3\)'),
        ([dict(person, keypoint_scores=np.zeros(16))], T_POSE,
         'keypoint_scores must have shape'),
        ([dict(person, bbox=[1, 2, 3])], T_POSE, 'bbox must be'),
        ([dict(person, mask=np.zeros((5, 5), bool))], T_POSE, 'mask must be'),
        ([{
            k: v
            for k, v in person.items() if k != 'track_id'
        }], T_POSE, 'no track_id'),
        ([person], T_POSE[:, :2], r'keypoints_3d must have shape \(17, 3\)'),
    ]
    for persons, keypoints_3d, message in cases:
        with pytest.raises(ValueError, match=message) as e:
            vis.draw_frame(_frame(), persons, 0, keypoints_3d, 0)
        assert '\n' not in str(e.value)
    with pytest.raises(ValueError, match='frame_bgr must be'):
        vis.draw_frame(np.zeros((10, 10), np.uint8), [], None, None, 0)


def _sports2d_frame():
    spec = importlib.util.find_spec('Sports2D')
    if spec is None or not spec.submodule_search_locations:
        pytest.skip('sports2d is not installed')
    path = osp.join(
        list(spec.submodule_search_locations)[0], 'Demo', 'demo.mp4')
    cap = cv2.VideoCapture(path)
    ok, frame = cap.read()
    cap.release()
    if not ok:
        pytest.skip(f'cannot read {path}')
    return frame


def test_full_size_two_person_frame_is_fast():
    frame = _sports2d_frame()
    assert frame.shape == (994, 1768, 3)
    vis = LiftingVisualizer(azim_step=1.)
    persons = [_person(0, 600, 500, 400), _person(1, 1300, 550, 300)]
    vis.draw_frame(frame, persons, 1, T_POSE, 0, text='the woman walking')
    start = time.perf_counter()
    for i in range(10):
        canvas = vis.draw_frame(
            frame, persons, 1, T_POSE, i, text='the woman walking')
    seconds = (time.perf_counter() - start) / 10
    assert canvas.shape == (994, 1768 + 994, 3)
    # about 10 ms on one core; the matplotlib composer took about 75 ms
    assert seconds < 0.06


def test_draw_tracks_from_person_tracks():
    from mmlpose.structures.track import PersonTrack
    num_frames = 3
    tracks = []
    for track_id, cx in ((0, 80), (1, 240)):
        track = PersonTrack.empty(track_id, num_frames)
        person = _person(track_id, cx, 100, 60)
        for t in range(num_frames):
            if track_id == 1 and t == 2:
                continue  # the referred person is absent in frame 2
            track.bboxes[t] = person['bbox']
            track.keypoints_2d[t] = person['keypoints_2d']
            track.keypoint_scores[t] = 0.9
            track.masks[t] = person['mask']
        track.keypoints_3d = np.repeat(T_POSE[None], num_frames, 0)
        tracks.append(track)
    vis = LiftingVisualizer()
    persons = vis.persons_from_tracks(tracks, 2)
    assert [p['track_id'] for p in persons] == [0]
    assert persons[0]['mask'] is tracks[0].masks[2]
    frame = _frame()
    by_tracks = vis.draw_tracks(frame, tracks, 1, 0, text='t')
    by_hand = vis.draw_frame(
        frame, vis.persons_from_tracks(tracks, 0), 1, T_POSE, 0, text='t')
    np.testing.assert_array_equal(by_tracks, by_hand)
    absent = vis.draw_tracks(frame, tracks, 1, 2)
    np.testing.assert_array_equal(absent,
                                  vis.draw_frame(frame, persons, 1, None, 2))
    with pytest.raises(ValueError, match='outside track 0'):
        vis.persons_from_tracks(tracks, 3)
