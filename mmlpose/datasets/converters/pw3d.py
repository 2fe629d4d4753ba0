# Copyright (c) mmlpose contributors. All rights reserved.
"""3DPW release sequence files -> H36M-17 tracks (2D pixels, camera-frame 3D).

"Recovering Accurate 3D Human Pose in The Wild Using IMUs and a Moving
Camera", ECCV'2018. Release layout::

    <data_root>/sequenceFiles/{train,validation,test}/<sequence>.pkl
    <data_root>/imageFiles/<sequence>/image_00000.jpg

A sequence file is a Python-2 pickle (read with ``encoding='latin1'``) of a
dict; per tracked person (lists): ``jointPositions`` (T, 72) = 24 SMPL joints
in world metres, ``poses2d`` (T, 3, 18) OpenPose COCO-18 (x, y, confidence)
in pixels, ``campose_valid`` (T,), ``poses``, ``betas``, ``trans``; per
sequence: ``cam_poses`` (T, 4, 4) world-to-camera extrinsics,
``cam_intrinsics`` (3, 3), ``img_frame_ids`` (T,), ``sequence`` (name).
Frame ``i`` of a sequence is ``image_{i:05d}.jpg``.

3D: SMPL-24 -> H36M-17 (:data:`H36M_FROM_SMPL`, :func:`smpl_to_h36m`), then
world -> camera with each frame's ``cam_poses``. 2D: OpenPose COCO-18 ->
COCO-17 (:data:`COCO17_FROM_OPENPOSE18`) -> H36M-17 with the project's
:func:`mmlpose.structures.coco_to_h36m`. See ``docs/datasets.md`` (3DPW).
"""
import os
import os.path as osp
import pickle
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmlpose.structures import VideoSequence, coco_to_h36m, world_to_camera
from mmlpose.structures.keypoint_mapping import HEAD_TOP_RATIO_HUMAN

SMPL_JOINT_NAMES = ('pelvis', 'left_hip', 'right_hip', 'spine1', 'left_knee',
                    'right_knee', 'spine2', 'left_ankle', 'right_ankle',
                    'spine3', 'left_foot', 'right_foot', 'neck', 'left_collar',
                    'right_collar', 'head', 'left_shoulder', 'right_shoulder',
                    'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
                    'left_hand', 'right_hand')

OPENPOSE18_JOINT_NAMES = ('nose', 'neck', 'right_shoulder', 'right_elbow',
                          'right_wrist', 'left_shoulder', 'left_elbow',
                          'left_wrist', 'right_hip', 'right_knee',
                          'right_ankle', 'left_hip', 'left_knee', 'left_ankle',
                          'right_eye', 'left_eye', 'right_ear', 'left_ear')

#: COCO-17 keypoint k is OpenPose COCO-18 keypoint
#: ``COCO17_FROM_OPENPOSE18[k]`` (OpenPose's ``neck``, index 1, is dropped).
COCO17_FROM_OPENPOSE18 = (0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9,
                          13, 10)

#: H36M joints copied from one SMPL joint (H36M index -> SMPL index). The
#: others are derived (see :func:`smpl_to_h36m`): spine (7) = mid-point of
#: pelvis (0) and thorax; head (10) = the head top extrapolated from neck and
#: head joints.
H36M_FROM_SMPL = {
    0: 0,  # root <- pelvis
    1: 2,  # right_hip <- right_hip
    2: 5,  # right_knee <- right_knee
    3: 8,  # right_foot <- right_ankle
    4: 1,  # left_hip <- left_hip
    5: 4,  # left_knee <- left_knee
    6: 7,  # left_foot <- left_ankle
    8: 12,  # thorax <- neck (base of the neck)
    9: 15,  # neck_base <- head (the head joint: about the head centre)
    11: 16,  # left_shoulder
    12: 18,  # left_elbow
    13: 20,  # left_wrist
    14: 17,  # right_shoulder
    15: 19,  # right_elbow
    16: 21,  # right_wrist
}

