# Copyright (c) mmlpose contributors. All rights reserved.
"""CMU Panoptic / Panoptic-L3D conventions: joints, axes, cameras, categories.

The released Panoptic-L3D loaders keep the first 15 of Panoptic's 19 coco19
joints, turn centimetres into millimetres and rotate the world axes by
:data:`LOADER_AXES` (Panoptic's world has y pointing down; after the rotation
z points up). Cameras are read from ``calibration_<seq>.json`` and given in
the same rotated frame (:func:`load_hd_camera`); points project with
OpenCV's distortion model (:func:`project_to_image`), as the loaders do.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

#: The 19 joints of Panoptic's ``hdPose3d_stage1_coco19`` files.
COCO19_JOINT_NAMES = ('neck', 'nose', 'body_center', 'left_shoulder',
                      'left_elbow', 'left_wrist', 'left_hip', 'left_knee',
                      'left_ankle', 'right_shoulder', 'right_elbow',
                      'right_wrist', 'right_hip', 'right_knee',
                      'right_ankle', 'left_eye', 'left_ear', 'right_eye',
                      'right_ear')

#: The 15 joints of Panoptic-L3D (the first 15 of coco19).
PANOPTIC15_JOINT_NAMES = COCO19_JOINT_NAMES[:15]
NUM_PANOPTIC_JOINTS = 15
#: Root joint (BodyCenter).
PANOPTIC_ROOT = 2

#: Bones of the 15-joint skeleton, for drawing and bone-length checks.
PANOPTIC15_SKELETON = ((0, 1), (0, 2), (0, 3), (3, 4), (4, 5), (0, 9),
                       (9, 10), (10, 11), (2, 6), (6, 7), (7, 8), (2, 12),
                       (12, 13), (13, 14))

#: Panoptic world -> loader axes: ``p_loader = p_world @ LOADER_AXES``.
LOADER_AXES = np.array([[1., 0., 0.], [0., 0., -1.], [0., 1., 0.]])

#: Panoptic-15 joint taken from each H36M-17 joint: neck <- thorax,
#: nose <- H36M's neck/nose joint, body centre <- pelvis, limbs one to one.
H36M_TO_PANOPTIC15 = (8, 9, 0, 11, 12, 13, 4, 5, 6, 14, 15, 16, 1, 2, 3)

#: The head top of H36M beyond the nose, as a fraction of the neck -> nose
#: vector, when H36M-17 is made from Panoptic-15 (which has no head top).
PANOPTIC_HEAD_TOP_RATIO = 0.6

#: Description categories: the first item of a sentence record's
#: ``category`` list (0-3 appearance, 4 behaviour, 5 body movement).
CATEGORY_NAMES = ('appearance', 'behaviour', 'movement')

#: Minimum pixels of the referred person's mask for a sample to be kept.
MIN_MASK_PIXELS = 2500

#: Windows of the released loader: frames spread over the central
#: ``WINDOW_RATIO`` of a sentence's span, plus the current frame.
WINDOW_RATIO = 0.9


def category_name(category: Union[int, Sequence[int]]) -> str:
    """Category name of a sentence record's ``category`` (list or int)."""
    first = category[0] if isinstance(category, (list, tuple, np.ndarray)) \
        else category
    first = int(first)
    if 0 <= first <= 3:
        return 'appearance'
    if first == 4:
        return 'behaviour'
    if first == 5:
        return 'movement'
    raise ValueError(f'unknown Panoptic-L3D category {category!r} '
                     '(0-3 appearance, 4 behaviour, 5 movement)')


def h36m_to_panoptic15(keypoints: np.ndarray) -> np.ndarray:
    """``(..., 17, D)`` H36M-17 -> ``(..., 15, D)`` Panoptic-15."""
    keypoints = np.asarray(keypoints)
    if keypoints.ndim < 2 or keypoints.shape[-2] != 17:
        raise ValueError('H36M keypoints must have shape (..., 17, D), got '
                         f'{keypoints.shape}')
    return keypoints[..., list(H36M_TO_PANOPTIC15), :]


