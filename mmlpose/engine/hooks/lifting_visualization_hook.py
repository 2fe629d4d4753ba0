# Copyright (c) mmlpose contributors. All rights reserved.
"""Visualise lifted 3D sequences (prediction beside ground truth)."""
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmlpose.registry import HOOKS


def _sequence(value, num_keypoints: int) -> Optional[np.ndarray]:
    if value is None:
        return None
    value = np.asarray(value)
    return value.reshape(-1, num_keypoints, value.shape[-1])[..., :3]


@HOOKS.register_module()
class LiftingVisualizationHook(Hook):
    """Save images of predicted (left) and ground-truth (right) 3D poses.

    mmpose's ``PoseVisualizationHook`` draws on the input image, which
    lifting data sets (2D keypoints only) do not have. This hook renders
    the middle frame of every ``interval``-th sample of validation and test
    to ``<work_dir>/<timestamp>/<out_dir>/<split>_<index>.png``.

    Args:
        enable (bool): Whether to draw. Defaults to False (``--show-dir``
            turns it on).
        interval (int): Draw every ``interval``-th sample. Defaults to 50.
        out_dir (str, optional): Output folder under the run folder.
            Defaults to ``'vis'``.
        size (int): Height/width of each view in pixels. Defaults to 320.
        root_index (int): Root joint made the origin. Defaults to 0.
    """

    priority = 'NORMAL'

    def __init__(self,
                 enable: bool = False,
                 interval: int = 50,
                 out_dir: Optional[str] = 'vis',
                 size: int = 320,
                 root_index: int = 0,
                 **kwargs) -> None:
        self.enable = enable
        self.interval = interval
        self.out_dir = out_dir or 'vis'
        self.size = size
        self.root_index = root_index
        self._renderer = None
        self._count = 0

    def _render(self, runner: Runner, data_sample, split: str) -> None:
        from mmlpose.visualization import Skeleton3DRenderer
        pred = data_sample.pred_instances.keypoints
        num_keypoints = np.asarray(pred).shape[-2]
        pred = _sequence(pred, num_keypoints)
        gt = _sequence(
            data_sample.gt_instances.get('lifting_target'), num_keypoints)
        if self._renderer is None:
            self._renderer = Skeleton3DRenderer(self.size, self.size)
        mid = len(pred) // 2
        views = []
        for name, seq in (('prediction', pred), ('ground truth', gt)):
            pose = (None if seq is None else
                    seq[mid] - seq[mid, self.root_index])
            views.append(self._renderer.render(pose, title=name))
        folder = osp.join(runner.work_dir, runner.timestamp, self.out_dir)
        os.makedirs(folder, exist_ok=True)
        image = cv2.cvtColor(np.concatenate(views, axis=1), cv2.COLOR_RGB2BGR)
        cv2.imwrite(osp.join(folder, f'{split}_{self._count:06d}.png'), image)

    def _draw_outputs(self, runner: Runner, outputs: Sequence,
                      split: str) -> None:
        if not self.enable:
            return
        for data_sample in outputs:
            if self._count % self.interval == 0:
                self._render(runner, data_sample, split)
            self._count += 1

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None) -> None:
        self._draw_outputs(runner, outputs, 'val')

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None) -> None:
        self._draw_outputs(runner, outputs, 'test')
