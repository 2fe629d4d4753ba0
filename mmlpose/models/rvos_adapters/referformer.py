# Copyright (c) mmlpose contributors. All rights reserved.
"""A ReferFormer-style referring video object segmenter on mmdet 3.x parts.

Frames of a window go through a ResNet, a ChannelMapper to ``embed_dims``
(3 backbone levels + 1 extra = 4 levels), a cross-modal fusion of every
level with the sentence's token features, a deformable encoder and a
deformable decoder whose queries (learned embeddings + the sentence feature)
are shared by all frames of the window, with iterative box refinement. Every
query gives, per frame, a "referred" logit, a box and a mask from a dynamic
mask head (the query generates the weights of a small conv stack run on a
stride-8 mask feature map with relative coordinates).
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

# shared with CPP (mmlpose.models.pose_estimators.cpp); importable from here
from mmlpose.models.utils.query_parts import (  # noqa: F401
    DICE_LOSS, FOCAL_LOSS, MLP, TextCrossAttention, _drop_text_encoder,
    _fill_text_encoder, _mmdet_parts, add_mask_text_scores,
    box_cxcywh_to_xyxy, box_xyxy_to_cxcywh, check_text_pixel_options,
    colour_map, dynamic_mask_logits,
    dynamic_mask_shapes, encode_projected_text, hungarian_match,
    init_detr_heads, mask_pooled_scores, mask_to_box, memory_fpn,
    person_text_loss, pixel_projection, referring_assigner,
    reinit_deformable_attention, resize_logits, text_encoder_weights_kept,
    text_pixel_logits)
from mmlpose.registry import MODELS, TASK_UTILS


@MODELS.register_module()
class ReferFormerSegmenter(BaseModule):
    """Referring video object segmentation, ReferFormer style.

    Note:
        - batch: B, frames of a window: F (N = B * F), queries: Q,
          decoder layers: Ld, input: H x W, mask map: h x w = H/8 x W/8

    Args:
        backbone (dict): mmdet ResNet config (random init unless its
            ``init_cfg`` says otherwise); ``out_indices`` must give 3 levels
            (strides 8, 16, 32).
        neck (dict): mmdet ChannelMapper config; ``in_channels`` and
            ``out_channels`` are filled in when missing; ``num_outs`` must
            be ``num_levels``.
        text_encoder (dict): Frozen sentence encoder with
            ``encode_tokens(texts) -> ((N, L, Dt), (N, L) bool)`` and
            ``width`` (:class:`SentenceEncoder`).
        embed_dims (int): Transformer width D.
        num_levels (int): Feature levels (3 backbone + extras). Defaults
            to 4.
        num_queries (int): Queries Q. Defaults to 5.
        num_heads (int): Attention heads. Defaults to 8.
        num_points (int): Deformable sampling points. Defaults to 4.
        num_encoder_layers (int): Deformable encoder layers.
        num_decoder_layers (int): Deformable decoder layers.
        feedforward_channels (int): FFN width.
        dropout (float): Dropout in the transformer.
        mask_dims (int): Channels of the mask feature map. Defaults to 8.
        dynamic_dims (int): Hidden channels of the dynamic conv stack.
        dynamic_layers (int): Dynamic 1x1 conv layers. Defaults to 3.
        mask_loss_stride (int): Masks are compared with the ground truth
            at this stride of the input (predictions upsampled
            bilinearly, targets resized). Defaults to 4.
        assigner (dict): mmdet HungarianAssigner config (class, box L1, GIoU
            and dice costs).
        loss_cls, loss_bbox, loss_iou, loss_mask, loss_dice (dict): mmdet
            losses (focal 2, L1 5, GIoU 2, mask focal 2, dice 5, as
            ReferFormer).
        aux_loss (bool): Losses on every decoder layer, not only the last.
        text_pixel_loss (dict, optional): An auxiliary text-to-pixel
            alignment loss (CRIS style; not in ReferFormer): the stride-8
            mask features and the sentence are projected to D channels and
            their scaled dot product, per pixel, is trained with this mmdet
            loss on ``(B, h * w)`` logits (for example ``dict(
            type='mmdet.DiceLoss', use_sigmoid=True, naive_dice=True,
            eps=1.0, loss_weight=2.0)``) to be the referred
            object's current-frame mask. Dense text-conditioned
            supervision that speeds up learning which object a sentence
            names when the backbone starts from random weights; used in
            training only (and at inference when ``mask_text_score``).
            Default None (off).
        pixel_colour (bool): With ``text_pixel_loss``, the text-pixel
            projection also sees the frames' mean colour per stride-8 cell
            (:func:`colour_map`), so a colour word can be matched to pixels
            by a bilinear form from the first steps instead of waiting for
            the random-init backbone to keep colour in its features. Not in
            ReferFormer. Defaults to False.
        mask_text_score (bool): With ``text_pixel_loss``, add to every
            query's "referred" logit a learned multiple (initially 1) of the
            mean text-pixel logit under the query's own mask
            (:func:`mask_pooled_scores`) less its mean over the queries, in
            training and at inference. Map
            and masks are detached there: the map learns from its own loss
            only, and the class loss learns how far to trust it, so the
            dense text-pixel evidence reaches the choice of the query. Not
            in ReferFormer. Defaults to False.
        text_person_loss_weight (float): With ``text_pixel_loss``, weight of
            :func:`person_text_loss`: the map's mean under each person's
            ground-truth mask (``people_masks`` of :meth:`loss`), a softmax
            over the frame's people toward the referred one. Not in
            ReferFormer. Defaults to 0 (off).
        save_text_encoder (bool): Keep the frozen text encoder's weights in
            ``state_dict`` (checkpoints). Defaults to False: they are left
            out (the encoder is rebuilt from its own weights) and filled in
            from the built encoder when a state dict without them is loaded.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict = dict(
                     type='mmdet.ResNet',
                     depth=18,
                     num_stages=4,
                     out_indices=(1, 2, 3),
                     frozen_stages=-1,
                     norm_cfg=dict(type='BN', requires_grad=True),
                     norm_eval=False,
                     style='pytorch'),
                 neck: dict = dict(
                     type='mmdet.ChannelMapper',
                     kernel_size=1,
                     act_cfg=None,
                     norm_cfg=dict(type='GN', num_groups=32)),
                 text_encoder: dict = dict(type='SentenceEncoder'),
                 embed_dims: int = 256,
                 num_levels: int = 4,
                 num_queries: int = 5,
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
                 assigner: dict = referring_assigner(5.0),
                 loss_cls: dict = FOCAL_LOSS,
                 loss_bbox: dict = dict(type='mmdet.L1Loss', loss_weight=5.0),
                 loss_iou: dict = dict(type='mmdet.GIoULoss', loss_weight=2.0),
                 loss_mask: dict = FOCAL_LOSS,
                 loss_dice: dict = DICE_LOSS,
                 aux_loss: bool = True,
                 text_pixel_loss: Optional[dict] = None,
                 pixel_colour: bool = False,
                 mask_text_score: bool = False,
                 text_person_loss_weight: float = 0.,
                 save_text_encoder: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        (Encoder, Decoder, SinePE, self._inverse_sigmoid) = _mmdet_parts()
        if embed_dims % num_heads or embed_dims % 2:
            raise ValueError(f'embed_dims ({embed_dims}) must be even and '
                             f'divisible by num_heads ({num_heads})')
        if num_levels < 3:
            raise ValueError(f'num_levels must be >= 3, got {num_levels}')
        if min(num_queries, num_encoder_layers, num_decoder_layers,
               dynamic_layers) < 1:
            raise ValueError('num_queries, the layer counts and '
                             'dynamic_layers must be >= 1')
        if mask_loss_stride not in (1, 2, 4, 8):
            raise ValueError('mask_loss_stride must be 1, 2, 4 or 8, got '
                             f'{mask_loss_stride}')
        self.embed_dims = embed_dims
        self.num_levels = num_levels
        self.num_queries = num_queries
        self.mask_loss_stride = mask_loss_stride
        self.aux_loss = aux_loss
        self.save_text_encoder = bool(save_text_encoder)
        check_text_pixel_options(text_pixel_loss, pixel_colour,
                                 mask_text_score, text_person_loss_weight)
        self.pixel_colour = bool(pixel_colour)
        self.mask_text_score = bool(mask_text_score)
        self.text_person_loss_weight = float(text_person_loss_weight)

        # visual
        backbone = dict(backbone)
        self.backbone = MODELS.build(backbone)
        out_indices = tuple(getattr(self.backbone, 'out_indices', ()))
        if len(out_indices) != 3:
            raise ValueError('the backbone must give 3 levels (strides 8, '
                             f'16, 32), got out_indices={out_indices}')
        neck = dict(neck)
        if 'in_channels' not in neck:
            block = getattr(self.backbone, 'block', None)
            base = getattr(self.backbone, 'base_channels', None)
            if block is None or base is None:
                raise ValueError('give neck.in_channels for this backbone')
            neck['in_channels'] = [
                block.expansion * base * 2**i for i in out_indices
            ]
        neck.setdefault('out_channels', embed_dims)
        neck.setdefault('num_outs', num_levels)
        if neck['num_outs'] != num_levels:
            raise ValueError(f'neck.num_outs ({neck["num_outs"]}) must equal '
                             f'num_levels ({num_levels})')
        self.neck = MODELS.build(neck)
        self.positional_encoding = SinePE(
            num_feats=embed_dims // 2, normalize=True, offset=-0.5)
        self.level_embed = nn.Parameter(torch.zeros(num_levels, embed_dims))

        # text (frozen encoder; trained projection)
        self.text_encoder = MODELS.build(text_encoder)
        self.text_encoder.requires_grad_(False)
        width = int(self.text_encoder.width)
        self.text_proj = nn.Sequential(
            nn.Linear(width, embed_dims), nn.LayerNorm(embed_dims),
            nn.Dropout(dropout))
        self.fusion = nn.ModuleList(
            TextCrossAttention(embed_dims, num_heads, dropout)
            for _ in range(num_levels))

        # transformer
        ffn = dict(
            embed_dims=embed_dims,
            feedforward_channels=feedforward_channels,
            ffn_drop=dropout)
        self.encoder = Encoder(
            num_layers=num_encoder_layers,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=embed_dims,
                    num_heads=num_heads,
                    num_levels=num_levels,
                    num_points=num_points,
                    dropout=dropout,
                    batch_first=True),
                ffn_cfg=ffn))
        self.decoder = Decoder(
            num_layers=num_decoder_layers,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=embed_dims,
                    num_heads=num_heads,
                    dropout=dropout,
                    batch_first=True),
                cross_attn_cfg=dict(
                    embed_dims=embed_dims,
                    num_heads=num_heads,
                    num_levels=num_levels,
                    num_points=num_points,
                    dropout=dropout,
                    batch_first=True),
                ffn_cfg=ffn),
            post_norm_cfg=None,
            return_intermediate=True)
        self.query_embedding = nn.Embedding(num_queries, 2 * embed_dims)
        self.reference_points_fc = nn.Linear(embed_dims, 2)
        self.cls_branches = nn.ModuleList(
            nn.Linear(embed_dims, 1) for _ in range(num_decoder_layers))
        self.reg_branches = nn.ModuleList(
            MLP(embed_dims, embed_dims, 4, 3)
            for _ in range(num_decoder_layers))

        # dynamic mask head
        self.mask_branch = nn.Sequential(
            nn.Conv2d(embed_dims, embed_dims, 3, padding=1),
            nn.GroupNorm(min(32, embed_dims), embed_dims), nn.ReLU(True),
            nn.Conv2d(embed_dims, mask_dims, 1))
        dims = [mask_dims + 2] + [dynamic_dims] * (dynamic_layers - 1) + [1]
        self.dynamic_shapes = list(zip(dims[:-1], dims[1:]))
        num_params = sum(i * o + o for i, o in self.dynamic_shapes)
        self.controller = MLP(embed_dims, embed_dims, num_params, 3)

        # assignment and losses
        self.assigner = TASK_UTILS.build(assigner)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_iou = MODELS.build(loss_iou)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)
        if text_pixel_loss is not None:
            self.pixel_proj = pixel_projection(embed_dims, self.pixel_colour)
            self.sentence_proj = nn.Linear(embed_dims, embed_dims)
            self.loss_text_pixel = MODELS.build(text_pixel_loss)
        else:
            self.loss_text_pixel = None
        if self.mask_text_score:
            self.text_score_scale = nn.Parameter(torch.ones(()))
        self._init_heads()
        self._register_state_dict_hook(_drop_text_encoder)
        self._register_load_state_dict_pre_hook(
            _fill_text_encoder, with_module=True)

    def _init_heads(self) -> None:
        """Deformable DETR's head initialisation: rare positives, boxes
        start from the reference points with small sizes."""
        init_detr_heads(self.cls_branches, self.reg_branches, size_bias=-2.0)
        nn.init.normal_(self.level_embed)
        nn.init.xavier_uniform_(self.reference_points_fc.weight)
        nn.init.zeros_(self.reference_points_fc.bias)

    def init_weights(self) -> None:
        """Initialise the sub-modules, keep the text encoder's weights and
        re-apply the head initialisation."""
        with text_encoder_weights_kept(self.text_encoder):
            super().init_weights()
        reinit_deformable_attention(self.encoder, self.decoder)
        self._init_heads()

    def train(self, mode: bool = True) -> 'ReferFormerSegmenter':
        """The text encoder stays frozen in eval mode."""
        super().train(mode)
        self.text_encoder.train(False)
        return self

    # ------------------------------------------------------------------
    # forward
    # ------------------------------------------------------------------
    def encode_text(self, texts: Sequence[str],
                    device: torch.device) -> Tuple[Tensor, Tensor, Tensor]:
        """``(B, L, D)`` projected token features, ``(B, L)`` bool mask
        (True at real tokens) and ``(B, D)`` sentence feature (masked mean
        of the projected tokens)."""
        return encode_projected_text(self.text_encoder, self.text_proj, texts,
                                     device)

    def forward(self, inputs: Tensor,
                texts: Sequence[str]) -> Dict[str, Tensor]:
        """Run the segmenter on windows of frames.

        Args:
            inputs (Tensor): ``(B, F, 3, H, W)`` normalised frames (H and W
                multiples of 8 are best).
            texts (Sequence[str]): B sentences.

        Returns:
            dict: ``cls_logits`` ``(Ld, B, F, Q)``, ``boxes`` ``(Ld, B, F,
            Q, 4)`` normalised (cx, cy, w, h), ``mask_logits`` ``(Ld, B, F,
            Q, h, w)`` (only the last layer's, ``Ld = 1``, when
            ``aux_loss`` is off or in eval mode) and, with the text-pixel
            map (in training, or with ``mask_text_score``),
            ``pixel_logits`` ``(B, F, h, w)``.
        """
        if not isinstance(inputs, Tensor) or inputs.dim() != 5 or \
                inputs.shape[2] != 3:
            raise ValueError('inputs must be a (B, F, 3, H, W) tensor, got '
                             f'{getattr(inputs, "shape", type(inputs))}')
        texts = [texts] if isinstance(texts, str) else list(texts)
        B, Fr, _, H, W = inputs.shape
        if len(texts) != B:
            raise ValueError(f'{len(texts)} sentences for a batch of {B}')
        if not torch.isfinite(inputs).all():
            raise ValueError('inputs contain NaN or inf')
        N = B * Fr
        device = inputs.device
        tokens, text_mask, sentence = self.encode_text(texts, device)
        tokens = tokens.repeat_interleave(Fr, 0)
        text_mask = text_mask.repeat_interleave(Fr, 0)
        sentence = sentence.repeat_interleave(Fr, 0)

        feats = self.neck(self.backbone(inputs.flatten(0, 1)))
        srcs, poss, shapes = [], [], []
        for lvl, feat in enumerate(feats):
            h, w = feat.shape[-2:]
            pad = feat.new_zeros((N, h, w), dtype=torch.bool)
            pos = self.positional_encoding(pad).flatten(2).transpose(1, 2)
            src = feat.flatten(2).transpose(1, 2)
            src = self.fusion[lvl](src, pos, tokens, text_mask)
            srcs.append(src)
            poss.append(pos + self.level_embed[lvl].view(1, 1, -1))
            shapes.append((h, w))
        spatial_shapes = torch.as_tensor(
            shapes, dtype=torch.long, device=device)
        level_start_index = torch.cat([
            spatial_shapes.new_zeros((1, )),
            spatial_shapes.prod(1).cumsum(0)[:-1]
        ])
        valid_ratios = inputs.new_ones((N, self.num_levels, 2))
        src = torch.cat(srcs, 1)
        pad_mask = src.new_zeros(src.shape[:2], dtype=torch.bool)
        memory = self.encoder(
            query=src,
            query_pos=torch.cat(poss, 1),
            key_padding_mask=pad_mask,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
            valid_ratios=valid_ratios)

        query_pos, query = self.query_embedding.weight.split(
            self.embed_dims, dim=1)
        query_pos = query_pos.unsqueeze(0).expand(N, -1, -1)
        query = query.unsqueeze(0) + sentence.unsqueeze(1)
        reference = self.reference_points_fc(query_pos).sigmoid()
        hidden, refs = self.decoder(
            query=query,
            query_pos=query_pos,
            value=memory,
            key_padding_mask=pad_mask,
            reference_points=reference,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
            valid_ratios=valid_ratios,
            reg_branches=self.reg_branches)
        # hidden: (Ld, N, Q, D); refs: (Ld, N, Q, 4) after each layer
        cls_list, box_list = [], []
        for lyr in range(hidden.shape[0]):
            ref = reference if lyr == 0 else refs[lyr - 1]
            delta = self.reg_branches[lyr](hidden[lyr])
            ref_logit = self._inverse_sigmoid(ref)
            if ref.shape[-1] == 4:
                delta = delta + ref_logit
            else:
                delta = torch.cat([delta[..., :2] + ref_logit, delta[..., 2:]],
                                  -1)
            box_list.append(delta.sigmoid())
            cls_list.append(self.cls_branches[lyr](hidden[lyr]).squeeze(-1))
        cls_logits = torch.stack(cls_list)
        boxes = torch.stack(box_list)

        # mask features at stride 8: sum of the first three encoder levels
        h0, w0 = shapes[0]
        fpn = memory_fpn(memory, shapes, self.embed_dims, 3)
        mask_feat = self.mask_branch(fpn)  # (N, Cm, h0, w0)
        layers = range(hidden.shape[0]) if (self.aux_loss and self.training) \
            else [hidden.shape[0] - 1]
        masks = torch.stack([
            self._dynamic_masks(hidden[lyr], boxes[lyr].detach(), mask_feat)
            for lyr in layers
        ])
        Q = self.num_queries
        pixel_logits = None
        if self.loss_text_pixel is not None and (self.training
                                                 or self.mask_text_score):
            pixel_logits = text_pixel_logits(
                self.pixel_proj, self.sentence_proj, fpn, sentence,
                inputs.flatten(0, 1) if self.pixel_colour else None)
        if self.mask_text_score:
            # the layers with masks (all in training with aux_loss, else
            # the last) get the text score under each query's mask
            cls_logits = add_mask_text_scores(cls_logits, masks, pixel_logits,
                                              self.text_score_scale)
        out = dict(
            cls_logits=cls_logits.view(-1, B, Fr, Q),
            boxes=boxes.view(-1, B, Fr, Q, 4),
            mask_logits=masks.view(-1, B, Fr, Q, h0, w0))
        if pixel_logits is not None:
            out['pixel_logits'] = pixel_logits.view(B, Fr, h0, w0)
        return out

    def _dynamic_masks(self, hidden: Tensor, boxes: Tensor,
                       mask_feat: Tensor) -> Tensor:
        """``(N, Q, h, w)`` mask logits: each query's controller output is
        the weights of 1x1 convs on ``(N, Cm, h, w)`` mask features
        concatenated with the pixel offsets from the query's box centre."""
        return dynamic_mask_logits(
            self.controller(hidden), self.dynamic_shapes, boxes, mask_feat)

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def loss(
        self,
        inputs: Tensor,
        texts: Sequence[str],
        gt_masks: Sequence[Tensor],
        current_idx: Sequence[int],
        present: Optional[Sequence[Optional[Tensor]]] = None,
        people_masks: Optional[Sequence[Tensor]] = None,
        referred: Optional[Sequence[int]] = None
    ) -> Dict[str, Tensor]:
        """Losses of the queries matched to the referred object.

        Args:
            inputs (Tensor): ``(B, F, 3, H, W)`` normalised frames.
            texts (Sequence[str]): B sentences.
            gt_masks (Sequence[Tensor]): B ``(H, W)`` bool masks of the
                referred object at the current frame (input coords).
            current_idx (Sequence[int]): B indices of the current frame.
            present (Sequence, optional): B ``(F,)`` bool: frames where the
                referred object is present (its query is a positive of the
                class loss there); None: the current frame only.
            people_masks (Sequence[Tensor], optional): B ``(P, H, W)`` bool
                masks of every person at the current frame, and
            referred (Sequence[int], optional): the referred person's index
                among them; both needed with ``text_person_loss_weight``.

        Returns:
            dict: ``loss_cls``, ``loss_bbox``, ``loss_iou``, ``loss_mask``,
            ``loss_dice`` (last layer) and ``d{i}.loss_*`` for the earlier
            decoder layers when ``aux_loss``; ``loss_text_pixel`` and
            ``loss_text_person`` with those options.
        """
        B, Fr, _, H, W = inputs.shape
        if self.text_person_loss_weight and (people_masks is None
                                             or referred is None):
            raise ValueError('text_person_loss_weight needs people_masks '
                             'and referred (every person\'s mask)')
        targets = self._targets(gt_masks, current_idx, present, B, Fr, H, W,
                                inputs.device)
        out = self(inputs, texts)
        num_layers = out['cls_logits'].shape[0]
        num_mask_layers = out['mask_logits'].shape[0]
        losses = {}
        for lyr in range(num_layers):
            if lyr < num_layers - 1 and not self.aux_loss:
                continue
            mask_lyr = lyr - (num_layers - num_mask_layers)
            layer_losses = self._layer_loss(
                out['cls_logits'][lyr], out['boxes'][lyr],
                out['mask_logits'][mask_lyr] if mask_lyr >= 0 else None,
                targets, (H, W))
            prefix = '' if lyr == num_layers - 1 else f'd{lyr}.'
            losses.update({prefix + k: v for k, v in layer_losses.items()})
        if 'pixel_logits' in out:
            losses['loss_text_pixel'] = self._text_pixel_loss(
                out['pixel_logits'], targets)
            if self.text_person_loss_weight:
                cur = torch.as_tensor([t['cur'] for t in targets])
                losses['loss_text_person'] = self.text_person_loss_weight * \
                    person_text_loss(
                        out['pixel_logits'][torch.arange(B), cur],
                        people_masks, referred)
        return losses

    def _text_pixel_loss(self, pixel_logits: Tensor,
                         targets: List[dict]) -> Tensor:
        """Auxiliary loss of ``(B, F, h, w)`` text-pixel logits against
        the referred object's current-frame masks (all-background where
        the object is absent)."""
        h, w = pixel_logits.shape[-2:]
        preds, labels = [], []
        for b, tgt in enumerate(targets):
            gt = F.adaptive_avg_pool2d(tgt['mask'][None, None].float(),
                                       (h, w))[0, 0] >= 0.5
            preds.append(pixel_logits[b, tgt['cur']].reshape(-1))
            labels.append(gt.reshape(-1))
        return self.loss_text_pixel(
            torch.stack(preds),
            torch.stack(labels).float())

    def _targets(self, gt_masks, current_idx, present, B, Fr, H, W,
                 device) -> List[dict]:
        if len(gt_masks) != B or len(current_idx) != B:
            raise ValueError(f'need {B} gt_masks and current_idx, got '
                             f'{len(gt_masks)} and {len(current_idx)}')
        targets = []
        for b in range(B):
            mask = torch.as_tensor(gt_masks[b], device=device).bool()
            if mask.shape != (H, W):
                raise ValueError(f'gt mask {b} has shape {tuple(mask.shape)},'
                                 f' the input is {(H, W)}')
            cur = int(current_idx[b])
            if not 0 <= cur < Fr:
                raise ValueError(f'current_idx {cur} outside the {Fr} frames')
            frames = torch.zeros(Fr, dtype=torch.bool, device=device)
            if present is not None and present[b] is not None:
                p = torch.as_tensor(present[b], device=device).bool()
                if p.shape != (Fr, ):
                    raise ValueError(f'present[{b}] must have shape ({Fr},),'
                                     f' got {tuple(p.shape)}')
                frames |= p
            frames[cur] = True
            box = mask_to_box(mask)
            box_norm = box / box.new_tensor([W, H, W, H])
            targets.append(
                dict(
                    mask=mask,
                    cur=cur,
                    frames=frames,
                    valid=bool(mask.any()),
                    box=box,
                    box_norm=box_xyxy_to_cxcywh(box_norm)))
        return targets

    def _resize_pred(self, mask_logits: Tensor, size: Tuple[int,
                                                            int]) -> Tensor:
        return F.interpolate(
            mask_logits.unsqueeze(1),
            size=size,
            mode='bilinear',
            align_corners=False).squeeze(1)

    def _layer_loss(self, cls_logits: Tensor, boxes: Tensor,
                    mask_logits: Optional[Tensor], targets: List[dict],
                    input_size: Tuple[int, int]) -> Dict[str, Tensor]:
        """Losses of one decoder layer: ``(B, F, Q)`` logits, ``(B, F, Q,
        4)`` boxes, ``(B, F, Q, h, w)`` mask logits (or None)."""
        H, W = input_size
        s = self.mask_loss_stride
        size = (math.ceil(H / s), math.ceil(W / s))
        scale = boxes.new_tensor([W, H, W, H])
        labels = torch.ones(
            cls_logits.shape, dtype=torch.long,
            device=cls_logits.device)  # 1 = background
        pos_boxes, tgt_boxes, tgt_boxes_px = [], [], []
        pos_masks, tgt_masks = [], []
        for b, tgt in enumerate(targets):
            if not tgt['valid']:
                continue
            cur = tgt['cur']
            gt_mask = F.interpolate(
                tgt['mask'][None, None].float(),
                size=size,
                mode='bilinear',
                align_corners=False)[0, 0] >= 0.5
            if not gt_mask.any():
                gt_mask = F.adaptive_max_pool2d(
                    tgt['mask'][None, None].float(), size)[0, 0] > 0
            q = self.match(
                cls_logits[b, cur], boxes[b, cur],
                None if mask_logits is None else mask_logits[b, cur],
                tgt['box'], gt_mask, input_size)
            labels[b, tgt['frames'], q] = 0
            pos_boxes.append(boxes[b, cur, q])
            tgt_boxes.append(tgt['box_norm'])
            tgt_boxes_px.append(tgt['box'])
            if mask_logits is not None:
                pos_masks.append(
                    self._resize_pred(mask_logits[b, cur, q][None], size)[0])
                tgt_masks.append(gt_mask)
        num_pos = len(pos_boxes)
        num_cls_pos = max(int((labels == 0).sum()), 1)
        losses = dict(
            loss_cls=self.loss_cls(
                cls_logits.reshape(-1, 1),
                labels.reshape(-1),
                avg_factor=num_cls_pos))
        zero = cls_logits.sum() * 0
        if num_pos == 0:
            losses.update(
                loss_bbox=zero, loss_iou=zero, loss_mask=zero, loss_dice=zero)
            return losses
        pos_boxes = torch.stack(pos_boxes)
        losses['loss_bbox'] = self.loss_bbox(
            pos_boxes, torch.stack(tgt_boxes), avg_factor=num_pos)
        losses['loss_iou'] = self.loss_iou(
            box_cxcywh_to_xyxy(pos_boxes) * scale,
            torch.stack(tgt_boxes_px),
            avg_factor=num_pos)
        if mask_logits is None:
            losses.update(loss_mask=zero, loss_dice=zero)
            return losses
        pred = torch.stack(pos_masks).flatten(1)
        tgt = torch.stack(tgt_masks).flatten(1)
        losses['loss_mask'] = self.loss_mask(
            pred.reshape(-1, 1), (~tgt).long().reshape(-1),
            avg_factor=pred.numel())
        losses['loss_dice'] = self.loss_dice(pred, tgt, avg_factor=num_pos)
        return losses

    @torch.no_grad()
    def match(self, cls_logits: Tensor, boxes: Tensor,
              mask_logits: Optional[Tensor], gt_box: Tensor, gt_mask: Tensor,
              input_size: Tuple[int, int]) -> int:
        """Index of the query that mmdet's HungarianAssigner gives to the
        one referred object.

        Args:
            cls_logits (Tensor): ``(Q,)`` logits at the current frame.
            boxes (Tensor): ``(Q, 4)`` normalised (cx, cy, w, h).
            mask_logits (Tensor, optional): ``(Q, h, w)`` mask logits
                (resized to ``gt_mask``'s size); None: no dice cost.
            gt_box (Tensor): ``(4,)`` pixel (x1, y1, x2, y2).
            gt_mask (Tensor): ``(h', w')`` bool target mask.
            input_size (tuple): ``(H, W)`` of the input.

        Returns:
            int: The matched query.
        """
        return hungarian_match(self.assigner, cls_logits, boxes, mask_logits,
                               gt_box, gt_mask, input_size)

    # ------------------------------------------------------------------
    # inference
    # ------------------------------------------------------------------
    @torch.no_grad()
    def predict(self,
                inputs: Tensor,
                texts: Sequence[str],
                current_idx: Optional[Sequence[int]] = None,
                mask_thr: float = 0.5) -> List[dict]:
        """The referred object of every window: the query with the highest
        mean score over the window's frames, and its masks.

        Args:
            inputs (Tensor): ``(B, F, 3, H, W)`` normalised frames.
            texts (Sequence[str]): B sentences.
            current_idx (Sequence[int], optional): B current-frame indices
                (default: the middle frame).
            mask_thr (float): Threshold of the mask probability.

        Returns:
            list[dict]: per window ``query`` (int), ``score`` (float, mean
            score over the frames), ``frame_scores`` ``(F,)``, ``boxes``
            ``(F, 4)`` normalised (cx, cy, w, h), ``masks`` ``(F, H, W)``
            bool, ``mask`` ``(H, W)`` bool at the current frame and ``box``
            ``(4,)`` at the current frame (all tensors on the CPU).
        """
        B, Fr, _, H, W = inputs.shape
        if current_idx is None:
            current_idx = [Fr // 2] * B
        out = self(inputs, texts)
        probs = out['cls_logits'][-1].sigmoid()  # (B, F, Q)
        results = []
        for b in range(B):
            cur = int(current_idx[b])
            if not 0 <= cur < Fr:
                raise ValueError(f'current_idx {cur} outside the {Fr} frames')
            q = int(probs[b].mean(0).argmax())
            logits = self._resize_pred(out['mask_logits'][-1, b, :, q], (H, W))
            masks = (logits.sigmoid() > mask_thr).cpu()
            results.append(
                dict(
                    query=q,
                    score=float(probs[b, :, q].mean()),
                    frame_scores=probs[b, :, q].cpu(),
                    boxes=out['boxes'][-1, b, :, q].cpu(),
                    masks=masks,
                    mask=masks[cur],
                    box=out['boxes'][-1, b, cur, q].cpu()))
        return results
