# Copyright (c) mmlpose contributors. All rights reserved.
"""Semantics-aware test-time adaptation of a 2D-to-3D lifter to one video
(see FORMATS.md, "Semantics-aware test-time adaptation")."""
import copy
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.optim import build_optim_wrapper
from torch import Tensor

from mmlpose.models.utils import root_relative
from mmlpose.registry import TASK_UTILS
from .geometry import (acceleration_loss, ema_update, project_pose,
                       render_virtual_views, solve_root_translation)

#: Virtual cameras of the motion-language space: the DeepMimic ring cameras
#: its LangPose space was trained on (``make_ring_cameras`` defaults: f 1150
#: px, 1000 x 1000 px, 4.5 m away), turned by these yaws (deg) so that depth
#: errors change the 2D the space sees. Override with ``motion_space=dict(
#: ..., views=dict(yaws=..., distance=..., focal=..., image_size=...))``.
DEFAULT_VIEWS = dict(
    yaws=(0., 60., -60.), distance=4.5, focal=1150., image_size=(1000, 1000))


@dataclass
class AdaptationResult:
    """What :meth:`SemanticTTA.adapt` returns (T frames, K keypoints).

    Attributes:
        keypoints_3d: ``(T, K, 3)`` root-relative metres, camera axes, lifted
            by the adapted copy with its own test path (flip test as its
            ``test_cfg`` says).
        keypoints_3d_before: ``(T, K, 3)`` the same from the given lifter.
        model: The adapted copy, eval mode.
        targets_2d: ``(T, K, 2)`` pixels, the final 2D targets.
        target_weights: ``(T, K)`` final weights (0 = missing).
        filled: ``(T, K)`` bool, keypoints the fill-in added.
        similarity: Per epoch, per segment motion-text cosine (empty lists
            when no text or no motion space is used).
        losses: Per epoch mean of each loss term.
        seconds: Wall time of ``adapt()``.
    """
    keypoints_3d: np.ndarray
    keypoints_3d_before: np.ndarray
    model: nn.Module
    targets_2d: np.ndarray
    target_weights: np.ndarray
    filled: np.ndarray
    similarity: List[List[float]] = field(default_factory=list)
    losses: List[Dict[str, float]] = field(default_factory=list)
    seconds: float = 0.


def _segments(num_frames: int, length: int) -> List[Tuple[int, int]]:
    """Non-overlapping ``[start, end)`` segments, the last one shifted back
    to stay full; a shorter sequence is one segment."""
    from mmlpose.apis.inference import _windows
    return list(_windows(num_frames, length))


def _clip_index(num_frames: int, window: int) -> Tuple[Tensor, Tensor]:
    """Windows of a ``num_frames`` sequence as frame indices, cut by
    :func:`mmlpose.apis.inference.window_clips` (edge padding included),
    and the index that joins the windows' outputs back into frames (a frame
    in two windows takes the later one, as ``lift_sequence`` does).

    Returns:
        tuple: ``(N, window)`` long frame indices of the N windows and
        ``(num_frames, )`` long indices into the flattened ``(N * window)``
        window outputs.
    """
    from mmlpose.apis.inference import window_clips
    frames = np.arange(num_frames).reshape(num_frames, 1, 1)
    clips, join = [], np.zeros(num_frames, np.int64)
    for i, (start, end, left, clip) in enumerate(window_clips(frames, window)):
        clips.append(clip[:, 0, 0])
        join[start:end] = i * window + left + np.arange(end - start)
    return torch.from_numpy(np.stack(clips)), torch.from_numpy(join)


