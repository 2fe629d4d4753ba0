# Copyright (c) mmlpose contributors. All rights reserved.
"""The EgoHumans data config with the tiny FinePOSE model: trains on CPU,
and the test metrics count only the frames where the person is in view."""
import os.path as osp
import subprocess
import sys

import mmengine
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from egohumans_release import MISSING_ARIA02, make_release
from mmlpose.datasets.converters.egohumans import convert_egohumans
from mmlpose.evaluation import stack_person_predictions

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(REPO, 'configs', 'finepose',
                'finepose_tiny-27frm_1xb32-40e_deepmimic.py')
DATA = osp.join(REPO, 'configs', 'finepose',
                'finepose_512d-243frm_1xb4-100e_egohumans.py')
EPOCHS = 8


def tiny_egohumans_cfg(data_root: str, work_dir: str) -> Config:
    """Tiny FinePOSE model and schedule on the EgoHumans data config."""
    cfg = Config.fromfile(TINY)
    data = Config.fromfile(DATA)
    for split in ('train', 'val', 'test'):
        loader = data[f'{split}_dataloader']
        loader.dataset.update(
            data_root=data_root,
            ann_file='annotation_body3d/egohumans_test.npz',
            multiple_target=27)
        loader.update(batch_size=4, num_workers=0, persistent_workers=False)
        cfg[f'{split}_dataloader'] = loader
    cfg.train_dataloader.dataset.multiple_target_step = 9
    cfg.val_evaluator = data.val_evaluator
    cfg.test_evaluator = data.test_evaluator
    cfg.model.test_cfg.update(seed=0)
    cfg.train_cfg.update(max_epochs=EPOCHS, val_interval=1000)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1000)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = work_dir
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    return cfg


@pytest.fixture(scope='module')
def egohumans_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('egohumans_e2e')
    release = make_release(str(root / 'release'))
    convert_egohumans(release, str(root / 'data'), ('01_tagging', ))
    return str(root / 'data')


def test_tiny_finepose_trains_and_masks_absent_frames(egohumans_root,
                                                      tmp_path):
    torch.manual_seed(0)
    runner = Runner.from_cfg(tiny_egohumans_cfg(egohumans_root,
                                                str(tmp_path)))
    losses = []
    runner.register_hook(_LossRecorder(losses))
    runner.train()
    assert len(losses) >= 2 * EPOCHS
    assert np.isfinite(losses).all()
    assert np.mean(losses[-4:]) < np.mean(losses[:4]), losses

    metrics = runner.test()
    for name in ('MPJPE_J-Agg', 'MPJPE_P-Agg', 'MPJPE_J-Best (oracle)',
                 'P-MPJPE_J-Agg'):
        assert np.isfinite(metrics[name]), metrics

    # the reported J-Agg MPJPE averages visible frames only
    model = runner.model.eval()
    errors, absent_outputs, samples_all = [], [], []
    for batch in runner.test_dataloader:
        with torch.no_grad():
            samples = model.test_step(batch)
        samples_all.extend(samples)
        for sample in samples:
            # root-relative, as the metrics compare them
            pred = np.asarray(sample.pred_instances.keypoints).reshape(
                -1, 17, 3)
            gt = np.asarray(sample.gt_instances.lifting_target).reshape(
                -1, 17, 3)
            vis = np.asarray(
                sample.gt_instances.lifting_target_visible).reshape(-1, 17) > 0
            pred, gt = pred - pred[:, :1], gt - gt[:, :1]
            errors.append(np.linalg.norm(pred - gt, axis=-1)[vis])
            absent_outputs.append(np.abs(pred[~vis.any(-1)]))
    assert sum(len(a) for a in absent_outputs) > 0  # zero-filled frames seen
    expected = np.concatenate(errors).mean() * 1000
    assert metrics['MPJPE_J-Agg'] == pytest.approx(expected, rel=1e-4)

    # per-view person stacks, from the samples and from a --out style dump
    stacks = stack_person_predictions(samples_all)
    dumped = str(tmp_path / 'results.pkl')
    mmengine.dump([s.to_dict() for s in samples_all], dumped)
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'analysis_tools', 'stack_multi_person.py'),
        dumped,
        str(tmp_path / 'stacked.npz')
    ], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    saved = np.load(tmp_path / 'stacked.npz')
    assert sorted(stacks) == ['S01-001_tagging.cam01', 'S01-001_tagging.cam02']
    for view, stack in stacks.items():
        np.testing.assert_array_equal(stack['person_ids'], [1, 2, 3])
        # two 27-frame test windows per track: time stamps 1-54
        np.testing.assert_array_equal(stack['frame_ids'], np.arange(1, 55))
        assert stack['keypoints'].shape == (3, 54, 17, 3)
        pred = stack['predicted']
        assert pred[0].all()
        np.testing.assert_array_equal(
            ~pred[1], np.isin(np.arange(1, 55), list(MISSING_ARIA02)))
        assert not pred[2, 27:].any() and pred[2, :5].all()
        assert (stack['keypoints'][~pred] == 0).all()
        np.testing.assert_array_equal(saved[f'{view}:keypoints'],
                                      stack['keypoints'])
    with pytest.raises(KeyError, match='person_id'):
        stack_person_predictions([dict(view='v', frame_ids=[1])])


class _LossRecorder(Hook):
    """Collects the training loss of every iteration."""

    def __init__(self, losses):
        self.losses = losses

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses.append(outputs['loss'].item())
