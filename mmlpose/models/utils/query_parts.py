# Copyright (c) mmlpose contributors. All rights reserved.
"""Query-based referring parts shared by the ReferFormer-style segmenter
(:mod:`mmlpose.models.rvos_adapters.referformer`) and CPP
(:mod:`mmlpose.models.pose_estimators.cpp`): mmdet's deformable transformer
pieces, box utilities, the text cross-attention fusion, the dynamic mask
head's convolution, the stride-8 mask feature map of the encoder memory and
the one-target Hungarian match (mmdet's ``HungarianAssigner``)."""
import math
from contextlib import contextmanager
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor, nn


#: Mask focal loss / class focal loss of the referring heads (mmdet).
FOCAL_LOSS = dict(
    type='mmdet.FocalLoss',
    use_sigmoid=True,
    gamma=2.0,
    alpha=0.25,
    loss_weight=2.0)
#: Dice loss of the referring masks (mmdet), ReferFormer's weight 5.
DICE_LOSS = dict(
    type='mmdet.DiceLoss',
    use_sigmoid=True,
    activate=True,
    naive_dice=True,
    eps=1.0,
    loss_weight=5.0)


def referring_assigner(bbox_weight: float) -> dict:
    """mmdet ``HungarianAssigner`` of one query to the referred object:
    focal class 2, box L1 ``bbox_weight``, GIoU 2 and dice 5 costs."""
    return dict(
        type='mmdet.HungarianAssigner',
        match_costs=[
            dict(type='mmdet.FocalLossCost', weight=2.0),
            dict(type='mmdet.BBoxL1Cost', weight=bbox_weight,
                 box_format='xywh'),
            dict(type='mmdet.IoUCost', iou_mode='giou', weight=2.0),
            dict(
                type='mmdet.DiceCost',
                weight=5.0,
                pred_act=True,
                naive_dice=True,
                eps=1.0)
        ])


def encode_projected_text(text_encoder: nn.Module,
                          text_proj: nn.Module,
                          texts: Sequence[str],
                          device: torch.device,
                          with_grad: bool = False
                          ) -> Tuple[Tensor, Tensor, Tensor]:
    """A sentence encoder's token features through ``text_proj``:
    ``(B, L, D)`` tokens, ``(B, L)`` bool mask (True at real tokens) and the
    ``(B, D)`` sentence feature (masked mean of the projected tokens).
    ``with_grad`` calls ``encode_tokens`` past its ``no_grad`` (a trained
    text encoder)."""
    if with_grad:
        fn = type(text_encoder).encode_tokens
        fn = getattr(fn, '__wrapped__', fn)
        tokens, mask = fn(text_encoder, list(texts))
    else:
        tokens, mask = text_encoder.encode_tokens(list(texts))
    tokens = text_proj(tokens.to(device).float())
    mask = mask.to(device)
    weights = mask.unsqueeze(-1).to(tokens.dtype)
    sentence = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1)
    return tokens, mask, sentence


def _mmdet_parts():
    """Import mmdet's transformer pieces (registers mmdet's modules):
    ``(DeformableDetrTransformerEncoder, DeformableDetrTransformerDecoder,
    SinePositionalEncoding, inverse_sigmoid)``."""
    try:
        import mmdet.models  # noqa: F401
        from mmdet.models.layers import (DeformableDetrTransformerDecoder,
                                         DeformableDetrTransformerEncoder,
                                         SinePositionalEncoding)
        from mmdet.models.layers.transformer import inverse_sigmoid
    except ImportError as e:
        raise ImportError('the query-based referring models need mmdet 3.x '
                          f'and mmcv with ops: {e}') from e
    return (DeformableDetrTransformerEncoder, DeformableDetrTransformerDecoder,
            SinePositionalEncoding, inverse_sigmoid)


mmdet_transformer_parts = _mmdet_parts


def box_cxcywh_to_xyxy(boxes: Tensor) -> Tensor:
    """``(..., 4)`` (cx, cy, w, h) -> (x1, y1, x2, y2)."""
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)


def box_xyxy_to_cxcywh(boxes: Tensor) -> Tensor:
    """``(..., 4)`` (x1, y1, x2, y2) -> (cx, cy, w, h)."""
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], -1)


