# Copyright (c) mmlpose contributors. All rights reserved.
"""Generate synthetic Panoptic-L3D scenes (real DeepMimic motions, real
Panoptic HD cameras) in the released Panoptic-L3D layout.

Example::

    python tools/dataset_converters/generate_l3d_scenes.py \
        --out-dir data/l3d_scenes --num-clips 300 --seed 0

writes ``data/l3d_scenes/Panoptic-L3D/`` (``sentences_{train,val,test}.json``,
``storage_mask/``, ``panoptic/``), ``l3d_scenes_summary.json``,
``scene_info.json`` and ``README.md``. Only the frames the loader reads are
rendered (see :mod:`mmlpose.datasets.converters.l3d_scenes`). Calibrations
come from ``--calib-dir`` (default ``$MMLPOSE_SHARED_DATA/panoptic_body3d``,
root ``/work/shared/data/mmpose_samples``).
"""
import argparse
import json
import sys


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--out-dir', default='data/l3d_scenes', help='output folder')
    parser.add_argument(
        '--num-clips', type=int, default=300, help='number of scenes')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--calib-dir',
        default=None,
        help='folder of <seq>/calibration_<seq>.json (default: the shared '
        'panoptic_body3d samples; env MMLPOSE_SHARED_DATA overrides the root)')
    parser.add_argument(
        '--cameras',
        type=int,
        nargs='+',
        default=[16, 30],
        help='HD camera nodes to draw from')
    parser.add_argument(
        '--val-ratio', type=float, default=0.1, help='share of val clips')
    parser.add_argument(
        '--test-ratio', type=float, default=0.15, help='share of test clips')
    parser.add_argument(
        '--motion-dir',
        default=None,
        help="DeepMimic clips folder (default: pybullet_data's motions)")
    parser.add_argument(
        '--workers', type=int, default=1, help='worker processes')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmlpose.datasets.converters.l3d_scenes import write_l3d_scenes
    try:
        summary = write_l3d_scenes(
            args.out_dir,
            args.num_clips,
            seed=args.seed,
            val_ratio=args.val_ratio,
            test_ratio=args.test_ratio,
            cameras=args.cameras,
            calib_dir=args.calib_dir,
            motion_dir=args.motion_dir,
            workers=args.workers,
            verbose=True)
    except (FileNotFoundError, ValueError, KeyError, ImportError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=1))
    print(f'{summary["clips_per_s"]:.2f} clips/s, '
          f'{summary["mb_per_clip"]:.2f} MB per clip, '
          f'{summary["seconds"]:.1f} s in all -> {summary["data_root"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
