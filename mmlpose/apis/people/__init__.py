# Copyright (c) mmlpose contributors. All rights reserved.
"""Every person of a video, offline: detection (BlazePose detector),
tracking (Hungarian matching), 2D pose and mask (BlazePose landmarks)."""
from .detector import (BlazePoseDetector, alignment_roi, box_iou,
                       generate_ssd_anchors, roi_to_box, square_tiles,
                       weighted_nms)
from .landmarker import BlazePoseLandmarker, roi_crop_matrix
from .multi_person import MultiPersonPose2D
from .tracker import HungarianTracker, bhattacharyya_distance, hsv_histogram

__all__ = [
    'BlazePoseDetector', 'BlazePoseLandmarker', 'HungarianTracker',
    'MultiPersonPose2D', 'generate_ssd_anchors', 'weighted_nms', 'box_iou',
    'alignment_roi', 'roi_to_box', 'square_tiles', 'roi_crop_matrix',
    'hsv_histogram', 'bhattacharyya_distance'
]
