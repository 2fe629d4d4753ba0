# Copyright (c) mmlpose contributors. All rights reserved.
"""DeepMimic motion clips (shipped with pybullet) -> mmpose H36M npz layout.

Pipeline: :func:`load_clip` -> :func:`resample_motion` ->
:func:`forward_kinematics` on the humanoid URDF -> :func:`humanoid_to_h36m`
(17 H36M joints, y-up metres) -> :func:`y_up_to_z_up` and re-centring
(:func:`clip_to_h36m_world`) -> :func:`make_ring_cameras` ->
:func:`build_split` (camera frame, pixels, boxes) -> :func:`convert_deepmimic`
writes the npz files and ``cameras.pkl``. See ``docs/deepmimic.md`` for the
joint mapping and conventions.

Cameras follow mmpose's ``cameras.pkl`` / ``SimpleCamera`` convention (see
:mod:`mmlpose.structures.camera`): ``R`` is the camera-to-world rotation (its
columns are the camera axes x right, y down, z forward in world coordinates)
and ``T`` (3, 1) the camera centre in world metres, so ``X_cam = R.T @
(X_world - T)`` and ``X_world = R @ X_cam + T``.
"""
import glob
import json
import os
import os.path as osp
import pickle
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from mmlpose.structures.camera import project_points, world_to_camera

from .motion_text import frame_texts, segment_texts
from .videopose3d import bbox_center_scale, h36m_imgname

#: Subject token of the image names (``DM/DM_Walk.cam00/DM_Walk.cam00_000001
#: .jpg``, mmpose's H36M layout) and of the camera keys (``('DM', 'cam00')``).
SUBJECT = 'DM'

#: pybullet's DeepMimic environments load ``humanoid.urdf`` with
#: ``globalScaling=0.25``; the motion clips' root positions are in metres.
URDF_SCALE = 0.25

#: Joints of a DeepMimic humanoid frame after ``[duration, root pos (3),
#: root quat (4)]``, with their number of values: 4 = local rotation
#: quaternion (w, x, y, z), 1 = revolute angle (rad) about the URDF axis.
MOTION_JOINTS = (('chest', 4), ('neck', 4), ('right_hip', 4),
                 ('right_knee', 1), ('right_ankle', 4), ('right_shoulder', 4),
                 ('right_elbow', 1), ('left_hip', 4), ('left_knee', 1),
                 ('left_ankle', 4), ('left_shoulder', 4), ('left_elbow', 1))
FRAME_SIZE = 8 + sum(dof for _, dof in MOTION_JOINTS)  # 44

#: H36M joint (in H36M order) -> (humanoid link, point of that link).
#: ``'origin'``: the link frame origin (its parent joint); ``'centre'`` /
#: ``'top'``: centre / top (centre + radius along the link's +y) of the link's
#: collision sphere.
H36M_FROM_HUMANOID: Dict[str, Tuple[str, str]] = {
    'root': ('root', 'origin'),
    'right_hip': ('right_hip', 'origin'),
    'right_knee': ('right_knee', 'origin'),
    'right_foot': ('right_ankle', 'origin'),
    'left_hip': ('left_hip', 'origin'),
    'left_knee': ('left_knee', 'origin'),
    'left_foot': ('left_ankle', 'origin'),
    'spine': ('chest', 'origin'),
    'thorax': ('neck', 'origin'),
    'neck_base': ('neck', 'centre'),
    'head': ('neck', 'top'),
    'left_shoulder': ('left_shoulder', 'origin'),
    'left_elbow': ('left_elbow', 'origin'),
    'left_wrist': ('left_wrist', 'origin'),
    'right_shoulder': ('right_shoulder', 'origin'),
    'right_elbow': ('right_elbow', 'origin'),
    'right_wrist': ('right_wrist', 'origin'),
}
H36M_JOINT_NAMES = tuple(H36M_FROM_HUMANOID)

