# Copyright (c) mmlpose contributors. All rights reserved.
import copy
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from mmlpose.apis.inference import init_lifter, lift_sequence
from mmlpose.engine.tta import (AdaptationResult, SemanticTTA, build_tta,
                                ema_update, render_virtual_views,
                                solve_root_translation)
from mmlpose.registry import TASK_UTILS
from mmlpose.structures.video_sequence import VideoSequence

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CFG = osp.join(REPO, 'configs')
TINY = osp.join(CFG, 'mixste/mixste_tiny-27frm_1xb32-60e_deepmimic.py')
FULL = osp.join(CFG, 'tta/sstta_mixste-small_deepmimic-shift.py')
SPACE_CFG = osp.join(
    CFG, 'langpose/langpose_tiny-27frm_1xb32-20e_stage2_deepmimic.py')
SPACE_CKPT = osp.join(REPO, 'checkpoints/langpose_tiny_stage2_deepmimic.pth')
W, H = 1000, 800
FAST_ADAM = dict(type='Adam', lr=2e-3, betas=(0.5, 0.9))


@pytest.fixture(scope='module')
def lifter():
    """A random-weight MixSTE from the tiny config, shrunk to width 16."""
    torch.manual_seed(0)
    return init_lifter(
        TINY,
        cfg_options=dict(
            model=dict(
                backbone=dict(embed_dim=16, depth=1, num_heads=2),
                head=dict(in_channels=16))))


def project(points, f=float(W), c=(W / 2, H / 2)):
    return points[..., :2] / points[..., 2:] * f + np.asarray(c)


@pytest.fixture(scope='module')
def motion():
    """A known 3D motion (camera frame, m) and its exact 2D projection with
    the estimated camera (focal = image width, principal point = centre)."""
    rng = np.random.default_rng(0)
    num_frames = 40
    base = rng.normal(0, 0.3, (17, 3))
    base[0] = 0
    phase = rng.uniform(0, 2 * np.pi, (17, 3))
    t = np.arange(num_frames)[:, None, None]
    rel = base + 0.1 * np.sin(0.2 * t + phase)
    rel = rel - rel[:, :1]
    root = np.stack([
        0.2 * np.sin(0.05 * t[:, 0, 0]), 0.1 * np.ones(num_frames),
        4. + 0.01 * t[:, 0, 0]
    ], -1)
    kpts = project(rel + root[:, None])
    return rel.astype(np.float32), kpts.astype(np.float32)


def make_sequence(kpts, scores=None, text=None):
    if scores is None:
        scores = np.ones(kpts.shape[:2], np.float32)
    return VideoSequence('synthetic', kpts, scores, (W, H), action_text=text)


def reprojection_error(pose, kpts):
    """Mean px error of ``pose`` placed by the root solve on ``kpts``."""
    f = torch.tensor([2., 2.], dtype=torch.float64)
    c = torch.zeros(2, dtype=torch.float64)
    centre = np.array([W / 2, H / 2])
    targets = torch.from_numpy((kpts - centre) / (W / 2))
    pose = torch.from_numpy(pose).double()
    trans, _ = solve_root_translation(pose, targets,
                                      torch.ones(pose.shape[:2]).double(), f,
                                      c)
    proj = (pose + trans[:, None]).numpy()
    px = project(proj)
    return np.linalg.norm(px - kpts, axis=-1).mean()


def test_root_solve_recovers_a_known_translation_exactly():
    pose = torch.tensor(
        [[0., 0., 0.], [0.3, -0.2, 0.1], [-0.25, 0.4, -0.15], [0.1, 0.5, 0.3]],
        dtype=torch.float64)
    trans = torch.tensor([[0.3, -0.2, 4.], [-0.5, 0.1, 6.], [0., 0., 3.]],
                         dtype=torch.float64)
    f = torch.tensor([2.3, 2.1], dtype=torch.float64)
    c = torch.tensor([0.05, -0.1], dtype=torch.float64)
    poses = pose.expand(3, 4, 3).clone()
    points = poses + trans[:, None]
    targets = points[..., :2] / points[..., 2:] * f + c
    weights = torch.ones(3, 4, dtype=torch.float64)
    weights[0, 3] = 0  # a missing keypoint leaves frame 0 determined
    weights[2, 1:] = 0  # one keypoint: frame 2 takes its neighbour's
    got, valid = solve_root_translation(poses, targets, weights, f, c)
    torch.testing.assert_close(got[:2], trans[:2], rtol=0, atol=1e-9)
    torch.testing.assert_close(got[2], trans[1], rtol=0, atol=1e-9)
    assert valid.tolist() == [True, True, False]
    # no frame solvable: the default depth, flagged unsolved
    got, valid = solve_root_translation(poses, targets, weights * 0, f, c)
    assert not valid.any() and torch.all(got[:, 2] == 5.)


