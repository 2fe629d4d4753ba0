# Copyright (c) mmlpose contributors. All rights reserved.
"""What a tracked person does, measured from its 2D track and lifted 3D.

Units: lengths are in body heights ``H`` (the skeleton's head -> pelvis ->
ankle length, :func:`skeleton_height`), so thresholds hold at any distance
from the camera; times are in seconds (``fps`` converts). 2D signals are
pixels with y down; the lifted 3D is root-relative metres in camera axes
(x right, y down, z forward), zero in absent frames.

Measured signals:

- speed: the pelvis' image velocity over the body height, plus the motion
  in depth from the change of the body's image height (under an assumed
  focal length, ``FOCAL_FRACTION`` of the image width);
- gait: alternations of the two ankles (the sign of their difference along
  its main horizontal axis, 3D when lifted, 2D otherwise), in steps/s;
- ground level: the lower ankle's image height (jumping down: a fast,
  lasting drop, also across a short gap in the track; jumping: pelvis and
  feet above their running median);
- knee angle (3D) or hip height above the ankles (2D): crouching;
- wrists above the head (2D, 3D when the 2D scores are low): raised arms,
  and with the feet spreading at each raise, jumping jacks;
- facing direction (the 3D normal of the shoulder and hip lines where the
  2D view is frontal enough to trust it, the direction of travel while
  walking sideways): turning.

Frames whose box touches the image border (a person partly out of view)
feed locomotion but not the pose events (crouching, arms, jumps).
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d, median_filter

from mmlpose.structures.track import PersonTrack
from .colour_descriptors import skeleton_height

# H36M-17 joints
ROOT, R_HIP, R_KNEE, R_ANKLE, L_HIP, L_KNEE, L_ANKLE = range(7)
NECK_BASE, HEAD = 9, 10
L_SHOULDER, L_WRIST, R_SHOULDER, R_WRIST = 11, 13, 14, 16

# --- signals ----------------------------------------------------------------
#: Frames missing for at most this long are interpolated; longer gaps split
#: the track and are not described.
MAX_GAP_S = 0.5
#: Runs of present frames shorter than this (s) are ignored (isolated
#: detections).
MIN_RUN_S = 0.2
#: Gaussian smoothing (s) of positions before differentiation, and of the
#: log body height before its derivative (slow: gait makes it oscillate).
SMOOTH_S = 0.15
DEPTH_SMOOTH_S = 0.5
#: The body height used as the scale is its running maximum over this
#: window (s): bending over shortens the skeleton's image, distance does
#: not change that fast.
HEIGHT_MAX_S = 1.0
#: Assumed focal length as a fraction of the image width (about 53 degrees
#: of horizontal field of view), to turn image-height change into depth
#: speed; it counts only while the feet move the same way in the image
#: (down when coming closer).
FOCAL_FRACTION = 1.0
#: A box this close to the image border (fraction of the width) is cut.
BORDER_MARGIN = 0.005
#: Fewer present frames than this (s) are not described.
MIN_MOTION_S = 0.5

# --- locomotion -------------------------------------------------------------
#: Below this speed (H/s) with no gait a person stands still.
STILL_MAX_SPEED = 0.12
#: From this speed (H/s) a person walks (1.4 m/s is about 0.8 H/s) ...
WALK_MIN_SPEED = 0.3
#: ... and from this one runs (about 2.1 m/s for 1.75 m).
RUN_MIN_SPEED = 1.2
#: Running must last at least this long (s).
RUN_MIN_S = 0.4
#: Step rates (steps/s): gait from GAIT_MIN_STEP_HZ (with at least
#: STILL_MAX_SPEED) is walking; from RUN_MIN_STEP_HZ (with at least
#: WALK_MIN_SPEED) running.
GAIT_MIN_STEP_HZ = 0.8
RUN_MIN_STEP_HZ = 2.8
#: An alternation is counted when the ankle difference swings from beyond
#: +GAIT_MIN_AMPLITUDE to beyond -GAIT_MIN_AMPLITUDE (H) or back (feet
#: that only spread and close, as in jumping jacks, do not alternate).
GAIT_MIN_AMPLITUDE = 0.06
#: Window (s) of the step rate, and of a median filter of the ankle
#: difference against single-frame left/right swaps of the 2D.
GAIT_WINDOW_S = 2.0
GAIT_MEDIAN_S = 0.1
#: Per-frame labels are mode-filtered over this window (s); standing still
#: or walking shorter than MIN_SEGMENT_S (s) is dropped.
LABEL_SMOOTH_S = 0.5
MIN_SEGMENT_S = 0.6
#: A walk is "from left to right" (...) when the pelvis moves at least this
#: far sideways (H); "across the frame" when also this share of the width.
DIRECTION_MIN_SHIFT = 0.3
ACROSS_MIN_FRACTION = 0.3
#: A walk is "towards/away from the camera" when the body's image height
#: changes by at least this log ratio and the feet move down/up in the
#: image by at least DEPTH_MIN_FEET_SHIFT (H).
DEPTH_MIN_LOG_CHANGE = 0.2
DEPTH_MIN_FEET_SHIFT = 0.1

# --- jumps ------------------------------------------------------------------
#: Jumping down: the feet's image level drops by at least JUMP_DOWN_MIN_DROP
#: (H) within JUMP_DOWN_MAX_S (s), the pelvis by at least half as much, and
#: the new level holds for JUMP_HOLD_S (s).
JUMP_DOWN_MIN_DROP = 0.18
JUMP_DOWN_MAX_S = 0.6
JUMP_HOLD_S = 0.4
#: Across a gap of up to JUMP_GAP_MAX_S (s) in the track (a person lost in
#: mid-air), the drop must be as fast: JUMP_DOWN_MIN_DROP per
#: JUMP_DOWN_MAX_S.
JUMP_GAP_MAX_S = 3.0
#: Jumping: the pelvis rises JUMP_MIN_RISE (H) and the lower foot
#: JUMP_MIN_FEET_RISE (H) above their running median (JUMP_BASELINE_S
#: window) for at most JUMP_MAX_FLIGHT_S (s).
JUMP_MIN_RISE = 0.1
JUMP_MIN_FEET_RISE = 0.06
JUMP_BASELINE_S = 1.5
JUMP_MAX_FLIGHT_S = 0.8

# --- poses ------------------------------------------------------------------
#: Crouching: both knee angles (3D) below CROUCH_MAX_KNEE_DEG, or (2D
#: only) the pelvis' height above the lower ankle below CROUCH_MAX_HIP_RATIO
#: of its standing value (its 90th percentile over the track), for at least
#: CROUCH_MIN_S (s); squatting: the knees below SQUAT_MAX_KNEE_DEG (the hip
#: height below SQUAT_MAX_HIP_RATIO).
CROUCH_MAX_KNEE_DEG = 125.
SQUAT_MAX_KNEE_DEG = 95.
CROUCH_MAX_HIP_RATIO = 0.75
SQUAT_MAX_HIP_RATIO = 0.6
CROUCH_MIN_S = 0.25
#: An arm is raised while its wrist is above the head centre (2D: keypoint
#: score of at least MIN_KEYPOINT_SCORE) for at least ARM_MIN_S (s).
ARM_MIN_S = 0.3
#: Gaps of at most this long (s) in a raised arm are closed.
ARM_GAP_S = 0.1
MIN_KEYPOINT_SCORE = 0.3
#: Jumping jacks: at least JACKS_MIN_REPS raises of both arms, at most
#: JACKS_MAX_PERIOD_S (s) apart, each with the feet spread JACKS_MIN_SPREAD
#: (H) wider than between raises.
JACKS_MIN_REPS = 2
JACKS_MAX_PERIOD_S = 2.5
JACKS_MIN_SPREAD = 0.1
#: Turning: the facing direction (averaged over TURN_AVERAGE_S, s) changes
#: by TURN_MIN_DEG (turning around: TURN_AROUND_MIN_DEG) within
#: TURN_WINDOW_S (s). The 3D facing is trusted where the 2D shoulders and
#: hips are at least FACING_MIN_WIDTH (H) wide (not in profile); sideways
#: walking faces the direction of travel.
TURN_MIN_DEG = 70.
TURN_AROUND_MIN_DEG = 135.
TURN_WINDOW_S = 3.0
TURN_AVERAGE_S = 0.5
FACING_MIN_WIDTH = 0.12

STILL, WALK, RUN, UNKNOWN = 0, 1, 2, -1


@dataclass
class MotionEvent:
    """One thing a person does during ``[start, end)`` (frame indices).

    Attributes:
        kind (str): ``'still'``, ``'walking'``, ``'running'``, ``'jumping'``,
            ``'jumping_down'``, ``'jumping_jacks'``, ``'crouching'``,
            ``'squatting'``, ``'raising_arm'``, ``'raising_arms'`` or
            ``'turning'``.
        verb (str): The verb phrase, e.g. ``'walking from right to left
            across the frame'``.
        start (int): First frame.
        end (int): One past the last frame.
        value (float): The measurement behind it (speed in H/s, drop in H,
            knee angle in degrees, turn in degrees, ...).
    """
    kind: str
    verb: str
    start: int
    end: int
    value: float = float('nan')


def _runs(flags: np.ndarray) -> List[Tuple[int, int]]:
    """``[start, end)`` runs of True."""
    flags = np.asarray(flags, bool).astype(np.int8)
    edges = np.diff(np.concatenate([[0], flags, [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _close_gaps(flags: np.ndarray, max_gap: int) -> np.ndarray:
    """Fill runs of False of at most ``max_gap`` between two Trues."""
    flags = flags.copy()
    for a, b in _runs(~flags):
        if 0 < a and b < len(flags) and b - a <= max_gap:
            flags[a:b] = True
    return flags


def _interpolate(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Fill unknown frames of ``(T, ...)`` values linearly in time."""
    flat = values.reshape(len(values), -1).astype(np.float64)
    t = np.arange(len(values))
    out = np.empty_like(flat)
    for c in range(flat.shape[1]):
        out[:, c] = np.interp(t, t[known], flat[known, c])
    return out.reshape(values.shape)