#: Clip name -> (CamelCase action token of the image names, action text).
CLIP_ACTIONS: Dict[str, Tuple[str, str]] = {
    'walk': ('Walk', 'walk'),
    'run': ('Run', 'run'),
    'jump': ('Jump', 'jump'),
    'kick': ('Kick', 'kick'),
    'punch': ('Punch', 'punch'),
    'backflip': ('Backflip', 'backflip'),
    'cartwheel': ('Cartwheel', 'cartwheel'),
    'crawl': ('Crawl', 'crawl'),
    'roll': ('Roll', 'roll'),
    'spin': ('Spin', 'spin'),
    'spinkick': ('SpinKick', 'spin kick'),
    'dance_a': ('DanceA', 'dance a'),
    'dance_b': ('DanceB', 'dance b'),
    'getup_faceup': ('GetupFaceup', 'get up face up'),
    'getup_facedown': ('GetupFacedown', 'get up face down'),
    'walk_forward': ('WalkForward', 'walk forward'),
    'turn_left0': ('TurnLeft0', 'turn left'),
    'turn_left1': ('TurnLeft1', 'turn left'),
    'turn_right0': ('TurnRight0', 'turn right'),
    'turn_right1': ('TurnRight1', 'turn right'),
}

#: Held-out clips (whole clips, so no test motion is seen in training);
#: every other clip found is a training clip.
TEST_CLIPS = ('dance_b', 'getup_facedown', 'spinkick', 'turn_left1')

#: Rotation taking DeepMimic's y-up world (x forward, y up, z right) to a
#: z-up world (X forward, Y left, Z up): (x, y, z) -> (x, -z, y).
Y_UP_TO_Z_UP = np.array([[1., 0., 0.], [0., 0., -1.], [0., 1., 0.]])

#: Link name -> world (position (T, 3), rotation (T, 3, 3)).
LinkPoses = Dict[str, Tuple[np.ndarray, np.ndarray]]


@dataclass
class Motion:
    """A DeepMimic clip as joint parameters over time.

    Attributes:
        name (str): Clip name, e.g. ``'spinkick'``.
        times (np.ndarray): Frame times in seconds, shape (F,).
        root_pos (np.ndarray): Root (pelvis) position, y-up metres, (F, 3).
        rotations (dict): ``'root'`` and every :data:`MOTION_JOINTS` name ->
            unit quaternions (w, x, y, z) (F, 4) or revolute angles (F, 1).
    """
    name: str
    times: np.ndarray
    root_pos: np.ndarray
    rotations: Dict[str, np.ndarray]


class UrdfJoint(NamedTuple):
    """A URDF joint; ``offset`` (3,) in metres and ``origin_rot`` (3, 3) place
    the child frame in the parent frame, ``axis`` (3,) is the revolute axis.
    """
    name: str
    type: str
    parent: str
    child: str
    offset: np.ndarray
    origin_rot: np.ndarray
    axis: np.ndarray


@dataclass
class Humanoid:
    """Kinematic tree of the humanoid URDF, in metres.

    Attributes:
        joints (list[UrdfJoint]): Joints in topological order (parents
            first), without the joint fixing ``base`` to the world.
        spheres (dict): Link -> ``(centre (3,), radius)`` of its collision
            sphere in the link frame.
        base (str): The floating-base link placed by the clip's root pose.
    """
    joints: List[UrdfJoint]
    spheres: Dict[str, Tuple[np.ndarray, float]]
    base: str = 'root'


def default_data_path() -> str:
    """Folder of ``pybullet_data``; one-line ``ImportError`` without it."""
    try:
        import pybullet_data
    except ImportError:
        raise ImportError('pybullet is not installed; it ships the DeepMimic '
                          'clips (pip install pybullet==3.2.7)') from None
    return pybullet_data.getDataPath()


def default_motion_dir() -> str:
    """``pybullet_data/data/motions``."""
    return osp.join(default_data_path(), 'data', 'motions')


def default_urdf_path() -> str:
    """``pybullet_data/humanoid/humanoid.urdf``."""
    return osp.join(default_data_path(), 'humanoid', 'humanoid.urdf')


def clip_name(path: str) -> str:
    """``humanoid3d_spinkick.txt`` -> ``'spinkick'``,
    ``walker/0walk_forward.txt`` -> ``'walk_forward'``."""
    stem = osp.splitext(osp.basename(path))[0]
    return re.sub(r'^(humanoid3d_|\d+)', '', stem)


def clip_action(name: str) -> Tuple[str, str]:
    """Clip name -> (action token, action text); unknown names fall back to
    CamelCase words and spaced words without trailing digits."""
    if name in CLIP_ACTIONS:
        return CLIP_ACTIONS[name]
    words = name.split('_')
    text = re.sub(r'\d+$', '', ' '.join(words)).strip()
    return ''.join(w[:1].upper() + w[1:] for w in words), text


