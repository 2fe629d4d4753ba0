# Copyright (c) mmlpose contributors. All rights reserved.
"""Frames per second and peak memory of the demo's rendering: the matplotlib
3D view against the cv2 one, alone and in a full two-person output frame.

    python tools/analysis_tools/benchmark_render.py            # sports2d clip
    python tools/analysis_tools/benchmark_render.py VIDEO --frames 120 \
        --pose-json outputs/demo_3d.json

Cases, each in a fresh subprocess so that its peak memory is its own:

- ``panel``: the 3D view alone (``MatplotlibSkeleton3DRenderer`` vs
  ``Skeleton3DRenderer``), sized as the demo's panel (frame height, square).
- ``compose``: a whole output frame with two people. Matplotlib: the old
  demo composer (frame copy, every person's 2D skeleton, the matplotlib view,
  RGB to BGR). cv2: ``LiftingVisualizer.draw_frame`` (boxes, labels, the
  referred person's mask and caption, the cv2 view).
- ``compose+write``: the same, written to an mp4 by ``VideoWriterThread``
  (encoding overlaps drawing in its thread).

Video frames are decoded once (a pool of ``--pool`` frames spread over the
first ``--frames`` frames of the clip, cycled) and not timed. People are
synthetic (a man raising his arms in the left half, a woman walking from
right to left), or read from the
demo's JSON (``--pose-json``: ``frames[i].persons[j]`` with ``bbox``,
``keypoints_2d``, ``keypoint_scores``, ``keypoints_3d``, ``referred``);
masks are ellipses inside the boxes. ``fps`` is wall-clock (the fastest of
``--repeats`` runs); ``CPU ms`` the process's CPU time per frame, all
threads (encoding included), and ``CPU fps`` its inverse: the rate on one
dedicated CPU, less disturbed by other processes than wall time. ``peak MB``
is the process's peak resident set size; ``added MB`` what the case added
after start-up (frames and modules loaded).
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time
from typing import Tuple

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

CASES = ('panel', 'compose', 'compose+write')
RENDERERS = ('matplotlib', 'cv2')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'video',
        nargs='?',
        default=None,
        help='video to draw on (default: the sports2d demo clip)')
    parser.add_argument(
        '--frames',
        type=int,
        default=60,
        help='timed frames per case (default 60)')
    parser.add_argument(
        '--repeats',
        type=int,
        default=3,
        help='timed runs per case; the fastest counts (default 3)')
    parser.add_argument(
        '--pool',
        type=int,
        default=8,
        help='distinct video frames cycled (default 8)')
    parser.add_argument(
        '--pose-json',
        default=None,
        help="the demo's JSON with people (default: "
        'synthetic people)')
    parser.add_argument(
        '--cases', nargs='+', choices=CASES, default=list(CASES))
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='cv2 threads (default 1: one CPU)')
    parser.add_argument(
        '--json-out',
        default=None,
        help='also write the results to this JSON file')
    parser.add_argument(
        '--single', nargs=2, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux: KB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def current_rss_mb() -> float:
    try:
        with open('/proc/self/statm') as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf('SC_PAGE_SIZE') / 2**20
    except (OSError, ValueError):
        return rss_mb()


def sports2d_video() -> str:
    import importlib.util
    spec = importlib.util.find_spec('Sports2D')
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit('error: no video given and sports2d (which ships '
                         'the default clip) is not installed')
    return osp.join(
        list(spec.submodule_search_locations)[0], 'Demo', 'demo.mp4')


def read_pool(path: str, size: int, span: int):
    """``size`` frames spread over the first ``span`` frames of the video,
    and its fps."""
    import cv2
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise SystemExit(f'error: cannot open video {path}')
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or span
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.
    span = max(1, min(span, count))
    wanted = {round(i * (span - 1) / max(1, size - 1)) for i in range(size)}
    frames = []
    for i in range(span):
        ok, frame = cap.read()
        if not ok:
            break
        if i in wanted:
            frames.append(frame)
    cap.release()
    if not frames:
        raise SystemExit(f'error: no frame read from {path}')
    return frames, fps


# synthetic people ----------------------------------------------------------
def _base_pose():
    """A standing H36M-17 pose, camera axes (y down), metres, root 0."""
    import numpy as np
    return np.array([[0, 0, 0], [-.13, 0, 0], [-.15, .45, .02], [-.15, .88, 0],
                     [.13, 0, 0], [.15, .45, .02], [.15, .88, 0],
                     [0, -.25, .02], [0, -.5, 0], [0, -.6, -.05], [0, -.7, 0],
                     [.18, -.48, 0], [.22, -.2, .05], [.24, .05, 0],
                     [-.18, -.48, 0], [-.22, -.2, .05], [-.24, .05, 0]],
                    np.float64)


def synthetic_people(num_frames: int, width: int, height: int):
    """Per frame: a list of two people (dicts as ``draw_frame`` takes)."""
    import numpy as np
    base = _base_pose()
    frames = []
    for t in range(num_frames):
        phase = t / 30.
        man = base.copy()
        lift = 0.5 - 0.5 * np.cos(phase * 2.)  # arms up and down
        for shoulder, elbow, wrist, sign in ((11, 12, 13, 1), (14, 15, 16,
                                                               -1)):
            man[elbow] = man[shoulder] + (sign * .1 *
                                          (1 + lift), .28 - .56 * lift, 0)
            man[wrist] = man[elbow] + (sign * .05 *
                                       (1 + lift), .27 - .54 * lift, 0)
        woman = base * 0.92
        swing = 0.25 * np.sin(phase * 6.)
        for knee, ankle, sign in ((2, 3, 1), (5, 6, -1)):
            woman[knee, 2] = sign * swing
            woman[ankle, 2] = sign * swing * 1.6
        people = []
        for track_id, pose, cx, scale in ((0, man, 0.3 * width, 0.55 * height),
                                          (1, woman, (0.9 - 0.6 *
                                                      (t % 230) / 230) * width,
                                           0.4 * height)):
            kpts = pose[:, :2] * scale + (cx, 0.55 * height)
            x1, y1 = kpts.min(0) - 0.06 * scale
            x2, y2 = kpts.max(0) + 0.06 * scale
            people.append(
                dict(
                    track_id=track_id,
                    bbox=[x1, y1, x2, y2],
                    keypoints_2d=kpts.astype(np.float32),
                    keypoint_scores=np.full(17, 0.9, np.float32),
                    keypoints_3d=pose.astype(np.float32)))
        frames.append(people)
    return frames, 1


def json_people(path: str):
    """People per frame and the referred track of the demo's JSON."""
    import numpy as np
    with open(path) as f:
        data = json.load(f)
    frames = []
    referred = data.get('referred_track_id')
    for record in data.get('frames', []):
        people = []
        for p in record.get('persons', []):
            if p.get('keypoints_2d') is None:
                continue
            people.append(
                dict(
                    track_id=p['track_id'],
                    bbox=p.get('bbox'),
                    keypoints_2d=np.asarray(p['keypoints_2d'], np.float32),
                    keypoint_scores=np.asarray(p['keypoint_scores'],
                                               np.float32),
                    keypoints_3d=None if p.get('keypoints_3d') is None else
                    np.asarray(p['keypoints_3d'], np.float32)))
            if referred is None and p.get('referred'):
                referred = p['track_id']
        frames.append(people)
    if not any(frames):
        raise SystemExit(f'error: no person with keypoints in {path}')
    return frames, referred


