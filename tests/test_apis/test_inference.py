# Copyright (c) mmlpose contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmlpose.apis import init_lifter, lift_multi_person, lift_sequence
from mmlpose.apis.inference import _windows

CONFIG = osp.join(
    osp.dirname(__file__), '..', '..',
    'configs/mixste/mixste_tiny-27frm_1xb32-60e_deepmimic.py')


@pytest.fixture(scope='module')
def lifter():
    torch.manual_seed(0)
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.seq_len = 9
    model = init_lifter(cfg)
    model.init_weights()
    return model


def test_windows_cover_every_frame_once_or_overlap_at_the_end():
    assert _windows(5, 9) == [(0, 5)]
    assert _windows(18, 9) == [(0, 9), (9, 18)]
    assert _windows(20, 9) == [(0, 9), (9, 18), (11, 20)]


@pytest.mark.parametrize('num_frames', [1, 9, 20])
def test_lift_sequence_shape_and_root_relative(lifter, num_frames):
    rng = np.random.default_rng(0)
    kpts = rng.uniform(200, 800, size=(num_frames, 17, 2))
    out = lift_sequence(lifter, kpts, image_size=(1000, 1000))
    assert out.shape == (num_frames, 17, 3)
    np.testing.assert_allclose(out[:, 0], 0., atol=1e-6)


def test_lift_sequence_window_matches_direct_forward(lifter):
    """A 9-frame input equals one forward pass of the normalised window."""
    rng = np.random.default_rng(1)
    kpts = rng.uniform(0, 1000, size=(9, 17, 2)).astype(np.float32)
    out = lift_sequence(lifter, kpts, image_size=(1000, 800))
    norm = (kpts - np.array([500., 400.])) / 500.
    from mmlpose.models.utils import flip_pose
    x = torch.from_numpy(norm[None].astype(np.float32))
    flip_idx = lifter.dataset_meta['flip_indices']
    with torch.no_grad():
        y = lifter.head(lifter.extract_feat(x))
        y_flip = flip_pose(lifter.head(lifter.extract_feat(
            flip_pose(x, flip_idx))), flip_idx)
    expected = ((y + y_flip) / 2)[0].numpy()
    expected = expected - expected[:, :1]
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_bad_inputs(lifter):
    with pytest.raises(ValueError, match=r'\(T, 17, 2\)'):
        lift_sequence(lifter, np.zeros((4, 16, 2)), (100, 100))
    with pytest.raises(ValueError, match='empty'):
        lift_sequence(lifter, np.zeros((0, 17, 2)), (100, 100))
    with pytest.raises(ValueError, match='NaN'):
        lift_sequence(lifter, np.full((3, 17, 2), np.nan), (100, 100))
    with pytest.raises(FileNotFoundError, match='checkpoint not found'):
        init_lifter(CONFIG, checkpoint='missing.pth')
    with pytest.raises(FileNotFoundError, match='config file not found'):
        init_lifter('missing_config.py')


def test_lift_sequence_with_a_diffusion_lifter():
    """D3DP-style lifters (no backbone; the denoiser sets the window) work
    without camera metadata: JPMA falls back to estimated intrinsics."""
    torch.manual_seed(0)
    cfg = Config.fromfile(
        osp.join(
            osp.dirname(__file__), '..', '..',
            'configs/d3dp/d3dp_tiny-27frm_1xb32-40e_deepmimic.py'))
    cfg.model.head.denoiser.seq_len = 9
    cfg.model.test_cfg.update(num_hypotheses=2, num_steps=1, seed=0)
    model = init_lifter(cfg)
    model.init_weights()
    kpts = np.random.default_rng(0).uniform(200, 800, size=(12, 17, 2))
    out = lift_sequence(model, kpts, image_size=(1000, 1000))
    assert out.shape == (12, 17, 3)
    np.testing.assert_allclose(out[:, 0], 0., atol=1e-6)


def test_lift_multi_person_stacks_zero_filled_people(lifter):
    """Each person is lifted on their own from zero-filled normalised input
    (the image centre in pixels); absent frames are zero in the output and
    batching people together changes nothing."""
    rng = np.random.default_rng(2)
    kpts = rng.uniform(100, 900, size=(3, 20, 17, 2)).astype(np.float32)
    visible = np.ones((3, 20), dtype=bool)
    visible[1, 5:12] = False  # out of view for a while
    visible[2] = False  # never in view
    kpts[1, 5:12] = np.nan  # ignored where absent
    out = lift_multi_person(
        lifter, kpts, visible, image_size=(1000, 800), batch_size=3)
    assert out.shape == (3, 20, 17, 3) and out.dtype == np.float32

    alone = lift_sequence(lifter, kpts[0], image_size=(1000, 800))
    np.testing.assert_allclose(out[0], alone, atol=1e-5)
    centre_filled = np.where(visible[1][:, None, None], kpts[1], [500., 400.])
    expected = lift_sequence(lifter, centre_filled, image_size=(1000, 800))
    np.testing.assert_allclose(out[1][visible[1]], expected[visible[1]],
                               atol=1e-5)
    assert (out[1][~visible[1]] == 0).all()
    assert np.abs(out[1][visible[1]]).sum() > 0
    assert (out[2] == 0).all()


def test_lift_multi_person_bad_inputs(lifter):
    with pytest.raises(ValueError, match=r'\(P, T, 17, 2\)'):
        lift_multi_person(lifter, np.zeros((4, 17, 2)), np.ones((4, 17)),
                          (100, 100))
    with pytest.raises(ValueError, match='visible must have shape'):
        lift_multi_person(lifter, np.zeros((2, 4, 17, 2)), np.ones((2, 5)),
                          (100, 100))
    with pytest.raises(ValueError, match='no person'):
        lift_multi_person(lifter, np.zeros((0, 4, 17, 2)), np.ones((0, 4)),
                          (100, 100))
    with pytest.raises(ValueError, match='NaN'):
        lift_multi_person(lifter, np.full((1, 3, 17, 2), np.inf),
                          np.ones((1, 3)), (100, 100))
