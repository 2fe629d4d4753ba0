# Copyright (c) mmlpose contributors. All rights reserved.
"""Speed and peak memory of L3DHPE inference: CPP beside 3DHPE+Refer.

Both methods see the same frames: the first ``--frames`` frames of a video
(default: the sports2d two-person clip) letterboxed to ``--input-size``
(default the CPP config's: 960 x 512 for the paper's). Each method runs in
its own process (so that its peak memory is its own), side by side in one
run:

- **CPP**: one :meth:`CPP.predict_window` on the ``--frames``-frame window
  (mask and 3D skeleton of the referred person in the current frame); its
  frames/s is the output frames per second (one window per output frame, as
  the model predicts the current frame of each window).
- **3DHPE+Refer**: the inferencer's multi-person path on the same frames
  (BlazePose detection, tracking, 2D per person, lifting) and the learned
  text-skeleton referrer (:class:`LearnedSkeletonReferrer`) on the tracks;
  frames/s over those frames.

Without checkpoints the models have random weights (the speed does not
depend on them). A config whose text encoder is a hub model that is not in
the local cache is given the packaged MiniLM instead (said in the output;
``--packaged-text-encoder`` forces it). Peak memory: the process's peak
resident set on CPU, ``torch.cuda.max_memory_allocated`` on GPU.

Example::

    python tools/analysis_tools/benchmark_l3dhpe.py --repeats 2
    python tools/analysis_tools/benchmark_l3dhpe.py my_clip.mp4 \\
        --cpp-config configs/cpp/<a CPP config> \\
        --cascade-config configs/cascade/<a 3DHPE+Refer config> \\
        --device cuda
"""
import argparse
import copy
import multiprocessing as mp
import os
import os.path as osp
import resource
import sys
import tempfile
import time
from typing import Dict, List, Tuple

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

CPP_PAPER = osp.join(
    'configs', 'cpp', 'cpp_r152-roberta-swint_stage2_1xb1-10e_panoptic-l3d.py')
CASCADE_PAPER = osp.join('configs', 'cascade',
                         'hpe-refer_roberta-4l_1xb8-20e_panoptic-l3d.py')
DEFAULT_TEXT = 'the person in a dark shirt walking to the left'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('input', nargs='?', default=None,
                        help='video (default: the sports2d demo clip)')
    parser.add_argument('--text', default=DEFAULT_TEXT,
                        help='referring sentence')
    parser.add_argument('--frames', type=int, default=6,
                        help='window size (the paper: 6)')
    parser.add_argument('--input-size', type=int, nargs=2, default=None,
                        metavar=('W', 'H'),
                        help='default: the CPP config\'s ResizeL3D size '
                        '(960 x 512 for the paper\'s)')
    parser.add_argument('--cpp-config', default=CPP_PAPER)
    parser.add_argument('--cpp-checkpoint', default=None)
    parser.add_argument('--cascade-config', default=CASCADE_PAPER)
    parser.add_argument('--cascade-checkpoint', default=None)
    parser.add_argument('--methods', nargs='+', default=['cpp', 'cascade'],
                        choices=['cpp', 'cascade'])
    parser.add_argument('--packaged-text-encoder', action='store_true',
                        help='use the packaged MiniLM in both configs')
    parser.add_argument('--repeats', type=int, default=1,
                        help='timed runs after one warm-up; the fastest '
                        'is reported')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch / OpenCV / TFLite threads')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def _text_encoder_fallback(cfg_text: dict, force: bool) -> Tuple[dict, str]:
    """The packaged MiniLM when forced or when the hub model is not in the
    local cache; else the config's own encoder."""
    name = cfg_text.get('pretrained')
    if not name:
        return cfg_text, 'packaged MiniLM'
    if not force:
        try:
            from transformers import AutoConfig
            AutoConfig.from_pretrained(name, local_files_only=True)
            return cfg_text, name
        except Exception:  # not cached (no hub here)
            pass
    return dict(type='SentenceEncoder'), f'packaged MiniLM (for {name})'


