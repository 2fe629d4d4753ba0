# Copyright (c) mmlpose contributors. All rights reserved.
from .joint_subset_mpjpe import JointSubsetMPJPE
from .l3dhpe_metric import L3DHPEMetric
from .lifting_metrics import PCK3D, ActionMPJPE, MultiHypothesisMPJPE
from .retrieval_metric import MotionTextRetrieval

__all__ = [
    'ActionMPJPE', 'PCK3D', 'MultiHypothesisMPJPE', 'MotionTextRetrieval',
    'JointSubsetMPJPE', 'L3DHPEMetric'
]
