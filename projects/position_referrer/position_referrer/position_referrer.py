# Copyright (c) mmlpose contributors. All rights reserved.
"""A third-party referrer: picks a person by where they are in the frame.

An example of extending mmlpose from a project folder: the class registers
itself in mmlpose's ``MODELS`` registry, and a config loads it through
``custom_imports``, so the toolbox itself is not edited.
"""
import re
from typing import Dict, List, Tuple

import numpy as np

from mmlpose.models.referrers import BaseReferrer
from mmlpose.registry import MODELS
from mmlpose.structures import PersonTrack

# word -> (measure, sign): the score grows with sign * measure.
SPATIAL_WORDS = {
    'left': ('x', -1.),
    'leftmost': ('x', -1.),
    'right': ('x', 1.),
    'rightmost': ('x', 1.),
    'middle': ('centrality', 1.),
    'centre': ('centrality', 1.),
    'center': ('centrality', 1.),
    'closest': ('size', 1.),
    'nearest': ('size', 1.),
    'biggest': ('size', 1.),
    'largest': ('size', 1.),
    'front': ('size', 1.),
    'farthest': ('size', -1.),
    'furthest': ('size', -1.),
    'smallest': ('size', -1.),
    'back': ('size', -1.),
    'background': ('size', -1.),
}


def spatial_terms(text: str) -> List[str]:
    """The spatial words of ``text`` that the referrer understands."""
    return [w for w in re.findall(r'[a-z]+', text.lower())
            if w in SPATIAL_WORDS]


@MODELS.register_module()
class PositionReferrer(BaseReferrer):
    """Score tracks by the spatial words of the sentence ("the person on the
    left", "the one closest to the camera").

    Each track is measured over the frames where it is present: ``x`` is its
    mean box centre over the image width (0 left .. 1 right), ``size`` its
    mean box height relative to the tallest track (0..1), ``centrality``
    one minus twice the distance of ``x`` from the middle. Measures are
    ranked across tracks (0 for the lowest, 1 for the highest; 0.5 each for
    a single track), and a track's score is the mean over the sentence's
    spatial words of the rank in the word's direction. A sentence without
    spatial words scores 0 for every track, below any positive threshold:
    "no good match".

    Args:
        threshold (float): Minimum score of a referred track.
            Defaults to 0.75.
    """

    def __init__(self, threshold: float = 0.75) -> None:
        super().__init__(threshold)

    @staticmethod
    def _measures(tracks: List[PersonTrack],
                  image_size: Tuple[int, int]) -> Dict[str, np.ndarray]:
        width = float(image_size[0]) or 1.
        xs, heights = [], []
        for track in tracks:
            boxes = track.bboxes[np.isfinite(track.bboxes).all(axis=1)]
            if len(boxes) == 0:
                xs.append(0.5)
                heights.append(0.)
                continue
            xs.append(float(np.mean((boxes[:, 0] + boxes[:, 2]) / 2)) / width)
            heights.append(float(np.mean(boxes[:, 3] - boxes[:, 1])))
        x = np.asarray(xs)
        size = np.asarray(heights) / max(max(heights), 1e-6)
        return dict(x=x, size=size, centrality=1 - 2 * np.abs(x - 0.5))

    @staticmethod
    def _rank(values: np.ndarray) -> np.ndarray:
        if len(values) == 1:
            return np.full(1, 0.5)
        order = np.argsort(np.argsort(values, kind='stable'), kind='stable')
        return order / (len(values) - 1)

    def score_tracks(self, text, tracks, frames, image_size):
        terms = spatial_terms(text)
        if not terms:
            return np.zeros(len(tracks)), {}
        measures = self._measures(tracks, image_size)
        ranks = {k: self._rank(v) for k, v in measures.items()}
        scores = np.zeros(len(tracks))
        for term in terms:
            measure, sign = SPATIAL_WORDS[term]
            scores += ranks[measure] if sign > 0 else 1 - ranks[measure]
        scores /= len(terms)
        descriptions = {
            t.track_id: f'x {measures["x"][i]:.2f}, relative height '
            f'{measures["size"][i]:.2f}'
            for i, t in enumerate(tracks)
        }
        return scores, descriptions
