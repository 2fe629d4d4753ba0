# Copyright (c) mmlpose contributors. All rights reserved.
from .inference import init_lifter, lift_sequence

__all__ = ['init_lifter', 'lift_sequence']
