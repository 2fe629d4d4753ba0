# Copyright (c) mmlpose contributors. All rights reserved.
import contextlib
import importlib.util
import io
import json
import os.path as osp

import numpy as np
import pytest

from mmlpose.evaluation.functional import real_image_check as rc

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'eval_real_h36m.py')


def _load_tool():
    spec = importlib.util.spec_from_file_location('eval_real_h36m', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool_run(shared_data, tmp_path_factory):
    """One run of the tool on the 4 frames with the default lifter."""
    pytest.importorskip('mediapipe')
    tool = _load_tool()
    out = str(tmp_path_factory.mktemp('real_h36m') / 'real_h36m.json')
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        summary = tool.main([
            '--model', 'mixste-tiny-deepmimic', '--data-root',
            osp.join(shared_data, 'h36m'), '--out', out, '--details'
        ])
    return tool, summary, out, buf.getvalue()


def test_table_has_four_frames_and_mean(tool_run):
    _, summary, _, stdout = tool_run
    lines = stdout.splitlines()
    rows = [ln for ln in lines if ln.startswith('S') and '_' in ln]
    assert len(rows) == 4
    assert any(ln.startswith('mean ') for ln in lines)
    assert 'MP P-MPJPE' in stdout and 'lift P-MPJPE' in stdout
    assert 'pelvis-hip' in stdout  # --details: bone lengths
    assert len(summary['frames']) == 4
    for frame in summary['frames']:
        # each H36M image holds one person; a miss is reported, not skipped
        assert frame['people_demo'] == 1 and frame['people_mediapipe'] == 1
        assert frame['note'] == ''
        for method in ('mediapipe', 'lifter', 'lifter_gt2d'):
            for metric in ('p_mpjpe', 'mpjpe', 'n_mpjpe'):
                value = frame[method][metric]
                assert np.isfinite(value) and 20 < value < 400, (method, value)
            # P-MPJPE aligns more than root alignment does
            assert frame[method]['p_mpjpe'] <= frame[method]['n_mpjpe'] \
                + 1e-6
        # the demo's 2D and mediapipe.solutions' (same landmark model) agree
        assert frame['demo_vs_mediapipe_2d_px'] < 10
    for method in ('mediapipe', 'lifter'):
        mean = summary['mean'][method]
        assert mean['num_frames'] == 4
        assert mean['p_mpjpe'] == pytest.approx(
            np.mean([f[method]['p_mpjpe'] for f in summary['frames']]))
    gt_bones = summary['bone_lengths_mm']['gt']
    assert 380 < gt_bones['hip-knee'] < 500  # real people, in mm


def test_json_round_trip(tool_run):
    _, summary, out, stdout = tool_run
    assert f'results written to {out}' in stdout
    with open(out) as f:
        loaded = json.load(f)
    assert loaded['model'] == 'mixste-tiny-deepmimic'
    assert loaded['frames'] == json.loads(json.dumps(summary['frames']))
    for method, mean in summary['mean'].items():
        assert loaded['mean'][method] == pytest.approx(mean)
    assert len(loaded['frames'][0]['lifter']['keypoints_3d']) == 17
    assert set(loaded['per_joint']['mediapipe']) == set(rc.H36M_JOINT_NAMES)


def test_missing_folder_is_one_line_error(tmp_path):
    tool = _load_tool()
    missing = str(tmp_path / 'nope')
    with pytest.raises(SystemExit) as exc:
        tool.main(['--data-root', missing])
    assert str(exc.value) == f'error: H36M sample folder not found: {missing}'
    (tmp_path / 'empty').mkdir()
    with pytest.raises(SystemExit, match='error: annotation not found'):
        tool.main(['--data-root', str(tmp_path / 'empty')])


def test_people_note():
    tool = _load_tool()
    assert tool._people_note(1, 1) == ''
    assert tool._people_note(0, 1) == 'demo: nobody'
    assert tool._people_note(2, 0) == ('demo: 2 people, largest scored; '
                                       'mediapipe: nobody')


def test_world_landmarks_mapping_matches_2d_mapping():
    rng = np.random.default_rng(0)
    world = rng.normal(size=(33, 4))
    joints = rc.world_landmarks_to_h36m(world)
    assert joints.shape == (17, 3)
    # pelvis = mid-hips (23, 24), thorax = mid-shoulders, head centre =
    # mid-ears; the head top 0.6 of thorax->head centre beyond it
    np.testing.assert_allclose(joints[0], world[[23, 24], :3].mean(0))
    np.testing.assert_allclose(joints[8], world[[11, 12], :3].mean(0))
    np.testing.assert_allclose(joints[9], world[[7, 8], :3].mean(0))
    np.testing.assert_allclose(joints[10],
                               joints[9] + 0.6 * (joints[9] - joints[8]))
    np.testing.assert_allclose(joints[1], world[24, :3])  # right hip
    np.testing.assert_allclose(joints[16], world[16, :3])  # right wrist
    with pytest.raises(ValueError, match=r'\(33, >=3\)'):
        rc.world_landmarks_to_h36m(np.zeros((17, 3)))


def test_pose_errors_hand_computed():
    rng = np.random.default_rng(1)
    gt = rng.normal(size=(17, 3))
    angle = 0.3
    rot = np.array([[np.cos(angle), -np.sin(angle), 0],
                    [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    # similarity transform: P-MPJPE 0, not the others
    errors = rc.pose_errors(2 * gt @ rot.T + 5, gt)
    assert errors['p_mpjpe'] == pytest.approx(0, abs=1e-6)
    assert errors['mpjpe'] > 100
    # a shift: root alignment removes it
    errors = rc.pose_errors(gt + [0.1, 0, 0], gt)
    assert errors['mpjpe'] == pytest.approx(0, abs=1e-6)
    # one joint 0.17 m off (not the root): MPJPE 10 mm
    pred = gt.copy()
    pred[5] += [0, 0.17, 0]
    assert rc.pose_errors(pred, gt)['mpjpe'] == pytest.approx(10)
    # a scaled pose: N-MPJPE 0
    errors = rc.pose_errors(0.5 * (gt - gt[0]), gt - gt[0])
    assert errors['n_mpjpe'] == pytest.approx(0, abs=1e-6)
    with pytest.raises(ValueError, match='no visible joint'):
        rc.pose_errors(gt, gt, np.zeros(17, bool))
    with pytest.raises(ValueError, match=r'\(K, 3\)'):
        rc.pose_errors(gt[:, :2], gt[:, :2])


def test_offsets_and_bones_in_body_frame():
    # a person facing the camera (camera axes: x right, y down, z forward):
    # their left is +x, up is -y, forward (towards the camera) is -z
    gt = np.zeros((17, 3))
    gt[1], gt[4] = [-0.1, 0, 0], [0.1, 0, 0]  # right, left hip
    gt[8] = [0, -0.5, 0]  # thorax
    gt[11], gt[14] = [0.2, -0.5, 0], [-0.2, -0.5, 0]
    gt[[2, 3, 5, 6]] = [[-0.1, 0.4, 0], [-0.1, 0.8, 0], [0.1, 0.4, 0.05],
                        [0.1, 0.8, 0.1]]
    gt[9], gt[10] = [0, -0.6, -0.02], [0, -0.7, 0]
    gt[[7, 12, 13, 15, 16]] = [[0, -0.25, 0], [0.3, -0.3, 0],
                               [0.3, -0.1, -0.1], [-0.3, -0.3, 0],
                               [-0.3, -0.1, 0.1]]
    np.testing.assert_allclose(
        rc.body_frame(gt), [[1, 0, 0], [0, -1, 0], [0, 0, -1]], atol=1e-12)
    np.testing.assert_allclose(
        rc.procrustes_joint_offsets(gt, gt), 0, atol=1e-9)
    bones = rc.bone_lengths(gt)
    assert bones['pelvis-hip'] == pytest.approx(0.1)
    assert bones['pelvis-thorax'] == pytest.approx(0.5)
    assert bones['thorax-shoulder'] == pytest.approx(0.2)
    assert set(bones) == {name for name, _ in rc.H36M_BONES}
    assert rc.procrustes_joint_errors(gt, gt) == pytest.approx(
        np.zeros(17), abs=1e-9)


def test_nobody_found_is_reported_not_skipped(shared_data, tmp_path):
    """An image without a person keeps its row, marked, with no value."""
    pytest.importorskip('mediapipe')
    import cv2
    src = np.load(osp.join(shared_data, 'h36m', rc.H36M_ANNOTATION))
    name = 'S0/S0_Empty.1/S0_Empty.1_000001.jpg'
    (tmp_path / 'S0' / 'S0_Empty.1').mkdir(parents=True)
    cv2.imwrite(str(tmp_path / name), np.full((480, 480, 3), 127, np.uint8))
    np.savez(
        tmp_path / rc.H36M_ANNOTATION,
        imgname=np.array([name]),
        S=src['S'][:1],
        part=src['part'][:1])
    tool = _load_tool()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        summary = tool.main(['--data-root', str(tmp_path)])
    frame, = summary['frames']
    assert frame['people_demo'] == 0 and frame['people_mediapipe'] == 0
    assert frame['mediapipe'] is None and frame['lifter'] is None
    assert frame['note'] == 'demo: nobody; mediapipe: nobody'
    assert summary['mean']['lifter']['num_frames'] == 0
    row = [
        ln for ln in buf.getvalue().splitlines() if ln.startswith('S0_Empty')
    ][0]
    assert 'demo: nobody' in row and ' - ' in row


def test_unknown_model_is_one_line_error(shared_data):
    pytest.importorskip('mediapipe')
    tool = _load_tool()
    with pytest.raises(SystemExit) as exc:
        tool.main([
            '--model', 'no-such-lifter', '--data-root',
            osp.join(shared_data, 'h36m')
        ])
    message = str(exc.value)
    assert message.startswith("error: unknown model 'no-such-lifter'")
    assert '\n' not in message
