# Copyright (c) mmlpose contributors. All rights reserved.
"""LangPose configs: they resolve, each stage's pipeline and losses are the
documented ones, and the tiny models build and run a training step and a
prediction on real DeepMimic windows."""
import glob
import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

from mmlpose.registry import DATASETS, MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
LP = osp.join(REPO, 'configs', 'langpose')
STAGE1 = 'langpose_tiny-27frm_1xb32-40e_stage1_deepmimic.py'
STAGE2 = 'langpose_tiny-27frm_1xb32-20e_stage2_deepmimic.py'
PAPER1 = 'langpose_512d-243frm_1xb32-40e_stage1_deepmimic.py'
H36M = 'langpose_512d-243frm_1xb4-160e_stage2_h36m-cpn.py'
MPI = 'langpose_512d-243frm_1xb4-120e_stage2_mpi-inf-3dhp.py'
MASKING = ('MaskBodyParts', 'MaskTimeWindows', 'RandomJointFrameMask',
           'Add2DNoise')
# a small random BERT with MiniLM's tokenizer: builds in a blink
SMALL_TEXT = dict(
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=1,
    num_attention_heads=2,
    max_position_embeddings=64)


def load(name):
    return Config.fromfile(osp.join(LP, name))


def build(cfg):
    with DefaultScope.overwrite_default_scope('mmlpose'):
        return MODELS.build(cfg)


def pipeline_types(cfg, loader='train_dataloader'):
    return [t['type'] for t in cfg[loader].dataset.pipeline]


def test_all_configs_resolve_and_name_their_stage():
    names = sorted(osp.basename(p) for p in glob.glob(osp.join(LP, '*.py')))
    assert names == sorted([STAGE1, STAGE2, PAPER1, H36M, MPI])
    for name in names:
        cfg = load(name)
        assert cfg.model.type == 'LangPoseLifter'
        assert cfg.model.text_encoder.type == 'LangPoseTextEncoder'
        assert cfg.model.text_encoder.pretrained is None  # MiniLM
        assert cfg.model.text_key == 'motion_text'
        stage = 1 if '_stage1_' in name else 2
        assert ('_stage2_' in name) == (stage == 2)
        # stage 2 keeps the alignment only through distillation; its
        # classifier is kept so stage 1's weights load exactly
        assert (cfg.model.distill_loss_weight > 0) == (stage == 2)
        assert cfg.model.motion_head.num_classes == 18
        width = cfg.model.backbone.embed_dim
        assert cfg.model.head.in_channels == width
        assert cfg.model.motion_head.in_channels == width
        assert cfg.model.motion_head.embed_dim == \
            cfg.model.text_encoder.embed_dim == 256
        if stage == 2:
            stage1 = PAPER1 if '512d' in name else STAGE1
            assert cfg.load_from == (f'work_dirs/{stage1[:-3]}/epoch_40.pth')
            assert load(stage1).train_cfg.max_epochs == 40


def test_stage_pipelines_and_evaluators():
    s1, s2 = load(STAGE1), load(STAGE2)
    # stage 1: masked, noisy 2D with texts and labels; no flip (the texts
    # name left and right)
    assert pipeline_types(s1) == ['GenerateTarget', *MASKING,
                                  'PackPoseInputs']
    assert s1.train_dataloader.dataset.type == 'DeepMimicTextDataset'
    keys = s1.train_dataloader.dataset.pipeline[-1].meta_keys
    assert {'motion_text', 'action_label'} <= set(keys)
    assert s1.model.contrastive_loss.filter_threshold == 0.9
    # stage 2: plain lifting data, no texts or labels
    assert pipeline_types(s2) == [
        'GenerateTarget', 'RandomFlipAroundRoot', 'PackPoseInputs'
    ]
    assert s2.train_dataloader.dataset.type == 'Human36mTextDataset'
    keys = s2.train_dataloader.dataset.pipeline[-1].meta_keys
    assert not {'motion_text', 'action_label'} & set(keys)
    for cfg in (s1, s2):
        # held-out clips with their sentences: MPJPE family + retrieval
        assert cfg.test_dataloader.dataset.type == 'DeepMimicTextDataset'
        assert 'motion_text' in cfg.test_dataloader.dataset.pipeline[
            -1].meta_keys
        assert pipeline_types(cfg, 'test_dataloader') == [
            'GenerateTarget', 'PackPoseInputs'
        ]
        types = [(e['type'], e.get('mode')) for e in cfg.test_evaluator]
        assert types == [('ActionMPJPE', 'mpjpe'), ('ActionMPJPE', 'p-mpjpe'),
                         ('ActionMPJPE', 'n-mpjpe'),
                         ('MotionTextRetrieval', None)]
        assert cfg.test_evaluator[-1].text_field == 'motion_text'
        assert cfg.model.backbone.embed_dim == 64
        assert cfg.model.backbone.seq_len == 27


