# Copyright (c) mmlpose contributors. All rights reserved.
"""3DPW: a synthetic sequence written in the release layout (2 people, 40
frames, one invalid camera pose) read by PW3DDataset, against hand-computed
joints, cameras and 2D; the 14-joint protocol; tools/test.py on it."""
import math
import os
import os.path as osp
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest

from mmlpose.datasets import PW3DDataset, pw3d_video_sequences
from mmlpose.datasets.converters.pw3d import (COCO17_FROM_OPENPOSE18,
                                              activity_text,
                                              fill_missing_keypoints,
                                              infer_image_size,
                                              openpose18_to_h36m, smpl_to_h36m)
from mmlpose.evaluation.metrics.joint_subset_mpjpe import (H36M_LSP14_JOINTS,
                                                           JointSubsetMPJPE)
from mmlpose.structures import H36M_JOINT_NAMES

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEQ = 'courtyard_basketball_00'
T = 40
INVALID = (1, 12)  # person 1, frame 12: campose_valid False
K = np.array([[1000., 0., 540.], [0., 1000., 960.], [0., 0., 1.]])

# A standing SMPL-like skeleton (world z up, metres): (x, y, z) per joint;
# x = person's left (SMPL left = index 1), z up.
SMPL_REST = np.array([
    [0.00, 0, 0.90],  # 0 pelvis
    [0.09, 0, 0.82],  # 1 left_hip
    [-0.09, 0, 0.82],  # 2 right_hip
    [0.00, 0, 1.00],  # 3 spine1
    [0.10, 0, 0.45],  # 4 left_knee
    [-0.10, 0, 0.45],  # 5 right_knee
    [0.00, 0, 1.13],  # 6 spine2
    [0.10, 0, 0.06],  # 7 left_ankle
    [-0.10, 0, 0.06],  # 8 right_ankle
    [0.00, 0, 1.19],  # 9 spine3
    [0.10, 0.1, 0.0],  # 10 left_foot
    [-0.10, 0.1, 0.0],  # 11 right_foot
    [0.00, 0, 1.40],  # 12 neck
    [0.08, 0, 1.33],  # 13 left_collar
    [-0.08, 0, 1.33],  # 14 right_collar
    [0.00, 0, 1.50],  # 15 head
    [0.18, 0, 1.35],  # 16 left_shoulder
    [-0.18, 0, 1.35],  # 17 right_shoulder
    [0.20, 0, 1.08],  # 18 left_elbow
    [-0.20, 0, 1.08],  # 19 right_elbow
    [0.21, 0, 0.83],  # 20 left_wrist
    [-0.21, 0, 0.83],  # 21 right_wrist
    [0.22, 0, 0.75],  # 22 left_hand
    [-0.22, 0, 0.75],  # 23 right_hand
])


def rot_z(angle):
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.]])


def cam_poses():
    """World-to-camera: camera looking along world +y (x right, y down),
    5 m away, slowly panning; frame 0 is hand-checked below."""
    look = np.array([[1., 0, 0], [0, 0, -1], [0, 1, 0]])  # world -> cam axes
    poses = np.tile(np.eye(4), (T, 1, 1))
    for t in range(T):
        poses[t, :3, :3] = look @ rot_z(0.01 * t)
        poses[t, :3, 3] = [0.1 * t / T, 1.0, 5.0]
    return poses


def person_joints(person):
    """(T, 24, 3) world joints: the rest skeleton walking along x."""
    joints = np.tile(SMPL_REST, (T, 1, 1))
    joints[..., 0] += 0.02 * np.arange(T)[:, None] + (0.8 if person else -0.8)
    joints[:, 20, 2] += 0.1 * np.sin(np.arange(T) / 5.)
    return joints


def project(world, poses):
    cam = np.einsum('tij,tkj->tki', poses[:, :3, :3], world) + \
        poses[:, None, :3, 3]
    uv = cam[..., :2] / cam[..., 2:] * [K[0, 0], K[1, 1]] + K[:2, 2]
    return cam, uv


