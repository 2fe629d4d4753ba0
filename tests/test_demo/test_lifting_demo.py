# Copyright (c) mmlpose contributors. All rights reserved.
"""The demo command line, with the real default models (no stubs)."""
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


def test_video_end_to_end(demo, tmp_path, capsys):
    from mmlpose.apis.inferencers import sports2d_demo_video
    clip = sports2d_demo_video()
    out = tmp_path / 'out'
    text = 'the woman walking across the grass'
    result = demo.main(
        [clip, '--max-frames', '60', '--out-dir',
         str(out), '--text', text])
    printed = capsys.readouterr().out
    for stage in ('decode', 'detect', 'track', '2D', 'lift', 'refer',
                  'render', 'overall'):
        assert f'\n{stage} ' in printed
    assert f'text: "{text}"' in printed
    assert result['num_frames'] == 60
    assert osp.basename(result['vis_path']) == 'demo_3d.mp4'
    assert _frame_count(result['vis_path']) == 60
    cap = cv2.VideoCapture(result['vis_path'])
    w = cap.get(cv2.CAP_PROP_FRAME_WIDTH)
    h = cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    cap.release()
    assert h == 994 and w > 1768  # the frame, then the 3D view

    with open(result['json_path']) as f:
        data = json.load(f)
    assert data['input'] == clip and data['text'] == text
    assert (data['width'], data['height']) == (1768, 994)
    assert data['fps'] == pytest.approx(30, abs=0.5)
    assert len(data['joint_names']) == 17
    assert [r['frame'] for r in data['frames']] == list(range(60))
    assert set(data['scores']) == {str(t) for t in data['track_ids']}
    assert len(data['track_ids']) >= 2
    for record in data['frames']:
        for person in record['persons']:
            assert np.array(person['keypoints_2d']).shape == (17, 2)
            assert np.array(person['keypoint_scores']).shape == (17, )
            kpts3d = np.array(person['keypoints_3d'])
            assert kpts3d.shape == (17, 3) and np.isfinite(kpts3d).all()
            assert person['referred'] == (
                person['track_id'] == data['referred_track_id'])


def test_image(demo, tmp_path):
    from matplotlib import cbook
    image = str(cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))
    result = demo.main([image, '--out-dir', str(tmp_path)])
    rendered = cv2.imread(result['vis_path'])
    src = cv2.imread(image)
    assert rendered.shape[0] == src.shape[0] + src.shape[0] % 2
    assert rendered.shape[1] > src.shape[1]
    with open(result['json_path']) as f:
        data = json.load(f)
    assert data['input'] == image and len(data['frames']) == 1
    persons = data['frames'][0]['persons']
    assert len(persons) == 1 and persons[0]['referred']
    assert np.array(persons[0]['keypoints_3d']).shape == (17, 3)


def test_json_only(demo, tmp_path):
    from matplotlib import cbook
    image = str(cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))
    result = demo.main([image, '--out-dir', str(tmp_path), '--no-video'])
    assert result['vis_path'] is None
    assert osp.isfile(result['json_path'])
    assert not osp.exists(tmp_path / 'grace_hopper_3d.jpg')


def test_bad_inputs(demo, tmp_path):
    args = ['--out-dir', str(tmp_path / 'out')]
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

    blank = _write_video(tmp_path / 'blank.mp4',
                         [np.full((96, 128, 3), 127, np.uint8)] * 4)
    assert 'must be at least 1' in _error(
        demo, [blank, '--max-frames', '0'] + args)
    assert 'sentence' in _error(demo, [blank, '--text', ' '] + args)


def test_no_person(demo, tmp_path):
    blank = _write_video(tmp_path / 'blank.mp4',
                         [np.full((96, 128, 3), 127, np.uint8)] * 4)
    message = _error(demo, [blank, '--out-dir', str(tmp_path)])
    assert message == f'error: no person found in {blank}'


