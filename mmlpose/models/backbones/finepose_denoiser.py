# Copyright (c) mmlpose contributors. All rights reserved.
"""FinePOSE's prompt-driven MixSTE denoiser.

Xu et al., "FinePOSE: Fine-Grained Prompt-Driven 3D Human Pose Estimation via
Diffusion Models", CVPR 2024.
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmlpose.registry import MODELS
from .diffusion_mixste import DiffusionMixSTE


class StylizationBlock(nn.Module):
    """Prompt-driven timestamp stylisation (PTS) of a feature update.

    ``out(SiLU(LayerNorm(y) * (1 + scale) + shift))`` with ``scale, shift``
    from ``Linear(SiLU(emb))``; the output Linear starts at zero, so the
    block outputs zeros at initialisation.

    Args:
        dim (int): Feature channels C.
        emb_dim (int): Channels of the (timestep + prompt) embedding.
        dropout (float): Dropout before the output layer. Defaults to 0.
    """

    def __init__(self, dim: int, emb_dim: int, dropout: float = 0.):
        super().__init__()
        self.emb_proj = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, 2 * dim))
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Sequential(
            nn.SiLU(), nn.Dropout(dropout), nn.Linear(dim, dim))
        self.zero_output()

    def zero_output(self) -> None:
        nn.init.zeros_(self.out[2].weight)
        nn.init.zeros_(self.out[2].bias)

    def forward(self, y: Tensor, emb: Tensor) -> Tensor:
        """``y`` ``(R, T, C)``, ``emb`` ``(R, C_emb)`` -> ``(R, T, C)``."""
        scale, shift = self.emb_proj(emb)[:, None].chunk(2, dim=-1)
        return self.out(self.norm(y) * (1 + scale) + shift)


class TemporalCrossAttention(nn.Module):
    """Fine-grained prompt-pose communication (FPC).

    Every pose token (one per joint and frame) attends to the L prompt
    tokens of its own sample: ``q = Wq LN(x)``, ``k = Wk LN_t(text)``,
    ``v = Wv LN_t(text)``, softmax over the prompt tokens. The update is
    stylised by :class:`StylizationBlock` (PTS) and added to ``x``; without
    stylisation it is added as is.

    The public code tiles the text keys with ``repeat`` while the pose rows
    are ordered (sample, joint), so with more than one sample per batch the
    rows meet other samples' prompts. Here row ``n * K + k`` always attends
    to sample ``n``'s prompt; with one sample both agree.

    Note:
        - samples (rows of the denoiser): N, keypoints: K, frames: T
        - prompt tokens: L, text channels: D, pose channels: C

    Args:
        dim (int): Pose channels C.
        text_dim (int): Text channels D.
        num_heads (int): Attention heads. Defaults to 8.
        dropout (float): Dropout on attention weights and in the
            stylisation. Defaults to 0.
        emb_dim (int, optional): Channels of the embedding driving the
            stylisation; None disables it (no PTS). Defaults to None.
    """

    def __init__(self,
                 dim: int,
                 text_dim: int,
                 num_heads: int = 8,
                 dropout: float = 0.,
                 emb_dim: Optional[int] = None):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'dim ({dim}) must be divisible by num_heads '
                             f'({num_heads})')
        self.num_heads = num_heads
        self.dropout = dropout
        self.norm = nn.LayerNorm(dim)
        self.text_norm = nn.LayerNorm(text_dim)
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(text_dim, dim)
        self.value = nn.Linear(text_dim, dim)
        self.stylization = None if emb_dim is None else StylizationBlock(
            dim, emb_dim, dropout)

    def forward(self, x: Tensor, text: Tensor,
                emb: Optional[Tensor] = None) -> Tensor:
        """Update pose features with prompt information.

        Args:
            x (Tensor): ``(N*K, T, C)`` per-joint sequences, rows ordered
                ``n * K + k``.
            text (Tensor): ``(N, L, D)`` prompt tokens.
            emb (Tensor, optional): ``(N, C_emb)`` embedding for the
                stylisation.

        Returns:
            Tensor: ``(N*K, T, C)``.
        """
        NK, T, C = x.shape
        N, L, _ = text.shape
        if NK % N:
            raise ValueError(f'{NK} pose rows do not split into {N} samples')
        K, H = NK // N, self.num_heads
        # All K*T tokens of a sample share its prompt: attend per sample.
        q = self.query(self.norm(x)).reshape(N, K * T, H, C // H)
        t = self.text_norm(text)
        k = self.key(t).reshape(N, L, H, C // H)
        v = self.value(t).reshape(N, L, H, C // H)
        y = F.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
            dropout_p=self.dropout if self.training else 0.)
        y = y.transpose(1, 2).reshape(NK, T, C)
        if self.stylization is not None:
            if emb is None:
                raise ValueError('stylisation needs the embedding')
            y = self.stylization(y, emb.repeat_interleave(K, dim=0))
        return x + y


@MODELS.register_module()
class FinePOSEDenoiser(DiffusionMixSTE):
    """The FinePOSE denoiser: :class:`DiffusionMixSTE` driven by prompts.

    Once per sample (:meth:`encode_condition`), the prompt learner (FPP)
    encodes the sample's part-aware prompts with CLIP, a transformer encoder
    (``text_layers`` layers, GELU) refines them, ``text_ln`` normalises
    them, and ``text_proj`` projects the token at the prompt learner's
    ``eot_index`` to C channels. At every denoising step:

    - PTS: the projected prompt is added to the timestep embedding (so to
      every pose token) and drives the stylisation of the FPC update;
    - FPC: after spatial block 0, :class:`TemporalCrossAttention` lets every
      pose token attend to its sample's prompt tokens; temporal block 0 and
      the rest of MixSTE follow.

    Ablations (the paper's Tables 4 and 5): ``use_fpc=False`` drops the
    cross-attention; ``use_pts=False`` neither adds the prompt to the
    timestep embedding nor stylises (the FPC update is added as is); a
    prompt learner with ``mode='none'`` removes every text path, leaving
    the D3DP network; other prompt modes are set on the prompt learner.

    Note:
        - rows (samples x hypotheses x flips): N, frames: T, keypoints: K
        - prompt tokens: L (77), text channels: D, pose channels: C

    Args:
        prompt_learner (dict): Config of :class:`FinePOSEPromptLearner`
            (with its CLIP text encoder). Defaults to FinePOSE's prompts on
            CLIP ViT-B/32 with random weights.
        text_layers (int): Layers of the text transformer. Defaults to 4.
        text_heads (int): Its attention heads. Defaults to 8.
        text_ff_dim (int): Its feed-forward width. Defaults to 2048.
        fpc_heads (int, optional): Heads of the cross-attention. Defaults to
            ``num_heads``.
        use_fpc (bool): Prompt-pose cross-attention. Defaults to True.
        use_pts (bool): Prompt-driven timestamp stylisation. Defaults to
            True.
        default_text (str): Action text of samples that carry none.
            Defaults to ``'a person'``.
        **kwargs: Arguments of :class:`DiffusionMixSTE` (``embed_dim``,
            ``depth``, ``num_heads``, ``seq_len``, ``drop_rate``, ...);
            ``drop_rate`` is also the dropout of the text transformer and
            of FPC.
    """

    def __init__(self,
                 prompt_learner: Optional[dict] = None,
                 text_layers: int = 4,
                 text_heads: int = 8,
                 text_ff_dim: int = 2048,
                 fpc_heads: Optional[int] = None,
                 use_fpc: bool = True,
                 use_pts: bool = True,
                 default_text: str = 'a person',
                 **kwargs):
        super().__init__(**kwargs)
        drop_rate = kwargs.get('drop_rate', 0.)
        if prompt_learner is None:
            prompt_learner = dict(type='FinePOSEPromptLearner')
        if not (use_fpc or use_pts):  # no text path: build no CLIP
            prompt_learner = dict(prompt_learner, mode='none')
        self.default_text = default_text
        self.prompt_learner = MODELS.build(prompt_learner)
        self.use_text = self.prompt_learner.mode != 'none'
        self.use_fpc = use_fpc and self.use_text
        self.use_pts = use_pts and self.use_text
        if not self.use_text:
            return

        text_dim = self.prompt_learner.width
        C = self.embed_dim
        layer = nn.TransformerEncoderLayer(
            d_model=text_dim,
            nhead=text_heads,
            dim_feedforward=text_ff_dim,
            dropout=drop_rate,
            activation='gelu',
            batch_first=True)
        self.text_transformer = nn.TransformerEncoder(
            layer, num_layers=text_layers, enable_nested_tensor=False)
        self.text_ln = nn.LayerNorm(text_dim)
        self.text_proj = nn.Linear(text_dim, C)
        if self.use_fpc:
            self.fpc = TemporalCrossAttention(
                C,
                text_dim,
                num_heads=fpc_heads or self.num_heads,
                dropout=drop_rate,
                emb_dim=C if self.use_pts else None)

    @property
    def num_heads(self) -> int:
        return self.spatial_blocks[0].attn.num_heads

    def init_weights(self) -> None:
        """MixSTE's initialisation for the pose and text layers; the prompt
        learner (and its CLIP) keeps its own. ``text_proj`` and the
        stylisation output start at zero, so that at initialisation the
        denoiser is D3DP's: a randomly projected prompt (std ~0.15) would
        otherwise swamp the timestep embedding (std ~0.01), which slowed
        training markedly on DeepMimic. (The public code uses PyTorch's
        default init here; converted checkpoints are not affected.)"""
        prompt_learner = self._modules.pop('prompt_learner')
        try:
            super().init_weights()
        finally:
            self._modules['prompt_learner'] = prompt_learner
        prompt_learner.init_weights()
        if self.use_text:
            nn.init.zeros_(self.text_proj.weight)
            nn.init.zeros_(self.text_proj.bias)
        if self.use_fpc and self.fpc.stylization is not None:
            self.fpc.stylization.zero_output()

    def encode_condition(self, cond: Optional[dict],
                         num_rows: int) -> Dict[str, Tensor]:
        """Encode each sample's prompt once (FPP + text transformer).

        Args:
            cond (dict, optional): ``action_text``: list of ``num_rows``
                strings; missing texts become ``default_text``.
            num_rows (int): Number of samples.

        Returns:
            dict: ``text_tokens`` ``(num_rows, L, D)`` and ``text_embed``
            ``(num_rows, C)``; ``{}`` when the text is unused.
        """
        if not self.use_text:
            return {}
        texts = None if cond is None else cond.get('action_text')
        if texts is None:
            texts = [self.default_text] * num_rows
        elif isinstance(texts, str):
            texts = [texts] * num_rows
        texts = [self.default_text if t is None else t for t in texts]
        if len(texts) != num_rows:
            raise ValueError(f'got {len(texts)} action texts for {num_rows} '
                             'samples')
        prompts = self.prompt_learner(texts)
        tokens = self.text_ln(self.text_transformer(prompts['tokens']))
        rows = torch.arange(num_rows, device=tokens.device)
        embed = self.text_proj(tokens[rows, prompts['eot_index']])
        return dict(text_tokens=tokens, text_embed=embed)

    def cond_embedding(self, cond_feats: Dict[str, Tensor]
                       ) -> Optional[Tensor]:
        """The projected prompt ``(N, C)`` (PTS), else None."""
        if not self.use_pts:
            return None
        return cond_feats['text_embed']

    def after_first_spatial(self, x: Tensor, emb: Tensor,
                            cond_feats: Dict[str, Tensor]) -> Tensor:
        """FPC on ``(N*K, T, C)`` per-joint sequences."""
        if not self.use_fpc:
            return x
        return self.fpc(x, cond_feats['text_tokens'], emb)
