# Copyright (c) mmlpose contributors. All rights reserved.
import pytest
import torch

from mmlpose.registry import MODELS


def test_shapes_with_and_without_classifier():
    torch.manual_seed(0)
    feats = (torch.rand(2, 5, 17, 16), )
    head = MODELS.build(
        dict(
            type='MotionEmbeddingHead',
            in_channels=16,
            embed_dim=8,
            num_classes=3))
    out = head(feats)
    assert out['embed'].shape == (2, 8) and out['logits'].shape == (2, 3)
    mlp = MODELS.build(
        dict(
            type='MotionEmbeddingHead',
            in_channels=16,
            embed_dim=8,
            hidden_dim=12))
    out = mlp(feats[0])
    assert set(out) == {'embed'} and out['embed'].shape == (2, 8)


def test_pooling_is_the_normalised_mean_over_frames_and_joints():
    head = MODELS.build(
        dict(type='MotionEmbeddingHead', in_channels=4, embed_dim=4))
    x = torch.randn(2, 3, 5, 4)
    expected = torch.nn.functional.layer_norm(x.mean(dim=(1, 2)), (4, ))
    torch.testing.assert_close(head.pool(x), expected)
    # order of frames and joints does not matter
    torch.testing.assert_close(
        head(x.flip(1).flip(2))['embed'],
        head(x)['embed'])


def test_bad_shapes_and_arguments_raise():
    head = MODELS.build(
        dict(type='MotionEmbeddingHead', in_channels=16, embed_dim=8))
    with pytest.raises(ValueError, match=r'\(B, T, K, 16\)'):
        head(torch.rand(2, 5, 17, 8))
    with pytest.raises(ValueError):
        head(torch.rand(2, 17, 16))
    with pytest.raises(ValueError):
        MODELS.build(
            dict(type='MotionEmbeddingHead', in_channels=16, num_classes=-1))
