# Copyright (c) mmlpose contributors. All rights reserved.
"""Losses for sequence-to-sequence 3D pose lifting (MixSTE and its kin)."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from torch import Tensor

from mmlpose.registry import MODELS


class JointWeightedLoss(nn.Module):
    """Base of losses with fixed per-joint weights and a loss weight.

    Args:
        joint_weights (Sequence[float], optional): K per-joint weights.
            Defaults to None (all ones).
        loss_weight (float): Weight of the loss. Defaults to 1.
    """

    def __init__(self,
                 joint_weights: Optional[Sequence[float]] = None,
                 loss_weight: float = 1.):
        super().__init__()
        weights = None if joint_weights is None else torch.as_tensor(
            joint_weights, dtype=torch.float32)
        self.register_buffer('joint_weights', weights, persistent=False)
        self.loss_weight = loss_weight


@MODELS.register_module()
class WeightedMPJPELoss(JointWeightedLoss):
    """Mean per-joint position error with optional per-joint weights.

    ``loss = mean_{b,t,k}( w_k * v_btk * ||pred_btk - gt_btk||_2 )``, where
    ``w`` are the fixed joint weights (MixSTE uses larger weights for limbs)
    and ``v`` the target visibility weights.

    Args:
        joint_weights (Sequence[float], optional): K per-joint weights.
            Defaults to None (all ones).
        loss_weight (float): Weight of the loss. Defaults to 1.
    """

    def forward(self,
                pred: Tensor,
                target: Tensor,
                target_weight: Optional[Tensor] = None) -> Tensor:
        """pred, target: ``(B, T, K, D)``; target_weight: ``(B, T, K)``."""
        err = torch.linalg.vector_norm(pred - target, dim=-1)
        if self.joint_weights is not None:
            err = err * self.joint_weights
        if target_weight is not None:
            err = err * target_weight
        return err.mean() * self.loss_weight


@MODELS.register_module()
class MPJVELoss(nn.Module):
    """Mean per-joint velocity error: MPJPE between the first temporal
    differences of prediction and target.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.
    """

    def __init__(self, loss_weight: float = 1.):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self,
                pred: Tensor,
                target: Tensor,
                target_weight: Optional[Tensor] = None) -> Tensor:
        """pred, target: ``(B, T, K, D)`` with T >= 2."""
        if pred.shape[1] < 2:
            return pred.sum() * 0.
        vel_pred = pred[:, 1:] - pred[:, :-1]
        vel_gt = target[:, 1:] - target[:, :-1]
        err = torch.linalg.vector_norm(vel_pred - vel_gt, dim=-1)
        if target_weight is not None:
            err = err * target_weight[:, 1:] * target_weight[:, :-1]
        return err.mean() * self.loss_weight


@MODELS.register_module()
class TemporalConsistencyLoss(JointWeightedLoss):
    """MixSTE's temporal consistency term: the mean of joint-weighted squared
    frame-to-frame differences of the prediction (no target needed).

    Args:
        joint_weights (Sequence[float], optional): K per-joint weights.
            Defaults to None (all ones).
        loss_weight (float): Weight of the loss. Defaults to 1.
    """

    def forward(self,
                pred: Tensor,
                target: Optional[Tensor] = None,
                target_weight: Optional[Tensor] = None) -> Tensor:
        """pred: ``(B, T, K, D)``; target and target_weight are unused."""
        if pred.shape[1] < 2:
            return pred.sum() * 0.
        diff = (pred[:, 1:] - pred[:, :-1]).square()
        if self.joint_weights is not None:
            diff = diff * self.joint_weights[:, None]
        return diff.mean() * self.loss_weight