def find_clips(motion_dir: str) -> Dict[str, str]:
    """Humanoid clips in ``motion_dir``: ``humanoid3d_*.txt`` and
    ``walker/*.txt``, as clip name -> path, sorted by name."""
    if not osp.isdir(motion_dir):
        raise FileNotFoundError(
            f'DeepMimic motion folder not found: {motion_dir}')
    paths = glob.glob(osp.join(motion_dir, 'humanoid3d_*.txt')) + glob.glob(
        osp.join(motion_dir, 'walker', '*.txt'))
    if not paths:
        raise FileNotFoundError(
            f'no humanoid3d_*.txt or walker/*.txt clips in {motion_dir}')
    clips = {clip_name(p): p for p in paths}
    return dict(sorted(clips.items()))


def load_clip(path: str) -> Motion:
    """Read a DeepMimic humanoid clip (JSON with ``"Frames"``).

    A frame is ``[duration, root pos (3), root quat (w, x, y, z), joints...]``
    with the joints of :data:`MOTION_JOINTS`; ``duration`` is the time to the
    next frame.
    """
    with open(path) as f:
        frames = np.asarray(json.load(f)['Frames'], dtype=np.float64)
    if frames.ndim != 2 or frames.shape[1] != FRAME_SIZE or len(frames) < 2:
        raise ValueError(f'{path}: expected >= 2 frames of {FRAME_SIZE} '
                         f'values, got an array of shape {frames.shape}')
    times = np.concatenate([[0.], np.cumsum(frames[:-1, 0])])
    rotations = {'root': _normalize(frames[:, 4:8])}
    col = 8
    for name, dof in MOTION_JOINTS:
        values = frames[:, col:col + dof]
        rotations[name] = _normalize(values) if dof == 4 else values
        col += dof
    return Motion(clip_name(path), times, frames[:, 1:4], rotations)


def resample_motion(motion: Motion, fps: float = 30.) -> Motion:
    """Resample a clip to ``fps`` frames at ``t = k / fps``, ``k >= 0``.

    Interpolation is in joint space: linear for the root position and the
    revolute angles, slerp for the quaternions. Poses therefore stay rigid
    (bone lengths exact) after forward kinematics.
    """
    if fps <= 0:
        raise ValueError(f'fps must be positive, got {fps}')
    t_end = motion.times[-1]
    new_times = np.arange(int(np.floor(t_end * fps + 1e-6)) + 1) / fps
    idx = np.clip(
        np.searchsorted(motion.times, new_times, side='right') - 1, 0,
        len(motion.times) - 2)
    span = motion.times[idx + 1] - motion.times[idx]
    alpha = np.clip((new_times - motion.times[idx]) / np.maximum(span, 1e-9),
                    0., 1.)[:, None]

    def lerp(x: np.ndarray) -> np.ndarray:
        return (1 - alpha) * x[idx] + alpha * x[idx + 1]

    # Slerp evaluates inside the key times only
    t_eval = np.clip(new_times, motion.times[0], motion.times[-1])
    rotations = {
        k: Slerp(motion.times, _quat_rotation(v))(t_eval).as_quat(
            scalar_first=True) if v.shape[1] == 4 else lerp(v)
        for k, v in motion.rotations.items()
    }
    return replace(
        motion,
        times=new_times,
        root_pos=lerp(motion.root_pos),
        rotations=rotations)


def load_humanoid(urdf_path: str,
                  scale: float = URDF_SCALE,
                  base: str = 'root') -> Humanoid:
    """Kinematic tree and collision spheres of the DeepMimic humanoid URDF,
    with lengths multiplied by ``scale`` (to metres); ``base`` is the link
    that the clips' root pose places."""
    if not osp.isfile(urdf_path):
        raise FileNotFoundError(f'humanoid URDF not found: {urdf_path}')
    with open(urdf_path, 'rb') as f:  # pybullet's copy ends with a NUL
        robot = ET.fromstring(f.read().replace(b'\x00', b''))

    def vec(elem: Optional[ET.Element], key: str, default: str) -> np.ndarray:
        text = elem.get(key, default) if elem is not None else default
        return np.array([float(v) for v in text.split()])

    joints = []
    for j in robot.findall('joint'):
        origin = j.find('origin')
        joints.append(
            UrdfJoint(
                j.get('name'), j.get('type'),
                j.find('parent').get('link'),
                j.find('child').get('link'),
                scale * vec(origin, 'xyz', '0 0 0'),
                _rpy_matrix(vec(origin, 'rpy', '0 0 0')),
                vec(j.find('axis'), 'xyz', '1 0 0')))
    spheres = {}
    for link in robot.findall('link'):
        sphere = link.find('collision/geometry/sphere')
        if sphere is not None:
            centre = vec(link.find('collision/origin'), 'xyz', '0 0 0')
            spheres[link.get('name')] = (scale * centre,
                                         scale * float(sphere.get('radius')))
    # order joints so that every parent link is placed before its children
    placed, ordered = {base}, []
    pending = [j for j in joints if j.child != base]
    while pending:
        ready = [j.parent in placed for j in pending]
        if not any(ready):
            raise ValueError(f'{urdf_path}: links not connected to "{base}": '
                             f'{[j.child for j in pending]}')
        ordered += [j for j, r in zip(pending, ready) if r]
        placed |= {j.child for j, r in zip(pending, ready) if r}
        pending = [j for j, r in zip(pending, ready) if not r]
    return Humanoid(ordered, spheres, base)


