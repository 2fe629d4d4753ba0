# Copyright (c) mmlpose contributors. All rights reserved.
from .position_referrer import PositionReferrer, spatial_terms

__all__ = ['PositionReferrer', 'spatial_terms']
