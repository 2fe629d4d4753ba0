# Copyright (c) mmlpose contributors. All rights reserved.
"""LangPose: a sequence lifter trained with motion-language alignment."""
import copy
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpose.utils.typing import ConfigType, OptConfigType, SampleList
from torch import Tensor

from mmlpose.models.utils import flip_pose
from mmlpose.registry import MODELS
from .seq_pose_lifter import SeqPoseLifter


@MODELS.register_module()
class LangPoseLifter(SeqPoseLifter):
    """LangPose: a :class:`SeqPoseLifter` (pose encoder ``backbone`` + 3D
    ``head``) whose features are also pooled by ``motion_head`` into a
    motion embedding aligned with a text encoder's sentence embedding.

    Training (:meth:`loss`), per batch:

    - the head's 3D losses: reconstruction of the full 3D target from the
      2D input, which the data pipeline may have masked and noised
      (``MaskBodyParts``, ``MaskTimeWindows``, ``RandomJointFrameMask``,
      ``Add2DNoise``);
    - ``loss_align`` = ``align_loss_weight`` x ``contrastive_loss``
      (InfoNCE) of the motion and text embeddings, when every sample has a
      sentence ``metainfo[text_key]`` and there is a ``text_encoder``.
      Identical sentences are no negatives of each other; with
      ``text_similarity_filter`` the cosines of the text encoder's pooled
      (pre-projection) features drive TMR's near-duplicate filtering too;
    - ``loss_cls`` = ``cls_loss_weight`` x cross-entropy of the action
      logits, when every sample has an int ``metainfo[label_key]`` and the
      motion head has a classifier (stage 1);
    - ``loss_distill`` = ``distill_loss_weight`` x mean(1 - cos(embed,
      teacher embed)), when ``distill_loss_weight > 0`` (stage 2). The
      teacher is a frozen copy of ``backbone`` + ``motion_head`` taken at the
      first training step, i.e. after ``load_from`` put the stage-1 weights
      in. It is not in the state dict: resuming a run takes it afresh from
      the resumed weights.

    A loss whose weight is 0 is not computed (its key is absent).

    Prediction (:meth:`predict`): the 3D of :class:`SeqPoseLifter` (flip
    test optional), plus, in each sample's ``pred_instances`` metainfo (so
    that ``pred_instances.motion_embedding`` reads it; ``pred_instances``
    holds one instance per frame), ``motion_embedding`` (1, D) float32 numpy
    L2-normalised, computed from the unflipped input, and, for samples with
    ``metainfo[text_key]``, ``text_embedding`` (1, D).

    The motion-language space alone: :meth:`embed_motion`,
    :meth:`embed_text`, :meth:`pair_similarity`.

    Note:
        - batch size: B, frames: T, keypoints: K, embedding width: D

    Args:
        backbone (dict): Pose encoder config (e.g. ``MixSTE``).
        head (dict): 3D head config (e.g. ``SeqRegressionHead``).
        motion_head (dict): ``MotionEmbeddingHead`` config.
        text_encoder (dict, optional): ``LangPoseTextEncoder`` config; its
            ``embed_dim`` must equal the motion head's. Defaults to None (no
            alignment loss, no text embeddings).
        contrastive_loss (dict): Alignment loss config. Defaults to
            ``InfoNCELoss``.
        cls_loss_weight (float): Weight of ``loss_cls``. Defaults to 1.
        align_loss_weight (float): Weight of ``loss_align``. Defaults to 1.
        distill_loss_weight (float): Weight of ``loss_distill``. Defaults to
            0.
        text_key (str): Metainfo key of the sentence. Defaults to
            ``'motion_text'``.
        label_key (str): Metainfo key of the action label. Defaults to
            ``'action_label'``.
        text_similarity_filter (bool): Filter near-duplicate texts by the
            cosine of their pooled encoder features (else only identical
            sentences). Defaults to True.
        train_cfg, test_cfg, data_preprocessor, init_cfg: as
            :class:`mmpose.models.PoseLifter`.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 motion_head: ConfigType,
                 text_encoder: OptConfigType = None,
                 contrastive_loss: ConfigType = dict(type='InfoNCELoss'),
                 cls_loss_weight: float = 1.0,
                 align_loss_weight: float = 1.0,
                 distill_loss_weight: float = 0.0,
                 text_key: str = 'motion_text',
                 label_key: str = 'action_label',
                 text_similarity_filter: bool = True,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        super().__init__(
            backbone=backbone,
            head=head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        for name, weight in dict(
                cls_loss_weight=cls_loss_weight,
                align_loss_weight=align_loss_weight,
                distill_loss_weight=distill_loss_weight).items():
            if weight < 0:
                raise ValueError(f'{name} must be >= 0, got {weight}')
        self.motion_head = MODELS.build(motion_head)
        self.text_encoder = MODELS.build(
            text_encoder) if text_encoder is not None else None
        if self.text_encoder is not None and \
                self.text_encoder.embed_dim != self.motion_head.embed_dim:
            raise ValueError(
                f'text_encoder.embed_dim ({self.text_encoder.embed_dim}) '
                'must equal motion_head.embed_dim '
                f'({self.motion_head.embed_dim})')
        self.contrastive_loss = MODELS.build(contrastive_loss)
        self.cls_loss_weight = float(cls_loss_weight)
        self.align_loss_weight = float(align_loss_weight)
        self.distill_loss_weight = float(distill_loss_weight)
        self.text_key = text_key
        self.label_key = label_key
        self.text_similarity_filter = bool(text_similarity_filter)
        # kept out of the module tree: not in state_dict nor parameters()
        self._teacher: List[nn.Module] = []

    @property
    def embed_dim(self) -> int:
        """Width D of the motion-language space."""
        return self.motion_head.embed_dim

    # ---- the motion-language space -------------------------------------
    def check_inputs(self, inputs: Tensor) -> None:
        """One-line ValueError unless ``inputs`` is (B, T, K, C)."""
        if not isinstance(inputs, Tensor) or inputs.ndim != 4:
            shape = tuple(getattr(inputs, 'shape', ()))
            raise ValueError('LangPoseLifter expects (B, T, K, C) keypoint '
                             f'sequences, got shape {shape}')

    def embed_motion(self, inputs: Tensor) -> Tensor:
        """``(B, T, K, 2)`` normalised 2D (the codec's ``keypoint_labels``)
        -> ``(B, D)`` L2-normalised motion embeddings."""
        self.check_inputs(inputs)
        embed = self.motion_head(self.extract_feat(inputs))['embed']
        return F.normalize(embed, dim=-1)

    def embed_text(self, texts: Sequence[str]) -> Tensor:
        """N sentences -> ``(N, D)`` L2-normalised text embeddings."""
        if self.text_encoder is None:
            raise ValueError('this LangPoseLifter has no text_encoder')
        return F.normalize(self.text_encoder(texts), dim=-1)

    def pair_similarity(self, inputs: Tensor, texts: Sequence[str]) -> Tensor:
        """``(B,)`` cosine of motion ``i`` and sentence ``i``."""
        self.check_inputs(inputs)
        if isinstance(texts, str) or len(texts) != len(inputs):
            n = 1 if isinstance(texts, str) else len(texts)
            raise ValueError(f'got {n} texts for a batch of {len(inputs)} '
                             'motions: need one per motion')
        return (self.embed_motion(inputs) * self.embed_text(texts)).sum(-1)

    # ---- training ------------------------------------------------------
    def _metainfo_all(self, data_samples: SampleList,
                      key: str) -> Optional[list]:
        """``metainfo[key]`` of every sample, or None if one lacks it."""
        values = [d.metainfo.get(key) for d in data_samples]
        return None if any(v is None for v in values) else values

    def teacher(self) -> nn.Module:
        """The frozen ``backbone`` + ``motion_head`` copy (taken now if not
        taken yet)."""
        if not self._teacher:
            teacher = nn.ModuleDict(
                dict(
                    backbone=copy.deepcopy(self.backbone),
                    motion_head=copy.deepcopy(self.motion_head)))
            teacher.requires_grad_(False).eval()
            self._teacher.append(teacher)
        return self._teacher[0]

    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        """3D, alignment, classification and distillation losses (see the
        class docstring)."""
        self.check_inputs(inputs)
        if len(data_samples) != len(inputs):
            raise ValueError(f'got {len(data_samples)} data samples for a '
                             f'batch of {len(inputs)}')
        if not all('gt_instance_labels' in d for d in data_samples):
            raise ValueError('LangPoseLifter.loss needs gt_instance_labels '
                             '(the 3D targets) in every data sample')
        if self.distill_loss_weight > 0:
            teacher = self.teacher()  # before this step's update
        feats = self.extract_feat(inputs)
        losses = dict(
            self.head.loss(feats, data_samples, train_cfg=self.train_cfg))
        motion = self.motion_head(feats)

        texts = self._metainfo_all(data_samples, self.text_key)
        if texts is not None and self.text_encoder is not None \
                and self.align_loss_weight > 0:
            pooled = self.text_encoder.pool(texts)
            text_embed = self.text_encoder.projection(pooled)
            similarity = None
            if self.text_similarity_filter:
                unit = F.normalize(pooled.detach(), dim=-1)
                similarity = unit @ unit.T
            losses['loss_align'] = self.align_loss_weight * \
                self.contrastive_loss(motion['embed'], text_embed,
                                      text_similarity=similarity,
                                      text_ids=texts)

        labels = self._metainfo_all(data_samples, self.label_key)
        if labels is not None and 'logits' in motion \
                and self.cls_loss_weight > 0:
            labels = torch.as_tensor(
                np.asarray(labels).reshape(-1), device=inputs.device)
            num_classes = motion['logits'].shape[1]
            if labels.dtype.is_floating_point or labels.min() < 0 or \
                    labels.max() >= num_classes:
                raise ValueError(f'{self.label_key} must be ints in [0, '
                                 f'{num_classes}), got {labels.tolist()}')
            losses['loss_cls'] = self.cls_loss_weight * F.cross_entropy(
                motion['logits'], labels.long())

        if self.distill_loss_weight > 0:
            teacher.to(inputs.device)
            with torch.no_grad():
                target = teacher['motion_head'](
                    teacher['backbone'](inputs))['embed']
            cos = F.cosine_similarity(motion['embed'], target, dim=-1)
            losses['loss_distill'] = self.distill_loss_weight * (1 -
                                                                 cos).mean()
        return losses

    # ---- inference -----------------------------------------------------
    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        """3D poses as :meth:`SeqPoseLifter.predict`, plus the motion (and
        text) embeddings in ``pred_instances`` (see the class docstring)."""
        assert self.with_head, 'The model must have a head to predict.'
        self.check_inputs(inputs)
        feats = self.extract_feat(inputs)
        if self.test_cfg.get('flip_test', False):
            flip_indices = data_samples[0].metainfo['flip_indices']
            head_feats = [
                feats,
                self.extract_feat(flip_pose(inputs, flip_indices))
            ]
        else:
            head_feats = feats
        preds = self.head.predict(
            head_feats, data_samples, test_cfg=self.test_cfg)
        if isinstance(preds, tuple):
            preds = preds[0]
        motion = F.normalize(self.motion_head(feats)['embed'], dim=-1)
        motion = motion.detach().float().cpu().numpy()
        with_text = [
            i for i, d in enumerate(data_samples)
            if d.metainfo.get(self.text_key) is not None
        ]
        text = {}
        if with_text and self.text_encoder is not None:
            emb = self.embed_text(
                [data_samples[i].metainfo[self.text_key] for i in with_text])
            text = dict(zip(with_text, emb.detach().float().cpu().numpy()))
        for i, pred in enumerate(preds):
            meta = dict(motion_embedding=motion[i:i + 1])
            if i in text:
                meta['text_embedding'] = text[i][None]
            pred.set_metainfo(meta)
        return self.add_pred_to_datasample(preds, None, None, None,
                                           data_samples)
