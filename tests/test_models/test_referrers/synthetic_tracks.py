# Copyright (c) mmlpose contributors. All rights reserved.
"""Hand-made PersonTracks with known motion and clothes, for descriptor and
referrer tests.

A 1.75 m stick figure in H36M-17 joints is posed per frame (facing yaw,
knee angle, raised arms, spread feet, gait) and seen by an orthographic
camera: 2D pixels ``x = cx + X s``, ``y = ground_y - Y s`` (``s`` pixels per
metre) and root-relative 3D in camera axes (x right, y down, z forward).
"""
from typing import Callable, Dict, Optional, Tuple

import cv2
import numpy as np

from mmlpose.structures.track import PersonTrack

FPS = 30.
IMAGE_SIZE = (1280, 720)
LEG = 0.45  # thigh and shin (m)
ANKLE_Y = 0.07

# body coordinates (m): x to the person's left, y up from the ground,
# z forward; standing straight, arms down
_STAND = np.array([
    [0.00, 0.97, 0.0],  # root
    [-0.10, 0.97, 0.0],  # right hip
    [-0.10, 0.52, 0.0],  # right knee
    [-0.10, 0.07, 0.0],  # right ankle
    [0.10, 0.97, 0.0],  # left hip
    [0.10, 0.52, 0.0],  # left knee
    [0.10, 0.07, 0.0],  # left ankle
    [0.00, 1.20, 0.0],  # spine
    [0.00, 1.45, 0.0],  # thorax
    [0.00, 1.60, 0.0],  # neck base
    [0.00, 1.72, 0.0],  # head
    [0.19, 1.45, 0.0],  # left shoulder
    [0.22, 1.18, 0.0],  # left elbow
    [0.24, 0.93, 0.0],  # left wrist
    [-0.19, 1.45, 0.0],  # right shoulder
    [-0.22, 1.18, 0.0],  # right elbow
    [-0.24, 0.93, 0.0],  # right wrist
])
#: Skeleton height (head -> pelvis + leg) of the figure, metres.
SKELETON_HEIGHT = 1.65


