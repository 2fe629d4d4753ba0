# Copyright (c) mmlpose contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmpose.datasets.datasets.utils import parse_pose_metainfo

from mmlpose.apis import init_lifter, lift_multi_person, lift_sequence
from mmlpose.apis.inference import (_windows, lifting_codec, lifting_window)
from mmlpose.datasets.h36m_text_dataset import mmpose_dataset_cfg
from mmlpose.models.utils import flip_pose

CONFIGS = osp.join(osp.dirname(__file__), '..', '..', 'configs')
CONFIG = osp.join(CONFIGS, 'mixste/mixste_tiny-27frm_1xb32-60e_deepmimic.py')
CONFIG_3DHP = osp.join(CONFIGS,
                       'mixste/mixste_512d-27frm_1xb32-120e_mpi-inf-3dhp.py')


def tiny_config(window=9):
    """The tiny MixSTE config with ``window``-frame test windows."""
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.seq_len = window
    cfg.test_dataloader.dataset.multiple_target = window
    return cfg


@pytest.fixture(scope='module')
def lifter():
    torch.manual_seed(0)
    model = init_lifter(tiny_config())
    model.init_weights()
    return model


def old_normalize(kpts, image_size):
    """The hand normalisation lift_sequence used before the codec did it."""
    w, h = image_size
    return ((np.asarray(kpts, np.float32) - np.array([w / 2, h / 2],
                                                     np.float32)) /
            (w / 2)).astype(np.float32)


def direct_lift(model, norm):
    """Forward pass + flip test of one normalised (T, K, 2) window."""
    x = torch.from_numpy(norm[None].astype(np.float32))
    flip_idx = model.dataset_meta['flip_indices']
    with torch.no_grad():
        y = model.head(model.extract_feat(x))
        y_flip = flip_pose(model.head(model.extract_feat(
            flip_pose(x, flip_idx))), flip_idx)
    out = ((y + y_flip) / 2)[0].numpy()
    return out - out[:, :1]


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


def test_codec_normalisation_is_the_old_hand_formula(lifter):
    """The config's codec gives bitwise the normalisation lift_sequence
    used to write by hand: centred on the image, divided by half its
    width (1768 x 994: the default clip's size)."""
    from mmlpose.apis.inference import encode_keypoints
    rng = np.random.default_rng(4)
    kpts = rng.uniform(0, 1768, size=(30, 17, 2)).astype(np.float32)
    for size in ((1768, 994), (1000, 800), (641, 480)):
        norm, camera = encode_keypoints(lifter, kpts, size)
        np.testing.assert_array_equal(norm, old_normalize(kpts, size))
        assert norm.dtype == np.float32
        # the estimated camera (f = w, c = centre), normalised by the codec
        np.testing.assert_array_equal(camera['f'], [[2.], [2.]])
        np.testing.assert_array_equal(camera['c'], [[0.], [0.]])


def test_lift_sequence_equals_the_old_windowed_lift(lifter):
    """20 frames -> windows (0, 9), (9, 18), (11, 20) of the old code: the
    same 3D to 1e-6 as lifting each hand-normalised window directly."""
    rng = np.random.default_rng(1)
    kpts = rng.uniform(0, 1000, size=(20, 17, 2)).astype(np.float32)
    out = lift_sequence(lifter, kpts, image_size=(1000, 800))
    norm = old_normalize(kpts, (1000, 800))
    expected = np.zeros_like(out)
    for start, end in [(0, 9), (9, 18), (11, 20)]:
        expected[start:end] = direct_lift(lifter, norm[start:end])
    np.testing.assert_allclose(out, expected, atol=1e-6, rtol=0)


def test_window_length_comes_from_the_config(monkeypatch):
    """The test dataset's multiple_target sets the window, not the
    network's seq_len: a 9-frame network tested on 5-frame windows gets
    5-frame windows."""
    torch.manual_seed(0)
    cfg = tiny_config(window=5)
    cfg.model.backbone.seq_len = 9
    model = init_lifter(cfg)
    assert lifting_window(model.cfg) == 5
    shapes = []
    predict = model.predict
    monkeypatch.setattr(
        model, 'predict',
        lambda x, samples: shapes.append(tuple(x.shape)) or predict(
            x, samples))
    lift_sequence(model, np.full((12, 17, 2), 300.), (1000, 1000),
                  batch_size=8)
    # windows (0, 5), (5, 10), (7, 12), one batch
    assert shapes == [(3, 5, 17, 2)]

    del cfg.test_dataloader.dataset['multiple_target']
    with pytest.raises(ValueError, match='multiple_target'):
        lifting_window(cfg)


