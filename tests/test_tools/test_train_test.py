# Copyright (c) mmlpose contributors. All rights reserved.
"""End-to-end: tools/train.py, tools/test.py and tools/dist_train.sh on the
tiny MixSTE config and the DeepMimic mini set (CPU)."""
import json
import os
import os.path as osp
import pickle
import re
import socket
import subprocess
import sys

import numpy as np
import pytest

from mmlpose.apis import init_lifter

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'mixste',
                  'mixste_tiny-27frm_1xb32-60e_deepmimic.py')
ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')


def data_options(root, epochs):
    return [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
        'default_hooks.logger.interval=10'
    ]


def run(args, **kwargs):
    return subprocess.run(
        args, cwd=REPO, env=ENV, capture_output=True, text=True, **kwargs)


def train(work_dir, root, epochs, extra=()):
    proc = run([
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(work_dir), *extra, '--cfg-options', *data_options(root, epochs)
    ])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def losses_from_log(work_dir):
    logs = sorted(
        p for p in (osp.join(dp, f) for dp, _, fs in os.walk(work_dir)
                    for f in fs) if p.endswith('scalars.json'))
    with open(logs[-1]) as f:
        entries = [json.loads(line) for line in f]
    return [e['loss'] for e in entries if 'loss' in e]


def mean_pose_baseline_mm(root):
    """MPJPE of predicting the mean root-relative training pose."""
    def load(split):
        s = np.load(osp.join(root, 'annotation_body3d',
                             f'deepmimic_{split}.npz'))['S'][..., :3]
        return s - s[:, :1]
    mean_pose = load('train').mean(0)
    test = load('test')
    return float(np.linalg.norm(test - mean_pose, axis=-1).mean() * 1000)


