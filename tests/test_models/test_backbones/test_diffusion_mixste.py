# Copyright (c) mmlpose contributors. All rights reserved.
import math

import pytest
import torch

from mmlpose.models.backbones import DiffusionMixSTE, MixSTE
from mmlpose.models.backbones.diffusion_mixste import SinusoidalTimeEmbedding
from mmlpose.registry import MODELS


def tiny_denoiser(cls=DiffusionMixSTE, **kwargs):
    cfg = dict(seq_len=9, embed_dim=16, depth=2, num_heads=2,
               drop_path_rate=0.)
    cfg.update(kwargs)
    model = cls(**cfg)
    model.init_weights()
    return model.eval()


def inputs(n=3, frames=9):
    return (torch.rand(n, frames, 17, 2), torch.randn(n, frames, 17, 3),
            torch.randint(0, 1000, (n, )))


def test_registered_subclass_and_output_shape():
    assert MODELS.get('DiffusionMixSTE') is DiffusionMixSTE
    model = tiny_denoiser()
    assert isinstance(model, MixSTE)
    assert model.joint_embed.in_features == 5
    assert (model.head[0].eps, model.head[1].out_features) == (1e-5, 3)
    x_2d, x_t, t = inputs()
    assert model(x_2d, x_t, t, {}).shape == (3, 9, 17, 3)
    assert model(*inputs(1, 5)).shape == (1, 5, 17, 3)  # cond_feats optional


def test_sinusoidal_embedding_by_hand():
    emb = SinusoidalTimeEmbedding(8)(torch.tensor([0, 3]))
    freqs = [10000**(-i / 3) for i in range(4)]
    expected = [math.sin(3 * f) for f in freqs] + \
        [math.cos(3 * f) for f in freqs]
    torch.testing.assert_close(emb[1], torch.tensor(expected))
    torch.testing.assert_close(emb[0], torch.tensor([0.] * 4 + [1.] * 4))
    with pytest.raises(ValueError, match='even'):
        SinusoidalTimeEmbedding(7)


@pytest.mark.parametrize('dim', [8, 64, 512])
def test_diffusers_embedding_is_bitwise_the_d3dp_formula(dim):
    """diffusers' get_timestep_embedding(flip_sin_to_cos=False,
    downscale_freq_shift=1) is exactly the formula the module used to
    compute by hand (the D3DP code's), for every training timestep."""
    t = torch.arange(1000)
    half = dim // 2
    exponent = torch.arange(half, dtype=torch.float32)
    freqs = torch.exp(-math.log(10000.) * exponent / (half - 1))
    angles = t.float()[:, None] * freqs[None]
    by_hand = torch.cat([angles.sin(), angles.cos()], dim=-1)
    assert torch.equal(SinusoidalTimeEmbedding(dim)(t), by_hand)


def test_timestep_and_noisy_pose_change_the_output():
    torch.manual_seed(0)
    model = tiny_denoiser()
    x_2d, x_t, t = inputs()
    out = model(x_2d, x_t, t)
    assert not torch.allclose(out, model(x_2d, x_t, t + 100), atol=1e-4)
    assert not torch.allclose(out, model(x_2d, x_t + 0.5, t), atol=1e-4)
    # rows are independent: row 0 does not depend on the other rows' t
    t2 = t.clone()
    t2[1:] = 0
    torch.testing.assert_close(model(x_2d, x_t, t2)[0], out[0])


def test_hook_defaults():
    model = tiny_denoiser()
    assert model.encode_condition(dict(action_text=['walk']), 1) == {}
    assert model.encode_condition(None, 2) == {}
    assert model.cond_embedding({}) is None
    x = torch.randn(2 * 17, 9, 16)
    assert model.after_first_spatial(x, torch.randn(2, 16), {}) is x


class ShiftedDenoiser(DiffusionMixSTE):
    """Overrides the hooks the way a conditioned subclass does (shifts vary
    over channels: a constant one would vanish in the LayerNorms)."""

    def encode_condition(self, cond, num_rows):
        ramp = torch.linspace(-1, 1, self.embed_dim)
        return dict(shift=ramp.expand(num_rows, -1))

    def cond_embedding(self, cond_feats):
        return cond_feats['shift']

    def after_first_spatial(self, x, emb, cond_feats):
        self.seen = (tuple(x.shape), tuple(emb.shape))
        return x + torch.linspace(-1, 1, x.shape[-1])


def test_hooks_are_called_with_the_documented_shapes():
    torch.manual_seed(0)
    base = tiny_denoiser()
    sub = tiny_denoiser(ShiftedDenoiser)
    sub.load_state_dict(base.state_dict())
    x_2d, x_t, t = inputs(2)
    feats = sub.encode_condition(None, 2)
    out = sub(x_2d, x_t, t, feats)
    assert sub.seen == ((2 * 17, 9, 16), (2, 16))
    assert not torch.allclose(out, base(x_2d, x_t, t), atol=1e-4)
    # the embedding passed on is time + condition
    torch.testing.assert_close(
        sub.embedding(t, feats), base.time_mlp(t) + feats['shift'])


@pytest.mark.parametrize('shapes', [
    ((2, 9, 17, 3), (2, 9, 17, 3), (2, )),
    ((2, 9, 17, 2), (2, 9, 17, 2), (2, )),
    ((2, 9, 17, 2), (2, 9, 17, 3), (3, )),
    ((2, 10, 17, 2), (2, 10, 17, 3), (2, )),
])
def test_bad_shapes_give_clear_errors(shapes):
    model = tiny_denoiser()
    x_2d, x_t, t = (torch.zeros(s) for s in shapes)
    with pytest.raises(ValueError, match='DiffusionMixSTE'):
        model(x_2d, x_t, t.long())