def _smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    return gaussian_filter1d(x, sigma, axis=0, mode='nearest') \
        if sigma > 0 else x


def count_alternations(signal: np.ndarray, amplitude: float) -> np.ndarray:
    """Frames where a signal swings from beyond ``+amplitude`` to beyond
    ``-amplitude`` or back (hysteresis), e.g. one per step of a gait."""
    state, changes = 0, []
    for i, v in enumerate(signal):
        if v > amplitude and state <= 0:
            if state < 0:
                changes.append(i)
            state = 1
        elif v < -amplitude and state >= 0:
            if state > 0:
                changes.append(i)
            state = -1
    return np.asarray(changes, np.int64)


def _knee_angles(kpts3d: np.ndarray) -> np.ndarray:
    """``(T, 2)`` right and left knee angles (deg; 180 straight)."""
    angles = []
    for hip, knee, ankle in ((R_HIP, R_KNEE, R_ANKLE), (L_HIP, L_KNEE,
                                                        L_ANKLE)):
        a = kpts3d[:, hip] - kpts3d[:, knee]
        b = kpts3d[:, ankle] - kpts3d[:, knee]
        cos = (a * b).sum(-1) / np.maximum(
            np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-9)
        angles.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
    return np.stack(angles, -1)


def _facing_yaw(kpts3d: np.ndarray) -> np.ndarray:
    """``(T,)`` facing direction (rad) in the x-z plane: the horizontal
    normal of the person's right-to-left shoulder and hip lines (pi when
    facing the camera)."""
    across = (
        kpts3d[:, R_HIP] - kpts3d[:, L_HIP] + kpts3d[:, R_SHOULDER] -
        kpts3d[:, L_SHOULDER])
    # forward = up x across with up = -y: (-across_z, 0, across_x)
    return np.arctan2(-across[:, 2], across[:, 0])


