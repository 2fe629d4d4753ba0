# Copyright (c) mmlpose contributors. All rights reserved.
"""3D accuracy on real images with real 3D: mmpose's Human3.6M samples.

The demo path (:class:`mmlpose.apis.MMLPoseInferencer`: BlazePose 2D, then
the lifter) and MediaPipe's own monocular 3D (``pose_world_landmarks``) are
scored against the Human3.6M ground truth of the same images. Both 3D poses
use the same 17-joint mapping as the demo's 2D
(:func:`mmlpose.apis.pose2d.blazepose_to_h36m`: mid-hips pelvis,
mid-shoulders thorax, mid-ears head centre, head top beyond it).

All 3D here is in metres, camera axes (x right, y down, z forward); the
errors are in millimetres.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmpose.evaluation.functional import keypoint_mpjpe
from mmpose.evaluation.functional.mesh_eval import \
    compute_similarity_transform

from mmlpose.apis.pose2d import (BLAZEPOSE_COCO_INDICES, HEAD_TOP_RATIO,
                                 blazepose_to_h36m)
from mmlpose.structures.keypoint_mapping import (H36M_JOINT_NAMES,
                                                 coco_to_h36m)

H36M_ANNOTATION = 'test_h36m_body3d.npz'

# Bones of the H36M-17 skeleton, (name, pairs); a pair of sides is averaged.
H36M_BONES = (
    ('pelvis-hip', ((0, 1), (0, 4))),
    ('hip-knee', ((1, 2), (4, 5))),
    ('knee-ankle', ((2, 3), (5, 6))),
    ('thorax-shoulder', ((8, 14), (8, 11))),
    ('shoulder-elbow', ((14, 15), (11, 12))),
    ('elbow-wrist', ((15, 16), (12, 13))),
    ('pelvis-thorax', ((0, 8), )),
    ('thorax-neck_base', ((8, 9), )),
    ('neck_base-head', ((9, 10), )),
)


def load_h36m_samples(data_root: str) -> List[dict]:
    """The images and 3D ground truth of mmpose's H36M sample folder.

    Args:
        data_root (str): Folder with ``test_h36m_body3d.npz`` (``imgname``
            and ``S``: ``(N, 17, 4)`` camera-frame metres and visibility)
            and the images under ``S*/``.

    Returns:
        list[dict]: Per frame ``name`` (image stem), ``image_path``,
        ``gt_3d`` (``(17, 3)`` float64 metres, camera frame) and
        ``visible`` (``(17,)`` bool), and ``gt_2d`` (``(17, 2)`` pixels of
        the ground truth, ``part``; None when the file has none).

    Raises:
        FileNotFoundError: The folder, its annotation or an image is
            missing.
        ValueError: The annotation has an unexpected layout.
    """
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'H36M sample folder not found: {data_root}')
    ann_path = osp.join(data_root, H36M_ANNOTATION)
    if not osp.isfile(ann_path):
        raise FileNotFoundError(f'annotation not found: {ann_path}')
    with np.load(ann_path) as ann:
        if 'imgname' not in ann or 'S' not in ann:
            raise ValueError(f'{ann_path} lacks imgname or S')
        names, joints = ann['imgname'], np.asarray(ann['S'], np.float64)
        parts = np.asarray(ann['part'], np.float64) if 'part' in ann \
            else None
    if joints.ndim != 3 or joints.shape[1:] != (17, 4) or \
            len(joints) != len(names):
        raise ValueError(f'{ann_path}: expected S of shape (N, 17, 4) for '
                         f'{len(names)} images, got {joints.shape}')
    if parts is not None and parts.shape != (len(names), 17, 3):
        raise ValueError(f'{ann_path}: expected part of shape (N, 17, 3), '
                         f'got {parts.shape}')
    samples = []
    for i, (name, joints_i) in enumerate(zip(names, joints)):
        path = osp.join(data_root, str(name))
        if not osp.isfile(path):
            raise FileNotFoundError(f'image not found: {path}')
        samples.append(
            dict(
                name=osp.splitext(osp.basename(str(name)))[0],
                image_path=path,
                gt_3d=joints_i[:, :3].copy(),
                visible=joints_i[:, 3] > 0,
                gt_2d=None if parts is None else parts[i, :, :2].copy()))
    return samples


def world_landmarks_to_h36m(world_landmarks: np.ndarray) -> np.ndarray:
    """MediaPipe's 33 world landmarks -> the 17 H36M joints.

    The landmark choice of :func:`mmlpose.apis.pose2d.blazepose_to_h36m`
    (``BLAZEPOSE_COCO_INDICES`` through ``coco_to_h36m`` with
    ``HEAD_TOP_RATIO``), in 3D. MediaPipe's world landmarks are metric,
    centred between the hips, x right, y down, z away from the camera: the
    camera axes of the ground truth, so no axis is flipped.

    Args:
        world_landmarks (np.ndarray): ``(33, C)`` with ``C >= 3``: x, y, z
            in metres (further columns such as visibility are ignored).

    Returns:
        np.ndarray: ``(17, 3)`` float64 metres.
    """
    world_landmarks = np.asarray(world_landmarks, np.float64)
    if world_landmarks.ndim != 2 or world_landmarks.shape[0] != 33 or \
            world_landmarks.shape[1] < 3:
        raise ValueError('world landmarks must have shape (33, >=3), got '
                         f'{world_landmarks.shape}')
    coco = world_landmarks[list(BLAZEPOSE_COCO_INDICES), :3]
    joints, _ = coco_to_h36m(coco, head_top_ratio=HEAD_TOP_RATIO)
    return joints


def mediapipe_world_h36m(pose, image_bgr: np.ndarray) -> List[dict]:
    """MediaPipe's monocular 3D (and 2D) of an image, in H36M joints.

    Args:
        pose: A ``mediapipe.solutions.pose.Pose`` (``static_image_mode=True``
            for unrelated images).
        image_bgr (np.ndarray): ``(H, W, 3)`` uint8 BGR image.

    Returns:
        list[dict]: ``[]`` when MediaPipe finds nobody, else one person (its
        pose solution finds one at most): ``keypoints_3d`` ``(17, 3)``
        metres from ``pose_world_landmarks`` (:func:`world_landmarks_to_h36m`)
        and ``keypoints_2d`` ``(17, 2)`` pixels and ``scores`` ``(17,)`` from
        ``pose_landmarks`` (:func:`mmlpose.apis.pose2d.blazepose_to_h36m`).
    """
    import cv2
    result = pose.process(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))
    if result.pose_world_landmarks is None or result.pose_landmarks is None:
        return []
    world = np.array([[lm.x, lm.y, lm.z]
                      for lm in result.pose_world_landmarks.landmark])
    h, w = image_bgr.shape[:2]
    image_landmarks = np.array([[lm.x * w, lm.y * h, lm.visibility]
                                for lm in result.pose_landmarks.landmark])
    keypoints_2d, scores = blazepose_to_h36m(image_landmarks)
    return [
        dict(
            keypoints_3d=world_landmarks_to_h36m(world),
            keypoints_2d=keypoints_2d,
            scores=scores)
    ]


def pose_errors(pred: np.ndarray,
                gt: np.ndarray,
                visible: Optional[np.ndarray] = None,
                root: Union[int, Sequence[int]] = 0) -> Dict[str, float]:
    """Errors of one 3D pose or of N poses, in millimetres.

    Args:
        pred (np.ndarray): ``(K, 3)`` or ``(N, K, 3)`` metres (any origin).
        gt (np.ndarray): Same shape, metres.
        visible (np.ndarray, optional): ``(K,)`` bool, joints to score
            (default all).
        root (int | Sequence[int]): Root joint for MPJPE and N-MPJPE, or
            joints whose mean is the root. Defaults to 0.

    Returns:
        dict: ``p_mpjpe`` (similarity transform per pose: scale, rotation,
        translation), ``mpjpe`` (both root-relative, no other alignment) and
        ``n_mpjpe`` (root-relative, least-squares scale), by mmpose's
        ``keypoint_mpjpe``, averaged over the poses.
    """
    pred = np.asarray(pred, np.float64)
    gt = np.asarray(gt, np.float64)
    if pred.shape != gt.shape or pred.ndim not in (2, 3) or \
            pred.shape[-1] != 3:
        raise ValueError('pred and gt must both be (K, 3) or (N, K, 3), got '
                         f'{pred.shape} and {gt.shape}')
    if pred.ndim == 2:
        pred, gt = pred[None], gt[None]
    mask = np.ones(gt.shape[1], bool) if visible is None else \
        np.asarray(visible, bool)
    if not mask.any():
        raise ValueError('no visible joint to score')
    mask = np.broadcast_to(mask, gt.shape[:2])
    root = list(np.atleast_1d(root))
    rel_pred = pred - pred[:, root].mean(axis=1, keepdims=True)
    rel_gt = gt - gt[:, root].mean(axis=1, keepdims=True)
    return dict(
        p_mpjpe=1000 * float(keypoint_mpjpe(pred, gt, mask, 'procrustes')),
        mpjpe=1000 * float(keypoint_mpjpe(rel_pred, rel_gt, mask, 'none')),
        n_mpjpe=1000 *
        float(keypoint_mpjpe(rel_pred, rel_gt, mask, 'scale')))


def procrustes_joint_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """``(K,)`` per-joint distances in mm after the similarity transform."""
    aligned = compute_similarity_transform(
        np.asarray(pred, np.float64), np.asarray(gt, np.float64))
    return 1000 * np.linalg.norm(aligned - gt, axis=-1)


def body_frame(gt: np.ndarray) -> np.ndarray:
    """``(3, 3)`` rows: the person's left, up and forward unit vectors.

    Left is from the right to the left hip, up from the pelvis to the thorax
    made orthogonal to left, forward = left x up (the way the chest faces).
    """
    gt = np.asarray(gt, np.float64)
    left = gt[4] - gt[1]
    left /= np.linalg.norm(left)
    up = gt[8] - gt[0]
    up -= up.dot(left) * left
    up /= np.linalg.norm(up)
    return np.stack([left, up, np.cross(left, up)])


def procrustes_joint_offsets(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Where each predicted joint lies relative to the ground truth.

    Args:
        pred (np.ndarray): ``(17, 3)`` metres.
        gt (np.ndarray): ``(17, 3)`` metres.

    Returns:
        np.ndarray: ``(17, 3)`` mm, the similarity-aligned prediction minus
        the ground truth along the person's left, up and forward axes
        (:func:`body_frame` of the ground truth).
    """
    aligned = compute_similarity_transform(
        np.asarray(pred, np.float64), np.asarray(gt, np.float64))
    return 1000 * (aligned - gt) @ body_frame(gt).T


def bone_lengths(joints: np.ndarray) -> Dict[str, float]:
    """Bone lengths (metres, left and right averaged) of ``(17, 3)``
    H36M joints, named as in ``H36M_BONES``."""
    joints = np.asarray(joints, np.float64)
    return {
        name:
        float(
            np.mean([np.linalg.norm(joints[a] - joints[b]) for a, b in pairs]))
        for name, pairs in H36M_BONES
    }


def mean_rows(rows: Sequence[Dict[str, float]]) -> Dict[str, float]:
    """Mean of each key over the rows that have a finite value for it."""
    keys = rows[0].keys() if rows else ()
    out = {}
    for key in keys:
        values = [
            r[key] for r in rows
            if r.get(key) is not None and np.isfinite(r[key])
        ]
        out[key] = float(np.mean(values)) if values else float('nan')
    return out


__all__ = [
    'H36M_BONES', 'H36M_JOINT_NAMES', 'load_h36m_samples',
    'world_landmarks_to_h36m', 'mediapipe_world_h36m', 'pose_errors',
    'procrustes_joint_errors', 'procrustes_joint_offsets', 'body_frame',
    'bone_lengths', 'mean_rows'
]
