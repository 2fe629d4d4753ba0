# Copyright (c) mmlpose contributors. All rights reserved.
"""Virtual capture of 3D motion: random bodies, cameras and detector-like 2D.

Domain randomisation for lifters that must hold up on real video. A scene
takes a world motion (17 H36M joints, z-up metres) and

1. **retargets the body** (:func:`retarget_bones`): every bone is set to
   :data:`H36M_BONE_LENGTHS` (the Human3.6M subjects' mean proportions,
   which is what the 3D target should look like) times a per-bone-group
   factor and a global size factor, drawn per sample;
2. **places a camera** (:func:`sample_camera`): random distance, height,
   azimuth, look-at point off the person, pitch and roll jitter, focal
   length as a ratio of the image width and an image size from a list;
3. **makes the 2D a detector would give** (:func:`detector_keypoints`): the
   COCO-17 points that a 2D model such as MediaPipe's BlazePose reports are
   not the mocap joint centres: hips sit above and outside the hip joint
   centres, shoulder landmarks outside the shoulder joint centres, and the
   head is seen as nose, eyes and ears. These points are built in 3D from
   the body's own frame (pelvis, torso and head axes), projected, corrupted
   with per-joint Gaussian noise, temporally correlated jitter and outliers
   (a joint hallucinated away from its place with a low score), then mapped
   to H36M-17 by :func:`~mmlpose.structures.keypoint_mapping.coco_to_h36m`
   with the demo's head-top ratio, exactly as the demo maps real detections.

:class:`CaptureRandomization` holds every range; :data:`TRAIN_RANDOMIZATION`
is the default for training and :data:`SHIFTED_RANDOMIZATION` a test-time
domain shift (cameras, bodies and noise outside the training ranges, whole
limbs occluded for long spans) for the adaptation benchmark.
"""
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy.spatial.transform import Rotation

from mmlpose.structures.camera import project_points, world_to_camera
from mmlpose.structures.keypoint_mapping import coco_to_h36m

#: Parent of each H36M-17 joint (-1 for the root).
H36M_PARENTS = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)

#: Mean length (m) of the bone ending at each H36M-17 joint over the four
#: Human3.6M subjects of mmpose's sample data (S1, S5, S7, S8), left and right
#: averaged; index 0 (root) is unused.
H36M_BONE_LENGTHS = np.array([
    0., 0.134, 0.443, 0.443, 0.134, 0.443, 0.443, 0.236, 0.254, 0.116, 0.115,
    0.151, 0.277, 0.248, 0.151, 0.277, 0.248
])

#: Bone groups scaled together (the child joints of their bones): left and
#: right stay symmetric, as on real people.
BONE_GROUPS: Dict[str, Tuple[int, ...]] = {
    'hip_width': (1, 4),
    'thigh': (2, 5),
    'shin': (3, 6),
    'lower_spine': (7, ),
    'upper_spine': (8, ),
    'neck': (9, ),
    'head': (10, ),
    'shoulder_width': (11, 14),
    'upper_arm': (12, 15),
    'forearm': (13, 16),
}

#: The head-top ratio with which the demo maps detections
#: (:data:`mmlpose.apis.pose2d.HEAD_TOP_RATIO`).
DETECTOR_HEAD_TOP_RATIO = 0.6

#: Limbs that an occlusion hides (H36M-17 joints whose COCO sources go).
OCCLUDABLE_LIMBS: Dict[str, Tuple[int, ...]] = {
    'left_arm': (12, 13),
    'right_arm': (15, 16),
    'left_leg': (5, 6),
    'right_leg': (2, 3),
}

#: COCO-17 keypoints of each limb of :data:`OCCLUDABLE_LIMBS`.
_COCO_LIMBS = {
    'left_arm': (7, 9),
    'right_arm': (8, 10),
    'left_leg': (13, 15),
    'right_leg': (14, 16),
}

#: COCO-17 keypoint -> H36M-17 joint it sits on (limbs, shoulders, hips).
_COCO_FROM_H36M = {
    5: 11, 6: 14, 7: 12, 8: 15, 9: 13, 10: 16, 11: 4, 12: 1, 13: 5, 14: 2,
    15: 6, 16: 3
}

