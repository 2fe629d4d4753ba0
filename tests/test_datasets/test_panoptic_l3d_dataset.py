# Copyright (c) mmlpose contributors. All rights reserved.
"""PanopticL3DDataset on a tiny release made from the real CMU Panoptic
sample (tests/panoptic_l3d_release.py): the referred person, millimetres in
the loaders' axes, distorted 2D, windows and the released sampling rules."""
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest
from PIL import Image

from mmlpose.datasets import PanopticL3DDataset
from mmlpose.registry import DATASETS

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import panoptic_l3d_release as rel  # noqa: E402


@pytest.fixture(scope='module')
def release(tmp_path_factory, shared_data):
    root = str(tmp_path_factory.mktemp('l3d') / 'Panoptic-L3D')
    return rel.write_release(root, shared_data)


def _build(root, **kwargs):
    kwargs.setdefault('ann_file', 'sentences_train.json')
    return PanopticL3DDataset(data_root=root, **kwargs)


def _raw(release):
    """(3, 15, 4) coco19 rows (cm, Panoptic world, confidence)."""
    return np.array([
        np.asarray(b['joints19']).reshape(-1, 4)[:15]
        for b in release['bodies']
    ])


def test_reads_release_referred_person(release):
    ds = DATASETS.build(
        dict(
            type='PanopticL3DDataset',
            data_root=release['root'],
            ann_file='sentences_train.json'))
    assert len(ds) == 1
    assert ds.metainfo['dataset_name'] == 'panoptic_l3d'
    assert ds.metainfo['num_keypoints'] == 15
    info = ds[0]
    # all 3 bodies have a visible root; the sentence names body id 1, the
    # second of them in file order
    assert info['body_ids'].tolist() == [0, 1, 2]
    assert info['referred_index'] == 1 and info['referred_body_id'] == 1
    assert info['frame_id'] == 165 and info['current_idx'] == 1
    assert info['text'].startswith('The person in the middle')
    assert info['category'] == [4] and info['category_name'] == 'behaviour'
    assert info['ori_shape'] == (1080, 1920)
    assert osp.isfile(info['img_path']) and osp.isfile(info['mask_path'])
    assert info['img_path'].endswith(
        'panoptic/160906_band1/hdImgs/00_16/00_16_00000165.jpg')


def test_joints_millimetres_loader_axes(release):
    info = _build(release['root'])[0]
    raw = _raw(release)
    x, y, z = raw[..., 0], raw[..., 1], raw[..., 2]
    # p @ [[1,0,0],[0,0,-1],[0,1,0]] = (x, z, -y); cm -> mm
    expected = np.stack([x, z, -y], -1) * 10.
    kp = info['keypoints_3d']
    assert kp.dtype == np.float32 and kp.shape == (3, 15, 3)
    np.testing.assert_allclose(kp, expected, rtol=1e-6, atol=1e-3)
    np.testing.assert_array_equal(info['keypoints_3d_visible'], raw[..., 3]
                                  > 0.1)
    # body 0 has no left ankle, body 2 no right hip / knee / ankle
    assert not info['keypoints_3d_visible'][0, 8]
    assert not info['keypoints_3d_visible'][2, 12:].any()
    # z up after M: the nose is above both ankles (where seen)
    for p in range(3):
        for ankle in (8, 14):
            if info['keypoints_3d_visible'][p, ankle]:
                assert kp[p, 1, 2] > kp[p, ankle, 2] + 500  # seated band
    # camera frame: R_raw p_cm + t, in mm
    cam = release['camera']
    R, t = np.asarray(cam['R']), np.asarray(cam['t']).reshape(3)
    cam_mm = (raw[..., :3] @ R.T + t) * 10.
    np.testing.assert_allclose(info['keypoints_3d_cam'], cam_mm, atol=0.05)
    assert np.all(info['keypoints_3d_cam'][:, 2, 2] > 1000)


def test_2d_equals_cv2_project_points(release):
    info = _build(release['root'])[0]
    raw = _raw(release)
    uv = rel.project_raw(raw[..., :3].reshape(-1, 3),
                         release['camera']).reshape(3, 15, 2)
    np.testing.assert_allclose(info['keypoints_2d'], uv, atol=0.01)
    inside = ((uv[..., 0] >= 0) & (uv[..., 0] <= 1919) & (uv[..., 1] >= 0) &
              (uv[..., 1] <= 1079))
    np.testing.assert_array_equal(info['keypoints_2d_visible'],
                                  inside & (raw[..., 3] > 0.1))
    # body 0's right ankle is below the image bottom: 3D-visible only
    assert uv[0, 14, 1] > 1079 and info['keypoints_3d_visible'][0, 14]
    assert not info['keypoints_2d_visible'][0, 14]
    cam = info['camera']
    assert cam['resolution'] == (1920, 1080) and cam['name'] == '00_16'


def test_mask_pixels(release):
    ds = _build(release['root'], pipeline=[dict(type='LoadReferMask')])
    out = ds[0]
    index = np.asarray(Image.open(release['mask_path']))
    assert Image.open(release['mask_path']).mode == 'P'
    expected = int((index == 2).sum())  # body id 1 -> palette index 2
    assert expected >= 2500
    assert out['gt_mask'].shape == (1080, 1920)
    assert int(out['gt_mask'].sum()) == expected
    assert out['gt_masks'].shape == (3, 1080, 1920)
    for p in range(3):
        assert int(out['gt_masks'][p].sum()) == int((index == p + 1).sum())
    np.testing.assert_array_equal(out['gt_masks'][1], out['gt_mask'])


