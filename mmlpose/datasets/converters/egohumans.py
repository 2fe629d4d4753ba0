# Copyright (c) mmlpose contributors. All rights reserved.
"""EgoHumans sequences -> mmpose H36M npz layout, one track per sequence,
exo camera and person (FinePOSE's multi-human protocol).

Input: the EgoHumans release, one folder per sequence::

    <data_root>/<big sequence>/<sequence>/      e.g. 01_tagging/001_tagging
        processed_data/fit_poses3d/00001.npy    dict aria01.. -> (17, 4)
                                                COCO-17 x, y, z, confidence
                                                (metres, aria01's world)
        colmap/workplace/cameras.txt            COLMAP text model
        colmap/workplace/images.txt             (exo images 'camXX/00001.jpg')
        colmap/workplace/colmap_from_aria_transforms.pkl
                                                dict aria01.. -> (4, 4)
        exo/camXX/                              one folder per exo camera

Conversion, per sequence:

- the 3D poses (``fit_poses3d`` by default) become H36M-17 joints with
  :func:`mmlpose.structures.keypoint_mapping.coco_to_h36m`;
- each exo camera's pose is its first COLMAP registration (the exo cameras
  are static), moved into aria01's world with ``colmap_from_aria['aria01']``
  (a similarity: its scale is removed, so camera-frame joints are metres);
- 2D = the pinhole projection with the COLMAP camera matrix ``K``, i.e. the
  keypoints in EgoHumans' undistorted exo images (``undistorted_images``,
  undistorted with ``K`` as the new camera matrix); the fisheye
  coefficients are not applied;
- a person is *present* in a frame of a camera when their pose exists at
  that time stamp, every joint is in front of the camera and at least
  ``min_joints_in_image`` joints fall inside the image. Absent frames are
  zero-filled (2D, 3D and visibility 0); tracks are kept whole, so every
  track of a sequence has one row per time stamp.

Output: ``annotation_body3d/egohumans_{train,test}.npz`` (``imgname``
``S01-001_tagging.cam01_p2_000001.jpg``, ``S`` (N, 17, 4) camera-frame metres
and visibility, ``part`` (N, 17, 3), ``center``, ``scale``) and
``annotation_body3d/cameras.pkl`` keyed ``(subject, camera)`` in mmpose's
convention (``R`` camera-to-world, ``T`` camera centre in metres, ``f``,
``c``, ``w``, ``h``), read by ``EgoHumansLiftingDataset``.
"""
import os
import os.path as osp
import pickle
import re
from typing import Dict, List, Sequence, Tuple

import numpy as np
from scipy.spatial.transform import Rotation

from mmlpose.datasets.egohumans_dataset import egohumans_imgname
from mmlpose.structures.camera import project_points, world_to_camera
from mmlpose.structures.keypoint_mapping import coco_to_h36m
from .videopose3d import bbox_center_scale

#: Big sequences of the EgoHumans benchmark's test set.
EGOHUMANS_TEST_SEQUENCES = ('01_tagging', '02_lego', '02_legoassemble',
                            '03_fencing')

# COLMAP camera models: number of leading focal-length parameters (1 = f,
# 2 = fx, fy); the principal point follows them.
_COLMAP_FOCALS = {
    'SIMPLE_PINHOLE': 1,
    'SIMPLE_RADIAL': 1,
    'RADIAL': 1,
    'SIMPLE_RADIAL_FISHEYE': 1,
    'RADIAL_FISHEYE': 1,
    'PINHOLE': 2,
    'OPENCV': 2,
    'OPENCV_FISHEYE': 2,
    'FULL_OPENCV': 2,
    'FOV': 2,
    'THIN_PRISM_FISHEYE': 2,
}


def _data_lines(path: str) -> List[str]:
    if not osp.isfile(path):
        raise FileNotFoundError(f'COLMAP file not found: {path}')
    with open(path) as f:
        return [line.rstrip('\n') for line in f if not line.startswith('#')]


def read_colmap_cameras(path: str) -> Dict[int, dict]:
    """COLMAP ``cameras.txt``: camera id -> ``model``, ``width``,
    ``height``, ``params`` (float array)."""
    cameras = {}
    for line in _data_lines(path):
        if not line.strip():
            continue
        fields = line.split()
        cameras[int(fields[0])] = dict(
            model=fields[1],
            width=int(fields[2]),
            height=int(fields[3]),
            params=np.array([float(v) for v in fields[4:]]))
    return cameras