def panoptic15_to_h36m(
    keypoints: np.ndarray,
    scores: Optional[np.ndarray] = None,
    head_top_ratio: float = PANOPTIC_HEAD_TOP_RATIO
) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """``(..., 15, D)`` Panoptic-15 -> ``(..., 17, D)`` H36M-17.

    Copied joints keep their scores; the spine is the mid-point of body
    centre and neck and the head top is extrapolated along neck -> nose by
    ``head_top_ratio`` (both get the mean score of their sources).
    """
    keypoints = np.asarray(keypoints)
    if keypoints.ndim < 2 or keypoints.shape[-2] != NUM_PANOPTIC_JOINTS:
        raise ValueError('Panoptic keypoints must have shape (..., 15, D), '
                         f'got {keypoints.shape}')
    out = np.zeros(keypoints.shape[:-2] + (17, keypoints.shape[-1]),
                   keypoints.dtype)
    out[..., list(H36M_TO_PANOPTIC15), :] = keypoints
    out[..., 7, :] = (keypoints[..., 2, :] + keypoints[..., 0, :]) / 2
    out[..., 10, :] = keypoints[..., 1, :] + head_top_ratio * (
        keypoints[..., 1, :] - keypoints[..., 0, :])
    out_scores = None
    if scores is not None:
        scores = np.asarray(scores)
        if scores.shape != keypoints.shape[:-1]:
            raise ValueError(f'scores of shape {scores.shape} do not match '
                             f'keypoints of shape {keypoints.shape}')
        out_scores = np.zeros(scores.shape[:-1] + (17, ), scores.dtype)
        out_scores[..., list(H36M_TO_PANOPTIC15)] = scores
        out_scores[..., 7] = (scores[..., 2] + scores[..., 0]) / 2
        out_scores[..., 10] = (scores[..., 1] + scores[..., 0]) / 2
    return out, out_scores


def hd_camera_name(camera_id: int) -> str:
    """``'00_CC'``: the folder / file prefix of HD camera ``camera_id``."""
    return f'00_{int(camera_id):02d}'


def frame_stem(camera_id: int, frame: int) -> str:
    """``'00_CC_FFFFFFFF'``: the image / mask file stem of a frame."""
    return f'{hd_camera_name(camera_id)}_{int(frame):08d}'


def camera_from_calibration(cam: dict) -> Dict[str, np.ndarray]:
    """One ``cameras`` entry of a Panoptic calibration -> the loaders'
    camera in loader axes: ``R`` (3, 3) world(loader) -> camera rotation,
    ``t`` (3, 1) cm (``x_cam = R p + t`` with ``p`` in loader axes, cm),
    ``T`` (3, 1) the camera centre in mm, ``K`` (3, 3), ``dist`` (5, )
    (k1, k2, p1, p2, k3), ``fx``, ``fy``, ``cx``, ``cy``, ``k`` (3, 1),
    ``p`` (2, 1), ``resolution`` (w, h) and ``name``."""
    R = np.asarray(cam['R'], np.float64).reshape(3, 3) @ LOADER_AXES
    t = np.asarray(cam['t'], np.float64).reshape(3, 1)
    K = np.asarray(cam['K'], np.float64).reshape(3, 3)
    dist = np.asarray(cam['distCoef'], np.float64).reshape(-1)
    if dist.size != 5:
        raise ValueError(f'camera {cam.get("name")}: distCoef must hold 5 '
                         f'values (k1, k2, p1, p2, k3), got {dist.size}')
    return dict(
        name=str(cam.get('name', '')),
        R=R,
        t=t,
        T=-R.T @ t * 10.,
        K=K,
        dist=dist,
        fx=float(K[0, 0]),
        fy=float(K[1, 1]),
        cx=float(K[0, 2]),
        cy=float(K[1, 2]),
        k=dist[[0, 1, 4]].reshape(3, 1),
        p=dist[[2, 3]].reshape(2, 1),
        resolution=tuple(int(v) for v in cam.get('resolution', (1920,
                                                                1080))))


