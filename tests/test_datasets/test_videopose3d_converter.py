# Copyright (c) mmlpose contributors. All rights reserved.
import importlib.util
import os.path as osp
import pickle
import sys

import numpy as np
import pytest

from mmlpose.datasets import Human36mTextDataset
from mmlpose.datasets.converters import (H36M_CAMERA_IDS, H36M_KEPT_JOINTS,
                                         convert_subjects, h36m_imgname,
                                         videopose3d_to_mmpose)
from mmlpose.structures import (camera_to_world, project_points,
                                project_world_points)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NUM_FRAMES = 3


def parse(imgname):
    subj, rest = osp.basename(imgname).split('_', 1)
    action, rest = rest.split('.', 1)
    return subj, action, rest.split('_')[0]


@pytest.fixture
def vp3d(shared_data, tmp_path):
    """VideoPose3D-layout files built from the real H36M sample: each sample
    frame becomes a 3-frame sequence (moving 1 cm per frame) in the world
    frame; the 2D of the sample's camera is ``part`` (+ the same motion
    projected), the other cameras get projections. S1 is also stored as S9
    (test split)."""
    root = osp.join(shared_data, 'h36m')
    data = np.load(osp.join(root, 'test_h36m_body3d.npz'))
    with open(osp.join(root, 'cameras.pkl'), 'rb') as f:
        cameras = pickle.load(f)
    pos3d, pos2d, expected = {}, {}, {}
    for i, imgname in enumerate(data['imgname']):
        subj, action, camera = parse(imgname)
        cam = cameras[(subj, camera)]
        world17 = camera_to_world(data['S'][i, :, :3], cam['R'], cam['T'])
        shift = np.arange(NUM_FRAMES)[:, None, None] * [0.01, 0., 0.]
        world = np.zeros((NUM_FRAMES, 32, 3))
        world[:, list(H36M_KEPT_JOINTS)] = world17 + shift
        vp_action = action.replace('_', ' ')
        for s in [subj] + (['S9'] if subj == 'S1' else []):
            pos3d.setdefault(s, {})[vp_action] = world.astype(np.float32)
            views = [
                project_world_points(world17 + shift, cameras[(s, c)])
                for c in H36M_CAMERA_IDS
            ]
            if s == subj:
                views[H36M_CAMERA_IDS.index(camera)][0] = data['part'][
                    i, :, :2]
            pos2d.setdefault(
                s, {})[vp_action] = [v.astype(np.float32) for v in views]
        expected[(subj, action, camera)] = i
    meta = dict(
        layout_name='h36m',
        num_joints=17,
        keypoints_symmetry=[[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]])
    np.savez(tmp_path / 'data_3d_h36m.npz', positions_3d=pos3d)
    np.savez(
        tmp_path / 'data_2d_h36m_gt.npz', positions_2d=pos2d, metadata=meta)
    return dict(
        root=root,
        data=data,
        cameras=cameras,
        expected=expected,
        pos3d=pos3d,
        pos2d=pos2d,
        data_3d=str(tmp_path / 'data_3d_h36m.npz'),
        data_2d=str(tmp_path / 'data_2d_h36m_gt.npz'),
        camera_file=osp.join(root, 'cameras.pkl'),
        out_dir=str(tmp_path / 'out'),
        det_dir=str(tmp_path / 'det'))


def test_imgname():
    assert h36m_imgname('S1', 'Directions 1', '54138969', 0) == \
        'S1/S1_Directions_1.54138969/S1_Directions_1.54138969_000001.jpg'


