# Copyright (c) mmlpose contributors. All rights reserved.
import numpy as np
import pytest
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmlpose.evaluation import stack_person_predictions


def _sample(view, person, frames, value, absent=None, as_dict=False):
    meta = dict(view=view, person_id=person, frame_ids=list(frames))
    if absent is not None:
        meta['absent_frames'] = np.asarray(absent)
    kpts = np.full((1, len(frames), 2, 3), value, np.float32)
    if as_dict:
        return dict(meta, pred_instances=dict(keypoints=kpts))
    sample = PoseDataSample(metainfo=meta)
    sample.pred_instances = InstanceData(keypoints=kpts)
    return sample


def test_stack_person_predictions_hand_case():
    samples = [
        _sample('v1', 2, [1, 2, 3], 2.),
        _sample('v1', 2, [3, 4, 5], 3., absent=[False, True, False]),
        _sample('v1', 7, [4, 5, 6], 7., as_dict=True),
        _sample('v2', 1, [10, 11], 1.),
    ]
    stacks = stack_person_predictions(samples)
    assert sorted(stacks) == ['v1', 'v2']
    v1 = stacks['v1']
    np.testing.assert_array_equal(v1['person_ids'], [2, 7])
    np.testing.assert_array_equal(v1['frame_ids'], [1, 2, 3, 4, 5, 6])
    assert v1['keypoints'].shape == (2, 6, 2, 3)
    # person 2: frames 1-2 from the first window, 3 and 5 from the later one,
    # 4 absent, 6 never predicted
    np.testing.assert_array_equal(v1['keypoints'][0, :, 0, 0],
                                  [2, 2, 3, 0, 3, 0])
    np.testing.assert_array_equal(v1['predicted'][0],
                                  [1, 1, 1, 0, 1, 0])
    np.testing.assert_array_equal(v1['keypoints'][1, :, 0, 0],
                                  [0, 0, 0, 7, 7, 7])
    assert stacks['v2']['keypoints'].shape == (1, 2, 2, 3)

    with pytest.raises(KeyError, match='meta_keys'):
        stack_person_predictions([dict(view='v', person_id=1)])
