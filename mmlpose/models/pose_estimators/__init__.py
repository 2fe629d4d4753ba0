# Copyright (c) mmlpose contributors. All rights reserved.
from .cpp import CPP
from .diffusion_pose_lifter import DiffusionPoseLifter
from .hpe_refer_cascade import HPEReferCascade
from .langpose_lifter import LangPoseLifter
from .seq_pose_lifter import SeqPoseLifter

__all__ = [
    'SeqPoseLifter', 'DiffusionPoseLifter', 'LangPoseLifter',
    'HPEReferCascade', 'CPP'
]
