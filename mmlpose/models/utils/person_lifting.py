# Copyright (c) mmlpose contributors. All rights reserved.
"""Absolute 3D of people seen by a calibrated camera: 2D -> lifting -> root.

The single-person 3D estimator of the L3DHPE cascades (3DHPE+Refer and
RVOS+3DHPE): Panoptic-15 2D keypoints of each person are mapped to H36M-17,
lifted by a pre-trained (frozen) lifter of this toolbox, placed in the camera
by solving for the root translation that best reprojects the lifted pose onto
its 2D (:func:`~mmlpose.engine.tta.geometry.solve_root_translation`, on
undistorted pixels), and returned as Panoptic-15 joints in the loaders' world
axes, millimetres.
"""
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from torch import nn

from mmlpose.registry import TASK_UTILS
from mmlpose.structures.panoptic import (camera_to_world_mm,
                                         h36m_to_panoptic15,
                                         keypoints_and_scores,
                                         panoptic15_to_h36m, undistort_pixels)


@TASK_UTILS.register_module()
class PersonLifter:
    """Lift Panoptic-15 2D people to absolute 3D with a frozen lifter.

    The lifter is any lifting model of the toolbox (a model name or alias of
    the metafiles, or a config path, with its checkpoint), run through
    :func:`mmlpose.apis.lift_multi_person` with the config's own codec.

    Note:
        - people: N, frames: T, joints: 15

    Args:
        model (str): Lifter name, alias or config path. Defaults to the
            toolbox's default lifter.
        weights (str, optional): Checkpoint; the metafile's when None.
        min_score (float): 2D keypoints below this score are not used to
            place the root. Defaults to 0.3.
        batch_size (int): Windows per lifting pass. Defaults to 64.
    """

    def __init__(self,
                 model: Optional[str] = None,
                 weights: Optional[str] = None,
                 min_score: float = 0.3,
                 batch_size: int = 64) -> None:
        from mmlpose.apis.inference import init_lifter
        from mmlpose.apis.inferencers.utils.model_index import (DEFAULT_MODEL,
                                                                resolve_model)
        cfg, weights = resolve_model(model or DEFAULT_MODEL, weights)
        self.model: nn.Module = init_lifter(cfg, weights)
        self.model.requires_grad_(False)
        self.min_score = float(min_score)
        self.batch_size = int(batch_size)

    def lift_relative(self, keypoints_2d: np.ndarray, scores: np.ndarray,
                      image_size: Tuple[int, int]) -> np.ndarray:
        """``(N, T, 15, 3)`` root-relative 3D (metres, camera axes) of
        ``(N, T, 15, 2)`` pixels; frames where a person has no finite 2D
        are zeros."""
        from mmlpose.apis.inference import lift_multi_person
        kp, sc = _check_people(keypoints_2d, scores)
        if kp.shape[0] == 0:
            return np.zeros(kp.shape[:3] + (3, ), np.float32)
        present = np.isfinite(kp).all(axis=(2, 3))
        h36m, _ = panoptic15_to_h36m(np.nan_to_num(kp))
        lifted = lift_multi_person(
            self.model,
            h36m.astype(np.float32),
            present,
            image_size,
            batch_size=self.batch_size)
        return h36m_to_panoptic15(lifted)

    def __call__(self, keypoints_2d: np.ndarray, scores: np.ndarray,
                 camera: Dict[str, np.ndarray],
                 image_size: Tuple[int, int]) -> np.ndarray:
        """Absolute 3D of every person.

        Args:
            keypoints_2d (np.ndarray): ``(N, T, 15, 2)`` pixels of the
                original (distorted) image; NaN where a person is absent.
            scores (np.ndarray): ``(N, T, 15)`` keypoint confidences.
            camera (dict): The loaders' camera (:func:`~mmlpose.structures.
                panoptic.camera_from_calibration`).
            image_size (tuple): ``(w, h)`` of the image.

        Returns:
            np.ndarray: ``(N, T, 15, 3)`` float32 millimetres in the loaders'
            world axes; NaN where a person is absent.
        """
        kp, sc = _check_people(keypoints_2d, scores)
        if kp.shape[0] == 0:
            return np.zeros(kp.shape[:3] + (3, ), np.float32)
        return self.place(self.lift_relative(kp, sc, image_size), kp, sc,
                          camera)

    def place(self, relative: np.ndarray, keypoints_2d: np.ndarray,
              scores: np.ndarray, camera: Dict[str, np.ndarray]) -> np.ndarray:
        """Absolute 3D of already lifted people: each person's root
        translation solved from its 2D (confident keypoints, undistorted),
        then camera -> loader axes.

        Args:
            relative (np.ndarray): ``(N, T, 15, 3)`` root-relative metres,
                camera axes (:meth:`lift_relative`).
            keypoints_2d, scores, camera: As :meth:`__call__`.

        Returns:
            np.ndarray: ``(N, T, 15, 3)`` float32 mm, loader axes; NaN where
            a person is absent.
        """
        kp, sc = _check_people(keypoints_2d, scores)
        rel = np.asarray(relative, np.float64)
        if rel.shape != kp.shape[:3] + (3, ):
            raise ValueError(f'relative must have shape {kp.shape[:3] + (3, )}'
                             f', got {rel.shape}')
        present = np.isfinite(kp).all(axis=(2, 3))
        ideal = undistort_pixels(kp, camera)
        f = torch.tensor([camera['fx'], camera['fy']], dtype=torch.float64)
        c = torch.tensor([camera['cx'], camera['cy']], dtype=torch.float64)
        out = np.full(kp.shape[:3] + (3, ), np.nan, np.float64)
        for n in range(kp.shape[0]):
            frames = np.flatnonzero(present[n])
            if len(frames) == 0:
                continue
            weights = (sc[n, frames] >= self.min_score).astype(np.float64)
            trans, _ = _solve_root(
                torch.from_numpy(rel[n, frames]),
                torch.from_numpy(np.nan_to_num(ideal[n, frames])),
                torch.from_numpy(weights), f, c)
            cam_m = rel[n, frames] + trans.numpy()[:, None]
            out[n, frames] = camera_to_world_mm(cam_m * 1000., camera)
        return out.astype(np.float32)


def _solve_root(pose, targets, weights, f, c):
    from mmlpose.engine.tta.geometry import solve_root_translation
    return solve_root_translation(pose, targets, weights, f, c)


def _check_people(keypoints_2d: np.ndarray,
                  scores: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    return keypoints_and_scores(keypoints_2d, scores, 'N, T')
