# Copyright (c) mmlpose contributors. All rights reserved.
"""Synthetic Panoptic-L3D scenes: layout, masks, sentences, determinism."""
import json
import os
import os.path as osp
import re

import numpy as np
import pytest

pytest.importorskip('pybullet_data')
cv2 = pytest.importorskip('cv2')
from PIL import Image  # noqa: E402

from mmlpose.datasets.converters import l3d_scenes as L  # noqa: E402
from mmlpose.structures.panoptic import (  # noqa: E402
    LOADER_AXES, MIN_MASK_PIXELS, frame_stem, hd_camera_name, load_hd_camera,
    project_to_image, world_to_camera_mm)

NUM_CLIPS = 4
SEED = 0


@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass
    if not osp.isdir(L.default_calib_dir()):
        pytest.skip('shared Panoptic calibrations not available')
    out = str(tmp_path_factory.mktemp('l3d'))
    summary = L.write_l3d_scenes(
        out, NUM_CLIPS, seed=SEED, val_ratio=0.25, test_ratio=0.25)
    root = osp.join(out, 'Panoptic-L3D')
    records = {}
    for split in ('train', 'val', 'test'):
        with open(osp.join(root, f'sentences_{split}.json')) as f:
            records[split] = json.load(f)
    with open(osp.join(out, 'scene_info.json')) as f:
        info = {x['video_id']: x for x in json.load(f)}
    return dict(
        out=out, root=root, summary=summary, records=records, info=info)


def _all_records(generated):
    return [r for recs in generated['records'].values() for r in recs]


def _body_file(root, vid, frame):
    path = osp.join(root, 'panoptic', vid, 'hdPose3d_stage1_coco19',
                    f'body3DScene_{frame:08d}.json')
    with open(path) as f:
        return json.load(f)


def _camera(root, vid, camera_id):
    return load_hd_camera(
        osp.join(root, 'panoptic', vid, f'calibration_{vid}.json'), camera_id)


def _mask(root, vid, camera_id, frame):
    im = Image.open(
        osp.join(root, 'storage_mask', vid, hd_camera_name(camera_id),
                 frame_stem(camera_id, frame) + '.png'))
    return im.mode, np.array(im)


def test_window_and_annotated_frames():
    # as the released loader, in floats: L = 100: int(100 * (1 - 0.9)) = 9
    # (1 - 0.9 < 0.1), start = 0 + 9 // 2 = 4, final = 4 + int(90.) = 94
    np.testing.assert_array_equal(L.window_frames(0, 100), [4, 26, 49, 71, 94])
    # L = 60: int(5.99..) = 5, start = 30 + 2 = 32, final = 32 + 54 = 86
    np.testing.assert_array_equal(
        L.window_frames(30, 90), [32, 45, 59, 72, 86])
    assert L.annotated_frames(20, 70) == [30, 45, 60]
    assert L.annotated_frames(30, 45) == [30]
    assert L.sentence_frames(0, 100) == sorted(
        {0, 15, 30, 45, 60, 75, 90, 4, 26, 49, 71, 94})
    with pytest.raises(ValueError, match='empty span'):
        L.window_frames(5, 5)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='HD nodes'):
        L.write_l3d_scenes(str(tmp_path), 1, cameras=(5, ))
    with pytest.raises(FileNotFoundError, match='calibration folder'):
        L.write_l3d_scenes(str(tmp_path), 1, calib_dir=str(tmp_path / 'no'))
    with pytest.raises(ValueError, match='num_clips'):
        L.write_l3d_scenes(str(tmp_path), 0)
    with pytest.raises(ValueError, match='val_ratio'):
        L.split_clips(10, 0, 0.6, 0.5)


def test_split_clips():
    splits = L.split_clips(20, 0, 0.1, 0.15)
    assert splits.count('val') == 2 and splits.count('test') == 3
    assert splits == L.split_clips(20, 0, 0.1, 0.15)
    assert L.split_clips(3, 0, 0.1, 0.1).count('train') == 1


