# Copyright (c) mmlpose contributors. All rights reserved.
"""VirtualPose-style 2D pose maps of CPP's stage 1 (issue 11).

On a stride-4 backbone feature map (the heatmap grid of
:class:`~mmlpose.datasets.transforms.GenerateVoxelPoseTargets`),
:class:`VoxelPoseMapHead` predicts per pixel: 15 joint heatmaps, a root
heatmap, the root's camera-frame depth (metres) and the person's 2D box
size (heatmap px), CenterNet style. Its losses use the targets that
:class:`~mmlpose.datasets.transforms.PackL3DInputs` packs into
``gt_fields`` (``heatmaps``, ``root_heatmap``) and ``gt_instance_labels``
(``root_ind``, ``root_depth``, ``box_wh``, ``reg_mask``);
:meth:`VoxelPoseMapHead.decode_peaks` gives the root candidates (max-pool
NMS, top-k, threshold) that CPP's queries start from.
"""
import math
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmlpose.registry import MODELS

OUTPUT_KEYS = ('heatmaps', 'root_heatmap', 'root_depth', 'box_wh', 'features')


def _mmdet_losses() -> None:
    """Register mmdet's losses (``mmdet.L1Loss``) when mmdet is there."""
    try:
        import mmdet.models.losses  # noqa: F401
    except ImportError:  # pragma: no cover - mmdet is a dependency
        pass


def _stack_field(data_samples: Sequence, group: str, key: str) -> Tensor:
    """Stack ``sample.<group>.<key>`` over the batch, with a clear error
    when a sample lacks it (no GenerateVoxelPoseTargets in the pipeline)."""
    values = []
    for i, sample in enumerate(data_samples):
        data = getattr(sample, group, None)
        if data is None or key not in data:
            raise KeyError(f'data sample {i} has no {group}.{key} (put '
                           'GenerateVoxelPoseTargets in the pipeline)')
        values.append(torch.as_tensor(data.get(key)))
    return torch.stack(values)


