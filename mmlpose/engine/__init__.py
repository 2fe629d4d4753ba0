# Copyright (c) mmlpose contributors. All rights reserved.
from .cpu_distributed import (CPUDistributedDataParallel,
                              setup_cpu_distributed, teardown_distributed)
from .hooks import *  # noqa: F401,F403
from .optim_wrappers import CPUAutocastOptimWrapper
from .tta import AdaptationResult, SemanticTTA, build_tta

__all__ = [
    'CPUDistributedDataParallel', 'setup_cpu_distributed',
    'teardown_distributed', 'CPUAutocastOptimWrapper', 'SemanticTTA',
    'AdaptationResult', 'build_tta'
]
