# Copyright (c) mmlpose contributors. All rights reserved.
"""Every lifting config under configs/: its inherited fields resolve and
agree (one codec, the head's root, the window, JPMA's inputs), its model
builds at a small width and predicts; the tiny configs build at full size,
with the parameter count computed by hand."""
import glob
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope, init_default_scope
from mmpose.structures import PoseDataSample

from mmlpose.apis.inference import (dataset_meta_from_config, lifting_codec,
                                    lifting_window)
from mmlpose.registry import MODELS, TASK_UTILS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the lifting configs; the L3DHPE task's (multi-person referral models with
# their own data and metric) are tested in test_cascade_configs.py
L3D_TASK_DIRS = ('cascade', 'l3dhpe', 'cpp')
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p and
    osp.relpath(p, osp.join(REPO, 'configs')).split(os.sep)[0] not in
    L3D_TASK_DIRS)
CFG = osp.join(REPO, 'configs')
TINY_MIXSTE = osp.join(CFG, 'mixste/mixste_tiny-27frm_1xb32-60e_deepmimic.py')
TINY_D3DP = osp.join(CFG, 'd3dp/d3dp_tiny-27frm_1xb32-40e_deepmimic.py')
D3DP = osp.join(CFG, 'd3dp/d3dp_512d-243frm_1xb4-100e_h36m-cpn.py')


def network(model_cfg):
    """The temporal network's config: a backbone or a diffusion denoiser."""
    return model_cfg.get('backbone') or model_cfg.head.denoiser


