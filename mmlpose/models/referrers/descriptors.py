# Copyright (c) mmlpose contributors. All rights reserved.
"""A track's description: phrases from what is measured (clothing colours,
position and size, motion), for text referral without training.

:func:`describe_track` gathers the three kinds of descriptors
(:mod:`.colour_descriptors`, :mod:`.layout_descriptors`,
:mod:`.motion_descriptors`) into a :class:`TrackDescription`: short
single-fact phrases (``'a person jumping down from a height'``), the same
with when it happened (``'... at the end'``), and a few sentences that read
as a description (``'a person walking from right to left across the frame.
a person in a dark top and light trousers. a small person far from the
camera on the right.'``).
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmlpose.structures.track import PersonTrack
from .colour_descriptors import (RegionColour, clothing_colours,
                                 colour_phrases, grass_under_feet)
from .layout_descriptors import describe_layout
from .motion_descriptors import MotionEvent, describe_motion

#: An event lasting less than this share of the person's time in view is
#: also phrased with when it happens ("at the start", "in the middle of the
#: clip", "at the end": thirds of the clip).
TIMED_MAX_COVER = 0.6
#: An event lasting at least this share of the person's time in view is
#: fully salient; shorter ones have a salience in proportion (a referrer
#: may prefer, between equally similar phrases, the longer-lasting fact).
SALIENT_COVER = 0.5
#: The motion sentence names at most this many events, the most telling
#: first (EVENT_PRIORITY), then put back in temporal order.
MAX_SENTENCE_EVENTS = 4
EVENT_PRIORITY = ('jumping_down', 'jumping_jacks', 'running', 'walking',
                  'raising_arms', 'raising_arm', 'squatting', 'crouching',
                  'jumping', 'turning', 'still')
#: Events before a jump down happened up on something.
ELEVATED_VERBS = dict(
    still='standing',
    walking='walking',
    jumping_jacks='doing jumping jacks',
    raising_arms='standing')
#: Events left out of the motion sentence next to the one that implies
#: them.
IMPLIED_BY = {
    'jumping': ('jumping_down', 'jumping_jacks'),
    'raising_arms': ('jumping_jacks', ),
}
#: Extra wordings of an event kind (all measured by the same event).
EVENT_SYNONYMS = {
    'jumping_down': ('a person jumping', 'a person jumping down',
                     'a person jumping off something high'),
    'jumping': ('a person jumping in the air', ),
    'jumping_jacks': ('a person jumping', 'a person working out'),
    'raising_arms': ('a person raising the arms', ),
    'raising_arm': ('a person raising an arm', ),
    'still': ('a person standing in place', ),
}


@dataclass
class TrackDescription:
    """What the descriptors measured about one track.

    Attributes:
        track_id (int): The track.
        phrases (list[str]): Short phrases, each one fact, that a referrer
            compares with the sentence.
        salience (list[float]): How much of the clip each phrase's fact
            covers, in (0, 1] (1 for appearance and layout).
        sentences (list[str]): The description, a few short sentences.
        events (list[MotionEvent]): Motion events in temporal order.
        colours (dict): ``'upper'`` / ``'lower'`` -> :class:`RegionColour`.
        facts (dict): The measurements behind the phrases.
    """
    track_id: int
    phrases: List[str] = field(default_factory=list)
    salience: List[float] = field(default_factory=list)
    sentences: List[str] = field(default_factory=list)
    events: List[MotionEvent] = field(default_factory=list)
    colours: Dict[str, RegionColour] = field(default_factory=dict)
    facts: Dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The sentences as one text."""
        return ''.join(f'{s}. ' for s in self.sentences).strip()

    def has(self, kind: str) -> bool:
        """Whether a motion event of this kind was seen."""
        return any(e.kind == kind for e in self.events)


def when_in_clip(start: int, end: int, num_frames: int) -> str:
    """``'at the start'``, ``'in the middle of the clip'`` or ``'at the
    end'``: the third of the clip holding the middle of ``[start, end)``."""
    centre = (start + end) / 2 / max(num_frames, 1)
    if centre < 1 / 3:
        return 'at the start'
    if centre > 2 / 3:
        return 'at the end'
    return 'in the middle of the clip'


def _join_verbs(verbs: List[str]) -> str:
    if len(verbs) == 1:
        return f'a person {verbs[0]}'
    return f'a person {", ".join(verbs[:-1])}, then {verbs[-1]}'


def _motion_sentence(events: List[MotionEvent]) -> str:
    """One sentence with the most telling events in temporal order."""
    rank = {k: i for i, k in enumerate(EVENT_PRIORITY)}
    chosen, kinds = [], set()
    for e in sorted(events, key=lambda e: rank.get(e.kind, len(rank))):
        if len(chosen) == MAX_SENTENCE_EVENTS:
            break
        # one event per kind, none that a chosen one implies
        if e.kind in kinds or kinds & set(IMPLIED_BY.get(e.kind, ())):
            continue
        chosen.append(e)
        kinds.add(e.kind)
    chosen.sort(key=lambda e: e.start)
    verbs = []
    for e in chosen:
        if not verbs or verbs[-1] != e.verb:
            verbs.append(e.verb)
    return _join_verbs(verbs) if verbs else ''


