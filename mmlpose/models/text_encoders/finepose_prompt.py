# Copyright (c) mmlpose contributors. All rights reserved.
"""FinePOSE's fine-grained part-aware prompts (FPP).

Xu et al., "FinePOSE: Fine-Grained Prompt-Driven 3D Human Pose Estimation via
Diffusion Models", CVPR 2024.
"""
import contextlib
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmlpose.registry import MODELS

VERB = '{verb}'

# (name, text, length): the learnable context of a prompt has
# ``length - num_word_tokens`` vectors; ``{verb}`` is the sample's verb.
FINEPOSE_H36M_PROMPTS = (
    ('subject', 'A person', 7),
    ('verb', VERB, 12),
    ('speed', 'speed', 10),
    ('head', 'head', 10),
    ('body', 'body', 10),
    ('arm', 'arm', 14),
    ('leg', 'leg', 14),
)
# MPI-INF-3DHP has no action labels: the public 3DHP model drops the verb
# prompt and lengthens the others (9, 12, 12, 12, 16, 16).
FINEPOSE_3DHP_PROMPTS = (
    ('subject', 'A person', 9),
    ('speed', 'speed', 12),
    ('head', 'head', 12),
    ('body', 'body', 12),
    ('arm', 'arm', 16),
    ('leg', 'leg', 16),
)
PROMPT_MODES = ('learnable+manual', 'learnable', 'manual', 'none')
VERB_STYLES = ('joined', 'first', 'full')


def action_verb(action_text: str, style: str = 'joined') -> str:
    """The verb word of a sample's action text.

    FinePOSE uses the first word of the VideoPose3D action name, e.g.
    ``'WalkDog'`` of ``'WalkDog 1'``. Our data sets give lower-case text with
    CamelCase split (``'walk dog'``), so ``'joined'`` (default) removes the
    spaces again and gives the same CLIP tokens (CLIP lower-cases text);
    ``'first'`` keeps the first word (``'walk'``), ``'full'`` the whole text.
    """
    words = action_text.split()
    if style == 'joined':
        return ''.join(words)
    if style == 'first':
        return words[0] if words else ''
    if style == 'full':
        return ' '.join(words)
    raise ValueError(f'verb_style must be one of {VERB_STYLES}, got {style}')