def test_layout(generated):
    root, summary = generated['root'], generated['summary']
    records = _all_records(generated)
    assert records, 'no sentences generated'
    assert sum(summary['clips'].values()) == NUM_CLIPS
    assert summary['sentences'] == {
        k: len(v)
        for k, v in generated['records'].items()
    }
    for name in ('l3d_scenes_summary.json', 'scene_info.json', 'README.md'):
        assert osp.isfile(osp.join(generated['out'], name))
    src = L.find_calibrations()
    for r in records:
        assert set(r) == {
            'video_id', 'camera_id', 'begin_frame', 'end_frame', 'body_id',
            'category', 'label'
        }
        vid, cc = r['video_id'], r['camera_id']
        assert re.fullmatch(r'scene_\d{5}', vid)
        assert cc in (16, 30)
        assert r['category'] in ([0], [4], [5])
        length = r['end_frame'] - r['begin_frame']
        assert L.SPAN_RANGE[0] <= length <= L.SPAN_RANGE[1]
        info = generated['info'][vid]
        assert 0 <= r['body_id'] < len(info['people'])
        assert r['end_frame'] <= info['num_frames']
        calib = osp.join(root, 'panoptic', vid, f'calibration_{vid}.json')
        with open(calib) as f, open(src[info['sequence']]) as g:
            assert json.load(f) == json.load(g)
        for f in L.sentence_frames(r['begin_frame'], r['end_frame']):
            img = osp.join(root, 'panoptic', vid, 'hdImgs', hd_camera_name(cc),
                           frame_stem(cc, f) + '.jpg')
            assert osp.isfile(img)
            body = _body_file(root, vid, f)
            assert set(body) == {'version', 'univTime', 'fpsType', 'bodies'}
            assert [b['id'] for b in body['bodies']
                    ] == list(range(len(info['people'])))
        f = L.annotated_frames(r['begin_frame'], r['end_frame'])[0]
        img = cv2.imread(
            osp.join(root, 'panoptic', vid, 'hdImgs', hd_camera_name(cc),
                     frame_stem(cc, f) + '.jpg'))
        assert img.shape == (1080, 1920, 3)
        # textured, not nearly one colour (the loader's validity test)
        assert np.abs(img - img.mean((0, 1))).sum(-1).max() > 20
        assert img.std() > 10
    # only the loader's frames are shipped
    for vid, info in generated['info'].items():
        if not info['sentences']:
            continue
        need = set()
        for s in info['sentences']:
            need |= set(L.sentence_frames(s['begin_frame'], s['end_frame']))
        assert set(info['frames']) == need
        pose_dir = osp.join(root, 'panoptic', vid, 'hdPose3d_stage1_coco19')
        assert len(os.listdir(pose_dir)) == len(need)


def test_coco19_units_and_masks(generated):
    root = generated['root']
    checked = 0
    for r in _all_records(generated):
        vid, cc = r['video_id'], r['camera_id']
        cam = _camera(root, vid, cc)
        for f in L.annotated_frames(r['begin_frame'], r['end_frame'])[:2]:
            mode, mask = _mask(root, vid, cc, f)
            assert mode == 'P'
            bodies = _body_file(root, vid, f)['bodies']
            assert set(np.unique(mask)) <= set(range(len(bodies) + 1))
            assert (mask == r['body_id'] + 1).sum() >= MIN_MASK_PIXELS
            nearest = [
                world_to_camera_mm(
                    np.asarray(b['joints19']).reshape(19, 4)[:15, :3]
                    @ LOADER_AXES * 10., cam)[:, 2].min() for b in bodies
            ]
            for b in bodies:
                j = np.asarray(b['joints19']).reshape(19, 4)
                assert (j[:, 3] == 1).all()
                # cm, Panoptic world y down: everybody above the floor
                # (y < 0) and below 2.5 m
                assert (j[:, 1] < 2).all() and (j[:, 1] > -250).all()
                assert -150 < j[2, 1] < 0
                assert np.abs(j[:, [0, 2]]).max() < L.AREA_RADIUS_MM / 10
                pts = (j[:15, :3] @ LOADER_AXES) * 10.
                px = np.round(project_to_image(pts, cam)).astype(int)
                inside = (px[:, 0] >= 0) & (px[:, 0]
                                            < 1920) & (px[:, 1] >= 0) & (
                                                px[:, 1] < 1080)
                vals = mask[px[inside, 1], px[inside, 0]]
                # every joint lands on a person (itself or an occluder)
                assert (vals > 0).all()
                # a joint shows another body only where that body is
                # nearer (painter's order by part depth)
                depth = world_to_camera_mm(pts, cam)[inside, 2]
                for v, z in zip(vals, depth):
                    if v != b['id'] + 1:
                        assert nearest[v - 1] < z + 300.
                checked += 1
    assert checked > 0


def test_referred_person_is_unique(generated):
    calibs = L.find_calibrations()
    for vid, info in generated['info'].items():
        people = info['people']
        scene = None
        for s in info['sentences']:
            me = people[s['body_id']]
            others = [p for p in people if p['body_id'] != s['body_id']]
            code, fact = s['category'][0], s['fact']
            if code == 0:
                for part in fact.split('+'):
                    if '=' in part:
                        key, value = part.split('=')
                        assert me[key] == value
                        assert key == 'build' or value in s['label']
                        assert all(p[key] != value for p in others)
                    elif part == 'tall':
                        assert me['height_m'] - max(p['height_m']
                                                    for p in others) >= 0.069
                    elif part == 'short':
                        assert min(p['height_m']
                                   for p in others) - me['height_m'] >= 0.069
                    else:
                        raise AssertionError(f'unknown fact {fact}')
            elif code == 4:
                assert fact in L.behaviour_verbs(me['clip'])
                assert all(
                    fact not in L.behaviour_verbs(p['clip']) for p in others)
            else:
                if scene is None:
                    scene = L.plan_scene(SEED, int(vid[-5:]), calibs)
                    # the re-planned scene is the one on disk
                    f0 = info['frames'][0]
                    body = _body_file(generated['root'], vid, f0)
                    for p, b in zip(scene.people, body['bodies']):
                        np.testing.assert_allclose(
                            L.coco19_joints(p.joints[f0]).ravel(),
                            b['joints19'],
                            atol=2e-3)
                facts = L.movement_facts(scene, s['begin_frame'],
                                         s['end_frame'])
                assert facts[s['body_id']][fact][0] >= 1
                assert all(f[fact][1] < L.MOVEMENT_CLEAR
                           for i, f in enumerate(facts) if i != s['body_id'])
                if fact.startswith('raise_'):
                    w, sh = (13, 11) if 'left' in fact else (16, 14)
                    span = slice(s['begin_frame'], s['end_frame'])
                    J = scene.people[s['body_id']].joints[span]
                    assert (J[:, w, 2] - J[:, sh, 2]).max() > 100


