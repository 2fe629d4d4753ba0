# Copyright (c) mmlpose contributors. All rights reserved.
"""Throughput of the inference path, stage by stage.

Runs :class:`mmlpose.apis.MMLPoseInferencer` on a video (default: the
sports2d two-person clip) ``--repeats`` times and prints, per stage (decode,
detect, track, 2D, lift, refer, render), the seconds and frames per second
of the fastest run, the end-to-end frames per second, and the peak resident
memory. ``--threads`` sets torch's, OpenCV's and the BlazePose TFLite
interpreters' thread counts.

Example::

    python tools/analysis_tools/benchmark_inference.py --text \\
        "the woman walking across the grass" --repeats 2
    python tools/analysis_tools/benchmark_inference.py my_clip.mp4 \\
        --model d3dp-tiny-deepmimic --no-render
"""
import argparse
import os
import os.path as osp
import resource
import sys
import tempfile
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('input', nargs='?', default=None,
                        help='video (default: the sports2d demo clip)')
    from mmlpose.apis.inferencers.utils.model_index import DEFAULT_MODEL
    parser.add_argument('--model', default=DEFAULT_MODEL,
                        help='model alias, name or config path')
    parser.add_argument('--weights', default=None, help='checkpoint')
    parser.add_argument('--text', default=None, help='referring sentence')
    parser.add_argument('--max-frames', type=int, default=None)
    parser.add_argument('--repeats', type=int, default=1,
                        help='runs; the fastest is reported')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch, OpenCV and TFLite interpreter threads')
    parser.add_argument('--no-render', action='store_true',
                        help='skip drawing and writing the video')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='load checkpoints that need types outside the safe allow-list '
        '(full pickle: only for files you trust)')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.unsafe_load:
        from mmlpose.engine.checkpoint import enable_unsafe_loading
        enable_unsafe_loading()
    import cv2
    import torch
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    from mmlpose.apis import MMLPoseInferencer
    from mmlpose.apis.inferencers import sports2d_demo_video
    path = args.input or sports2d_demo_video()
    start = time.perf_counter()
    pose2d = dict(
        type='MultiPersonPose2D',
        detector=dict(type='BlazePoseDetector', num_threads=args.threads),
        landmarker=dict(type='BlazePoseLandmarker', num_threads=args.threads))
    inferencer = MMLPoseInferencer(
        args.model, weights=args.weights, device=args.device, pose2d=pose2d)
    load = time.perf_counter() - start
    best = None
    with tempfile.TemporaryDirectory() as out_dir:
        for _ in range(max(1, args.repeats)):
            kwargs = dict(text=args.text, max_frames=args.max_frames)
            if not args.no_render:
                kwargs['vis_out_dir'] = out_dir
            result = next(inferencer(path, **kwargs))
            if best is None or result['total_seconds'] < \
                    best['total_seconds']:
                best = result
    n = best['num_frames']
    print(f'input: {path} ({n} frames, {best["width"]}x{best["height"]}, '
          f'{len(best["tracks"])} tracks), model: {args.model}, '
          f'threads: {args.threads}')
    print(f'load (once): {load:.2f} s')
    print(f'{"stage":<10}{"seconds":>10}{"ms/frame":>10}{"fps":>10}')
    from mmlpose.apis.inferencers.lifting_inferencer import STAGES
    for stage in STAGES:
        secs = best['timings'].get(stage, 0.)
        fps = f'{n / secs:.1f}' if secs >= 1e-3 else '-'
        print(f'{stage:<10}{secs:>10.2f}{1000 * secs / n:>10.1f}{fps:>10}')
    total = best['total_seconds']
    print(f'{"overall":<10}{total:>10.2f}{1000 * total / n:>10.1f}'
          f'{n / total:>10.1f}')
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'peak resident memory: {peak:.0f} MiB')
    if args.text is not None:
        print(f'referred track: {best["referred_track_id"]}, scores: ' +
              ', '.join(f'{k}: {v:.3f}' for k, v in best['scores'].items()))
    return dict(
        fps=n / total, timings=best['timings'], num_frames=n, peak_mib=peak)


if __name__ == '__main__':
    os.environ.setdefault('GLOG_minloglevel', '2')
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    main()
