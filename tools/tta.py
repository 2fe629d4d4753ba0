# Copyright (c) mmlpose contributors. All rights reserved.
"""Semantics-aware test-time adaptation of a lifter, per video.

``python tools/tta.py CONFIG CHECKPOINT INPUT [--text TEXT] [options]``

INPUT is one of

* a video, an image or a folder: the inferencer (``MMLPoseInferencer``
  with ``adapt=True``) tracks, lifts, refers (``--text``) and adapts; writes
  ``<out-dir>/<name>_3d.json`` (adapted ``keypoints_3d`` and
  ``keypoints_3d_before`` of each adapted track) and prints a summary per
  adapted track;
* a results JSON written by the inferencer (``pred_out_dir``): each track
  is rebuilt from its per-frame 2D and scores and adapted (only the
  referred track when the JSON has one); writes
  ``<out-dir>/<stem>_tta.json`` in the same layout;
* the word ``test``: every ``video_sequences()`` sequence of the config's
  test dataset is adapted and evaluated (MPJPE and P-MPJPE before and
  after, fill-ins, seconds per 100 frames); prints a table and writes
  ``<out-dir>/<config name>_tta_test.json``. (A file or folder named
  ``test`` is given as ``./test``.)

The adaptation settings are the config's ``tta_cfg`` (the default
``SemanticTTA`` when absent); ``--cfg-options tta_cfg.epochs=1`` changes
them. See docs/demo.md ("Test-time adaptation").
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from dataclasses import replace
from typing import Dict, List, Optional

import numpy as np

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from mmengine.config import Config, DictAction  # noqa: E402

DATASET_WORD = 'test'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Adapt a lifter to each test video (semantics-aware '
        'test-time adaptation)')
    parser.add_argument('config', help='lifter config (with a tta_cfg)')
    parser.add_argument('checkpoint', help='lifter checkpoint')
    parser.add_argument(
        'input',
        help='a video, image or folder; a results JSON of the inferencer; '
        f'or "{DATASET_WORD}" for the config\'s test dataset')
    parser.add_argument(
        '--text',
        default=None,
        help='video: the referring sentence (the referred track is adapted '
        'with it as motion text); JSON / test: the motion text of every '
        'adapted track / sequence')
    parser.add_argument(
        '--action-text',
        default=None,
        help='video: the motion text, instead of the sentence')
    parser.add_argument(
        '--out-dir', default='outputs/tta', help='output folder')
    parser.add_argument(
        '--device', default='cpu', help='torch device of the lifter')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. tta_cfg.epochs=1')
    parser.add_argument(
        '--sequence-options',
        nargs='+',
        action=DictAction,
        default={},
        help='test: keyword arguments of the dataset\'s video_sequences(), '
        'e.g. scenes_per_clip=4')
    parser.add_argument(
        '--max-sequences',
        type=int,
        default=None,
        help='test: adapt only the first N sequences')
    parser.add_argument(
        '--max-frames',
        type=int,
        default=None,
        help='only the first N frames of each video / sequence')
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='load checkpoints that need types outside the safe allow-list '
        '(full pickle: only for files you trust)')
    return parser.parse_args(argv)


# --- helpers ----------------------------------------------------------------
def load_config(args: argparse.Namespace) -> Config:
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    for flag in ('max_sequences', 'max_frames'):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ValueError(f'--{flag.replace("_", "-")} must be at least 1')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def _num(value: Optional[float], fmt: str = '.1f') -> str:
    return '-' if value is None else format(value, fmt)


def print_adaptation(adaptation: Dict) -> None:
    """One line per adapted track."""
    from mmlpose.apis.inferencers.lifting_inferencer import adaptation_lines
    print('\n'.join(adaptation_lines(adaptation)) or 'no track adapted')


# --- INPUT: a video, an image or a folder -----------------------------------
def adapt_video(args: argparse.Namespace, cfg: Config) -> List[dict]:
    """The inferencer with ``adapt=True`` on each input."""
    from mmlpose.apis import MMLPoseInferencer
    inferencer = MMLPoseInferencer(
        cfg, weights=args.checkpoint, device=args.device, adapt=True)
    results = []
    for result in inferencer(
            args.input,
            text=args.text,
            action_text=args.action_text,
            max_frames=args.max_frames,
            pred_out_dir=args.out_dir):
        source = result['input'] or result['name']
        if not result['tracks']:
            raise ValueError(f'no person found in {source}')
        print(f'== {source}: {len(result["tracks"])} tracks, referred '
              f'{result["referred_track_id"]}')
        print_adaptation(result['adaptation'])
        print(f'wrote {result["json_path"]}')
        results.append(result)
    return results


# --- INPUT: a results JSON --------------------------------------------------
def tracks_from_json(data: dict, max_frames: Optional[int] = None):
    """The :class:`PersonTrack` of each track of an inferencer JSON (boxes,
    2D, scores and 3D on the frames it lists)."""
    from mmlpose.structures import PersonTrack
    for key in ('frames', 'width', 'height', 'track_ids'):
        if key not in data:
            raise ValueError(f'not a results JSON of the inferencer: no '
                             f'"{key}"')
    frames = data['frames'][:max_frames]
    num_frames = len(frames)
    num_keypoints = len(data.get('joint_names') or ()) or 17
    tracks = {}
    for record in frames:
        i = record['frame']
        for person in record['persons']:
            tid = int(person['track_id'])
            if tid not in tracks:
                tracks[tid] = PersonTrack.empty(tid, num_frames, num_keypoints)
                tracks[tid].keypoints_3d = np.zeros(
                    (num_frames, num_keypoints, 3), np.float32)
                tracks[tid].meta['fps'] = data.get('fps')
            track = tracks[tid]
            track.bboxes[i] = person['bbox']
            track.keypoints_2d[i] = person['keypoints_2d']
            track.keypoint_scores[i] = person['keypoint_scores']
            if person.get('keypoints_3d') is not None:
                track.keypoints_3d[i] = person['keypoints_3d']
            if person.get('keypoints_3d_before') is not None:
                track.meta.setdefault(
                    'keypoints_3d_before',
                    np.zeros_like(track.keypoints_3d))[i] = \
                    person['keypoints_3d_before']
    return [tracks[k] for k in sorted(tracks)], num_frames


def adapt_results_json(args: argparse.Namespace, cfg: Config) -> dict:
    """Adapt the tracks of an inferencer JSON; write ``<stem>_tta.json``."""
    from mmlpose.apis import init_lifter
    from mmlpose.apis.inferencers import LiftingInferencer
    from mmlpose.apis.inferencers.lifting_inferencer import (
        adapt_tracks, adaptation_json, build_adapter, select_tracks_to_adapt)
    try:
        with open(args.input) as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'cannot read results JSON {args.input}: {e}')
    if not isinstance(data, dict):
        raise ValueError(f'not a results JSON of the inferencer: '
                         f'{args.input}')
    tracks, num_frames = tracks_from_json(data, args.max_frames)
    if not tracks:
        raise ValueError(f'no person found in {args.input}')
    referred = data.get('referred_track_id')
    chosen, text = select_tracks_to_adapt(
        tracks, referred if data.get('matched') else None, data.get('text'),
        args.text)
    if not chosen:
        raise ValueError(f'track {referred} has no frame in {args.input}')
    lifter = init_lifter(cfg, args.checkpoint, device=args.device)
    adapter = build_adapter(cfg, True)
    for track in chosen:  # "before" is this lifter's 3D, not the JSON's
        track.keypoints_3d = None
    start = time.perf_counter()
    adaptation = adapt_tracks(adapter, lifter, chosen,
                              (data['width'], data['height']), text)
    seconds = time.perf_counter() - start
    print(f'== {args.input}: {len(tracks)} tracks, referred {referred}')
    print_adaptation(adaptation)

    data = dict(data)
    data['num_frames'] = num_frames
    data['frames'] = LiftingInferencer._frame_records(tracks, num_frames,
                                                      referred)
    data['adaptation'] = adaptation_json(adaptation)
    data['timings'] = dict(data.get('timings') or {}, adapt=round(seconds, 4))
    os.makedirs(args.out_dir, exist_ok=True)
    stem = osp.splitext(osp.basename(args.input))[0]
    path = osp.join(args.out_dir, f'{stem}_tta.json')
    with open(path, 'w') as f:
        json.dump(data, f)
    print(f'wrote {path}')
    data['json_path'] = path
    return data


# --- INPUT: the config's test dataset ----------------------------------------
def sequence_errors(pred: np.ndarray, sequence,
                    root=(0, )) -> Optional[Dict[str, float]]:
    """Root-relative MPJPE and P-MPJPE (mm) of ``pred`` ``(T, K, 3)`` on the
    frames whose ground truth is valid at every joint; None without any.
    The root is the mean of the ``root`` joints (the codec's
    ``root_index``)."""
    from mmlpose.evaluation.functional.real_image_check import pose_errors
    if sequence.keypoints_3d is None:
        return None
    valid = sequence.keypoints_3d_visible.all(axis=1)
    if not valid.any():
        return None
    errors = pose_errors(
        np.asarray(pred, np.float32)[valid], sequence.keypoints_3d[valid],
        root=root)
    return dict(
        mpjpe=errors['mpjpe'],
        p_mpjpe=errors['p_mpjpe'],
        num_eval_frames=int(valid.sum()))


def _root_joints(cfg: Config) -> List[int]:
    """The codec's ``root_index`` as a list of joints."""
    from mmlpose.apis.inference import lifting_codec
    root = getattr(lifting_codec(cfg), 'root_index', 0)
    return [int(i) for i in np.atleast_1d(root)]


