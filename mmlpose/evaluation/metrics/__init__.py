# Copyright (c) mmlpose contributors. All rights reserved.
from .lifting_metrics import PCK3D, ActionMPJPE, MultiHypothesisMPJPE

__all__ = ['ActionMPJPE', 'PCK3D', 'MultiHypothesisMPJPE']