def mask_to_box(mask: Tensor) -> Tensor:
    """``(H, W)`` bool mask -> ``(4,)`` pixel box ``(x1, y1, x2, y2)`` that
    covers its pixels (x2, y2 exclusive); zeros for an empty mask."""
    ys, xs = torch.nonzero(mask, as_tuple=True)
    if len(xs) == 0:
        return mask.new_zeros(4, dtype=torch.float32)
    return torch.stack([xs.min(),
                        ys.min(),
                        xs.max() + 1,
                        ys.max() + 1]).float()


def _drop_text_encoder(module: nn.Module, state_dict: dict, prefix: str,
                       local_metadata: dict) -> None:
    """State-dict hook: leave a frozen ``module.text_encoder`` out unless
    ``module.save_text_encoder``."""
    if module.save_text_encoder:
        return
    for key in [
            k for k in state_dict if k.startswith(prefix + 'text_encoder.')
    ]:
        del state_dict[key]


def _fill_text_encoder(module: nn.Module, state_dict: dict, prefix: str,
                       *args) -> None:
    """Load pre-hook: text encoder weights missing from the state dict are
    those of the built encoder (so strict loading works)."""
    encoder = getattr(module, 'text_encoder', None)
    if encoder is None:
        return
    for key, value in encoder.state_dict().items():
        full = prefix + 'text_encoder.' + key
        if full not in state_dict:
            state_dict[full] = value


class MLP(nn.Module):
    """``num_layers`` linear layers with ReLU between them."""

    def __init__(self, in_dims: int, hidden_dims: int, out_dims: int,
                 num_layers: int) -> None:
        super().__init__()
        dims = [in_dims] + [hidden_dims] * (num_layers - 1) + [out_dims]
        self.layers = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, x: Tensor) -> Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
        return x


class TextCrossAttention(nn.Module):
    """Visual tokens attend to the text tokens (multi-head cross attention,
    residual, LayerNorm).

    Args:
        embed_dims (int): Width D.
        num_heads (int): Attention heads.
        dropout (float): Dropout on the attention output.
    """

    def __init__(self, embed_dims: int, num_heads: int,
                 dropout: float) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=dropout, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, visual: Tensor, visual_pos: Tensor, text: Tensor,
                text_mask: Tensor) -> Tensor:
        """``(N, S, D)`` visual tokens (+ ``(N, S, D)`` positions) attend to
        ``(N, L, D)`` text tokens, ``(N, L)`` bool True at real tokens;
        returns ``(N, S, D)``."""
        out, _ = self.attn(
            visual + visual_pos, text, text, key_padding_mask=~text_mask)
        return self.norm(visual + self.drop(out))


def dynamic_mask_shapes(mask_dims: int, dynamic_dims: int,
                        dynamic_layers: int) -> List[Tuple[int, int]]:
    """``(in, out)`` channels of the dynamic 1x1 convs: the mask features
    plus 2 relative coordinates in, one logit out."""
    dims = [mask_dims + 2] + [dynamic_dims] * (dynamic_layers - 1) + [1]
    return list(zip(dims[:-1], dims[1:]))


def dynamic_mask_logits(params: Tensor, shapes: Sequence[Tuple[int, int]],
                        boxes: Tensor, mask_feat: Tensor) -> Tensor:
    """CondInst / ReferFormer dynamic mask head.

    Args:
        params (Tensor): ``(N, Q, P)`` conv weights and biases generated by
            each query (``P = sum(i * o + o)`` over ``shapes``).
        shapes (Sequence): ``(in, out)`` channels per 1x1 conv.
        boxes (Tensor): ``(N, Q, >=2)`` normalised boxes (centre first).
        mask_feat (Tensor): ``(N, Cm, h, w)`` mask features.

    Returns:
        Tensor: ``(N, Q, h, w)`` mask logits (mask features concatenated
        with the pixel offsets from each query's box centre, through the
        query's convs).
    """
    N, Q = params.shape[:2]
    h, w = mask_feat.shape[-2:]
    ys = (torch.arange(h, device=params.device, dtype=params.dtype) + 0.5) / h
    xs = (torch.arange(w, device=params.device, dtype=params.dtype) + 0.5) / w
    grid = torch.stack(torch.meshgrid(xs, ys, indexing='xy'), 0)
    rel = boxes[..., :2, None, None] - grid  # (N, Q, 2, h, w)
    x = torch.cat([rel, mask_feat.unsqueeze(1).expand(-1, Q, -1, -1, -1)], 2)
    start = 0
    for i, (cin, cout) in enumerate(shapes):
        weight = params[..., start:start + cin * cout].reshape(N, Q, cout, cin)
        start += cin * cout
        bias = params[..., start:start + cout]
        start += cout
        x = torch.einsum('nqoc,nqchw->nqohw', weight, x) + \
            bias[..., None, None]
        if i < len(shapes) - 1:
            x = F.relu(x)
    return x.squeeze(2)


