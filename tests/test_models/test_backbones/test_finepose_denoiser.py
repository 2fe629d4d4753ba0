# Copyright (c) mmlpose contributors. All rights reserved.
"""FinePOSE denoiser: shapes, conditioning, ablations, checkpoint conversion
and a forward pass against a hand-written reference in the public layout."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmlpose.models.backbones import DiffusionMixSTE, FinePOSEDenoiser
from mmlpose.models.utils import convert_finepose_state_dict

C, DEPTH, HEADS, T, K = 32, 2, 4, 9, 17
D, CLIP_LAYERS, CLIP_HEADS, CLIP_FF = 32, 2, 4, 128
TEXT_LAYERS, TEXT_HEADS, TEXT_FF = 2, 4, 64
PROMPTS = (('subject', 'A person', 7), ('verb', '{verb}', 12),
           ('speed', 'speed', 10), ('head', 'head', 10), ('body', 'body', 10),
           ('arm', 'arm', 14), ('leg', 'leg', 14))


def build_denoiser(mode='learnable+manual', **kwargs) -> FinePOSEDenoiser:
    torch.manual_seed(0)
    cfg = dict(
        prompt_learner=dict(
            type='FinePOSEPromptLearner',
            mode=mode,
            text_encoder=dict(
                type='CLIPTextEncoder',
                config=dict(
                    hidden_size=D,
                    intermediate_size=CLIP_FF,
                    num_hidden_layers=CLIP_LAYERS,
                    num_attention_heads=CLIP_HEADS))),
        text_layers=TEXT_LAYERS,
        text_heads=TEXT_HEADS,
        text_ff_dim=TEXT_FF,
        seq_len=T,
        embed_dim=C,
        depth=DEPTH,
        num_heads=HEADS,
        drop_path_rate=0.)
    cfg.update(kwargs)
    net = FinePOSEDenoiser(**cfg)
    net.init_weights()
    return net.eval()


def inputs(n=2, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, T, K, 2, generator=g),
            torch.randn(n, T, K, 3, generator=g),
            torch.randint(0, 1000, (n, ), generator=g))


def run(net, texts, x_2d, x_t, t):
    with torch.no_grad():
        feats = net.encode_condition(dict(action_text=texts), len(texts))
        return net(x_2d, x_t, t, feats)


def test_shapes_and_condition_features():
    net = build_denoiser()
    x_2d, x_t, t = inputs()
    feats = net.encode_condition(dict(action_text=['walk dog', 'eating']), 2)
    assert feats['text_tokens'].shape == (2, 77, D)
    assert feats['text_embed'].shape == (2, C)
    assert net(x_2d, x_t, t, feats).shape == (2, T, K, 3)
    # samples without text get the default text
    assert torch.equal(
        net.encode_condition(None, 2)['text_embed'],
        net.encode_condition(dict(action_text=['a person'] * 2),
                             2)['text_embed'])
    with pytest.raises(ValueError, match='action texts'):
        net.encode_condition(dict(action_text=['walking']), 2)


def make_text_live(net):
    """Give the zero-initialised prompt paths (text_proj, stylisation
    output) random weights, as after training."""
    torch.manual_seed(2)
    torch.nn.init.normal_(net.text_proj.weight, std=0.1)
    if getattr(net, 'fpc', None) is not None and \
            net.fpc.stylization is not None:
        torch.nn.init.normal_(net.fpc.stylization.out[2].weight, std=0.1)
    return net


def test_text_changes_the_output():
    net = make_text_live(build_denoiser())
    x_2d, x_t, t = inputs(1)
    a = run(net, ['walking'], x_2d, x_t, t)
    b = run(net, ['sitting down'], x_2d, x_t, t)
    assert not torch.allclose(a, b, atol=1e-4)


def test_d3dp_at_initialisation():
    """text_proj and the stylisation output start at zero: an untrained
    FinePOSE denoiser computes D3DP's function of its shared weights."""
    net = build_denoiser()
    assert torch.count_nonzero(net.text_proj.weight) == 0
    x_2d, x_t, t = inputs(2)
    ours = run(net, ['walking', 'eating'], x_2d, x_t, t)
    d3dp = DiffusionMixSTE(
        seq_len=T, embed_dim=C, depth=DEPTH, num_heads=HEADS,
        drop_path_rate=0.).eval()
    d3dp.load_state_dict(net.state_dict(), strict=False)
    with torch.no_grad():
        torch.testing.assert_close(d3dp(x_2d, x_t, t, {}), ours)


