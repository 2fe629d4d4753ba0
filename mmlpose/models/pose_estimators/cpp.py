# Copyright (c) mmlpose contributors. All rights reserved.
"""CPP, Cascaded Pose Perception: the L3DHPE paper's end-to-end model.

The paper released no code; this is the toolbox's implementation, composed
by config:

1. **2D pose branch** (current frame): ``pose_backbone`` (+ ``pose_neck``)
   -> :class:`~mmlpose.models.heads.VoxelPoseMapHead`: 15 joint heatmaps, a
   root heatmap, root depth (m) and box size maps at stride 4.
2. **Text**: a frozen sentence encoder (RoBERTa-base in the paper, the
   packaged MiniLM by default) -> token features projected to D.
3. **Video**: :class:`~mmlpose.models.backbones.VideoSwinEncoder` on the
   whole window (mmdet Swin per frame + a temporal attention per level):
   4 levels of D channels; the **current frame's** levels carry the
   window's temporal context through the temporal part, and only they
   enter the transformer (the 3D output is for the current frame; the
   other frames are context, not targets).
4. **Body fusion** (:class:`~mmlpose.models.necks.BodyFusionBlock`): pose
   features + joint maps added to the video levels, then text
   cross-attention.
5. **Queries**: ``num_queries`` box-initialised queries: reference boxes
   from :meth:`VoxelPoseMapHead.decode_peaks` (top-k root peaks with their
   box sizes), content = a projection of the pose feature (and peak score)
   at the peak + the sentence feature + a rank embedding, position = a sine
   embedding of the box. mmdet's deformable encoder (on the current frame's
   fused levels) and decoder with box refinement; per decoder layer a
   referred logit and a box; a dynamic mask head on the encoder's stride-8
   map gives masks.
6. **Mask fusion** (:class:`~mmlpose.models.necks.MaskFusionBlock`): each
   query's mask pools visual + pose features into its feature.
7. **3D skeleton block** (:class:`~mmlpose.models.heads.CPPSkeletonHead`):
   15 root-relative joints (mm, camera axes) per query.
8. **3D root** (:class:`~mmlpose.models.root_estimators.CPPRootEstimator`):
   the root depth map sampled at the query's refined box centre, back-
   projected with the camera into the 8 x 8 x 2.4 m space (loader world
   axes, mm).

The referred person = the query with the highest score; its mask is
``pred_mask`` and root + rotated root-relative joints are
``pred_instances.keypoints_3d`` (1, 15, 3) world mm.

Training (two stages, the same class): ``train_stage=1`` builds and trains
only the 2D pose branch (heatmap / box / depth losses; the state dict keys
of those parts are the same in both stages), ``train_stage=2`` builds the
whole model and adds the referring losses on the query matched (Hungarian,
mmdet's ``HungarianAssigner``) to the referred person: class focal 2, box
L1 2, GIoU 2, mask focal 2, dice 5 and 3D 1 (L1 in metres on the matched
query's root-relative camera-frame joints; the absolute root comes from the
stage-1 depth maps and the geometry, trained by the depth loss). Stage 2
keeps the stage-1 pose losses (``pose_losses_in_stage2``) so that the peaks
the queries start from stay trained. :attr:`CPP.STAGE2_KEYS` are the
state-dict prefixes that are new in stage 2 (``load_from_new_keys``).
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmlpose.models.utils.query_parts import (
    DICE_LOSS, FOCAL_LOSS, MLP, _drop_text_encoder, _fill_text_encoder,
    _mmdet_parts, add_mask_text_scores, box_cxcywh_to_xyxy,
    check_text_pixel_options,
    box_xyxy_to_cxcywh, dynamic_mask_logits, dynamic_mask_shapes,
    encode_projected_text, hungarian_match, init_detr_heads,
    mask_pooled_scores, mask_to_box, memory_fpn, person_text_loss,
    pixel_projection, referring_assigner, reinit_deformable_attention,
    resize_logits, target_mask_at, text_encoder_weights_kept,
    text_pixel_logits)
from mmlpose.registry import MODELS, TASK_UTILS
from mmlpose.structures.panoptic import NUM_PANOPTIC_JOINTS, PANOPTIC_ROOT

#: ImageNet statistics (RGB, 0-255).
IMAGENET_MEAN = [123.675, 116.28, 103.53]
IMAGENET_STD = [58.395, 57.12, 57.375]

#: State-dict prefixes of the parts built only in stage 2.
STAGE2_KEYS = ('text_proj.', 'video_encoder.', 'body_fusion.', 'level_embed',
               'encoder.', 'decoder.', 'query_content.', 'query_rank.',
               'query_pos_head.', 'cls_branches.', 'reg_branches.',
               'mask_branch.', 'controller.', 'mask_fusion.', 'skeleton_head.',
               'pixel_proj.', 'sentence_proj.', 'text_score_scale')


def _numpy(value) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


@MODELS.register_module()
class CPP(BaseModel):
    """Cascaded Pose Perception (see the module docstring).

    Note:
        - batch B, window frames F, queries Q, decoder layers Ld, input
          H x W, heatmaps H/4 x W/4, mask map H/8 x W/8, joints 15

    Args:
        pose_backbone (dict): 2D pose backbone (e.g. ``mmdet.ResNet``
            depth 152 / 18, ``out_indices=(0, 3)``).
        pose_neck (dict, optional): Neck to stride 4
            (:class:`PoseDeconvNeck`).
        pose_head (dict): :class:`VoxelPoseMapHead`.
        text_encoder (dict): Sentence encoder with ``encode_tokens`` and
            ``width`` (:class:`SentenceEncoder`; RoBERTa-base by
            ``pretrained='roberta-base'``).
        video_encoder (dict): :class:`VideoSwinEncoder` (its
            ``out_channels`` / ``num_outs`` default to ``embed_dims`` /
            ``num_levels``).
        body_fusion (dict): :class:`BodyFusionBlock` (dims filled in).
        mask_fusion (dict, optional): :class:`MaskFusionBlock`; None: the
            "w/o mask fusion" ablation (the skeleton block reads the
            decoder feature).
        skeleton_head (dict): :class:`CPPSkeletonHead`.
        root_estimator (dict): :class:`CPPRootEstimator`.
        train_stage (int): 1 (2D pose branch only) or 2 (all). Default 2.
        num_frames (int, optional): Window size the model expects (checked;
            None: any). Default 6.
        embed_dims, num_levels, num_queries, num_heads, num_points,
        num_encoder_layers, num_decoder_layers, feedforward_channels,
        dropout: The deformable transformer (paper: 256, 4, 10, 8, 4, 3, 3).
        mask_dims, dynamic_dims, dynamic_layers: The dynamic mask head.
        mask_loss_stride (int): Masks are compared at this stride of the
            input. Default 4.
        peak_threshold (float): ``decode_peaks`` threshold (the query
            boxes use the top ``num_queries`` peaks whatever their score;
            the threshold flags ``peak_valid``). Default 0.3.
        nms_kernel (int): ``decode_peaks`` max-pool window. Default 3.
        min_box_size (float): Smallest normalised reference box side.
        assigner (dict): mmdet ``HungarianAssigner``.
        loss_cls, loss_bbox, loss_iou, loss_mask, loss_dice (dict): mmdet
            losses (paper weights: cls 2, box 2, GIoU 2, focal 2, dice 5).
        aux_loss (bool): Referring losses on every decoder layer.
        text_pixel_loss (dict, optional): CRIS-style text-to-pixel loss on
            the stride-8 map (as ``ReferFormerSegmenter``; not in the paper;
            helps a randomly initialised model). Default None.
        pose_losses_in_stage2 (bool): Keep the 2D pose losses in stage 2.
        freeze_text_encoder (bool): Default True (the paper's).
        save_text_encoder (bool, optional): Keep the text encoder in the
            state dict. Default None: only when it is trained.
        mask_thr (float): Mask probability threshold in predict.
        pixel_score_weight (float): With ``text_pixel_loss``, the referred
            query in predict maximises ``(1 - w) * sigmoid(logit) + w *``
            the mean text-pixel probability under the query's mask (the
            dense text-pixel map as a second opinion; not in the paper).
            Default 0: the query's score only, as the paper.
        pixel_colour (bool): With ``text_pixel_loss``, the current frame's
            mean colour per stride-8 cell beside the text-pixel map's
            features (as ``ReferFormerSegmenter``; not in the paper).
        mask_text_score (bool): With ``text_pixel_loss``, every query's
            referred logit plus a learned multiple of the text-pixel map's
            mean under its own mask, centred over the queries (map and
            masks detached there), in training and
            inference (as ``ReferFormerSegmenter``; not in the paper).
        text_person_loss_weight (float): With ``text_pixel_loss``, weight of
            the person-level text loss on the map (``person_text_loss``:
            softmax over every person's mask toward the referred one; as
            ``ReferFormerSegmenter``; not in the paper). Default 0 (off).
        data_preprocessor (dict): :class:`L3DDataPreprocessor`, ImageNet
            statistics, BGR -> RGB.
        init_cfg (dict, optional): Initialisation config.
    """

    STAGE2_KEYS = STAGE2_KEYS

    def __init__(self,
                 pose_backbone: dict,
                 pose_head: dict,
                 pose_neck: Optional[dict] = None,
                 text_encoder: dict = dict(type='SentenceEncoder'),
                 video_encoder: dict = dict(type='VideoSwinEncoder'),
                 body_fusion: dict = dict(type='BodyFusionBlock'),
                 mask_fusion: Optional[dict] = dict(type='MaskFusionBlock'),
                 skeleton_head: dict = dict(type='CPPSkeletonHead'),
                 root_estimator: dict = dict(type='CPPRootEstimator'),
                 train_stage: int = 2,
                 num_frames: Optional[int] = 6,
                 embed_dims: int = 256,
                 num_levels: int = 4,
                 num_queries: int = 10,
                 num_heads: int = 8,
                 num_points: int = 4,
                 num_encoder_layers: int = 3,
                 num_decoder_layers: int = 3,
                 feedforward_channels: int = 1024,
                 dropout: float = 0.1,
                 mask_dims: int = 8,
                 dynamic_dims: int = 8,
                 dynamic_layers: int = 3,
                 mask_loss_stride: int = 4,
                 peak_threshold: float = 0.3,
                 nms_kernel: int = 3,
                 min_box_size: float = 0.02,
                 assigner: dict = referring_assigner(2.0),
                 loss_cls: dict = FOCAL_LOSS,
                 loss_bbox: dict = dict(type='mmdet.L1Loss', loss_weight=2.0),
                 loss_iou: dict = dict(type='mmdet.GIoULoss', loss_weight=2.0),
                 loss_mask: dict = FOCAL_LOSS,
                 loss_dice: dict = DICE_LOSS,
                 aux_loss: bool = True,
                 text_pixel_loss: Optional[dict] = None,
                 pose_losses_in_stage2: bool = True,
                 freeze_text_encoder: bool = True,
                 save_text_encoder: Optional[bool] = None,
                 mask_thr: float = 0.5,
                 pixel_score_weight: float = 0.,
                 pixel_colour: bool = False,
                 mask_text_score: bool = False,
                 text_person_loss_weight: float = 0.,
                 data_preprocessor: Optional[dict] = dict(
                     type='L3DDataPreprocessor',
                     mean=IMAGENET_MEAN,
                     std=IMAGENET_STD,
                     bgr_to_rgb=True),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if train_stage not in (1, 2):
            raise ValueError(f'train_stage must be 1 or 2, got {train_stage}')
        if num_frames is not None and num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        if embed_dims % num_heads or embed_dims % 4:
            raise ValueError(f'embed_dims ({embed_dims}) must be divisible '
                             f'by 4 and by num_heads ({num_heads})')
        if min(num_queries, num_encoder_layers, num_decoder_layers,
               dynamic_layers) < 1:
            raise ValueError('num_queries, the layer counts and '
                             'dynamic_layers must be >= 1')
        if mask_loss_stride not in (1, 2, 4, 8):
            raise ValueError('mask_loss_stride must be 1, 2, 4 or 8, got '
                             f'{mask_loss_stride}')
        self.train_stage = int(train_stage)
        self.num_frames = None if num_frames is None else int(num_frames)
        self.embed_dims = int(embed_dims)
        self.num_levels = int(num_levels)
        self.num_queries = int(num_queries)
        self.mask_loss_stride = int(mask_loss_stride)
        self.peak_threshold = float(peak_threshold)
        self.nms_kernel = int(nms_kernel)
        self.min_box_size = float(min_box_size)
        self.aux_loss = bool(aux_loss)
        self.pose_losses_in_stage2 = bool(pose_losses_in_stage2)
        self.freeze_text_encoder = bool(freeze_text_encoder)
        self.save_text_encoder = (not self.freeze_text_encoder
                                  if save_text_encoder is None else
                                  bool(save_text_encoder))
        self.mask_thr = float(mask_thr)
        if not 0. <= pixel_score_weight <= 1.:
            raise ValueError('pixel_score_weight must be in [0, 1], got '
                             f'{pixel_score_weight}')
        if pixel_score_weight and text_pixel_loss is None:
            raise ValueError('pixel_score_weight needs text_pixel_loss (the '
                             'text-pixel map)')
        self.pixel_score_weight = float(pixel_score_weight)
        check_text_pixel_options(text_pixel_loss, pixel_colour,
                                 mask_text_score, text_person_loss_weight)
        self.pixel_colour = bool(pixel_colour)
        self.mask_text_score = bool(mask_text_score)
        self.text_person_loss_weight = float(text_person_loss_weight)

        # 1. the 2D pose branch (both stages)
        self.pose_backbone = MODELS.build(pose_backbone)
        self.pose_neck = None if pose_neck is None else MODELS.build(pose_neck)
        self.pose_head = MODELS.build(pose_head)
        self.root_estimator = MODELS.build(root_estimator)
        self.num_joints = int(self.pose_head.num_joints)
        self.root_index = PANOPTIC_ROOT if self.num_joints == \
            NUM_PANOPTIC_JOINTS else 0
        pose_channels = int(self.pose_head.feat_channels)
        self.text_encoder = None
        self.loss_text_pixel = None
        if self.train_stage == 1:
            return

        D = self.embed_dims
        (Encoder, Decoder, SinePE, self._inverse_sigmoid) = _mmdet_parts()
        from mmdet.models.layers.transformer import coordinate_to_encoding
        self._coord_encoding = coordinate_to_encoding

        # 2. text
        self.text_encoder = MODELS.build(text_encoder)
        # explicit both ways: the packaged encoder freezes itself when built
        self.text_encoder.requires_grad_(not self.freeze_text_encoder)
        self.text_proj = nn.Sequential(
            nn.Linear(int(self.text_encoder.width), D), nn.LayerNorm(D),
            nn.Dropout(dropout))

        # 3. video
        video_encoder = dict(video_encoder)
        video_encoder.setdefault('out_channels', D)
        video_encoder.setdefault('num_outs', self.num_levels)
        if video_encoder['out_channels'] != D or \
                video_encoder['num_outs'] != self.num_levels:
            raise ValueError('video_encoder must give num_levels '
                             f'({self.num_levels}) maps of embed_dims ({D})')
        self.video_encoder = MODELS.build(video_encoder)

        # 4. body fusion
        body_fusion = dict(body_fusion)
        body_fusion.update(
            embed_dims=D,
            pose_channels=pose_channels,
            num_joints=self.num_joints,
            num_levels=self.num_levels)
        body_fusion.setdefault('num_heads', num_heads)
        body_fusion.setdefault('dropout', dropout)
        self.body_fusion = MODELS.build(body_fusion)
        self.positional_encoding = SinePE(
            num_feats=D // 2, normalize=True, offset=-0.5)
        self.level_embed = nn.Parameter(torch.zeros(self.num_levels, D))

        # 5. queries + deformable transformer
        ffn = dict(
            embed_dims=D,
            feedforward_channels=feedforward_channels,
            ffn_drop=dropout)
        msda = dict(
            embed_dims=D,
            num_heads=num_heads,
            num_levels=self.num_levels,
            num_points=num_points,
            dropout=dropout,
            batch_first=True)
        self.encoder = Encoder(
            num_layers=num_encoder_layers,
            layer_cfg=dict(self_attn_cfg=msda, ffn_cfg=ffn))
        self.decoder = Decoder(
            num_layers=num_decoder_layers,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=D,
                    num_heads=num_heads,
                    dropout=dropout,
                    batch_first=True),
                cross_attn_cfg=msda,
                ffn_cfg=ffn),
            post_norm_cfg=None,
            return_intermediate=True)
        self.query_content = nn.Sequential(
            nn.Linear(pose_channels + 1, D), nn.LayerNorm(D))
        self.query_rank = nn.Embedding(self.num_queries, D)
        self.query_pos_head = MLP(2 * D, D, D, 2)
        self.cls_branches = nn.ModuleList(
            nn.Linear(D, 1) for _ in range(num_decoder_layers))
        self.reg_branches = nn.ModuleList(
            MLP(D, D, 4, 3) for _ in range(num_decoder_layers))
        self.mask_branch = nn.Sequential(
            nn.Conv2d(D, D, 3, padding=1), nn.GroupNorm(min(32, D), D),
            nn.ReLU(True), nn.Conv2d(D, mask_dims, 1))
        self.dynamic_shapes = dynamic_mask_shapes(mask_dims, dynamic_dims,
                                                  dynamic_layers)
        self.controller = MLP(D, D,
                              sum(i * o + o for i, o in self.dynamic_shapes),
                              3)

        # 6. mask fusion, 7. 3D skeleton
        if mask_fusion is not None:
            mask_fusion = dict(mask_fusion)
            mask_fusion.setdefault('embed_dims', D)
            mask_fusion.setdefault('pose_channels', pose_channels)
            mask_fusion.setdefault('dropout', dropout)
            self.mask_fusion = MODELS.build(mask_fusion)
        else:
            self.mask_fusion = None
        skeleton_head = dict(skeleton_head)
        skeleton_head.setdefault('in_channels', D)
        skeleton_head.setdefault('num_joints', self.num_joints)
        skeleton_head.setdefault('root_index', self.root_index)
        self.skeleton_head = MODELS.build(skeleton_head)

        # assignment and losses
        self.assigner = TASK_UTILS.build(assigner)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_iou = MODELS.build(loss_iou)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)
        if text_pixel_loss is not None:
            self.pixel_proj = pixel_projection(D, self.pixel_colour)
            self.sentence_proj = nn.Linear(D, D)
            self.loss_text_pixel = MODELS.build(text_pixel_loss)
        if self.mask_text_score:
            self.text_score_scale = nn.Parameter(torch.ones(()))
        self._init_heads()
        self._register_state_dict_hook(_drop_text_encoder)
        self._register_load_state_dict_pre_hook(
            _fill_text_encoder, with_module=True)

    # ------------------------------------------------------------------
    @classmethod
    def new_keys_in_stage2(cls) -> List[str]:
        """The ``load_from_new_keys`` of a stage-2 config loading stage 1."""
        return list(cls.STAGE2_KEYS)

    def _init_heads(self) -> None:
        # box deltas start at 0: the first boxes are the peaks' boxes
        init_detr_heads(self.cls_branches, self.reg_branches, size_bias=None)
        nn.init.normal_(self.level_embed)

    def init_weights(self) -> None:
        """Initialise the parts, keep the text encoder's weights, re-apply
        the head initialisation."""
        with text_encoder_weights_kept(self.text_encoder):
            super().init_weights()
        if self.train_stage == 1:
            return
        reinit_deformable_attention(self.encoder, self.decoder)
        self._init_heads()

    def train(self, mode: bool = True) -> 'CPP':
        """A frozen text encoder stays in eval mode."""
        super().train(mode)
        if self.text_encoder is not None and self.freeze_text_encoder:
            self.text_encoder.train(False)
        return self

    # ------------------------------------------------------------------
    # inputs
    # ------------------------------------------------------------------
    def _check_inputs(self, inputs: Tensor) -> None:
        if not isinstance(inputs, Tensor) or inputs.dim() != 5 or \
                inputs.shape[2] != 3:
            raise ValueError('CPP expects inputs (B, F, 3, H, W), got '
                             f'{getattr(inputs, "shape", type(inputs))}')
        if self.num_frames is not None and inputs.shape[1] != self.num_frames:
            raise ValueError(f'CPP was built for {self.num_frames}-frame '
                             f'windows, got {inputs.shape[1]} frames')
        if not torch.isfinite(inputs).all():
            raise ValueError('inputs contain NaN or inf')

    @staticmethod
    def _texts(data_samples, batch: int) -> List[str]:
        texts = [s.metainfo.get('text') for s in data_samples]
        if len(texts) != batch or not all(
                isinstance(t, str) and t.strip() for t in texts):
            raise ValueError('every data sample needs a non-empty metainfo '
                             'text, one per input window')
        return texts

    @staticmethod
    def _current_idx(data_samples, num_frames: int) -> List[int]:
        """Position of each current frame among the input frames
        (``input_current_idx``, else ``current_idx``)."""
        out = []
        for s in data_samples:
            cur = s.metainfo.get('input_current_idx',
                                 s.metainfo.get('current_idx'))
            if cur is None:
                if num_frames != 1:
                    raise ValueError('data sample has no metainfo '
                                     'current_idx')
                cur = 0
            cur = int(cur)
            if not 0 <= cur < num_frames:
                raise ValueError(f'current_idx {cur} outside the '
                                 f'{num_frames} input frames')
            out.append(cur)
        return out

    def encode_text(self, texts: Sequence[str],
                    device: torch.device) -> Tuple[Tensor, Tensor, Tensor]:
        """``(B, L, D)`` projected tokens, ``(B, L)`` bool mask and
        ``(B, D)`` sentence feature (masked mean); with gradients through a
        trainable text encoder."""
        return encode_projected_text(
            self.text_encoder,
            self.text_proj,
            texts,
            device,
            with_grad=not self.freeze_text_encoder)

    # ------------------------------------------------------------------
    # forward
    # ------------------------------------------------------------------
    def pose_maps(self, frames: Tensor) -> Dict[str, Tensor]:
        """2D pose maps of ``(B, 3, H, W)`` frames (the pose head's dict).
        """
        feats = self.pose_backbone(frames)
        if self.pose_neck is not None:
            feats = self.pose_neck(feats)
        return self.pose_head(feats)

    def _sample_map(self, maps: Tensor, centres: Tensor) -> Tensor:
        """``(B, C, h, w)`` maps bilinearly at ``(B, Q, 2)`` normalised
        centres -> ``(B, Q, C)``."""
        grid = (centres.clamp(0, 1) * 2 - 1).unsqueeze(2)  # (B, Q, 1, 2)
        out = F.grid_sample(
            maps, grid.to(maps.dtype), mode='bilinear', align_corners=False)
        return out.squeeze(-1).transpose(1, 2)

    def run(self, inputs: Tensor, texts: Sequence[str],
            current_idx: Sequence[int]) -> Dict[str, Tensor]:
        """The model's raw outputs.

        Args:
            inputs (Tensor): ``(B, F, 3, H, W)`` normalised frames.
            texts (Sequence[str]): B sentences.
            current_idx (Sequence[int]): B current-frame indices.

        Returns:
            dict: ``pose`` (the pose head's maps of the current frames);
            in stage 2 also ``peaks`` (``decode_peaks``), ``ref_boxes``
            ``(B, Q, 4)``, ``cls_logits`` ``(Ld, B, Q)``, ``boxes`` ``(Ld,
            B, Q, 4)`` normalised (cx, cy, w, h), ``mask_logits``
            ``(Lm, B, Q, H/8, W/8)`` (all layers in training with
            ``aux_loss``, else the last), ``keypoints_rel`` ``(B, Q, 15,
            3)`` mm root-relative camera axes, ``root_depth`` ``(B, Q)`` m
            at the refined box centres, and ``pixel_logits`` ``(B, H/8,
            W/8)`` with the text-pixel map (training, ``pixel_score_weight``
            or ``mask_text_score``).
        """
        self._check_inputs(inputs)
        B, Fr, _, H, W = inputs.shape
        texts = [texts] if isinstance(texts, str) else list(texts)
        if len(texts) != B or len(current_idx) != B:
            raise ValueError(f'{len(texts)} sentences / {len(current_idx)} '
                             f'current indices for a batch of {B}')
        cur = torch.as_tensor([int(c) for c in current_idx],
                              device=inputs.device)
        if (cur < 0).any() or (cur >= Fr).any():
            raise ValueError(f'current_idx {current_idx} outside the {Fr} '
                             'frames')
        batch = torch.arange(B, device=inputs.device)
        pose = self.pose_maps(inputs[batch, cur])
        out = dict(pose=pose)
        if self.train_stage == 1:
            return out

        D, Q = self.embed_dims, self.num_queries
        device = inputs.device
        # queries from the root peaks (no gradient through the peak choice)
        detached = {k: v.detach() for k, v in pose.items()}
        peaks = self.pose_head.decode_peaks(
            detached,
            k=Q,
            threshold=self.peak_threshold,
            nms_kernel=self.nms_kernel,
            input_size=(W, H))
        size = inputs.new_tensor([W, H])
        centre = (peaks['centres_input'] / size).clamp(1e-3, 1 - 1e-3)
        wh = (peaks['box_wh_input'] / size).clamp(self.min_box_size, 1.)
        ref_boxes = torch.cat([centre, wh], -1)  # (B, Q, 4)
        pose_at_peak = self.pose_head.gather(pose['features'],
                                             peaks['indices'])
        tokens, text_mask, sentence = self.encode_text(texts, device)
        query = self.query_content(
            torch.cat([pose_at_peak, peaks['scores'][..., None]], -1))
        query = query + sentence[:, None] + self.query_rank.weight[None]
        query_pos = self.query_pos_head(
            self._coord_encoding(ref_boxes, num_feats=D // 2))

        # video (the whole window) -> the current frame's levels
        levels = self.video_encoder(inputs)
        if len(levels) != self.num_levels:
            raise ValueError(f'the video encoder gave {len(levels)} levels, '
                             f'num_levels is {self.num_levels}')
        video, poss, shapes = [], [], []
        for lvl, feat in enumerate(levels):
            x = feat[batch, cur]  # (B, D, h, w)
            h, w = x.shape[-2:]
            pad = x.new_zeros((B, h, w), dtype=torch.bool)
            pos = self.positional_encoding(pad).flatten(2).transpose(1, 2)
            video.append(x)
            poss.append(pos)
            shapes.append((h, w))
        joint_maps = torch.cat([pose['heatmaps'], pose['root_heatmap']], 1)
        srcs = self.body_fusion(video, poss, tokens, text_mask,
                                pose['features'], joint_maps)
        spatial_shapes = torch.as_tensor(
            shapes, dtype=torch.long, device=device)
        level_start_index = torch.cat([
            spatial_shapes.new_zeros((1, )),
            spatial_shapes.prod(1).cumsum(0)[:-1]
        ])
        valid_ratios = inputs.new_ones((B, self.num_levels, 2))
        src = torch.cat(srcs, 1)
        pos = torch.cat([
            p + self.level_embed[lvl].view(1, 1, -1)
            for lvl, p in enumerate(poss)
        ], 1)
        pad_mask = src.new_zeros(src.shape[:2], dtype=torch.bool)
        memory = self.encoder(
            query=src,
            query_pos=pos,
            key_padding_mask=pad_mask,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
            valid_ratios=valid_ratios)
        hidden, refs = self.decoder(
            query=query,
            query_pos=query_pos,
            value=memory,
            key_padding_mask=pad_mask,
            reference_points=ref_boxes,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
            valid_ratios=valid_ratios,
            reg_branches=self.reg_branches)
        cls_list, box_list = [], []
        for lyr in range(hidden.shape[0]):
            ref = ref_boxes if lyr == 0 else refs[lyr - 1]
            delta = self.reg_branches[lyr](hidden[lyr])
            box_list.append((delta + self._inverse_sigmoid(ref)).sigmoid())
            cls_list.append(self.cls_branches[lyr](hidden[lyr]).squeeze(-1))
        boxes = torch.stack(box_list)

        fpn = memory_fpn(memory, shapes, D, 3)  # (B, D, H/8, W/8)
        mask_feat = self.mask_branch(fpn)
        layers = range(hidden.shape[0]) if (self.aux_loss and self.training) \
            else [hidden.shape[0] - 1]
        masks = torch.stack([
            dynamic_mask_logits(
                self.controller(hidden[lyr]), self.dynamic_shapes,
                boxes[lyr].detach(), mask_feat) for lyr in layers
        ])
        feat = hidden[-1]
        if self.mask_fusion is not None:
            feat = self.mask_fusion(feat, masks[-1], fpn, pose['features'])
        cls_logits = torch.stack(cls_list)
        if self.loss_text_pixel is not None and (
                self.training or self.pixel_score_weight > 0
                or self.mask_text_score):
            out['pixel_logits'] = text_pixel_logits(
                self.pixel_proj, self.sentence_proj, fpn, sentence,
                inputs[batch, cur] if self.pixel_colour else None)
        if self.mask_text_score:
            # the layers with masks get the map's mean under each query mask
            cls_logits = add_mask_text_scores(cls_logits, masks,
                                              out['pixel_logits'],
                                              self.text_score_scale)
        out.update(
            peaks=peaks,
            ref_boxes=ref_boxes,
            cls_logits=cls_logits,
            boxes=boxes,
            mask_logits=masks,
            keypoints_rel=self.skeleton_head(feat),
            root_depth=self._sample_map(pose['root_depth'],
                                        boxes[-1][..., :2])[..., 0])
        return out

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], list]:
        """``mode``: ``'loss'``, ``'predict'`` or ``'tensor'`` (the raw
        outputs of :meth:`run`)."""
        if data_samples is None:
            raise ValueError('CPP needs data_samples (metainfo text, '
                             'current_idx, camera, trans)')
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            self._check_inputs(inputs)
            return self.run(inputs, self._texts(data_samples, inputs.shape[0]),
                            self._current_idx(data_samples, inputs.shape[1]))
        raise ValueError(f'invalid mode {mode!r}: loss, predict or tensor')

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Stage 1: the pose head's losses; stage 2: + the referring and
        3D losses of the query matched to the referred person."""
        self._check_inputs(inputs)
        B, Fr, _, H, W = inputs.shape
        if len(data_samples) != B:
            raise ValueError(f'{len(data_samples)} data samples for a batch '
                             f'of {B}')
        cur = self._current_idx(data_samples, Fr)
        texts = self._texts(data_samples, B) if self.train_stage == 2 else \
            [''] * B
        targets = self._targets(data_samples, H, W, inputs.device) \
            if self.train_stage == 2 else None
        out = self.run(inputs, texts, cur)
        losses = {}
        if self.train_stage == 1 or self.pose_losses_in_stage2:
            losses.update(self.pose_head.loss(out['pose'], data_samples))
        if self.train_stage == 1:
            return losses
        num_layers = out['cls_logits'].shape[0]
        num_mask_layers = out['mask_logits'].shape[0]
        matched = None
        for lyr in range(num_layers):
            if lyr < num_layers - 1 and not self.aux_loss:
                continue
            mask_lyr = lyr - (num_layers - num_mask_layers)
            layer_losses, q = self._layer_loss(
                out['cls_logits'][lyr], out['boxes'][lyr],
                out['mask_logits'][mask_lyr] if mask_lyr >= 0 else None,
                targets, (H, W))
            prefix = '' if lyr == num_layers - 1 else f'd{lyr}.'
            losses.update({prefix + k: v for k, v in layer_losses.items()})
            matched = q
        losses.update(self._loss_3d(out['keypoints_rel'], targets, matched))
        if 'pixel_logits' in out:
            losses['loss_text_pixel'] = self._text_pixel_loss(
                out['pixel_logits'], targets)
            if self.text_person_loss_weight:
                losses['loss_text_person'] = self.text_person_loss_weight * \
                    person_text_loss(out['pixel_logits'],
                                     [t['people'] for t in targets],
                                     [t['referred'] for t in targets])
        return losses

    def _targets(self, data_samples, H: int, W: int, device) -> List[dict]:
        """The referred person of every sample: input-resolution mask, box
        (from the mask, else its visible 2D joints) and 3D."""
        targets = []
        for i, s in enumerate(data_samples):
            gt = s.gt_instances
            ref = s.metainfo.get('referred_index')
            if ref is None:
                raise ValueError(f'data sample {i} has no referred_index')
            ref = int(ref)
            if 'masks' not in gt:
                raise ValueError('stage-2 training needs gt_instances.masks '
                                 '(add LoadReferMask to the pipeline)')
            mask = torch.as_tensor(_numpy(gt.masks[ref])).bool().to(device)
            if mask.shape != (H, W):
                raise ValueError(f'gt mask of sample {i} is '
                                 f'{tuple(mask.shape)}, the input {(H, W)}')
            box = mask_to_box(mask)
            if not mask.any() and 'input_keypoints_2d' in gt:
                kp = _numpy(gt.input_keypoints_2d[ref]).astype(np.float64)
                vis = _numpy(
                    gt.get('input_keypoints_2d_visible',
                           np.ones(kp.shape[:1], bool))[ref])
                kp = kp[vis.astype(bool) & np.isfinite(kp).all(-1)]
                if len(kp):
                    kp = np.clip(kp, 0, [W, H])
                    box = torch.tensor([*kp.min(0), *kp.max(0)],
                                       dtype=torch.float32,
                                       device=device)
            valid = bool((box[2:] - box[:2]).min() > 0)
            kp3d = vis3d = None
            if 'keypoints_3d_cam' in gt:
                kp3d = torch.as_tensor(
                    _numpy(gt.keypoints_3d_cam[ref]),
                    dtype=torch.float32,
                    device=device)
                vis3d = torch.as_tensor(
                    _numpy(
                        gt.get('keypoints_3d_visible',
                               np.ones(kp3d.shape[:1], bool))[ref]),
                    device=device).bool()
            norm = box / box.new_tensor([W, H, W, H])
            targets.append(
                dict(
                    mask=mask,
                    people=torch.as_tensor(_numpy(gt.masks)).bool(),
                    referred=ref,
                    box=box,
                    box_norm=box_xyxy_to_cxcywh(norm),
                    valid=valid,
                    keypoints_3d=kp3d,
                    visible_3d=vis3d))
        return targets

    def _layer_loss(
            self, cls_logits: Tensor, boxes: Tensor,
            mask_logits: Optional[Tensor], targets: List[dict],
            input_size: Tuple[int,
                              int]) -> Tuple[Dict[str, Tensor], List[int]]:
        """Losses of one decoder layer (``(B, Q)`` logits, ``(B, Q, 4)``
        boxes, ``(B, Q, h, w)`` masks or None) and the matched queries
        (-1 where the referred person has no box)."""
        H, W = input_size
        s = self.mask_loss_stride
        size = (math.ceil(H / s), math.ceil(W / s))
        scale = boxes.new_tensor([W, H, W, H])
        labels = torch.ones(
            cls_logits.shape, dtype=torch.long, device=cls_logits.device)
        pos_boxes, tgt_boxes, tgt_boxes_px = [], [], []
        pos_masks, tgt_masks, matched = [], [], []
        for b, tgt in enumerate(targets):
            if not tgt['valid']:
                matched.append(-1)
                continue
            gt_mask = target_mask_at(tgt['mask'], size)
            q = hungarian_match(
                self.assigner, cls_logits[b], boxes[b],
                None if mask_logits is None else mask_logits[b], tgt['box'],
                gt_mask, input_size)
            matched.append(q)
            labels[b, q] = 0
            pos_boxes.append(boxes[b, q])
            tgt_boxes.append(tgt['box_norm'])
            tgt_boxes_px.append(tgt['box'])
            if mask_logits is not None and gt_mask.any():
                pos_masks.append(
                    resize_logits(mask_logits[b, q][None], size)[0])
                tgt_masks.append(gt_mask)
        num_pos = max(len(pos_boxes), 1)
        losses = dict(
            loss_cls=self.loss_cls(
                cls_logits.reshape(-1, 1),
                labels.reshape(-1),
                avg_factor=num_pos))
        zero = cls_logits.sum() * 0
        if not pos_boxes:
            losses.update(
                loss_bbox=zero, loss_iou=zero, loss_mask=zero, loss_dice=zero)
            return losses, matched
        pos = torch.stack(pos_boxes)
        losses['loss_bbox'] = self.loss_bbox(
            pos, torch.stack(tgt_boxes), avg_factor=len(pos_boxes))
        losses['loss_iou'] = self.loss_iou(
            box_cxcywh_to_xyxy(pos) * scale,
            torch.stack(tgt_boxes_px),
            avg_factor=len(pos_boxes))
        if not pos_masks:
            losses.update(loss_mask=zero, loss_dice=zero)
            return losses, matched
        pred = torch.stack(pos_masks).flatten(1)
        tgt = torch.stack(tgt_masks).flatten(1)
        losses['loss_mask'] = self.loss_mask(
            pred.reshape(-1, 1), (~tgt).long().reshape(-1),
            avg_factor=pred.numel())
        losses['loss_dice'] = self.loss_dice(
            pred, tgt, avg_factor=len(pos_masks))
        return losses, matched

    def _loss_3d(self, keypoints_rel: Tensor, targets: List[dict],
                 matched: List[int]) -> Dict[str, Tensor]:
        preds, gts, vis = [], [], []
        for b, (tgt, q) in enumerate(zip(targets, matched)):
            if q < 0 or tgt['keypoints_3d'] is None:
                continue
            preds.append(keypoints_rel[b, q])
            gts.append(tgt['keypoints_3d'])
            vis.append(tgt['visible_3d'])
        if not preds:
            return dict(loss_3d=keypoints_rel.sum() * 0)
        return self.skeleton_head.loss(
            torch.stack(preds), torch.stack(gts), torch.stack(vis))

    def _text_pixel_loss(self, pixel_logits: Tensor,
                         targets: List[dict]) -> Tensor:
        h, w = pixel_logits.shape[-2:]
        labels = torch.stack([
            F.adaptive_avg_pool2d(t['mask'][None, None].float(), (h, w))[0, 0]
            >= 0.5 for t in targets
        ])
        return self.loss_text_pixel(
            pixel_logits.flatten(1),
            labels.flatten(1).float())

    # ------------------------------------------------------------------
    # inference
    # ------------------------------------------------------------------
    @torch.no_grad()
    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """The referred person of every window.

        Stage 2 sets on every data sample ``pred_instances``
        (``keypoints_3d`` ``(1, 15, 3)`` float32 mm loader world axes,
        ``scores`` ``(1,)``, ``bboxes`` ``(1, 4)`` input-pixel xyxy, and
        ``keypoints_rel`` ``(1, 15, 3)`` root-relative camera-frame mm),
        ``pred_mask`` ``(H, W)`` bool at input resolution and
        ``pred_query`` (the chosen query). Stage 1 (no referral yet) sets an
        empty ``pred_instances`` (``(0, 15, 3)``) and ``pred_roots``: the
        root candidates ``(k, 3)`` mm of the valid peaks.
        """
        self._check_inputs(inputs)
        B, Fr, _, H, W = inputs.shape
        cur = self._current_idx(data_samples, Fr)
        if self.train_stage == 1:
            return self._predict_stage1(inputs, data_samples, cur)
        texts = self._texts(data_samples, B)
        cams, trans = self._geometry(data_samples)
        out = self.run(inputs, texts, cur)
        probs = out['cls_logits'][-1].sigmoid()  # (B, Q)
        choice = probs
        if self.pixel_score_weight > 0:
            w = self.pixel_score_weight
            masks = out['mask_logits'][-1]  # (B, Q, h, w)
            pix = resize_logits(out['pixel_logits'],
                                masks.shape[-2:]).sigmoid()
            choice = (1 - w) * probs + w * mask_pooled_scores(masks, pix)
        q = choice.argmax(1)
        batch = torch.arange(B, device=inputs.device)
        box = out['boxes'][-1][batch, q]  # (B, 4)
        centres = box[:, None, :2] * inputs.new_tensor([W, H])
        depth = out['root_depth'][batch, q][:, None]
        roots = _numpy(self.root_estimator(centres, depth, cams, trans))
        rel = _numpy(out['keypoints_rel'][batch, q]).astype(np.float64)
        for b, sample in enumerate(data_samples):
            R = _numpy(cams[b]['R']).reshape(3, 3).astype(np.float64)
            world = roots[b, 0][None] + rel[b] @ R  # camera -> world axes
            logits = resize_logits(out['mask_logits'][-1, b, q[b]][None],
                                   (H, W))[0]
            mask = (logits.sigmoid() > self.mask_thr).cpu().numpy()
            xyxy = box_cxcywh_to_xyxy(box[b]) * box.new_tensor([W, H, W, H])
            sample.pred_instances = InstanceData(
                keypoints_3d=world[None].astype(np.float32),
                keypoints_rel=rel[b][None].astype(np.float32),
                scores=np.array([float(probs[b, q[b]])], np.float32),
                bboxes=_numpy(xyxy)[None].astype(np.float32))
            sample.set_field(mask.astype(bool), 'pred_mask')
            sample.set_field(int(q[b]), 'pred_query')
        return data_samples

    def _geometry(self, data_samples) -> Tuple[list, list]:
        cams, trans = [], []
        for s in data_samples:
            cam, tr = s.metainfo.get('camera'), s.metainfo.get('trans')
            if cam is None or tr is None:
                raise ValueError('predict needs metainfo camera and trans '
                                 '(the original -> input affine of '
                                 'ResizeL3D) to place the root')
            cams.append(cam)
            trans.append(_numpy(tr))
        return cams, trans

    def _predict_stage1(self, inputs, data_samples, cur) -> list:
        B, _, _, H, W = inputs.shape
        batch = torch.arange(B, device=inputs.device)
        pose = self.pose_maps(inputs[batch, torch.as_tensor(cur)])
        peaks = self.pose_head.decode_peaks(
            pose,
            k=self.num_queries,
            threshold=self.peak_threshold,
            nms_kernel=self.nms_kernel,
            input_size=(W, H))
        cams, trans = self._geometry(data_samples)
        roots = _numpy(
            self.root_estimator(peaks['centres_input'], peaks['depth'], cams,
                                trans))
        valid = _numpy(peaks['valid']).astype(bool)
        for b, sample in enumerate(data_samples):
            sample.pred_instances = InstanceData(
                keypoints_3d=np.zeros((0, self.num_joints, 3), np.float32),
                scores=np.zeros((0, ), np.float32))
            sample.set_field(roots[b][valid[b]].astype(np.float32),
                             'pred_roots')
        return data_samples

    @torch.no_grad()
    def predict_window(self,
                       frames: Union[Tensor, np.ndarray],
                       text: str,
                       camera: dict,
                       trans,
                       current_idx: Optional[int] = None) -> dict:
        """One window for the demo / referrer.

        Args:
            frames: ``(F, 3, H, W)`` BGR frames at the input size (uint8 or
                float 0-255, as :class:`PackL3DInputs` packs them), or
                ``(F, H, W, 3)`` numpy.
            text (str): The sentence.
            camera (dict): Loader camera (``R``, ``t``, ``K``, ``dist``).
            trans: ``(2, 3)`` original -> input affine.
            current_idx (int, optional): Default the last frame.

        Returns:
            dict: ``keypoints_3d`` ``(15, 3)`` mm world (loader axes),
            ``mask`` ``(H, W)`` bool, ``score`` float, ``box`` ``(4,)``
            input-pixel xyxy and ``query`` int.
        """
        from mmpose.structures import PoseDataSample
        if self.train_stage == 1:
            raise ValueError('predict_window needs a stage-2 model')
        x = torch.as_tensor(
            np.asarray(frames) if isinstance(frames, np.ndarray) else frames)
        if x.dim() == 4 and x.shape[-1] == 3 and x.shape[1] != 3:
            x = x.permute(0, 3, 1, 2)
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError('frames must be (F, 3, H, W) or (F, H, W, 3), '
                             f'got {tuple(x.shape)}')
        num = x.shape[0]
        cur = num - 1 if current_idx is None else int(current_idx)
        sample = PoseDataSample(
            metainfo=dict(
                text=text,
                input_current_idx=cur,
                camera=camera,
                trans=np.asarray(trans, np.float64)))
        data = self.data_preprocessor(
            dict(inputs=[x], data_samples=[sample]), False)
        (res, ) = self.predict(data['inputs'], data['data_samples'])
        inst = res.pred_instances
        return dict(
            keypoints_3d=np.asarray(inst.keypoints_3d[0]),
            mask=np.asarray(res.pred_mask),
            score=float(inst.scores[0]),
            box=np.asarray(inst.bboxes[0]),
            query=int(res.pred_query))
