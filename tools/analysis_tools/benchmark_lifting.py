# Copyright (c) mmlpose contributors. All rights reserved.
"""Throughput and peak memory of diffusion lifting (D3DP / FinePOSE) sampling.

Each setting (batch size x flip x dtype) runs in a fresh subprocess so that
its peak memory is its own. Prints clips per second, seconds per clip and
peak memory (CUDA: ``max_memory_allocated``; CPU: peak resident set size).

    python tools/analysis_tools/benchmark_lifting.py \
        configs/finepose/finepose_512d-243frm_1xb4-100e_h36m-cpn.py \
        --frames 243 --hypotheses 20 --steps 10 --batch-sizes 1 4 \
        --flip on off --dtypes fp32 bf16 --device cpu

With ``--authors-repo PATH`` (a checkout of the public FinePOSE code, with
``openai-clip``, ``timm`` and ``einops`` installed; see
requirements/benchmark.txt) the authors' sampling loop is timed on the same
setting with random weights, for comparison.
Weights are random unless ``--checkpoint`` is given: speed does not depend
on them.

With ``--versus CONFIG [CONFIG ...]`` the config and the others (any lifter:
LangPose, MixSTE, D3DP, FinePOSE) are timed side by side through the same
inference path (:func:`mmlpose.apis.lift_sequence`: each one's codec, window
and test settings, e.g. FinePOSE's hypotheses, steps and flip), on the same
random 2D windows, and each one's time per clip over the first config's is
printed:

    python tools/analysis_tools/benchmark_lifting.py \
        configs/langpose/langpose_512d-243frm_1xb16-60e_stage2_h36m-cpn.py \
        --versus configs/finepose/finepose_512d-243frm_1xb4-100e_h36m-cpn.py \
        --batch-sizes 1 4 --cfg-options "model.head.denoiser.prompt_learner\
.text_encoder.pretrained=None"
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

H36M_LEFT = [4, 5, 6, 11, 12, 13]
H36M_RIGHT = [1, 2, 3, 14, 15, 16]
FLIP_INDICES = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='D3DP or FinePOSE config')
    parser.add_argument('--checkpoint', default=None)
    parser.add_argument('--frames', type=int, default=243)
    parser.add_argument('--hypotheses', type=int, default=20)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1])
    parser.add_argument(
        '--flip', nargs='+', choices=['on', 'off'], default=['on'])
    parser.add_argument(
        '--dtypes', nargs='+', choices=['fp32', 'bf16'], default=['fp32'])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads (default 1)')
    parser.add_argument('--repeats', type=int, default=2,
                        help='timed runs after one warm-up')
    parser.add_argument('--authors-repo', default=None,
                        help='public FinePOSE checkout to time as reference')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='config overrides k=v (e.g. a small CLIP)')
    parser.add_argument(
        '--check-outputs', action='store_true',
        help='with --authors-repo: compare outputs for the same weights '
        'and noise instead of timing')
    parser.add_argument(
        '--versus', nargs='+', default=[],
        help='other lifter configs to time beside this one through '
        'lift_sequence (each one\'s own window and test settings)')
    parser.add_argument('--single', default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='load checkpoints that need types outside the safe allow-list '
        '(full pickle: only for files you trust)')
    return parser.parse_args(argv)


def peak_memory_mb(device: str) -> float:
    import torch
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_calls(fn, repeats: int, device: str) -> float:
    """Seconds per call after one warm-up call."""
    import torch
    fn()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats


def build_ours(args):
    from mmengine.config import Config

    from mmlpose.apis import init_lifter
    cfg = Config.fromfile(args.config)
    overrides = {}
    for item in args.cfg_options:
        key, value = item.split('=', 1)
        overrides[key] = eval(value)  # noqa: S307 (benchmark CLI values)
    if overrides:
        cfg.merge_from_dict(overrides)
    denoiser = cfg.model.head.denoiser
    denoiser.seq_len = args.frames
    model = init_lifter(cfg, args.checkpoint, device=args.device)
    model.eval()
    return model


def run_ours(args, batch: int, flip: bool, dtype: str) -> dict:
    import torch
    model = build_ours(args)
    cast = torch.bfloat16 if dtype == 'bf16' else None
    x_2d = torch.randn(batch, args.frames, 17, 2, device=args.device) * 0.3
    cond = dict(action_text=['walk'] * batch)

    def call():
        with torch.no_grad(), torch.autocast(
                device_type=args.device.split(':')[0],
                dtype=torch.bfloat16,
                enabled=cast is not None):
            model.head.sample(
                x_2d,
                cond,
                num_hypotheses=args.hypotheses,
                num_steps=args.steps,
                flip_indices=FLIP_INDICES if flip else None)

    seconds = time_calls(call, args.repeats, args.device)
    return dict(seconds=seconds, memory_mb=peak_memory_mb(args.device))


def build_authors(args, flip: bool):
    """The authors' ``FinePOSE`` with random weights, its clip module and
    the six fixed prompt words' tokens.

    Their code loads CLIP ViT-B/32 from the internet and puts tensors on
    CUDA; a random CLIP of the same architecture and a device shim replace
    both (the shim only when running on CPU).
    """
    import types

    import torch
    sys.path.insert(0, args.authors_repo)
    import clip
    from clip.model import CLIP

    clip.load = lambda *a, **k: (CLIP(512, 224, 12, 768, 32, 77, 49408, 512,
                                      8, 12).float(), None)
    if not args.device.startswith('cuda'):
        randn = torch.randn

        def cpu_randn(*a, **k):
            k.pop('device', None)
            return randn(*a, **k)

        torch.randn = cpu_randn
        torch.Tensor.cuda = lambda self, *a, **k: self
    from common.finepose import FinePOSE
    ns = types.SimpleNamespace(
        number_of_frames=args.frames, test_time_augmentation=flip,
        timestep=1000, scale=1.0, cs=512, dep=8)
    model = FinePOSE(ns, H36M_LEFT, H36M_RIGHT, is_train=False,
                     num_proposals=args.hypotheses,
                     sampling_timesteps=args.steps).to(args.device).eval()
    if not args.device.startswith('cuda'):
        model.device = torch.device('cpu')
    return model, clip


def authors_inputs(clip, x_2d, verb: str = 'walk'):
    """Flipped 2D, verb tokens and prompt-word tokens as the authors'
    evaluation builds them."""
    import torch
    batch = x_2d.shape[0]
    x_2d_flip = x_2d.clone()
    x_2d_flip[..., 0] *= -1
    x_2d_flip[:, :, H36M_LEFT + H36M_RIGHT] = x_2d_flip[:, :, H36M_RIGHT +
                                                        H36M_LEFT]
    text = clip.tokenize([verb] * batch).to(x_2d.device)
    words = ['A person', 'speed', 'head', 'body', 'arm', 'leg']
    pre = torch.cat([clip.tokenize(w) for w in words])[None].repeat(
        batch, 1, 1).to(x_2d.device)
    return x_2d_flip, text, pre


def run_authors(args, batch: int, flip: bool, dtype: str) -> dict:
    """Time the authors' sampling loop with random weights."""
    import torch
    model, clip = build_authors(args, flip)
    x_2d = torch.randn(batch, args.frames, 17, 2, device=args.device) * 0.3
    x_2d_flip, text, pre = authors_inputs(clip, x_2d)

    def call():
        with torch.no_grad(), torch.autocast(
                device_type=args.device.split(':')[0],
                dtype=torch.bfloat16, enabled=dtype == 'bf16'):
            model(x_2d, None, text, pre, input_2d_flip=x_2d_flip)

    seconds = time_calls(call, args.repeats, args.device)
    return dict(seconds=seconds, memory_mb=peak_memory_mb(args.device))


