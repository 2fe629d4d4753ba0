# Copyright (c) mmlpose contributors. All rights reserved.
from .camera import (camera_to_world, project_points, project_world_points,
                     world_to_camera)

__all__ = [
    'camera_to_world', 'project_points', 'project_world_points',
    'world_to_camera'
]
