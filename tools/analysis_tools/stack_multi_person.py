# Copyright (c) mmlpose contributors. All rights reserved.
"""Stack the per-person predictions of a multi-human test run (EgoHumans)
into one ``(P, T, K, 3)`` array per view.

Example::

    python tools/test.py \
        configs/finepose/finepose_512d-243frm_1xb4-100e_egohumans.py \
        finepose_egohumans.pth --out results.pkl
    python tools/analysis_tools/stack_multi_person.py results.pkl stacked.npz

``stacked.npz`` holds, per view ``S01-001_tagging.cam01``,
``<view>:keypoints`` (P, T, K, 3), ``<view>:predicted`` (P, T),
``<view>:person_ids`` (P,) and ``<view>:frame_ids`` (T,).
"""
import argparse
import os.path as osp
import sys

import mmengine
import numpy as np

from mmlpose.evaluation import stack_person_predictions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('results', help='pickle written by tools/test.py '
                        '--out')
    parser.add_argument('out', help='output .npz')
    args = parser.parse_args()
    if not osp.isfile(args.results):
        sys.exit(f'error: results file not found: {args.results}')
    try:
        stacks = stack_person_predictions(mmengine.load(args.results))
    except KeyError as e:
        sys.exit(f'error: {e.args[0]}')
    if not stacks:
        sys.exit(f'error: {args.results} holds no prediction')
    np.savez(
        args.out, **{
            f'{view}:{key}': value
            for view, stack in stacks.items() for key, value in stack.items()
        })
    for view, stack in stacks.items():
        people, frames = stack['predicted'].shape
        print(f'{view}: {people} people x {frames} frames, '
              f'{int(stack["predicted"].sum())} person-frames predicted')
    print(f'written to {args.out}')


if __name__ == '__main__':
    main()