def check_outputs(args) -> None:
    """Same weights, same noise: compare our sampler with the authors'.

    The authors' random-initialised model is converted with
    ``tools/model_converters/finepose_to_mmlpose.py``'s function into our
    FinePOSE lifter; both sample from the same seed (batch 1: their
    cross-attention pairs text and rows correctly only for one sample).
    """
    import torch

    from mmlpose.models.utils.finepose_converter import (
        convert_finepose_state_dict, merge_into)
    torch.set_num_threads(args.threads)
    flip = args.flip[0] == 'on'
    theirs, clip = build_authors(args, flip)
    ours = build_ours(args)
    state = {f'module.{k}': v for k, v in theirs.state_dict().items()}
    converted, report = convert_finepose_state_dict(
        {'model_pos': state}, target=ours.state_dict())
    ours.load_state_dict(merge_into(ours.state_dict(), converted))
    x_2d = torch.randn(1, args.frames, 17, 2, device=args.device) * 0.3
    x_2d_flip, text, pre = authors_inputs(clip, x_2d)
    with torch.no_grad():
        torch.manual_seed(0)
        if flip:
            ref = theirs(x_2d, None, text, pre, input_2d_flip=x_2d_flip)
            ref = ref[:, -1]  # (B, steps, H, T, K, 3): the last step
        else:
            ref = theirs(x_2d, None, text, pre)[-1]
        gen = torch.Generator(device=args.device).manual_seed(0)
        out = ours.head.sample(
            x_2d, dict(action_text=['walk']),
            num_hypotheses=args.hypotheses, num_steps=args.steps,
            flip_indices=FLIP_INDICES if flip else None, generator=gen)
    diff = (out - ref).abs().max().item()
    print(f'converted {len(converted)} tensors, dropped '
          f'{len(report.dropped)} keys; same weights and noise, '
          f'H={args.hypotheses} M={args.steps} flip={flip}: max |ours - '
          f'authors| = {diff:.2e} m (output scale {ref.abs().max():.2f})')