def pose(yaw: float = np.pi,
         knee_deg: float = 180.,
         arms_up: Tuple[bool, bool] = (False, False),
         spread: float = 0.,
         stride: float = 0.,
         lift: float = 0.) -> np.ndarray:
    """``(17, 3)`` joints in camera-aligned axes (x right, y up, z forward)
    of the figure facing ``yaw`` (pi: the camera, pi/2: image right).

    Args:
        knee_deg: knee angle of both legs (180 straight).
        arms_up: (left, right) wrist above the head.
        spread: extra half distance (m) between the feet.
        stride: left ankle this far forward (m), the right one back.
        lift: the whole body this high above the ground (m).
    """
    body = _STAND.copy()
    drop = 2 * LEG * (1 - np.sin(np.radians(knee_deg) / 2))
    body[[0, 1, 4, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 1] -= drop
    knee_y = ANKLE_Y + LEG * np.sin(np.radians(knee_deg) / 2)
    body[[2, 5], 1] = knee_y
    body[[2, 5], 2] = LEG * np.cos(np.radians(knee_deg) / 2)
    for side, (elbow, wrist) in enumerate(((12, 13), (15, 16))):
        if arms_up[side]:
            sign = 1 if side == 0 else -1
            body[elbow] = [sign * 0.22, body[11, 1] + 0.30, 0]
            body[wrist] = [sign * 0.25, body[11, 1] + 0.55, 0]
    body[[6, 5], 0] += np.array([spread, spread / 2])
    body[[3, 2], 0] -= np.array([spread, spread / 2])
    body[[6, 5], 2] += np.array([stride, stride / 2])
    body[[3, 2], 2] -= np.array([stride, stride / 2])
    body[:, 1] += lift
    forward = np.array([np.sin(yaw), 0, np.cos(yaw)])
    left = np.array([-np.cos(yaw), 0, np.sin(yaw)])
    up = np.array([0, 1., 0])
    return (body[:, :1] * left + body[:, 1:2] * up + body[:, 2:] * forward)


def make_track(frames: int,
               step: Callable[[int, float], dict],
               track_id: int = 0,
               scale: float = 250.,
               fps: float = FPS) -> PersonTrack:
    """A track whose frame ``i`` (time ``t = i / fps``) is posed by
    ``step(i, t)``: a dict of :func:`pose` arguments plus ``cx`` (image x of
    the pelvis), ``ground_y`` (image y of the ground), ``scale`` (pixels per
    metre) and ``present`` (bool)."""
    track = PersonTrack.empty(track_id, frames)
    track.keypoints_3d = np.zeros((frames, 17, 3), np.float32)
    for i in range(frames):
        args = dict(step(i, i / fps))
        cx = args.pop('cx', IMAGE_SIZE[0] / 2)
        ground_y = args.pop('ground_y', IMAGE_SIZE[1] - 40)
        s = args.pop('scale', scale)
        if not args.pop('present', True):
            continue
        joints = pose(**args)
        kpts = np.stack([cx + joints[:, 0] * s, ground_y - joints[:, 1] * s],
                        -1)
        track.keypoints_2d[i] = kpts
        track.keypoint_scores[i] = 1.
        lo, hi = kpts.min(0), kpts.max(0)
        pad = 0.05 * (hi[1] - lo[1])
        track.bboxes[i] = [lo[0] - pad, lo[1] - pad, hi[0] + pad, hi[1] + pad]
        track.bbox_scores[i] = 1.
        cam = joints * np.array([1, -1, 1])  # y down
        track.keypoints_3d[i] = cam - cam[0]
    track.meta['fps'] = fps
    return track


def walking(frames: int = 90,
            speed: float = 1.2,
            direction: int = 1,
            step_hz: float = 2.,
            x0: Optional[float] = None,
            **kw) -> PersonTrack:
    """Walking sideways at ``speed`` m/s (``direction`` +1: to the image
    right), ``step_hz`` steps/s, in profile."""
    scale = kw.get('scale', 250.)
    x0 = x0 if x0 is not None else (250. if direction > 0 else 1030.)

    def step(i, t):
        return dict(
            cx=x0 + direction * speed * t * scale,
            yaw=np.pi / 2 if direction > 0 else -np.pi / 2,
            stride=0.3 * np.sin(np.pi * step_hz * t))

    return make_track(frames, step, **kw)


def standing(frames: int = 90, cx: float = 640., **kw) -> PersonTrack:
    return make_track(frames, lambda i, t: dict(cx=cx), **kw)


def jumping_down(frames: int = 90,
                 cx: float = 640.,
                 box_height: float = 1.0,
                 **kw) -> PersonTrack:
    """Standing on a box ``box_height`` m high, stepping off at 1 s
    (falling for 0.3 s), landing in a crouch, standing up."""
    scale = kw.get('scale', 250.)
    ground = IMAGE_SIZE[1] - 40

    def step(i, t):
        if t < 1.0:
            return dict(cx=cx, ground_y=ground - box_height * scale)
        if t < 1.3:
            fall = min((t - 1.0) / 0.3, 1.)**2
            return dict(
                cx=cx + 100 * (t - 1.0),
                ground_y=ground - box_height * scale * (1 - fall))
        knee = 180. if t > 2.0 else 95. + 85. * max(t - 1.6, 0) / 0.4
        return dict(cx=cx + 30, ground_y=ground, knee_deg=knee)

    return make_track(frames, step, **kw)


def jumping_in_place(frames: int = 90, cx: float = 640., **kw) -> PersonTrack:
    """Two vertical jumps 0.35 m high (flight 0.4 s) at 1 s and 2 s."""

    def step(i, t):
        phase = [t - 1.0, t - 2.0]
        lift = sum(0.35 * np.sin(np.pi * p / 0.4) for p in phase
                   if 0 <= p <= 0.4)
        return dict(cx=cx, lift=lift)

    return make_track(frames, step, **kw)


def raising_arms(frames: int = 90, both: bool = True, **kw) -> PersonTrack:
    """Standing, arms up over the head from 1 s to 2 s (left arm only when
    ``both`` is False)."""

    def step(i, t):
        up = 1.0 <= t < 2.0
        return dict(cx=640., arms_up=(up, up and both))

    return make_track(frames, step, **kw)


def jumping_jacks(frames: int = 120, **kw) -> PersonTrack:
    """Jumping jacks, one per second: arms up and feet apart for 0.4 s."""

    def step(i, t):
        out = (t % 1.0) >= 0.5 and (t % 1.0) < 0.9
        return dict(
            cx=640.,
            arms_up=(out, out),
            spread=0.25 if out else 0.,
            lift=0.05 if out else 0.)

    return make_track(frames, step, **kw)


def crouching(frames: int = 90, **kw) -> PersonTrack:
    """Standing, then squatting (knees at 80 degrees) from 1 s to 2 s."""

    def step(i, t):
        return dict(cx=640., knee_deg=80. if 1.0 <= t < 2.0 else 180.)

    return make_track(frames, step, **kw)


def turning_around(frames: int = 90, **kw) -> PersonTrack:
    """Facing the camera, turning to face away between 1 s and 2 s."""

    def step(i, t):
        f = np.clip(t - 1.0, 0, 1)
        return dict(cx=640., yaw=np.pi * (1 - f) + 1e-3)

    return make_track(frames, step, **kw)


def towards_camera(frames: int = 90, **kw) -> PersonTrack:
    """Walking straight at the camera: the figure grows from 150 to 300
    pixels per metre, its feet move down the image."""

    def step(i, t):
        f = t / (frames / FPS)
        return dict(
            cx=640.,
            scale=150. * (1 + f),
            ground_y=450 + 230 * f,
            yaw=np.pi,
            stride=0.3 * np.sin(np.pi * 2. * t))

    return make_track(frames, step, **kw)


# --- pixels -----------------------------------------------------------------
BGR = dict(
    red=(30, 30, 200),
    blue=(200, 60, 20),
    green=(40, 160, 40),
    white=(240, 240, 240),
    black=(20, 20, 20),
    skin=(120, 160, 220),
    yellow=(20, 220, 230),
    grey=(128, 128, 128))


def paint_frames(
        track: PersonTrack,
        top: str,
        bottom: str,
        background: str = 'green',
        every: int = 10,
        loose: int = 6,
        bare_arms: bool = True,
        frames: Optional[Dict[int,
                              np.ndarray]] = None) -> Dict[int, np.ndarray]:
    """Frames of solid colours: ``background``, the torso (shoulders to
    hips, a bit wider) in ``top``, the legs in ``bottom``, head and arms in
    skin; the track gets masks ``loose`` pixels wider than the figure (so
    that background leaks into them). With ``frames``, the person is
    painted into those images (several people in one scene)."""
    from mmlpose.models.referrers.colour_descriptors import (body_regions,
                                                             skeleton_height)
    w, h = IMAGE_SIZE
    frames = {} if frames is None else frames
    for idx in track.frame_ids[::every]:
        image = frames.get(int(idx))
        if image is None:
            image = np.full((h, w, 3), BGR[background], np.uint8)
        kpts = track.keypoints_2d[idx].astype(np.float64)
        height = float(skeleton_height(kpts))
        person = np.zeros((h, w), np.uint8)
        width = max(int(0.09 * height), 3)
        for a, b in ((10, 9), (9, 8), (11, 12), (12, 13), (14, 15), (15, 16),
                     (8, 11), (8, 14)):
            cv2.line(person, tuple(map(int, kpts[a])),
                     tuple(map(int, kpts[b])), 1, width)
        cv2.circle(person, tuple(map(int, kpts[10])), width, 1, -1)
        image[person.astype(bool)] = BGR['skin' if bare_arms else top]
        upper, lower, _ = body_regions(kpts, (h, w), height)
        kernel = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
        upper = cv2.dilate(upper.astype(np.uint8), kernel).astype(bool)
        lower = cv2.dilate(
            lower.astype(np.uint8), np.ones(
                (3, width), np.uint8)).astype(bool) & ~upper
        image[lower] = BGR[bottom]
        image[upper] = BGR[top]
        person = person.astype(bool) | upper | lower
        mask = cv2.dilate(
            person.astype(np.uint8),
            np.ones((2 * loose + 1, 2 * loose + 1), np.uint8)).astype(bool)
        ys, xs = np.nonzero(mask)
        x0, y0 = xs.min(), ys.min()
        track.masks[int(idx)] = (mask[y0:ys.max() + 1,
                                      x0:xs.max() + 1], (int(x0), int(y0)))
        frames[int(idx)] = image
    return frames