def _trim(sequence, max_frames: Optional[int]):
    if max_frames is None or sequence.num_frames <= max_frames:
        return sequence
    cut = slice(0, max_frames)
    return replace(
        sequence,
        keypoints_2d=sequence.keypoints_2d[cut],
        keypoint_scores=sequence.keypoint_scores[cut],
        keypoints_3d=None
        if sequence.keypoints_3d is None else sequence.keypoints_3d[cut],
        keypoints_3d_visible=None if sequence.keypoints_3d_visible is None else
        sequence.keypoints_3d_visible[cut])


def build_test_dataset(cfg: Config):
    """The config's test dataset, which must have ``video_sequences()``."""
    from mmengine.registry import init_default_scope

    from mmlpose.registry import DATASETS
    from mmlpose.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmlpose'))  # transforms
    dataset_cfg = cfg.get('test_dataloader', {}).get('dataset')
    if not dataset_cfg:
        raise ValueError('the config has no test_dataloader.dataset')
    dataset_cls = DATASETS.get(dataset_cfg.get('type', ''))
    name = dataset_cfg.get('type')
    if dataset_cls is not None and not hasattr(dataset_cls, 'video_sequences'):
        raise ValueError(f'dataset {name} has no video_sequences(): it does '
                         'not support per-video adaptation')
    try:
        dataset = DATASETS.build(dataset_cfg)
    except TypeError as e:  # a wrong argument in the dataset config
        raise ValueError(f'cannot build the test dataset {name}: {e}')
    if not hasattr(dataset, 'video_sequences'):
        raise ValueError(f'dataset {name} has no video_sequences(): it does '
                         'not support per-video adaptation')
    return dataset


