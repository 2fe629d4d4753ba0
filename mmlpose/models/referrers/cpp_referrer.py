# Copyright (c) mmlpose contributors. All rights reserved.
"""A referrer on a trained CPP (the L3DHPE model): the tracks that overlap
CPP's mask of the referred person best are referred (for the demo)."""
import copy
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from torch import nn

from mmlpose.registry import MODELS
from ..rvos_adapters.rvos_referrer import RVOSReferrer
from .skeleton_text_referrer import window_positions


def image_camera(image_size: Tuple[int, int]) -> dict:
    """The camera assumed when none is given: focal length = image width,
    principal point = image centre, no distortion, camera = world (the
    inferencer's own estimate for lifting)."""
    w, h = image_size
    if min(w, h) <= 0:
        raise ValueError(f'image size {image_size} must be positive')
    K = np.array([[w, 0., w / 2], [0., w, h / 2], [0., 0., 1.]], np.float64)
    return dict(
        R=np.eye(3), t=np.zeros((3, 1)), K=K, dist=np.zeros(5, np.float64))


def current_window_positions(num_ids: int, current: int,
                             window: int) -> List[int]:
    """Positions (into the sorted frame ids) of a CPP window around
    ``current``: ``window - 1`` positions spread over the central 90 % of the
    frames (:func:`window_positions`, as the dataset spreads a window over a
    sentence's span) with ``current`` inserted in order; repeats when there
    are fewer frames than the window."""
    if not 0 <= current < num_ids:
        raise ValueError(f'current frame {current} is not one of the '
                         f'{num_ids} frames')
    if window == 1:
        return [int(current)]
    picked = window_positions(num_ids, window - 1)
    idx = int(np.searchsorted(picked, current))
    return [int(p) for p in np.insert(picked, idx, current)]


@MODELS.register_module()
class CPPReferrer(RVOSReferrer):
    """Score each track by how well it overlaps the referred person's mask
    that :class:`~mmlpose.models.pose_estimators.CPP` predicts.

    CPP predicts the referred person in a window's *current* frame. The
    referrer picks ``num_windows`` current frames spread over the frames it
    is given, builds a window of ``num_frames`` frames around each (as the
    dataset does over a sentence's span), letterboxes them to the model's
    input size and runs :meth:`CPP.predict_window`; each current frame's
    mask scores the tracks as :class:`RVOSReferrer` does (mask IoU, else the
    share of confident keypoints inside). CPP's own outputs of the last call
    (3D skeleton in the camera's world frame, score, box, query) are kept
    in :attr:`last_predictions`; the inferencer writes the referred
    track's mask and lifted skeleton, as with every referrer.

    Args:
        model (str | Config | nn.Module): A CPP config (path or object;
            built as stage 2 whatever its ``train_stage``) or a built CPP.
        checkpoint (str, optional): Trained stage-2 weights (safe, strict).
        threshold (float): Minimum score of a referred track. Default 0.1.
        num_frames (int, optional): Window size; default the model's
            ``num_frames`` (a different one is an error), else 6.
        num_windows (int): Current frames (one CPP forward each). Default 1:
            the middle frame.
        input_size (tuple, optional): ``(W, H)`` input; default the
            config's ``ResizeL3D`` size, else (960, 512).
        min_keypoint_score (float): Keypoint test confidence. Default 0.3.
        camera (dict, optional): Calibrated camera of the video (``R``,
            ``t``, ``K``, ``dist`` in the loader's convention) for CPP's 3D;
            default :func:`image_camera` (masks do not depend on it).
        device (str): Torch device. Default ``'cpu'``.
    """

    config_kind = 'CPP'

    def __init__(self,
                 model: Union[str, Config, nn.Module],
                 checkpoint: Optional[str] = None,
                 threshold: float = 0.1,
                 num_frames: Optional[int] = None,
                 num_windows: int = 1,
                 input_size: Optional[Tuple[int, int]] = None,
                 min_keypoint_score: float = 0.3,
                 camera: Optional[dict] = None,
                 device: str = 'cpu') -> None:
        if num_windows < 1:
            raise ValueError(f'num_windows must be >= 1, got {num_windows}')
        super().__init__(
            model,
            checkpoint=checkpoint,
            threshold=threshold,
            num_frames=num_frames or 1,
            input_size=input_size,
            min_keypoint_score=min_keypoint_score,
            device=device)
        expected = getattr(self.model, 'num_frames', None)
        if num_frames is None:
            self.num_frames = int(expected or 6)
        elif expected and int(num_frames) != int(expected):
            raise ValueError(f'the CPP model takes {expected}-frame windows, '
                             f'got num_frames={num_frames}')
        self.num_windows = int(num_windows)
        self.camera = camera
        self.last_predictions: List[dict] = []

    def build_model(self, cfg: Config, checkpoint: Optional[str]) -> nn.Module:
        """CPP of ``cfg`` as stage 2, with ``checkpoint``'s weights."""
        model_cfg = copy.deepcopy(cfg.model)
        if model_cfg.get('type') != 'CPP':
            raise TypeError(f'the config\'s model is a {model_cfg.get("type")}'
                            ', not CPP')
        model_cfg['train_stage'] = 2
        # its data preprocessor and parts are mmlpose's, whatever the scope
        with DefaultScope.overwrite_default_scope('mmlpose'):
            model = MODELS.build(model_cfg)
        if checkpoint is not None:
            from mmlpose.engine.checkpoint import load_model_checkpoint
            load_model_checkpoint(model, checkpoint)
        return model

    def check_model(self, model: nn.Module) -> None:
        """A stage-2 CPP (or anything with ``predict_window``)."""
        if not callable(getattr(model, 'predict_window', None)):
            raise TypeError(f'{type(model).__name__} has no predict_window '
                            '(a CPP model is needed)')
        if getattr(model, 'train_stage', 2) != 2:
            raise TypeError('CPPReferrer needs a stage-2 CPP (stage 1 does '
                            'not refer)')

    def current_positions(self, num_ids: int) -> List[int]:
        """``num_windows`` positions spread evenly, centred in their
        share of the frames (one window: the middle frame)."""
        k = min(self.num_windows, num_ids)
        return sorted({int((i + 0.5) * num_ids / k) for i in range(k)})

    @torch.no_grad()
    def predict_masks(self, text: str, frames: Dict[int, np.ndarray],
                      image_size: Tuple[int, int]
                      ) -> Tuple[Dict[int, np.ndarray], np.ndarray]:
        """CPP's input-size mask in each current frame (frame id -> mask)
        and the image -> input affine."""
        ids = sorted(int(i) for i in frames)
        masks, trans = {}, None
        self.last_predictions = []
        for cur in self.current_positions(len(ids)):
            pos = current_window_positions(len(ids), cur, self.num_frames)
            window_ids = [ids[p] for p in pos]
            imgs, trans, (w, h) = self.letterbox(frames, window_ids,
                                                 image_size)
            camera = self.camera or image_camera((w, h))
            out = self.model.predict_window(
                torch.from_numpy(imgs).permute(0, 3, 1, 2).float(), text,
                camera, trans, pos.index(cur))
            out['frame_id'] = ids[cur]
            self.last_predictions.append(out)
            masks[ids[cur]] = np.asarray(out['mask'], bool)
        return masks, trans