def test_facts_by_hand():
    """Movement and appearance facts on hand-built people."""
    lib = L.load_motion_library()
    rng = np.random.default_rng(0)
    cam = load_hd_camera(list(L.find_calibrations().values())[0], 16)
    people = []
    clothes = (('red', 'blue'), ('green', 'blue'))
    for i, (shirt, trousers) in enumerate(clothes):
        p = L.sample_person(rng, i, 'walk', shirt, trousers)
        p.build = 'average'
        p.height_m = 1.70 + 0.1 * i
        stand = L.retarget_clip(lib['walk'], p.lengths)[:1] * 1000.
        J = np.repeat(stand, 60, 0)
        J[..., 0] += 1500. * i - 1200.
        J[..., 1] += 1200.
        people.append(p)
        p.joints = J
    # person 0 raises the left wrist 300 mm above the shoulder
    people[0].joints[20:40, 13] = people[0].joints[20:40, 11] + [0, 0, 300]
    # person 1 moves 1.5 m along the camera's horizontal x axis
    cam_x = cam['R'][0, :2] / np.linalg.norm(cam['R'][0, :2])
    people[1].joints[..., :2] += np.linspace(0, 1500, 60)[:, None,
                                                          None] * cam_x
    scene = L.Scene(0, 'scene_00000', 'x', '', 16, cam, 60, people)
    facts = L.movement_facts(scene, 0, 60)
    assert L.unique_movements(facts, 0) == ['raise_left_arm']
    assert 'move_right' in L.unique_movements(facts, 1)
    assert 'move_left' not in L.unique_movements(facts, 1)
    keys0 = [k for k, _ in L.appearance_candidates(people, 0)]
    keys1 = [k for k, _ in L.appearance_candidates(people, 1)]
    assert 'shirt=red' in keys0 and 'short' in keys0
    assert not any('trousers' in k for k in keys0 + keys1)
    assert 'tall+shirt=green' in keys1


def test_occlusion_nearer_person_wins():
    lib = L.load_motion_library()
    rng = np.random.default_rng(1)
    cam = load_hd_camera(list(L.find_calibrations().values())[0], 16)
    # two standing people on the camera's ground ray, 1.5 m apart
    C = cam['T'].ravel()
    ahead = cam['R'][2, :2] / np.linalg.norm(cam['R'][2, :2])
    people = []
    for i, dist in enumerate((3200., 4700.)):
        p = L.sample_person(rng, i, 'walk', 'red', 'blue')
        J = L.retarget_clip(lib['walk'], p.lengths)[:1] * 1000.
        J[..., :2] += C[:2] + ahead * dist - J[0, 0, :2]
        p.joints = J
        people.append(p)
    scene = L.Scene(0, 'scene_00000', 'x', '', 16, cam, 1, people)
    alone = []
    for p in people:
        _, m = L.render_frame(L.Scene(0, 'v', 'x', '', 16, cam, 1, [p]), 0)
        alone.append(m > 0)
    bg = np.full((1080, 1920, 3), 128, np.uint8)
    img, mask = L.render_frame(scene, 0, bg)
    overlap = alone[0] & alone[1]
    assert overlap.sum() > 1000
    assert (mask[overlap] == 1).all()  # body 0 is nearer
    assert ((mask == 2) == (alone[1] & ~alone[0])).all()
    assert (img[mask > 0] != 128).any(-1).all()


def test_determinism(tmp_path):
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    L.write_l3d_scenes(a, 1, seed=3, val_ratio=0., test_ratio=0.)
    L.write_l3d_scenes(b, 1, seed=3, val_ratio=0., test_ratio=0.)
    for name in ('sentences_train.json', 'sentences_val.json',
                 'sentences_test.json'):
        with open(osp.join(a, 'Panoptic-L3D', name)) as f, open(
                osp.join(b, 'Panoptic-L3D', name)) as g:
            assert f.read() == g.read()
    with open(osp.join(a, 'scene_info.json')) as f, open(
            osp.join(b, 'scene_info.json')) as g:
        info = json.load(f)
        assert info == json.load(g)
    x = info[0]
    if x['frames']:
        stem = frame_stem(x['camera_id'], x['frames'][0])
        rel = osp.join('Panoptic-L3D', 'panoptic', x['video_id'], 'hdImgs',
                       hd_camera_name(x['camera_id']), stem + '.jpg')
        with open(osp.join(a, rel), 'rb') as f, open(osp.join(b, rel),
                                                     'rb') as g:
            assert f.read() == g.read()