def run_lift(args, config: str, batch: int) -> dict:
    """Seconds for ``batch`` windows of random 2D through
    :func:`mmlpose.apis.lift_sequence` with ``config``'s model."""
    import numpy as np
    from mmengine.config import Config

    from mmlpose.apis import init_lifter, lift_sequence
    from mmlpose.apis.inference import lifting_window
    cfg = Config.fromfile(config)
    overrides = {}
    for item in args.cfg_options:
        key, value = item.split('=', 1)
        overrides[key] = eval(value)  # noqa: S307 (benchmark CLI values)
    # options that this config does not have are for the other ones
    known = {k: v for k, v in overrides.items() if _has_key(cfg, k)}
    if known:
        cfg.merge_from_dict(known)
    model = init_lifter(cfg, None, device=args.device)
    window = lifting_window(model.cfg)
    rng = np.random.default_rng(0)
    kpts = (rng.normal(size=(batch * window, 17, 2)) * 50 + 500).astype(
        np.float32)

    def call():
        lift_sequence(
            model, kpts, (1000, 1000), batch_size=batch,
            action_text='walk')

    seconds = time_calls(call, args.repeats, args.device)
    return dict(seconds=seconds, memory_mb=peak_memory_mb(args.device),
                window=window)


def _has_key(cfg, dotted: str) -> bool:
    node = cfg
    for part in dotted.split('.')[:-1]:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return isinstance(node, dict)


def run_setting(base: list, setting: dict):
    """Run one setting in a fresh subprocess (its own peak memory); its
    result row, or None (and a printed reason) when it failed."""
    proc = subprocess.run(
        [sys.executable, __file__, *base, '--single',
         json.dumps(setting)],
        capture_output=True, text=True,
        env=dict(os.environ, PYTHONWARNINGS='ignore'))
    lines = [line for line in proc.stdout.splitlines()
             if line.startswith('RESULT ')]
    if proc.returncode != 0 or not lines:
        err = proc.stderr.strip().splitlines()
        print(f'{setting}: failed: {err[-1] if err else proc.returncode}')
        return None
    return json.loads(lines[-1][len('RESULT '):])


