# Copyright (c) mmlpose contributors. All rights reserved.
"""Panoptic-L3D (language-driven 3D human pose estimation), read from the
released layout: one sample per (sentence, annotated frame)."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from PIL import Image

from mmlpose.registry import DATASETS
from mmlpose.structures.panoptic import (
    CATEGORY_NAMES, MIN_MASK_PIXELS, NUM_PANOPTIC_JOINTS, PANOPTIC_ROOT,
    PANOPTIC15_JOINT_NAMES, PANOPTIC15_SKELETON, LOADER_AXES,
    camera_from_calibration, category_name, frame_stem, hd_camera_name,
    load_calibration, project_to_image, window_frames, world_to_camera_mm)

#: Keys every sentence record must hold.
RECORD_KEYS = ('video_id', 'camera_id', 'begin_frame', 'end_frame', 'body_id',
               'category', 'label')
#: Joint confidence above which a Panoptic joint counts as visible.
CONF_THRESHOLD = 0.1


def read_palette_mask(path: str) -> np.ndarray:
    """``(H, W)`` palette indices of a mask PNG (mode ``P`` or ``L``; index
    = body id + 1, 0 = background). RGB decoders (``cv2.imread``) would
    return the palette colours instead, hence PIL."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Panoptic-L3D mask not found: {path}')
    with Image.open(path) as img:
        if img.mode not in ('P', 'L'):
            raise ValueError(f'{path}: a Panoptic-L3D mask must be a palette '
                             f'(mode P) PNG, got mode {img.mode}')
        return np.asarray(img)