def test_per_sample_pairing():
    """Each sample attends to its own prompt: a batch equals the samples
    run one by one (the public code's tiling would mix them)."""
    net = make_text_live(build_denoiser())
    x_2d, x_t, t = inputs(2)
    both = run(net, ['walking', 'sitting down'], x_2d, x_t, t)
    one = run(net, ['walking'], x_2d[:1], x_t[:1], t[:1])
    two = run(net, ['sitting down'], x_2d[1:], x_t[1:], t[1:])
    torch.testing.assert_close(both, torch.cat([one, two]))


def test_fpc_is_identity_at_init():
    net = build_denoiser()
    fpc = net.fpc
    assert torch.count_nonzero(fpc.stylization.out[2].weight) == 0
    x = torch.randn(2 * K, T, C)
    text = torch.randn(2, 77, D)
    emb = torch.randn(2, C)
    assert torch.equal(fpc(x, text, emb), x)
    # ... and the stylisation is what makes it so
    torch.nn.init.normal_(fpc.stylization.out[2].weight)
    assert not torch.allclose(fpc(x, text, emb), x)


def test_no_text_makes_text_irrelevant():
    net = build_denoiser(mode='none', use_fpc=False)
    assert not net.use_text and not hasattr(net, 'fpc')
    assert not hasattr(net, 'text_transformer')
    x_2d, x_t, t = inputs(1)
    assert net.encode_condition(dict(action_text=['walking']), 1) == {}
    a = run(net, ['walking'], x_2d, x_t, t)
    b = run(net, ['sitting down'], x_2d, x_t, t)
    assert torch.equal(a, b)
    # the same network as D3DP's
    torch.manual_seed(0)
    d3dp = DiffusionMixSTE(
        seq_len=T, embed_dim=C, depth=DEPTH, num_heads=HEADS,
        drop_path_rate=0.).eval()
    d3dp.load_state_dict(net.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(d3dp(x_2d, x_t, t, {}), a)


def test_ablation_switches():
    x_2d, x_t, t = inputs(1)
    no_fpc = make_text_live(build_denoiser(use_fpc=False))
    assert not hasattr(no_fpc, 'fpc') and no_fpc.use_pts
    # text still enters through PTS (the timestep embedding)
    assert not torch.allclose(
        run(no_fpc, ['walking'], x_2d, x_t, t),
        run(no_fpc, ['sitting down'], x_2d, x_t, t))

    no_pts = make_text_live(build_denoiser(use_pts=False))
    assert no_pts.fpc.stylization is None
    feats = no_pts.encode_condition(dict(action_text=['walking']), 1)
    assert no_pts.cond_embedding(feats) is None
    # FPC update added as it is: the text matters from the first step
    assert not torch.allclose(
        run(no_pts, ['walking'], x_2d, x_t, t),
        run(no_pts, ['sitting down'], x_2d, x_t, t))

    manual = build_denoiser(mode='manual')
    assert run(manual, ['walking'], x_2d, x_t, t).shape == (1, T, K, 3)


def test_context_vectors_learn():
    net = make_text_live(build_denoiser()).train()
    x_2d, x_t, t = inputs(2)
    feats = net.encode_condition(dict(action_text=['walking', 'eating']), 2)
    net(x_2d, x_t, t, feats).square().sum().backward()
    pl = net.prompt_learner
    assert pl.ctx_verb.grad.abs().sum() > 0
    assert net.text_proj.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in pl.text_encoder.parameters())


