# Copyright (c) mmlpose contributors. All rights reserved.
from .referformer import ReferFormerSegmenter
from .rvos_cascade import RVOSCascade, select_person
from .rvos_referrer import RVOSReferrer, letterbox_affine

__all__ = [
    'ReferFormerSegmenter', 'RVOSCascade', 'select_person', 'RVOSReferrer',
    'letterbox_affine'
]
