# Copyright (c) mmlpose contributors. All rights reserved.
"""The inference path on the real two-person clip of the sports2d package:
a man stands on a box, raises his arms and jumps down onto the lawn while a
woman walks across the grass from right to left."""
import json

import cv2
import numpy as np
import pytest
import torch

from mmlpose.apis import MMLPoseInferencer
from mmlpose.apis.inferencers import InputError, sports2d_demo_video
from mmlpose.apis.inferencers.lifting_inferencer import STAGES
from mmlpose.registry import INFERENCERS


@pytest.fixture(scope='module')
def clip():
    try:
        return sports2d_demo_video()
    except InputError as e:
        pytest.skip(str(e))


@pytest.fixture(scope='module')
def inferencer():
    return MMLPoseInferencer('mixste-tiny-deepmimic', device='cpu')


@pytest.fixture(scope='module')
def result(inferencer, clip, tmp_path_factory):
    out = tmp_path_factory.mktemp('sports2d')
    return next(inferencer(clip, pred_out_dir=str(out)))


def _woman_and_man(result):
    """The woman walks right to left; the man stays near the box (left)."""
    tracks = sorted(result['tracks'], key=lambda t: -t.present.sum())[:2]
    travel = []
    for track in tracks:
        ok = np.isfinite(track.bboxes).all(axis=1)
        cx = (track.bboxes[ok, 0] + track.bboxes[ok, 2]) / 2
        travel.append(cx[-1] - cx[0])
    woman = tracks[int(np.argmin(travel))]
    man = tracks[int(np.argmax(travel))]
    return woman, man


def test_registered():
    assert INFERENCERS.get('LiftingInferencer') is not None
    assert INFERENCERS.get('lifting-3d') is INFERENCERS.get(
        'LiftingInferencer')


def test_both_people_tracked_and_lifted(result):
    assert result['num_frames'] == 230
    long_tracks = [t for t in result['tracks'] if t.present.sum() >= 150]
    assert len(long_tracks) == 2, [t.present.sum() for t in result['tracks']]
    woman, man = _woman_and_man(result)
    assert woman.track_id != man.track_id
    # the woman crosses a good part of the frame, right to left
    ok = np.isfinite(woman.bboxes).all(axis=1)
    cx = (woman.bboxes[ok, 0] + woman.bboxes[ok, 2]) / 2
    assert cx[0] - cx[-1] > 0.25 * result['width']
    for track in (woman, man):
        present = track.present
        kpts = track.keypoints_3d[present]
        assert kpts.shape[1:] == (17, 3)
        assert np.isfinite(kpts).all()
        # root-relative: the pelvis is the origin
        np.testing.assert_allclose(kpts[:, 0], 0, atol=1e-5)
        # a person-sized skeleton (metres): head to foot 1..2.5 m
        height = np.linalg.norm(kpts[:, 10] - kpts[:, 3], axis=-1)
        assert 0.8 < np.median(height) < 2.5
        assert np.all(track.keypoints_3d[~present] == 0)
        # masks inside the person's box on most frames
        assert len(track.masks) > 0.8 * present.sum()


def test_json_layout(result):
    with open(result['json_path']) as f:
        data = json.load(f)
    assert data['text'] is None
    assert {'referred_track_id', 'scores', 'frames'} <= set(data)
    assert len(data['frames']) == 230
    ids = {p['track_id'] for fr in data['frames'] for p in fr['persons']}
    woman, man = _woman_and_man(result)
    assert {woman.track_id, man.track_id} <= ids
    frame = next(fr for fr in data['frames'] if len(fr['persons']) == 2)
    for person in frame['persons']:
        assert set(person) == {
            'track_id', 'bbox', 'keypoints_2d', 'keypoint_scores',
            'keypoints_3d', 'referred'
        }
        assert len(person['bbox']) == 4
        assert np.array(person['keypoints_2d']).shape == (17, 2)
        assert np.array(person['keypoints_3d']).shape == (17, 3)
    # without a sentence, the largest track is the one shown
    referred = [p['referred'] for fr in data['frames'] for p in fr['persons']]
    assert any(referred)


WOMAN_SENTENCES = ('the person walking across the grass',
                   'the woman walking on the lawn from right to left',
                   'someone strolling from right to left')
