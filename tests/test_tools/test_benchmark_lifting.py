# Copyright (c) mmlpose contributors. All rights reserved.
"""The sampling benchmark runs and prints one row per setting (no timing
assertions: speed is measured by the benchmark itself, not by tests)."""
import os
import os.path as osp
import re
import subprocess
import sys


REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_benchmark_prints_a_row_per_setting():
    proc = subprocess.run([
        sys.executable, 'tools/analysis_tools/benchmark_lifting.py',
        'configs/d3dp/d3dp_tiny-27frm_1xb32-40e_deepmimic.py', '--frames',
        '9', '--hypotheses', '2', '--steps', '1', '--batch-sizes', '1', '2',
        '--flip', 'on', 'off', '--repeats', '1'
    ], cwd=REPO, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = re.findall(
        r'^mmlpose\s+(\d+)\s+(on|off)\s+fp32\s+([\d.]+)\s+([\d.]+)\s+(\d+)',
        proc.stdout, re.M)
    assert sorted((b, f) for b, f, *_ in rows) == [('1', 'off'), ('1', 'on'),
                                                   ('2', 'off'), ('2', 'on')]
    for *_, per_clip, clips_per_s, memory in rows:
        assert float(per_clip) > 0 and float(clips_per_s) > 0
        assert int(memory) > 0


def test_check_outputs_needs_the_authors_repo():
    proc = subprocess.run([
        sys.executable, 'tools/analysis_tools/benchmark_lifting.py',
        'configs/d3dp/d3dp_tiny-27frm_1xb32-40e_deepmimic.py',
        '--check-outputs'
    ], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert '--check-outputs needs --authors-repo' in proc.stderr


def test_versus_times_lifters_side_by_side():
    proc = subprocess.run([
        sys.executable, 'tools/analysis_tools/benchmark_lifting.py',
        'configs/mixste/mixste_tiny-27frm_1xb32-60e_deepmimic.py', '--versus',
        'configs/d3dp/d3dp_tiny-27frm_1xb32-40e_deepmimic.py',
        '--batch-sizes', '2', '--repeats', '1'
    ], cwd=REPO, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = re.findall(
        r'^(\S+)\s+27\s+2\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+([\d.]+)x$',
        proc.stdout, re.M)
    names = [r[0] for r in rows]
    assert names == ['mixste_tiny-27frm_1xb32-60e_deepmimic',
                     'd3dp_tiny-27frm_1xb32-40e_deepmimic']
    # the first config is the reference; time ratios follow the s/clip
    (_, base, *_, one), (_, other, *_, ratio) = rows
    assert float(one) == 1.0
    # the printed s/clip are rounded: the ratio (of the unrounded times)
    # lies within what the rounding allows
    half = 0.5 * 10**-min(len(base.split('.')[-1]), len(other.split('.')[-1]))
    low = (float(other) - half) / (float(base) + half)
    high = (float(other) + half) / max(float(base) - half, 1e-9)
    assert low * 0.98 <= float(ratio) <= high * 1.02, (base, other, ratio)
