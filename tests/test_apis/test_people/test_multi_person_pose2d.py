# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest

from mmlpose.apis.people import MultiPersonPose2D
from mmlpose.registry import TASK_UTILS
from mmlpose.structures import PersonTrack


@pytest.fixture(scope='module')
def pose2d(detector, landmarker):
    return MultiPersonPose2D(detector=detector, landmarker=landmarker)


def test_two_people_of_sports2d(pose2d, sports2d_frames):
    """Frames 40-69: the man stands on the box, the woman walks in from the
    right; two long tracks that never swap."""
    pose2d.reset()
    for i, frame in enumerate(sports2d_frames):
        people = pose2d.process(frame, i)
        for p in people:
            assert p['keypoints'].shape == (17, 2)
            assert p['keypoint_scores'].shape == (17, )
            assert p['bbox'].shape == (4, ) and 0 < p['bbox_score'] <= 1
    num = len(sports2d_frames)
    tracks = pose2d.finalize(num)
    assert len(tracks) == 2
    assert all(isinstance(t, PersonTrack) for t in tracks)
    assert [t.track_id for t in tracks] == [0, 1]
    assert all(t.num_frames == num for t in tracks)
    assert all(t.present.sum() >= num - 3 for t in tracks)
    centre_x = [np.nanmean(t.bboxes[:, ::2], axis=1) for t in tracks]
    man, woman = np.argsort([np.nanmedian(c) for c in centre_x])
    man_x, woman_x = centre_x[man], centre_x[woman]
    # the man stays on the box (left of centre, x ~ 640 of 1768) ...
    assert np.nanmax(np.abs(man_x - 640)) < 100
    # ... while the woman walks leftwards on the lawn, always right of him
    first, last = np.flatnonzero(np.isfinite(woman_x))[[0, -1]]
    assert woman_x[first] - woman_x[last] > 100
    both = np.isfinite(man_x) & np.isfinite(woman_x)
    assert (woman_x[both] > man_x[both] + 400).all()
    # he stands on the box: his pelvis higher in the image than hers
    pelvis_y = [t.keypoints_2d[:, 0, 1] for t in tracks]
    assert (pelvis_y[man][both] < pelvis_y[woman][both] - 150).all()
    # masks: a small bool crop per present frame, inside the frame's box
    for t in tracks:
        assert set(t.masks) == set(t.frame_ids)
        for f, (mask, (x0, y0)) in t.masks.items():
            x1, y1, x2, y2 = t.bboxes[f]
            assert mask.dtype == bool and 0.2 < mask.mean() < 0.95
            assert (x0, y0) == (int(np.floor(x1)), int(np.floor(y1)))
            assert mask.shape == (int(np.ceil(y2)) - y0, int(np.ceil(x2)) - x0)
    assert set(pose2d.times) == {'detect', 'track', '2D'}
    assert all(v > 0 for v in pose2d.times.values())
    # following between detections: far fewer detector runs than frames
    assert pose2d.num_detections < num / 2


def test_single_image_and_empty_video(pose2d, two_person_photo):
    pose2d.reset()
    people = pose2d.process(two_person_photo, 0)
    assert len(people) == 2
    assert sorted(p['track_id'] for p in people) == [0, 1]
    tracks = pose2d.finalize(1)  # min_track_frames is capped by the length
    assert len(tracks) == 2 and all(t.present.tolist() == [True]
                                    for t in tracks)
    # nobody: empty lists, then no track
    pose2d.reset()
    assert pose2d.times == {'detect': 0., 'track': 0., '2D': 0.}
    black = np.zeros((240, 320, 3), np.uint8)
    assert pose2d.process(black, 0) == [] and pose2d.process(black, 1) == []
    assert pose2d.finalize(2) == []
    pose2d.reset()
    assert pose2d.finalize(0) == []


def test_bad_input(pose2d, two_person_photo):
    pose2d.reset()
    with pytest.raises(ValueError, match='BGR'):
        pose2d.process(np.zeros((10, 10), np.uint8), 0)
    pose2d.process(two_person_photo, 3)
    with pytest.raises(ValueError, match='reset'):
        pose2d.process(two_person_photo, 3)
    with pytest.raises(ValueError, match='frames'):
        pose2d.finalize(3)
    with pytest.raises(ValueError, match='detect_interval'):
        MultiPersonPose2D(
            detector=None, landmarker=None, tracker=None, detect_interval=0)


def test_built_from_configs(two_person_photo):
    pytest.importorskip('ai_edge_litert')
    pose2d = TASK_UTILS.build(
        dict(
            type='MultiPersonPose2D',
            detector=dict(type='BlazePoseDetector', num_tiles=1),
            landmarker=dict(type='BlazePoseLandmarker', with_mask=False),
            tracker=dict(type='HungarianTracker', max_age=5),
            detect_interval=1))
    assert pose2d.tracker.max_age == 5 and pose2d.detect_interval == 1
    people = pose2d.process(two_person_photo, 0)
    assert len(people) == 2 and all(p['mask'] is None for p in people)
