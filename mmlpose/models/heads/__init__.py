# Copyright (c) mmlpose contributors. All rights reserved.
from .seq_regression_head import SeqRegressionHead

__all__ = ['SeqRegressionHead']