def openpose_from_smpl(world, poses):
    """(T, 3, 18) OpenPose COCO-18 keypoints: projected SMPL joints (face
    points offset from the head), confidence 0.9 except the left ear 0."""
    face = {
        0: [0, -0.1, 1.55],
        14: [-0.03, -0.08, 1.58],
        15: [0.03, -0.08, 1.58],
        16: [-0.07, 0, 1.55],
        17: [0.07, 0, 1.55]
    }
    body = {
        1: 12,
        2: 17,
        3: 19,
        4: 21,
        5: 16,
        6: 18,
        7: 20,
        8: 2,
        9: 5,
        10: 8,
        11: 1,
        12: 4,
        13: 7
    }
    points = np.zeros((T, 18, 3))
    for op, smpl in body.items():
        points[:, op] = world[:, smpl]
    for op, offset in face.items():
        points[:, op] = world[:, 0] - SMPL_REST[0] + offset
    _, uv = project(points, poses)
    conf = np.full((T, 18, 1), 0.9)
    conf[:, 17] = 0.  # left ear undetected
    uv[:, 17] = 0.
    return np.concatenate([uv, conf], -1).transpose(0, 2, 1)


def write_release(root, name=SEQ, split='test', num_frames=T, **override):
    poses = cam_poses()
    data = dict(
        sequence=name,
        jointPositions=[person_joints(p).reshape(T, 72) for p in range(2)],
        poses2d=[
            openpose_from_smpl(person_joints(p), poses) for p in range(2)
        ],
        poses=[np.zeros((T, 72)) for _ in range(2)],
        betas=[np.zeros(10) for _ in range(2)],
        trans=[np.zeros((T, 3)) for _ in range(2)],
        cam_poses=poses,
        cam_intrinsics=K,
        campose_valid=[np.ones(T, bool) for _ in range(2)],
        img_frame_ids=np.arange(T) * 2,
        genders=['m', 'f'])
    data['campose_valid'][INVALID[0]][INVALID[1]] = False
    data.update(override)
    folder = osp.join(root, 'sequenceFiles', split)
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, f'{name}.pkl')
    with open(path, 'wb') as f:
        pickle.dump(data, f, protocol=2)
    return path


@pytest.fixture(scope='module')
def release(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('pw3d'))
    write_release(root)
    return root


def build(root, **kwargs):
    kwargs.setdefault('multiple_target', 27)
    return PW3DDataset(
        data_root=root,
        ann_file='sequenceFiles/test',
        test_mode=True,
        **kwargs)


def test_joint_maps_and_text():
    smpl = np.arange(24 * 3, dtype=float).reshape(24, 3)
    h36m = smpl_to_h36m(smpl)
    name = dict(zip(H36M_JOINT_NAMES, h36m))
    for joint, idx in (('root', 0), ('left_hip', 1), ('right_hip', 2),
                       ('left_knee', 4), ('right_foot', 8), ('thorax', 12),
                       ('neck_base', 15), ('left_shoulder', 16),
                       ('right_elbow', 19), ('left_wrist', 20)):
        np.testing.assert_array_equal(name[joint], smpl[idx])
    np.testing.assert_allclose(name['spine'], (smpl[0] + smpl[12]) / 2)
    np.testing.assert_allclose(name['head'],
                               smpl[15] + 0.7 * (smpl[15] - smpl[12]))
    # OpenPose-18 -> COCO-17: left_eye (COCO 1) is OpenPose 15, etc.
    assert COCO17_FROM_OPENPOSE18[1] == 15
    assert COCO17_FROM_OPENPOSE18[16] == 10  # right_ankle
    kpts = np.arange(36, dtype=np.float32).reshape(18, 2)
    scores = np.full(18, 0.8, np.float32)
    scores[17] = 0.  # left ear missing
    h36m_2d, h36m_scores = openpose18_to_h36m(kpts, scores)
    np.testing.assert_array_equal(h36m_2d[2], kpts[9])  # right knee
    np.testing.assert_array_equal(h36m_2d[11], kpts[5])  # left shoulder
    np.testing.assert_allclose(h36m_2d[8], (kpts[2] + kpts[5]) / 2)
    assert h36m_scores[9] == 0 and h36m_scores[10] == 0  # mid-ears: ear gone
    assert h36m_scores[0] == pytest.approx(0.8)
    assert activity_text('courtyard_basketball_00') == 'basketball'
    assert activity_text('downtown_runForBus_01') == 'run for bus'
    assert infer_image_size(K) == (1080, 1920)
    assert infer_image_size([[1, 0, 960], [0, 1, 540], [0, 0,
                                                        1]]) == (1920, 1080)


