# Copyright (c) mmlpose contributors. All rights reserved.
"""MPJPE family on a subset of joints, re-rooted (the 3DPW 14-joint
protocol)."""
from typing import Optional, Sequence

import numpy as np

from mmlpose.registry import METRICS
from .lifting_metrics import ActionMPJPE

#: H36M-17 joints of the LSP-like 14-joint protocol of 3DPW papers: all but
#: root (0), spine (7) and neck_base (9); hips are H36M 1 and 4.
H36M_LSP14_JOINTS = (1, 2, 3, 4, 5, 6, 8, 10, 11, 12, 13, 14, 15, 16)
H36M_HIP_JOINTS = (1, 4)


@METRICS.register_module()
class JointSubsetMPJPE(ActionMPJPE):
    """:class:`ActionMPJPE` on ``joint_indices`` only, both poses re-rooted
    at the mean of ``center_indices`` first.

    With the defaults it is the 14-joint protocol of 3DPW papers on H36M-17
    poses: 14 joints, pelvis = mid-hips, P-MPJPE's Procrustes alignment
    fitted on those 14 joints (not on all 17, as masking joints out of
    ``ActionMPJPE`` would do).

    Args:
        joint_indices (Sequence[int]): Joints evaluated. Defaults to
            :data:`H36M_LSP14_JOINTS`.
        center_indices (Sequence[int], optional): Joints whose mean is
            subtracted from prediction and ground truth (before the subset
            is taken); None keeps the codec's root. Defaults to the hips.
        mode, per_action, unit_scale, skip_list, collect_device, prefix:
            see :class:`ActionMPJPE`.
    """

    def __init__(self,
                 joint_indices: Sequence[int] = H36M_LSP14_JOINTS,
                 center_indices: Optional[Sequence[int]] = H36M_HIP_JOINTS,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if len(joint_indices) == 0:
            raise ValueError('joint_indices must not be empty')
        self.joint_indices = list(joint_indices)
        self.center_indices = (None if center_indices is None else
                               list(center_indices))

    def _prepare(self, data_sample: dict, keypoints) -> dict:
        result = super()._prepare(data_sample, keypoints)
        num_joints = result['gt'].shape[1]
        used = self.joint_indices + (self.center_indices or [])
        if max(used) >= num_joints:
            raise ValueError(f'{type(self).__name__}: joint index {max(used)}'
                             f' out of range for {num_joints} joints')
        for key in ('pred', 'gt'):
            pose = result[key]
            if self.center_indices is not None:
                pose = pose - pose[:, self.center_indices].mean(
                    1, keepdims=True)
            result[key] = np.ascontiguousarray(pose[:, self.joint_indices])
        result['mask'] = result['mask'][:, self.joint_indices]
        return result
