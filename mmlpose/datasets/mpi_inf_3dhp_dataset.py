# Copyright (c) mmlpose contributors. All rights reserved.
"""MPI-INF-3DHP in mmpose's npz layout, with (empty) action text."""
import os.path as osp
from collections import defaultdict
from typing import List, Optional, Tuple

import numpy as np
from mmpose.datasets.datasets import BaseMocapDataset

from mmlpose.registry import DATASETS
from .h36m_text_dataset import (check_exists, check_keypoint_shapes,
                                lookup_camera, mmpose_dataset_cfg,
                                resolve_path)


@DATASETS.register_module()
class MPIINF3DHPDataset(BaseMocapDataset):
    """MPI-INF-3DHP for 2D-to-3D lifting, in mmpose's npz layout.

    "Monocular 3D Human Pose Estimation In The Wild Using Improved CNN
    Supervision", 3DV'2017.

    The npz holds ``imgname`` (N, ), ``S`` (N, 17, 4) camera-frame metres +
    visibility, ``part`` (N, 17, 3) pixels + visibility, ``center`` (N, 2)
    and ``scale`` (N, ). Frames are grouped into videos by the image name:
    ``S4_Seq2_Cam0_001033.jpg`` (train) -> ``'S4_Seq2_Cam0'``,
    ``TS1_002001.jpg`` (test) -> ``'TS1'``; the same key indexes the camera
    file (``cameras_{train,test}.pkl``). Joint order is mmpose's
    ``mpi_inf_3dhp`` metainfo (17 joints, root = pelvis, index 14).

    FinePOSE uses no action text on 3DHP, so every sample carries
    ``action=''`` and ``action_text`` (default ``'a person'``), keeping the
    interface of :class:`Human36mTextDataset`. Bad input raises the same
    one-line errors: missing data root / files (``FileNotFoundError``), a
    camera key absent from the camera file (``KeyError``), a keypoint count
    other than 17 (``ValueError``).

    Args:
        ann_file (str): Annotation npz. Default: ''.
        seq_len (int): Frames per sample. Default: 1.
        seq_step (int): Frame interval inside a sample. Default: 1.
        multiple_target (int): If > 0, samples are windows of this many
            frames, all of them targets (needs ``seq_len=1``). Default: 0.
        multiple_target_step (int): Stride of those windows; 0 means
            ``multiple_target``. Default: 0.
        pad_video_seq (bool): One sample per frame, padding the video ends
            by repeating the first / last frame. Default: False.
        causal (bool): The target is the last frame if True, else the
            middle one. Default: True.
        subset_frac (float): Fraction of samples kept. Default: 1.
        keypoint_2d_src (str): ``'gt'``, ``'detection'`` or ``'pipeline'``.
            Default: ``'gt'``.
        keypoint_2d_det_file (str, optional): (N, 17, 3) npy of detections,
            used with ``keypoint_2d_src='detection'``. Default: None.
        camera_param_file (str, optional): Camera pkl keyed by sequence.
        action_text (str): Text given to every sample. Default: 'a person'.
        **kwargs: Other arguments of :class:`BaseMocapDataset`.
    """

    METAINFO: dict = dict(from_file=mmpose_dataset_cfg('mpi_inf_3dhp'))
    SUPPORTED_keypoint_2d_src = {'gt', 'detection', 'pipeline'}

    def __init__(self,
                 ann_file: str = '',
                 seq_len: int = 1,
                 seq_step: int = 1,
                 multiple_target: int = 0,
                 multiple_target_step: int = 0,
                 pad_video_seq: bool = False,
                 causal: bool = True,
                 subset_frac: float = 1.0,
                 keypoint_2d_src: str = 'gt',
                 keypoint_2d_det_file: Optional[str] = None,
                 camera_param_file: Optional[str] = None,
                 action_text: str = 'a person',
                 **kwargs):
        if keypoint_2d_src not in self.SUPPORTED_keypoint_2d_src:
            raise ValueError(
                f'unsupported keypoint_2d_src "{keypoint_2d_src}", expected '
                f'one of {sorted(self.SUPPORTED_keypoint_2d_src)}')
        data_root = kwargs.get('data_root')
        self._ann_file_path = resolve_path(ann_file, data_root)
        check_exists(self._ann_file_path, 'annotation file', data_root)
        if camera_param_file:
            check_exists(
                resolve_path(camera_param_file, data_root),
                'camera parameter file', data_root)
        self.keypoint_2d_src = keypoint_2d_src
        self.keypoint_2d_det_file = None
        if keypoint_2d_src == 'detection':
            if not keypoint_2d_det_file:
                raise ValueError('keypoint_2d_src="detection" needs '
                                 'keypoint_2d_det_file')
            self.keypoint_2d_det_file = resolve_path(keypoint_2d_det_file,
                                                     data_root)
            check_exists(self.keypoint_2d_det_file, '2D detection file',
                         data_root)
        self.seq_step = seq_step
        self.pad_video_seq = pad_video_seq
        self.multiple_target_step = multiple_target_step or multiple_target
        self.action_text = action_text
        super().__init__(
            ann_file=ann_file,
            seq_len=seq_len,
            multiple_target=multiple_target,
            causal=causal,
            subset_frac=subset_frac,
            camera_param_file=camera_param_file,
            **kwargs)

    @staticmethod
    def parse_imgname(imgname: str) -> str:
        """Video (and camera) key of a frame: ``'S4_Seq2_Cam0_001033.jpg'``
        -> ``'S4_Seq2_Cam0'``, ``'TS1_002001.jpg'`` -> ``'TS1'``."""
        stem = osp.splitext(osp.basename(str(imgname)))[0]
        return stem.rsplit('_', 1)[0]

    def _video_sequences(self, ids: List[int]) -> List[List[int]]:
        """Frame-index samples of one video (frame indices ``ids``)."""
        n, step = len(ids), self.seq_step
        if self.multiple_target:
            size, stride = self.multiple_target, self.multiple_target_step
            return [ids[i:i + size] for i in range(0, n - size + 1, stride)]
        if self.pad_video_seq:
            left = self.seq_len - 1 if self.causal else (self.seq_len - 1) // 2
            right = 0 if self.causal else left
            offsets = np.arange(-left, right + 1) * step
            return [[ids[j] for j in np.clip(i + offsets, 0, n - 1)]
                    for i in range(n)]
        span = (self.seq_len - 1) * step + 1
        return [ids[i:i + span:step] for i in range(n - span + 1)]

    def get_sequence_indices(self) -> List[List[int]]:
        """Group frames into videos by :meth:`parse_imgname` and cut each
        video into samples, as mmpose's ``Human36mDataset`` does."""
        videos = defaultdict(list)
        for idx, imgname in enumerate(self.ann_data['imgname']):
            videos[self.parse_imgname(imgname)].append(idx)
        sequences = []
        for _, ids in sorted(videos.items()):
            sequences.extend(self._video_sequences(ids))
        size = int(len(sequences) * self.subset_frac)
        start = np.random.randint(0, len(sequences) - size + 1)
        return sequences[start:start + size]

    def get_camera_param(self, imgname: str) -> dict:
        return lookup_camera(self.camera_param, self.parse_imgname(imgname),
                             imgname, self.camera_param_file)

    def _load_annotations(self) -> Tuple[List[dict], List[dict]]:
        check_keypoint_shapes(self.ann_data, self.metainfo['num_keypoints'],
                              self._ann_file_path)
        instance_list, image_list = super()._load_annotations()
        if self.keypoint_2d_src == 'detection':
            kpts_2d = np.load(self.keypoint_2d_det_file).astype(np.float32)
            expected = (len(self.ann_data['imgname']),
                        self.metainfo['num_keypoints'], 3)
            if kpts_2d.shape != expected:
                raise ValueError(
                    f'{self.keypoint_2d_det_file}: 2D detections have shape '
                    f'{kpts_2d.shape}, expected {expected}')
            for instance in instance_list:
                kpt = kpts_2d[instance['img_ids']]
                instance['keypoints'] = kpt[..., :2]
                instance['keypoints_visible'] = kpt[..., 2]
        for instance in instance_list:
            instance['action'] = ''
            instance['action_text'] = self.action_text
        return instance_list, image_list
