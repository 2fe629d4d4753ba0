# Copyright (c) mmlpose contributors. All rights reserved.
"""The RVOS + 3DHPE cascade baseline of L3DHPE.

A referring video object segmenter (:class:`ReferFormerSegmenter`) masks
the person named by the sentence; the mask selects one of the current
frame's 2D detections (the one with most of its confident keypoints inside
the mask); that detection is tracked over the window and lifted to absolute
3D by a frozen single-person estimator (:class:`PersonLifter`: 2D ->
lifting -> root from the camera).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torch import Tensor

from mmlpose.registry import MODELS, TASK_UTILS
from mmlpose.structures.panoptic import NUM_PANOPTIC_JOINTS

#: ImageNet statistics (RGB, 0-255) of the segmenter's input.
IMAGENET_MEAN = [123.675, 116.28, 103.53]
IMAGENET_STD = [58.395, 57.12, 57.375]


def _to_numpy(value) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def apply_affine(points: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """``(..., 2)`` points through a ``(2, 3)`` affine (NaN stays NaN)."""
    trans = np.asarray(trans, np.float64)
    if trans.shape != (2, 3):
        raise ValueError(f'trans must be a (2, 3) affine, got {trans.shape}')
    pts = np.asarray(points, np.float64)
    return pts @ trans[:, :2].T + trans[:, 2]


def points_in_mask(points: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``(..., )`` bool: which ``(..., 2)`` pixel points (x, y) fall on a
    True pixel of the ``(H, W)`` mask (NaN or outside: False)."""
    h, w = mask.shape
    pts = np.asarray(points, np.float64)
    ok = np.isfinite(pts).all(-1)
    xy = np.where(ok[..., None], np.floor(np.nan_to_num(pts)),
                  -1).astype(np.int64)
    ok &= (xy[..., 0] >= 0) & (xy[..., 0] < w) & (xy[..., 1] >= 0) & \
        (xy[..., 1] < h)
    out = np.zeros(ok.shape, bool)
    out[ok] = mask[xy[..., 1][ok], xy[..., 0][ok]]
    return out


def select_person(mask: Optional[np.ndarray],
                  keypoints: np.ndarray,
                  scores: np.ndarray,
                  min_score: float = 0.3,
                  fallback_point: Optional[Sequence[float]] = None) -> int:
    """The detection that a referring mask selects.

    The detection with the largest share of its confident keypoints
    (finite, score >= ``min_score``; all its finite keypoints when none is
    confident) inside the mask; ties (e.g. none inside) go to the detection
    whose keypoint mean is nearest to the mask's centroid. Without a mask
    (None or empty) the detection nearest to ``fallback_point`` is taken
    (or the most confident one when that is None too).

    Args:
        mask (np.ndarray, optional): ``(H, W)`` bool mask.
        keypoints (np.ndarray): ``(N, K, 2)`` pixels in the mask's frame; a
            row of NaN is no detection.
        scores (np.ndarray): ``(N, K)`` keypoint scores.
        min_score (float): Confidence of a keypoint that counts.
        fallback_point (sequence, optional): ``(x, y)`` used without mask.

    Returns:
        int: The index of the selected detection, -1 when there is none.
    """
    kp = np.asarray(keypoints, np.float64)
    sc = np.asarray(scores, np.float64)
    if kp.ndim != 3 or kp.shape[-1] != 2 or sc.shape != kp.shape[:2]:
        raise ValueError('keypoints must be (N, K, 2) and scores (N, K), got '
                         f'{kp.shape} and {sc.shape}')
    finite = np.isfinite(kp).all(-1)
    valid = finite.any(-1)
    if not valid.any():
        return -1
    conf = finite & (np.nan_to_num(sc) >= min_score)
    use = np.where(conf.any(-1, keepdims=True), conf, finite)
    count = use.sum(-1)
    centre = np.where(use[..., None], np.nan_to_num(kp), 0.).sum(1) / \
        np.maximum(count, 1)[:, None]
    has_mask = mask is not None and np.asarray(mask).any()
    if has_mask:
        mask = np.asarray(mask, bool)
        if mask.ndim != 2:
            raise ValueError(f'mask must be (H, W), got {mask.shape}')
        inside = points_in_mask(kp, mask) & use
        share = np.where(valid, inside.sum(-1) / np.maximum(count, 1), -1.)
        ys, xs = np.nonzero(mask)
        target = np.array([xs.mean() + 0.5, ys.mean() + 0.5])
        best = share.max()
        cand = np.flatnonzero(valid & (share >= best - 1e-9))
    elif fallback_point is not None:
        target = np.asarray(fallback_point, np.float64).reshape(2)
        cand = np.flatnonzero(valid)
    else:
        mean_score = np.where(valid, np.nan_to_num(sc).mean(-1), -np.inf)
        return int(np.argmax(mean_score))
    dist = np.linalg.norm(centre[cand] - target, axis=-1)
    return int(cand[np.argmin(dist)])