def _gait_signal(diff: np.ndarray) -> np.ndarray:
    """Ankle difference ``(T, D)`` along its main axis of variation (not
    centred: in a gait it changes sign at every step)."""
    centred = diff - diff.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return diff @ vt[0]


def _step_rate(signal: np.ndarray, fps: float) -> np.ndarray:
    """Steps/s around each frame (window GAIT_WINDOW_S)."""
    steps = np.zeros(len(signal))
    steps[count_alternations(signal, GAIT_MIN_AMPLITUDE)] = 1
    # np.convolve's 'same' output has the longer input's length: keep the
    # window within the signal so that the rate has one value per frame
    win = min(max(int(round(GAIT_WINDOW_S * fps)), 1), len(signal))
    kernel = np.ones(win)
    counts = np.convolve(steps, kernel, mode='same')
    support = np.convolve(np.ones(len(signal)), kernel, mode='same')
    return counts / (support / fps)


def _moving_direction(s: dict, start: int, end: int,
                      image_width: float) -> str:
    """``'from right to left across the frame'``, ``'towards the camera'``,
    ... of the stretch ``[start, end)`` (empty when unclear)."""
    cx, height, feet = s['cx'], s['height'], s['feet']
    dx = cx[end - 1] - cx[start]
    h_med = float(np.median(height[start:end]))
    lateral = dx / h_med
    log_change = float(np.log(height[end - 1] / height[start]))
    feet_shift = feet[end - 1] - feet[start]
    parts = []
    if abs(lateral) >= DIRECTION_MIN_SHIFT:
        parts.append('from left to right' if dx > 0 else 'from right to left')
        if image_width > 0 and abs(dx) >= ACROSS_MIN_FRACTION * image_width:
            parts[-1] += ' across the frame'
    if abs(log_change) >= DEPTH_MIN_LOG_CHANGE and \
            abs(feet_shift) >= DEPTH_MIN_FEET_SHIFT and \
            np.sign(feet_shift) == np.sign(log_change):
        depth = FOCAL_FRACTION * image_width / h_med * abs(log_change) \
            if image_width > 0 else np.inf
        if depth >= 0.5 * abs(lateral):
            parts.append('towards the camera' if log_change >
                         0 else 'away from the camera')
    return ' and '.join(parts)


