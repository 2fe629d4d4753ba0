# Copyright (c) mmlpose contributors. All rights reserved.
"""MixSTE: seq2seq mixed spatio-temporal encoder for 3D pose lifting.

Zhang et al., "MixSTE: Seq2seq Mixed Spatio-Temporal Encoder for 3D Human
Pose Estimation in Video", CVPR 2022.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from torch import Tensor

from mmlpose.registry import MODELS


class Attention(nn.Module):
    """Multi-head self-attention on ``(B, N, C)`` tokens using
    :func:`torch.nn.functional.scaled_dot_product_attention`."""

    def __init__(self,
                 dim: int,
                 num_heads: int = 8,
                 qkv_bias: bool = True,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.):
        super().__init__()
        if dim % num_heads != 0:
            raise ValueError(
                f'dim ({dim}) must be divisible by num_heads ({num_heads})')
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: Tensor) -> Tensor:
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        x = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop if self.training else 0.)
        x = x.transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(x))


class Mlp(nn.Sequential):
    """Two-layer feed-forward network with GELU."""

    def __init__(self, dim: int, hidden_dim: int, drop: float = 0.):
        super().__init__(
            nn.Linear(dim, hidden_dim), nn.GELU(), nn.Dropout(drop),
            nn.Linear(hidden_dim, dim), nn.Dropout(drop))


class TransformerBlock(nn.Module):
    """Pre-norm transformer block: ``x + attn(norm(x))``, ``x + mlp(norm(x))``.
    """

    def __init__(self,
                 dim: int,
                 num_heads: int,
                 mlp_ratio: float = 2.,
                 qkv_bias: bool = True,
                 drop: float = 0.,
                 attn_drop: float = 0.,
                 drop_path: float = 0.):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, qkv_bias, attn_drop, drop)
        self.drop_path = (DropPath(drop_path)
                          if drop_path > 0 else nn.Identity())
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x


@MODELS.register_module()
class MixSTE(BaseModule):
    """MixSTE backbone: alternating spatial and temporal transformer blocks.

    Each spatial block attends over the K joints of a frame, each temporal
    block over the T frames of a joint; ``depth`` spatial/temporal pairs are
    stacked. The output is a per-joint, per-frame feature; a head maps it to
    3D coordinates (see :class:`SeqRegressionHead`).

    Note:
        - batch size: B
        - number of frames: T
        - number of keypoints: K
        - input channels: C_in (2 for 2D keypoints)
        - feature channels: C

    Args:
        in_channels (int): Channels per input joint. Defaults to 2.
        num_keypoints (int): Number of joints K. Defaults to 17.
        seq_len (int): Maximum number of frames T (size of the temporal
            position embedding). Defaults to 243.
        embed_dim (int): Feature channels C. Defaults to 512.
        depth (int): Number of spatial/temporal block pairs. Defaults to 8.
        num_heads (int): Attention heads. Defaults to 8.
        mlp_ratio (float): Hidden size of the MLP relative to C.
            Defaults to 2.
        qkv_bias (bool): Bias in the qkv projection. Defaults to True.
        drop_rate (float): Dropout after embeddings and in blocks.
            Defaults to 0.
        attn_drop_rate (float): Attention dropout. Defaults to 0.
        drop_path_rate (float): Stochastic depth, increasing linearly over
            the blocks. Defaults to 0.1.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> model = MixSTE(seq_len=27, embed_dim=32, depth=2, num_heads=4)
        >>> model(torch.rand(2, 27, 17, 2))[0].shape
        torch.Size([2, 27, 17, 32])
    """

    def __init__(self,
                 in_channels: int = 2,
                 num_keypoints: int = 17,
                 seq_len: int = 243,
                 embed_dim: int = 512,
                 depth: int = 8,
                 num_heads: int = 8,
                 mlp_ratio: float = 2.,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.1,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_keypoints = num_keypoints
        self.seq_len = seq_len
        self.embed_dim = embed_dim
        self.depth = depth

        self.joint_embed = nn.Linear(in_channels, embed_dim)
        self.spatial_pos_embed = nn.Parameter(
            torch.zeros(1, num_keypoints, embed_dim))
        self.temporal_pos_embed = nn.Parameter(
            torch.zeros(1, seq_len, embed_dim))
        self.pos_drop = nn.Dropout(drop_rate)

        dpr = torch.linspace(0, drop_path_rate, depth).tolist()
        block_args = dict(
            dim=embed_dim,
            num_heads=num_heads,
            mlp_ratio=mlp_ratio,
            qkv_bias=qkv_bias,
            drop=drop_rate,
            attn_drop=attn_drop_rate)
        self.spatial_blocks = nn.ModuleList(
            [TransformerBlock(drop_path=dpr[i], **block_args)
             for i in range(depth)])
        self.temporal_blocks = nn.ModuleList(
            [TransformerBlock(drop_path=dpr[i], **block_args)
             for i in range(depth)])
        # MixSTE shares one LayerNorm after all spatial blocks and one after
        # all temporal blocks.
        self.spatial_norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.temporal_norm = nn.LayerNorm(embed_dim, eps=1e-6)

    def init_weights(self) -> None:
        super().init_weights()
        if self.init_cfg is not None and self.init_cfg.get(
                'type') == 'Pretrained':
            return
        trunc_normal_(self.spatial_pos_embed, std=.02)
        trunc_normal_(self.temporal_pos_embed, std=.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def embed(self, x: Tensor) -> Tensor:
        """Embed joints: ``(B, T, K, C_in) -> (B*T, K, C)``."""
        B, T, K, _ = x.shape
        x = self.joint_embed(x.reshape(B * T, K, -1))
        return self.pos_drop(x + self.spatial_pos_embed)

    def spatial_forward(self, x: Tensor, idx: int) -> Tensor:
        """Spatial block ``idx`` on ``(B*T, K, C)`` tokens."""
        return self.spatial_norm(self.spatial_blocks[idx](x))

    @staticmethod
    def to_joint_sequences(x: Tensor, batch_size: int) -> Tensor:
        """Per-frame tokens to per-joint sequences:
        ``(B*T, K, C) -> (B*K, T, C)``."""
        BT, K, C = x.shape
        T = BT // batch_size
        return x.reshape(batch_size, T, K, C).transpose(1, 2).reshape(-1, T, C)

    @staticmethod
    def to_frame_tokens(x: Tensor, batch_size: int) -> Tensor:
        """Per-joint sequences to per-frame tokens, the inverse of
        :meth:`to_joint_sequences`: ``(B*K, T, C) -> (B*T, K, C)``."""
        BK, T, C = x.shape
        K = BK // batch_size
        return x.reshape(batch_size, K, T, C).transpose(1, 2).reshape(-1, K, C)

    def temporal_block(self, x: Tensor, idx: int) -> Tensor:
        """Temporal block ``idx`` on ``(B*K, T, C)`` per-joint sequences
        (block 0 adds the temporal position embedding first)."""
        if idx == 0:
            x = self.pos_drop(x + self.temporal_pos_embed[:, :x.shape[1]])
        return self.temporal_norm(self.temporal_blocks[idx](x))

    def temporal_forward(self, x: Tensor, idx: int, batch_size: int) -> Tensor:
        """Temporal block ``idx``: ``(B*T, K, C) -> (B*T, K, C)``, attending
        over frames of each joint."""
        x = self.temporal_block(self.to_joint_sequences(x, batch_size), idx)
        return self.to_frame_tokens(x, batch_size)

    def check_input(self, x: Tensor) -> None:
        """Raise a clear error for inputs of the wrong shape."""
        if x.ndim != 4 or x.shape[2] != self.num_keypoints \
                or x.shape[3] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} expects input of shape (B, T, '
                f'{self.num_keypoints}, {self.in_channels}), got '
                f'{tuple(x.shape)}')
        if x.shape[1] > self.seq_len:
            raise ValueError(
                f'{type(self).__name__} was built for at most '
                f'{self.seq_len} frames, got {x.shape[1]}')

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        """Forward ``(B, T, K, C_in)`` keypoints to ``(B, T, K, C)`` features.
        """
        self.check_input(x)
        B, T, K, _ = x.shape
        x = self.embed(x)
        for i in range(self.depth):
            x = self.spatial_forward(x, i)
            x = self.temporal_forward(x, i, B)
        return (x.reshape(B, T, K, self.embed_dim), )
