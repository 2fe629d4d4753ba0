# Copyright (c) mmlpose contributors. All rights reserved.
"""MMLPoseInferencer with every tiny model alias, on real photos."""
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from matplotlib import cbook

from mmlpose.apis import MMLPoseInferencer

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
PHOTO = str(cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))


def _check_one_person(result):
    assert result['num_frames'] == 1 and len(result['tracks']) == 1
    track = result['tracks'][0]
    assert result['referred_track_id'] == track.track_id
    kpts = track.keypoints_3d[0]
    assert kpts.shape == (17, 3) and np.isfinite(kpts).all()
    np.testing.assert_allclose(kpts[0], 0, atol=1e-5)  # root-relative
    # the head is above the pelvis (camera y points down)
    assert kpts[10, 1] < -0.2


@pytest.mark.parametrize(
    'alias',
    ['mixste-tiny-deepmimic', 'd3dp-tiny-deepmimic',
     'finepose-tiny-deepmimic'])
def test_tiny_aliases_lift_a_photo(alias):
    inferencer = MMLPoseInferencer(alias, device='cpu')
    _check_one_person(next(inferencer(PHOTO)))


def test_config_and_weights_folder_and_visualisation(tmp_path):
    config = osp.join(REPO_ROOT, 'configs', 'mixste',
                      'mixste_tiny-27frm_1xb32-60e_deepmimic.py')
    weights = osp.join(REPO_ROOT, 'checkpoints', 'mixste_tiny_deepmimic.pth')
    inferencer = MMLPoseInferencer(config, weights=weights)
    folder = tmp_path / 'photos'
    folder.mkdir()
    shutil.copy(PHOTO, folder / 'a.jpg')
    shutil.copy(PHOTO, folder / 'b.png')
    results = list(
        inferencer(str(folder), out_dir=str(tmp_path / 'out'),
                   return_vis=True))
    assert [r['name'] for r in results] == ['a', 'b']
    for result, ext in zip(results, ('.jpg', '.png')):
        _check_one_person(result)
        assert result['vis_path'] == str(tmp_path / 'out' /
                                         f'{result["name"]}_3d{ext}')
        image = cv2.imread(result['vis_path'])
        assert image.shape == result['visualization'][0].shape
        assert image.shape[1] > result['width']
        assert osp.isfile(result['json_path'])
    # an in-memory BGR array is an input too
    array_result = next(inferencer(cv2.imread(PHOTO)))
    np.testing.assert_allclose(array_result['tracks'][0].keypoints_3d,
                               results[0]['tracks'][0].keypoints_3d,
                               atol=1e-5)
