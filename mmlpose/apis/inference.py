# Copyright (c) mmlpose contributors. All rights reserved.
"""High-level inference for 2D-to-3D lifters."""
import os.path as osp
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.structures import PoseDataSample

from mmlpose.datasets.h36m_text_dataset import mmpose_dataset_cfg
from mmlpose.registry import MODELS

H36M_METAINFO = dict(from_file=mmpose_dataset_cfg('h36m'))


def init_lifter(config: Union[str, Config],
                checkpoint: Optional[str] = None,
                device: str = 'cpu',
                cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a lifter from a config file and load a checkpoint.

    Args:
        config (str | Config): Config file path or object.
        checkpoint (str, optional): Checkpoint path. Random weights if None.
        device (str): Torch device. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` and ``dataset_meta``
        (joint names, ``flip_indices``) attached.
    """
    if isinstance(config, str):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {config}')
        config = Config.fromfile(config)
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a path or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    init_default_scope(config.get('default_scope', 'mmlpose'))
    import mmlpose.models  # noqa: F401  (register modules)

    model = MODELS.build(config.model)
    dataset_meta = None
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu')
        dataset_meta = ckpt.get('meta', {}).get('dataset_meta')
    if dataset_meta is None:
        metainfo = config.get('test_dataloader', {}).get('dataset', {}).get(
            'metainfo', H36M_METAINFO)
        dataset_meta = parse_pose_metainfo(dict(metainfo))
    model.dataset_meta = dataset_meta
    model.cfg = config
    return model.to(device).eval()


def _windows(num_frames: int, window: int) -> Sequence[Tuple[int, int]]:
    """Non-overlapping ``[start, end)`` windows covering all frames; the last
    one is shifted back to stay full when possible."""
    if num_frames <= window:
        return [(0, num_frames)]
    starts = list(range(0, num_frames - window + 1, window))
    if starts[-1] + window < num_frames:
        starts.append(num_frames - window)
    return [(s, s + window) for s in starts]


@torch.no_grad()
def lift_sequence(model: nn.Module,
                  keypoints_2d: np.ndarray,
                  image_size: Tuple[int, int],
                  keypoint_scores: Optional[np.ndarray] = None,
                  batch_size: int = 16) -> np.ndarray:
    """Lift a 2D keypoint sequence of one person to 3D.

    The 2D keypoints are normalised as in training (mmpose's
    ``VideoPoseLifting``: centred on the image, divided by half its width),
    cut into windows of the model's ``seq_len`` frames (shorter inputs are
    padded by repeating the edge frames) and lifted window by window.

    Args:
        model (nn.Module): A lifter from :func:`init_lifter`.
        keypoints_2d (np.ndarray): ``(T, K, 2)`` pixel coordinates.
        image_size (tuple): ``(w, h)`` of the images.
        keypoint_scores (np.ndarray, optional): ``(T, K)`` confidences;
            lifters that take 2D positions only ignore them.
        batch_size (int): Windows per forward pass. Defaults to 16.

    Returns:
        np.ndarray: ``(T, K, 3)`` root-relative 3D keypoints in metres, in
        camera axes (x right, y down, z forward).
    """
    keypoints_2d = np.asarray(keypoints_2d, dtype=np.float32)
    num_keypoints = len(model.dataset_meta['flip_indices'])
    if keypoints_2d.ndim != 3 or keypoints_2d.shape[1:] != (num_keypoints,
                                                            2):
        raise ValueError(f'keypoints_2d must have shape (T, {num_keypoints}, '
                         f'2), got {keypoints_2d.shape}')
    if len(keypoints_2d) == 0:
        raise ValueError('keypoints_2d is empty: no frame to lift')
    if not np.isfinite(keypoints_2d).all():
        raise ValueError('keypoints_2d contains NaN or inf; fill frames '
                         'without a person first')
    w, h = image_size
    norm = (keypoints_2d - np.array([w / 2, h / 2], np.float32)) / (w / 2)

    # the temporal network: a backbone, or a diffusion head's denoiser
    net = getattr(model, 'backbone', None)
    if net is None:
        net = getattr(getattr(model, 'head', None), 'denoiser', None)
    window = getattr(net, 'seq_len', len(norm))
    spans = _windows(len(norm), window)
    clips = []
    for start, end in spans:
        clip = norm[start:end]
        if len(clip) < window:
            pad = window - len(clip)
            left = pad // 2
            clip = np.pad(clip, ((left, pad - left), (0, 0), (0, 0)),
                          mode='edge')
        clips.append(clip)

    device = next(model.parameters()).device
    meta = dict(flip_indices=model.dataset_meta['flip_indices'])
    outputs = []
    for i in range(0, len(clips), batch_size):
        batch = torch.from_numpy(np.stack(clips[i:i + batch_size])).to(device)
        samples = [PoseDataSample(metainfo=meta) for _ in range(len(batch))]
        results = model.predict(batch, samples)
        outputs.extend(
            np.asarray(r.pred_instances.keypoints).reshape(
                window, num_keypoints, -1) for r in results)

    result = np.zeros((len(norm), num_keypoints, 3), dtype=np.float32)
    for (start, end), out in zip(spans, outputs):
        n = end - start
        left = (window - n) // 2 if n < window else 0
        result[start:end] = out[left:left + n, :, :3]
    return result