Range = Tuple[float, float]


@dataclass(frozen=True)
class CaptureRandomization:
    """Ranges of a random capture; each value is drawn uniformly per sample.

    Body: ``global_scale`` multiplies every bone, ``bone_scale`` the bones of
    each :data:`BONE_GROUPS` group (groups not listed: ``default_bone_scale``).

    Camera (:func:`sample_camera`): ``distance`` (m, horizontal, camera to
    the motion's centre), ``height`` (m above the ground), ``azimuth``
    (degrees), ``target_height`` (m, the look-at point), ``pitch_jitter`` /
    ``yaw_jitter`` / ``roll`` (degrees added to the look-at orientation, the
    person then sits off the image centre), ``focal_ratio`` (focal length /
    image width), ``image_sizes`` (``(w, h)`` choices).

    Detector points (:func:`detector_points_3d`; metres in the body's own
    axes): ``hip_out`` / ``hip_up`` move each hip landmark outwards / up
    from the hip joint centre (on the four real H36M frames of the shared
    sample data MediaPipe's hips sit about 3 cm inside each hip joint
    centre, its shoulders about 2 cm outside, and its mid-ears about 6 cm
    above H36M's neck joint: ``tools/analysis_tools/eval_real_h36m.py
    --details``), ``shoulder_out`` / ``shoulder_up`` the
    shoulders, ``ear_half_width`` is half the distance between the ears,
    ``ear_level`` places the ears on the neck_base -> head segment (0 =
    neck_base, 1 = head top), ``ear_back`` behind it, ``nose_forward`` the
    nose in front of the ears, ``limb_offset`` is the std of a fixed
    per-sequence offset of each limb keypoint.

    2D noise, in units of the person's 2D height (pixels / height):
    ``noise`` is the per-frame std (wrists and ankles twice, the face half),
    ``jitter`` the std of a slowly varying offset per joint (a random walk
    low-passed over about ``jitter_frames`` frames), ``outlier_prob`` the
    share of (frame, joint) entries moved by up to ``outlier_scale`` body
    heights with a low score, ``occlusion_prob`` the probability per limb
    of being occluded over a span of ``occlusion_frames`` frames (its 2D is
    then hallucinated: frozen near its last seen place with noise, and its
    score low).

    Scores: visible keypoints draw ``visible_score``, outliers and occluded
    ones ``occluded_score``.

    Pose perturbation (:func:`perturb_limbs`): with probability
    ``flex_prob`` a sample's legs are bent at the hips (``hip_flex``
    degrees, the thigh forwards) and knees (``knee_flex``, the shin
    backwards), each leg on its own, its arms raised (``arm_raise``,
    sideways) and swung (``arm_swing``, forwards), and its upper body leant
    about the hips (``torso_lean``, forwards positive), constant over the
    window: poses the clips lack (sitting, reclining, crouching, arms up)
    on their motion. Of those samples, a share ``recline_prob`` whose torso
    is upright is then tipped back as a whole about the pelvis by
    ``recline`` degrees (lying back with the knees up, as on the floor).
    """
    global_scale: Range = (0.88, 1.12)
    bone_scale: Dict[str, Range] = field(default_factory=lambda: {})
    default_bone_scale: Range = (0.92, 1.08)
    distance: Range = (2.5, 9.)
    height: Range = (0.3, 2.6)
    azimuth: Range = (0., 360.)
    target_height: Range = (0.6, 1.3)
    pitch_jitter: Range = (-8., 8.)
    yaw_jitter: Range = (-12., 12.)
    roll: Range = (-6., 6.)
    focal_ratio: Range = (0.6, 1.7)
    image_sizes: Tuple[Tuple[int, int], ...] = ((1920, 1080), (1280, 720),
                                                (1768, 994), (1080, 1920),
                                                (720, 1280), (1000, 1000),
                                                (640, 480), (1024, 768))
    hip_out: Range = (-0.045, 0.005)
    hip_up: Range = (-0.03, 0.04)
    shoulder_out: Range = (0.0, 0.04)
    shoulder_up: Range = (-0.03, 0.02)
    ear_half_width: Range = (0.065, 0.085)
    ear_level: Range = (0.3, 0.7)
    ear_back: Range = (0.0, 0.03)
    nose_forward: Range = (0.08, 0.12)
    limb_offset: float = 0.015
    noise: Range = (0.0, 0.012)
    jitter: Range = (0.0, 0.01)
    jitter_frames: float = 8.
    outlier_prob: Range = (0.0, 0.02)
    outlier_scale: float = 0.3
    occlusion_prob: float = 0.1
    occlusion_frames: Range = (5, 40)
    visible_score: Range = (0.6, 1.0)
    occluded_score: Range = (0.0, 0.3)
    flex_prob: float = 0.0
    hip_flex: Range = (0., 100.)
    knee_flex: Range = (0., 110.)
    arm_raise: Range = (-20., 90.)
    arm_swing: Range = (-40., 90.)
    torso_lean: Range = (-60., 25.)
    recline_prob: float = 0.0
    recline: Range = (30., 80.)

    def bone_range(self, group: str) -> Range:
        """Scale range of a bone group."""
        return self.bone_scale.get(group, self.default_bone_scale)


