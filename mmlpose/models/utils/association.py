# Copyright (c) mmlpose contributors. All rights reserved.
"""Join per-frame 2D detections of a short window into person tracks.

Used by both L3DHPE cascades: every detection of the anchor (current) frame
starts a track, and the other frames are joined to the tracks by the
Hungarian algorithm, frame by frame outwards from the anchor, comparing each
detection with the track's nearest already-joined detection.
"""
from typing import Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from mmlpose.structures.panoptic import keypoints_and_scores

#: Cost of pairs that cannot be compared (no common joint).
_NO_MATCH = 1e6


def _check(keypoints: np.ndarray,
           scores: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    return keypoints_and_scores(keypoints, scores, 'F, N', num_joints=None)


def _pair_costs(ref_kp: np.ndarray, ref_sc: np.ndarray, kp: np.ndarray,
                sc: np.ndarray, min_score: float) -> np.ndarray:
    """``(M, N)`` mean distance of the joints confident in both poses,
    divided by the reference's box diagonal (all finite joints of both
    when none is confident in both)."""
    ref_ok = np.isfinite(ref_kp).all(-1)  # (M, K)
    ok = np.isfinite(kp).all(-1)  # (N, K)
    both = ref_ok[:, None] & ok[None]  # (M, N, K)
    conf = both & (ref_sc[:, None] >= min_score) & (sc[None] >= min_score)
    use = np.where(conf.any(-1, keepdims=True), conf, both)
    dist = np.linalg.norm(
        np.nan_to_num(ref_kp)[:, None] - np.nan_to_num(kp)[None], axis=-1)
    count = use.sum(-1)
    mean = np.where(use, dist, 0.).sum(-1) / np.maximum(count, 1)
    diag = np.zeros(len(ref_kp))
    for m in range(len(ref_kp)):
        pts = ref_kp[m][ref_ok[m]]
        if len(pts):
            diag[m] = np.linalg.norm(pts.max(0) - pts.min(0))
    cost = mean / np.maximum(diag, 1.)[:, None]
    return np.where(count > 0, cost, _NO_MATCH)


def associate_window(keypoints: np.ndarray,
                     scores: np.ndarray,
                     anchor: int,
                     max_cost: float = 0.5,
                     min_score: float = 0.3) -> np.ndarray:
    """Tracks of the anchor frame's detections across a window.

    Note:
        - frames: F, detections per frame: N, joints: K

    Args:
        keypoints (np.ndarray): ``(F, N, K, 2)`` pixels; a detection whose
            joints are all NaN is no detection.
        scores (np.ndarray): ``(F, N, K)`` keypoint confidences.
        anchor (int): The frame whose detections define the tracks.
        max_cost (float): Pairs costing more (mean joint distance / the
            track's box diagonal) are not joined. Defaults to 0.5.
        min_score (float): Joints below this score are left out of the cost
            while the two poses share a confident joint. Defaults to 0.3.

    Returns:
        np.ndarray: ``(M, F)`` int64 detection index of each track in each
        frame, -1 where absent; M = valid anchor detections, in their
        order.
    """
    kp, sc = _check(keypoints, scores)
    num_frames = kp.shape[0]
    if not 0 <= int(anchor) < num_frames:
        raise ValueError(f'anchor {anchor} is outside the {num_frames} '
                         'frames of the window')
    anchor = int(anchor)
    valid = np.isfinite(kp).all(-1).any(-1)  # (F, N)
    starts = np.flatnonzero(valid[anchor])
    tracks = np.full((len(starts), num_frames), -1, np.int64)
    tracks[:, anchor] = starts
    if len(starts) == 0:
        return tracks
    for step in (1, -1):
        # the latest joined detection of each track on this side
        ref_kp = kp[anchor, starts].copy()
        ref_sc = sc[anchor, starts].copy()
        for f in range(anchor + step, num_frames if step > 0 else -1, step):
            dets = np.flatnonzero(valid[f])
            if len(dets) == 0:
                continue
            cost = _pair_costs(ref_kp, ref_sc, kp[f, dets], sc[f, dets],
                               min_score)
            rows, cols = linear_sum_assignment(cost)
            for r, c in zip(rows, cols):
                if cost[r, c] <= max_cost:
                    tracks[r, f] = dets[c]
                    ref_kp[r] = kp[f, dets[c]]
                    ref_sc[r] = sc[f, dets[c]]
    return tracks


def gather_tracks(keypoints: np.ndarray, scores: np.ndarray,
                  tracks: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The tracks' keypoints and scores.

    Args:
        keypoints (np.ndarray): ``(F, N, K, 2)``.
        scores (np.ndarray): ``(F, N, K)``.
        tracks (np.ndarray): ``(M, F)`` from :func:`associate_window`.

    Returns:
        tuple: ``(M, F, K, 2)`` float32 keypoints (NaN where absent) and
        ``(M, F, K)`` float32 scores (0 where absent).
    """
    kp, sc = _check(keypoints, scores)
    tracks = np.asarray(tracks, np.int64)
    if tracks.ndim != 2 or tracks.shape[1] != kp.shape[0]:
        raise ValueError(f'tracks must have shape (M, {kp.shape[0]}), got '
                         f'{tracks.shape}')
    if (tracks >= kp.shape[1]).any() or (tracks < -1).any():
        raise ValueError(f'track entries must be in [-1, {kp.shape[1]})')
    num_tracks, num_frames = tracks.shape
    out_kp = np.full((num_tracks, num_frames) + kp.shape[2:], np.nan,
                     np.float32)
    out_sc = np.zeros((num_tracks, num_frames, kp.shape[2]), np.float32)
    m, f = np.nonzero(tracks >= 0)
    out_kp[m, f] = kp[f, tracks[m, f]]
    out_sc[m, f] = sc[f, tracks[m, f]]
    return out_kp, out_sc
