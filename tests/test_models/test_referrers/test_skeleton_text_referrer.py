# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmlpose.models.referrers import (LearnedSkeletonReferrer,
                                      SkeletonTextFusion, person_features)
from mmlpose.models.referrers.skeleton_text_referrer import (
    person_feature_dim, window_positions)
from mmlpose.registry import MODELS
from mmlpose.structures.panoptic import panoptic15_to_h36m
from mmlpose.structures.track import PersonTrack

torch.set_num_threads(1)
FUSION = dict(
    type='SkeletonTextFusion',
    embed_dims=32,
    num_layers=1,
    num_heads=2,
    dropout=0.)
W, H = 960, 540
STEPS = 40
SHIRTS = dict(red=(30, 30, 220), blue=(200, 40, 20))  # BGR


def _pose(cx, top=100., height=300.):
    kp = np.zeros((15, 2))
    rows = (.15, .08, .5, .17, .33, .48, .5, .75, .98, .17, .33, .48, .5, .75,
            .98)
    sides = (0, 0, 0, -1, -1.3, -1.4, -.6, -.6, -.6, 1, 1.3, 1.4, .6, .6, .6)
    for j in range(15):
        kp[j] = [cx + 30 * sides[j], top + rows[j] * height]
    return kp


def test_person_features_by_hand():
    kp = np.full((2, 3, 15, 2), np.nan)
    kp[0, 0] = _pose(480.)
    kp[0, 2] = _pose(240.)
    sc = np.full((2, 3, 15), .9)
    k3d = np.full((2, 3, 15, 3), .25)
    colours = np.array([[.1, .2, .3, .4, .5, .6], [0, 0, 0, 0, 0, 0]])
    feats, present = person_features(kp, sc, k3d, colours, (W, H))
    assert feats.shape == (2, 3, person_feature_dim(6)) == (2, 3, 100)
    np.testing.assert_array_equal(present, [[1, 0, 1], [0, 0, 0]])
    f = feats[0, 0]
    root = kp[0, 0, 2]
    np.testing.assert_allclose(
        f[:30], ((kp[0, 0] - root) / W * 2).ravel(), atol=1e-6)
    np.testing.assert_allclose(
        f[30:32], [0., 250. / W * 2 - H / W],
        atol=1e-6)  # x = 480 is the centre
    assert f[32] == pytest.approx(np.log(.9 * 300. / H), abs=1e-5)
    np.testing.assert_allclose(f[33:78], .25)
    np.testing.assert_allclose(f[78:93], .9, atol=1e-6)
    assert f[93] == 1.
    np.testing.assert_allclose(f[94:], colours[0], atol=1e-6)
    assert not feats[0, 1].any() and not feats[1].any()
    with pytest.raises(ValueError, match='colours'):
        person_features(kp, sc, k3d, colours[:, :3], (W, H), colour_dim=6)
    with pytest.raises(ValueError, match=r'\(N, T, 15, 2\)'):
        person_features(kp[0], sc, None, None, (W, H))


def test_fusion_masks_absent_frames_and_freezes_text():
    fusion = MODELS.build(FUSION).eval()
    assert isinstance(fusion, SkeletonTextFusion)
    feats = torch.randn(3, 6, 100)
    present = torch.ones(3, 6, dtype=torch.bool)
    present[1, 3:] = False
    owner = torch.tensor([0, 0, 1])
    texts = ['the man in red', 'a woman waving']
    logits = fusion(texts, feats, present, owner)
    assert logits.shape == (3, )
    changed = feats.clone()
    changed[1, 3:] = 100.  # absent frames: ignored
    torch.testing.assert_close(fusion(texts, changed, present, owner), logits)
    logits.sum().backward()
    assert fusion.head[1].weight.grad is not None
    assert all(not p.requires_grad for p in fusion.text_encoder.parameters())
    # the frozen text encoder is not saved, and loading still works
    state = fusion.state_dict()
    assert not any(k.startswith('text_encoder.') for k in state)
    other = MODELS.build(FUSION).eval()
    other.load_state_dict(state, strict=True)
    torch.testing.assert_close(other(texts, feats, present, owner), logits)
    with pytest.raises(ValueError, match='features'):
        fusion(texts, feats[..., :50], present, owner)


