# Copyright (c) mmlpose contributors. All rights reserved.
from .contrastive_loss import InfoNCELoss
from .lifting_losses import (MPJVELoss, TemporalConsistencyLoss,
                             WeightedMPJPELoss)

__all__ = [
    'WeightedMPJPELoss', 'MPJVELoss', 'TemporalConsistencyLoss', 'InfoNCELoss'
]
