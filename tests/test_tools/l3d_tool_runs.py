# Copyright (c) mmlpose contributors. All rights reserved.
"""Shared by the L3DHPE end-to-end tool tests (cascades, CPP): run a tool
in a subprocess, read its training losses, check the PICI table."""
import json
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ENV = dict(
    os.environ,
    OMP_NUM_THREADS='1',
    PYTHONWARNINGS='ignore',
    HF_HUB_OFFLINE='1',
    TRANSFORMERS_OFFLINE='1')


def run(args):
    """``python *args`` from the repository root; its stdout + stderr."""
    proc = subprocess.run([sys.executable, *args],
                          cwd=REPO,
                          env=ENV,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def training_losses(work_dir):
    """The logged training entries (with ``loss``) of a work dir."""
    (path, ) = [
        osp.join(dp, f) for dp, _, fs in os.walk(work_dir) for f in fs
        if f == 'scalars.json'
    ]
    with open(path) as f:
        return [e for e in map(json.loads, f) if 'loss' in e]


def assert_pici_table(out):
    """tools/test.py printed the per-category table (one row per category
    of the test clip, and overall) and the metric keys."""
    header = next(line for line in out.splitlines()
                  if line.lstrip().startswith('category |'))
    assert 'PICI (%)' in header and 'MPJPE-L (mm)' in header
    for key in ('PICI/', 'MPJPE-L/', 'PICI:', 'MPJPE-L:', 'chance:'):
        assert key in out, key
    rows = [
        line.split('|')[0].strip() for line in out.splitlines()
        if line.split('|')[0].strip() in ('appearance', 'behaviour',
                                          'movement', 'overall')
    ]
    assert 'overall' in rows and len(rows) >= 2
