# Copyright (c) mmlpose contributors. All rights reserved.
"""Metrics for 3D pose lifting: MPJPE family per action, 3DHP PCK/AUC and
multi-hypothesis aggregations.

Units and root come from the ``VideoPoseLifting`` codec alone: the ground
truth is its root-relative target ``lifting_target_label`` and the lifting
heads pin the root of their predictions to the origin, so no metric
subtracts a root again."""
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.evaluation.functional import keypoint_mpjpe
from mmpose.evaluation.functional.keypoint_eval import \
    compute_similarity_transform

from mmlpose.registry import METRICS

ALIGNMENT = {'mpjpe': 'none', 'p-mpjpe': 'procrustes', 'n-mpjpe': 'scale'}


def align_poses(pred: np.ndarray, gt: np.ndarray, mode: str) -> np.ndarray:
    """Align ``(N, K, 3)`` predictions to the ground truth.

    ``mode`` is ``'mpjpe'`` (none), ``'n-mpjpe'`` (least-squares scale) or
    ``'p-mpjpe'`` (Procrustes: scale, rotation and translation).
    """
    alignment = ALIGNMENT[mode]
    if alignment == 'none':
        return pred
    if alignment == 'procrustes':
        return np.stack(
            [compute_similarity_transform(p, g) for p, g in zip(pred, gt)])
    scale = np.einsum('nkc,nkc->n', pred, gt) / np.maximum(
        np.einsum('nkc,nkc->n', pred, pred), 1e-12)
    return pred * scale[:, None, None]


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, 'detach'):  # a tensor, possibly on a GPU
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def sample_action(data_sample: dict) -> str:
    """The action class of a sample: its ``action`` metainfo when present,
    else parsed from an H36M image name ``S1_Directions_1.54138969_...``."""
    action = data_sample.get('action')
    if action:
        return str(action)
    img_path = data_sample.get('target_img_path')
    if img_path is None or len(img_path) == 0:
        return 'all'
    _, rest = osp.basename(img_path[0]).split('_', 1)
    return rest.split('.', 1)[0].split('_')[0]


def gt_sequence(data_sample: dict):
    """``(T, K, 3)`` root-relative ground truth (the codec's
    ``gt_instance_labels.lifting_target_label``) and ``(T, K)`` mask
    (``gt_instances.lifting_target_visible``) of a data sample."""
    labels = data_sample.get('gt_instance_labels') or {}
    if 'lifting_target_label' not in labels:
        raise KeyError('lifting metrics need gt_instance_labels.'
                       'lifting_target_label, the root-relative target of '
                       'the VideoPoseLifting codec: put GenerateTarget in '
                       'the test pipeline')
    gt = _to_numpy(labels['lifting_target_label'])
    gt = gt.reshape(-1, *gt.shape[-2:])
    vis = data_sample['gt_instances'].get('lifting_target_visible')
    if vis is None:
        mask = np.ones(gt.shape[:2], dtype=bool)
    else:
        mask = _to_numpy(vis).astype(bool).reshape(gt.shape[:2])
    return gt, mask


def pred_sequence(keypoints, num_frames: int) -> np.ndarray:
    """Reshape predicted keypoints to ``(num_frames, K, D)``."""
    keypoints = np.asarray(keypoints)
    return keypoints.reshape(num_frames, *keypoints.shape[-2:])


