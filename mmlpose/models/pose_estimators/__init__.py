# Copyright (c) mmlpose contributors. All rights reserved.
from .diffusion_pose_lifter import DiffusionPoseLifter
from .seq_pose_lifter import SeqPoseLifter

__all__ = ['SeqPoseLifter', 'DiffusionPoseLifter']
