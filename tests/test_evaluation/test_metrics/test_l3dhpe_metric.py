# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmlpose.evaluation.metrics import L3DHPEMetric


def _scene():
    base = np.zeros((15, 3), np.float32)
    base[:, 2] = np.arange(15) * 100.
    gt = np.stack([base, base + [1000., 0., 0.], base + [0., 2000., 0.]])
    return gt.astype(np.float32), np.ones((3, 15), bool)


def _sample(pred,
            referred,
            category,
            num_people=3,
            pred_mask=None,
            masks=None):
    gt, visible = _scene()
    s = PoseDataSample(
        metainfo=dict(
            referred_index=referred,
            category_name=category,
            category=[0] if category == 'appearance' else [4]))
    gi = InstanceData(
        keypoints_3d=gt[:num_people],
        keypoints_3d_visible=visible[:num_people])
    if masks is not None:
        gi.masks = masks
    s.gt_instances = gi
    if pred is not None:
        s.pred_instances = InstanceData(
            keypoints_3d=np.asarray(pred, np.float32)[None],
            scores=np.ones(1, np.float32))
    if pred_mask is not None:
        s.set_field(pred_mask, 'pred_mask')
    return s


def _evaluate(samples):
    ev = Evaluator(L3DHPEMetric())
    ev.process(samples)  # converted to dicts, as in the test loop
    return ev.evaluate(len(samples))


def test_two_samples_by_hand():
    gt, _ = _scene()
    samples = [
        # right person, 10 mm off along z everywhere (root too)
        _sample(gt[1] + [0., 0., 10.], 1, 'appearance'),
        # wrong person (0 instead of 2): MPJPE-L is the 2 m offset
        _sample(gt[0] + [0., 0., 30.], 2, 'behaviour', num_people=3),
    ]
    m = _evaluate(samples)
    assert m['PICI'] == pytest.approx(50.)
    assert m['PICI/appearance'] == pytest.approx(100.)
    assert m['PICI/behaviour'] == pytest.approx(0.)
    assert m['MPJPE-L/appearance'] == pytest.approx(10., abs=1e-3)
    assert m['MPJPE-L/behaviour'] == pytest.approx(
        np.hypot(2000., 30.), abs=1e-2)
    assert m['MPJPE-L'] == pytest.approx(
        (10. + np.hypot(2000., 30.)) / 2, abs=1e-2)
    assert m['MRPE/appearance'] == pytest.approx(10., abs=1e-3)
    assert m['MPJPE'] == pytest.approx(0., abs=1e-3)
    assert m['chance'] == pytest.approx(100. / 3)
    assert m['num_samples'] == 2 and m['missing'] == 0
    assert m['num_samples/behaviour'] == 1
    assert 'mIoU' not in m and 'PICI/movement' not in m


def test_missing_prediction_and_chance():
    gt, _ = _scene()
    samples = [
        _sample(gt[0], 0, 'appearance', num_people=2),
        _sample(None, 1, 'appearance', num_people=2),
    ]
    m = _evaluate(samples)
    assert m['PICI'] == pytest.approx(50.)  # missing = not identified
    assert m['MPJPE-L'] == pytest.approx(0.)  # left out of the mean
    assert m['missing'] == 1 and m['chance'] == pytest.approx(50.)


def test_masks_give_miou_and_identification():
    gt, _ = _scene()
    masks = np.zeros((3, 8, 8), bool)
    masks[0, :, :2] = True
    masks[1, :, 2:4] = True
    masks[2, :, 4:] = True
    half = masks[1].copy()
    half[:4] = False
    samples = [
        _sample(None, 1, 'movement', pred_mask=half, masks=masks),
        _sample(None, 2, 'movement', pred_mask=masks[0], masks=masks),
    ]
    m = _evaluate(samples)
    assert m['PICI/movement'] == pytest.approx(50.)
    assert m['mIoU'] == pytest.approx(25.)  # (0.5 + 0) / 2
    assert m['missing'] == 0


