# Copyright (c) mmlpose contributors. All rights reserved.
"""End-to-end: tools/train.py and tools/test.py on the tiny D3DP and
FinePOSE configs and the DeepMimic mini set (CPU): every multi-hypothesis
aggregation is reported and J-Agg beats the mean-pose baseline."""
import json
import os
import os.path as osp
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmlpose.models.utils import camera_intrinsics, jpma_select
from mmlpose.registry import DATASETS
from mmlpose.structures.camera import project_points

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'd3dp',
                  'd3dp_tiny-27frm_1xb32-40e_deepmimic.py')
TINY_CONFIGS = {
    'd3dp': CONFIG,
    'finepose': osp.join(REPO, 'configs', 'finepose',
                         'finepose_tiny-27frm_1xb32-40e_deepmimic.py'),
}
ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
EPOCHS = 5


def data_options(root):
    return [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'train_cfg.max_epochs={EPOCHS}', 'train_cfg.val_interval=1000',
        'default_hooks.logger.interval=5'
    ]


def run(args):
    proc = subprocess.run(
        args, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def mean_pose_baseline_mm(root):
    """MPJPE of predicting the mean root-relative training pose."""

    def load(split):
        s = np.load(osp.join(root, 'annotation_body3d',
                             f'deepmimic_{split}.npz'))['S'][..., :3]
        return s - s[:, :1]

    return float(
        np.linalg.norm(load('test') - load('train').mean(0), axis=-1).mean() *
        1000)


def metric(stdout, name):
    match = re.search(rf'^{re.escape(name)}\s+([\d.]+)$', stdout, re.M)
    assert match, f'{name} not reported:\n{stdout}'
    return float(match[1])


@pytest.fixture(scope='module', params=sorted(TINY_CONFIGS))
def trained(request, deepmimic_root, tmp_path_factory):
    config = TINY_CONFIGS[request.param]
    work_dir = tmp_path_factory.mktemp(f'{request.param}_tiny')
    run([
        sys.executable, 'tools/train.py', config, '--work-dir',
        str(work_dir), '--cfg-options', *data_options(deepmimic_root)
    ])
    return config, work_dir


def test_train_then_test_reports_every_aggregation(trained, deepmimic_root):
    config, trained = trained
    logs = [
        osp.join(dp, f) for dp, _, fs in os.walk(trained) for f in fs
        if f.endswith('scalars.json')
    ]
    with open(sorted(logs)[-1]) as f:
        losses = [json.loads(line).get('loss') for line in f]
    losses = [v for v in losses if v is not None]
    assert len(losses) >= 6
    assert np.mean(losses[-3:]) < 0.85 * np.mean(losses[:3]), losses

    out = trained / 'results.pkl'
    proc = run([
        sys.executable, 'tools/test.py', config,
        str(trained / f'epoch_{EPOCHS}.pth'), '--out',
        str(out), '--cfg-options', *data_options(deepmimic_root)
    ])
    errors = {
        agg: metric(proc.stdout, f'MPJPE_{agg}')
        for agg in ('J-Best (oracle)', 'P-Best (oracle)', 'J-Agg', 'P-Agg')
    }
    for agg in ('J-Best (oracle)', 'P-Best (oracle)', 'J-Agg', 'P-Agg'):
        metric(proc.stdout, f'P-MPJPE_{agg}')
    baseline = mean_pose_baseline_mm(deepmimic_root)
    assert errors['J-Agg'] < 0.9 * baseline, (errors, baseline)
    assert errors['J-Best (oracle)'] <= errors['P-Best (oracle)']
    assert errors['J-Best (oracle)'] <= errors['J-Agg']
    # ActionMPJPE runs on the J-Agg output
    assert metric(proc.stdout, 'MPJPE') == errors['J-Agg']

    with open(out, 'rb') as f:
        preds = pickle.load(f)
    pred = preds[0]['pred_instances']
    num_hyps = Config.fromfile(config).model.test_cfg.num_hypotheses
    assert np.asarray(pred['keypoints_hypotheses']).shape == (1, num_hyps,
                                                              27, 17, 3)
    assert np.asarray(pred['keypoints']).shape == (1, 27, 17, 3)


def test_jpma_conventions_on_real_samples(deepmimic_root):
    """The codec's normalised 2D input, the camera_param it normalised and
    its target_root in the D3DP pipeline's metainfo, and our projection
    agree: the ground truth reprojects onto the input, so JPMA picks it
    over perturbed hypotheses at every joint."""
    init_default_scope('mmlpose')
    cfg = Config.fromfile(CONFIG)
    cfg.test_dataloader.dataset.data_root = deepmimic_root
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    torch.manual_seed(0)
    for index in (0, len(dataset) // 2):
        item = dataset[index]
        meta = item['data_samples'].metainfo
        gt = item['data_samples'].gt_instance_labels.lifting_target_label
        x_2d = item['inputs']
        cam = camera_intrinsics(meta['camera_param'])
        root = torch.as_tensor(meta['target_root'])
        proj = project_points(gt + root[:, None], **cam)
        torch.testing.assert_close(proj, x_2d, atol=1e-5, rtol=0)
        hyps = torch.stack([
            gt + 0.03 * torch.randn_like(gt), gt,
            gt + 0.03 * torch.randn_like(gt)
        ])
        assert (jpma_select(hyps, x_2d, root=root, **cam) == 1).all()
