# Copyright (c) mmlpose contributors. All rights reserved.
from .base_referrer import BaseReferrer, ReferralResult
from .colour_descriptors import (COLOUR_WORDS, RegionColour, clothing_colours,
                                 grass_under_feet, name_colours)
from .descriptor_referrer import (DISTRACTOR_PHRASES, DescriptorReferrer,
                                  sentence_travel, track_travel)
from .descriptors import TrackDescription, describe_track, describe_tracks
from .layout_descriptors import describe_layout
from .motion_descriptors import MotionEvent, describe_motion
from .motion_language_referrer import MotionLanguageReferrer
from .skeleton_text_referrer import (LearnedSkeletonReferrer,
                                     SkeletonTextFusion, person_features)
# last: it builds on the RVOS adapter's referrer, which needs the base above
from .cpp_referrer import (CPPReferrer, current_window_positions,  # noqa: E402,I001,E501
                           image_camera)

__all__ = [
    'BaseReferrer', 'ReferralResult', 'DescriptorReferrer', 'TrackDescription',
    'describe_track', 'describe_tracks', 'MotionEvent', 'describe_motion',
    'describe_layout', 'RegionColour', 'COLOUR_WORDS', 'clothing_colours',
    'grass_under_feet', 'name_colours', 'sentence_travel', 'track_travel',
    'DISTRACTOR_PHRASES', 'MotionLanguageReferrer',
    'SkeletonTextFusion', 'LearnedSkeletonReferrer', 'person_features',
    'CPPReferrer', 'image_camera', 'current_window_positions'
]
