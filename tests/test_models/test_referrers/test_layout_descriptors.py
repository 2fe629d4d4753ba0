# Copyright (c) mmlpose contributors. All rights reserved.
"""Position, size and presence phrases from boxes."""
import numpy as np
import pytest

from mmlpose.models.referrers.layout_descriptors import (describe_layout,
                                                         track_boxes)
from mmlpose.structures.track import PersonTrack

SIZE = (1000, 500)


def box_track(track_id, box, frames=10, present=None):
    """A track whose keypoints fill a fixed box in the given frames."""
    track = PersonTrack.empty(track_id, frames)
    x1, y1, x2, y2 = box
    grid = np.stack([np.linspace(x1, x2, 17), np.linspace(y1, y2, 17)], -1)
    for i in (range(frames) if present is None else present):
        track.keypoints_2d[i] = grid
        track.bboxes[i] = box
    return track


def test_side_and_distance():
    left_far = box_track(0, (100, 300, 140, 400))  # x 0.12, height 0.2
    phrases, summary, facts = describe_layout(left_far, [left_far], SIZE)
    assert facts['x'] == pytest.approx(0.12)
    assert facts['height'] == pytest.approx(0.2)
    assert 'a person on the left of the frame' in phrases
    assert 'a person far from the camera' in phrases
    assert 'a person in the background' in phrases  # alone and far
    assert summary == 'a small person far from the camera on the left'

    right_near = box_track(0, (800, 200, 900, 480))  # x 0.85, h 0.56
    phrases, summary, _ = describe_layout(right_near, [right_near], SIZE)
    assert 'a person on the right of the frame' in phrases
    assert 'a person close to the camera' in phrases
    assert 'a person in the foreground' in phrases  # bottom 0.96
    assert summary == 'a large person close to the camera on the right'

    centre = box_track(0, (480, 200, 520, 360))
    phrases, summary, _ = describe_layout(centre, [centre], SIZE)
    assert 'a person in the centre of the frame' in phrases
    assert summary == 'a person in the centre'


def test_relative_size_and_depth():
    big = box_track(0, (100, 150, 200, 480))  # height 330, bottom 480
    small = box_track(1, (700, 200, 740, 300))  # height 100, bottom 300
    tracks = [big, small]
    p_big, _, f_big = describe_layout(big, tracks, SIZE)
    p_small, _, _ = describe_layout(small, tracks, SIZE)
    assert f_big['size_ratio'] == pytest.approx(3.3)
    assert 'the tallest person, the largest in the frame' in p_big
    assert 'a person in the foreground' in p_big
    assert 'the smallest person in the frame' in p_small
    assert 'a person in the background' in p_small
    # similar sizes: neither tallest nor smallest
    twin = box_track(2, (300, 160, 400, 480))
    p_twin, _, _ = describe_layout(twin, [big, twin], SIZE)
    assert not any('tallest' in p or 'smallest' in p for p in p_twin)


def test_presence_in_the_clip():
    late = box_track(0, (100, 100, 200, 300), frames=10, present=range(5, 10))
    assert 'a person who appears later in the clip' in describe_layout(
        late, [late], SIZE)[0]
    early = box_track(0, (100, 100, 200, 300), frames=10, present=range(4))
    assert 'a person who leaves before the end of the clip' in \
        describe_layout(early, [early], SIZE)[0]


def test_boxes_from_keypoints_and_absent_tracks():
    track = box_track(0, (100, 100, 200, 300))
    track.bboxes[:] = np.nan  # no tracker boxes: keypoint extent
    np.testing.assert_allclose(track_boxes(track)[0], [100, 100, 200, 300])
    absent = PersonTrack.empty(1, 10)
    assert describe_layout(absent, [absent, track], SIZE) == ([], '', {})
    # unknown image size: relative phrases only
    phrases, summary, facts = describe_layout(track, [track], (0, 0))
    assert phrases == [] and summary == '' and facts == {}
