# Copyright (c) mmlpose contributors. All rights reserved.
"""Differentiable geometry of the semantics-aware test-time adaptation:
the closed-form root translation, the projection, virtual views for the
motion-language space, and the 2D target updates.

Conventions: camera axes (x right, y down, z forward); 3D in metres; 2D in
the units of ``f`` and ``c`` (the ``VideoPoseLifting`` codec's normalised
units inside :class:`~mmlpose.engine.tta.SemanticTTA`).
"""
import math
from typing import Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from mmlpose.structures.camera import project_points

#: Depth (m) given to the root of a sequence none of whose frames has enough
#: confident keypoints to solve for it (its projection then has no weight).
DEFAULT_DEPTH = 5.


def solve_root_translation(pose: Tensor,
                           targets: Tensor,
                           weights: Tensor,
                           f: Tensor,
                           c: Tensor,
                           min_joints: int = 2,
                           min_depth: float = 0.1,
                           eps: float = 1e-9) -> Tuple[Tensor, Tensor]:
    """Per-frame root translation that best places a root-relative pose on
    its 2D targets: weighted linear least squares, closed form.

    For joint ``k`` of pose ``P`` and target ``(u, v)``, the pinhole
    equations ``u = f_x (P_x + t_x) / (P_z + t_z) + c_x`` (and y) are linear
    in ``t`` once multiplied out::

        f_x t_x - (u - c_x) t_z = (u - c_x) P_z - f_x P_x
        f_y t_y - (v - c_y) t_z = (v - c_y) P_z - f_y P_y

    The ``2K`` equations weighted by ``weights`` give a 3 x 3 normal system
    per frame, solved in float64; noise-free data gives the translation
    exactly. A frame with fewer than ``min_joints`` weighted keypoints, a
    singular system or a root depth below ``min_depth`` takes the
    translation of the nearest solved frame, and a sequence without any
    solved frame is put at ``(0, 0,`` :data:`DEFAULT_DEPTH` ``)``. No
    gradient flows through the result.

    Note:
        - frames: T, keypoints: K

    Args:
        pose (Tensor): ``(T, K, 3)`` root-relative pose.
        targets (Tensor): ``(T, K, 2)`` 2D targets.
        weights (Tensor): ``(T, K)`` non-negative weights (0 = missing).
        f, c (Tensor): ``(2, )`` focal length and principal point.
        min_joints (int): Keypoints a frame needs to be solved. Defaults to 2
            (4 equations for 3 unknowns).
        min_depth (float): Smallest accepted root depth (m). Defaults to 0.1.
        eps (float): Smallest accepted determinant of the normalised normal
            matrix.

    Returns:
        tuple: ``(T, 3)`` translation (dtype of ``pose``) and ``(T, )`` bool,
        the frames solved from their own keypoints.
    """
    if pose.ndim != 3 or pose.shape[-1] != 3:
        raise ValueError(f'pose must be (T, K, 3), got {tuple(pose.shape)}')
    if targets.shape != pose.shape[:2] + (2, ) or \
            weights.shape != pose.shape[:2]:
        raise ValueError('targets must be (T, K, 2) and weights (T, K) for a '
                         f'pose of shape {tuple(pose.shape)}, got '
                         f'{tuple(targets.shape)} and {tuple(weights.shape)}')
    P = pose.detach().double()
    w = weights.detach().double()
    f = f.detach().double().to(P.device)
    c = c.detach().double().to(P.device)
    uv = targets.detach().double() - c  # (T, K, 2)
    num = P.shape[0]
    # rows: (T, K, 2 equations, 3 unknowns)
    A = P.new_zeros(num, P.shape[1], 2, 3)
    A[..., 0, 0] = f[0]
    A[..., 1, 1] = f[1]
    A[..., 2] = -uv
    rhs = uv * P[..., 2:3] - f * P[..., :2]  # (T, K, 2)
    Aw = A * w[..., None, None]
    M = torch.einsum('tkei,tkej->tij', Aw, A)
    b = torch.einsum('tkei,tke->ti', Aw, rhs)
    scale = M.diagonal(dim1=-2, dim2=-1).abs().amax(-1).clamp(min=1e-12)
    det = torch.linalg.det(M / scale[:, None, None])
    valid = ((w > 0).sum(-1) >= min_joints) & (det.abs() > eps)
    trans = P.new_zeros(num, 3)
    trans[:, 2] = DEFAULT_DEPTH
    if valid.any():
        trans[valid] = torch.linalg.solve(M[valid], b[valid])
        # a root behind (or at) the camera is no placement
        valid &= trans[:, 2] > min_depth
        trans[~valid] = trans.new_tensor([0., 0., DEFAULT_DEPTH])
    if valid.any():
        solved = torch.nonzero(valid).flatten()
        frames = torch.arange(num, device=P.device)
        nearest = (frames[:, None] - solved[None]).abs().argmin(-1)
        trans = trans[solved[nearest]]
    return trans.to(pose.dtype), valid