def memory_fpn(memory: Tensor,
               shapes: Sequence[Tuple[int, int]],
               embed_dims: int,
               num_levels: int = 3) -> Tensor:
    """``(N, D, h0, w0)`` map of the finest level: the first ``num_levels``
    levels of the ``(N, S, D)`` encoder memory summed top-down (coarser
    levels upsampled bilinearly)."""
    N = memory.shape[0]
    levels = memory.split([h * w for h, w in shapes], dim=1)
    fpn = None
    for lvl in reversed(range(min(num_levels, len(shapes)))):
        h, w = shapes[lvl]
        x = levels[lvl].transpose(1, 2).reshape(N, embed_dims, h, w)
        if fpn is not None:
            x = x + F.interpolate(
                fpn, size=(h, w), mode='bilinear', align_corners=False)
        fpn = x
    return fpn


def colour_map(inputs: Tensor, size: Tuple[int, int]) -> Tensor:
    """``(N, 3, *size)`` mean colour of each cell of the ``(N, 3, H, W)``
    normalised frames (area pooling): the low-level colour that a
    colour-word sentence names, next to the learned features."""
    return F.adaptive_avg_pool2d(inputs, size)


def mask_pooled_scores(mask_logits: Tensor, pixel_logits: Tensor) -> Tensor:
    """Mean text-pixel logit under each query's soft mask.

    Args:
        mask_logits (Tensor): ``(..., N, Q, h, w)`` query mask logits (used
            as weights only: no gradient flows into the masks).
        pixel_logits (Tensor): ``(N, h, w)`` text-pixel logits.

    Returns:
        Tensor: ``(..., N, Q)``.
    """
    weights = mask_logits.detach().sigmoid()
    total = (weights * pixel_logits.unsqueeze(-3)).sum((-2, -1))
    return total / weights.sum((-2, -1)).clamp_min(1e-6)


def check_text_pixel_options(text_pixel_loss: Optional[dict],
                             pixel_colour: bool, mask_text_score: bool,
                             text_person_loss_weight: float) -> None:
    """Raise a clear error when the text-pixel map's options are set
    without the map (``text_pixel_loss``) or the person-loss weight is
    negative."""
    if (pixel_colour or mask_text_score
            or text_person_loss_weight) and text_pixel_loss is None:
        raise ValueError('pixel_colour, mask_text_score and '
                         'text_person_loss_weight need text_pixel_loss '
                         '(the text-pixel map)')
    if text_person_loss_weight < 0:
        raise ValueError('text_person_loss_weight must be >= 0, got '
                         f'{text_person_loss_weight}')


def pixel_projection(embed_dims: int, with_colour: bool) -> nn.Module:
    """Projection of the stride-8 features for :func:`text_pixel_logits`:
    a 1x1 conv, or with the 3 :func:`colour_map` channels beside the
    features two 1x1 convs with a ReLU (a colour word names a region of
    colour space, such as grey between black and white, that a linear
    form cannot pick out)."""
    if not with_colour:
        return nn.Conv2d(embed_dims, embed_dims, 1)
    return nn.Sequential(
        nn.Conv2d(embed_dims + 3, embed_dims, 1), nn.ReLU(inplace=True),
        nn.Conv2d(embed_dims, embed_dims, 1))


