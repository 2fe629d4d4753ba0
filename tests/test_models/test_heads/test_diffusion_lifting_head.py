# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.structures import PoseDataSample

from mmlpose.datasets.h36m_text_dataset import mmpose_dataset_cfg
from mmlpose.models.backbones import DiffusionMixSTE
from mmlpose.models.heads import DiffusionLiftingHead
from mmlpose.models.heads.diffusion_lifting_head import expand_rows
from mmlpose.models.utils import flip_pose
from mmlpose.registry import MODELS

FLIP_INDICES = parse_pose_metainfo(
    dict(from_file=mmpose_dataset_cfg('h36m')))['flip_indices']
FRAMES = 5
# a 1000 x 1000 camera (f = 1150 px, centred) as the codec normalises it
CAMERA = dict(w=1000, h=1000, f=np.array([[2.3], [2.3]]),
              c=np.array([[0.], [0.]]))


def tiny_head(denoiser_type='DiffusionMixSTE'):
    head = MODELS.build(
        dict(
            type='DiffusionLiftingHead',
            denoiser=dict(
                type=denoiser_type, seq_len=FRAMES, embed_dim=16, depth=1,
                num_heads=2, drop_path_rate=0.)))
    head.init_weights()
    return head.eval()


def samples(batch, target=None, **meta):
    out = []
    for i in range(batch):
        s = PoseDataSample(
            metainfo=dict(flip_indices=FLIP_INDICES, **{
                k: v[i] if isinstance(v, list) else v
                for k, v in meta.items()
            }))
        if target is not None:
            s.gt_instance_labels = InstanceData(
                lifting_target_label=target[i],
                lifting_target_weight=torch.ones(FRAMES, 17))
        out.append(s)
    return out


