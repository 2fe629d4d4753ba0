# Copyright (c) mmlpose contributors. All rights reserved.
"""A learned referrer: rank tracks by how well their motion fits the
sentence in a trained motion-language space (LangPose's encoders)."""
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config

from mmlpose.registry import MODELS
from mmlpose.structures.track import PersonTrack
from .base_referrer import BaseReferrer


@MODELS.register_module()
class MotionLanguageReferrer(BaseReferrer):
    """Score each track by the cosine similarity of its 2D motion and the
    sentence, both embedded by a trained LangPose model
    (:class:`~mmlpose.models.pose_estimators.LangPoseLifter`:
    ``embed_motion`` / ``embed_text``).

    A track's 2D keypoints (gaps filled by interpolation, held at the ends)
    are normalised by the model's own codec and cut into the model's test
    windows (:func:`mmlpose.apis.inference.encode_keypoints`,
    :func:`lifting_window`); the window embeddings are averaged, weighted by
    the share of each window where the person is present, and normalised.
    It sees motion only: appearance and position words do not move the
    score (use :class:`DescriptorReferrer` for those).

    Args:
        model (str | Config): The LangPose config (path or object).
        checkpoint (str, optional): Its trained weights.
        threshold (float): Minimum cosine similarity of a referred track.
            Defaults to 0.3: it depends on the trained space; calibrate it
            with matching and non-matching sentences for your model.
        device (str): Torch device. Defaults to ``'cpu'``.
    """

    def __init__(self,
                 model: Union[str, Config],
                 checkpoint: Optional[str] = None,
                 threshold: float = 0.3,
                 device: str = 'cpu') -> None:
        super().__init__(threshold)
        from mmlpose.apis.inference import init_lifter, lifting_window
        self.model = init_lifter(model, checkpoint, device=device)
        for name in ('embed_motion', 'embed_text'):
            if not callable(getattr(self.model, name, None)):
                raise TypeError(
                    f'{type(self.model).__name__} has no {name}(): a '
                    'MotionLanguageReferrer needs a motion-language model '
                    '(LangPoseLifter)')
        self.window = lifting_window(self.model.cfg)

    @torch.no_grad()
    def embed_tracks(self, tracks: List[PersonTrack],
                     image_size: Tuple[int, int]) -> torch.Tensor:
        """``(P, D)`` normalised motion embeddings of the tracks (zeros for
        a track that is never present)."""
        from mmlpose.apis.inference import encode_keypoints, window_clips
        from mmlpose.apis.pose2d import fill_missing_frames
        device = next(self.model.parameters()).device
        out = []
        for track in tracks:
            present = track.present
            if not present.any():
                out.append(None)
                continue
            filled = fill_missing_frames(track.keypoints_2d, present)
            norm, _ = encode_keypoints(self.model, filled, image_size)
            windows = window_clips(norm, self.window)
            clips = [clip for *_, clip in windows]
            weights = [present[start:end].mean() for start, end, *_ in windows]
            emb = self.model.embed_motion(
                torch.from_numpy(np.stack(clips)).float().to(device))
            w = torch.tensor(weights, dtype=emb.dtype, device=emb.device)
            out.append(torch.nn.functional.normalize(
                (emb * w[:, None]).sum(0), dim=0))
        dim = next(e for e in out if e is not None).shape[0] if any(
            e is not None for e in out) else 1
        return torch.stack([
            e if e is not None else torch.zeros(dim, device=device)
            for e in out
        ])

    @torch.no_grad()
    def score_tracks(
            self, text: str, tracks: List[PersonTrack],
            frames: Dict[int, np.ndarray],
            image_size: Tuple[int, int]) -> Tuple[np.ndarray, Dict[int, str]]:
        """Cosine similarities of the tracks' motions and the sentence."""
        motion = self.embed_tracks(tracks, image_size)
        sentence = self.model.embed_text([text])[0].to(motion.device)
        scores = (motion @ sentence).double().cpu().numpy()
        return scores, {}
