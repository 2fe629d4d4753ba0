# Copyright (c) mmlpose contributors. All rights reserved.
"""Estimator of diffusion lifters (D3DP, FinePOSE)."""
from typing import Optional, Union

import torch
from mmengine.model import BaseModel
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.utils.typing import (ConfigType, OptConfigType, OptMultiConfig,
                                 OptSampleList, SampleList)
from torch import Tensor

from mmlpose.registry import MODELS


@MODELS.register_module()
class DiffusionPoseLifter(BaseModel):
    """2D-to-3D lifter whose head is a diffusion sampler
    (:class:`DiffusionLiftingHead`); there is no backbone, the denoiser
    lives in the head.

    The ``(B, T, K, 2)`` inputs and the data samples (with ``action_text``,
    ``flip_indices``, ``camera_param``, ``target_root`` metainfo) go to the
    head unchanged; the head turns metainfo into the denoiser's condition.
    Test-time options (hypotheses, steps, flip, aggregation) are
    ``test_cfg``; see :class:`DiffusionLiftingHead`.

    Args:
        head (dict): Config of the diffusion head.
        train_cfg (dict, optional): Passed to ``head.loss``.
        test_cfg (dict, optional): Passed to ``head.predict``.
        data_preprocessor (dict, optional): Data pre-processor config.
        init_cfg (dict, optional): Initialisation config.
        metainfo (dict, optional): Dataset meta information that overrides
            the data samples' at prediction time.
    """

    def __init__(self,
                 head: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 metainfo: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.metainfo = parse_pose_metainfo(metainfo) if metainfo else None
        self.train_cfg = dict(train_cfg) if train_cfg else {}
        self.test_cfg = dict(test_cfg) if test_cfg else {}
        self.head = MODELS.build(head)
        self.head.test_cfg = self.test_cfg.copy()

    def forward(self,
                inputs: Union[Tensor, list],
                data_samples: OptSampleList = None,
                mode: str = 'tensor'):
        """``'loss'``: dict of losses; ``'predict'``: data samples with
        ``pred_instances``; ``'tensor'``: ``(B, H, T, K, 3)`` hypotheses."""
        if isinstance(inputs, list):
            inputs = torch.stack(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            if self.metainfo is not None:
                for data_sample in data_samples:
                    data_sample.set_metainfo(self.metainfo)
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.head.forward(inputs)
        raise RuntimeError(f'Invalid mode "{mode}": use loss, predict or '
                           'tensor.')

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Denoising losses of a batch of ``(B, T, K, 2)`` inputs."""
        return self.head.loss(inputs, data_samples, train_cfg=self.train_cfg)

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        """Sample, aggregate and store ``pred_instances`` in the samples."""
        preds = self.head.predict(inputs, data_samples, test_cfg=self.test_cfg)
        for pred, data_sample in zip(preds, data_samples):
            data_sample.pred_instances = pred
        return data_samples
