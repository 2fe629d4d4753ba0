# Copyright (c) mmlpose contributors. All rights reserved.
import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO_ROOT, 'demo', 'lifting_demo.py')


@pytest.fixture(scope='module')
def demo():
    spec = importlib.util.spec_from_file_location('lifting_demo', DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stub_lift(model, keypoints_2d, image_size, keypoint_scores=None):
    """Stand-in lifter: 2D relative to the root, scaled, at depth 0."""
    assert np.isfinite(keypoints_2d).all()
    kpts = np.asarray(keypoints_2d, np.float32)
    rel = (kpts - kpts[:, :1]) / image_size[0]
    return np.concatenate([rel, np.zeros_like(rel[..., :1])], axis=-1)


@pytest.fixture
def lifter_args(demo, monkeypatch, tmp_path):
    """``--config/--checkpoint`` args: the real lifter when it is there,
    random weights when only its config is, else a stubbed lifter."""
    config = osp.join(REPO_ROOT, demo.DEFAULT_CONFIG)
    checkpoint = osp.join(REPO_ROOT, demo.DEFAULT_CHECKPOINT)
    if osp.isfile(config) and osp.isfile(checkpoint):
        return ['--config', config, '--checkpoint', checkpoint]
    fake_ckpt = tmp_path / 'fake.pth'
    fake_ckpt.write_bytes(b'')
    if osp.isfile(config):
        real_init = demo.init_lifter
        monkeypatch.setattr(
            demo,
            'init_lifter',
            lambda cfg, ckpt, device='cpu': real_init(cfg, None, device))
        return ['--config', config, '--checkpoint', str(fake_ckpt)]
    fake_cfg = tmp_path / 'fake_config.py'
    fake_cfg.write_text('model = None\n')
    monkeypatch.setattr(demo, 'init_lifter', lambda *a, **k: object())
    monkeypatch.setattr(demo, 'lift_sequence', _stub_lift)
    return ['--config', str(fake_cfg), '--checkpoint', str(fake_ckpt)]


def _write_video(path, frames, fps=10):
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return str(path)


def _frame_count(path):
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened()
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    return count


def _error(demo, argv):
    with pytest.raises(SystemExit) as exc:
        demo.main(argv)
    message = str(exc.value.code)
    assert message.startswith('error: ') and '\n' not in message
    return message


def test_video_end_to_end(demo, lifter_args, tmp_path):
    pytest.importorskip('mediapipe')
    clip = demo.sports2d_demo_video()  # needs sports2d
    out = tmp_path / 'out'
    summary = demo.main([clip, '--max-frames', '10', '--out-dir',
                         str(out)] + lifter_args)
    assert summary['num_frames'] == 10 and summary['num_valid'] > 0
    assert osp.basename(summary['video']) == 'demo_3d.mp4'
    assert _frame_count(summary['video']) == 10
    cap = cv2.VideoCapture(summary['video'])
    w = cap.get(cv2.CAP_PROP_FRAME_WIDTH)
    h = cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    cap.release()
    assert (w, h) == (1768 + 994, 994)  # frame | square 3D view

    with open(summary['json']) as f:
        result = json.load(f)
    assert result['video'] == clip
    assert (result['width'], result['height']) == (1768, 994)
    assert result['fps'] == pytest.approx(30, abs=0.5)
    assert len(result['joint_names']) == 17
    assert [r['frame'] for r in result['frames']] == list(range(10))
    for record in result['frames']:
        if record['keypoints_3d'] is None:
            assert record['keypoints_2d'] is None
            continue
        assert np.array(record['keypoints_2d']).shape == (17, 2)
        assert np.array(record['keypoint_scores']).shape == (17, )
        kpts3d = np.array(record['keypoints_3d'])
        assert kpts3d.shape == (17, 3) and np.isfinite(kpts3d).all()


def test_image(demo, lifter_args, tmp_path):
    pytest.importorskip('mediapipe')
    from matplotlib import cbook
    image = str(cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))
    summary = demo.main([image, '--out-dir', str(tmp_path)] + lifter_args)
    rendered = cv2.imread(summary['image'])
    src = cv2.imread(image)
    assert rendered.shape[0] == src.shape[0] + src.shape[0] % 2
    assert rendered.shape[1] > src.shape[1]
    with open(summary['json']) as f:
        result = json.load(f)
    assert result['image'] == image and len(result['frames']) == 1
    assert np.array(result['frames'][0]['keypoints_3d']).shape == (17, 3)


