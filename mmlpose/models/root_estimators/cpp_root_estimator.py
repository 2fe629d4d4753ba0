# Copyright (c) mmlpose contributors. All rights reserved.
"""CPP's root estimator: 2D root centres + depths -> absolute 3D roots.

A root candidate (from
:meth:`~mmlpose.models.heads.VoxelPoseMapHead.decode_peaks`) is a centre in
input pixels and a camera-frame depth (z, metres). The resize affine
(:class:`~mmlpose.datasets.transforms.ResizeL3D`'s ``trans``) is undone to
image pixels, the pixels are undistorted
(:func:`~mmlpose.structures.panoptic.undistort_pixels`), back-projected with
``K`` at the depth and taken to the loader's world axes
(:func:`~mmlpose.structures.panoptic.camera_to_world_mm`), in mm: the frame of
``gt_instances.keypoints_3d``. Roots are bounded by VirtualPose's root space
(8 x 8 x 2.4 m, an 80 x 80 x 24 cube of 100 mm voxels for Panoptic-L3D).
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.model import BaseModule
from torch import Tensor

from mmlpose.registry import MODELS
from mmlpose.structures.panoptic import camera_to_world_mm, undistort_pixels

ArrayLike = Union[Tensor, np.ndarray]

#: VoxelPose's / VirtualPose's Panoptic space centre (loader axes, z up, mm).
PANOPTIC_SPACE_CENTER = (0., -500., 800.)


def _numpy(x) -> np.ndarray:
    if isinstance(x, Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, np.float64)


def _camera(camera: dict) -> Dict[str, np.ndarray]:
    """The ``R``, ``t``, ``K``, ``dist`` of a camera dict as float64 numpy
    (tensors from a collated batch included)."""
    missing = [k for k in ('R', 't', 'K', 'dist') if k not in camera]
    if missing:
        raise KeyError(f'camera lacks {missing} (loader camera dicts: '
                       'mmlpose.structures.panoptic.camera_from_calibration)')
    return dict(
        R=_numpy(camera['R']).reshape(3, 3),
        t=_numpy(camera['t']).reshape(3, 1),
        K=_numpy(camera['K']).reshape(3, 3),
        dist=_numpy(camera['dist']).reshape(-1))


def input_to_image_pixels(points: np.ndarray, trans) -> np.ndarray:
    """``(..., 2)`` input pixels -> original image pixels through the
    inverse of a ``(2, 3)`` original -> input affine."""
    trans = _numpy(trans)
    if trans.shape != (2, 3):
        raise ValueError(f'trans must be a (2, 3) affine, got {trans.shape}')
    A, b = trans[:, :2], trans[:, 2]
    return (np.asarray(points, np.float64) - b) @ np.linalg.inv(A).T


@MODELS.register_module()
class CPPRootEstimator(BaseModule):
    """Absolute roots (mm, loader world axes) from input-pixel centres and
    camera-frame depths, bounded by the root space.

    No learned parameters: the rays are exact geometry (numpy / OpenCV,
    no gradient to the centres) and ``roots = camera centre + depth_mm *
    ray``, so the gradient flows to ``depth`` when it is a tensor.

    Args:
        space_size (tuple): ``(x, y, z)`` extent of the root space, mm.
            Default ``(8000, 8000, 2400)``.
        space_center (tuple): Its centre, loader axes mm. Default
            :data:`PANOPTIC_SPACE_CENTER` ``(0, -500, 800)`` (VoxelPose's
            Panoptic centre): x, y in [-4, 4] / [-4.5, 3.5] m, z (up) in
            [-0.4, 2.0] m.
        cube_size (tuple): Voxels per axis. Default ``(80, 80, 24)``
            (100 mm voxels).
        clamp (bool): Clamp roots into the space (``inside`` still flags
            the unclamped ones). Default True.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 space_size: Sequence[float] = (8000., 8000., 2400.),
                 space_center: Sequence[float] = PANOPTIC_SPACE_CENTER,
                 cube_size: Sequence[int] = (80, 80, 24),
                 clamp: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if len(space_size) != 3 or min(space_size) <= 0:
            raise ValueError(f'space_size must be 3 values > 0 mm, got '
                             f'{space_size}')
        if len(space_center) != 3:
            raise ValueError(f'space_center must be 3 values (mm), got '
                             f'{space_center}')
        if len(cube_size) != 3 or min(cube_size) <= 0:
            raise ValueError(f'cube_size must be 3 ints > 0, got {cube_size}')
        self.space_size = tuple(float(v) for v in space_size)
        self.space_center = tuple(float(v) for v in space_center)
        self.cube_size = tuple(int(v) for v in cube_size)
        self.clamp = bool(clamp)
        size = np.asarray(self.space_size)
        centre = np.asarray(self.space_center)
        self.space_min = tuple((centre - size / 2).tolist())
        self.space_max = tuple((centre + size / 2).tolist())
        self.voxel_size = tuple((size / np.asarray(self.cube_size)).tolist())

    def rays(self, centres_px, camera: dict,
             trans) -> Tuple[np.ndarray, np.ndarray]:
        """Camera centre ``(3,)`` and per-centre world direction ``(..., 3)``
        of one sample, scaled so that ``origin + z_mm * dir`` is the point
        at camera-frame depth ``z_mm``.

        Args:
            centres_px: ``(..., 2)`` input pixels.
            camera (dict): Loader camera (``R``, ``t`` cm, ``K``, ``dist``).
            trans: ``(2, 3)`` original -> input affine.
        """
        cam = _camera(camera)
        img = input_to_image_pixels(_numpy(centres_px), trans)
        ideal = undistort_pixels(img, cam)
        K = cam['K']
        y = (ideal[..., 1] - K[1, 2]) / K[1, 1]
        x = (ideal[..., 0] - K[0, 2] - K[0, 1] * y) / K[0, 0]
        unit = np.stack([x, y, np.ones_like(x)], -1)  # camera frame, z = 1
        origin = camera_to_world_mm(np.zeros(3), cam)
        direction = camera_to_world_mm(unit, cam) - origin
        return origin, direction

    def inside_space(self, roots: ArrayLike) -> ArrayLike:
        """``(..., 3)`` mm -> ``(...)`` bool: finite and inside the space."""
        if isinstance(roots, Tensor):
            lo = roots.new_tensor(self.space_min)
            hi = roots.new_tensor(self.space_max)
            return torch.isfinite(roots).all(-1) & (roots >= lo).all(-1) & \
                (roots <= hi).all(-1)
        roots = np.asarray(roots, np.float64)
        with np.errstate(invalid='ignore'):
            return np.isfinite(roots).all(-1) & \
                (roots >= self.space_min).all(-1) & \
                (roots <= self.space_max).all(-1)

    def voxel_index(self, roots: ArrayLike) -> ArrayLike:
        """``(..., 3)`` mm -> ``(..., 3)`` int64 voxel ``(i, j, k)`` of the
        ``cube_size`` grid (clipped to it)."""
        as_tensor = isinstance(roots, Tensor)
        r = _numpy(roots)
        idx = np.floor((r - self.space_min) / self.voxel_size)
        idx = np.clip(np.nan_to_num(idx), 0,
                      np.asarray(self.cube_size) - 1).astype(np.int64)
        return torch.from_numpy(idx).to(roots.device) if as_tensor else idx

    def estimate(self, centres_px: ArrayLike, depth: ArrayLike,
                 camera: Sequence[dict],
                 trans: Sequence) -> Dict[str, ArrayLike]:
        """Roots with their flags.

        Args:
            centres_px: ``(N, k, 2)`` input pixels (e.g. ``decode_peaks``'
                ``centres_input``).
            depth: ``(N, k)`` camera-frame root depth (z), metres.
            camera (list): N loader camera dicts (one dict: used for all).
            trans: N ``(2, 3)`` original -> input affines (list, or an
                array / tensor (N, 2, 3) or one (2, 3) for all).

        Returns:
            dict: ``roots`` (N, k, 3) mm loader world axes (clamped into
            the space when ``clamp``), ``roots_unclamped`` (N, k, 3) and
            ``inside`` (N, k) bool (unclamped root finite, in the space and
            depth > 0). Tensors when ``depth`` is a tensor (on its device,
            differentiable w.r.t. it), else numpy.
        """
        as_tensor = isinstance(depth, Tensor)
        c = _numpy(centres_px)
        d_np = _numpy(depth)
        if c.ndim != 3 or c.shape[-1] != 2:
            raise ValueError(f'centres_px must be (N, k, 2), got {c.shape}')
        if d_np.shape != c.shape[:2]:
            raise ValueError(f'depth must be (N, k) = {c.shape[:2]}, got '
                             f'{d_np.shape}')
        n = c.shape[0]
        cams = [camera] * n if isinstance(camera, dict) else list(camera)
        t_np = None if isinstance(trans, (list, tuple)) else _numpy(trans)
        if t_np is not None and t_np.shape == (2, 3):
            trans = [t_np] * n
        elif t_np is not None:
            trans = list(t_np)
        if len(cams) != n or len(trans) != n:
            raise ValueError(f'{len(cams)} cameras / {len(trans)} affines '
                             f'for a batch of {n}')
        origins, dirs = zip(*(self.rays(c[i], cams[i], trans[i])
                              for i in range(n)))
        origins = np.stack(origins)[:, None]  # (N, 1, 3)
        dirs = np.stack(dirs)  # (N, k, 3)
        if as_tensor:
            o = torch.as_tensor(
                origins, dtype=depth.dtype, device=depth.device)
            v = torch.as_tensor(dirs, dtype=depth.dtype, device=depth.device)
            raw = o + (depth * 1000.)[..., None] * v
            inside = self.inside_space(raw) & (depth > 0)
            roots = torch.minimum(
                torch.maximum(raw, raw.new_tensor(self.space_min)),
                raw.new_tensor(self.space_max)) if self.clamp else raw
        else:
            raw = origins + (d_np * 1000.)[..., None] * dirs
            inside = self.inside_space(raw) & (d_np > 0)
            roots = np.clip(raw, self.space_min, self.space_max) \
                if self.clamp else raw
        return dict(roots=roots, roots_unclamped=raw, inside=inside)

    def forward(self, centres_px: ArrayLike, depth: ArrayLike,
                camera: Sequence[dict], trans: Sequence) -> ArrayLike:
        """``(N, k, 3)`` roots, mm, loader world axes (see
        :meth:`estimate`, whose ``inside`` flags the roots outside the
        space)."""
        return self.estimate(centres_px, depth, camera, trans)['roots']
