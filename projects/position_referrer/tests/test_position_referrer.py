# Copyright (c) mmlpose contributors. All rights reserved.
import os.path as osp

import pytest
from mmengine.config import Config

from mmlpose.registry import MODELS
from mmlpose.structures import PersonTrack

PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(PROJECT, 'configs',
                  'mixste-tiny_position-referrer_deepmimic.py')


def _track(track_id, x1, height, frames=5, image_h=500):
    track = PersonTrack.empty(track_id, frames)
    for t in range(frames):
        track.bboxes[t] = [x1, image_h - height, x1 + height / 3, image_h]
        track.keypoints_2d[t] = [x1, image_h - height / 2]
    return track


@pytest.fixture(scope='module')
def referrer():
    # the config's custom_imports registers the project's referrer
    cfg = Config.fromfile(CONFIG)
    return MODELS.build(cfg.referrer)


@pytest.fixture
def tracks():
    # track 0: small, on the right; track 1: tall, on the left;
    # track 2: medium, in the middle
    return [_track(0, 800, 100), _track(1, 50, 400), _track(2, 450, 250)]


def test_config_registers_and_builds(referrer):
    assert type(referrer).__name__ == 'PositionReferrer'
    assert referrer.threshold == 0.75


@pytest.mark.parametrize('text, expected', [
    ('the person on the left', 1),
    ('the person on the right', 0),
    ('the person in the middle', 2),
    ('the one closest to the camera', 1),
    ('the small person far in the background', 0),
    ('the biggest person on the left', 1),
])
def test_refers_by_position(referrer, tracks, text, expected):
    result = referrer(text, tracks, image_size=(1000, 500))
    assert result.referred_track_id == expected
    assert result.scores[expected] == pytest.approx(1.0)
    assert set(result.scores) == {0, 1, 2}


def test_hand_computed_scores(referrer, tracks):
    # x ranks: track 0 -> 1, track 1 -> 0, track 2 -> 0.5;
    # "left" scores 1 - rank; "closest" (size rank) 0, 1, 0.5
    result = referrer('the left person closest to us', tracks,
                      image_size=(1000, 500))
    assert result.scores == pytest.approx({0: 0.0, 1: 1.0, 2: 0.5})


def test_no_spatial_word_is_no_match(referrer, tracks):
    result = referrer('a dog catching a frisbee', tracks,
                      image_size=(1000, 500))
    assert result.referred_track_id is None
    assert not result.matched
    assert all(s == 0 for s in result.scores.values())


def test_contradiction_is_no_match(referrer, tracks):
    # "left" and "right" cancel out: nobody reaches the threshold
    result = referrer('left or right', tracks, image_size=(1000, 500))
    assert result.referred_track_id is None


def test_empty_sentence_and_no_track(referrer, tracks):
    with pytest.raises(ValueError, match='empty'):
        referrer('  ', tracks, image_size=(1000, 500))
    assert referrer('the left one', [], image_size=(1000, 500)).scores == {}
