# Copyright (c) mmlpose contributors. All rights reserved.
"""MMLPoseRunner on CPU: a training killed with SIGKILL and resumed with
``--resume`` ends with exactly the weights of the run never interrupted,
and a kill in the middle of a checkpoint save leaves the previous
checkpoint intact and resumable.

Tiny MixSTE on 64 DeepMimic windows (2 iterations per epoch), 4 epochs,
no validation. One uninterrupted run (in parallel) and one chain:
killed right after the epoch-2 checkpoint -> resumed, killed in the middle
of writing epoch_3.pth -> resumed to the end.
"""
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest
import torch

torch.set_num_threads(1)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'mixste',
                  'mixste_tiny-27frm_1xb32-60e_deepmimic.py')
ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
TRAIN_INDICES = '[' + ','.join(str(i) for i in range(0, 512, 8)) + ']'

# tools/train.py with a kill switch: KILL_AFTER_EPOCH=N kills the process
# with SIGKILL once epoch N's checkpoint and last_checkpoint are written;
# KILL_DURING_SAVE=N writes half of epoch_N.pth, then kills.
DRIVER = r'''
import os, runpy, signal, sys
sys.path.insert(0, os.path.join(REPO, 'tools'))
from mmlpose.engine import checkpoint as ckpt
from mmlpose.engine.hooks.checkpoint_hook import CheckpointHook

after = os.environ.get('KILL_AFTER_EPOCH')
during = os.environ.get('KILL_DURING_SAVE')
if after:
    original = CheckpointHook.after_train_epoch
    def after_train_epoch(self, runner):
        original(self, runner)
        if runner.epoch + 1 == int(after):
            os.kill(os.getpid(), signal.SIGKILL)
    CheckpointHook.after_train_epoch = after_train_epoch
if during:
    write = ckpt._write_bytes
    def half_then_kill(f, data):
        if os.path.basename(f.name).startswith('.epoch_%s.pth' % during):
            f.write(data[:len(data) // 2])
            f.flush()
            os.fsync(f.fileno())
            os.kill(os.getpid(), signal.SIGKILL)
        write(f, data)
    ckpt._write_bytes = half_then_kill
sys.argv = ['tools/train.py'] + sys.argv[1:]
runpy.run_path(os.path.join(REPO, 'tools', 'train.py'), run_name='__main__')
'''


def command(driver, work_dir, root, resume=False):
    return [
        sys.executable,
        str(driver),
        CONFIG,
        '--work-dir',
        str(work_dir),
        '--no-validate',
        *(['--resume'] if resume else []),
        '--cfg-options',
        f'train_dataloader.dataset.data_root={root}',
        f'train_dataloader.dataset.indices={TRAIN_INDICES}',
        'train_cfg.max_epochs=4',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.save_best=None',
        'default_hooks.logger.interval=1',
    ]


def run(cmd, **env):
    return subprocess.run(
        cmd,
        cwd=REPO,
        env=dict(ENV, **env),
        capture_output=True,
        text=True,
        timeout=300)


@pytest.fixture(scope='module')
def runs(deepmimic_root, tmp_path_factory):
    base = tmp_path_factory.mktemp('resume')
    driver = base / 'train_with_kill.py'
    driver.write_text(f'REPO = {REPO!r}\n' + DRIVER)
    straight, chain = base / 'straight', base / 'chain'
    # the uninterrupted run, in parallel with the interrupted chain
    proc = subprocess.Popen(
        command(driver, straight, deepmimic_root),
        cwd=REPO,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True)
    info = {}
    try:
        first = run(
            command(driver, chain, deepmimic_root), KILL_AFTER_EPOCH='2')
        assert first.returncode == -signal.SIGKILL, first.stderr[-3000:]
        info['after_kill'] = sorted(p.name for p in chain.iterdir())
        second = run(
            command(driver, chain, deepmimic_root, resume=True),
            KILL_DURING_SAVE='3')
        assert second.returncode == -signal.SIGKILL, second.stderr[-3000:]
        info['second_log'] = second.stdout + second.stderr
        info['after_torn_save'] = sorted(p.name for p in chain.iterdir())
        info['last_checkpoint'] = (chain / 'last_checkpoint').read_text()
        from mmlpose.engine.checkpoint import safe_load
        info['epoch_2'] = safe_load(str(chain / 'epoch_2.pth'))
        third = run(command(driver, chain, deepmimic_root, resume=True))
        assert third.returncode == 0, third.stderr[-3000:]
        info['third_log'] = third.stdout + third.stderr
    finally:
        _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    info.update(straight=straight, chain=chain)
    return info


def weights(path):
    from mmlpose.engine.checkpoint import safe_load
    return safe_load(str(path))['state_dict']


def test_resume_after_kill_matches_uninterrupted_run(runs):
    assert {'epoch_2.pth', 'last_checkpoint'} <= set(runs['after_kill'])
    assert 'resumed epoch: 2' in runs['second_log']
    straight = weights(runs['straight'] / 'epoch_4.pth')
    resumed = weights(runs['chain'] / 'epoch_4.pth')
    assert straight.keys() == resumed.keys()
    different = [
        k for k in straight if not torch.equal(straight[k], resumed[k])
    ]
    assert not different, different[:5]
    # the checkpoint carries the random states and the sampler position
    rng = runs['epoch_2']['rng_state']
    assert {'python', 'numpy', 'torch', 'sampler_seed',
            'sampler_epoch'} <= set(rng)
    assert rng['sampler_epoch'] == 1 and rng['sampler_seed'] == 0


def test_kill_during_save_keeps_previous_checkpoint(runs):
    # the half-written epoch_3 is only a temporary file; epoch_2 and
    # last_checkpoint (pointing to it) are intact
    names = runs['after_torn_save']
    assert 'epoch_3.pth' not in names
    assert any(n.startswith('.epoch_3.pth.tmp') for n in names), names
    assert runs['last_checkpoint'].endswith('epoch_2.pth')
    assert runs['epoch_2']['meta']['epoch'] == 2
    # ... and training resumed from it; the next save of epoch_3.pth
    # removed the torn temporary file
    assert 'resumed epoch: 2' in runs['third_log']
    assert not [p for p in os.listdir(runs['chain']) if '.tmp' in p]