def test_ema_update_is_the_hand_blend():
    targets = np.array([[[10., 20.], [30., 40.]]], np.float32)
    proj = np.array([[[14., 28.], [0., 0.]]], np.float32)
    weights = np.array([[1., 0.]], np.float32)
    out = ema_update(targets, proj, weights, 0.75)
    np.testing.assert_allclose(out, [[[11., 22.], [30., 40.]]])


def test_virtual_views_by_hand():
    pose = torch.tensor([[[0., 0., 0.], [0.45, 0., 0.]]])
    views = render_virtual_views(pose, (0., 90.), 4.5, 1150., (1000, 1000))
    # yaw 0: u = 1150 * 0.45 / 4.5 + 500 = 615 px -> (615 - 500) / 500
    torch.testing.assert_close(views[0, 0, 1], torch.tensor([0.23, 0.]))
    # yaw 90: x turns into -z (towards the camera), projecting at the centre
    torch.testing.assert_close(views[1, 0, 1], torch.zeros(2))
    assert views.shape == (2, 1, 2, 2)


def test_adapt_lowers_the_projection_loss_and_keeps_the_lifter(lifter, motion):
    _, kpts = motion
    state = copy.deepcopy(lifter.state_dict())
    tta = SemanticTTA(
        motion_space=None,
        epochs=4,
        segment_len=20,
        batch_size=2,
        optimizer=FAST_ADAM)
    result = tta.adapt(lifter, make_sequence(kpts, text='a person waves'))
    assert isinstance(result, AdaptationResult)
    proj = [epoch['loss_proj'] for epoch in result.losses]
    assert proj[-1] < 0.7 * proj[0], proj
    assert set(result.losses[0]) == {
        'loss_proj', 'loss_smooth', 'loss_bone', 'loss_anchor', 'loss'}
    assert reprojection_error(result.keypoints_3d, kpts) < \
        0.8 * reprojection_error(result.keypoints_3d_before, kpts)
    # the given lifter is untouched; the result is an adapted copy
    for key, value in lifter.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert result.model is not lifter and not result.model.training
    np.testing.assert_allclose(result.keypoints_3d_before,
                               lift_sequence(lifter, kpts, (W, H)))
    assert result.keypoints_3d.shape == kpts.shape[:2] + (3, )
    np.testing.assert_allclose(result.keypoints_3d[:, 0], 0., atol=1e-6)
    # without a motion space: no similarity, no fill-in
    assert result.similarity == [[]] * 4
    assert not result.filled.any()
    assert result.seconds > 0


def test_a_one_frame_video_is_one_padded_segment(lifter, motion):
    _, kpts = motion
    tta = SemanticTTA(motion_space=None, epochs=2, optimizer=FAST_ADAM)
    result = tta.adapt(lifter, make_sequence(kpts[:1]))
    assert result.keypoints_3d.shape == (1, 17, 3)
    assert result.losses[0]['loss_smooth'] == 0
    assert np.isfinite(result.keypoints_3d).all()


def test_ema_moves_confident_targets_only(lifter, motion):
    _, kpts = motion
    scores = np.ones(kpts.shape[:2], np.float32)
    scores[:, 5] = 0.1
    tta = SemanticTTA(
        motion_space=None,
        epochs=1,
        segment_len=20,
        batch_size=2,
        ema_momentum=0.5)
    result = tta.adapt(lifter, make_sequence(kpts, scores))
    moved = np.abs(result.targets_2d - kpts).max(-1)
    assert (moved[:, 5] == 0).all() and (moved[:, :5] > 0).all()
    np.testing.assert_array_equal(result.target_weights, scores >= 0.3)


class _FakeSpace:
    """Stands in for the LangPose space: only the text embedding is read
    when the similarity is forced."""

    def embed_text(self, texts):
        return torch.ones(len(texts), 4) / 2


def test_fill_in_fires_only_above_the_threshold(lifter, motion, monkeypatch):
    _, kpts = motion
    scores = np.ones(kpts.shape[:2], np.float32)
    scores[3:7, 4] = 0.2  # segment 0 (frames 0-19)
    scores[25:28, 9] = 0.  # segment 1 (frames 20-39)
    scores[30, 12] = 0.29
    tta = SemanticTTA(
        epochs=2,
        segment_len=20,
        batch_size=2,
        use_alignment=False,
        use_ema=False,
        use_fill_in=True,
        fill_threshold=0.75)
    monkeypatch.setattr(tta, 'motion_space', lambda device: _FakeSpace())
    # segment 0 above, segment 1 exactly at the threshold (never filled)
    monkeypatch.setattr(tta, 'segment_similarity',
                        lambda space, poses, text: [0.9, 0.75])
    result = tta.adapt(lifter, make_sequence(kpts, scores), text='a person')
    expected = np.zeros(kpts.shape[:2], bool)
    expected[3:7, 4] = True
    np.testing.assert_array_equal(result.filled, expected)
    assert result.similarity == [[0.9, 0.75]] * 2
    assert (result.target_weights[expected] == 1).all()
    assert (result.target_weights[25:28, 9] == 0).all()
    assert result.target_weights[30, 12] == 0
    # EMA off: confident targets are the detections, filled ones moved
    keep = scores >= 0.3
    np.testing.assert_allclose(result.targets_2d[keep], kpts[keep])
    assert np.abs(result.targets_2d[expected] - kpts[expected]).min() > 0
    # without a text, no fill-in (and a warning, once)
    result = tta.adapt(lifter, make_sequence(kpts, scores))
    assert not result.filled.any() and result.similarity == [[], []]


