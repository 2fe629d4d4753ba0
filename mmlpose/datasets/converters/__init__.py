# Copyright (c) mmlpose contributors. All rights reserved.
"""Converters from external motion data to mmpose's H36M npz layout."""
from .deepmimic import (CLIP_ACTIONS, H36M_FROM_HUMANOID, TEST_CLIPS, Humanoid,
                        Motion, build_split, clip_action, clip_to_h36m_world,
                        convert_deepmimic, default_motion_dir,
                        default_urdf_path, find_clips, forward_kinematics,
                        humanoid_to_h36m, load_clip, load_humanoid,
                        make_ring_cameras, resample_motion, split_clips,
                        y_up_to_z_up)
from .l3d_scenes import write_l3d_scenes
from .motion_text import (MotionFacts, compose_text, frame_texts,
                          measure_motion, segment_texts, standing_height)
from .videopose3d import (H36M_CAMERA_IDS, H36M_KEPT_JOINTS, H36M_SPLITS,
                          bbox_center_scale, convert_subjects, h36m_imgname,
                          load_cameras, load_videopose3d,
                          videopose3d_to_mmpose)

__all__ = [
    'CLIP_ACTIONS', 'H36M_FROM_HUMANOID', 'TEST_CLIPS', 'Humanoid', 'Motion',
    'build_split', 'clip_action', 'clip_to_h36m_world', 'convert_deepmimic',
    'default_motion_dir', 'default_urdf_path', 'find_clips',
    'forward_kinematics', 'humanoid_to_h36m', 'load_clip', 'load_humanoid',
    'make_ring_cameras', 'resample_motion', 'split_clips', 'y_up_to_z_up',
    'H36M_CAMERA_IDS', 'H36M_KEPT_JOINTS', 'H36M_SPLITS', 'bbox_center_scale',
    'convert_subjects', 'h36m_imgname', 'load_cameras', 'load_videopose3d',
    'videopose3d_to_mmpose', 'MotionFacts', 'compose_text', 'frame_texts',
    'measure_motion', 'segment_texts', 'standing_height', 'write_l3d_scenes'
]