def _signals(track: PersonTrack, fps: float,
             image_size: Tuple[int, int]) -> Optional[dict]:
    """Per-frame measurements of a track (None when too short)."""
    present = track.present.copy()
    for a, b in _runs(present):
        if b - a < MIN_RUN_S * fps:
            present[a:b] = False
    if present.sum() < max(MIN_MOTION_S * fps, 3):
        return None
    image_width = float(image_size[0])
    num = len(present)
    # frames in gaps longer than MAX_GAP_S, or outside the track, are out
    valid = present.copy()
    ids = np.flatnonzero(present)
    for a, b in zip(ids[:-1], ids[1:]):
        if b - a - 1 <= MAX_GAP_S * fps:
            valid[a:b] = True
    kpts = _interpolate(
        np.nan_to_num(track.keypoints_2d.astype(np.float64)), present)
    scores = np.asarray(track.keypoint_scores, np.float64)
    raw_height = _interpolate(skeleton_height(kpts), present)
    height = maximum_filter1d(
        raw_height, max(int(round(HEIGHT_MAX_S * fps)), 1), mode='nearest')
    height = np.maximum(_smooth(height, DEPTH_SMOOTH_S * fps), 1e-6)
    h_med = float(np.median(height[valid]))
    cx = _smooth(kpts[:, ROOT, 0], SMOOTH_S * fps)
    vx = np.gradient(cx) * fps / height
    # the lower foot's image height, in H (y down)
    feet = kpts[:, [L_ANKLE, R_ANKLE], 1].max(1) / h_med
    feet = median_filter(
        feet, size=max(int(round(0.1 * fps)) | 1, 1), mode='nearest')
    if image_width > 0:
        vz = np.gradient(np.log(height)) * fps * FOCAL_FRACTION * \
            image_width / height
        feet_rate = np.gradient(_smooth(feet, DEPTH_SMOOTH_S * fps))
        vz = np.where(np.sign(vz) == np.sign(feet_rate), vz, 0.)
    else:
        vz = np.zeros(num)
    speed = np.hypot(vx, vz)

    boxes = np.asarray(track.bboxes, np.float64)
    cut = np.zeros(num, bool)
    if image_width > 0 and image_size[1] > 0:
        margin = BORDER_MARGIN * image_width
        with np.errstate(invalid='ignore'):
            cut = ((boxes[:, 0] <= margin) | (boxes[:, 1] <= margin) |
                   (boxes[:, 2] >= image_width - margin) |
                   (boxes[:, 3] >= image_size[1] - margin))
    whole = valid & ~cut

    k3d = None
    if track.keypoints_3d is not None:
        k3d = np.asarray(track.keypoints_3d, np.float64)
        lifted = present & (np.abs(k3d).sum((1, 2)) > 0)
        if lifted.sum() >= max(MIN_MOTION_S * fps, 3) and np.isfinite(
                k3d[lifted]).all():
            k3d = _interpolate(np.nan_to_num(k3d), lifted)
        else:
            k3d = None

    # gait: 3D ankle difference in x-z when lifted, else 2D
    if k3d is not None:
        h3d = float(np.median(skeleton_height(k3d)[valid]))
        diff = (k3d[:, L_ANKLE] - k3d[:, R_ANKLE])[:, [0, 2]] / max(h3d, 1e-6)
    else:
        diff = (kpts[:, L_ANKLE] - kpts[:, R_ANKLE]) / height[:, None]
    gait = _gait_signal(diff[valid])
    gait = median_filter(
        gait, size=max(int(round(GAIT_MEDIAN_S * fps)) | 1, 1), mode='nearest')
    gait = np.interp(np.arange(num), np.flatnonzero(valid), gait)
    steps = _step_rate(np.where(valid, gait, 0.), fps)

    pelvis = _smooth(kpts[:, ROOT, 1] / h_med, 0.05 * fps)
    hip_height = (kpts[:, [L_ANKLE, R_ANKLE], 1].max(1) -
                  kpts[:, ROOT, 1]) / height
    spread = np.linalg.norm(
        kpts[:, L_ANKLE] - kpts[:, R_ANKLE], axis=-1) / height

    # raised arms: wrist above the head centre
    score_known = scores[present].max() > 0
    raised = np.zeros((num, 2), bool)
    for side, wrist in enumerate((L_WRIST, R_WRIST)):
        above = kpts[:, wrist, 1] < kpts[:, NECK_BASE, 1]
        if score_known:
            sure = np.minimum(scores[:, wrist], scores[:, NECK_BASE]) >= \
                MIN_KEYPOINT_SCORE
            if k3d is not None:
                above = np.where(sure, above, k3d[:, wrist, 1]
                                 < k3d[:, NECK_BASE, 1])
            else:
                above &= sure
        raised[:, side] = _close_gaps(above & whole,
                                      int(round(ARM_GAP_S * fps)))

    # facing (unit vectors in the x-z plane, NaN unknown)
    width2d = (np.abs(kpts[:, R_SHOULDER, 0] - kpts[:, L_SHOULDER, 0]) +
               np.abs(kpts[:, R_HIP, 0] - kpts[:, L_HIP, 0])) / 2 / height
    frontal = whole & (width2d >= FACING_MIN_WIDTH)
    # the person's right on the image's left: facing the camera (-z)
    towards = (kpts[:, R_SHOULDER, 0] + kpts[:, R_HIP, 0]) < (
        kpts[:, L_SHOULDER, 0] + kpts[:, L_HIP, 0])
    yaw = np.where(towards, np.pi, 0.)
    if k3d is not None:
        yaw3d = _facing_yaw(k3d)
        agrees = (np.abs(yaw3d) > np.pi / 2) == towards
        yaw = np.where(agrees, yaw3d, yaw)
    facing = np.full((num, 2), np.nan)
    facing[frontal] = np.stack([np.sin(yaw), np.cos(yaw)], -1)[frontal]

    return dict(
        present=present,
        valid=valid,
        whole=whole,
        kpts=kpts,
        height=height,
        h_med=h_med,
        cx=cx,
        vx=vx,
        vz=vz,
        speed=speed,
        steps=steps,
        gait=gait,
        feet=feet,
        pelvis=pelvis,
        hip_height=hip_height,
        spread=spread,
        raised=raised,
        k3d=k3d,
        facing=facing,
        knees=_knee_angles(k3d) if k3d is not None else None)


