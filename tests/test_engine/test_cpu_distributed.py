# Copyright (c) mmlpose contributors. All rights reserved.
"""CPU distributed set-up and teardown (gloo).

The teardown check runs in a subprocess: a process group created inside the
pytest worker would make every later test in that worker look distributed
if an assertion failed before the group was destroyed.
"""
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from mmengine.config import Config

from mmlpose.engine import setup_cpu_distributed

torch.set_num_threads(1)

TEARDOWN_SCRIPT = textwrap.dedent('''
    import weakref

    import torch
    import torch.distributed as dist

    from mmlpose.engine import (CPUDistributedDataParallel,
                                teardown_distributed)

    torch.set_num_threads(1)
    store = dist.FileStore({store!r}, 1)
    dist.init_process_group('gloo', store=store, rank=0, world_size=1)


    class Holder:
        """Stands in for mmengine's runner: a cycle holding the wrapper."""


    def run():
        holder = Holder()
        holder.itself = holder
        holder.model = CPUDistributedDataParallel(torch.nn.Linear(2, 1),
                                                  device_ids=[0])
        holder.model(torch.ones(3, 2)).sum().backward()
        return weakref.ref(holder.model)


    wrapper = run()
    print('alive before teardown:', wrapper() is not None)
    teardown_distributed()
    print('alive after teardown:', wrapper() is not None)
    print('initialized after teardown:', dist.is_initialized())
    teardown_distributed()  # a second call (no group left) is a no-op
    print('done')
''')


def test_teardown_frees_the_ddp_cycle_and_destroys_the_group(tmp_path):
    script = TEARDOWN_SCRIPT.format(store=str(tmp_path / 'store'))
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, '-c', script],
                          capture_output=True, text=True, timeout=300,
                          env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    # the wrapper outlives the function that built it (reference cycle) ...
    assert 'alive before teardown: True' in lines
    # ... and teardown collects it before destroying the group
    assert 'alive after teardown: False' in lines
    assert 'initialized after teardown: False' in lines
    assert lines[-1] == 'done'


def test_setup_leaves_non_distributed_configs_alone():
    cfg = Config(dict(launcher='none'))
    setup_cpu_distributed(cfg)
    assert 'model_wrapper_cfg' not in cfg
    assert 'env_cfg' not in cfg


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_setup_refuses_launchers_other_than_torchrun_without_a_gpu():
    with pytest.raises(RuntimeError, match='launcher "slurm" without a GPU'):
        setup_cpu_distributed(Config(dict(launcher='slurm')))