class _LiftingMetric(BaseMetric):
    """Shared ``process`` of the lifting metrics: unit-scaled root-relative
    predictions and ground truth with the sample's action."""

    default_prefix: Optional[str] = ''

    def __init__(self,
                 unit_scale: float = 1000.,
                 skip_list: Sequence[str] = (),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.unit_scale = unit_scale
        self.skip_list = list(skip_list)

    def _skipped(self, data_sample: dict) -> bool:
        img_path = data_sample.get('target_img_path')
        if not self.skip_list or img_path is None or len(img_path) == 0:
            return False
        return osp.basename(img_path[0]).split('.')[0] in self.skip_list

    def _prepare(self, data_sample: dict, keypoints) -> dict:
        gt, mask = gt_sequence(data_sample)
        pred = pred_sequence(keypoints, len(gt))[..., :3]
        if pred.shape != gt.shape:
            raise ValueError(f'{type(self).__name__}: prediction shape '
                             f'{pred.shape} does not match ground truth '
                             f'{gt.shape}')
        return dict(
            pred=pred * self.unit_scale,
            gt=gt * self.unit_scale,
            mask=mask,
            action=sample_action(data_sample))

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Collect the unit-scaled ``pred_instances.keypoints`` and ground
        truth of each sample."""
        for data_sample in data_samples:
            if self._skipped(data_sample):
                continue
            self.results.append(
                self._prepare(data_sample,
                              data_sample['pred_instances']['keypoints']))


@METRICS.register_module()
class ActionMPJPE(_LiftingMetric):
    """MPJPE, P-MPJPE or N-MPJPE, overall and per action, in millimetres.

    Unlike mmpose's ``MPJPE`` (which this reuses for the error itself), the
    action is read from the sample's ``action`` metainfo when present (any
    data set, e.g. DeepMimic), the ground truth is the codec's root-relative
    ``lifting_target_label`` (the root is the codec's ``root_index``; the
    heads output root-relative poses) and errors are scaled to millimetres.

    Args:
        mode (str): ``'mpjpe'``, ``'p-mpjpe'`` or ``'n-mpjpe'``.
        unit_scale (float): Multiplier from data units to reported units
            (metres -> millimetres). Defaults to 1000.
        per_action (bool): Also report ``<MODE>_<action>``. Defaults to True.
        skip_list (Sequence[str]): ``S9_Greeting``-style sequences to skip.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Metric name prefix.
    """

    def __init__(self,
                 mode: str = 'mpjpe',
                 per_action: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if mode not in ALIGNMENT:
            raise KeyError(f'mode must be one of {list(ALIGNMENT)}, got '
                           f'{mode!r}')
        self.mode = mode
        self.per_action = per_action

    def compute_metrics(self, results: list) -> Dict[str, float]:
        name = self.mode.upper()
        pred = np.concatenate([r['pred'] for r in results])
        gt = np.concatenate([r['gt'] for r in results])
        mask = np.concatenate([r['mask'] for r in results])
        actions = np.concatenate(
            [[r['action']] * len(r['pred']) for r in results])
        metrics = {
            name: float(keypoint_mpjpe(pred, gt, mask,
                                       ALIGNMENT[self.mode]))
        }
        if self.per_action:
            for action in sorted(set(actions)):
                idx = actions == action
                metrics[f'{name}_{action}'] = float(
                    keypoint_mpjpe(pred[idx], gt[idx], mask[idx],
                                   ALIGNMENT[self.mode]))
        MMLogger.get_current_instance().info(
            f'{name} over {len(pred)} frames: {metrics[name]:.2f}')
        return metrics


@METRICS.register_module()
class PCK3D(_LiftingMetric):
    """3D PCK and AUC (MPI-INF-3DHP protocol), plus MPJPE, in millimetres.

    PCK is the share of joints whose root-relative error is below
    ``threshold``; AUC averages PCK over ``auc_thresholds`` (0 to 150 mm in
    5 mm steps by default).

    Args:
        threshold (float): PCK threshold in reported units. Defaults to 150.
        auc_thresholds (Sequence[float], optional): Thresholds of the AUC.
        joint_indices (Sequence[int], optional): Joints evaluated (all if
            None).
        unit_scale, collect_device, prefix: see :class:`ActionMPJPE`.
    """

    def __init__(self,
                 threshold: float = 150.,
                 auc_thresholds: Optional[Sequence[float]] = None,
                 joint_indices: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.threshold = threshold
        self.auc_thresholds = np.asarray(
            auc_thresholds if auc_thresholds is not None else np.linspace(
                0, 150, 31))
        self.joint_indices = joint_indices

    def compute_metrics(self, results: list) -> Dict[str, float]:
        pred = np.concatenate([r['pred'] for r in results])
        gt = np.concatenate([r['gt'] for r in results])
        mask = np.concatenate([r['mask'] for r in results])
        if self.joint_indices is not None:
            pred, gt = pred[:, self.joint_indices], gt[:, self.joint_indices]
            mask = mask[:, self.joint_indices]
        err = np.linalg.norm(pred - gt, axis=-1)[mask]
        pck = (err[:, None] <= self.auc_thresholds[None]).mean(0)
        return dict(
            PCK=float((err <= self.threshold).mean() * 100),
            AUC=float(pck.mean() * 100),
            MPJPE=float(err.mean()))


@METRICS.register_module()
class MultiHypothesisMPJPE(_LiftingMetric):
    """Errors of multi-hypothesis lifters under four aggregations, labelled.

    Reads ``pred_instances.keypoints_hypotheses`` ``(H, T, K, 3)`` and the
    model's joint-aggregated ``pred_instances.keypoints`` (J-Agg, JPMA: per
    joint, the hypothesis whose 2D reprojection is closest to the input 2D;
    no ground truth). Reports for each ``mode``:

    - ``<MODE>_J-Best (oracle)``: per joint, the hypothesis closest to the
      ground truth. Uses the ground truth: an upper bound, not a result.
    - ``<MODE>_P-Best (oracle)``: per pose, the hypothesis with the smallest
      error against the ground truth. Also an oracle.
    - ``<MODE>_J-Agg``: the model's reprojection-based joint aggregation.
    - ``<MODE>_P-Agg``: the average of the hypotheses (as in D3DP's code).

    For P-MPJPE and N-MPJPE the oracle selections are made among the aligned
    hypotheses.

    Args:
        modes (Sequence[str]): Subset of ``'mpjpe'``, ``'p-mpjpe'``,
            ``'n-mpjpe'``. Defaults to MPJPE and P-MPJPE.
        unit_scale, skip_list, collect_device, prefix: see
            :class:`ActionMPJPE`.
    """

    def __init__(self,
                 modes: Sequence[str] = ('mpjpe', 'p-mpjpe'),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        for mode in modes:
            if mode not in ALIGNMENT:
                raise KeyError(f'mode must be in {list(ALIGNMENT)}, got '
                               f'{mode!r}')
        self.modes = list(modes)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for data_sample in data_samples:
            if self._skipped(data_sample):
                continue
            pred = data_sample['pred_instances']
            if 'keypoints_hypotheses' not in pred:
                raise KeyError(
                    'MultiHypothesisMPJPE needs '
                    'pred_instances.keypoints_hypotheses (H, T, K, 3)')
            result = self._prepare(data_sample, pred['keypoints'])
            hyps = np.asarray(pred['keypoints_hypotheses'])
            num_frames = len(result['gt'])
            hyps = hyps.reshape(-1, num_frames, *hyps.shape[-2:])[..., :3]
            result['hyps'] = hyps * self.unit_scale
            self.results.append(result)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        gt = np.concatenate([r['gt'] for r in results])  # (N, K, 3)
        mask = np.concatenate([r['mask'] for r in results])
        hyps = np.concatenate([r['hyps'] for r in results], axis=1)
        j_agg = np.concatenate([r['pred'] for r in results])
        p_agg = hyps.mean(0)
        metrics = {}
        for mode in self.modes:
            name = mode.upper()
            # (H, N, K) per-joint errors of each aligned hypothesis
            aligned = np.stack([align_poses(h, gt, mode) for h in hyps])
            err = np.linalg.norm(aligned - gt[None], axis=-1)
            metrics[f'{name}_J-Best (oracle)'] = float(
                err.min(0)[mask].mean())
            pose_err = np.where(mask[None], err, 0).sum(-1) / np.maximum(
                mask.sum(-1), 1)[None]
            metrics[f'{name}_P-Best (oracle)'] = float(
                pose_err.min(0)[mask.any(-1)].mean())
            metrics[f'{name}_J-Agg'] = float(
                keypoint_mpjpe(j_agg, gt, mask, ALIGNMENT[mode]))
            metrics[f'{name}_P-Agg'] = float(
                keypoint_mpjpe(p_agg, gt, mask, ALIGNMENT[mode]))
        return metrics
