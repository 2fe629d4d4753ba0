# Copyright (c) mmlpose contributors. All rights reserved.
"""Where a tracked person is in the frame and how large, from its boxes."""
from typing import Dict, List, Sequence, Tuple

import numpy as np

from mmlpose.structures.track import PersonTrack

#: Median box-centre x (fraction of the width) below which a person is on
#: the left, above which on the right (else in the centre).
LEFT_MAX_X, RIGHT_MIN_X = 0.4, 0.6
#: Median box height (fraction of the frame height) from which a person is
#: near the camera, and up to which far from it.
NEAR_MIN_HEIGHT, FAR_MAX_HEIGHT = 0.45, 0.25
#: A person whose median box height is this many times every other
#: person's is the tallest (its inverse: the smallest).
TALLEST_MIN_RATIO = 1.15
#: A person whose median box bottom is lower in the frame than every other
#: person's by this fraction of the frame height is in the foreground (the
#: highest one in the background); alone, a bottom below FOREGROUND_MIN_Y
#: (fraction of the height) is the foreground, a far person the background.
FOREGROUND_MIN_GAP = 0.05
FOREGROUND_MIN_Y = 0.85
#: A person present in under this share of the clip at its start (end)
#: "appears later" ("leaves before the end").
LATE_MIN_START, EARLY_MAX_END = 0.2, 0.8


def track_boxes(track: PersonTrack) -> np.ndarray:
    """``(T, 4)`` boxes, taken from the keypoints' extent where the
    tracker left none (NaN where the person is absent)."""
    boxes = np.asarray(track.bboxes, np.float64).copy()
    kpts = np.asarray(track.keypoints_2d, np.float64)
    missing = ~np.isfinite(boxes).all(1) & np.isfinite(kpts).all((1, 2))
    if missing.any():
        boxes[missing] = np.concatenate(
            [kpts[missing].min(1), kpts[missing].max(1)], axis=1)
    boxes[~track.present] = np.nan
    return boxes


def _median_stats(track: PersonTrack) -> Tuple[float, float, float]:
    """Median box centre x, height and bottom y (pixels) of a track."""
    boxes = track_boxes(track)
    ok = np.isfinite(boxes).all(1)
    if not ok.any():
        return (np.nan, ) * 3
    b = boxes[ok]
    return (float(np.median((b[:, 0] + b[:, 2]) / 2)),
            float(np.median(b[:, 3] - b[:, 1])), float(np.median(b[:, 3])))


def describe_layout(
        track: PersonTrack, tracks: Sequence[PersonTrack],
        image_size: Tuple[int,
                          int]) -> Tuple[List[str], str, Dict[str, float]]:
    """Position, distance, relative size and presence phrases of a track.

    Args:
        track (PersonTrack): The person described.
        tracks (Sequence[PersonTrack]): Every track of the video (including
            ``track``), for the relative size and depth order.
        image_size (tuple): ``(w, h)`` of the frames; ``(0, 0)`` when
            unknown (then only the relative phrases are made).

    Returns:
        tuple: phrases (``'a person on the right of the frame'``, ...), a
        summary sentence (``'a small person far from the camera on the
        right'``, may be empty) and the measurements behind them
        (``x``: centre / width, ``height``: box height / frame height,
        ``bottom``: box bottom / frame height, ``size_ratio``: height over
        the largest other track's).
    """
    w, h = image_size
    cx, bh, bottom = _median_stats(track)
    facts: Dict[str, float] = {}
    if not np.isfinite(cx):
        return [], '', facts
    phrases: List[str] = []
    words = []  # pieces of the summary sentence
    others = [_median_stats(t) for t in tracks if t is not track]
    others = [o for o in others if np.isfinite(o[0])]

    size = ''
    if w > 0 and h > 0:
        facts.update(x=cx / w, height=bh / h, bottom=bottom / h)
        side = ('left' if cx / w < LEFT_MAX_X else 'right' if cx /
                w > RIGHT_MIN_X else '')
        if side:
            phrases.append(f'a person on the {side} of the frame')
        else:
            phrases.append('a person in the centre of the frame')
        if bh / h >= NEAR_MIN_HEIGHT:
            phrases.append('a person close to the camera')
            words.append('close to the camera')
            size = 'large'
        elif bh / h <= FAR_MAX_HEIGHT:
            phrases.append('a person far from the camera')
            words.append('far from the camera')
            size = 'small'
        words.append(f'on the {side}' if side else 'in the centre')

    if others:
        ratio = bh / max(o[1] for o in others)
        low_ratio = bh / min(o[1] for o in others)
        facts['size_ratio'] = float(ratio)
        if ratio >= TALLEST_MIN_RATIO:
            phrases.append('the tallest person, the largest in the frame')
            size = 'large'
        elif low_ratio <= 1 / TALLEST_MIN_RATIO:
            phrases.append('the smallest person in the frame')
            size = 'small'
        if h > 0:
            gaps = [(bottom - o[2]) / h for o in others]
            if min(gaps) >= FOREGROUND_MIN_GAP:
                phrases.append('a person in the foreground')
            elif max(gaps) <= -FOREGROUND_MIN_GAP:
                phrases.append('a person in the background')
    elif h > 0:
        if bottom / h >= FOREGROUND_MIN_Y:
            phrases.append('a person in the foreground')
        elif bh / h <= FAR_MAX_HEIGHT:
            phrases.append('a person in the background')
    if size:
        phrases.append(f'a {size} person')

    present = track.present
    num = len(present)
    if num and present.any():
        first, last = np.flatnonzero(present)[[0, -1]]
        if first / num >= LATE_MIN_START:
            phrases.append('a person who appears later in the clip')
        if (last + 1) / num <= EARLY_MAX_END:
            phrases.append('a person who leaves before the end of the clip')

    summary = ''
    if words:
        summary = f'a {size + " " if size else ""}person ' + ' '.join(words)
    return phrases, summary, facts
