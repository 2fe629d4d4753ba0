# Copyright (c) mmlpose contributors. All rights reserved.
"""A small synthetic sequence in the EgoHumans release layout, with known
cameras and poses, for the converter, dataset and multi-human tests.

World (aria01's frame): metres, z up. Three people over ``NUM_FRAMES`` time
stamps, seen by two exo cameras 6 m from the origin:

- aria01 walks in place near the origin (always in view);
- aria02 stands at (1, 0.5) and has no pose at time stamps 11-15;
- aria03 walks along +x from (0, -1) at 0.5 m per frame: it leaves cam01's
  image and passes behind cam02.
"""
import os
import os.path as osp
import pickle

import numpy as np
from scipy.spatial.transform import Rotation

NUM_FRAMES = 60
WIDTH, HEIGHT = 1920, 1080
MISSING_ARIA02 = range(11, 16)
# colmap = SCALE * ROT_ARIA @ aria + SHIFT  (colmap_from_aria['aria01'])
SCALE = 2.5
ROT_ARIA = Rotation.from_euler('xyz', [20, -35, 60], degrees=True).as_matrix()
SHIFT = np.array([1.0, -2.0, 3.0])

# COCO-17 template of a standing person (x right, y forward, z up), metres.
_TEMPLATE = np.array([
    [0.00, 0.08, 1.62],  # nose
    [0.03, 0.06, 1.66],  # left eye
    [-0.03, 0.06, 1.66],  # right eye
    [0.08, 0.00, 1.63],  # left ear
    [-0.08, 0.00, 1.63],  # right ear
    [0.19, 0.00, 1.42],  # left shoulder
    [-0.19, 0.00, 1.42],  # right shoulder
    [0.24, 0.02, 1.12],  # left elbow
    [-0.24, 0.02, 1.12],  # right elbow
    [0.26, 0.08, 0.86],  # left wrist
    [-0.26, 0.08, 0.86],  # right wrist
    [0.11, 0.00, 0.95],  # left hip
    [-0.11, 0.00, 0.95],  # right hip
    [0.12, 0.03, 0.52],  # left knee
    [-0.12, 0.03, 0.52],  # right knee
    [0.12, 0.00, 0.08],  # left ankle
    [-0.12, 0.00, 0.08],  # right ankle
])


def look_at(centre: np.ndarray, target: np.ndarray) -> np.ndarray:
    """World-to-camera rotation (x right, y down, z forward)."""
    forward = target - centre
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0., 0., 1.])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    return np.stack([right, down, forward])


# name -> (colmap camera id, model, params, centre in aria world)
CAMERAS = {
    'cam01': (3, 'OPENCV_FISHEYE',
              [1000., 1010., 960., 540., 0.05, -0.01, 0.002, 0.0001],
              np.array([0., -6., 1.5])),
    'cam02': (4, 'PINHOLE', [900., 900., 950., 530.], np.array([6., 0.,
                                                                1.5])),
}


def person_poses(t: int) -> dict:
    """COCO-17 (17, 4) world poses of the people present at time stamp t."""
    phase = 0.3 * t
    swing = _TEMPLATE.copy()
    swing[[9, 10], 1] += 0.15 * np.array([np.sin(phase), -np.sin(phase)])
    swing[[15, 16], 1] += 0.2 * np.array([-np.sin(phase), np.sin(phase)])
    poses = {
        'aria01': swing + [0.1 * np.sin(phase), 0., 0.],
        'aria02': _TEMPLATE + [1.0, 0.5, 0.],
        'aria03': swing + [0.5 * (t - 1), -1.0, 0.],
    }
    if t in MISSING_ARIA02:
        del poses['aria02']
    conf = np.ones((17, 1))
    return {k: np.concatenate([v, conf], axis=1) for k, v in poses.items()}


def camera_extrinsics(name: str):
    """``rot`` (aria world -> camera) and the COLMAP pose ``(R_cw, t)``."""
    centre = CAMERAS[name][3]
    rot = look_at(centre, np.array([0., 0., 1.]))
    rot_cw = rot @ ROT_ARIA.T
    t = -SCALE * rot @ centre - rot_cw @ SHIFT
    return rot, rot_cw, t


def _qvec(rot: np.ndarray) -> np.ndarray:
    x, y, z, w = Rotation.from_matrix(rot).as_quat()
    return np.array([w, x, y, z])


def make_release(root: str) -> str:
    """Write the sequence under ``root/01_tagging/001_tagging``; return
    ``root``."""
    seq = osp.join(root, '01_tagging', '001_tagging')
    pose_dir = osp.join(seq, 'processed_data', 'fit_poses3d')
    colmap_dir = osp.join(seq, 'colmap', 'workplace')
    os.makedirs(pose_dir, exist_ok=True)
    os.makedirs(colmap_dir, exist_ok=True)
    for name in CAMERAS:
        os.makedirs(osp.join(seq, 'exo', name, 'images'), exist_ok=True)
    for t in range(1, NUM_FRAMES + 1):
        np.save(
            osp.join(pose_dir, f'{t:05d}.npy'),
            np.array(person_poses(t), dtype=object),
            allow_pickle=True)

    anchor = np.eye(4)
    anchor[:3, :3] = SCALE * ROT_ARIA
    anchor[:3, 3] = SHIFT
    with open(osp.join(colmap_dir, 'colmap_from_aria_transforms.pkl'),
              'wb') as f:
        pickle.dump({'aria01': anchor, 'aria02': np.eye(4)}, f)

    lines = ['# Camera list with one line of data per camera:',
             '1 PINHOLE 1408 1408 600 600 704 704']
    for cam_id, model, params, _ in CAMERAS.values():
        lines.append(f'{cam_id} {model} {WIDTH} {HEIGHT} ' +
                     ' '.join(str(p) for p in params))
    with open(osp.join(colmap_dir, 'cameras.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')

    lines = ['# Image list with two lines of data per image:',
             '#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME']
    image_id = 1

    def add(name, rot_cw, t, cam_id):
        nonlocal image_id
        q = _qvec(rot_cw)
        lines.append(f'{image_id} ' + ' '.join(f'{v:.12f}' for v in q) + ' ' +
                     ' '.join(f'{v:.12f}' for v in t) + f' {cam_id} {name}')
        lines.append('')  # no 2D points
        image_id += 1

    add('aria01/00001.jpg', np.eye(3), np.zeros(3), 1)
    # a later registration of cam01 with a wrong pose: the earliest is used
    add('cam01/00005.jpg', np.eye(3), np.array([9., 9., 9.]), 3)
    for name, (cam_id, _, _, _) in CAMERAS.items():
        _, rot_cw, t = camera_extrinsics(name)
        add(f'{name}/00001.jpg', rot_cw, t, cam_id)
    with open(osp.join(colmap_dir, 'images.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return root
