# Copyright (c) mmlpose contributors. All rights reserved.
"""Regroup per-person window predictions into per-view person stacks."""
from collections import defaultdict
from typing import Dict, Sequence, Union

import numpy as np
from mmpose.structures import PoseDataSample


def _field(sample: Union[dict, PoseDataSample], key: str):
    if isinstance(sample, dict):
        return sample.get(key)
    return sample.metainfo.get(key)


def _pred_keypoints(sample: Union[dict, PoseDataSample]) -> np.ndarray:
    pred = (sample['pred_instances']
            if isinstance(sample, dict) else sample.pred_instances)
    return np.asarray(pred['keypoints'])


def stack_person_predictions(
        samples: Sequence[Union[dict, PoseDataSample]]) -> Dict[str, dict]:
    """Stack per-person predictions along a person axis, per view.

    The multi-human protocol lifts every person on their own; this puts the
    window predictions of a test run (``tools/test.py --out`` dump, or the
    data samples themselves) back together. Each sample must carry
    ``view``, ``person_id`` and ``frame_ids`` (``EgoHumansLiftingDataset``
    with ``egohumans_lifting.py``'s ``meta_keys``); frames flagged in its
    ``absent_frames`` (from ``ZeroFillAbsentFrames``) are zeroed.

    Args:
        samples: Predicted data samples (dicts or ``PoseDataSample``) with
            ``pred_instances.keypoints`` of ``T`` frames each.

    Returns:
        dict: view -> ``person_ids`` (P,), ``frame_ids`` (T,) sorted time
        stamps covered by any window of the view, ``keypoints``
        ``(P, T, K, 3)`` (the lifter's root-relative output) and
        ``predicted`` ``(P, T)`` bool. Absent frames and frames without a
        window for a person (never in view there) are zeros with
        ``predicted`` False; where windows overlap, the later one wins.
    """
    windows = defaultdict(list)
    for sample in samples:
        keys = [_field(sample, k) for k in ('view', 'person_id', 'frame_ids')]
        if any(k is None for k in keys):
            raise KeyError('every sample needs "view", "person_id" and '
                           '"frame_ids" metainfo; add them to '
                           'PackPoseInputs.meta_keys (see '
                           'configs/_base_/datasets/egohumans_lifting.py)')
        view, person, frames = keys
        kpts = _pred_keypoints(sample)
        kpts = kpts.reshape(len(frames), *kpts.shape[-2:])[..., :3]
        present = np.ones(len(frames), bool)
        absent = _field(sample, 'absent_frames')
        if absent is not None:
            present = ~np.asarray(absent, bool).reshape(len(frames))
        windows[view].append(
            (int(person), np.asarray(frames), kpts * present[:, None, None],
             present))

    stacks = {}
    for view, items in sorted(windows.items()):
        persons = sorted({item[0] for item in items})
        frame_ids = np.unique(np.concatenate([item[1] for item in items]))
        num_keypoints = items[0][2].shape[1]
        keypoints = np.zeros(
            (len(persons), len(frame_ids), num_keypoints, 3), np.float32)
        predicted = np.zeros((len(persons), len(frame_ids)), bool)
        for person, frames, kpts, present in items:
            row = persons.index(person)
            cols = np.searchsorted(frame_ids, frames)
            keypoints[row, cols] = kpts
            predicted[row, cols] = present
        stacks[view] = dict(
            person_ids=np.array(persons),
            frame_ids=frame_ids,
            keypoints=keypoints,
            predicted=predicted)
    return stacks
