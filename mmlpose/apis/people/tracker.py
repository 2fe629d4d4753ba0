# Copyright (c) mmlpose contributors. All rights reserved.
"""Frame-to-frame association of person boxes: Hungarian matching on box
overlap and colour appearance, with tracks that outlive short occlusions."""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from mmlpose.registry import TASK_UTILS
from .detector import box_iou


def masked_crop(
        image_bgr: np.ndarray,
        box: np.ndarray,
        mask: Optional[Tuple[np.ndarray, Tuple[int, int]]] = None,
        max_side: int = 128
) -> Optional[Tuple[np.ndarray, Optional[np.ndarray]]]:
    """The pixels of a box, shrunk to at most ``max_side``, and the uint8
    mask of the person in them (None: the whole box).

    Returns None when the box holds no pixel of the image.
    """
    h, w = image_bgr.shape[:2]
    x0, y0 = int(max(np.floor(box[0]), 0)), int(max(np.floor(box[1]), 0))
    x1, y1 = int(min(np.ceil(box[2]), w)), int(min(np.ceil(box[3]), h))
    if x1 <= x0 or y1 <= y0:
        return None
    crop = image_bgr[y0:y1, x0:x1]
    keep = None
    if mask is not None:
        m, (mx, my) = mask
        keep = np.zeros(crop.shape[:2], np.uint8)
        ys, xs = max(my, y0), max(mx, x0)
        ye, xe = min(my + m.shape[0], y1), min(mx + m.shape[1], x1)
        if ye > ys and xe > xs:
            keep[ys - y0:ye - y0, xs - x0:xe - x0] = m[ys - my:ye - my,
                                                       xs - mx:xe - mx]
    factor = max_side / max(crop.shape[:2])
    if factor < 1:
        size = (max(1, round(crop.shape[1] * factor)),
                max(1, round(crop.shape[0] * factor)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        if keep is not None:
            keep = cv2.resize(keep, size, interpolation=cv2.INTER_NEAREST)
    if keep is not None and not keep.any():
        keep = None  # an empty mask: fall back to the box
    return crop, keep


def hsv_histogram(image_bgr: np.ndarray,
                  box: np.ndarray,
                  mask: Optional[Tuple[np.ndarray, Tuple[int, int]]] = None,
                  bins: Tuple[int, int] = (16, 4),
                  max_side: int = 128) -> np.ndarray:
    """L1-normalised hue-saturation histogram of a person's pixels.

    Args:
        image_bgr (np.ndarray): ``(H, W, 3)`` uint8 BGR image.
        box (np.ndarray): ``(4,)`` xyxy box of the person.
        mask (tuple, optional): ``(bool mask, (x0, y0))`` of the person (as
            in :attr:`PersonTrack.masks`); None uses every pixel of the box.
        bins (tuple[int, int]): Hue and saturation bins. Defaults to
            ``(16, 4)``.
        max_side (int): The crop is shrunk to at most this side first.

    Returns:
        np.ndarray: ``(bins[0] * bins[1],)`` float32 summing to 1, or all
        zeros when the box holds no pixel.
    """
    found = masked_crop(image_bgr, box, mask, max_side)
    if found is None:
        return np.zeros(bins[0] * bins[1], np.float32)
    crop, keep = found
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], keep, list(bins),
                        [0, 180, 0, 256]).ravel()
    total = hist.sum()
    return (hist / total if total > 0 else hist).astype(np.float32)


def bhattacharyya_distance(hists_a: np.ndarray,
                           hists_b: np.ndarray) -> np.ndarray:
    """``(N, M)`` Bhattacharyya (Hellinger) distance in [0, 1] of
    L1-normalised histograms ``(N, D)`` and ``(M, D)``; 1 against an
    all-zero (unknown) histogram."""
    a = np.sqrt(np.clip(np.asarray(hists_a, np.float64), 0, None))
    b = np.sqrt(np.clip(np.asarray(hists_b, np.float64), 0, None))
    coeff = a @ b.T
    return np.sqrt(np.clip(1 - coeff, 0, 1))


