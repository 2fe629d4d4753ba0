# Copyright (c) mmlpose contributors. All rights reserved.
"""Zero-fill the frames of a window where the person is out of view."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmlpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ZeroFillAbsentFrames(BaseTransform):
    """Keep frames without the person at zero and out of loss and metrics.

    Multi-human data (EgoHumans) stores a person's out-of-view frames as
    zeros with zero visibility. A frame is *absent* when all of its 2D
    keypoints have zero visibility (``keypoints_visible``). After the codec
    (put this transform right after ``GenerateTarget``, before flipping):

    - ``keypoint_labels`` (the normalised 2D the lifter sees) of absent
      frames are set to 0, so the model's input is zero-filled there rather
      than the normalised image corner that pixel zeros would become;
    - ``lifting_target_label`` is set to 0, ``lifting_target_weight`` and
      ``lifting_target_visible`` to 0, so absent frames do not count in the
      loss or in the metrics;
    - ``absent_frames`` (T,) bool is added for later use.

    Required keys: ``keypoints_visible`` (T, K), ``keypoint_labels``
    (T, K, 2). Modified keys: ``keypoint_labels``, ``lifting_target_label``,
    ``lifting_target_weight``, ``lifting_target_visible``. Added key:
    ``absent_frames``.
    """

    def transform(self, results: dict) -> dict:
        for key in ('keypoints_visible', 'keypoint_labels'):
            if key not in results:
                raise KeyError(f'ZeroFillAbsentFrames needs "{key}": put it '
                               'after GenerateTarget')
        labels = results['keypoint_labels']
        visible = np.asarray(results['keypoints_visible'])
        num_frames = labels.shape[-3] if labels.ndim >= 3 else 1
        visible = visible.reshape(num_frames, -1)
        absent = ~(visible > 0).any(axis=-1)
        results['absent_frames'] = absent
        if not absent.any():
            return results
        labels = labels.copy()
        labels[..., absent, :, :] = 0
        results['keypoint_labels'] = labels
        for key in ('lifting_target_label', 'lifting_target_weight',
                    'lifting_target_visible'):
            value = results.get(key)
            if value is None:
                continue
            value = np.array(value, copy=True)
            if value.shape[0] != num_frames:
                # single-target windows (seq_len frames in, one out) have
                # no per-frame targets to mask
                continue
            value[absent] = 0
            results[key] = value
        return results
