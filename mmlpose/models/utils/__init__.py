# Copyright (c) mmlpose contributors. All rights reserved.
from .pose_flip import flip_pose

__all__ = ['flip_pose']