def test_paper_configs():
    p1, h36m, mpi = load(PAPER1), load(H36M), load(MPI)
    for cfg in (p1, h36m, mpi):
        b = cfg.model.backbone
        assert (b.type, b.embed_dim, b.depth, b.num_heads) == ('MixSTE', 512,
                                                               8, 8)
        assert b.seq_len == (27 if cfg is p1 else 243)
    # stage 1 sees 27-frame DeepMimic windows (clips are <= 133 frames)
    assert p1.train_dataloader.dataset.multiple_target == 27
    assert pipeline_types(p1) == ['GenerateTarget', *MASKING,
                                  'PackPoseInputs']
    assert h36m.train_dataloader.dataset.type == 'Human36mTextDataset'
    assert h36m.train_dataloader.dataset.keypoint_2d_src == 'detection'
    assert h36m.train_dataloader.dataset.multiple_target == 243
    assert mpi.train_dataloader.dataset.type == 'MPIINF3DHPDataset'
    assert mpi.train_dataloader.dataset.get('keypoint_2d_src', 'gt') == 'gt'
    assert mpi.train_dataloader.dataset.multiple_target == 243
    assert mpi.model.head.root_index == 14
    for cfg in (h36m, mpi):
        assert 'motion_text' not in cfg.train_dataloader.dataset.pipeline[
            -1].meta_keys
        assert not any(e['type'] == 'MotionTextRetrieval'
                       for e in cfg.val_evaluator)


@pytest.fixture(scope='module')
def batch(deepmimic_root):
    """Four real training windows of two clips through stage 1's pipeline
    (masked, noisy 2D, texts, labels)."""
    if importlib.util.find_spec('pybullet_data') is None:
        pytest.skip('pybullet (DeepMimic clips) is not installed')
    cfg = load(STAGE1)
    if not osp.exists(
            osp.join(deepmimic_root, 'annotation_body3d',
                     'deepmimic_train_texts.json')):
        from mmlpose.datasets.converters.deepmimic import convert_deepmimic
        convert_deepmimic(deepmimic_root)
    dataset = DATASETS.build(
        dict(cfg.train_dataloader.dataset, data_root=deepmimic_root))
    return pseudo_collate([dataset[i] for i in (0, 1, 300, 301)])


def tiny_model(name, small_text=True):
    cfg = load(name).model
    if small_text:
        cfg.text_encoder.config = SMALL_TEXT
        # a random BERT's pooled features of two sentences of one template
        # are near-duplicates: filter identical sentences only
        cfg.text_similarity_filter = False
    torch.manual_seed(0)
    return build(cfg)


@pytest.mark.parametrize('name', [STAGE1, STAGE2])
def test_tiny_models_train_step_and_predict(name, batch):
    model = tiny_model(name)
    data = model.data_preprocessor(batch, training=True)
    assert torch.stack(data['inputs']).shape == (4, 27, 17, 2)
    texts = [d.metainfo['motion_text'] for d in data['data_samples']]
    assert len(set(texts)) == 2  # two clips
    model.train()
    losses = model(**data, mode='loss')
    if name == STAGE1:
        assert {'loss_align', 'loss_cls'} <= set(losses)
        assert 'loss_distill' not in losses
        assert losses['loss_align'] > 0
    else:
        # stage 2's distillation target is the model itself at its first
        # step: zero at the start
        assert losses['loss_distill'].abs() < 1e-5
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    total.backward()
    assert model.backbone.temporal_pos_embed.grad is not None

    model.eval()
    with torch.no_grad():
        preds = model(
            **model.data_preprocessor(batch, training=False), mode='predict')
    for pred in preds:
        motion = torch.as_tensor(pred.pred_instances.motion_embedding)
        text = torch.as_tensor(pred.pred_instances.text_embedding)
        assert motion.shape == text.shape == (1, 256)
        torch.testing.assert_close(motion.norm(), torch.tensor(1.))
        assert pred.pred_instances.keypoints.shape[-2:] == (17, 3)


def test_stage1_with_the_real_minilm_embeds_the_space(batch):
    """The config as trained: real frozen MiniLM, motion and text in one
    256-d space through the model's API."""
    model = tiny_model(STAGE1, small_text=False).eval()
    assert not any(p.requires_grad
                   for p in model.text_encoder.backbone.parameters())
    data = model.data_preprocessor(batch, training=False)
    texts = [d.metainfo['motion_text'] for d in data['data_samples']]
    with torch.no_grad():
        motion = model.embed_motion(torch.stack(data['inputs']))
        text = model.embed_text(texts)
    assert motion.shape == text.shape == (4, 256)
    torch.testing.assert_close(text.norm(dim=-1), torch.ones(4))
    # windows of one clip have the same sentence and embedding
    torch.testing.assert_close(text[0], text[1])
    assert not torch.allclose(text[0], text[2])


def test_paper_stage1_checkpoint_fits_the_stage2_models():
    """Every parameter of the 512d stage-1 model but the temporal position
    embedding (27 vs 243 frames) has its shape in the H36M and 3DHP stage-2
    models, so load_from loads all of them but that one."""
    s1 = {
        k: v.shape
        for k, v in tiny_model(PAPER1).state_dict().items()
        if not k.startswith('text_encoder.')
    }
    for name in (H36M, MPI):
        s2 = {
            k: v.shape
            for k, v in tiny_model(name).state_dict().items()
            if not k.startswith('text_encoder.')
        }
        assert s1.keys() == s2.keys(), name
        differ = [k for k in s1 if s1[k] != s2[k]]
        assert differ == ['backbone.temporal_pos_embed'], name
        assert s1[differ[0]][1] == 27 and s2[differ[0]][1] == 243
