# Copyright (c) mmlpose contributors. All rights reserved.
from .diffusion_lifting_head import DiffusionLiftingHead
from .seq_regression_head import SeqRegressionHead

__all__ = ['SeqRegressionHead', 'DiffusionLiftingHead']
