# Copyright (c) mmlpose contributors. All rights reserved.
from .absent_frames import ZeroFillAbsentFrames
from .detection_simulation import SimulateDetections2D, colour_features
from .l3dhpe_transforms import (GenerateVoxelPoseTargets, LoadL3DFrames,
                                LoadReferMask, PackL3DInputs, ResizeL3D)
from .motion_masking import (H36M_BODY_PARTS, Add2DNoise, MaskBodyParts,
                             MaskTimeWindows, RandomJointFrameMask)

__all__ = [
    'ZeroFillAbsentFrames', 'H36M_BODY_PARTS', 'MaskBodyParts',
    'MaskTimeWindows', 'RandomJointFrameMask', 'Add2DNoise',
    'SimulateDetections2D', 'colour_features', 'LoadL3DFrames',
    'LoadReferMask', 'ResizeL3D', 'GenerateVoxelPoseTargets', 'PackL3DInputs'
]