def _mean(rows: List[dict], key: str, weight: str) -> Optional[float]:
    rows = [r for r in rows if r.get(key) is not None]
    if not rows:
        return None
    w = np.array([r[weight] for r in rows], np.float64)
    return float(np.sum(w * [r[key] for r in rows]) / w.sum())


def print_table(rows: List[dict], overall: dict) -> None:
    head = (f'{"sequence":<32}{"frames":>7}{"MPJPE (mm)":>16}'
            f'{"P-MPJPE (mm)":>16}{"filled":>8}{"s/100f":>8}')
    print(head)
    print(f'{"":<39}{"before   after":>16}{"before   after":>16}')
    print('-' * len(head))
    for r in rows + [overall]:
        print(f'{r["name"][-32:]:<32}{r["num_frames"]:>7}'
              f'{_num(r["mpjpe_before"]):>8}{_num(r["mpjpe_after"]):>8}'
              f'{_num(r["p_mpjpe_before"]):>8}{_num(r["p_mpjpe_after"]):>8}'
              f'{r["filled"]:>8}{r["seconds_per_100_frames"]:>8.2f}')


def adapt_test_dataset(args: argparse.Namespace, cfg: Config) -> dict:
    """Adapt and evaluate every sequence of the config's test dataset."""
    from mmlpose.apis import init_lifter
    from mmlpose.apis.inferencers.lifting_inferencer import (
        adaptation_summary, build_adapter)
    dataset = build_test_dataset(cfg)
    lifter = init_lifter(cfg, args.checkpoint, device=args.device)
    adapter = build_adapter(cfg, True)
    root = _root_joints(cfg)
    rows = []
    try:
        sequences = dataset.video_sequences(**args.sequence_options)
    except TypeError as e:  # an unknown --sequence-options key
        raise ValueError(f'--sequence-options: {e}')
    for idx, sequence in enumerate(sequences):
        if args.max_sequences is not None and idx >= args.max_sequences:
            break
        sequence = _trim(sequence, args.max_frames)
        text = args.text or sequence.action_text
        out = adapter.adapt(lifter, sequence, text=text)
        before = sequence_errors(out.keypoints_3d_before, sequence, root)
        after = sequence_errors(out.keypoints_3d, sequence, root)
        row = dict(
            name=sequence.name,
            mpjpe_before=before and before['mpjpe'],
            mpjpe_after=after and after['mpjpe'],
            p_mpjpe_before=before and before['p_mpjpe'],
            p_mpjpe_after=after and after['p_mpjpe'],
            num_eval_frames=before['num_eval_frames'] if before else 0,
            **adaptation_summary(out, text, sequence.num_frames))
        row['seconds_per_100_frames'] = 100. * row['seconds'] / \
            sequence.num_frames
        rows.append(row)
    if not rows:
        raise ValueError('the test dataset yields no video sequence')
    frames = sum(r['num_frames'] for r in rows)
    seconds = sum(r['seconds'] for r in rows)
    overall = dict(
        name='overall',
        num_frames=frames,
        num_sequences=len(rows),
        num_eval_frames=sum(r['num_eval_frames'] for r in rows),
        filled=sum(r['filled'] for r in rows),
        seconds=seconds,
        seconds_per_100_frames=100. * seconds / frames,
        **{
            key: _mean(rows, key, 'num_eval_frames')
            for key in ('mpjpe_before', 'mpjpe_after', 'p_mpjpe_before',
                        'p_mpjpe_after')
        })
    print_table(rows, overall)
    summary = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        dataset=cfg.test_dataloader.dataset.get('type'),
        tta_cfg=adapter_settings(cfg),
        units=dict(
            mpjpe='mm, root-relative', p_mpjpe='mm, Procrustes-aligned'),
        sequences=rows,
        overall=overall)
    os.makedirs(args.out_dir, exist_ok=True)
    stem = osp.splitext(osp.basename(args.config))[0]
    path = osp.join(args.out_dir, f'{stem}_tta_test.json')
    with open(path, 'w') as f:
        json.dump(summary, f, indent=1)
    print(f'wrote {path}')
    summary['json_path'] = path
    return summary


