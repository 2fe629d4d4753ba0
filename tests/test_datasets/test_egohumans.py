# Copyright (c) mmlpose contributors. All rights reserved.
"""EgoHumans: the release converter against hand-computed cameras and
poses, the per-person dataset and zero-filling of absent frames."""
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
from mmengine.config import Config

from egohumans_release import (CAMERAS, HEIGHT, MISSING_ARIA02, NUM_FRAMES,
                               ROT_ARIA, SCALE, SHIFT, WIDTH,
                               camera_extrinsics, make_release, person_poses)
from mmlpose.datasets import (EgoHumansLiftingDataset, egohumans_imgname,
                              parse_egohumans_imgname)
from mmlpose.datasets.converters.egohumans import (convert_egohumans,
                                                   load_exo_cameras,
                                                   qvec_to_rotmat,
                                                   read_colmap_images)
from mmlpose.registry import DATASETS, TRANSFORMS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEQ = '01_tagging/001_tagging'
BASE_CFG = osp.join(REPO, 'configs', '_base_', 'datasets',
                    'egohumans_lifting.py')


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    root = tmp_path_factory.mktemp('egohumans')
    release = make_release(str(root / 'release'))
    out = str(root / 'out')
    counts = convert_egohumans(release, out, test_sequences=('01_tagging', ))
    return release, out, counts


def _load(out):
    ann = np.load(osp.join(out, 'annotation_body3d', 'egohumans_test.npz'))
    with open(osp.join(out, 'annotation_body3d', 'cameras.pkl'), 'rb') as f:
        cams = pickle.load(f)
    return ann, cams


def _track(ann, camera, person):
    names = ann['imgname']
    rows = [
        i for i, n in enumerate(names)
        if parse_egohumans_imgname(n)[2:4] == (camera, person)
    ]
    return np.array(rows)


def test_imgname_round_trip_and_errors():
    name = egohumans_imgname('S01-001', 'tagging', 'cam01', 2, 7)
    assert name == 'S01-001_tagging.cam01_p2_000007.jpg'
    assert parse_egohumans_imgname('x/' + name) == ('S01-001', 'tagging',
                                                    'cam01', 2, 7)
    with pytest.raises(ValueError, match='not an EgoHumans image name'):
        parse_egohumans_imgname('S1_Directions_1.54138969_000001.jpg')
    with pytest.raises(ValueError, match='free of'):
        egohumans_imgname('S01_001', 'tagging', 'cam01', 1, 1)


def test_colmap_readers(converted):
    release = converted[0]
    images = read_colmap_images(
        osp.join(release, SEQ, 'colmap', 'workplace', 'images.txt'))
    assert set(images) == {
        'aria01/00001.jpg', 'cam01/00005.jpg', 'cam01/00001.jpg',
        'cam02/00001.jpg'
    }
    _, rot_cw, t = camera_extrinsics('cam02')
    np.testing.assert_allclose(
        qvec_to_rotmat(images['cam02/00001.jpg']['qvec']), rot_cw, atol=1e-9)
    np.testing.assert_allclose(images['cam02/00001.jpg']['tvec'], t)
    assert images['cam02/00001.jpg']['camera_id'] == CAMERAS['cam02'][0]


def test_exo_cameras_in_aria_world(converted):
    cams = load_exo_cameras(osp.join(converted[0], SEQ))
    assert sorted(cams) == ['cam01', 'cam02']  # aria images skipped
    for name, (_, _, params, centre) in CAMERAS.items():
        rot, _, _ = camera_extrinsics(name)
        cam = cams[name]
        # the earliest registration (00001), not the wrong 00005 one
        np.testing.assert_allclose(cam['T'].ravel(), centre, atol=1e-6)
        np.testing.assert_allclose(cam['R'], rot.T, atol=1e-6)
        np.testing.assert_allclose(cam['f'].ravel(), params[:2])
        np.testing.assert_allclose(cam['c'].ravel(), params[2:4])
        assert (cam['w'], cam['h']) == (WIDTH, HEIGHT)


def test_converter_values(converted):
    _, out, counts = converted
    assert counts == {'train': 0, 'test': 6 * NUM_FRAMES}
    ann, cams = _load(out)
    assert set(cams) == {('S01-001', 'cam01'), ('S01-001', 'cam02')}
    assert ann['S'].shape == (6 * NUM_FRAMES, 17, 4)

    # aria01 in cam01, through COLMAP's own chain: colmap = s R_a X + shift,
    # camera = R_cw colmap + t (colmap units), metres = camera / s
    rows = _track(ann, 'cam01', 1)
    assert len(rows) == NUM_FRAMES
    _, rot_cw, t = camera_extrinsics('cam01')
    fx, fy, cx, cy = CAMERAS['cam01'][2][:4]
    for stamp in (1, 30, NUM_FRAMES):
        coco = person_poses(stamp)['aria01'][:, :3]
        colmap = SCALE * coco @ ROT_ARIA.T + SHIFT
        cam = (colmap @ rot_cw.T + t) / SCALE
        row = rows[stamp - 1]
        assert parse_egohumans_imgname(ann['imgname'][row])[4] == stamp
        # pelvis = mid-hips, right ankle = COCO 16, thorax = mid-shoulders
        np.testing.assert_allclose(
            ann['S'][row, 0, :3], (cam[11] + cam[12]) / 2, atol=1e-5)
        np.testing.assert_allclose(ann['S'][row, 3, :3], cam[16], atol=1e-5)
        np.testing.assert_allclose(
            ann['S'][row, 8, :3], (cam[5] + cam[6]) / 2, atol=1e-5)
        # 2D: pinhole projection with K (undistorted image)
        uv = np.stack([fx * cam[:, 0] / cam[:, 2] + cx,
                       fy * cam[:, 1] / cam[:, 2] + cy], -1)
        np.testing.assert_allclose(ann['part'][row, 3, :2], uv[16], atol=1e-3)
        assert (ann['S'][row, :, 3] == 1).all()
        assert (ann['part'][row, :, 2] == 1).all()


