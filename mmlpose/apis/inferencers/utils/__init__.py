# Copyright (c) mmlpose contributors. All rights reserved.
from .inputs import (FrameSource, InputError, collect_inputs,
                     sports2d_demo_video)
from .model_index import (DEFAULT_MODEL, find_model, get_model_aliases,
                          list_models, resolve_model)

__all__ = [
    'FrameSource', 'InputError', 'collect_inputs', 'sports2d_demo_video',
    'DEFAULT_MODEL', 'find_model', 'get_model_aliases', 'list_models',
    'resolve_model'
]