def test_fill_missing_keypoints():
    kpts = np.zeros((5, 17, 2), np.float32)
    scores = np.ones((5, 17), np.float32)
    kpts[:, 9, 0] = [10, 0, 0, 40, 50]  # left wrist missing in frames 1, 2
    scores[1:3, 9] = 0
    kpts[:, 4] = [7, 8]  # right ear; the left ear (3) is never detected
    scores[:, 3] = 0
    filled = fill_missing_keypoints(kpts, scores)
    np.testing.assert_allclose(filled[:, 9, 0], [10, 20, 30, 40, 50])
    np.testing.assert_array_equal(filled[:, 3], kpts[:, 4])
    assert scores[1, 9] == 0  # confidences untouched
    with pytest.raises(ValueError, match='needs one track'):
        openpose18_to_h36m(np.zeros((18, 2)), np.zeros(18), fill_missing=True)


def test_dataset_windows_camera_and_2d(release):
    dataset = build(release)
    assert len(dataset) == 2  # one 27-frame window per person
    sample = dataset[0]
    assert sample['sequence'] == SEQ and sample['person_id'] == 0
    assert sample['action'] == 'courtyard_basketball'
    assert sample['action_text'] == 'basketball'
    assert sample['frame_ids'] == list(range(27))
    # world -> camera of person 0's pelvis in frame 0, by hand: camera axes
    # x = world x, y = -world z, z = world y; then + (0, 1, 5)
    x, y, z = person_joints(0)[0, 0]
    np.testing.assert_allclose(
        sample['lifting_target'][0, 0], [x, -z + 1., y + 5.], atol=1e-5)
    cam, uv = project(smpl_to_h36m(person_joints(0)), cam_poses())
    np.testing.assert_allclose(sample['lifting_target'], cam[:27], atol=1e-5)
    # 2D right wrist = OpenPose 4 = projected SMPL right wrist (21)
    np.testing.assert_allclose(
        sample['keypoints'][:, 16], uv[:27, 16], atol=1e-3)
    assert sample['keypoints_visible'][0, 16] == pytest.approx(0.9)
    # neck_base = mid-ears; the left ear is never detected: it takes the
    # right ear's place (OpenPose 16) and neck_base has confidence 0
    right_ear = openpose_from_smpl(person_joints(0), cam_poses())[:, :2, 16]
    np.testing.assert_allclose(
        sample['keypoints'][:, 9], right_ear[:27], atol=1e-3)
    assert not sample['keypoints_visible'][:, 9].any()
    camera = sample['camera_param']
    np.testing.assert_allclose(camera['f'][:, 0], [1000, 1000])
    np.testing.assert_allclose(camera['c'][:, 0], [540, 960])
    assert (camera['w'], camera['h']) == (1080, 1920)
    # the invalid camera pose: kept as input, invisible as target
    vis = dataset[1]['lifting_target_visible']
    assert vis.shape == (27, 17) and not vis[INVALID[1]].any()
    assert vis.sum() == 26 * 17
    assert len(build(release, multiple_target=10)) == 8
    assert len(build(release, multiple_target=10,
                     multiple_target_step=5)) == 14
    assert build(release, use_action_text=False)[0]['action_text'] is None
    projected = build(release, keypoints_2d='projection')[1]
    np.testing.assert_allclose(
        projected['keypoints'][0],
        project(smpl_to_h36m(person_joints(1)), cam_poses())[1][0],
        atol=1e-3)


def test_video_sequences(release, tmp_path):
    sequences = list(build(release).video_sequences())
    assert [s.name for s in sequences] == [f'{SEQ}/person0', f'{SEQ}/person1']
    seq = sequences[1]
    assert seq.num_frames == T and seq.keypoints_2d.shape == (T, 17, 2)
    assert seq.image_size == (1080, 1920) and seq.action_text == 'basketball'
    assert seq.keypoints_3d_visible.sum() == (T - 1) * 17
    assert not seq.keypoints_3d_visible[INVALID[1]].any()
    np.testing.assert_allclose(
        seq.keypoints_3d,
        project(smpl_to_h36m(person_joints(1)), cam_poses())[0],
        atol=1e-5)
    assert seq.meta['camera']['w'] == 1080 and seq.meta['person'] == 1
    np.testing.assert_array_equal(seq.meta['img_frame_ids'], np.arange(T) * 2)
    # the image size comes from the first image when it is there
    from PIL import Image
    write_release(str(tmp_path))
    os.makedirs(tmp_path / 'imageFiles' / SEQ)
    Image.new('RGB', (192, 108)).save(tmp_path / 'imageFiles' / SEQ /
                                      'image_00000.jpg')
    first = next(pw3d_video_sequences(str(tmp_path), 'test'))
    assert first.image_size == (192, 108)


