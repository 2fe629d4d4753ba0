# Copyright (c) mmlpose contributors. All rights reserved.
"""Test-time adaptation of lifters to one video."""
from .geometry import (acceleration_loss, ema_update, project_pose,
                       render_virtual_views, solve_root_translation)
from .semantic_tta import AdaptationResult, SemanticTTA, build_tta

__all__ = [
    'SemanticTTA', 'AdaptationResult', 'build_tta', 'solve_root_translation',
    'project_pose', 'acceleration_loss', 'render_virtual_views', 'ema_update'
]
