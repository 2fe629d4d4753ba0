# Copyright (c) mmlpose contributors. All rights reserved.
"""Every config under configs/ parses and builds its model."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmlpose.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_builds_model(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmlpose'
    with DefaultScope.overwrite_default_scope('mmlpose'):
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    for key in ('train_dataloader', 'val_dataloader', 'test_evaluator',
                'optim_wrapper', 'train_cfg'):
        assert key in cfg, f'{path} lacks {key}'


def test_paper_mixste_has_the_paper_hyperparameters():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/mixste/mixste_512d-243frm_1xb4-160e_h36m-cpn.py'))
    bb = cfg.model.backbone
    assert (bb.embed_dim, bb.depth, bb.num_heads, bb.seq_len,
            bb.mlp_ratio) == (512, 8, 8, 243, 2.)
    assert cfg.train_dataloader.dataset.multiple_target == 243
    assert cfg.optim_wrapper.optimizer.lr == 4e-5
    with DefaultScope.overwrite_default_scope('mmlpose'):
        model = MODELS.build(cfg.model)
    n_params = sum(p.numel() for p in model.parameters())
    assert 33e6 < n_params < 34e6, n_params  # MixSTE reports 33.6M
    model.eval()
    with torch.no_grad():
        out = model.backbone(torch.zeros(1, 243, 17, 2))[0]
    assert out.shape == (1, 243, 17, 512)


def test_d3dp_has_the_authors_recipe():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/d3dp/d3dp_512d-243frm_1xb4-100e_h36m-cpn.py'))
    den = cfg.model.head.denoiser
    assert (den.embed_dim, den.depth, den.num_heads, den.seq_len,
            den.drop_path_rate) == (512, 8, 8, 243, 0.1)
    assert cfg.model.test_cfg == dict(
        num_hypotheses=5, num_steps=5, flip_test=True, eta=1.,
        aggregation='jpma')
    assert cfg.optim_wrapper.optimizer == dict(
        type='AdamW', lr=6e-5, weight_decay=0.1)
    assert cfg.param_scheduler[0].gamma == 0.993
    assert cfg.train_cfg.max_epochs == 100
    meta_keys = cfg.val_dataloader.dataset.pipeline[-1].meta_keys
    assert {'camera_param', 'target_root', 'action_text'} <= set(meta_keys)
    assert cfg.test_evaluator[0].type == 'MultiHypothesisMPJPE'
