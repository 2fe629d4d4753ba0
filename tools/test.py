# Copyright (c) mmlpose contributors. All rights reserved.
"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.
"""
import argparse
import os.path as osp

from _common import (add_runtime_args, add_unsafe_load_arg,
                     enable_visualization, load_config, run_runner,
                     set_work_dir, setup_local_rank)

from mmlpose.engine import CheckpointError, teardown_distributed
from mmlpose.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description='Evaluate a pose model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the directory to save evaluation results')
    parser.add_argument(
        '--out', help='save the predictions to this .pkl file')
    parser.add_argument(
        '--show-dir',
        help='directory where visualized predictions are saved')
    add_unsafe_load_arg(parser)
    add_runtime_args(parser, 'model.test_cfg.flip_test=False')
    args = parser.parse_args()
    setup_local_rank(args.local_rank)
    return args


def main():
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'error: checkpoint not found: {args.checkpoint}')
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config, args.cfg_options, args.launcher)
    set_work_dir(cfg, args.work_dir, args.config)
    cfg.load_from = args.checkpoint
    if args.unsafe_load:
        cfg.unsafe_load = True
    enable_visualization(cfg, args.show_dir)
    if args.out:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise SystemExit('error: --out must end with .pkl or .pickle')
        dump_metric = dict(type='DumpResults', out_file_path=args.out)
        evaluator = cfg.test_evaluator
        evaluator = list(evaluator) if isinstance(evaluator,
                                                  (list, tuple)) else [
                                                      evaluator]
        cfg.test_evaluator = evaluator + [dump_metric]
    try:
        metrics, rank = run_runner(cfg, 'test')
    except (FileNotFoundError, CheckpointError) as e:  # data root, ckpt, ...
        raise SystemExit(f'error: {e}') from None
    finally:
        teardown_distributed()
    if metrics and rank == 0:  # one table, not one per rank
        width = max(len(k) for k in metrics)
        print('\n'.join(f'{k:<{width}}  {v:.2f}' if isinstance(v, float)
                        else f'{k:<{width}}  {v}'
                        for k, v in metrics.items()))


if __name__ == '__main__':
    main()
