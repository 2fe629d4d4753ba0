# Copyright (c) mmlpose contributors. All rights reserved.
"""Horizontal flip and root centring of root-centred / image-centred pose
sequences."""
from typing import Optional, Sequence

from torch import Tensor


def flip_pose(pose: Tensor, flip_indices: Sequence[int]) -> Tensor:
    """Mirror a pose about the vertical axis through the origin.

    The x coordinate changes sign and left/right joints swap, as for 2D
    keypoints normalised to ``[-1, 1]`` around the image centre and for
    root-relative 3D poses.

    Args:
        pose (Tensor): Poses of shape ``(..., K, D)``.
        flip_indices (Sequence[int]): For each joint, the index of its
            mirror joint.

    Returns:
        Tensor: The flipped poses, same shape, a new tensor.
    """
    if len(flip_indices) != pose.shape[-2]:
        raise ValueError(f'flip_indices has {len(flip_indices)} entries but '
                         f'the pose has {pose.shape[-2]} joints')
    flipped = pose[..., list(flip_indices), :].clone()
    flipped[..., 0] = -flipped[..., 0]
    return flipped


def root_relative(pose: Tensor, root_index: Optional[int]) -> Tensor:
    """Pin the root joint of predicted poses to the origin.

    The ``VideoPoseLifting`` codec (``zero_center=True``) makes the training
    targets root-relative; a network's prediction of the root is only close
    to zero, so the lifting heads subtract it once before their output
    (the metrics compare that output with the codec's target as is).

    Args:
        pose (Tensor): Poses of shape ``(..., K, D)``.
        root_index (int, optional): Root joint; None returns ``pose``.

    Returns:
        Tensor: ``pose`` minus its root joint, same shape.
    """
    if root_index is None:
        return pose
    return pose - pose[..., root_index:root_index + 1, :]