MAN_SENTENCES = ('the person jumping down from the box',
                 'the man who raises his arms and jumps off the box',
                 'the guy raising his arms')
ABSENT_SENTENCES = ('a dog catching a frisbee',
                    'a red car parked on the street',
                    'a cyclist riding a bike', 'a person sitting on a chair',
                    'someone lying on the ground')


@pytest.mark.parametrize('text', WOMAN_SENTENCES)
def test_refers_the_woman(inferencer, result, text):
    woman, man = _woman_and_man(result)
    referral = inferencer.inferencer.refer(result, text)
    assert referral.referred_track_id == woman.track_id, referral.scores
    assert referral.scores[woman.track_id] > referral.scores[man.track_id]


@pytest.mark.parametrize('text', MAN_SENTENCES)
def test_refers_the_man(inferencer, result, text):
    woman, man = _woman_and_man(result)
    referral = inferencer.inferencer.refer(result, text)
    assert referral.referred_track_id == man.track_id, referral.scores
    assert referral.scores[man.track_id] > referral.scores[woman.track_id]


@pytest.mark.parametrize('text', ABSENT_SENTENCES)
def test_absent_things_match_nobody(inferencer, result, text):
    referral = inferencer.inferencer.refer(result, text)
    assert referral.referred_track_id is None, referral.scores
    assert not referral.matched
    assert max(referral.scores.values()) < referral.threshold - 0.05


def test_descriptions_say_what_was_measured(inferencer, result):
    woman, man = _woman_and_man(result)
    referral = inferencer.inferencer.refer(result, WOMAN_SENTENCES[0])
    assert 'jumping down' in referral.descriptions[man.track_id]
    assert 'walking from right to left across the grass' in \
        referral.descriptions[woman.track_id]


def test_sentence_given_to_the_call(inferencer, clip):
    # the sentence given to __call__ is scored in the same pass
    out = next(inferencer(clip, text=MAN_SENTENCES[0], max_frames=90))
    assert out['text'] == MAN_SENTENCES[0] and out['matched']
    woman, man = _woman_and_man(out)
    assert out['referred_track_id'] == man.track_id
    referred = {
        p['track_id']
        for fr in out['predictions'] for p in fr['persons'] if p['referred']
    }
    assert referred == {man.track_id}


def test_video_without_people(inferencer, tmp_path):
    path = tmp_path / 'empty_scene.mp4'
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'mp4v'), 10, (160, 120))
    for i in range(8):
        writer.write(np.full((120, 160, 3), 40 + 10 * i, np.uint8))
    writer.release()
    out = next(inferencer(str(path), text='the person on the left'))
    # a documented empty result: no track, nobody referred
    assert out['tracks'] == [] and out['referred_track_id'] is None
    assert out['scores'] == {}
    assert all(fr['persons'] == [] for fr in out['predictions'])


def test_bad_arguments(inferencer, clip):
    with pytest.raises(ValueError, match='unknown argument'):
        next(inferencer(clip, not_an_option=1))
    with pytest.raises(InputError, match='empty'):
        next(inferencer(clip, text='   ', max_frames=2))


# --- test-time adaptation (adapt=...) ---------------------------------------
WOMAN_45 = 'the woman walking across the grass'  # she enters at frame ~40


@pytest.fixture(scope='module')
def adapt_inferencer():
    return MMLPoseInferencer(
        'mixste-tiny-deepmimic', device='cpu', adapt=dict(epochs=1))


