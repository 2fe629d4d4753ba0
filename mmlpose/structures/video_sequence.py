# Copyright (c) mmlpose contributors. All rights reserved.
"""One person's 2D keypoint sequence in one video, with optional 3D truth.

The unit of test-time adaptation: :class:`mmlpose.engine.SemanticTTA` adapts
a lifter to one :class:`VideoSequence`, and datasets that support
per-video evaluation (``video_sequences()``: the randomised DeepMimic
scenes, 3DPW) yield them.
"""
from dataclasses import dataclass, field
from typing import Optional, Tuple

import numpy as np


@dataclass
class VideoSequence:
    """A person's 2D sequence (the lifter's input) and its truth.

    Attributes:
        name (str): Identifier, e.g. ``'courtyard_basketball_00/person0'``.
        keypoints_2d (np.ndarray): ``(T, K, 2)`` pixel coordinates.
        keypoint_scores (np.ndarray): ``(T, K)`` detector confidences in
            [0, 1]; a keypoint below the adapter's score threshold is
            "missing".
        image_size (tuple): ``(w, h)`` of the images in pixels.
        action_text (str, optional): What the person does (the adaptation's
            motion-text prompt).
        keypoints_3d (np.ndarray, optional): ``(T, K, 3)`` ground truth in
            the camera frame (metres, x right, y down, z forward).
        keypoints_3d_visible (np.ndarray, optional): ``(T, K)`` bool, where
            the ground truth is valid (all True when None).
        meta (dict): Anything else (camera, source file, frame ids).
    """
    name: str
    keypoints_2d: np.ndarray
    keypoint_scores: np.ndarray
    image_size: Tuple[int, int]
    action_text: Optional[str] = None
    keypoints_3d: Optional[np.ndarray] = None
    keypoints_3d_visible: Optional[np.ndarray] = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keypoints_2d = np.asarray(self.keypoints_2d, dtype=np.float32)
        if self.keypoints_2d.ndim != 3 or self.keypoints_2d.shape[-1] != 2:
            raise ValueError(f'{self.name}: keypoints_2d must have shape '
                             f'(T, K, 2), got {self.keypoints_2d.shape}')
        if len(self.keypoints_2d) == 0:
            raise ValueError(f'{self.name}: the sequence has no frame')
        self.keypoint_scores = np.asarray(
            self.keypoint_scores, dtype=np.float32)
        if self.keypoint_scores.shape != self.keypoints_2d.shape[:2]:
            raise ValueError(
                f'{self.name}: keypoint_scores must have shape (T, K) = '
                f'{self.keypoints_2d.shape[:2]}, got '
                f'{self.keypoint_scores.shape}')
        if len(self.image_size) != 2 or min(self.image_size) <= 0:
            raise ValueError(f'{self.name}: image_size must be (w, h) > 0, '
                             f'got {self.image_size}')
        self.image_size = (int(self.image_size[0]), int(self.image_size[1]))
        if self.keypoints_3d is not None:
            self.keypoints_3d = np.asarray(self.keypoints_3d, np.float32)
            if self.keypoints_3d.shape != self.keypoints_2d.shape[:2] + (3, ):
                raise ValueError(
                    f'{self.name}: keypoints_3d must have shape (T, K, 3) = '
                    f'{self.keypoints_2d.shape[:2] + (3, )}, got '
                    f'{self.keypoints_3d.shape}')
            if self.keypoints_3d_visible is None:
                self.keypoints_3d_visible = np.ones(
                    self.keypoints_3d.shape[:2], dtype=bool)
            self.keypoints_3d_visible = np.asarray(
                self.keypoints_3d_visible).astype(bool)
            if self.keypoints_3d_visible.shape != self.keypoints_3d.shape[:2]:
                raise ValueError(
                    f'{self.name}: keypoints_3d_visible must have shape '
                    f'(T, K), got {self.keypoints_3d_visible.shape}')

    @property
    def num_frames(self) -> int:
        """T."""
        return len(self.keypoints_2d)
