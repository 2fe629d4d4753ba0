# Copyright (c) mmlpose contributors. All rights reserved.
"""DeepMimic clips -> H36M npz converter (needs pybullet's data files)."""
import importlib.util
import os.path as osp
import pickle
import runpy
import sys

import numpy as np
import pytest
from mmpose.utils.camera import SimpleCamera

from mmlpose.datasets.converters import deepmimic as dm
from mmlpose.registry import DATASETS
from mmlpose.structures.camera import (camera_to_world, project_points,
                                       world_to_camera)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec('pybullet_data') is None,
    reason='pybullet (DeepMimic clips) is not installed')

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# H36M skeleton parents; every bone lies within one rigid humanoid link
PARENTS = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
BONES = [(p, c) for c, p in enumerate(PARENTS) if p >= 0]


@pytest.fixture(scope='module')
def humanoid():
    return dm.load_humanoid(dm.default_urdf_path())


@pytest.fixture(scope='module')
def clips():
    return dm.find_clips(dm.default_motion_dir())


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    out_dir = str(tmp_path_factory.mktemp('deepmimic'))
    counts = dm.convert_deepmimic(out_dir)
    ann_dir = osp.join(out_dir, 'annotation_body3d')
    data = {
        s: dict(np.load(osp.join(ann_dir, f'deepmimic_{s}.npz')))
        for s in ('train', 'test')
    }
    with open(osp.join(ann_dir, 'cameras.pkl'), 'rb') as f:
        cameras = pickle.load(f)
    return out_dir, counts, data, cameras


def test_clip_layout_and_resampling(clips):
    assert {
        'walk', 'run', 'spinkick', 'dance_a', 'getup_faceup', 'walk_forward',
        'turn_left1'
    } <= set(clips)
    assert 'laikago_walk' not in clips  # a quadruped, other frame layout
    raw = dm.load_clip(clips['turn_left0'])  # frames exactly 1/30 s apart
    assert raw.rotations['chest'].shape == (38, 4)
    assert raw.rotations['right_knee'].shape == (38, 1)
    same = dm.resample_motion(raw, fps=30)
    np.testing.assert_allclose(same.root_pos, raw.root_pos, atol=1e-9)
    half = dm.resample_motion(raw, fps=60)
    np.testing.assert_allclose(np.diff(half.times), 1 / 60)
    np.testing.assert_allclose(
        half.root_pos[1], raw.root_pos[:2].mean(0), atol=1e-9)
    np.testing.assert_allclose(
        np.linalg.norm(half.rotations['neck'], axis=-1), 1., atol=1e-9)


def test_rotations_by_hand():
    """scipy's quaternion (w, x, y, z), axis-angle, roll-pitch-yaw and
    shortest-path slerp, on hand-computed cases."""
    c = np.cos(np.pi / 4)
    quarter_z = np.array([[c, 0., 0., c]])  # 90 degrees about z
    np.testing.assert_allclose(
        dm._quat_matrix(quarter_z)[0],
        [[0., -1., 0.], [1., 0., 0.], [0., 0., 1.]], atol=1e-15)
    np.testing.assert_allclose(
        dm._axis_angle_matrix(np.array([0., 0., 2.]), np.array([np.pi / 2])),
        dm._quat_matrix(quarter_z), atol=1e-15)
    # URDF rpy: fixed axes x, y, z, i.e. R = Rz(yaw) Ry(pitch) Rx(roll)
    np.testing.assert_allclose(
        dm._rpy_matrix(np.array([np.pi / 2, 0., np.pi / 2])),
        [[0., 0., 1.], [1., 0., 0.], [0., 1., 0.]], atol=1e-15)
    # halfway from the identity to -q (the same rotation as q): slerp takes
    # the short way, 45 degrees about z
    motion = dm.Motion('test', np.array([0., 1.]), np.zeros((2, 3)),
                       {'root': np.array([[1., 0., 0., 0.], -quarter_z[0]])})
    half = dm.resample_motion(motion, fps=2).rotations['root']
    angle = np.pi / 8
    np.testing.assert_allclose(
        np.abs(half[1]), [np.cos(angle), 0., 0., np.sin(angle)], atol=1e-15)
    assert len(half) == 3