def describe_track(track: PersonTrack,
                   tracks: Optional[Sequence[PersonTrack]] = None,
                   frames: Optional[Dict[int, np.ndarray]] = None,
                   image_size: Tuple[int, int] = (0, 0),
                   fps: float = 30.) -> TrackDescription:
    """Describe one track from its boxes, 2D and 3D poses, masks and pixels.

    Args:
        track (PersonTrack): The person.
        tracks (Sequence[PersonTrack], optional): All tracks of the video
            (for relative size and depth). Defaults to ``[track]``.
        frames (dict, optional): frame index -> ``(H, W, 3)`` uint8 BGR
            image, a sample of the video (for colours and the ground).
            Defaults to none: no colour or ground phrases.
        image_size (tuple): ``(w, h)`` of the frames; ``(0, 0)`` if unknown.
        fps (float): Frame rate. Defaults to 30.

    Returns:
        TrackDescription: Its phrases (with their salience), sentences and
        measurements.
    """
    tracks = list(tracks) if tracks else [track]
    frames = frames or {}
    desc = TrackDescription(track.track_id)
    phrases: Dict[str, float] = {}  # phrase -> salience

    def add(phrase: str, salience: float = 1.) -> None:
        phrases[phrase] = max(phrases.get(phrase, 0.), salience)

    num_frames = track.num_frames
    time_in_view = max(int(track.present.sum()), 1)

    events, motion_facts = describe_motion(track, fps, image_size)
    desc.events = events
    desc.facts.update(motion_facts)
    grass = grass_under_feet(track, frames)

    def on_grass(start: int, end: int) -> bool:
        votes = [v for i, v in grass.items() if start <= i < end]
        return bool(votes) and np.mean(votes) > 0.5

    # before jumping down, the person was up on something
    drops = [e.start for e in events if e.kind == 'jumping_down']
    first_drop = min(drops) if drops else -1

    for e in events:
        cover = (e.end - e.start) / time_in_view
        salience = min(1., cover / SALIENT_COVER)
        words = [e.verb]
        if e.kind in ('walking', 'running') and e.verb != e.kind:
            words.append(e.kind)
        if e.kind in ('walking', 'running') and on_grass(e.start, e.end):
            words.append(f'{e.kind} on the grass')
            if 'across the frame' in e.verb:
                e.verb = e.verb.replace('across the frame', 'across the grass')
                words += [e.verb, f'{e.kind} across the grass']
            else:
                e.verb += ' on the grass'
                words.append(e.verb)
        elif e.kind == 'still' and on_grass(e.start, e.end):
            words.append('standing on the grass')
        elif e.kind == 'jumping_down' and on_grass(e.end, e.end + int(fps)):
            words.append('jumping down onto the grass')
        if e.start < first_drop and e.kind in ELEVATED_VERBS:
            words.append(f'{ELEVATED_VERBS[e.kind]} on top of something')
            add('a person up on something high', salience)
        for verb in words:
            add(f'a person {verb}', salience)
        for phrase in EVENT_SYNONYMS.get(e.kind, ()):
            add(phrase, salience)
        if cover < TIMED_MAX_COVER:
            add(
                f'a person {e.verb} '
                f'{when_in_clip(e.start, e.end, num_frames)}', salience)
    if on_grass(0, num_frames):
        desc.facts['on_grass'] = 1.
        add('a person on the grass')

    colours, colour_facts = clothing_colours(track, frames)
    desc.colours = colours
    desc.facts.update(colour_facts)
    appearance = colour_phrases(colours, colour_facts.get('shin_skin', np.nan))
    for phrase in appearance:
        add(phrase)

    layout, layout_summary, layout_facts = describe_layout(
        track, tracks, image_size)
    desc.facts.update(layout_facts)
    for phrase in layout:
        add(phrase)

    motion = _motion_sentence(events)
    desc.sentences = [
        s
        for s in (motion, appearance[0] if appearance else '', layout_summary)
        if s
    ]
    # the sentences are phrases too: they match sentences naming several
    # facts
    for sentence in desc.sentences:
        add(sentence)
    desc.phrases = list(phrases)
    desc.salience = list(phrases.values())
    return desc


def describe_tracks(tracks: Sequence[PersonTrack],
                    frames: Optional[Dict[int, np.ndarray]] = None,
                    image_size: Tuple[int, int] = (0, 0),
                    fps: float = 30.) -> List[TrackDescription]:
    """:func:`describe_track` for every track of a video."""
    return [
        describe_track(t, tracks, frames, image_size, t.meta.get('fps', fps))
        for t in tracks
    ]
