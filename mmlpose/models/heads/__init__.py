# Copyright (c) mmlpose contributors. All rights reserved.
from .cpp_skeleton_head import CPPSkeletonHead
from .diffusion_lifting_head import DiffusionLiftingHead
from .motion_embedding_head import MotionEmbeddingHead
from .seq_regression_head import SeqRegressionHead
from .voxelpose_head import VoxelPoseMapHead

__all__ = [
    'SeqRegressionHead', 'DiffusionLiftingHead', 'MotionEmbeddingHead',
    'VoxelPoseMapHead', 'CPPSkeletonHead'
]