@TASK_UTILS.register_module()
class SemanticTTA:
    """Semantics-aware test-time adaptation: fine-tune a copy of a lifter
    on one video with its own 2D evidence and a motion-language prior.

    Per video (:meth:`adapt`), the frames are cut into segments of
    ``segment_len`` (the last shifted back; a short video is one segment).
    A segment's 3D comes from the lifter run over its windows
    (``lifting_window`` frames, the 2D normalised by the lifter's codec)
    with gradients, in eval mode (dropout, drop-path and norm statistics
    stay deterministic: the adaptation changes the weights only). Each
    epoch visits all segments in a seeded random order, ``batch_size`` per
    optimiser step, with the loss

    ``projection_weight * L_proj + smooth_weight * L_smooth +
    bone_weight * L_bone + anchor_weight * L_anchor + align_weight *
    L_align``:

    - ``L_proj``: mean absolute coordinate error, weighted by the target
      weights, between the 2D targets and the projection of the predicted
      pose, in the codec's normalised units (pixels centred and divided by
      half the image width). Camera estimated as in ``lift_sequence``:
      focal length = image width, principal point = image centre. The root
      translation of each frame is the closed-form weighted least-squares
      fit of the (detached) predicted pose to the targets
      (:func:`~mmlpose.engine.tta.geometry.solve_root_translation`).
    - ``L_smooth``: mean squared 3D acceleration (m^2 / frame^4) of the
      root-relative prediction.
    - ``L_bone`` (``bone_weight``) and ``L_anchor`` (``anchor_weight``):
      the bone lengths and the joints of the prediction before adaptation
      as priors (see the arguments).
    - ``L_align``: ``1 - cos`` of the motion and text embeddings in the
      frozen LangPose space: the predicted root-relative 3D is filmed by
      virtual cameras like those the space was trained on
      (:data:`DEFAULT_VIEWS`), normalised by the space's codec, cut into the
      space's windows and embedded; the similarity of a segment is the mean
      cosine over its windows and views. The text embedding is computed
      once; gradients reach the lifter only.

    After each epoch, a no-gradient pass over all segments gives every
    frame's projection and every segment's similarity; then

    - EMA (``use_ema``): ``target <- m * target + (1 - m) * projection`` on
      the keypoints that are targets (weight > 0), ``m = ema_momentum``;
    - fill-in (``use_fill_in``): in every segment whose similarity exceeds
      ``fill_threshold``, the keypoints missing at the start (score below
      ``score_threshold``) and not filled yet get ``target = projection``
      and weight 1 (a full target from then on, EMA-updated later), in
      frames whose root was solved from their own keypoints. A frame in
      two segments belongs to the later one (the one its prediction comes
      from). Segments at or below the threshold are never filled.

    Without a text (``text`` nor ``sequence.action_text``) or without a
    motion space, alignment and fill-in are off. The similarity is computed
    whenever a text and the space are used (alignment or fill-in on), also
    with ``align_weight = 0``.

    Args:
        motion_space (dict, optional): The frozen motion-language space,
            ``dict(model=<alias | config path>, weights=<checkpoint or
            None>, views=<optional DEFAULT_VIEWS overrides>)``, resolved by
            ``resolve_model`` and built by ``init_lifter``; must be a
            ``LangPoseLifter`` with a text encoder. Loaded at the first
            :meth:`adapt` that needs it. None: no alignment, no fill-in.
        epochs (int): Passes over the segments. Defaults to 6 (paper).
        segment_len (int): Frames per segment. Defaults to 60 (paper).
        batch_size (int): Segments per step. Defaults to 4 (paper).
        optimizer (dict): mmengine optimizer config. Defaults to Adam, lr
            5e-5, betas (0.5, 0.9) (paper).
        lr_min (float): The lr decays from ``optimizer.lr`` to this by a
            cosine over all steps. Defaults to 1e-6 (paper).
        score_threshold (float): Keypoints scored below are missing (weight
            0). Defaults to 0.3 (CycleAdapt's OpenPose threshold).
        projection_weight (float): Weight of ``L_proj``. Defaults to 1.
        projection_joint_weights (Sequence[float], optional): ``(K,)``
            weight of each joint in ``L_proj`` and in the root solve (the
            2D targets, EMA and fill-in are not changed). A 2D detector's
            keypoints are not all the lifter's 3D joints: e.g. the demo's
            H36M spine, neck_base and head are derived from mid-hips,
            mid-shoulders and ears, not measured, and fitting the 3D to them
            bends the skeleton towards the detector's definitions. Default:
            all joints 1.
        smooth_weight (float): Weight of ``L_smooth``. Defaults to 1: a
            4.5 cm per frame^2 jitter then costs as much as a 1 px error
            on a 1000 px image (2e-3 normalised), so smoothing resists new
            jitter without flattening real motion. The tiny DeepMimic
            MixSTE's own output on 3 px noisy 2D has an ``L_smooth`` of
            ~3e-3 (its window seams included); with weight 10 the term
            dominated ``L_proj`` and the adapted 3D was worse (2D-only
            adaptation on 8 held-out DeepMimic videos: MPJPE 118.3 / 118.5
            / 123.0 mm at weights 0 / 1 / 10).
        align_weight (float): Weight of ``L_align``. Defaults to 0.01:
            ``1 - cos`` spans [0, 2] (about 1.2 with the tiny DeepMimic
            space) while ``L_proj`` is ~0.005-0.05, so the semantics steer
            what the 2D leaves open without overruling the 2D evidence. On
            8 held-out DeepMimic videos with an arm missing for half the
            frames (tiny MixSTE, tiny LangPose space, no EMA / fill-in),
            MPJPE went 126.8 mm before -> 127.2 / 126.2 / 146.6 mm after at
            weights 0 / 0.01 / 0.1.
        bone_weight (float): Weight of ``L_bone``, the mean absolute
            difference (m) between each bone's length (the dataset's
            ``skeleton_links``) in every frame and its mean length in the
            lifter's prediction before adaptation. The 2D evidence says
            nothing about the body's size (the root depth is solved freely)
            nor about bone lengths along the line of sight: without it a
            joint-based lifter shrinks the body and bends bones in depth to
            fit the 2D. Defaults to 1 (a 1 cm bone error then costs as much
            as a 5 px error on a 1000 px image).
        anchor_weight (float): Weight of ``L_anchor``, the mean distance (m)
            of each joint from the lifter's prediction before adaptation: the
            adaptation then changes what the 2D contradicts and keeps the
            rest. Defaults to 1. Without both on the shifted DeepMimic
            benchmark, 2D-only adaptation raised MPJPE by about 30 mm (the
            body shrank); with them it lowers it.
        use_alignment (bool): Add ``L_align``. Defaults to True.
        use_ema (bool): EMA update of the 2D targets. Defaults to True.
        ema_momentum (float): ``m`` of the EMA. Defaults to 0.9: after 6
            epochs the detections keep 0.9^6 = 53 % of the target.
        use_fill_in (bool): Fill missing keypoints. Defaults to True.
        fill_threshold (float): Similarity above which a segment is filled.
            Defaults to 0.75 (the paper's best).
        fill_similarity (str): What the fill-in compares with
            ``fill_threshold``: ``'cosine'`` (the paper: the motion-text
            cosine, meaningful in a space whose matching pairs score high)
            or ``'retrieval'``: the probability that the segment's motion
            retrieves the text among ``candidate_texts``, ``softmax(cos /
            retrieval_temperature)`` over the text and the candidates. A
            space trained with InfoNCE on little data ranks texts well but
            its cosines are not calibrated (the tiny DeepMimic space scores
            matching pairs -0.3 to 0), so ``'retrieval'`` puts the paper's
            threshold on a scale that means "the motion is recognised as the
            text". Defaults to ``'cosine'``.
        candidate_texts (Sequence[str], optional): The other texts of
            ``'retrieval'``; default the DeepMimic action texts (the space's
            training vocabulary). The action text itself is always first.
        retrieval_temperature (float, optional): Softmax temperature of
            ``'retrieval'``; None (default): the space's own learned InfoNCE
            temperature (``contrastive_loss.temperature``), else 0.1.
        seed (int): Seed of the segment order. Defaults to 0.
        device (str, optional): Torch device; the lifter's when None.
    """

    def __init__(self,
                 motion_space: Optional[dict] = dict(
                     model='langpose-tiny-deepmimic'),
                 epochs: int = 6,
                 segment_len: int = 60,
                 batch_size: int = 4,
                 optimizer: dict = dict(
                     type='Adam', lr=5e-5, betas=(0.5, 0.9)),
                 lr_min: float = 1e-6,
                 score_threshold: float = 0.3,
                 projection_weight: float = 1.0,
                 projection_joint_weights: Optional[Sequence[float]] = None,
                 smooth_weight: float = 1.0,
                 align_weight: float = 0.01,
                 bone_weight: float = 1.0,
                 anchor_weight: float = 1.0,
                 use_alignment: bool = True,
                 use_ema: bool = True,
                 ema_momentum: float = 0.9,
                 use_fill_in: bool = True,
                 fill_threshold: float = 0.75,
                 fill_similarity: str = 'cosine',
                 candidate_texts: Optional[Sequence[str]] = None,
                 retrieval_temperature: Optional[float] = None,
                 seed: int = 0,
                 device: Optional[str] = None):
        for name, value in dict(
                epochs=epochs, segment_len=segment_len,
                batch_size=batch_size).items():
            if int(value) != value or value < 1:
                raise ValueError(f'{name} must be an int >= 1, got {value}')
        for name, value in dict(
                projection_weight=projection_weight,
                smooth_weight=smooth_weight,
                align_weight=align_weight,
                bone_weight=bone_weight,
                anchor_weight=anchor_weight,
                lr_min=lr_min).items():
            if value < 0:
                raise ValueError(f'{name} must be >= 0, got {value}')
        if not 0. <= ema_momentum <= 1.:
            raise ValueError(f'ema_momentum must be in [0, 1], got '
                             f'{ema_momentum}')
        if not isinstance(optimizer, dict) or 'type' not in optimizer:
            raise ValueError('optimizer must be an mmengine optimizer config '
                             f'dict with a type, got {optimizer!r}')
        if motion_space is not None and (not isinstance(motion_space, dict)
                                         or 'model' not in motion_space):
            raise ValueError('motion_space must be dict(model=..., '
                             f'weights=...) or None, got {motion_space!r}')
        self.motion_space_cfg = copy.deepcopy(
            dict(motion_space)) if motion_space is not None else None
        self.epochs = int(epochs)
        self.segment_len = int(segment_len)
        self.batch_size = int(batch_size)
        self.optimizer_cfg = copy.deepcopy(dict(optimizer))
        self.lr_min = float(lr_min)
        self.score_threshold = float(score_threshold)
        self.projection_weight = float(projection_weight)
        self.projection_joint_weights = None
        if projection_joint_weights is not None:
            joint_weights = np.asarray(projection_joint_weights, np.float32)
            if joint_weights.ndim != 1 or (joint_weights < 0).any() or \
                    not joint_weights.any():
                raise ValueError('projection_joint_weights must be K >= 0 '
                                 'weights, not all 0; got '
                                 f'{projection_joint_weights}')
            self.projection_joint_weights = joint_weights
        self.smooth_weight = float(smooth_weight)
        self.align_weight = float(align_weight)
        self.bone_weight = float(bone_weight)
        self.anchor_weight = float(anchor_weight)
        self.use_alignment = bool(use_alignment)
        self.use_ema = bool(use_ema)
        self.ema_momentum = float(ema_momentum)
        self.use_fill_in = bool(use_fill_in)
        self.fill_threshold = float(fill_threshold)
        if fill_similarity not in ('cosine', 'retrieval'):
            raise ValueError('fill_similarity must be "cosine" or '
                             f'"retrieval", got {fill_similarity!r}')
        if retrieval_temperature is not None and retrieval_temperature <= 0:
            raise ValueError('retrieval_temperature must be > 0, got '
                             f'{retrieval_temperature}')
        self.fill_similarity = fill_similarity
        self.candidate_texts = None if candidate_texts is None else [
            str(t) for t in candidate_texts
        ]
        self.retrieval_temperature = None if retrieval_temperature is None \
            else float(retrieval_temperature)
        self.seed = int(seed)
        self.device = device
        self.views = dict(DEFAULT_VIEWS)
        if self.motion_space_cfg is not None:
            self.views.update(self.motion_space_cfg.get('views') or {})
        self._space: Optional[nn.Module] = None
        self._warned_no_text = False

    # ---- the motion-language space -------------------------------------
    @property
    def wants_space(self) -> bool:
        """Whether a motion space is configured and a part uses it."""
        return self.motion_space_cfg is not None and (self.use_alignment
                                                      or self.use_fill_in)

    def motion_space(self, device: Union[str, torch.device]) -> nn.Module:
        """The frozen LangPose space (built at the first call)."""
        if self._space is None:
            from mmlpose.apis.inference import init_lifter
            from mmlpose.apis.inferencers.utils.model_index import \
                resolve_model
            from mmlpose.models.pose_estimators import LangPoseLifter
            cfg, weights = resolve_model(self.motion_space_cfg['model'],
                                         self.motion_space_cfg.get('weights'))
            space = init_lifter(cfg, weights, device='cpu')
            if not isinstance(space, LangPoseLifter) or \
                    space.text_encoder is None:
                raise ValueError(
                    'motion_space must name a LangPoseLifter with a '
                    f'text_encoder, got {type(space).__name__}')
            self._space = space.requires_grad_(False).eval()
        return self._space.to(device)

    def similarity(self, space: nn.Module, poses: Sequence[Tensor],
                   text_embed: Tensor) -> Tensor:
        """Motion-text cosine of each root-relative pose sequence.

        Args:
            space (nn.Module): The frozen LangPose space.
            poses (sequence of Tensor): ``(T_i, K, 3)`` segments (m).
            text_embed (Tensor): ``(D, )`` unit text embedding, or ``(M,
                D)`` for several texts.

        Returns:
            Tensor: ``(len(poses), )`` (``(len(poses), M)`` for several
            texts) mean cosine over each segment's windows of the space and
            virtual views; differentiable.
        """
        from mmlpose.apis.inference import lifting_codec, lifting_window
        window = lifting_window(space.cfg)
        codec = lifting_codec(space.cfg)
        clips, owners = [], []
        for i, pose in enumerate(poses):
            index, _ = _clip_index(len(pose), window)
            clips.append(pose[index.to(pose.device)])
            owners.extend([i] * len(index))
        clips = torch.cat(clips)  # (N, W, K, 3)
        views = render_virtual_views(clips, self.views['yaws'],
                                     self.views['distance'],
                                     self.views['focal'],
                                     tuple(self.views['image_size']))
        if getattr(codec, 'concat_vis', False):
            views = torch.cat([views, torch.ones_like(views[..., :1])], -1)
        embed = space.embed_motion(views.flatten(0, 1))  # (V * N, D)
        texts = text_embed.view(-1, text_embed.shape[-1])  # (M, D)
        cos = (embed @ texts.T).view(len(views), len(clips), -1).mean(0)
        owners = torch.as_tensor(owners, device=cos.device)
        total = cos.new_zeros(len(poses), len(texts)).index_add(
            0, owners, cos)
        counts = torch.bincount(owners, minlength=len(poses)).to(cos)
        mean = total / counts[:, None]
        return mean[:, 0] if text_embed.dim() == 1 else mean

    # ---- checks ---------------------------------------------------------
    @staticmethod
    def _check_lifter(lifter: nn.Module) -> None:
        if not isinstance(lifter, nn.Module) or not all(
                hasattr(lifter, name)
                for name in ('backbone', 'head', 'extract_feat')) or \
                not callable(getattr(lifter.head, 'forward', None)):
            raise ValueError('lifter must be a SeqPoseLifter-like model with '
                             'a backbone and a 3D head, got '
                             f'{type(lifter).__name__}')
        if getattr(lifter, 'cfg', None) is None or getattr(
                lifter, 'dataset_meta', None) is None:
            raise ValueError('the lifter has no cfg / dataset_meta: build it '
                             'with mmlpose.apis.init_lifter')

    def _check_sequence(self, sequence, num_keypoints: int) -> None:
        kpts = getattr(sequence, 'keypoints_2d', None)
        scores = getattr(sequence, 'keypoint_scores', None)
        if kpts is None or scores is None or not hasattr(
                sequence, 'image_size'):
            raise ValueError('sequence must be a VideoSequence, got '
                             f'{type(sequence).__name__}')
        kpts = np.asarray(kpts)
        if kpts.ndim != 3 or kpts.shape[1:] != (num_keypoints, 2):
            raise ValueError(f'sequence keypoints_2d must be (T, '
                             f'{num_keypoints}, 2) for this lifter, got '
                             f'{kpts.shape}')
        if len(kpts) < 1:
            raise ValueError('the sequence has no frame to adapt on')
        if not np.isfinite(kpts).all() or not np.isfinite(scores).all():
            raise ValueError('sequence keypoints_2d / keypoint_scores contain '
                             'NaN or inf; fill frames without a person first')
        if not (np.asarray(scores) >= self.score_threshold).any():
            raise ValueError('no keypoint of the sequence has a score >= '
                             f'score_threshold ({self.score_threshold}): '
                             'nothing to adapt to')

    # ---- forward --------------------------------------------------------
    @staticmethod
    def _predict(model: nn.Module, clips: Tensor) -> Tensor:
        """``(N, W, K, C)`` normalised 2D -> ``(N, W, K, 3)`` root-relative
        3D, with gradients (the training forward, unflipped)."""
        out = model.head.forward(model.extract_feat(clips))
        if not isinstance(out, Tensor) or out.shape[:3] != clips.shape[:3] \
                or out.shape[-1] < 3:
            raise ValueError('the lifter\'s head must return (B, T, K, 3) '
                             'coordinates (a SeqPoseLifter-like model), got '
                             f'{getattr(out, "shape", type(out))}')
        root = getattr(model.head, 'root_index', 0)
        return root_relative(out[..., :3], root)

    def _segment_poses(self, model: nn.Module, norm: Tensor,
                       segments: Sequence[Tuple[int, int]],
                       window: int) -> List[Tensor]:
        """The joined ``(T_s, K, 3)`` prediction of each segment."""
        clips, joins, counts = [], [], []
        for start, end in segments:
            index, join = _clip_index(end - start, window)
            clips.append(norm[start + index.to(norm.device)])
            joins.append(join.to(norm.device))
            counts.append(len(index))
        pred = self._predict(model, torch.cat(clips))
        poses, offset = [], 0
        for join, count in zip(joins, counts):
            flat = pred[offset:offset + count].flatten(0, 1)
            poses.append(flat[join])
            offset += count
        return poses

    def projection_loss(self, pose: Tensor, targets: Tensor, weights: Tensor,
                        f: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Weighted L1 between ``targets`` and the projection of ``pose``
        placed by :func:`solve_root_translation`.

        Returns:
            tuple: the loss (scalar), the ``(T, K, 2)`` projection and the
            ``(T, )`` bool frames whose root was solved.
        """
        if self.projection_joint_weights is not None:
            if len(self.projection_joint_weights) != weights.shape[-1]:
                raise ValueError(
                    f'projection_joint_weights has '
                    f'{len(self.projection_joint_weights)} weights for '
                    f'{weights.shape[-1]} keypoints')
            weights = weights * torch.as_tensor(
                self.projection_joint_weights).to(weights)
        trans, solved = solve_root_translation(pose, targets, weights, f, c)
        proj = project_pose(pose, trans, f, c)
        err = (proj - targets).abs().sum(-1) * weights
        loss = err.sum() / (2 * weights.sum()).clamp(min=1e-6)
        return loss, proj, solved

    # ---- adaptation -----------------------------------------------------
    def adapt(self,
              lifter: nn.Module,
              sequence,
              text: Optional[str] = None) -> AdaptationResult:
        """Adapt a copy of ``lifter`` to ``sequence``.

        Args:
            lifter (nn.Module): A lifter from ``init_lifter`` (not modified).
            sequence (VideoSequence): One person's 2D sequence.
            text (str, optional): Action text; overrides
                ``sequence.action_text``.

        Returns:
            AdaptationResult: see its docstring.

        Raises:
            ValueError: A lifter without backbone / head / cfg, a sequence
                with a wrong shape, NaN or inf, or no confident keypoint.
        """
        from mmlpose.apis.inference import (encode_keypoints, lift_sequence,
                                            lifting_window)
        from mmlpose.models.utils.jpma import camera_intrinsics

        t0 = time.perf_counter()
        self._check_lifter(lifter)
        num_keypoints = len(lifter.dataset_meta['flip_indices'])
        self._check_sequence(sequence, num_keypoints)
        text = text if text is not None else getattr(sequence, 'action_text',
                                                     None)
        if text is not None and not str(text).strip():
            text = None
        if text is None and self.wants_space and not self._warned_no_text:
            print_log(
                'SemanticTTA: no action text (text= or '
                'sequence.action_text): motion-text alignment and fill-in '
                'are off',
                logger='current',
                level=30)
            self._warned_no_text = True

        device = torch.device(self.device) if self.device is not None \
            else next(lifter.parameters()).device
        kpts = np.asarray(sequence.keypoints_2d, np.float32)
        scores = np.asarray(sequence.keypoint_scores, np.float32)
        w, h = sequence.image_size
        before = lift_sequence(lifter, kpts, (w, h), scores, action_text=text)

        model = copy.deepcopy(lifter).to(device).eval()
        norm_np, camera = encode_keypoints(model, kpts, (w, h), scores)
        norm = torch.from_numpy(norm_np).to(device)
        intr = camera_intrinsics(camera)
        f = intr['f'].float().to(device)
        c = intr['c'].float().to(device)
        scale, centre = w / 2., np.array([w / 2., h / 2.], np.float32)

        targets = ((kpts - centre) / scale).astype(np.float32)
        weights = (scores >= self.score_threshold).astype(np.float32)
        missing = weights == 0
        filled = np.zeros_like(missing)

        use_space = self.wants_space and text is not None
        space = text_embed = None
        fill_embed = None
        if use_space:
            space = self.motion_space(device)
            with torch.no_grad():
                text_embed = space.embed_text([str(text)])[0]
                if self.fill_similarity == 'retrieval':
                    fill_embed = space.embed_text(
                        self.retrieval_texts(str(text)))
        align = use_space and self.use_alignment and self.align_weight > 0

        window = lifting_window(model.cfg)
        segments = _segments(len(kpts), self.segment_len)
        owner = np.zeros(len(kpts), np.int64)
        for i, (start, end) in enumerate(segments):
            owner[start:end] = i
        steps_per_epoch = -(-len(segments) // self.batch_size)
        total_steps = self.epochs * steps_per_epoch

        params = [p for p in model.parameters() if p.requires_grad]
        if not params:
            raise ValueError('the lifter has no trainable parameter')
        optim = build_optim_wrapper(
            model,
            dict(type='OptimWrapper', optimizer=dict(self.optimizer_cfg)))
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
            optim.optimizer,
            T_max=max(total_steps - 1, 1),
            eta_min=self.lr_min)
        priors = self._priors(model, norm, segments, window)
        rng = np.random.default_rng(self.seed)
        history_sim, history_loss = [], []
        post_pass = use_space or self.use_ema

        for _ in range(self.epochs):
            tgt_t = torch.from_numpy(targets).to(device)
            wgt_t = torch.from_numpy(weights).to(device)
            order = rng.permutation(len(segments))
            sums: Dict[str, float] = {}
            for step in range(steps_per_epoch):
                batch = [
                    segments[i]
                    for i in order[step * self.batch_size:(step + 1) *
                                   self.batch_size]
                ]
                terms = self._batch_losses(model, norm, batch, window, tgt_t,
                                           wgt_t, f, c, space, text_embed,
                                           align, priors)
                loss = sum(terms.values())
                optim.update_params(loss)
                scheduler.step()
                terms['loss'] = loss
                for key, value in terms.items():
                    sums[key] = sums.get(key, 0.) + float(value.detach())
            history_loss.append({
                k: v / steps_per_epoch
                for k, v in sums.items()
            })

            if not post_pass:
                history_sim.append([])
                continue
            proj, solved, sims = self._evaluate(model, norm, segments, window,
                                                tgt_t, wgt_t, f, c, space,
                                                text_embed, fill_embed)
            history_sim.append(sims)
            if self.use_ema:
                targets = ema_update(targets, proj, weights, self.ema_momentum)
            if use_space and self.use_fill_in:
                above = np.array([s > self.fill_threshold for s in sims])
                fill = missing & ~filled & above[owner][:, None] & \
                    solved[:, None]
                targets = np.where(fill[..., None], proj, targets)
                weights = np.where(fill, 1., weights).astype(np.float32)
                filled |= fill

        model.eval()
        after = lift_sequence(model, kpts, (w, h), scores, action_text=text)
        return AdaptationResult(
            keypoints_3d=after,
            keypoints_3d_before=before,
            model=model,
            targets_2d=(targets * scale + centre).astype(np.float32),
            target_weights=weights.astype(np.float32),
            filled=filled,
            similarity=history_sim,
            losses=history_loss,
            seconds=time.perf_counter() - t0)

    def _batch_losses(self, model: nn.Module, norm: Tensor,
                      batch: Sequence[Tuple[int, int]], window: int,
                      targets: Tensor, weights: Tensor, f: Tensor, c: Tensor,
                      space: Optional[nn.Module], text_embed: Optional[Tensor],
                      align: bool,
                      priors: Optional[dict] = None) -> Dict[str, Tensor]:
        """Weighted loss terms of one batch of segments (means over the
        segments)."""
        poses = self._segment_poses(model, norm, batch, window)
        terms = self._prior_losses(batch, poses, priors)
        proj, smooth = [], []
        for (start, end), pose in zip(batch, poses):
            proj.append(
                self.projection_loss(pose, targets[start:end],
                                     weights[start:end], f, c)[0])
            smooth.append(acceleration_loss(pose))
        terms.update(
            loss_proj=self.projection_weight * torch.stack(proj).mean(),
            loss_smooth=self.smooth_weight * torch.stack(smooth).mean())
        if align:
            sim = self.similarity(space, poses, text_embed)
            terms['loss_align'] = self.align_weight * (1 - sim).mean()
        return terms

    @torch.no_grad()
    def _priors(self, model: nn.Module, norm: Tensor,
                segments: Sequence[Tuple[int, int]],
                window: int) -> Optional[dict]:
        """The prediction before adaptation (``pose`` (T, K, 3)) and its
        mean bone lengths (``bones`` (L,), with the ``links`` (L, 2)), for
        ``L_bone`` and ``L_anchor``; None when both are off."""
        if self.bone_weight == 0 and self.anchor_weight == 0:
            return None
        num_frames, num_keypoints = norm.shape[:2]
        pose = norm.new_zeros(num_frames, num_keypoints, 3)
        for i in range(0, len(segments), self.batch_size):
            batch = segments[i:i + self.batch_size]
            for (start, end), p in zip(
                    batch, self._segment_poses(model, norm, batch, window)):
                pose[start:end] = p
        links = torch.as_tensor(
            model.dataset_meta.get('skeleton_links') or [], dtype=torch.long,
            device=norm.device).view(-1, 2)
        if self.bone_weight > 0 and len(links) == 0:
            raise ValueError('bone_weight needs the lifter\'s dataset_meta '
                             'skeleton_links')
        bones = (pose[:, links[:, 0]] - pose[:, links[:, 1]]).norm(
            dim=-1).mean(0)
        return dict(pose=pose, bones=bones, links=links)

    def _prior_losses(self, batch: Sequence[Tuple[int, int]],
                      poses: Sequence[Tensor],
                      priors: Optional[dict]) -> Dict[str, Tensor]:
        """``loss_bone`` and ``loss_anchor`` of a batch (see the class
        docstring)."""
        if priors is None:
            return {}
        terms = {}
        if self.bone_weight > 0:
            links = priors['links']
            errs = [((p[:, links[:, 0]] - p[:, links[:, 1]]).norm(dim=-1) -
                     priors['bones']).abs().mean() for p in poses]
            terms['loss_bone'] = self.bone_weight * torch.stack(errs).mean()
        if self.anchor_weight > 0:
            errs = [(p - priors['pose'][start:end]).norm(dim=-1).mean()
                    for (start, end), p in zip(batch, poses)]
            terms['loss_anchor'] = self.anchor_weight * torch.stack(
                errs).mean()
        return terms

    @torch.no_grad()
    def _evaluate(
        self, model: nn.Module, norm: Tensor, segments: Sequence[Tuple[int,
                                                                       int]],
        window: int, targets: Tensor, weights: Tensor, f: Tensor, c: Tensor,
        space: Optional[nn.Module], text_embed: Optional[Tensor],
        fill_embed: Optional[Tensor] = None
    ) -> Tuple[np.ndarray, np.ndarray, List[float]]:
        """Every frame's projection (normalised units, from the segment it
        belongs to), whether its root was solved, and each segment's
        similarity (empty without a space)."""
        num_frames, num_keypoints = targets.shape[:2]
        proj = np.zeros((num_frames, num_keypoints, 2), np.float32)
        solved = np.zeros(num_frames, bool)
        poses = []
        for i in range(0, len(segments), self.batch_size):
            batch = segments[i:i + self.batch_size]
            poses.extend(self._segment_poses(model, norm, batch, window))
        for (start, end), pose in zip(segments, poses):
            _, p, s = self.projection_loss(pose, targets[start:end],
                                           weights[start:end], f, c)
            proj[start:end] = p.cpu().numpy()
            solved[start:end] = s.cpu().numpy()
        sims = []
        if space is not None and text_embed is not None:
            sims = self.segment_similarity(
                space, poses, text_embed if fill_embed is None else fill_embed)
        return proj, solved, sims

    def _temperature(self, space: nn.Module) -> float:
        if self.retrieval_temperature is not None:
            return self.retrieval_temperature
        loss = getattr(space, 'contrastive_loss', None)
        tau = getattr(loss, 'temperature', None)
        return float(tau) if tau is not None else 0.1

    def retrieval_texts(self, text: str) -> List[str]:
        """The texts of ``'retrieval'``: ``text`` first, then the candidates
        (default: the DeepMimic action texts) other than it."""
        candidates = self.candidate_texts
        if candidates is None:
            from mmlpose.datasets.converters.deepmimic import CLIP_ACTIONS
            candidates = sorted({t for _, t in CLIP_ACTIONS.values()})
        return [text] + [t for t in dict.fromkeys(candidates) if t != text]

    def segment_similarity(self, space: nn.Module, poses: Sequence[Tensor],
                           text_embed: Tensor) -> List[float]:
        """Per segment similarity used by the fill-in (a separate method so
        that tests can force it): the cosine with a ``(D,)`` text embedding,
        or, given the ``(M, D)`` embeddings of :meth:`retrieval_texts`, the
        probability of the first text (``fill_similarity='retrieval'``)."""
        sims = []
        for i in range(0, len(poses), self.batch_size):
            sim = self.similarity(space, poses[i:i + self.batch_size],
                                  text_embed)
            if sim.dim() == 2:
                sim = torch.softmax(sim / self._temperature(space),
                                    dim=-1)[:, 0]
            sims.extend(sim.tolist())
        return [float(s) for s in sims]


def build_tta(
        cfg: Union[dict, Config, ConfigDict, None] = None) -> SemanticTTA:
    """Build a :class:`SemanticTTA` from a ``tta_cfg`` dict, or from a whole
    config holding one (its ``tta_cfg`` field); ``SemanticTTA()`` for None
    (or a config without ``tta_cfg``)."""
    if cfg is None:
        return SemanticTTA()
    if isinstance(cfg, Config):
        cfg = cfg.get('tta_cfg')
        if cfg is None:
            return SemanticTTA()
    if not isinstance(cfg, dict):
        raise ValueError('build_tta takes a tta_cfg dict or a Config, got '
                         f'{type(cfg).__name__}')
    cfg = dict(cfg)
    if 'type' not in cfg:
        if 'tta_cfg' in cfg:
            return build_tta(dict(cfg['tta_cfg']))
        cfg['type'] = 'SemanticTTA'
    return TASK_UTILS.build(cfg)