def project_pose(pose: Tensor,
                 translation: Tensor,
                 f: Tensor,
                 c: Tensor,
                 min_depth: float = 1e-2) -> Tensor:
    """Pinhole projection of ``pose + translation``.

    Args:
        pose (Tensor): ``(..., K, 3)`` root-relative pose.
        translation (Tensor): ``(..., 3)`` root position.
        f, c (Tensor): ``(2, )`` intrinsics.
        min_depth (float): Depths are clamped to at least this (m).

    Returns:
        Tensor: ``(..., K, 2)`` projections in the units of ``f`` and ``c``.
    """
    points = pose + translation[..., None, :]
    points = torch.cat([points[..., :2], points[..., 2:].clamp(min=min_depth)],
                       dim=-1)
    return project_points(points, f.to(pose), c.to(pose))


def acceleration_loss(pose: Tensor) -> Tensor:
    """Mean squared 3D acceleration ``|p[t+1] - 2 p[t] + p[t-1]|^2`` (m^2
    per frame^4) of a ``(T, K, 3)`` pose sequence; 0 for T < 3."""
    if pose.shape[0] < 3:
        return pose.sum() * 0
    accel = pose[2:] - 2 * pose[1:-1] + pose[:-2]
    return accel.pow(2).sum(-1).mean()


def yaw_views(pose: Tensor, yaws_deg: Sequence[float]) -> Tensor:
    """Rotate root-relative poses about the camera's vertical (y) axis.

    Args:
        pose (Tensor): ``(..., K, 3)`` root-relative poses, camera axes.
        yaws_deg (sequence of float): V angles in degrees.

    Returns:
        Tensor: ``(V, ..., K, 3)``.
    """
    views = []
    for yaw in yaws_deg:
        cos, sin = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
        x, y, z = pose.unbind(-1)
        views.append(
            torch.stack([cos * x + sin * z, y, -sin * x + cos * z], dim=-1))
    return torch.stack(views)


def render_virtual_views(pose: Tensor, yaws_deg: Sequence[float],
                         distance: float, focal: float,
                         image_size: Tuple[int, int]) -> Tensor:
    """Film root-relative poses with virtual pinhole cameras, as the
    DeepMimic ring cameras film the humanoid, and normalise them as the
    ``VideoPoseLifting`` codec does.

    Each view turns the pose by one yaw (:func:`yaw_views`), puts its root
    ``distance`` metres in front of a camera of focal length ``focal`` px
    whose principal point is the centre of a ``image_size`` image, projects
    it, and maps pixels to ``(px - (w / 2, h / 2)) / (w / 2)``.

    Args:
        pose (Tensor): ``(..., K, 3)`` root-relative poses (m).
        yaws_deg (sequence of float): V view angles in degrees.
        distance (float): Camera-to-root distance (m).
        focal (float): Focal length (px).
        image_size (tuple): ``(w, h)`` in px.

    Returns:
        Tensor: ``(V, ..., K, 2)`` normalised 2D, differentiable in
        ``pose``.
    """
    w, h = image_size
    views = yaw_views(pose, yaws_deg)
    root = views.new_tensor([0., 0., float(distance)])
    pixels = project_pose(views, root.expand(views.shape[:-2] + (3, )),
                          views.new_tensor([focal, focal]),
                          views.new_tensor([w / 2., h / 2.]))
    return (pixels - pixels.new_tensor([w / 2., h / 2.])) / (w / 2.)


def ema_update(targets: np.ndarray, projections: np.ndarray,
               weights: np.ndarray, momentum: float) -> np.ndarray:
    """``target <- m * target + (1 - m) * projection`` on the keypoints
    that are targets (``weights > 0``); the others are kept.

    Args:
        targets, projections (np.ndarray): ``(T, K, 2)``.
        weights (np.ndarray): ``(T, K)``.
        momentum (float): ``m`` in [0, 1].

    Returns:
        np.ndarray: The updated ``(T, K, 2)`` targets (a new array).
    """
    blend = momentum * targets + (1. - momentum) * projections
    return np.where((weights > 0)[..., None], blend,
                    targets).astype(targets.dtype)
