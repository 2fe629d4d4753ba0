# Copyright (c) mmlpose contributors. All rights reserved.
"""Video or image -> every person tracked, in 2D and 3D -> the person a
sentence describes. A command line over
:class:`mmlpose.apis.MMLPoseInferencer`.

Writes ``<name>_3d.mp4`` (every person's 2D skeleton, the referred one
highlighted with its mask, beside its rotating 3D skeleton) and
``<name>_3d.json`` (per frame, every person's box, 2D and 3D; the referral
scores) under ``--out-dir``; an image gives ``<name>_3d.jpg`` (or ``.png``).
See docs/demo.md.

Example::

    python demo/lifting_demo.py --text "the woman walking across the grass"
    python demo/lifting_demo.py my_video.mp4 --max-frames 100
    python demo/lifting_demo.py photo.jpg --out-dir outputs/photo
    python demo/lifting_demo.py --text "the person jumping down" --adapt
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Track and lift every person of a video or an image to '
        '3D, and pick out the person a sentence describes.')
    parser.add_argument(
        'input',
        nargs='?',
        default=None,
        help='video, image or folder; default: the sports2d demo clip')
    parser.add_argument(
        '--text',
        default=None,
        help='sentence describing the person to show (default: the '
        'largest person)')
    from mmlpose.apis.inferencers.utils.model_index import DEFAULT_MODEL
    parser.add_argument(
        '--model',
        default=DEFAULT_MODEL,
        help='model alias or name of the metafiles (ignored with --config)')
    parser.add_argument(
        '--config', default=None, help='lifter config file')
    parser.add_argument(
        '--checkpoint',
        default=None,
        help='lifter checkpoint (default: the metafile\'s weights)')
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='load checkpoints that need types outside the safe allow-list '
        '(full pickle: only for files you trust)')
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
    parser.add_argument(
        '--action-text',
        default=None,
        help='action prompt for text-guided lifters (e.g. "walk"); with '
        '--adapt, the motion text of the adaptation')
    parser.add_argument(
        '--adapt',
        action='store_true',
        help='adapt a copy of the lifter to the video at test time (the '
        'referred track, else every track)')
    parser.add_argument(
        '--tta-config',
        default=None,
        help='a config whose tta_cfg sets the adaptation (implies --adapt; '
        'default: the lifter config\'s tta_cfg, else SemanticTTA defaults)')
    parser.add_argument(
        '--referrer',
        default='descriptor',
        choices=sorted(REFERRERS),
        help='who picks the person the sentence describes: descriptor '
        '(measured descriptions and MiniLM, no training; default), '
        'motion-language (a LangPose model), hpe-refer (the learned '
        '3DHPE+Refer fusion), rvos (the ReferFormer-style RVOS adapter) or '
        'cpp (a stage-2 CPP, the L3DHPE model); '
        'all but descriptor need --referrer-config and '
        '--referrer-checkpoint')
    parser.add_argument(
        '--referrer-config', default=None, help='config of the referrer')
    parser.add_argument(
        '--referrer-checkpoint',
        default=None,
        help='trained weights of the referrer')
    return parser.parse_args(argv)


#: ``--referrer`` choices: the registered referrer each one builds.
REFERRERS = {
    'descriptor': 'DescriptorReferrer',
    'motion-language': 'MotionLanguageReferrer',
    'hpe-refer': 'LearnedSkeletonReferrer',
    'rvos': 'RVOSReferrer',
    'cpp': 'CPPReferrer',
}


def referrer_option(args: argparse.Namespace) -> Optional[dict]:
    """The inferencer's ``referrer`` config from ``--referrer``; None for
    the default (the lifter config's own referrer, else descriptors)."""
    name = getattr(args, 'referrer', 'descriptor')
    config = _repo_path(getattr(args, 'referrer_config', None))
    checkpoint = _repo_path(getattr(args, 'referrer_checkpoint', None))
    if name == 'descriptor':
        if config or checkpoint:
            raise ValueError('--referrer descriptor takes no '
                             '--referrer-config / --referrer-checkpoint')
        return None
    if not config or not checkpoint:
        raise ValueError(f'--referrer {name} needs --referrer-config and '
                         '--referrer-checkpoint')
    for path in (config, checkpoint):
        if not osp.isfile(path):
            raise FileNotFoundError(f'referrer file not found: {path}')
    return dict(type=REFERRERS[name], model=config, checkpoint=checkpoint)


def _repo_path(path: Optional[str]) -> Optional[str]:
    """A relative path not found from the working folder is looked up from
    the repository root (where the configs and checkpoints live)."""
    if path is None or osp.isabs(path) or osp.exists(path):
        return path
    in_repo = osp.join(REPO_ROOT, path)
    return in_repo if osp.exists(in_repo) else path


def print_timings(result: dict) -> None:
    """Seconds and frames per second of each stage and overall."""
    from mmlpose.apis.inferencers.lifting_inferencer import STAGES
    n = result['num_frames']
    rows = [(s, result['timings'].get(s, 0.)) for s in STAGES]
    rows.append(('overall', result['total_seconds']))
    print(f'{"stage":<10}{"frames":>8}{"seconds":>10}{"fps":>10}')
    for name, secs in rows:
        fps = f'{n / secs:.1f}' if secs >= 1e-3 else '-'
        print(f'{name:<10}{n:>8}{secs:>10.2f}{fps:>10}')


def print_referral(result: dict) -> None:
    """The ranking of the tracks for the sentence, and the verdict."""
    tracks = result['tracks']
    print(f'{len(tracks)} tracks: ' + ', '.join(
        f'{t.track_id} ({int(t.present.sum())} frames)' for t in tracks))
    if result['text'] is None:
        if result['referred_track_id'] is not None:
            print(f'no --text: showing the largest track, '
                  f'{result["referred_track_id"]}')
        return
    print(f'text: "{result["text"]}" (threshold {result["threshold"]:.3f})')
    for track_id, score in sorted(
            result['scores'].items(), key=lambda kv: -kv[1]):
        desc = result['descriptions'].get(track_id, '')
        print(f'  track {track_id}: {score:.3f}  {desc}')
    if result['matched']:
        print(f'referred: track {result["referred_track_id"]}')
    else:
        print('no good match: no track reaches the threshold')


def adapt_option(args: argparse.Namespace):
    """The inferencer's ``adapt``: False, True, or ``--tta-config``'s
    ``tta_cfg``."""
    if args.tta_config is None:
        return bool(args.adapt)
    from mmengine.config import Config
    path = _repo_path(args.tta_config)
    if not osp.isfile(path):
        raise FileNotFoundError(f'TTA config not found: {path}')
    tta_cfg = Config.fromfile(path).get('tta_cfg')
    if tta_cfg is None:
        raise ValueError(f'{path} has no tta_cfg')
    return tta_cfg.to_dict()


def run(args: argparse.Namespace) -> dict:
    """Build the inferencer and run it on the input; returns its result."""
    from mmlpose.apis import MMLPoseInferencer
    from mmlpose.apis.inferencers import sports2d_demo_video
    from mmlpose.apis.inferencers.lifting_inferencer import adaptation_lines
    if args.max_frames is not None and args.max_frames < 1:
        raise ValueError('--max-frames must be at least 1')
    path = args.input if args.input is not None else sports2d_demo_video()
    model = _repo_path(args.config) if args.config else args.model
    checkpoint = _repo_path(args.checkpoint)
    if args.config and checkpoint is None:
        raise ValueError('--config needs --checkpoint')
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    inferencer = MMLPoseInferencer(
        model,
        weights=checkpoint,
        device=args.device,
        show_progress=True,
        unsafe_load=getattr(args, 'unsafe_load', False),
        adapt=adapt_option(args),
        referrer=referrer_option(args))
    kwargs = dict(
        text=args.text,
        max_frames=args.max_frames,
        action_text=args.action_text,
        pred_out_dir=args.out_dir)
    if not args.no_video:
        kwargs['vis_out_dir'] = args.out_dir
    result = None
    for result in inferencer(path, **kwargs):
        source = result['input'] or result['name']
        if not result['tracks']:
            raise ValueError(f'no person found in {source}')
        print(f'== {source}')
        print_referral(result)
        for line in adaptation_lines(result['adaptation']):
            print(line)
        print_timings(result)
        written = [p for p in (result['json_path'], result['vis_path']) if p]
        print('wrote ' + ' and '.join(written))
    return result


def main(argv: Optional[List[str]] = None) -> dict:
    """Entry point; every expected failure ends in a one-line
    ``SystemExit('error: ...')``."""
    # quieter MediaPipe / TFLite logs; FFmpeg's own messages on unreadable
    # files are replaced by a one-line error
    os.environ.setdefault('GLOG_minloglevel', '2')
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    os.environ.setdefault('OPENCV_FFMPEG_LOGLEVEL', '-8')
    args = parse_args(argv)
    from mmlpose.engine.checkpoint import CheckpointError
    try:
        return run(args)
    except (ImportError, OSError, ValueError, CheckpointError) as e:
        message = ' '.join(str(e).split()) or type(e).__name__
        raise SystemExit(f'error: {message}') from None
    except KeyboardInterrupt:
        raise SystemExit('error: interrupted') from None


if __name__ == '__main__':
    main()