def text_pixel_logits(pixel_proj: nn.Module,
                      sentence_proj: nn.Module,
                      fpn: Tensor,
                      sentence: Tensor,
                      frames: Optional[Tensor] = None) -> Tensor:
    """``(N, h, w)`` text-pixel map (CRIS style): the scaled dot product of
    the projected ``(N, D, h, w)`` stride-8 features (with the
    :func:`colour_map` of the ``(N, 3, H, W)`` ``frames`` beside them when
    given) and the projected ``(N, D)`` sentence feature."""
    if frames is not None:
        fpn = torch.cat([fpn, colour_map(frames, tuple(fpn.shape[-2:]))], 1)
    pix = pixel_proj(fpn)
    txt = sentence_proj(sentence)
    return torch.einsum('ndhw,nd->nhw', pix, txt) / math.sqrt(pix.shape[1])


def add_mask_text_scores(cls_logits: Tensor, mask_logits: Tensor,
                         pixel_logits: Tensor, scale: Tensor) -> Tensor:
    """``(L, N, Q)`` referred logits with ``scale`` times the detached
    text-pixel map's mean under each query's mask, centred over the
    queries (only which query the map prefers counts, not the map's
    offset), added to the last ``Lm`` layers, those with
    ``(Lm, N, Q, h, w)`` mask logits."""
    pooled = mask_pooled_scores(mask_logits, pixel_logits.detach())
    scores = scale * (pooled - pooled.mean(-1, keepdim=True))
    num_plain = cls_logits.shape[0] - scores.shape[0]
    return torch.cat([cls_logits[:num_plain], cls_logits[num_plain:] + scores])


def person_text_loss(pixel_logits: Tensor, people_masks: Sequence[Tensor],
                     referred: Sequence[int]) -> Tensor:
    """Which person the sentence names, from the text-pixel map: the
    cross-entropy, over the people of each sample's frame, of the map's
    mean logit under each person's mask, the referred person the target
    (a person-level objective beside the per-pixel one: the map only has
    to score the named person above the others, not to paint the whole
    body; not in ReferFormer / CRIS).

    Args:
        pixel_logits (Tensor): ``(N, h, w)`` text-pixel logits.
        people_masks (Sequence[Tensor]): N ``(P_i, H, W)`` bool masks of
            every person of the frame (any resolution; resized with
            :func:`target_mask_at`).
        referred (Sequence[int]): N indices of the referred person.

    Returns:
        Tensor: Scalar mean over the samples with the referred person and
        at least one other person visible at the map's resolution; a zero
        that keeps the graph when there are none.
    """
    if len(people_masks) != len(pixel_logits) or \
            len(referred) != len(pixel_logits):
        raise ValueError(f'need {len(pixel_logits)} people_masks and '
                         f'referred, got {len(people_masks)} and '
                         f'{len(referred)}')
    size = tuple(pixel_logits.shape[-2:])
    losses = []
    for logits, masks, ref in zip(pixel_logits, people_masks, referred):
        masks = torch.as_tensor(masks, device=logits.device).bool()
        if masks.ndim != 3 or not 0 <= int(ref) < len(masks):
            raise ValueError(f'people masks must be (P, H, W) with the '
                             f'referred index {ref} among them, got '
                             f'{tuple(masks.shape)}')
        small = torch.stack([target_mask_at(m, size) for m in masks])
        shown = small.flatten(1).any(1)
        if not shown[int(ref)] or shown.sum() < 2:
            continue
        keep = torch.nonzero(shown)[:, 0]
        weights = small[keep].float()
        pooled = (weights * logits).sum((-2, -1)) / weights.sum((-2, -1))
        target = torch.nonzero(keep == int(ref))[0]
        losses.append(F.cross_entropy(pooled[None], target))
    if not losses:
        return pixel_logits.sum() * 0.
    return torch.stack(losses).mean()


def resize_logits(mask_logits: Tensor, size: Tuple[int, int]) -> Tensor:
    """``(Q, h, w)`` -> ``(Q, *size)`` bilinear."""
    return F.interpolate(
        mask_logits.unsqueeze(1),
        size=size,
        mode='bilinear',
        align_corners=False).squeeze(1)


