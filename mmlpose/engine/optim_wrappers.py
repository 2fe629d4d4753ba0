# Copyright (c) mmlpose contributors. All rights reserved.
"""Mixed precision on CPU."""
from contextlib import contextmanager

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from mmlpose.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """:class:`OptimWrapper` that runs forward passes under CPU autocast.

    mmengine's ``AmpOptimWrapper`` needs a GPU; ``tools/train.py --amp``
    picks this wrapper on CPU-only machines. bfloat16 keeps float32's
    range, so no loss scaling is needed.

    Args:
        dtype (str): Autocast dtype, ``'bfloat16'`` (default) or
            ``'float16'``.
        **kwargs: Arguments of :class:`OptimWrapper`.
    """

    def __init__(self, dtype: str = 'bfloat16', **kwargs) -> None:
        super().__init__(**kwargs)
        if dtype not in ('bfloat16', 'float16'):
            raise ValueError(f'dtype must be bfloat16 or float16, got {dtype}')
        self.cast_dtype = getattr(torch, dtype)

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield
