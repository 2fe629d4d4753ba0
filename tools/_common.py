# Copyright (c) mmlpose contributors. All rights reserved.
"""Shared set-up of tools/train.py and tools/test.py."""
import os
import os.path as osp
import sys

# Allow running the tools from a checkout without installing the package.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402


def load_config(path: str, cfg_options=None, launcher: str = 'none'):
    """Load a config with overrides; set up gloo when no GPU is present."""
    if not osp.isfile(path):
        raise SystemExit(f'error: config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    from mmlpose.engine import setup_cpu_distributed
    setup_cpu_distributed(cfg)
    return cfg


def set_work_dir(cfg, work_dir, config_path: str) -> None:
    """``--work-dir`` > ``cfg.work_dir`` > ``work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])


def setup_local_rank(local_rank: int) -> None:
    """Export LOCAL_RANK for launchers that pass ``--local-rank``."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(local_rank)


def add_runtime_args(parser, cfg_example: str) -> None:
    """``--cfg-options``, ``--launcher`` and ``--local-rank``, shared by
    train.py and test.py."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help=f'override config settings, e.g. {cfg_example}')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def add_unsafe_load_arg(parser) -> None:
    """``--unsafe-load``: unpickle checkpoints without restriction."""
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='load checkpoints that need types outside the safe allow-list '
        '(full pickle: only for files you trust, a crafted checkpoint runs '
        'arbitrary code)')


def build_runner(cfg):
    """The config's runner: ``runner_type`` (``MMLPoseRunner`` from
    default_runtime.py: safe, strict loading, atomic saves, bit-exact
    resume), else mmengine's ``Runner``."""
    if 'runner_type' in cfg:
        from mmlpose.registry import RUNNERS
        return RUNNERS.build(cfg)
    from mmengine.runner import Runner
    return Runner.from_cfg(cfg)


def run_runner(cfg, method: str):
    """Build the config's runner and call ``runner.train()`` or
    ``runner.test()``; return ``(result, rank)``.

    The runner is not returned, so that after this call nothing outside its
    own reference cycles holds it and
    :func:`mmlpose.engine.teardown_distributed` can free it (and the DDP
    wrapper's hold on the process group) before destroying the group.
    """
    runner = build_runner(cfg)
    return getattr(runner, method)(), runner.rank


def enable_visualization(cfg, show_dir) -> None:
    """``--show-dir``: turn the visualization hook on, writing to it."""
    if show_dir:
        vis = cfg.default_hooks.setdefault('visualization', {})
        vis['enable'] = True
        vis['out_dir'] = show_dir