class CountingDenoiser(DiffusionMixSTE):
    """Records every forward call and every encode_condition call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls, self.encoded = [], []

    def encode_condition(self, cond, num_rows):
        self.encoded.append((cond, num_rows))
        return dict(row_id=torch.arange(num_rows), text=cond['action_text'])

    def forward(self, x_2d, x_t, t, cond_feats):
        self.calls.append((x_2d.shape[0], cond_feats['row_id'].tolist(),
                           cond_feats['text']))
        return super().forward(x_2d, x_t, t, cond_feats)


MODELS.register_module(module=CountingDenoiser, force=True)


def test_one_batched_forward_per_step_and_condition_once():
    torch.manual_seed(0)
    head = tiny_head('CountingDenoiser')
    B, H, M = 2, 3, 4
    preds = head.predict(
        torch.rand(B, FRAMES, 17, 2) - 0.5,
        samples(B, action_text=['walk', 'jump']),
        test_cfg=dict(num_hypotheses=H, num_steps=M, flip_test=True,
                      aggregation='mean'))
    den = head.denoiser
    assert den.encoded == [(dict(action_text=['walk', 'jump']), B)]
    assert len(den.calls) == M
    rows, row_ids, texts = den.calls[0]
    assert rows == B * H * 2
    # rows are (flip copy, sample, hypothesis)
    assert row_ids == [0, 0, 0, 1, 1, 1] * 2
    assert texts == ['walk'] * 3 + ['jump'] * 3 + ['walk'] * 3 + ['jump'] * 3
    assert len(preds) == B
    pred = preds[0]
    assert pred.keypoints.shape == (1, FRAMES, 17, 3)
    assert pred.keypoint_scores.shape == (1, FRAMES, 17)
    assert pred.keypoints_hypotheses.shape == (1, H, FRAMES, 17, 3)
    np.testing.assert_allclose(pred.keypoints_hypotheses[..., 0, :], 0.)
    np.testing.assert_allclose(
        pred.keypoints, pred.keypoints_hypotheses.mean(1), atol=1e-6)


def test_expand_rows_layout():
    feats = dict(a=torch.tensor([[1., 1.], [2., 2.]]), b=['x', 'y'], c=3)
    out = expand_rows(feats, 2, 2)
    assert out['a'][:, 0].tolist() == [1, 1, 2, 2, 1, 1, 2, 2]
    assert out['b'] == ['x', 'x', 'y', 'y'] * 2 and out['c'] == 3


def test_same_seed_same_output_and_jpma_picks_among_hypotheses():
    torch.manual_seed(0)
    head = tiny_head()
    x = torch.rand(2, FRAMES, 17, 2) - 0.5
    root = [np.tile([0.1, 0.2, 4.5], (FRAMES, 1)).astype(np.float32)] * 2
    data = samples(2, camera_param=CAMERA, target_root=root)
    cfg = dict(num_hypotheses=4, num_steps=2, flip_test=True, seed=3)
    a = head.predict(x, data, test_cfg=cfg)
    b = head.predict(x, data, test_cfg=cfg)
    c = head.predict(x, data, test_cfg=dict(cfg, seed=4))
    np.testing.assert_array_equal(a[0].keypoints_hypotheses,
                                  b[0].keypoints_hypotheses)
    np.testing.assert_array_equal(a[1].keypoints, b[1].keypoints)
    assert not np.allclose(a[0].keypoints_hypotheses,
                           c[0].keypoints_hypotheses)
    # every J-Agg joint is one of the hypotheses' joints
    hyps, agg = a[0].keypoints_hypotheses[0], a[0].keypoints[0]
    dist = np.linalg.norm(hyps - agg[None], axis=-1).min(0)
    np.testing.assert_allclose(dist, 0., atol=1e-6)
    # hypotheses differ, so the sampler is stochastic
    assert np.abs(hyps[0] - hyps[1]).max() > 1e-3


def test_jpma_without_root_or_camera_uses_estimated_defaults(monkeypatch):
    """No camera and no target_root: JPMA uses the estimated intrinsics
    (f = 2, c = 0 in normalised units: focal length = image width) and puts
    the root at root_depth on the ray through the 2D root. Hand-built
    hypotheses: per joint one reprojects exactly under those intrinsics,
    the other under f = 1; J-Agg must assemble the first at every joint."""
    torch.manual_seed(0)
    head = tiny_head()
    x_2d = torch.rand(1, FRAMES, 17, 2) - 0.5
    depth = 5.
    offsets = torch.linspace(-0.3, 0.3, 17)[None, :, None]  # joint depths
    root = torch.cat([x_2d[0, :, :1] / 2 * depth,
                      torch.full((FRAMES, 1, 1), depth)], -1)  # (T, 1, 3)

    def pose(f):
        z = depth + offsets.expand(FRAMES, 17, 1)
        points = torch.cat([x_2d[0] / f * z, z], -1)  # projects to x_2d
        rel = points - root
        rel[:, 0] = 0.
        return rel

    good, bad = pose(2.), pose(1.)
    pick = torch.rand(FRAMES, 17, 1) < 0.5  # where hypothesis 0 is good
    pick[:, 0] = True  # the root joint is 0 in both
    hyps = torch.stack([torch.where(pick, good, bad),
                        torch.where(pick, bad, good)])[None]

    monkeypatch.setattr(head, 'sample', lambda *args, **kwargs: hyps)
    preds = head.predict(
        x_2d, samples(1),
        test_cfg=dict(num_hypotheses=2, num_steps=1, root_depth=depth))
    np.testing.assert_allclose(preds[0].keypoints[0], good.numpy(),
                               atol=1e-6)
    # JPMA assembles joints from both hypotheses: neither alone is the answer
    assert pick[:, 1:].any() and (~pick[:, 1:]).any()
    with pytest.raises(ValueError, match='aggregation'):
        head.predict(x_2d, samples(1),
                     test_cfg=dict(num_hypotheses=2, num_steps=1,
                                   aggregation='median'))
    with pytest.raises(KeyError, match='unknown test_cfg'):
        head.predict(x_2d, samples(1), test_cfg=dict(num_hypothesis=2))


def test_jpma_reads_the_codec_normalised_camera(monkeypatch):
    """With the sample's camera (normalised by the codec, f = 2.3) and its
    target_root, J-Agg picks the hypothesis that reprojects under that
    camera, not under the estimated one (f = 2)."""
    head = tiny_head()
    x_2d = torch.rand(1, FRAMES, 17, 2) - 0.5
    root = torch.tensor([0.1, -0.2, 4.])
    z = root[2] + torch.linspace(-0.3, 0.3, 17)[None, :, None].expand(
        FRAMES, 17, 1)

    def pose(f):
        points = torch.cat([x_2d[0] / f * z, z], -1)
        return points - root

    # the root joint of both hypotheses reprojects exactly under f = 2.3
    good, bad = pose(2.3), pose(2.)
    bad[:, 0] = good[:, 0]
    hyps = torch.stack([bad, good])[None]
    hyps = hyps - hyps[..., :1, :]
    monkeypatch.setattr(head, 'sample', lambda *args, **kwargs: hyps)
    camera = dict(w=1000, h=800, f=np.array([[2.3], [2.3]]),
                  c=np.zeros((2, 1)))
    root_traj = (good[:, :1] + root).numpy()[:, 0]  # root joint (T, 3)
    preds = head.predict(
        x_2d, samples(1, camera_param=camera, target_root=[root_traj]),
        test_cfg=dict(num_hypotheses=2, num_steps=1))
    np.testing.assert_allclose(preds[0].keypoints[0], hyps[0, 1].numpy(),
                               atol=1e-6)


def test_flip_test_sampling_is_mirror_equivariant(monkeypatch):
    """With flip-symmetric noise (n = flip(n)), sampling the mirrored input
    gives exactly the mirrored hypotheses: each step averages the
    prediction with the un-mirrored prediction of the mirrored copy."""
    torch.manual_seed(0)
    head = tiny_head()
    draw = DiffusionLiftingHead._randn

    def symmetric_randn(shape, generator, like):
        n = draw(shape, generator, like)
        return (n + flip_pose(n, FLIP_INDICES)) / 2

    monkeypatch.setattr(head, '_randn', symmetric_randn)
    x = torch.rand(1, FRAMES, 17, 2) - 0.5
    cfg = dict(num_hypotheses=3, num_steps=2, flip_test=True, seed=0,
               aggregation='mean')

    def hyps(inp, **kw):
        pred = head.predict(inp, samples(1), test_cfg=dict(cfg, **kw))[0]
        return torch.from_numpy(pred.keypoints_hypotheses[0])

    mirrored = hyps(flip_pose(x, FLIP_INDICES))
    torch.testing.assert_close(
        mirrored, flip_pose(hyps(x), FLIP_INDICES), atol=1e-5, rtol=1e-5)
    # without the flip test the network alone is not equivariant
    mirrored = hyps(flip_pose(x, FLIP_INDICES), flip_test=False)
    assert not torch.allclose(
        mirrored, flip_pose(hyps(x, flip_test=False), FLIP_INDICES),
        atol=1e-3)


def test_loss_falls_on_a_fixed_batch():
    torch.manual_seed(0)
    head = tiny_head().train()
    x = torch.rand(8, FRAMES, 17, 2) - 0.5
    # a target the 2D input determines: (x, y, x * y), root-relative
    target = torch.cat([x, x[..., :1] * x[..., 1:]], dim=-1)
    target = target - target[..., :1, :]
    data = samples(8, target=target)
    optim = torch.optim.Adam(head.parameters(), lr=3e-3)
    history = []
    for _ in range(30):
        losses = head.loss(x, data)
        assert set(losses) == {'loss_weightedmpjpe', 'mpjpe'}
        optim.zero_grad()
        losses['loss_weightedmpjpe'].backward()
        optim.step()
        history.append(losses['loss_weightedmpjpe'].item())
    assert np.mean(history[-5:]) < 0.7 * np.mean(history[:5]), history
    with pytest.raises(ValueError, match='target shape'):
        head.loss(x[:, :3], data)


def test_estimator_wires_the_head():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='DiffusionPoseLifter',
            head=dict(
                type='DiffusionLiftingHead',
                denoiser=dict(
                    type='DiffusionMixSTE', seq_len=FRAMES, embed_dim=16,
                    depth=1, num_heads=2)),
            test_cfg=dict(num_hypotheses=2, num_steps=2, flip_test=True)))
    model.init_weights()
    x = [torch.rand(FRAMES, 17, 2) for _ in range(2)]
    target = torch.randn(2, FRAMES, 17, 3) * 0.1
    losses = model(x, samples(2, target=target), mode='loss')
    assert losses['loss_weightedmpjpe'].requires_grad
    model.eval()
    out = model(x, samples(2), mode='predict')
    assert out[0].pred_instances.keypoints_hypotheses.shape == (
        1, 2, FRAMES, 17, 3)
    assert model(x, mode='tensor').shape == (2, 2, FRAMES, 17, 3)
    with pytest.raises(RuntimeError, match='mode'):
        model(x, mode='bad')


@pytest.mark.parametrize('shape', [(27, 17, 2), (1, 5, 17, 3)])
def test_sample_rejects_badly_shaped_2d_with_a_clear_error(shape):
    head = tiny_head()
    with pytest.raises(ValueError, match=r'\(B, T, K, 2\)'):
        head.sample(torch.rand(*shape), num_hypotheses=2, num_steps=1)
