# Copyright (c) mmlpose contributors. All rights reserved.
import importlib.util
import json
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'benchmark_render.py')


@pytest.fixture(scope='module')
def bench():
    if importlib.util.find_spec('Sports2D') is None:
        pytest.skip('sports2d (the benchmark clip) is not installed')
    spec = importlib.util.spec_from_file_location('benchmark_render', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('case,renderer', [('panel', 'matplotlib'),
                                           ('compose+write', 'cv2')])
def test_single_case_on_the_clip(bench, case, renderer, capsys):
    bench.main(['--single', case, renderer, '--frames', '3', '--pool', '2'])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result['frame_size'] == [1768, 994]
    assert result['output_size'] == [1768 + 994, 994]
    assert result['persons'] == 2 and result['frames'] == 3
    assert result['fps'] > 0 and result['peak_mb'] > 0


def test_people_from_the_demo_json(bench, tmp_path):
    keypoints = [[100. + 5 * j, 100. + 10 * j] for j in range(17)]
    person = dict(
        track_id=4,
        bbox=[90, 90, 200, 280],
        keypoints_2d=keypoints,
        keypoint_scores=[0.9] * 17,
        keypoints_3d=[[0., 0., 0.]] * 17,
        referred=True)
    path = tmp_path / 'demo_3d.json'
    path.write_text(
        json.dumps(
            dict(
                referred_track_id=None,
                frames=[dict(frame=0, persons=[person])])))
    people, referred = bench.json_people(str(path))
    assert referred == 4 and people[0][0]['keypoints_2d'].shape == (17, 2)
    bench.add_masks(people)
    crop, (x0, y0) = people[0][0]['mask']
    assert crop.shape == (190, 110) and (x0, y0) == (90, 90) and crop.any()
    path.write_text(json.dumps(dict(frames=[dict(frame=0, persons=[])])))
    with pytest.raises(SystemExit, match='no person'):
        bench.json_people(str(path))