@MODELS.register_module()
class VoxelPoseMapHead(BaseModule):
    """2D pose maps at stride 4 of the input (VirtualPose / CenterNet).

    ``num_convs`` 3x3 conv-BN-ReLU layers make the head's pose feature map
    (``feat_channels``), then 1x1 branches give the maps:

    - ``heatmaps`` (N, num_joints, h, w) and ``root_heatmap`` (N, 1, h, w):
      linear outputs (no sigmoid), regressed to the Gaussian targets (peak
      1) by MSE, as SimpleBaseline / VirtualPose; the branches start near
      0 (weights std 1e-3, bias 0);
    - ``root_depth`` (N, 1, h, w) metres, camera-frame z of the root,
      ``softplus`` of the branch (positive), starting at ``init_depth``;
    - ``box_wh`` (N, 2, h, w) heatmap px (width, height), linear.

    Args:
        in_channels (int): Channels of the input feature map.
        num_joints (int): Default 15 (Panoptic-15).
        feat_channels (int): Channels of the pose feature map. Default 256.
        num_convs (int): 3x3 layers before the branches. Default 2.
        heatmap_size (tuple, optional): Expected ``(w, h)`` of the maps
            (input / 4; e.g. ``(240, 128)`` for 960x512 inputs, ``(60, 32)``
            for 240x128); checked in :meth:`forward` unless None.
        in_index (int): Which map of a tuple input to use (0: the stride-4
            level of an FPN or the single output of
            :class:`~mmlpose.models.necks.PoseDeconvNeck`). Default 0.
        init_depth (float): Initial depth prediction, metres. Default 4.
        loss_heatmap (dict): Loss of the joint and root heatmaps
            (``output, target`` -> scalar). Default mmpose's
            ``KeypointMSELoss``, weight 10000 (the paper's).
        loss_box (dict): mmdet-style ``(pred, target, weight, avg_factor)``
            loss of ``box_wh`` at the roots. Default ``mmdet.L1Loss``, 1.
        loss_depth (dict): The same for ``root_depth``. Default
            ``mmdet.L1Loss``, 1.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int,
                 num_joints: int = 15,
                 feat_channels: int = 256,
                 num_convs: int = 2,
                 heatmap_size: Optional[Tuple[int, int]] = (240, 128),
                 in_index: int = 0,
                 init_depth: float = 4.,
                 loss_heatmap: dict = dict(
                     type='mmpose.KeypointMSELoss', loss_weight=10000.),
                 loss_box: dict = dict(type='mmdet.L1Loss', loss_weight=1.),
                 loss_depth: dict = dict(type='mmdet.L1Loss', loss_weight=1.),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if in_channels <= 0 or num_joints <= 0 or feat_channels <= 0:
            raise ValueError('in_channels, num_joints and feat_channels must '
                             f'be > 0, got {in_channels}, {num_joints}, '
                             f'{feat_channels}')
        if num_convs < 0:
            raise ValueError(f'num_convs must be >= 0, got {num_convs}')
        if heatmap_size is not None and (len(heatmap_size) != 2
                                         or min(heatmap_size) <= 0):
            raise ValueError(f'heatmap_size must be (w, h) > 0 or None, got '
                             f'{heatmap_size}')
        if init_depth <= 0:
            raise ValueError(f'init_depth must be > 0 m, got {init_depth}')
        self.in_channels = int(in_channels)
        self.num_joints = int(num_joints)
        self.feat_channels = int(feat_channels)
        self.heatmap_size = None if heatmap_size is None else (int(
            heatmap_size[0]), int(heatmap_size[1]))
        self.in_index = int(in_index)
        self.init_depth = float(init_depth)

        layers = []
        ch = self.in_channels
        for _ in range(num_convs):
            layers.append(
                ConvModule(
                    ch,
                    self.feat_channels,
                    3,
                    padding=1,
                    norm_cfg=dict(type='BN'),
                    act_cfg=dict(type='ReLU')))
            ch = self.feat_channels
        if ch != self.feat_channels:  # num_convs == 0: 1x1 projection
            layers.append(nn.Conv2d(ch, self.feat_channels, 1))
        self.convs = nn.Sequential(*layers)
        c = self.feat_channels
        self.heatmap_branch = nn.Conv2d(c, self.num_joints + 1, 1)
        self.depth_branch = nn.Conv2d(c, 1, 1)
        self.box_branch = nn.Conv2d(c, 2, 1)

        _mmdet_losses()
        self.loss_heatmap = MODELS.build(loss_heatmap)
        self.loss_box = MODELS.build(loss_box)
        self.loss_depth = MODELS.build(loss_depth)

        self._init_branches()

    def init_weights(self) -> None:
        super().init_weights()
        self._init_branches()

    def _init_branches(self) -> None:
        for m in (self.heatmap_branch, self.box_branch, self.depth_branch):
            nn.init.normal_(m.weight, std=1e-3)
            nn.init.zeros_(m.bias)
        # softplus(b) = init_depth
        nn.init.constant_(
            self.depth_branch.bias,
            self.init_depth + math.log(-math.expm1(-self.init_depth)))

    def _select(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        if isinstance(feats, (list, tuple)):
            if not -len(feats) <= self.in_index < len(feats):
                raise ValueError(f'in_index {self.in_index} outside the '
                                 f'{len(feats)} input feature maps')
            feats = feats[self.in_index]
        if not isinstance(feats, Tensor) or feats.dim() != 4 or \
                feats.shape[1] != self.in_channels:
            shape = tuple(feats.shape) if isinstance(feats, Tensor) else \
                type(feats).__name__
            raise ValueError(f'VoxelPoseMapHead expects features (N, '
                             f'{self.in_channels}, h, w), got {shape}')
        return feats

    def forward(self, feats: Union[Tensor,
                                   Sequence[Tensor]]) -> Dict[str, Tensor]:
        """Pose maps of a stride-4 feature map.

        Args:
            feats (Tensor | tuple): (N, in_channels, h, w), or a tuple of
                maps of which ``in_index`` is taken.

        Returns:
            dict: ``heatmaps`` (N, num_joints, h, w) linear (no sigmoid),
            ``root_heatmap`` (N, 1, h, w) linear, ``root_depth``
            (N, 1, h, w) metres (> 0), ``box_wh`` (N, 2, h, w) heatmap px,
            ``features`` (N, feat_channels, h, w) the pose feature map.
        """
        x = self._select(feats)
        if self.heatmap_size is not None and \
                (x.shape[-1], x.shape[-2]) != self.heatmap_size:
            raise ValueError(f'features are {x.shape[-1]}x{x.shape[-2]}, '
                             f'heatmap_size is {self.heatmap_size[0]}x'
                             f'{self.heatmap_size[1]} (input / 4)')
        x = self.convs(x)
        hm = self.heatmap_branch(x)
        return dict(
            heatmaps=hm[:, :self.num_joints],
            root_heatmap=hm[:, self.num_joints:],
            root_depth=F.softplus(self.depth_branch(x)),
            box_wh=self.box_branch(x),
            features=x)

    @staticmethod
    def gather(maps: Tensor, ind: Tensor) -> Tensor:
        """``(N, C, h, w)`` maps at flat indices ``(N, K)`` (``y * w + x``)
        -> ``(N, K, C)``."""
        n, c = maps.shape[:2]
        flat = maps.reshape(n, c, -1)
        ind = ind.long().to(maps.device)
        return flat.gather(2, ind[:, None].expand(n, c, ind.shape[1])) \
            .permute(0, 2, 1)

    def loss(self, outputs: Dict[str, Tensor],
             data_samples: Sequence) -> Dict[str, Tensor]:
        """Stage-1 losses against the GenerateVoxelPoseTargets fields.

        Args:
            outputs (dict): Of :meth:`forward`.
            data_samples (list): N samples with ``gt_fields.heatmaps``
                (num_joints, h, w), ``gt_fields.root_heatmap`` (1, h, w) and
                ``gt_instance_labels`` (max_people: ``root_ind``,
                ``root_depth`` m, ``box_wh`` heatmap px, ``reg_mask``).

        Returns:
            dict: ``loss_heatmap`` (joints), ``loss_root_heatmap`` (both by
            ``loss_heatmap``), ``loss_box`` and ``loss_depth`` (at the roots
            with ``reg_mask``, averaged over the valid people).
        """
        missing = [k for k in OUTPUT_KEYS[:4] if k not in outputs]
        if missing:
            raise KeyError(f'outputs lack {missing} (pass forward\'s dict)')
        hm, root_hm = outputs['heatmaps'], outputs['root_heatmap']
        if len(data_samples) != hm.shape[0]:
            raise ValueError(f'{len(data_samples)} data samples for a batch '
                             f'of {hm.shape[0]}')
        dev = hm.device
        gt_hm = _stack_field(data_samples, 'gt_fields', 'heatmaps').to(hm)
        gt_root = _stack_field(data_samples, 'gt_fields',
                               'root_heatmap').to(hm)
        if gt_hm.shape != hm.shape or gt_root.shape != root_hm.shape:
            raise ValueError(f'target heatmaps {tuple(gt_hm.shape)} / '
                             f'{tuple(gt_root.shape)} do not match the '
                             f'outputs {tuple(hm.shape)} / '
                             f'{tuple(root_hm.shape)} (check heatmap_size)')
        ind = _stack_field(data_samples, 'gt_instance_labels',
                           'root_ind').to(dev).long()
        mask = _stack_field(data_samples, 'gt_instance_labels',
                            'reg_mask').to(hm)
        depth = _stack_field(data_samples, 'gt_instance_labels',
                             'root_depth').to(hm)
        box = _stack_field(data_samples, 'gt_instance_labels', 'box_wh').to(hm)
        h, w = hm.shape[-2:]
        if ind.numel() and (int(ind.min()) < 0 or int(ind.max()) >= h * w):
            raise ValueError(f'root_ind outside the {w}x{h} heatmap grid')
        ind = torch.where(mask > 0, ind, torch.zeros_like(ind))
        pred_box = self.gather(outputs['box_wh'], ind)  # (N, K, 2)
        pred_depth = self.gather(outputs['root_depth'], ind)[..., 0]
        num = mask.sum().clamp(min=1.)
        return dict(
            loss_heatmap=self.loss_heatmap(hm, gt_hm),
            loss_root_heatmap=self.loss_heatmap(root_hm, gt_root),
            loss_box=self.loss_box(
                pred_box,
                box,
                weight=mask[..., None].expand_as(box),
                avg_factor=num * 2),
            loss_depth=self.loss_depth(
                pred_depth, depth, weight=mask, avg_factor=num))

    @staticmethod
    def decode_peaks(
            outputs: Dict[str, Tensor],
            k: int = 10,
            threshold: float = 0.3,
            nms_kernel: int = 3,
            input_size: Optional[Tuple[int, int]] = None) -> Dict[str, Tensor]:
        """Root candidates: max-pool NMS on ``root_heatmap``, top ``k``.

        Args:
            outputs (dict): ``root_heatmap`` (N, 1, h, w), ``root_depth``
                (N, 1, h, w) m, ``box_wh`` (N, 2, h, w) heatmap px.
            k (int): Candidates per sample (fixed, padded). Default 10.
            threshold (float): Peaks scoring below it are ``valid`` False.
                Default 0.3.
            nms_kernel (int): Odd max-pool window. Default 3.
            input_size (tuple, optional): ``(w, h)`` input px; when given,
                also ``centres_input`` and ``box_wh_input`` in input px.

        Returns:
            dict: ``scores`` (N, k) heatmap values (descending over the
            local maxima; fewer maxima than ``k`` pad with non-maxima),
            ``valid`` (N, k) bool (a local maximum with score >=
            ``threshold``), ``indices`` (N, k) flat
            ``y * w + x``, ``centres`` (N, k, 2) heatmap cell ``(x, y)``,
            ``box_wh`` (N, k, 2) heatmap px, ``depth`` (N, k) m; plus
            ``centres_input`` (N, k, 2) (cell centre ``(c + 0.5) *
            stride``, the inverse of the targets' ``floor``) and
            ``box_wh_input`` (N, k, 2) with ``input_size``.
        """
        for key in ('root_heatmap', 'root_depth', 'box_wh'):
            if key not in outputs:
                raise KeyError(f'outputs lack "{key}"')
        hm = outputs['root_heatmap']
        if hm.dim() != 4 or hm.shape[1] != 1:
            raise ValueError(f'root_heatmap must be (N, 1, h, w), got '
                             f'{tuple(hm.shape)}')
        n, _, h, w = hm.shape
        if outputs['root_depth'].shape != hm.shape or \
                outputs['box_wh'].shape != (n, 2, h, w):
            raise ValueError(f'root_depth {tuple(outputs["root_depth"].shape)}'
                             f' / box_wh {tuple(outputs["box_wh"].shape)} do '
                             f'not match root_heatmap {tuple(hm.shape)}')
        if k <= 0 or k > h * w:
            raise ValueError(f'k must be in [1, {h * w}], got {k}')
        if nms_kernel <= 0 or nms_kernel % 2 == 0:
            raise ValueError(f'nms_kernel must be odd and > 0, got '
                             f'{nms_kernel}')
        pooled = F.max_pool2d(hm, nms_kernel, 1, nms_kernel // 2)
        keep = hm.masked_fill(pooled != hm, float('-inf'))
        top, ind = keep.reshape(n, -1).topk(k, dim=1)
        # fewer than k local maxima: the rest are non-maxima, never valid
        scores = hm.reshape(n, -1).gather(1, ind)
        valid = torch.isfinite(top) & (scores >= threshold)
        centres = torch.stack([ind % w, ind // w], -1).to(hm.dtype)
        out = dict(
            scores=scores,
            valid=valid,
            indices=ind,
            centres=centres,
            box_wh=VoxelPoseMapHead.gather(outputs['box_wh'], ind),
            depth=VoxelPoseMapHead.gather(outputs['root_depth'], ind)[..., 0])
        if input_size is not None:
            stride = hm.new_tensor(
                [float(input_size[0]) / w,
                 float(input_size[1]) / h])
            out['centres_input'] = (centres + 0.5) * stride
            out['box_wh_input'] = out['box_wh'] * stride
        return out