def forward_kinematics(humanoid: Humanoid, motion: Motion) -> LinkPoses:
    """World poses of all links, y-up metres (the motion's world).

    A link frame is its parent frame moved by the joint ``offset`` and turned
    by ``origin_rot`` and then by the joint rotation (quaternion of a
    spherical joint, angle about ``axis`` of a revolute one).

    Returns:
        dict: link -> (position (T, 3), rotation (T, 3, 3)).
    """
    poses = {
        humanoid.base:
        (motion.root_pos, _quat_matrix(motion.rotations['root']))
    }
    for joint in humanoid.joints:
        pos, rot = poses[joint.parent]
        child_rot = rot @ joint.origin_rot
        if joint.type == 'spherical':
            child_rot = child_rot @ _quat_matrix(motion.rotations[joint.name])
        elif joint.type in ('revolute', 'continuous'):
            child_rot = child_rot @ _axis_angle_matrix(
                joint.axis, motion.rotations[joint.name][:, 0])
        elif joint.type != 'fixed':
            raise ValueError(f'unsupported URDF joint type "{joint.type}"')
        poses[joint.child] = (pos + rot @ joint.offset, child_rot)
    return poses


def humanoid_to_h36m(humanoid: Humanoid, poses: LinkPoses) -> np.ndarray:
    """The 17 H36M joints from link poses (see :data:`H36M_FROM_HUMANOID`).

    Returns:
        np.ndarray: Joints in the links' world frame, shape (T, 17, 3).
    """
    joints = []
    for link, point in H36M_FROM_HUMANOID.values():
        pos, rot = poses[link]
        if point == 'origin':
            local = np.zeros(3)
        else:
            centre, radius = humanoid.spheres[link]
            local = centre + (
                radius * np.array([0., 1., 0.]) if point == 'top' else 0.)
        joints.append(pos + rot @ local)
    return np.stack(joints, axis=1)


def y_up_to_z_up(points: np.ndarray) -> np.ndarray:
    """(..., 3) y-up points -> z-up points (see :data:`Y_UP_TO_Z_UP`)."""
    return points @ Y_UP_TO_Z_UP.T


def clip_to_h36m_world(path: str,
                       humanoid: Humanoid,
                       fps: float = 30.) -> np.ndarray:
    """Load, resample and pose one clip as H36M joints in the z-up world,
    re-centred so that the bounding box of the root's ground track is
    centred at the origin (the ground stays at z = 0).

    Returns:
        np.ndarray: World joints in metres, shape (T, 17, 3).
    """
    motion = resample_motion(load_clip(path), fps)
    joints = y_up_to_z_up(
        humanoid_to_h36m(humanoid, forward_kinematics(humanoid, motion)))
    track = joints[:, 0, :2]
    joints[..., :2] -= (track.min(0) + track.max(0)) / 2
    return joints


