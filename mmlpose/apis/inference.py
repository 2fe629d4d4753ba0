# Copyright (c) mmlpose contributors. All rights reserved.
"""High-level inference for 2D-to-3D lifters.

A lifter's config alone says how to feed it: the 2D keypoints are
normalised by the config's own codec (the ``GenerateTarget`` encoder of its
test pipeline, :func:`lifting_codec`), and they are cut into windows of the
test dataset's ``multiple_target`` frames (:func:`lifting_window`), the
windows the model is tested on.
"""
import copy
import os.path as osp
import warnings
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmpose.apis import init_model
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.structures import PoseDataSample

from mmlpose.registry import DATASETS, KEYPOINT_CODECS, TRANSFORMS


def _load_config(config: Union[str, Path, Config]) -> Config:
    if isinstance(config, (str, Path)):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {config}')
        return Config.fromfile(config)
    if not isinstance(config, Config):
        raise TypeError(f'config must be a path or a Config, got '
                        f'{type(config).__name__}')
    return copy.deepcopy(config)


def dataset_meta_from_config(config: Config) -> dict:
    """Dataset meta information of a config's test dataset: its
    ``metainfo`` when the config sets one, else the ``METAINFO`` of its
    dataset class (e.g. ``MPIINF3DHPDataset``: the 3DHP joints and flip
    indices), parsed by mmpose's ``parse_pose_metainfo``.

    Raises:
        ValueError: The config has no test dataset, or its type is not
            registered.
    """
    dataset_cfg = config.get('test_dataloader', {}).get('dataset')
    if not dataset_cfg:
        raise ValueError('the config has no test_dataloader.dataset to take '
                         'the dataset meta information (joints, flip '
                         'indices) from, and the checkpoint has none')
    metainfo = dataset_cfg.get('metainfo')
    if metainfo is None:
        dataset_type = dataset_cfg.get('type')
        dataset_class = dataset_type if isinstance(dataset_type, type) \
            else DATASETS.get(dataset_type or '')
        if dataset_class is None:
            raise ValueError(f'test dataset type {dataset_type!r} is not '
                             'registered: cannot take its METAINFO')
        metainfo = dataset_class.METAINFO
    return parse_pose_metainfo(dict(metainfo))


def _load_published(model: nn.Module,
                    checkpoint: str,
                    strict: bool = True,
                    unsafe_load: bool = False) -> dict:
    """Load a checkpoint into ``model``, safely and strictly (see
    :func:`mmlpose.engine.checkpoint.load_model_checkpoint`). Weights that
    ``tools/misc/publish_model.py --exclude`` left out (``meta['excluded']``
    prefixes: frozen pretrained parts the model loaded itself when built)
    keep the model's values instead of being reported missing."""
    from mmlpose.engine.checkpoint import (extract_state_dict,
                                           load_model_checkpoint, safe_load)
    ckpt = safe_load(checkpoint, map_location='cpu', unsafe=unsafe_load)
    if not isinstance(ckpt, dict):
        extract_state_dict(ckpt, checkpoint)  # raises CheckpointError
    excluded = tuple(ckpt.get('meta', {}).get('excluded') or ())
    return load_model_checkpoint(
        model,
        ckpt,
        strict=strict,
        new_keys=excluded,
        filename=checkpoint)


def init_lifter(config: Union[str, Path, Config],
                checkpoint: Optional[str] = None,
                device: str = 'cpu',
                cfg_options: Optional[dict] = None,
                unsafe_load: bool = False,
                strict: Optional[bool] = None) -> nn.Module:
    """Build a lifter from a config and load a checkpoint, with
    :func:`mmpose.apis.init_model`.

    Dataset meta information comes from the checkpoint's ``meta`` when it
    has one (checkpoints written by mmengine's ``Runner``), else from the
    config's test dataset (:func:`dataset_meta_from_config`), so that a
    converted checkpoint gets the joints and flip indices of the data set
    its config names.

    Args:
        config (str | Path | Config): Config file path or object (not
            modified).
        checkpoint (str, optional): Checkpoint path. Random weights if None.
        device (str): Torch device. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config.
        unsafe_load (bool): Unpickle the checkpoint without restriction
            (only for a file you trust). By default it is loaded with
            ``torch.load(weights_only=True)`` and the allow-list of
            :mod:`mmlpose.engine.checkpoint`.
        strict (bool, optional): Refuse a checkpoint that leaves weights
            missing or has unexpected ones. Defaults to the config's
            ``load_strict`` (True when unset).

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` (the merged config)
        and ``dataset_meta`` (joint names, ``flip_indices``) attached.

    Raises:
        FileNotFoundError: A missing config or checkpoint file.
        CheckpointError: An empty, truncated, corrupt or unsafe checkpoint,
            or one that does not match the model.
    """
    config = _load_config(config)
    if checkpoint is not None and not osp.isfile(checkpoint):
        from mmlpose.engine.checkpoint import CheckpointNotFoundError
        raise CheckpointNotFoundError(f'checkpoint not found: {checkpoint}')
    import mmlpose.models  # noqa: F401  (register modules)
    from mmlpose.engine.checkpoint import unsafe_loading
    with warnings.catch_warnings(record=True), unsafe_loading(unsafe_load):
        # mmpose looks the train dataset up in its own registry only and
        # warns before falling back to COCO; the meta is set below
        # cfg_options={} also keeps init_model off model.backbone, which
        # diffusion lifters do not have
        model = init_model(
            config, None, device=device, cfg_options=cfg_options or {})
    if strict is None:
        strict = bool(model.cfg.get('load_strict', True))
    dataset_meta = None
    if checkpoint is not None:
        ckpt = _load_published(
            model, checkpoint, strict=strict, unsafe_load=unsafe_load)
        dataset_meta = ckpt.get('meta', {}).get('dataset_meta') \
            if isinstance(ckpt.get('meta'), dict) else None
    model.dataset_meta = dataset_meta or dataset_meta_from_config(model.cfg)
    return model.to(device).eval()


