# Copyright (c) mmlpose contributors. All rights reserved.
"""Human3.6M (mmpose npz layout) with the action name as text metadata."""
import os.path as osp
import re
from typing import Optional, Tuple

import mmpose
from mmpose.datasets.datasets.body3d import Human36mDataset

from mmlpose.registry import DATASETS


def action_to_text(action: str) -> str:
    """Turn an H36M-style action name into plain lower-case text.

    ``'WalkDog_1'`` -> ``'walk dog'``, ``'SittingDown'`` ->
    ``'sitting down'``, ``'Directions 1'`` -> ``'directions'``,
    ``'get_up face_up'`` -> ``'get up face up'``.
    """
    base = re.sub(r'[_ ]?\d+$', '', action.strip())
    words = re.sub(r'(?<=[a-z])(?=[A-Z])', ' ', base).replace('_', ' ')
    return ' '.join(words.lower().split())


# Human3.6M spells two of its 15 classes differently across subjects.
H36M_ACTION_ALIASES = {'TakingPhoto': 'Photo', 'WalkingDog': 'WalkDog'}


def action_category(action: str) -> str:
    """Action class from a sequence's action name: ``'WalkDog_1'`` ->
    ``'WalkDog'``, ``'Directions 1'`` -> ``'Directions'``; the H36M
    variants ``'TakingPhoto'`` and ``'WalkingDog'`` map to ``'Photo'`` and
    ``'WalkDog'``."""
    category = re.sub(r'[_ ]?\d+$', '', action.strip())
    return H36M_ACTION_ALIASES.get(category, category)


def resolve_path(path: str, data_root: Optional[str]) -> str:
    """Join ``path`` to ``data_root`` unless it is absolute."""
    if osp.isabs(path) or not data_root:
        return path
    return osp.join(data_root, path)


def check_exists(path: str, what: str, data_root: Optional[str]) -> None:
    """Raise a one-line ``FileNotFoundError`` naming the missing file."""
    if data_root and not osp.isdir(data_root):
        raise FileNotFoundError(f'data root not found: {data_root} '
                                f'(needed for the {what})')
    if not osp.exists(path):
        raise FileNotFoundError(f'{what} not found: {path}')


def lookup_camera(camera_param: dict, key, imgname: str,
                  camera_file: Optional[str]) -> dict:
    """``camera_param[key]``, or a one-line ``KeyError`` naming the key, the
    image name it came from and the camera file."""
    try:
        return camera_param[key]
    except KeyError:
        raise KeyError(f'camera key {key!r} (from image name "{imgname}") '
                       f'not found in {camera_file}') from None


def check_keypoint_shapes(ann_data, num_keypoints: int, ann_file: str) -> None:
    """Raise a one-line ``ValueError`` naming the field when ``S`` or
    ``part`` of an annotation npz is not (N, K, 4) / (N, K, 3)."""
    for key, dims in (('S', 4), ('part', 3)):
        if key not in ann_data.files:
            continue
        shape = ann_data[key].shape
        if len(shape) != 3 or shape[1:] != (num_keypoints, dims):
            raise ValueError(
                f'{ann_file}: field "{key}" has shape {shape}, expected '
                f'(N, {num_keypoints}, {dims})')


def mmpose_dataset_cfg(name: str) -> str:
    """Path of mmpose's ``configs/_base_/datasets/{name}.py`` metainfo file,
    from the installed package when it ships one (``.mim``)."""
    path = osp.join(
        osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_', 'datasets',
        f'{name}.py')
    return path if osp.isfile(path) else f'configs/_base_/datasets/{name}.py'