def load_calibration(path: str) -> List[dict]:
    """The ``cameras`` list of a ``calibration_<seq>.json``, with a clear
    error for a missing or malformed file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Panoptic calibration not found: {path}')
    try:
        with open(path) as f:
            cameras = json.load(f)['cameras']
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f'{path} is not a Panoptic calibration file (a '
                         f'JSON object with a "cameras" list): {e}') from e
    return cameras


def load_hd_camera(path: str, camera_id: int) -> Dict[str, np.ndarray]:
    """HD camera ``(panel 0, node camera_id)`` of a calibration file, in
    loader axes (:func:`camera_from_calibration`)."""
    for cam in load_calibration(path):
        if int(cam.get('panel', -1)) == 0 and \
                int(cam.get('node', -1)) == int(camera_id):
            return camera_from_calibration(cam)
    raise KeyError(f'{path} has no HD camera 00_{int(camera_id):02d}')


def world_to_camera_mm(points: np.ndarray, camera: dict) -> np.ndarray:
    """``(..., 3)`` loader-axes points (mm) -> camera frame (mm)."""
    points = np.asarray(points, np.float64)
    return points @ camera['R'].T + camera['t'].reshape(3) * 10.


def camera_to_world_mm(points: np.ndarray, camera: dict) -> np.ndarray:
    """Camera frame (mm) -> loader axes (mm), the inverse of
    :func:`world_to_camera_mm`."""
    points = np.asarray(points, np.float64)
    return (points - camera['t'].reshape(3) * 10.) @ camera['R']


def distort_normalized(xy: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """OpenCV's distortion (k1, k2, p1, p2, k3) of ``(..., 2)`` normalised
    image coordinates (as the Panoptic loaders' ``projectPoints``)."""
    k1, k2, p1, p2, k3 = np.asarray(dist, np.float64).reshape(5)
    x, y = xy[..., 0], xy[..., 1]
    r2 = x * x + y * y
    radial = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
    yd = y * radial + 2 * p2 * x * y + p1 * (r2 + 2 * y * y)
    return np.stack([xd, yd], -1)


def project_to_image(points: np.ndarray,
                     camera: dict,
                     distort: bool = True) -> np.ndarray:
    """``(..., 3)`` loader-axes points (mm) -> ``(..., 2)`` pixels, with
    the camera's distortion (skew of ``K`` included). Points at or behind
    the camera give NaN."""
    cam = world_to_camera_mm(points, camera)
    z = cam[..., 2:3]
    with np.errstate(divide='ignore', invalid='ignore'):
        xy = np.where(z > 1e-6, cam[..., :2] / z, np.nan)
    if distort:
        xy = distort_normalized(xy, camera['dist'])
    K = camera['K']
    u = K[0, 0] * xy[..., 0] + K[0, 1] * xy[..., 1] + K[0, 2]
    v = K[1, 1] * xy[..., 1] + K[1, 2]
    return np.stack([u, v], -1)


def undistort_pixels(pixels: np.ndarray, camera: dict) -> np.ndarray:
    """``(..., 2)`` distorted pixels -> ideal pinhole pixels (same ``K``),
    for solving a root position with a distortion-free model. NaN stays
    NaN."""
    import cv2
    pixels = np.asarray(pixels, np.float64)
    flat = pixels.reshape(-1, 1, 2)
    ok = np.isfinite(flat).all(-1).ravel()
    out = np.full_like(flat, np.nan)
    if ok.any():
        und = cv2.undistortPoints(flat[ok], camera['K'], camera['dist'],
                                  P=camera['K'])
        out[ok] = und
    return out.reshape(pixels.shape)


def span_frames(begin: int,
                end: int,
                ratio: float = WINDOW_RATIO,
                points: int = 5) -> np.ndarray:
    """The frames the released loader spreads over a sentence's span:
    ``linspace(start, start + int(L * ratio), points, dtype=int)`` with
    ``L = end - begin`` and ``start = begin + int(L * (1 - ratio)) // 2``
    (the loader's own integer arithmetic)."""
    length = int(end) - int(begin)
    if length <= 0:
        raise ValueError(f'empty span [{begin}, {end}) of a sentence')
    start = int(begin) + int(length * (1 - ratio)) // 2
    final = start + int(length * ratio)
    return np.linspace(start, final, points, dtype=int)


def window_frames(frame: int,
                  begin: int,
                  end: int,
                  window: int = 6,
                  ratio: float = WINDOW_RATIO) -> Tuple[np.ndarray, int]:
    """A sample's window: ``window - 1`` :func:`span_frames` with ``frame``
    inserted in order, as the released loader.

    Returns:
        tuple: ``(window,)`` int64 frames and the current frame's index.
    """
    picked = span_frames(begin, end, ratio, window - 1)
    idx = int(np.searchsorted(picked, frame))
    return np.insert(picked, idx, frame).astype(np.int64), idx


def keypoints_and_scores(keypoints: np.ndarray,
                         scores: np.ndarray,
                         axes: str,
                         num_joints: Optional[int] = NUM_PANOPTIC_JOINTS
                         ) -> Tuple[np.ndarray, np.ndarray]:
    """float64 ``(*lead, K, 2)`` keypoints and ``(*lead, K)`` scores, with
    a one-line error naming the expected shape.

    Args:
        keypoints, scores: The arrays.
        axes (str): Names of the leading axes for the message, e.g.
            ``'N, T'``; their number is the leading rank.
        num_joints (int, optional): Required K (None: any).
    """
    kp = np.asarray(keypoints, np.float64)
    rank = len(axes.split(','))
    k = 'K' if num_joints is None else str(num_joints)
    if kp.ndim != rank + 2 or kp.shape[-1] != 2 or (
            num_joints is not None and kp.shape[-2] != num_joints):
        raise ValueError(f'keypoints must have shape ({axes}, {k}, 2), got '
                         f'{kp.shape}')
    sc = np.asarray(scores, np.float64)
    if sc.shape != kp.shape[:-1]:
        raise ValueError(f'scores must have shape {kp.shape[:-1]}, got '
                         f'{sc.shape}')
    return kp, sc
