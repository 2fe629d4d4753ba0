# Copyright (c) mmlpose contributors. All rights reserved.
"""Batching of Panoptic-L3D frame windows (:class:`PackL3DInputs`)."""
from typing import Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor

from mmlpose.registry import MODELS


@MODELS.register_module()
class L3DDataPreprocessor(BaseDataPreprocessor):
    """Stack per-sample ``(F, 3, H, W)`` uint8 windows into a float
    ``(B, F, 3, H, W)`` batch on the model's device, optionally BGR -> RGB
    and normalised per channel (``(x - mean) / std``, 0-255 scale).

    Args:
        mean (Sequence[float], optional): 3 channel means (after the
            channel flip). Default None (no normalisation).
        std (Sequence[float], optional): 3 channel stds. Default None.
        bgr_to_rgb (bool): Flip the channels. Default False.
        non_blocking (bool): Asynchronous device copies. Default False.
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 bgr_to_rgb: bool = False,
                 non_blocking: bool = False):
        super().__init__(non_blocking=non_blocking)
        if (mean is None) != (std is None):
            raise ValueError('give both mean and std, or neither')
        self._normalise = mean is not None
        if self._normalise:
            if len(mean) != 3 or len(std) != 3:
                raise ValueError('mean and std must hold 3 values, got '
                                 f'{len(mean)} and {len(std)}')
            if min(std) <= 0:
                raise ValueError(f'std must be > 0, got {list(std)}')
            self.register_buffer(
                'mean',
                torch.tensor(mean, dtype=torch.float32).view(1, 1, 3, 1, 1),
                False)
            self.register_buffer(
                'std',
                torch.tensor(std, dtype=torch.float32).view(1, 1, 3, 1, 1),
                False)
        self.bgr_to_rgb = bgr_to_rgb

    @staticmethod
    def _stack(
            inputs: Union[torch.Tensor,
                          Sequence[torch.Tensor]]) -> torch.Tensor:
        if isinstance(inputs, torch.Tensor):
            batch = inputs
        else:
            inputs = list(inputs)
            if not inputs:
                raise ValueError('L3DDataPreprocessor got an empty batch')
            shapes = {tuple(x.shape) for x in inputs}
            if len(shapes) > 1:
                raise ValueError('samples of a batch must share one (F, 3, '
                                 f'H, W) shape, got {sorted(shapes)}')
            batch = torch.stack(list(inputs))
        if batch.dim() != 5 or batch.shape[2] != 3:
            raise ValueError('inputs must be (B, F, 3, H, W), got '
                             f'{tuple(batch.shape)}')
        return batch

    def forward(self, data: dict, training: bool = False) -> dict:
        """``data['inputs']`` (list of (F, 3, H, W) or a (B, F, 3, H, W)
        tensor) -> float32 (B, F, 3, H, W); ``data_samples`` moved as they
        are."""
        data = dict(data)
        batch = self._stack(data['inputs'])
        data['inputs'] = batch
        data = self.cast_data(data)
        x = data['inputs'].float()
        if self.bgr_to_rgb:
            x = x.flip(2)
        if self._normalise:
            x = (x - self.mean) / self.std
        data['inputs'] = x
        return data
