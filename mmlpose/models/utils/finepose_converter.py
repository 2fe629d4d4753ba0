# Copyright (c) mmlpose contributors. All rights reserved.
"""Convert the public FinePOSE and D3DP checkpoints to mmlpose state dicts.

Both public codes save ``{'epoch', 'lr', 'optimizer', 'model_pos', ...}``;
``model_pos`` is a DataParallel state dict whose network keys start with
``module.pose_estimator.`` (a MixSTE: ``Spatial_patch_to_embedding``,
``STEblocks.i``, ``TTEblocks.i``, ``head.0/1``, ``time_mlp.1/3``, ...);
FinePOSE adds its text modules (``temporal_cross_attn``, ``textTransEncoder``,
``text_ln``, ``text_proj.0``, ``ctx_*``) and a whole OpenAI CLIP under
``clip_text.``. Diffusion buffers (``module.betas``, ...), the CLIP vision
tower, ``text_projection`` and ``logit_scale`` are not used by the denoiser
and are dropped. CLIP's fused attention ``in_proj`` is split into the
``q_proj``/``k_proj``/``v_proj`` of :class:`transformers.CLIPTextModel`.
"""
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple

from torch import Tensor

#: Where the denoiser lives in :class:`DiffusionPoseLifter`.
DENOISER_PREFIX = 'head.denoiser.'
CLIP_PREFIX = 'prompt_learner.text_encoder.model.text_model.'

# (public regex, our template) for the pose estimator, after removing the
# ``module.`` and ``pose_estimator.`` prefixes.
_DENOISER_RULES: List[Tuple[str, str]] = [
    (r'Spatial_patch_to_embedding\.(weight|bias)', r'joint_embed.\1'),
    (r'Spatial_pos_embed', 'spatial_pos_embed'),
    (r'Temporal_pos_embed', 'temporal_pos_embed'),
    (r'time_mlp\.([13])\.(weight|bias)', r'time_mlp.\1.\2'),
    (r'STEblocks\.(\d+)\.mlp\.fc1\.(weight|bias)',
     r'spatial_blocks.\1.mlp.0.\2'),
    (r'STEblocks\.(\d+)\.mlp\.fc2\.(weight|bias)',
     r'spatial_blocks.\1.mlp.3.\2'),
    (r'STEblocks\.(\d+)\.(norm1|norm2|attn\.qkv|attn\.proj)\.(weight|bias)',
     r'spatial_blocks.\1.\2.\3'),
    (r'TTEblocks\.(\d+)\.mlp\.fc1\.(weight|bias)',
     r'temporal_blocks.\1.mlp.0.\2'),
    (r'TTEblocks\.(\d+)\.mlp\.fc2\.(weight|bias)',
     r'temporal_blocks.\1.mlp.3.\2'),
    (r'TTEblocks\.(\d+)\.(norm1|norm2|attn\.qkv|attn\.proj)\.(weight|bias)',
     r'temporal_blocks.\1.\2.\3'),
    (r'Spatial_norm\.(weight|bias)', r'spatial_norm.\1'),
    (r'Temporal_norm\.(weight|bias)', r'temporal_norm.\1'),
    (r'head\.([01])\.(weight|bias)', r'head.\1.\2'),
    # FinePOSE text modules
    (r'temporal_cross_attn\.(norm|text_norm|query|key|value)\.(weight|bias)',
     r'fpc.\1.\2'),
    (r'temporal_cross_attn\.proj_out\.emb_layers\.1\.(weight|bias)',
     r'fpc.stylization.emb_proj.1.\1'),
    (r'temporal_cross_attn\.proj_out\.norm\.(weight|bias)',
     r'fpc.stylization.norm.\1'),
    (r'temporal_cross_attn\.proj_out\.out_layers\.2\.(weight|bias)',
     r'fpc.stylization.out.2.\1'),
    (r'textTransEncoder\.layers\.(\d+)\.(self_attn\.in_proj_weight|'
     r'self_attn\.in_proj_bias|self_attn\.out_proj\.weight|'
     r'self_attn\.out_proj\.bias|linear1\.weight|linear1\.bias|'
     r'linear2\.weight|linear2\.bias|norm1\.weight|norm1\.bias|'
     r'norm2\.weight|norm2\.bias)', r'text_transformer.layers.\1.\2'),
    (r'text_ln\.(weight|bias)', r'text_ln.\1'),
    (r'text_proj\.0\.(weight|bias)', r'text_proj.\1'),
    (r'(ctx_[a-z]+)', r'prompt_learner.\1'),
    # OpenAI CLIP text tower -> transformers CLIPTextModel
    (r'clip_text\.token_embedding\.weight',
     CLIP_PREFIX + 'embeddings.token_embedding.weight'),
    (r'clip_text\.positional_embedding',
     CLIP_PREFIX + 'embeddings.position_embedding.weight'),
    (r'clip_text\.transformer\.resblocks\.(\d+)\.attn\.out_proj\.'
     r'(weight|bias)',
     CLIP_PREFIX + r'encoder.layers.\1.self_attn.out_proj.\2'),
    (r'clip_text\.transformer\.resblocks\.(\d+)\.ln_1\.(weight|bias)',
     CLIP_PREFIX + r'encoder.layers.\1.layer_norm1.\2'),
    (r'clip_text\.transformer\.resblocks\.(\d+)\.ln_2\.(weight|bias)',
     CLIP_PREFIX + r'encoder.layers.\1.layer_norm2.\2'),
    (r'clip_text\.transformer\.resblocks\.(\d+)\.mlp\.c_fc\.(weight|bias)',
     CLIP_PREFIX + r'encoder.layers.\1.mlp.fc1.\2'),
    (r'clip_text\.transformer\.resblocks\.(\d+)\.mlp\.c_proj\.(weight|bias)',
     CLIP_PREFIX + r'encoder.layers.\1.mlp.fc2.\2'),
    (r'clip_text\.ln_final\.(weight|bias)',
     CLIP_PREFIX + r'final_layer_norm.\1'),
]
# Fused q/k/v of CLIP: split into three tensors.
_CLIP_IN_PROJ = re.compile(
    r'clip_text\.transformer\.resblocks\.(\d+)\.attn\.in_proj_(weight|bias)')
