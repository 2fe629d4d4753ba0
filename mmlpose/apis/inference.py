# Copyright (c) mmlpose contributors. All rights reserved.
"""High-level inference for 2D-to-3D lifters."""
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

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
                  batch_size: int = 16,
                  action_text: Optional[str] = None) -> np.ndarray:
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
        action_text (str, optional): Text for text-guided lifters (e.g.
            ``'walk dog'``); their default prompt when None.

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
    norm = normalize_keypoints(keypoints_2d, image_size)
    return _lift_normalized(model, [norm], batch_size, action_text)[0]


def normalize_keypoints(keypoints_2d: np.ndarray,
                        image_size: Tuple[int, int]) -> np.ndarray:
    """Pixels to the lifters' input units (mmpose's ``VideoPoseLifting``):
    centred on the image and divided by half its width."""
    w, h = image_size
    return ((np.asarray(keypoints_2d, np.float32) -
             np.array([w / 2, h / 2], np.float32)) / (w / 2)).astype(
                 np.float32)


def _lift_normalized(model: nn.Module, sequences: Sequence[np.ndarray],
                     batch_size: int,
                     action_text: Optional[str]) -> List[np.ndarray]:
    """Lift several normalised ``(T_i, K, 2)`` sequences, their windows
    batched together; returns one ``(T_i, K, 3)`` array per sequence."""
    num_keypoints = len(model.dataset_meta['flip_indices'])
    # the temporal network: a backbone, or a diffusion head's denoiser
    net = getattr(model, 'backbone', None)
    if net is None:
        net = getattr(getattr(model, 'head', None), 'denoiser', None)
    window = getattr(net, 'seq_len', None) or max(len(s) for s in sequences)
    jobs, clips = [], []  # (sequence index, start, end, left pad)
    for seq_idx, norm in enumerate(sequences):
        for start, end in _windows(len(norm), window):
            clip = norm[start:end]
            left = 0
            if len(clip) < window:
                pad = window - len(clip)
                left = pad // 2
                clip = np.pad(clip, ((left, pad - left), (0, 0), (0, 0)),
                              mode='edge')
            jobs.append((seq_idx, start, end, left))
            clips.append(clip)

    device = next(model.parameters()).device
    meta = dict(flip_indices=model.dataset_meta['flip_indices'])
    if action_text is not None:
        meta['action_text'] = action_text
    outputs = []
    for i in range(0, len(clips), batch_size):
        batch = torch.from_numpy(np.stack(clips[i:i + batch_size])).to(device)
        samples = [PoseDataSample(metainfo=meta) for _ in range(len(batch))]
        results = model.predict(batch, samples)
        outputs.extend(
            np.asarray(r.pred_instances.keypoints).reshape(
                window, num_keypoints, -1) for r in results)

    lifted = [
        np.zeros((len(norm), num_keypoints, 3), dtype=np.float32)
        for norm in sequences
    ]
    for (seq_idx, start, end, left), out in zip(jobs, outputs):
        lifted[seq_idx][start:end] = out[left:left + end - start, :, :3]
    return lifted


@torch.no_grad()
def lift_multi_person(model: nn.Module,
                      keypoints_2d: np.ndarray,
                      visible: np.ndarray,
                      image_size: Tuple[int, int],
                      batch_size: int = 16,
                      action_text: Optional[str] = None) -> np.ndarray:
    """Lift several people of one video, each on their own (FinePOSE's
    multi-human protocol), and stack them along a person axis.

    Frames where a person is out of view (``visible`` False) are zero-filled
    in the lifter's normalised 2D input, as in training with
    ``ZeroFillAbsentFrames``, and are zero in the output. The windows of all
    people go through the model together, ``batch_size`` at a time. A
    person who is never visible gets an all-zero track without being lifted.

    Args:
        model (nn.Module): A lifter from :func:`init_lifter`.
        keypoints_2d (np.ndarray): ``(P, T, K, 2)`` pixel coordinates;
            values in absent frames are ignored.
        visible (np.ndarray): ``(P, T)`` bool, the person is in view.
        image_size (tuple): ``(w, h)`` of the images.
        batch_size (int): Windows per forward pass. Defaults to 16.
        action_text (str, optional): Text for text-guided lifters (e.g. the
            activity, ``'fencing'``); their default prompt when None.

    Returns:
        np.ndarray: ``(P, T, K, 3)`` root-relative 3D keypoints in metres,
        camera axes, zeros where ``visible`` is False.
    """
    keypoints_2d = np.asarray(keypoints_2d, dtype=np.float32)
    num_keypoints = len(model.dataset_meta['flip_indices'])
    if keypoints_2d.ndim != 4 or keypoints_2d.shape[2:] != (num_keypoints,
                                                            2):
        raise ValueError(f'keypoints_2d must have shape (P, T, '
                         f'{num_keypoints}, 2), got {keypoints_2d.shape}')
    visible = np.asarray(visible).astype(bool)
    if visible.shape != keypoints_2d.shape[:2]:
        raise ValueError(f'visible must have shape (P, T) = '
                         f'{keypoints_2d.shape[:2]}, got {visible.shape}')
    if keypoints_2d.shape[0] == 0 or keypoints_2d.shape[1] == 0:
        raise ValueError('keypoints_2d holds no person or no frame: nothing '
                         'to lift')
    if not np.isfinite(keypoints_2d[visible]).all():
        raise ValueError('keypoints_2d contains NaN or inf in visible frames')
    result = np.zeros(keypoints_2d.shape[:3] + (3, ), dtype=np.float32)
    people = np.flatnonzero(visible.any(axis=1))
    if len(people) == 0:
        return result
    norms = []
    for person in people:
        norm = normalize_keypoints(keypoints_2d[person], image_size)
        norm[~visible[person]] = 0
        norms.append(norm)
    for person, lifted in zip(
            people, _lift_normalized(model, norms, batch_size, action_text)):
        result[person] = lifted * visible[person][:, None, None]
    return result
