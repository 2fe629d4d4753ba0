# Copyright (c) mmlpose contributors. All rights reserved.
"""tools/model_converters/finepose_to_mmlpose.py on a checkpoint in the
public layout of the tiny FinePOSE config."""
import os.path as osp
import re
import subprocess
import sys

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmlpose.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'finepose',
                  'finepose_tiny-27frm_1xb32-40e_deepmimic.py')
TOOL = osp.join(REPO, 'tools', 'model_converters', 'finepose_to_mmlpose.py')

# our name -> public name (the inverse of the converter, written out here)
RENAMES = [
    (r'^joint_embed\.', 'Spatial_patch_to_embedding.'),
    (r'^spatial_pos_embed$', 'Spatial_pos_embed'),
    (r'^temporal_pos_embed$', 'Temporal_pos_embed'),
    (r'^spatial_blocks\.', 'STEblocks.'),
    (r'^temporal_blocks\.', 'TTEblocks.'),
    (r'\.mlp\.0\.', '.mlp.fc1.'),
    (r'\.mlp\.3\.', '.mlp.fc2.'),
    (r'^spatial_norm\.', 'Spatial_norm.'),
    (r'^temporal_norm\.', 'Temporal_norm.'),
    (r'^fpc\.stylization\.emb_proj\.', 'temporal_cross_attn.proj_out.'
     'emb_layers.'),
    (r'^fpc\.stylization\.norm\.', 'temporal_cross_attn.proj_out.norm.'),
    (r'^fpc\.stylization\.out\.', 'temporal_cross_attn.proj_out.out_layers.'),
    (r'^fpc\.', 'temporal_cross_attn.'),
    (r'^text_proj\.', 'text_proj.0.'),
    (r'^prompt_learner\.ctx_', 'ctx_'),
    (r'^prompt_learner\.text_encoder\.model\.text_model\.embeddings\.'
     r'token_embedding\.weight$', 'clip_text.token_embedding.weight'),
    (r'^prompt_learner\.text_encoder\.model\.text_model\.embeddings\.'
     r'position_embedding\.weight$', 'clip_text.positional_embedding'),
    (r'^prompt_learner\.text_encoder\.model\.text_model\.final_layer_norm\.',
     'clip_text.ln_final.'),
    (r'^prompt_learner\.text_encoder\.model\.text_model\.encoder\.layers\.',
     'clip_text.transformer.resblocks.'),
    (r'\.self_attn\.out_proj\.(weight|bias)$', r'.attn.out_proj.\1'),
    (r'\.layer_norm1\.', '.ln_1.'),
    (r'\.layer_norm2\.', '.ln_2.'),
    (r'resblocks\.(\d+)\.mlp\.fc1\.', r'resblocks.\1.mlp.c_fc.'),
    (r'resblocks\.(\d+)\.mlp\.fc2\.', r'resblocks.\1.mlp.c_proj.'),
]


def to_public(state):
    """A public-layout ``model_pos`` made from our denoiser weights."""
    public = {}
    fused = {}
    for key, value in state.items():
        if not key.startswith('head.denoiser.'):
            continue
        key = key[len('head.denoiser.'):]
        m = re.search(r'layers\.(\d+)\.self_attn\.([qkv])_proj\.(weight|bias)',
                      key)
        if 'text_encoder' in key and m:
            fused.setdefault((m[1], m[3]), {})[m[2]] = value
            continue
        if key.startswith('text_transformer.'):  # same inner names
            key = 'textTransEncoder.' + key[len('text_transformer.'):]
            public['module.pose_estimator.' + key] = value
            continue
        for pattern, repl in RENAMES:
            key = re.sub(pattern, repl, key)
        public['module.pose_estimator.' + key] = value
    for (layer, kind), qkv in fused.items():
        public[f'module.pose_estimator.clip_text.transformer.resblocks.'
               f'{layer}.attn.in_proj_{kind}'] = torch.cat(
                   [qkv['q'], qkv['k'], qkv['v']])
    public['module.pose_estimator.clip_text.visual.proj'] = torch.zeros(4, 2)
    public['module.pose_estimator.clip_text.text_projection'] = torch.zeros(
        64, 64)
    public['module.betas'] = torch.zeros(1000, dtype=torch.float64)
    return public


def test_convert_tool_round_trip(tmp_path):
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmlpose'):
        model = MODELS.build(Config.fromfile(CONFIG).model)
    state = {k: torch.randn_like(v) for k, v in model.state_dict().items()}
    src = tmp_path / 'best_epoch_20_10.bin'
    torch.save(dict(epoch=20, lr=1e-5, model_pos=to_public(state)), src)
    dst = tmp_path / 'converted.pth'
    proc = subprocess.run(
        [sys.executable, TOOL, str(src), str(dst), '--config', CONFIG],
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'dropped 3' in proc.stdout
    converted = torch.load(dst, map_location='cpu')
    assert converted['meta']['epoch'] == 20
    assert set(converted['state_dict']) == set(state)
    for key, value in state.items():
        assert torch.equal(converted['state_dict'][key], value), key


def test_convert_tool_reports_missing(tmp_path):
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmlpose'):
        model = MODELS.build(Config.fromfile(CONFIG).model)
    public = to_public(model.state_dict())
    del public['module.pose_estimator.head.1.weight']
    src = tmp_path / 'broken.bin'
    torch.save(dict(model_pos=public), src)
    proc = subprocess.run(
        [sys.executable, TOOL, str(src),
         str(tmp_path / 'out.pth'), '--config', CONFIG],
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'missing (1): head.denoiser.head.1.weight' in proc.stderr
    assert not (tmp_path / 'out.pth').exists()
