# Copyright (c) mmlpose contributors. All rights reserved.
"""SimpleBaseline / VirtualPose deconvolution neck: a stride-32 backbone map
up to the stride-4 heatmap grid of :class:`VoxelPoseMapHead`."""
from typing import Optional, Sequence, Tuple, Union

import torch.nn.functional as F
from mmcv.cnn import build_conv_layer, build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmlpose.registry import MODELS


@MODELS.register_module()
class PoseDeconvNeck(BaseModule):
    """Deconv-BN-ReLU layers (kernel 4, stride 2 each) on one backbone map,
    as SimpleBaseline's / VirtualPose's PoseResNet (3 x 256 channels take a
    ResNet's stride-32 ``layer4`` to stride 4).

    Inputs whose size is not a multiple of 32 (e.g. 240x128: stride-32 maps
    of 8x4, deconvs to 64x32) are aligned to the grid of another backbone
    map: with ``align_index`` set (e.g. 0, the stride-4 ``layer1`` of
    ``mmdet.ResNet(out_indices=(0, 3))``) the output is bilinearly resized
    to that map's size (60x32), so the maps are input / 4 everywhere.

    Args:
        in_channels (int): Channels of the map taken (2048 for ResNet-152's
            layer4, 512 for ResNet-18's).
        out_channels (Sequence[int]): Per deconv layer. Default
            ``(256, 256, 256)``.
        in_index (int): Backbone map to upsample. Default -1 (the last).
        align_index (int, optional): Backbone map whose size the output is
            resized to. Default None (no resize).

    Inputs: a tensor (N, C, h, w) or a tuple of backbone maps. Output: a
    1-tuple ``(N, out_channels[-1], h * 2 ** L, w * 2 ** L)`` (or the
    ``align_index`` map's size).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: Sequence[int] = (256, 256, 256),
                 in_index: int = -1,
                 align_index: Optional[int] = None,
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='ConvTranspose2d', std=0.001)):
        super().__init__(init_cfg=init_cfg)
        if in_channels <= 0 or not len(out_channels) or \
                min(out_channels) <= 0:
            raise ValueError(f'in_channels and out_channels must be > 0 (at '
                             f'least one layer), got {in_channels}, '
                             f'{out_channels}')
        self.in_channels = int(in_channels)
        self.out_channels = tuple(int(c) for c in out_channels)
        self.in_index = int(in_index)
        self.align_index = None if align_index is None else int(align_index)
        layers = []
        ch = self.in_channels
        for c in self.out_channels:
            layers += [
                build_conv_layer(
                    dict(type='deconv'),
                    ch,
                    c,
                    kernel_size=4,
                    stride=2,
                    padding=1,
                    output_padding=0,
                    bias=False),
                build_norm_layer(dict(type='BN'), c)[1],
                nn.ReLU(inplace=True)
            ]
            ch = c
        self.deconv_layers = nn.Sequential(*layers)

    def forward(self, inputs: Union[Tensor,
                                    Sequence[Tensor]]) -> Tuple[Tensor]:
        feats = list(inputs) if isinstance(inputs, (list, tuple)) else \
            [inputs]
        for idx in (self.in_index, self.align_index):
            if idx is not None and not -len(feats) <= idx < len(feats):
                raise ValueError(f'index {idx} outside the {len(feats)} '
                                 'backbone maps')
        x = feats[self.in_index]
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'PoseDeconvNeck expects (N, {self.in_channels}'
                             f', h, w), got {tuple(x.shape)}')
        x = self.deconv_layers(x)
        if self.align_index is not None:
            size = feats[self.align_index].shape[-2:]
            if x.shape[-2:] != size:
                x = F.interpolate(
                    x, size=size, mode='bilinear', align_corners=False)
        return (x, )
