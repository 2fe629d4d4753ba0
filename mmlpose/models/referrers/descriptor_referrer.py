# Copyright (c) mmlpose contributors. All rights reserved.
"""Text referral without training: the sentence against measured
descriptions of every track, in a sentence-embedding space."""
import re
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np
import torch

from mmlpose.registry import MODELS
from mmlpose.structures.track import PersonTrack
from .base_referrer import BaseReferrer, ReferralResult
from .descriptors import TrackDescription, describe_tracks

#: The default ``threshold``, chosen with all-MiniLM-L6-v2 on the sports2d
#: clip (tracks at 30 and 10 frames/s): the sentences that describe one of
#: its two people scored 0.51-0.99 for that person, sentences about things
#: absent from it (a dog catching a frisbee, a car parked on the street, a
#: cyclist riding a bike, a bird, an umbrella, people dancing, a swimmer, a
#: guitar player) 0.35 at most; the threshold is halfway.
DEFAULT_THRESHOLD = 0.43

#: Things the descriptors cannot see: activities no motion descriptor
#: measures (and that are not close to one that does), animals and
#: vehicles (nothing about the camera or the frame: layout phrases speak of
#: them). A sentence closer to one of these than to every measured phrase
#: of every track is about something else: it refers nobody (open-set
#: rejection, :meth:`DescriptorReferrer.sentence_threshold`).
DISTRACTOR_PHRASES = (
    'a person sitting', 'a person sitting on a chair', 'a person sitting on '
    'a bench', 'a person lying on the ground', 'a person sleeping',
    'a person riding a horse', 'a person riding a bicycle',
    'a person riding a motorbike', 'a person riding a skateboard',
    'a person surfing', 'a person skiing', 'a person swimming',
    'a person dancing', 'people dancing together', 'a person climbing a tree',
    'a person climbing a wall', 'a person playing the guitar',
    'a person playing the piano', 'a person playing a musical instrument',
    'a person singing', 'a person playing football',
    'a person playing basketball', 'a person playing tennis',
    'a person throwing a ball', 'a person catching a ball',
    'a person kicking a ball', 'a person talking on the phone',
    'a person texting on a phone',
    'a person eating', 'a person drinking', 'a person cooking',
    'a person reading a book', 'a person writing', 'a person typing on a '
    'laptop', 'a person driving a car', 'a person carrying a box',
    'a person holding an umbrella', 'a person leaning on a cane',
    'a person pushing a baby carriage', 'a person pulling a cart',
    'a person painting', 'a person gardening', 'a person fishing',
    'a person hugging someone', 'a person shaking hands',
    'a person smoking', 'a person sweeping the floor',
    'a person feeding animals', 'a person with a dog on a leash', 'a dog',
    'a cat', 'a bird', 'a horse', 'a cow', 'a car', 'a bus', 'a truck',
    'a train', 'a bicycle', 'a motorbike', 'a boat', 'an aeroplane')

#: Direction-of-travel words in a sentence (sentence embeddings hardly tell
#: "from left to right" from "from right to left": the words are the same).
_MOVE = (r'(?:walk|run|jog|mov|head|go|stroll|cross|travel|wander|pass|'
         r'rush|hurr|sprint|step|com)\w*')
TRAVEL_PATTERNS = {
    'leftward': (r'\bfrom\s+(?:the\s+)?right\s+to\s+(?:the\s+)?left\b',
                 r'\bright[\s-]+to[\s-]+left\b', r'\bleftwards?\b',
                 rf'\b{_MOVE}\s+(?:to|towards|toward)\s+the\s+left\b'),
    'rightward': (r'\bfrom\s+(?:the\s+)?left\s+to\s+(?:the\s+)?right\b',
                  r'\bleft[\s-]+to[\s-]+right\b', r'\brightwards?\b',
                  rf'\b{_MOVE}\s+(?:to|towards|toward)\s+the\s+right\b'),
    'towards': (r'\btowards?\s+(?:the\s+)?camera\b', r'\bapproach\w*\b',
                r'\bcoming\s+closer\b'),
    'away': (r'\baway\s+from\s+(?:the\s+)?camera\b', rf'\b{_MOVE}\s+away\b'),
}
OPPOSITE = dict(
    leftward='rightward', rightward='leftward', towards='away', away='towards')
