# Copyright (c) mmlpose contributors. All rights reserved.
"""Sequence-to-sequence regression head for 3D pose lifting."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.structures import InstanceData
from mmpose.evaluation.functional import keypoint_mpjpe
from mmpose.models.heads.base_head import BaseHead
from mmpose.utils.tensor_utils import to_numpy
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList
from torch import Tensor

from mmlpose.models.utils import flip_pose, root_relative
from mmlpose.registry import MODELS

LossConfig = Union[ConfigType, Sequence[ConfigType]]


def build_losses(loss: LossConfig) -> nn.ModuleDict:
    """Build one or several loss modules, keyed ``loss_<name>``.

    Each config may carry a ``name`` (popped before building); otherwise the
    snake-cased class name is used.
    """
    cfgs = [loss] if isinstance(loss, dict) else list(loss)
    losses = nn.ModuleDict()
    for cfg in cfgs:
        cfg = dict(cfg)
        name = cfg.pop('name', None) or cfg['type'].replace('Loss', '').lower()
        losses[f'loss_{name}'] = MODELS.build(cfg)
    return losses


def stack_gt(batch_data_samples: OptSampleList,
             key: str) -> Tensor:
    """Stack a ``gt_instance_labels`` field of every data sample."""
    return torch.stack(
        [d.gt_instance_labels[key] for d in batch_data_samples])


@MODELS.register_module()
class SeqRegressionHead(BaseHead):
    """Per-frame, per-joint regression of 3D coordinates from sequence
    features: ``LayerNorm`` then ``Linear`` (the MixSTE head).

    It is trained on the ``VideoPoseLifting`` codec's root-relative target
    (``lifting_target_label``); at test time the root joint of the
    prediction is pinned to the origin, so the output is in the target's
    units and frame (no decoding step: the codec's ``decode`` is the
    identity without a ``target_root``). Each sample's prediction is an
    ``InstanceData`` with one instance per frame: ``keypoints`` (T, K, C)
    and ``keypoint_scores`` (T, K) ones.

    Note:
        - batch size: B, frames: T, keypoints: K, feature channels: C

    Args:
        in_channels (int): Feature channels C. Defaults to 512.
        out_channels (int): Output dims per joint. Defaults to 3.
        loss (dict | list[dict]): Loss config(s); their sum is minimised.
            Defaults to ``WeightedMPJPELoss``.
        root_index (int, optional): Root joint of the codec (its
            ``root_index``), set to the origin at test time; None keeps the
            prediction as is. Defaults to 0.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 512,
                 out_channels: int = 3,
                 loss: LossConfig = dict(type='WeightedMPJPELoss'),
                 root_index: Optional[int] = 0,
                 init_cfg: OptConfigType = None):
        super().__init__(init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.root_index = root_index
        self.norm = nn.LayerNorm(in_channels)
        self.fc = nn.Linear(in_channels, out_channels)
        self.losses = build_losses(loss)

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """``(B, T, K, C)`` features -> ``(B, T, K, out_channels)``."""
        x = feats[-1] if isinstance(feats, (tuple, list)) else feats
        return self.fc(self.norm(x))

    def predict(self,
                feats: Union[Tuple[Tensor], List[Tuple[Tensor]]],
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> List[InstanceData]:
        """Predict root-relative 3D sequences, one ``InstanceData`` per
        sample (see the class docstring).

        With ``test_cfg.flip_test`` the features come as ``[feats,
        feats_of_flipped_input]``; the flipped prediction is mirrored back
        and the two are averaged.
        """
        if test_cfg.get('flip_test', False):
            _feats, _feats_flip = feats
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            coords = (self.forward(_feats) +
                      flip_pose(self.forward(_feats_flip), flip_indices)) / 2
        else:
            coords = self.forward(feats)
        coords = to_numpy(root_relative(coords, self.root_index).float())
        return [
            InstanceData(
                keypoints=kpts,
                keypoint_scores=np.ones(kpts.shape[:-1], dtype=np.float32))
            for kpts in coords
        ]

    def loss(self,
             feats: Tuple[Tensor],
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> Dict[str, Tensor]:
        """Sum of the configured losses plus a detached ``mpjpe`` log."""
        pred = self.forward(feats)
        target = stack_gt(batch_data_samples, 'lifting_target_label')
        weight = stack_gt(batch_data_samples, 'lifting_target_weight')
        if target.shape != pred.shape:
            raise ValueError(f'{type(self).__name__}: target shape '
                             f'{tuple(target.shape)} does not match the '
                             f'prediction {tuple(pred.shape)}')
        losses = {
            name: loss_module(pred, target, weight)
            for name, loss_module in self.losses.items()
        }
        mask = to_numpy(weight) > 0
        mpjpe = keypoint_mpjpe(
            to_numpy(pred.float()).reshape(-1, *pred.shape[-2:]),
            to_numpy(target.float()).reshape(-1, *target.shape[-2:]),
            mask.reshape(-1, mask.shape[-1])) if mask.any() else 0.
        losses['mpjpe'] = torch.tensor(mpjpe, device=pred.device)
        return losses

    @property
    def default_init_cfg(self):
        return [dict(type='TruncNormal', layer=['Linear'], std=0.02)]
