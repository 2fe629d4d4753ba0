# Copyright (c) mmlpose contributors. All rights reserved.
"""A track's phrases, salience and sentences."""
import pytest
import synthetic_tracks as st

from mmlpose.models.referrers.descriptors import (describe_track,
                                                  describe_tracks,
                                                  when_in_clip)


def test_when_in_clip():
    assert when_in_clip(0, 20, 90) == 'at the start'
    assert when_in_clip(35, 55, 90) == 'in the middle of the clip'
    assert when_in_clip(70, 90, 90) == 'at the end'


def test_walker_on_the_grass():
    track = st.walking(direction=-1)
    frames = st.paint_frames(track, 'white', 'black', background='green')
    desc = describe_track(track, [track], frames, st.IMAGE_SIZE)
    assert desc.sentences[0] == \
        'a person walking from right to left across the grass'
    assert desc.sentences[1] == 'a person in a white top and black trousers'
    assert desc.text.startswith(
        'a person walking from right to left across the grass. a person in '
        'a white top and black trousers. ')
    for phrase in ('a person walking', 'a person walking on the grass',
                   'a person walking across the grass',
                   'a person on the grass', 'a person wearing black trousers'):
        assert phrase in desc.phrases
    assert len(desc.salience) == len(desc.phrases)
    assert all(s == 1. for s in desc.salience)  # walking all along
    assert desc.has('walking') and not desc.has('running')
    assert desc.facts['on_grass'] == 1.


def test_jumper_phrases_timing_and_salience():
    track = st.jumping_down()
    desc = describe_track(track, None, None, st.IMAGE_SIZE)
    phrases = dict(zip(desc.phrases, desc.salience))
    assert 'a person jumping down from a height' in phrases
    assert 'a person jumping down from a height in the middle of the clip' \
        in phrases
    assert 'a person standing on top of something' in phrases  # before it
    assert 'a person up on something high' in phrases
    # the jump lasts ~0.6 s of 3 s: salience 0.2 / 0.5 = 0.4
    assert phrases['a person jumping down'] == pytest.approx(0.4, abs=0.1)
    # one event per kind, in temporal order
    assert desc.sentences[0] == ('a person standing still, jumping down from '
                                 'a height, then squatting down')
    # no frames: no colour, no grass
    assert not desc.colours and 'on_grass' not in desc.facts


def test_motion_sentence_keeps_the_telling_events():
    desc = describe_track(st.jumping_jacks(), image_size=st.IMAGE_SIZE)
    # raising the arms is implied by the jumping jacks
    assert desc.sentences[0] == 'a person doing jumping jacks'
    assert 'a person raising both arms above the head' in desc.phrases


def test_describe_tracks_reads_the_frame_rate_from_meta():
    slow = st.walking(frames=30, fps=10.)  # meta['fps'] = 10
    fast = st.walking(frames=90, track_id=1, x0=300.)
    descs = describe_tracks([slow, fast], image_size=st.IMAGE_SIZE, fps=30.)
    assert [d.track_id for d in descs] == [0, 1]
    for d in descs:
        assert d.events[0].verb == \
            'walking from left to right across the frame'
