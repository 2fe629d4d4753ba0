# Copyright (c) mmlpose contributors. All rights reserved.
"""Strip a training checkpoint down to what inference needs.

Keeps ``state_dict`` and ``meta`` (with ``dataset_meta``), drops the
optimizer, schedulers and message hub::

    python tools/misc/publish_model.py work_dirs/x/best_MPJPE_epoch_60.pth \
        checkpoints/x.pth
"""
import argparse
import hashlib
import os.path as osp
import sys

import torch


def publish(src: str, dst: str) -> str:
    """Write the stripped checkpoint to ``dst``; return its sha256 prefix."""
    if not osp.isfile(src):
        raise SystemExit(f'error: checkpoint not found: {src}')
    ckpt = torch.load(src, map_location='cpu', weights_only=False)
    if 'state_dict' not in ckpt:
        raise SystemExit(f'error: {src} has no "state_dict"')
    meta = dict(ckpt.get('meta', {}))
    slim = dict(
        state_dict={k: v.float()
                    for k, v in ckpt['state_dict'].items()},
        meta=dict(
            dataset_meta=meta.get('dataset_meta'),
            epoch=meta.get('epoch'),
            iter=meta.get('iter'),
            mmengine_version=meta.get('mmengine_version'),
            source=osp.basename(src)))
    torch.save(slim, dst)
    with open(dst, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()[:8]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='training checkpoint')
    parser.add_argument('dst', help='output path')
    args = parser.parse_args(argv)
    digest = publish(args.src, args.dst)
    size = osp.getsize(args.dst) / 2**20
    print(f'wrote {args.dst} ({size:.2f} MiB, sha256 {digest})')


if __name__ == '__main__':
    sys.exit(main())
