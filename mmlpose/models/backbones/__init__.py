# Copyright (c) mmlpose contributors. All rights reserved.
from .diffusion_mixste import DiffusionMixSTE
from .finepose_denoiser import FinePOSEDenoiser
from .mixste import MixSTE

__all__ = ['MixSTE', 'DiffusionMixSTE', 'FinePOSEDenoiser']
