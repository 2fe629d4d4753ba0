# Copyright (c) mmlpose contributors. All rights reserved.
import cv2
import numpy as np
import pytest

from mmlpose.visualization import VideoWriterThread


def _read_all(path):
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened()
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


def test_writes_frames_that_cv2_reads_back(tmp_path):
    path = tmp_path / 'out.mp4'
    levels = np.linspace(20, 230, 12).astype(np.uint8)
    with VideoWriterThread(str(path), 10., (64, 48), queue_size=2) as writer:
        for level in levels:
            writer.write(np.full((48, 64, 3), level, np.uint8))
    assert writer.close() == writer.num_written == 12
    frames = _read_all(path)
    assert len(frames) == 12
    assert frames[0].shape == (48, 64, 3)
    np.testing.assert_allclose([f.mean() for f in frames], levels, atol=6)


def test_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match='output folder not found'):
        VideoWriterThread(str(tmp_path / 'no' / 'out.mp4'), 10., (64, 48))
    with pytest.raises(ValueError, match='even frame size'):
        VideoWriterThread(str(tmp_path / 'out.mp4'), 10., (63, 48))
    with pytest.raises(ValueError, match='fps must be positive'):
        VideoWriterThread(str(tmp_path / 'out.mp4'), 0., (64, 48))
    with pytest.raises(OSError, match="cannot open .* 'ZZZZ' codec"):
        VideoWriterThread(str(tmp_path / 'out.mp4'), 10., (64, 48), 'ZZZZ')
    with pytest.raises(OSError, match='cannot open'):
        VideoWriterThread(str(tmp_path), 10., (64, 48))


def test_bad_frames(tmp_path):
    writer = VideoWriterThread(str(tmp_path / 'out.mp4'), 10., (64, 48))
    with pytest.raises(
            ValueError,
            match=r'must be \(48, 64, 3\) uint8 BGR, '
            r'got \(64, 48, 3\) uint8'):
        writer.write(np.zeros((64, 48, 3), np.uint8))
    with pytest.raises(ValueError, match='float64'):
        writer.write(np.zeros((48, 64, 3)))
    writer.write(np.zeros((48, 64, 3), np.uint8))
    assert writer.close() == 1
    with pytest.raises(ValueError, match='is closed'):
        writer.write(np.zeros((48, 64, 3), np.uint8))
