# Copyright (c) mmlpose contributors. All rights reserved.
"""Human3.6M in VideoPose3D's layout -> mmpose's H36M npz layout.

VideoPose3D (used by the FinePOSE, D3DP and MixSTE code) ships
``data_3d_h36m.npz`` (``positions_3d[subject][action]``: (T, 32, 3) world
frame, metres) and ``data_2d_h36m_{gt,cpn_ft_h36m_dbb}.npz``
(``positions_2d[subject][action][cam_idx]``: (T, 17, 2) pixels, cameras in
:data:`H36M_CAMERA_IDS` order). The converter writes one npz per split with
mmpose's keys ``imgname``, ``center``, ``scale``, ``part`` (N, 17, 3) and
``S`` (N, 17, 4, camera frame, metres), plus ``action`` (the sequence name,
e.g. ``'Directions_1'``), readable by :class:`Human36mTextDataset`.
"""
import os
import os.path as osp
import pickle
from typing import Dict, Iterable, Mapping, Optional, Sequence

import numpy as np

from mmlpose.structures.camera import world_to_camera

H36M_CAMERA_IDS = ('54138969', '55011271', '58860488', '60457274')
H36M_KEPT_JOINTS = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26,
                    27)
H36M_SPLITS = dict(train=('S1', 'S5', 'S6', 'S7', 'S8'), test=('S9', 'S11'))
NUM_JOINTS = len(H36M_KEPT_JOINTS)


def load_videopose3d(path: str, key: str) -> dict:
    """Load ``positions_3d`` or ``positions_2d`` from a VideoPose3D npz.

    Args:
        path: The npz file.
        key: ``'positions_3d'`` or ``'positions_2d'``.

    Returns:
        dict: subject -> action -> array (3D) or list of arrays (2D).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'VideoPose3D file not found: {path}')
    with np.load(path, allow_pickle=True) as data:
        if key not in data.files:
            raise KeyError(f'{path}: no "{key}" (keys: {data.files})')
        if 'metadata' in data.files:
            meta = data['metadata'].item()
            num = meta.get('num_joints', NUM_JOINTS)
            if num != NUM_JOINTS:
                raise ValueError(f'{path}: metadata.num_joints is {num}, '
                                 f'expected {NUM_JOINTS}')
        return data[key].item()


def load_cameras(path: str) -> dict:
    """Load an mmpose ``cameras.pkl``: (subject, camera_id) -> params."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'camera file not found: {path}')
    with open(path, 'rb') as f:
        return pickle.load(f)


def bbox_center_scale(kpts_2d: np.ndarray, scale_factor: float = 1.2) -> tuple:
    """Box centre and scale of 2D keypoints, as mmpose's H36M preprocessing.

    Args:
        kpts_2d: (N, K, 2) pixel coordinates.
        scale_factor: Box enlargement; scale = factor * max(w, h) / 200.

    Returns:
        tuple: centres (N, 2) and scales (N, ).
    """
    lo, hi = kpts_2d.min(axis=1), kpts_2d.max(axis=1)
    return (lo + hi) / 2, scale_factor * (hi - lo).max(axis=1) / 200


def h36m_imgname(subject: str, action: str, camera: str, frame: int) -> str:
    """mmpose's image name, e.g. ``S1/S1_Directions_1.54138969/
    S1_Directions_1.54138969_000001.jpg`` (``frame`` is 0-based)."""
    seq = f'{subject}_{action.replace(" ", "_")}.{camera}'
    return f'{subject}/{seq}/{seq}_{frame + 1:06d}.jpg'


def _view_2d(positions_2d: Mapping, subject: str, action: str, cam_idx: int,
             num_frames: int, source: str) -> np.ndarray:
    """(T, 17, 2) keypoints of one camera, checked to cover ``num_frames``
    3D frames."""
    try:
        kpt = np.asarray(positions_2d[subject][action][cam_idx],
                         np.float64)[..., :2]
    except (KeyError, IndexError):
        raise KeyError(f'{source} has no sequence {(subject, action)} '
                       f'for camera index {cam_idx}') from None
    if kpt.ndim != 3 or kpt.shape[1] != NUM_JOINTS or len(kpt) < num_frames:
        raise ValueError(
            f'{source}[{subject!r}][{action!r}][{cam_idx}] has shape '
            f'{kpt.shape}, expected (>={num_frames}, {NUM_JOINTS}, 2)')
    return kpt


