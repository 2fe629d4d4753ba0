# Copyright (c) mmlpose contributors. All rights reserved.
from .mixste import MixSTE

__all__ = ['MixSTE']
