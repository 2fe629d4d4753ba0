# Copyright (c) mmlpose contributors. All rights reserved.
import math

import pytest
import torch

from mmlpose.models.backbones import MixSTE
from mmlpose.models.backbones.mixste import Attention


def tiny_mixste(**kwargs):
    cfg = dict(seq_len=9, embed_dim=16, depth=2, num_heads=2,
               drop_path_rate=0.)
    cfg.update(kwargs)
    model = MixSTE(**cfg)
    model.init_weights()
    return model.eval()


def test_output_shape_and_shorter_sequences():
    model = tiny_mixste()
    out = model(torch.rand(3, 9, 17, 2))
    assert isinstance(out, tuple) and out[0].shape == (3, 9, 17, 16)
    assert model(torch.rand(1, 5, 17, 2))[0].shape == (1, 5, 17, 16)


def test_attention_matches_hand_written_softmax():
    torch.manual_seed(0)
    attn = Attention(dim=8, num_heads=2).eval()
    x = torch.randn(2, 5, 8)
    q, k, v = attn.qkv(x).reshape(2, 5, 3, 2, 4).permute(2, 0, 3, 1, 4)
    weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(4), dim=-1)
    expected = attn.proj((weights @ v).transpose(1, 2).reshape(2, 5, 8))
    torch.testing.assert_close(attn(x), expected, atol=1e-5, rtol=1e-5)


def test_frames_are_mixed_only_by_temporal_blocks():
    """Changing one frame changes other frames' features (temporal mixing),
    and with temporal blocks removed, it does not."""
    torch.manual_seed(0)
    model = tiny_mixste()
    x = torch.rand(1, 9, 17, 2)
    y = x.clone()
    y[:, 4] += 1.
    out_x, out_y = model(x)[0], model(y)[0]
    assert not torch.allclose(out_x[:, 0], out_y[:, 0])

    model.temporal_blocks = torch.nn.ModuleList(
        [torch.nn.Identity() for _ in range(model.depth)])
    out_x, out_y = model(x)[0], model(y)[0]
    torch.testing.assert_close(out_x[:, 0], out_y[:, 0])
    assert not torch.allclose(out_x[:, 4], out_y[:, 4])


@pytest.mark.parametrize('shape', [(2, 9, 16, 2), (2, 9, 17, 3), (9, 17, 2),
                                   (1, 10, 17, 2)])
def test_bad_input_shape_gives_clear_error(shape):
    with pytest.raises(ValueError, match='MixSTE'):
        tiny_mixste()(torch.rand(*shape))


def test_heads_must_divide_channels():
    with pytest.raises(ValueError, match='divisible'):
        MixSTE(embed_dim=10, num_heads=4)
