# Copyright (c) mmlpose contributors. All rights reserved.
"""End to end on CPU: both tiny L3DHPE cascades (3DHPE+Refer, RVOS+3DHPE)
train one short epoch on generated scenes through tools/train.py, then
tools/test.py prints PICI and MPJPE-L per description category."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CASCADE = osp.join(REPO, 'configs', 'cascade')
HPE_REFER = osp.join(CASCADE, 'hpe-refer_minilm-2l_1xb8-10e_l3d-scenes.py')
RVOS = osp.join(CASCADE, 'rvos-referformer_r18-minilm_1xb2-10e_l3d-scenes.py')
ENV = dict(
    os.environ,
    OMP_NUM_THREADS='1',
    PYTHONWARNINGS='ignore',
    HF_HUB_OFFLINE='1',
    TRANSFORMERS_OFFLINE='1')


def run(args):
    proc = subprocess.run([sys.executable, *args],
                          cwd=REPO,
                          env=ENV,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def data_options(root, extra=()):
    return [
        f'{loader}_dataloader.dataset.data_root={root}'
        for loader in ('train', 'val', 'test')
    ] + [
        # no worker processes in tests
        *(f'{loader}_dataloader.num_workers=0'
          for loader in ('train', 'val', 'test')),
        *(f'{loader}_dataloader.persistent_workers=False'
          for loader in ('train', 'val', 'test')), *extra
    ]


def training_losses(work_dir):
    (path, ) = [
        osp.join(dp, f) for dp, _, fs in os.walk(work_dir) for f in fs
        if f == 'scalars.json'
    ]
    with open(path) as f:
        return [e for e in map(json.loads, f) if 'loss' in e]


@pytest.mark.parametrize(
    'config, extra',
    [
        (HPE_REFER, ['train_dataloader.dataset.indices=8']),
        # 2 iterations of 2 samples, windows of 2 frames for speed
        (RVOS, [
            'train_dataloader.dataset.indices=4',
            *(f'{loader}_dataloader.dataset.window=2'
              for loader in ('train', 'val', 'test'))
        ]),
    ],
    ids=['hpe-refer', 'rvos'])
def test_train_then_test_prints_pici_per_category(config, extra,
                                                  l3d_scenes_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    options = data_options(l3d_scenes_root, extra)
    run([
        'tools/train.py', config, '--work-dir', work_dir, '--cfg-options',
        *options, 'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1'
    ])
    losses = training_losses(work_dir)
    assert losses and all(e['loss'] > 0 for e in losses)
    best = [f for f in os.listdir(work_dir) if f.startswith('best_PICI')]
    assert len(best) == 1, os.listdir(work_dir)
    out = run([
        'tools/test.py', config,
        osp.join(work_dir, best[0]), '--work-dir',
        str(tmp_path / 'test'), '--cfg-options', *options
    ])
    # the table: one row per category of the test clip, and overall
    header = next(line for line in out.splitlines()
                  if line.lstrip().startswith('category |'))
    assert 'PICI (%)' in header and 'MPJPE-L (mm)' in header
    for key in ('PICI/', 'MPJPE-L/', 'PICI:', 'MPJPE-L:', 'chance:'):
        assert key in out, key
    rows = [
        line.split('|')[0].strip() for line in out.splitlines()
        if line.split('|')[0].strip() in ('appearance', 'behaviour',
                                          'movement', 'overall')
    ]
    assert 'overall' in rows and len(rows) >= 2
