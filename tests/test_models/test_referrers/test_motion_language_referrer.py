# Copyright (c) mmlpose contributors. All rights reserved.
"""The learned referrer on the tiny stage-1 LangPose space
(checkpoints/langpose_tiny_stage1_deepmimic.pth), with real DeepMimic motion
seen by a virtual camera: a moving person against the same person holding
the clip's first pose."""
import os.path as osp

import numpy as np
import pytest

from mmlpose.registry import MODELS
from mmlpose.structures import PersonTrack, project_points, world_to_camera

REPO_ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO_ROOT, 'configs', 'langpose',
                  'langpose_tiny-27frm_1xb32-40e_stage1_deepmimic.py')
CHECKPOINT = osp.join(REPO_ROOT, 'checkpoints',
                      'langpose_tiny_stage1_deepmimic.pth')


@pytest.fixture(scope='module')
def referrer():
    return MODELS.build(
        dict(type='MotionLanguageReferrer', model=CONFIG,
             checkpoint=CHECKPOINT))


@pytest.fixture(scope='module')
def deepmimic():
    pytest.importorskip('pybullet_data')
    from mmlpose.datasets.converters import deepmimic as dm
    humanoid = dm.load_humanoid(dm.default_urdf_path())
    clips = dm.find_clips(dm.default_motion_dir())
    camera = dm.make_ring_cameras(8)[0]

    def track(name, track_id, still=False):
        joints = dm.clip_to_h36m_world(clips[name], humanoid)
        if still:
            joints = np.repeat(joints[:1], len(joints), axis=0)
        pixels = project_points(
            world_to_camera(joints, camera['R'], camera['T']), camera['f'],
            camera['c'])
        result = PersonTrack.empty(track_id, len(joints))
        result.keypoints_2d[:] = pixels
        result.keypoint_scores[:] = 1
        result.bboxes[:] = np.concatenate([pixels.min(1), pixels.max(1)], -1)
        return result

    return track, (camera['w'], camera['h'])


def test_loads_without_shipping_the_frozen_text_encoder(referrer):
    # the checkpoint leaves MiniLM out; the model keeps the package's
    model = referrer.model
    assert type(model).__name__ == 'LangPoseLifter'
    assert referrer.window == 27
    emb = model.embed_text(['a person jumps', 'a person jumps']).detach()
    assert emb.shape == (2, model.embed_dim)
    assert float(emb[0] @ emb[1]) == pytest.approx(1., abs=1e-5)


@pytest.mark.parametrize('clip, text', [('jump', 'a person jumps'),
                                        ('backflip', 'a person does a '
                                         'backflip')])
def test_moving_track_ranks_above_a_still_one(referrer, deepmimic, clip,
                                              text):
    track, image_size = deepmimic
    tracks = [track(clip, 0), track(clip, 1, still=True)]
    result = referrer(text, tracks, image_size=image_size)
    assert result.scores[0] > result.scores[1] + 0.3, result.scores
    assert result.referred_track_id == 0


def test_absent_track_and_bad_model(referrer, deepmimic):
    track, image_size = deepmimic
    moving = track('jump', 0)
    gone = PersonTrack.empty(1, moving.num_frames)
    scores = referrer('a person jumps', [moving, gone],
                      image_size=image_size).scores
    assert scores[1] == 0.
    mixste = osp.join(REPO_ROOT, 'configs', 'mixste',
                      'mixste_tiny-27frm_1xb32-60e_deepmimic.py')
    with pytest.raises(TypeError, match='motion-language model'):
        MODELS.build(dict(type='MotionLanguageReferrer', model=mixste))


def test_selectable_in_the_inferencer():
    from matplotlib import cbook

    from mmlpose.apis import MMLPoseInferencer
    photo = str(cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))
    inferencer = MMLPoseInferencer(
        'mixste-tiny-deepmimic',
        referrer=dict(
            type='MotionLanguageReferrer', model=CONFIG,
            checkpoint=CHECKPOINT))
    result = next(inferencer(photo, text='a person standing still'))
    assert type(inferencer.inferencer.referrer).__name__ == \
        'MotionLanguageReferrer'
    assert list(result['scores']) == [result['tracks'][0].track_id]
    assert -1 <= result['scores'][0] <= 1
    assert result['threshold'] == pytest.approx(0.3)
