# Copyright (c) mmlpose contributors. All rights reserved.
"""Horizontal flip of root-centred / image-centred pose sequences."""
from typing import Sequence

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
