# Copyright (c) mmlpose contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest

from mmlpose.datasets import (Human36mTextDataset, action_category,
                              action_to_text)

ANN = 'test_h36m_body3d.npz'


def lifting_pipeline(root_index: int = 0) -> list:
    """mmpose's lifting pipeline, passing the action text to the model."""
    return [
        dict(
            type='GenerateTarget',
            encoder=dict(
                type='VideoPoseLifting',
                num_keypoints=17,
                zero_center=True,
                root_index=root_index,
                reshape_keypoints=False)),
        dict(
            type='PackPoseInputs',
            meta_keys=('id', 'category_id', 'target_img_path', 'flip_indices',
                       'target_root', 'action', 'action_text'))
    ]


def write_copies(src: str,
                 dst: str,
                 rows: list,
                 imgnames: list,
                 num_keypoints: int = 17,
                 **extra) -> str:
    """Write an npz whose frames copy ``src`` frames ``rows`` under new
    image names (to build longer or broken sequences from the samples)."""
    data = np.load(src)
    out = {k: data[k][rows] for k in ('center', 'scale')}
    out['part'] = data['part'][rows][:, :num_keypoints]
    out['S'] = data['S'][rows][:, :num_keypoints]
    np.savez(dst, imgname=np.array(imgnames), **out, **extra)
    return dst


def h36m_names(seq: str, frames) -> list:
    subj = seq.split('_')[0]
    return [f'{subj}/{seq}/{seq}_{i:06d}.jpg' for i in frames]


@pytest.fixture
def h36m_root(shared_data):
    return osp.join(shared_data, 'h36m')


def build(root, ann_file=ANN, **kwargs):
    kwargs.setdefault('camera_param_file', osp.join(root, 'cameras.pkl'))
    return Human36mTextDataset(ann_file=ann_file, data_root=root, **kwargs)


def test_action_helpers():
    assert action_category('WalkDog_1') == 'WalkDog'
    assert action_category('Directions 1') == 'Directions'
    assert action_category('TakingPhoto_1') == 'Photo'
    assert action_category('WalkingDog') == 'WalkDog'
    assert action_to_text('SittingDown') == 'sitting down'
    assert action_to_text('Directions_1') == 'directions'


def test_real_sample_values(h36m_root):
    dataset = build(h36m_root)
    assert len(dataset) == 4
    info = dataset[0]
    assert info['action'] == 'Directions'
    assert info['action_text'] == 'directions'
    assert info['camera_param']['w'] == 1000
    assert info['camera_param']['h'] == 1002
    assert info['keypoints'].shape == (1, 17, 2)
    actions = [dataset[i]['action_text'] for i in range(4)]
    assert actions == ['directions', 'sitting down', 'greeting', 'walk dog']
    raw = np.load(osp.join(h36m_root, ANN))
    np.testing.assert_allclose(info['lifting_target'], raw['S'][[0], :, :3])


def test_detection_source(h36m_root):
    dataset = build(
        h36m_root,
        keypoint_2d_src='detection',
        keypoint_2d_det_file='test_h36m_2d_detection.npy')
    det = np.load(osp.join(h36m_root, 'test_h36m_2d_detection.npy'))
    np.testing.assert_allclose(dataset[2]['keypoints'][0], det[2, :, :2])


def test_padded_sequence_pipeline(h36m_root):
    dataset = build(
        h36m_root,
        seq_len=9,
        causal=False,
        pad_video_seq=True,
        pipeline=lifting_pipeline())
    assert len(dataset) == 4
    out = dataset[3]
    assert tuple(out['inputs'].shape) == (9, 17, 2)
    meta = out['data_samples'].metainfo
    assert meta['action'] == 'WalkDog'
    assert meta['action_text'] == 'walk dog'
    assert out['data_samples'].gt_instance_labels.lifting_target_label.shape \
        == (1, 17, 3)


def test_multiple_target_and_action_array(h36m_root, tmp_path):
    # frame 0 (S1 Directions 1) copied 6 times; the action array wins over
    # the image name
    ann = write_copies(
        osp.join(h36m_root, ANN),
        str(tmp_path / 'seq.npz'), [0] * 6,
        h36m_names('S1_Directions_1.54138969', range(1, 7)),
        action=np.array(['TakingPhoto_1'] * 6))
    dataset = build(h36m_root, ann_file=ann, multiple_target=3)
    assert len(dataset) == 2
    assert dataset[1]['lifting_target'].shape == (3, 17, 3)
    assert dataset[1]['img_ids'] == [3, 4, 5]
    assert dataset[0]['action_text'] == 'taking photo'


def test_errors(h36m_root, tmp_path):
    with pytest.raises(FileNotFoundError, match='data root not found: '):
        build(str(tmp_path / 'absent'))
    with pytest.raises(
            FileNotFoundError,
            match=f'annotation file not found: .*{tmp_path.name}.*nope.npz'):
        build(str(tmp_path), ann_file='nope.npz')
    with pytest.raises(
            FileNotFoundError, match='camera parameter file not found'):
        build(h36m_root, camera_param_file='nope.pkl')

    src = osp.join(h36m_root, ANN)
    ann = write_copies(src, str(tmp_path / 'S12.npz'), [0],
                       h36m_names('S12_Directions_1.54138969', [1]))
    with pytest.raises(KeyError) as exc:
        build(h36m_root, ann_file=ann)
    msg = exc.value.args[0]
    assert "('S12', '54138969')" in msg and 'cameras.pkl' in msg
    assert '\n' not in msg

    ann = write_copies(
        src,
        str(tmp_path / 'j16.npz'), [0, 1, 2, 3],
        list(np.load(src)['imgname']),
        num_keypoints=16)
    with pytest.raises(ValueError, match=r'field "S" has shape \(4, 16, 4\)'):
        build(h36m_root, ann_file=ann)