#: The two image sizes (w, h) of the release: portrait and landscape.
PW3D_IMAGE_SIZES = ((1080, 1920), (1920, 1080))
PW3D_SPLITS = ('train', 'validation', 'test')


def smpl_to_h36m(joints: np.ndarray,
                 head_top_ratio: float = HEAD_TOP_RATIO_HUMAN) -> np.ndarray:
    """Map ``(..., 24, 3)`` SMPL joints to ``(..., 17, 3)`` H36M joints.

    Copied joints: :data:`H36M_FROM_SMPL`. spine (7) is the mid-point of
    pelvis and thorax (SMPL neck), as :func:`coco_to_h36m` defines it for 2D;
    head (10), the top of the head, is the SMPL head joint moved away from
    the SMPL neck by ``head_top_ratio`` of their distance (the rule of
    :func:`coco_to_h36m`). SMPL has no head-top joint: this is an
    approximation (see ``docs/datasets.md``).
    """
    joints = np.asarray(joints)
    if joints.ndim < 2 or joints.shape[-2:] != (24, 3):
        raise ValueError('SMPL joints must have shape (..., 24, 3), got '
                         f'{joints.shape}')
    out = np.zeros(joints.shape[:-2] + (17, 3), dtype=joints.dtype)
    for h36m_idx, smpl_idx in H36M_FROM_SMPL.items():
        out[..., h36m_idx, :] = joints[..., smpl_idx, :]
    out[..., 7, :] = (out[..., 0, :] + out[..., 8, :]) / 2
    out[..., 10, :] = out[..., 9, :] + head_top_ratio * (
        out[..., 9, :] - out[..., 8, :])
    return out


#: COCO-17 left/right partners (a keypoint never detected in a track takes
#: its partner's position, see :func:`fill_missing_keypoints`).
COCO17_PARTNER = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)


def fill_missing_keypoints(keypoints: np.ndarray,
                           scores: np.ndarray) -> np.ndarray:
    """Positions for undetected COCO-17 keypoints of one track.

    OpenPose writes an undetected keypoint as (0, 0) with confidence 0, a
    point the lifter would take for the image corner. Such a keypoint is
    linearly interpolated in time between the frames where it is detected
    (held constant before the first / after the last); one never detected
    in the track takes its left/right partner's (filled) positions. The
    confidences are not changed: filled keypoints keep 0.

    Args:
        keypoints (np.ndarray): (T, 17, 2) pixels.
        scores (np.ndarray): (T, 17) confidences; 0 = undetected.

    Returns:
        np.ndarray: (T, 17, 2) pixels with the gaps filled.
    """
    out = np.array(keypoints, dtype=np.float32, copy=True)
    detected = scores > 0
    frames = np.arange(len(out))
    never = []
    for k in range(out.shape[1]):
        seen = detected[:, k]
        if not seen.any():
            never.append(k)
        elif not seen.all():
            for d in range(2):
                out[~seen, k, d] = np.interp(frames[~seen], frames[seen],
                                             out[seen, k, d])
    for k in never:
        partner = COCO17_PARTNER[k]
        if partner not in never:
            out[:, k] = out[:, partner]
    return out


