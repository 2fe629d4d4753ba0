# Copyright (c) mmlpose contributors. All rights reserved.
"""The referral interface: score every tracked person against a sentence."""
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from mmlpose.structures.track import PersonTrack


@dataclass
class ReferralResult:
    """What a referrer says about one sentence and the tracks of a video.

    Attributes:
        text (str): The sentence.
        scores (dict): track_id -> score; higher is a better match, on the
            referrer's own scale (its ``threshold`` is on the same scale).
        referred_track_id (int | None): The best track, or None when no
            track reaches the threshold ("no good match") or there is none.
        threshold (float): The score a track had to reach to be referred by
            this sentence (:meth:`BaseReferrer.sentence_threshold`).
        descriptions (dict): track_id -> a human-readable account of what the
            referrer saw (empty for referrers that have none).
    """
    text: str
    scores: Dict[int, float]
    referred_track_id: Optional[int]
    threshold: float
    descriptions: Dict[int, str] = field(default_factory=dict)

    @property
    def matched(self) -> bool:
        return self.referred_track_id is not None

    def ranking(self) -> List[Tuple[int, float]]:
        """``(track_id, score)`` pairs, best first."""
        return sorted(self.scores.items(), key=lambda kv: -kv[1])


class BaseReferrer(metaclass=ABCMeta):
    """Base class of referrers (registered in ``mmlpose.registry.MODELS``).

    A referrer scores each :class:`PersonTrack` of a video against a sentence
    and refers the best one if its score reaches ``threshold``; otherwise it
    refers nobody. Subclasses implement :meth:`score_tracks`.

    Args:
        threshold (float): Minimum score of a referred track.
    """

    def __init__(self, threshold: float) -> None:
        self.threshold = float(threshold)

    @abstractmethod
    def score_tracks(
        self, text: str, tracks: List[PersonTrack],
        frames: Dict[int, np.ndarray], image_size: Tuple[int, int]
    ) -> Tuple[np.ndarray, Dict[int, str]]:
        """Scores of the tracks for the sentence.

        Args:
            text (str): The sentence, non-empty.
            tracks (list[PersonTrack]): Every track of the video, with their
                2D (and, when lifted, 3D) poses and masks.
            frames (dict): frame index -> ``(H, W, 3)`` uint8 BGR image, a
                sample of the video's frames for referrers that need pixels.
            image_size (tuple): ``(w, h)`` of the frames.

        Returns:
            tuple: ``(P,)`` float scores in track order, and track_id ->
            description (may be empty).
        """

    def __call__(self,
                 text: str,
                 tracks: List[PersonTrack],
                 frames: Optional[Dict[int, np.ndarray]] = None,
                 image_size: Tuple[int, int] = (0, 0)) -> ReferralResult:
        """Score the tracks and pick the referred one (or none)."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError('the referring sentence is empty')
        if not tracks:
            return ReferralResult(text, {}, None, self.threshold)
        scores, descriptions = self.score_tracks(text, tracks, frames or {},
                                                 image_size)
        scores = np.asarray(scores, dtype=np.float64)
        if scores.shape != (len(tracks), ):
            raise ValueError(f'{type(self).__name__} returned {scores.shape} '
                             f'scores for {len(tracks)} tracks')
        by_id = {t.track_id: float(s) for t, s in zip(tracks, scores)}
        best = int(np.argmax(scores))
        threshold = self.sentence_threshold(text)
        referred = tracks[best].track_id if scores[best] >= \
            threshold else None
        return ReferralResult(text, by_id, referred, threshold, descriptions)

    def sentence_threshold(self, text: str) -> float:
        """The score a track must reach to be referred by ``text``:
        ``threshold`` here; subclasses may raise it per sentence."""
        return self.threshold
