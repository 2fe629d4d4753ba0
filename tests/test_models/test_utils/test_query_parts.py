"""The initialisation helpers shared by the ReferFormer segmenter and CPP."""
import torch
from torch import nn

from mmlpose.models.utils.query_parts import (reinit_deformable_attention,
                                              text_encoder_weights_kept)

torch.set_num_threads(1)


def test_text_encoder_weights_kept_restores_the_encoder_only():
    torch.manual_seed(0)
    model = nn.ModuleDict(dict(text=nn.Linear(3, 2), head=nn.Linear(2, 1)))
    text_before = model.text.weight.detach().clone()
    with text_encoder_weights_kept(model.text):
        for p in model.parameters():
            nn.init.constant_(p, 7.)
    assert torch.equal(model.text.weight, text_before)
    assert torch.all(model.head.weight == 7.)
    with text_encoder_weights_kept(None):  # a stage without an encoder
        nn.init.constant_(model.head.weight, 1.)
    assert torch.all(model.head.weight == 1.)


def test_reinit_deformable_attention_restores_mmdets_grid_offsets():
    from mmdet.models.layers import (DeformableDetrTransformerDecoder,
                                     DeformableDetrTransformerEncoder)
    layer = dict(embed_dims=16, num_heads=2, num_levels=1, num_points=2)
    encoder = DeformableDetrTransformerEncoder(
        num_layers=1,
        layer_cfg=dict(
            self_attn_cfg=layer,
            ffn_cfg=dict(embed_dims=16, feedforward_channels=32)))
    decoder = DeformableDetrTransformerDecoder(
        num_layers=1, post_norm_cfg=None,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=16, num_heads=2),
            cross_attn_cfg=layer,
            ffn_cfg=dict(embed_dims=16, feedforward_channels=32)))
    attns = [encoder.layers[0].self_attn, decoder.layers[0].cross_attn]
    for attn in attns:
        attn.init_weights()
    expected = [a.sampling_offsets.bias.detach().clone() for a in attns]
    assert expected[0].abs().sum() > 0  # a grid of directions, not zeros
    for attn in attns:
        nn.init.zeros_(attn.sampling_offsets.bias)
        nn.init.ones_(attn.value_proj.weight)
    reinit_deformable_attention(encoder, decoder)
    for attn, bias in zip(attns, expected):
        assert torch.equal(attn.sampling_offsets.bias, bias)
        assert not torch.all(attn.value_proj.weight == 1.)
