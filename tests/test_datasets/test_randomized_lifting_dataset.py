# Copyright (c) mmlpose contributors. All rights reserved.
"""RandomizedLiftingDataset: samples, randomness, sequences, training."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from mmengine.config import Config

from mmlpose.datasets import RandomizedLiftingDataset
from mmlpose.registry import DATASETS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'mixste',
                  'mixste_small-27frm_1xb64-40e_deepmimic-dr.py')


@pytest.fixture(scope='module')
def cfg():
    return Config.fromfile(CONFIG)


def test_train_samples_are_filmed_anew(cfg):
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(ds) == len(ds.data_list) and len(ds) % 4 == 0
    np.random.seed(0)
    a = ds.get_data_info(0)
    b = ds.get_data_info(0)
    assert a['keypoints'].shape == (27, 17, 2)
    assert a['lifting_target'].shape == (27, 17, 3)
    assert a['keypoints_visible'].shape == (27, 17)
    assert {'w', 'h', 'f', 'c'} <= set(a['camera_param'])
    assert a['flip_indices'] == [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15,
                                 16, 11, 12, 13]
    assert not np.allclose(a['keypoints'], b['keypoints'])
    # the whole pipeline: the codec normalises by the image width
    packed = ds[0]
    assert tuple(packed['inputs'].shape) == (27, 17, 2)
    assert packed['data_samples'].metainfo['action_text']
    assert all(e['clip'] not in ('dance_b', 'spinkick')
               for e in ds.data_list)


def test_seeded_test_set_is_fixed_and_held_out(cfg):
    ds1 = DATASETS.build(cfg.val_dataloader.dataset)
    ds2 = DATASETS.build(cfg.val_dataloader.dataset)
    a, b = ds1.get_data_info(5), ds2.get_data_info(5)
    np.testing.assert_array_equal(a['keypoints'], b['keypoints'])
    clips = {e['clip'] for e in ds1.data_list}
    assert clips == {'dance_b', 'getup_facedown', 'spinkick', 'turn_left1'}
    # the repeats of a window are different captures
    n = len(ds1.data_list) // 4
    assert not np.allclose(ds1.get_data_info(0)['keypoints'],
                           ds1.get_data_info(n)['keypoints'])
    # image names carry the clip token for per-action metrics
    assert a['target_img_path'][0].startswith('VC/VC_')


def test_video_sequences_are_whole_clips_with_truth():
    ds = RandomizedLiftingDataset(
        clips=['spinkick'], fps=(30., 60.), randomization='shifted', seed=1)
    seqs = list(ds.video_sequences(scenes_per_clip=2))
    assert len(seqs) == 4
    lengths = {s.name.split('/')[0]: s.num_frames for s in seqs}
    assert lengths['spinkick@60fps'] > 1.9 * lengths['spinkick@30fps']
    s = seqs[0]
    assert s.action_text == 'spin kick'
    assert s.keypoints_3d.shape == s.keypoints_2d.shape[:2] + (3, )
    assert s.meta['unseen'].shape == s.keypoint_scores.shape
    # copied joints (limbs): unseen ones have low scores, the others high
    # ones; a derived joint (pelvis, thorax, head) is unseen when any of
    # its sources is and scores their mean
    limbs = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]
    unseen, scores = s.meta['unseen'][:, limbs], s.keypoint_scores[:, limbs]
    assert unseen.any()
    assert scores[unseen].max() <= 0.3 and scores[~unseen].min() >= 0.6
    again = list(ds.video_sequences(scenes_per_clip=2))[0]
    np.testing.assert_array_equal(s.keypoints_2d, again.keypoints_2d)


def test_bad_arguments():
    with pytest.raises(ValueError, match='unknown clips'):
        RandomizedLiftingDataset(clips=['moonwalk'])
    with pytest.raises(ValueError, match='unknown randomization'):
        RandomizedLiftingDataset(clips=['walk'], randomization='wild')
    with pytest.raises(ValueError, match='bad randomization field'):
        RandomizedLiftingDataset(clips=['walk'], randomization=dict(fov=1))
    with pytest.raises(ValueError, match='>= 1'):
        RandomizedLiftingDataset(clips=['walk'], multiple_target=0)
    ds = RandomizedLiftingDataset(
        clips=['walk'], randomization=dict(base='shifted', noise=[0, 0]))
    assert ds.randomization.noise == (0, 0)
    assert ds.randomization.focal_ratio == (1.9, 2.5)


def test_tiny_variant_trains_and_tests(tmp_path):
    """A tiny model on the randomised data: one epoch of train + val."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    options = [
        'model.backbone.embed_dim=32', 'model.backbone.depth=1',
        'model.backbone.num_heads=4', 'model.head.in_channels=32',
        'train_dataloader.dataset.fps=[30.]',
        'train_dataloader.dataset.repeat=1',
        'train_dataloader.dataset.clips=[walk,run,jump]',
        'val_dataloader.dataset.repeat=1',
        'val_dataloader.dataset.clips=[spinkick]',
        'test_dataloader.dataset.repeat=1',
        'test_dataloader.dataset.clips=[spinkick]',
        'train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
        'param_scheduler.1.T_max=2', 'param_scheduler.1.end=2',
        'default_hooks.logger.interval=1'
    ]
    proc = subprocess.run([
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(tmp_path), '--cfg-options', *options
    ], cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'MPJPE' in log and 'P-MPJPE' in log
    assert any(p.endswith('.pth') for p in os.listdir(tmp_path))
