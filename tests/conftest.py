# Copyright (c) mmlpose contributors. All rights reserved.
"""Shared pytest set-up: one torch thread, offline hubs, shared sample data."""
import os
import os.path as osp

os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = os.environ.get(
    'MMLPOSE_SHARED_DATA',
    osp.join(osp.dirname(REPO_ROOT), 'shared', 'data', 'mmpose_samples'))


@pytest.fixture(scope='session')
def shared_data() -> str:
    """Folder of mmpose's sample data (H36M, MPI-INF-3DHP, Panoptic)."""
    if not osp.isdir(SHARED_DATA):
        pytest.skip(f'shared sample data not found at {SHARED_DATA}')
    return SHARED_DATA


@pytest.fixture(scope='session', autouse=True)
def _register_modules():
    from mmlpose.utils import register_all_modules
    register_all_modules()


@pytest.fixture(scope='session')
def deepmimic_root(tmp_path_factory) -> str:
    """The DeepMimic mini set, converted once per test session (shared by
    xdist workers through a file lock)."""
    import subprocess
    import sys

    from filelock import FileLock

    base = tmp_path_factory.getbasetemp().parent
    root = base / 'deepmimic'
    with FileLock(str(base / 'deepmimic.lock')):
        ann = root / 'annotation_body3d'
        if not ((ann / 'cameras.pkl').exists() and
                (ann / 'deepmimic_test_texts.json').exists()):
            subprocess.run([
                sys.executable,
                osp.join(REPO_ROOT, 'tools', 'dataset_converters',
                         'deepmimic_to_h36m.py'), '--out-dir',
                str(root)
            ], check=True, capture_output=True)
    return str(root)


@pytest.fixture(scope='session')
def l3d_scenes_root(tmp_path_factory) -> str:
    """Four generated L3D scenes in the Panoptic-L3D layout (2 train, 1 val,
    1 test clip; seed 0), written once per test session (shared by xdist
    workers through a file lock); the ``Panoptic-L3D`` data root."""
    from filelock import FileLock

    from mmlpose.datasets.converters.l3d_scenes import write_l3d_scenes
    base = tmp_path_factory.getbasetemp().parent
    out = base / 'l3d_scenes'
    root = out / 'Panoptic-L3D'
    calib_dir = osp.join(SHARED_DATA, 'panoptic_body3d')
    if not osp.isdir(calib_dir):
        pytest.skip(f'Panoptic calibrations not found at {calib_dir}')
    with FileLock(str(base / 'l3d_scenes.lock')):
        if not (root / 'sentences_test.json').exists():
            write_l3d_scenes(str(out), 4, seed=0, calib_dir=calib_dir)
    return str(root) + '/'
