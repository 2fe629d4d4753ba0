# Copyright (c) mmlpose contributors. All rights reserved.
from .multi_person import stack_person_predictions
from .retrieval import (chance_metrics, rank_metrics, retrieval_metrics,
                        retrieval_ranks, tmr_batches)

__all__ = [
    'stack_person_predictions', 'retrieval_ranks', 'rank_metrics',
    'chance_metrics', 'tmr_batches', 'retrieval_metrics'
]