# ---------------------------------------------------------------------------
# The public checkpoint layout and a reference forward pass written from the
# equations (plain tensor ops, no mmlpose modules).
# ---------------------------------------------------------------------------
def public_state_dict(seed=0, text=True):
    """Random tensors under the keys and shapes of a public FinePOSE (or,
    with ``text=False``, D3DP) checkpoint for the small config above."""
    g = torch.Generator().manual_seed(seed)

    def rnd(*shape, scale=0.1):
        return torch.randn(*shape, generator=g) * scale

    sd = {}

    def linear(prefix, out_dim, in_dim):
        sd[f'{prefix}.weight'] = rnd(out_dim, in_dim,
                                     scale=1 / math.sqrt(in_dim))
        sd[f'{prefix}.bias'] = rnd(out_dim)

    def ln(prefix, dim):
        sd[f'{prefix}.weight'] = 1 + rnd(dim)
        sd[f'{prefix}.bias'] = rnd(dim)

    p = 'module.pose_estimator.'
    linear(p + 'Spatial_patch_to_embedding', C, 5)
    sd[p + 'Spatial_pos_embed'] = rnd(1, K, C)
    sd[p + 'Temporal_pos_embed'] = rnd(1, T, C)
    linear(p + 'time_mlp.1', 2 * C, C)
    linear(p + 'time_mlp.3', C, 2 * C)
    for blocks in ('STEblocks', 'TTEblocks'):
        for i in range(DEPTH):
            b = f'{p}{blocks}.{i}.'
            ln(b + 'norm1', C)
            linear(b + 'attn.qkv', 3 * C, C)
            linear(b + 'attn.proj', C, C)
            ln(b + 'norm2', C)
            linear(b + 'mlp.fc1', 2 * C, C)
            linear(b + 'mlp.fc2', C, 2 * C)
    ln(p + 'Spatial_norm', C)
    ln(p + 'Temporal_norm', C)
    ln(p + 'head.0', C)
    linear(p + 'head.1', 3, C)
    if text:
        a = p + 'temporal_cross_attn.'
        ln(a + 'norm', C)
        ln(a + 'text_norm', D)
        linear(a + 'query', C, C)
        linear(a + 'key', C, D)
        linear(a + 'value', C, D)
        linear(a + 'proj_out.emb_layers.1', 2 * C, C)
        ln(a + 'proj_out.norm', C)
        linear(a + 'proj_out.out_layers.2', C, C)  # non-zero: FPC is live
        for i in range(TEXT_LAYERS):
            e = f'{p}textTransEncoder.layers.{i}.'
            sd[e + 'self_attn.in_proj_weight'] = rnd(
                3 * D, D, scale=1 / math.sqrt(D))
            sd[e + 'self_attn.in_proj_bias'] = rnd(3 * D)
            linear(e + 'self_attn.out_proj', D, D)
            linear(e + 'linear1', TEXT_FF, D)
            linear(e + 'linear2', D, TEXT_FF)
            ln(e + 'norm1', D)
            ln(e + 'norm2', D)
        ln(p + 'text_ln', D)
        linear(p + 'text_proj.0', C, D)
        for name, _, length in PROMPTS:
            sd[f'{p}ctx_{name}'] = rnd(length - 4, D, scale=0.02)
        c = p + 'clip_text.'
        sd[c + 'token_embedding.weight'] = rnd(49408, D)
        sd[c + 'positional_embedding'] = rnd(77, D, scale=0.01)
        for i in range(CLIP_LAYERS):
            r = f'{c}transformer.resblocks.{i}.'
            sd[r + 'attn.in_proj_weight'] = rnd(
                3 * D, D, scale=1 / math.sqrt(D))
            sd[r + 'attn.in_proj_bias'] = rnd(3 * D)
            linear(r + 'attn.out_proj', D, D)
            ln(r + 'ln_1', D)
            linear(r + 'mlp.c_fc', CLIP_FF, D)
            linear(r + 'mlp.c_proj', D, CLIP_FF)
            ln(r + 'ln_2', D)
        ln(c + 'ln_final', D)
        sd[c + 'text_projection'] = rnd(D, D)
        sd[c + 'logit_scale'] = torch.tensor(4.6)
        sd[c + 'visual.conv1.weight'] = rnd(8, 3, 4, 4)
        sd[c + 'visual.transformer.resblocks.0.ln_1.weight'] = rnd(8)
    for buf in ('betas', 'alphas_cumprod', 'sqrt_alphas_cumprod'):
        sd['module.' + buf] = torch.rand(1000, dtype=torch.float64)
    return sd


def _ln(x, p, name, eps=1e-5):
    return F.layer_norm(x, x.shape[-1:], p[name + '.weight'],
                        p[name + '.bias'], eps)


def _lin(x, p, name):
    return x @ p[name + '.weight'].T + p[name + '.bias']


def _attention(x, w, b, w_out, b_out, heads, kv=None, causal=False):
    """Multi-head attention with fused or separate projections:
    softmax(q k^T / sqrt(d)) v."""
    if kv is None:
        q, k, v = (x @ w.T + b).chunk(3, dim=-1)
    else:
        q, k, v = x, *kv
    dim = q.shape[-1]
    hd = dim // heads

    def split(z):
        return z.reshape(*z.shape[:-1], heads, hd).transpose(-3, -2)

    q, k, v = split(q), split(k), split(v)
    logits = q @ k.transpose(-1, -2) / math.sqrt(hd)
    if causal:
        n = logits.shape[-1]
        logits = logits + torch.full((n, n), float('-inf')).triu(1)
    y = logits.softmax(-1) @ v
    y = y.transpose(-3, -2).reshape(*y.shape[:-3], y.shape[-2], dim)
    return y @ w_out.T + b_out


