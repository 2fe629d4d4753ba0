# Copyright (c) mmlpose contributors. All rights reserved.
"""Video writing with cv2 in a worker thread."""
import math
import os.path as osp
import queue
import threading
from typing import Optional, Tuple

import cv2
import numpy as np

# codecs whose encoders need even frame sizes (4:2:0 chroma)
EVEN_SIZE_CODECS = ('mp4v', 'avc1', 'h264', 'x264', 'hev1', 'hvc1', 'xvid',
                    'divx')


class VideoWriterThread:
    """Write BGR frames to a video file with ``cv2.VideoWriter`` in a worker
    thread, so that encoding (which releases the GIL) overlaps drawing.

    ``write`` queues a frame (by reference: do not change it afterwards)
    and blocks while ``queue_size`` frames wait; ``close`` flushes the queue,
    releases the file and returns the number of frames written. An error of
    the worker is raised by the next ``write`` or by ``close``. Use it as a
    context manager to close it in all cases.

    Args:
        path (str): Output file, e.g. ``out.mp4``; its folder must exist.
        fps (float): Frames per second.
        frame_size (tuple[int, int]): ``(width, height)`` of every frame;
            even for mp4v and the other 4:2:0 codecs.
        fourcc (str): Four-character codec code. Defaults to ``'mp4v'``.
        queue_size (int): Frames that may wait for the worker.
            Defaults to 4.

    Raises:
        FileNotFoundError: The output folder does not exist.
        ValueError: A bad size, fps or codec code.
        OSError: cv2 cannot open the file with this codec.
    """

    def __init__(self,
                 path: str,
                 fps: float,
                 frame_size: Tuple[int, int],
                 fourcc: str = 'mp4v',
                 queue_size: int = 4) -> None:
        width, height = (int(v) for v in frame_size)
        if width <= 0 or height <= 0:
            raise ValueError(f'frame_size must be positive, got {frame_size}')
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f'fps must be positive, got {fps}')
        if len(fourcc) != 4:
            raise ValueError(f'fourcc must have 4 characters, got {fourcc!r}')
        if fourcc.lower() in EVEN_SIZE_CODECS and (width % 2 or height % 2):
            raise ValueError(f'the {fourcc} codec needs an even frame size, '
                             f'got {width}x{height}')
        if queue_size < 1:
            raise ValueError(
                f'queue_size must be at least 1, got {queue_size}')
        folder = osp.dirname(osp.abspath(path))
        if not osp.isdir(folder):
            raise FileNotFoundError(f'output folder not found: {folder}')
        self.path, self.fps, self.fourcc = path, float(fps), fourcc
        self.frame_size = (width, height)
        self._writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc),
                                       self.fps, self.frame_size)
        if not self._writer.isOpened():
            self._writer.release()
            raise OSError(f'cv2 cannot open {path} for writing with the '
                          f'{fourcc!r} codec (codec missing or bad extension)')
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._error: Optional[Exception] = None
        self._written = 0
        self._closed = False
        self._thread = threading.Thread(
            target=self._work, name='VideoWriterThread', daemon=True)
        self._thread.start()

    @property
    def num_written(self) -> int:
        """Frames the worker has handed to cv2 so far."""
        return self._written

    def _work(self) -> None:
        while True:
            frame = self._queue.get()
            if frame is None:
                return
            if self._error is not None:
                continue  # keep draining so that write() never blocks
            try:
                self._writer.write(frame)
                self._written += 1
            except Exception as e:  # raised again by write() or close()
                self._error = e

    def _raise_error(self) -> None:
        if self._error is not None:
            raise OSError(f'writing {self.path} failed: {self._error}')

    def write(self, frame_bgr: np.ndarray) -> None:
        """Queue one ``(height, width, 3)`` uint8 BGR frame."""
        if self._closed:
            raise ValueError(f'{self.path} is closed')
        self._raise_error()
        width, height = self.frame_size
        if (not isinstance(frame_bgr, np.ndarray)
                or frame_bgr.shape != (height, width, 3)
                or frame_bgr.dtype != np.uint8):
            got = (f'{frame_bgr.shape} {frame_bgr.dtype}' if isinstance(
                frame_bgr, np.ndarray) else type(frame_bgr).__name__)
            raise ValueError(f'frames of {self.path} must be ({height}, '
                             f'{width}, 3) uint8 BGR, got {got}')
        self._queue.put(frame_bgr)

    def close(self) -> int:
        """Flush, release the file and return the number of frames written.

        Calling it again only returns the count.
        """
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
            self._writer.release()
            self._raise_error()
        return self._written

    def __enter__(self) -> 'VideoWriterThread':
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
            return
        try:  # keep the original error
            self.close()
        except OSError:
            pass
