# Copyright (c) mmlpose contributors. All rights reserved.
from .inference import init_lifter, lift_multi_person, lift_sequence
from .inferencers import (LiftingInferencer, MMLPoseInferencer,
                          get_model_aliases, list_models)
from .pose2d import (H36M_JOINT_NAMES, MediaPipePose2D, blazepose_to_h36m,
                     fill_missing_frames)

__all__ = [
    'init_lifter', 'lift_sequence', 'lift_multi_person', 'MediaPipePose2D',
    'blazepose_to_h36m', 'fill_missing_frames', 'H36M_JOINT_NAMES',
    'MMLPoseInferencer', 'LiftingInferencer', 'get_model_aliases',
    'list_models'
]