def convert_subjects(
    positions_3d: Mapping,
    positions_2d: Mapping,
    cameras: Mapping,
    subjects: Iterable[str],
    sample_rate: int = 1,
    scale_factor: float = 1.2,
    camera_ids: Sequence[str] = H36M_CAMERA_IDS,
    camera_file: str = 'the camera file',
    detections_2d: Optional[Mapping] = None
) -> Optional[Dict[str, np.ndarray]]:
    """Convert the sequences of some subjects to mmpose's H36M arrays.

    Args:
        positions_3d: subject -> action -> (T, 32 or 17, 3) world metres.
        positions_2d: subject -> action -> list of (T', 17, 2) pixels, one
            per camera of ``camera_ids``; T' >= T (extra frames are cut, as
            VideoPose3D does). Gives ``part``, ``center`` and ``scale``.
        cameras: (subject, camera_id) -> mmpose camera dict (``R``, ``T``).
        subjects: Subjects to convert; those absent from ``positions_3d``
            are skipped.
        sample_rate: Keep every ``sample_rate``-th frame.
        scale_factor: See :func:`bbox_center_scale`.
        camera_ids: Camera ids in the order of the 2D lists.
        camera_file: Name of the cameras' source, for error messages.
        detections_2d: Optional second 2D source in the layout of
            ``positions_2d`` (e.g. CPN detections), returned as
            ``detection`` (N, 17, 3), aligned with the other arrays.

    Returns:
        dict | None: ``imgname`` (N, ), ``center`` (N, 2), ``scale`` (N, ),
        ``part`` (N, 17, 3), ``S`` (N, 17, 4), ``action`` (N, ) [,
        ``detection``], or None if no frame was found.
    """
    out = {
        k: []
        for k in ('imgname', 'center', 'scale', 'part', 'S', 'action',
                  'detection')
    }
    for subject in subjects:
        if subject not in positions_3d:
            continue
        for action in sorted(positions_3d[subject]):
            world = np.asarray(positions_3d[subject][action], np.float64)
            if world.ndim != 3 or world.shape[1:] not in ((32, 3), (17, 3)):
                raise ValueError(
                    f'positions_3d[{subject!r}][{action!r}] has shape '
                    f'{world.shape}, expected (T, 32, 3) or (T, 17, 3)')
            if world.shape[1] == 32:
                world = world[:, list(H36M_KEPT_JOINTS)]
            frames = np.arange(0, len(world), sample_rate)
            ones = np.ones((len(frames), NUM_JOINTS, 1))
            for cam_idx, cam_id in enumerate(camera_ids):
                kpt = _view_2d(positions_2d, subject, action, cam_idx,
                               len(world), 'positions_2d')[frames]
                if detections_2d is not None:
                    det = _view_2d(detections_2d, subject, action, cam_idx,
                                   len(world), 'detections_2d')[frames]
                    out['detection'].append(np.concatenate([det, ones], -1))
                try:
                    cam = cameras[(subject, cam_id)]
                except KeyError:
                    raise KeyError(f'camera key {(subject, cam_id)} not '
                                   f'found in {camera_file}') from None
                cam_3d = world_to_camera(world[frames], cam['R'], cam['T'])
                center, scale = bbox_center_scale(kpt, scale_factor)
                out['imgname'] += [
                    h36m_imgname(subject, action, cam_id, i) for i in frames
                ]
                out['action'] += [action.replace(' ', '_')] * len(frames)
                out['center'].append(center)
                out['scale'].append(scale)
                out['part'].append(np.concatenate([kpt, ones], axis=-1))
                out['S'].append(np.concatenate([cam_3d, ones], axis=-1))
    if not out['imgname']:
        return None
    result = dict(
        imgname=np.array(out['imgname']), action=np.array(out['action']))
    for key in ('center', 'scale', 'part', 'S', 'detection'):
        if out[key]:
            result[key] = np.concatenate(out[key]).astype(np.float32)
    return result


def videopose3d_to_mmpose(data_3d_file: str,
                          data_2d_file: str,
                          camera_file: str,
                          out_dir: str,
                          splits: Mapping[str, Sequence[str]] = H36M_SPLITS,
                          sample_rate: int = 1,
                          scale_factor: float = 1.2,
                          det_2d_file: Optional[str] = None,
                          det_out_dir: Optional[str] = None) -> Dict[str, str]:
    """Convert VideoPose3D's H36M files to ``{out_dir}/h36m_{split}.npz``.

    Args:
        data_3d_file: ``data_3d_h36m.npz``.
        data_2d_file: ``data_2d_h36m_gt.npz`` or a detection file such as
            ``data_2d_h36m_cpn_ft_h36m_dbb.npz``; it gives ``part`` and the
            boxes.
        camera_file: mmpose's ``cameras.pkl``.
        out_dir: Output folder.
        splits: split name -> subjects.
        sample_rate: Keep every ``sample_rate``-th frame (1 = 50 fps).
        scale_factor: Box enlargement for ``scale``.
        det_2d_file: Optional VideoPose3D 2D file written, aligned with the
            npz, as ``{det_out_dir}/{name}_{split}.npy`` (N, 17, 3) for
            ``keypoint_2d_src='detection'``; ``name`` is the file name
            without ``data_2d_h36m_`` (e.g. ``cpn_ft_h36m_dbb``).
        det_out_dir: Folder of those npy files; defaults to ``out_dir``.

    Returns:
        dict: ``split`` -> npz written and, with ``det_2d_file``,
        ``'{split}_detection'`` -> npy written; splits without any frame are
        skipped.
    """
    positions_3d = load_videopose3d(data_3d_file, 'positions_3d')
    positions_2d = load_videopose3d(data_2d_file, 'positions_2d')
    detections, det_name = None, None
    if det_2d_file:
        detections = load_videopose3d(det_2d_file, 'positions_2d')
        det_name = osp.splitext(osp.basename(det_2d_file))[0].replace(
            'data_2d_h36m_', '')
        det_out_dir = det_out_dir or out_dir
        os.makedirs(det_out_dir, exist_ok=True)
    cameras = load_cameras(camera_file)
    os.makedirs(out_dir, exist_ok=True)
    written = {}
    for split, subjects in splits.items():
        arrays = convert_subjects(
            positions_3d,
            positions_2d,
            cameras,
            subjects,
            sample_rate,
            scale_factor,
            camera_file=camera_file,
            detections_2d=detections)
        if arrays is None:
            continue
        if detections is not None:
            path = osp.join(det_out_dir, f'{det_name}_{split}.npy')
            np.save(path, arrays.pop('detection'))
            written[f'{split}_detection'] = path
        written[split] = osp.join(out_dir, f'h36m_{split}.npz')
        np.savez(written[split], **arrays)
    return written
