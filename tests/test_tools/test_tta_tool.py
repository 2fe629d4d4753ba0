# Copyright (c) mmlpose contributors. All rights reserved.
"""tools/tta.py on its three inputs: a video, a results JSON, the config's
test dataset (a tiny one registered here), and its one-line errors."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest

from mmlpose.registry import DATASETS
from mmlpose.structures import VideoSequence

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO_ROOT, 'tools', 'tta.py')
CONFIG = osp.join(REPO_ROOT, 'configs', 'mixste',
                  'mixste_tiny-27frm_1xb32-60e_deepmimic.py')
CHECKPOINT = osp.join(REPO_ROOT, 'checkpoints', 'mixste_tiny_deepmimic.pth')
ONE_EPOCH = ['--cfg-options', 'tta_cfg.epochs=1']
WOMAN = 'the woman walking across the grass'

# a standing person (H36M-17, metres, camera axes: y down), pelvis at 0
SKELETON = np.array(
    [[0, 0, 0], [-.13, 0, 0], [-.13, .45, 0], [-.13, .88, 0], [.13, 0, 0],
     [.13, .45, 0], [.13, .88, 0], [0, -.25, 0], [0, -.5, 0], [0, -.62, 0],
     [0, -.75, 0], [.18, -.48, 0], [.2, -.2, 0], [.2, .05, 0], [-.18, -.48, 0],
     [-.2, -.2, 0], [-.2, .05, 0]], np.float32)


def make_sequence(name: str,
                  num_frames: int = 40,
                  seed: int = 0,
                  size=(1000, 1000)) -> VideoSequence:
    """A person swinging the arms 4 m in front of a pinhole camera
    (f = image width, principal point at the centre), projected to 2D."""
    rng = np.random.default_rng(seed)
    t = np.arange(num_frames, dtype=np.float32)[:, None]
    joints = np.repeat(SKELETON[None], num_frames, axis=0).copy()
    swing = 0.25 * np.sin(t / 4.)
    joints[:, [12, 13, 15, 16], 2] += swing  # wrists and elbows forwards
    world = joints + np.array([0., 0., 4.], np.float32)
    w, h = size
    uv = w * world[..., :2] / world[..., 2:] + np.array([w / 2, h / 2])
    uv = uv + rng.normal(0, 1.5, uv.shape)
    scores = np.full(uv.shape[:2], 0.9, np.float32)
    scores[5:9, 16] = 0.05  # a missing right wrist for a few frames
    return VideoSequence(
        name=name,
        keypoints_2d=uv,
        keypoint_scores=scores,
        image_size=size,
        action_text='a person swinging the arms',
        keypoints_3d=world)


@DATASETS.register_module(force=True)
class TinyVideoSequenceDataset:
    """Two short synthetic sequences with 3D truth, through
    ``video_sequences()`` (the per-video evaluation interface)."""

    def __init__(self, **kwargs) -> None:
        self.kwargs = kwargs

    def video_sequences(self, num: int = 2):
        for i in range(num):
            yield make_sequence(f'tiny/seq{i}', seed=i)


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('tta_tool', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _error(tool, argv) -> str:
    with pytest.raises(SystemExit) as exc:
        tool.main(argv)
    message = str(exc.value.code)
    assert message.startswith('error: ') and '\n' not in message, message
    return message


@pytest.fixture(scope='module')
def video_run(tool, tmp_path_factory):
    """The sports2d clip, 45 frames: the man on the box (track 0) and the
    woman just entering (track 1, referred by the sentence), adapted."""
    from mmlpose.apis.inferencers import InputError, sports2d_demo_video
    try:
        clip = sports2d_demo_video()
    except InputError as e:
        pytest.skip(str(e))
    out = tmp_path_factory.mktemp('tta_video')
    results = tool.main([
        CONFIG, CHECKPOINT, clip, '--text', WOMAN, '--max-frames', '45',
        '--out-dir',
        str(out)
    ] + ONE_EPOCH)
    return results[0], out


def test_video(video_run, capsys):
    result, out = video_run
    referred = result['referred_track_id']
    assert referred is not None and set(result['adaptation']) == {referred}
    summary = result['adaptation'][referred]
    assert len(result['tracks']) == 2
    assert summary['text'] == WOMAN and summary['similarity'] is not None
    assert summary['seconds'] > 0 and summary['num_frames'] <= 45
    with open(result['json_path']) as f:
        data = json.load(f)
    assert data['timings']['adapt'] > 0
    assert set(data['adaptation']) == {str(referred)}
    for record in data['frames']:
        for person in record['persons']:
            if person['track_id'] == referred:
                after = np.array(person['keypoints_3d'])
                before = np.array(person['keypoints_3d_before'])
                assert after.shape == before.shape == (17, 3)
            else:  # only the referred track is adapted
                assert 'keypoints_3d_before' not in person


def test_results_json(tool, video_run, tmp_path, capsys):
    result, _ = video_run
    data = tool.main([
        CONFIG, CHECKPOINT, result['json_path'], '--out-dir',
        str(tmp_path), '--text', 'a man jumping down'
    ] + ONE_EPOCH)
    printed = capsys.readouterr().out
    referred = result['referred_track_id']
    assert f'adapted track {referred}: ' in printed and 'wrote' in printed
    assert osp.basename(data['json_path']) == 'demo_3d_tta.json'
    with open(data['json_path']) as f:
        written = json.load(f)
    assert written['adaptation'][str(referred)]['text'] == \
        'a man jumping down'
    assert len(written['frames']) == result['num_frames']
    persons = [
        p for fr in written['frames'] for p in fr['persons']
        if p['track_id'] == referred
    ]
    assert persons and all('keypoints_3d_before' in p for p in persons)
    # the 2D is carried over unchanged
    original = {
        (r['frame'], p['track_id']): p['keypoints_2d']
        for r in result['predictions']
        for p in r['persons']
    }
    for record in written['frames']:
        for p in record['persons']:
            assert p['keypoints_2d'] == original[(record['frame'],
                                                  p['track_id'])]


def test_results_json_without_referral_adapts_every_track(
        tool, tmp_path, capsys):
    frames = []
    sequences = [make_sequence('a', 30, 0), make_sequence('b', 30, 1)]
    for i in range(30):
        persons = []
        for tid, seq in enumerate(sequences):
            if tid == 1 and i < 10:  # track 1 enters at frame 10
                continue
            kpts = seq.keypoints_2d[i] + 200 * tid
            persons.append(
                dict(
                    track_id=tid,
                    bbox=[*kpts.min(0).tolist(), *kpts.max(0).tolist()],
                    keypoints_2d=kpts.tolist(),
                    keypoint_scores=seq.keypoint_scores[i].tolist(),
                    keypoints_3d=np.zeros((17, 3)).tolist(),
                    referred=False))
        frames.append(dict(frame=i, persons=persons))
    path = tmp_path / 'two_3d.json'
    path.write_text(
        json.dumps(
            dict(
                input='two.mp4',
                text=None,
                referred_track_id=0,
                matched=None,
                track_ids=[0, 1],
                fps=30.,
                width=1000,
                height=1000,
                num_frames=30,
                frames=frames)))
    data = tool.main([
        CONFIG, CHECKPOINT,
        str(path), '--out-dir',
        str(tmp_path / 'out'), '--max-frames', '20'
    ] + ONE_EPOCH)
    assert set(data['adaptation']) == {'0', '1'}
    assert data['adaptation']['0']['num_frames'] == 20
    assert data['adaptation']['1']['num_frames'] == 10  # frames 10..19
    assert data['adaptation']['0']['text'] is None
    assert len(data['frames']) == 20
    assert [p['track_id'] for p in data['frames'][5]['persons']] == [0]


def test_test_dataset(tool, tmp_path, capsys):
    summary = tool.main([
        CONFIG, CHECKPOINT, 'test', '--out-dir',
        str(tmp_path), '--cfg-options',
        'test_dataloader.dataset.type=TinyVideoSequenceDataset',
        'tta_cfg.epochs=1'
    ])
    printed = capsys.readouterr().out
    assert 'tiny/seq0' in printed and 'overall' in printed
    rows = summary['sequences']
    assert [r['name'] for r in rows] == ['tiny/seq0', 'tiny/seq1']
    for row in rows:
        assert row['num_frames'] == 40
        for key in ('mpjpe_before', 'mpjpe_after', 'p_mpjpe_before',
                    'p_mpjpe_after'):
            assert 0 < row[key] < 1000  # mm
        assert row['p_mpjpe_before'] <= row['mpjpe_before']
        assert row['text'] == 'a person swinging the arms'
        assert row['seconds_per_100_frames'] > 0
    overall = summary['overall']
    assert overall['num_frames'] == 80 and overall['num_sequences'] == 2
    assert overall['mpjpe_before'] == pytest.approx(
        np.mean([r['mpjpe_before'] for r in rows]))
    with open(summary['json_path']) as f:
        assert json.load(f)['overall']['num_frames'] == 80
    # one sequence, trimmed
    summary = tool.main([
        CONFIG, CHECKPOINT, 'test', '--out-dir',
        str(tmp_path), '--max-sequences', '1', '--max-frames', '20',
        '--cfg-options',
        'test_dataloader.dataset.type=TinyVideoSequenceDataset',
        'tta_cfg.epochs=1'
    ])
    assert [r['num_frames'] for r in summary['sequences']] == [20]
    # keyword arguments of video_sequences()
    tiny = [
        '--cfg-options',
        'test_dataloader.dataset.type=TinyVideoSequenceDataset',
        'tta_cfg.epochs=1'
    ]
    summary = tool.main([
        CONFIG, CHECKPOINT, 'test', '--out-dir',
        str(tmp_path), '--max-frames', '10', '--sequence-options', 'num=3'
    ] + tiny)
    assert len(summary['sequences']) == 3
    assert '--sequence-options' in _error(tool, [
        CONFIG, CHECKPOINT, 'test', '--out-dir',
        str(tmp_path), '--sequence-options', 'scenes=3'
    ] + tiny)


def test_sequence_errors_by_hand(tool):
    seq = make_sequence('s', 4)
    root = seq.keypoints_3d[:, :1]
    # a root-relative prediction 10 mm off in x at every joint but the root
    pred = seq.keypoints_3d - root
    pred[:, 1:, 0] += 0.01
    errors = tool.sequence_errors(pred, seq)
    assert errors['mpjpe'] == pytest.approx(10. * 16 / 17, rel=1e-4)
    assert errors['num_eval_frames'] == 4
    # scaled by 2: Procrustes takes the scale out
    errors = tool.sequence_errors(2 * (seq.keypoints_3d - root), seq)
    assert errors['p_mpjpe'] == pytest.approx(0, abs=1e-3)
    assert errors['mpjpe'] > 100


def test_errors(tool, tmp_path):
    out = ['--out-dir', str(tmp_path)]
    assert 'config file not found' in _error(
        tool, [str(tmp_path / 'no.py'), CHECKPOINT, 'test'] + out)
    assert 'checkpoint not found' in _error(
        tool, [CONFIG, str(tmp_path / 'no.pth'), 'test'] + out)
    assert 'input not found' in _error(
        tool,
        [CONFIG, CHECKPOINT, str(tmp_path / 'no.mp4')] + out)
    # the DeepMimic lifting dataset has no per-video interface
    assert 'has no video_sequences()' in _error(
        tool, [CONFIG, CHECKPOINT, 'test'] + out)
    bad = tmp_path / 'bad.json'
    bad.write_text('{not json')
    assert 'cannot read results JSON' in _error(
        tool, [CONFIG, CHECKPOINT, str(bad)] + out)
    bad.write_text(json.dumps(dict(frames=[])))
    assert 'not a results JSON' in _error(
        tool, [CONFIG, CHECKPOINT, str(bad)] + out)
    empty = tmp_path / 'empty_3d.json'
    empty.write_text(
        json.dumps(
            dict(
                frames=[dict(frame=0, persons=[])],
                width=64,
                height=48,
                track_ids=[])))
    assert 'no person found' in _error(
        tool, [CONFIG, CHECKPOINT, str(empty)] + out)
    assert 'must be at least 1' in _error(
        tool, [CONFIG, CHECKPOINT, 'test', '--max-frames', '0'] + out)


def test_video_without_people(tool, tmp_path):
    import cv2
    path = tmp_path / 'blank.mp4'
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'mp4v'), 10, (128, 96))
    for _ in range(4):
        writer.write(np.full((96, 128, 3), 127, np.uint8))
    writer.release()
    message = _error(
        tool, [CONFIG, CHECKPOINT,
               str(path), '--out-dir',
               str(tmp_path)] + ONE_EPOCH)
    assert message == f'error: no person found in {path}'
    empty = tmp_path / 'empty.mp4'
    empty.write_bytes(b'')
    assert 'cannot read video' in _error(
        tool, [CONFIG, CHECKPOINT,
               str(empty), '--out-dir',
               str(tmp_path)])
