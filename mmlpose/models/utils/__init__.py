# Copyright (c) mmlpose contributors. All rights reserved.
from .diffusion_scheduler import PoseDDIMScheduler
from .finepose_converter import convert_finepose_state_dict
from .jpma import (back_project_root, camera_intrinsics, jpma_aggregate,
                   jpma_select)
from .pose_flip import flip_pose, root_relative

__all__ = [
    'flip_pose', 'root_relative', 'PoseDDIMScheduler', 'jpma_aggregate',
    'jpma_select', 'camera_intrinsics', 'back_project_root',
    'convert_finepose_state_dict'
]
