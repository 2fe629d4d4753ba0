# Copyright (c) mmlpose contributors. All rights reserved.
"""FinePOSE prompt learner (FPP): layout, cache and ablation modes."""
import pytest
import torch

from mmlpose.models.text_encoders import (FINEPOSE_3DHP_PROMPTS,
                                          FinePOSEPromptLearner, action_verb)

D = 32
TINY_CLIP = dict(
    type='CLIPTextEncoder',
    config=dict(
        hidden_size=D,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4))


def build(**kwargs):
    torch.manual_seed(0)
    return FinePOSEPromptLearner(text_encoder=TINY_CLIP, **kwargs)


def test_action_verb():
    assert action_verb('walk dog') == 'walkdog'  # = 'WalkDog' for CLIP
    assert action_verb('directions') == 'directions'
    assert action_verb('walk dog', 'first') == 'walk'
    assert action_verb('walk  dog', 'full') == 'walk dog'


def test_context_shapes():
    pl = build()
    lengths = dict(subject=7, verb=12, speed=10, head=10, body=10, arm=14,
                   leg=14)
    for name, length in lengths.items():
        assert getattr(pl, f'ctx_{name}').shape == (length - 4, D)
    assert abs(pl.ctx_arm.std().item() - 0.02) < 0.01


def test_sequence_layout():
    """Each prompt = its context vectors, then the first 4 word embeddings
    ([SOT, word, EOT, pad]); 77 in all."""
    pl = build()
    seq, index = pl.build_sequence('walk dog')
    assert seq.shape == (77, D)
    emb = pl.text_encoder.token_embedding
    words = [('subject', 'A person', 7), ('verb', 'walkdog', 12),
             ('speed', 'speed', 10), ('head', 'head', 10),
             ('body', 'body', 10), ('arm', 'arm', 14), ('leg', 'leg', 14)]
    start = 0
    for name, word, length in words:
        ctx = getattr(pl, f'ctx_{name}')
        assert torch.equal(seq[start:start + length - 4], ctx)
        ids = pl.text_encoder.tokenize([word])[0, :4]
        assert torch.equal(seq[start + length - 4:start + length], emb(ids))
        start += length
    # 'A person' -> SOT a person EOT; 'arm' -> SOT arm EOT pad(0)
    assert pl.token_ids('A person')[:4].tolist() == [49406, 320, 2533, 49407]
    assert pl.token_ids('arm')[3] == 0
    # public-code quirk: EOT position of the verb tokenised alone
    # ('walkdog' -> SOT walk dog EOT -> 3)
    assert index == 3


def test_forward_shapes_and_dedup():
    pl = build()
    out = pl(['walk dog', 'walking', 'walk dog'])
    assert out['tokens'].shape == (3, 77, D)
    assert out['eot_index'].tolist() == [3, 2, 3]
    torch.testing.assert_close(out['tokens'][0], out['tokens'][2])
    assert not torch.allclose(out['tokens'][0], out['tokens'][1])
    # prompts before the verb see no verb (causal mask)
    torch.testing.assert_close(out['tokens'][0, :7], out['tokens'][1, :7])


def test_word_embedding_cache():
    pl = build()
    calls = []
    tok = pl.text_encoder.tokenize
    pl.text_encoder.tokenize = lambda texts: calls.append(texts) or tok(texts)
    a = pl(['walking'])['tokens']
    n = len(calls)
    assert n == 7  # one per distinct word
    b = pl(['walking', 'walking'])['tokens']
    assert len(calls) == n  # ids cached
    cached = pl._emb_cache[('walking', 4)]
    pl(['walking'])
    assert pl._emb_cache[('walking', 4)] is cached  # embeddings cached
    torch.testing.assert_close(a[0], b[1])
    # changing the CLIP weights (e.g. loading a checkpoint) drops the cache
    sd = {k: v + 1 for k, v in pl.text_encoder.state_dict().items()}
    pl.text_encoder.load_state_dict(sd)
    c = pl(['walking'])['tokens']
    assert pl._emb_cache[('walking', 4)] is not cached
    assert not torch.allclose(a, c)


def test_gradients_reach_context():
    pl = build()
    pl(['walking'])['tokens'].sum().backward()
    assert pl.ctx_verb.grad is not None and pl.ctx_verb.grad.abs().sum() > 0
    assert not any(p.grad is not None for p in pl.text_encoder.parameters())

    public = build(grad_through_clip=False)
    out = public(['walking'])['tokens']
    assert not out.requires_grad  # as in the public code: CLIP under no_grad


def test_learnable_mode():
    pl = build(mode='learnable')
    assert pl.ctx_subject.shape == (7, D) and pl.ctx_leg.shape == (14, D)
    out = pl(['walking', 'sitting'])
    assert out['tokens'].shape == (2, 77, D)
    torch.testing.assert_close(out['tokens'][0], out['tokens'][1])
    assert out['eot_index'].tolist() == [76, 76]


def test_manual_mode():
    pl = build(mode='manual')
    assert not [n for n, _ in pl.named_parameters() if 'ctx' in n]
    out = pl(['walking', 'sitting'])
    ids = pl.token_ids('A person is walking.')
    assert ids[:7].tolist()[:3] == [49406, 320, 2533]
    assert out['eot_index'][0] == ids.argmax() == 6
    assert not torch.allclose(out['tokens'][0, 4:], out['tokens'][1, 4:])


def test_none_mode():
    pl = FinePOSEPromptLearner(mode='none')
    assert pl.text_encoder is None and pl.width == 0
    assert pl(['walking']) is None


def test_3dhp_prompts_fixed_index():
    pl = build(prompts=FINEPOSE_3DHP_PROMPTS, proj_index=76)
    assert not hasattr(pl, 'ctx_verb')
    assert pl.ctx_subject.shape == (5, D) and pl.ctx_arm.shape == (12, D)
    out = pl(['a person', 'anything'])
    assert out['eot_index'].tolist() == [76, 76]
    torch.testing.assert_close(out['tokens'][0], out['tokens'][1])


def test_bad_arguments():
    with pytest.raises(ValueError, match='mode'):
        build(mode='bogus')
    with pytest.raises(ValueError, match='sum to'):
        build(prompts=(('subject', 'A person', 7), ))
    with pytest.raises(ValueError, match='proj_index'):
        build(proj_index='first')
