# Copyright (c) mmlpose contributors. All rights reserved.
"""CPP's 3D skeleton block: per-query features -> root-relative 3D joints.
"""
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmlpose.models.utils.query_parts import MLP
from mmlpose.registry import MODELS
from mmlpose.structures.panoptic import PANOPTIC_ROOT


@MODELS.register_module()
class CPPSkeletonHead(BaseModule):
    """An MLP from a query's (mask-fused) feature to its 15 root-relative
    joints in the camera frame.

    The MLP predicts metres; :meth:`forward` returns millimetres
    (``x 1000``), with the root joint subtracted so it is exactly 0.

    Args:
        in_channels (int): Feature width D.
        num_joints (int): Default 15 (Panoptic-15).
        hidden_dims (int): MLP width. Default 256.
        num_layers (int): MLP layers. Default 3.
        root_index (int): Default 2 (BodyCenter).
        loss_3d (dict): mmdet-style ``(pred, target, weight, avg_factor)``
            loss on metres. Default ``mmdet.L1Loss`` weight 1 (the
            paper's 3D weight).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int = 256,
                 num_joints: int = 15,
                 hidden_dims: int = 256,
                 num_layers: int = 3,
                 root_index: int = PANOPTIC_ROOT,
                 loss_3d: dict = dict(type='mmdet.L1Loss', loss_weight=1.0),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 <= root_index < num_joints:
            raise ValueError(f'root_index {root_index} outside the '
                             f'{num_joints} joints')
        self.num_joints = int(num_joints)
        self.root_index = int(root_index)
        self.mlp = MLP(in_channels, hidden_dims, num_joints * 3, num_layers)
        try:
            import mmdet.models.losses  # noqa: F401
        except ImportError:  # pragma: no cover
            pass
        self.loss_3d = MODELS.build(loss_3d)
        nn.init.zeros_(self.mlp.layers[-1].bias)

    def forward(self, feats: Tensor) -> Tensor:
        """``(..., D)`` -> ``(..., 15, 3)`` root-relative mm (camera axes).
        """
        out = self.mlp(feats).unflatten(-1, (self.num_joints, 3))
        out = out - out[..., self.root_index:self.root_index + 1, :]
        return out * 1000.

    def loss(self,
             pred_mm: Tensor,
             target_mm: Tensor,
             visible: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """L1 in metres between ``(M, 15, 3)`` root-relative predictions and
        targets (the target root is subtracted here), over ``(M, 15)``
        visible joints; ``loss_3d``."""
        if pred_mm.shape != target_mm.shape:
            raise ValueError(f'pred {tuple(pred_mm.shape)} and target '
                             f'{tuple(target_mm.shape)} differ')
        target = target_mm - target_mm[...,
                                       self.root_index:self.root_index + 1, :]
        if visible is None:
            visible = torch.ones(pred_mm.shape[:-1], device=pred_mm.device)
        weight = visible.to(pred_mm).unsqueeze(-1).expand_as(pred_mm)
        weight = weight * torch.isfinite(target).all(-1, keepdim=True)
        target = torch.nan_to_num(target)
        return dict(
            loss_3d=self.loss_3d(
                pred_mm / 1000.,
                target / 1000.,
                weight=weight,
                avg_factor=weight.sum().clamp(min=1.)))
