# Copyright (c) mmlpose contributors. All rights reserved.
from .association import associate_window, gather_tracks
from .diffusion_scheduler import PoseDDIMScheduler
from .finepose_converter import convert_finepose_state_dict
from .jpma import (back_project_root, camera_intrinsics, jpma_aggregate,
                   jpma_select)
from .l3d_data_preprocessor import L3DDataPreprocessor
from .person_lifting import PersonLifter
from .pose_flip import flip_pose, root_relative
from .query_parts import (MLP, TextCrossAttention, box_cxcywh_to_xyxy,
                          box_xyxy_to_cxcywh, dynamic_mask_logits,
                          hungarian_match, mask_to_box, memory_fpn)

__all__ = [
    'flip_pose', 'root_relative', 'PoseDDIMScheduler', 'jpma_aggregate',
    'jpma_select', 'camera_intrinsics', 'back_project_root',
    'convert_finepose_state_dict', 'PersonLifter',
    'associate_window', 'gather_tracks', 'L3DDataPreprocessor', 'MLP',
    'TextCrossAttention', 'box_cxcywh_to_xyxy', 'box_xyxy_to_cxcywh',
    'dynamic_mask_logits', 'hungarian_match', 'mask_to_box', 'memory_fpn'
]