def _test_dataset(cfg: Config) -> dict:
    dataset = cfg.get('test_dataloader', {}).get('dataset')
    if not dataset:
        raise ValueError('the lifter config has no test_dataloader.dataset '
                         '(it sets the codec and the window length)')
    return dataset


def lifting_codec(cfg: Config) -> BaseKeypointCodec:
    """The codec a lifter's inputs are normalised with: the ``encoder`` of
    the ``GenerateTarget`` step of the config's test pipeline, else the
    config's ``codec`` variable."""
    pipeline = _test_dataset(cfg).get('pipeline') or []
    encoders = [
        step['encoder'] for step in pipeline
        if isinstance(step, dict) and step.get('type') == 'GenerateTarget'
    ]
    codec_cfg = encoders[0] if encoders else cfg.get('codec')
    if codec_cfg is None:
        raise ValueError('the lifter config defines no codec: no '
                         'GenerateTarget in test_dataloader.dataset.pipeline '
                         'and no `codec` variable')
    codec = KEYPOINT_CODECS.build(codec_cfg)
    if getattr(codec, 'reshape_keypoints', False):
        raise ValueError(f'{type(codec).__name__} with reshape_keypoints=True '
                         'gives (K * D, T) inputs; these lifters take (T, K, '
                         'D): set reshape_keypoints=False')
    return codec


def lifting_window(cfg: Config) -> int:
    """Frames per lifting window: the config's test dataset's
    ``multiple_target`` (the seq2seq windows the model is tested on; the
    configs set it from their ``num_frames`` variable)."""
    window = int(_test_dataset(cfg).get('multiple_target', 0) or 0)
    if window < 1:
        raise ValueError('the lifter config\'s test dataset has no '
                         'multiple_target (frames per seq2seq window): '
                         'cannot cut the input into windows')
    return window


def _check_model(model: nn.Module) -> None:
    if getattr(model, 'cfg', None) is None or getattr(
            model, 'dataset_meta', None) is None:
        raise ValueError('the model has no cfg / dataset_meta: build it '
                         'with mmlpose.apis.init_lifter')


