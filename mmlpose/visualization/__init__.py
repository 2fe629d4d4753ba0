# Copyright (c) mmlpose contributors. All rights reserved.
from .skeleton3d import (H36M_JOINT_SIDES, H36M_LINKS, Skeleton3DRenderer,
                         draw_skeleton_2d)

__all__ = [
    'H36M_LINKS', 'H36M_JOINT_SIDES', 'Skeleton3DRenderer', 'draw_skeleton_2d'
]
