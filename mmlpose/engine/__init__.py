# Copyright (c) mmlpose contributors. All rights reserved.
from .cpu_distributed import (CPUDistributedDataParallel,
                              setup_cpu_distributed, teardown_distributed)

__all__ = [
    'CPUDistributedDataParallel', 'setup_cpu_distributed',
    'teardown_distributed'
]