def encode_keypoints(model: nn.Module,
                     keypoints_2d: np.ndarray,
                     image_size: Tuple[int, int],
                     keypoint_scores: Optional[np.ndarray] = None,
                     codec: Optional[BaseKeypointCodec] = None
                     ) -> Tuple[np.ndarray, Optional[dict]]:
    """Normalise pixel keypoints with the lifter's codec.

    The image is the only camera known, so the codec gets the *estimated*
    intrinsics (focal length = image width, principal point = image
    centre, as JPMA assumes without a camera); the ``VideoPoseLifting``
    codec then gives 2D keypoints centred on the image and divided by half
    its width. Its 3D target is not used (a zero placeholder is encoded).

    Args:
        model (nn.Module): A lifter from :func:`init_lifter`.
        keypoints_2d (np.ndarray): ``(T, K, 2)`` pixel coordinates.
        image_size (tuple): ``(w, h)`` of the images.
        keypoint_scores (np.ndarray, optional): ``(T, K)`` confidences, the
            codec's ``keypoints_visible``. Defaults to ones.
        codec (BaseKeypointCodec, optional): Defaults to
            :func:`lifting_codec` of ``model.cfg``.

    Returns:
        tuple: ``(T, K, D)`` float32 normalised keypoints and the codec's
        normalised ``camera_param`` (None when it does not normalise the
        camera).
    """
    codec = codec or lifting_codec(model.cfg)
    w, h = image_size
    num_keypoints = keypoints_2d.shape[1]
    camera = dict(
        w=w,
        h=h,
        f=np.array([[w], [w]], dtype=np.float64),
        c=np.array([[w / 2], [h / 2]], dtype=np.float64))
    if keypoint_scores is None:
        keypoint_scores = np.ones(keypoints_2d.shape[:2], np.float32)
    encoded = codec.encode(
        keypoints_2d,
        np.asarray(keypoint_scores, np.float32),
        lifting_target=np.zeros((1, num_keypoints, 3), np.float32),
        lifting_target_visible=np.ones((1, num_keypoints), np.float32),
        camera_param=camera)
    return (encoded['keypoint_labels'].astype(np.float32),
            encoded.get('camera_param'))


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

    The 2D keypoints are normalised by the config's codec
    (:func:`encode_keypoints`), cut into windows of
    :func:`lifting_window` frames (shorter inputs are padded by repeating
    the edge frames) and lifted window by window.

    Args:
        model (nn.Module): A lifter from :func:`init_lifter`.
        keypoints_2d (np.ndarray): ``(T, K, 2)`` pixel coordinates.
        image_size (tuple): ``(w, h)`` of the images.
        keypoint_scores (np.ndarray, optional): ``(T, K)`` confidences,
            passed to the codec as visibilities; lifters that take 2D
            positions only ignore them.
        batch_size (int): Windows per forward pass. Defaults to 16.
        action_text (str, optional): Text for text-guided lifters (e.g.
            ``'walk dog'``); their default prompt when None.

    Returns:
        np.ndarray: ``(T, K, 3)`` root-relative 3D keypoints in metres, in
        camera axes (x right, y down, z forward).
    """
    _check_model(model)
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
    if keypoint_scores is not None:
        keypoint_scores = np.asarray(keypoint_scores, np.float32)
        if keypoint_scores.shape != keypoints_2d.shape[:2]:
            raise ValueError(f'keypoint_scores must have shape (T, K) = '
                             f'{keypoints_2d.shape[:2]}, got '
                             f'{keypoint_scores.shape}')
    norm, camera = encode_keypoints(model, keypoints_2d, image_size,
                                    keypoint_scores)
    return _lift_normalized(model, [norm], camera, batch_size,
                            action_text)[0]


def window_clips(sequence: np.ndarray, window: int
                 ) -> List[Tuple[int, int, int, np.ndarray]]:
    """Cut a ``(T, K, C)`` sequence into the lifter's windows.

    Windows do not overlap; the last one is shifted back to stay full when
    possible, and a sequence shorter than ``window`` is padded by repeating
    its edge frames (half the padding on each side).

    Returns:
        list[tuple]: ``(start, end, left_pad, clip)`` per window, where
        ``clip`` is ``(window, K, C)`` and frames ``[start, end)`` sit at
        ``clip[left_pad:left_pad + end - start]``.
    """
    out = []
    for start, end in _windows(len(sequence), window):
        clip = sequence[start:end]
        left = 0
        if len(clip) < window:
            pad = window - len(clip)
            left = pad // 2
            clip = np.pad(clip, ((left, pad - left), (0, 0), (0, 0)),
                          mode='edge')
        out.append((start, end, left, clip))
    return out


def _lift_normalized(model: nn.Module, sequences: Sequence[np.ndarray],
                     camera_param: Optional[dict], batch_size: int,
                     action_text: Optional[str]) -> List[np.ndarray]:
    """Lift several normalised ``(T_i, K, 2)`` sequences, their windows
    batched together; returns one ``(T_i, K, 3)`` array per sequence."""
    num_keypoints = len(model.dataset_meta['flip_indices'])
    window = lifting_window(model.cfg)
    jobs, clips = [], []  # (sequence index, start, end, left pad)
    for seq_idx, norm in enumerate(sequences):
        for start, end, left, clip in window_clips(norm, window):
            jobs.append((seq_idx, start, end, left))
            clips.append(clip)

    device = next(model.parameters()).device
    meta = dict(flip_indices=model.dataset_meta['flip_indices'])
    if camera_param is not None:
        meta['camera_param'] = camera_param
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

    Each person's 2D is normalised by the config's codec
    (:func:`encode_keypoints`); frames where a person is out of view
    (``visible`` False) are then zero-filled by ``ZeroFillAbsentFrames``,
    as in training on EgoHumans, and are zero in the output. The windows of
    all people go through the model together, ``batch_size`` at a time. A
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
    _check_model(model)
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
    codec = lifting_codec(model.cfg)
    zero_fill = TRANSFORMS.build(dict(type='ZeroFillAbsentFrames'))
    norms, camera = [], None
    for person in people:
        # absent frames hold arbitrary values (NaN): encode the image centre
        kpts = np.where(visible[person][:, None, None], keypoints_2d[person],
                        np.float32(0))
        vis = np.repeat(visible[person][:, None], num_keypoints, axis=1)
        norm, camera = encode_keypoints(
            model, kpts, image_size, vis.astype(np.float32), codec=codec)
        norms.append(
            zero_fill(dict(keypoint_labels=norm,
                           keypoints_visible=vis))['keypoint_labels'])
    for person, lifted in zip(
            people,
            _lift_normalized(model, norms, camera, batch_size, action_text)):
        result[person] = lifted * visible[person][:, None, None]
    return result