@DATASETS.register_module()
class Human36mTextDataset(Human36mDataset):
    """mmpose's :class:`Human36mDataset` whose samples carry their action.

    Every sample gets ``action`` (the class, e.g. ``'WalkDog'``) and
    ``action_text`` (plain text for text encoders, e.g. ``'walk dog'``). The
    action comes from an ``action`` array in the annotation npz when present
    (one string per frame, as written by the DeepMimic converter), otherwise
    from the H36M image name ``S{subject}_{Action}.{camera}_{frame}.jpg``.
    Add ``'action'`` and ``'action_text'`` to ``PackPoseInputs.meta_keys`` to
    pass them to the model.

    Bad input raises one-line errors: a missing data root, annotation,
    camera or 2D detection file (``FileNotFoundError``), an unknown
    ``keypoint_2d_src`` or ``'detection'`` without a detection file
    (``ValueError``), a camera key absent from the camera file
    (``KeyError``), arrays with a keypoint count other than the metainfo's
    or detections with another frame count than the annotations
    (``ValueError``).

    Subclasses for other data sets in this layout override
    :meth:`_parse_h36m_imgname` (how frames group into videos),
    :meth:`camera_key`, :meth:`_frame_action` and :meth:`action_text`
    (:class:`MPIINF3DHPDataset`, :class:`EgoHumansLiftingDataset`).

    Args:
        See :class:`mmpose.datasets.Human36mDataset`.
    """

    METAINFO: dict = dict(from_file=mmpose_dataset_cfg('h36m'))

    def __init__(self, ann_file: str = '', **kwargs):
        data_root = kwargs.get('data_root')
        check_exists(
            resolve_path(ann_file, data_root), 'annotation file', data_root)
        cam_file = kwargs.get('camera_param_file')
        if cam_file:
            check_exists(
                resolve_path(cam_file, data_root), 'camera parameter file',
                data_root)
        src = kwargs.get('keypoint_2d_src', 'gt')
        if src not in self.SUPPORTED_keypoint_2d_src:
            raise ValueError(
                f'unsupported keypoint_2d_src "{src}", expected one of '
                f'{sorted(self.SUPPORTED_keypoint_2d_src)}')
        if src == 'detection':
            det_file = kwargs.get('keypoint_2d_det_file')
            if not det_file:
                raise ValueError('keypoint_2d_src="detection" needs '
                                 'keypoint_2d_det_file')
            check_exists(
                resolve_path(det_file, data_root), '2D detection file',
                data_root)
        self._ann_file_path = resolve_path(ann_file, data_root)
        super().__init__(ann_file=ann_file, **kwargs)

    def _frame_action(self, frame_idx: int, imgname: str) -> str:
        if 'action' in self.ann_data.files:
            return str(self.ann_data['action'][frame_idx])
        return self._parse_h36m_imgname(imgname)[1]

    def camera_key(self, imgname: str) -> Tuple[str, str]:
        """Key of a frame's camera in the camera file:
        ``(subject, camera)``."""
        subj, _, camera = self._parse_h36m_imgname(imgname)
        return subj, camera

    def get_camera_param(self, imgname) -> dict:
        return lookup_camera(self.camera_param, self.camera_key(imgname),
                             imgname, self.camera_param_file)

    def action_text(self, action: str) -> str:
        """Text of a sequence's action name (see :func:`action_to_text`)."""
        return action_to_text(action)

    def _load_annotations(self) -> Tuple[list, list]:
        # checked here, as the metainfo is not parsed yet in _load_ann_file
        check_keypoint_shapes(self.ann_data, self.metainfo['num_keypoints'],
                              self._ann_file_path)
        instance_list, image_list = super()._load_annotations()
        imgnames = self.ann_data['imgname']
        for instance in instance_list:
            frame_idx = instance['img_ids'][0]
            action = self._frame_action(frame_idx, imgnames[frame_idx])
            instance['action'] = action_category(action)
            instance['action_text'] = self.action_text(action)
        return instance_list, image_list

    def _load_keypoint_2d_detection(self, det_file):
        kpts_2d = super()._load_keypoint_2d_detection(det_file)
        expected = (len(self.ann_data['imgname']),
                    self.metainfo['num_keypoints'], 3)
        if kpts_2d.shape != expected:
            raise ValueError(
                f'{det_file}: 2D detections have shape {kpts_2d.shape}, '
                f'expected {expected}')
        return kpts_2d
