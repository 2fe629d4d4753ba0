# Copyright (c) mmlpose contributors. All rights reserved.
from .pose_upsample_neck import PoseDeconvNeck

__all__ = ['PoseDeconvNeck']
