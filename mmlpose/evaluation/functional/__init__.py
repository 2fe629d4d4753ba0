# Copyright (c) mmlpose contributors. All rights reserved.
from .multi_person import stack_person_predictions

__all__ = ['stack_person_predictions']
