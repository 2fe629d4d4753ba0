# Copyright (c) mmlpose contributors. All rights reserved.
from .l3dhpe import (identify_by_mask, identify_by_skeleton, l3dhpe_sample,
                     mask_iou, mpjpe_l, person_distances, root_error,
                     root_relative_mpjpe)
from .multi_person import stack_person_predictions
from .retrieval import (chance_metrics, rank_metrics, retrieval_metrics,
                        retrieval_ranks, tmr_batches)

__all__ = [
    'stack_person_predictions', 'retrieval_ranks', 'rank_metrics',
    'chance_metrics', 'tmr_batches', 'retrieval_metrics',
    'identify_by_skeleton', 'identify_by_mask', 'mask_iou', 'mpjpe_l',
    'root_relative_mpjpe', 'root_error', 'person_distances', 'l3dhpe_sample'
]