def _jump_down_event(feet: np.ndarray, pelvis: np.ndarray, before: slice,
                     after: slice, start: int, end: int,
                     min_drop: float) -> Optional[MotionEvent]:
    level = np.median(feet[after]) - np.median(feet[before])
    pelvis_drop = np.median(pelvis[after]) - np.median(pelvis[before])
    if level >= min_drop and pelvis_drop >= 0.5 * min_drop:
        return MotionEvent('jumping_down', 'jumping down from a height',
                           int(start), int(end), float(level))
    return None


def _jumps(s: dict, fps: float, present: np.ndarray) -> List[MotionEvent]:
    """Jumping-down (a lasting drop) and jumping (a flight) events."""
    events = []
    whole, feet, pelvis = s['whole'], s['feet'], s['pelvis']
    num = len(whole)
    span = max(int(round(JUMP_DOWN_MAX_S * fps)), 1)
    hold = max(int(round(JUMP_HOLD_S * fps)), 1)
    drop = np.full(num, -np.inf)
    if num > span:
        both = whole[:-span] & whole[span:]
        drop[:-span] = np.where(both, feet[span:] - feet[:-span], -np.inf)
    taken = np.zeros(num, bool)
    for i in np.argsort(-drop):
        if drop[i] < JUMP_DOWN_MIN_DROP:
            break
        if taken[i]:
            continue
        event = _jump_down_event(feet, pelvis, slice(max(i - hold, 0), i + 1),
                                 slice(i + span, min(i + span + hold, num)), i,
                                 i + span, JUMP_DOWN_MIN_DROP)
        if event is not None:
            events.append(event)
            taken[max(i - span, 0):i + 2 * span] = True

    # a drop across a gap of the track (lost in mid-air)
    ids = np.flatnonzero(present & whole)
    for a, b in zip(ids[:-1], ids[1:]):
        gap = b - a - 1
        if gap < 1 or gap > JUMP_GAP_MAX_S * fps or taken[a:b + 1].any():
            continue
        min_drop = JUMP_DOWN_MIN_DROP * max(1., (b - a) / span)
        before = ids[(ids <= a) & (ids > a - hold)]
        after = ids[(ids >= b) & (ids < b + hold)]
        event = _jump_down_event(feet, pelvis, before, after, a, b + 1,
                                 min_drop)
        if event is not None:
            events.append(event)
            taken[a:b + 1] = True

    win = max(int(round(JUMP_BASELINE_S * fps)) | 1, 3)
    pelvis_rise = median_filter(pelvis, size=win, mode='nearest') - pelvis
    feet_rise = median_filter(feet, size=win, mode='nearest') - feet
    flight = whole & (pelvis_rise >= JUMP_MIN_RISE) & (
        feet_rise >= JUMP_MIN_FEET_RISE)
    for a, b in _runs(flight):
        if b - a <= JUMP_MAX_FLIGHT_S * fps and not taken[a:b].any():
            events.append(
                MotionEvent('jumping', 'jumping', int(a), int(b),
                            float(pelvis_rise[a:b].max())))
    return events


