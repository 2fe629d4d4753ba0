# Copyright (c) mmlpose contributors. All rights reserved.
"""CPP's fusion blocks (issue 11).

- :class:`BodyFusionBlock`: the body fusion block. The 2D pose branch's
  feature map and joint maps (15 joint heatmaps + the root heatmap, stride
  4) are projected to the transformer width, pooled to every level of the
  video encoder's current-frame maps and added to them; then every level
  attends to the sentence's tokens (:class:`TextCrossAttention`).
  ``use_pose=False`` is the paper's Table 5 ablation "w/o pose features"
  (video + text only).
- :class:`MaskFusionBlock`: the mask fusion block. Every query's predicted
  mask (sigmoid) pools the stride-8 visual map and the pose feature map
  (mask-weighted averages); both are fused with the query's decoder feature
  (MLP, residual, LayerNorm) into the feature the 3D skeleton block reads.
"""
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmlpose.models.utils.query_parts import MLP, TextCrossAttention
from mmlpose.registry import MODELS


@MODELS.register_module()
class BodyFusionBlock(BaseModule):
    """Joint maps / pose features fused with video and text features.

    Args:
        embed_dims (int): Transformer width D (the video levels' channels).
        pose_channels (int): Channels of the pose feature map.
        num_joints (int): Joint heatmaps (the root heatmap is one more
            channel). Default 15.
        num_levels (int): Video levels. Default 4.
        num_heads (int): Heads of the text cross-attention. Default 8.
        dropout (float): Dropout. Default 0.1.
        use_pose (bool): Fuse the pose features (False: the "w/o pose
            features" ablation; no pose parameters are built). Default True.
        use_text (bool): Attend to the sentence. Default True.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 pose_channels: int = 256,
                 num_joints: int = 15,
                 num_levels: int = 4,
                 num_heads: int = 8,
                 dropout: float = 0.1,
                 use_pose: bool = True,
                 use_text: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = int(embed_dims)
        self.num_levels = int(num_levels)
        self.num_joints = int(num_joints)
        self.use_pose = bool(use_pose)
        self.use_text = bool(use_text)
        if self.use_pose:
            cin = int(pose_channels) + self.num_joints + 1
            self.pose_proj = nn.Sequential(
                nn.Conv2d(cin, embed_dims, 1),
                nn.GroupNorm(min(32, embed_dims), embed_dims), nn.ReLU(True))
            self.level_proj = nn.ModuleList(
                nn.Conv2d(embed_dims, embed_dims, 1)
                for _ in range(num_levels))
        if self.use_text:
            self.text_attn = nn.ModuleList(
                TextCrossAttention(embed_dims, num_heads, dropout)
                for _ in range(num_levels))

    def forward(self,
                video: Sequence[Tensor],
                pos: Sequence[Tensor],
                text: Tensor,
                text_mask: Tensor,
                pose_feats: Optional[Tensor] = None,
                joint_maps: Optional[Tensor] = None) -> List[Tensor]:
        """Fuse the current frame's video levels.

        Args:
            video (Sequence[Tensor]): ``num_levels`` maps ``(B, D, h, w)``.
            pos (Sequence[Tensor]): Their positions ``(B, h * w, D)``.
            text (Tensor): ``(B, L, D)`` projected token features.
            text_mask (Tensor): ``(B, L)`` bool, True at real tokens.
            pose_feats (Tensor, optional): ``(B, Cp, h4, w4)`` pose feature
                map (needed with ``use_pose``).
            joint_maps (Tensor, optional): ``(B, num_joints + 1, h4, w4)``
                joint + root heatmaps (needed with ``use_pose``).

        Returns:
            list[Tensor]: ``num_levels`` token maps ``(B, h * w, D)``.
        """
        if len(video) != self.num_levels or len(pos) != self.num_levels:
            raise ValueError(f'BodyFusionBlock expects {self.num_levels} '
                             f'levels, got {len(video)} maps / {len(pos)} '
                             'positions')
        pose = None
        if self.use_pose:
            if pose_feats is None or joint_maps is None:
                raise ValueError('BodyFusionBlock(use_pose=True) needs '
                                 'pose_feats and joint_maps')
            pose = self.pose_proj(torch.cat([pose_feats, joint_maps], 1))
        outs = []
        for lvl, (feat, p) in enumerate(zip(video, pos)):
            if pose is not None:
                pooled = F.adaptive_avg_pool2d(pose, feat.shape[-2:])
                feat = feat + self.level_proj[lvl](pooled)
            tokens = feat.flatten(2).transpose(1, 2)
            if self.use_text:
                tokens = self.text_attn[lvl](tokens, p, text, text_mask)
            outs.append(tokens)
        return outs


@MODELS.register_module()
class MaskFusionBlock(BaseModule):
    """Each query's mask pools visual and pose features into its feature.

    Args:
        embed_dims (int): Query / visual width D.
        pose_channels (int): Channels of the pose feature map (0: no pose
            pooling).
        hidden_dims (int, optional): MLP width. Default ``embed_dims``.
        dropout (float): Dropout on the fused update. Default 0.1.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 pose_channels: int = 256,
                 hidden_dims: Optional[int] = None,
                 dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = int(embed_dims)
        self.pose_channels = int(pose_channels)
        hidden = int(hidden_dims or embed_dims)
        if self.pose_channels > 0:
            self.pose_proj = nn.Conv2d(self.pose_channels, embed_dims, 1)
        parts = 3 if self.pose_channels > 0 else 2
        self.mlp = MLP(parts * embed_dims, hidden, embed_dims, 2)
        self.drop = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self,
                query: Tensor,
                mask_logits: Tensor,
                visual: Tensor,
                pose_feats: Optional[Tensor] = None) -> Tensor:
        """``(B, Q, D)`` queries, ``(B, Q, h, w)`` mask logits, ``(B, D, h,
        w)`` visual map, ``(B, Cp, h', w')`` pose features -> ``(B, Q, D)``.
        """
        h, w = mask_logits.shape[-2:]
        if visual.shape[-2:] != (h, w):
            visual = F.interpolate(
                visual, size=(h, w), mode='bilinear', align_corners=False)
        weight = mask_logits.sigmoid()
        weight = weight / weight.flatten(2).sum(-1).clamp(min=1e-6)[..., None,
                                                                    None]
        parts = [query, torch.einsum('bqhw,bdhw->bqd', weight, visual)]
        if self.pose_channels > 0:
            if pose_feats is None:
                raise ValueError('MaskFusionBlock(pose_channels > 0) needs '
                                 'pose_feats')
            pose = self.pose_proj(F.adaptive_avg_pool2d(pose_feats, (h, w)))
            parts.append(torch.einsum('bqhw,bdhw->bqd', weight, pose))
        return self.norm(query + self.drop(self.mlp(torch.cat(parts, -1))))
