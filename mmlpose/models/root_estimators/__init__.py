# Copyright (c) mmlpose contributors. All rights reserved.
from .cpp_root_estimator import (PANOPTIC_SPACE_CENTER, CPPRootEstimator,
                                 input_to_image_pixels)

__all__ = [
    'CPPRootEstimator', 'PANOPTIC_SPACE_CENTER', 'input_to_image_pixels'
]