def openpose18_to_h36m(
        keypoints: np.ndarray,
        scores: np.ndarray,
        fill_missing: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """OpenPose COCO-18 ``(..., 18, 2)`` + ``(..., 18)`` -> H36M-17.

    Reorders to COCO-17 (:data:`COCO17_FROM_OPENPOSE18`) and maps with
    :func:`coco_to_h36m` (a copied joint keeps its confidence, a derived
    one gets the mean). A derived joint with an undetected source keypoint
    (confidence 0) gets confidence 0. With ``fill_missing`` (a ``(T, 18,
    2)`` track) undetected keypoints are first given positions by
    :func:`fill_missing_keypoints`.
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    scores = np.asarray(scores, dtype=np.float32)
    if keypoints.shape[-2:] != (18, 2) or scores.shape != keypoints.shape[:-1]:
        raise ValueError('OpenPose keypoints must have shape (..., 18, 2) and '
                         f'scores (..., 18), got {keypoints.shape} and '
                         f'{scores.shape}')
    idx = list(COCO17_FROM_OPENPOSE18)
    coco, coco_scores = keypoints[..., idx, :], scores[..., idx]
    if fill_missing:
        if keypoints.ndim != 3:
            raise ValueError('fill_missing needs one track, (T, 18, 2), got '
                             f'{keypoints.shape}')
        coco = fill_missing_keypoints(coco, coco_scores)
    h36m, h36m_scores = coco_to_h36m(coco, coco_scores)
    _, complete = coco_to_h36m(coco, (coco_scores > 0).astype(np.float32))
    h36m_scores = np.where(complete < 1, 0., h36m_scores).astype(np.float32)
    return h36m, h36m_scores


def activity_text(sequence: str) -> str:
    """Activity words of a sequence name: the place (first word) and the
    take number are dropped, camelCase is split.
    ``'courtyard_basketball_00'`` -> ``'basketball'``,
    ``'downtown_runForBus_01'`` -> ``'run for bus'``,
    ``'flat_guitar_01'`` -> ``'guitar'``."""
    parts = re.sub(r'_\d+$', '', sequence.strip()).split('_')
    words = parts[1:] if len(parts) > 1 else parts
    text = ' '.join(words)
    text = re.sub(r'(?<=[a-z])(?=[A-Z])', ' ', text)
    return ' '.join(text.lower().split())


def extrinsics_to_camera_pose(
        cam_poses: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """World-to-camera ``(..., 4, 4)`` -> the project's camera pose
    (:mod:`mmlpose.structures.camera`): ``R`` (..., 3, 3) camera-to-world
    rotation and ``T`` (..., 3) camera centre, so that
    ``world_to_camera(X, R, T) = (E[:3, :3] @ X + E[:3, 3])``."""
    rot_wc = cam_poses[..., :3, :3]
    t_wc = cam_poses[..., :3, 3]
    rot_cw = np.swapaxes(rot_wc, -1, -2)
    centre = -np.einsum('...ij,...j->...i', rot_cw, t_wc)
    return rot_cw, centre


def infer_image_size(intrinsics: np.ndarray) -> Tuple[int, int]:
    """The release image size ``(w, h)`` whose centre is nearest to the
    principal point of ``intrinsics`` (3, 3): portrait (1080, 1920) when
    ``c_x < c_y``, landscape (1920, 1080) otherwise."""
    c = np.asarray(intrinsics, dtype=np.float64)[:2, 2]
    dist = [np.linalg.norm(c - np.array(s) / 2) for s in PW3D_IMAGE_SIZES]
    return PW3D_IMAGE_SIZES[int(np.argmin(dist))]


def read_image_size(path: str) -> Optional[Tuple[int, int]]:
    """``(w, h)`` of an image from its header, or None when absent or
    unreadable."""
    if not osp.isfile(path):
        return None
    try:
        from PIL import Image
        with Image.open(path) as image:
            return tuple(int(v) for v in image.size)
    except Exception:  # noqa: BLE001 - any unreadable image: fall back
        return None


def image_name(sequence: str, frame: int) -> str:
    """Image of frame ``frame``, relative to the data root:
    ``'imageFiles/<sequence>/image_00012.jpg'``."""
    return f'imageFiles/{sequence}/image_{int(frame):05d}.jpg'


def _array(data: dict,
           key: str,
           path: str,
           shape: Sequence[Optional[int]],
           person: Optional[int] = None) -> np.ndarray:
    value = data[key] if person is None else data[key][person]
    what = key if person is None else f'{key}[{person}]'
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f'{path}: field "{what}" is not numeric') from None
    if arr.ndim != len(shape) or any(s is not None and a != s
                                     for a, s in zip(arr.shape, shape)):
        expected = '(' + ', '.join('T' if s is None else str(s)
                                   for s in shape) + ')'
        raise ValueError(f'{path}: field "{what}" has shape {arr.shape}, '
                         f'expected {expected}')
    return arr


def load_sequence_file(path: str) -> dict:
    """Read and check one 3DPW sequence file.

    Returns:
        dict: ``sequence`` (name), ``intrinsics`` (3, 3), ``cam_poses``
        (T, 4, 4), ``img_frame_ids`` (T,), and ``people``: per person
        ``joints_world`` (T, 24, 3) metres, ``poses2d`` (T, 18, 3) pixels +
        confidence, ``valid`` (T,) bool (``campose_valid``).

    Raises one-line errors: ``FileNotFoundError`` (no file), ``ValueError``
    (not a readable pickle, a missing field, a wrong shape, persons or
    frames that do not match).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'3DPW sequence file not found: {path}')
    try:
        with open(path, 'rb') as f:
            data = pickle.load(f, encoding='latin1')
    except Exception as e:  # noqa: BLE001 - any unpickling failure
        raise ValueError(f'{path}: not a readable 3DPW pickle '
                         f'({type(e).__name__}: {e})') from None
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a dict, got {type(data).__name__}')
    key_2d = 'poses2d' if 'poses2d' in data else 'poses2D'
    for key in ('jointPositions', key_2d, 'cam_poses', 'cam_intrinsics',
                'campose_valid'):
        if key not in data:
            raise ValueError(f'{path}: missing field "{key}"')
    cam_poses = _array(data, 'cam_poses', path, (None, 4, 4))
    num_frames = len(cam_poses)
    intrinsics = _array(data, 'cam_intrinsics', path, (3, 3))
    num_people = len(data['jointPositions'])
    if num_people == 0:
        raise ValueError(f'{path}: no person in "jointPositions"')
    for key in (key_2d, 'campose_valid'):
        if len(data[key]) != num_people:
            raise ValueError(f'{path}: "{key}" has {len(data[key])} persons, '
                             f'"jointPositions" {num_people}')
    people = []
    for p in range(num_people):
        joints = _array(data, 'jointPositions', path, (num_frames, 72), p)
        poses2d = _array(data, key_2d, path, (num_frames, 3, 18), p)
        valid = _array(data, 'campose_valid', path, (num_frames, ), p)
        people.append(
            dict(
                joints_world=joints.reshape(num_frames, 24, 3),
                poses2d=poses2d.transpose(0, 2, 1),
                valid=valid.astype(bool)))
    frame_ids = np.asarray(data.get('img_frame_ids', np.arange(num_frames)))
    sequence = data.get('sequence') or osp.splitext(osp.basename(path))[0]
    return dict(
        sequence=str(sequence),
        intrinsics=intrinsics,
        cam_poses=cam_poses,
        img_frame_ids=frame_ids,
        people=people)


