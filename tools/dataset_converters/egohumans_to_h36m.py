# Copyright (c) mmlpose contributors. All rights reserved.
"""Convert EgoHumans sequences into the H36M npz layout, one track per
sequence, exo camera and person (FinePOSE's multi-human protocol).

Example::

    python tools/dataset_converters/egohumans_to_h36m.py \
        --data-root data/egohumans_release --out-dir data/egohumans

reads ``<data-root>/<big>/<seq>/processed_data/fit_poses3d`` and
``colmap/workplace`` of every sequence and writes
``annotation_body3d/egohumans_{train,test}.npz`` and
``annotation_body3d/cameras.pkl`` for ``EgoHumansLiftingDataset``
(see docs/datasets.md).
"""
import argparse
import sys
import time

from mmlpose.datasets.converters.egohumans import (EGOHUMANS_TEST_SEQUENCES,
                                                   convert_egohumans)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--data-root',
        required=True,
        help='EgoHumans release: <big sequence>/<sequence>/ folders')
    parser.add_argument(
        '--out-dir', default='data/egohumans', help='output folder')
    parser.add_argument(
        '--pose-dir',
        default='fit_poses3d',
        help='3D pose folder under processed_data (fit_poses3d, '
        'refine_poses3d or poses3d)')
    parser.add_argument(
        '--test-sequences',
        nargs='+',
        default=list(EGOHUMANS_TEST_SEQUENCES),
        help='big sequences (01_tagging) or <big>/<seq> paths of the test '
        'split; default: the EgoHumans benchmark test set')
    parser.add_argument(
        '--anchor', default='aria01', help='aria whose world the poses use')
    parser.add_argument(
        '--min-joints-in-image',
        type=int,
        default=9,
        help='a person counts as in view of a camera when at least this '
        'many of the 17 joints project inside its image')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.time()
    try:
        counts = convert_egohumans(args.data_root, args.out_dir,
                                   args.test_sequences, args.pose_dir,
                                   args.anchor, args.min_joints_in_image)
    except (FileNotFoundError, KeyError, ValueError) as e:
        sys.exit(f'error: {e}')
    for split, rows in counts.items():
        print(f'{split}: {rows} person-frames')
        if rows == 0:
            print(f'warning: the {split} split is empty: check '
                  '--test-sequences against the sequence folder names')
    print(f'written to {args.out_dir}/annotation_body3d in '
          f'{time.time() - start:.1f} s')


if __name__ == '__main__':
    main()