def _locomotion(s: dict, fps: float, image_width: float,
                busy: np.ndarray) -> Tuple[List[MotionEvent], np.ndarray]:
    """Standing-still / walking / running segments, and the labels.

    Frames are labelled still, moving or unknown, the labels mode-filtered;
    a moving segment is running where it runs (speed or step rate) for at
    least RUN_MIN_S, walking for the rest if that lasts MIN_SEGMENT_S.
    """
    speed, steps, valid = s['speed'], s['steps'], s['valid']
    labels = np.full(len(valid), UNKNOWN)
    labels[(speed < STILL_MAX_SPEED) & (steps < GAIT_MIN_STEP_HZ)] = STILL
    walk = (speed >= WALK_MIN_SPEED) | ((steps >= GAIT_MIN_STEP_HZ) &
                                        (speed >= STILL_MAX_SPEED))
    labels[walk] = WALK
    labels[busy | ~valid] = UNKNOWN
    # mode filter: the most frequent label in a window
    win = max(int(round(LABEL_SMOOTH_S * fps)) | 1, 1)
    votes = np.stack([
        np.convolve((labels == k).astype(float), np.ones(win), 'same')
        for k in (STILL, WALK)
    ])
    smoothed = np.where(votes.max(0) > win / 2, votes.argmax(0), UNKNOWN)
    smoothed[~valid] = UNKNOWN
    run = (speed >= RUN_MIN_SPEED) | ((steps >= RUN_MIN_STEP_HZ) &
                                      (speed >= WALK_MIN_SPEED))
    events = []
    for a, b in _runs(smoothed == STILL):
        if b - a >= MIN_SEGMENT_S * fps:
            events.append(
                MotionEvent('still', 'standing still', int(a), int(b),
                            float(np.median(speed[a:b]))))
    for a, b in _runs(smoothed == WALK):
        running = np.zeros(len(valid), bool)
        for ra, rb in _runs(run[a:b]):
            if rb - ra >= RUN_MIN_S * fps:
                running[a + ra:a + rb] = True
                smoothed[a + ra:a + rb] = RUN
        pieces = [('running', ra, rb) for ra, rb in _runs(running)]
        if (b - a) - running.sum() >= MIN_SEGMENT_S * fps:
            pieces.append(('walking', a, b))
        for name, pa, pb in pieces:
            direction = _moving_direction(s, pa, pb, image_width)
            verb = f'{name} {direction}' if direction else name
            events.append(
                MotionEvent(name, verb, int(pa), int(pb),
                            float(np.median(speed[pa:pb]))))
    return events, smoothed


