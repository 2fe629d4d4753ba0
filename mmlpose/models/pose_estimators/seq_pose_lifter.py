# Copyright (c) mmlpose contributors. All rights reserved.
"""Sequence 2D-to-3D pose lifter."""
from mmpose.models.pose_estimators import PoseLifter
from mmpose.utils.typing import SampleList
from torch import Tensor

from mmlpose.models.utils import flip_pose
from mmlpose.registry import MODELS


@MODELS.register_module()
class SeqPoseLifter(PoseLifter):
    """A :class:`mmpose.models.PoseLifter` for seq2seq lifters whose 2D
    inputs are centred on the image (``VideoPoseLifting`` normalisation).

    Inputs are ``(B, T, K, 2)``. The flip test mirrors about ``x = 0`` and
    swaps left/right joints (mmpose's ``flip_coordinates`` assumes
    ``[0, 1]`` coordinates instead); the head mirrors its flipped output
    back. Set ``test_cfg=dict(flip_test=True)`` to enable it.
    """

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        """Predict 3D poses; see :meth:`mmpose.models.PoseLifter.predict`."""
        assert self.with_head, 'The model must have a head to predict.'
        if self.test_cfg.get('flip_test', False):
            flip_indices = data_samples[0].metainfo['flip_indices']
            feats = [
                self.extract_feat(inputs),
                self.extract_feat(flip_pose(inputs, flip_indices))
            ]
        else:
            feats = self.extract_feat(inputs)
        preds = self.head.predict(feats, data_samples, test_cfg=self.test_cfg)
        if isinstance(preds, tuple):
            preds, pred_fields = preds
        else:
            pred_fields = None
        return self.add_pred_to_datasample(preds, pred_fields, None, None,
                                           data_samples)
