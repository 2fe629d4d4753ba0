# Copyright (c) mmlpose contributors. All rights reserved.
from .lifting_inferencer import LiftingInferencer
from .mmlpose_inferencer import MMLPoseInferencer
from .utils import (FrameSource, InputError, collect_inputs,
                    get_model_aliases, list_models, resolve_model,
                    sports2d_demo_video)

__all__ = [
    'LiftingInferencer', 'MMLPoseInferencer', 'FrameSource', 'InputError',
    'collect_inputs', 'get_model_aliases', 'list_models', 'resolve_model',
    'sports2d_demo_video'
]
