# Copyright (c) mmlpose contributors. All rights reserved.
from .checkpoint import (CheckpointError, CheckpointNotFoundError,
                         UnsafeCheckpointError, atomic_save,
                         load_model_checkpoint, safe_load)
from .cpu_distributed import (CPUDistributedDataParallel,
                              setup_cpu_distributed, teardown_distributed)
from .hooks import *  # noqa: F401,F403
from .optim_wrappers import CPUAutocastOptimWrapper
from .runner import MMLPoseRunner
from .tta import AdaptationResult, SemanticTTA, build_tta

__all__ = [
    'CPUDistributedDataParallel', 'setup_cpu_distributed',
    'teardown_distributed', 'CPUAutocastOptimWrapper', 'SemanticTTA',
    'AdaptationResult', 'build_tta', 'CheckpointError',
    'CheckpointNotFoundError', 'UnsafeCheckpointError', 'safe_load',
    'load_model_checkpoint', 'atomic_save', 'MMLPoseRunner'
]
