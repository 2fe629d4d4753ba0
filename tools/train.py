# Copyright (c) mmlpose contributors. All rights reserved.
"""Train a model from a config: ``python tools/train.py CONFIG [options]``."""
import argparse

from _common import (add_runtime_args, add_unsafe_load_arg,
                     enable_visualization, load_config, run_runner,
                     set_work_dir, setup_local_rank)

from mmlpose.engine import CheckpointError, teardown_distributed
from mmlpose.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description='Train a pose model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest '
        'checkpoint in the work dir when no path is given')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual batch size')
    parser.add_argument(
        '--show-dir',
        help='directory where visualized predictions of validation are saved')
    add_unsafe_load_arg(parser)
    add_runtime_args(parser, 'train_cfg.max_epochs=2')
    args = parser.parse_args()
    setup_local_rank(args.local_rank)
    return args


def merge_args(cfg, args):
    """Apply command-line flags to the config."""
    set_work_dir(cfg, args.work_dir, args.config)
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper not in ('OptimWrapper', 'AmpOptimWrapper',
                                 'CPUAutocastOptimWrapper'):
            raise SystemExit('error: --amp needs an OptimWrapper config, got '
                             f'{optim_wrapper}')
        import torch
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        else:  # mmengine's AmpOptimWrapper needs a GPU: bfloat16 autocast
            cfg.optim_wrapper.type = 'CPUAutocastOptimWrapper'
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.unsafe_load:
        cfg.unsafe_load = True
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', {})['enable'] = True
    enable_visualization(cfg, args.show_dir)
    return cfg


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = merge_args(load_config(args.config, args.cfg_options,
                                 args.launcher), args)
    try:
        run_runner(cfg, 'train')
    except (FileNotFoundError, CheckpointError) as e:  # data root, ckpt, ...
        raise SystemExit(f'error: {e}') from None
    finally:
        teardown_distributed()


if __name__ == '__main__':
    main()