#: Words of the track verbs that give its travel directions.
_TRACK_TRAVEL = {
    'from right to left': 'leftward',
    'from left to right': 'rightward',
    'towards the camera': 'towards',
    'away from the camera': 'away',
}


def sentence_travel(text: str) -> Set[str]:
    """Directions of travel a sentence names (``'leftward'``,
    ``'rightward'``, ``'towards'``, ``'away'``)."""
    text = text.lower()
    return {
        cue
        for cue, patterns in TRAVEL_PATTERNS.items() if any(
            re.search(p, text) for p in patterns)
    }


def track_travel(desc: TrackDescription) -> Set[str]:
    """Directions a described track was measured to travel in."""
    return {
        cue
        for e in desc.events if e.kind in ('walking', 'running')
        for words, cue in _TRACK_TRAVEL.items() if words in e.verb
    }


@MODELS.register_module()
class DescriptorReferrer(BaseReferrer):
    """Refer to the track whose measured description best matches the
    sentence, with a frozen sentence encoder and no training.

    Every track is described (:func:`describe_tracks`): clothing colours,
    position and size, motion events from its 2D track and lifted 3D, each
    as short phrases (``'a person jumping down from a height'``) with a
    salience (the share of the clip the fact covers). The sentence and the
    phrases are embedded by ``text_encoder`` (L2-normalised); a track's
    score is, with ``c_i`` the cosine similarity of the sentence and phrase
    ``i`` and ``s_i`` its salience::

        score = mean of the top_k of (c_i - salience_weight * (1 - s_i))
                + travel_weight * (+1 if the sentence names a direction of
                  travel the track was measured to take, -1 if it names
                  only the opposite one, else 0)
                - contrast * (mean score of all tracks)

    The best track is referred if its score reaches the sentence's threshold
    (:meth:`sentence_threshold`): ``threshold``, raised to the sentence's
    best cosine similarity with the ``distractors`` (things the descriptors
    cannot see: sitting, riding, playing an instrument, animals, vehicles,
    ...; :data:`DISTRACTOR_PHRASES`) plus ``distractor_margin``. So a
    sentence about something absent from the video, or about something
    closer to what no descriptor measures than to what was measured, refers
    nobody. The
    default threshold (0.43, :data:`DEFAULT_THRESHOLD`) lies halfway between
    the scores, with all-MiniLM-L6-v2, of sentences that describe someone
    in the sports2d clip (0.51 and more) and of sentences about absent
    things (0.35 at most); it is on the cosine scale, so it holds with one
    track as with several (``contrast=0``). Scores may exceed 1 with the
    travel bonus.

    Args:
        text_encoder (dict | nn.Module): Config (or module) of a sentence
            encoder with ``encode(list[str]) -> (N, D)`` normalised
            embeddings. Defaults to ``dict(type='SentenceEncoder')`` (the
            packaged all-MiniLM-L6-v2).
        threshold (float): Minimum score of a referred track. Defaults to
            :data:`DEFAULT_THRESHOLD`.
        top_k (int): Phrases averaged per track. Defaults to 1 (the best
            phrase: a sentence usually names one fact).
        salience_weight (float): Penalty of a phrase whose fact covers
            little of the clip. Defaults to 0.05 (it breaks ties between
            tracks in favour of the longer-lasting fact).
        travel_weight (float): Bonus/penalty of an agreeing/contradicting
            direction of travel. Defaults to 0.1.
        contrast (float): Weight of the mean score over tracks subtracted
            from each. Defaults to 0 (scores stay cosines).
        fps (float): Frame rate of the tracks when ``PersonTrack.meta``
            has no ``'fps'``. Defaults to 30.
        distractors (Sequence[str]): Phrases of what the descriptors cannot
            see; empty to use ``threshold`` alone. Defaults to
            :data:`DISTRACTOR_PHRASES`.
        distractor_margin (float): How far above the best distractor a
            track must score. Defaults to 0.
    """

    def __init__(self,
                 text_encoder: Union[dict, torch.nn.Module] = dict(
                     type='SentenceEncoder'),
                 threshold: float = DEFAULT_THRESHOLD,
                 top_k: int = 1,
                 salience_weight: float = 0.05,
                 travel_weight: float = 0.1,
                 contrast: float = 0.,
                 fps: float = 30.,
                 distractors: Sequence[str] = DISTRACTOR_PHRASES,
                 distractor_margin: float = 0.) -> None:
        super().__init__(threshold)
        if top_k < 1:
            raise ValueError(f'top_k must be >= 1, got {top_k}')
        if fps <= 0:
            raise ValueError(f'fps must be positive, got {fps}')
        if isinstance(text_encoder, dict):
            text_encoder = MODELS.build(text_encoder)
        if not hasattr(text_encoder, 'encode'):
            raise TypeError('text_encoder must have encode(list[str]), got '
                            f'{type(text_encoder).__name__}')
        self.text_encoder = text_encoder
        self.top_k = int(top_k)
        self.salience_weight = float(salience_weight)
        self.travel_weight = float(travel_weight)
        self.contrast = float(contrast)
        self.fps = float(fps)
        self.distractors = tuple(distractors)
        self.distractor_margin = float(distractor_margin)
        self._distractor_embeddings = None  # encoded on first use
        self._descriptions = None  # set by refer_many

    def sentence_threshold(self, text: str) -> float:
        """``threshold``, or the sentence's best cosine similarity with the
        distractor phrases plus ``distractor_margin`` when that is higher."""
        if not self.distractors:
            return self.threshold
        if self._distractor_embeddings is None:
            self._distractor_embeddings = self.text_encoder.encode(
                list(self.distractors))
        sentence = self.text_encoder.encode([text])[0]
        best = float((self._distractor_embeddings @ sentence).max())
        return max(self.threshold, best + self.distractor_margin)

    def describe(self, tracks: Sequence[PersonTrack], frames: Dict[int,
                                                                   np.ndarray],
                 image_size: Tuple[int, int]) -> List[TrackDescription]:
        """Descriptions of the tracks (:func:`describe_tracks`)."""
        return describe_tracks(tracks, frames, image_size, self.fps)

    def _phrase_scores(self, sentence: torch.Tensor,
                       desc: TrackDescription) -> np.ndarray:
        phrases = desc.phrases or ['a person']
        salience = np.asarray(desc.salience or [1.] * len(phrases))
        emb = self.text_encoder.encode(phrases)
        cos = (emb @ sentence).double().numpy()
        return cos - self.salience_weight * (1 - salience)

    def score_tracks(
            self, text: str, tracks: List[PersonTrack],
            frames: Dict[int, np.ndarray],
            image_size: Tuple[int, int]) -> Tuple[np.ndarray, Dict[int, str]]:
        """Scores of the tracks (see the class docstring) and their
        descriptions."""
        descriptions = self._descriptions
        if descriptions is None or len(descriptions) != len(tracks):
            descriptions = self.describe(tracks, frames, image_size)
        sentence = self.text_encoder.encode([text])[0]
        travel = sentence_travel(text)
        scores = np.zeros(len(tracks))
        for i, desc in enumerate(descriptions):
            phrase_scores = np.sort(self._phrase_scores(sentence, desc))
            scores[i] = phrase_scores[-self.top_k:].mean()
            moves = track_travel(desc)
            for cue in travel:
                if cue in moves:
                    scores[i] += self.travel_weight
                elif OPPOSITE[cue] in moves:
                    scores[i] -= self.travel_weight
        if self.contrast:
            scores = scores - self.contrast * scores.mean()
        return scores, {d.track_id: d.text for d in descriptions}

    def refer_many(
        self,
        texts: Sequence[str],
        tracks: List[PersonTrack],
        frames: Optional[Dict[int, np.ndarray]] = None,
        image_size: Tuple[int, int] = (0, 0)
    ) -> List[ReferralResult]:
        """Refer several sentences to the tracks of one video, describing
        the tracks once."""
        self._descriptions = self.describe(tracks, frames or {}, image_size)
        try:
            return [self(t, tracks, frames, image_size) for t in texts]
        finally:
            self._descriptions = None
