# Copyright (c) mmlpose contributors. All rights reserved.
"""FinePOSE configs: paper hyperparameters, ablation switches, and the tiny
config's lifter end to end (loss and sampling with prompts)."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.structures import PoseDataSample

from mmlpose.datasets.h36m_text_dataset import mmpose_dataset_cfg
from mmlpose.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FP = osp.join(REPO, 'configs', 'finepose')
H36M = 'finepose_512d-243frm_1xb4-100e_h36m-cpn.py'


def load(name):
    return Config.fromfile(osp.join(FP, name))


def build(cfg):
    with DefaultScope.overwrite_default_scope('mmlpose'):
        return MODELS.build(cfg)


def test_paper_config_hyperparameters():
    cfg = load(H36M)
    den = cfg.model.head.denoiser
    assert den.type == 'FinePOSEDenoiser'
    assert (den.embed_dim, den.depth, den.num_heads, den.seq_len,
            den.mlp_ratio) == (512, 8, 8, 243, 2.)
    assert (den.text_layers, den.text_heads, den.text_ff_dim) == (4, 8, 2048)
    pl = den.prompt_learner
    assert pl.text_encoder.pretrained == 'openai/clip-vit-base-patch32'
    # the prompts, built (small text tower), fill CLIP's 77-token context:
    # per prompt length - 4 learnable vectors, then 4 word tokens of its
    # text, the sample's verb in the second one
    pl.text_encoder = dict(
        type='CLIPTextEncoder',
        config=dict(hidden_size=16, intermediate_size=32,
                    num_hidden_layers=1, num_attention_heads=2))
    learner = build(pl)
    seq, _ = learner.build_sequence('walk dog')
    assert seq.shape == (77, 16)
    names = [p[0] for p in pl.prompts]
    assert [getattr(learner, f'ctx_{n}').shape[0] for n in names] == [
        3, 8, 6, 6, 6, 10, 10
    ]
    verb_start = 7 + 8  # after the subject prompt and the verb's context
    torch.testing.assert_close(seq[verb_start:verb_start + 4],
                               learner.word_embeddings(
                                   learner.verb('walk dog'), 4))
    tc = cfg.model.test_cfg
    assert (tc.num_hypotheses, tc.num_steps, tc.flip_test) == (20, 10, True)
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.weight_decay) == ('AdamW', 6e-5, 0.1)
    assert cfg.param_scheduler[0].gamma == 0.993
    assert cfg.train_cfg.max_epochs == 100
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.train_dataloader.dataset.multiple_target == 243
    assert 'action_text' in cfg.val_pipeline[-1].meta_keys


def test_paper_model_builds_offline_with_vit_b32_text_tower():
    model = build(load(H36M).model)
    den = model.head.denoiser
    clip = den.prompt_learner.text_encoder
    assert clip.width == 512 and clip.model.config.num_hidden_layers == 12
    assert not clip._pretrained_loaded  # hub weights load in init_weights
    assert den.prompt_learner.ctx_verb.shape == (8, 512)
    trainable = sum(p.numel() for p in den.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in clip.parameters())
    assert 63e6 < frozen < 64e6  # CLIP ViT-B/32 text tower: 63.2M
    assert trainable > 45e6


def test_ablation_configs():
    cases = {
        'wo-prompt': lambda d: not d.use_text,
        'manual-prompt': lambda d: d.prompt_learner.mode == 'manual',
        'learnable-prompt': lambda d: d.prompt_learner.mode == 'learnable',
        'wo-fpc': lambda d: not d.use_fpc and d.use_pts,
        'wo-pts': lambda d: d.use_fpc and not d.use_pts,
    }
    for suffix, check in cases.items():
        cfg = load(f'ablations/{H36M[:-3]}_{suffix}.py')
        # shrink the denoiser and CLIP: only the switches are checked
        cfg.model.head.denoiser.update(embed_dim=16, depth=1, num_heads=2)
        cfg.model.head.denoiser.prompt_learner.text_encoder = dict(
            type='CLIPTextEncoder',
            config=dict(hidden_size=16, intermediate_size=32,
                        num_hidden_layers=1, num_attention_heads=2))
        cfg.model.head.denoiser.update(text_layers=1, text_heads=2,
                                       text_ff_dim=32)
        assert check(build(cfg.model).head.denoiser), suffix


def test_3dhp_prompts_have_no_verb():
    cfg = load('finepose_512d-243frm_1xb4-100e_mpi-inf-3dhp.py')
    pl = cfg.model.head.denoiser.prompt_learner
    assert [p[0] for p in pl.prompts] == [
        'subject', 'speed', 'head', 'body', 'arm', 'leg'
    ]
    assert sum(p[2] for p in pl.prompts) == 77 and pl.proj_index == 76
    # the 3DHP codec's root (pelvis, joint 14) is the head's
    assert cfg.codec.root_index == cfg.model.head.root_index == 14
    assert cfg.test_dataloader.dataset.pipeline[0].encoder == cfg.codec


def test_tiny_lifter_loss_and_predict():
    torch.manual_seed(0)
    cfg = load('finepose_tiny-27frm_1xb32-40e_deepmimic.py')
    model = build(cfg.model)
    model.init_weights()
    T = cfg.num_frames
    flip_indices = parse_pose_metainfo(
        dict(from_file=mmpose_dataset_cfg('h36m')))['flip_indices']
    texts = ['walk', 'spin kick']
    samples = []
    for text in texts:
        s = PoseDataSample(
            metainfo=dict(flip_indices=flip_indices, action_text=text))
        s.gt_instance_labels = InstanceData(
            lifting_target_label=torch.randn(T, 17, 3) * 0.1,
            lifting_target_weight=torch.ones(T, 17))
        samples.append(s)
    x_2d = torch.rand(2, T, 17, 2) - 0.5

    model.train()
    losses = model(x_2d, samples, mode='loss')
    losses['loss_weightedmpjpe'].backward()
    # the prompt path learns (text_proj starts at zero, so its gradient is
    # the first to be non-zero)
    assert model.head.denoiser.text_proj.weight.grad.abs().sum() > 0

    model.eval()
    model.test_cfg.update(num_hypotheses=2, num_steps=2, aggregation='mean',
                          seed=0)
    with torch.no_grad():
        out = model(x_2d, samples, mode='predict')
    pred = out[0].pred_instances
    assert pred.keypoints.shape == (1, T, 17, 3)
    assert pred.keypoints_hypotheses.shape == (1, 2, T, 17, 3)


def test_egohumans_config_is_the_h36m_recipe_per_person():
    cfg, h36m = load('finepose_512d-243frm_1xb4-100e_egohumans.py'), load(H36M)
    assert cfg.model == h36m.model
    assert cfg.optim_wrapper == h36m.optim_wrapper
    assert cfg.param_scheduler == h36m.param_scheduler
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        dataset = loader.dataset
        assert dataset.type == 'EgoHumansLiftingDataset'
        assert dataset.keypoint_2d_src == 'gt'
        assert dataset.multiple_target == 243
        steps = [t['type'] for t in dataset.pipeline]
        assert steps[:2] == ['GenerateTarget', 'ZeroFillAbsentFrames']
        assert {'person_id', 'view', 'frame_ids', 'action_text',
                'camera_param'} <= set(dataset.pipeline[-1].meta_keys)
    assert cfg.val_evaluator[0].type == 'MultiHypothesisMPJPE'
