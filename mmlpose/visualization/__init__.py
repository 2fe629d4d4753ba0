# Copyright (c) mmlpose contributors. All rights reserved.
from .lifting_visualizer import LiftingVisualizer
from .skeleton3d import (H36M_JOINT_SIDES, H36M_LINKS, SIDE_COLORS,
                         Skeleton3DRenderer, draw_skeleton_2d, link_side)
from .skeleton3d_mpl import MatplotlibSkeleton3DRenderer
from .video_writer import VideoWriterThread

__all__ = [
    'H36M_LINKS', 'H36M_JOINT_SIDES', 'SIDE_COLORS', 'link_side',
    'Skeleton3DRenderer', 'MatplotlibSkeleton3DRenderer', 'draw_skeleton_2d',
    'LiftingVisualizer', 'VideoWriterThread'
]