@DATASETS.register_module()
class PanopticL3DDataset(BaseDataset):
    """Panoptic-L3D ("Language-Driven 3D Human Pose Estimation") in its
    released layout, sampled as the released loader.

    Layout under ``data_root`` (the ``Panoptic-L3D`` folder):
    ``sentences_{train,val,test}.json``, ``storage_mask/<video>/00_CC/
    00_CC_FFFFFFFF.png`` (palette index = body id + 1),
    ``panoptic/<video>/hdImgs/00_CC/00_CC_FFFFFFFF.jpg``,
    ``panoptic/<video>/hdPose3d_stage1_coco19/body3DScene_FFFFFFFF.json``
    and ``panoptic/<video>/calibration_<video>.json``.

    For every sentence, the annotated frames are ``f`` in ``[begin, end)``
    with ``f % frame_step == 0`` whose coco19 file exists and has bodies.
    The people of a sample are the bodies whose root (BodyCenter)
    confidence is above 0.1, in file order; the sample is kept when the
    referred body is one of them and its mask has at least
    ``min_mask_pixels`` pixels (and there are at most ``max_people``).

    A data info holds (P people, W = ``window`` frames, 15 joints):
    ``img_path``, ``img_paths`` (W), ``frame_ids`` (W,) int64,
    ``current_idx``, ``mask_path``, ``video_id``, ``camera_id``,
    ``frame_id``, ``begin_frame``, ``end_frame``, ``ori_shape`` /
    ``img_shape`` ``(h, w)``, ``text``, ``category``, ``category_name``,
    ``referred_index`` (among the P people), ``referred_body_id``,
    ``body_ids`` (P,), ``keypoints_3d`` (P, 15, 3) float32 mm in loader axes
    (z up), ``keypoints_3d_visible`` (P, 15) bool (confidence > 0.1),
    ``keypoints_3d_cam`` (P, 15, 3) mm camera frame, ``keypoints_2d``
    (P, 15, 2) original pixels with distortion, ``keypoints_2d_visible``
    (3D visible and inside the image), ``window_keypoints_3d`` (P, W, 15, 3),
    ``window_keypoints_2d`` (P, W, 15, 2) (NaN where the body, matched by
    id, is absent from that frame), ``window_visible`` (P, W, 15) and
    ``camera`` (:func:`~mmlpose.structures.panoptic.camera_from_calibration`).

    Args:
        ann_file (str): Sentence file, relative to ``data_root``.
            Default: ``'sentences_train.json'``.
        data_root (str): The ``Panoptic-L3D`` folder.
        window (int): Frames per window. Default 6.
        window_ratio (float): Central share of ``[begin, end]`` the window
            spans. Default 0.9.
        frame_step (int): Annotated frames are multiples of it. Default 15.
        min_mask_pixels (int): Smallest referred mask kept. Default 2500.
        with_window_poses (bool): Read the other window frames' poses; with
            False the window arrays hold the current frame only (NaN
            elsewhere). Default True.
        max_people (int): Samples with more people are dropped (with a
            warning). Default 10.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments
            (``pipeline``, ``test_mode``, ``indices``, ``lazy_init``, ...).
    """

    METAINFO = dict(
        dataset_name='panoptic_l3d',
        num_keypoints=NUM_PANOPTIC_JOINTS,
        keypoint_names=list(PANOPTIC15_JOINT_NAMES),
        categories=list(CATEGORY_NAMES),
        skeleton=[list(b) for b in PANOPTIC15_SKELETON],
        root_index=PANOPTIC_ROOT)

    def __init__(self,
                 ann_file: str = 'sentences_train.json',
                 data_root: str = 'data/Panoptic-L3D/',
                 window: int = 6,
                 window_ratio: float = 0.9,
                 frame_step: int = 15,
                 min_mask_pixels: int = MIN_MASK_PIXELS,
                 with_window_poses: bool = True,
                 max_people: int = 10,
                 **kwargs):
        if window < 1:
            raise ValueError(f'window must be >= 1, got {window}')
        if not 0 < window_ratio <= 1:
            raise ValueError(f'window_ratio must be in (0, 1], got '
                             f'{window_ratio}')
        if frame_step < 1:
            raise ValueError(f'frame_step must be >= 1, got {frame_step}')
        if max_people < 1:
            raise ValueError(f'max_people must be >= 1, got {max_people}')
        self.window = int(window)
        self.window_ratio = float(window_ratio)
        self.frame_step = int(frame_step)
        self.min_mask_pixels = int(min_mask_pixels)
        self.with_window_poses = with_window_poses
        self.max_people = int(max_people)
        super().__init__(ann_file=ann_file, data_root=data_root, **kwargs)

    # -- paths -----------------------------------------------------------
    def _video_dir(self, video_id: str) -> str:
        return osp.join(self.data_root, 'panoptic', video_id)

    def image_path(self, video_id: str, camera_id: int, frame: int) -> str:
        """``panoptic/<video>/hdImgs/00_CC/00_CC_FFFFFFFF.jpg``."""
        return osp.join(
            self._video_dir(video_id), 'hdImgs', hd_camera_name(camera_id),
            frame_stem(camera_id, frame) + '.jpg')

    def mask_path(self, video_id: str, camera_id: int, frame: int) -> str:
        """``storage_mask/<video>/00_CC/00_CC_FFFFFFFF.png``."""
        return osp.join(self.data_root, 'storage_mask', video_id,
                        hd_camera_name(camera_id),
                        frame_stem(camera_id, frame) + '.png')

    def pose_path(self, video_id: str, frame: int) -> str:
        """``panoptic/<video>/hdPose3d_stage1_coco19/body3DScene_F.json``."""
        return osp.join(
            self._video_dir(video_id), 'hdPose3d_stage1_coco19',
            f'body3DScene_{int(frame):08d}.json')

    # -- cached readers --------------------------------------------------
    def _camera(self, video_id: str, camera_id: int) -> dict:
        key = (video_id, int(camera_id))
        if key not in self._cameras:
            if video_id not in self._calibrations:
                self._calibrations[video_id] = load_calibration(
                    osp.join(
                        self._video_dir(video_id),
                        f'calibration_{video_id}.json'))
            found = [
                c for c in self._calibrations[video_id]
                if int(c.get('panel', -1)) == 0
                and int(c.get('node', -1)) == int(camera_id)
            ]
            if not found:
                raise ValueError(f'calibration of {video_id} has no HD '
                                 f'camera {hd_camera_name(camera_id)}')
            self._cameras[key] = camera_from_calibration(found[0])
        return self._cameras[key]

    def _bodies(self, video_id: str,
                frame: int) -> Optional[Tuple[np.ndarray, np.ndarray]]:
        """Body ids (B,) and coco19 joints (B, 19, 4) (cm, Panoptic world)
        of a frame, or None when its file is missing, unreadable or has no
        bodies."""
        key = (video_id, int(frame))
        if key in self._poses:
            return self._poses[key]
        path = self.pose_path(video_id, frame)
        out = None
        if osp.isfile(path):
            try:
                with open(path) as f:
                    bodies = json.load(f)['bodies']
                if len(bodies):
                    ids = np.array([int(b['id']) for b in bodies], np.int64)
                    joints = np.array([b['joints19'] for b in bodies],
                                      np.float64).reshape(len(bodies), -1, 4)
                    if joints.shape[1] < NUM_PANOPTIC_JOINTS:
                        raise ValueError('fewer than 15 joints')
                    out = (ids, joints)
            except (ValueError, KeyError, TypeError) as e:
                self._bad_files.append(f'{path} ({e})')
        self._poses[key] = out
        return out

    # -- geometry --------------------------------------------------------
    @staticmethod
    def _to_loader_mm(joints19: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """(B, 19, 4) coco19 -> (B, 15, 3) mm loader axes, (B, 15) vis."""
        j = joints19[:, :NUM_PANOPTIC_JOINTS]
        return (j[..., :3] @ LOADER_AXES) * 10., j[..., 3] > CONF_THRESHOLD

    @staticmethod
    def _project(points: np.ndarray, visible: np.ndarray, camera: dict,
                 shape: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
        """Pixels and 2D visibility (3D visible and inside ``(h, w)``)."""
        h, w = shape
        uv = project_to_image(points, camera)
        with np.errstate(invalid='ignore'):
            inside = ((uv[..., 0] >= 0) & (uv[..., 0] <= w - 1) &
                      (uv[..., 1] >= 0) & (uv[..., 1] <= h - 1))
        return uv.astype(np.float32), visible & inside

    # -- building --------------------------------------------------------
    def _read_records(self) -> List[dict]:
        path = self.ann_file
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'Panoptic-L3D sentences file not found: {path}')
        try:
            with open(path) as f:
                records = json.load(f)
        except ValueError as e:
            raise ValueError(f'{path} is not valid JSON: {e}') from e
        if not isinstance(records, list):
            raise ValueError(f'{path} must hold a JSON list of sentence '
                             f'records, got {type(records).__name__}')
        for i, rec in enumerate(records):
            if not isinstance(rec, dict):
                raise ValueError(f'{path}: record {i} is not an object')
            for key in RECORD_KEYS:
                if key not in rec:
                    raise ValueError(f'{path}: record {i} has no "{key}"')
            if not isinstance(rec['category'], (list, tuple)) or \
                    not rec['category']:
                raise ValueError(f'{path}: record {i} has an empty or '
                                 'non-list "category"')
        return records

    def load_data_list(self) -> List[dict]:
        self._calibrations: Dict[str, list] = {}
        self._cameras: Dict[tuple, dict] = {}
        self._poses: Dict[tuple, Optional[tuple]] = {}
        self._bad_files: List[str] = []
        too_crowded = 0
        data_list = []
        try:
            for rec in self._read_records():
                for frame in range(
                        int(rec['begin_frame']), int(rec['end_frame'])):
                    if frame % self.frame_step:
                        continue
                    info = self._sample(rec, frame)
                    if info == 'crowded':
                        too_crowded += 1
                    elif info is not None:
                        data_list.append(info)
        finally:
            bad, self._bad_files = self._bad_files, []
            self._poses, self._calibrations = {}, {}
        if bad:
            print_log(
                f'PanopticL3DDataset: skipped {len(bad)} unreadable '
                f'coco19 files, e.g. {bad[0]}',
                logger='current',
                level=30)
        if too_crowded:
            print_log(
                f'PanopticL3DDataset: dropped {too_crowded} samples '
                f'with more than {self.max_people} people',
                logger='current',
                level=30)
        if not data_list:
            print_log(
                f'PanopticL3DDataset: no sample kept from '
                f'{self.ann_file}',
                logger='current',
                level=30)
        return data_list

    def _serialize_data(self) -> Tuple[np.ndarray, np.ndarray]:
        # mmengine cannot serialise an empty list
        if not self.data_list:
            return np.zeros(0, np.uint8), np.zeros(0, np.int64)
        return super()._serialize_data()

    def _sample(self, rec: dict, frame: int):
        """The data info of one (sentence, frame), None when not kept."""
        video_id, cam_id = str(rec['video_id']), int(rec['camera_id'])
        body_id = int(rec['body_id'])
        bodies = self._bodies(video_id, frame)
        if bodies is None:
            return None
        ids, joints19 = bodies
        keep = joints19[:, PANOPTIC_ROOT, 3] > CONF_THRESHOLD
        ids, joints19 = ids[keep], joints19[keep]
        hits = np.flatnonzero(ids == body_id)
        if hits.size == 0:
            return None
        camera = self._camera(video_id, cam_id)
        mask_path = self.mask_path(video_id, cam_id, frame)
        if int((read_palette_mask(mask_path) == body_id + 1).sum()) < \
                self.min_mask_pixels:
            return None
        if len(ids) > self.max_people:
            return 'crowded'
        w, h = camera['resolution']
        shape = (int(h), int(w))
        kp3d, vis3d = self._to_loader_mm(joints19)
        kp2d, vis2d = self._project(kp3d, vis3d, camera, shape)
        frames, cur = window_frames(frame, int(rec['begin_frame']),
                                    int(rec['end_frame']), self.window,
                                    self.window_ratio)
        win3d, win2d, win_vis = self._window_poses(video_id, ids, frames, cur,
                                                   kp3d, kp2d, vis2d, camera,
                                                   shape)
        img_paths = [self.image_path(video_id, cam_id, f) for f in frames]
        category = [int(c) for c in rec['category']]
        return dict(
            img_path=img_paths[cur],
            img_paths=img_paths,
            frame_ids=frames,
            current_idx=cur,
            mask_path=mask_path,
            video_id=video_id,
            camera_id=cam_id,
            frame_id=int(frame),
            begin_frame=int(rec['begin_frame']),
            end_frame=int(rec['end_frame']),
            ori_shape=shape,
            img_shape=shape,
            text=str(rec['label']),
            category=category,
            category_name=category_name(category),
            referred_index=int(hits[0]),
            referred_body_id=body_id,
            body_ids=ids.astype(np.int64),
            keypoints_3d=kp3d.astype(np.float32),
            keypoints_3d_visible=vis3d,
            keypoints_3d_cam=world_to_camera_mm(kp3d,
                                                camera).astype(np.float32),
            keypoints_2d=kp2d,
            keypoints_2d_visible=vis2d,
            window_keypoints_3d=win3d,
            window_keypoints_2d=win2d,
            window_visible=win_vis,
            camera=camera)

    def _window_poses(self, video_id: str, ids: np.ndarray,
                      frames: Sequence[int], cur: int, kp3d: np.ndarray,
                      kp2d: np.ndarray, vis2d: np.ndarray, camera: dict,
                      shape: Tuple[int, int]):
        """(P, W, 15, 3), (P, W, 15, 2) float32 and (P, W, 15) bool of the
        sample's people over the window, matched by body id."""
        P, W, J = len(ids), len(frames), NUM_PANOPTIC_JOINTS
        win3d = np.full((P, W, J, 3), np.nan, np.float32)
        win2d = np.full((P, W, J, 2), np.nan, np.float32)
        win_vis = np.zeros((P, W, J), bool)
        for t, f in enumerate(frames):
            if t == cur:
                win3d[:, t], win2d[:, t], win_vis[:, t] = kp3d, kp2d, vis2d
                continue
            if not self.with_window_poses:
                continue
            bodies = self._bodies(video_id, int(f))
            if bodies is None:
                continue
            f_ids, f_joints = bodies
            for p, b in enumerate(ids):
                hit = np.flatnonzero(f_ids == b)
                if hit.size == 0:
                    continue
                p3d, v3d = self._to_loader_mm(f_joints[hit[:1]])
                p2d, v2d = self._project(p3d, v3d, camera, shape)
                win3d[p, t], win2d[p, t], win_vis[p, t] = p3d[0], p2d[0], \
                    v2d[0]
        return win3d, win2d, win_vis