def _tracks(colour_of_track0: str, num_frames: int = 30):
    """Two tracks (H36M-17) and frames where track 0 wears that colour."""
    tracks, img = [], np.full((H, W, 3), 90, np.uint8)
    other = 'blue' if colour_of_track0 == 'red' else 'red'
    for t, (cx, shirt) in enumerate(((250., colour_of_track0), (700., other))):
        pan = np.stack([_pose(cx + 2 * f) for f in range(num_frames)])
        h36m, sc = panoptic15_to_h36m(pan, np.ones((num_frames, 15)))
        track = PersonTrack.empty(t, num_frames)
        track.keypoints_2d = h36m.astype(np.float32)
        track.keypoint_scores = sc.astype(np.float32)
        track.keypoints_3d = np.zeros((num_frames, 17, 3), np.float32)
        tracks.append(track)
        x = int(cx)
        img[140:260, x - 50:x + 90] = SHIRTS[shirt]
    return tracks, {0: img, 15: img}


def test_window_positions():
    np.testing.assert_array_equal(
        window_positions(101, 6), [5, 23, 41, 59, 77, 95])
    with pytest.raises(ValueError):
        window_positions(0)


def test_learned_referrer_picks_described_colour(tmp_path):
    torch.manual_seed(0)
    cfg = Config(dict(model=dict(type='HPEReferCascade', fusion=FUSION)))
    ref = LearnedSkeletonReferrer(cfg)  # random fusion weights
    fusion = ref.fusion.train()
    optim = torch.optim.AdamW(
        [p for p in fusion.parameters() if p.requires_grad], lr=3e-3)
    data = {}
    for colour in ('red', 'blue'):
        tracks, frames = _tracks(colour)
        feats, present = ref.track_features(tracks, frames, (W, H))
        assert feats.shape == (2, 6, 100) and present.all()
        data[colour] = (torch.from_numpy(feats), torch.from_numpy(present))
    texts = ['the person in the red shirt', 'the person in the blue shirt']
    first = None
    for step in range(STEPS):
        loss = 0.
        for colour in ('red', 'blue'):
            feats, present = data[colour]
            for k, text in enumerate(texts):
                lg = fusion([text], feats, present, torch.zeros(2).long())
                target = torch.tensor([0 if text.split()[4] == colour else 1])
                loss = loss + torch.nn.functional.cross_entropy(
                    lg[None], target) + \
                    torch.nn.functional.binary_cross_entropy_with_logits(
                        lg, torch.nn.functional.one_hot(target[0], 2).float())
        first = float(loss.detach()) if first is None else first
        optim.zero_grad()
        loss.backward()
        optim.step()
    assert float(loss.detach()) < 0.1 * first
    ckpt = tmp_path / 'cascade.pth'
    torch.save(
        dict(state_dict={
            f'fusion.{k}': v
            for k, v in fusion.state_dict().items()
        }), ckpt)
    loaded = LearnedSkeletonReferrer(cfg, str(ckpt))
    tracks, frames = _tracks('blue')
    res = loaded('the person in the red shirt', tracks, frames, (W, H))
    assert res.referred_track_id == 1
    assert 0. <= min(res.scores.values()) <= max(res.scores.values()) <= 1.
    assert res.scores[1] > 0.5 > res.scores[0]
    res = loaded('the person in the blue shirt', tracks, frames, (W, H))
    assert res.referred_track_id == 0
    with pytest.raises(ValueError, match='model.fusion'):
        LearnedSkeletonReferrer(Config(dict(model=dict(type='X'))))
