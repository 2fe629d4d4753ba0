# Copyright (c) mmlpose contributors. All rights reserved.
"""Camera transforms and the Human3.6M projection model.

Conventions (those of mmpose's ``cameras.pkl`` and ``SimpleCamera``): ``R``
(3, 3) and ``T`` (3, 1) give the camera pose in the world, points are row
vectors, so ``X_cam = (X_world - T^T) @ R`` and ``X_world = X_cam @ R^T +
T^T``. Every function accepts numpy arrays or torch tensors (parameters may be
either; they are converted to the type of the points).
"""
from typing import Optional, Union

import numpy as np
import torch

Array = Union[np.ndarray, torch.Tensor]


def _like(param, ref: Array, vector: bool = True) -> Array:
    """Convert ``param`` to the array type, dtype and device of ``ref``.

    With ``vector=True`` a column (n, 1) is flattened to (n, ), so a camera
    dict's ``f``/``c``/``k``/``p``/``T`` broadcast over points ``(..., n)``.
    """
    if isinstance(ref, torch.Tensor):
        out = torch.as_tensor(
            np.asarray(param)
            if not isinstance(param, torch.Tensor) else param,
            dtype=ref.dtype,
            device=ref.device)
    else:
        out = np.asarray(
            param, dtype=ref.dtype if ref.dtype.kind == 'f' else np.float64)
    if vector and out.ndim == 2 and out.shape[-1] == 1:
        out = out.reshape(-1)
    return out


def _stack(arrays, ref: Array) -> Array:
    if isinstance(ref, torch.Tensor):
        return torch.stack(arrays, dim=-1)
    return np.stack(arrays, axis=-1)


def world_to_camera(points: Array, R: Array, T: Array) -> Array:
    """World to camera coordinates.

    Args:
        points: (..., 3) world-frame points.
        R: (3, 3) camera rotation (camera-to-world, as in ``cameras.pkl``).
        T: (3, 1) or (3, ) camera position in the world, same unit as
            ``points``.

    Returns:
        (..., 3) camera-frame points.
    """
    R = _like(R, points, vector=False)
    return (points - _like(T, points)) @ R


def camera_to_world(points: Array, R: Array, T: Array) -> Array:
    """Camera to world coordinates, the inverse of :func:`world_to_camera`.

    Args:
        points: (..., 3) camera-frame points.
        R: (3, 3) camera rotation; T: (3, 1) or (3, ) camera position.

    Returns:
        (..., 3) world-frame points.
    """
    R = _like(R, points, vector=False)
    return points @ R.T + _like(T, points)


def project_points(points_cam: Array,
                   f: Array,
                   c: Array,
                   k: Optional[Array] = None,
                   p: Optional[Array] = None) -> Array:
    """Project camera-frame points to pixels with Human3.6M's camera model.

    Pinhole with radial (k1, k2, k3) and tangential (p1, p2) distortion in
    the form of the Human3.6M release code (``ProjectPointRadial``), which
    reproduces its 2D ground truth exactly::

        x, y = X / Z, Y / Z;  r2 = x^2 + y^2
        radial = 1 + k1 r2 + k2 r2^2 + k3 r2^3;  tan = p1 y + p2 x
        x' = x (radial + tan) + p2 r2;  y' = y (radial + tan) + p1 r2
        u = fx x' + cx;  v = fy y' + cy

    (mmpose's ``SimpleCamera`` doubles ``tan``, as OpenCV's model does; on
    H36M the two differ by < 0.2 px.)

    Args:
        points_cam: (..., 3) camera-frame points (Z > 0).
        f: (2, ) or (2, 1) focal lengths in pixels; c: principal point.
        k: (3, ) or (3, 1) radial coefficients, or None for none.
        p: (2, ) or (2, 1) tangential coefficients, or None for none.

    Returns:
        (..., 2) pixel coordinates.
    """
    xy = points_cam[..., :2] / points_cam[..., 2:3]
    if k is not None or p is not None:
        x, y = xy[..., 0], xy[..., 1]
        r2 = x**2 + y**2
        factor = 1.
        if k is not None:
            k = _like(k, points_cam)
            factor = factor + sum(k[i] * r2**(i + 1) for i in range(len(k)))
        if p is not None:
            p = _like(p, points_cam)
            tan = p[0] * y + p[1] * x
            xy = _stack([
                x * (factor + tan) + p[1] * r2, y * (factor + tan) + p[0] * r2
            ], points_cam)
        else:
            xy = xy * factor[..., None]
    return xy * _like(f, points_cam) + _like(c, points_cam)


def project_world_points(points: Array,
                         camera: dict,
                         distort: bool = True) -> Array:
    """Project world-frame points with an mmpose camera dict.

    Args:
        points: (..., 3) world-frame points.
        camera: dict with ``R``, ``T``, ``f``, ``c`` and optionally ``k``,
            ``p`` (one entry of mmpose's ``cameras.pkl``).
        distort: Whether to apply ``k``/``p`` when present.

    Returns:
        (..., 2) pixel coordinates.
    """
    cam = world_to_camera(points, camera['R'], camera['T'])
    k = camera.get('k') if distort else None
    p = camera.get('p') if distort else None
    return project_points(cam, camera['f'], camera['c'], k, p)
