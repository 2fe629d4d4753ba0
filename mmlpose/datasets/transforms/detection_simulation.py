# Copyright (c) mmlpose contributors. All rights reserved.
"""Simulated multi-person 2D detections of a Panoptic-L3D window, and the
clothing-colour features of detected people.

The L3DHPE cascades start from an off-the-shelf 2D detector; we simulate it
from the ground truth (original-image pixels) so that training and testing
need no detector: Gaussian noise relative to each person's height, dropped
joints (moved far away, low score), missed people and a shuffled detection
order in every frame.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmlpose.registry import TRANSFORMS
from mmlpose.structures.panoptic import (NUM_PANOPTIC_JOINTS, PANOPTIC_ROOT,
                                         keypoints_and_scores)

#: Panoptic-15 segments whose pixels give the upper-body colour (torso:
#: shoulders -> hips, and across) and the lower-body colour (hips -> knees
#: -> ankles).
UPPER_BODY_SEGMENTS = ((3, 6), (9, 12), (3, 12), (9, 6), (0, 2))
LOWER_BODY_SEGMENTS = ((6, 7), (7, 8), (12, 13), (13, 14))
#: Points sampled along each segment (fractions of its length).
SEGMENT_STEPS = (0.2, 0.4, 0.6, 0.8)


def colour_dim(with_hsv: bool = False) -> int:
    """Width C of :func:`colour_features`: 3 (BGR) per region, +3 (hue as
    cos/sin times saturation, value) per region with HSV."""
    return 12 if with_hsv else 6


def _region_colour(img: np.ndarray, kp: np.ndarray, ok: np.ndarray,
                   segments: Sequence[Tuple[int, int]],
                   radius: int) -> Optional[np.ndarray]:
    """Mean BGR (0-255) of square patches along the segments whose two
    joints are usable; None when none is."""
    h, w = img.shape[:2]
    patches = []
    for a, b in segments:
        if not (ok[a] and ok[b]):
            continue
        for t in SEGMENT_STEPS:
            x, y = kp[a] + t * (kp[b] - kp[a])
            x0, x1 = int(round(x)) - radius, int(round(x)) + radius + 1
            y0, y1 = int(round(y)) - radius, int(round(y)) + radius + 1
            x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
            if x1 > x0 and y1 > y0:
                patches.append(img[y0:y1, x0:x1].reshape(-1, 3))
    if not patches:
        return None
    return np.concatenate(patches).astype(np.float64).mean(0)


def _hsv(bgr: np.ndarray) -> np.ndarray:
    """``(s cos h, s sin h, v)`` in [-1, 1] / [0, 1] of one BGR colour."""
    pix = np.clip(bgr, 0, 255).astype(np.uint8).reshape(1, 1, 3)
    h, s, v = cv2.cvtColor(pix, cv2.COLOR_BGR2HSV)[0, 0].astype(np.float64)
    ang = h / 180. * 2 * np.pi
    s, v = s / 255., v / 255.
    return np.array([s * np.cos(ang), s * np.sin(ang), v])


def colour_features(img: np.ndarray,
                    keypoints: np.ndarray,
                    scores: np.ndarray,
                    min_score: float = 0.3,
                    with_hsv: bool = False,
                    radius_fraction: float = 0.02) -> np.ndarray:
    """Upper- and lower-body colours of people in one image.

    Args:
        img (np.ndarray): ``(H, W, 3)`` uint8 BGR image.
        keypoints (np.ndarray): ``(N, 15, 2)`` Panoptic-15 pixels of that
            image (NaN rows: no person).
        scores (np.ndarray): ``(N, 15)``; joints below ``min_score`` are not
            used.
        min_score (float): Defaults to 0.3.
        with_hsv (bool): Append the HSV description of each region's mean.
        radius_fraction (float): Patch half-size as a fraction of the
            person's 2D height (at least 1 px).

    Returns:
        np.ndarray: ``(N, C)`` float32 (:func:`colour_dim`): upper-body mean
        B, G, R / 255, lower-body B, G, R / 255 (then the HSV parts); zeros
        for a region that cannot be sampled.
    """
    img = np.asarray(img)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'img must be (H, W, 3) BGR, got {img.shape}')
    kp, sc = keypoints_and_scores(keypoints, scores, 'N')
    per_region = 6 if with_hsv else 3
    out = np.zeros((len(kp), 2 * per_region), np.float32)
    for n in range(len(kp)):
        ok = np.isfinite(kp[n]).all(-1) & (sc[n] >= min_score)
        if ok.sum() < 2:
            continue
        pts = kp[n][ok]
        height = float(pts[:, 1].max() - pts[:, 1].min())
        radius = max(1, int(round(radius_fraction * height)))
        regions = (UPPER_BODY_SEGMENTS, LOWER_BODY_SEGMENTS)
        for r, segments in enumerate(regions):
            bgr = _region_colour(img, kp[n], ok, segments, radius)
            if bgr is None:
                continue
            feat = bgr / 255.
            if with_hsv:
                feat = np.concatenate([feat, _hsv(bgr)])
            out[n, r * per_region:(r + 1) * per_region] = feat
    return out


@TRANSFORMS.register_module()
class SimulateDetections2D(BaseTransform):
    """Noisy, shuffled multi-person 2D detections of every window frame.

    Required keys: ``window_keypoints_2d`` ``(P, F, 15, 2)`` original pixels
    (NaN absent) and ``window_visible`` ``(P, F, 15)`` (or, without a window,
    ``keypoints_2d`` / ``keypoints_2d_visible`` as one frame),
    ``current_idx``, ``sample_idx`` (test mode), ``img`` (for colours).

    Added keys (N = P detection slots per frame):

    - ``det_keypoints_2d`` ``(F, N, 15, 2)`` float32 original pixels, NaN rows
      for missed people;
    - ``det_keypoint_scores`` ``(F, N, 15)`` float32;
    - ``det_gt_index`` ``(F, N)`` int64: the sample's person behind each
      detection, -1 for an empty slot;
    - ``det_colours`` ``(N, C)`` float32: :func:`colour_features` of the
      current frame's detections (same order as
      ``det_keypoints_2d[current_idx]``; zeros for empty slots, or all zeros
      without ``img``).

    Per person and frame: visible joints get Gaussian noise of std
    ``noise_std`` x the person's 2D height and a score drawn from
    ``score_range``; each is dropped with ``drop_prob`` (moved by
    ``drop_offset`` x height in a random direction, score from
    ``drop_score_range``); invisible joints keep their (noisy) projection
    with a dropped joint's score, or sit at the root when they have none.
    A person is missed with ``miss_prob`` and always when it has no visible
    joint in that frame. Rows are shuffled independently in every frame.

    With ``test_mode=True`` the draw depends only on ``seed`` and the
    sample's ``sample_idx`` (the same detections every epoch); otherwise it
    is random (seeded from numpy's global generator, so a seeded run is
    reproducible).

    Args:
        noise_std (float): Noise std / person height. Defaults to 0.01.
        score_range (tuple): Scores of kept joints. Defaults to (0.6, 1.0).
        drop_prob (float): Per-joint drop probability. Defaults to 0.05.
        drop_score_range (tuple): Scores of dropped / invisible joints.
            Defaults to (0.0, 0.2).
        drop_offset (float): Displacement of dropped joints / height.
            Defaults to 0.3.
        miss_prob (float): Per person and frame. Defaults to 0.05.
        shuffle (bool): Shuffle the rows of each frame. Defaults to True.
        test_mode (bool): Deterministic per sample. Defaults to False.
        seed (int): Seed of test mode. Defaults to 0.
        with_hsv (bool): Colour features with HSV (C = 12, else 6).
        min_height (float): Floor of the person height (px). Defaults to 20.
    """

    def __init__(self,
                 noise_std: float = 0.01,
                 score_range: Tuple[float, float] = (0.6, 1.0),
                 drop_prob: float = 0.05,
                 drop_score_range: Tuple[float, float] = (0.0, 0.2),
                 drop_offset: float = 0.3,
                 miss_prob: float = 0.05,
                 shuffle: bool = True,
                 test_mode: bool = False,
                 seed: int = 0,
                 with_hsv: bool = False,
                 min_height: float = 20.) -> None:
        for name, p in (('drop_prob', drop_prob), ('miss_prob', miss_prob)):
            if not 0 <= p <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {p}')
        if noise_std < 0:
            raise ValueError(f'noise_std must be >= 0, got {noise_std}')
        self.noise_std = float(noise_std)
        self.score_range = tuple(float(v) for v in score_range)
        self.drop_prob = float(drop_prob)
        self.drop_score_range = tuple(float(v) for v in drop_score_range)
        self.drop_offset = float(drop_offset)
        self.miss_prob = float(miss_prob)
        self.shuffle = bool(shuffle)
        self.test_mode = bool(test_mode)
        self.seed = int(seed)
        self.with_hsv = bool(with_hsv)
        self.min_height = float(min_height)

    def _rng(self, results: dict) -> np.random.Generator:
        if self.test_mode:
            idx = results.get('sample_idx')
            if idx is None:
                raise KeyError('SimulateDetections2D(test_mode=True) needs '
                               'sample_idx in the results')
            return np.random.default_rng([self.seed, int(idx)])
        return np.random.default_rng(np.random.randint(0, 2**31 - 1))

    def _window(self, results: dict) -> Tuple[np.ndarray, np.ndarray, int]:
        if 'window_keypoints_2d' in results:
            kp = np.asarray(results['window_keypoints_2d'], np.float64)
            vis = np.asarray(
                results.get('window_visible',
                            np.isfinite(kp).all(-1))).astype(bool)
            cur = int(results.get('current_idx', 0))
        elif 'keypoints_2d' in results:
            kp = np.asarray(results['keypoints_2d'], np.float64)[:, None]
            vis = np.asarray(
                results.get('keypoints_2d_visible',
                            np.isfinite(kp[:, 0]).all(-1))).astype(bool)
            vis = vis.reshape(kp.shape[:3])
            cur = 0
        else:
            raise KeyError('SimulateDetections2D needs window_keypoints_2d '
                           '(or keypoints_2d) in the results')
        if kp.ndim != 4 or kp.shape[2:] != (NUM_PANOPTIC_JOINTS, 2):
            raise ValueError('window_keypoints_2d must have shape (P, F, 15, '
                             f'2), got {kp.shape}')
        if vis.shape != kp.shape[:3]:
            raise ValueError(f'window_visible must have shape {kp.shape[:3]}'
                             f', got {vis.shape}')
        if not 0 <= cur < kp.shape[1]:
            raise ValueError(f'current_idx {cur} is outside the '
                             f'{kp.shape[1]} window frames')
        return kp, vis & np.isfinite(kp).all(-1), cur

    def _detect(self, kp: np.ndarray, vis: np.ndarray,
                rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
        """One person in one frame: ``(15, 2)`` noisy joints and scores, or
        None when missed."""
        if not vis.any() or rng.random() < self.miss_prob:
            return None
        pts = kp[vis]
        height = max(float(pts[:, 1].max() - pts[:, 1].min()), self.min_height)
        root = kp[PANOPTIC_ROOT] if vis[PANOPTIC_ROOT] else pts.mean(0)
        base = np.where(np.isfinite(kp), kp, root[None])
        out = base + rng.normal(0., self.noise_std * height, base.shape)
        scores = rng.uniform(*self.score_range, size=len(kp))
        dropped = (rng.random(len(kp)) < self.drop_prob) | ~vis
        ang = rng.uniform(0, 2 * np.pi, size=len(kp))
        offset = self.drop_offset * height * np.stack(
            [np.cos(ang), np.sin(ang)], -1)
        drop_now = dropped & vis  # invisible joints stay where they are
        out[drop_now] += offset[drop_now]
        scores[dropped] = rng.uniform(
            *self.drop_score_range, size=int(dropped.sum()))
        return out, scores

    def transform(self, results: dict) -> dict:
        kp, vis, cur = self._window(results)
        rng = self._rng(results)
        num_people, num_frames = kp.shape[:2]
        det_kp = np.full((num_frames, num_people, NUM_PANOPTIC_JOINTS, 2),
                         np.nan, np.float32)
        det_sc = np.zeros((num_frames, num_people, NUM_PANOPTIC_JOINTS),
                          np.float32)
        det_gt = np.full((num_frames, num_people), -1, np.int64)
        for f in range(num_frames):
            order = rng.permutation(num_people) if self.shuffle else \
                np.arange(num_people)
            for slot, p in enumerate(order):
                det = self._detect(kp[p, f], vis[p, f], rng)
                if det is None:
                    continue
                det_kp[f, slot], det_sc[f, slot] = det
                det_gt[f, slot] = p
        results['det_keypoints_2d'] = det_kp
        results['det_keypoint_scores'] = det_sc
        results['det_gt_index'] = det_gt
        img = results.get('img')
        if img is None:
            colours = np.zeros((num_people, colour_dim(self.with_hsv)),
                               np.float32)
        else:
            colours = colour_features(
                img, det_kp[cur], det_sc[cur], with_hsv=self.with_hsv)
        results['det_colours'] = colours
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(noise_std={self.noise_std}, '
                f'drop_prob={self.drop_prob}, miss_prob={self.miss_prob}, '
                f'test_mode={self.test_mode}, seed={self.seed})')
