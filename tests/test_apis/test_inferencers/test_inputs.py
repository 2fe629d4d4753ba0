# Copyright (c) mmlpose contributors. All rights reserved.
import cv2
import numpy as np
import pytest

from mmlpose.apis.inferencers import InputError, collect_inputs


def _write_video(path, num_frames, size=(64, 48)):
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'mp4v'), 10, size)
    for i in range(num_frames):
        writer.write(np.full((size[1], size[0], 3), i * 10, np.uint8))
    writer.release()


def test_video_image_folder_and_array(tmp_path):
    _write_video(tmp_path / 'clip.mp4', 5)
    cv2.imwrite(str(tmp_path / 'a.png'), np.zeros((20, 30, 3), np.uint8))
    (tmp_path / 'notes.txt').write_text('not an input')
    sources = collect_inputs(str(tmp_path))
    assert [(s.kind, s.name) for s in sources] == [('image', 'a'),
                                                   ('video', 'clip')]
    image, video = sources
    frames = list(image.frames())
    assert len(frames) == 1 and frames[0].shape == (20, 30, 3)
    assert image.fps() is None and image.frame_count_hint() == 1
    assert len(list(video.frames())) == 5
    assert video.fps() == pytest.approx(10)
    # a source can be read twice (estimation, then rendering)
    assert len(list(video.frames())) == 5

    limited = collect_inputs(str(tmp_path / 'clip.mp4'), max_frames=3)[0]
    assert len(list(limited.frames())) == 3
    assert limited.frame_count_hint() == 3

    array = collect_inputs(np.zeros((8, 9, 3), np.uint8))[0]
    assert array.kind == 'image' and next(array.frames()).shape == (8, 9, 3)


def test_bad_inputs(tmp_path):
    with pytest.raises(InputError, match='input not found'):
        collect_inputs(str(tmp_path / 'missing.mp4'))
    with pytest.raises(InputError, match='holds no image or video'):
        collect_inputs(str(tmp_path))
    with pytest.raises(InputError, match='max_frames'):
        collect_inputs(str(tmp_path), max_frames=0)
    corrupt = tmp_path / 'corrupt.mp4'
    corrupt.write_bytes(b'not a video at all')
    with pytest.raises(InputError, match='cannot read video'):
        list(collect_inputs(str(corrupt))[0].frames())
    bad_image = tmp_path / 'bad.jpg'
    bad_image.write_bytes(b'\x00\x01')
    with pytest.raises(InputError, match='cannot read image'):
        list(collect_inputs(str(bad_image))[0].frames())
    with pytest.raises(InputError, match=r'\(H, W, 3\) uint8'):
        list(collect_inputs(np.zeros((4, 4), np.float32))[0].frames())
