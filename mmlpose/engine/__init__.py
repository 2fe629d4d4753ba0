# Copyright (c) mmlpose contributors. All rights reserved.
from .cpu_distributed import (CPUDistributedDataParallel,
                              setup_cpu_distributed, teardown_distributed)
from .hooks import *  # noqa: F401,F403
from .optim_wrappers import CPUAutocastOptimWrapper

__all__ = [
    'CPUDistributedDataParallel', 'setup_cpu_distributed',
    'teardown_distributed', 'CPUAutocastOptimWrapper'
]