@pytest.fixture(scope='module')
def trained(deepmimic_root, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('mixste_tiny')
    train(work_dir, deepmimic_root, epochs=6)
    return work_dir


def test_train_loss_falls_and_test_beats_mean_pose(trained, deepmimic_root):
    losses = losses_from_log(trained)
    assert len(losses) >= 4
    assert np.mean(losses[-3:]) < 0.7 * np.mean(losses[:3])

    out = trained / 'results.pkl'
    proc = run([
        sys.executable, 'tools/test.py', CONFIG,
        str(trained / 'epoch_6.pth'), '--out',
        str(out), '--cfg-options', *data_options(deepmimic_root, 6)
    ])
    assert proc.returncode == 0, proc.stderr[-3000:]
    mpjpe = float(re.search(r'^MPJPE\s+([\d.]+)$', proc.stdout, re.M)[1])
    p_mpjpe = float(re.search(r'^P-MPJPE\s+([\d.]+)$', proc.stdout, re.M)[1])
    baseline = mean_pose_baseline_mm(deepmimic_root)
    assert mpjpe < 0.9 * baseline, (mpjpe, baseline)
    assert p_mpjpe < mpjpe
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    assert preds and np.asarray(
        preds[0]['pred_instances']['keypoints']).shape[-2:] == (17, 3)


def test_resume_continues_from_last_checkpoint(trained, deepmimic_root):
    proc = train(trained, deepmimic_root, epochs=7, extra=['--resume'])
    assert 'resumed epoch: 6' in proc.stdout + proc.stderr
    assert (trained / 'epoch_7.pth').exists()


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_two_cpu_processes(deepmimic_root, tmp_path):
    env = dict(ENV, PYTHON=sys.executable, PORT=str(free_port()))
    proc = subprocess.run([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir',
        str(tmp_path), '--cfg-options', *data_options(deepmimic_root, 1)
    ], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert (re.search(r'world_size:\s*2', log)
            or 'Distributed training: True' in log)
    ckpt = tmp_path / 'epoch_1.pth'
    model = init_lifter(CONFIG, str(ckpt))
    assert model.dataset_meta['num_keypoints'] == 17

    env['PORT'] = str(free_port())
    proc = subprocess.run([
        'bash', 'tools/dist_test.sh', CONFIG, str(ckpt), '2', '--work-dir',
        str(tmp_path / 'test'), '--cfg-options',
        *data_options(deepmimic_root, 1)
    ], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # both ranks evaluate, rank 0 alone prints the table
    assert len(re.findall(r'^MPJPE\s+[\d.]+$', proc.stdout, re.M)) == 1


def test_bad_config_and_missing_data_give_one_line_errors(tmp_path):
    proc = run([sys.executable, 'tools/train.py', 'no_such_config.py'])
    assert proc.returncode != 0
    assert 'config file not found: no_such_config.py' in proc.stderr
    proc = run([
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(tmp_path), '--cfg-options',
        *data_options(str(tmp_path / 'nowhere'), 1)
    ])
    assert proc.returncode != 0
    assert 'data root not found' in proc.stderr
    proc = run([sys.executable, 'tools/test.py', CONFIG, 'missing.pth'])
    assert 'checkpoint not found: missing.pth' in proc.stderr


def test_show_dir_renders_predictions(trained, deepmimic_root, tmp_path):
    # the resume test may have replaced epoch_6.pth by epoch_7.pth
    checkpoint = (trained / 'last_checkpoint').read_text().strip()
    proc = run([
        sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir',
        str(tmp_path), '--show-dir', 'vis', '--cfg-options',
        *data_options(deepmimic_root, 6)
    ])
    assert proc.returncode == 0, proc.stderr[-3000:]
    images = [f for dp, _, fs in os.walk(tmp_path) for f in fs
              if f.endswith('.png')]
    # 56 test windows, one image every 50 samples
    assert len(images) == 2


DTYPE_PROBE = """
import json
import os.path as osp

import torch
from mmengine.hooks import Hook

from mmlpose.registry import HOOKS


@HOOKS.register_module()
class LinearDtypeProbe(Hook):
    \"\"\"Records the dtypes of every Linear output in training steps
    (not in the validation that ends the last epoch).\"\"\"

    def before_train(self, runner):
        self.seen, self.in_step = set(), False
        model = getattr(runner.model, 'module', runner.model)
        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                module.register_forward_hook(self.record)

    def record(self, module, args, out):
        if self.in_step:
            self.seen.add(str(out.dtype))

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.in_step = True

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.in_step = False

    def after_train(self, runner):
        with open(osp.join(runner.work_dir, 'dtypes.json'), 'w') as f:
            json.dump(sorted(self.seen), f)
"""


@pytest.mark.parametrize('amp', [True, False], ids=['amp', 'fp32'])
def test_amp_trains_on_cpu_with_bfloat16(deepmimic_root, tmp_path, amp):
    """--amp on CPU runs the forward passes under bfloat16 autocast: a
    forward hook (added through the config's custom_imports) sees bfloat16
    Linear outputs, and only float32 ones without --amp."""
    (tmp_path / 'dtype_probe.py').write_text(DTYPE_PROBE)
    config = tmp_path / 'probe_config.py'
    config.write_text(
        f'_base_ = [{CONFIG!r}]\n'
        "custom_imports = dict(imports=['dtype_probe'], "
        'allow_failed_imports=False)\n'
        "custom_hooks = [dict(type='SyncBuffersHook'), "
        "dict(type='LinearDtypeProbe')]\n")
    env = dict(ENV, PYTHONPATH=os.pathsep.join(
        [str(tmp_path), ENV.get('PYTHONPATH', '')]))
    work_dir = tmp_path / 'work'
    proc = subprocess.run([
        sys.executable, 'tools/train.py', str(config), '--work-dir',
        str(work_dir), *(['--amp'] if amp else []), '--cfg-options',
        f'train_dataloader.dataset.data_root={deepmimic_root}',
        f'val_dataloader.dataset.data_root={deepmimic_root}',
        'train_dataloader.dataset.indices=64', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=100'
    ], cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert ("type='CPUAutocastOptimWrapper'" in log) is amp
    assert (work_dir / 'epoch_1.pth').exists()
    with open(work_dir / 'dtypes.json') as f:
        dtypes = json.load(f)
    assert dtypes == (['torch.bfloat16'] if amp else ['torch.float32'])