def types(cfg):
    """Every ``type`` in a nested config."""
    if isinstance(cfg, dict):
        if isinstance(cfg.get('type'), str):
            yield cfg['type']
        for value in cfg.values():
            yield from types(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            yield from types(value)


def shrink(model_cfg):
    """The same model at width 16, one block pair, a 1-layer text tower."""
    net = network(model_cfg)
    net.update(embed_dim=16, depth=1, num_heads=2)
    if 'backbone' in model_cfg:
        model_cfg.head.in_channels = 16
    if 'motion_head' in model_cfg:
        model_cfg.motion_head.in_channels = 16
    if 'prompt_learner' in net:
        net.prompt_learner.text_encoder = dict(
            type='CLIPTextEncoder',
            config=dict(hidden_size=16, intermediate_size=32,
                        num_hidden_layers=1, num_attention_heads=2))
        net.update(text_layers=1, text_heads=2, text_ff_dim=32)
    if 'num_hypotheses' in model_cfg.get('test_cfg', {}):
        model_cfg.test_cfg.update(num_hypotheses=2, num_steps=1, seed=0)
    return model_cfg


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_fields_resolve_and_agree(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmlpose'
    for key in ('train_dataloader', 'val_dataloader', 'test_evaluator',
                'optim_wrapper', 'train_cfg'):
        assert key in cfg, f'{path} lacks {key}'
    # one codec: the config's `codec` is what every pipeline encodes with
    encoders = [
        step.encoder for loader in ('train', 'val', 'test')
        for step in cfg[f'{loader}_dataloader'].dataset.pipeline
        if step.type == 'GenerateTarget'
    ]
    assert len(encoders) == 3 and all(e == cfg.codec for e in encoders)
    codec = lifting_codec(cfg)
    assert codec.normalize_camera and not codec.reshape_keypoints
    # the head pins the codec's root and decodes nothing
    head = cfg.model.head
    assert 'decoder' not in head
    assert [head.root_index] == codec.root_index
    # the metrics add no root of their own
    evaluators = cfg.test_evaluator if isinstance(
        cfg.test_evaluator, list) else [cfg.test_evaluator]
    assert all('root_index' not in m for m in evaluators)
    # the test windows (lift_sequence's) fit the network
    net = network(cfg.model)
    assert lifting_window(cfg) == net.seq_len
    # the test dataset's class gives the joints the codec and model expect
    meta = dataset_meta_from_config(cfg)
    assert meta['num_keypoints'] == codec.num_keypoints == net.get(
        'num_keypoints', 17)
    # JPMA reprojects with the codec's camera and root
    if cfg.model.get('test_cfg', {}).get('aggregation') == 'jpma':
        meta_keys = cfg.test_dataloader.dataset.pipeline[-1].meta_keys
        assert {'camera_param', 'target_root'} <= set(meta_keys)
    # every type is registered (the full-size model is built below, small)
    for name in types(cfg.model):
        assert MODELS.get(name) or TASK_UTILS.get(name), name


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_model_builds_small_and_predicts(path):
    """The config's model, shrunk to width 16, builds from the config's
    arguments and predicts root-relative poses over a test window, with the
    config's test_cfg (flip test, aggregation)."""
    cfg = Config.fromfile(path)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmlpose'):
        model = MODELS.build(shrink(cfg.model)).eval()
    meta = dataset_meta_from_config(cfg)
    window = lifting_window(cfg)
    x = torch.rand(1, window, meta['num_keypoints'], 2) - 0.5
    sample = PoseDataSample(
        metainfo=dict(flip_indices=meta['flip_indices'], action_text='walk'))
    with torch.no_grad():
        out = model.predict(x, [sample])[0].pred_instances
    pred = np.asarray(out.keypoints).reshape(window, -1, 3)
    root = cfg.model.head.root_index
    np.testing.assert_allclose(pred[:, root], 0., atol=1e-7)
    assert np.isfinite(pred).all() and np.abs(pred).max() > 0


def mixste_parameters(C, depth, K, T, in_channels, mlp_ratio=2.):
    """Parameters of MixSTE counted by hand (see mixste.py)."""
    hidden = int(C * mlp_ratio)
    block = (2 * C  # norm1
             + C * 3 * C + 3 * C  # qkv
             + C * C + C  # proj
             + 2 * C  # norm2
             + C * hidden + hidden + hidden * C + C)  # mlp
    return (in_channels * C + C  # joint embedding
            + K * C + T * C  # spatial / temporal position embeddings
            + 2 * depth * block  # spatial + temporal blocks
            + 2 * 2 * C)  # shared spatial / temporal LayerNorms


def test_tiny_mixste_parameter_count_by_hand_and_forward():
    cfg = Config.fromfile(TINY_MIXSTE)
    with DefaultScope.overwrite_default_scope('mmlpose'):
        model = MODELS.build(cfg.model)
    head = 2 * 64 + 64 * 3 + 3  # LayerNorm + Linear(64, 3)
    expected = mixste_parameters(64, 2, 17, 27, 2) + head
    assert expected == 137475
    assert sum(p.numel() for p in model.parameters()) == expected
    model.eval()
    with torch.no_grad():
        feats = model.backbone(torch.zeros(2, 27, 17, 2))[0]
    assert feats.shape == (2, 27, 17, 64)


def test_tiny_d3dp_parameter_count_by_hand():
    cfg = Config.fromfile(TINY_D3DP)
    with DefaultScope.overwrite_default_scope('mmlpose'):
        model = MODELS.build(cfg.model)
    C = 64
    time_mlp = C * 2 * C + 2 * C + 2 * C * C + C
    head = 2 * C + C * 3 + 3
    # the joint embedding takes the 2D keypoint and the noisy 3D pose
    expected = mixste_parameters(C, 2, 17, 27, 2 + 3) + time_mlp + head
    assert expected == 154243
    assert sum(p.numel() for p in model.parameters()) == expected


def test_paper_mixste_has_the_paper_size():
    cfg = Config.fromfile(
        osp.join(CFG, 'mixste/mixste_512d-243frm_1xb4-160e_h36m-cpn.py'))
    expected = mixste_parameters(512, 8, 17, 243, 2) + 2 * 512 + 512 * 3 + 3
    with DefaultScope.overwrite_default_scope('mmlpose'):
        model = MODELS.build(cfg.model)
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == expected
    assert 33e6 < n_params < 34e6, n_params  # 33.8M; MixSTE reports 33.6M


def test_d3dp_test_pipeline_packs_the_codec_normalised_camera_and_root():
    """The D3DP config's test pipeline on a hand-made sample: the input is
    the 2D normalised by half the image width, camera_param is in the same
    units and target_root is the 3D root, which JPMA needs."""
    init_default_scope('mmlpose')
    cfg = Config.fromfile(D3DP)
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    rng = np.random.default_rng(0)
    target = rng.normal(size=(3, 17, 3)).astype(np.float32) + [0, 0, 5]
    kpts = rng.uniform(0, 1000, size=(3, 17, 2)).astype(np.float32)
    camera = dict(w=1000, h=1002, f=np.array([[1145.], [1144.]]),
                  c=np.array([[512.], [515.]]))
    packed = pipeline(
        dict(keypoints=kpts, keypoints_visible=np.ones((3, 17), np.float32),
             lifting_target=target,
             lifting_target_visible=np.ones((3, 17), np.float32),
             camera_param=camera, flip_indices=list(range(17)),
             action_text='walk'))
    meta = packed['data_samples'].metainfo
    np.testing.assert_allclose(packed['inputs'].numpy(),
                               (kpts - [500., 501.]) / 500., rtol=1e-6)
    np.testing.assert_allclose(meta['camera_param']['f'],
                               [[1145. / 500], [1144. / 500]])
    np.testing.assert_allclose(meta['camera_param']['c'],
                               [[12. / 500], [14. / 500]])
    np.testing.assert_allclose(meta['target_root'], target[:, 0])
    label = packed['data_samples'].gt_instance_labels.lifting_target_label
    np.testing.assert_allclose(label.numpy(), target - target[:, :1])


def test_d3dp_steps_are_the_authors():
    """5 DDIM steps of the D3DP config step through the authors' pairs
    ``linspace(-1, 999, 6)`` (as ints, reversed)."""
    cfg = Config.fromfile(D3DP)
    with DefaultScope.overwrite_default_scope('mmlpose'):
        scheduler = TASK_UTILS.build(cfg.model.head.scheduler)
    num_steps = cfg.model.test_cfg.num_steps
    times = np.linspace(-1, scheduler.num_train_timesteps - 1,
                        num_steps + 1).astype(int)[::-1]
    assert scheduler.timesteps(num_steps) == list(zip(times[:-1],
                                                      times[1:]))
