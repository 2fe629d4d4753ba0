# Copyright (c) mmlpose contributors. All rights reserved.
"""PICI, MPJPE-L, MPJPE, MRPE and mIoU of language-driven 3D pose
estimation (Panoptic-L3D), overall and per description category."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from mmlpose.evaluation.functional.l3dhpe import l3dhpe_sample
from mmlpose.evaluation.functional.sample_fields import lookup_field
from mmlpose.registry import METRICS
from mmlpose.structures.panoptic import CATEGORY_NAMES, category_name


def _array(value) -> Optional[np.ndarray]:
    if value is None:
        return None
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _prediction(value) -> Optional[np.ndarray]:
    """The predicted ``(15, 3)`` skeleton, or None when the model predicted
    no person (``(0, 15, 3)``)."""
    pred = _array(value)
    if pred is None:
        return None
    if pred.ndim == 3 and pred.shape[0] == 0:
        return None
    if pred.shape not in ((1, 15, 3), (15, 3)):
        raise ValueError('L3DHPEMetric: pred_instances.keypoints_3d must '
                         'have shape (1, 15, 3) (the referred person, mm), '
                         f'got {pred.shape}')
    return pred.reshape(15, 3)


@METRICS.register_module()
class L3DHPEMetric(BaseMetric):
    """Panoptic-L3D metrics of a referred person's absolute 3D pose.

    Per sample (:func:`mmlpose.evaluation.functional.l3dhpe.l3dhpe_sample`):
    the predicted skeleton is identified with the ground-truth person of
    smallest mean per-joint distance over that person's visible joints
    (absolute mm); without a skeleton, with the person of best mask IoU.
    Errors are taken against the referred person's ground truth.

    Keys (each also as ``KEY/<category>`` for the categories present):

    - ``PICI`` (%): share of samples whose identified person is the
      referred one;
    - ``MPJPE-L`` (mm): absolute MPJPE to the referred person;
    - ``MPJPE`` (mm): root-relative (root = joint 2) MPJPE;
    - ``MRPE`` (mm): root position error;
    - ``mIoU`` (%): mean IoU of ``pred_mask`` and the referred person's mask,
      over samples that have both (only when some sample has them);
    - ``chance`` (%): mean of 1/P, the PICI of a random pick;
    - ``num_samples`` and ``missing``: samples evaluated and, among them,
      those without any prediction (neither skeleton nor mask).

    A missing prediction (no ``pred_instances.keypoints_3d``, or ``(0, 15,
    3)``, and no ``pred_mask``) counts as not identified in PICI and is left
    out of the error means.

    Contract of each data sample (dict or data element): metainfo
    ``referred_index`` and ``category_name`` (or ``category``);
    ``gt_instances.keypoints_3d`` ``(P, 15, 3)`` mm,
    ``gt_instances.keypoints_3d_visible`` ``(P, 15)``; optionally
    ``gt_instances.masks`` ``(P, H, W)`` and ``pred_mask`` ``(H, W)``.

    Args:
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Metric name prefix.
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Keep the per-sample scalars of each predicted sample."""
        for sample in data_samples:
            gt = _array(lookup_field(sample, 'gt_instances.keypoints_3d'))
            visible = _array(
                lookup_field(sample, 'gt_instances.keypoints_3d_visible'))
            referred = lookup_field(sample, 'referred_index')
            if gt is None or visible is None or referred is None:
                raise ValueError(
                    'L3DHPEMetric needs gt_instances.keypoints_3d, '
                    'gt_instances.keypoints_3d_visible and referred_index '
                    'in every data sample')
            cat = lookup_field(sample, 'category_name')
            if cat is None:
                raw = lookup_field(sample, 'category')
                if raw is None:
                    raise ValueError('L3DHPEMetric needs category_name (or '
                                     'category) in every data sample')
                cat = category_name(raw)
            pred = _prediction(lookup_field(sample, 'pred_instances.keypoints_3d'))
            pred_mask = _array(lookup_field(sample, 'pred_mask'))
            gt_masks = _array(lookup_field(sample, 'gt_instances.masks'))
            scalars = l3dhpe_sample(pred, gt, visible, int(referred),
                                    pred_mask, gt_masks)
            scalars['category'] = str(cat)
            scalars['has_iou'] = pred_mask is not None and \
                gt_masks is not None
            self.results.append(scalars)

    @staticmethod
    def _reduce(rows: List[dict], with_iou: bool) -> Dict[str, float]:

        def mean(key):
            vals = np.array([r[key] for r in rows], np.float64)
            vals = vals[np.isfinite(vals)]
            return float(vals.mean()) if vals.size else float('nan')

        out = {
            'PICI': 100. * float(np.mean([r['correct'] for r in rows])),
            'MPJPE-L': mean('mpjpe_l'),
            'MPJPE': mean('mpjpe'),
            'MRPE': mean('mrpe'),
        }
        if with_iou:
            out['mIoU'] = 100. * mean('iou')
        out['chance'] = 100. * float(np.mean([r['chance'] for r in rows]))
        out['num_samples'] = len(rows)
        out['missing'] = int(sum(r['missing'] for r in rows))
        return out

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Overall and per-category means; logs one table."""
        if not results:
            raise ValueError('L3DHPEMetric got no sample to evaluate')
        with_iou = any(r['has_iou'] for r in results)
        overall = self._reduce(results, with_iou)
        metrics = dict(overall)
        cats = [
            c for c in CATEGORY_NAMES
            if any(r['category'] == c for r in results)
        ]
        cats += sorted({r['category'] for r in results} - set(cats))
        per_cat = {}
        for cat in cats:
            per_cat[cat] = self._reduce(
                [r for r in results if r['category'] == cat], with_iou)
            for key, value in per_cat[cat].items():
                metrics[f'{key}/{cat}'] = value
        print_log(
            '\n' + self.table(overall, per_cat),
            logger=MMLogger.get_current_instance())
        return metrics

    @staticmethod
    def table(overall: dict, per_cat: Dict[str, dict]) -> str:
        """A plain text table: one row per category and the overall row."""
        cols = [
            k for k in ('PICI', 'MPJPE-L', 'MPJPE', 'MRPE', 'mIoU', 'chance',
                        'num_samples') if k in overall
        ]
        head = ['category'] + [
            f'{c} (%)' if c in ('PICI', 'mIoU', 'chance') else
            ('N' if c == 'num_samples' else f'{c} (mm)') for c in cols
        ]
        rows = [[name] + [
            str(vals[c]) if c == 'num_samples' else f'{vals[c]:.1f}'
            for c in cols
        ] for name, vals in list(per_cat.items()) + [('overall', overall)]]
        widths = [
            max(len(r[i]) for r in rows + [head]) for i in range(len(head))
        ]

        def line(cells):
            return ' | '.join(c.rjust(w) for c, w in zip(cells, widths))

        sep = '-+-'.join('-' * w for w in widths)
        return '\n'.join([line(head), sep] + [line(r) for r in rows])
