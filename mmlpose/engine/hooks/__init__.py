# Copyright (c) mmlpose contributors. All rights reserved.
from .lifting_visualization_hook import LiftingVisualizationHook

__all__ = ['LiftingVisualizationHook']