@pytest.mark.skipif(
    not osp.isfile(SPACE_CKPT), reason='LangPose tiny checkpoint not built')
def test_alignment_with_the_real_space(lifter, motion):
    rel, kpts = motion
    tta = SemanticTTA(
        motion_space=dict(model=SPACE_CFG, weights=SPACE_CKPT),
        epochs=1,
        segment_len=20,
        batch_size=2)
    space = tta.motion_space('cpu')
    assert not any(p.requires_grad for p in space.parameters())
    with torch.no_grad():
        text = space.embed_text(['someone performs the action "walk"'])[0]
    pose = torch.from_numpy(rel[:20]).requires_grad_()
    sim = tta.similarity(space, [pose, pose[:5]], text)
    assert sim.shape == (2, ) and (sim.abs() <= 1).all()
    sim.sum().backward()
    assert pose.grad.abs().sum() > 0
    result = tta.adapt(lifter, make_sequence(kpts, text='a person walks'))
    assert 'loss_align' in result.losses[0]
    assert len(result.similarity) == 1 and len(result.similarity[0]) == 2


def test_configs_build_and_switch_the_parts():
    full = build_tta(Config.fromfile(FULL))
    assert isinstance(full, SemanticTTA)
    assert (full.epochs, full.segment_len, full.batch_size) == (6, 60, 4)
    assert full.optimizer_cfg == dict(type='Adam', lr=5e-5, betas=(0.5, 0.9))
    assert (full.lr_min, full.fill_threshold) == (1e-6, 0.75)
    assert full.use_alignment and full.use_ema and full.use_fill_in
    rows = {
        '2d-only': (False, False, False),
        'align': (True, False, False),
        'align-ema': (True, True, False),
    }
    for suffix, flags in rows.items():
        cfg = Config.fromfile(FULL.replace('.py', f'_{suffix}.py'))
        assert cfg.model == Config.fromfile(FULL).model
        tta = build_tta(cfg)
        assert (tta.use_alignment, tta.use_ema, tta.use_fill_in) == flags
    assert not build_tta(Config.fromfile(FULL.replace(
        '.py', '_2d-only.py'))).wants_space
    assert isinstance(build_tta(None), SemanticTTA)
    assert build_tta(dict(epochs=2)).epochs == 2
    assert isinstance(TASK_UTILS.build(dict(type='SemanticTTA')), SemanticTTA)


def test_bad_input_raises_one_line_errors(lifter, motion):
    _, kpts = motion
    tta = SemanticTTA(motion_space=None, epochs=1)
    bad = make_sequence(kpts)
    bad.keypoints_2d = bad.keypoints_2d.copy()
    bad.keypoints_2d[3, 2] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        tta.adapt(lifter, bad)
    empty = SimpleNamespace(
        keypoints_2d=np.zeros((0, 17, 2)),
        keypoint_scores=np.zeros((0, 17)),
        image_size=(W, H),
        action_text=None)
    with pytest.raises(ValueError, match='no frame'):
        tta.adapt(lifter, empty)
    with pytest.raises(ValueError, match=r'\(T, 17, 2\)'):
        tta.adapt(lifter, make_sequence(kpts[:, :10]))
    with pytest.raises(ValueError, match='SeqPoseLifter'):
        tta.adapt(nn.Linear(2, 3), make_sequence(kpts))
    with pytest.raises(ValueError, match='score_threshold'):
        tta.adapt(lifter,
                  make_sequence(kpts, np.zeros(kpts.shape[:2], np.float32)))
    with pytest.raises(ValueError, match='epochs'):
        SemanticTTA(epochs=0)
    with pytest.raises(ValueError, match='ema_momentum'):
        SemanticTTA(ema_momentum=1.5)
    with pytest.raises(ValueError, match='motion_space'):
        SemanticTTA(motion_space='langpose')
    with pytest.raises(ValueError, match='build_tta'):
        build_tta(3)