def test_codec_comes_from_the_test_pipeline():
    cfg = tiny_config()
    codec = lifting_codec(cfg)
    encoder = cfg.test_dataloader.dataset.pipeline[0].encoder
    assert type(codec).__name__ == encoder.type == 'VideoPoseLifting'
    assert codec.normalize_camera and codec.root_index == [0]
    cfg.test_dataloader.dataset.pipeline[0].encoder.root_index = 3
    assert lifting_codec(cfg).root_index == [3]
    cfg.test_dataloader.dataset.pipeline[0].encoder.reshape_keypoints = True
    with pytest.raises(ValueError, match='reshape_keypoints'):
        lifting_codec(cfg)
    cfg.test_dataloader.dataset.pipeline = []
    cfg.codec = None
    with pytest.raises(ValueError, match='defines no codec'):
        lifting_codec(cfg)


def test_init_lifter_meta_falls_back_to_the_test_dataset_class(tmp_path):
    """A converted 3DHP checkpoint (weights only, no meta) gets the 3DHP
    joints and flip indices of its config's test dataset, not H36M's; the
    caller's config is not modified."""
    cfg = Config.fromfile(CONFIG_3DHP)
    cfg.model.backbone.update(embed_dim=16, depth=1, num_heads=2)
    cfg.model.head.in_channels = 16
    torch.manual_seed(0)
    source = init_lifter(cfg)
    source.init_weights()
    ckpt = tmp_path / 'converted_3dhp.pth'
    torch.save({'state_dict': source.state_dict()}, ckpt)

    model = init_lifter(cfg, str(ckpt),
                        cfg_options=dict(model=dict(test_cfg=dict(
                            flip_test=False))))
    meta_3dhp = parse_pose_metainfo(
        dict(from_file=mmpose_dataset_cfg('mpi_inf_3dhp')))
    meta_h36m = parse_pose_metainfo(dict(from_file=mmpose_dataset_cfg('h36m')))
    assert model.dataset_meta['dataset_name'] == 'mpi_inf_3dhp'
    assert model.dataset_meta['flip_indices'] == meta_3dhp['flip_indices']
    assert meta_3dhp['flip_indices'] != meta_h36m['flip_indices']
    assert model.cfg.model.test_cfg.flip_test is False
    assert cfg.model.test_cfg.flip_test is True  # caller's config untouched
    for key, value in source.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value)
    assert not model.training
    # the 3DHP codec's root (joint 14) is the output's origin
    kpts = np.random.default_rng(0).uniform(500, 1500, size=(30, 17, 2))
    out = lift_sequence(model, kpts, image_size=(2048, 2048))
    np.testing.assert_allclose(out[:, 14], 0., atol=1e-7)
    assert np.abs(out[:, 0]).max() > 0


def test_init_lifter_keeps_the_checkpoint_meta():
    """A checkpoint written by the Runner carries its dataset meta."""
    ckpt = osp.join(CONFIGS, '..', 'checkpoints', 'mixste_tiny_deepmimic.pth')
    if not osp.isfile(ckpt):
        pytest.skip('checkpoints/mixste_tiny_deepmimic.pth not present')
    model = init_lifter(CONFIG, ckpt)
    saved = torch.load(ckpt, map_location='cpu', weights_only=False)
    assert model.dataset_meta is not None
    assert model.dataset_meta['flip_indices'] == saved['meta'][
        'dataset_meta']['flip_indices']
    assert model.dataset_meta['dataset_name'] == 'h36m'


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
    with pytest.raises(TypeError, match='path or a Config'):
        init_lifter(dict(model=dict()))
    with pytest.raises(ValueError, match='keypoint_scores'):
        lift_sequence(lifter, np.zeros((3, 17, 2)), (100, 100),
                      keypoint_scores=np.ones((3, 16)))
    with pytest.raises(ValueError, match='init_lifter'):
        lift_sequence(torch.nn.Linear(2, 2), np.zeros((3, 17, 2)),
                      (100, 100))


def test_lift_sequence_with_a_diffusion_lifter():
    """D3DP-style lifters (no backbone; the denoiser sets the window) work
    without camera metadata: JPMA falls back to estimated intrinsics."""
    torch.manual_seed(0)
    cfg = Config.fromfile(
        osp.join(CONFIGS, 'd3dp/d3dp_tiny-27frm_1xb32-40e_deepmimic.py'))
    cfg.model.head.denoiser.seq_len = 9
    cfg.test_dataloader.dataset.multiple_target = 9
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
