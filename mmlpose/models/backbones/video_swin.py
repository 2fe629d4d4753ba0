# Copyright (c) mmlpose contributors. All rights reserved.
"""CPP's video encoder: mmdet's Swin Transformer per frame with a temporal
attention part per level.

The paper's video encoder is a Video Swin-T. This is **mmdet's
``SwinTransformer`` (2D, run on every frame of the window) followed, on
each output level, by a temporal self-attention over the window's frames at
every spatial position** (divided space-time attention, TimeSformer
style), not mmaction2's ``SwinTransformer3D``. Why: mmdet is already a
dependency of the toolbox (mmaction2 is not, and its 3D Swin pulls in its
own registry and ops); mmdet's Swin loads the public ImageNet Swin-T
weights through ``init_cfg`` (``convert_weights=True``), the spatial part of
Video Swin-T is the same architecture (patch 4, window 7, depths 2-2-6-2,
embed 96), and the temporal part starts as the identity (zero-initialised
output projection), so the 2D weights are kept intact at the start; the
window's 6 frames are few enough that one temporal attention per level
gives every frame a view of the whole window at a small cost.
"""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmlpose.registry import MODELS


def _mmdet_backbones() -> None:
    try:
        import mmdet.models  # noqa: F401
    except ImportError as e:  # pragma: no cover - mmdet is a dependency
        raise ImportError(f'VideoSwinEncoder needs mmdet 3.x: {e}') from e


class TemporalAttention(nn.Module):
    """Pre-norm self-attention over the frames at every position of a
    ``(B, F, C, h, w)`` map, with a learned frame embedding; residual, the
    output projection zero-initialised (an identity at the start).

    Args:
        embed_dims (int): Channels C.
        num_heads (int): Heads (C must be divisible by it).
        max_frames (int): Largest window (frame embedding table).
        dropout (float): Attention dropout.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 max_frames: int = 16,
                 dropout: float = 0.) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} is not divisible by '
                             f'num_heads {num_heads}')
        self.max_frames = int(max_frames)
        self.norm = nn.LayerNorm(embed_dims)
        self.frame_embed = nn.Parameter(torch.zeros(max_frames, embed_dims))
        self.attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=dropout, batch_first=True)
        self.reset_output()

    def reset_output(self) -> None:
        nn.init.zeros_(self.attn.out_proj.weight)
        nn.init.zeros_(self.attn.out_proj.bias)
        nn.init.normal_(self.frame_embed, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        B, Fr, C, h, w = x.shape
        if Fr > self.max_frames:
            raise ValueError(f'{Fr} frames exceed max_frames '
                             f'{self.max_frames}')
        if Fr == 1:
            return x
        tokens = x.permute(0, 3, 4, 1, 2).reshape(B * h * w, Fr, C)
        q = self.norm(tokens) + self.frame_embed[:Fr]
        out, _ = self.attn(q, q, q, need_weights=False)
        tokens = tokens + out
        return tokens.reshape(B, h, w, Fr, C).permute(0, 3, 4, 1, 2)


@MODELS.register_module()
class VideoSwinEncoder(BaseModule):
    """Video Swin-T-like encoder: mmdet Swin per frame + a temporal part.

    Frames ``(B, F, 3, H, W)`` go through mmdet's ``SwinTransformer``
    (levels ``out_indices``, default strides 8, 16, 32), an mmdet
    ``ChannelMapper`` to ``out_channels`` with extra levels up to
    ``num_outs`` (default 4: + stride 64), then a :class:`TemporalAttention`
    per level (``temporal_layers`` each).

    Args:
        swin (dict): mmdet ``SwinTransformer`` arguments (``type`` optional;
            default Swin-T: embed 96, depths 2-2-6-2, heads 3-6-12-24,
            random init unless ``init_cfg`` points at weights).
        out_indices (Sequence[int]): Swin stages used. Default (1, 2, 3).
        out_channels (int): Channels of every output level. Default 256
            (the paper's 256-d video embedding).
        num_outs (int): Output levels (>= len(out_indices)). Default 4.
        temporal_layers (int): Temporal attention layers per level (0: a
            per-frame image encoder). Default 1.
        temporal_heads (int): Heads of the temporal attention. Default 8.
        max_frames (int): Largest window. Default 16.
        init_cfg (dict, optional): mmengine init config.

    Returns of :meth:`forward`: a tuple of ``num_outs`` maps
    ``(B, F, out_channels, h_l, w_l)``.
    """

    def __init__(self,
                 swin: dict = dict(
                     embed_dims=96,
                     depths=(2, 2, 6, 2),
                     num_heads=(3, 6, 12, 24),
                     window_size=7,
                     drop_path_rate=0.1),
                 out_indices: Sequence[int] = (1, 2, 3),
                 out_channels: int = 256,
                 num_outs: int = 4,
                 temporal_layers: int = 1,
                 temporal_heads: int = 8,
                 max_frames: int = 16,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        _mmdet_backbones()
        swin = dict(swin)
        swin.setdefault('type', 'mmdet.SwinTransformer')
        swin['out_indices'] = tuple(out_indices)
        if num_outs < len(out_indices):
            raise ValueError(f'num_outs ({num_outs}) < the {len(out_indices)}'
                             ' Swin levels')
        if temporal_layers < 0:
            raise ValueError(f'temporal_layers must be >= 0, got '
                             f'{temporal_layers}')
        self.swin = MODELS.build(swin)
        embed = int(swin.get('embed_dims', 96))
        in_channels = [embed * 2**i for i in out_indices]
        self.neck = MODELS.build(
            dict(
                type='mmdet.ChannelMapper',
                in_channels=in_channels,
                out_channels=out_channels,
                kernel_size=1,
                act_cfg=None,
                norm_cfg=dict(type='GN', num_groups=min(32, out_channels)),
                num_outs=num_outs))
        self.out_channels = int(out_channels)
        self.num_outs = int(num_outs)
        self.temporal = nn.ModuleList(
            nn.ModuleList(
                TemporalAttention(out_channels, temporal_heads, max_frames)
                for _ in range(temporal_layers)) for _ in range(num_outs))

    def init_weights(self) -> None:
        super().init_weights()
        for level in self.temporal:
            for layer in level:
                layer.reset_output()

    def forward(self, frames: Tensor) -> Tuple[Tensor, ...]:
        """``(B, F, 3, H, W)`` -> ``num_outs`` maps ``(B, F, C, h, w)``."""
        if not isinstance(frames, Tensor) or frames.dim() != 5:
            raise ValueError('VideoSwinEncoder expects (B, F, 3, H, W), got '
                             f'{getattr(frames, "shape", type(frames))}')
        B, Fr = frames.shape[:2]
        feats = self.neck(self.swin(frames.flatten(0, 1)))
        outs = []
        for lvl, feat in enumerate(feats):
            x = feat.view(B, Fr, *feat.shape[1:])
            for layer in self.temporal[lvl]:
                x = layer(x)
            outs.append(x)
        return tuple(outs)