@MODELS.register_module()
class RVOSCascade(BaseModel):
    """RVOS + 3DHPE: a referring segmenter's mask selects the person whose
    2D detections are lifted to absolute 3D.

    Note:
        - batch: B, window frames: F, detections per frame: N, joints: 15

    Args:
        segmenter (dict): The referring segmenter
            (:class:`ReferFormerSegmenter`).
        lifter (dict, optional): :class:`PersonLifter` arguments (``model``,
            ``weights``, ...), built once at the first prediction and frozen
            (its weights are not part of this model's state). None: predict
            gives masks only.
        min_keypoint_score (float): Detected keypoints at least this
            confident are counted in the mask test. Defaults to 0.3.
        mask_thr (float): Threshold of the mask probability.
        data_preprocessor (dict): Defaults to :class:`L3DDataPreprocessor`
            with ImageNet mean / std, BGR -> RGB.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 segmenter: dict,
                 lifter: Optional[dict] = dict(model=None, weights=None),
                 min_keypoint_score: float = 0.3,
                 mask_thr: float = 0.5,
                 data_preprocessor: Optional[dict] = dict(
                     type='L3DDataPreprocessor',
                     mean=IMAGENET_MEAN,
                     std=IMAGENET_STD,
                     bgr_to_rgb=True),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.segmenter = MODELS.build(segmenter)
        self.lifter_cfg = None if lifter is None else dict(lifter)
        self._lifter = None
        self.min_keypoint_score = float(min_keypoint_score)
        self.mask_thr = float(mask_thr)

    @property
    def lifter(self):
        """The frozen :class:`PersonLifter` (built once, on first use)."""
        if self.lifter_cfg is None:
            return None
        if self._lifter is None:
            cfg = dict(self.lifter_cfg)
            cfg.setdefault('type', 'PersonLifter')
            self._lifter = TASK_UTILS.build(cfg)
        return self._lifter

    # ------------------------------------------------------------------
    def forward(self,
                inputs: Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], list]:
        """``inputs`` ``(B, F, 3, H, W)`` normalised frames; ``mode`` is
        ``'loss'`` (segmenter losses), ``'predict'`` (data samples with
        predictions) or ``'tensor'`` (the segmenter's raw outputs)."""
        if mode == 'tensor':
            return self.segmenter(inputs, self._texts(data_samples, inputs))
        if data_samples is None:
            raise ValueError(f'mode {mode!r} needs data_samples')
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f'invalid mode {mode!r}: loss, predict or tensor')

    @staticmethod
    def _texts(data_samples, inputs) -> List[str]:
        if data_samples is None:
            raise ValueError('the segmenter needs the sentences: give '
                             'data_samples with metainfo text')
        texts = [s.metainfo.get('text') for s in data_samples]
        if len(texts) != inputs.shape[0] or not all(
                isinstance(t, str) and t.strip() for t in texts):
            raise ValueError('every data sample needs a non-empty '
                             'metainfo text, one per input window')
        return texts

    @staticmethod
    def _current_idx(sample, num_frames: int) -> int:
        """Position of the current frame among the input frames
        (``input_current_idx``, else ``current_idx``; 0 for one frame)."""
        if num_frames == 1:
            return 0
        cur = sample.metainfo.get('input_current_idx',
                                  sample.metainfo.get('current_idx'))
        if cur is None:
            raise ValueError('data sample has no metainfo current_idx')
        cur = int(cur)
        if not 0 <= cur < num_frames:
            raise ValueError(f'current_idx {cur} outside the {num_frames} '
                             'input frames')
        return cur

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """The segmenter's losses on the referred person's current-frame
        mask (``gt_instances.masks[referred_index]``; every person's mask
        for the segmenter's person-level text loss)."""
        texts = self._texts(data_samples, inputs)
        num_frames = inputs.shape[1]
        masks, cur_idx, present, people, referred = [], [], [], [], []
        for s in data_samples:
            gt = s.gt_instances
            if 'masks' not in gt:
                raise ValueError('training needs gt_instances.masks (add '
                                 'LoadReferMask to the pipeline)')
            ref = int(s.metainfo['referred_index'])
            masks.append(torch.as_tensor(_to_numpy(gt.masks[ref])).bool())
            people.append(torch.as_tensor(_to_numpy(gt.masks)).bool())
            referred.append(ref)
            cur = self._current_idx(s, num_frames)
            cur_idx.append(cur)
            vis = gt.get('window_visible', None)
            p = None
            if vis is not None and num_frames > 1:
                vis = _to_numpy(vis[ref]).astype(bool)
                if vis.ndim == 2 and vis.shape[0] == num_frames:
                    p = torch.from_numpy(vis.any(-1))
            present.append(p)
        return self.segmenter.loss(inputs, texts, masks, cur_idx, present,
                                   people, referred)

    @torch.no_grad()
    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Mask -> person -> track -> absolute 3D of the current frame.

        Sets on every data sample ``pred_instances`` (``keypoints_3d``
        ``(1, 15, 3)`` float32 mm loader axes, ``scores`` ``(1,)``; ``(0,
        15, 3)`` / ``(0,)`` when no detection can be selected or without a
        lifter), ``pred_mask`` ``(H, W)`` bool in input coords and
        ``pred_det_index`` (metainfo-free field: the selected detection of
        the current frame, -1 none).
        """
        texts = self._texts(data_samples, inputs)
        B, num_frames, _, H, W = inputs.shape
        cur_idx = [self._current_idx(s, num_frames) for s in data_samples]
        results = self.segmenter.predict(
            inputs, texts, cur_idx, mask_thr=self.mask_thr)
        for sample, res in zip(data_samples, results):
            mask = res['mask'].numpy().astype(bool)
            box = res['box'].numpy().astype(np.float64)
            fallback = (box[0] * W, box[1] * H)
            keypoints_3d = np.zeros((0, NUM_PANOPTIC_JOINTS, 3), np.float32)
            scores = np.zeros((0, ), np.float32)
            det = -1
            meta = sample.metainfo
            if 'det_keypoints_2d' in meta and 'det_keypoint_scores' in meta:
                det, kp3d = self._lift_selected(meta, mask, fallback)
                if kp3d is not None:
                    keypoints_3d = kp3d
                    scores = np.array([res['score']], np.float32)
            sample.pred_instances = InstanceData(
                keypoints_3d=keypoints_3d, scores=scores)
            sample.set_field(mask, 'pred_mask')
            sample.set_field(det, 'pred_det_index')
        return data_samples

    def _lift_selected(
            self, meta: dict, mask: np.ndarray,
            fallback: Tuple[float, float]) -> Tuple[int, Optional[np.ndarray]]:
        """Select the current-frame detection, track it over the window and
        lift it: ``(detection index, (1, 15, 3) mm or None)``."""
        from mmlpose.models.utils.association import (associate_window,
                                                      gather_tracks)
        kp = _to_numpy(meta['det_keypoints_2d']).astype(np.float64)
        sc = _to_numpy(meta['det_keypoint_scores']).astype(np.float64)
        if kp.ndim != 4 or kp.shape[2:] != (NUM_PANOPTIC_JOINTS, 2) or \
                sc.shape != kp.shape[:3]:
            raise ValueError('det_keypoints_2d must be (F, N, 15, 2) and '
                             'det_keypoint_scores (F, N, 15), got '
                             f'{kp.shape} and {sc.shape}')
        cur = int(meta.get('current_idx', 0))
        if not 0 <= cur < kp.shape[0]:
            raise ValueError(f'current_idx {cur} outside the {kp.shape[0]} '
                             'detection frames')
        trans = meta.get('trans')
        if trans is None:
            raise ValueError('metainfo trans (original -> input affine) is '
                             'needed to compare detections with the mask')
        kp_in = apply_affine(kp[cur], _to_numpy(trans))
        det = select_person(mask, kp_in, sc[cur], self.min_keypoint_score,
                            fallback)
        lifter = self.lifter
        if det < 0 or lifter is None:
            return det, None
        tracks = associate_window(kp, sc, anchor=cur)
        row = np.flatnonzero(tracks[:, cur] == det)
        if len(row) == 0:
            return det, None
        track_kp, track_sc = gather_tracks(kp, sc, tracks[row[:1]])
        ori_h, ori_w = meta.get('ori_shape', (1080, 1920))[:2]
        camera = meta.get('camera')
        if camera is None:
            raise ValueError('metainfo camera is needed to place the root')
        world = lifter(track_kp, track_sc, camera, (int(ori_w), int(ori_h)))
        return det, world[:, cur].astype(np.float32)
