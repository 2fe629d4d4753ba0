# Copyright (c) mmlpose contributors. All rights reserved.
"""The DeepMimic converter's texts json and DeepMimicTextDataset (needs
pybullet's data files)."""
import importlib.util
import json
import os.path as osp
import shutil

import numpy as np
import pytest

from mmlpose.datasets import DeepMimicTextDataset
from mmlpose.datasets.converters import deepmimic as dm
from mmlpose.datasets.converters.motion_text import (frame_texts,
                                                     segment_texts)
from mmlpose.registry import DATASETS

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec('pybullet_data') is None,
    reason='pybullet (DeepMimic clips) is not installed')

ANN = 'annotation_body3d'
NUM_CAMERAS = 8


@pytest.fixture(scope='module')
def root(deepmimic_root):
    # a root converted before the converter wrote texts: convert it again
    # (the npz and cameras are rewritten byte for byte)
    if not osp.exists(osp.join(deepmimic_root, ANN,
                               'deepmimic_test_texts.json')):
        dm.convert_deepmimic(deepmimic_root)
    return deepmimic_root


def load(root, split):
    with open(osp.join(root, ANN, f'deepmimic_{split}_texts.json')) as f:
        texts = json.load(f)
    npz = np.load(osp.join(root, ANN, f'deepmimic_{split}.npz'))
    return texts, npz


def dataset_cfg(root, split='test', **kwargs):
    return dict(
        type='DeepMimicTextDataset',
        ann_file=f'{ANN}/deepmimic_{split}.npz',
        data_root=root,
        seq_len=1,
        multiple_target=27,
        camera_param_file=f'{ANN}/cameras.pkl',
        data_prefix=dict(img=''),
        pipeline=[],
        test_mode=True,
        **kwargs)


def test_texts_json_rows_match_the_npz(root):
    clip_paths = dm.find_clips(dm.default_motion_dir())
    classes = sorted({dm.clip_action(n)[1] for n in clip_paths})
    for split in ('train', 'test'):
        texts, npz = load(root, split)
        assert texts['action_classes'] == classes  # train + test classes
        assert len(classes) == 18  # 20 clips, 'turn left/right' twice
        assert texts['texts'] == sorted(set(texts['texts']))
        n = len(npz['imgname'])
        assert len(texts['text_index']) == len(texts['action_label']) == n
        labels = np.array(texts['action_label'])
        # the label is the row's action (the npz's action array) ...
        np.testing.assert_array_equal(
            np.array(classes)[labels], npz['action'])
        # ... and every sentence names its action
        for row in range(0, n, 97):
            sentence = texts['texts'][texts['text_index'][row]]
            assert f'"{npz["action"][row]}"' in sentence
        assert set(texts['text_index']) == set(range(len(texts['texts'])))
    test_texts, _ = load(root, 'test')
    assert len(test_texts['texts']) == 5


def test_texts_are_the_segment_texts_of_the_world_joints(root):
    """Rows of clip c, camera k are the frames of c's segment texts; every
    camera of a frame has the same text."""
    humanoid = dm.load_humanoid(dm.default_urdf_path())
    clip_paths = dm.find_clips(dm.default_motion_dir())
    texts, npz = load(root, 'test')
    start = 0
    for name in dm.TEST_CLIPS:  # the npz keeps the sorted clip order
        joints = dm.clip_to_h36m_world(clip_paths[name], humanoid)
        expected = frame_texts(
            segment_texts(joints, dm.clip_action(name)[1], seed=0),
            len(joints))
        for cam in range(NUM_CAMERAS):
            rows = slice(start + cam * len(joints),
                         start + (cam + 1) * len(joints))
            assert all(
                n.startswith(f'DM/DM_{dm.clip_action(name)[0]}.cam{cam:02d}')
                for n in npz['imgname'][rows])
            got = [texts['texts'][i] for i in texts['text_index'][rows]]
            assert got == list(expected), (name, cam)
        start += NUM_CAMERAS * len(joints)
    assert start == len(npz['imgname'])


