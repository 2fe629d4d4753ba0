# Copyright (c) mmlpose contributors. All rights reserved.
"""MixSTE as the x0-predicting denoiser of diffusion lifters.

Shan et al., "Diffusion-Based 3D Human Pose Estimation with Multi-Hypothesis
Aggregation" (D3DP), ICCV 2023; the same network, plus text, is the denoiser
of FinePOSE (CVPR 2024).
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
from torch import Tensor

from mmlpose.registry import MODELS
from .mixste import MixSTE


class SinusoidalTimeEmbedding(nn.Module):
    """Transformer-style sinusoidal embedding of diffusion timesteps:
    ``(N, ) -> (N, dim)``, sines of all frequencies then cosines, with
    frequencies ``10000^(-i / (dim/2 - 1))``, ``i = 0 .. dim/2 - 1`` (the
    D3DP code's embedding).

    This is diffusers' ``get_timestep_embedding`` with
    ``flip_sin_to_cos=False`` (sines first) and ``downscale_freq_shift=1``
    (the exponent is divided by ``dim/2 - 1``).
    """

    def __init__(self, dim: int):
        super().__init__()
        if dim % 2 or dim < 4:
            raise ValueError(f'time embedding dim must be even and >= 4, got '
                             f'{dim}')
        self.dim = dim
        # imported here: diffusers takes seconds to import, and only the
        # diffusion lifters need it
        try:
            from diffusers.models.embeddings import get_timestep_embedding
        except ImportError as e:  # pragma: no cover - depends on the install
            raise ImportError(
                'SinusoidalTimeEmbedding needs diffusers (pip install '
                'diffusers==0.35.2, see requirements/runtime.txt)') from e
        self._embed = get_timestep_embedding

    def forward(self, t: Tensor) -> Tensor:
        return self._embed(
            t, self.dim, flip_sin_to_cos=False, downscale_freq_shift=1)


@MODELS.register_module()
class DiffusionMixSTE(MixSTE):
    """MixSTE denoiser predicting the clean 3D pose from 2D keypoints, a
    noisy 3D pose and the diffusion timestep (the D3DP network).

    Each joint token embeds ``concat(2D, noisy 3D)``; a timestep embedding
    (sinusoidal -> Linear(C, 2C) -> GELU -> Linear(2C, C)), plus an optional
    conditioning embedding, is added to every token; then spatial block 0,
    the :meth:`after_first_spatial` hook, temporal block 0 and the remaining
    spatial/temporal pairs; ``LayerNorm(C)`` + ``Linear(C, 3)`` give x0.

    Subclasses add conditioning (FinePOSE: text prompts) by overriding
    :meth:`encode_condition` (once per sample, before sampling),
    :meth:`cond_embedding` (added to the timestep embedding) and
    :meth:`after_first_spatial` (between spatial and temporal block 0).

    Note:
        - rows (samples x hypotheses x flips): N
        - frames: T, keypoints: K, feature channels: C

    Args:
        in_channels (int): Channels of the 2D condition. Defaults to 2.
        pose_channels (int): Channels of the noisy / predicted pose.
            Defaults to 3.
        num_keypoints, seq_len, embed_dim, depth, num_heads, mlp_ratio,
        qkv_bias, drop_rate, attn_drop_rate, drop_path_rate, init_cfg:
            See :class:`MixSTE` (``embed_dim`` must be even).

    Example:
        >>> net = DiffusionMixSTE(seq_len=9, embed_dim=32, depth=2,
        ...                       num_heads=4)
        >>> net(torch.rand(2, 9, 17, 2), torch.randn(2, 9, 17, 3),
        ...     torch.tensor([10, 500]), {}).shape
        torch.Size([2, 9, 17, 3])
    """

    def __init__(self,
                 in_channels: int = 2,
                 pose_channels: int = 3,
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
        super().__init__(
            in_channels=in_channels + pose_channels,
            num_keypoints=num_keypoints,
            seq_len=seq_len,
            embed_dim=embed_dim,
            depth=depth,
            num_heads=num_heads,
            mlp_ratio=mlp_ratio,
            qkv_bias=qkv_bias,
            drop_rate=drop_rate,
            attn_drop_rate=attn_drop_rate,
            drop_path_rate=drop_path_rate,
            init_cfg=init_cfg)
        self.in_channels = in_channels
        self.pose_channels = pose_channels
        self.time_mlp = nn.Sequential(
            SinusoidalTimeEmbedding(embed_dim),
            nn.Linear(embed_dim, 2 * embed_dim), nn.GELU(),
            nn.Linear(2 * embed_dim, embed_dim))
        self.head = nn.Sequential(
            nn.LayerNorm(embed_dim), nn.Linear(embed_dim, pose_channels))

    # --- conditioning hooks (identity for D3DP) ---------------------------
    def encode_condition(self, cond: Optional[dict],
                         num_rows: int) -> Dict[str, Tensor]:
        """Per-sample conditioning features, computed once before sampling.

        Args:
            cond (dict, optional): Raw per-sample conditions, e.g.
                ``dict(action_text=[str] * num_rows)``.
            num_rows (int): Number of samples.

        Returns:
            dict: Features whose tensors have ``num_rows`` rows first; the
            head repeats those rows for hypotheses and flips. D3DP: ``{}``.
        """
        return {}

    def cond_embedding(self, cond_feats: Dict[str, Tensor]
                       ) -> Optional[Tensor]:
        """``(N, C)`` embedding added to the timestep embedding, or None
        (D3DP)."""
        return None

    def after_first_spatial(self, x: Tensor, emb: Tensor,
                            cond_feats: Dict[str, Tensor]) -> Tensor:
        """Hook between spatial block 0 and temporal block 0.

        Args:
            x (Tensor): ``(N*K, T, C)`` features laid out per joint
                sequence (rows ordered ``n * K + k``).
            emb (Tensor): ``(N, C)`` timestep (+ condition) embedding.
            cond_feats (dict): Conditioning features with N rows.

        Returns:
            Tensor: ``(N*K, T, C)``; D3DP returns ``x`` unchanged.
        """
        return x

    # --- network ----------------------------------------------------------
    def embedding(self, t: Tensor, cond_feats: Dict[str, Tensor]) -> Tensor:
        """Timestep embedding plus :meth:`cond_embedding`: ``(N, C)``."""
        emb = self.time_mlp(t)
        cond = self.cond_embedding(cond_feats)
        return emb if cond is None else emb + cond

    def check_inputs(self, x_2d: Tensor, x_t: Tensor, t: Tensor) -> None:
        """Raise a clear error for inputs of the wrong shape."""
        name = type(self).__name__
        expected = (self.num_keypoints, self.in_channels)
        if x_2d.ndim != 4 or x_2d.shape[2:] != expected:
            raise ValueError(f'{name} expects x_2d of shape (N, T, '
                             f'{self.num_keypoints}, {self.in_channels}), '
                             f'got {tuple(x_2d.shape)}')
        if x_t.shape != x_2d.shape[:3] + (self.pose_channels, ):
            expected = tuple(x_2d.shape[:3]) + (self.pose_channels, )
            raise ValueError(f'{name} expects x_t of shape {expected}, got '
                             f'{tuple(x_t.shape)}')
        if t.shape != x_2d.shape[:1]:
            raise ValueError(f'{name} expects t of shape ({x_2d.shape[0]}, ), '
                             f'got {tuple(t.shape)}')
        if x_2d.shape[1] > self.seq_len:
            raise ValueError(f'{name} was built for at most {self.seq_len} '
                             f'frames, got {x_2d.shape[1]}')

    def forward(self,
                x_2d: Tensor,
                x_t: Tensor,
                t: Tensor,
                cond_feats: Optional[Dict[str, Tensor]] = None) -> Tensor:
        """Predict x0.

        Args:
            x_2d (Tensor): ``(N, T, K, 2)`` normalised 2D keypoints.
            x_t (Tensor): ``(N, T, K, 3)`` noisy root-relative poses.
            t (Tensor): ``(N, )`` timesteps.
            cond_feats (dict, optional): Rows of :meth:`encode_condition`
                matching N. Defaults to ``{}``.

        Returns:
            Tensor: ``(N, T, K, 3)`` predicted clean poses.
        """
        self.check_inputs(x_2d, x_t, t)
        cond_feats = {} if cond_feats is None else cond_feats
        N, T, K, _ = x_2d.shape
        emb = self.embedding(t, cond_feats)  # (N, C)
        x = torch.cat([x_2d, x_t], dim=-1).reshape(N * T, K, -1)
        emb_tokens = emb.repeat_interleave(T, dim=0)[:, None]  # (N*T, 1, C)
        x = self.joint_embed(x) + self.spatial_pos_embed + emb_tokens
        x = self.spatial_forward(self.pos_drop(x), 0)
        x = self.to_joint_sequences(x, N)
        x = self.after_first_spatial(x, emb, cond_feats)
        x = self.to_frame_tokens(self.temporal_block(x, 0), N)
        for i in range(1, self.depth):
            x = self.spatial_forward(x, i)
            x = self.temporal_forward(x, i, N)
        return self.head(x).reshape(N, T, K, self.pose_channels)