def read_colmap_images(path: str) -> Dict[str, dict]:
    """COLMAP ``images.txt``: image name -> ``qvec`` (w, x, y, z),
    ``tvec`` and ``camera_id`` (world-to-camera pose). Each image takes two
    lines; the second (its 2D points) may be empty and is skipped."""
    lines = _data_lines(path)
    images = {}
    for line in lines[0::2]:
        fields = line.split()
        if len(fields) < 10:
            continue
        images[fields[9]] = dict(
            qvec=np.array([float(v) for v in fields[1:5]]),
            tvec=np.array([float(v) for v in fields[5:8]]),
            camera_id=int(fields[8]))
    return images


def qvec_to_rotmat(qvec: np.ndarray) -> np.ndarray:
    """Rotation matrix of a quaternion ``(w, x, y, z)`` (COLMAP's order;
    normalised first)."""
    return Rotation.from_quat(
        np.asarray(qvec, dtype=np.float64), scalar_first=True).as_matrix()


def colmap_intrinsics(camera: dict) -> Tuple[np.ndarray, np.ndarray]:
    """Focal lengths ``(fx, fy)`` and principal point ``(cx, cy)`` of a
    COLMAP camera (distortion parameters are not returned)."""
    num_focal = _COLMAP_FOCALS.get(camera['model'])
    if num_focal is None:
        raise ValueError(f'unsupported COLMAP camera model {camera["model"]}')
    params = camera['params']
    f = np.repeat(params[:1], 2) if num_focal == 1 else params[:2]
    return f.astype(np.float64), params[num_focal:num_focal + 2].astype(
        np.float64)


def load_exo_cameras(sequence_dir: str,
                     anchor: str = 'aria01') -> Dict[str, dict]:
    """Exo cameras of a sequence in mmpose's convention, in the anchor
    aria's world (metres).

    Returns:
        dict: camera name (``'cam01'``) -> ``id``, ``name``, ``f`` (2, 1),
        ``c`` (2, 1), ``w``, ``h``, ``R`` (3, 3) camera-to-world rotation
        and ``T`` (3, 1) camera centre, so that ``X_cam = R.T (X - T)``.
        Cameras never registered in ``images.txt`` are left out.
    """
    colmap_dir = osp.join(sequence_dir, 'colmap', 'workplace')
    transforms_file = osp.join(colmap_dir, 'colmap_from_aria_transforms.pkl')
    if not osp.isfile(transforms_file):
        raise FileNotFoundError(
            f'aria-to-COLMAP transforms not found: {transforms_file}')
    with open(transforms_file, 'rb') as f:
        colmap_from_aria = pickle.load(f)
    if anchor not in colmap_from_aria:
        raise KeyError(f'{transforms_file} has no transform for the anchor '
                       f'"{anchor}" (has {sorted(colmap_from_aria)})')
    anchor_tf = np.asarray(colmap_from_aria[anchor], dtype=np.float64)
    linear = anchor_tf[:3, :3]
    scale = np.cbrt(abs(np.linalg.det(linear)))
    rot_aria = linear / scale  # colmap = scale * rot_aria @ aria + shift
    shift = anchor_tf[:3, 3]

    colmap_cameras = read_colmap_cameras(osp.join(colmap_dir, 'cameras.txt'))
    registrations: Dict[str, Tuple[int, dict]] = {}
    for name, image in read_colmap_images(osp.join(colmap_dir,
                                                   'images.txt')).items():
        parts = name.split('/')
        if len(parts) != 2 or not parts[0].startswith('cam'):
            continue  # ego (aria) images
        stamp = int(osp.splitext(parts[1])[0])
        if parts[0] not in registrations or stamp < registrations[
                parts[0]][0]:
            registrations[parts[0]] = (stamp, image)

    cameras = {}
    for name, (_, image) in sorted(registrations.items()):
        colmap_cam = colmap_cameras.get(image['camera_id'])
        if colmap_cam is None:
            raise KeyError(f'{name}: COLMAP camera {image["camera_id"]} is '
                           'missing from cameras.txt')
        rot_cw = qvec_to_rotmat(image['qvec'])  # colmap world -> camera
        # X_cam = rot_cw (scale rot_aria X + shift) + tvec, in colmap units
        rot = rot_cw @ rot_aria  # aria world -> camera rotation
        centre = -rot.T @ ((rot_cw @ shift + image['tvec']) / scale)
        f, c = colmap_intrinsics(colmap_cam)
        cameras[name] = dict(
            id=name,
            name=name,
            R=rot.T,
            T=centre.reshape(3, 1),
            f=f.reshape(2, 1),
            c=c.reshape(2, 1),
            w=colmap_cam['width'],
            h=colmap_cam['height'])
    return cameras


