# Copyright (c) mmlpose contributors. All rights reserved.
from .camera import (camera_to_world, project_points, project_world_points,
                     world_to_camera)
from .keypoint_mapping import (COCO_JOINT_NAMES, H36M_JOINT_NAMES,
                               coco_to_h36m)
from .track import PersonTrack, stack_tracks
from .video_sequence import VideoSequence

__all__ = [
    'camera_to_world', 'project_points', 'project_world_points',
    'world_to_camera', 'coco_to_h36m', 'COCO_JOINT_NAMES', 'H36M_JOINT_NAMES',
    'PersonTrack', 'stack_tracks', 'VideoSequence'
]
