# Copyright (c) mmlpose contributors. All rights reserved.
from .checkpoint_hook import CheckpointHook
from .lifting_visualization_hook import LiftingVisualizationHook

__all__ = ['CheckpointHook', 'LiftingVisualizationHook']
