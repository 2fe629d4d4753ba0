# Copyright (c) mmlpose contributors. All rights reserved.
"""3DHPE+Refer configs: they resolve to the documented pipeline, model and
evaluator, and the tiny one trains and evaluates on generated L3D scenes."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope

from mmlpose.registry import DATASETS, MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CASCADE = osp.join(REPO, 'configs', 'cascade')
TINY = 'hpe-refer_minilm-2l_1xb8-10e_l3d-scenes.py'
REAL = 'hpe-refer_roberta-4l_1xb8-20e_panoptic-l3d.py'
torch.set_num_threads(1)


def load(name):
    return Config.fromfile(osp.join(CASCADE, name))


@pytest.mark.parametrize('name', [TINY, REAL])
def test_configs_resolve(name):
    cfg = load(name)
    steps = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert steps == [
        'LoadL3DFrames', 'SimulateDetections2D', 'ResizeL3D', 'PackL3DInputs'
    ]
    test = cfg.test_dataloader.dataset.pipeline
    assert test[1] == dict(type='SimulateDetections2D', test_mode=True, seed=0)
    assert cfg.train_dataloader.dataset.type == 'PanopticL3DDataset'
    assert cfg.val_dataloader.dataset.ann_file == 'sentences_val.json'
    assert cfg.model.type == 'HPEReferCascade'
    assert cfg.model.data_preprocessor.type == 'L3DDataPreprocessor'
    assert cfg.val_evaluator.type == cfg.test_evaluator.type == \
        'L3DHPEMetric'
    assert cfg.default_hooks.checkpoint.save_best == 'PICI'
    assert cfg.default_hooks.checkpoint.rule == 'greater'
    if name == TINY:
        assert cfg.train_dataloader.dataset.data_root == \
            'data/l3d_scenes/Panoptic-L3D/'
        assert cfg.train_dataloader.dataset.pipeline[2].input_size == (240,
                                                                       128)
        assert cfg.model.fusion.num_layers == 2
    else:
        assert cfg.model.fusion.text_encoder.pretrained == 'roberta-base'
        assert cfg.train_dataloader.dataset.pipeline[2].input_size == (960,
                                                                       512)
        assert cfg.model.fusion.num_layers == 4


@pytest.fixture(scope='module')
def scenes(l3d_scenes_root):
    return l3d_scenes_root


def test_tiny_config_trains_and_evaluates(scenes):
    cfg = load(TINY)
    with DefaultScope.overwrite_default_scope('mmlpose'):
        train = DATASETS.build(
            dict(cfg.train_dataloader.dataset, data_root=scenes))
        val = DATASETS.build(
            dict(cfg.val_dataloader.dataset, data_root=scenes))
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        evaluator = Evaluator(dict(cfg.val_evaluator))
    batch = pseudo_collate([train[i] for i in range(min(4, len(train)))])
    optim = OptimWrapper(
        torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                          lr=1e-3))
    model.train()
    log = model.train_step(batch, optim)
    assert torch.isfinite(log['loss'])
    model.eval()
    samples = [val[i] for i in range(min(4, len(val)))]
    out = model.test_step(pseudo_collate(samples))
    for s in out:
        assert s.pred_instances.keypoints_3d.shape in ((1, 15, 3), (0, 15, 3))
    evaluator.process(out)
    metrics = evaluator.evaluate(len(out))
    assert metrics['num_samples'] == len(out)
    assert 0. <= metrics['PICI'] <= 100.
    # test mode: the same detections every time
    np.testing.assert_array_equal(
        val[0]['data_samples'].metainfo['det_keypoints_2d'],
        samples[0]['data_samples'].metainfo['det_keypoints_2d'])
