# Copyright (c) mmlpose contributors. All rights reserved.
"""3D accuracy of the demo path on real Human3.6M images.

Runs the whole demo path (:class:`mmlpose.apis.MMLPoseInferencer`:
BlazePose detection and 2D, then the lifter; a single image fills the
lifter's window by repetition) on each image of mmpose's H36M sample folder,
and MediaPipe's own monocular 3D (``pose_world_landmarks`` of
``mediapipe.solutions.pose.Pose(static_image_mode=True,
model_complexity=1)``: the same ``pose_landmark_full`` model as the demo) on
the same images. Both are mapped to the 17 H36M joints as the demo's 2D is,
and scored against the ground truth: P-MPJPE (scale, rotation and
translation aligned, mmpose's ``keypoint_mpjpe(..., 'procrustes')``), and
for information MPJPE and N-MPJPE after root alignment, in mm.

A frame where the demo finds several people scores the one the demo shows
(the largest); one where nobody is found has no value. Both are marked in
the ``people`` column, and the means are over the frames with a value. The
``(GT 2D)`` column is the lifter on the ground-truth 2D (H36M's own joints,
no detector): the part of the error that is the lifter's own.

Example::

    python tools/analysis_tools/eval_real_h36m.py
    python tools/analysis_tools/eval_real_h36m.py --model <cfg.py> \\
        --weights <ckpt.pth> --out outputs/real_h36m.json --details
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

DEFAULT_DATA_ROOT = osp.join(
    osp.dirname(REPO_ROOT), 'shared', 'data', 'mmpose_samples', 'h36m')
# lifter_gt2d: the lifter on the ground-truth 2D (no detector, H36M's own
# joint definitions): the share of the error that is the lifter's own.
METHODS = ('mediapipe', 'lifter', 'lifter_gt2d')
METRICS = ('p_mpjpe', 'mpjpe', 'n_mpjpe')


def parse_args(argv=None) -> argparse.Namespace:
    from mmlpose.apis.inferencers.utils.model_index import DEFAULT_MODEL
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--model',
        default=DEFAULT_MODEL,
        help='lifter: model alias, name or config path')
    parser.add_argument('--weights', default=None, help='checkpoint')
    parser.add_argument(
        '--data-root',
        default=DEFAULT_DATA_ROOT,
        help='H36M sample folder (test_h36m_body3d.npz and S*/ images)')
    parser.add_argument('--out', default=None, help='write the results JSON')
    parser.add_argument('--device', default='cpu', help='lifter device')
    parser.add_argument(
        '--threads', type=int, default=1, help='torch and OpenCV threads')
    parser.add_argument(
        '--details',
        action='store_true',
        help='also print per-joint errors and offsets and bone lengths')
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='load checkpoints that need types outside the safe allow-list '
        '(full pickle: only for files you trust)')
    return parser.parse_args(argv)


def _fmt(value: Optional[float], width: int = 9) -> str:
    if value is None or value != value:  # None or NaN
        return f'{"-":>{width}}'
    return f'{value:>{width}.1f}'


def _people_note(num_demo: int, num_mediapipe: int) -> str:
    notes = []
    if num_demo != 1:
        notes.append(f'demo: {num_demo} people, largest scored'
                     if num_demo else 'demo: nobody')
    if num_mediapipe == 0:
        notes.append('mediapipe: nobody')
    return '; '.join(notes)


def evaluate(args: argparse.Namespace) -> dict:
    """Run both methods on every frame; the results as a JSON-ready dict."""
    import cv2
    import numpy as np

    from mmlpose.apis import lift_sequence
    from mmlpose.apis.pose2d import MEDIAPIPE_HINT
    from mmlpose.evaluation.functional import real_image_check as rc
    from mmlpose.structures import H36M_JOINT_NAMES

    samples = rc.load_h36m_samples(args.data_root)
    try:
        import mediapipe as mp
    except ImportError as e:
        raise ImportError(MEDIAPIPE_HINT) from e
    from mmlpose.apis import MMLPoseInferencer
    inferencer = MMLPoseInferencer(
        args.model, weights=args.weights, device=args.device)

    frames, joint_errors, offsets, bones = [], {}, {}, {}
    poses = {m: [] for m in METHODS + ('gt', )}
    with mp.solutions.pose.Pose(
            static_image_mode=True, model_complexity=1) as pose:
        for sample in samples:
            image = cv2.imread(sample['image_path'])
            if image is None:
                raise OSError(f'cannot read image {sample["image_path"]}')
            mp_3d = rc.mediapipe_world_h36m(pose, image)
            result = next(inferencer(sample['image_path']))
            tracks = {t.track_id: t for t in result['tracks']}
            shown = tracks.get(result['referred_track_id'])
            preds = dict.fromkeys(METHODS)
            if mp_3d:
                preds['mediapipe'] = mp_3d[0]['keypoints_3d']
            if shown is not None:
                preds['lifter'] = shown.keypoints_3d[0].astype(np.float64)
            if sample['gt_2d'] is not None:
                preds['lifter_gt2d'] = lift_sequence(
                    inferencer.model, sample['gt_2d'][None],
                    image.shape[1::-1])[0].astype(np.float64)
            gt, visible = sample['gt_3d'], sample['visible']
            record = dict(
                frame=sample['name'],
                image=osp.relpath(sample['image_path'], args.data_root),
                people_demo=len(tracks),
                people_mediapipe=len(mp_3d),
                note=_people_note(len(tracks), len(mp_3d)),
                gt_3d=np.round(gt, 5).tolist())
            for method, pred in preds.items():
                if pred is None:
                    record[method] = None
                    continue
                errors = rc.pose_errors(pred, gt, visible)
                per_joint = rc.procrustes_joint_errors(pred, gt)
                record[method] = dict(
                    errors,
                    joint_errors=np.round(per_joint, 1).tolist(),
                    keypoints_3d=np.round(pred, 5).tolist())
                joint_errors.setdefault(method, []).append(per_joint)
                offsets.setdefault(method, []).append(
                    rc.procrustes_joint_offsets(pred, gt))
                poses[method].append(pred)
            poses['gt'].append(gt)
            if shown is not None and mp_3d:
                # the demo's 2D against mediapipe.solutions' (same model)
                record['demo_vs_mediapipe_2d_px'] = round(
                    float(
                        np.linalg.norm(
                            shown.keypoints_2d[0] - mp_3d[0]['keypoints_2d'],
                            axis=-1).mean()), 2)
            frames.append(record)

    means = {}
    for method in METHODS:
        rows = [f[method] for f in frames if f[method] is not None]
        means[method] = rc.mean_rows([{m: r[m] for m in METRICS}
                                      for r in rows]) if rows else \
            dict.fromkeys(METRICS, float('nan'))
        means[method]['num_frames'] = len(rows)
    per_joint = {}
    for method in joint_errors:
        err = np.mean(joint_errors[method], axis=0)
        off = np.mean(offsets[method], axis=0)
        per_joint[method] = {
            name:
            dict(
                error_mm=round(float(err[j]), 1),
                offset_left_up_forward_mm=np.round(off[j], 1).tolist())
            for j, name in enumerate(H36M_JOINT_NAMES)
        }
    for key, joints in poses.items():
        if joints:
            bones[key] = {
                k: round(1000 * v, 1)
                for k, v in rc.mean_rows([rc.bone_lengths(p)
                                          for p in joints]).items()
            }
    return dict(
        model=args.model,
        weights=args.weights,
        data_root=args.data_root,
        units='mm',
        joint_names=list(H36M_JOINT_NAMES),
        frames=frames,
        mean=means,
        per_joint=per_joint,
        bone_lengths_mm=bones)


def print_table(summary: dict, details: bool = False) -> None:
    """The per-frame table (P-MPJPE, then MPJPE / N-MPJPE after root
    alignment) and the means; with ``details`` the per-joint errors and
    offsets and the mean bone lengths."""
    print(f'model: {summary["model"]}, data: {summary["data_root"]}')
    head = (f'{"frame":<34}{"MP P-MPJPE":>11}{"lift P-MPJPE":>13}'
            f'{"(GT 2D)":>9}'
            f'{"MP MPJPE":>10}{"lift MPJPE":>11}{"MP N-MPJPE":>11}'
            f'{"lift N-MPJPE":>13}  people')
    print(head)

    def row(name: str, values: dict, people: str) -> None:
        mp_, lift = values['mediapipe'] or {}, values['lifter'] or {}
        oracle = values.get('lifter_gt2d') or {}
        print(f'{name:<34}{_fmt(mp_.get("p_mpjpe"), 11)}'
              f'{_fmt(lift.get("p_mpjpe"), 13)}'
              f'{_fmt(oracle.get("p_mpjpe"), 9)}{_fmt(mp_.get("mpjpe"), 10)}'
              f'{_fmt(lift.get("mpjpe"), 11)}{_fmt(mp_.get("n_mpjpe"), 11)}'
              f'{_fmt(lift.get("n_mpjpe"), 13)}  {people}')

    for frame in summary['frames']:
        people = f'{frame["people_demo"]}/{frame["people_mediapipe"]}'
        if frame['note']:
            people += f' ({frame["note"]})'
        row(frame['frame'], frame, people)
    means = summary['mean']
    row(
        'mean', means, f'{means["mediapipe"]["num_frames"]}/'
        f'{means["lifter"]["num_frames"]} frames (MP/lift)')
    if not details:
        return
    print('\nper joint, mean over frames: P-MPJPE-aligned error (mm) and '
          'offset of the prediction from the ground truth along the '
          "person's left / up / forward (mm)")
    for method, joints in summary['per_joint'].items():
        print(f'{method}:')
        for name, value in joints.items():
            off = value['offset_left_up_forward_mm']
            print(f'  {name:<16}{value["error_mm"]:>7.1f}   '
                  f'{off[0]:>7.1f}{off[1]:>7.1f}{off[2]:>7.1f}')
    print('\nmean bone lengths (mm, left and right averaged):')
    bones = summary['bone_lengths_mm']
    print(f'  {"bone":<18}' + ''.join(f'{k:>11}' for k in bones))
    for bone in next(iter(bones.values())):
        print(f'  {bone:<18}' + ''.join(f'{_fmt(bones[k][bone], 11)}'
                                        for k in bones))


def main(argv: Optional[List[str]] = None) -> dict:
    """Evaluate, print the table, write ``--out``; expected failures end
    with ``SystemExit('error: ...')``."""
    args = parse_args(argv)
    if args.unsafe_load:
        from mmlpose.engine.checkpoint import enable_unsafe_loading
        enable_unsafe_loading()
    import cv2
    import torch
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    try:
        summary = evaluate(args)
    except (ImportError, OSError, ValueError, KeyError) as e:
        message = str(e.args[0]) if isinstance(e, KeyError) and e.args \
            else str(e)
        raise SystemExit(f'error: {message.splitlines()[0]}') from None
    print_table(summary, args.details)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(summary, f, indent=1)
        print(f'results written to {args.out}')
    return summary


if __name__ == '__main__':
    os.environ.setdefault('GLOG_minloglevel', '2')
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    main()