def adapter_settings(cfg: Config) -> Optional[dict]:
    tta_cfg = cfg.get('tta_cfg')
    return tta_cfg.to_dict() if hasattr(tta_cfg, 'to_dict') else tta_cfg


# --- entry point ------------------------------------------------------------
def run(args: argparse.Namespace):
    cfg = load_config(args)
    if args.input == DATASET_WORD:
        return adapt_test_dataset(args, cfg)
    if not osp.exists(args.input):
        raise FileNotFoundError(f'input not found: {args.input}')
    if args.input.lower().endswith('.json'):
        return adapt_results_json(args, cfg)
    return adapt_video(args, cfg)


def main(argv: Optional[List[str]] = None):
    """Entry point; every expected failure ends in a one-line
    ``SystemExit('error: ...')``."""
    os.environ.setdefault('GLOG_minloglevel', '2')
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    os.environ.setdefault('OPENCV_FFMPEG_LOGLEVEL', '-8')
    args = parse_args(argv)
    if args.unsafe_load:
        from mmlpose.engine.checkpoint import enable_unsafe_loading
        enable_unsafe_loading()
    try:
        return run(args)
    except (ImportError, OSError, ValueError, KeyError) as e:
        message = ' '.join(str(e).split()) or type(e).__name__
        raise SystemExit(f'error: {message}') from None
    except KeyboardInterrupt:
        raise SystemExit('error: interrupted') from None


if __name__ == '__main__':
    main()
