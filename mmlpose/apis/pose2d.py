# Copyright (c) mmlpose contributors. All rights reserved.
"""2D human pose on the embedded default model (MediaPipe BlazePose).

MediaPipe 0.10.21 bundles the BlazePose person detector and the 33-landmark
pose model, so the demo runs offline. Its 33 landmarks are mapped to the 17
Human3.6M joints that the lifters take (see :func:`blazepose_to_h36m`).
"""
from typing import Optional, Tuple

import numpy as np

from mmlpose.structures.keypoint_mapping import (  # noqa: F401 (re-export)
    H36M_JOINT_NAMES, coco_to_h36m)

# BlazePose landmark of each COCO-17 keypoint (nose, eyes, ears, shoulders,
# elbows, wrists, hips, knees, ankles).
BLAZEPOSE_COCO_INDICES = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25,
                          26, 27, 28)

# The head joint (top of the skull) is put beyond the head centre (mid-ears)
# by this fraction of the thorax-to-head-centre distance: 0.103 / 0.175 m on
# the DeepMimic humanoid (about 0.7 on real people, measured from the ear
# canal). The lifters' 2D features use it as it is: the domain-randomised
# default lifter is trained on 2D mapped with this very ratio
# (mmlpose.datasets.virtual_capture.DETECTOR_HEAD_TOP_RATIO).
HEAD_TOP_RATIO = 0.6

MEDIAPIPE_HINT = ('mediapipe is not installed: pip install mediapipe==0.10.21 '
                  '--no-deps absl-py flatbuffers protobuf==4.25.8 attrs')


def blazepose_to_h36m(landmarks: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Map 33 BlazePose landmarks to the 17 Human3.6M joints.

    The 17 COCO-equivalent landmarks (``BLAZEPOSE_COCO_INDICES``) go through
    :func:`mmlpose.structures.keypoint_mapping.coco_to_h36m`: pelvis =
    mid-hips, thorax = mid-shoulders, spine = their mid-point, neck_base =
    mid-ears (the head centre, as in the DeepMimic training skeleton,
    ``docs/deepmimic.md``) and the head top ``HEAD_TOP_RATIO`` (0.6) of the
    thorax-to-neck_base distance beyond it; the limbs are copied. Left and
    right are the person's own sides. The score of a copied joint is the
    landmark's visibility; that of a derived joint the mean of its sources.

    Args:
        landmarks (np.ndarray): ``(33, 3)`` BlazePose landmarks: x, y in
            pixels and the visibility in [0, 1].

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(17, 2)`` float32 pixel keypoints
        and ``(17,)`` float32 scores.
    """
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.shape != (33, 3):
        raise ValueError('landmarks must have shape (33, 3), got '
                         f'{landmarks.shape}')
    coco = landmarks[list(BLAZEPOSE_COCO_INDICES)]
    kpts, scores = coco_to_h36m(
        coco[:, :2], coco[:, 2], head_top_ratio=HEAD_TOP_RATIO)
    return kpts.astype(np.float32), scores.astype(np.float32)


def fill_missing_frames(keypoints: np.ndarray,
                        valid: np.ndarray) -> np.ndarray:
    """Fill frames without a person so that a sequence can be lifted.

    Every coordinate of a frame with ``valid=False`` is linearly interpolated
    in time between the nearest valid frames before and after it; frames
    before the first (after the last) valid frame copy the first (last)
    valid frame. Values stored in invalid frames (zeros, NaN) are ignored.
    The filled frames only feed the lifter: the demo still reports them as
    ``null``.

    Args:
        keypoints (np.ndarray): ``(T, K, 2)`` keypoints.
        valid (np.ndarray): ``(T,)`` bool, whether a person was found.

    Returns:
        np.ndarray: ``(T, K, 2)`` float32 keypoints, a new array.

    Raises:
        ValueError: If the shapes do not match or no frame is valid.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    if keypoints.ndim != 3 or valid.shape != keypoints.shape[:1]:
        raise ValueError('expected keypoints (T, K, D) and valid (T,), got '
                         f'{keypoints.shape} and {valid.shape}')
    if not valid.any():
        raise ValueError('no valid frame to fill from')
    num_frames = len(keypoints)
    flat = keypoints.reshape(num_frames, -1)
    t = np.arange(num_frames)
    t_valid = t[valid]
    filled = np.empty_like(flat)
    for c in range(flat.shape[1]):
        # np.interp holds the end values outside [t_valid[0], t_valid[-1]].
        filled[:, c] = np.interp(t, t_valid, flat[valid, c])
    return filled.reshape(keypoints.shape).astype(np.float32)


class MediaPipePose2D:
    """Single-person 2D pose with MediaPipe BlazePose, in H36M joints.

    Args:
        model_complexity (int): BlazePose landmark model, 0 (lite), 1 (full)
            or 2 (heavy). mediapipe 0.10.21 bundles 0 and 1 (2 would need a
            download). Defaults to 1.
        static_image_mode (bool): Detect the person in every frame instead of
            tracking between frames. True for unrelated images, False for
            video. Defaults to False.
        smooth_landmarks (bool): Temporal smoothing of the landmarks (video
            mode only). Defaults to True.
        min_detection_confidence (float): Person detection threshold.
            Defaults to 0.5.
        min_tracking_confidence (float): Below this, the tracker falls back
            to detection. Defaults to 0.5.

    Example:
        >>> with MediaPipePose2D(static_image_mode=True) as pose2d:
        ...     result = pose2d(frame_bgr)
        >>> if result is not None:
        ...     keypoints, scores = result  # (17, 2) pixels, (17,)
    """

    def __init__(self,
                 model_complexity: int = 1,
                 static_image_mode: bool = False,
                 smooth_landmarks: bool = True,
                 min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5) -> None:
        try:
            import mediapipe as mp
        except ImportError as e:
            raise ImportError(MEDIAPIPE_HINT) from e
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=static_image_mode,
            model_complexity=model_complexity,
            smooth_landmarks=smooth_landmarks,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence)

    def __call__(
            self,
            frame_bgr: np.ndarray) -> Optional[Tuple[np.ndarray, np.ndarray]]:
        """Estimate the pose of the most prominent person in a frame.

        Args:
            frame_bgr (np.ndarray): ``(H, W, 3)`` uint8 BGR image (as read by
                cv2).

        Returns:
            tuple | None: ``(17, 2)`` float32 H36M keypoints in pixels and
            ``(17,)`` float32 scores (MediaPipe visibility), or None when no
            person is found.
        """
        if frame_bgr is None or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
            raise ValueError('expected an (H, W, 3) BGR image')
        import cv2
        h, w = frame_bgr.shape[:2]
        # cv2 is ~15x faster than a numpy channel flip on large frames
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        results = self._pose.process(rgb)
        if results.pose_landmarks is None:
            return None
        landmarks = np.array([[lm.x * w, lm.y * h, lm.visibility]
                              for lm in results.pose_landmarks.landmark],
                             dtype=np.float64)
        return blazepose_to_h36m(landmarks)

    def close(self) -> None:
        """Release MediaPipe's graph."""
        if self._pose is not None:
            self._pose.close()
            self._pose = None

    def __enter__(self) -> 'MediaPipePose2D':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
