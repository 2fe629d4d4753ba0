# Copyright (c) mmlpose contributors. All rights reserved.
from .absent_frames import ZeroFillAbsentFrames

__all__ = ['ZeroFillAbsentFrames']
