# Copyright (c) mmlpose contributors. All rights reserved.
from .diffusion_mixste import DiffusionMixSTE
from .finepose_denoiser import FinePOSEDenoiser
from .mixste import MixSTE
from .video_swin import TemporalAttention, VideoSwinEncoder

__all__ = [
    'MixSTE', 'DiffusionMixSTE', 'FinePOSEDenoiser', 'VideoSwinEncoder',
    'TemporalAttention'
]