@MODELS.register_module()
class FinePOSEPromptLearner(BaseModule):
    """Fine-grained part-aware prompts encoded by a frozen CLIP text tower.

    In the full mode (``'learnable+manual'``) the K prompts (FinePOSE:
    "A person", the action verb, "speed", "head", "body", "arm", "leg")
    each contribute ``length - num_word_tokens`` learnable context vectors
    (``ctx_<name>``, N(0, 0.02)) followed by the CLIP word embeddings of the
    first ``num_word_tokens`` ids of the tokenised word, start-of-text token
    included (e.g. ``[SOT, arm, EOT, pad]``). The K pieces are concatenated
    to ``context_length`` (77) vectors and run through CLIP's positional
    embedding, causal transformer and final LayerNorm.

    The row of the output that the denoiser projects (``eot_index``)
    follows the public code: with ``proj_index='verb_eot'`` it is the
    position of the end-of-text token in the *verb tokenised alone*
    (``argmax`` of its ids, e.g. 2 for ``'walking'``) used as an index into
    the *concatenated* sequence, where it falls inside the first prompt's
    context. That is a quirk of the public code, kept so that its weights
    work; an ``int`` gives a fixed index (the public 3DHP model uses 76).

    Ablation modes:

    - ``'learnable+manual'``: the full FPP described above.
    - ``'learnable'``: context vectors only (``length`` each, no word
      tokens, so no action information); ``eot_index`` is ``proj_index`` if
      an int, else the last token.
    - ``'manual'``: a fixed sentence (``manual_template``, e.g. "A person is
      walking.") tokenised and embedded, no learnable vectors;
      ``eot_index`` is the sentence's end-of-text token.
    - ``'none'``: no text; :meth:`forward` returns None and no CLIP is built.

    Frozen word embeddings are cached per distinct text (the cache is
    dropped when the CLIP weights change, e.g. on loading a checkpoint).

    Note:
        - batch size: B, sequence length: L (77), CLIP width: D

    Args:
        text_encoder (dict): Config of the :class:`CLIPTextEncoder`.
        prompts (sequence): ``(name, text, length)`` triples (or dicts with
            these keys); ``'{verb}'`` in a text is replaced by the sample's
            verb. Defaults to FinePOSE's Human3.6M prompts.
        mode (str): One of ``'learnable+manual'``, ``'learnable'``,
            ``'manual'``, ``'none'``. Defaults to ``'learnable+manual'``.
        num_word_tokens (int): Word token embeddings kept per prompt.
            Defaults to 4.
        proj_index (str | int): ``'verb_eot'`` or a fixed token index.
            Defaults to ``'verb_eot'``.
        verb_style (str): How the verb is taken from ``action_text``, see
            :func:`action_verb`. Defaults to ``'joined'``.
        manual_template (str): Sentence of the ``'manual'`` mode. Defaults
            to ``'A person is {verb}.'``.
        ctx_init_std (float): Std of the context initialisation.
            Defaults to 0.02.
        grad_through_clip (bool): Back-propagate through the frozen CLIP into
            the context vectors (prompt learning as described in the paper).
            The public code runs CLIP under ``torch.no_grad()``, so its
            contexts never leave their initial values; False reproduces that.
            Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 text_encoder: Optional[dict] = None,
                 prompts: Sequence = FINEPOSE_H36M_PROMPTS,
                 mode: str = 'learnable+manual',
                 num_word_tokens: int = 4,
                 proj_index: Union[str, int] = 'verb_eot',
                 verb_style: str = 'joined',
                 manual_template: str = 'A person is {verb}.',
                 ctx_init_std: float = 0.02,
                 grad_through_clip: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if mode not in PROMPT_MODES:
            raise ValueError(f'mode must be one of {PROMPT_MODES}, got '
                             f'{mode!r}')
        if verb_style not in VERB_STYLES:
            raise ValueError(f'verb_style must be one of {VERB_STYLES}, got '
                             f'{verb_style!r}')
        if not (proj_index == 'verb_eot' or isinstance(proj_index, int)):
            raise ValueError('proj_index must be "verb_eot" or an int, got '
                             f'{proj_index!r}')
        self.mode = mode
        self.num_word_tokens = num_word_tokens
        self.proj_index = proj_index
        self.verb_style = verb_style
        self.manual_template = manual_template
        self.ctx_init_std = ctx_init_std
        self.grad_through_clip = grad_through_clip
        self.prompts = [self._parse_prompt(p) for p in prompts]

        self.text_encoder = None
        if mode == 'none':
            return
        if text_encoder is None:
            text_encoder = dict(type='CLIPTextEncoder')
        self.text_encoder = MODELS.build(text_encoder)
        self.context_length = self.text_encoder.context_length
        total = sum(length for _, _, length in self.prompts)
        if mode != 'manual' and total != self.context_length:
            raise ValueError(f'prompt lengths sum to {total}, expected the '
                             f'context length {self.context_length}')
        if isinstance(proj_index, int) and not \
                0 <= proj_index < self.context_length:
            raise ValueError(f'proj_index {proj_index} out of range')

        D = self.text_encoder.width
        keep = num_word_tokens if mode == 'learnable+manual' else 0
        if mode in ('learnable+manual', 'learnable'):
            for name, _, length in self.prompts:
                if length <= keep:
                    raise ValueError(f'prompt "{name}" of length {length} '
                                     f'leaves no context vector')
                ctx = torch.empty(length - keep, D)
                nn.init.normal_(ctx, std=ctx_init_std)
                setattr(self, f'ctx_{name}', nn.Parameter(ctx))

        self._ids_cache: Dict[str, Tensor] = {}
        self._emb_cache: Dict[Tuple[str, int], Tensor] = {}
        self._emb_cache_key: Optional[tuple] = None

    @staticmethod
    def _parse_prompt(prompt) -> Tuple[str, str, int]:
        if isinstance(prompt, dict):
            return prompt['name'], prompt['text'], int(prompt['length'])
        name, text, length = prompt
        return name, text, int(length)

    @property
    def width(self) -> int:
        """Channels D of the prompt tokens (0 in mode ``'none'``)."""
        return 0 if self.text_encoder is None else self.text_encoder.width

    def init_weights(self) -> None:
        """Context vectors ~ N(0, ctx_init_std); CLIP weights as configured.
        """
        super().init_weights()
        for name, _, _ in self.prompts:
            ctx = getattr(self, f'ctx_{name}', None)
            if ctx is not None:
                nn.init.normal_(ctx, std=self.ctx_init_std)

    # -- cached tokenisation and frozen word embeddings -------------------
    def token_ids(self, text: str) -> Tensor:
        """``(L,)`` CLIP ids of ``text`` (cached; CPU)."""
        ids = self._ids_cache.get(text)
        if ids is None:
            ids = self.text_encoder.tokenize([text])[0].cpu()
            self._ids_cache[text] = ids
        return ids

    def word_embeddings(self, text: str, num: int) -> Tensor:
        """``(num, D)`` CLIP embeddings of the first ``num`` ids of ``text``.

        Cached per text while the embedding matrix is frozen and unchanged
        (tracked by its storage, version counter, device and dtype).
        """
        weight = self.text_encoder.token_embedding_weight
        ids = self.token_ids(text)[:num].to(weight.device)
        if weight.requires_grad:
            return self.text_encoder.token_embedding(ids)
        key = (weight.data_ptr(), weight._version, weight.device,
               weight.dtype)
        if key != self._emb_cache_key:
            self._emb_cache.clear()
            self._emb_cache_key = key
        emb = self._emb_cache.get((text, num))
        if emb is None:
            with torch.no_grad():
                emb = self.text_encoder.token_embedding(ids)
            self._emb_cache[(text, num)] = emb
        return emb

    # -- prompt sequences ---------------------------------------------------
    def verb(self, action_text: str) -> str:
        return action_verb(action_text, self.verb_style)

    def _fill(self, text: str, verb: str) -> str:
        return text.replace(VERB, verb)

    def build_sequence(self, action_text: str) -> Tuple[Tensor, int]:
        """Input vectors ``(L, D)`` of one sample and its projection index.
        """
        verb = self.verb(action_text)
        if self.mode == 'manual':
            sentence = self._fill(self.manual_template, verb)
            ids = self.token_ids(sentence)
            seq = self.word_embeddings(sentence, self.context_length)
            return seq, int(ids.argmax())
        pieces = []
        for name, text, _ in self.prompts:
            pieces.append(getattr(self, f'ctx_{name}'))
            if self.mode == 'learnable+manual':
                pieces.append(
                    self.word_embeddings(
                        self._fill(text, verb), self.num_word_tokens).to(
                            pieces[-1].dtype))
        seq = torch.cat(pieces, dim=0)
        if isinstance(self.proj_index, int):
            index = self.proj_index
        elif self.mode == 'learnable':
            index = self.context_length - 1
        else:
            # Public code: argmax of the verb's own ids (its EOT position),
            # applied to the concatenated sequence.
            index = int(self.token_ids(verb).argmax())
        return seq, index

    def forward(self, action_texts: Sequence[str]) -> Optional[dict]:
        """Encode the prompts of ``B`` samples.

        Args:
            action_texts (list[str]): One action text per sample (e.g.
                ``'walk dog'``; ignored by the ``'learnable'`` mode).

        Returns:
            dict | None: ``tokens`` ``(B, L, D)`` CLIP features of the prompt
            sequence and ``eot_index`` ``(B,)`` (int64) of the token to
            project; None in mode ``'none'``. Identical texts are encoded
            once.
        """
        if self.mode == 'none':
            return None
        if isinstance(action_texts, str):
            action_texts = [action_texts]
        if self.mode == 'learnable':
            # No word tokens: every sample has the same prompt.
            keys = [''] * len(action_texts)
        else:
            keys = [self.verb(t) if self.mode == 'learnable+manual' else
                    self._fill(self.manual_template, self.verb(t))
                    for t in action_texts]
        first_text: Dict[str, str] = {}  # distinct prompt -> a sample text
        inverse = []
        for key, text in zip(keys, action_texts):
            first_text.setdefault(key, text)
            inverse.append(list(first_text).index(key))
        seqs, indices = zip(
            *[self.build_sequence(text) for text in first_text.values()])
        grad = contextlib.nullcontext() if self.grad_through_clip \
            else torch.no_grad()
        with grad:
            tokens = self.text_encoder.encode_embeddings(torch.stack(seqs))
        inverse = torch.as_tensor(inverse, device=tokens.device)
        eot_index = torch.as_tensor(indices, device=tokens.device)[inverse]
        return dict(tokens=tokens[inverse], eot_index=eot_index)
