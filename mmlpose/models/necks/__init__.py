# Copyright (c) mmlpose contributors. All rights reserved.
from .cpp_fusion import BodyFusionBlock, MaskFusionBlock
from .pose_upsample_neck import PoseDeconvNeck

__all__ = ['PoseDeconvNeck', 'BodyFusionBlock', 'MaskFusionBlock']
