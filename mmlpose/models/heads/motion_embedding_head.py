# Copyright (c) mmlpose contributors. All rights reserved.
"""Sequence-level motion embedding (and action logits) from lifter
features."""
from typing import Dict, Optional, Sequence, Union

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmlpose.registry import MODELS


@MODELS.register_module()
class MotionEmbeddingHead(BaseModule):
    """Pose branch of LangPose's motion-language space: backbone features
    ``(B, T, K, C)`` are averaged over frames and joints, layer-normalised,
    and projected to the shared ``embed_dim`` space (one ``Linear``, or a
    ``Linear-GELU-Linear`` MLP when ``hidden_dim`` is given). With
    ``num_classes > 0`` a ``Linear`` classifier on the pooled features gives
    action logits (stage 1's recognition task).

    The losses live in :class:`LangPoseLifter` (they need the texts).

    Note:
        - batch size: B, frames: T, keypoints: K, feature channels: C

    Args:
        in_channels (int): Feature channels C.
        embed_dim (int): Embedding width D. Defaults to 256.
        num_classes (int): Action classes; 0 = no classifier. Defaults to 0.
        hidden_dim (int, optional): Hidden width of an MLP projection.
            Defaults to None (a single ``Linear``).
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> head = MotionEmbeddingHead(16, embed_dim=8, num_classes=3)
        >>> out = head(torch.rand(2, 5, 17, 16))
        >>> out['embed'].shape, out['logits'].shape
        (torch.Size([2, 8]), torch.Size([2, 3]))
    """

    def __init__(self,
                 in_channels: int,
                 embed_dim: int = 256,
                 num_classes: int = 0,
                 hidden_dim: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1 or embed_dim < 1 or num_classes < 0 or (
                hidden_dim is not None and hidden_dim < 1):
            raise ValueError('MotionEmbeddingHead needs in_channels, '
                             'embed_dim (and hidden_dim) >= 1 and '
                             f'num_classes >= 0, got {in_channels}, '
                             f'{embed_dim}, {hidden_dim}, {num_classes}')
        self.in_channels = in_channels
        self.embed_dim = embed_dim
        self.num_classes = num_classes
        self.norm = nn.LayerNorm(in_channels)
        if hidden_dim is None:
            self.projection = nn.Linear(in_channels, embed_dim)
        else:
            self.projection = nn.Sequential(
                nn.Linear(in_channels, hidden_dim), nn.GELU(),
                nn.Linear(hidden_dim, embed_dim))
        self.classifier = nn.Linear(in_channels,
                                    num_classes) if num_classes else None

    def pool(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """``(B, T, K, C)`` features (or a tuple ending with them) ->
        ``(B, C)`` normalised mean over frames and joints."""
        x = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if x.ndim != 4 or x.shape[-1] != self.in_channels:
            raise ValueError(f'{type(self).__name__} expects features of '
                             f'shape (B, T, K, {self.in_channels}), got '
                             f'{tuple(x.shape)}')
        return self.norm(x.mean(dim=(1, 2)))

    def forward(self, feats: Union[Tensor,
                                   Sequence[Tensor]]) -> Dict[str, Tensor]:
        """``{'embed': (B, D)}`` (not normalised), plus ``'logits'``
        ``(B, num_classes)`` when there is a classifier."""
        pooled = self.pool(feats)
        out = dict(embed=self.projection(pooled))
        if self.classifier is not None:
            out['logits'] = self.classifier(pooled)
        return out