@dataclass
class _Track:
    track_id: int
    box: np.ndarray  # last matched box
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    appearance: Optional[np.ndarray] = None
    last_frame: int = 0
    hits: int = 1

    def predict(self, frame_idx: int) -> np.ndarray:
        """The last box moved by the centre's velocity (size kept)."""
        shift = self.velocity * (frame_idx - self.last_frame)
        return self.box + np.tile(shift, 2)


@TASK_UTILS.register_module()
class HungarianTracker:
    """Online multi-person tracker (SORT-like, with appearance).

    Each frame the cost of giving detection ``j`` to track ``i`` is
    ``(w_iou * (1 - IoU(predicted box_i, box_j)) + w_app * d(hist_i,
    hist_j)) / (w_iou + w_app)`` with ``d`` the Bhattacharyya distance of
    HSV histograms, or ``1 - IoU`` alone when either histogram is unknown.
    Pairs costlier than ``max_cost`` or whose centres lie further apart than
    ``max_center_distance`` times the track box's diagonal are forbidden;
    the rest are matched by :func:`scipy.optimize.linear_sum_assignment`. A
    track left unmatched is predicted with the constant velocity of its box
    centre (keeping its last size) and removed after ``max_age`` frames
    without a match; an unmatched detection starts a new track.

    Args:
        iou_weight (float): Weight of the overlap term. Defaults to 0.5.
        appearance_weight (float): Weight of the appearance term.
            Defaults to 0.5.
        max_cost (float): Gate on the matching cost. Defaults to 0.75.
        max_center_distance (float): Gate on the centre distance, in track
            box diagonals. Defaults to 1.0.
        max_age (int): Frames a track survives unmatched. Defaults to 30.
        velocity_momentum (float): Smoothing of the box centre's velocity
            (0 keeps the last displacement only). Defaults to 0.5.
        appearance_momentum (float): Smoothing of a track's histogram.
            Defaults to 0.9.

    Example:
        >>> tracker = HungarianTracker()
        >>> ids = tracker.update(boxes, frame_idx=0, appearances=hists)
    """

    def __init__(self,
                 iou_weight: float = 0.5,
                 appearance_weight: float = 0.5,
                 max_cost: float = 0.75,
                 max_center_distance: float = 1.0,
                 max_age: int = 30,
                 velocity_momentum: float = 0.5,
                 appearance_momentum: float = 0.9) -> None:
        weights = (iou_weight, appearance_weight)
        if min(weights) < 0 or sum(weights) <= 0:
            raise ValueError('iou_weight and appearance_weight must be >= 0 '
                             'and not both 0')
        if max_age < 0:
            raise ValueError(f'max_age must be >= 0, got {max_age}')
        self.iou_weight = iou_weight
        self.appearance_weight = appearance_weight
        self.max_cost = max_cost
        self.max_center_distance = max_center_distance
        self.max_age = max_age
        self.velocity_momentum = velocity_momentum
        self.appearance_momentum = appearance_momentum
        self.reset()

    def reset(self) -> None:
        """Forget every track (a new video); ids start again at 0."""
        self.tracks: List[_Track] = []
        self._next_id = 0
        self._last_update = -1

    @property
    def num_lost(self) -> int:
        """Live tracks left unmatched by the last :meth:`update` (occluded
        or missed people that may still come back)."""
        return sum(t.last_frame < self._last_update for t in self.tracks)

    def predicted_boxes(self, frame_idx: int) -> np.ndarray:
        """``(T, 4)`` constant-velocity boxes of the live tracks at a frame."""
        if not self.tracks:
            return np.zeros((0, 4), np.float32)
        return np.stack([t.predict(frame_idx) for t in self.tracks])

    def _cost(self, predicted: np.ndarray, boxes: np.ndarray,
              appearances: Optional[np.ndarray]) -> np.ndarray:
        cost = 1 - box_iou(predicted, boxes)
        if appearances is not None and self.appearance_weight > 0:
            dim = appearances.shape[1]
            hist_t = np.stack([
                np.zeros(dim) if t.appearance is None else t.appearance
                for t in self.tracks
            ])
            both = ((hist_t.sum(axis=1) > 0)[:, None]
                    & (appearances.sum(axis=1) > 0)[None, :])
            mixed = (self.iou_weight * cost + self.appearance_weight *
                     bhattacharyya_distance(hist_t, appearances)) / (
                         self.iou_weight + self.appearance_weight)
            cost = np.where(both, mixed, cost)
        # gate on centre distance relative to the track box's diagonal
        c_t = (predicted[:, :2] + predicted[:, 2:]) / 2
        c_d = (boxes[:, :2] + boxes[:, 2:]) / 2
        diag = np.linalg.norm(predicted[:, 2:] - predicted[:, :2], axis=1)
        dist_c = np.linalg.norm(c_t[:, None] - c_d[None], axis=2)
        limit = self.max_center_distance * np.maximum(diag, 1e-6)
        far = dist_c > limit[:, None]
        return np.where(far | (cost > self.max_cost), np.inf, cost)

    def update(self,
               boxes: np.ndarray,
               frame_idx: int,
               appearances: Optional[np.ndarray] = None) -> np.ndarray:
        """Associate one frame's person boxes with the tracks.

        Args:
            boxes (np.ndarray): ``(N, 4)`` xyxy boxes (N may be 0).
            frame_idx (int): Index of the frame (increasing; gaps allowed).
            appearances (np.ndarray, optional): ``(N, D)`` L1-normalised
                histograms (:func:`hsv_histogram`), rows of zeros unknown.

        Returns:
            np.ndarray: ``(N,)`` int64 track id of each box.
        """
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        if not np.isfinite(boxes).all():
            raise ValueError('boxes must be finite')
        if appearances is not None:
            appearances = np.asarray(appearances,
                                     np.float64).reshape(len(boxes), -1)
        # drop tracks unmatched for longer than max_age
        self.tracks = [
            t for t in self.tracks
            if frame_idx - t.last_frame <= self.max_age + 1
        ]
        self._last_update = frame_idx
        ids = np.full(len(boxes), -1, np.int64)
        matched_d = set()
        if self.tracks and len(boxes):
            cost = self._cost(
                self.predicted_boxes(frame_idx), boxes, appearances)
            finite = np.isfinite(cost)
            rows, cols = linear_sum_assignment(np.where(finite, cost, 1e6))
            for r, c in zip(rows, cols):
                if not finite[r, c]:
                    continue
                self._match(self.tracks[r], boxes[c], frame_idx,
                            None if appearances is None else appearances[c])
                ids[c] = self.tracks[r].track_id
                matched_d.add(c)
        for c in range(len(boxes)):
            if c in matched_d:
                continue
            app = None
            if appearances is not None and appearances[c].sum() > 0:
                app = appearances[c].copy()
            self.tracks.append(
                _Track(
                    self._next_id,
                    boxes[c].copy(),
                    appearance=app,
                    last_frame=frame_idx))
            ids[c] = self._next_id
            self._next_id += 1
        return ids

    def _match(self, track: _Track, box: np.ndarray, frame_idx: int,
               appearance: Optional[np.ndarray]) -> None:
        gap = max(frame_idx - track.last_frame, 1)
        step = ((box[:2] + box[2:]) -
                (track.box[:2] + track.box[2:])) / (2 * gap)
        m = self.velocity_momentum if track.hits > 1 else 0.
        track.velocity = m * track.velocity + (1 - m) * step
        track.box = box.copy()
        track.last_frame = frame_idx
        track.hits += 1
        if appearance is not None and appearance.sum() > 0:
            if track.appearance is None:
                track.appearance = appearance.copy()
            else:
                a = self.appearance_momentum
                track.appearance = a * track.appearance + (1 - a) * appearance