#: Training ranges of the default lifter.
TRAIN_RANDOMIZATION = CaptureRandomization(flex_prob=0.4)

#: A test-time domain shift for the adaptation benchmark: no range overlaps
#: training on the camera (a long lens far away and high up, looking down:
#: focal length 1.9-2.5 image widths, 9.5-13 m, 2.7-3.4 m high), the body
#: size and proportions or the hip, shoulder and ear landmark offsets; the
#: 2D noise is larger and whole limbs are occluded for long spans in most
#: sequences.
SHIFTED_RANDOMIZATION = replace(
    TRAIN_RANDOMIZATION,
    global_scale=(1.14, 1.22),
    bone_scale={
        'hip_width': (1.15, 1.3),
        'shoulder_width': (1.1, 1.25),
        'forearm': (1.08, 1.15),
        'shin': (0.85, 0.9)
    },
    distance=(9.5, 13.),
    height=(2.7, 3.4),
    target_height=(0.5, 0.8),
    focal_ratio=(1.9, 2.5),
    roll=(-14., 14.),
    image_sizes=((1080, 1920), (720, 1280)),
    hip_out=(0.02, 0.04),
    hip_up=(0.06, 0.09),
    shoulder_out=(0.05, 0.07),
    ear_level=(0.75, 0.9),
    noise=(0.015, 0.025),
    jitter=(0.012, 0.02),
    outlier_prob=(0.02, 0.04),
    occlusion_prob=0.5,
    occlusion_frames=(60, 120),
    flex_prob=0.)  # the held-out clips' own motion


def _uniform(rng: np.random.Generator, bounds: Range) -> float:
    lo, hi = bounds
    return float(rng.uniform(lo, hi)) if hi > lo else float(lo)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def sample_bone_lengths(rng: np.random.Generator,
                        randomization: CaptureRandomization) -> np.ndarray:
    """``(17,)`` bone lengths (m): :data:`H36M_BONE_LENGTHS` x the global
    factor x each group's factor."""
    lengths = H36M_BONE_LENGTHS * _uniform(rng, randomization.global_scale)
    for group, joints in BONE_GROUPS.items():
        lengths[list(joints)] *= _uniform(rng, randomization.bone_range(group))
    return lengths


