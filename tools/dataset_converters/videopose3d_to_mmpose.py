# Copyright (c) mmlpose contributors. All rights reserved.
"""Convert VideoPose3D's Human3.6M files into mmpose's H36M npz layout.

Example::

    python tools/dataset_converters/videopose3d_to_mmpose.py \
        --data-3d data/h36m/data_3d_h36m.npz \
        --data-2d data/h36m/data_2d_h36m_cpn_ft_h36m_dbb.npz \
        --camera-file data/h36m/annotation_body3d/cameras.pkl \
        --out-dir data/h36m/annotation_body3d/fps50

writes ``h36m_train.npz`` (S1, S5, S6, S7, S8) and ``h36m_test.npz`` (S9,
S11) for ``Human36mTextDataset``. With ``--det-2d
data_2d_h36m_cpn_ft_h36m_dbb.npz --det-out-dir data/h36m/joint_2d_det_files``
(and ``--data-2d data_2d_h36m_gt.npz``) it also writes
``cpn_ft_h36m_dbb_{train,test}.npy``, aligned with the npz, for
``keypoint_2d_src='detection'``.
"""
import argparse

from mmlpose.datasets.converters import H36M_SPLITS, videopose3d_to_mmpose


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--data-3d', required=True, help='VideoPose3D data_3d_h36m.npz')
    parser.add_argument(
        '--data-2d',
        required=True,
        help='VideoPose3D data_2d_h36m_{gt,cpn_ft_h36m_dbb}.npz; gives '
        '`part` and the boxes')
    parser.add_argument(
        '--camera-file', required=True, help="mmpose's cameras.pkl")
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument(
        '--det-2d',
        help='optional VideoPose3D 2D file to write as aligned '
        '{name}_{split}.npy detection files')
    parser.add_argument(
        '--det-out-dir', help='folder of those npy files (default: --out-dir)')
    parser.add_argument(
        '--sample-rate',
        type=int,
        default=1,
        help='keep every n-th frame (1: 50 fps, 5: 10 fps)')
    parser.add_argument(
        '--splits',
        nargs='+',
        default=list(H36M_SPLITS),
        choices=list(H36M_SPLITS),
        help='splits to write')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    written = videopose3d_to_mmpose(
        args.data_3d,
        args.data_2d,
        args.camera_file,
        args.out_dir,
        splits={s: H36M_SPLITS[s]
                for s in args.splits},
        sample_rate=args.sample_rate,
        det_2d_file=args.det_2d,
        det_out_dir=args.det_out_dir)
    for split, path in written.items():
        print(f'{split}: {path}')
    missing = set(args.splits) - {k.split('_')[0] for k in written}
    if missing:
        print(f'no frames for split(s) {sorted(missing)}: nothing written')


if __name__ == '__main__':
    main()
