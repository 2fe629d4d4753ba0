# Copyright (c) mmlpose contributors. All rights reserved.
"""A tracked person of a video: what every inference stage after tracking
reads and fills in (2D pose, mask, 3D pose, referral)."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np


@dataclass
class PersonTrack:
    """One person over the ``T`` frames of a video.

    Frames where the person is absent (not detected, occluded) hold NaN boxes
    and keypoints, zero scores and no mask; ``present`` tells them apart.

    Attributes:
        track_id (int): Identity, unique within a video, from 0.
        bboxes (np.ndarray): ``(T, 4)`` float32 ``[x1, y1, x2, y2]`` pixels.
        bbox_scores (np.ndarray): ``(T,)`` float32 detection confidence.
        keypoints_2d (np.ndarray): ``(T, K, 2)`` float32 pixels, H36M-17.
        keypoint_scores (np.ndarray): ``(T, K)`` float32 in [0, 1].
        masks (dict): frame index -> ``(mask, (x0, y0))``: a bool mask of the
            person inside the integer crop whose top-left corner in the image
            is ``(x0, y0)``; frames without a mask are missing.
        keypoints_3d (np.ndarray | None): ``(T, K, 3)`` float32 metres,
            root-relative, camera axes (x right, y down, z forward); zeros in
            absent frames. None until lifted.
        meta (dict): Free-form per-track extras (appearance features, ...).
    """
    track_id: int
    bboxes: np.ndarray
    bbox_scores: np.ndarray
    keypoints_2d: np.ndarray
    keypoint_scores: np.ndarray
    masks: Dict[int, Tuple[np.ndarray, Tuple[int, int]]] = field(
        default_factory=dict)
    keypoints_3d: Optional[np.ndarray] = None
    meta: dict = field(default_factory=dict)

    @classmethod
    def empty(cls, track_id: int, num_frames: int,
              num_keypoints: int = 17) -> 'PersonTrack':
        """A track of ``num_frames`` absent frames, to be filled in."""
        return cls(
            track_id=track_id,
            bboxes=np.full((num_frames, 4), np.nan, np.float32),
            bbox_scores=np.zeros(num_frames, np.float32),
            keypoints_2d=np.full((num_frames, num_keypoints, 2), np.nan,
                                 np.float32),
            keypoint_scores=np.zeros((num_frames, num_keypoints),
                                     np.float32))

    @property
    def num_frames(self) -> int:
        return len(self.bboxes)

    @property
    def present(self) -> np.ndarray:
        """``(T,)`` bool: frames with a 2D pose."""
        return np.isfinite(self.keypoints_2d).all(axis=(1, 2))

    @property
    def frame_ids(self) -> np.ndarray:
        """Indices of the frames where the person is present."""
        return np.flatnonzero(self.present)

    def mask_in_image(self, frame_idx: int,
                      image_shape: Tuple[int, int]) -> Optional[np.ndarray]:
        """The person's mask in frame ``frame_idx`` as a full ``(H, W)``
        bool image, or None when that frame has no mask."""
        if frame_idx not in self.masks:
            return None
        crop, (x0, y0) = self.masks[frame_idx]
        h, w = image_shape[:2]
        full = np.zeros((h, w), bool)
        ch, cw = crop.shape
        xs, ys = max(x0, 0), max(y0, 0)
        xe, ye = min(x0 + cw, w), min(y0 + ch, h)
        if xe > xs and ye > ys:
            full[ys:ye, xs:xe] = crop[ys - y0:ye - y0, xs - x0:xe - x0]
        return full

    def mean_area(self) -> float:
        """Mean box area over present frames (0 when never present)."""
        ok = np.isfinite(self.bboxes).all(axis=1)
        if not ok.any():
            return 0.
        b = self.bboxes[ok]
        return float(np.mean((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])))


def stack_tracks(tracks: List[PersonTrack]) -> Tuple[np.ndarray, np.ndarray]:
    """``(P, T, K, 2)`` keypoints (NaN absent) and ``(P, T)`` presence of a
    list of tracks of one video, for :func:`mmlpose.apis.lift_multi_person`.
    """
    if not tracks:
        raise ValueError('no track to stack')
    return (np.stack([t.keypoints_2d for t in tracks]),
            np.stack([t.present for t in tracks]))