def test_retrieval_similarity_is_the_softmax_of_the_text(monkeypatch):
    """fill_similarity='retrieval': the probability that the motion
    retrieves the action text among the candidates, by hand."""
    tta = SemanticTTA(fill_similarity='retrieval',
                      candidate_texts=['run', 'walk', 'jump', 'walk'],
                      retrieval_temperature=0.5)
    assert tta.retrieval_texts('walk') == ['walk', 'run', 'jump']
    cos = torch.tensor([[0.2, -0.1, 0.0], [-0.3, 0.4, 0.1]])
    monkeypatch.setattr(tta, 'similarity',
                        lambda space, poses, text_embed: cos[:len(poses)])
    got = tta.segment_similarity(None, [None, None], torch.zeros(3, 4))
    logits = cos / 0.5
    expected = (logits.exp()[:, 0] / logits.exp().sum(1)).tolist()
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    # default candidates: the DeepMimic action texts, the text first
    texts = SemanticTTA(fill_similarity='retrieval').retrieval_texts('kick')
    assert texts[0] == 'kick' and 'backflip' in texts and \
        texts.count('kick') == 1
    # the space's learned temperature when none is given
    space = torch.nn.Module()
    space.contrastive_loss = type('L', (), {'temperature': 0.07})()
    assert SemanticTTA()._temperature(space) == pytest.approx(0.07)
    with pytest.raises(ValueError, match='fill_similarity'):
        SemanticTTA(fill_similarity='dot')


def test_bone_and_anchor_priors_by_hand():
    """L_bone and L_anchor against hand-computed values."""
    tta = SemanticTTA(bone_weight=2., anchor_weight=3.)
    ref = torch.zeros(4, 3, 3)
    ref[:, 1, 0] = 1.  # bone 0-1 of length 1
    ref[:, 2, 1] = 2.  # bone 0-2 of length 2
    priors = dict(pose=ref, bones=torch.tensor([1., 2.]),
                  links=torch.tensor([[0, 1], [0, 2]]))
    pose = ref[1:3].clone()
    pose[:, 1, 0] = 1.5  # bone 0-1 now 1.5 long, joint 1 moved by 0.5
    terms = tta._prior_losses([(1, 3)], [pose], priors)
    # mean |len - ref| over 2 frames x 2 bones = (0.5 + 0) / 2
    assert float(terms['loss_bone']) == pytest.approx(2. * 0.25)
    # mean joint distance over 2 frames x 3 joints = 0.5 / 3
    assert float(terms['loss_anchor']) == pytest.approx(3. * 0.5 / 3)
    assert SemanticTTA(bone_weight=0., anchor_weight=0.)._prior_losses(
        [(1, 3)], [pose], None) == {}


def test_adaptation_keeps_the_body_size(lifter, motion):
    """With the bone prior the adapted body keeps its bone lengths; the
    loss terms are logged."""
    rel, kpts = motion
    tta = SemanticTTA(motion_space=None, epochs=3, segment_len=20,
                      optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.9)))
    result = tta.adapt(lifter, make_sequence(kpts))
    assert {'loss_bone', 'loss_anchor'} <= set(result.losses[0])
    links = np.array(lifter.dataset_meta['skeleton_links'])

    def bones(pose):
        return np.linalg.norm(
            pose[:, links[:, 0]] - pose[:, links[:, 1]], axis=-1).mean()

    before, after = bones(result.keypoints_3d_before), bones(
        result.keypoints_3d)
    assert abs(after - before) < 0.05 * before


def test_projection_joint_weights_leave_out_joints():
    """A joint with weight 0 neither moves the root solve nor the loss."""
    pose = torch.tensor([[[0., 0., 0.], [0.1, 0., 0.], [0., 0.2, 0.]]])
    f, c = torch.tensor([2., 2.]), torch.tensor([0., 0.])
    trans = torch.tensor([[0.05, -0.02, 4.]])
    from mmlpose.engine.tta.geometry import project_pose
    targets = project_pose(pose, trans, f, c)
    bad = targets.clone()
    bad[0, 2] += 0.3  # joint 2 is off in 2D
    weights = torch.ones(1, 3)
    full = SemanticTTA()
    masked = SemanticTTA(projection_joint_weights=[1, 1, 0])
    assert float(full.projection_loss(pose, bad, weights, f, c)[0]) > 0.01
    loss, proj, _ = masked.projection_loss(pose, bad, weights, f, c)
    assert float(loss) == pytest.approx(0., abs=1e-6)
    torch.testing.assert_close(proj[:, :2], targets[:, :2])
    with pytest.raises(ValueError, match='not all 0'):
        SemanticTTA(projection_joint_weights=[0, 0, 0])
    with pytest.raises(ValueError, match='3 keypoints'):
        SemanticTTA(projection_joint_weights=[1, 1]).projection_loss(
            pose, bad, weights, f, c)
