# Copyright (c) mmlpose contributors. All rights reserved.
"""Video or image -> 2D pose (MediaPipe BlazePose) -> 3D pose (a lifter).

Writes ``<name>_3d.mp4`` (the frame with its 2D skeleton beside a rotating 3D
view) and ``<name>_3d.json`` (2D and 3D keypoints per frame) under
``--out-dir``; an image gives ``<name>_3d.jpg`` (or ``.png``) and the JSON.
Frames without a person are ``null`` in the JSON; for lifting only, their 2D
keypoints are interpolated from the neighbouring frames. See docs/demo.md.

Example::

    python demo/lifting_demo.py                      # the sports2d clip
    python demo/lifting_demo.py my_video.mp4 --max-frames 100
    python demo/lifting_demo.py photo.jpg --out-dir outputs/photo
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from mmlpose.apis import H36M_JOINT_NAMES  # noqa: E402
from mmlpose.apis import MediaPipePose2D  # noqa: E402
from mmlpose.apis import fill_missing_frames  # noqa: E402
from mmlpose.apis import init_lifter, lift_sequence  # noqa: E402

DEFAULT_CONFIG = osp.join(
    REPO_ROOT, 'configs/mixste/mixste_tiny-27frm_1xb32-60e_deepmimic.py')
DEFAULT_CHECKPOINT = osp.join(REPO_ROOT,
                              'checkpoints/mixste_tiny_deepmimic.pth')
IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
SPORTS2D_HINT = 'pip install sports2d==0.8.34 --no-deps'
SECONDS_PER_TURN = 12.  # the 3D view turns once in this many seconds
ONCE_STAGES = ('load lifter', )  # not per frame: no fps


class DemoError(Exception):
    """A user-facing error, printed as one line."""


def sports2d_demo_video() -> str:
    """Path of ``Demo/demo.mp4`` shipped in the sports2d package."""
    import importlib.util
    spec = importlib.util.find_spec('Sports2D')
    if spec is None or not spec.submodule_search_locations:
        raise DemoError('no input given and sports2d, which ships the '
                        f'default clip, is not installed: {SPORTS2D_HINT}')
    path = osp.join(
        list(spec.submodule_search_locations)[0], 'Demo', 'demo.mp4')
    if not osp.isfile(path):
        raise DemoError(f'the sports2d package has no demo clip at {path}')
    return path


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Lift 2D poses from a video or an image to 3D.')
    parser.add_argument(
        'input',
        nargs='?',
        default=None,
        help='video or image (jpg/png) path; default: the sports2d demo clip')
    parser.add_argument(
        '--config', default=DEFAULT_CONFIG, help='lifter config file')
    parser.add_argument(
        '--checkpoint', default=DEFAULT_CHECKPOINT, help='lifter checkpoint')
    parser.add_argument(
        '--out-dir', default='outputs/demo', help='output folder')
    parser.add_argument(
        '--device', default='cpu', help='torch device of the lifter')
    parser.add_argument(
        '--max-frames',
        type=int,
        default=None,
        help='process only the first N frames of a video')
    parser.add_argument(
        '--no-video',
        action='store_true',
        help='write only the JSON, not the rendered video or image')
    return parser.parse_args(argv)


def _repo_path(path: str) -> str:
    """A relative path that is not found from the working folder is looked
    up from the repository root (where the default config lives)."""
    if osp.isabs(path) or osp.exists(path):
        return path
    in_repo = osp.join(REPO_ROOT, path)
    return in_repo if osp.exists(in_repo) else path


def _check_model_files(config: str, checkpoint: str) -> Tuple[str, str]:
    config, checkpoint = _repo_path(config), _repo_path(checkpoint)
    if not osp.isfile(config):
        raise DemoError(f'config not found: {config}')
    if not osp.isfile(checkpoint):
        name = osp.splitext(osp.basename(config))[0]
        raise DemoError(
            f'checkpoint not found: {checkpoint}; produce it with '
            f'`python tools/train.py {config}` then copy the best checkpoint '
            f'from work_dirs/{name}/ to {checkpoint}')
    return config, checkpoint


def _open_video(path: str):
    import cv2
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise DemoError(f'cannot read video {path}: not a video file or an '
                        'unsupported or corrupt one')
    return cap


def _read_frames(path: str,
                 max_frames: Optional[int] = None) -> Iterator[np.ndarray]:
    """Yield the BGR frames of a video, at most ``max_frames``."""
    cap = _open_video(path)
    try:
        count = 0
        while max_frames is None or count < max_frames:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            count += 1
            yield frame
    finally:
        cap.release()


def _video_info(path: str, max_frames: Optional[int]) -> Tuple[float, int]:
    """``(fps, frame count from the header or 0)``."""
    import cv2
    cap = _open_video(path)
    fps = cap.get(cv2.CAP_PROP_FPS)
    count = int(max(cap.get(cv2.CAP_PROP_FRAME_COUNT), 0))
    cap.release()
    if not np.isfinite(fps) or fps <= 0:
        fps = 30.
    if max_frames is not None:
        count = min(count, max_frames) if count else max_frames
    return float(fps), count


def _round(array: Optional[np.ndarray], ndigits: int) -> Optional[list]:
    if array is None:
        return None
    return np.round(np.asarray(array, dtype=np.float64), ndigits).tolist()


def _frame_records(keypoints_2d: np.ndarray, scores: np.ndarray,
                   keypoints_3d: np.ndarray, valid: np.ndarray) -> List[dict]:
    records = []
    for i, ok in enumerate(valid):
        records.append(
            dict(
                frame=i,
                keypoints_2d=_round(keypoints_2d[i], 2) if ok else None,
                keypoint_scores=_round(scores[i], 4) if ok else None,
                keypoints_3d=_round(keypoints_3d[i], 5) if ok else None))
    return records


def _write_json(path: str, source_key: str, source: str, fps: Optional[float],
                size: Tuple[int, int], records: List[dict]) -> None:
    w, h = size
    result = {
        source_key: source,
        'fps': fps,
        'width': w,
        'height': h,
        'joint_names': list(H36M_JOINT_NAMES),
        'keypoints_2d_units': 'pixels',
        'keypoints_3d_units': 'metres, root-relative, camera axes '
        '(x right, y down, z forward)',
        'frames': records,
    }
    with open(path, 'w') as f:
        json.dump(result, f)


class _Composer:
    """Frame with its 2D overlay beside the 3D view, even-sized for mp4v."""

    def __init__(self, width: int, height: int, azim_step: float) -> None:
        from mmlpose.visualization import Skeleton3DRenderer
        self.width, self.height = width, height
        self.out_h = height + height % 2
        self.panel_w = self.out_h + width % 2
        self.renderer = Skeleton3DRenderer(
            self.panel_w, self.out_h, azim_step=azim_step)

    @property
    def size(self) -> Tuple[int, int]:
        return self.width + self.panel_w, self.out_h

    def __call__(self, frame: np.ndarray, idx: int,
                 keypoints_2d: Optional[np.ndarray],
                 scores: Optional[np.ndarray],
                 keypoints_3d: Optional[np.ndarray]) -> np.ndarray:
        import cv2

        from mmlpose.visualization import draw_skeleton_2d
        if frame.shape[:2] != (self.height, self.width):
            frame = cv2.resize(frame, (self.width, self.height))
        out = np.zeros((self.out_h, self.width + self.panel_w, 3), np.uint8)
        out[:self.height, :self.width] = frame
        view = out[:self.height, :self.width]
        if keypoints_2d is not None:
            draw_skeleton_2d(view, keypoints_2d, scores)
        else:
            cv2.putText(view, 'no person', (20, 60), cv2.FONT_HERSHEY_SIMPLEX,
                        1.5, (0, 0, 255), 3, cv2.LINE_AA)
        panel = self.renderer.render(
            keypoints_3d, idx, title=f'3D  frame {idx}')
        out[:, self.width:] = cv2.cvtColor(panel, cv2.COLOR_RGB2BGR)
        return out


def _stage(times: Dict[str, float], name: str, start: float) -> float:
    now = time.perf_counter()
    times[name] = times.get(name, 0.) + now - start
    return now


def _print_speed(times: Dict[str, float], num_frames: int,
                 total: float) -> None:
    """Seconds and frames per second of each stage and overall."""
    print(f'{"stage":<14}{"frames":>8}{"seconds":>10}{"fps":>10}')
    for name, secs in list(times.items()) + [('overall', total)]:
        if name in ONCE_STAGES:
            print(f'{name:<14}{"-":>8}{secs:>10.2f}{"-":>10}')
            continue
        fps = f'{num_frames / secs:.1f}' if secs > 0 else '-'
        print(f'{name:<14}{num_frames:>8}{secs:>10.2f}{fps:>10}')


def _lift(args: argparse.Namespace, keypoints: np.ndarray, scores: np.ndarray,
          valid: np.ndarray, size: Tuple[int, int], config: str,
          checkpoint: str, times: Dict[str, float]) -> np.ndarray:
    t = time.perf_counter()
    model = init_lifter(config, checkpoint, device=args.device)
    filled = fill_missing_frames(keypoints, valid)
    filled_scores = np.where(valid[:, None], scores, 0.).astype(np.float32)
    t = _stage(times, 'load lifter', t)
    keypoints_3d = np.asarray(
        lift_sequence(model, filled, size, keypoint_scores=filled_scores))
    _stage(times, 'lift 3D', t)
    expected = (len(keypoints), keypoints.shape[1], 3)
    if keypoints_3d.shape != expected:
        raise DemoError(f'the lifter returned shape {keypoints_3d.shape}, '
                        f'expected {expected}')
    return keypoints_3d


def run_video(args: argparse.Namespace, path: str, config: str,
              checkpoint: str) -> dict:
    """Run the demo on a video; see the module docstring."""
    import cv2
    from tqdm import tqdm

    start = time.perf_counter()
    times: Dict[str, float] = {}
    fps, expected = _video_info(path, args.max_frames)
    keypoints, scores, valid = [], [], []
    size = None
    with MediaPipePose2D(static_image_mode=False) as pose2d:
        frames = _read_frames(path, args.max_frames)
        bar = tqdm(total=expected or None, desc='2D pose', unit='frame')
        t = time.perf_counter()
        for frame in frames:
            t = _stage(times, 'decode', t)
            if size is None:
                size = (frame.shape[1], frame.shape[0])
            elif (frame.shape[1], frame.shape[0]) != size:
                frame = cv2.resize(frame, size)
            result = pose2d(frame)
            valid.append(result is not None)
            kpts, kpt_scores = result if result is not None else (np.full(
                (17, 2), np.nan, np.float32), np.zeros(17, np.float32))
            keypoints.append(kpts)
            scores.append(kpt_scores)
            bar.update()
            t = _stage(times, '2D pose', t)
        bar.close()
    if not valid:
        raise DemoError(f'no frames in {path}: the video is empty')
    keypoints, scores = np.stack(keypoints), np.stack(scores)
    valid = np.array(valid)
    num_frames = len(valid)
    if not valid.any():
        raise DemoError(f'no person found in {path}')

    keypoints_3d = _lift(args, keypoints, scores, valid, size, config,
                         checkpoint, times)

    os.makedirs(args.out_dir, exist_ok=True)
    name = osp.splitext(osp.basename(path))[0]
    json_path = osp.join(args.out_dir, f'{name}_3d.json')
    _write_json(json_path, 'video', path, fps, size,
                _frame_records(keypoints, scores, keypoints_3d, valid))

    video_path = None
    if not args.no_video:
        video_path = osp.join(args.out_dir, f'{name}_3d.mp4')
        _write_video(path, video_path, fps, size, keypoints, scores,
                     keypoints_3d, valid, times)

    total = time.perf_counter() - start
    print(f'{int(valid.sum())}/{num_frames} frames with a person')
    _print_speed(times, num_frames, total)
    print(f'wrote {json_path}' + (f' and {video_path}' if video_path else ''))
    return dict(
        json=json_path,
        video=video_path,
        num_frames=num_frames,
        num_valid=int(valid.sum()),
        times=times,
        total=total)


def _write_video(src: str, dst: str, fps: float, size: Tuple[int, int],
                 keypoints: np.ndarray, scores: np.ndarray,
                 keypoints_3d: np.ndarray, valid: np.ndarray,
                 times: Dict[str, float]) -> None:
    import cv2
    from tqdm import tqdm

    num_frames = len(valid)
    composer = _Composer(*size, azim_step=360. / (fps * SECONDS_PER_TURN))
    writer = cv2.VideoWriter(dst, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             composer.size)
    if not writer.isOpened():
        raise DemoError(f'cannot write video {dst} (mp4v codec missing?)')
    written = 0
    # cv2 encodes in a second thread (it releases the GIL) while matplotlib
    # draws the next frame
    pool = ThreadPoolExecutor(max_workers=1)
    pending = None
    try:
        t = time.perf_counter()
        frames = _read_frames(src, num_frames)
        for i, frame in enumerate(
                tqdm(frames, total=num_frames, desc='render', unit='frame')):
            ok = valid[i]
            canvas = composer(frame, i, keypoints[i] if ok else None,
                              scores[i] if ok else None,
                              keypoints_3d[i] if ok else None)
            if pending is not None:
                pending.result()
                written += 1
            pending = pool.submit(writer.write, canvas)
        if pending is not None:
            pending.result()
            written += 1
        t = _stage(times, 'render+write', t)
    finally:
        pool.shutdown()
        writer.release()
        composer.renderer.close()
    cap = cv2.VideoCapture(dst)
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else -1
    cap.release()
    if written != num_frames or count != num_frames:
        raise DemoError(f'{dst} has {count} frames ({written} written), '
                        f'expected {num_frames}')


def run_image(args: argparse.Namespace, path: str, config: str,
              checkpoint: str) -> dict:
    """Run the demo on one image: a one-frame sequence."""
    import cv2

    start = time.perf_counter()
    times: Dict[str, float] = {}
    t = start
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise DemoError(f'cannot read image {path}')
    t = _stage(times, 'decode', t)
    with MediaPipePose2D(static_image_mode=True) as pose2d:
        result = pose2d(image)
    _stage(times, '2D pose', t)
    if result is None:
        raise DemoError(f'no person found in {path}')
    keypoints, scores = result[0][None], result[1][None]
    valid = np.ones(1, dtype=bool)
    size = (image.shape[1], image.shape[0])
    keypoints_3d = _lift(args, keypoints, scores, valid, size, config,
                         checkpoint, times)

    os.makedirs(args.out_dir, exist_ok=True)
    name, ext = osp.splitext(osp.basename(path))
    json_path = osp.join(args.out_dir, f'{name}_3d.json')
    _write_json(json_path, 'image', path, None, size,
                _frame_records(keypoints, scores, keypoints_3d, valid))
    image_path = None
    if not args.no_video:
        t = time.perf_counter()
        out_ext = '.png' if ext.lower() == '.png' else '.jpg'
        image_path = osp.join(args.out_dir, f'{name}_3d{out_ext}')
        composer = _Composer(*size, azim_step=0.)
        canvas = composer(image, 0, keypoints[0], scores[0], keypoints_3d[0])
        composer.renderer.close()
        if not cv2.imwrite(image_path, canvas):
            raise DemoError(f'cannot write image {image_path}')
        _stage(times, 'render+write', t)
    total = time.perf_counter() - start
    _print_speed(times, 1, total)
    print(f'wrote {json_path}' + (f' and {image_path}' if image_path else ''))
    return dict(
        json=json_path,
        image=image_path,
        num_frames=1,
        num_valid=1,
        times=times,
        total=total)


def run(args: argparse.Namespace) -> dict:
    """Check the inputs, then run the image or the video demo."""
    if args.max_frames is not None and args.max_frames < 1:
        raise DemoError('--max-frames must be at least 1')
    path = args.input if args.input is not None else sports2d_demo_video()
    if not osp.exists(path):
        raise DemoError(f'input not found: {path}')
    if not osp.isfile(path):
        raise DemoError(f'input is not a file: {path}')
    config, checkpoint = _check_model_files(args.config, args.checkpoint)
    if osp.splitext(path)[1].lower() in IMAGE_EXTS:
        return run_image(args, path, config, checkpoint)
    return run_video(args, path, config, checkpoint)


def main(argv: Optional[List[str]] = None) -> dict:
    """Entry point; every expected failure ends in a one-line
    ``SystemExit('error: ...')``."""
    # quieter MediaPipe / TFLite start-up logs; FFmpeg's own messages on
    # unreadable files are replaced by the demo's one-line error
    os.environ.setdefault('GLOG_minloglevel', '2')
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    os.environ.setdefault('OPENCV_FFMPEG_LOGLEVEL', '-8')
    args = parse_args(argv)
    try:
        return run(args)
    except (DemoError, ImportError, OSError, ValueError) as e:
        message = ' '.join(str(e).split()) or type(e).__name__
        raise SystemExit(f'error: {message}') from None
    except KeyboardInterrupt:
        raise SystemExit('error: interrupted') from None


if __name__ == '__main__':
    main()