def main_versus(args, base: list) -> None:
    """Time the config and ``--versus`` configs side by side."""
    configs = [args.config] + list(args.versus)
    rows = []
    for batch in args.batch_sizes:
        for config in configs:
            row = run_setting(
                base,
                dict(impl='lift', config=config, batch=batch, flip=True,
                     dtype='fp32'))
            if row is not None:
                rows.append(row)
    print(f'\nlift_sequence, device={args.device} threads={args.threads}, '
          f'random weights; time = s/clip over the first config\'s')
    print(f'{"config":<58} {"window":>6} {"batch":>5} {"s/clip":>8} '
          f'{"clips/s":>8} {"peak MB":>8} {"time":>7}')
    for row in rows:
        per_clip = row['seconds'] / row['batch']
        ref = [r for r in rows
               if r['config'] == configs[0] and r['batch'] == row['batch']]
        ratio = row['seconds'] / ref[0]['seconds'] if ref else None
        name = osp.splitext(osp.basename(row['config']))[0]
        print(f'{name:<58} {row["window"]:>6} {row["batch"]:>5} '
              f'{per_clip:>8.3f} {1 / per_clip:>8.2f} '
              f'{row["memory_mb"]:>8.0f} '
              f'{"" if ratio is None else f"{ratio:.2f}x":>7}')


def run_single(args) -> None:
    import torch
    torch.set_num_threads(args.threads)
    setting = json.loads(args.single)
    if setting['impl'] == 'lift':
        result = run_lift(args, setting['config'], setting['batch'])
        print('RESULT ' + json.dumps({**setting, **result}))
        return
    runner = run_authors if setting['impl'] == 'authors' else run_ours
    result = runner(args, setting['batch'], setting['flip'], setting['dtype'])
    print('RESULT ' + json.dumps({**setting, **result}))


def main(argv=None):
    args = parse_args(argv)
    if args.unsafe_load:
        from mmlpose.engine.checkpoint import enable_unsafe_loading
        enable_unsafe_loading()
    if args.single:
        return run_single(args)
    if args.check_outputs:
        if not args.authors_repo:
            raise SystemExit('error: --check-outputs needs --authors-repo')
        return check_outputs(args)
    base = [a for a in (argv if argv is not None else sys.argv[1:])]
    if args.versus:
        return main_versus(args, base)
    impls = ['mmlpose'] + (['authors'] if args.authors_repo else [])
    rows = []
    for batch in args.batch_sizes:
        for flip in args.flip:
            for dtype in args.dtypes:
                for impl in impls:
                    row = run_setting(
                        base,
                        dict(impl=impl, batch=batch, flip=flip == 'on',
                             dtype=dtype))
                    if row is not None:
                        rows.append(row)
    print(f'\n{args.config}\nframes={args.frames} H={args.hypotheses} '
          f'M={args.steps} device={args.device} threads={args.threads}')
    print(f'{"impl":<8} {"batch":>5} {"flip":>4} {"dtype":>5} '
          f'{"s/clip":>8} {"clips/s":>8} {"peak MB":>8} {"speedup":>7}')
    for row in rows:
        per_clip = row['seconds'] / row['batch']
        ref = [r for r in rows if r['impl'] == 'authors' and all(
            r[k] == row[k] for k in ('batch', 'flip', 'dtype'))]
        speedup = (ref[0]['seconds'] / row['seconds']) if ref else None
        print(f'{row["impl"]:<8} {row["batch"]:>5} '
              f'{"on" if row["flip"] else "off":>4} {row["dtype"]:>5} '
              f'{per_clip:>8.3f} {1 / per_clip:>8.2f} '
              f'{row["memory_mb"]:>8.0f} '
              f'{"" if speedup is None else f"{speedup:.2f}x":>7}')


if __name__ == '__main__':
    main()
