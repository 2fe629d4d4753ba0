# Copyright (c) mmlpose contributors. All rights reserved.
"""Distributed training without GPUs (gloo on CPU processes).

mmengine 0.10 calls ``torch.cuda.set_device`` when it initialises a
``pytorch`` launcher and passes ``device_ids`` to DDP, both of which fail on
machines without a GPU. :func:`setup_cpu_distributed` initialises the gloo
process group itself and selects a DDP wrapper that leaves ``device_ids``
unset for CPU modules; GPU runs are left to mmengine unchanged.
"""
import gc
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS


# mmengine's runner looks the wrapper up in the root registry by name (no
# scope search), so this one is registered there.
@MMENGINE_MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """:class:`MMDistributedDataParallel` for modules on the CPU: the
    ``device_ids`` that mmengine's runner passes are dropped."""

    def __init__(self, module, device_ids=None, **kwargs):
        super().__init__(module=module, device_ids=None, **kwargs)


def setup_cpu_distributed(cfg: Config) -> None:
    """Prepare ``cfg`` for a distributed run when no GPU is present.

    Does nothing for ``launcher='none'`` or when CUDA is available. For the
    ``pytorch`` launcher (torchrun) it initialises a gloo process group from
    the environment and sets ``cfg.model_wrapper_cfg`` to
    :class:`CPUDistributedDataParallel`.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    if cfg.launcher != 'pytorch':
        raise RuntimeError(
            f'launcher "{cfg.launcher}" without a GPU is not supported; use '
            'tools/dist_train.sh (torchrun, gloo) for CPU processes')
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    cfg.model_wrapper_cfg = dict(type='CPUDistributedDataParallel')


def teardown_distributed() -> None:
    """Free unreachable objects, then destroy the process group (if any).

    mmengine's runner and its DDP wrapper sit in reference cycles, so they
    outlive ``runner.train()`` / ``runner.test()`` until a garbage collection;
    the DDP reducer holds the gloo group. Left to interpreter shutdown, the
    group's worker threads are torn down while Python is half gone and a rank
    can abort ("terminate called without an active exception"). Callers drop
    their own references to the runner before calling this.
    """
    gc.collect()
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
