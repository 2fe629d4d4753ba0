# Copyright (c) mmlpose contributors. All rights reserved.
import importlib.util
import os.path as osp

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO_ROOT, 'tools', 'analysis_tools',
                  'benchmark_inference.py')


def test_benchmark_inference_prints_every_stage(capsys):
    spec = importlib.util.spec_from_file_location('benchmark_inference',
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    summary = module.main([
        '--max-frames', '12', '--text', 'the man on the box', '--repeats',
        '2'
    ])
    out = capsys.readouterr().out
    from mmlpose.apis.inferencers.lifting_inferencer import STAGES
    for stage in STAGES + ('overall', ):
        assert f'\n{stage} ' in out
    assert 'peak resident memory' in out and 'referred track' in out
    assert summary['num_frames'] == 12 and summary['fps'] > 0
    assert summary['timings']['render'] > 0  # the video was drawn
    assert summary['peak_mib'] > 100