#: sha256 (first 16 hex digits) of the float32 arrays written by the
#: converter when its quaternion maths was hand-written (before scipy's
#: Rotation / Slerp; numpy 1.26.4, scipy 1.15.3): the outputs are bitwise
#: the same.
REFERENCE_SHA256 = {
    'train': {'S': '855451a4224fabc5', 'part': '31b91167c3646bbe'},
    'test': {'S': '19afeecea51ead4b', 'part': 'f514afca37a1eb5b'},
}


def test_conversion_is_bitwise_the_reference(converted):
    import hashlib
    _, _, data, _ = converted
    for split, keys in REFERENCE_SHA256.items():
        for key, digest in keys.items():
            array = np.ascontiguousarray(data[split][key])
            assert hashlib.sha256(array.tobytes()).hexdigest()[:16] == \
                digest, (split, key)


def test_bones_are_rigid(clips, humanoid):
    thigh = 0.25 * 1.686184  # URDF knee offset, scaled to metres
    for name in ('walk', 'backflip', 'getup_faceup'):
        joints = dm.clip_to_h36m_world(clips[name], humanoid, fps=50)
        lengths = np.stack([
            np.linalg.norm(joints[:, a] - joints[:, b], axis=-1)
            for a, b in BONES
        ],
                           axis=1)
        assert lengths.std(axis=0).max() < 1e-9
        np.testing.assert_allclose(lengths[:, 1], thigh)
        np.testing.assert_allclose(lengths[:, 4], thigh)
    assert 1.5 < joints[-1, 10, 2] < 1.7  # standing up at the end: ~1.6 m


def test_left_right_and_up(clips, humanoid):
    joints = dm.clip_to_h36m_world(clips['walk'], humanoid)
    assert joints[-1, 0, 0] - joints[0, 0, 0] > 1.  # walks towards +X
    first = joints[0]  # z-up world: +X forward, +Y left
    for left, right in ((4, 1), (11, 14), (13, 16), (6, 3)):
        assert first[left, 1] > first[0, 1] > first[right, 1]
    heights = first[[10, 9, 8, 7, 0, 2, 3], 2]  # head ... pelvis, knee, foot
    assert np.all(np.diff(heights) < 0)
    assert 0. < first[[3, 6], 2].min() < 0.1  # ankles just above the ground


def test_cameras(converted):
    _, _, data, cameras = converted
    assert sorted(cameras) == [('DM', f'cam{i:02d}') for i in range(8)]
    target = np.array([0., 0., 0.9])
    for cam in cameras.values():
        R, T = cam['R'], cam['T']
        assert R.shape == (3, 3) and T.shape == (3, 1)
        np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
        assert np.isclose(np.linalg.det(R), 1.)
        assert 4. <= np.linalg.norm(T[:2]) <= 5. and 1. <= T[2, 0] <= 2.
        assert (cam['w'], cam['h']) == (1000, 1000)
        np.testing.assert_allclose(cam['c'], [[500.], [500.]])
        # the look-at point lands on the principal point
        np.testing.assert_allclose(
            project_points(world_to_camera(target, R, T), cam['f'], cam['c']),
            [500., 500.],
            atol=1e-9)
        # X_cam = R.T @ (X_world - T), and back
        pts = np.random.default_rng(0).normal(size=(5, 3))
        np.testing.assert_allclose(
            world_to_camera(pts, R, T), (R.T @ (pts - T.T).T).T, atol=1e-12)
        np.testing.assert_allclose(
            camera_to_world(world_to_camera(pts, R, T), R, T), pts, atol=1e-12)
    for arrays in data.values():
        assert arrays['S'][..., 2].min() > 1.  # everyone in front
        assert arrays['part'][..., :2].min() >= 0
        assert arrays['part'][..., :2].max() <= 1000


