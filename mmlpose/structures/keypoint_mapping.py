# Copyright (c) mmlpose contributors. All rights reserved.
"""Map COCO-17 keypoints (2D or 3D) to the 17 Human3.6M joints.

COCO's body keypoints have no pelvis, spine, thorax or top of the head; they
are derived as below. The same mapping serves 2D detections (BlazePose's
COCO-equivalent landmarks in the demo) and 3D ground truth (EgoHumans).

===  ==============  =====================================================
idx  H36M joint      from COCO-17 (keypoint index)
===  ==============  =====================================================
0    root (pelvis)   mid-point of left_hip (11) and right_hip (12)
1    right_hip       right_hip (12)
2    right_knee      right_knee (14)
3    right_foot      right_ankle (16)
4    left_hip        left_hip (11)
5    left_knee       left_knee (13)
6    left_foot       left_ankle (15)
7    spine           mid-point of pelvis (0) and thorax (8)
8    thorax          mid-point of left (5) and right (6) shoulders
9    neck_base       mid-point of left_ear (3) and right_ear (4): the
                     centre of the head
10   head            neck_base moved away from the thorax by
                     ``head_top_ratio`` of the thorax-to-neck_base
                     distance: the top of the head
11   left_shoulder   left_shoulder (5)
12   left_elbow      left_elbow (7)
13   left_wrist      left_wrist (9)
14   right_shoulder  right_shoulder (6)
15   right_elbow     right_elbow (8)
16   right_wrist     right_wrist (10)
===  ==============  =====================================================

Left and right are the person's own sides in both skeletons.
"""
from typing import Optional, Tuple

import numpy as np

# The 17 Human3.6M joints, in the order of mmpose's ``h36m`` metainfo.
H36M_JOINT_NAMES = ('root', 'right_hip', 'right_knee', 'right_foot',
                    'left_hip', 'left_knee', 'left_foot', 'spine', 'thorax',
                    'neck_base', 'head', 'left_shoulder', 'left_elbow',
                    'left_wrist', 'right_shoulder', 'right_elbow',
                    'right_wrist')

COCO_JOINT_NAMES = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
                    'left_shoulder', 'right_shoulder', 'left_elbow',
                    'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
                    'right_hip', 'left_knee', 'right_knee', 'left_ankle',
                    'right_ankle')

# H36M joints copied one-to-one from a COCO keypoint.
H36M_FROM_COCO = {
    1: 12,
    2: 14,
    3: 16,
    4: 11,
    5: 13,
    6: 15,
    11: 5,
    12: 7,
    13: 9,
    14: 6,
    15: 8,
    16: 10,
}

# Top of the head beyond the mid-ears, as a fraction of the thorax-to-mid-ears
# distance, on real people (ear canal to vertex about 0.13 m, thorax to ear
# canal about 0.19 m).
HEAD_TOP_RATIO_HUMAN = 0.7


def coco_to_h36m(
    keypoints: np.ndarray,
    scores: Optional[np.ndarray] = None,
    head_top_ratio: float = HEAD_TOP_RATIO_HUMAN
) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Map ``(..., 17, D)`` COCO keypoints to ``(..., 17, D)`` H36M joints.

    Args:
        keypoints (np.ndarray): COCO-17 coordinates, any leading axes, any
            coordinate dimension ``D`` (2 for pixels, 3 for 3D).
        scores (np.ndarray, optional): ``(..., 17)`` confidences or
            visibilities. A copied joint keeps its keypoint's score, a derived
            one gets the mean of the keypoints it comes from.
        head_top_ratio (float): See the module docstring.

    Returns:
        tuple: the H36M coordinates (same dtype as the input) and scores
        (``None`` when ``scores`` is ``None``).
    """
    keypoints = np.asarray(keypoints)
    if keypoints.ndim < 2 or keypoints.shape[-2] != 17:
        raise ValueError('COCO keypoints must have shape (..., 17, D), got '
                         f'{keypoints.shape}')
    if scores is not None:
        scores = np.asarray(scores)
        if scores.shape != keypoints.shape[:-1]:
            raise ValueError(f'scores of shape {scores.shape} do not match '
                             f'keypoints of shape {keypoints.shape}')
    out = np.zeros_like(keypoints)
    out_scores = None if scores is None else np.zeros_like(scores)

    def mean_of(dst: int, *src: int) -> None:
        out[..., dst, :] = keypoints[..., list(src), :].mean(axis=-2)
        if scores is not None:
            out_scores[..., dst] = scores[..., list(src)].mean(axis=-1)

    for h36m_idx, coco_idx in H36M_FROM_COCO.items():
        out[..., h36m_idx, :] = keypoints[..., coco_idx, :]
        if scores is not None:
            out_scores[..., h36m_idx] = scores[..., coco_idx]
    mean_of(0, 11, 12)
    mean_of(8, 5, 6)
    out[..., 7, :] = (out[..., 0, :] + out[..., 8, :]) / 2
    mean_of(9, 3, 4)
    out[..., 10, :] = out[..., 9, :] + head_top_ratio * (
        out[..., 9, :] - out[..., 8, :])
    if scores is not None:
        out_scores[..., 7] = (out_scores[..., 0] + out_scores[..., 8]) / 2
        out_scores[..., 10] = out_scores[..., 9]
    return out, out_scores