def test_build_split_texts_layout_and_errors():
    humanoid = dm.load_humanoid(dm.default_urdf_path())
    paths = dm.find_clips(dm.default_motion_dir())
    clips = {
        n: dm.clip_to_h36m_world(paths[n], humanoid)
        for n in ('walk', 'spinkick')
    }
    t_walk, t_kick = len(clips['walk']), len(clips['spinkick'])
    out = dm.build_split_texts(clips, 2, ['spin kick', 'walk', 'x'])
    assert out['action_label'] == [1] * 2 * t_walk + [0] * 2 * t_kick
    index = out['text_index']
    assert len(index) == 2 * (t_walk + t_kick)
    assert index[:t_walk] == index[t_walk:2 * t_walk]  # camera 1 = camera 0
    assert '"walk"' in out['texts'][index[0]]
    assert '"spin kick"' in out['texts'][index[-1]]
    with pytest.raises(ValueError, match='not among the classes'):
        dm.build_split_texts(clips, 2, ['walk'])
    assert dm.action_classes(['turn_left0', 'turn_left1', 'spinkick']) == [
        'spin kick', 'turn left'
    ]


def test_dataset_samples_carry_the_centre_frame_text_and_label(root):
    texts, npz = load(root, 'test')
    dataset = DATASETS.build(dataset_cfg(root))
    assert isinstance(dataset, DeepMimicTextDataset)
    assert dataset.action_classes == texts['action_classes']
    assert len(dataset) == 56
    seen = set()
    for i in range(len(dataset)):
        sample = dataset[i]
        ids = sample['img_ids']
        assert len(ids) == 27
        centre = ids[13]
        assert sample['motion_text'] == texts['texts'][texts['text_index']
                                                       [centre]]
        assert sample['action_label'] == texts['action_label'][centre]
        assert dataset.action_classes[sample['action_label']] == \
            sample['action_text'] == str(npz['action'][centre])
        seen.add(sample['motion_text'])
    # 'get up face down' has two texts (frames 0-59 and 60-90); windows
    # centred on either exist, so every test text is some sample's
    assert seen == set(texts['texts'])


def test_motion_text_and_label_reach_the_metainfo(root):
    from mmengine.config import Config
    cfg = Config.fromfile(
        osp.join(
            osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
            'configs', '_base_', 'datasets', 'deepmimic_lifting_text.py'))
    ds_cfg = dict(cfg.train_dataloader.dataset, data_root=root)
    ds_cfg['pipeline'] = [
        t for t in ds_cfg['pipeline']
        if t['type'] in ('GenerateTarget', 'PackPoseInputs')
    ]
    dataset = DATASETS.build(ds_cfg)
    meta = dataset[0]['data_samples'].metainfo
    assert meta['motion_text'] == dataset.get_data_info(0)['motion_text']
    assert isinstance(meta['action_label'], int)


def test_bad_texts_files(root, tmp_path):
    with pytest.raises(FileNotFoundError, match='DeepMimic texts file'):
        DATASETS.build(dataset_cfg(root, texts_file=str(tmp_path / 'x.json')))
    texts, _ = load(root, 'test')
    cases = {
        'bad.json': ('{"texts": [', 'not valid JSON'),
        'keys.json': (json.dumps({'texts': []}), 'missing keys'),
        'rows.json': (json.dumps(dict(texts, text_index=[0])), 'rows'),
        'range.json': (json.dumps(
            dict(texts, action_label=[99] * len(texts['action_label']))),
                       'outside'),
    }
    for name, (content, match) in cases.items():
        path = tmp_path / name
        path.write_text(content)
        with pytest.raises(ValueError, match=match):
            DATASETS.build(dataset_cfg(root, texts_file=str(path)))
    # the default texts file sits beside the annotation file
    alone = tmp_path / 'root' / ANN
    alone.mkdir(parents=True)
    for f in ('deepmimic_test.npz', 'cameras.pkl'):
        shutil.copy(osp.join(root, ANN, f), alone / f)
    with pytest.raises(FileNotFoundError, match='deepmimic_test_texts.json'):
        DATASETS.build(dataset_cfg(str(tmp_path / 'root')))
