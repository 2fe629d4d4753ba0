# Copyright (c) mmlpose contributors. All rights reserved.
from .absent_frames import ZeroFillAbsentFrames
from .motion_masking import (H36M_BODY_PARTS, Add2DNoise, MaskBodyParts,
                             MaskTimeWindows, RandomJointFrameMask)

__all__ = [
    'ZeroFillAbsentFrames', 'H36M_BODY_PARTS', 'MaskBodyParts',
    'MaskTimeWindows', 'RandomJointFrameMask', 'Add2DNoise'
]