def test_round_trip(vp3d):
    written = videopose3d_to_mmpose(vp3d['data_3d'], vp3d['data_2d'],
                                    vp3d['camera_file'], vp3d['out_dir'])
    assert sorted(written) == ['test', 'train']
    train = np.load(written['train'])
    assert set(
        train.files) == {'imgname', 'center', 'scale', 'part', 'S', 'action'}
    # 4 sequences x 4 cameras x 3 frames
    assert train['S'].shape == (48, 17, 4) and train['part'].shape == (48, 17,
                                                                       3)
    data = vp3d['data']
    names = list(train['imgname'])
    for (subj, action, camera), i in vp3d['expected'].items():
        j = names.index(h36m_imgname(subj, action, camera, 0))
        np.testing.assert_allclose(train['S'][j], data['S'][i], atol=1e-5)
        np.testing.assert_allclose(
            train['part'][j], data['part'][i], atol=1e-3)
        np.testing.assert_allclose(
            train['center'][j], data['center'][i], atol=1e-3)
        np.testing.assert_allclose(
            train['scale'][j], data['scale'][i], atol=1e-5)
        assert train['action'][j] == action
    # same file name as mmpose's preprocessing for S1's first frame
    assert data['imgname'][0] in names
    # every camera's converted S projects onto its 2D (frames 1, 2)
    for j, name in enumerate(names):
        subj, _, camera = parse(name)
        if name.endswith('_000001.jpg'):
            continue
        cam = vp3d['cameras'][(subj, camera)]
        proj = project_points(train['S'][j, :, :3].astype(np.float64),
                              cam['f'], cam['c'], cam['k'], cam['p'])
        np.testing.assert_allclose(proj, train['part'][j, :, :2], atol=1e-2)
    test = np.load(written['test'])
    assert {parse(n)[0] for n in test['imgname']} == {'S9'}
    assert len(test['imgname']) == 4 * NUM_FRAMES

    dataset = Human36mTextDataset(
        ann_file=written['train'],
        camera_param_file=vp3d['camera_file'],
        seq_len=3)
    assert len(dataset) == 16
    texts = {(d['action'], d['action_text'])
             for d in (dataset[i] for i in range(len(dataset)))}
    assert texts == {('Directions', 'directions'),
                     ('SittingDown', 'sitting down'), ('Greeting', 'greeting'),
                     ('WalkDog', 'walk dog')}
    assert dataset[0]['camera_param']['w'] == 1000


def test_cli_sample_rate(vp3d):
    spec = importlib.util.spec_from_file_location(
        'videopose3d_to_mmpose',
        osp.join(REPO, 'tools', 'dataset_converters',
                 'videopose3d_to_mmpose.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    argv = [
        'videopose3d_to_mmpose.py', '--data-3d', vp3d['data_3d'], '--data-2d',
        vp3d['data_2d'], '--camera-file', vp3d['camera_file'], '--out-dir',
        vp3d['out_dir'], '--sample-rate', '2', '--splits', 'train', '--det-2d',
        vp3d['data_2d'], '--det-out-dir', vp3d['det_dir']
    ]
    old, sys.argv = sys.argv, argv
    try:
        cli.main()
    finally:
        sys.argv = old
    assert not osp.exists(osp.join(vp3d['out_dir'], 'h36m_test.npz'))
    train = np.load(osp.join(vp3d['out_dir'], 'h36m_train.npz'))
    frames = {n[-10:-4] for n in train['imgname']}
    assert frames == {'000001', '000003'} and len(train['S']) == 32
    det = np.load(osp.join(vp3d['det_dir'], 'gt_train.npy'))
    np.testing.assert_array_equal(det, train['part'])


def test_errors(vp3d, tmp_path):
    with pytest.raises(FileNotFoundError, match='VideoPose3D file not found'):
        videopose3d_to_mmpose(
            str(tmp_path / 'nope.npz'), vp3d['data_2d'], vp3d['camera_file'],
            vp3d['out_dir'])
    with pytest.raises(FileNotFoundError, match='camera file not found'):
        videopose3d_to_mmpose(vp3d['data_3d'], vp3d['data_2d'],
                              str(tmp_path / 'nope.pkl'), vp3d['out_dir'])
    cameras = {
        k: v
        for k, v in vp3d['cameras'].items() if k != ('S5', '58860488')
    }
    with pytest.raises(KeyError, match=r"\('S5', '58860488'\) not found"):
        convert_subjects(vp3d['pos3d'], vp3d['pos2d'], cameras, ['S5'])
    short = {
        'S1': {
            a: [v[:2] for v in views]
            for a, views in vp3d['pos2d']['S1'].items()
        }
    }
    with pytest.raises(ValueError, match=r'has shape \(2, 17, 2\)'):
        convert_subjects(vp3d['pos3d'], short, vp3d['cameras'], ['S1'])
    with pytest.raises(KeyError, match='no sequence'):
        convert_subjects(vp3d['pos3d'], {'S1': {}}, vp3d['cameras'], ['S1'])
