# Copyright (c) mmlpose contributors. All rights reserved.
"""MPI-INF-3DHP in mmpose's npz layout, with (empty) action text."""
import os.path as osp
from typing import Tuple

from mmlpose.registry import DATASETS
from .h36m_text_dataset import Human36mTextDataset, mmpose_dataset_cfg


@DATASETS.register_module()
class MPIINF3DHPDataset(Human36mTextDataset):
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

    Everything else is :class:`Human36mTextDataset`: videos are cut into
    samples exactly as Human3.6M videos (``seq_len``, ``seq_step``,
    ``multiple_target``, ``pad_video_seq``, ...), 2D comes from the
    annotations or a detection file, and bad input raises the same one-line
    errors. FinePOSE uses no action text on 3DHP, so every sample carries
    ``action=''`` and ``action_text`` (default ``'a person'``).

    Args:
        ann_file (str): Annotation npz. Default: ''.
        action_text (str): Text given to every sample. Default: 'a person'.
        **kwargs: Arguments of :class:`Human36mTextDataset` (mmpose's
            ``Human36mDataset``): ``seq_len``, ``seq_step``,
            ``multiple_target``, ``multiple_target_step``, ``pad_video_seq``,
            ``causal``, ``subset_frac``, ``keypoint_2d_src``,
            ``keypoint_2d_det_file``, ``camera_param_file``, ...
    """

    METAINFO: dict = dict(from_file=mmpose_dataset_cfg('mpi_inf_3dhp'))

    def __init__(self,
                 ann_file: str = '',
                 action_text: str = 'a person',
                 **kwargs):
        self._action_text = action_text
        super().__init__(ann_file=ann_file, **kwargs)

    @staticmethod
    def parse_imgname(imgname: str) -> str:
        """Video (and camera) key of a frame: ``'S4_Seq2_Cam0_001033.jpg'``
        -> ``'S4_Seq2_Cam0'``, ``'TS1_002001.jpg'`` -> ``'TS1'``."""
        stem = osp.splitext(osp.basename(str(imgname)))[0]
        return stem.rsplit('_', 1)[0]

    def _parse_h36m_imgname(self, imgname) -> Tuple[str, str, str]:
        # one video per sequence and camera: the parsed key alone
        return self.parse_imgname(imgname), '', ''

    def camera_key(self, imgname: str) -> str:
        """Key of a frame's camera in the camera file: its video key."""
        return self.parse_imgname(imgname)

    def _frame_action(self, frame_idx: int, imgname: str) -> str:
        return ''

    def action_text(self, action: str) -> str:
        """The same text for every sample (``action_text``)."""
        return self._action_text