def test_14_joint_protocol():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(5, 17, 3))
    pred = gt + rng.normal(scale=0.05, size=gt.shape)
    pred[:, [0, 7, 9]] += 1.  # the three left-out joints: no effect
    metric = JointSubsetMPJPE(mode='mpjpe', per_action=False)
    sample = dict(
        gt_instance_labels=dict(lifting_target_label=gt),
        gt_instances=dict(),
        pred_instances=dict(keypoints=pred))
    metric.process(None, [sample])
    value = metric.compute_metrics(metric.results)['MPJPE']
    idx = list(H36M_LSP14_JOINTS)
    centre = lambda p: p - p[:, [1, 4]].mean(1, keepdims=True)  # noqa: E731
    expected = np.linalg.norm(
        centre(pred)[:, idx] - centre(gt)[:, idx], axis=-1).mean() * 1000
    assert len(idx) == 14 and value == pytest.approx(expected)
    pa = JointSubsetMPJPE(mode='p-mpjpe', per_action=False)
    pa.process(None, [sample])
    assert pa.compute_metrics(pa.results)['P-MPJPE'] < value


def test_bad_input_one_line_errors(tmp_path, release):
    with pytest.raises(FileNotFoundError, match='data root not found'):
        build(str(tmp_path / 'nowhere'))
    os.makedirs(tmp_path / 'sequenceFiles' / 'test')
    with pytest.raises(FileNotFoundError, match=r'no 3DPW sequence file'):
        build(str(tmp_path))
    bad = tmp_path / 'sequenceFiles' / 'test' / 'broken_seq_00.pkl'
    bad.write_bytes(b'not a pickle')
    with pytest.raises(ValueError, match='not a readable 3DPW pickle'):
        build(str(tmp_path))
    bad.unlink()
    write_release(str(tmp_path), poses2d=[np.zeros((T, 2, 18))] * 2)
    with pytest.raises(
            ValueError,
            match=r'"poses2d\[0\]" has shape '
            r'\(40, 2, 18\), expected \(40, 3, 18\)'):
        build(str(tmp_path))
    write_release(str(tmp_path), jointPositions=[np.zeros((T, 72))])
    with pytest.raises(ValueError, match='has 2 persons'):
        build(str(tmp_path))
    with pytest.raises(ValueError, match='takes no camera_param_file'):
        build(release, camera_param_file='cameras.pkl')


def test_tools_test_prints_finite_metrics(release, tmp_path):
    config = osp.join(REPO, 'configs', 'mixste', 'mixste_small-27frm_pw3d.py')
    ckpt = osp.join(REPO, 'checkpoints', 'mixste_small_deepmimic_dr.pth')
    if not osp.isfile(ckpt):
        pytest.skip(f'checkpoint not found: {ckpt}')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    proc = subprocess.run([
        sys.executable, 'tools/test.py', config, ckpt, '--work-dir',
        str(tmp_path), '--cfg-options',
        f'test_dataloader.dataset.data_root={release}'
    ],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    values = {}
    for name in ('MPJPE', 'P-MPJPE', '14j/MPJPE', '14j/P-MPJPE',
                 '14j/MPJPE_courtyard_basketball'):
        match = re.search(rf'^{re.escape(name)}\s+([\d.]+)$', proc.stdout,
                          re.M)
        assert match, (name, proc.stdout[-2000:])
        values[name] = float(match[1])
    assert all(np.isfinite(v) and v > 0 for v in values.values()), values
    assert values['14j/P-MPJPE'] <= values['14j/MPJPE']


def test_tools_tta_adapts_every_person(release, tmp_path):
    """tools/tta.py ... test: one row per (sequence, person) of
    video_sequences(), finite errors before and after."""
    config = osp.join(REPO, 'configs', 'mixste', 'mixste_small-27frm_pw3d.py')
    ckpt = osp.join(REPO, 'checkpoints', 'mixste_small_deepmimic_dr.pth')
    if not (osp.isfile(ckpt)
            and osp.isfile(osp.join(REPO, 'tools', 'tta.py'))):
        pytest.skip('tools/tta.py or the checkpoint is absent')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    proc = subprocess.run([
        sys.executable, 'tools/tta.py', config, ckpt, 'test', '--out-dir',
        str(tmp_path), '--cfg-options',
        f'test_dataloader.dataset.data_root={release}', 'tta_cfg.epochs=1'
    ],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for person in (0, 1):
        row = re.search(rf'^{SEQ}/person{person}\s+{T}((\s+[\d.]+){{4}})',
                        proc.stdout, re.M)
        assert row, proc.stdout[-2000:]
        assert all(np.isfinite(float(v)) for v in row[1].split())