def _mixste_block(x, p, name):
    x = x + _attention(
        _ln(x, p, name + '.norm1', 1e-6), p[name + '.attn.qkv.weight'],
        p[name + '.attn.qkv.bias'], p[name + '.attn.proj.weight'],
        p[name + '.attn.proj.bias'], HEADS)
    h = F.gelu(_lin(_ln(x, p, name + '.norm2', 1e-6), p, name + '.mlp.fc1'))
    return x + _lin(h, p, name + '.mlp.fc2')


def reference_text(p, ids_of, verb):
    """FPP + CLIP (OpenAI layout) + text transformer for one sample:
    ``(77, D)`` tokens and the projected ``(C,)`` prompt."""
    pre = 'clip_text.'
    emb = p[pre + 'token_embedding.weight']
    pieces = []
    for name, word, _ in PROMPTS:
        word = verb if word == '{verb}' else word
        pieces += [p[f'ctx_{name}'], emb[ids_of(word)[:4]]]
    x = torch.cat(pieces) + p[pre + 'positional_embedding']
    for i in range(CLIP_LAYERS):
        r = f'{pre}transformer.resblocks.{i}.'
        x = x + _attention(
            _ln(x, p, r + 'ln_1'), p[r + 'attn.in_proj_weight'],
            p[r + 'attn.in_proj_bias'], p[r + 'attn.out_proj.weight'],
            p[r + 'attn.out_proj.bias'], CLIP_HEADS, causal=True)
        h = _lin(_ln(x, p, r + 'ln_2'), p, r + 'mlp.c_fc')
        x = x + _lin(h * torch.sigmoid(1.702 * h), p, r + 'mlp.c_proj')
    x = _ln(x, p, pre + 'ln_final')
    for i in range(TEXT_LAYERS):  # post-norm encoder layers, GELU
        e = f'textTransEncoder.layers.{i}.'
        x = _ln(
            x + _attention(x, p[e + 'self_attn.in_proj_weight'],
                           p[e + 'self_attn.in_proj_bias'],
                           p[e + 'self_attn.out_proj.weight'],
                           p[e + 'self_attn.out_proj.bias'], TEXT_HEADS), p,
            e + 'norm1')
        h = _lin(F.gelu(_lin(x, p, e + 'linear1')), p, e + 'linear2')
        x = _ln(x + h, p, e + 'norm2')
    x = _ln(x, p, 'text_ln')
    # the public code's index: EOT position of the verb tokenised alone
    proj = _lin(x[int(ids_of(verb).argmax())], p, 'text_proj.0')
    return x, proj


def reference_forward(p, x_2d, x_t, t, text=None):
    """One sample: ``(T, K, 2)``, ``(T, K, 3)``, scalar t -> ``(T, K, 3)``."""
    x = _lin(torch.cat([x_2d, x_t], -1), p, 'Spatial_patch_to_embedding')
    x = x + p['Spatial_pos_embed'][0]
    half = C // 2
    freqs = torch.exp(torch.arange(half) * -(math.log(10000) / (half - 1)))
    ang = t.float() * freqs
    temb = torch.cat([ang.sin(), ang.cos()])
    emb = _lin(F.gelu(_lin(temb, p, 'time_mlp.1')), p, 'time_mlp.3')
    if text is not None:
        tokens, proj = text
        emb = emb + proj  # PTS: prompt added to the timestep embedding
    x = x + emb  # every (frame, joint) token
    x = _ln(_mixste_block(x, p, 'STEblocks.0'), p, 'Spatial_norm', 1e-6)
    x = x.transpose(0, 1)  # (K, T, C): one sequence per joint
    if text is not None:  # FPC
        a = 'temporal_cross_attn.'
        q = _lin(_ln(x, p, a + 'norm'), p, a + 'query')
        tn = _ln(tokens, p, a + 'text_norm')
        k, v = _lin(tn, p, a + 'key'), _lin(tn, p, a + 'value')
        hd = C // HEADS
        qh = q.reshape(K, T, HEADS, hd)
        kh, vh = k.reshape(77, HEADS, hd), v.reshape(77, HEADS, hd)
        w = torch.einsum('kthd,lhd->kthl', qh, kh) / math.sqrt(hd)
        y = torch.einsum('kthl,lhd->kthd', w.softmax(-1), vh).reshape(K, T, C)
        style = _lin(F.silu(emb), p, a + 'proj_out.emb_layers.1')
        scale, shift = style[:C], style[C:]
        h = _ln(y, p, a + 'proj_out.norm') * (1 + scale) + shift
        x = x + _lin(F.silu(h), p, a + 'proj_out.out_layers.2')
    x = x + p['Temporal_pos_embed'][0]
    x = _ln(_mixste_block(x, p, 'TTEblocks.0'), p, 'Temporal_norm', 1e-6)
    for i in range(1, DEPTH):
        x = x.transpose(0, 1)
        x = _ln(_mixste_block(x, p, f'STEblocks.{i}'), p, 'Spatial_norm',
                1e-6)
        x = x.transpose(0, 1)
        x = _ln(_mixste_block(x, p, f'TTEblocks.{i}'), p, 'Temporal_norm',
                1e-6)
    x = x.transpose(0, 1)
    return _lin(_ln(x, p, 'head.0'), p, 'head.1')


