# Copyright (c) mmlpose contributors. All rights reserved.
"""3DHPE+Refer: estimate everyone's 3D, then pick the person the sentence
refers to (the Panoptic-L3D paper's cascade baseline)."""
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torch import Tensor

from mmlpose.models.referrers.skeleton_text_referrer import person_features
from mmlpose.models.utils.association import associate_window, gather_tracks
from mmlpose.registry import MODELS, TASK_UTILS

_DET_KEYS = ('det_keypoints_2d', 'det_keypoint_scores', 'det_gt_index',
             'det_colours')


@MODELS.register_module()
class HPEReferCascade(BaseModel):
    """2D detections -> tracks -> absolute 3D of everyone -> text-skeleton
    fusion -> the referred person's 3D.

    Per sample: the simulated detections of the window (metainfo
    ``det_keypoints_2d`` ``(F, N, 15, 2)`` original pixels,
    ``det_keypoint_scores``, ``det_gt_index``, ``det_colours``, from
    ``SimulateDetections2D``) are joined into one track per current-frame
    detection (:func:`~mmlpose.models.utils.associate_window`, anchored at
    ``current_idx``); the frozen :class:`~mmlpose.models.utils.PersonLifter`
    lifts every track (one batched call per image size); the tracks'
    :func:`~mmlpose.models.referrers.person_features` and the sentence go
    through :class:`~mmlpose.models.referrers.SkeletonTextFusion`, one logit
    per track.

    - :meth:`loss`: ``loss_refer`` = cross-entropy over each sample's
      tracks, the target being the track whose current-frame detection is
      the referred person (``det_gt_index == referred_index``); samples
      whose referred person was not detected are skipped.
      ``loss_refer_bce`` = ``bce_weight`` x binary cross-entropy of every
      track's logit (1 for the referred one), which makes the sigmoid of a
      logit a usable probability for ``LearnedSkeletonReferrer``.
      ``acc_refer`` is logged.
    - :meth:`predict`: the best track's current-frame absolute 3D (the
      lifter's root solve with the sample's camera) as
      ``pred_instances.keypoints_3d`` ``(1, 15, 3)`` float32 mm, loader
      axes, ``pred_instances.scores`` ``(1,)`` its softmax probability and
      ``pred_track_scores`` ``(M,)`` the probabilities of all tracks. A
      sample without any current-frame detection gets ``(0, 15, 3)`` (the
      metric counts it as missing).

    Args:
        fusion (dict): ``SkeletonTextFusion`` config.
        lifter (dict | object): ``PersonLifter`` arguments (``model``,
            ``weights``; default: the toolbox's default lifter), or a built
            lifter with ``lift_relative`` and ``place``.
        max_cost (float): Association threshold. Defaults to 0.5.
        min_score (float): Association joint score threshold. Defaults to
            0.3.
        bce_weight (float): Weight of ``loss_refer_bce``. Defaults to 0.5.
        data_preprocessor (dict): Defaults to ``L3DDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 fusion: dict = dict(type='SkeletonTextFusion'),
                 lifter: Union[dict, object] = dict(model=None, weights=None),
                 max_cost: float = 0.5,
                 min_score: float = 0.3,
                 bce_weight: float = 0.5,
                 data_preprocessor: Union[dict, torch.nn.Module] = dict(
                     type='L3DDataPreprocessor'),
                 init_cfg: Optional[dict] = None) -> None:
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.fusion = MODELS.build(fusion)
        if isinstance(lifter, dict):
            cfg = dict(lifter)
            cfg.setdefault('type', 'PersonLifter')
            lifter = TASK_UTILS.build(cfg)
        if not all(
                callable(getattr(lifter, name, None))
                for name in ('lift_relative', 'place')):
            raise TypeError('lifter must be a PersonLifter config or an '
                            'object with lift_relative() and place()')
        self.lifter = lifter  # not a module: frozen, outside state dicts
        self.max_cost = float(max_cost)
        self.min_score = float(min_score)
        self.bce_weight = float(bce_weight)

    # ------------------------------------------------------------------
    @staticmethod
    def _meta(sample, key: str):
        value = sample.metainfo.get(key)
        if value is None:
            hint = ' (add SimulateDetections2D to the pipeline and keep ' \
                'its keys in PackL3DInputs)' if key in _DET_KEYS else ''
            raise KeyError(f'HPEReferCascade needs {key!r} in the data '
                           f'sample metainfo{hint}')
        return value

    def _tracks(self, sample) -> dict:
        """Tracks of one sample: ``(M, F)`` indices, their 2D, scores,
        colours, the target track (-1 none) and the image size."""
        kp = np.asarray(self._meta(sample, 'det_keypoints_2d'), np.float32)
        sc = np.asarray(self._meta(sample, 'det_keypoint_scores'), np.float32)
        gt = np.asarray(self._meta(sample, 'det_gt_index'), np.int64)
        colours = np.asarray(self._meta(sample, 'det_colours'), np.float32)
        cur = int(self._meta(sample, 'current_idx'))
        if kp.ndim != 4 or kp.shape[2:] != (15, 2):
            raise ValueError('det_keypoints_2d must have shape (F, N, 15, 2)'
                             f', got {kp.shape}')
        if gt.shape != kp.shape[:2]:
            raise ValueError(f'det_gt_index must have shape {kp.shape[:2]},'
                             f' got {gt.shape}')
        if colours.ndim != 2 or colours.shape[0] != kp.shape[1]:
            raise ValueError(f'det_colours must have shape ({kp.shape[1]}, '
                             f'C), got {colours.shape}')
        tracks = associate_window(kp, sc, cur, self.max_cost, self.min_score)
        tkp, tsc = gather_tracks(kp, sc, tracks)
        h, w = self._meta(sample, 'ori_shape')[:2]
        referred = sample.metainfo.get('referred_index')
        target = -1
        if referred is not None and len(tracks):
            hits = np.flatnonzero(gt[cur, tracks[:, cur]] == int(referred))
            target = int(hits[0]) if len(hits) else -1
        return dict(
            tracks=tracks,
            keypoints=tkp,
            scores=tsc,
            colours=colours[tracks[:, cur]] if len(tracks) else colours[:0],
            target=target,
            current_idx=cur,
            image_size=(int(w), int(h)))

    def _logits(self, data_samples) -> Tuple[Tensor, List[dict]]:
        """Logits of every track of the batch (``(sum M,)``) and the
        per-sample track records (with ``slice`` into the logits)."""
        infos = [self._tracks(s) for s in data_samples]
        rel: List[Optional[np.ndarray]] = [None] * len(infos)
        by_size: Dict[Tuple[int, int], List[int]] = {}
        for i, info in enumerate(infos):
            if len(info['tracks']):
                by_size.setdefault(info['image_size'], []).append(i)
        for size, idx in by_size.items():
            lifted = self.lifter.lift_relative(
                np.concatenate([infos[i]['keypoints'] for i in idx]),
                np.concatenate([infos[i]['scores'] for i in idx]), size)
            start = 0
            for i in idx:
                num = len(infos[i]['tracks'])
                rel[i] = lifted[start:start + num]
                infos[i]['relative'] = rel[i]
                start += num
        feats, present, owner, start = [], [], [], 0
        cdim = self.fusion.colour_dim
        for i, info in enumerate(infos):
            num = len(info['tracks'])
            info['slice'] = slice(start, start + num)
            start += num
            if num == 0:
                continue
            f, p = person_features(
                info['keypoints'],
                info['scores'],
                rel[i],
                info['colours'],
                info['image_size'],
                colour_dim=cdim)
            feats.append(f)
            present.append(p)
            owner.append(np.full(num, i, np.int64))
        device = self.fusion.type_embed.weight.device
        if not feats:
            return torch.zeros(0, device=device), infos
        texts = [str(self._meta(s, 'text')) for s in data_samples]
        logits = self.fusion(texts, torch.from_numpy(np.concatenate(feats)),
                             torch.from_numpy(np.concatenate(present)),
                             torch.from_numpy(np.concatenate(owner)))
        return logits, infos

    # ------------------------------------------------------------------
    def forward(self,
                inputs: Optional[Tensor] = None,
                data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        """``'loss'``, ``'predict'`` or ``'tensor'`` (the ``(sum M,)``
        logits). The images are not used: everything comes from the
        detections in the metainfo."""
        if data_samples is None:
            raise ValueError('HPEReferCascade needs data_samples')
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._logits(data_samples)[0]
        raise ValueError(f'invalid mode {mode!r}: loss, predict or tensor')

    def loss(self, inputs, data_samples) -> Dict[str, Tensor]:
        """Cross-entropy over each sample's tracks (+ the binary term)."""
        logits, infos = self._logits(data_samples)
        ce, bce, correct = [], [], []
        for info in infos:
            if info['target'] < 0:
                continue
            lg = logits[info['slice']]
            target = torch.tensor([info['target']], device=lg.device)
            ce.append(F.cross_entropy(lg[None], target))
            onehot = torch.zeros_like(lg)
            onehot[info['target']] = 1.
            bce.append(
                F.binary_cross_entropy_with_logits(
                    lg, onehot, reduction='sum') / len(lg))
            correct.append(float(int(lg.argmax()) == info['target']))
        if not ce:
            zero = logits.sum() * 0. if logits.numel() else sum(
                p.sum() * 0. for p in self.fusion.parameters()
                if p.requires_grad)
            return dict(
                loss_refer=zero,
                loss_refer_bce=zero.detach(),
                acc_refer=zero.detach())
        return dict(
            loss_refer=torch.stack(ce).mean(),
            loss_refer_bce=self.bce_weight * torch.stack(bce).mean(),
            acc_refer=torch.tensor(np.mean(correct), device=logits.device))

    @torch.no_grad()
    def predict(self, inputs, data_samples) -> list:
        """The best track's current-frame absolute 3D per sample."""
        logits, infos = self._logits(data_samples)
        for sample, info in zip(data_samples, infos):
            pred = InstanceData()
            lg = logits[info['slice']]
            if len(lg) == 0:
                pred.keypoints_3d = np.zeros((0, 15, 3), np.float32)
                pred.scores = np.zeros(0, np.float32)
                sample.pred_instances = pred
                sample.set_field(np.zeros(0, np.float32), 'pred_track_scores')
                continue
            probs = torch.softmax(lg.float(), 0).cpu().numpy()
            best = int(np.argmax(probs))
            cur = info['current_idx']
            # the tracks were lifted for the fusion: only place the best
            absolute = self.lifter.place(info['relative'][best:best + 1],
                                         info['keypoints'][best:best + 1],
                                         info['scores'][best:best + 1],
                                         self._meta(sample, 'camera'))
            pred.keypoints_3d = np.asarray(absolute[:, cur],
                                           np.float32).reshape(1, 15, 3)
            pred.scores = probs[best:best + 1].astype(np.float32)
            sample.pred_instances = pred
            sample.set_field(probs.astype(np.float32), 'pred_track_scores')
        return data_samples
