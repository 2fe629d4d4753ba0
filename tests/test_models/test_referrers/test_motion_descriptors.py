# Copyright (c) mmlpose contributors. All rights reserved.
"""Motion events of hand-made tracks with known motion."""
import numpy as np
import pytest
import synthetic_tracks as st

from mmlpose.models.referrers.motion_descriptors import (RUN_MIN_SPEED,
                                                         WALK_MIN_SPEED,
                                                         count_alternations,
                                                         describe_motion)

SIZE = st.IMAGE_SIZE


def kinds(track, fps=st.FPS, size=SIZE):
    return {e.kind: e for e in describe_motion(track, fps, size)[0]}


def test_count_alternations_hysteresis():
    signal = np.array([0, .1, .2, .1, -.1, -.2, -.05, .05, -.2, .2, .3])
    # +0.2 -> -0.2 (frame 5), -> +0.2 (9); the dip to -0.05 is too small
    np.testing.assert_array_equal(count_alternations(signal, 0.15), [5, 9])
    assert len(count_alternations(np.full(10, 0.5), 0.1)) == 0


def test_walking_sideways_with_direction_speed_and_gait():
    # 1.2 m/s for a 1.65 m skeleton: 0.73 heights/s, 2 steps/s
    track = st.walking(speed=1.2, direction=1)
    events, facts = describe_motion(track, st.FPS, SIZE)
    assert [e.kind for e in events] == ['walking']
    walk = events[0]
    assert walk.verb == 'walking from left to right across the frame'
    assert walk.value == pytest.approx(1.2 / st.SKELETON_HEIGHT, rel=0.05)
    assert WALK_MIN_SPEED < walk.value < RUN_MIN_SPEED
    assert facts['step_rate'] == pytest.approx(2., abs=0.35)
    assert (walk.start, walk.end) == (0, 90)

    left = kinds(st.walking(direction=-1))['walking']
    assert left.verb == 'walking from right to left across the frame'
    # without the image size: no "across the frame"
    assert kinds(st.walking(), size=(0, 0))['walking'].verb == \
        'walking from left to right'


def test_walking_from_2d_only():
    track = st.walking(direction=-1)
    track.keypoints_3d = None
    events, facts = describe_motion(track, st.FPS, SIZE)
    assert [e.verb for e in events
            ] == ['walking from right to left across the frame']
    assert facts['step_rate'] == pytest.approx(2., abs=0.35)


def test_running():
    # 3.5 m/s, 3 steps/s
    run = kinds(st.walking(speed=3.5, step_hz=3.))
    assert set(run) == {'running'}
    assert run['running'].value == pytest.approx(3.5 / 1.65, rel=0.05)
    assert run['running'].verb.startswith('running from left to right')


def test_standing_still():
    events, facts = describe_motion(st.standing(), st.FPS, SIZE)
    assert [(e.kind, e.start, e.end) for e in events] == [('still', 0, 90)]
    assert 'speed' not in facts  # never moving


def test_towards_the_camera():
    walk = kinds(st.towards_camera())['walking']
    assert walk.verb == 'walking towards the camera'


def test_jumping_down_from_a_box():
    track = st.jumping_down(box_height=1.0)
    found = kinds(track)
    drop = found['jumping_down']
    # the feet drop 1 m = 0.6 skeleton heights, from 1.0 s to 1.3 s
    assert drop.value == pytest.approx(1.0 / 1.65, rel=0.1)
    assert 25 <= drop.start <= 33 and 38 <= drop.end <= 52
    assert 'squatting' in found  # the landing, knees at 95 degrees
    assert 'jumping' not in found


def test_jumping_down_across_a_gap():
    """Lost in mid-air (frames 28-42 missing): the drop is still seen."""
    track = st.jumping_down()
    track.keypoints_2d[28:43] = np.nan
    track.bboxes[28:43] = np.nan
    track.keypoints_3d[28:43] = 0
    assert 'jumping_down' in kinds(track)
    # a small step down (0.1 m) is not a jump
    assert 'jumping_down' not in kinds(st.jumping_down(box_height=0.1))


def test_jumping_in_place():
    events = [
        e for e in describe_motion(st.jumping_in_place(), st.FPS, SIZE)[0]
        if e.kind == 'jumping'
    ]
    assert len(events) == 2
    assert events[0].start >= 30 and events[1].start >= 60
    assert events[0].value == pytest.approx(0.35 / 1.65, abs=0.03)


def test_raising_arms():
    both = [
        e for e in describe_motion(st.raising_arms(), st.FPS, SIZE)[0]
        if e.kind.startswith('raising')
    ]
    assert [(e.kind, e.start, e.end)
            for e in both] == [('raising_arms', 30, 60)]
    one = [
        e
        for e in describe_motion(st.raising_arms(both=False), st.FPS, SIZE)[0]
        if e.kind.startswith('raising')
    ]
    assert [(e.kind, e.verb)
            for e in one] == [('raising_arm', 'raising the left arm')]


def test_jumping_jacks():
    found = kinds(st.jumping_jacks())
    assert found['jumping_jacks'].value == 4  # repetitions
    assert 'walking' not in found and 'still' not in found


def test_crouching():
    squat = kinds(st.crouching())['squatting']
    assert (squat.start, squat.end) == (30, 60)
    assert squat.value == pytest.approx(80., abs=1.)
    # 2D only: the hip height above the ankles
    track = st.crouching()
    track.keypoints_3d = None
    assert 'squatting' in kinds(track) or 'crouching' in kinds(track)


def test_turning_around():
    turn = kinds(st.turning_around())['turning']
    assert turn.verb == 'turning around' and turn.value > 150
    assert 'turning' not in kinds(st.standing())
    assert 'turning' not in kinds(st.walking())


def test_cut_boxes_give_no_pose_events():
    """A person partly out of the frame: no crouching from a cut body."""
    track = st.crouching()
    track.bboxes[:, 0] = 0.  # the box touches the left border
    found = kinds(track)
    assert 'squatting' not in found and 'still' in found


def test_short_or_bad_tracks():
    short = st.standing(frames=10)
    assert describe_motion(short, st.FPS, SIZE) == ([], {})
    # an isolated detection is ignored
    track = st.standing()
    track.keypoints_2d[5:20] = np.nan
    track.keypoints_3d[5:20] = 0
    events = describe_motion(track, st.FPS, SIZE)[0]
    assert min(e.start for e in events) >= 20
    with pytest.raises(ValueError, match='fps'):
        describe_motion(track, 0.)


def test_lower_frame_rate():
    """The same walk sampled at 10 frames/s is described the same way."""
    track = st.walking(frames=30, fps=10.)
    assert kinds(track, fps=10.)['walking'].verb == \
        'walking from left to right across the frame'