def test_window_frames_and_poses(release):
    info = _build(release['root'])[0]
    span = rel.END - rel.BEGIN
    start = rel.BEGIN + int(span * (1 - 0.9)) // 2
    final = start + int(span * 0.9)
    assert (start, final) == (157, 292)
    picked = list(np.linspace(start, final, 5, dtype=int))
    assert picked == [157, 190, 224, 258, 292]
    assert info['frame_ids'].dtype == np.int64
    assert info['frame_ids'].tolist() == [157, 165, 190, 224, 258, 292]
    assert info['current_idx'] == 1
    assert [osp.basename(p) for p in info['img_paths']
            ] == [f'00_16_{f:08d}.jpg' for f in info['frame_ids']]
    w3d, w2d, wv = (info['window_keypoints_3d'], info['window_keypoints_2d'],
                    info['window_visible'])
    assert w3d.shape == (3, 6, 15, 3) and w2d.shape == (3, 6, 15, 2)
    assert wv.shape == (3, 6, 15) and wv.dtype == bool
    np.testing.assert_allclose(w3d[:, 1], info['keypoints_3d'])
    np.testing.assert_allclose(w2d[:, 1], info['keypoints_2d'])
    np.testing.assert_array_equal(wv[:, 1], info['keypoints_2d_visible'])
    # every body moves 0.5 cm per frame along x (x is kept by M); frame 190
    # lists them in reverse order: matched by id all the same
    for t, f in enumerate(info['frame_ids']):
        for p in range(3):
            if (f, p) == rel.MISSING:
                continue
            shift = np.array([5. * (f - 165), 0., 0.])
            np.testing.assert_allclose(
                w3d[p, t], info['keypoints_3d'][p] + shift, atol=1e-2)
    # body 2 is absent at frame 224 (index 3)
    assert np.isnan(w3d[2, 3]).all() and np.isnan(w2d[2, 3]).all()
    assert not wv[2, 3].any()
    assert np.isfinite(w3d[:2, 3]).all()


def test_without_window_poses(release):
    info = _build(release['root'], with_window_poses=False)[0]
    w3d = info['window_keypoints_3d']
    assert np.isfinite(w3d[:, 1]).all()
    assert np.isnan(np.delete(w3d, 1, axis=1)).all()
    assert len(info['img_paths']) == 6


def test_hidden_root_changes_people(tmp_path, shared_data):
    # body 0's root confidence 0.05: not a person of the sample, so the
    # referred body (id 1) is the first person
    root = str(tmp_path / 'Panoptic-L3D')
    rel.write_release(root, shared_data, hidden_roots=(0, ), with_images=False)
    info = _build(root)[0]
    assert info['body_ids'].tolist() == [1, 2]
    assert info['referred_index'] == 0
    assert info['keypoints_3d'].shape == (2, 15, 3)
    assert info['window_keypoints_3d'].shape == (2, 6, 15, 3)


def test_sampling_rules(tmp_path, shared_data):
    root = str(tmp_path / 'small' / 'Panoptic-L3D')
    rel.write_release(root, shared_data, small_mask=True, with_images=False)
    index = np.asarray(
        Image.open(
            osp.join(root,
                     'storage_mask/160906_band1/00_16/00_16_00000165.png')))
    assert int((index == 2).sum()) == 1600
    assert len(_build(root)) == 0  # referred mask < 2500 px
    assert len(_build(root, min_mask_pixels=1600)) == 1
    # a referred body whose root is not visible: no sample
    root = str(tmp_path / 'hidden' / 'Panoptic-L3D')
    rel.write_release(root, shared_data, hidden_roots=(1, ), with_images=False)
    assert len(_build(root)) == 0
    # more people than max_people: dropped
    root = str(tmp_path / 'full' / 'Panoptic-L3D')
    rel.write_release(root, shared_data, with_images=False)
    assert len(_build(root, max_people=2)) == 0
    # only multiples of frame_step are annotated frames
    assert len(_build(root, frame_step=20)) == 0


def test_clear_errors(tmp_path, shared_data):
    root = str(tmp_path / 'Panoptic-L3D')
    rel.write_release(
        root, shared_data, with_calibration=False, with_images=False)
    with pytest.raises(FileNotFoundError, match='sentences file not found'):
        _build(root, ann_file='sentences_val.json')
    with pytest.raises(FileNotFoundError, match='calibration not found'):
        _build(root)
    path = osp.join(root, 'sentences_train.json')
    with open(path) as f:
        records = json.load(f)
    del records[0]['body_id']
    with open(path, 'w') as f:
        json.dump(records, f)
    with pytest.raises(ValueError, match='record 0 has no "body_id"'):
        _build(root)
    with open(path, 'w') as f:
        json.dump({'video_id': 'x'}, f)
    with pytest.raises(ValueError, match='JSON list'):
        _build(root)
    with pytest.raises(ValueError, match='window_ratio'):
        _build(root, window_ratio=0.)
    # a missing mask of an annotated frame
    root2 = str(tmp_path / 'm' / 'Panoptic-L3D')
    info = rel.write_release(root2, shared_data, with_images=False)
    os.remove(info['mask_path'])
    with pytest.raises(FileNotFoundError, match='mask not found'):
        _build(root2)
