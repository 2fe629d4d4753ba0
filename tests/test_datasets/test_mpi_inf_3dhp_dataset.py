# Copyright (c) mmlpose contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
from mmpose.datasets import Human36mDataset
from mmpose.datasets.datasets.utils import parse_pose_metainfo

from mmlpose.datasets import Human36mTextDataset, MPIINF3DHPDataset
from mmlpose.registry import DATASETS

from test_h36m_text_dataset import (h36m_names, lifting_pipeline, write_copies)


@pytest.fixture
def root(shared_data):
    return osp.join(shared_data, 'mpi_inf_3dhp')


def build(root, split='train', **kwargs):
    kwargs.setdefault('ann_file', f'test_3dhp_{split}.npz')
    kwargs.setdefault('camera_param_file', f'cameras_{split}.pkl')
    return MPIINF3DHPDataset(data_root=root, **kwargs)


def test_parse_imgname():
    parse = MPIINF3DHPDataset.parse_imgname
    assert parse('S4_Seq2_Cam0_001033.jpg') == 'S4_Seq2_Cam0'
    assert parse('images/TS1_002001.jpg') == 'TS1'


def test_train_sample(root):
    dataset = DATASETS.build(
        dict(
            type='MPIINF3DHPDataset',
            data_root=root,
            ann_file='test_3dhp_train.npz',
            camera_param_file='cameras_train.pkl'))
    assert dataset.metainfo['dataset_name'] == 'mpi_inf_3dhp'
    assert dataset.metainfo['num_keypoints'] == 17
    assert dataset.metainfo['keypoint_id2name'][14] == 'root'
    assert len(dataset) == 2
    info = dataset[0]
    assert info['target_img_path'][0] == 'S4_Seq2_Cam0_001033.jpg'
    assert info['action'] == '' and info['action_text'] == 'a person'
    assert info['camera_param']['name'] == 'train_cam_0'
    assert info['camera_param']['R'].shape == (3, 3)
    raw = np.load(osp.join(root, 'test_3dhp_train.npz'))
    np.testing.assert_allclose(info['keypoints'][0], raw['part'][0, :, :2])
    np.testing.assert_allclose(info['lifting_target'][0], raw['S'][0, :, :3])


def test_test_sample_pipeline(root):
    dataset = build(
        root,
        'test',
        seq_len=27,
        pad_video_seq=True,
        pipeline=lifting_pipeline(root_index=14))
    assert len(dataset) == 2
    out = dataset[0]
    assert tuple(out['inputs'].shape) == (27, 17, 2)
    meta = out['data_samples'].metainfo
    assert meta['action_text'] == 'a person' and meta['action'] == ''
    raw_info = build(root, 'test').get_data_info(0)
    assert raw_info['camera_param']['w'] == 2048
    # inputs are the 2D keypoints normalised by the image width
    kpt = raw_info['keypoints'][0]
    np.testing.assert_allclose(
        out['inputs'][-1].numpy(), (kpt - 1024) / 1024, rtol=1e-5)


@pytest.mark.parametrize('kwargs', [
    dict(seq_len=3),
    dict(seq_len=2, seq_step=2),
    dict(seq_len=3, pad_video_seq=True),
    dict(seq_len=3, pad_video_seq=True, causal=False, seq_step=2),
    dict(multiple_target=2),
    dict(multiple_target=2, multiple_target_step=1),
])
def test_sequences_like_h36m(root, shared_data, tmp_path, kwargs):
    """Two videos of 5 and 3 frames are cut exactly as Human36mDataset cuts
    videos of the same lengths."""
    src = osp.join(root, 'test_3dhp_train.npz')
    rows = [0] * 5 + [1] * 3
    names = [f'S4_Seq2_Cam0_{i:06d}.jpg' for i in range(1, 6)] + \
        [f'S8_Seq1_Cam8_{i:06d}.jpg' for i in range(1, 4)]
    ann = write_copies(src, str(tmp_path / 'mpi.npz'), rows, names)
    dataset = build(root, ann_file=ann, **kwargs)

    h36m_src = osp.join(shared_data, 'h36m', 'test_h36m_body3d.npz')
    h36m_names_ = h36m_names('S1_Directions_1.54138969', range(1, 6)) + \
        h36m_names('S5_SittingDown.54138969', range(1, 4))
    h36m_ann = write_copies(h36m_src, str(tmp_path / 'h36m.npz'), rows,
                            h36m_names_)
    reference = Human36mDataset(ann_file=h36m_ann, **kwargs)
    assert dataset.sequence_indices == reference.sequence_indices
    assert len(dataset) == len(reference) > 0


def test_detection_source(root, tmp_path):
    det = np.load(osp.join(root, 'test_3dhp_test.npz'))['part'] + 1.
    np.save(tmp_path / 'det.npy', det)
    dataset = build(
        root,
        'test',
        keypoint_2d_src='detection',
        keypoint_2d_det_file=str(tmp_path / 'det.npy'))
    np.testing.assert_allclose(dataset[1]['keypoints'][0], det[1, :, :2])


def test_is_the_h36m_text_dataset_with_3dhp_names(root):
    """The subclass only changes how names group into videos and cameras
    and the action text; the metainfo is 3DHP's."""
    assert issubclass(MPIINF3DHPDataset, Human36mTextDataset)
    dataset = build(root, 'test', action_text='someone')
    assert dataset.camera_key('TS1_002001.jpg') == 'TS1'
    assert dataset[0]['action_text'] == 'someone'
    h36m = parse_pose_metainfo(dict(Human36mTextDataset.METAINFO))
    assert dataset.metainfo['flip_indices'] != h36m['flip_indices']


def test_errors(root, tmp_path):
    with pytest.raises(FileNotFoundError, match='data root not found: '):
        build(str(tmp_path / 'absent'))
    with pytest.raises(
            FileNotFoundError, match='annotation file not found: .*nope.npz'):
        build(root, ann_file='nope.npz')
    with pytest.raises(
            FileNotFoundError,
            match='camera parameter file not found: .*nope.pkl'):
        build(root, camera_param_file='nope.pkl')
    with pytest.raises(ValueError, match='unsupported keypoint_2d_src'):
        build(root, keypoint_2d_src='hrnet')
    with pytest.raises(ValueError, match='needs keypoint_2d_det_file'):
        build(root, keypoint_2d_src='detection')
    with pytest.raises(FileNotFoundError, match='2D detection file not found'):
        build(root, keypoint_2d_src='detection',
              keypoint_2d_det_file=str(tmp_path / 'none.npy'))
    det = np.load(osp.join(root, 'test_3dhp_train.npz'))['part'][:1]
    np.save(tmp_path / 'short.npy', det)
    with pytest.raises(ValueError, match=r'expected \(2, 17, 3\)'):
        build(root, keypoint_2d_src='detection',
              keypoint_2d_det_file=str(tmp_path / 'short.npy'))

    src = osp.join(root, 'test_3dhp_train.npz')
    ann = write_copies(src, str(tmp_path / 'S9.npz'), [0],
                       ['S9_Seq9_Cam9_000001.jpg'])
    with pytest.raises(KeyError) as exc:
        build(root, ann_file=ann)
    msg = exc.value.args[0]
    assert "'S9_Seq9_Cam9'" in msg and 'cameras_train.pkl' in msg
    assert '\n' not in msg

    ann = write_copies(
        src,
        str(tmp_path / 'j16.npz'), [0, 1],
        list(np.load(src)['imgname']),
        num_keypoints=16)
    with pytest.raises(ValueError, match=r'field "S" has shape \(2, 16, 4\)'):
        build(root, ann_file=ann)
