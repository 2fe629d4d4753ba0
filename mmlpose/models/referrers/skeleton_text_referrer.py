# Copyright (c) mmlpose contributors. All rights reserved.
"""The learned referrer of the 3DHPE+Refer baseline: a sentence token fused
with each person's skeleton tokens by a small transformer.

:func:`person_features` turns a person's window (2D, scores, root-relative
3D, clothing colours) into one vector per frame without a camera, so the
same features come from the cascade's simulated detections (training,
testing) and from the demo's :class:`PersonTrack` s (inference).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmlpose.datasets.transforms.detection_simulation import colour_features
from mmlpose.registry import MODELS
from mmlpose.structures.panoptic import (NUM_PANOPTIC_JOINTS, PANOPTIC_ROOT,
                                         h36m_to_panoptic15)
from mmlpose.structures.track import PersonTrack
from .base_referrer import BaseReferrer

#: Per-frame widths: centred 2D (30), root (2), log height (1), 3D (45),
#: scores (15), presence flag (1); the colours come on top.
_BASE_DIM = 2 * NUM_PANOPTIC_JOINTS + 2 + 1 + 3 * NUM_PANOPTIC_JOINTS + \
    NUM_PANOPTIC_JOINTS + 1


def person_feature_dim(colour_dim: int) -> int:
    """Width of :func:`person_features` with ``colour_dim`` colours."""
    return _BASE_DIM + int(colour_dim)


def person_features(
        keypoints_2d: np.ndarray,
        scores: np.ndarray,
        keypoints_3d: Optional[np.ndarray],
        colours: Optional[np.ndarray],
        image_size: Tuple[int, int],
        colour_dim: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Per-frame feature vectors of people.

    Each present frame holds: the Panoptic-15 2D centred on the root
    (joint 2) and divided by half the image width; the root in normalised
    image coordinates (``x / w * 2 - 1``, ``y / w * 2 - h / w``); the log of
    the 2D height over the image height; the root-relative 3D (metres); the
    joint scores; a presence flag; and the person's colours (one vector per
    person, the same in every frame). Absent frames are zeros.

    Note:
        - people: N, frames: T, colour width: C

    Args:
        keypoints_2d (np.ndarray): ``(N, T, 15, 2)`` image pixels; a frame
            whose joints are all NaN is absent (single NaN joints count as
            missing joints, score 0).
        scores (np.ndarray): ``(N, T, 15)``.
        keypoints_3d (np.ndarray, optional): ``(N, T, 15, 3)`` root-relative
            metres (zeros when None).
        colours (np.ndarray, optional): ``(N, C)`` (zeros when None).
        image_size (tuple): ``(w, h)``.
        colour_dim (int, optional): C when ``colours`` is None.

    Returns:
        tuple: ``(N, T, D)`` float32 features (:func:`person_feature_dim`)
        and ``(N, T)`` bool presence.
    """
    kp = np.asarray(keypoints_2d, np.float64)
    if kp.ndim != 4 or kp.shape[2:] != (NUM_PANOPTIC_JOINTS, 2):
        raise ValueError('keypoints_2d must have shape (N, T, 15, 2), got '
                         f'{kp.shape}')
    num, frames = kp.shape[:2]
    sc = np.asarray(scores, np.float64)
    if sc.shape != kp.shape[:3]:
        raise ValueError(f'scores must have shape {kp.shape[:3]}, got '
                         f'{sc.shape}')
    if keypoints_3d is None:
        k3d = np.zeros(kp.shape[:3] + (3, ))
    else:
        k3d = np.asarray(keypoints_3d, np.float64)
        if k3d.shape != kp.shape[:3] + (3, ):
            raise ValueError(f'keypoints_3d must have shape '
                             f'{kp.shape[:3] + (3, )}, got {k3d.shape}')
    if colours is None:
        colours = np.zeros((num, int(colour_dim or 0)))
    colours = np.asarray(colours, np.float64)
    if colours.ndim != 2 or colours.shape[0] != num:
        raise ValueError(f'colours must have shape ({num}, C), got '
                         f'{colours.shape}')
    if colour_dim is not None and colours.shape[1] != colour_dim:
        raise ValueError(f'colours have {colours.shape[1]} channels, the '
                         f'model expects {colour_dim}')
    w, h = (float(v) for v in image_size)
    if w <= 0 or h <= 0:
        raise ValueError(f'image_size must be positive (w, h), got '
                         f'{image_size}')
    finite = np.isfinite(kp).all(-1)  # (N, T, 15)
    present = finite.any(-1)
    sc = np.where(finite, np.nan_to_num(sc), 0.)
    kp0 = np.nan_to_num(kp)
    mean = np.where(finite[..., None], kp0, 0.).sum(2) / np.maximum(
        finite.sum(2), 1)[..., None]
    root = np.where(finite[..., PANOPTIC_ROOT, None],
                    kp0[..., PANOPTIC_ROOT, :], mean)
    centred = np.where(finite[..., None], (kp0 - root[..., None, :]) / w * 2,
                       0.)
    root_n = root / w * 2 - np.array([1., h / w])
    y_hi = np.where(finite, kp0[..., 1], -np.inf).max(-1)
    y_lo = np.where(finite, kp0[..., 1], np.inf).min(-1)
    height = np.where(present, y_hi - y_lo, 0.)
    log_h = np.log(np.maximum(height, 1.) / h)
    k3d = np.nan_to_num(k3d)
    feats = np.concatenate([
        centred.reshape(num, frames, -1), root_n, log_h[..., None],
        k3d.reshape(num, frames, -1), sc,
        np.ones((num, frames, 1)),
        np.repeat(colours[:, None], frames, 1)
    ], -1)
    feats[~present] = 0.
    return feats.astype(np.float32), present