def read_frames(path: str, num: int, input_size: Tuple[int, int]) -> list:
    """The first ``num`` frames of ``path`` letterboxed to ``input_size``
    (BGR uint8)."""
    import cv2

    from mmlpose.models.rvos_adapters import letterbox_affine
    cap = cv2.VideoCapture(path)
    frames = []
    while len(frames) < num:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    if len(frames) < num:
        raise ValueError(f'{path} has {len(frames)} readable frame(s), '
                         f'{num} needed')
    h, w = frames[0].shape[:2]
    trans = letterbox_affine((w, h), input_size)
    return [
        cv2.warpAffine(f, trans, tuple(input_size), flags=cv2.INTER_LINEAR)
        for f in frames
    ]


def _peak_memory(device: str) -> float:
    import torch
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sync(device: str) -> None:
    import torch
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def run_cpp(args: dict) -> dict:
    """CPP's timing on the letterboxed window (in this process)."""
    import numpy as np
    import torch
    from mmengine.config import Config

    from mmlpose.models.referrers import image_camera
    from mmlpose.registry import MODELS
    from mmlpose.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    torch.set_num_threads(args['threads'])
    cfg = Config.fromfile(args['cpp_config'])
    # built without init_weights: random weights, no Pretrained download
    model_cfg = copy.deepcopy(cfg.model.to_dict())
    model_cfg['train_stage'] = 2
    model_cfg['text_encoder'], text = _text_encoder_fallback(
        model_cfg.get('text_encoder') or {}, args['packaged_text_encoder'])
    model_cfg['num_frames'] = args['frames']
    w, h = args['input_size']
    if w % 4 or h % 4:
        raise ValueError(f'the input size {w}x{h} must be a multiple of 4')
    # the heatmaps are at stride 4 of whatever input size is benchmarked
    model_cfg['pose_head']['heatmap_size'] = (w // 4, h // 4)
    model = MODELS.build(model_cfg)
    if args['cpp_checkpoint']:
        from mmlpose.engine.checkpoint import load_model_checkpoint
        load_model_checkpoint(model, args['cpp_checkpoint'])
    model.to(args['device']).eval()
    frames = read_frames(args['input'], args['frames'], args['input_size'])
    x = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float()
    # the frames are already the input: the camera is the input image's and
    # the image -> input affine is the identity
    camera = image_camera(tuple(args['input_size']))
    trans = np.eye(3)[:2]
    times = []
    for _ in range(1 + args['repeats']):
        _sync(args['device'])
        start = time.perf_counter()
        out = model.predict_window(x, args['text'], camera, trans)
        _sync(args['device'])
        times.append(time.perf_counter() - start)
    best = min(times[1:])
    params = sum(p.numel() for p in model.parameters()) / 1e6
    return dict(
        method='CPP',
        seconds=best,
        fps=1. / best,
        peak_mib=_peak_memory(args['device']),
        params_m=params,
        text_encoder=text,
        detail=f'one {args["frames"]}-frame window per output frame; '
        f'mask {int(out["mask"].sum())} px, score {out["score"]:.2f}')


def run_cascade(args: dict) -> dict:
    """3DHPE+Refer's timing on the same frames (in this process)."""
    import cv2
    import torch
    from mmengine.config import Config

    from mmlpose.apis import MMLPoseInferencer
    torch.set_num_threads(args['threads'])
    cv2.setNumThreads(args['threads'])
    cfg = Config.fromfile(args['cascade_config'])
    fusion = copy.deepcopy(cfg.model.fusion.to_dict())
    fusion['text_encoder'], text = _text_encoder_fallback(
        fusion.get('text_encoder') or {}, args['packaged_text_encoder'])
    cfg.model.fusion = fusion
    referrer = dict(
        type='LearnedSkeletonReferrer',
        model=cfg,
        checkpoint=args['cascade_checkpoint'],
        window=args['frames'])
    pose2d = dict(
        type='MultiPersonPose2D',
        detector=dict(type='BlazePoseDetector', num_threads=args['threads']),
        landmarker=dict(
            type='BlazePoseLandmarker', num_threads=args['threads']))
    from mmlpose.apis.inferencers.utils.model_index import DEFAULT_MODEL
    inferencer = MMLPoseInferencer(
        DEFAULT_MODEL, device=args['device'], pose2d=pose2d,
        referrer=referrer)
    frames = read_frames(args['input'], args['frames'], args['input_size'])
    with tempfile.TemporaryDirectory() as tmp:
        video = osp.join(tmp, 'window.mp4')
        w, h = args['input_size']
        writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 30,
                                 (w, h))
        for f in frames:
            writer.write(f)
        writer.release()
        best = None
        for _ in range(1 + args['repeats']):
            _sync(args['device'])
            result = next(inferencer(video, text=args['text']))
            _sync(args['device'])
            if best is None or result['total_seconds'] < \
                    best['total_seconds']:
                best = result
    n = best['num_frames']
    models = [inferencer.model, inferencer.inferencer.referrer.fusion]
    params = sum(p.numel() for m in models for p in m.parameters()) / 1e6
    stages = ', '.join(f'{k} {v:.2f} s'
                       for k, v in best['timings'].items() if v >= 1e-3)
    return dict(
        method='3DHPE+Refer',
        seconds=best['total_seconds'],
        fps=n / best['total_seconds'],
        peak_mib=_peak_memory(args['device']),
        params_m=params,
        text_encoder=text,
        detail=f'{n} frames, {len(best["tracks"])} track(s); {stages}')


