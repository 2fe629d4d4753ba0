# Copyright (c) mmlpose contributors. All rights reserved.
"""Symmetric InfoNCE between motion and text embeddings with TMR's filtering
of near-duplicate negatives."""
import math
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmlpose.registry import MODELS


@MODELS.register_module()
class InfoNCELoss(nn.Module):
    """Symmetric InfoNCE (CLIP / TMR) over a batch of B paired motions and
    texts.

    With ``m``, ``t`` the L2-normalised ``(B, D)`` motion and text embeddings
    and ``tau`` the temperature, the logits are ``L = m @ t.T / tau`` and::

        loss = loss_weight * (CE(L, arange(B)) + CE(L.T, arange(B))) / 2

    (motion-to-text rows, text-to-motion columns, each averaged over B).

    Filtering (TMR, Petrovich et al. 2023): pairs ``(i, j)``, ``i != j``,
    whose *texts* are near-duplicates are not negatives of each other: their
    logit is set to ``-inf`` in both directions (the diagonal is always kept).
    Near-duplicates are given by

    - ``text_similarity`` ``(B, B)``: cosine similarities of the texts
      (e.g. of a frozen sentence encoder, symmetric); as in TMR's code it is
      mapped to ``[0, 1]`` by ``(1 + cos) / 2`` and compared with
      ``filter_threshold``, so TMR's 0.8 removes pairs with cosine > 0.6;
    - ``text_ids`` ``(B,)``: equal ids are duplicates (similarity 1); a
      tensor, or a sequence of ints or strings (e.g. the sentences);

    or both (either suffices). ``filter_threshold=None`` turns filtering off.

    Temperature: stored as ``log(tau)``, initialised at ``temperature``
    (TMR: 0.1), learnable unless ``learnable_temperature=False`` (then a
    buffer), and clamped to ``temperature_range`` in the forward pass (no
    gradient outside the range, as CLIP's logit-scale clamp).

    Inputs are not checked for NaN (that would synchronise a GPU every step).

    Args:
        temperature (float): Initial (or fixed) temperature. Defaults to 0.1.
        learnable_temperature (bool): Learn ``log(tau)``. Defaults to True.
        temperature_range (Tuple[float, float]): Clamp of tau. Defaults to
            ``(0.01, 1.0)``.
        filter_threshold (float, optional): Rescaled text similarity above
            which a pair is no negative. Defaults to 0.8 (TMR).
        loss_weight (float): Weight of the loss. Defaults to 1.
    """

    def __init__(self,
                 temperature: float = 0.1,
                 learnable_temperature: bool = True,
                 temperature_range: Tuple[float, float] = (0.01, 1.0),
                 filter_threshold: Optional[float] = 0.8,
                 loss_weight: float = 1.) -> None:
        super().__init__()
        low, high = temperature_range
        if not 0 < low <= temperature <= high:
            raise ValueError('need 0 < temperature_range[0] <= temperature '
                             f'<= temperature_range[1], got {temperature} '
                             f'and {temperature_range}')
        log_tau = torch.tensor(math.log(temperature), dtype=torch.float32)
        if learnable_temperature:
            self.log_temperature = nn.Parameter(log_tau)
        else:
            self.register_buffer('log_temperature', log_tau)
        self.log_temperature_range = (math.log(low), math.log(high))
        self.filter_threshold = filter_threshold
        self.loss_weight = loss_weight

    @property
    def temperature(self) -> Tensor:
        """The clamped temperature tau (a scalar tensor)."""
        return self.log_temperature.clamp(*self.log_temperature_range).exp()

    def filter_mask(self,
                    batch_size: int,
                    text_similarity: Optional[Tensor] = None,
                    text_ids: Optional[Tensor] = None,
                    device=None) -> Optional[Tensor]:
        """``(B, B)`` bool mask of the removed negatives (False on the
        diagonal), or None when nothing is filtered."""
        if self.filter_threshold is None or (text_similarity is None
                                             and text_ids is None):
            return None
        mask = torch.zeros(
            batch_size, batch_size, dtype=torch.bool, device=device)
        if text_similarity is not None:
            similarity = torch.as_tensor(text_similarity).detach()
            if similarity.shape != (batch_size, batch_size):
                raise ValueError(
                    f'text_similarity must be ({batch_size}, {batch_size}), '
                    f'got {tuple(similarity.shape)}')
            mask |= (1 + similarity.to(device)) / 2 > self.filter_threshold
        if text_ids is not None:
            if not isinstance(text_ids, Tensor):  # e.g. a list of strings
                text_ids = torch.from_numpy(
                    np.unique(np.asarray(text_ids),
                              return_inverse=True)[1].reshape(-1))
            text_ids = text_ids.to(device)
            if text_ids.shape != (batch_size, ):
                raise ValueError(f'text_ids must be ({batch_size},), got '
                                 f'{tuple(text_ids.shape)}')
            mask |= text_ids[:, None] == text_ids[None]
        mask.fill_diagonal_(False)
        return mask

    def forward(self,
                motion_embedding: Tensor,
                text_embedding: Tensor,
                text_similarity: Optional[Tensor] = None,
                text_ids: Optional[Tensor] = None) -> Tensor:
        """Loss of ``(B, D)`` motion and ``(B, D)`` text embeddings (pair
        ``i`` = row ``i`` of both); ``text_similarity`` ``(B, B)`` and
        ``text_ids`` ``(B,)`` drive the filtering. Returns a scalar."""
        if motion_embedding.ndim != 2 or \
                motion_embedding.shape != text_embedding.shape:
            raise ValueError('motion and text embeddings must both be '
                             '(B, D), got '
                             f'{tuple(motion_embedding.shape)} and '
                             f'{tuple(text_embedding.shape)}')
        batch_size = len(motion_embedding)
        if batch_size == 0 or motion_embedding.shape[1] == 0:
            raise ValueError('InfoNCELoss got an empty batch: shape '
                             f'{tuple(motion_embedding.shape)}')
        motion = F.normalize(motion_embedding, dim=-1)
        text = F.normalize(text_embedding, dim=-1)
        logits = motion @ text.T / self.temperature
        mask = self.filter_mask(batch_size, text_similarity, text_ids,
                                logits.device)
        if mask is not None:
            logits = logits.masked_fill(mask, float('-inf'))
        labels = torch.arange(batch_size, device=logits.device)
        loss = (F.cross_entropy(logits, labels) +
                F.cross_entropy(logits.T, labels)) / 2
        return loss * self.loss_weight

    def extra_repr(self) -> str:
        return (f'temperature={self.temperature.item():.4g}, learnable='
                f'{isinstance(self.log_temperature, nn.Parameter)}, '
                f'filter_threshold={self.filter_threshold}, '
                f'loss_weight={self.loss_weight}')
