# Copyright (c) mmlpose contributors. All rights reserved.
"""2D human pose on the embedded default model (MediaPipe BlazePose).

MediaPipe 0.10.21 bundles the BlazePose person detector and the 33-landmark
pose model, so the demo runs offline. Its 33 landmarks are mapped to the 17
Human3.6M joints that the lifters take (see :func:`blazepose_to_h36m`).
"""
from typing import Optional, Tuple

import numpy as np

# The 17 Human3.6M joints, in the order of mmpose's ``h36m`` metainfo.
H36M_JOINT_NAMES = ('root', 'right_hip', 'right_knee', 'right_foot',
                    'left_hip', 'left_knee', 'left_foot', 'spine', 'thorax',
                    'neck_base', 'head', 'left_shoulder', 'left_elbow',
                    'left_wrist', 'right_shoulder', 'right_elbow',
                    'right_wrist')

# BlazePose landmark indices used by the mapping.
_BP = dict(
    left_ear=7,
    right_ear=8,
    left_shoulder=11,
    right_shoulder=12,
    left_elbow=13,
    right_elbow=14,
    left_wrist=15,
    right_wrist=16,
    left_hip=23,
    right_hip=24,
    left_knee=25,
    right_knee=26,
    left_ankle=27,
    right_ankle=28)

# H36M joints copied one-to-one from a BlazePose landmark.
_DIRECT = {
    1: _BP['right_hip'],
    2: _BP['right_knee'],
    3: _BP['right_ankle'],
    4: _BP['left_hip'],
    5: _BP['left_knee'],
    6: _BP['left_ankle'],
    11: _BP['left_shoulder'],
    12: _BP['left_elbow'],
    13: _BP['left_wrist'],
    14: _BP['right_shoulder'],
    15: _BP['right_elbow'],
    16: _BP['right_wrist'],
}

# The head joint (top of the skull) is put beyond the head centre (mid-ears)
# by this fraction of the thorax-to-head-centre distance: 0.103 / 0.175 m on
# the DeepMimic humanoid that the default lifter is trained on (about 0.7 on
# real people, measured from the ear canal).
HEAD_TOP_RATIO = 0.6

MEDIAPIPE_HINT = ('mediapipe is not installed: pip install mediapipe==0.10.21 '
                  '--no-deps absl-py flatbuffers protobuf==4.25.8 attrs')


def blazepose_to_h36m(landmarks: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Map 33 BlazePose landmarks to the 17 Human3.6M joints.

    ===  ==============  ==================================================
    idx  H36M joint      from BlazePose (landmark index)
    ===  ==============  ==================================================
    0    root (pelvis)   mid-point of left_hip (23) and right_hip (24)
    1    right_hip       right_hip (24)
    2    right_knee      right_knee (26)
    3    right_foot      right_ankle (28)
    4    left_hip        left_hip (23)
    5    left_knee       left_knee (25)
    6    left_foot       left_ankle (27)
    7    spine           mid-point of pelvis (0) and thorax (8)
    8    thorax          mid-point of left (11) and right (12) shoulders
    9    neck_base       mid-point of left_ear (7) and right_ear (8): the
                         centre of the head, as in the DeepMimic training
                         skeleton (docs/deepmimic.md)
    10   head            neck_base moved away from the thorax by
                         ``HEAD_TOP_RATIO`` (0.6) of the thorax-to-neck_base
                         distance: the top of the head
    11   left_shoulder   left_shoulder (11)
    12   left_elbow      left_elbow (13)
    13   left_wrist      left_wrist (15)
    14   right_shoulder  right_shoulder (12)
    15   right_elbow     right_elbow (14)
    16   right_wrist     right_wrist (16)
    ===  ==============  ==================================================

    Left and right are the person's own sides, as in both skeletons. The
    score of a copied joint is the landmark's visibility; the score of a
    derived joint is the mean visibility of the landmarks it comes from.

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
    xy, vis = landmarks[:, :2], landmarks[:, 2]
    kpts = np.zeros((17, 2), dtype=np.float64)
    scores = np.zeros(17, dtype=np.float64)

    for h36m_idx, bp_idx in _DIRECT.items():
        kpts[h36m_idx] = xy[bp_idx]
        scores[h36m_idx] = vis[bp_idx]

    def mean_of(*idx: int) -> Tuple[np.ndarray, float]:
        return xy[list(idx)].mean(axis=0), float(vis[list(idx)].mean())

    kpts[0], scores[0] = mean_of(_BP['left_hip'], _BP['right_hip'])
    kpts[8], scores[8] = mean_of(_BP['left_shoulder'], _BP['right_shoulder'])
    kpts[7] = (kpts[0] + kpts[8]) / 2
    scores[7] = (scores[0] + scores[8]) / 2
    kpts[9], scores[9] = mean_of(_BP['left_ear'], _BP['right_ear'])
    kpts[10] = kpts[9] + HEAD_TOP_RATIO * (kpts[9] - kpts[8])
    scores[10] = scores[9]
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
