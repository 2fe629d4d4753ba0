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
      those without any prediction (neither skeleton nor mask);
    - with ``bootstrap`` > 0: ``PICI_lo`` / ``PICI_hi`` and ``gain_lo`` /
      ``gain_hi``, the 95 % interval of PICI and of PICI minus chance
      (points) over ``bootstrap`` resamplings of whole videos
      (``video_id``) with replacement. The samples of one video share its
      people and sentences, so they are not independent draws: a small
      split's interval is far wider than a per-sample one would be.

    A missing prediction (no ``pred_instances.keypoints_3d``, or ``(0, 15,
    3)``, and no ``pred_mask``) counts as not identified in PICI and is left
    out of the error means.

    Contract of each data sample (dict or data element): metainfo
    ``referred_index`` and ``category_name`` (or ``category``);
    ``gt_instances.keypoints_3d`` ``(P, 15, 3)`` mm,
    ``gt_instances.keypoints_3d_visible`` ``(P, 15)``; optionally
    ``gt_instances.masks`` ``(P, H, W)`` and ``pred_mask`` ``(H, W)``.

    Args:
        bootstrap (int): Video resamplings for the 95 % intervals; 0 (the
            default) computes none. Samples without ``video_id`` are each
            their own video.
        bootstrap_seed (int): Seed of the resampling. Defaults to 0.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Metric name prefix.
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 bootstrap: int = 0,
                 bootstrap_seed: int = 0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if int(bootstrap) < 0:
            raise ValueError(f'bootstrap must be >= 0, got {bootstrap}')
        self.bootstrap = int(bootstrap)
        self.bootstrap_seed = int(bootstrap_seed)

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
            pred = _prediction(
                lookup_field(sample, 'pred_instances.keypoints_3d'))
            pred_mask = _array(lookup_field(sample, 'pred_mask'))
            gt_masks = _array(lookup_field(sample, 'gt_instances.masks'))
            scalars = l3dhpe_sample(pred, gt, visible, int(referred),
                                    pred_mask, gt_masks)
            scalars['category'] = str(cat)
            video = lookup_field(sample, 'video_id')
            scalars['video'] = None if video is None else str(video)
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

    def _intervals(self, rows: List[dict]) -> Dict[str, float]:
        """95 % video-bootstrap intervals of PICI and PICI - chance."""
        videos: Dict[object, List[int]] = {}
        for i, r in enumerate(rows):
            key = r.get('video')
            videos.setdefault(('sample', i) if key is None else key,
                              []).append(i)
        # per video: number of samples, correct ones, sum of chances
        stats = np.array([[
            len(idx),
            sum(float(rows[i]['correct']) for i in idx),
            sum(float(rows[i]['chance']) for i in idx)
        ] for idx in videos.values()])
        rng = np.random.default_rng(self.bootstrap_seed)
        draws = rng.integers(0, len(stats), (self.bootstrap, len(stats)))
        counts = np.stack([
            np.bincount(d, minlength=len(stats)) for d in draws
        ]).astype(np.float64)  # (B, V) times each video is drawn
        total = counts @ stats  # (B, 3)
        pici = 100. * total[:, 1] / total[:, 0]
        gain = pici - 100. * total[:, 2] / total[:, 0]
        lo, hi = 2.5, 97.5
        return {
            'PICI_lo': float(np.percentile(pici, lo)),
            'PICI_hi': float(np.percentile(pici, hi)),
            'gain_lo': float(np.percentile(gain, lo)),
            'gain_hi': float(np.percentile(gain, hi)),
            'num_videos': len(stats),
        }

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Overall and per-category means; logs one table."""
        if not results:
            raise ValueError('L3DHPEMetric got no sample to evaluate')
        with_iou = any(r['has_iou'] for r in results)
        overall = self._reduce(results, with_iou)
        if self.bootstrap:
            overall.update(self._intervals(results))
        metrics = dict(overall)
        cats = [
            c for c in CATEGORY_NAMES
            if any(r['category'] == c for r in results)
        ]
        cats += sorted({r['category'] for r in results} - set(cats))
        per_cat = {}
        for cat in cats:
            rows = [r for r in results if r['category'] == cat]
            per_cat[cat] = self._reduce(rows, with_iou)
            if self.bootstrap:
                per_cat[cat].update(self._intervals(rows))
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
            k for k in ('PICI', 'PICI_lo', 'MPJPE-L', 'MPJPE', 'MRPE', 'mIoU',
                        'chance', 'gain_lo', 'num_samples') if k in overall
        ]
        titles = {
            'PICI_lo': 'PICI 95% CI',
            'gain_lo': 'PICI-chance 95% CI',
            'num_samples': 'N'
        }

        def title(c):
            if c in titles:
                return titles[c]
            return f'{c} (%)' if c in ('PICI', 'mIoU', 'chance') else \
                f'{c} (mm)'

        def cell(vals, c):
            if c == 'num_samples':
                return str(vals[c])
            if c.endswith('_lo'):
                hi = c[:-3] + '_hi'
                return f'{vals[c]:.1f} .. {vals[hi]:.1f}'
            return f'{vals[c]:.1f}'

        head = ['category'] + [title(c) for c in cols]
        rows = [[name] + [cell(vals, c) for c in cols]
                for name, vals in list(per_cat.items()) + [('overall',
                                                            overall)]]
        widths = [
            max(len(r[i]) for r in rows + [head]) for i in range(len(head))
        ]

        def line(cells):
            return ' | '.join(c.rjust(w) for c, w in zip(cells, widths))

        sep = '-+-'.join('-' * w for w in widths)
        return '\n'.join([line(head), sep] + [line(r) for r in rows])