def _worker(name: str, args: dict, queue) -> None:
    os.environ.setdefault('GLOG_minloglevel', '2')
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    try:
        queue.put((name, RUNNERS[name](args), None))
    except Exception as exc:  # reported by the parent, one line
        queue.put((name, None, f'{type(exc).__name__}: {exc}'))


RUNNERS = dict(cpp=run_cpp, cascade=run_cascade)


def main(argv=None) -> List[Dict]:
    args = parse_args(argv)
    if args.frames < 1 or args.repeats < 1:
        raise SystemExit('--frames and --repeats must be >= 1')
    if args.input is None:
        from mmlpose.apis.inferencers import sports2d_demo_video
        args.input = sports2d_demo_video()
    if not osp.isfile(args.input):
        raise SystemExit(f'video not found: {args.input}')
    for key in ('cpp_config', 'cascade_config'):
        path = getattr(args, key)
        if not osp.isabs(path) and not osp.exists(path):
            setattr(args, key, osp.join(REPO_ROOT, path))
    if args.input_size is None:
        from mmengine.config import Config

        from mmlpose.models.rvos_adapters.rvos_referrer import \
            _config_input_size
        args.input_size = _config_input_size(Config.fromfile(
            args.cpp_config)) or (960, 512)
    shared = dict(vars(args), input_size=tuple(args.input_size))
    ctx = mp.get_context('spawn')
    rows = []
    for name in args.methods:
        queue = ctx.Queue()
        proc = ctx.Process(target=_worker, args=(name, shared, queue))
        proc.start()
        _, row, error = queue.get()
        proc.join()
        if error is not None:
            raise SystemExit(f'{name} failed: {error}')
        rows.append(row)
    w, h = args.input_size
    print(f'input: {args.input}, first {args.frames} frames at {w}x{h}, '
          f'device {args.device}, {args.threads} thread(s)')
    print(f'{"method":<13}{"s/frame":>9}{"frames/s":>10}{"peak MiB":>10}'
          f'{"params M":>10}  text encoder; detail')
    for r in rows:
        print(f'{r["method"]:<13}{1. / r["fps"]:>9.2f}{r["fps"]:>10.2f}'
              f'{r["peak_mib"]:>10.0f}{r["params_m"]:>10.1f}'
              f'  {r["text_encoder"]}; {r["detail"]}')
    by_name = {r['method']: r for r in rows}
    if len(by_name) == 2:
        cpp, cascade = by_name['CPP'], by_name['3DHPE+Refer']
        print(f'CPP / 3DHPE+Refer: frames/s x{cpp["fps"] / cascade["fps"]:.3g}'
              f', peak memory x{cpp["peak_mib"] / cascade["peak_mib"]:.2f}')
    return rows


if __name__ == '__main__':
    main()