def test_adapt_the_referred_track(adapt_inferencer, clip, tmp_path):
    out = next(adapt_inferencer(clip, text=WOMAN_45, max_frames=45,
                                pred_out_dir=str(tmp_path)))
    assert len(out['tracks']) == 2 and out['matched']
    referred = out['referred_track_id']
    assert set(out['adaptation']) == {referred}
    summary = out['adaptation'][referred]
    assert summary['text'] == WOMAN_45  # the sentence is the motion text
    assert summary['similarity'] is not None and summary['seconds'] > 0
    assert set(summary['losses']) >= {'loss_proj', 'loss_smooth',
                                      'loss_align'}
    assert out['timings']['adapt'] > 0
    assert list(out['timings']) == list(STAGES)
    track = next(t for t in out['tracks'] if t.track_id == referred)
    other = next(t for t in out['tracks'] if t.track_id != referred)
    before = track.meta['keypoints_3d_before']
    assert before.shape == track.keypoints_3d.shape
    assert not np.allclose(before[track.present], track.keypoints_3d[
        track.present])  # the weights moved
    assert np.all(track.keypoints_3d[~track.present] == 0)
    assert 'keypoints_3d_before' not in other.meta
    with open(out['json_path']) as f:
        data = json.load(f)
    assert data['adaptation'][str(referred)]['text'] == WOMAN_45
    for record in data['frames']:
        for person in record['persons']:
            assert ('keypoints_3d_before' in person) == (
                person['track_id'] == referred)


def test_adapt_every_track_with_the_action_text(adapt_inferencer, clip):
    lifter = adapt_inferencer.model
    weights = {k: v.clone() for k, v in lifter.state_dict().items()}
    out = next(adapt_inferencer(clip, max_frames=45, action_text='walk'))
    assert set(out['adaptation']) == {t.track_id for t in out['tracks']}
    assert all(s['text'] == 'walk' for s in out['adaptation'].values())
    # a copy is adapted; the inferencer's lifter is unchanged
    for key, value in lifter.state_dict().items():
        assert torch.equal(value, weights[key]), key


def test_build_adapter():
    from mmengine.config import Config

    from mmlpose.apis.inferencers.lifting_inferencer import build_adapter
    from mmlpose.engine.tta import SemanticTTA
    cfg = Config(dict(tta_cfg=dict(
        type='SemanticTTA', epochs=3, segment_len=30,
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.9)))))
    assert build_adapter(cfg, False) is None
    tta = build_adapter(cfg, True)
    assert isinstance(tta, SemanticTTA)
    assert (tta.epochs, tta.segment_len) == (3, 30)
    tta = build_adapter(cfg, dict(epochs=1, optimizer=dict(lr=1e-5)))
    assert (tta.epochs, tta.segment_len) == (1, 30)  # merged key by key
    assert tta.optimizer_cfg == dict(type='Adam', lr=1e-5, betas=(0.5, 0.9))
    assert build_adapter(Config(), True).epochs == 6  # the paper default
    assert build_adapter(Config(), dict(epochs=2)).epochs == 2
    with pytest.raises(TypeError, match='bool or a dict'):
        build_adapter(cfg, 'yes')


def test_track_sequence_and_selection():
    from mmlpose.apis.inferencers.lifting_inferencer import (
        select_tracks_to_adapt, track_sequence)
    from mmlpose.structures import PersonTrack
    track = PersonTrack.empty(3, 8)
    for i in (2, 3, 6):  # absent at 0, 1, 4, 5 and 7
        track.keypoints_2d[i] = 10. * i
        track.keypoint_scores[i] = 0.9
    seq, span = track_sequence(track, (640, 480), 'walk')
    assert span == slice(2, 7) and seq.num_frames == 5
    assert seq.meta['start'] == 2 and seq.action_text == 'walk'
    np.testing.assert_allclose(seq.keypoints_2d[:, 0, 0],
                               [20, 30, 40, 50, 60])  # interpolated
    np.testing.assert_allclose(seq.keypoint_scores[:, 0],
                               [.9, .9, 0, 0, .9])  # gaps are missing
    with pytest.raises(ValueError, match='no 2D pose'):
        track_sequence(PersonTrack.empty(4, 8), (640, 480))

    never = PersonTrack.empty(4, 8)
    tracks = [track, never]
    chosen, text = select_tracks_to_adapt(tracks, 3, 'the walker', None)
    assert chosen == [track] and text == 'the walker'
    chosen, text = select_tracks_to_adapt(tracks, 3, 'the walker', 'walk')
    assert chosen == [track] and text == 'walk'
    # no match, or no sentence: every track (with 2D), the action text only
    assert select_tracks_to_adapt(tracks, None, 'a dog', 'walk') == (
        [track], 'walk')
    assert select_tracks_to_adapt(tracks, None, None, None) == ([track],
                                                                None)