def add_masks(people_frames):
    """An elliptic person mask inside every box: ``(crop, (x0, y0))``."""
    import cv2
    import numpy as np
    for people in people_frames:
        for p in people:
            if p.get('bbox') is None:
                continue
            x1, y1, x2, y2 = (int(round(v)) for v in p['bbox'])
            crop = np.zeros((max(1, y2 - y1), max(1, x2 - x1)), np.uint8)
            h, w = crop.shape
            cv2.ellipse(crop, (w // 2, h // 2), (w // 3, h // 2 - 1), 0, 0,
                        360, 1, -1)
            p['mask'] = (crop.astype(bool), (x1, y1))


# one case -------------------------------------------------------------------
def run_single(args, case: str, renderer: str) -> dict:
    import cv2
    import numpy as np
    cv2.setNumThreads(args.threads)
    from mmlpose.visualization import (LiftingVisualizer,
                                       MatplotlibSkeleton3DRenderer,
                                       Skeleton3DRenderer, VideoWriterThread,
                                       draw_skeleton_2d)

    video = args.video or sports2d_video()
    pool, fps = read_pool(video, args.pool, args.frames)
    height, width = pool[0].shape[:2]
    if args.pose_json:
        people, referred = json_people(args.pose_json)
    else:
        people, referred = synthetic_people(args.frames, width, height)
    add_masks(people)
    text = 'the woman walking across the grass from right to left'
    out_w, out_h = LiftingVisualizer.output_size((width, height))
    panel_w = out_w - width
    start_rss = current_rss_mb()

    def referred_3d(i):
        for p in people[i % len(people)]:
            if p['track_id'] == referred:
                return p.get('keypoints_3d')
        return None

    if renderer == 'matplotlib':
        view = MatplotlibSkeleton3DRenderer(panel_w, out_h, azim_step=1.)

        def compose(frame, persons, i):  # the old demo composer
            out = np.zeros((out_h, out_w, 3), np.uint8)
            out[:height, :width] = frame
            for p in persons:
                draw_skeleton_2d(out[:height, :width], p['keypoints_2d'],
                                 p['keypoint_scores'])
            panel = view.render(referred_3d(i), i, title=f'3D  frame {i}')
            out[:, width:] = cv2.cvtColor(panel, cv2.COLOR_RGB2BGR)
            return out

        def panel(i):
            return view.render(referred_3d(i), i, title=f'3D  frame {i}')
    else:
        view = Skeleton3DRenderer(panel_w, out_h, azim_step=1.)
        visualizer = LiftingVisualizer(azim_step=1.)

        def compose(frame, persons, i):
            return visualizer.draw_frame(
                frame, persons, referred, referred_3d(i), i, text=text)

        def panel(i):
            return view.render(referred_3d(i), i, title=f'3D  frame {i}')

    def timed_run(tmp_dir: str) -> Tuple[float, float]:
        """Wall and CPU (all threads) seconds of ``args.frames`` frames."""
        writer = None
        if case == 'compose+write':
            writer = VideoWriterThread(
                osp.join(tmp_dir, 'out.mp4'), fps, (out_w, out_h))
        start, start_cpu = time.perf_counter(), cpu_seconds()
        for i in range(args.frames):
            if case == 'panel':
                panel(i)
                continue
            frame = pool[min(len(pool) - 1, i * len(pool) // args.frames)]
            canvas = compose(frame, people[i % len(people)], i)
            if writer is not None:
                writer.write(canvas)
        if writer is not None:
            written = writer.close()
            if written != args.frames:
                raise SystemExit(f'error: {written} of {args.frames} frames '
                                 'written')
        return time.perf_counter() - start, cpu_seconds() - start_cpu

    # one warm-up frame, then the timed runs; the fastest counts (the least
    # disturbed by other processes)
    if case == 'panel':
        panel(0)
    else:
        compose(pool[0], people[0], 0)
    with tempfile.TemporaryDirectory() as tmp_dir:
        runs = [timed_run(tmp_dir) for _ in range(args.repeats)]
    seconds = min(wall for wall, _ in runs)
    cpu = min(cpu for _, cpu in runs)
    return dict(
        case=case,
        renderer=renderer,
        frames=args.frames,
        seconds=seconds,
        fps=args.frames / seconds,
        fps_runs=[args.frames / wall for wall, _ in runs],
        cpu_ms=1000 * cpu / args.frames,
        peak_mb=rss_mb(),
        added_mb=rss_mb() - start_rss,
        frame_size=[width, height],
        output_size=[out_w, out_h],
        persons=max(len(p) for p in people))


def main(argv=None):
    args = parse_args(argv)
    if min(args.frames, args.pool, args.repeats) < 1:
        raise SystemExit('error: --frames, --pool and --repeats must be at '
                         'least 1')
    if args.single:
        print(json.dumps(run_single(args, *args.single)))
        return None
    env = dict(os.environ, OMP_NUM_THREADS='1', MPLBACKEND='Agg')
    results = []
    for case in args.cases:
        for renderer in RENDERERS:
            cmd = [
                sys.executable,
                osp.abspath(__file__), '--single', case, renderer, '--frames',
                str(args.frames), '--pool',
                str(args.pool), '--repeats',
                str(args.repeats), '--threads',
                str(args.threads)
            ]
            if args.video:
                cmd.insert(2, args.video)
            if args.pose_json:
                cmd += ['--pose-json', args.pose_json]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr)
                raise SystemExit(f'error: case {case} / {renderer} failed')
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    first = results[0]
    print(f'frame {first["frame_size"][0]}x{first["frame_size"][1]}, output '
          f'{first["output_size"][0]}x{first["output_size"][1]}, '
          f'{first["persons"]} persons, {args.frames} frames, '
          f'{args.threads} cv2 thread(s)')
    print(f'{"case":<15}{"renderer":<12}{"fps":>8}{"ms/frame":>10}'
          f'{"CPU ms":>9}{"CPU fps":>9}{"peak MB":>9}{"added MB":>10}')
    for r in results:
        print(f'{r["case"]:<15}{r["renderer"]:<12}{r["fps"]:>8.1f}'
              f'{1000 / r["fps"]:>10.2f}{r["cpu_ms"]:>9.2f}'
              f'{1000 / r["cpu_ms"]:>9.1f}{r["peak_mb"]:>9.0f}'
              f'{r["added_mb"]:>10.0f}')
    by_key = {(r['case'], r['renderer']): r for r in results}
    for case in args.cases:
        old, new = by_key[(case, 'matplotlib')], by_key[(case, 'cv2')]
        print(f'{case}: cv2 {new["fps"] / old["fps"]:.1f}x the frames/s '
              f'({old["cpu_ms"] / new["cpu_ms"]:.1f}x less CPU time), peak '
              f'memory {new["peak_mb"] - old["peak_mb"]:+.0f} MB')
    if args.json_out:
        with open(args.json_out, 'w') as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == '__main__':
    main()