def test_s_and_part_match_world(converted, clips, humanoid):
    _, _, data, cameras = converted
    train = data['train']
    world = dm.clip_to_h36m_world(clips['walk'], humanoid)
    rows = np.flatnonzero(
        np.char.startswith(train['imgname'], 'DM/DM_Walk.cam03/'))
    assert len(rows) == len(world)
    cam = cameras[('DM', 'cam03')]
    S, part = train['S'][rows], train['part'][rows]
    np.testing.assert_allclose(
        S[..., :3], world_to_camera(world, cam['R'], cam['T']), atol=1e-5)
    assert np.all(S[..., 3] == 1) and np.all(part[..., 2] == 1)
    # mmpose's own camera model agrees (R camera-to-world, T centre)
    simple = SimpleCamera(cam)
    np.testing.assert_allclose(
        simple.world_to_camera(world), S[..., :3], atol=1e-4)
    np.testing.assert_allclose(
        simple.world_to_pixel(world), part[..., :2], atol=1e-2)
    # pinhole by hand on one point: u = fx * X / Z + cx, v = fy * Y / Z + cy
    X, Y, Z = S[5, 10, :3]
    (fx, fy), (cx, cy) = cam['f'][:, 0], cam['c'][:, 0]
    np.testing.assert_allclose(
        part[5, 10, :2], [fx * X / Z + cx, fy * Y / Z + cy], rtol=1e-5)
    # H36M-style boxes
    lo, hi = part[..., :2].min(1), part[..., :2].max(1)
    np.testing.assert_allclose(train['center'][rows], (lo + hi) / 2, atol=1e-3)
    np.testing.assert_allclose(
        train['scale'][rows], 1.2 * (hi - lo).max(1) / 200, rtol=1e-5)


def test_splits_and_actions(converted):
    _, counts, data, _ = converted
    assert set(counts['test']) == set(dm.TEST_CLIPS)
    assert not set(counts['train']) & set(counts['test'])
    assert len(counts['train']) + len(counts['test']) == 20
    seqs = {}
    for split, arrays in data.items():
        n = len(arrays['imgname'])
        assert n == 8 * sum(counts[split].values())
        for key, shape in (('S', (n, 17, 4)), ('part', (n, 17, 3)),
                           ('center', (n, 2)), ('scale', (n, ))):
            assert arrays[key].shape == shape
        assert all(len(a) > 0 for a in arrays['action'])
        names = [osp.basename(x) for x in arrays['imgname']]
        seq = [x.rsplit('_', 1)[0] for x in names]
        frame = np.array([int(x.rsplit('_', 1)[1][:6]) for x in names])
        # frames of one (clip, camera) are contiguous and in order
        starts = [i for i in range(n) if i == 0 or seq[i] != seq[i - 1]]
        assert len(starts) == len(set(seq)) == 8 * len(counts[split])
        for a, b in zip(starts, starts[1:] + [n]):
            np.testing.assert_array_equal(frame[a:b], np.arange(1, b - a + 1))
        seqs[split] = {s.split('.')[0] for s in seq}
    assert not seqs['train'] & seqs['test']
    text = dict(
        zip([osp.basename(x).split('.')[0] for x in data['test']['imgname']],
            data['test']['action']))
    assert text['DM_SpinKick'] == 'spin kick'
    assert text['DM_GetupFacedown'] == 'get up face down'
    assert text['DM_DanceB'] == 'dance b'


def test_loads_as_h36m_text_dataset(converted):
    out_dir = converted[0]
    dataset = DATASETS.build(
        dict(
            type='Human36mTextDataset',
            data_root=out_dir,
            ann_file='annotation_body3d/deepmimic_train.npz',
            camera_param_file='annotation_body3d/cameras.pkl',
            seq_len=1,
            multiple_target=27,
            pipeline=[]))
    assert len(dataset) > 0
    id2name = dataset.metainfo['keypoint_id2name']
    assert tuple(id2name[i] for i in range(17)) == dm.H36M_JOINT_NAMES
    texts = set()
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        texts.add(info['action_text'])
        if info['action_text'] == 'walk':
            walk = info
    assert {'walk', 'spin', 'get up face up', 'turn left'} <= texts
    assert walk['lifting_target'].shape == (27, 17, 3)
    assert walk['keypoints'].shape == (27, 17, 2)
    assert walk['camera_param']['w'] == 1000


def test_missing_inputs(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match='motion folder not found'):
        dm.convert_deepmimic(str(tmp_path), motion_dir=str(tmp_path / 'no'))
    with pytest.raises(FileNotFoundError, match='no humanoid3d_'):
        dm.find_clips(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='URDF not found'):
        dm.load_humanoid(str(tmp_path / 'humanoid.urdf'))
    script = osp.join(REPO_ROOT, 'tools', 'dataset_converters',
                      'deepmimic_to_h36m.py')
    monkeypatch.setattr(sys, 'argv', [
        script, '--out-dir',
        str(tmp_path), '--motion-dir',
        str(tmp_path / 'no')
    ])
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(script, run_name='__main__')
    assert exc.value.code == (
        f'error: DeepMimic motion folder not found: {tmp_path / "no"}')