def load_pose_trajectories(
        sequence_dir: str,
        pose_dir: str = 'fit_poses3d'
) -> Tuple[List[int], Dict[str, np.ndarray]]:
    """Per-person COCO-17 3D trajectories of a sequence.

    Returns:
        tuple: the time stamps (sorted, from the ``{t:05d}.npy`` names) and
        aria name -> ``(T, 17, 4)`` poses, NaN where the person has no pose.
    """
    folder = osp.join(sequence_dir, 'processed_data', pose_dir)
    if not osp.isdir(folder):
        raise FileNotFoundError(f'3D pose folder not found: {folder}')
    files = sorted(f for f in os.listdir(folder) if re.fullmatch(
        r'\d+\.npy', f))
    if not files:
        raise ValueError(f'no per-frame pose files (00001.npy, ...) in '
                         f'{folder}')
    stamps = [int(f[:-4]) for f in files]
    frames = [
        np.load(osp.join(folder, f), allow_pickle=True).item() for f in files
    ]
    names = sorted({name for frame in frames for name in frame})
    poses = {name: np.full((len(files), 17, 4), np.nan) for name in names}
    for t, frame in enumerate(frames):
        for name, pose in frame.items():
            pose = np.asarray(pose, dtype=np.float64).reshape(-1, 4)
            if pose.shape[0] != 17:
                raise ValueError(f'{folder}/{files[t]}: {name} has '
                                 f'{pose.shape[0]} joints, expected 17 '
                                 '(COCO)')
            poses[name][t] = pose
    return stamps, poses


def _names(sequence_dir: str) -> Tuple[str, str]:
    """Subject token and activity from ``.../01_tagging/001_tagging``."""
    seq = osp.basename(osp.normpath(sequence_dir))
    big = osp.basename(osp.dirname(osp.normpath(sequence_dir)))
    match_seq = re.fullmatch(r'(\d+)_([A-Za-z]+)\w*', seq)
    match_big = re.fullmatch(r'(\d+)_\w+', big)
    if match_seq is None:
        raise ValueError(f'sequence folder "{seq}" is not named '
                         '"<number>_<activity>" (e.g. 001_tagging)')
    big_id = match_big.group(1) if match_big else re.sub(r'\W|_', '', big)
    return f'S{big_id}-{match_seq.group(1)}', match_seq.group(2).lower()


