# Copyright (c) mmlpose contributors. All rights reserved.
"""Joint-wise reprojection-based multi-hypothesis aggregation (JPMA, D3DP's
"J-Agg"): per joint and frame, keep the hypothesis whose 2D projection is
closest to the input 2D keypoint. No ground truth is used."""
from typing import Dict, Optional

import numpy as np
import torch
from torch import Tensor

from mmlpose.structures.camera import project_points


#: Largest normalised focal length accepted. The codec divides pixels by half
#: the image width, so real cameras give ``f`` around 1 to 10; a value above
#: this is a focal length still in pixels (a codec without
#: ``normalize_camera=True``).
MAX_NORMALIZED_FOCAL = 50.


def camera_intrinsics(camera_param: Optional[dict]) -> Dict[str, Tensor]:
    """Intrinsics of a ``camera_param`` the ``VideoPoseLifting`` codec has
    already normalised (``normalize_camera=True``).

    The codec puts the 2D keypoints and the camera in the same units
    (pixels centred on the image and divided by half its width: ``f / (w /
    2)``, ``(c - (w / 2, h / 2)) / (w / 2)``); this only reads them.
    Distortion coefficients are unit-free and read as they are.

    Without ``f`` or ``c`` (or without a camera at all) the intrinsics are
    *estimated*: focal length = image width and principal point = image
    centre, i.e. ``f = (2, 2)`` and ``c = (0, 0)`` in normalised units.

    Args:
        camera_param (dict, optional): The codec's normalised camera dict:
            ``f`` (2, 1), ``c`` (2, 1) and optionally ``k`` (3, 1), ``p``
            (2, 1).

    Returns:
        dict: ``f`` (2, ), ``c`` (2, ) and, when given, ``k`` (3, ) and
        ``p`` (2, ) as float64 tensors.
    """
    camera_param = camera_param or {}
    out = dict(
        f=torch.full((2, ), 2., dtype=torch.float64),
        c=torch.zeros(2, dtype=torch.float64))
    if 'f' not in camera_param or 'c' not in camera_param:
        return out
    for key, size in (('f', 2), ('c', 2), ('k', 3), ('p', 2)):
        if camera_param.get(key) is not None:
            out[key] = torch.from_numpy(
                np.asarray(camera_param[key], dtype=np.float64).reshape(size))
    if out['f'].abs().max() > MAX_NORMALIZED_FOCAL:
        raise ValueError(
            f'camera_param f = {out["f"].tolist()} is in pixels, not in the '
            'codec\'s normalised units: set normalize_camera=True in the '
            'VideoPoseLifting codec of the pipeline')
    return out


def back_project_root(root_2d: Tensor, f: Tensor, c: Tensor,
                      depth: float) -> Tensor:
    """Camera-frame point at ``depth`` on the ray through ``root_2d``
    (pinhole, distortion ignored): ``(T, 2) -> (T, 3)``."""
    f, c = f.to(root_2d), c.to(root_2d)
    xy = (root_2d - c) / f * depth
    return torch.cat([xy, torch.full_like(xy[..., :1], depth)], dim=-1)


def jpma_select(hyps: Tensor,
                kpts_2d: Tensor,
                f: Tensor,
                c: Tensor,
                root: Tensor,
                k: Optional[Tensor] = None,
                p: Optional[Tensor] = None,
                min_depth: float = 1e-3) -> Tensor:
    """Index of the hypothesis with the smallest reprojection error, per
    frame and joint.

    Note:
        - hypotheses: H, frames: T, keypoints: K

    Args:
        hyps (Tensor): ``(H, T, K, 3)`` root-relative hypotheses (camera
            axes, the unit of ``root``).
        kpts_2d (Tensor): ``(T, K, 2)`` observed 2D keypoints, in the unit
            of ``f`` and ``c``.
        f, c (Tensor): ``(2, )`` focal length and principal point.
        root (Tensor): ``(T, 3)`` camera-frame root trajectory added to the
            hypotheses before projection.
        k, p (Tensor, optional): radial (3, ) and tangential (2, )
            distortion of :func:`mmlpose.structures.camera.project_points`.
        min_depth (float): Depths are clamped to at least this value so that
            points behind the camera cannot produce infinite errors.

    Returns:
        Tensor: ``(T, K)`` long indices into the H hypotheses.
    """
    if hyps.ndim != 4 or hyps.shape[-1] != 3:
        raise ValueError(f'hyps must be (H, T, K, 3), got {tuple(hyps.shape)}')
    if kpts_2d.shape != hyps.shape[1:3] + (2, ):
        raise ValueError(f'kpts_2d must be (T, K, 2) = '
                         f'{tuple(hyps.shape[1:3]) + (2, )}, got '
                         f'{tuple(kpts_2d.shape)}')
    points = hyps + root.to(hyps)[None, :, None, :]
    points = torch.cat(
        [points[..., :2], points[..., 2:].clamp(min=min_depth)], dim=-1)
    proj = project_points(points, f, c, k, p)
    err = torch.linalg.vector_norm(proj - kpts_2d.to(proj)[None], dim=-1)
    return err.argmin(dim=0)


def jpma_aggregate(hyps: Tensor,
                   kpts_2d: Tensor,
                   f: Tensor,
                   c: Tensor,
                   root: Tensor,
                   k: Optional[Tensor] = None,
                   p: Optional[Tensor] = None) -> Tensor:
    """JPMA: assemble, per frame and joint, the hypothesis whose 2D
    projection (root-relative hypothesis + ``root``) is closest to
    ``kpts_2d``.

    Args:
        See :func:`jpma_select`.

    Returns:
        Tensor: ``(T, K, 3)`` aggregated root-relative pose.
    """
    index = jpma_select(hyps, kpts_2d, f, c, root, k, p)
    return hyps.gather(0, index[None, ..., None].expand(1, *hyps.shape[1:]))[0]