def make_ring_cameras(
    num_cameras: int = 8,
    radius: float = 4.5,
    heights: Sequence[float] = (1.2, 1.8),
    target: Sequence[float] = (0., 0., 0.9),
    focal: float = 1150.,
    image_size: Tuple[int, int] = (1000, 1000)
) -> List[dict]:
    """Pinhole cameras on a ring around the z-axis, looking at ``target``.

    Camera ``i`` sits at azimuth ``360 * i / num_cameras`` degrees (from +X
    towards +Y), ``radius`` metres from the z-axis, at height
    ``heights[i % len(heights)]``; no distortion, principal point at the
    image centre. Deterministic.

    Returns:
        list[dict]: mmpose ``cameras.pkl`` entries with ``R`` (3, 3)
        camera-to-world, ``T`` (3, 1) camera centre (m), ``c``, ``f`` (2, 1)
        (px), ``k`` (3, 1), ``p`` (2, 1), ``w``, ``h``, ``name``, ``id``.
    """
    if num_cameras < 1:
        raise ValueError(f'num_cameras must be >= 1, got {num_cameras}')
    w, h = image_size
    target = np.asarray(target, dtype=np.float64)
    cameras = []
    for i in range(num_cameras):
        azim = 2 * np.pi * i / num_cameras
        centre = np.array([
            radius * np.cos(azim), radius * np.sin(azim),
            heights[i % len(heights)]
        ])
        z = target - centre
        z /= np.linalg.norm(z)
        x = np.cross(z, [0., 0., 1.])
        x /= np.linalg.norm(x)
        y = np.cross(z, x)
        cameras.append(
            dict(
                R=np.stack([x, y, z], axis=1),
                T=centre[:, None],
                c=np.array([[w / 2.], [h / 2.]]),
                f=np.array([[focal], [focal]]),
                k=np.zeros((3, 1)),
                p=np.zeros((2, 1)),
                w=w,
                h=h,
                name=f'cam{i:02d}',
                id=f'cam{i:02d}'))
    return cameras


def split_clips(
        names: Sequence[str],
        test_clips: Sequence[str] = TEST_CLIPS) -> Dict[str, List[str]]:
    """``{'train': [...], 'test': [...]}`` by clip name."""
    return {
        'train': [n for n in names if n not in test_clips],
        'test': [n for n in names if n in test_clips]
    }


def build_split(clips: Dict[str, np.ndarray],
                cameras: List[dict],
                scale_factor: float = 1.2) -> Dict[str, np.ndarray]:
    """H36M npz arrays for world joints of several clips seen by all
    cameras; frames of one (clip, camera) are contiguous and in order.

    Args:
        clips (dict): Clip name -> world joints (T, 17, 3) in metres.
        cameras (list[dict]): Cameras from :func:`make_ring_cameras`.
        scale_factor (float): Box enlargement, ``scale = scale_factor *
            max side / 200`` as in mmpose's H36M preprocessing.

    Returns:
        dict: ``imgname`` (N,), ``S`` (N, 17, 4) camera-frame metres and
        visibility, ``part`` (N, 17, 3) pixels and visibility, ``center``
        (N, 2), ``scale`` (N,), ``action`` (N,) action text.
    """
    out = {k: [] for k in ('imgname', 'S', 'part', 'action')}
    for name, joints in clips.items():
        token, text = clip_action(name)
        for cam in cameras:
            kpts_cam = world_to_camera(joints, cam['R'], cam['T'])
            if kpts_cam[..., 2].min() <= 0:
                raise ValueError(f'clip "{name}" goes behind camera '
                                 f'{cam["id"]}; move the cameras further out')
            ones = np.ones(joints.shape[:2] + (1, ))
            pixels = project_points(kpts_cam, cam['f'], cam['c'])
            out['S'].append(np.concatenate([kpts_cam, ones], axis=-1))
            out['part'].append(np.concatenate([pixels, ones], axis=-1))
            out['imgname'] += [
                h36m_imgname(SUBJECT, token, cam['id'], i)
                for i in range(len(joints))
            ]
            out['action'] += [text] * len(joints)
    arrays = {
        'imgname': np.array(out['imgname']),
        'S': np.concatenate(out['S']).astype(np.float32),
        'part': np.concatenate(out['part']).astype(np.float32),
        'action': np.array(out['action']),
    }
    center, scale = bbox_center_scale(arrays['part'][..., :2], scale_factor)
    arrays.update(
        center=center.astype(np.float32), scale=scale.astype(np.float32))
    return arrays


def action_classes(names: Sequence[str]) -> List[str]:
    """Sorted unique action texts of the clips ``names`` (the classes of
    the ``action_label`` of :func:`build_split_texts`)."""
    return sorted({clip_action(n)[1] for n in names})