def test_converter_zero_fills_absent_frames(converted):
    ann, _ = _load(converted[1])
    for camera in ('cam01', 'cam02'):
        # aria02 has no pose at time stamps 11-15
        rows = _track(ann, camera, 2)
        absent = np.array([s in MISSING_ARIA02 for s in range(1, 61)])
        assert (ann['S'][rows[absent]] == 0).all()
        assert (ann['part'][rows[absent]] == 0).all()
        assert (ann['S'][rows[~absent], :, 3] == 1).all()
    # aria03 walks out of cam01's image and behind cam02
    for camera in ('cam01', 'cam02'):
        vis = ann['S'][_track(ann, camera, 3), 0, 3]
        assert vis[:5].all() and not vis[30:].any()
        cam_z = ann['S'][_track(ann, camera, 3), :, 2]
        assert (cam_z[vis > 0] > 0).all()


def test_converter_cli_errors(tmp_path):
    tool = osp.join(REPO, 'tools', 'dataset_converters',
                    'egohumans_to_h36m.py')
    proc = subprocess.run(
        [sys.executable, tool, '--data-root',
         str(tmp_path / 'nowhere')],
        capture_output=True,
        text=True)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1].startswith(
        'error: EgoHumans data root not found')

    release = make_release(str(tmp_path / 'release'))
    pose = osp.join(release, SEQ, 'processed_data', 'fit_poses3d',
                    '00002.npy')
    np.save(pose, np.array({'aria01': np.zeros((133, 4))}, dtype=object))
    with pytest.raises(ValueError, match='133 joints, expected 17'):
        convert_egohumans(release, str(tmp_path / 'out'))


def _dataset(out, **kwargs):
    cfg = Config.fromfile(BASE_CFG)
    dataset = cfg.val_dataloader.dataset
    dataset.update(data_root=out, multiple_target=20, **kwargs)
    return DATASETS.build(dataset)


def test_dataset_tracks_by_person(converted):
    dataset = _dataset(converted[1])
    assert isinstance(dataset, EgoHumansLiftingDataset)
    # 6 tracks (2 cameras x 3 people) of 60 frames -> 3 windows of 20 each,
    # less the 4 windows where aria03 is never in view (frames 21-60 of both
    # cameras), which mmpose's validity filter drops
    assert len(dataset) == 14
    seen = set()
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        assert info['action_text'] == 'tagging'
        assert info['frame_ids'] == list(
            range(info['frame_ids'][0], info['frame_ids'][0] + 20))
        assert info['camera_param']['w'] == WIDTH
        seen.add((info['view'], info['person_id'], info['frame_ids'][0]))
    assert len(seen) == 14
    assert not any(p == 3 and start > 1 for _, p, start in seen)
    assert {v for v, _, _ in seen} == {
        'S01-001_tagging.cam01', 'S01-001_tagging.cam02'
    }
    with pytest.raises(FileNotFoundError, match='annotation file not found'):
        _dataset(converted[1], ann_file='missing.npz')


def test_zero_fill_absent_frames(converted):
    dataset = _dataset(converted[1])
    pipeline = Config.fromfile(BASE_CFG).val_pipeline
    generate, zero_fill = (TRANSFORMS.build(t) for t in pipeline[:2])
    index = next(i for i in range(len(dataset))
                 if dataset.get_data_info(i)['person_id'] == 2
                 and dataset.get_data_info(i)['frame_ids'][0] == 1)
    results = generate(dataset.get_data_info(index))
    # pixel zeros are normalised to the image corner by the codec ...
    assert np.allclose(results['keypoint_labels'][12], [-1, -HEIGHT / WIDTH])
    results = zero_fill(results)
    absent = np.isin(np.arange(1, 21), list(MISSING_ARIA02))
    np.testing.assert_array_equal(results['absent_frames'], absent)
    # ... and zero-filled by ZeroFillAbsentFrames, out of loss and metrics
    assert (results['keypoint_labels'][absent] == 0).all()
    assert (results['lifting_target_weight'][absent] == 0).all()
    assert (results['lifting_target_visible'][absent] == 0).all()
    assert (results['lifting_target_weight'][~absent] == 1).all()
    assert np.abs(results['keypoint_labels'][~absent]).sum() > 0

    with pytest.raises(KeyError, match='after GenerateTarget'):
        zero_fill(dict(keypoints_visible=np.ones((20, 17))))
