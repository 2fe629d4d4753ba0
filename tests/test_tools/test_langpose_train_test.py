# Copyright (c) mmlpose contributors. All rights reserved.
"""End to end on CPU: tiny LangPose stage 1 (1 epoch) -> stage 2 (1 epoch,
``load_from`` the stage-1 checkpoint) through tools/train.py, then
tools/test.py printing MPJPE and the retrieval metrics, on the DeepMimic
mini set (64 training windows of many clips, all 56 held-out windows)."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
LP = osp.join(REPO, 'configs', 'langpose')
STAGE1 = osp.join(LP, 'langpose_tiny-27frm_1xb32-40e_stage1_deepmimic.py')
STAGE2 = osp.join(LP, 'langpose_tiny-27frm_1xb32-20e_stage2_deepmimic.py')
ENV = dict(
    os.environ,
    OMP_NUM_THREADS='1',
    PYTHONWARNINGS='ignore',
    HF_HUB_OFFLINE='1',
    TRANSFORMERS_OFFLINE='1')
# every 8th of the 536 training windows: all 16 training clips
TRAIN_INDICES = '[' + ','.join(str(i) for i in range(0, 512, 8)) + ']'


def options(root, extra=()):
    return [
        '--cfg-options', f'train_dataloader.dataset.data_root={root}',
        f'train_dataloader.dataset.indices={TRAIN_INDICES}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}', 'train_cfg.max_epochs=1',
        'default_hooks.logger.interval=1', *extra
    ]


def run(args):
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def logged(work_dir):
    (path, ) = [
        osp.join(dp, f) for dp, _, fs in os.walk(work_dir) for f in fs
        if f == 'scalars.json'
    ]
    with open(path) as f:  # training iterations (not the validation)
        return [e for e in map(json.loads, f) if 'loss' in e]


@pytest.fixture(scope='module')
def root(deepmimic_root):
    if not osp.exists(
            osp.join(deepmimic_root, 'annotation_body3d',
                     'deepmimic_train_texts.json')):
        from mmlpose.datasets.converters.deepmimic import convert_deepmimic
        convert_deepmimic(deepmimic_root)  # a root made before the texts
    return deepmimic_root


def test_stage1_then_stage2_then_test(root, tmp_path):
    dir1, dir2 = tmp_path / 'stage1', tmp_path / 'stage2'
    run(['tools/train.py', STAGE1, '--work-dir', str(dir1), *options(root)])
    stage1 = logged(dir1)
    assert len(stage1) == 2  # 64 windows, batches of 32
    for entry in stage1:  # 3D + alignment + classification, no distill
        assert entry['loss_align'] > 0 and entry['loss_cls'] > 0
        assert 'loss_distill' not in entry and 'loss_mpjve' in entry
    ckpt1 = dir1 / 'epoch_1.pth'
    assert ckpt1.exists()

    log = run([
        'tools/train.py', STAGE2, '--work-dir',
        str(dir2), *options(root, [f'load_from={ckpt1}'])
    ])
    assert f'Load checkpoint from {ckpt1}' in log
    assert not re.search(r'missing keys|unexpected key|size mismatch', log)
    stage2 = logged(dir2)
    # no texts or labels; the distillation target is the loaded stage-1
    # model itself at the first step
    assert all('loss_align' not in e and 'loss_cls' not in e for e in stage2)
    assert stage2[0]['loss_distill'] < 1e-5

    out = run([
        'tools/test.py', STAGE2,
        str(dir2 / 'epoch_1.pth'), '--work-dir',
        str(tmp_path / 'test'), *options(root)
    ])
    values = {}
    for key in ('MPJPE', 'P-MPJPE', 't2m/R@1', 't2m/R@5', 't2m/R@10',
                't2m/MedR', 'm2t/R@1', 'm2t/MedR', 'chance/R@1',
                't2m_b32/R@1', 'chance_b32/R@1'):
        match = re.search(rf'^{re.escape(key)}\s+([\d.]+)$', out, re.M)
        assert match, f'{key} not printed'
        values[key] = float(match[1])
    assert 0 < values['P-MPJPE'] < values['MPJPE']
    assert 0 <= values['t2m/R@1'] <= values['t2m/R@5'] <= \
        values['t2m/R@10'] <= 100
    # 56 held-out windows, 5 distinct sentences
    assert 'retrieval over 56 pairs (5 distinct texts)' in out