def sequence_files(path: str) -> List[str]:
    """The ``.pkl`` files of a split folder (sorted), or ``[path]`` for one
    file; a one-line ``FileNotFoundError`` when there is none."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'3DPW sequence folder not found: {path}')
    files = sorted(
        osp.join(path, f) for f in os.listdir(path) if f.endswith('.pkl'))
    if not files:
        raise FileNotFoundError(f'no 3DPW sequence file (*.pkl) in {path}')
    return files


def sequence_tracks(path: str,
                    data_root: Optional[str] = None,
                    image_size: Optional[Tuple[int, int]] = None,
                    keypoints_2d: str = 'openpose') -> List[Dict]:
    """One H36M-17 track per person of a sequence file.

    Args:
        path (str): The sequence ``.pkl``.
        data_root (str, optional): Release root, where ``imageFiles/`` is
            looked for to read the image size.
        image_size (tuple, optional): ``(w, h)`` used when the first image is
            absent; by default inferred from the principal point
            (:func:`infer_image_size`).
        keypoints_2d (str): ``'openpose'`` (the release's detections,
            undetected keypoints filled by :func:`fill_missing_keypoints`,
            confidence 0) or ``'projection'`` (the camera-frame 3D projected
            with the intrinsics; confidence 1 on valid frames, 0 elsewhere).

    Returns:
        list[dict]: per person ``name`` (``'<sequence>/person<p>'``),
        ``sequence``, ``person``, ``image_names`` (T,), ``keypoints``
        (T, 17, 2) pixels, ``scores`` (T, 17), ``keypoints_3d`` (T, 17, 3)
        camera-frame metres, ``valid`` (T,) bool, ``camera`` (``f``, ``c``
        (2, 1) pixels, ``w``, ``h``), ``image_size`` (w, h),
        ``img_frame_ids`` (T,), ``source`` (the file).
    """
    if keypoints_2d not in ('openpose', 'projection'):
        raise ValueError(f'keypoints_2d must be "openpose" or "projection", '
                         f'got "{keypoints_2d}"')
    seq = load_sequence_file(path)
    name = seq['sequence']
    num_frames = len(seq['cam_poses'])
    image_names = np.array([image_name(name, i) for i in range(num_frames)])
    size = None
    if data_root:
        size = read_image_size(osp.join(data_root, image_names[0]))
    size = size or (tuple(image_size) if image_size else None)
    size = size or infer_image_size(seq['intrinsics'])
    K = seq['intrinsics']
    camera = dict(
        f=np.array([[K[0, 0]], [K[1, 1]]], dtype=np.float32),
        c=np.array([[K[0, 2]], [K[1, 2]]], dtype=np.float32),
        w=int(size[0]),
        h=int(size[1]))
    rot, centre = extrinsics_to_camera_pose(seq['cam_poses'])
    tracks = []
    for p, person in enumerate(seq['people']):
        joints_3d = world_to_camera(
            smpl_to_h36m(person['joints_world']), rot, centre[:, None])
        valid = person['valid']
        if keypoints_2d == 'openpose':
            kpts, scores = openpose18_to_h36m(
                person['poses2d'][..., :2],
                person['poses2d'][..., 2],
                fill_missing=True)
        else:
            depth = np.maximum(joints_3d[..., 2:], 1e-6)
            kpts = joints_3d[..., :2] / depth * camera['f'][:, 0] + \
                camera['c'][:, 0]
            scores = np.repeat(valid[:, None], 17, axis=1)
        tracks.append(
            dict(
                name=f'{name}/person{p}',
                sequence=name,
                person=p,
                image_names=image_names,
                keypoints=np.asarray(kpts, dtype=np.float32),
                scores=np.asarray(scores, dtype=np.float32),
                keypoints_3d=joints_3d.astype(np.float32),
                valid=valid,
                camera=camera,
                image_size=(int(size[0]), int(size[1])),
                img_frame_ids=seq['img_frame_ids'],
                source=path))
    return tracks


def track_to_video_sequence(track: dict,
                            action_text: Optional[str] = None
                            ) -> VideoSequence:
    """A :func:`sequence_tracks` track as a :class:`VideoSequence`: the whole
    sequence, 3D visible only on frames with a valid camera pose."""
    num_frames = len(track['valid'])
    return VideoSequence(
        name=track['name'],
        keypoints_2d=track['keypoints'],
        keypoint_scores=track['scores'],
        image_size=track['image_size'],
        action_text=action_text,
        keypoints_3d=track['keypoints_3d'],
        keypoints_3d_visible=np.repeat(track['valid'][:, None], 17, axis=1),
        meta=dict(
            camera=track['camera'],
            sequence=track['sequence'],
            person=track['person'],
            frame_ids=np.arange(num_frames),
            img_frame_ids=track['img_frame_ids'],
            image_paths=list(track['image_names']),
            source=track['source']))