def target_mask_at(mask: Tensor, size: Tuple[int, int]) -> Tensor:
    """A bool ``(H, W)`` mask at ``size``: bilinear >= 0.5, or max-pooled
    when that empties a non-empty mask (a small object)."""
    small = F.interpolate(
        mask[None, None].float(),
        size=size,
        mode='bilinear',
        align_corners=False)[0, 0] >= 0.5
    if not small.any() and mask.any():
        small = F.adaptive_max_pool2d(mask[None, None].float(), size)[0, 0] > 0
    return small


@torch.no_grad()
def hungarian_match(assigner, cls_logits: Tensor, boxes: Tensor,
                    mask_logits: Optional[Tensor], gt_box: Tensor,
                    gt_mask: Tensor, input_size: Tuple[int, int]) -> int:
    """Index of the query that mmdet's HungarianAssigner gives to the one
    referred target.

    Args:
        assigner: A built mmdet ``HungarianAssigner``.
        cls_logits (Tensor): ``(Q,)`` logits.
        boxes (Tensor): ``(Q, 4)`` normalised (cx, cy, w, h).
        mask_logits (Tensor, optional): ``(Q, h, w)`` mask logits (resized
            to ``gt_mask``'s size); None: zero masks (no useful dice cost).
        gt_box (Tensor): ``(4,)`` pixel (x1, y1, x2, y2).
        gt_mask (Tensor): ``(h', w')`` bool target mask.
        input_size (tuple): ``(H, W)`` of the input.

    Returns:
        int: The matched query.
    """
    H, W = input_size
    scale = boxes.new_tensor([W, H, W, H])
    pred = InstanceData(
        scores=cls_logits.reshape(-1, 1).float(),
        bboxes=box_cxcywh_to_xyxy(boxes.float()) * scale)
    gt = InstanceData(
        labels=torch.zeros(1, dtype=torch.long, device=boxes.device),
        bboxes=gt_box.reshape(1, 4).float().to(boxes.device))
    if mask_logits is not None:
        pred.masks = resize_logits(mask_logits.float(), tuple(gt_mask.shape))
    else:
        pred.masks = boxes.new_zeros((len(boxes), ) + tuple(gt_mask.shape))
    gt.masks = gt_mask[None]
    result = assigner.assign(pred, gt, img_meta=dict(img_shape=(H, W)))
    return int(torch.nonzero(result.gt_inds > 0)[0, 0])


def init_detr_heads(cls_branches: nn.ModuleList,
                    reg_branches: nn.ModuleList,
                    size_bias: Optional[float] = -2.0,
                    prior_prob: float = 0.01) -> None:
    """Deformable DETR's head initialisation: rare positives (bias of the
    class logits at ``prior_prob``), box deltas zero (and the size logits
    at ``size_bias`` when not None)."""
    prior = -math.log((1 - prior_prob) / prior_prob)
    for cls in cls_branches:
        nn.init.constant_(cls.bias, prior)
    for reg in reg_branches:
        nn.init.zeros_(reg.layers[-1].weight)
        nn.init.zeros_(reg.layers[-1].bias)
        if size_bias is not None:
            nn.init.constant_(reg.layers[-1].bias[2:], size_bias)


@contextmanager
def text_encoder_weights_kept(text_encoder: Optional[nn.Module]):
    """Restore ``text_encoder``'s weights (a pretrained encoder) after the
    block, which re-initialises the model around it; nothing when None."""
    state = None if text_encoder is None else {
        k: v.clone()
        for k, v in text_encoder.state_dict().items()
    }
    yield
    if state is not None:
        text_encoder.load_state_dict(state)


def reinit_deformable_attention(encoder: nn.Module,
                                decoder: nn.Module) -> None:
    """Re-apply mmdet's own initialisation of the deformable attentions of a
    Deformable DETR encoder (self) and decoder (cross), which a model-wide
    ``init_weights`` overrides."""
    for layer in encoder.layers:
        layer.self_attn.init_weights()
    for layer in decoder.layers:
        layer.cross_attn.init_weights()