def strip(sd):
    return {
        k[len('module.pose_estimator.'):]: v
        for k, v in sd.items() if k.startswith('module.pose_estimator.')
    }


def test_convert_public_finepose_checkpoint():
    net = build_denoiser()
    public = public_state_dict()
    target = net.state_dict()
    converted, report = convert_finepose_state_dict(
        dict(model_pos=public, epoch=3), prefix='', target=target)
    assert not report.missing and not report.unexpected
    assert set(converted) == set(target)
    net.load_state_dict(converted, strict=True)
    # every denoiser weight landed
    for ours, theirs in report.converted.items():
        value = public[theirs]
        if 'in_proj' in theirs and 'clip_text' in theirs:
            idx = ('q_proj', 'k_proj', 'v_proj').index(ours.split('.')[-2])
            value = value.chunk(3)[idx]
        assert torch.equal(net.state_dict()[ours], value), ours
    dropped = set(report.dropped)
    assert 'module.betas' in dropped
    assert 'module.pose_estimator.clip_text.visual.conv1.weight' in dropped
    assert 'module.pose_estimator.clip_text.text_projection' in dropped


def test_converter_fails_loudly():
    net = build_denoiser()
    public = public_state_dict()
    public['module.pose_estimator.new_layer.weight'] = torch.zeros(2)
    with pytest.raises(KeyError, match='unmapped'):
        convert_finepose_state_dict(public, prefix='')
    public = public_state_dict()
    del public['module.pose_estimator.TTEblocks.1.mlp.fc2.bias']
    with pytest.raises(KeyError, match='missing'):
        convert_finepose_state_dict(public, prefix='',
                                    target=net.state_dict())
    _, report = convert_finepose_state_dict(
        public, prefix='', target=net.state_dict(), strict=False)
    assert report.missing == ['temporal_blocks.1.mlp.3.bias']


def test_convert_public_d3dp_checkpoint():
    torch.manual_seed(0)
    d3dp = DiffusionMixSTE(
        seq_len=T, embed_dim=C, depth=DEPTH, num_heads=HEADS,
        drop_path_rate=0.).eval()
    public = public_state_dict(text=False)
    converted, _ = convert_finepose_state_dict(
        public, prefix='', target=d3dp.state_dict())
    d3dp.load_state_dict(converted, strict=True)
    x_2d, x_t, t = inputs(2)
    p = strip(public)
    with torch.no_grad():
        ours = d3dp(x_2d, x_t, t, {})
    for n in range(2):
        ref = reference_forward(p, x_2d[n], x_t[n], t[n])
        torch.testing.assert_close(ours[n], ref, atol=1e-5, rtol=1e-5)


def test_reference_forward_matches_public_layout():
    """Convert a public-layout FinePOSE state dict into our denoiser and
    compare with the hand-written reference, text features included."""
    net = build_denoiser()
    public = public_state_dict()
    converted, _ = convert_finepose_state_dict(
        public, prefix='', target=net.state_dict())
    net.load_state_dict(converted, strict=True)
    texts = ['walk dog', 'sitting down']
    x_2d, x_t, t = inputs(2)
    with torch.no_grad():
        feats = net.encode_condition(dict(action_text=texts), 2)
        ours = net(x_2d, x_t, t, feats)

    p = strip(public)
    ids_of = net.prompt_learner.token_ids
    for n, text in enumerate(texts):
        verb = ''.join(text.split())  # 'WalkDog' -> 'walkdog' for CLIP
        tokens, proj = reference_text(p, ids_of, verb)
        torch.testing.assert_close(
            feats['text_tokens'][n], tokens, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(
            feats['text_embed'][n], proj, atol=1e-5, rtol=1e-5)
        ref = reference_forward(p, x_2d[n], x_t[n], t[n], (tokens, proj))
        torch.testing.assert_close(ours[n], ref, atol=1e-5, rtol=1e-5)


def test_no_fpc_no_pts_builds_no_clip():
    net = build_denoiser(use_fpc=False, use_pts=False)
    assert not net.use_text and net.prompt_learner.text_encoder is None
