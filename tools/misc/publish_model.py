# Copyright (c) mmlpose contributors. All rights reserved.
"""Strip a training checkpoint down to what inference needs.

Keeps ``state_dict`` and ``meta`` (with ``dataset_meta``), drops the
optimizer, schedulers and message hub::

    python tools/misc/publish_model.py work_dirs/x/best_MPJPE_epoch_60.pth \
        checkpoints/x.pth

``--exclude PREFIX ...`` also drops the weights under those state-dict
prefixes: frozen pretrained parts that the model loads by itself when it is
built (e.g. LangPose's MiniLM, ``text_encoder.backbone``), so that they are
not shipped twice; loading then reports them as missing keys of the
checkpoint, and they keep their pretrained values. ``--half`` stores floating
weights in float16 (half the size; outputs change by float16 rounding).
"""
import argparse
import hashlib
import os.path as osp
import sys
from typing import Sequence

import torch


def publish(src: str,
            dst: str,
            exclude: Sequence[str] = (),
            half: bool = False,
            unsafe: bool = False) -> str:
    """Write the stripped checkpoint to ``dst``; return its sha256 prefix.

    Args:
        src (str): Training checkpoint.
        dst (str): Output path.
        exclude (Sequence[str]): State-dict key prefixes to drop.
        half (bool): Store floating tensors in float16.
        unsafe (bool): Unpickle ``src`` without restriction (a file you
            trust); by default it is read with ``weights_only=True`` and
            mmlpose's allow-list.
    """
    if not osp.isfile(src):
        raise SystemExit(f'error: checkpoint not found: {src}')
    from mmlpose.engine.checkpoint import CheckpointError, safe_load
    try:
        ckpt = safe_load(src, map_location='cpu', unsafe=unsafe)
    except CheckpointError as e:
        raise SystemExit(f'error: {e}') from None
    if not isinstance(ckpt, dict):
        raise SystemExit(f'error: {src} is not a checkpoint dict')
    if 'state_dict' not in ckpt:
        raise SystemExit(f'error: {src} has no "state_dict"')
    meta = dict(ckpt.get('meta', {}))
    dtype = torch.float16 if half else torch.float32
    state_dict = {
        k: v.to(dtype) if v.is_floating_point() else v
        for k, v in ckpt['state_dict'].items()
        if not any(k.startswith(p) for p in exclude)
    }
    if exclude and len(state_dict) == len(ckpt['state_dict']):
        raise SystemExit(f'error: no weight of {src} starts with '
                         f'{", ".join(exclude)}')
    slim = dict(
        state_dict=state_dict,
        meta=dict(
            dataset_meta=meta.get('dataset_meta'),
            epoch=meta.get('epoch'),
            iter=meta.get('iter'),
            mmengine_version=meta.get('mmengine_version'),
            source=osp.basename(src),
            excluded=list(exclude)))
    from mmlpose.engine.checkpoint import atomic_save
    atomic_save(slim, dst)
    with open(dst, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()[:8]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='training checkpoint')
    parser.add_argument('dst', help='output path')
    parser.add_argument(
        '--exclude',
        nargs='+',
        default=[],
        metavar='PREFIX',
        help='drop weights under these state-dict prefixes (frozen '
        'pretrained parts the model loads itself)')
    parser.add_argument(
        '--half', action='store_true', help='store weights in float16')
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='unpickle the source without restriction (only a file you '
        'trust)')
    args = parser.parse_args(argv)
    digest = publish(
        args.src, args.dst, args.exclude, args.half, unsafe=args.unsafe_load)
    size = osp.getsize(args.dst) / 2**20
    print(f'wrote {args.dst} ({size:.2f} MiB, sha256 {digest})')


if __name__ == '__main__':
    sys.exit(main())