def convert_egohumans_sequence(
        sequence_dir: str,
        pose_dir: str = 'fit_poses3d',
        anchor: str = 'aria01',
        min_joints_in_image: int = 9,
        min_depth: float = 0.1) -> Tuple[Dict[str, np.ndarray], dict]:
    """One sequence -> H36M npz arrays (all cameras and persons) and its
    cameras keyed ``(subject, camera)``; see the module docstring."""
    subject, activity = _names(sequence_dir)
    stamps, poses = load_pose_trajectories(sequence_dir, pose_dir)
    cameras = load_exo_cameras(sequence_dir, anchor)
    if not cameras:
        raise ValueError(f'{sequence_dir}: no exo camera is registered in '
                         'colmap/workplace/images.txt')
    out = {'imgname': [], 'S': [], 'part': []}
    for person_name, coco in sorted(poses.items()):
        person = int(re.sub(r'\D', '', person_name) or 0)
        joints, _ = coco_to_h36m(coco[..., :3])
        has_pose = np.isfinite(joints).all(axis=(-1, -2))
        joints = np.where(has_pose[:, None, None], joints, 0.)
        for cam_name, cam in cameras.items():
            kpts_cam = world_to_camera(joints, cam['R'], cam['T'])
            in_front = (kpts_cam[..., 2] > min_depth).all(axis=-1)
            depth = np.where(in_front[:, None, None], kpts_cam[..., 2:], 1.)
            pixels = project_points(
                np.concatenate([kpts_cam[..., :2], depth], -1), cam['f'],
                cam['c'])
            inside = ((pixels[..., 0] >= 0) & (pixels[..., 0] < cam['w']) &
                      (pixels[..., 1] >= 0) & (pixels[..., 1] < cam['h']))
            present = has_pose & in_front & (inside.sum(-1) >=
                                             min_joints_in_image)
            if not present.any():
                continue
            vis = present[:, None, None].astype(np.float64) * np.ones(
                (1, 17, 1))
            out['S'].append(
                np.concatenate([kpts_cam * vis, vis], axis=-1))
            out['part'].append(np.concatenate([pixels * vis, vis], axis=-1))
            out['imgname'] += [
                egohumans_imgname(subject, activity, cam_name, person, stamp)
                for stamp in stamps
            ]
    if not out['imgname']:
        return {}, {}
    arrays = {
        'imgname': np.array(out['imgname']),
        'S': np.concatenate(out['S']).astype(np.float32),
        'part': np.concatenate(out['part']).astype(np.float32),
    }
    center, scale = bbox_center_scale(arrays['part'][..., :2])
    arrays.update(
        center=center.astype(np.float32), scale=scale.astype(np.float32))
    return arrays, {(subject, name): cam for name, cam in cameras.items()}


def find_sequences(data_root: str) -> List[str]:
    """Sequence folders ``<big>/<seq>`` under ``data_root`` that hold
    ``processed_data``, sorted."""
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'EgoHumans data root not found: {data_root}')
    found = []
    for big in sorted(os.listdir(data_root)):
        big_dir = osp.join(data_root, big)
        if not osp.isdir(big_dir):
            continue
        for seq in sorted(os.listdir(big_dir)):
            if osp.isdir(osp.join(big_dir, seq, 'processed_data')):
                found.append(osp.join(big_dir, seq))
    return found


def convert_egohumans(data_root: str,
                      out_dir: str,
                      test_sequences: Sequence[str] = EGOHUMANS_TEST_SEQUENCES,
                      pose_dir: str = 'fit_poses3d',
                      anchor: str = 'aria01',
                      min_joints_in_image: int = 9) -> Dict[str, int]:
    """Convert every sequence under ``data_root`` and write the train/test
    npz files and ``cameras.pkl`` under ``out_dir/annotation_body3d``.

    A sequence is in the test split when its big-sequence folder
    (``01_tagging``) or ``<big>/<seq>`` path is in ``test_sequences``
    (default: the EgoHumans benchmark's test set).

    Returns:
        dict: rows (person-frames) per split.
    """
    sequences = find_sequences(data_root)
    if not sequences:
        raise ValueError(f'no EgoHumans sequence (<big>/<seq>/processed_data)'
                         f' under {data_root}')
    splits: Dict[str, List[dict]] = {'train': [], 'test': []}
    all_cameras = {}
    for seq_dir in sequences:
        arrays, cameras = convert_egohumans_sequence(
            seq_dir, pose_dir, anchor, min_joints_in_image)
        if not arrays:
            continue
        rel = osp.relpath(seq_dir, data_root).replace(os.sep, '/')
        is_test = rel in test_sequences or rel.split('/')[0] in test_sequences
        splits['test' if is_test else 'train'].append(arrays)
        all_cameras.update(cameras)
    ann_dir = osp.join(out_dir, 'annotation_body3d')
    os.makedirs(ann_dir, exist_ok=True)
    counts = {}
    for split, parts in splits.items():
        counts[split] = sum(len(p['imgname']) for p in parts)
        if not parts:
            continue
        np.savez(
            osp.join(ann_dir, f'egohumans_{split}.npz'), **{
                key: np.concatenate([p[key] for p in parts])
                for key in parts[0]
            })
    with open(osp.join(ann_dir, 'cameras.pkl'), 'wb') as f:
        pickle.dump(all_cameras, f)
    return counts
