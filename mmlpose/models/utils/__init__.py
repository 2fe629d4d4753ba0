# Copyright (c) mmlpose contributors. All rights reserved.
from .diffusion_scheduler import PoseDDIMScheduler
from .finepose_converter import convert_finepose_state_dict
from .jpma import (back_project_root, jpma_aggregate, jpma_select,
                   normalized_intrinsics)
from .pose_flip import flip_pose

__all__ = [
    'flip_pose', 'PoseDDIMScheduler', 'jpma_aggregate', 'jpma_select',
    'normalized_intrinsics', 'back_project_root',
    'convert_finepose_state_dict'
]