def retarget_bones(joints: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Give a ``(T, 17, 3)`` skeleton new bone lengths, keeping every bone's
    direction and the root's trajectory.

    Args:
        joints (np.ndarray): H36M-17 joints, any frame.
        lengths (np.ndarray): ``(17,)`` length of the bone ending at each
            joint (index 0 unused).

    Returns:
        np.ndarray: ``(T, 17, 3)`` retargeted joints.
    """
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (17, 3):
        raise ValueError('joints must have shape (T, 17, 3), got '
                         f'{joints.shape}')
    out = np.empty_like(joints)
    out[:, 0] = joints[:, 0]
    for j in range(1, 17):
        p = H36M_PARENTS[j]
        out[:, j] = out[:, p] + lengths[j] * _unit(joints[:, j] - joints[:, p])
    return out


def body_axes(joints: np.ndarray) -> Tuple[np.ndarray, np.ndarray,
                                           np.ndarray]:
    """Per-frame right, up and forward unit axes of the torso, ``(T, 3)``
    each: right = from the left to the right hip and shoulder, up = pelvis
    to thorax (made orthogonal to right), forward = up x right (out of the
    chest: a person facing +y in a right-handed z-up world has right = +x,
    up = +z, forward = +y)."""
    right = _unit(joints[:, 1] - joints[:, 4] + joints[:, 14] - joints[:, 11])
    up = joints[:, 8] - joints[:, 0]
    up = _unit(up - (up * right).sum(-1, keepdims=True) * right)
    forward = np.cross(up, right)
    return right, up, forward


def head_axes(joints: np.ndarray, body_forward: np.ndarray
              ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame right, up and forward axes of the head: up along neck_base
    -> head top, forward the torso's forward made orthogonal to it."""
    up = _unit(joints[:, 10] - joints[:, 9])
    forward = body_forward - (body_forward * up).sum(-1, keepdims=True) * up
    forward = _unit(forward)
    right = np.cross(forward, up)
    return right, up, forward


@lru_cache(maxsize=None)
def _subtree(joint: int) -> Tuple[int, ...]:
    """Joints whose chain to the root passes through ``joint``."""
    out = []
    for k in range(17):
        p = H36M_PARENTS[k]
        while p != -1:
            if p == joint:
                out.append(k)
                break
            p = H36M_PARENTS[p]
    return tuple(out)


def _rotate_about(points: np.ndarray, pivot: np.ndarray, axis: np.ndarray,
                  angle: float) -> np.ndarray:
    """Rotate ``(T, N, 3)`` points about per-frame ``axis`` (T, 3) unit
    vectors through ``pivot`` (T, 3) by ``angle`` radians (Rodrigues)."""
    v = points - pivot[:, None]
    k = axis[:, None]
    cos, sin = np.cos(angle), np.sin(angle)
    return pivot[:, None] + v * cos + np.cross(k, v) * sin + \
        k * (k * v).sum(-1, keepdims=True) * (1 - cos)


def perturb_limbs(joints: np.ndarray, rng: np.random.Generator,
                  randomization: CaptureRandomization) -> np.ndarray:
    """Bend the legs and raise the arms of a ``(T, 17, 3)`` motion by
    angles drawn once (see :class:`CaptureRandomization`); unchanged with
    probability ``1 - flex_prob``. Rotations are about the torso's axes
    (:func:`body_axes`) through the hip, knee and shoulder joints, so bone
    lengths are kept."""
    r = randomization
    if r.flex_prob <= 0 or rng.random() >= r.flex_prob:
        return joints
    out = np.array(joints, dtype=np.float64)
    right, _, forward = body_axes(out)
    for hip, knee in ((1, 2), (4, 5)):
        hip_angle = np.deg2rad(_uniform(rng, r.hip_flex))
        knee_angle = np.deg2rad(_uniform(rng, r.knee_flex))
        leg = [knee] + list(_subtree(knee))
        out[:, leg] = _rotate_about(out[:, leg], out[:, hip], right,
                                    hip_angle)
        shin = list(_subtree(knee))
        out[:, shin] = _rotate_about(out[:, shin], out[:, knee], right,
                                     -knee_angle)
    upper = [7] + list(_subtree(7))
    out[:, upper] = _rotate_about(out[:, upper], out[:, 0], right,
                                  -np.deg2rad(_uniform(rng, r.torso_lean)))
    right, up, forward = body_axes(out)
    for shoulder, elbow, side in ((11, 12, 1.), (14, 15, -1.)):
        arm = [elbow] + list(_subtree(elbow))
        raise_angle = np.deg2rad(_uniform(rng, r.arm_raise))
        # sideways: about the forward axis, away from the body
        out[:, arm] = _rotate_about(out[:, arm], out[:, shoulder], forward,
                                    side * raise_angle)
        out[:, arm] = _rotate_about(out[:, arm], out[:, shoulder], right,
                                    np.deg2rad(_uniform(rng, r.arm_swing)))
    # drawn only when enabled, so that other presets keep their samples
    if r.recline_prob > 0 and rng.random() < r.recline_prob:
        angle = np.deg2rad(_uniform(rng, r.recline))
        if np.mean(up[:, 2]) > 0.7:  # upright: not already lying
            out = _rotate_about(out, out[:, 0], right, angle)
    return out


def detector_points_3d(joints: np.ndarray, rng: np.random.Generator,
                       randomization: CaptureRandomization) -> np.ndarray:
    """COCO-17 points a 2D pose model would report, in 3D, ``(T, 17, 3)``.

    One set of landmark offsets is drawn per sequence (a person's landmarks
    sit consistently off their joint centres); see
    :class:`CaptureRandomization` for the ranges.
    """
    r = randomization
    right, up, forward = body_axes(joints)
    h_right, h_up, h_forward = head_axes(joints, forward)
    coco = np.zeros((len(joints), 17, 3))
    for coco_idx, h36m_idx in _COCO_FROM_H36M.items():
        coco[:, coco_idx] = joints[:, h36m_idx]
    # fixed per-sequence offsets of every limb landmark
    coco[:, 5:] += rng.normal(0., r.limb_offset, size=(1, 12, 3))
    hip_out, hip_up = _uniform(rng, r.hip_out), _uniform(rng, r.hip_up)
    sh_out, sh_up = _uniform(rng, r.shoulder_out), _uniform(rng,
                                                            r.shoulder_up)
    for coco_idx, side in ((11, -1.), (12, 1.)):  # left / right hip
        coco[:, coco_idx] += side * hip_out * right + hip_up * up
    for coco_idx, side in ((5, -1.), (6, 1.)):  # left / right shoulder
        coco[:, coco_idx] += side * sh_out * right + sh_up * up
    level = _uniform(rng, r.ear_level)
    ear_centre = joints[:, 9] + level * (joints[:, 10] - joints[:, 9]) \
        - _uniform(rng, r.ear_back) * h_forward
    half = _uniform(rng, r.ear_half_width)
    coco[:, 3] = ear_centre - half * h_right  # left ear
    coco[:, 4] = ear_centre + half * h_right  # right ear
    nose = ear_centre + _uniform(rng, r.nose_forward) * h_forward
    coco[:, 0] = nose
    eye_up = 0.035 * h_up
    coco[:, 1] = nose - 0.03 * h_right + eye_up - 0.02 * h_forward
    coco[:, 2] = nose + 0.03 * h_right + eye_up - 0.02 * h_forward
    return coco


def look_at_camera(centre: np.ndarray, target: np.ndarray, focal: float,
                   image_size: Tuple[int, int], roll_deg: float = 0.,
                   pitch_deg: float = 0., yaw_deg: float = 0.) -> dict:
    """A pinhole camera at ``centre`` looking at ``target`` (z-up world),
    then turned by yaw / pitch / roll about its own axes; mmpose's
    ``cameras.pkl`` convention (``R`` camera-to-world, ``T`` centre)."""
    z = _unit(np.asarray(target, np.float64) - centre)
    x = np.cross(z, [0., 0., 1.])
    if np.linalg.norm(x) < 1e-6:  # looking straight down or up
        x = np.array([1., 0., 0.])
    x = _unit(x)
    y = np.cross(z, x)
    rot = np.stack([x, y, z], axis=1)
    turn = Rotation.from_euler('yxz', [yaw_deg, pitch_deg, roll_deg],
                               degrees=True).as_matrix()
    w, h = image_size
    return dict(
        R=rot @ turn,
        T=np.asarray(centre, np.float64)[:, None],
        f=np.array([[focal], [focal]]),
        c=np.array([[w / 2.], [h / 2.]]),
        k=np.zeros((3, 1)),
        p=np.zeros((2, 1)),
        w=int(w),
        h=int(h))


def sample_camera(rng: np.random.Generator, track: np.ndarray,
                  randomization: CaptureRandomization) -> dict:
    """A random camera for a motion whose root moves along ``track``
    ``(T, 3)`` (z-up metres); see :class:`CaptureRandomization`."""
    r = randomization
    size = r.image_sizes[rng.integers(len(r.image_sizes))]
    centre_xy = (track[:, :2].min(0) + track[:, :2].max(0)) / 2
    azim = np.deg2rad(_uniform(rng, r.azimuth))
    # keep the camera out of the person's way: at least 1.2 m beyond the
    # farthest root position in that direction
    direction = np.array([np.cos(azim), np.sin(azim)])
    reach = float(((track[:, :2] - centre_xy) @ direction).max())
    dist = max(_uniform(rng, r.distance), reach + 1.2)
    centre = np.array([*(centre_xy + dist * direction),
                       _uniform(rng, r.height)])
    target = np.array([*centre_xy, _uniform(rng, r.target_height)])
    focal = _uniform(rng, r.focal_ratio) * size[0]
    return look_at_camera(centre, target, focal, size,
                          _uniform(rng, r.roll), _uniform(rng, r.pitch_jitter),
                          _uniform(rng, r.yaw_jitter))


def _correlated_noise(rng: np.random.Generator, shape: Tuple[int, ...],
                      frames: float) -> np.ndarray:
    """Unit-std noise that varies slowly over axis 0 (exponential smoothing
    of white noise over about ``frames`` frames, rescaled)."""
    white = rng.normal(size=shape)
    alpha = 1. / max(frames, 1.)
    out = np.empty_like(white)
    out[0] = white[0]
    for t in range(1, shape[0]):
        out[t] = (1 - alpha) * out[t - 1] + alpha * white[t]
    return out * np.sqrt((2 - alpha) / alpha)


def corrupt_2d(coco_2d: np.ndarray, rng: np.random.Generator,
               randomization: CaptureRandomization,
               occlusions: Optional[List[Tuple[str, int, int]]] = None
               ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Detector-like noise on ``(T, 17, 2)`` COCO pixels.

    Args:
        coco_2d (np.ndarray): Projected COCO-17 points.
        rng (np.random.Generator): Randomness.
        randomization (CaptureRandomization): Ranges.
        occlusions (list, optional): ``(limb, start, end)`` spans to occlude;
            drawn from ``occlusion_prob`` / ``occlusion_frames`` when None.

    Returns:
        tuple: noisy ``(T, 17, 2)`` pixels, ``(T, 17)`` scores and the
        ``(T, 17)`` bool mask of keypoints that are really unseen
        (outliers and occlusions).
    """
    r = randomization
    num_frames = len(coco_2d)
    extent = coco_2d.reshape(-1, 2)
    height = max(float(np.ptp(extent[:, 1])), float(np.ptp(extent[:, 0])),
                 1.)
    scale = np.ones(17)
    scale[[9, 10, 15, 16]] = 2.  # wrists, ankles
    scale[:5] = 0.5  # face
    noisy = coco_2d.copy()
    noisy += rng.normal(size=coco_2d.shape) * scale[None, :, None] * \
        _uniform(rng, r.noise) * height
    noisy += _correlated_noise(rng, coco_2d.shape, r.jitter_frames) * \
        _uniform(rng, r.jitter) * height
    unseen = rng.random((num_frames, 17)) < _uniform(rng, r.outlier_prob)
    jump = rng.normal(size=(num_frames, 17, 2)) * r.outlier_scale * height
    noisy[unseen] += jump[unseen]
    if occlusions is None:
        occlusions = []
        for limb in _COCO_LIMBS:
            if rng.random() < r.occlusion_prob:
                length = int(round(_uniform(rng, r.occlusion_frames)))
                start = int(rng.integers(0, max(num_frames - length, 0) + 1))
                occlusions.append((limb, start, min(start + length,
                                                    num_frames)))
    for limb, start, end in occlusions:
        for k in _COCO_LIMBS[limb]:
            held = noisy[start, k].copy()
            span = end - start
            noisy[start:end, k] = held + _correlated_noise(
                rng, (span, 2), 10.) * 0.05 * height
            unseen[start:end, k] = True
    scores = rng.uniform(*r.visible_score, size=(num_frames, 17))
    scores[unseen] = rng.uniform(
        *r.occluded_score, size=int(unseen.sum()))
    return noisy, scores, unseen


@dataclass
class VirtualCapture:
    """One randomised capture of a motion.

    Attributes:
        keypoints_2d (np.ndarray): ``(T, 17, 2)`` H36M-17 pixels as the demo
            maps a detector's output.
        keypoint_scores (np.ndarray): ``(T, 17)`` scores in [0, 1].
        unseen (np.ndarray): ``(T, 17)`` bool, H36M joints derived from an
            outlier or occluded keypoint.
        keypoints_3d (np.ndarray): ``(T, 17, 3)`` retargeted joints in the
            camera frame (m).
        camera (dict): The camera (``cameras.pkl`` convention).
        bone_lengths (np.ndarray): ``(17,)`` the body's bones.
    """
    keypoints_2d: np.ndarray
    keypoint_scores: np.ndarray
    unseen: np.ndarray
    keypoints_3d: np.ndarray
    camera: dict
    bone_lengths: np.ndarray


def capture(joints_world: np.ndarray,
            rng: np.random.Generator,
            randomization: CaptureRandomization = TRAIN_RANDOMIZATION,
            occlusions: Optional[List[Tuple[str, int, int]]] = None
            ) -> VirtualCapture:
    """Film a ``(T, 17, 3)`` z-up world motion with a random body, camera and
    detector (see the module docstring)."""
    joints_world = np.asarray(joints_world, dtype=np.float64)
    if joints_world.ndim != 3 or joints_world.shape[1:] != (17, 3):
        raise ValueError('joints_world must have shape (T, 17, 3), got '
                         f'{joints_world.shape}')
    if not np.isfinite(joints_world).all():
        raise ValueError('joints_world contains NaN or inf')
    lengths = sample_bone_lengths(rng, randomization)
    body = retarget_bones(
        perturb_limbs(joints_world, rng, randomization), lengths)
    # keep the feet on the ground the original motion stood on
    body[..., 2] += joints_world[..., 2].min() - body[..., 2].min()
    coco_world = detector_points_3d(body, rng, randomization)
    camera = sample_camera(rng, body[:, 0], randomization)
    body_cam = world_to_camera(body, camera['R'], camera['T'])
    coco_cam = world_to_camera(coco_world, camera['R'], camera['T'])
    if min(body_cam[..., 2].min(), coco_cam[..., 2].min()) < 0.3:
        raise ValueError('the random camera sees the body from closer than '
                         '0.3 m; move the distance range out')
    coco_2d = project_points(coco_cam, camera['f'], camera['c'])
    noisy, scores, unseen = corrupt_2d(coco_2d, rng, randomization,
                                       occlusions)
    kpts, kpt_scores = coco_to_h36m(
        noisy, scores, head_top_ratio=DETECTOR_HEAD_TOP_RATIO)
    _, unseen_h36m = coco_to_h36m(
        noisy, unseen.astype(np.float64),
        head_top_ratio=DETECTOR_HEAD_TOP_RATIO)
    return VirtualCapture(
        keypoints_2d=kpts.astype(np.float32),
        keypoint_scores=kpt_scores.astype(np.float32),
        unseen=unseen_h36m > 0,
        keypoints_3d=body_cam.astype(np.float32),
        camera=camera,
        bone_lengths=lengths)


def safe_capture(joints_world: np.ndarray,
                 rng: np.random.Generator,
                 randomization: CaptureRandomization = TRAIN_RANDOMIZATION,
                 occlusions: Optional[Sequence[Tuple[str, int, int]]] = None,
                 attempts: int = 20) -> VirtualCapture:
    """:func:`capture`, drawing another camera when one comes too close."""
    for _ in range(attempts - 1):
        try:
            return capture(joints_world, rng, randomization, occlusions)
        except ValueError as err:
            if 'closer than' not in str(err):
                raise
    return capture(joints_world, rng, randomization, occlusions)
