# Copyright (c) mmlpose contributors. All rights reserved.
"""Convert pybullet's DeepMimic clips into a mini H36M-layout data set.

Example::

    python tools/dataset_converters/deepmimic_to_h36m.py \
        --out-dir data/deepmimic

writes ``annotation_body3d/deepmimic_train.npz``,
``annotation_body3d/deepmimic_test.npz`` and ``annotation_body3d/cameras.pkl``
for ``Human36mTextDataset`` (see docs/deepmimic.md), and the per-frame
fine-grained texts and action labels ``deepmimic_{train,test}_texts.json``
for ``DeepMimicTextDataset`` (LangPose).
"""
import argparse
import sys
import time

from mmlpose.datasets.converters.deepmimic import (TEST_CLIPS,
                                                   convert_deepmimic)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--out-dir', default='data/deepmimic', help='output folder')
    parser.add_argument(
        '--motion-dir',
        default=None,
        help='folder of humanoid3d_*.txt (and walker/*.txt) clips; default: '
        "pybullet_data's data/motions")
    parser.add_argument(
        '--urdf',
        default=None,
        help="humanoid URDF; default: pybullet_data's humanoid/humanoid.urdf")
    parser.add_argument(
        '--fps', type=float, default=30., help='output frame rate')
    parser.add_argument(
        '--num-cameras', type=int, default=8, help='virtual cameras')
    parser.add_argument(
        '--test-clips',
        nargs='+',
        default=list(TEST_CLIPS),
        help='clips held out for the test split')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.time()
    try:
        counts = convert_deepmimic(args.out_dir, args.motion_dir, args.urdf,
                                   args.fps, args.num_cameras, args.test_clips)
    except (ImportError, FileNotFoundError, ValueError) as e:
        sys.exit(f'error: {e}')
    for split, clips in counts.items():
        frames = sum(clips.values())
        print(f'{split}: {len(clips)} clips, {frames} frames x '
              f'{args.num_cameras} cameras = {frames * args.num_cameras} '
              f'samples; ' + ', '.join(f'{n} ({c})' for n, c in clips.items()))
    print(f'written to {args.out_dir}/annotation_body3d (npz, texts json, '
          f'cameras.pkl) in '
          f'{time.time() - start:.1f} s')


if __name__ == '__main__':
    main()