@MODELS.register_module()
class SkeletonTextFusion(BaseModule):
    """Score people against a sentence: ``[text token, frame tokens]`` of
    each person through a transformer encoder; the fused text token gives
    the person's logit. The frame tokens (projected :func:`person_features`
    + a learned frame embedding) are also scaled and shifted by the
    projected sentence (FiLM, initialised to identity), and the logit gets
    a bilinear match of the sentence with the person's mean output token;
    both let words and skeleton features interact from the first steps.

    The sentence encoder is frozen (and its weights are left out of saved
    state dicts: they come from ``text_encoder`` when loading).

    Note:
        - people of the batch: N, frames: T, sentences: B

    Args:
        text_encoder (dict): Config of the frozen sentence encoder. Defaults
            to the packaged MiniLM (``dict(type='SentenceEncoder')``); give
            ``pretrained='roberta-base'`` (or a folder) for RoBERTa.
        colour_dim (int): C of the colour features. Defaults to 6.
        embed_dims (int): Token width. Defaults to 128.
        num_layers (int): Transformer layers. Defaults to 2.
        num_heads (int): Attention heads. Defaults to 4.
        ffn_ratio (int): Feed-forward width / ``embed_dims``. Defaults to 4.
        dropout (float): Defaults to 0.1.
        max_frames (int): Longest window. Defaults to 16.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 text_encoder: dict = dict(type='SentenceEncoder'),
                 colour_dim: int = 6,
                 embed_dims: int = 128,
                 num_layers: int = 2,
                 num_heads: int = 4,
                 ffn_ratio: int = 4,
                 dropout: float = 0.1,
                 max_frames: int = 16,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} is not divisible by '
                             f'num_heads {num_heads}')
        self.text_encoder = MODELS.build(text_encoder)
        self.text_encoder.requires_grad_(False)
        width = getattr(self.text_encoder, 'width', None)
        if width is None:
            raise TypeError(f'{type(self.text_encoder).__name__} has no '
                            '`width`: use a SentenceEncoder-like module')
        self.colour_dim = int(colour_dim)
        self.in_dims = person_feature_dim(colour_dim)
        self.embed_dims = int(embed_dims)
        self.max_frames = int(max_frames)
        self.text_proj = nn.Sequential(
            nn.Linear(width, embed_dims), nn.LayerNorm(embed_dims))
        self.person_proj = nn.Sequential(
            nn.Linear(self.in_dims, embed_dims), nn.GELU(),
            nn.Linear(embed_dims, embed_dims))
        # text-conditioned scale and shift of the person tokens (FiLM): a
        # direct multiplicative path between words and skeleton features
        self.film = nn.Linear(embed_dims, 2 * embed_dims)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)
        self.frame_embed = nn.Embedding(max_frames, embed_dims)
        self.type_embed = nn.Embedding(2, embed_dims)
        layer = nn.TransformerEncoderLayer(
            embed_dims,
            num_heads,
            dim_feedforward=ffn_ratio * embed_dims,
            dropout=dropout,
            batch_first=True)
        self.encoder = nn.TransformerEncoder(
            layer, num_layers, enable_nested_tensor=False)
        self.head = nn.Sequential(
            nn.LayerNorm(embed_dims), nn.Linear(embed_dims, 1))
        # + a bilinear match of the sentence and the person's mean token
        self.match_text = nn.Linear(embed_dims, embed_dims)
        self.match_person = nn.Sequential(
            nn.LayerNorm(embed_dims), nn.Linear(embed_dims, embed_dims))
        self._register_state_dict_hook(_drop_text_encoder)
        self._register_load_state_dict_pre_hook(
            _fill_text_encoder, with_module=True)

    def embed_text(self, texts: Sequence[str]) -> Tensor:
        """``(B, width)`` frozen sentence embeddings on the module's
        device."""
        device = self.type_embed.weight.device
        return self.text_encoder.encode(list(texts)).to(device)

    def forward(self, texts: Sequence[str], features: Tensor, present: Tensor,
                person_text: Tensor) -> Tensor:
        """Logits of people.

        Args:
            texts (Sequence[str]): B sentences.
            features (Tensor): ``(N, T, D)`` :func:`person_features`.
            present (Tensor): ``(N, T)`` bool.
            person_text (Tensor): ``(N,)`` long, each person's sentence.

        Returns:
            Tensor: ``(N,)`` logits.
        """
        if features.ndim != 3 or features.shape[-1] != self.in_dims:
            raise ValueError(f'features must have shape (N, T, '
                             f'{self.in_dims}), got {tuple(features.shape)}')
        num, frames = features.shape[:2]
        if frames > self.max_frames:
            raise ValueError(f'{frames} frames exceed max_frames '
                             f'{self.max_frames}')
        if present.shape != (num, frames) or person_text.shape != (num, ):
            raise ValueError('present must be (N, T) and person_text (N,)')
        if num == 0:
            return features.new_zeros(0)
        device = self.type_embed.weight.device
        text = self.text_proj(self.embed_text(texts))  # (B, E)
        text_tok = text[person_text.to(device)] + self.type_embed.weight[0]
        pos = torch.arange(frames, device=device)
        scale, shift = self.film(text[person_text.to(device)]).chunk(2, -1)
        tokens = self.person_proj(features.to(device)) * (1 + scale[:, None]) \
            + shift[:, None] + self.frame_embed(pos)[None] + \
            self.type_embed.weight[1]
        seq = torch.cat([text_tok[:, None], tokens], 1)
        pad = torch.cat([
            torch.zeros(num, 1, dtype=torch.bool, device=device),
            ~present.to(device).bool()
        ], 1)
        out = self.encoder(seq, src_key_padding_mask=pad)
        weight = present.to(device).to(out.dtype)[..., None]
        pooled = (out[:, 1:] * weight).sum(1) / weight.sum(1).clamp(min=1.)
        match = (self.match_text(text[person_text.to(device)]) *
                 self.match_person(pooled)).sum(-1) / self.embed_dims**0.5
        return self.head(out[:, 0]).squeeze(-1) + match


def _drop_text_encoder(module, state_dict, prefix, local_metadata):
    for key in [
            k for k in state_dict if k.startswith(prefix + 'text_encoder.')
    ]:
        del state_dict[key]
    return state_dict


def _fill_text_encoder(module, state_dict, prefix, local_metadata, strict,
                       missing_keys, unexpected_keys, error_msgs):
    own = nn.Module.state_dict(module.text_encoder)
    for key, value in own.items():
        full = prefix + 'text_encoder.' + key
        if full not in state_dict:
            state_dict[full] = value


def window_positions(num_frames: int, window: int = 6) -> np.ndarray:
    """``window`` frame indices spread by linspace over the central 90 % of
    a video of ``num_frames`` frames (as Panoptic-L3D's windows)."""
    if num_frames < 1:
        raise ValueError('a video needs at least one frame')
    last = num_frames - 1
    return np.linspace(0.05 * last, 0.95 * last,
                       window).round().astype(np.int64)


def track_colours(track: PersonTrack,
                  frames: Dict[int, np.ndarray],
                  with_hsv: bool = False,
                  min_score: float = 0.3) -> np.ndarray:
    """``(C,)`` colour features of a track (:func:`colour_features` on its
    Panoptic-15 joints), averaged over the given frames where it is present
    and sampled; zeros when there is none."""
    feats = []
    for idx, img in sorted(frames.items()):
        if not 0 <= idx < track.num_frames or not track.present[idx]:
            continue
        kp = h36m_to_panoptic15(track.keypoints_2d[idx])
        sc = h36m_to_panoptic15(track.keypoint_scores[idx][:, None])[:, 0]
        f = colour_features(
            img, kp[None], sc[None], min_score=min_score, with_hsv=with_hsv)[0]
        if f.any():
            feats.append(f)
    width = 12 if with_hsv else 6
    if not feats:
        return np.zeros(width, np.float32)
    return np.mean(feats, 0).astype(np.float32)


@MODELS.register_module()
class LearnedSkeletonReferrer(BaseReferrer):
    """Refer a track with a trained 3DHPE+Refer fusion
    (:class:`~mmlpose.models.pose_estimators.HPEReferCascade`).

    Each track is cut to ``window`` frames spread over the central 90 % of
    the video (as the training windows); its H36M-17 2D, scores and lifted
    root-relative 3D are mapped to Panoptic-15 and turned into
    :func:`person_features` with colours sampled from ``frames`` (the same
    :func:`colour_features` as the training transform). The score is the
    sigmoid of the fused logit (the cascade trains it with a binary term
    beside the cross-entropy over people); a track is referred if the best
    score reaches ``threshold``. Tracks without 3D get zeros there.

    Args:
        model (str | Config): The cascade config (path or object).
        checkpoint (str, optional): Its trained weights (keys
            ``fusion.*``); random fusion weights when None.
        threshold (float): Minimum probability. Defaults to 0.5.
        window (int): Frames per track. Defaults to 6.
        device (str): Torch device. Defaults to ``'cpu'``.
    """

    def __init__(self,
                 model: Union[str, Config],
                 checkpoint: Optional[str] = None,
                 threshold: float = 0.5,
                 window: int = 6,
                 device: str = 'cpu') -> None:
        super().__init__(threshold)
        cfg = Config.fromfile(model) if isinstance(model, str) else model
        fusion_cfg = cfg.get('model', {}).get('fusion')
        if fusion_cfg is None:
            raise ValueError('the config has no model.fusion: not a '
                             'HPEReferCascade config')
        self.fusion = MODELS.build(fusion_cfg)
        if checkpoint is not None:
            # safe and strict on the fusion weights (the cascade's other
            # parts, when in the checkpoint, are not used here)
            import re

            from mmlpose.engine.checkpoint import (extract_state_dict,
                                                   load_model_checkpoint,
                                                   safe_load)
            state = extract_state_dict(safe_load(checkpoint), checkpoint)
            fusion = re.compile(r'^(module\.)?fusion\.')
            if any(fusion.match(k) for k in state):
                state = {
                    fusion.sub('', k): v
                    for k, v in state.items() if fusion.match(k)
                }
            load_model_checkpoint(self.fusion, state, filename=checkpoint)
        self.fusion.to(device).eval()
        self.window = int(window)
        self.with_hsv = self.fusion.colour_dim == 12
        if self.fusion.colour_dim not in (6, 12):
            raise ValueError(f'colour_dim {self.fusion.colour_dim} is not '
                             'one of colour_features (6 or 12)')

    def track_features(
            self, tracks: List[PersonTrack], frames: Dict[int, np.ndarray],
            image_size: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
        """``(P, window, D)`` features and ``(P, window)`` presence."""
        num_frames = tracks[0].num_frames
        pos = window_positions(num_frames, self.window)
        kp, sc, k3d, col = [], [], [], []
        for track in tracks:
            if track.num_frames != num_frames:
                raise ValueError('tracks of one video must have the same '
                                 'number of frames')
            kp.append(h36m_to_panoptic15(track.keypoints_2d[pos]))
            sc.append(
                h36m_to_panoptic15(track.keypoint_scores[pos][..., None])[...,
                                                                          0])
            if track.keypoints_3d is None:
                k3d.append(np.zeros((len(pos), NUM_PANOPTIC_JOINTS, 3)))
            else:
                k3d.append(h36m_to_panoptic15(track.keypoints_3d[pos]))
            col.append(track_colours(track, frames, self.with_hsv))
        return person_features(
            np.stack(kp),
            np.stack(sc),
            np.stack(k3d),
            np.stack(col),
            image_size,
            colour_dim=self.fusion.colour_dim)

    @torch.no_grad()
    def score_tracks(
            self, text: str, tracks: List[PersonTrack],
            frames: Dict[int, np.ndarray],
            image_size: Tuple[int, int]) -> Tuple[np.ndarray, Dict[int, str]]:
        """Sigmoid probabilities of the tracks for the sentence."""
        if min(image_size) <= 0:
            raise ValueError(f'image_size must be positive (w, h), got '
                             f'{image_size}')
        feats, present = self.track_features(tracks, frames, image_size)
        logits = self.fusion([text], torch.from_numpy(feats),
                             torch.from_numpy(present),
                             torch.zeros(len(tracks), dtype=torch.long))
        probs = torch.sigmoid(logits).double().cpu().numpy()
        return probs, {}