def test_data_elements_and_bad_shape():
    gt, _ = _scene()
    metric = L3DHPEMetric()
    metric.process({}, [_sample(gt[2], 2, 'behaviour')])
    out = metric.compute_metrics(metric.results)
    assert out['PICI'] == 100.
    bad = _sample(None, 0, 'behaviour')
    bad.pred_instances = InstanceData(keypoints_3d=np.zeros((1, 17, 3)))
    with pytest.raises(ValueError, match=r'\(1, 15, 3\)'):
        metric.process({}, [bad])
    no_gt = PoseDataSample(metainfo=dict(referred_index=0))
    with pytest.raises(ValueError, match='gt_instances.keypoints_3d'):
        metric.process({}, [no_gt])


def _overall(**extra):
    """An overall row of :meth:`L3DHPEMetric.table`."""
    return dict(
        PICI=50., **{'MPJPE-L': 1.}, MPJPE=2., MRPE=3., chance=4.,
        num_samples=2, **extra)


def test_table_format():
    overall = _overall()
    text = L3DHPEMetric.table(overall, dict(appearance=overall))
    lines = text.splitlines()
    assert 'PICI (%)' in lines[0] and 'MPJPE-L (mm)' in lines[0]
    assert lines[2].strip().startswith('appearance')
    assert lines[-1].strip().startswith('overall') and '50.0' in lines[-1]


def _video_samples(correct_per_video, num_people=2):
    """One sample per entry; each video's samples share its ``video_id``."""
    gt, _ = _scene()
    samples = []
    for v, flags in enumerate(correct_per_video):
        for ok in flags:
            s = _sample(gt[0], 0 if ok else 1, 'appearance', num_people)
            s.set_metainfo(dict(video_id=f'clip_{v}'))
            samples.append(s)
    return samples


def test_bootstrap_resamples_whole_videos():
    # one video of 3 right samples, one of 1 wrong: a resampling of whole
    # videos draws each video's counts together (computed here by hand
    # from the same generator)
    samples = _video_samples([[True, True, True], [False]])
    metric = L3DHPEMetric(bootstrap=200, bootstrap_seed=1)
    metric.process({}, samples)
    out = metric.compute_metrics(metric.results)
    assert out['PICI'] == pytest.approx(75.)
    assert out['num_videos'] == 2
    draws = np.random.default_rng(1).integers(0, 2, (200, 2))
    values = []
    for d in draws:
        n = np.array([3, 1])[d].sum()
        values.append(100. * np.array([3, 0])[d].sum() / n)
    assert out['PICI_lo'] == pytest.approx(np.percentile(values, 2.5))
    assert out['PICI_hi'] == pytest.approx(np.percentile(values, 97.5))
    # chance is 50 for every sample: the gain is PICI - 50
    assert out['gain_lo'] == pytest.approx(out['PICI_lo'] - 50.)
    assert out['gain_hi'] == pytest.approx(out['PICI_hi'] - 50.)
    assert out['PICI_lo/appearance'] == out['PICI_lo']


def test_bootstrap_interval_narrows_with_more_videos_and_is_off_by_default():
    few = _video_samples([[True] * 4, [False] * 4])
    many = _video_samples([[True] * 1, [False] * 1] * 4)
    widths = []
    for samples in (few, many):
        metric = L3DHPEMetric(bootstrap=500)
        metric.process({}, samples)
        out = metric.compute_metrics(metric.results)
        assert out['PICI'] == pytest.approx(50.)
        assert out['PICI_lo'] < 50. < out['PICI_hi']
        widths.append(out['PICI_hi'] - out['PICI_lo'])
    # the same 8 samples: 2 videos of 4 are less evidence than 8 of 1
    assert widths[0] > widths[1]
    plain = L3DHPEMetric()
    plain.process({}, few)
    assert 'PICI_lo' not in plain.compute_metrics(plain.results)
    with pytest.raises(ValueError, match='bootstrap'):
        L3DHPEMetric(bootstrap=-1)


def test_table_with_intervals():
    overall = _overall(PICI_lo=40., PICI_hi=60., gain_lo=10., gain_hi=30.)
    text = L3DHPEMetric.table(overall, {})
    assert 'PICI 95% CI' in text and 'PICI-chance 95% CI' in text
    assert '40.0 .. 60.0' in text and '10.0 .. 30.0' in text
