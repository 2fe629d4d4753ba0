# Copyright (c) mmlpose contributors. All rights reserved.
"""End to end on CPU: both tiny L3DHPE cascades (3DHPE+Refer, RVOS+3DHPE)
train one short epoch on generated scenes through tools/train.py, then
tools/test.py prints PICI and MPJPE-L per description category."""
import os
import os.path as osp

import pytest
from l3d_tool_runs import REPO, assert_pici_table, run, training_losses

CASCADE = osp.join(REPO, 'configs', 'cascade')
HPE_REFER = osp.join(CASCADE, 'hpe-refer_minilm-2l_1xb8-10e_l3d-scenes.py')
RVOS = osp.join(CASCADE, 'rvos-referformer_r18-minilm_1xb2-10e_l3d-scenes.py')


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
    assert_pici_table(out)