# Pose-estimator keys that the denoiser does not use.
_DROPPED = re.compile(
    r'clip_text\.(visual\..*|text_projection|logit_scale|'
    r'input_resolution|context_length|vocab_size)')


@dataclass
class ConversionReport:
    """What :func:`convert_finepose_state_dict` did with every key."""
    converted: Dict[str, str] = field(default_factory=dict)
    dropped: List[str] = field(default_factory=list)
    unmapped: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    shape_mismatch: List[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f'converted {len(self.converted)} tensors, dropped '
            f'{len(self.dropped)} (diffusion buffers, CLIP vision tower, '
            'unused CLIP heads)'
        ]
        for name in ('unmapped', 'missing', 'unexpected', 'shape_mismatch'):
            keys = getattr(self, name)
            if keys:
                lines.append(f'{name} ({len(keys)}): ' + ', '.join(keys))
        return '\n'.join(lines)


def extract_model_state(checkpoint: Mapping) -> Mapping[str, Tensor]:
    """The network state dict of a public checkpoint (``model_pos``), of an
    mmengine checkpoint (``state_dict``) or the mapping itself."""
    for key in ('model_pos', 'state_dict', 'model'):
        if key in checkpoint and isinstance(checkpoint[key], Mapping):
            return checkpoint[key]
    return checkpoint


def _strip(key: str) -> Tuple[str, bool]:
    """Remove ``module.`` and ``pose_estimator.``; tell whether the key
    belongs to the pose estimator (the denoiser)."""
    if key.startswith('module.'):
        key = key[len('module.'):]
    if key.startswith('pose_estimator.'):
        return key[len('pose_estimator.'):], True
    return key, False


def _map_key(key: str) -> Optional[str]:
    for pattern, template in _DENOISER_RULES:
        if re.fullmatch(pattern, key):
            return re.sub(pattern, template, key)
    return None


