# Copyright (c) mmlpose contributors. All rights reserved.
from .seq_pose_lifter import SeqPoseLifter

__all__ = ['SeqPoseLifter']
