# Copyright (c) mmlpose contributors. All rights reserved.
"""A referrer on a trained referring segmenter: the tracks that overlap the
sentence's mask best are referred (for the demo)."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmengine.config import Config
from torch import nn

from mmlpose.registry import MODELS
from mmlpose.structures.track import PersonTrack
from ..referrers.base_referrer import BaseReferrer
from .rvos_cascade import IMAGENET_MEAN, IMAGENET_STD, points_in_mask


def letterbox_affine(image_size: Tuple[int, int],
                     input_size: Tuple[int, int]) -> np.ndarray:
    """``(2, 3)`` aspect-preserving affine that fits a ``(w, h)`` image in a
    ``(W, H)`` input, centred, padding the rest (as ``ResizeL3D``)."""
    w, h = image_size
    W, H = input_size
    if min(w, h, W, H) <= 0:
        raise ValueError(f'image size {image_size} and input size '
                         f'{input_size} must be positive')
    s = min(W / w, H / h)
    return np.array([[s, 0., (W - s * w) / 2], [0., s, (H - s * h) / 2]],
                    np.float64)


def mask_to_image(mask: np.ndarray, trans: np.ndarray,
                  image_size: Tuple[int, int]) -> np.ndarray:
    """An ``(H, W)`` input-coords mask -> ``(h, w)`` bool image mask: each
    image pixel takes the input pixel its centre maps to through the
    ``(2, 3)`` image -> input affine (as :func:`points_in_mask` tests
    points)."""
    w, h = image_size
    x = np.arange(w, dtype=np.float64) + 0.5
    y = np.arange(h, dtype=np.float64) + 0.5
    u = np.floor(trans[0, 0] * x[None] + trans[0, 1] * y[:, None] +
                 trans[0, 2]).astype(np.int64)
    v = np.floor(trans[1, 0] * x[None] + trans[1, 1] * y[:, None] +
                 trans[1, 2]).astype(np.int64)
    H, W = mask.shape
    ok = (u >= 0) & (u < W) & (v >= 0) & (v < H)
    out = np.zeros((h, w), bool)
    out[ok] = mask[v[ok], u[ok]]
    return out


def _config_input_size(cfg: Config) -> Optional[Tuple[int, int]]:
    """``input_size`` of the first ``ResizeL3D`` of the test pipeline."""
    for key in ('test_dataloader', 'val_dataloader'):
        loader = cfg.get(key) or {}
        pipeline = (loader.get('dataset') or {}).get('pipeline') or []
        for step in pipeline:
            if step.get('type') == 'ResizeL3D' and 'input_size' in step:
                return tuple(int(v) for v in step['input_size'])
    return None


@MODELS.register_module()
class RVOSReferrer(BaseReferrer):
    """Score each track by how well it overlaps the mask that a referring
    segmenter (the :class:`RVOSCascade`'s) predicts for the sentence.

    The segmenter runs once on up to ``num_frames`` frames sampled evenly
    from ``frames`` (letterboxed to its input size, the middle one as the
    current frame); its masks are mapped back to the image. A track's score
    is the mean, over the sampled frames where it is present, of the IoU of
    its mask with the predicted mask, or, in frames where the track has no
    mask, of the share of its confident 2D keypoints inside the predicted
    mask; 0 when it is present in none of them.

    Args:
        model (str | Config | nn.Module): An RVOSCascade config (path or
            object; its ``model`` is built without the lifter) or a built
            model with a ``segmenter`` (``predict(inputs, texts,
            current_idx)`` -> list of dicts with ``masks`` ``(F, H, W)``).
        checkpoint (str, optional): Trained weights of the config's model.
        threshold (float): Minimum score of a referred track. Defaults to
            0.1.
        num_frames (int): Frames given to the segmenter. Defaults to 6.
        input_size (tuple, optional): ``(W, H)`` of the segmenter's input;
            default: the config's ``ResizeL3D`` input size, else (960, 512).
        min_keypoint_score (float): Keypoints at least this confident count
            in the keypoint test. Defaults to 0.3.
        device (str): Torch device. Defaults to ``'cpu'``.
    """

    def __init__(self,
                 model: Union[str, Config, nn.Module],
                 checkpoint: Optional[str] = None,
                 threshold: float = 0.1,
                 num_frames: int = 6,
                 input_size: Optional[Tuple[int, int]] = None,
                 min_keypoint_score: float = 0.3,
                 device: str = 'cpu') -> None:
        super().__init__(threshold)
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        self.mean_std = (IMAGENET_MEAN, IMAGENET_STD, True)
        cfg_size = None
        if isinstance(model, nn.Module):
            self.model = model
        else:
            cfg = Config.fromfile(model) if isinstance(model, str) else model
            if not isinstance(cfg, Config) or 'model' not in cfg:
                raise TypeError(f'model must be a {self.config_kind} config '
                                '(path or Config with `model`) or a built '
                                'model')
            from mmlpose.utils import register_all_modules
            register_all_modules(init_default_scope=False)
            self.model = self.build_model(cfg, checkpoint)
            cfg_size = _config_input_size(cfg)
        self.check_model(self.model)
        self.model.to(device).eval()
        self.device = device
        self.input_size = tuple(input_size or cfg_size or (960, 512))
        self.num_frames = int(num_frames)
        self.min_keypoint_score = float(min_keypoint_score)
        mean, std, bgr_to_rgb = self.mean_std
        self.mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
        self.bgr_to_rgb = bool(bgr_to_rgb)

    #: What ``model`` must be a config of (for the error message).
    config_kind = 'RVOSCascade'

    def build_model(self, cfg: Config, checkpoint: Optional[str]) -> nn.Module:
        """The cascade of ``cfg`` without its lifter, with ``checkpoint``'s
        weights (safe, strict; the lifter's keys are dropped); sets
        :attr:`mean_std` from the config's data preprocessor."""
        model_cfg = copy.deepcopy(cfg.model)
        pre = model_cfg.get('data_preprocessor') or {}
        mean, std, bgr_to_rgb = self.mean_std
        self.mean_std = (pre.get('mean', mean), pre.get('std', std),
                         pre.get('bgr_to_rgb', bgr_to_rgb))
        model_cfg['lifter'] = None
        model_cfg['data_preprocessor'] = dict(type='BaseDataPreprocessor')
        model = MODELS.build(model_cfg)
        if checkpoint is not None:
            from mmlpose.engine.checkpoint import load_model_checkpoint
            load_model_checkpoint(model, checkpoint, dropped_keys=['lifter.'])
        return model

    def check_model(self, model: nn.Module) -> None:
        """Raise a one-line error when ``model`` cannot segment."""
        if not hasattr(model, 'segmenter'):
            raise TypeError(f'{type(model).__name__} has no segmenter')

    @staticmethod
    def sample_frames(frame_ids: Sequence[int], num: int) -> List[int]:
        """Up to ``num`` frame ids spread evenly (first and last kept)."""
        ids = sorted(int(i) for i in frame_ids)
        if len(ids) <= num:
            return ids
        pick = np.linspace(0, len(ids) - 1, num).round().astype(int)
        return [ids[i] for i in np.unique(pick)]

    def letterbox(self, frames: Dict[int, np.ndarray], ids: Sequence[int],
                  image_size: Tuple[int, int]
                  ) -> Tuple[np.ndarray, np.ndarray, Tuple[int, int]]:
        """Frames ``ids`` letterboxed to the input size: ``(F, H, W, 3)``
        uint8 BGR, the ``(2, 3)`` image -> input affine and ``(w, h)``."""
        if not frames:
            raise ValueError(f'{type(self).__name__} needs video frames (a '
                             'dict frame index -> BGR image)')
        first = np.asarray(frames[ids[0]])
        h, w = first.shape[:2]
        if image_size and all(image_size) and tuple(image_size) != (w, h):
            raise ValueError(f'image_size {tuple(image_size)} does not match '
                             f'the frames ({w}, {h})')
        trans = letterbox_affine((w, h), self.input_size)
        imgs = []
        for i in ids:
            img = np.asarray(frames[i])
            if img.ndim != 3 or img.shape[2] != 3 or img.shape[:2] != (h, w):
                raise ValueError(f'frame {i} must be a ({h}, {w}, 3) BGR '
                                 f'image, got {img.shape}')
            imgs.append(
                cv2.warpAffine(
                    img, trans, self.input_size, flags=cv2.INTER_LINEAR))
        return np.stack(imgs), trans, (w, h)

    def predict_masks(self, text: str, frames: Dict[int, np.ndarray],
                      image_size: Tuple[int, int]
                      ) -> Tuple[Dict[int, np.ndarray], np.ndarray]:
        """Input-size ``(H, W)`` bool masks of the sentence (frame id ->
        mask) and the image -> input affine; here, the segmenter once on
        :meth:`sample_frames` (the middle one as the current frame)."""
        ids = self.sample_frames(list(frames), self.num_frames)
        imgs, trans, _ = self.letterbox(frames, ids, image_size)
        x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float()
        if self.bgr_to_rgb:
            x = x.flip(1)
        x = ((x - self.mean) / self.std).unsqueeze(0).to(self.device)
        result = self.model.segmenter.predict(x, [text], [len(ids) // 2])[0]
        masks = result['masks']
        masks = masks.cpu().numpy() if hasattr(masks, 'cpu') else \
            np.asarray(masks)
        return {i: np.asarray(m, bool) for i, m in zip(ids, masks)}, trans

    @torch.no_grad()
    def segment(self, text: str, frames: Dict[int, np.ndarray],
                image_size: Tuple[int, int]) -> Dict[int, np.ndarray]:
        """The ``(h, w)`` bool mask of the sentence in each frame the model
        saw (image coords): frame id -> mask."""
        if not frames:
            raise ValueError(f'{type(self).__name__} needs video frames (a '
                             'dict frame index -> BGR image)')
        h, w = np.asarray(next(iter(frames.values()))).shape[:2]
        masks, trans = self.predict_masks(text, frames, image_size)
        return {
            i: mask_to_image(m, trans, (w, h))
            for i, m in masks.items()
        }

    def score_tracks(
            self, text: str, tracks: List[PersonTrack],
            frames: Dict[int, np.ndarray],
            image_size: Tuple[int, int]) -> Tuple[np.ndarray, Dict[int, str]]:
        """Mean overlap of every track with the predicted masks."""
        pred = self.segment(text, frames, image_size)
        scores = np.zeros(len(tracks), np.float64)
        descriptions = {}
        for n, track in enumerate(tracks):
            present = track.present
            vals, kinds = [], []
            for f, mask in pred.items():
                if f >= track.num_frames or not present[f]:
                    continue
                own = track.mask_in_image(f, mask.shape)
                if own is not None:
                    union = np.logical_or(own, mask).sum()
                    inter = np.logical_and(own, mask).sum()
                    vals.append(inter / union if union else 0.)
                    kinds.append('mask')
                    continue
                ok = np.isfinite(track.keypoints_2d[f]).all(-1) & (
                    track.keypoint_scores[f] >= self.min_keypoint_score)
                if not ok.any():
                    continue
                inside = points_in_mask(track.keypoints_2d[f][ok], mask)
                vals.append(float(inside.mean()))
                kinds.append('keypoints')
            scores[n] = float(np.mean(vals)) if vals else 0.
            descriptions[track.track_id] = (
                f'overlap {scores[n]:.2f} with the referring mask over '
                f'{len(vals)} frame(s) ({kinds.count("mask")} by mask IoU)')
        return scores, descriptions