def build_split_texts(clips: Dict[str, np.ndarray],
                      num_cameras: int,
                      classes: Sequence[str],
                      fps: float = 30.,
                      seed: int = 0) -> dict:
    """Per-frame fine-grained texts and action labels of a split, row for
    row with the npz of :func:`build_split` (clips in order, each seen by
    ``num_cameras`` cameras in turn, frames in order).

    Each clip's texts come from
    :func:`~mmlpose.datasets.converters.motion_text.segment_texts` on its
    z-up world joints (2 s segments, ``seed``), so every camera of a frame
    gets the same text.

    Args:
        clips (dict): Clip name -> world joints (T, 17, 3), z-up metres.
        num_cameras (int): Cameras per clip in the npz.
        classes (Sequence[str]): Action texts; a clip's label is the index
            of its action text here.
        fps (float): Frame rate of the joints.
        seed (int): Seed of the texts' wording.

    Returns:
        dict: ``action_classes`` (list[str]), ``texts`` (sorted unique
        texts), ``text_index`` (one int per npz row, into ``texts``) and
        ``action_label`` (one int per npz row, into ``action_classes``).
    """
    classes = list(classes)
    per_clip = []
    for name, joints in clips.items():
        action = clip_action(name)[1]
        if action not in classes:
            raise ValueError(f'action "{action}" of clip "{name}" is not '
                             f'among the classes {classes}')
        texts = frame_texts(
            segment_texts(joints, action, fps, seed=seed), len(joints))
        per_clip.append((texts, classes.index(action)))
    unique = sorted({str(t) for texts, _ in per_clip for t in texts})
    lookup = {t: i for i, t in enumerate(unique)}
    text_index, action_label = [], []
    for texts, label in per_clip:
        rows = [lookup[str(t)] for t in texts]
        text_index += rows * num_cameras
        action_label += [label] * (len(rows) * num_cameras)
    return dict(
        action_classes=classes,
        texts=unique,
        text_index=text_index,
        action_label=action_label)


def convert_deepmimic(
        out_dir: str = 'data/deepmimic',
        motion_dir: Optional[str] = None,
        urdf_path: Optional[str] = None,
        fps: float = 30.,
        num_cameras: int = 8,
        test_clips: Sequence[str] = TEST_CLIPS) -> Dict[str, Dict[str, int]]:
    """Write ``annotation_body3d/deepmimic_{train,test}.npz``, their
    fine-grained texts ``deepmimic_{train,test}_texts.json`` (see
    :func:`build_split_texts`) and ``annotation_body3d/cameras.pkl`` under
    ``out_dir``.

    Returns:
        dict: Split -> clip name -> number of frames per camera.
    """
    motion_dir = motion_dir or default_motion_dir()
    clip_paths = find_clips(motion_dir)
    humanoid = load_humanoid(urdf_path or default_urdf_path())
    cameras = make_ring_cameras(num_cameras)
    ann_dir = osp.join(out_dir, 'annotation_body3d')
    os.makedirs(ann_dir, exist_ok=True)
    counts, split_clips_world = {}, {}
    for split, names in split_clips(list(clip_paths), test_clips).items():
        if not names:
            raise ValueError(f'no {split} clips among {list(clip_paths)} '
                             f'(test clips: {list(test_clips)})')
        clips = {
            n: clip_to_h36m_world(clip_paths[n], humanoid, fps)
            for n in names
        }
        np.savez(
            osp.join(ann_dir, f'deepmimic_{split}.npz'),
            **build_split(clips, cameras))
        split_clips_world[split] = clips
        counts[split] = {n: len(j) for n, j in clips.items()}
    classes = action_classes(
        list(split_clips_world['train']) + list(split_clips_world['test']))
    for split, clips in split_clips_world.items():
        with open(osp.join(ann_dir, f'deepmimic_{split}_texts.json'),
                  'w') as f:
            json.dump(
                build_split_texts(clips, num_cameras, classes, fps), f,
                indent=1)
    with open(osp.join(ann_dir, 'cameras.pkl'), 'wb') as f:
        pickle.dump({(SUBJECT, cam['id']): cam for cam in cameras}, f)
    return counts


def _normalize(q: np.ndarray) -> np.ndarray:
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def _quat_rotation(q: np.ndarray) -> Rotation:
    """(T, 4) quaternions (w, x, y, z) -> scipy rotations."""
    return Rotation.from_quat(q, scalar_first=True)


def _quat_matrix(q: np.ndarray) -> np.ndarray:
    """(T, 4) unit quaternions (w, x, y, z) -> (T, 3, 3) rotations."""
    return _quat_rotation(q).as_matrix()


def _axis_angle_matrix(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotations (T, 3, 3) by ``angle`` (T,) about the unit ``axis`` (3,)."""
    axis = axis / np.linalg.norm(axis)
    return Rotation.from_rotvec(angle[:, None] * axis).as_matrix()


def _rpy_matrix(rpy: np.ndarray) -> np.ndarray:
    """URDF roll-pitch-yaw (fixed x, y, z axes) -> (3, 3) rotation."""
    return Rotation.from_euler('xyz', rpy).as_matrix()
