# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest

from mmlpose.apis.people.tracker import (HungarianTracker,
                                         bhattacharyya_distance, hsv_histogram)
from mmlpose.registry import TASK_UTILS


def _box(cx: float, cy: float, w: float = 100., h: float = 300.):
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def _hist(bin_idx: int, dim: int = 64) -> np.ndarray:
    h = np.zeros(dim)
    h[bin_idx] = 1.
    return h


def test_crossing_people_keep_ids():
    """A walks right, B walks left, 20 px lower (further back); their boxes
    overlap heavily around frame 10 (IoU up to 0.8)."""
    for with_appearance in (False, True):
        tracker = HungarianTracker()
        seen = []
        for t in range(21):
            a, b = _box(100 + 40 * t, 300), _box(900 - 40 * t, 320)
            # present them in both orders: ids must not follow list order
            boxes = [a, b] if t % 2 == 0 else [b, a]
            hists = (
                np.stack([_hist(3), _hist(40)] if t %
                         2 == 0 else [_hist(40), _hist(3)])
                if with_appearance else None)
            ids = tracker.update(np.array(boxes), t, hists)
            seen.append(ids if t % 2 == 0 else ids[::-1])
        seen = np.array(seen)
        assert (seen[:, 0] == 0).all() and (seen[:, 1] == 1).all(), seen


def test_occluded_person_comes_back_with_id():
    tracker = HungarianTracker(max_age=10)
    for t in range(5):
        ids = tracker.update(np.array([_box(100 + 20 * t, 300)]), t)
        assert ids.tolist() == [0]
    # frames 5..11 occluded: predicted at constant velocity meanwhile
    for t in range(5, 12):
        assert tracker.update(np.zeros((0, 4)), t).shape == (0, )
        assert tracker.num_lost == 1
    np.testing.assert_allclose(
        tracker.predicted_boxes(12)[0], _box(100 + 20 * 12, 300))
    ids = tracker.update(np.array([_box(100 + 20 * 12, 300)]), 12)
    assert ids.tolist() == [0] and tracker.num_lost == 0


def test_expired_track_and_new_person_get_new_ids():
    tracker = HungarianTracker(max_age=3)
    tracker.update(np.array([_box(100, 300)]), 0)
    # unmatched on frames 1..4: more than max_age frames -> gone
    ids = tracker.update(np.array([_box(100, 300)]), 5)
    assert ids.tolist() == [1]
    # a second person far away gets a new id, the first keeps its own
    ids = tracker.update(np.array([_box(102, 300), _box(800, 300)]), 6)
    assert ids.tolist() == [1, 2]
    tracker.reset()
    assert tracker.update(np.array([_box(0, 0)]), 0).tolist() == [0]


def test_gates_forbid_far_or_unlike_matches():
    tracker = HungarianTracker(max_center_distance=1.0)
    tracker.update(np.array([_box(100, 300)]), 0, np.stack([_hist(3)]))
    # same place, other colours: cost (0 + 1) / 2 = 0.5 < max_cost -> match
    assert tracker.update(np.array([_box(100, 300)]), 1,
                          np.stack([_hist(9)])).tolist() == [0]
    # shifted by 80 of 100 px (IoU 1/9) and other colours: cost
    # (8/9 + 1) / 2 = 0.94 > max_cost 0.75 -> a new track
    assert tracker.update(
        np.array([_box(180, 300)]), 2, np.stack([_hist(30)])).tolist() == [1]
    # centre 2 diagonals away: gated, a new track
    far = _box(100 + 2 * np.hypot(100, 300), 300)
    assert tracker.update(np.array([far]), 3).tolist() == [2]


def test_appearance_breaks_a_tie():
    """Two people in the same box: the colours decide."""
    tracker = HungarianTracker()
    tracker.update(
        np.array([_box(100, 300), _box(400, 300)]), 0,
        np.stack([_hist(3), _hist(40)]))
    ids = tracker.update(
        np.array([_box(250, 300), _box(250, 300)]), 1,
        np.stack([_hist(40), _hist(3)]))
    assert ids.tolist() == [1, 0]


def test_hsv_histogram_and_distance():
    image = np.zeros((100, 100, 3), np.uint8)
    image[:] = (255, 0, 0)  # blue
    image[20:60, 30:50] = (0, 0, 255)  # a red person
    mask = np.zeros((40, 20), bool)
    mask[:] = True
    red = hsv_histogram(image, np.array([10, 10, 90, 90]), (mask, (30, 20)))
    box_only = hsv_histogram(image, np.array([10, 10, 90, 90]))
    assert red.shape == (64, ) and red.sum() == pytest.approx(1)
    # hue 0 (red), full saturation: bin (0, 3)
    assert red[3] == pytest.approx(1)
    # without the mask the blue background dominates (hue 120 -> bin 10)
    assert box_only[10 * 4 + 3] > 0.8
    d = bhattacharyya_distance(np.stack([red, box_only]), np.stack([red]))
    assert d[0, 0] == pytest.approx(0, abs=1e-6)
    assert 0.8 < d[1, 0] <= 1
    # a box outside the image: unknown (zeros), at distance 1 of anything
    empty = hsv_histogram(image, np.array([200, 200, 300, 300]))
    assert not empty.any()
    assert bhattacharyya_distance(empty[None], red[None])[0, 0] == 1


def test_bad_input_and_registry():
    tracker = TASK_UTILS.build(dict(type='HungarianTracker', max_age=2))
    assert isinstance(tracker, HungarianTracker) and tracker.max_age == 2
    with pytest.raises(ValueError, match='finite'):
        tracker.update(np.array([[0, 0, np.nan, 1]]), 0)
    with pytest.raises(ValueError, match='max_age'):
        HungarianTracker(max_age=-1)
    with pytest.raises(ValueError, match='weight'):
        HungarianTracker(iou_weight=0, appearance_weight=0)