def test_missing_frames_are_null(demo, monkeypatch, tmp_path):
    """Frames without a person: null in the JSON, interpolated for lifting."""

    class FakePose2D:
        """Finds a person in even frames only."""

        def __init__(self, **kwargs):
            self.idx = -1

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

        def __call__(self, frame):
            self.idx += 1
            if self.idx % 2:
                return None
            return (np.full((17, 2), 10. * self.idx,
                            np.float32), np.ones(17, np.float32))

    lifted = {}

    def lift(model, keypoints_2d, image_size, keypoint_scores=None):
        lifted.update(kpts=keypoints_2d, scores=keypoint_scores)
        return _stub_lift(model, keypoints_2d, image_size) + 1.

    cfg, ckpt = tmp_path / 'cfg.py', tmp_path / 'ckpt.pth'
    cfg.write_text('')
    ckpt.write_bytes(b'')
    monkeypatch.setattr(demo, 'MediaPipePose2D', FakePose2D)
    monkeypatch.setattr(demo, 'init_lifter', lambda *a, **k: object())
    monkeypatch.setattr(demo, 'lift_sequence', lift)
    video = _write_video(tmp_path / 'six.mp4',
                         [np.zeros((48, 64, 3), np.uint8)] * 6)
    summary = demo.main([
        video, '--out-dir',
        str(tmp_path), '--config',
        str(cfg), '--checkpoint',
        str(ckpt), '--no-video'
    ])
    assert summary['video'] is None
    assert not osp.exists(tmp_path / 'six_3d.mp4')
    np.testing.assert_allclose(lifted['kpts'][:, 0, 0],
                               [0, 10, 20, 30, 40, 40])
    np.testing.assert_allclose(lifted['scores'][:, 0], [1, 0, 1, 0, 1, 0])
    with open(summary['json']) as f:
        frames = json.load(f)['frames']
    assert len(frames) == 6
    for i, record in enumerate(frames):
        if i % 2:
            assert record['keypoints_2d'] is None
            assert record['keypoint_scores'] is None
            assert record['keypoints_3d'] is None
        else:
            assert record['keypoints_2d'][0] == [10. * i, 10. * i]
            assert record['keypoints_3d'][0] == [1., 1., 1.]


def test_bad_inputs(demo, lifter_args, tmp_path):
    out = ['--out-dir', str(tmp_path / 'out')]
    args = out + lifter_args
    message = _error(demo, [str(tmp_path / 'missing.mp4')] + args)
    assert 'input not found' in message

    empty = tmp_path / 'empty.mp4'
    empty.write_bytes(b'')
    assert 'cannot read video' in _error(demo, [str(empty)] + args)

    text = tmp_path / 'text.mp4'
    text.write_text('this is not a video\n' * 50)
    assert 'cannot read video' in _error(demo, [str(text)] + args)

    # a valid container without any frame
    no_frames = tmp_path / 'no_frames.mp4'
    cv2.VideoWriter(
        str(no_frames), cv2.VideoWriter_fourcc(*'mp4v'), 10,
        (64, 48)).release()
    message = _error(demo, [str(no_frames)] + args)
    assert 'cannot read video' in message or 'no frames' in message

    bad_image = tmp_path / 'bad.png'
    bad_image.write_text('not an image')
    assert 'cannot read image' in _error(demo, [str(bad_image)] + args)


def test_no_person(demo, lifter_args, tmp_path):
    pytest.importorskip('mediapipe')
    blank = _write_video(tmp_path / 'blank.mp4',
                         [np.full((96, 128, 3), 127, np.uint8)] * 4)
    message = _error(demo, [blank, '--out-dir', str(tmp_path)] + lifter_args)
    assert message == f'error: no person found in {blank}'


def test_missing_checkpoint(demo, tmp_path):
    video = tmp_path / 'clip.mp4'
    video.write_bytes(b'')
    config = osp.join(REPO_ROOT, demo.DEFAULT_CONFIG)
    if not osp.isfile(config):
        config = tmp_path / 'cfg.py'
        config.write_text('')
    missing = str(tmp_path / 'nowhere.pth')
    message = _error(
        demo, [str(video), '--config',
               str(config), '--checkpoint', missing])
    assert f'checkpoint not found: {missing}' in message
    assert f'python tools/train.py {config}' in message
    message = _error(demo,
                     [str(video), '--config',
                      str(tmp_path / 'no_cfg.py')])
    assert 'config not found' in message
