# Copyright (c) mmlpose contributors. All rights reserved.
"""Diffusion head for multi-hypothesis 3D pose lifting (D3DP, FinePOSE)."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData
from mmpose.evaluation.functional import keypoint_mpjpe
from mmpose.models.heads.base_head import BaseHead
from mmpose.utils.tensor_utils import to_numpy
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList
from torch import Tensor

from mmlpose.models.utils import (back_project_root, camera_intrinsics,
                                  flip_pose, jpma_aggregate, root_relative)
from mmlpose.registry import MODELS, TASK_UTILS
from .seq_regression_head import LossConfig, build_losses, stack_gt

#: Test-time options of :meth:`DiffusionLiftingHead.predict` and their
#: defaults (D3DP's public defaults: 5 hypotheses, 5 steps).
DEFAULT_TEST_CFG = dict(
    num_hypotheses=5,
    num_steps=5,
    flip_test=False,
    eta=1.,
    aggregation='jpma',
    seed=None,
    root_depth=5.)

AGGREGATIONS = ('jpma', 'mean')


def expand_rows(feats: dict, num_hypotheses: int, num_copies: int) -> dict:
    """Repeat per-sample features for the sampling rows.

    Rows are ordered ``(copy, sample, hypothesis)``: each sample's row is
    repeated ``num_hypotheses`` times, and the whole block ``num_copies``
    times (copy 1 = the flipped input). Tensors are repeated along dim 0,
    lists element-wise; other values are kept as they are.
    """
    out = {}
    for key, value in feats.items():
        if isinstance(value, Tensor):
            value = value.repeat_interleave(num_hypotheses, dim=0)
            value = value.repeat(num_copies, *([1] * (value.ndim - 1)))
        elif isinstance(value, (list, tuple)):
            value = [v for v in value for _ in range(num_hypotheses)]
            value = value * num_copies
        out[key] = value
    return out


@MODELS.register_module()
class DiffusionLiftingHead(BaseHead):
    """Denoising-diffusion lifting head: a denoiser network predicting x0,
    a scheduler moving between timesteps, and the aggregation of the
    sampled hypotheses.

    Training (:meth:`loss`): per sample a timestep ``t ~ U{0..T-1}``; the
    root-relative target (the codec's ``lifting_target_label``) is noised
    (``q(x_t | x0)``, clamped to +-1.1), the denoiser predicts x0 from it
    and the 2D input, and the configured loss (MPJPE by default) compares
    x0 with the target.

    Inference (:meth:`predict`): ``H`` hypotheses start from Gaussian noise
    and take ``M`` DDIM steps. Every step is ONE denoiser call on all
    ``B * H * (1 + flip)`` rows; with ``flip_test`` the mirrored copy's x0 is
    mirrored back and averaged before the scheduler step, as in the D3DP and
    FinePOSE code. The denoiser's :meth:`encode_condition` runs once per
    batch before the loop; its features are repeated per row.

    Aggregation (``test_cfg.aggregation``):

    - ``'jpma'`` (J-Agg, default): per frame and joint, the hypothesis whose
      2D projection is closest to the input 2D. The ``VideoPoseLifting``
      codec is the one source of units: projection uses the sample's
      ``camera_param`` as the codec normalised it (``normalize_camera=True``;
      ``f``, ``c``, optional ``k``, ``p``; *estimated* intrinsics f = image
      width, c = image centre when absent, see
      :func:`~mmlpose.models.utils.camera_intrinsics`) and the codec's root
      trajectory ``target_root`` (the ground-truth root in the camera frame,
      as the authors' evaluation uses; add ``'target_root'`` and
      ``'camera_param'`` to ``PackPoseInputs.meta_keys``). Without
      ``target_root`` the root is placed at ``test_cfg.root_depth`` metres
      on the camera ray through the 2D root keypoint.
    - ``'mean'``: the average of the hypotheses (P-Agg).

    ``test_cfg`` keys (defaults in :data:`DEFAULT_TEST_CFG`):
    ``num_hypotheses`` (H), ``num_steps`` (M), ``flip_test``, ``eta``,
    ``aggregation``, ``seed`` (int: reproducible sampling noise) and
    ``root_depth``.

    Each sample's prediction is an ``InstanceData`` with one instance:
    ``keypoints`` (1, T, K, 3) aggregated root-relative pose (root joint
    pinned to the origin, like the codec's target), ``keypoint_scores``
    (1, T, K) ones and ``keypoints_hypotheses`` (1, H, T, K, 3), the input
    of ``MultiHypothesisMPJPE``.

    Note:
        - batch size: B, hypotheses: H, frames: T, keypoints: K

    Args:
        denoiser (dict): Config of the x0-predicting network, e.g.
            :class:`DiffusionMixSTE`.
        scheduler (dict): Config of the noise scheduler (``TASK_UTILS``).
            Defaults to :class:`PoseDDIMScheduler`.
        loss (dict | list[dict]): Loss(es) between predicted x0 and the
            target. Defaults to ``WeightedMPJPELoss``.
        root_index (int, optional): Root joint of the codec (its
            ``root_index``); the hypotheses are made relative to it. None
            keeps them as predicted. Defaults to 0.
        cond_keys (Sequence[str]): Metainfo keys passed to
            ``denoiser.encode_condition`` as lists over the batch (when every
            sample has them). Defaults to ``('action_text', )``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 denoiser: ConfigType,
                 scheduler: ConfigType = dict(type='PoseDDIMScheduler'),
                 loss: LossConfig = dict(type='WeightedMPJPELoss'),
                 root_index: Optional[int] = 0,
                 cond_keys: Sequence[str] = ('action_text', ),
                 init_cfg: OptConfigType = None):
        super().__init__(init_cfg)
        self.denoiser = MODELS.build(denoiser)
        self.scheduler = TASK_UTILS.build(scheduler)
        self.losses = build_losses(loss)
        self.root_index = root_index
        self.cond_keys = tuple(cond_keys)
        self.test_cfg: dict = {}

    # --- helpers ------------------------------------------------------------
    def collect_condition(self, batch_data_samples: OptSampleList) -> dict:
        """``{key: [value per sample]}`` for the ``cond_keys`` that every
        data sample carries in its metainfo."""
        cond = {}
        for key in self.cond_keys:
            values = [d.metainfo.get(key) for d in batch_data_samples or []]
            if values and all(v is not None for v in values):
                cond[key] = values
        return cond

    @staticmethod
    def _randn(shape, generator: Optional[torch.Generator],
               like: Tensor) -> Tensor:
        return torch.randn(
            shape, generator=generator, device=like.device, dtype=like.dtype)

    # --- sampling -----------------------------------------------------------
    @torch.no_grad()
    def sample(self,
               x_2d: Tensor,
               cond: Optional[dict] = None,
               num_hypotheses: int = 5,
               num_steps: int = 5,
               eta: float = 1.,
               flip_indices: Optional[Sequence[int]] = None,
               generator: Optional[torch.Generator] = None) -> Tensor:
        """Sample hypotheses with DDIM.

        Args:
            x_2d (Tensor): ``(B, T, K, 2)`` normalised 2D keypoints.
            cond (dict, optional): Raw conditions for
                ``denoiser.encode_condition``.
            num_hypotheses (int): H. num_steps (int): M. eta (float): DDIM
                noise scale.
            flip_indices (Sequence[int], optional): Enables the flip test.
            generator (torch.Generator, optional): Source of the noise.

        Returns:
            Tensor: ``(B, H, T, K, 3)`` hypotheses (as predicted, not made
            root-relative).
        """
        if x_2d.ndim != 4 or x_2d.shape[-1] != 2:
            raise ValueError(f'{type(self).__name__}.sample expects 2D '
                             'keypoints of shape (B, T, K, 2), got '
                             f'{tuple(x_2d.shape)}')
        B, T, K, _ = x_2d.shape
        H = num_hypotheses
        flip = flip_indices is not None
        cond_feats = expand_rows(
            self.denoiser.encode_condition(cond, B), H, 2 if flip else 1)
        x_2d_rows = x_2d.repeat_interleave(H, dim=0)
        if flip:
            x_2d_rows = torch.cat(
                [x_2d_rows, flip_pose(x_2d_rows, flip_indices)])
        num_rows = x_2d_rows.shape[0]

        x = self._randn((B * H, T, K, 3), generator, x_2d)
        for t, t_next in self.scheduler.timesteps(num_steps):
            x_in = self.scheduler.clamp(x)
            if flip:
                x_in = torch.cat([x_in, flip_pose(x_in, flip_indices)])
            t_rows = torch.full((num_rows, ), t, device=x.device,
                                dtype=torch.long)
            x0 = self.denoiser(x_2d_rows, x_in, t_rows, cond_feats)
            if flip:
                x0 = (x0[:B * H] + flip_pose(x0[B * H:], flip_indices)) / 2
            if t_next >= 0 and eta > 0:
                noise = self._randn(x.shape, generator, x)
            else:  # the last step returns x0; eta = 0 is deterministic
                noise = torch.zeros_like(x)
            x = self.scheduler.step(x0, t, x, noise, eta)
        return x.reshape(B, H, T, K, 3)

    def aggregate(self, hyps: Tensor, x_2d: Tensor,
                  batch_data_samples: OptSampleList,
                  test_cfg: dict) -> Tensor:
        """``(B, H, T, K, 3)`` root-relative hypotheses -> ``(B, T, K, 3)``
        with ``test_cfg['aggregation']`` (see the class docstring)."""
        aggregation = test_cfg['aggregation']
        if aggregation not in AGGREGATIONS:
            raise ValueError(f'aggregation must be one of {AGGREGATIONS}, '
                             f'got {aggregation!r}')
        if aggregation == 'mean':
            return hyps.mean(1)
        out = []
        for b, (sample_hyps, kpts_2d) in enumerate(zip(hyps, x_2d)):
            meta = batch_data_samples[b].metainfo if batch_data_samples \
                else {}
            cam = camera_intrinsics(meta.get('camera_param'))
            root = meta.get('target_root')
            if root is None:
                root_2d = kpts_2d[:, self.root_index] \
                    if self.root_index is not None else kpts_2d.mean(1)
                root = back_project_root(root_2d, cam['f'], cam['c'],
                                         test_cfg['root_depth'])
            else:
                root = torch.as_tensor(
                    np.asarray(root, dtype=np.float32),
                    device=hyps.device).reshape(-1, 3).expand(
                        kpts_2d.shape[0], 3)
            out.append(jpma_aggregate(sample_hyps, kpts_2d, root=root, **cam))
        return torch.stack(out)

    # --- BaseHead API -------------------------------------------------------
    def forward(self, feats: Tensor) -> Tensor:
        """Sample ``(B, H, T, K, 3)`` hypotheses from ``(B, T, K, 2)`` 2D
        keypoints with ``self.test_cfg`` (no condition, no flip)."""
        cfg = {**DEFAULT_TEST_CFG, **self.test_cfg}
        return self.sample(
            feats,
            num_hypotheses=cfg['num_hypotheses'],
            num_steps=cfg['num_steps'],
            eta=cfg['eta'])

    @torch.no_grad()
    def predict(self,
                feats: Tensor,
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> List[InstanceData]:
        """Sample, aggregate and pack hypotheses.

        Args:
            feats (Tensor): ``(B, T, K, 2)`` normalised 2D keypoints.
            batch_data_samples (list[PoseDataSample]): With ``flip_indices``
                (flip test) and, for JPMA, ``camera_param`` / ``target_root``
                in their metainfo.
            test_cfg (dict): See the class docstring.

        Returns:
            list[InstanceData]: One per sample (see the class docstring).
        """
        cfg = {**DEFAULT_TEST_CFG, **dict(test_cfg)}
        unknown = set(cfg) - set(DEFAULT_TEST_CFG)
        if unknown:
            raise KeyError(f'{type(self).__name__}: unknown test_cfg keys '
                           f'{sorted(unknown)}; known: '
                           f'{sorted(DEFAULT_TEST_CFG)}')
        x_2d = feats
        flip_indices = batch_data_samples[0].metainfo['flip_indices'] \
            if cfg['flip_test'] else None
        generator = None
        if cfg['seed'] is not None:
            generator = torch.Generator(device=x_2d.device)
            generator.manual_seed(int(cfg['seed']))
        hyps = self.sample(
            x_2d,
            self.collect_condition(batch_data_samples),
            num_hypotheses=cfg['num_hypotheses'],
            num_steps=cfg['num_steps'],
            eta=cfg['eta'],
            flip_indices=flip_indices,
            generator=generator)
        hyps = root_relative(hyps, self.root_index)
        agg = self.aggregate(hyps, x_2d, batch_data_samples, cfg)

        preds = []
        for sample_agg, sample_hyps in zip(to_numpy(agg.float()),
                                           to_numpy(hyps.float())):
            preds.append(
                InstanceData(
                    keypoints=sample_agg[None],
                    keypoint_scores=np.ones((1, ) + sample_agg.shape[:-1],
                                            dtype=np.float32),
                    keypoints_hypotheses=sample_hyps[None]))
        return preds

    def loss(self,
             feats: Tensor,
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> Dict[str, Tensor]:
        """Denoising loss on x0 plus a detached ``mpjpe`` log.

        Args:
            feats (Tensor): ``(B, T, K, 2)`` normalised 2D keypoints.
            batch_data_samples (list[PoseDataSample]): With
                ``gt_instance_labels.lifting_target_label`` (T, K, 3) and
                ``lifting_target_weight`` (T, K).
        """
        x_2d = feats
        target = stack_gt(batch_data_samples,
                          'lifting_target_label').to(x_2d)
        weight = stack_gt(batch_data_samples,
                          'lifting_target_weight').to(x_2d)
        if target.shape != x_2d.shape[:3] + (3, ):
            raise ValueError(f'{type(self).__name__}: target shape '
                             f'{tuple(target.shape)} does not match the '
                             f'input {tuple(x_2d.shape)}')
        B = target.shape[0]
        t = self.scheduler.sample_timesteps(B, device=target.device)
        noise = torch.randn_like(target)
        x_t = self.scheduler.clamp(self.scheduler.add_noise(target, noise, t))
        cond_feats = self.denoiser.encode_condition(
            self.collect_condition(batch_data_samples), B)
        pred = self.denoiser(x_2d, x_t, t, cond_feats)

        losses = {
            name: loss_module(pred, target, weight)
            for name, loss_module in self.losses.items()
        }
        mask = to_numpy(weight) > 0
        mpjpe = keypoint_mpjpe(
            to_numpy(pred.detach().float()).reshape(-1, *pred.shape[-2:]),
            to_numpy(target.float()).reshape(-1, *target.shape[-2:]),
            mask.reshape(-1, mask.shape[-1])) if mask.any() else 0.
        losses['mpjpe'] = torch.tensor(mpjpe, device=pred.device)
        return losses