def _arm_events(s: dict, fps: float) -> List[MotionEvent]:
    """Raised arms and jumping jacks."""
    events = []
    raised, spread = s['raised'], s['spread']
    both_runs = _runs(raised.all(1))
    min_len = ARM_MIN_S * fps
    covered = np.zeros(len(raised), bool)
    for a, b in both_runs:
        covered[a:b] = True
        if b - a >= min_len:
            events.append(
                MotionEvent('raising_arms', 'raising both arms above the head',
                            int(a), int(b),
                            float(b - a) / fps))
    for side, name in enumerate(('left', 'right')):
        for a, b in _runs(raised[:, side] & ~covered):
            if b - a >= min_len:
                events.append(
                    MotionEvent('raising_arm', f'raising the {name} arm',
                                int(a), int(b),
                                float(b - a) / fps))
    # jumping jacks: repeated raises of both arms with the feet spread
    reps: List[Tuple[int, int]] = []
    series: List[List[Tuple[int, int]]] = []
    for k, (a, b) in enumerate(both_runs):
        prev_end = both_runs[k - 1][1] if k else None
        if prev_end is None or a - prev_end > JACKS_MAX_PERIOD_S * fps:
            if len(reps) >= JACKS_MIN_REPS:
                series.append(reps)
            reps = []
            lo = max(a - int(round(JACKS_MAX_PERIOD_S * fps / 2)), 0)
        else:
            lo = prev_end
        closed = spread[lo:a].min() if a > lo else spread[a]
        if spread[a:b].max() - closed >= JACKS_MIN_SPREAD:
            reps.append((a, b))
        elif len(reps) >= JACKS_MIN_REPS:
            series.append(reps)
            reps = []
        else:
            reps = []
    if len(reps) >= JACKS_MIN_REPS:
        series.append(reps)
    for reps in series:
        events.append(
            MotionEvent('jumping_jacks', 'doing jumping jacks', reps[0][0],
                        reps[-1][1], float(len(reps))))
    return events