def test_bad_model_arguments(demo, tmp_path):
    video = tmp_path / 'clip.mp4'
    video.write_bytes(b'')
    config = osp.join(REPO_ROOT, 'configs', 'mixste',
                      'mixste_tiny-27frm_1xb32-60e_deepmimic.py')
    missing = str(tmp_path / 'nowhere.pth')
    message = _error(
        demo, [str(video), '--config', config, '--checkpoint', missing])
    assert f'checkpoint not found: {missing}' in message
    assert 'needs --checkpoint' in _error(
        demo, [str(video), '--config', config])
    message = _error(demo, [
        str(video), '--config',
        str(tmp_path / 'no_cfg.py'), '--checkpoint', config
    ])
    assert 'config file not found' in message
    assert 'unknown model' in _error(demo, [str(video), '--model', 'nope'])


def test_adapt(demo, tmp_path, capsys):
    # `--text ... --adapt` with the default settings (6 epochs): only the
    # referred person (the woman, entering at frame ~40) is adapted
    from mmlpose.apis.inferencers import sports2d_demo_video
    text = 'the woman walking across the grass'
    result = demo.main([
        sports2d_demo_video(), '--max-frames', '45', '--text', text,
        '--adapt', '--no-video', '--out-dir',
        str(tmp_path)
    ])
    printed = capsys.readouterr().out
    referred = result['referred_track_id']
    assert f'adapted track {referred}: ' in printed
    assert '\nadapt ' in printed  # the stage's row of the timings
    with open(result['json_path']) as f:
        data = json.load(f)
    assert list(data['adaptation']) == [str(referred)]
    assert data['adaptation'][str(referred)]['text'] == text
    assert data['timings']['adapt'] > 0


def test_tta_config(demo, tmp_path, capsys):
    from matplotlib import cbook
    image = str(cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))
    cfg = tmp_path / 'one_epoch.py'
    cfg.write_text("tta_cfg = dict(epochs=1, motion_space=None)\n")
    # --tta-config implies --adapt; no sentence: every person, no text
    result = demo.main([image, '--tta-config', str(cfg), '--no-video',
                        '--out-dir', str(tmp_path)])
    assert 'adapted track 0: 1 frames, text none' in capsys.readouterr().out
    summary = result['adaptation'][0]
    assert summary['similarity'] is None
    assert 'loss_align' not in summary['losses']
    track = result['tracks'][0]
    assert track.meta['keypoints_3d_before'].shape == (1, 17, 3)

    no_tta = tmp_path / 'no_tta.py'
    no_tta.write_text('x = 1\n')
    assert 'has no tta_cfg' in _error(
        demo, [image, '--tta-config', str(no_tta)])
    assert 'TTA config not found' in _error(
        demo, [image, '--tta-config', str(tmp_path / 'missing.py')])


def test_referrer_option(demo, tmp_path):
    args = demo.parse_args([])
    assert args.referrer == 'descriptor' and demo.referrer_option(args) is None
    config, ckpt = tmp_path / 'cfg.py', tmp_path / 'w.pth'
    config.write_text('model = dict()\n')
    ckpt.write_bytes(b'0')
    for name, registered in (('hpe-refer', 'LearnedSkeletonReferrer'),
                             ('rvos', 'RVOSReferrer'),
                             ('cpp', 'CPPReferrer'),
                             ('motion-language', 'MotionLanguageReferrer')):
        args = demo.parse_args([
            '--referrer', name, '--referrer-config',
            str(config), '--referrer-checkpoint',
            str(ckpt)
        ])
        assert demo.referrer_option(args) == dict(
            type=registered, model=str(config), checkpoint=str(ckpt))
    from mmlpose.registry import MODELS
    for registered in demo.REFERRERS.values():
        assert MODELS.get(registered) is not None, registered
    video = str(tmp_path / 'clip.mp4')
    assert 'needs --referrer-config and --referrer-checkpoint' in _error(
        demo, [video, '--referrer', 'rvos'])
    assert 'referrer file not found' in _error(demo, [
        video, '--referrer', 'hpe-refer', '--referrer-config',
        str(config), '--referrer-checkpoint',
        str(tmp_path / 'none.pth')
    ])
    assert 'takes no' in _error(
        demo, [video, '--referrer-config', str(config)])