def convert_finepose_state_dict(
        checkpoint: Mapping,
        prefix: str = DENOISER_PREFIX,
        target: Optional[Mapping[str, Tensor]] = None,
        strict: bool = True) -> Tuple['OrderedDict[str, Tensor]',
                                      ConversionReport]:
    """Convert a public FinePOSE or D3DP checkpoint.

    Args:
        checkpoint (Mapping): The loaded ``.bin``/``.pth`` (or its
            ``model_pos``).
        prefix (str): Prepended to our keys: ``'head.denoiser.'`` for a
            :class:`DiffusionPoseLifter`, ``''`` for a bare denoiser.
        target (Mapping, optional): State dict of the model the weights are
            for; enables the missing / unexpected / shape checks.
        strict (bool): Raise when a pose-estimator key is unmapped or, with
            ``target``, when any denoiser weight is missing, unexpected or of
            the wrong shape. Defaults to True.

    Returns:
        tuple: The converted state dict and a :class:`ConversionReport`.
    """
    src = extract_model_state(checkpoint)
    out: 'OrderedDict[str, Tensor]' = OrderedDict()
    report = ConversionReport()
    for full_key, value in src.items():
        key, in_estimator = _strip(full_key)
        if not in_estimator:
            # diffusion schedule buffers (betas, alphas_cumprod, ...)
            report.dropped.append(full_key)
            continue
        fused = _CLIP_IN_PROJ.fullmatch(key)
        if fused:
            layer, kind = fused.groups()
            for name, part in zip(('q_proj', 'k_proj', 'v_proj'),
                                  value.chunk(3, dim=0)):
                new = (f'{prefix}{CLIP_PREFIX}encoder.layers.{layer}.'
                       f'self_attn.{name}.{kind}')
                out[new] = part.clone()
                report.converted[new] = full_key
            continue
        if _DROPPED.fullmatch(key):
            report.dropped.append(full_key)
            continue
        new = _map_key(key)
        if new is None:
            report.unmapped.append(full_key)
            continue
        out[prefix + new] = value
        report.converted[prefix + new] = full_key

    if target is not None:
        target_keys = [k for k in target if k.startswith(prefix)]
        report.missing = [k for k in target_keys if k not in out]
        report.unexpected = [k for k in out if k not in target]
        report.shape_mismatch = [
            f'{k} {tuple(out[k].shape)} vs {tuple(target[k].shape)}'
            for k in out if k in target and out[k].shape != target[k].shape
        ]
    if strict and (report.unmapped or report.missing or report.unexpected
                   or report.shape_mismatch):
        raise KeyError('FinePOSE checkpoint conversion failed:\n' +
                       report.summary())
    return out, report


def load_public_checkpoint(path: str, unsafe: bool = False) -> Mapping:
    """Load a public checkpoint on the CPU through the safe path
    (:func:`mmlpose.engine.checkpoint.safe_load`: ``weights_only=True`` and
    the allow-list, which covers the authors' files: ``model_pos``, the
    optimizer and the numpy ``RandomState`` state of their generator).

    Args:
        path (str): The ``.bin`` / ``.pth`` file.
        unsafe (bool): Unpickle without restriction (only for a file you
            trust). Defaults to False.

    Raises:
        CheckpointError: A missing, empty, corrupt file, or one needing a
            type outside the allow-list (the message names it and
            ``--unsafe-load``).
    """
    from mmlpose.engine.checkpoint import safe_load
    return safe_load(path, map_location='cpu', unsafe=unsafe)


def merge_into(model_state: Mapping[str, Tensor],
               converted: Mapping[str, Tensor]
               ) -> 'OrderedDict[str, Tensor]':
    """``model_state`` with the ``converted`` tensors put in (cast to the
    model's dtypes); keys the conversion does not cover keep their values.
    """
    merged = OrderedDict(model_state)
    for k, v in converted.items():
        merged[k] = v.to(model_state[k].dtype) if k in model_state else v
    return merged