def _turn_event(s: dict, fps: float) -> Optional[MotionEvent]:
    """The largest change of facing within TURN_WINDOW_S."""
    facing = s['facing'].copy()
    # sideways walking faces the direction of travel
    sideways = np.isnan(facing[:, 0]) & s['valid'] & (np.abs(
        s['vx']) >= WALK_MIN_SPEED) & (
            np.abs(s['vz']) < np.abs(s['vx']))
    facing[sideways] = np.stack(
        [np.sign(s['vx'][sideways]),
         np.zeros(sideways.sum())], -1)
    known = np.isfinite(facing[:, 0])
    if known.sum() < 2:
        return None
    win = max(int(round(TURN_AVERAGE_S * fps)) | 1, 1)
    kernel = np.ones(win)
    total = np.stack([
        np.convolve(np.where(known, facing[:, c], 0.), kernel, 'same')
        for c in range(2)
    ], -1)
    count = np.convolve(known.astype(float), kernel, 'same')
    mean = total / np.maximum(count, 1)[:, None]
    steady = known & (np.linalg.norm(mean, axis=-1) >= 0.8)
    angle = np.arctan2(mean[:, 0], mean[:, 1])
    idx = np.flatnonzero(steady)
    span = TURN_WINDOW_S * fps
    best, where = 0., None
    ends = np.searchsorted(idx, idx + span, side='right')
    for k, i in enumerate(idx):
        later = idx[k + 1:ends[k]]
        if len(later) == 0:
            continue
        change = np.degrees(
            np.abs(np.angle(np.exp(1j * (angle[later] - angle[i])))))
        j = int(np.argmax(change))
        if change[j] > best:
            best, where = float(change[j]), (int(i), int(later[j]) + 1)
    if where is None or best < TURN_MIN_DEG:
        return None
    verb = 'turning around' if best >= TURN_AROUND_MIN_DEG else 'turning'
    return MotionEvent('turning', verb, where[0], where[1], best)


def _poses(s: dict, fps: float) -> List[MotionEvent]:
    """Crouching/squatting, arm and turning events."""
    events = []
    whole = s['whole']
    if s['knees'] is not None:
        bend = s['knees'].max(1)  # both knees bent: the straighter one
        crouch, squat = bend < CROUCH_MAX_KNEE_DEG, bend < SQUAT_MAX_KNEE_DEG
    else:
        standing = np.percentile(s['hip_height'][whole], 90) \
            if whole.any() else 1.
        bend = s['hip_height'] / max(standing, 1e-6)
        crouch = bend < CROUCH_MAX_HIP_RATIO
        squat = bend < SQUAT_MAX_HIP_RATIO
    for a, b in _runs(crouch & whole):
        if b - a >= CROUCH_MIN_S * fps:
            deep = squat[a:b].sum() >= CROUCH_MIN_S * fps
            events.append(
                MotionEvent('squatting' if deep else 'crouching',
                            'squatting down' if deep else 'crouching down',
                            int(a), int(b), float(bend[a:b].min())))
    events.extend(_arm_events(s, fps))
    turn = _turn_event(s, fps)
    if turn is not None:
        events.append(turn)
    return events


def describe_motion(
    track: PersonTrack,
    fps: float = 30.,
    image_size: Tuple[int, int] = (0, 0)
) -> Tuple[List[MotionEvent], Dict[str, float]]:
    """Motion events of a track, in temporal order.

    Args:
        track (PersonTrack): The person, with 2D keypoints and (optionally)
            lifted ``keypoints_3d``.
        fps (float): Frame rate of the video. Defaults to 30.
        image_size (tuple): ``(w, h)`` of the frames (``(0, 0)``: unknown;
            then no "across the frame", no depth speed, no cut boxes).

    Returns:
        tuple: :class:`MotionEvent` s sorted by start, and measurements
        (``speed``: median speed in H/s while walking or running,
        ``step_rate``: median steps/s then, ``height_px``: median body
        height).
    """
    if fps <= 0:
        raise ValueError(f'fps must be positive, got {fps}')
    s = _signals(track, fps, image_size)
    if s is None:
        return [], {}
    jumps = _jumps(s, fps, s['present'])
    poses = _poses(s, fps)
    # jumps and jumping jacks are neither standing still nor walking
    busy = np.zeros(len(s['valid']), bool)
    for e in jumps + poses:
        if e.kind in ('jumping', 'jumping_down', 'jumping_jacks'):
            busy[e.start:e.end] = True
    moves, labels = _locomotion(s, fps, float(image_size[0]), busy)
    events = sorted(jumps + moves + poses, key=lambda e: e.start)
    moving = (labels == WALK) | (labels == RUN)
    facts = dict(height_px=s['h_med'])
    if moving.any():
        facts.update(
            speed=float(np.median(s['speed'][moving])),
            step_rate=float(np.median(s['steps'][moving])))
    return events, facts
